//! One analysis of a plan, in memory: project the inputs, snap them to the street network,
//! measure every circle, compute accessibility and the provision indicators and, with
//! `[siting]`, propose sites. [`analyse`] reads no file and writes none: the readers hand it
//! [`Inputs`] and a [`StreetNetwork`], the writers take the [`Analysis`] it returns.

use crate::checks::{self, CheckError, Checks, Warning};
use crate::coverage::{self, Coverage, Detour, NetworkContext, ServiceArea, Sources};
use crate::crs::{CrsError, Projection};
use crate::indicators::{self, CellAccess, Indicators};
use crate::model::{FacilityKind, Study};
use crate::network::{GraphStats, SnapRule, StreetNetwork};
use crate::plan::Plan;
use crate::proposal::{self, Proposal, ProposalError};
use crate::standards::Method;
use crate::study::{self, BuildReport, Inputs, Skipped, StudyError};
use crate::study_area::ClipReport;

/// Progress reporting for long steps (the CLI shows bars; library callers and tests can
/// stay [`Silent`]).
pub trait Progress: Sync {
    /// A step starts; `total` units of work (0 when unknown).
    fn begin(&self, step: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The step is done.
    fn end(&self);
    /// A line of detail on the current step, replacing the previous one (the siting step
    /// states its best objective, bound and gap as they improve). Default: ignored.
    fn note(&self, _detail: &str) {}
    /// Seconds since the run began, for time limits (`[siting] time_limit_s`); `None`: no
    /// clock, and no time limit applies. The core reads no clock itself: the edge gives one
    /// (`lifecircle::pipeline::run` always does).
    fn elapsed_s(&self) -> Option<f64> {
        None
    }
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
}

/// Why an analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The analysis CRS cannot be set up or a point cannot be projected.
    #[error("analysis CRS: {0}")]
    Crs(#[from] CrsError),
    /// The inputs do not make a study (no population, bad geometry).
    #[error(transparent)]
    Study(#[from] StudyError),
    /// The street network was built in another CRS than the analysis'.
    #[error("the street network is in EPSG:{network} but the analysis CRS is EPSG:{analysis}; build it with analysis::projection(plan, inputs)")]
    NetworkCrs {
        /// EPSG code of the network's coordinates.
        network: u32,
        /// EPSG code of the analysis CRS.
        analysis: u32,
    },
    /// The siting stage failed.
    #[error(transparent)]
    Proposal(#[from] ProposalError),
    /// The inputs cannot give a meaningful figure (see [`crate::checks`]).
    #[error(transparent)]
    Check(#[from] CheckError),
    /// No population record lies inside the study area.
    #[error("study area {id} ({name}): none of the {outside} population records lies inside it; check [study.area] id and the layers' CRS (an Amap boundary is GCJ02)")]
    EmptyStudyArea {
        /// The area's id.
        id: String,
        /// Its name.
        name: String,
        /// Records outside it.
        outside: usize,
    },
}

/// Everything one analysis produced, in memory and typed.
pub struct Analysis<'g> {
    /// The metric CRS every distance was measured in.
    pub projection: Projection,
    /// Cells, facilities and areas, projected and cross-referenced.
    pub study: Study,
    /// What building the study found (cells outside areas, mismatched sub-districts).
    pub build: BuildReport,
    /// Facilities the reader left out.
    pub skipped: Skipped,
    /// Population records read (before census polygons are spread onto a grid, and before
    /// outliers are left out).
    pub population_records: usize,
    /// What the checks before the analysis decided (outliers left out, extents).
    pub checks: Checks,
    /// The checks' warnings about the inputs.
    pub input_warnings: Vec<Warning>,
    /// The street network and every cell's and facility's snap onto it.
    pub network: Option<NetworkContext<'g>>,
    /// How the street network was built.
    pub network_stats: Option<&'g GraphStats>,
    /// Cells walking much farther than the straight line (see [`coverage::detours`]).
    pub detours: Vec<Detour>,
    /// The detour factor used.
    pub detour_factor: f64,
    /// Nearest distances and per-circle verdicts for every cell.
    pub coverage: Coverage,
    /// 2SFCA accessibility per cell, per facility kind.
    pub access: Vec<CellAccess>,
    /// Per-area roll-ups and provision indicators.
    pub indicators: Indicators,
    /// Walking service areas of every facility for each network circle of its kind.
    pub service_areas: Vec<ServiceArea>,
    /// Proposed sites, when the plan has `[siting]`.
    pub proposal: Option<Proposal>,
    /// What clipping to the study area kept (`[study.area]`); the edge adds the street
    /// network's node counts ([`crate::study_area::clip_osm`]).
    pub clip: Option<ClipReport>,
}

impl std::fmt::Debug for Analysis<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("crs", &self.projection.epsg())
            .field("cells", &self.study.cells.len())
            .field("facilities", &self.study.facilities.len())
            .field("network", &self.network.is_some())
            .field("circles", &self.coverage.circles.len())
            .field(
                "proposal",
                &self.proposal.as_ref().map(|p| p.solution.open.len()),
            )
            .finish()
    }
}

/// The analysis CRS of `plan` for `inputs`: the plan's EPSG code, or the UTM zone of the
/// inputs' centre. Build the [`StreetNetwork`] in it before calling [`analyse`]. An explicit
/// code that distorts distances by more than 1 % at the median population point is refused
/// ([`checks::check_analysis_crs`]).
pub fn projection(plan: &Plan, inputs: &Inputs) -> Result<Projection, AnalysisError> {
    let centre = inputs.centre().ok_or(StudyError::NoPopulation)?;
    let p = plan
        .analysis_crs
        .resolve(centre)
        .map_err(|e| CheckError::Plan {
            file: plan.file.clone(),
            key: "study.analysis_crs".into(),
            message: e.to_string(),
        })?;
    checks::check_analysis_crs(plan, centre, &p)?;
    Ok(p)
}

/// Analyses `plan` on `inputs` (and along `network` when given, which must be built in
/// [`projection`]`(plan, &inputs)`). Pure: no file is read or written.
pub fn analyse<'g>(
    plan: &Plan,
    inputs: Inputs,
    network: Option<&'g StreetNetwork>,
    progress: &dyn Progress,
) -> Result<Analysis<'g>, AnalysisError> {
    let projection = projection(plan, &inputs)?;
    if let Some(n) = network {
        if n.epsg != projection.epsg() {
            return Err(AnalysisError::NetworkCrs {
                network: n.epsg,
                analysis: projection.epsg(),
            });
        }
    }
    let mut inputs = inputs;
    let clip = match inputs.study_area.take() {
        None => None,
        Some(area) => {
            let report = crate::study_area::clip_inputs(&mut inputs, &area, &projection)?;
            if inputs.population.is_empty() {
                return Err(AnalysisError::EmptyStudyArea {
                    id: area.id.clone(),
                    name: area.name.clone(),
                    outside: report.population_dropped,
                });
            }
            inputs.study_area = Some(area);
            Some(report)
        }
    };
    let population_records = inputs.population.len();
    let (checks, input_warnings) = checks::check_inputs(plan, &mut inputs, network, &projection)?;
    progress.begin("projecting and assigning cells to areas", 0);
    let (study, build) = study::build(&inputs, &projection)?;
    progress.end();

    let layer = plan.network.as_ref();
    let rule = layer.map_or(SnapRule::new(300.0), |n| SnapRule {
        max_snap_m: n.max_snap_m,
        min_component_nodes: n.min_component_nodes,
        min_component_m: n.min_component_m,
    });
    progress.begin("snapping cells and facilities to the network", 0);
    let context = network.map(|n| {
        let mut ctx = NetworkContext::with_rule(&n.graph, &study, rule);
        ctx.distance_cap_m = Some(
            layer
                .and_then(|l| l.distance_cap_m)
                .unwrap_or_else(|| coverage::default_distance_cap_m(&plan.circles)),
        );
        ctx
    });
    progress.end();

    let kinds: Vec<FacilityKind> = {
        let mut k: Vec<FacilityKind> = plan.circles.iter().flat_map(|c| c.kinds.clone()).collect();
        k.sort();
        k.dedup();
        k
    };
    let passes = kinds
        .iter()
        .map(|k| {
            let on_network = context.is_some()
                && plan
                    .circles
                    .iter()
                    .any(|c| c.method == Method::Network && c.kinds.contains(k));
            1 + usize::from(on_network)
        })
        .sum::<usize>();
    progress.begin("coverage", (passes * study.cells.len()) as u64);
    let coverage = coverage::measure(&study, &plan.circles, context.as_ref(), &|n| {
        progress.advance(n)
    });
    progress.end();

    progress.begin("accessibility (2SFCA)", 0);
    let access = indicators::cell_access(&study, &coverage, |kind, radius_m, method| {
        let of_kind: Vec<usize> = (0..study.facilities.len())
            .filter(|&i| study.facilities[i].kind == kind)
            .collect();
        coverage::catchments(
            &study,
            context.as_ref(),
            Sources::Facilities(&of_kind),
            radius_m,
            method,
        )
    });
    progress.end();
    let indicators = indicators::compute(&study, &coverage, &plan.standards, &access);

    let detour_factor = layer.map_or(coverage::DEFAULT_DETOUR_FACTOR, |l| l.detour_factor);
    let detours = context
        .as_ref()
        .map(|ctx| coverage::detours(&coverage, ctx, detour_factor))
        .unwrap_or_default();

    let service_areas = context
        .as_ref()
        .map(|ctx| coverage::service_areas(&study, &plan.circles, ctx))
        .unwrap_or_default();

    let proposal = match &plan.siting {
        None => None,
        Some(s) => {
            progress.begin(
                &format!(
                    "proposing sites (location-allocation, at most {} s)",
                    s.time_limit_s
                ),
                0,
            );
            let t0 = progress.elapsed_s();
            let stop = || match (t0, progress.elapsed_s()) {
                (Some(a), Some(b)) => b - a > s.time_limit_s,
                _ => false,
            };
            let report = |objective: f64, bound: f64| {
                progress.note(&crate::siting::progress_line(objective, bound));
            };
            let p = proposal::propose(
                plan,
                s,
                &study,
                &coverage,
                context.as_ref(),
                &projection,
                inputs.candidates.as_deref(),
                &stop,
                &report,
            )?;
            progress.end();
            Some(p)
        }
    };
    Ok(Analysis {
        projection,
        population_records,
        checks,
        input_warnings,
        skipped: inputs.skipped,
        study,
        build,
        network: context,
        network_stats: network.map(|n| &n.stats),
        detours,
        detour_factor,
        coverage,
        access,
        indicators,
        service_areas,
        proposal,
        clip,
    })
}
