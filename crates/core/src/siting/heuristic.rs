//! Greedy construction and swap interchange (Teitz–Bart vertex substitution) for MCLP and
//! p-median, and greedy + drop for set covering. All moves respect the side constraints.

use super::Stop;
use super::{Model, Problem, SitingError};

const NONE: u32 = u32::MAX;

/// The value a demand point contributes given its distance to the nearest open site: covered
/// weight for MCLP, minus the capped weighted distance for p-median (both maximised).
fn score(model: Model, reach_m: f64, w: f64, d: f64) -> f64 {
    match model {
        Model::PMedian { .. } => -w * d.min(reach_m),
        _ => {
            if d <= reach_m {
                w
            } else {
                0.0
            }
        }
    }
}

/// Nearest and second-nearest open site per demand point (existing facilities count as
/// an always-open site with owner `NONE`).
struct State {
    best1: Vec<f64>,
    owner1: Vec<u32>,
    best2: Vec<f64>,
}

fn state(problem: &Problem, open: &[usize]) -> State {
    let n = problem.weights.len();
    let mut s = State {
        best1: problem.existing_m.clone(),
        owner1: vec![NONE; n],
        best2: vec![f64::INFINITY; n],
    };
    for &j in open {
        for (i, d) in problem.pairs_of(j) {
            let i = i as usize;
            if d < s.best1[i] {
                s.best2[i] = s.best1[i];
                s.best1[i] = d;
                s.owner1[i] = j as u32;
            } else if d < s.best2[i] {
                s.best2[i] = d;
            }
        }
    }
    s
}

fn total(problem: &Problem, model: Model, best: &[f64]) -> f64 {
    problem
        .weights
        .iter()
        .zip(best)
        .map(|(&w, &d)| score(model, problem.reach_m, w, d))
        .sum()
}

/// Gain of adding candidate `k` when each demand point's current distance is `current(i)`.
fn gain(problem: &Problem, model: Model, k: usize, current: impl Fn(usize) -> f64) -> f64 {
    problem
        .pairs_of(k)
        .map(|(i, d)| {
            let (w, c) = (problem.weights[i as usize], current(i as usize));
            if d < c {
                score(model, problem.reach_m, w, d) - score(model, problem.reach_m, w, c)
            } else {
                0.0
            }
        })
        .sum()
}

/// Open sites per group (sub-district), indexed by group: how many of the candidates in `open`
/// lie in each; candidates with no group are not counted.
pub fn group_counts(problem: &Problem, open: &[usize]) -> Vec<usize> {
    let mut per = vec![0usize; problem.group_count()];
    for &j in open {
        if let Some(g) = problem.groups[j] {
            per[g] += 1;
        }
    }
    per
}

/// The marginal value of opening a candidate, as a greedy construction sees it.
pub trait Marginal {
    /// Value added by opening candidate `k` now.
    fn gain(&self, k: usize) -> f64;
    /// Records that candidate `k` is open.
    fn add(&mut self, k: usize);
}

/// Uncapacitated gains: each demand point's distance to its nearest open site.
struct Nearest<'a> {
    problem: &'a Problem,
    model: Model,
    best: Vec<f64>,
}

impl Marginal for Nearest<'_> {
    fn gain(&self, k: usize) -> f64 {
        gain(self.problem, self.model, k, |i| self.best[i])
    }
    fn add(&mut self, k: usize) {
        for (i, d) in self.problem.pairs_of(k) {
            let i = i as usize;
            self.best[i] = self.best[i].min(d);
        }
    }
}

/// Greedy construction of `p` sites: forced sites first, then the best site in each group
/// still short of its minimum, then the best site overall within the group maximums.
/// Ties go to the lower candidate index.
pub fn greedy(problem: &Problem, model: Model, p: usize) -> Vec<usize> {
    let mut nearest = Nearest {
        problem,
        model,
        best: problem.existing_m.clone(),
    };
    greedy_by(problem, p, &mut nearest)
}

/// Greedy construction of `p` sites under the side constraints, by the gains of `value`.
pub fn greedy_by(problem: &Problem, p: usize, value: &mut impl Marginal) -> Vec<usize> {
    let mut open: Vec<usize> = (0..problem.candidates())
        .filter(|&j| problem.forced[j])
        .collect();
    for &j in &open {
        value.add(j);
    }
    while open.len() < p {
        let per = group_counts(problem, &open);
        let short: Vec<bool> = (0..problem.group_count())
            .map(|g| per[g] < problem.min_per_group[g])
            .collect();
        let any_short = short.iter().any(|&s| s);
        let mut pick: Option<(usize, f64)> = None;
        for k in 0..problem.candidates() {
            if problem.excluded[k] || open.contains(&k) {
                continue;
            }
            let g = problem.groups[k];
            if any_short && !g.is_some_and(|g| short[g]) {
                continue;
            }
            if let Some(g) = g {
                if problem.max_per_group[g].is_some_and(|m| per[g] >= m) {
                    continue;
                }
            }
            let v = value.gain(k);
            if pick.is_none_or(|(_, b)| v > b) {
                pick = Some((k, v));
            }
        }
        let Some((k, _)) = pick else { break };
        value.add(k);
        open.push(k);
    }
    open
}

