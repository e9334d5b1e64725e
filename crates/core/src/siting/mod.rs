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
//! excluded candidates, and optionally a capacity per new site ([`capacitated`]). Distances come sparse: per candidate only the demand points within
//! reach. Solutions come from greedy construction plus swap interchange (Teitz–Bart); a
//! Lagrangian relaxation gives a bound, so every answer states its optimality gap, and a
//! branch and bound on the Lagrangian bound closes the gap where the instance is small
//! enough. Every solution is re-evaluated from the data by [`evaluate`], independently of
//! how it was found.

pub mod capacitated;
pub mod heuristic;
pub mod lagrangian;
#[cfg(feature = "highs")]
pub mod milp;
pub mod study_problem;

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
    /// Per candidate: the demand weight a new site there can serve (capacitated variants);
    /// `None`: no limit.
    pub capacities: Option<Vec<f64>>,
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
    /// The same instance without capacities (its bounds hold for the capacitated one).
    pub fn without_capacities(&self) -> Problem {
        Problem {
            capacities: None,
            ..self.clone()
        }
    }

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

    /// Weight the existing facilities already cover (within the reach).
    pub fn covered_by_existing(&self) -> f64 {
        self.weights
            .iter()
            .zip(&self.existing_m)
            .filter(|(_, &e)| e <= self.reach_m)
            .map(|(w, _)| w)
            .sum()
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

/// Evaluates opening `open` (candidate indices) from the raw pairs and existing distances;
/// with capacities, from the optimal allocation within them.
pub fn evaluate(problem: &Problem, open: &[usize]) -> Evaluation {
    if problem.capacities.is_some() {
        return capacitated::evaluate(problem, open);
    }
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
    /// With capacities: per open site (same order), the weight it serves in the optimal
    /// allocation for the model's objective.
    pub served: Option<Vec<f64>>,
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
    if problem.capacities.is_some() {
        let (open, bound, method) = capacitated::solve(problem, model)?;
        return Ok(finish(problem, model, open, bound, method));
    }
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

pub(crate) fn finish(
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
    let served = problem
        .capacities
        .as_ref()
        .map(|_| capacitated::allocate(problem, &open, capacitated::Goal::of(model)).served);
    Solution {
        model,
        served,
        gap: relative_gap(objective, bound),
        open,
        objective,
        bound,
        method,
        evaluation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six demand points of weight 10, 20, 30, 40, 50, 60 at x = 0..5 km; candidate k sits
    /// at x = k km and covers the points within 1 km. Two groups: candidates 0–2 and 3–5.
    fn line() -> Problem {
        let weights = vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0];
        let pairs = (0..6)
            .map(|k: i64| {
                (0..6i64)
                    .filter(|i| (i - k).abs() <= 1)
                    .map(|i| (i as u32, ((i - k).abs() * 1000) as f64))
                    .collect()
            })
            .collect();
        Problem {
            existing_m: vec![f64::INFINITY; 6],
            weights,
            pairs,
            reach_m: 1000.0,
            groups: vec![Some(0), Some(0), Some(0), Some(1), Some(1), Some(1)],
            min_per_group: vec![0, 0],
            max_per_group: vec![None, None],
            forced: vec![false; 6],
            excluded: vec![false; 6],
            capacities: None,
        }
    }

    #[test]
    fn hand_checked_mclp_with_side_constraints() {
        let mut pb = line();
        // One site: candidate 4 covers 40 + 50 + 60 = 150.
        let s = solve(&pb, Model::MaxCover { p: 1 }, 100).unwrap();
        assert_eq!((s.open.clone(), s.objective, s.gap), (vec![4], 150.0, 0.0));
        // Two sites: 1 (10+20+30 = 60) and 4 (150) = 210, everything.
        let s = solve(&pb, Model::MaxCover { p: 2 }, 100).unwrap();
        assert_eq!(s.objective, 210.0);
        // At most zero in group 1: the best in group 0 alone is candidate 2 (20+30+40 = 90).
        pb.max_per_group = vec![None, Some(0)];
        let s = solve(&pb, Model::MaxCover { p: 1 }, 100).unwrap();
        assert_eq!((s.open.clone(), s.objective), (vec![2], 90.0));
        // Excluding candidate 2 leaves candidate 1 (60).
        pb.excluded[2] = true;
        let s = solve(&pb, Model::MaxCover { p: 1 }, 100).unwrap();
        assert_eq!((s.open.clone(), s.objective), (vec![1], 60.0));
        // Forcing candidate 0 with p = 1.
        let mut pb = line();
        pb.forced[0] = true;
        let s = solve(&pb, Model::MaxCover { p: 1 }, 100).unwrap();
        assert_eq!((s.open.clone(), s.objective), (vec![0], 30.0));
        // A group minimum the candidates cannot meet is an error, not a panic.
        let mut pb = line();
        pb.min_per_group = vec![4, 0];
        assert!(matches!(
            solve(&pb, Model::MaxCover { p: 4 }, 10),
            Err(SitingError::Infeasible { .. })
        ));
    }

    #[test]
    fn hand_checked_pmedian_and_existing_sites() {
        let mut pb = line();
        // An existing facility at x = 5 km covers point 5 (0 m) and point 4 (1 km).
        pb.existing_m = vec![
            f64::INFINITY,
            f64::INFINITY,
            f64::INFINITY,
            2000.0,
            1000.0,
            0.0,
        ];
        pb.reach_m = 1000.0;
        // MCLP, one new site: points 4 and 5 are covered already; candidate 2 adds 20+30+40.
        let s = solve(&pb, Model::MaxCover { p: 1 }, 100).unwrap();
        assert_eq!((s.open.clone(), s.objective), (vec![2], 200.0));
        // p-median with the cap at 1000 m: candidate 1 leaves point 3 at 1000 (capped) and
        // point 4 at 1000 (existing): 10·1000 + 0 + 30·1000 + 40·1000 + 50·1000 + 0.
        let s = solve(&pb, Model::PMedian { p: 1 }, 100).unwrap();
        let e = evaluate(&pb, &s.open);
        assert_eq!(s.objective, e.weighted_distance);
        let brute = (0..6)
            .map(|k| evaluate(&pb, &[k]).weighted_distance)
            .fold(f64::INFINITY, f64::min);
        assert_eq!(s.objective, brute);
        assert_eq!(s.gap, 0.0);
        // Set covering of everything: candidates 1 (covers 0–2) and 3 (covers 2–4) or 2+...
        let s = solve(&line(), Model::SetCover { share: 1.0 }, 100).unwrap();
        assert_eq!((s.open.len(), s.bound), (2, 2.0));
    }
}
