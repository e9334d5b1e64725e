//! The siting stage of a run: candidates, the location-allocation instance, the solution,
//! its independent re-check, and the proposal's outputs (proposed sites, before/after
//! table). Part of the application layer, like [`crate::pipeline`].

use std::path::{Path, PathBuf};

use geo::Coord;
use serde_json::{json, Value};

use crate::coverage::{self, Coverage, NetworkContext};
use crate::crs::Projection;
use crate::io::layers::read_candidates;
use crate::io::output::{point_json, write_csv, write_feature_collection, Field, Record};
use crate::model::{Candidate, Capacity, Facility, Location, Study};
use crate::pipeline::{write_step, RunError};
use crate::plan::{Plan, Siting, SitingModel};
use crate::siting::study_problem::{build_problem, generate_candidates};
use crate::siting::{capacitated, evaluate, solve, Model, Solution};
use crate::standards::Method;
use crate::study::AreaIndex;

/// What the siting stage produced.
#[derive(Debug)]
pub struct Proposal {
    pub candidates: Vec<Candidate>,
    pub solution: Solution,
    /// Objective re-measured by running the coverage step again with the new sites added.
    pub recheck: RecheckFigures,
    /// Per cell: within reach of the kind once the new sites are open (the circle's method).
    pub covered_after: Vec<bool>,
    /// The plan's indicator tables after the proposal (indicators_after.md).
    pub after_markdown: String,
    pub summary: Value,
    pub files: Vec<PathBuf>,
}

/// Covered people and capped weighted distance, measured afresh with the new sites.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecheckFigures {
    pub covered_weight: f64,
    pub weighted_distance: f64,
}

fn candidates(
    s: &Siting,
    study: &Study,
    projection: &Projection,
    ctx: Option<&NetworkContext>,
) -> Result<Vec<Candidate>, RunError> {
    if let Some(layer) = &s.candidates {
        let index = AreaIndex::new(&study.subdistricts);
        return read_candidates(layer)?
            .into_iter()
            .map(|c| {
                let (x, y) = projection.from_wgs84(c.lon_lat.x, c.lon_lat.y)?;
                let xy_m = Coord { x, y };
                Ok(Candidate {
                    id: c.id,
                    location: Location {
                        lon_lat: c.lon_lat,
                        xy_m,
                    },
                    subdistrict: index.area_of(xy_m),
                    capacity: c.capacity,
                })
            })
            .collect();
    }
    let points: Vec<Location> = match ctx {
        Some(ctx) => ctx
            .graph
            .lon_lat
            .iter()
            .zip(&ctx.graph.xy_m)
            .map(|(&lon_lat, &xy_m)| Location { lon_lat, xy_m })
            .collect(),
        None => study
            .cells
            .iter()
            .filter(|c| c.counts.residents > 0.0)
            .map(|c| c.location)
            .collect(),
    };
    Ok(generate_candidates(study, &points, s.candidate_spacing_m))
}

