//! One run of a plan at the edge: read the inputs and the street network, [`analyse`] them
//! in memory, then write every output with [`write_run`]. This is what the CLI calls; the
//! analysis it drives never opens a file or prints.

use std::path::{Path, PathBuf};

use crate::analysis::{self, analyse, AnalysisError};
pub use crate::analysis::{Progress, Silent};
use crate::coverage::Coverage;
use crate::indicators::{CellAccess, Indicators};
use crate::io::layers::read_inputs_cached;
pub use crate::io::layers::InputCache;
use crate::io::run_folder::{hash_input, FolderError, Manifest, ManifestInput, RunFolder};
use crate::io::run_output::{font_warning, write_run, WriteError};
use crate::io::ReadError;
use crate::model::Study;
use crate::network::StreetNetwork;
use crate::plan::Plan;
use crate::proposal::Proposal;
use crate::summary::Summary;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An input file cannot be read or holds bad values.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The analysis failed (CRS, study, siting).
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// An output cannot be written (or the maps' font cannot be loaded).
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The output folder is busy, not a folder, holds foreign files or cannot be swapped.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// `--strict`: the run has warnings, so nothing was written.
    #[error("--strict: the run has {} warning(s), so nothing was written (the output folder is as it was):\n{}", .0.len(), .0.iter().map(|w| format!("  warning [{}]: {}", w.code.id(), w.message)).collect::<Vec<_>>().join("\n"))]
    Strict(Vec<crate::checks::Warning>),
    /// An input file changed while the run read it: its outputs may mix two versions.
    #[error("{0}: the file changed while the run read it; nothing was written (the output folder is as it was). Run again once it is complete")]
    InputChanged(String),
    /// The output folder is an input's folder: a run could overwrite the inputs.
    #[error("{out}: the output folder holds the input {input}; a run writes cells.geojson, subdistricts.geojson, summary.json … there and could overwrite the inputs. Set [study] output_dir (or --out) to a folder of its own")]
    OutputFolderHoldsInput {
        /// The output folder.
        out: PathBuf,
        /// The input file in it.
        input: PathBuf,
    },
}

/// A path made absolute and cleaned of `.`/`..` (resolving links where it exists), to compare
/// folders.
fn normalised(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| crate::io::clean(p))
}

/// Every file a plan reads, with its role: the plan itself, its layers, the street network
/// and the candidate sites.
pub fn input_files(plan: &Plan) -> Vec<(&'static str, &Path)> {
    let mut inputs: Vec<(&'static str, &Path)> = vec![
        ("plan", plan.file.as_path()),
        ("population", plan.population.layer.path.as_path()),
        ("facilities", plan.facilities.layer.path.as_path()),
    ];
    inputs.extend(
        plan.subdistricts
            .iter()
            .map(|a| ("subdistricts", a.layer.path.as_path())),
    );
    inputs.extend(
        plan.committees
            .iter()
            .map(|a| ("committees", a.layer.path.as_path())),
    );
    inputs.extend(plan.network.iter().map(|n| ("network", n.path.as_path())));
    inputs.extend(
        plan.study_area
            .iter()
            .map(|a| ("study_area", a.layer.layer.path.as_path())),
    );
    inputs.extend(
        plan.report
            .font
            .iter()
            .filter(|_| plan.report.maps)
            .map(|f| ("font", f.as_path())),
    );
    inputs.extend(
        plan.siting
            .iter()
            .filter_map(|s| s.candidates.as_ref())
            .map(|c| ("candidates", c.layer.path.as_path())),
    );
    inputs
}

