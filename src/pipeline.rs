//! One run of a plan at the edge: read the inputs and the street network, [`analyse`] them
//! in memory, then write every output with [`write_run`]. This is what the CLI calls; the
//! analysis it drives never opens a file or prints.

use std::path::{Path, PathBuf};

use crate::analysis::{self, analyse, AnalysisError};
pub use crate::analysis::{Progress, Silent};
use crate::coverage::Coverage;
use crate::indicators::{CellAccess, Indicators};
use crate::io::layers::read_inputs;
use crate::io::osm::read_osm;
use crate::io::run_output::{write_run, WriteError};
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
    if let Ok(c) = std::fs::canonicalize(p) {
        return c;
    }
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Refuses an output folder that is the folder of an input file (the plan, a layer, the
/// street network, the candidate sites), before anything is read or written.
pub fn check_output_folder(plan: &Plan, out_dir: &Path) -> Result<(), RunError> {
    let out = normalised(out_dir);
    let mut inputs: Vec<&Path> = vec![
        plan.file.as_path(),
        plan.population.layer.path.as_path(),
        plan.facilities.layer.path.as_path(),
    ];
    inputs.extend(plan.subdistricts.iter().map(|a| a.layer.path.as_path()));
    inputs.extend(plan.committees.iter().map(|a| a.layer.path.as_path()));
    inputs.extend(plan.network.iter().map(|n| n.path.as_path()));
    inputs.extend(
        plan.siting
            .iter()
            .filter_map(|s| s.candidates.as_ref())
            .map(|c| c.layer.path.as_path()),
    );
    for input in inputs {
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
    /// Files written, in order.
    pub files: Vec<PathBuf>,
}

/// Runs `plan`, writing into `out_dir`.
pub fn run(plan: &Plan, out_dir: &Path, progress: &dyn Progress) -> Result<Outcome, RunError> {
    check_output_folder(plan, out_dir)?;
    progress.begin("reading inputs", 0);
    let inputs = read_inputs(plan)?;
    progress.end();
    let network = match &plan.network {
        None => None,
        Some(n) => {
            let projection = analysis::projection(plan, &inputs)?;
            progress.begin("reading the street network", 0);
            let osm = read_osm(&n.path)?;
            let network =
                StreetNetwork::from_osm(&osm, &projection).map_err(AnalysisError::from)?;
            progress.end();
            Some(network)
        }
    };
    let analysis = analyse(plan, inputs, network.as_ref(), progress)?;
    let (summary, files) = write_run(plan, &analysis, out_dir, progress)?;
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
    })
}
