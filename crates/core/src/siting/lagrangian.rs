//! Lagrangian relaxation bounds and a branch and bound on them.
//!
//! p-median: the assignment constraints are relaxed with multipliers u (Cornuéjols, Fisher
//! & Nemhauser 1977); the relaxed problem picks the p candidates with the most negative
//! ρ_j = Σ_i min(0, w_i d_ij − u_i) and gives a lower bound. MCLP: the coverage constraints
//! are relaxed with multipliers λ ≥ 0 (Galvão & ReVelle 1996); the relaxed problem picks the
//! p candidates with the largest Σ λ_i over the demand they reach and gives an upper bound.
//! Multipliers follow subgradient steps. The relaxed site choice is itself a feasible
//! solution and is evaluated as one. Branching fixes candidates open or closed.
//!
//! Uncapacitated MCLP and LSCP are solved on a merged instance in `cover` instead (a stronger
//! bound, reduced-cost fixing); the MCLP relaxation here still bounds the capacitated MCLP.

use rayon::prelude::*;

use super::Stop;
use super::{evaluate, Model, Problem};

/// Site choice of the relaxed problem: the `p` candidates with the largest `value`, within
/// the fixings and the group constraints (forced and fixed-open first, then each group's
/// minimum, then the best overall within the group maximums). `None` when infeasible.
pub(super) fn select(
    problem: &Problem,
    value: &[f64],
    p: usize,
    fixed: &[Option<bool>],
) -> Option<Vec<usize>> {
    let mut open: Vec<usize> = (0..problem.candidates())
        .filter(|&j| problem.forced[j] || fixed[j] == Some(true))
        .collect();
    if open.len() > p
        || open
            .iter()
            .any(|&j| problem.excluded[j] || fixed[j] == Some(false))
    {
        return None;
    }
    let mut per = vec![0usize; problem.group_count()];
    for &j in &open {
        if let Some(g) = problem.groups[j] {
            per[g] += 1;
        }
    }
    let mut order: Vec<usize> = (0..problem.candidates())
        .filter(|&j| !problem.excluded[j] && fixed[j].is_none() && !problem.forced[j])
        .collect();
    order.sort_by(|&a, &b| value[b].total_cmp(&value[a]).then(a.cmp(&b)));
    let mut taken = vec![false; problem.candidates()];
    for (g, count) in per.iter_mut().enumerate() {
        let min = problem.min_per_group[g];
        for &j in &order {
            if *count >= min {
                break;
            }
            if problem.groups[j] == Some(g) && !taken[j] {
                taken[j] = true;
                open.push(j);
                *count += 1;
            }
        }
        if *count < min {
            return None;
        }
    }
    for &j in &order {
        if open.len() >= p {
            break;
        }
        if taken[j] {
            continue;
        }
        if let Some(g) = problem.groups[j] {
            if problem.max_per_group[g].is_some_and(|m| per[g] >= m) {
                continue;
            }
            per[g] += 1;
        }
        taken[j] = true;
        open.push(j);
    }
    (open.len() == p && problem.feasible(&open).is_ok()).then_some(open)
}

/// Multipliers and the best bound found with them.
#[derive(Clone)]
struct Relaxation {
    mult: Vec<f64>,
}

fn pmedian_base(problem: &Problem) -> Vec<f64> {
    problem
        .existing_m
        .iter()
        .map(|&e| e.min(problem.reach_m))
        .collect()
}

/// One p-median Lagrangian evaluation: (bound, relaxed site choice, subgradient).
fn pmedian_eval(
    problem: &Problem,
    base: &[f64],
    u: &[f64],
    p: usize,
    fixed: &[Option<bool>],
) -> Option<(f64, Vec<usize>, Vec<f64>)> {
    let w = &problem.weights;
    let mut bound = 0.0;
    let mut g = vec![1.0; w.len()];
    for i in 0..w.len() {
        bound += u[i];
        let r = w[i] * base[i] - u[i];
        if r < 0.0 {
            bound += r;
            g[i] -= 1.0;
        }
    }
    let rho: Vec<f64> = (0..problem.candidates())
        .into_par_iter()
        .map(|j| {
            problem
                .pairs_of(j)
                .map(|(i, d)| (w[i as usize] * d - u[i as usize]).min(0.0))
                .sum()
        })
        .collect();
    let neg: Vec<f64> = rho.iter().map(|r| -r).collect();
    let y = select(problem, &neg, p, fixed)?;
    for &j in &y {
        bound += rho[j];
        for (i, d) in problem.pairs_of(j) {
            if w[i as usize] * d - u[i as usize] < 0.0 {
                g[i as usize] -= 1.0;
            }
        }
    }
    Some((bound, y, g))
}

