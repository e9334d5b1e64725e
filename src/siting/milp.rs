//! Exact solution with the HiGHS MILP solver (cargo feature `highs`): the textbook
//! formulations over the sparse pairs (ReVelle & Swain 1970 for p-median, Church & ReVelle
//! 1974 for MCLP, Toregas et al. 1971 for LSCP), existing facilities as an always-open
//! option, and the same side constraints as the heuristic.

use highs::{ColProblem, HighsModelStatus, Row, Sense};

use super::{evaluate, Model, Problem, SitingError, Solution};

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
                    let already: f64 = problem
                        .weights
                        .iter()
                        .zip(&open_i)
                        .filter(|(_, &o)| !o)
                        .map(|(w, _)| w)
                        .sum();
                    let need = share * (total - problem.uncoverable_weight()) - already;
                    Some(pb.add_row(need - 1e-6 * total.max(1.0)..))
                }
                _ => None,
            };
            for j in 0..problem.candidates() {
                let mut f: Vec<(Row, f64)> = problem.pairs[j]
                    .iter()
                    .filter(|&&(_, d)| d <= r)
                    .filter_map(|&(i, _)| rows[i as usize].map(|row| (row, -1.0)))
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
            let links: Vec<Vec<Row>> = problem
                .pairs
                .iter()
                .map(|pairs| pairs.iter().map(|_| pb.add_row(..=0.0)).collect())
                .collect();
            for (j, link) in links.iter().enumerate() {
                let mut f: Vec<(Row, f64)> = link.iter().map(|&l| (l, -1.0)).collect();
                f.extend(card.map(|c| (c, 1.0)));
                f.extend(problem.groups[j].map(|g| (groups[g], 1.0)));
                pb.add_integer_column(0.0, site_bounds(problem, j), f);
            }
            for (j, pairs) in problem.pairs.iter().enumerate() {
                for (k, &(i, d)) in pairs.iter().enumerate() {
                    let w = problem.weights[i as usize];
                    pb.add_column(
                        w * d,
                        0.0..=1.0,
                        [(assign[i as usize], 1.0), (links[j][k], 1.0)],
                    );
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
    let columns = solved.get_solution().columns().to_vec();
    let open: Vec<usize> = (0..problem.candidates())
        .filter(|&j| columns[j] > 0.5)
        .collect();
    let evaluation = evaluate(problem, &open);
    let objective = match model {
        Model::MaxCover { .. } => evaluation.covered_weight,
        Model::SetCover { .. } => open.len() as f64,
        Model::PMedian { .. } => evaluation.weighted_distance,
    };
    Ok(Solution {
        model,
        open,
        objective,
        bound: objective,
        gap: 0.0,
        method: "HiGHS MILP, optimal (relative MIP gap 0)".into(),
        evaluation,
    })
}
