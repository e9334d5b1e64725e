//! Exact solution with the HiGHS MILP solver (cargo feature `highs`): the textbook
//! formulations over the sparse pairs (ReVelle & Swain 1970 for p-median, Church & ReVelle
//! 1974 for MCLP, Toregas et al. 1971 for LSCP), existing facilities as an always-open
//! option, and the same side constraints as the heuristic.

use highs::{ColProblem, HighsModelStatus, Row, Sense};

use super::{Model, Problem, SitingError, Solution};

/// Per-group rows (min..=max new sites) and the cardinality row, when `p` is fixed.
fn side_rows(pb: &mut ColProblem, problem: &Problem, p: Option<usize>) -> (Option<Row>, Vec<Row>) {
    let card = p.map(|p| pb.add_row(p as f64..=p as f64));
    let groups = (0..problem.group_count())
        .map(|g| {
            let lo = problem.min_per_group[g] as f64;
            let hi = problem.max_per_group[g].map_or(f64::INFINITY, |m| m as f64);
            pb.add_row(lo..=hi)
        })
        .collect();
    (card, groups)
}

fn site_bounds(problem: &Problem, j: usize) -> std::ops::RangeInclusive<f64> {
    if problem.excluded[j] {
        0.0..=0.0
    } else if problem.forced[j] {
        1.0..=1.0
    } else {
        0.0..=1.0
    }
}

/// Solves `model` to optimality with HiGHS (relative MIP gap 0).
pub fn solve(problem: &Problem, model: Model) -> Result<Solution, SitingError> {
    if problem.capacities.is_some() {
        return solve_capacitated(problem, model);
    }
    let n = problem.weights.len();
    let r = problem.reach_m;
    let mut pb = ColProblem::default();
    let (sense, p) = match model {
        Model::MaxCover { p } => (Sense::Maximise, Some(p)),
        Model::PMedian { p } => (Sense::Minimise, Some(p)),
        Model::SetCover { .. } => (Sense::Minimise, None),
    };
    if let Some(p) = p {
        problem.check_p(p)?;
    }
    let (card, groups) = side_rows(&mut pb, problem, p);
    let y_cost = if matches!(model, Model::SetCover { .. }) {
        1.0
    } else {
        0.0
    };
    match model {
        Model::MaxCover { .. } | Model::SetCover { .. } => {
            // z_i − Σ_{j covers i} y_j ≤ 0 for demand not covered by existing facilities.
            let open_i: Vec<bool> = problem.existing_m.iter().map(|&e| e > r).collect();
            let rows: Vec<Option<Row>> = open_i
                .iter()
                .map(|&o| o.then(|| pb.add_row(..=0.0)))
                .collect();
            let target = match model {
                Model::SetCover { share } => {
                    let total: f64 = problem.weights.iter().sum();
                    let need = share * (total - problem.uncoverable_weight())
                        - problem.covered_by_existing();
                    Some(pb.add_row(need - 1e-6 * total.max(1.0)..))
                }
                _ => None,
            };
            for j in 0..problem.candidates() {
                let mut f: Vec<(Row, f64)> = problem
                    .pairs_of(j)
                    .filter(|&(_, d)| d <= r)
                    .filter_map(|(i, _)| rows[i as usize].map(|row| (row, -1.0)))
                    .collect();
                f.extend(card.map(|c| (c, 1.0)));
                f.extend(problem.groups[j].map(|g| (groups[g], 1.0)));
                pb.add_integer_column(y_cost, site_bounds(problem, j), f);
            }
            for (i, row) in rows.iter().enumerate() {
                if let Some(row) = *row {
                    let w = problem.weights[i];
                    let cost = if matches!(model, Model::MaxCover { .. }) {
                        w
                    } else {
                        0.0
                    };
                    let mut f = vec![(row, 1.0)];
                    f.extend(target.map(|t| (t, w)));
                    pb.add_column(cost, 0.0..=1.0, f);
                }
            }
        }
        Model::PMedian { .. } => {
            // Σ_j x_ij + x_i0 = 1; x_ij − y_j ≤ 0; x_i0 is the existing facility or the cap.
            let assign: Vec<Row> = (0..n).map(|_| pb.add_row(1.0..=1.0)).collect();
            let links: Vec<Vec<Row>> = (0..problem.candidates())
                .map(|j| problem.pairs_of(j).map(|_| pb.add_row(..=0.0)).collect())
                .collect();
            for (j, link) in links.iter().enumerate() {
                let mut f: Vec<(Row, f64)> = link.iter().map(|&l| (l, -1.0)).collect();
                f.extend(card.map(|c| (c, 1.0)));
                f.extend(problem.groups[j].map(|g| (groups[g], 1.0)));
                pb.add_integer_column(0.0, site_bounds(problem, j), f);
            }
            for (j, link) in links.iter().enumerate() {
                for ((i, d), &l) in problem.pairs_of(j).zip(link) {
                    let w = problem.weights[i as usize];
                    pb.add_column(w * d, 0.0..=1.0, [(assign[i as usize], 1.0), (l, 1.0)]);
                }
            }
            for (i, &row) in assign.iter().enumerate() {
                let base = problem.existing_m[i].min(r);
                if base.is_finite() {
                    pb.add_column(problem.weights[i] * base, 0.0..=1.0, [(row, 1.0)]);
                }
            }
        }
    }
    let (columns, value) = optimise(pb, sense, p)?;
    let open: Vec<usize> = (0..problem.candidates())
        .filter(|&j| columns[j] > 0.5)
        .collect();
    Ok(optimal(problem, model, open, value))
}