/// One MCLP Lagrangian evaluation: (upper bound, relaxed site choice, subgradient of the
/// bound with respect to λ).
fn mclp_eval(
    problem: &Problem,
    lambda: &[f64],
    p: usize,
    fixed: &[Option<bool>],
) -> Option<(f64, Vec<usize>, Vec<f64>)> {
    let w = &problem.weights;
    let r = problem.reach_m;
    let mut bound = 0.0;
    let mut s = vec![0.0; w.len()];
    for i in 0..w.len() {
        if problem.existing_m[i] <= r {
            bound += w[i];
        } else if w[i] > lambda[i] {
            bound += w[i] - lambda[i];
            s[i] -= 1.0;
        }
    }
    let c: Vec<f64> = (0..problem.candidates())
        .into_par_iter()
        .map(|j| {
            problem
                .pairs_of(j)
                .filter(|&(i, d)| d <= r && problem.existing_m[i as usize] > r)
                .map(|(i, _)| lambda[i as usize])
                .sum()
        })
        .collect();
    let y = select(problem, &c, p, fixed)?;
    for &j in &y {
        bound += c[j];
        for (i, d) in problem.pairs_of(j) {
            if d <= r && problem.existing_m[i as usize] > r {
                s[i as usize] += 1.0;
            }
        }
    }
    Some((bound, y, s))
}