/// Whether swapping `out` for `inn` keeps the group constraints.
pub fn swap_ok(problem: &Problem, per: &[usize], out: usize, inn: usize) -> bool {
    let (go, gi) = (problem.groups[out], problem.groups[inn]);
    if go == gi {
        return true;
    }
    if let Some(g) = go {
        if per[g] <= problem.min_per_group[g] {
            return false;
        }
    }
    if let Some(g) = gi {
        if problem.max_per_group[g].is_some_and(|m| per[g] >= m) {
            return false;
        }
    }
    true
}

/// Best-improvement swap interchange: repeatedly makes the single swap (one open site out,
/// one closed candidate in) that improves the objective most, until none does. Keeps the
/// order of the sites that stay.
pub fn interchange(
    problem: &Problem,
    model: Model,
    mut open: Vec<usize>,
    stop: Stop,
) -> Vec<usize> {
    loop {
        // The time limit: every swap so far improved the sites, so they stand.
        if stop() {
            return open;
        }
        let s = state(problem, &open);
        let current = total(problem, model, &s.best1);
        let eps = 1e-12 * current.abs().max(1.0);
        // Loss of closing each open site: its demand falls back to the second nearest.
        let mut loss = vec![0.0; problem.candidates()];
        for i in 0..problem.weights.len() {
            let o = s.owner1[i];
            if o != NONE {
                let w = problem.weights[i];
                loss[o as usize] += score(model, problem.reach_m, w, s.best2[i])
                    - score(model, problem.reach_m, w, s.best1[i]);
            }
        }
        let per = group_counts(problem, &open);
        let mut best_move: Option<(usize, usize, f64)> = None;
        for (pos, &out) in open.iter().enumerate() {
            if problem.forced[out] {
                continue;
            }
            for inn in 0..problem.candidates() {
                if problem.excluded[inn] || open.contains(&inn) || !swap_ok(problem, &per, out, inn)
                {
                    continue;
                }
                let delta = loss[out]
                    + gain(problem, model, inn, |i| {
                        if s.owner1[i] == out as u32 {
                            s.best2[i]
                        } else {
                            s.best1[i]
                        }
                    });
                if delta > eps && best_move.is_none_or(|(_, _, b)| delta > b) {
                    best_move = Some((pos, inn, delta));
                }
            }
        }
        match best_move {
            Some((pos, inn, _)) => open[pos] = inn,
            None => return open,
        }
    }
}

/// Drops the sites of `open` that are not needed, latest first: a site goes when the rest
/// still reach `target` by `covered` and keep the side constraints.
pub fn drop_unneeded(
    problem: &Problem,
    mut open: Vec<usize>,
    covered: impl Fn(&[usize]) -> f64,
    target: f64,
) -> Vec<usize> {
    let mut k = open.len();
    while k > 0 {
        k -= 1;
        let mut fewer = open.clone();
        fewer.remove(k);
        if covered(&fewer) >= target && problem.feasible(&fewer).is_ok() {
            open = fewer;
        }
    }
    open
}

/// Set covering: the fewest sites covering `share` of the coverable weight, with a proven
/// lower bound on their number (see `cover::set_cover`; no time limit).
pub fn set_cover(problem: &Problem, share: f64) -> Result<(Vec<usize>, usize), SitingError> {
    let (open, lower, _) = super::cover::set_cover(problem, share, &|| false, &|_, _| {})?;
    Ok((open, lower))
}

/// Set-covering sites: greedy until `share` of the coverable weight (weight some candidate
/// or existing facility can reach) is covered, then the sites that are not needed dropped.
/// Returns the sites and the weight they had to cover.
pub fn set_cover_sites(problem: &Problem, share: f64) -> Result<(Vec<usize>, f64), SitingError> {
    let model = Model::SetCover { share };
    let total_w: f64 = problem.weights.iter().sum();
    let target = share * (total_w - problem.uncoverable_weight()) - 1e-9 * total_w.max(1.0);
    let covered = |open: &[usize]| super::evaluate(problem, open).covered_weight;
    let mut open: Vec<usize> = Vec::new();
    let max_p = (0..problem.candidates())
        .filter(|&j| !problem.excluded[j])
        .count();
    for p in 1..=max_p {
        open = greedy(problem, model, p);
        if covered(&open) >= target && problem.feasible(&open).is_ok() {
            break;
        }
    }
    if covered(&open) < target {
        return Err(SitingError::Infeasible {
            p: open.len(),
            why: "the candidates cannot cover the target share".into(),
        });
    }
    Ok((drop_unneeded(problem, open, covered, target), target))
}
