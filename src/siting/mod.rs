//! Location-allocation: where new facilities should go.
//!
//! Three models over candidate sites, with existing facilities fixed open:
//! - maximal covering (MCLP): `p` new sites maximising the demand weight within reach;
//! - set covering (LSCP): the fewest new sites covering a given share of the coverable
//!   demand;
//! - p-median: `p` new sites minimising the total weighted distance (distances beyond the
//!   reach count as the reach: "too far" is capped, not infinite).
//!
//! Side constraints: minimum and maximum new sites per group (sub-district), forced and
//! excluded candidates. Distances come sparse: per candidate only the demand points within
//! reach. Solutions come from greedy construction plus swap interchange (Teitz–Bart); a
//! Lagrangian relaxation gives a bound, so every answer states its optimality gap, and a
//! branch and bound on the Lagrangian bound closes the gap where the instance is small
//! enough. Every solution is re-evaluated from the data by [`evaluate`], independently of
//! how it was found.

pub mod heuristic;
pub mod lagrangian;

use std::fmt;

/// Which model to solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Maximise covered weight with `p` new sites.
    MaxCover { p: usize },
    /// Fewest new sites covering at least `share` (0–1) of the coverable weight.
    SetCover { share: f64 },
    /// Minimise total weighted distance with `p` new sites.
    PMedian { p: usize },
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Model::MaxCover { p } => write!(f, "maximal covering (MCLP), p = {p}"),
            Model::SetCover { share } => {
                write!(
                    f,
                    "set covering (LSCP), {:.1} % of coverable demand",
                    share * 100.0
                )
            }
            Model::PMedian { p } => write!(f, "p-median, p = {p}"),
        }
    }
}

/// A location-allocation instance.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Demand weight per demand point (e.g. people aged 60+ per cell).
    pub weights: Vec<f64>,
    /// Distance from each demand point to the nearest existing facility, m (`INFINITY`
    /// when none lies within reach).
    pub existing_m: Vec<f64>,
    /// Per candidate: (demand point, distance m) for every demand point within `reach_m`.
    pub pairs: Vec<Vec<(u32, f64)>>,
    /// Coverage radius (MCLP, LSCP) and distance cap (p-median), m.
    pub reach_m: f64,
    /// Per candidate, its group (sub-district), if any.
    pub groups: Vec<Option<usize>>,
    /// Per group: minimum and maximum number of new sites.
    pub min_per_group: Vec<usize>,
    pub max_per_group: Vec<Option<usize>>,
    /// Candidates that must / must not be opened.
    pub forced: Vec<bool>,
    pub excluded: Vec<bool>,
}

/// Why a problem cannot be solved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SitingError {
    #[error("p = {p} new sites cannot meet the constraints: {why}")]
    Infeasible { p: usize, why: String },
    #[error("no candidate sites")]
    NoCandidates,
}

impl Problem {
    /// Number of candidates.
    pub fn candidates(&self) -> usize {
        self.pairs.len()
    }

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.min_per_group.len()
    }

    /// Whether opening exactly the candidates `open` satisfies the side constraints.
    pub fn feasible(&self, open: &[usize]) -> Result<(), String> {
        let mut per = vec![0usize; self.group_count()];
        for &j in open {
            if self.excluded[j] {
                return Err(format!("candidate {j} is excluded"));
            }
            if let Some(g) = self.groups[j] {
                per[g] += 1;
            }
        }
        for (j, &f) in self.forced.iter().enumerate() {
            if f && !open.contains(&j) {
                return Err(format!("forced candidate {j} is not open"));
            }
        }
        for (g, &n) in per.iter().enumerate() {
            if n < self.min_per_group[g] {
                return Err(format!(
                    "group {g} has {n} of at least {}",
                    self.min_per_group[g]
                ));
            }
            if let Some(max) = self.max_per_group[g] {
                if n > max {
                    return Err(format!("group {g} has {n} of at most {max}"));
                }
            }
        }
        Ok(())
    }

    /// Checks that `p` new sites can satisfy the side constraints at all.
    pub fn check_p(&self, p: usize) -> Result<(), SitingError> {
        if self.candidates() == 0 {
            return Err(SitingError::NoCandidates);
        }
        let infeasible = |why: String| Err(SitingError::Infeasible { p, why });
        let forced = self.forced.iter().filter(|&&f| f).count();
        let mins: usize = self.min_per_group.iter().sum();
        let open_ok = (0..self.candidates())
            .filter(|&j| !self.excluded[j])
            .count();
        if forced > p {
            return infeasible(format!("{forced} sites are forced"));
        }
        if mins > p {
            return infeasible(format!("the group minimums add up to {mins}"));
        }
        if open_ok < p {
            return infeasible(format!("only {open_ok} candidates may be opened"));
        }
        for g in 0..self.group_count() {
            let avail = (0..self.candidates())
                .filter(|&j| self.groups[j] == Some(g) && !self.excluded[j])
                .count();
            if avail < self.min_per_group[g] {
                return infeasible(format!(
                    "group {g} needs {} new sites but has {avail} candidates",
                    self.min_per_group[g]
                ));
            }
        }
        Ok(())
    }

    /// Weight no candidate and no existing facility can cover (outside every reach).
    pub fn uncoverable_weight(&self) -> f64 {
        let mut reachable = vec![false; self.weights.len()];
        for (j, pairs) in self.pairs.iter().enumerate() {
            if self.excluded[j] {
                continue;
            }
            for &(i, d) in pairs {
                if d <= self.reach_m {
                    reachable[i as usize] = true;
                }
            }
        }
        self.weights
            .iter()
            .zip(&self.existing_m)
            .zip(&reachable)
            .filter(|((_, &e), &r)| !(r || e <= self.reach_m))
            .map(|((w, _), _)| w)
            .sum()
    }
}