/// Subgradient optimisation of the bound. `incumbent` is the best known objective (for the
/// step size) and is improved with the relaxed site choices. Returns the best bound and the
/// relaxed site choice at it; `None` when the fixings are infeasible.
#[allow(clippy::too_many_arguments)] // each is one input of the step; a struct would only rename them
fn optimise(
    problem: &Problem,
    model: Model,
    p: usize,
    fixed: &[Option<bool>],
    relax: &mut Relaxation,
    incumbent: &mut (f64, Vec<usize>),
    iterations: usize,
    stop: Stop,
) -> Option<(f64, Vec<usize>)> {
    let minimise = matches!(model, Model::PMedian { .. });
    let base = pmedian_base(problem);
    let better = |a: f64, b: f64| if minimise { a < b } else { a > b };
    let mut best_bound = if minimise {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    let mut best_mult = relax.mult.clone();
    let mut best_y = Vec::new();
    let mut theta = 2.0;
    let mut stale = 0;
    for it in 0..iterations {
        // The time limit: the best bound so far stands (any bound is valid).
        if it % 16 == 15 && stop() {
            break;
        }
        let (bound, y, g) = if minimise {
            pmedian_eval(problem, &base, &relax.mult, p, fixed)?
        } else {
            mclp_eval(problem, &relax.mult, p, fixed)?
        };
        let e = evaluate(problem, &y);
        let value = if minimise {
            e.weighted_distance
        } else {
            e.covered_weight
        };
        if better(value, incumbent.0) {
            *incumbent = (value, y.clone());
        }
        let improved = if minimise {
            bound > best_bound
        } else {
            bound < best_bound
        };
        if improved {
            best_bound = bound;
            best_mult.clone_from(&relax.mult);
            best_y = y;
            stale = 0;
        } else {
            stale += 1;
            if stale >= 10 {
                theta /= 2.0;
                stale = 0;
            }
        }
        let gap = (incumbent.0 - bound).abs();
        let norm: f64 = g.iter().map(|x| x * x).sum();
        if gap <= 1e-9 * incumbent.0.abs().max(1.0) || norm == 0.0 || theta < 1e-3 {
            break;
        }
        let step = theta * gap / norm;
        for (m, gi) in relax.mult.iter_mut().zip(&g) {
            if minimise {
                *m += step * gi;
            } else {
                *m = (*m - step * gi).max(0.0);
            }
        }
    }
    relax.mult = best_mult;
    Some((best_bound, best_y))
}

fn initial(problem: &Problem, model: Model) -> Relaxation {
    let w = &problem.weights;
    let mult = match model {
        Model::PMedian { .. } => {
            let mut nearest = pmedian_base(problem);
            for j in 0..problem.candidates() {
                for (i, d) in problem.pairs_of(j) {
                    nearest[i as usize] = nearest[i as usize].min(d);
                }
            }
            w.iter()
                .zip(&nearest)
                .map(|(w, d)| if d.is_finite() { w * d } else { 0.0 })
                .collect()
        }
        _ => w.clone(),
    };
    Relaxation { mult }
}

/// Whether all weights and distances are integers, so that objectives are too.
fn integral(problem: &Problem) -> bool {
    let int = |x: f64| !x.is_finite() || x.fract() == 0.0;
    problem.weights.iter().all(|&w| int(w))
        && (0..problem.candidates()).all(|j| problem.pairs_of(j).all(|(_, d)| int(d)))
        && problem.existing_m.iter().all(|&d| int(d))
        && int(problem.reach_m)
}

/// Proves (or bounds) a heuristic solution: Lagrangian bound at the root, then depth-first
/// branch and bound within `node_limit` nodes, until `stop` says the time is up. Returns the
/// best sites found (in their original order where unchanged), the proven bound, and a
/// description of the method.
pub fn prove(
    problem: &Problem,
    model: Model,
    p: usize,
    open: Vec<usize>,
    node_limit: usize,
    stop: Stop,
) -> (Vec<usize>, f64, String) {
    let minimise = matches!(model, Model::PMedian { .. });
    let e = evaluate(problem, &open);
    let start = if minimise {
        e.weighted_distance
    } else {
        e.covered_weight
    };
    let mut incumbent = (start, open.clone());
    let integral = integral(problem);
    // The bound rounded to the objective's integrality.
    let tight = |b: f64| {
        if !integral {
            b
        } else if minimise {
            (b - 1e-6).ceil()
        } else {
            (b + 1e-6).floor()
        }
    };
    let closes = |bound: f64, best: f64| {
        let t = tight(bound);
        if minimise {
            t >= best - 1e-9 * best.abs().max(1.0)
        } else {
            t <= best + 1e-9 * best.abs().max(1.0)
        }
    };
    let mut root = initial(problem, model);
    let fixed = vec![None; problem.candidates()];
    let Some((root_bound, _)) = optimise(
        problem,
        model,
        p,
        &fixed,
        &mut root,
        &mut incumbent,
        3000,
        stop,
    ) else {
        return (
            open,
            start,
            "greedy + interchange (constraints admit no relaxation)".into(),
        );
    };
    let root_bound = tight(root_bound);
    let finish = |incumbent: (f64, Vec<usize>), bound: f64, how: String| {
        let sites =
            if incumbent.1.iter().all(|j| open.contains(j)) && incumbent.1.len() == open.len() {
                open.clone()
            } else {
                incumbent.1
            };
        (sites, bound, how)
    };
    if closes(root_bound, incumbent.0) {
        return finish(
            incumbent.clone(),
            incumbent.0,
            "greedy + interchange, proven optimal by the Lagrangian bound".into(),
        );
    }
    // Depth-first branch and bound.
    let mut nodes = 0usize;
    let mut stack: Vec<(Vec<Option<bool>>, Relaxation)> = vec![(fixed, root.clone())];
    let mut complete = true;
    let mut timed_out = false;
    while let Some((fixed, mut relax)) = stack.pop() {
        if nodes >= node_limit {
            complete = false;
            break;
        }
        if stop() {
            complete = false;
            timed_out = true;
            break;
        }
        nodes += 1;
        let fixed_open = (0..problem.candidates())
            .filter(|&j| problem.forced[j] || fixed[j] == Some(true))
            .count();
        if fixed_open == p {
            // A leaf: the sites are decided; evaluate them exactly.
            let sites: Vec<usize> = (0..problem.candidates())
                .filter(|&j| problem.forced[j] || fixed[j] == Some(true))
                .collect();
            if problem.feasible(&sites).is_ok() {
                let e = evaluate(problem, &sites);
                let v = if minimise {
                    e.weighted_distance
                } else {
                    e.covered_weight
                };
                if (minimise && v < incumbent.0) || (!minimise && v > incumbent.0) {
                    incumbent = (v, sites);
                }
            }
            continue;
        }
        let Some((bound, y)) = optimise(
            problem,
            model,
            p,
            &fixed,
            &mut relax,
            &mut incumbent,
            250,
            stop,
        ) else {
            continue;
        };
        if closes(bound, incumbent.0) {
            continue;
        }
        // Branch on the first free candidate of the relaxed choice, else the first free one.
        let free = |j: &usize| fixed[*j].is_none() && !problem.forced[*j] && !problem.excluded[*j];
        let Some(j) = y
            .iter()
            .copied()
            .find(free)
            .or_else(|| (0..problem.candidates()).find(free))
        else {
            continue;
        };
        let mut closed = fixed.clone();
        closed[j] = Some(false);
        let mut opened = fixed;
        opened[j] = Some(true);
        stack.push((closed, relax.clone()));
        stack.push((opened, relax));
    }
    if complete {
        let best = incumbent.0;
        return finish(
            incumbent,
            best,
            format!("greedy + interchange, proven optimal by Lagrangian branch and bound ({nodes} nodes)"),
        );
    }
    let why = if timed_out {
        "the time limit"
    } else {
        "the node limit"
    };
    finish(
        incumbent,
        root_bound,
        format!(
            "greedy + interchange; Lagrangian bound (branch and bound stopped by {why} at {nodes} nodes)"
        ),
    )
}
