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