/// Runs the siting stage and writes its outputs into `out_dir`.
pub fn propose(
    plan: &Plan,
    study: &Study,
    coverage: &Coverage,
    ctx: Option<&NetworkContext>,
    projection: &Projection,
    out_dir: &Path,
) -> Result<Proposal, RunError> {
    let s = plan.siting.as_ref().expect("siting configured");
    let circle = &plan.circles[s.circle];
    let candidates = candidates(s, study, projection, ctx)?;
    let catchments = match (circle.method, ctx) {
        (Method::Network, Some(ctx)) => {
            let snaps: Vec<_> = candidates
                .iter()
                .map(|c| ctx.graph.snap(c.location.xy_m, ctx.max_snap_m))
                .collect();
            coverage::catchments_network(ctx, &snaps, circle.radius_m())
        }
        _ => {
            let cells: Vec<[f64; 2]> = study
                .cells
                .iter()
                .map(|c| [c.location.xy_m.x, c.location.xy_m.y])
                .collect();
            let sites: Vec<[f64; 2]> = candidates
                .iter()
                .map(|c| [c.location.xy_m.x, c.location.xy_m.y])
                .collect();
            coverage::catchments_straight_line(&cells, &sites, circle.radius_m())
        }
    };
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
    );
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
        _ => solve(&problem, model, s.node_limit),
    }
    .map_err(RunError::Siting)?;

    // Independent re-check: add the sites as facilities and measure the circle's kind again.
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
        });
    }
    let mut only = circle.clone();
    only.kinds = vec![s.kind];
    let after_ctx = ctx.map(|c| NetworkContext::new(c.graph, &after, c.max_snap_m));
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
        return Err(RunError::Recheck(format!(
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
            .map_err(|why| RunError::Recheck(format!("the allocation is infeasible: {why}")))?;
        let covered = evaluate(&problem, &[]).covered_weight - cost;
        if (covered - e.covered_weight).abs() > tol {
            return Err(RunError::Recheck(format!(
                "the allocation serves {covered:.1} but the solution states {:.1}",
                e.covered_weight
            )));
        }
    }

    // Rank order: marginal gains as the sites are added one by one.
    let mut rows = Vec::new();
    let mut prev = evaluate(&problem, &[]);
    for (rank, &j) in solution.open.iter().enumerate() {
        let now = evaluate(&problem, &solution.open[..=rank]);
        let c = &candidates[j];
        let record: Record = vec![
            ("rank".into(), Field::Num((rank + 1) as f64, 0)),
            ("id".into(), Field::Text(c.id.clone())),
            ("kind".into(), Field::Text(s.kind.id().into())),
            (
                "subdistrict".into(),
                c.subdistrict.map_or(Field::Null, |k| {
                    Field::Text(study.subdistricts[k].name.clone())
                }),
            ),
            (
                "newly_covered".into(),
                Field::Num(now.covered_weight - prev.covered_weight, 1),
            ),
            (
                "distance_saved_person_m".into(),
                Field::Num(prev.weighted_distance - now.weighted_distance, 0),
            ),
            ("circle".into(), Field::Text(circle.name.clone())),
        ];
        let mut record = record;
        if let (Some(caps), Some(a)) = (&problem.capacities, &allocation) {
            let cap = caps[j];
            record.push((
                "capacity".into(),
                if cap.is_finite() {
                    Field::Num(cap, 1)
                } else {
                    Field::Null
                },
            ));
            record.push(("served".into(), Field::Num(a.served[rank], 1)));
        }
        rows.push((point_json(c.location.lon_lat), record));
        prev = now;
    }
    let mut files = Vec::new();
    write_step(
        out_dir,
        "proposed_sites.geojson",
        &|p| write_feature_collection(p, rows.clone().into_iter()),
        &mut files,
    )?;
    // The plan's figures after the proposal: every circle and indicator measured again with
    // the new sites (which carry no capacity figures: floor area and capacities count 0).
    let after_cov = coverage::measure(&after, &plan.circles, after_ctx.as_ref(), &|_| {});
    let after_ind = crate::indicators::compute(&after, &after_cov, &plan.standards, &[]);
    let title = format!("{} — after the proposal", plan.name);
    let md = crate::io::tables::markdown(&title, &after_ind, &after_cov);
    write_step(
        out_dir,
        "indicators_after.md",
        &|p| crate::io::tables::write_text(p, &md),
        &mut files,
    )?;
    let long = crate::io::tables::indicator_records(&after_ind, &after_cov, &[]);
    write_step(
        out_dir,
        "indicators_after.csv",
        &|p| write_csv(p, &long),
        &mut files,
    )?;
    let district_after: Vec<Value> = after_ind
        .district
        .provision
        .iter()
        .map(|i| json!({"indicator": i.key, "value": i.value, "target": i.target, "gap": i.gap, "met": i.met}))
        .chain(after_ind.district.circles.iter().map(|c| {
            json!({"indicator": format!("coverage_{}", c.circle), "value": c.share()})
        }))
        .collect();
    let table = before_after(
        study,
        &problem,
        &solution,
        allocation.as_ref(),
        &candidates,
        s,
    );
    write_step(
        out_dir,
        "siting_before_after.csv",
        &|p| write_csv(p, &table),
        &mut files,
    )?;

    let summary = json!({
        "model": solution.model.to_string(),
        "kind": s.kind.id(),
        "circle": circle.name,
        "reach_m": reach,
        "method": circle.method.to_string(),
        "age_band": circle.age_band.to_string(),
        "candidates": candidates.len(),
        "candidates_from": if s.candidates.is_some() { "layer" } else { "generated" },
        "pairs_within_reach": catchments.pairs(),
        "new_sites": solution.open.len(),
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "solved_by": solution.method,
        "covered_before": evaluate(&problem, &[]).covered_weight,
        "covered_after": recheck.covered_weight,
        "people": e.total_weight,
        "recheck": if allocation.is_some() {
            "coverage measured again with the new sites added: agrees; allocation within capacities checked flow by flow"
        } else {
            "coverage measured again with the new sites added: agrees"
        },
        "capacity_per_site": s.capacity_per_site,
        "served_by_new_sites": solution.served.as_ref().map(|v| v.iter().sum::<f64>()),
        "min_per_subdistrict": s.min_per_subdistrict,
        "max_per_subdistrict": s.max_per_subdistrict,
        "district_after": district_after,
    });
    Ok(Proposal {
        candidates,
        solution,
        recheck,
        covered_after,
        after_markdown: md,
        summary,
        files,
    })
}

/// Per sub-district and for the district: facilities of the kind and covered people before
/// and after the proposal.
fn before_after(
    study: &Study,
    problem: &crate::siting::Problem,
    solution: &Solution,
    allocation: Option<&capacitated::Allocation>,
    candidates: &[Candidate],
    s: &Siting,
) -> Vec<Record> {
    let before = problem.existing_m.clone();
    let mut after = before.clone();
    for &j in &solution.open {
        for &(i, d) in &problem.pairs[j] {
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
    for f in study.facilities.iter().filter(|f| f.kind == s.kind) {
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
        .map(|k| {
            let (id, name) = if k == n {
                (
                    "district".to_string(),
                    "全区 (whole study area)".to_string(),
                )
            } else {
                (
                    study.subdistricts[k].id.clone(),
                    study.subdistricts[k].name.clone(),
                )
            };
            let share = |x: f64| (people[k] > 0.0).then(|| x / people[k]);
            let opt = |v: Option<f64>| v.map_or(Field::Null, |v| Field::Num(v, 4));
            vec![
                ("id".into(), Field::Text(id)),
                ("name".into(), Field::Text(name)),
                (
                    format!("{}_existing", s.kind.id()),
                    Field::Num(sites[k].0 as f64, 0),
                ),
                (
                    format!("{}_new", s.kind.id()),
                    Field::Num(sites[k].1 as f64, 0),
                ),
                (
                    format!("{}_after", s.kind.id()),
                    Field::Num((sites[k].0 + sites[k].1) as f64, 0),
                ),
                ("people".into(), Field::Num(people[k], 1)),
                ("covered_before".into(), Field::Num(cov[k].0, 1)),
                ("covered_after".into(), Field::Num(cov[k].1, 1)),
                ("share_before".into(), opt(share(cov[k].0))),
                ("share_after".into(), opt(share(cov[k].1))),
            ]
            .into_iter()
            .chain(
                allocation
                    .is_some()
                    .then(|| {
                        [
                            ("served_after".into(), Field::Num(served[k], 1)),
                            ("share_served_after".into(), opt(share(served[k]))),
                        ]
                    })
                    .into_iter()
                    .flatten(),
            )
            .collect()
        })
        .collect()
}