/// The inputs' entries of `run.json`: sizes and SHA-256, paths relative to the plan's folder
/// where they lie under it.
pub fn manifest_inputs(plan: &Plan) -> Result<Vec<ManifestInput>, RunError> {
    let base = plan.file.parent().unwrap_or(Path::new(""));
    input_files(plan)
        .into_iter()
        .map(|(role, path)| {
            let (bytes, sha256) = hash_input(path).map_err(|source| WriteError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let shown = path.strip_prefix(base).unwrap_or(path);
            Ok(ManifestInput {
                role: role.to_string(),
                path: shown.to_string_lossy().replace('\\', "/"),
                bytes,
                sha256,
            })
        })
        .collect()
}

/// Refuses an output folder that is the folder of an input file (the plan, a layer, the
/// street network, the candidate sites), before anything is read or written.
pub fn check_output_folder(plan: &Plan, out_dir: &Path) -> Result<(), RunError> {
    let out = normalised(out_dir);
    for (_, input) in input_files(plan) {
        let folder = normalised(input.parent().unwrap_or(Path::new(".")));
        if folder == out {
            return Err(RunError::OutputFolderHoldsInput {
                out: out_dir.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Cells, facilities and areas, projected.
    pub study: Study,
    /// Nearest distances and per-circle verdicts.
    pub coverage: Coverage,
    /// Per-area roll-ups and provision indicators.
    pub indicators: Indicators,
    /// 2SFCA accessibility per cell, per facility kind.
    pub access: Vec<CellAccess>,
    /// Proposed sites, when the plan has `[siting]`.
    pub proposal: Option<Proposal>,
    /// EPSG code and name of the analysis CRS.
    pub crs: (u32, String),
    /// The run summary written to `summary.json`.
    pub summary: Summary,
    /// Files written, in order, at their final place in the output folder (`run.json` last).
    pub files: Vec<PathBuf>,
    /// `run.json`: every file with its size and hash, the inputs' hashes, the version.
    pub manifest: Manifest,
}

/// The caller's progress with the edge's clock, so that time limits (`[siting]
/// time_limit_s`) apply to every run (the core reads no clock).
struct Clocked<'a> {
    inner: &'a dyn Progress,
    start: std::time::Instant,
}

impl Progress for Clocked<'_> {
    fn begin(&self, step: &str, total: u64) {
        self.inner.begin(step, total)
    }
    fn advance(&self, n: u64) {
        self.inner.advance(n)
    }
    fn end(&self) {
        self.inner.end()
    }
    fn note(&self, detail: &str) {
        self.inner.note(detail)
    }
    fn elapsed_s(&self) -> Option<f64> {
        Some(self.start.elapsed().as_secs_f64())
    }
}

/// How a run treats what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Refuse to write anything when the run has any warning (for unattended batch runs):
    /// [`RunError::Strict`] lists them.
    pub strict: bool,
}

/// Runs `plan` with the default options (warnings are reported, not fatal); see
/// [`run_with`].
pub fn run(plan: &Plan, out_dir: &Path, progress: &dyn Progress) -> Result<Outcome, RunError> {
    run_with(plan, out_dir, RunOptions::default(), progress)
}

/// Runs `plan`, replacing the output folder `out_dir` whole (see [`RunFolder`]): the run is
/// written into a staging folder beside it and swapped in only when complete, so a failed,
/// killed or refused run leaves the previous complete run as it was, and no file of an
/// earlier run survives a new one. A second run into the same folder at the same time is
/// refused.
pub fn run_with(
    plan: &Plan,
    out_dir: &Path,
    options: RunOptions,
    progress: &dyn Progress,
) -> Result<Outcome, RunError> {
    run_cached(plan, out_dir, options, progress, &InputCache::default())
}

/// [`run_with`], reading the population, facility and street layers through `cache`, so
/// that the runs of one process (a batch's jobs over city-wide layers) read each once.
pub fn run_cached(
    plan: &Plan,
    out_dir: &Path,
    options: RunOptions,
    progress: &dyn Progress,
    cache: &InputCache,
) -> Result<Outcome, RunError> {
    check_output_folder(plan, out_dir)?;
    let folder = RunFolder::open(out_dir)?;
    // The inputs' hashes before anything is read: run.json must name the content the run
    // read, so a file changed during the run fails it (checked again at the end).
    // (A file that cannot be hashed now is left to the readers, whose errors say more.)
    let inputs_before = manifest_inputs(plan).ok();
    let clocked = Clocked {
        inner: progress,
        start: std::time::Instant::now(),
    };
    let progress: &dyn Progress = &clocked;
    progress.begin("reading inputs", 0);
    let inputs = read_inputs_cached(plan, cache)?;
    progress.end();
    let mut network_nodes = None;
    let network = match &plan.network {
        None => None,
        Some(n) => {
            let projection = analysis::projection(plan, &inputs)?;
            progress.begin("reading the street network", 0);
            let mut osm = cache.osm(&n.path)?;
            if let Some(area) = &inputs.study_area {
                let (clipped, nodes) = crate::study_area::clip_osm(&osm, area, &projection)
                    .map_err(AnalysisError::from)?;
                osm = std::sync::Arc::new(clipped);
                network_nodes = Some(nodes);
            }
            let network =
                StreetNetwork::from_osm(&osm, &projection).map_err(AnalysisError::from)?;
            progress.end();
            Some(network)
        }
    };
    let mut analysis = analyse(plan, inputs, network.as_ref(), progress)?;
    if let Some(clip) = &mut analysis.clip {
        clip.network_nodes = network_nodes;
    }
    if options.strict {
        let mut extra = Vec::new();
        if plan.report.maps {
            extra.extend(font_warning(plan)?);
        }
        let warnings = Summary::new(plan, &analysis, Vec::new(), None, None, extra).warnings;
        if !warnings.is_empty() {
            return Err(RunError::Strict(warnings));
        }
    }
    let (summary, staged) = write_run(plan, &analysis, folder.staging(), progress)?;
    let inputs = manifest_inputs(plan)?;
    if let Some(changed) = inputs_before.as_ref().and_then(|before| {
        inputs
            .iter()
            .zip(before)
            .find(|(now, then)| now != then)
            .map(|(now, _)| now.path.clone())
    }) {
        return Err(RunError::InputChanged(changed));
    }
    let mut files: Vec<PathBuf> = staged
        .iter()
        .map(|p| out_dir.join(p.strip_prefix(folder.staging()).unwrap_or(p)))
        .collect();
    let manifest = folder.commit(inputs)?;
    files.push(out_dir.join(crate::io::run_folder::MANIFEST));
    let crs = (
        analysis.projection.epsg(),
        analysis.projection.name().to_string(),
    );
    Ok(Outcome {
        study: analysis.study,
        coverage: analysis.coverage,
        indicators: analysis.indicators,
        access: analysis.access,
        proposal: analysis.proposal,
        crs,
        summary,
        files,
        manifest,
    })
}