/// Runs HiGHS to optimality and returns the column values and the objective value.
fn optimise(
    pb: ColProblem,
    sense: Sense,
    p: Option<usize>,
) -> Result<(Vec<f64>, f64), SitingError> {
    let mut m = pb.optimise(sense);
    m.make_quiet();
    m.set_option("mip_rel_gap", 0.0);
    m.set_option("mip_abs_gap", 1e-9);
    let solved = m.solve();
    if solved.status() != HighsModelStatus::Optimal {
        return Err(SitingError::Infeasible {
            p: p.unwrap_or(0),
            why: format!("HiGHS ends with status {:?}", solved.status()),
        });
    }
    Ok((
        solved.get_solution().columns().to_vec(),
        solved.objective_value(),
    ))
}

/// The solution `open`, re-evaluated from the data (with capacities, by the exact
/// allocation). The bound is HiGHS's own optimal value, so the gap states how far the
/// independent re-evaluation is from what the solver proved (0 when they agree).
fn optimal(problem: &Problem, model: Model, open: Vec<usize>, highs_value: f64) -> Solution {
    // The MCLP formulations count only demand that existing facilities leave uncovered.
    let covered_now = problem.covered_by_existing();
    let bound = match model {
        Model::SetCover { .. } => highs_value.round(),
        Model::MaxCover { .. } => highs_value + covered_now,
        Model::PMedian { .. } => highs_value,
    };
    super::finish(
        problem,
        model,
        open,
        bound,
        "HiGHS MILP, optimal (relative MIP gap 0)".into(),
    )
}

