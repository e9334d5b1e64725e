//! The siting stage of an analysis, in memory: candidates (given as data or generated), the
//! location-allocation instance, the solution, its independent re-check, the sites ranked
//! with their marginal gains, and the plan's figures before and after. Pure: it reads no
//! file and writes none; [`crate::analysis::analyse`] calls it and the writers at the edge
//! turn its typed results into files.

use geo::Coord;

use crate::coverage::{self, Coverage, NetworkContext, Sources};
use crate::crs::Projection;
use crate::indicators::Indicators;
use crate::model::AgeBand;
use crate::model::{Candidate, Capacity, Facility, FacilityKind, Location, Study};
use crate::plan::{Plan, Siting, SitingModel};
use crate::siting::study_problem::{build_problem, generate_candidates};
use crate::siting::{capacitated, evaluate, Model, Problem, Solution};
use crate::standards::Method;
use crate::study::{AreaIndex, CandidateRecord};

/// Why the siting stage failed.
#[derive(Debug, thiserror::Error)]
pub enum ProposalError {
    /// The solver found no solution (infeasible quotas, no candidates).
    #[error("siting: {0}")]
    Siting(crate::siting::SitingError),
    /// The solution's figures do not hold when measured again.
    #[error("siting: the independent re-check failed: {0}")]
    Recheck(String),
    /// A candidate cannot be projected into the analysis CRS.
    #[error("analysis CRS: {0}")]
    Crs(#[from] crate::crs::CrsError),
    /// `[siting]` asks for what the candidates and sub-districts cannot give (unknown forced
    /// or excluded ids, quotas beyond `p` or beyond a sub-district's candidates).
    #[error("{}: {key}: {message}", file.display())]
    Plan {
        /// The plan file.
        file: std::path::PathBuf,
        /// The key at fault, e.g. `siting.force`.
        key: String,
        /// What is wrong, with the names and numbers, and what to change.
        message: String,
    },
}

/// Checks `[siting]`'s forced and excluded ids and its quotas against the candidates and
/// sub-districts, naming what cannot be met.
fn check_siting(
    plan: &Plan,
    s: &Siting,
    study: &Study,
    candidates: &[Candidate],
    from: CandidateSource,
) -> Result<(), ProposalError> {
    let err = |key: &str, message: String| ProposalError::Plan {
        file: plan.file.clone(),
        key: key.to_string(),
        message,
    };
    let ids: std::collections::HashSet<&str> = candidates.iter().map(|c| c.id.as_str()).collect();
    let source = match (from, s.candidates.as_ref()) {
        (CandidateSource::Layer, Some(c)) => format!(
            "the candidate layer {}",
            c.layer
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        _ => format!(
            "the {} generated candidates (ids such as {})",
            candidates.len(),
            candidates
                .iter()
                .take(3)
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    for (key, list) in [("siting.force", &s.force), ("siting.exclude", &s.exclude)] {
        let unknown: Vec<&str> = list
            .iter()
            .map(String::as_str)
            .filter(|id| !ids.contains(id))
            .collect();
        if !unknown.is_empty() {
            return Err(err(
                key,
                format!(
                    "{} not among {source}: {}; name candidate ids",
                    if unknown.len() == 1 {
                        "this id is"
                    } else {
                        "these ids are"
                    },
                    unknown
                        .iter()
                        .map(|i| format!("'{i}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if study.subdistricts.is_empty() || s.min_per_subdistrict == 0 {
        return Ok(());
    }
    let mut needs = Vec::new();
    for (g, area) in study.subdistricts.iter().enumerate() {
        let existing = study
            .facilities
            .iter()
            .filter(|f| f.kind == s.kind && f.subdistrict == Some(g))
            .count();
        let need = s.min_per_subdistrict.saturating_sub(existing);
        if need == 0 {
            continue;
        }
        let available = candidates
            .iter()
            .filter(|c| c.subdistrict == Some(g) && !s.exclude.contains(&c.id))
            .count();
        if available < need {
            return Err(err(
                "siting.min_per_subdistrict",
                format!(
                    "{}: min_per_subdistrict = {} {} needs {need} new sites ({existing} existing) but the sub-district has {available} candidates; lower the quota, or give candidates there",
                    area.name, s.min_per_subdistrict, s.kind
                ),
            ));
        }
        needs.push((area.name.as_str(), need, existing));
    }
    let total: usize = needs.iter().map(|n| n.1).sum();
    if s.model != SitingModel::Lscp && total > s.p {
        return Err(err(
            "siting.min_per_subdistrict",
            format!(
                "min_per_subdistrict = {} {} needs {total} new sites but p = {}: {}; raise p or lower the quota",
                s.min_per_subdistrict,
                s.kind,
                s.p,
                needs
                    .iter()
                    .map(|(n, k, e)| format!("{n} {k} ({e} existing)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(())
}

/// Where the candidate sites came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSource {
    /// A layer named in `[siting] candidates`.
    Layer,
    /// Generated: a street node (or populated cell) per `candidate_spacing_m` square.
    Generated,
}

impl CandidateSource {
    /// The word used in summary.json.
    pub fn id(self) -> &'static str {
        match self {
            CandidateSource::Layer => "layer",
            CandidateSource::Generated => "generated",
        }
    }
}

/// Covered people and capped weighted distance, measured afresh with the new sites.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecheckFigures {
    /// People of the circle's age band within reach of the kind, existing and new sites.
    pub covered_weight: f64,
    /// Σ people × distance to the nearest site of the kind, capped at the reach, person·m.
    pub weighted_distance: f64,
}

/// How far a proposed site may lie from the street it is named by, m.
pub const STREET_NAME_WITHIN_M: f64 = 100.0;

/// A proposed site in priority order (the order in which to build them): rank 1 adds the
/// most to the model's objective given the existing facilities, rank 2 the most given those
/// and rank 1, and so on (people newly covered for the covering models, person·metres saved
/// for p-median; ties by the other figure, then by candidate order). So `newly_covered`
/// never increases down the ranks of a covering model, and `cumulative_covered` of the last
/// rank is the solution's covered weight.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedSite {
    /// 1 = build first.
    pub rank: usize,
    /// Index into [`Proposal::candidates`].
    pub candidate: usize,
    /// People newly within reach when this site is added after the higher ranks.
    pub newly_covered: f64,
    /// Reduction in Σ people × capped distance, person·m.
    pub distance_saved_person_m: f64,
    /// People within reach of the kind (existing facilities, this site and every higher
    /// rank): the cumulative figure after building up to this rank.
    pub cumulative_covered: f64,
    /// The OSM name of the street nearest the site (within [`STREET_NAME_WITHIN_M`]), where
    /// the run has a network with a named street that near.
    pub street: Option<String>,
    /// Capacitated runs: the site's capacity (`None` inside: unlimited).
    pub capacity: Option<Option<f64>>,
    /// Capacitated runs: people the site serves in the checked allocation.
    pub served: Option<f64>,
}

/// One row of the before/after table: a sub-district, or the whole district.
#[derive(Debug, Clone, PartialEq)]
pub struct BeforeAfterRow {
    /// The sub-district's id, or `None` for the district row.
    pub subdistrict: Option<usize>,
    /// Existing facilities of the sited kind.
    pub existing: usize,
    /// New sites proposed.
    pub new: usize,
    /// People of the circle's age band.
    pub people: f64,
    /// Of them within reach of the kind before and after the proposal.
    pub covered_before: f64,
    /// See `covered_before`.
    pub covered_after: f64,
    /// Capacitated runs: covered before plus what the new sites serve within capacity.
    pub served_after: Option<f64>,
}

impl BeforeAfterRow {
    /// `x` as a share of the row's people (`None` with no people).
    pub fn share(&self, x: f64) -> Option<f64> {
        (self.people > 0.0).then(|| x / self.people)
    }
}

/// The plan's figures once the new sites are open.
#[derive(Debug, Clone)]
pub struct After {
    /// The study with the new sites added as facilities (no capacity figures).
    pub study: Study,
    /// Every circle measured again.
    pub coverage: Coverage,
    /// Every indicator computed again.
    pub indicators: Indicators,
}

/// What the siting stage produced.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The sited kind.
    pub kind: FacilityKind,
    /// Index of the plan's circle whose reach, method and age band the siting uses.
    pub circle: usize,
    /// Reach of that circle, m.
    pub reach_m: f64,
    /// Method of that circle.
    pub method: Method,
    /// Age band of that circle.
    pub age_band: AgeBand,
    /// Candidate sites considered.
    pub candidates: Vec<Candidate>,
    /// Where they came from.
    pub candidates_from: CandidateSource,
    /// (cell, candidate) pairs within reach.
    pub pairs_within_reach: usize,
    /// The solver's answer.
    pub solution: Solution,
    /// People of the age band within reach before the proposal (existing sites only).
    pub covered_before: f64,
    /// Objective re-measured by the coverage step with the new sites added.
    pub recheck: RecheckFigures,
    /// Whether the allocation within capacities was checked flow by flow.
    pub capacitated: bool,
    /// Per cell: within reach of the kind once the new sites are open (the circle's method).
    pub covered_after: Vec<bool>,
    /// The sites, first = added first.
    pub ranked: Vec<RankedSite>,
    /// Per sub-district (study order), then the district.
    pub before_after: Vec<BeforeAfterRow>,
    /// The plan's figures after the proposal.
    pub after: After,
}

/// Projects candidate records into the analysis CRS and finds their sub-districts.
pub fn candidates_from_records(
    records: &[CandidateRecord],
    study: &Study,
    projection: &Projection,
) -> Result<Vec<Candidate>, ProposalError> {
    let index = AreaIndex::new(&study.subdistricts);
    records
        .iter()
        .map(|c| {
            let (x, y) = projection.from_wgs84(c.lon_lat.x, c.lon_lat.y)?;
            let xy_m = Coord { x, y };
            Ok(Candidate {
                id: c.id.clone(),
                location: Location {
                    lon_lat: c.lon_lat,
                    xy_m,
                },
                subdistrict: index.area_of(xy_m),
                capacity: c.capacity,
            })
        })
        .collect()
}

/// Generated candidates: a street node off the street islands (or, without a network, a
/// populated cell centre) per `spacing_m` square.
fn generated_candidates(s: &Siting, study: &Study, ctx: Option<&NetworkContext>) -> Vec<Candidate> {
    let points: Vec<Location> = match ctx {
        // Street nodes, never on a street island (a site there would serve almost nobody).
        Some(ctx) => ctx
            .graph
            .lon_lat
            .iter()
            .zip(&ctx.graph.xy_m)
            .enumerate()
            .filter(|&(k, _)| !ctx.on_island(k as u32))
            .map(|(_, (&lon_lat, &xy_m))| Location { lon_lat, xy_m })
            .collect(),
        None => study
            .cells
            .iter()
            .filter(|c| c.counts.residents > 0.0)
            .map(|c| c.location)
            .collect(),
    };
    generate_candidates(study, &points, s.candidate_spacing_m)
}

/// Runs the siting stage of `plan` (which must have `[siting]`). `given` are the candidate
/// records of `[siting] candidates`, read at the edge; `None` generates candidates.
#[allow(clippy::too_many_arguments)] // each is one input of the step; a struct would only rename them
pub fn propose(
    plan: &Plan,
    s: &Siting,
    study: &Study,
    coverage: &Coverage,
    ctx: Option<&NetworkContext>,
    projection: &Projection,
    given: Option<&[CandidateRecord]>,
    stop: crate::siting::Stop,
    report: crate::siting::Report,
) -> Result<Proposal, ProposalError> {
    let circle = &plan.circles[s.circle];
    let (candidates, candidates_from) = match given {
        Some(records) => (
            candidates_from_records(records, study, projection)?,
            CandidateSource::Layer,
        ),
        None => (
            generated_candidates(s, study, ctx),
            CandidateSource::Generated,
        ),
    };
    check_siting(plan, s, study, &candidates, candidates_from)?;
    let sites_xy: Vec<Coord<f64>> = candidates.iter().map(|c| c.location.xy_m).collect();
    let catchments = coverage::catchments(
        study,
        ctx,
        Sources::Points(&sites_xy),
        circle.radius_m(),
        circle.method,
    );
    let problem = build_problem(
        study,
        coverage,
        circle,
        s.kind,
        &candidates,
        &catchments,
        s.min_per_subdistrict,
        s.max_per_subdistrict,
        &s.force,
        &s.exclude,
        s.capacity_per_site,
    )
    .map_err(ProposalError::Siting)?;
    let model = match s.model {
        SitingModel::Mclp => Model::MaxCover { p: s.p },
        SitingModel::Lscp => Model::SetCover {
            share: s.coverage_share,
        },
        SitingModel::Pmedian => Model::PMedian { p: s.p },
    };
    let solution = match s.solver {
        #[cfg(feature = "highs")]
        crate::plan::SitingSolver::Highs => crate::siting::milp::solve(&problem, model),
        _ => crate::siting::solve_reporting(&problem, model, s.node_limit, stop, report),
    }
    .map_err(ProposalError::Siting)?;

    // Independent re-check: add the sites as facilities and measure the circle's kind again.
    // The cells keep their snaps; only the new sites are snapped.
    let mut after = study.clone();
    for &j in &solution.open {
        after.facilities.push(Facility {
            id: candidates[j].id.clone(),
            name: format!("proposed {}", candidates[j].id),
            kind: s.kind,
            label: s.kind.chinese().into(),
            location: candidates[j].location,
            capacity: Capacity::default(),
            subdistrict_name: None,
            subdistrict: candidates[j].subdistrict,
            committee: None,
            beyond_study_area: false,
        });
    }
    let after_ctx =
        ctx.map(|c| c.with_added_facilities(&after.facilities[study.facilities.len()..]));
    let mut only = circle.clone();
    only.kinds = vec![s.kind];
    let remeasured = coverage::measure(
        &after,
        std::slice::from_ref(&only),
        after_ctx.as_ref(),
        &|_| {},
    );
    let d = remeasured.nearest[0].by(circle.method);
    let reach = circle.radius_m();
    let mut recheck = RecheckFigures {
        covered_weight: 0.0,
        weighted_distance: 0.0,
    };
    let covered_after: Vec<bool> = d.iter().map(|&d| d <= reach).collect();
    for (w, d) in problem.weights.iter().zip(d) {
        if *d <= reach {
            recheck.covered_weight += w;
        }
        recheck.weighted_distance += w * d.min(reach);
    }
    // Within reach, whatever the capacities: the re-measured figures must agree with the
    // solver's data.
    let reach_only = evaluate(&problem.without_capacities(), &solution.open);
    let tol = 1e-4 * reach_only.total_weight.max(1.0);
    if (recheck.covered_weight - reach_only.covered_weight).abs() > tol
        || (recheck.weighted_distance - reach_only.weighted_distance).abs()
            > 1e-4 * reach_only.weighted_distance.max(1.0)
    {
        return Err(ProposalError::Recheck(format!(
            "the solution covers {:.1} by the solver's data but {:.1} when measured again",
            reach_only.covered_weight, recheck.covered_weight
        )));
    }
    // With capacities: the allocation behind the objective is checked flow by flow.
    let e = &solution.evaluation;
    let allocation = problem
        .capacities
        .as_ref()
        .map(|_| capacitated::allocate(&problem, &solution.open, capacitated::Goal::Cover));
    if let Some(a) = &allocation {
        let cost = capacitated::check(&problem, &solution.open, a, capacitated::Goal::Cover)
            .map_err(|why| {
                ProposalError::Recheck(format!("the allocation is infeasible: {why}"))
            })?;
        let covered = evaluate(&problem, &[]).covered_weight - cost;
        if (covered - e.covered_weight).abs() > tol {
            return Err(ProposalError::Recheck(format!(
                "the allocation serves {covered:.1} but the solution states {:.1}",
                e.covered_weight
            )));
        }
    }

    // Priority order: the order in which to build the sites, each the one adding most given
    // the existing facilities and every higher-ranked site.
    let before = evaluate(&problem, &[]);
    let order = priority_order(&problem, &solution.open, model);
    let mut prev = before;
    let mut built: Vec<usize> = Vec::with_capacity(order.len());
    let mut ranked = Vec::with_capacity(order.len());
    for (rank, &j) in order.iter().enumerate() {
        built.push(j);
        let now = evaluate(&problem, &built);
        let position = solution.open.iter().position(|&o| o == j).unwrap_or(rank);
        let (capacity, served) = match (&problem.capacities, &allocation) {
            (Some(caps), Some(a)) => (
                Some(caps[j].is_finite().then_some(caps[j])),
                Some(a.served[position]),
            ),
            _ => (None, None),
        };
        ranked.push(RankedSite {
            rank: rank + 1,
            candidate: j,
            newly_covered: now.covered_weight - prev.covered_weight,
            distance_saved_person_m: prev.weighted_distance - now.weighted_distance,
            cumulative_covered: now.covered_weight,
            street: ctx.and_then(|c| {
                c.graph
                    .nearest_street_name(candidates[j].location.xy_m, STREET_NAME_WITHIN_M)
                    .map(str::to_string)
            }),
            capacity,
            served,
        });
        prev = now;
    }
    // The plan's figures after the proposal: every circle and indicator measured again with
    // the new sites (which carry no capacity figures: floor area and capacities count 0).
    let after_cov = coverage::measure(&after, &plan.circles, after_ctx.as_ref(), &|_| {});
    let after_ind = crate::indicators::compute(&after, &after_cov, &plan.standards, &[]);
    let before_after = before_after(
        study,
        &problem,
        &solution,
        allocation.as_ref(),
        &candidates,
        s.kind,
    );
    Ok(Proposal {
        kind: s.kind,
        circle: s.circle,
        reach_m: reach,
        method: circle.method,
        age_band: circle.age_band,
        candidates_from,
        pairs_within_reach: catchments.pairs(),
        covered_before: before.covered_weight,
        recheck,
        capacitated: allocation.is_some(),
        covered_after,
        ranked,
        before_after,
        after: After {
            study: after,
            coverage: after_cov,
            indicators: after_ind,
        },
        candidates,
        solution,
    })
}

/// The open sites in priority order: greedily, the site whose addition to the existing
/// facilities and the sites already ranked gains most (covering models: covered weight, then
/// distance saved; p-median: distance saved, then covered weight; ties by candidate index).
/// Uncapacitated problems are scored incrementally from each site's pairs; capacitated ones by
/// a full evaluation (their allocation interacts across sites).
fn priority_order(problem: &Problem, open: &[usize], model: Model) -> Vec<usize> {
    let by_distance = matches!(model, Model::PMedian { .. });
    let mut left: Vec<usize> = open.to_vec();
    left.sort_unstable();
    let mut order = Vec::with_capacity(open.len());
    let mut best_m = problem.existing_m.clone();
    let reach = problem.reach_m;
    while !left.is_empty() {
        let mut built = order.clone();
        let current = problem
            .capacities
            .as_ref()
            .map(|_| evaluate(problem, &order));
        let score = |j: usize, built: &mut Vec<usize>| -> (f64, f64) {
            match &current {
                Some(cur) => {
                    built.push(j);
                    let e = evaluate(problem, built);
                    built.pop();
                    (
                        e.covered_weight - cur.covered_weight,
                        cur.weighted_distance - e.weighted_distance,
                    )
                }
                None => {
                    let (mut cover, mut saved) = (0.0, 0.0);
                    for (i, d) in problem.pairs_of(j) {
                        let (w, b) = (problem.weights[i as usize], best_m[i as usize]);
                        if d < b {
                            if d <= reach && b > reach {
                                cover += w;
                            }
                            saved += w * (b.min(reach) - d.min(reach));
                        }
                    }
                    (cover, saved)
                }
            }
        };
        let mut pick = 0;
        let mut pick_key = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (k, &j) in left.iter().enumerate() {
            let (cover, saved) = score(j, &mut built);
            let key = if by_distance {
                (saved, cover)
            } else {
                (cover, saved)
            };
            // Strictly better only: ties go to the earlier candidate (`left` is sorted).
            let eps = 1e-9;
            let better = key.0 > pick_key.0 + eps
                || ((key.0 - pick_key.0).abs() <= eps && key.1 > pick_key.1 + eps);
            if better {
                pick = k;
                pick_key = key;
            }
        }
        let j = left.remove(pick);
        for (i, d) in problem.pairs_of(j) {
            if d < best_m[i as usize] {
                best_m[i as usize] = d;
            }
        }
        order.push(j);
    }
    order
}

/// Per sub-district and for the district: facilities of the kind and covered people before
/// and after the proposal.
fn before_after(
    study: &Study,
    problem: &Problem,
    solution: &Solution,
    allocation: Option<&capacitated::Allocation>,
    candidates: &[Candidate],
    kind: FacilityKind,
) -> Vec<BeforeAfterRow> {
    let before = &problem.existing_m;
    let mut after = before.clone();
    for &j in &solution.open {
        for (i, d) in problem.pairs_of(j) {
            after[i as usize] = after[i as usize].min(d);
        }
    }
    let n = study.subdistricts.len();
    // Index n is the district.
    let mut people = vec![0.0; n + 1];
    let mut cov = vec![(0.0, 0.0); n + 1];
    // With capacities: covered before plus what the new sites serve within capacity.
    let mut served = vec![0.0; n + 1];
    let mut served_new = vec![0.0; study.cells.len()];
    for &(i, _, amount) in allocation.map_or(&[][..], |a| &a.flows[..]) {
        served_new[i as usize] += amount;
    }
    let mut sites = vec![(0usize, 0usize); n + 1];
    for (i, c) in study.cells.iter().enumerate() {
        let w = problem.weights[i];
        for k in [c.subdistrict, Some(n)].into_iter().flatten() {
            people[k] += w;
            if before[i] <= problem.reach_m {
                cov[k].0 += w;
                served[k] += w;
            }
            served[k] += served_new[i];
            if after[i] <= problem.reach_m {
                cov[k].1 += w;
            }
        }
    }
    for f in study.facilities.iter().filter(|f| f.kind == kind) {
        for k in [f.subdistrict, Some(n)].into_iter().flatten() {
            sites[k].0 += 1;
        }
    }
    for &j in &solution.open {
        for k in [candidates[j].subdistrict, Some(n)].into_iter().flatten() {
            sites[k].1 += 1;
        }
    }
    (0..=n)
        .map(|k| BeforeAfterRow {
            subdistrict: (k < n).then_some(k),
            existing: sites[k].0,
            new: sites[k].1,
            people: people[k],
            covered_before: cov[k].0,
            covered_after: cov[k].1,
            served_after: allocation.is_some().then_some(served[k]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siting::SideConstraints;

    /// Three sites, reach 500 m, nobody covered today (existing at 10 km). Site 0 covers
    /// cells 0 and 1 (10 + 10 people), site 1 cells 1, 2, 3 (10 + 5 + 5), site 2 cell 4 (30).
    /// Built in priority order: site 2 (+30), then site 0 (+20, tying site 1's +20 alone but
    /// saving more distance), then site 1 (+10: cell 1 is already covered).
    #[test]
    fn priority_order_is_largest_marginal_gain_first() {
        let weights = vec![10.0, 10.0, 5.0, 5.0, 30.0];
        let existing = vec![10_000.0; 5];
        let pairs = vec![
            vec![(0, 100.0), (1, 100.0)],
            vec![(1, 400.0), (2, 400.0), (3, 400.0)],
            vec![(4, 200.0)],
        ];
        let problem =
            Problem::new(weights, existing, pairs, 500.0, SideConstraints::none(3)).unwrap();
        let order = priority_order(&problem, &[0, 1, 2], Model::MaxCover { p: 3 });
        assert_eq!(order, [2, 0, 1]);
        // p-median ranks by person·metres saved: site 2 saves 30 × 300 = 9000, site 0
        // 20 × 400 = 8000, site 1 20 × 100 = 2000 (then 10 × 100 + … after site 0).
        let order = priority_order(&problem, &[1, 0, 2], Model::PMedian { p: 3 });
        assert_eq!(order, [2, 0, 1]);
    }
}