/// What a solution achieves, recomputed from the data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Weight covered within the reach (existing and new sites together).
    pub covered_weight: f64,
    /// Σ weight × distance to the nearest open site (capped at the reach), weight·m.
    pub weighted_distance: f64,
    pub total_weight: f64,
}

/// Evaluates opening `open` (candidate indices) from the raw pairs and existing distances.
pub fn evaluate(problem: &Problem, open: &[usize]) -> Evaluation {
    let mut best = problem.existing_m.clone();
    for &j in open {
        for &(i, d) in &problem.pairs[j] {
            if d < best[i as usize] {
                best[i as usize] = d;
            }
        }
    }
    let mut e = Evaluation {
        covered_weight: 0.0,
        weighted_distance: 0.0,
        total_weight: 0.0,
    };
    for (w, d) in problem.weights.iter().zip(&best) {
        e.total_weight += w;
        if *d <= problem.reach_m {
            e.covered_weight += w;
        }
        e.weighted_distance += w * d.min(problem.reach_m);
    }
    e
}

/// A solved instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub model: Model,
    /// New sites opened, in the order they were added (first = largest marginal gain).
    pub open: Vec<usize>,
    /// Objective: covered weight (MCLP), number of sites (LSCP) or weighted distance
    /// (p-median), recomputed from the data.
    pub objective: f64,
    /// The best bound proven: upper for MCLP, lower for LSCP and p-median.
    pub bound: f64,
    /// Relative optimality gap |objective − bound| / |objective| (0 = proven optimal).
    pub gap: f64,
    /// How it was found and proven.
    pub method: String,
    pub evaluation: Evaluation,
}

/// Relative gap between an objective and a bound.
pub fn relative_gap(objective: f64, bound: f64) -> f64 {
    if objective.abs() < 1e-12 {
        if (objective - bound).abs() < 1e-9 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        ((objective - bound).abs() / objective.abs()).max(0.0)
    }
}

/// Solves `model`: heuristic, Lagrangian bound, and (for p-median and MCLP) branch and
/// bound within `node_limit` nodes when a gap remains.
pub fn solve(problem: &Problem, model: Model, node_limit: usize) -> Result<Solution, SitingError> {
    match model {
        Model::MaxCover { p } | Model::PMedian { p } => {
            problem.check_p(p)?;
            let start = heuristic::greedy(problem, model, p);
            let open = heuristic::interchange(problem, model, start);
            let (open, bound, method) = lagrangian::prove(problem, model, p, open, node_limit);
            Ok(finish(problem, model, open, bound, method))
        }
        Model::SetCover { share } => {
            let (open, lower) = heuristic::set_cover(problem, share)?;
            Ok(finish(
                problem,
                model,
                open,
                lower as f64,
                "greedy + drop/swap; lower bound from Lagrangian MCLP bounds".into(),
            ))
        }
    }
}

fn finish(
    problem: &Problem,
    model: Model,
    open: Vec<usize>,
    bound: f64,
    method: String,
) -> Solution {
    let evaluation = evaluate(problem, &open);
    let objective = match model {
        Model::MaxCover { .. } => evaluation.covered_weight,
        Model::SetCover { .. } => open.len() as f64,
        Model::PMedian { .. } => evaluation.weighted_distance,
    };
    Solution {
        model,
        gap: relative_gap(objective, bound),
        open,
        objective,
        bound,
        method,
        evaluation,
    }
}