/// Capacitated formulations: x_ij ∈ [0, 1] is the share of demand i served by new site j;
/// Σ_i w_i x_ij ≤ C_j y_j; x_ij ≤ y_j (a tighter relaxation); existing facilities keep
/// serving what they reach. MCLP maximises Σ w_i x_ij over demand no existing facility
/// covers (Σ_j x_ij ≤ 1); p-median minimises Σ w_i d_ij x_ij + w_i·base_i·x_i0 with
/// Σ_j x_ij + x_i0 = 1; LSCP minimises Σ y_j with the served weight at least the target.
fn solve_capacitated(problem: &Problem, model: Model) -> Result<Solution, SitingError> {
    let caps = problem.capacities.as_ref().expect("capacitated");
    let n = problem.weights.len();
    let r = problem.reach_m;
    let mut pb = ColProblem::default();
    let (sense, p) = match model {
        Model::MaxCover { p } => (Sense::Maximise, Some(p)),
        Model::PMedian { p } => (Sense::Minimise, Some(p)),
        Model::SetCover { .. } => (Sense::Minimise, None),
    };
    if let Some(p) = p {
        problem.check_p(p)?;
    }
    if !r.is_finite() {
        return Err(SitingError::Infeasible {
            p: p.unwrap_or(0),
            why: "capacitated models need a finite reach".into(),
        });
    }
    let (card, groups) = side_rows(&mut pb, problem, p);
    let distance = matches!(model, Model::PMedian { .. });
    // Which (candidate, demand) pairs may carry flow.
    let usable = |i: usize, d: f64| {
        if distance {
            d < problem.existing_m[i].min(r)
        } else {
            problem.existing_m[i] > r && d <= r
        }
    };
    let demand_rows: Vec<Row> = (0..n)
        .map(|_| {
            if distance {
                pb.add_row(1.0..=1.0)
            } else {
                pb.add_row(..=1.0)
            }
        })
        .collect();
    let cap_rows: Vec<Row> = (0..problem.candidates())
        .map(|_| pb.add_row(..=0.0))
        .collect();
    let target = match model {
        Model::SetCover { share } => {
            let total: f64 = problem.weights.iter().sum();
            let need =
                share * (total - problem.uncoverable_weight()) - problem.covered_by_existing();
            Some(pb.add_row(need - 1e-6 * total.max(1.0)..))
        }
        _ => None,
    };
    let links: Vec<Vec<Option<Row>>> = (0..problem.candidates())
        .map(|j| {
            problem
                .pairs_of(j)
                .map(|(i, d)| usable(i as usize, d).then(|| pb.add_row(..=0.0)))
                .collect()
        })
        .collect();
    for j in 0..problem.candidates() {
        let cap = if caps[j].is_finite() {
            caps[j]
        } else {
            problem.weights.iter().sum::<f64>()
        };
        let mut f: Vec<(Row, f64)> = vec![(cap_rows[j], -cap)];
        f.extend(links[j].iter().flatten().map(|&l| (l, -1.0)));
        f.extend(card.map(|c| (c, 1.0)));
        f.extend(problem.groups[j].map(|g| (groups[g], 1.0)));
        let cost = if matches!(model, Model::SetCover { .. }) {
            1.0
        } else {
            0.0
        };
        pb.add_integer_column(cost, site_bounds(problem, j), f);
    }
    for j in 0..problem.candidates() {
        for (k, (i, d)) in problem.pairs_of(j).enumerate() {
            let Some(link) = links[j][k] else { continue };
            let w = problem.weights[i as usize];
            let cost = match model {
                Model::MaxCover { .. } => w,
                Model::PMedian { .. } => w * d,
                Model::SetCover { .. } => 0.0,
            };
            let mut f = vec![
                (demand_rows[i as usize], 1.0),
                (cap_rows[j], w),
                (link, 1.0),
            ];
            f.extend(target.map(|t| (t, w)));
            pb.add_column(cost, 0.0..=1.0, f);
        }
    }
    if distance {
        for (i, &row) in demand_rows.iter().enumerate() {
            let base = problem.existing_m[i].min(r);
            pb.add_column(problem.weights[i] * base, 0.0..=1.0, [(row, 1.0)]);
        }
    }
    let (columns, value) = optimise(pb, sense, p)?;
    let open: Vec<usize> = (0..problem.candidates())
        .filter(|&j| columns[j] > 0.5)
        .collect();
    Ok(optimal(problem, model, open, value))
}
