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
//! excluded candidates, and optionally a capacity per new site ([`capacitated`]). Distances
//! come sparse: per candidate only the demand points within reach. [`Problem::new`] checks an
//! instance once (lengths, indices, finite non-negative numbers, consistent constraints), as
//! PySAL spopt's `from_cost_matrix` does, so the solvers may index without checks.
//! Solutions come from greedy construction plus swap interchange (Teitz–Bart); a
//! Lagrangian relaxation gives a bound, so every answer states its optimality gap, and a
//! branch and bound on the Lagrangian bound closes the gap where the instance is small
//! enough. MCLP and LSCP work on a merged instance (`cover`: demand covered by the same
//! candidates as one row, existing coverage as a constant) with reduced-cost fixing at every
//! node, which proves optima at 1,000,000 cells × 2,000 candidates. [`solve_reporting`] tells
//! a [`Report`] callback the objective and bound as they improve. Every solution is re-evaluated from the data by [`evaluate`], independently of
//! how it was found.

pub mod capacitated;
mod cover;
mod heuristic;
mod lagrangian;
#[cfg(feature = "highs")]
pub mod milp;
pub(crate) mod study_problem;

use std::fmt;

/// Which model to solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Maximise covered weight with `p` new sites.
    MaxCover {
        /// New sites to open.
        p: usize,
    },
    /// Fewest new sites covering at least `share` (0–1) of the coverable weight.
    SetCover {
        /// Share of the coverable weight (existing coverage included) to cover, 0–1.
        share: f64,
    },
    /// Minimise total weighted distance with `p` new sites.
    PMedian {
        /// New sites to open.
        p: usize,
    },
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

/// A location-allocation instance: demand points (weights, distance to the existing
/// facilities) and candidate sites (the demand points each reaches), with side constraints.
/// Build it with [`Problem::new`], which checks it; the fields stay public for the solvers
/// and for variants of a checked instance.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Demand weight per demand point (e.g. people aged 60+ per cell).
    pub weights: Vec<f64>,
    /// Distance from each demand point to the nearest existing facility, m (`INFINITY`
    /// when none lies within reach).
    pub existing_m: Vec<f64>,
    /// Per candidate: the demand points within `reach_m` and their distances (compressed
    /// columns, 8 bytes a pair; read them with [`Problem::pairs_of`]).
    pub pairs: Pairs,
    /// Coverage radius (MCLP, LSCP) and distance cap (p-median), m.
    pub reach_m: f64,
    /// Per candidate, its group (sub-district), if any.
    pub groups: Vec<Option<usize>>,
    /// Per group: minimum number of new sites.
    pub min_per_group: Vec<usize>,
    /// Per group: maximum number of new sites (`None`: no limit).
    pub max_per_group: Vec<Option<usize>>,
    /// Per candidate: whether it must be opened.
    pub forced: Vec<bool>,
    /// Per candidate: whether it must not be opened.
    pub excluded: Vec<bool>,
    /// Per candidate: the demand weight a new site there can serve (capacitated variants;
    /// `INFINITY`: no limit there); `None`: uncapacitated.
    pub capacities: Option<Vec<f64>>,
}

/// The coverage pairs of an instance in compressed sparse column form: per candidate, the
/// demand points within reach (`u32` indices) and their distances (metres), stored end to
/// end in flat vectors with one offset per candidate.
///
/// Why: at 1,000,000 cells × 2,000 candidates there are about 10⁸ pairs; as
/// `Vec<Vec<(u32, f64)>>` they take 16 bytes each (1.6 GB), here 8 (0.8 GB), and a
/// candidate at a time can be appended ([`Pairs::push`]), so no nested copy of the whole
/// matrix need exist. The covering models read only the demand indices
/// ([`Pairs::demand`]); p-median and the capacitated variants read the distances too
/// ([`Pairs::column`]).
///
/// Distances are exact as given: they are kept as `f32` while every one of them is exactly
/// an `f32` (as catchments measure them, with a reach such as 1000 m that is one), and as
/// `f64` from the first that is not (12 bytes a pair then), so no objective ever depends
/// on how they are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairs {
    /// Per candidate, the offset of its first pair (candidates + 1 entries, the last the
    /// number of pairs).
    start: Vec<usize>,
    /// Demand point of each pair.
    demand: Vec<u32>,
    /// Distance of each pair, m.
    dist_m: Distances,
}

/// The distances of [`Pairs`], m: `f32` while each is exactly an `f32`, else `f64`.
#[derive(Debug, Clone, PartialEq)]
enum Distances {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Default for Pairs {
    fn default() -> Pairs {
        Pairs::new()
    }
}

impl Pairs {
    /// No candidates yet.
    pub fn new() -> Pairs {
        Pairs::with_capacity(0, 0)
    }

    /// No candidates yet, with room for `candidates` candidates and `pairs` pairs (which
    /// saves the copies of growing when the number of pairs is known beforehand).
    pub fn with_capacity(candidates: usize, pairs: usize) -> Pairs {
        let mut start = Vec::with_capacity(candidates + 1);
        start.push(0);
        Pairs {
            start,
            demand: Vec::with_capacity(pairs),
            dist_m: Distances::F32(Vec::with_capacity(pairs)),
        }
    }

    /// Appends the next candidate: its (demand point, distance m) pairs. Nothing is checked
    /// here; [`Problem::new`] checks indices and distances.
    pub fn push(&mut self, pairs: impl IntoIterator<Item = (u32, f64)>) {
        for (i, d) in pairs {
            self.demand.push(i);
            match &mut self.dist_m {
                Distances::F32(v) => {
                    let f = d as f32;
                    if f64::from(f) == d {
                        v.push(f);
                    } else {
                        // Not exactly an f32: from here on, f64 for all.
                        let mut wide = Vec::with_capacity(v.capacity().max(v.len() + 1));
                        wide.extend(v.iter().map(|&x| f64::from(x)));
                        wide.push(d);
                        self.dist_m = Distances::F64(wide);
                    }
                }
                Distances::F64(v) => v.push(d),
            }
        }
        self.start.push(self.demand.len());
    }

    /// Number of candidates.
    pub fn candidates(&self) -> usize {
        self.start.len() - 1
    }

    /// Number of pairs, all candidates together.
    pub fn len(&self) -> usize {
        self.demand.len()
    }

    /// Whether there are no pairs at all.
    pub fn is_empty(&self) -> bool {
        self.demand.is_empty()
    }

    /// The demand points candidate `j` reaches, in the order given.
    pub fn demand(&self, j: usize) -> &[u32] {
        &self.demand[self.start[j]..self.start[j + 1]]
    }

    /// Candidate `j`'s pairs: (demand point, distance m), exactly as given.
    pub fn column(&self, j: usize) -> Column<'_> {
        let range = self.start[j]..self.start[j + 1];
        Column {
            demand: &self.demand[range.clone()],
            dist_m: match &self.dist_m {
                Distances::F32(v) => Dist::F32(&v[range]),
                Distances::F64(v) => Dist::F64(&v[range]),
            },
            next: 0,
        }
    }

    /// Whether the distances are stored as `f32` (8 bytes a pair) rather than `f64` (12).
    pub fn compact(&self) -> bool {
        matches!(self.dist_m, Distances::F32(_))
    }

    /// Bytes the pairs take (their vectors' lengths, not capacities).
    pub fn bytes(&self) -> usize {
        let dist = match &self.dist_m {
            Distances::F32(v) => std::mem::size_of_val(&v[..]),
            Distances::F64(v) => std::mem::size_of_val(&v[..]),
        };
        std::mem::size_of_val(&self.start[..]) + std::mem::size_of_val(&self.demand[..]) + dist
    }
}

impl From<Vec<Vec<(u32, f64)>>> for Pairs {
    /// One candidate per inner vector.
    fn from(nested: Vec<Vec<(u32, f64)>>) -> Pairs {
        let mut pairs = Pairs::with_capacity(nested.len(), nested.iter().map(Vec::len).sum());
        for column in nested {
            pairs.push(column);
        }
        pairs
    }
}

/// The distances of one candidate's pairs, m.
#[derive(Debug, Clone, Copy)]
enum Dist<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
}

/// One candidate's pairs, (demand point, distance m), from [`Pairs::column`].
#[derive(Debug, Clone)]
pub struct Column<'a> {
    demand: &'a [u32],
    dist_m: Dist<'a>,
    next: usize,
}

impl Iterator for Column<'_> {
    type Item = (u32, f64);

    fn next(&mut self) -> Option<(u32, f64)> {
        let k = self.next;
        let &i = self.demand.get(k)?;
        self.next += 1;
        let d = match self.dist_m {
            Dist::F32(v) => f64::from(v[k]),
            Dist::F64(v) => v[k],
        };
        Some((i, d))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.demand.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Column<'_> {}

/// The side constraints of a [`Problem`], per candidate and per group: the input to
/// [`Problem::new`] beside the demand and the distances.
#[derive(Debug, Clone, PartialEq)]
pub struct SideConstraints {
    /// Per candidate, its group (sub-district), if any: an index into the per-group vectors.
    pub groups: Vec<Option<usize>>,
    /// Per group: minimum number of new sites.
    pub min_per_group: Vec<usize>,
    /// Per group: maximum number of new sites (`None`: no limit).
    pub max_per_group: Vec<Option<usize>>,
    /// Per candidate: whether it must be opened.
    pub forced: Vec<bool>,
    /// Per candidate: whether it must not be opened.
    pub excluded: Vec<bool>,
    /// Per candidate: the demand weight a new site there can serve (`INFINITY`: no limit
    /// there); `None`: uncapacitated.
    pub capacities: Option<Vec<f64>>,
}

impl SideConstraints {
    /// No groups, nothing forced or excluded, no capacities, for `candidates` candidates.
    pub fn none(candidates: usize) -> SideConstraints {
        SideConstraints {
            groups: vec![None; candidates],
            min_per_group: Vec::new(),
            max_per_group: Vec::new(),
            forced: vec![false; candidates],
            excluded: vec![false; candidates],
            capacities: None,
        }
    }
}

/// Why a problem cannot be built or solved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SitingError {
    /// `p` new sites cannot satisfy the side constraints (forced sites, group minimums,
    /// exclusions), or the model cannot be solved as posed; `why` says which.
    #[error("p = {p} new sites cannot meet the constraints: {why}")]
    Infeasible {
        /// New sites asked for.
        p: usize,
        /// The constraint that cannot be met.
        why: String,
    },
    /// The instance has no candidate sites.
    #[error("no candidate sites")]
    NoCandidates,
    /// The instance itself is malformed (refused by [`Problem::new`]): the message names the
    /// vector, index and value at fault.
    #[error("invalid siting input: {0}")]
    InvalidInput(String),
}

impl Problem {
    /// Checks and builds an instance: `weights` (demand weight per demand point, ≥ 0),
    /// `existing_m` (per demand point, metres to the nearest existing facility, ≥ 0, or
    /// `INFINITY` when none lies within reach), `pairs` (per candidate: (demand point,
    /// metres) for the demand points within reach: a [`Pairs`], or one vector per
    /// candidate), `reach_m` (coverage radius and
    /// p-median distance cap, m, > 0; `INFINITY` for an uncapped p-median) and the side
    /// constraints.
    ///
    /// Refused with [`SitingError::InvalidInput`] naming the fault: vectors whose lengths
    /// disagree (`existing_m` with `weights`; `groups`, `forced`, `excluded` and
    /// `capacities` with the candidates; `max_per_group` with `min_per_group`); NaN,
    /// infinite or negative weights; NaN or negative existing distances; a reach that is
    /// NaN or ≤ 0; demand indices out of range; pair distances that are not finite, are
    /// negative or exceed the reach; group indices out of range; a group minimum above its
    /// maximum; a candidate both forced and excluded; NaN or negative capacities.
    pub fn new(
        weights: Vec<f64>,
        existing_m: Vec<f64>,
        pairs: impl Into<Pairs>,
        reach_m: f64,
        side: SideConstraints,
    ) -> Result<Problem, SitingError> {
        let pairs = pairs.into();
        let SideConstraints {
            groups,
            min_per_group,
            max_per_group,
            forced,
            excluded,
            capacities,
        } = side;
        let problem = Problem {
            weights,
            existing_m,
            pairs,
            reach_m,
            groups,
            min_per_group,
            max_per_group,
            forced,
            excluded,
            capacities,
        };
        problem.validate().map_err(SitingError::InvalidInput)?;
        Ok(problem)
    }

    /// The checks of [`Problem::new`]: the first fault found, described.
    fn validate(&self) -> Result<(), String> {
        let n = self.weights.len();
        let m = self.pairs.candidates();
        if self.existing_m.len() != n {
            return Err(format!(
                "existing_m has {} demand points but weights has {n}",
                self.existing_m.len()
            ));
        }
        let per_candidate = [
            ("groups", self.groups.len()),
            ("forced", self.forced.len()),
            ("excluded", self.excluded.len()),
            ("capacities", self.capacities.as_ref().map_or(m, Vec::len)),
        ];
        for (name, len) in per_candidate {
            if len != m {
                return Err(format!(
                    "{name} has {len} entries but there are {m} candidates (pairs)"
                ));
            }
        }
        if self.max_per_group.len() != self.min_per_group.len() {
            return Err(format!(
                "max_per_group has {} groups but min_per_group has {}",
                self.max_per_group.len(),
                self.min_per_group.len()
            ));
        }
        if let Some((i, w)) = self
            .weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(format!(
                "weight of demand point {i} is {w}; expected a finite number ≥ 0"
            ));
        }
        if let Some((i, d)) = self
            .existing_m
            .iter()
            .enumerate()
            .find(|(_, d)| d.is_nan() || **d < 0.0)
        {
            return Err(format!(
                "existing_m of demand point {i} is {d}; expected metres ≥ 0 (INFINITY when no \
                 existing facility is within reach)"
            ));
        }
        if self.reach_m.is_nan() || self.reach_m <= 0.0 {
            return Err(format!(
                "reach_m is {}; expected metres > 0 (INFINITY: no cap)",
                self.reach_m
            ));
        }
        for j in 0..m {
            for (i, d) in self.pairs.column(j) {
                if i as usize >= n {
                    return Err(format!(
                        "candidate {j} reaches demand point {i}, but there are {n} demand points"
                    ));
                }
                if !(d.is_finite() && d >= 0.0 && d <= self.reach_m) {
                    return Err(format!(
                        "candidate {j}: distance to demand point {i} is {d} m; expected finite \
                         metres in [0, reach_m = {}]",
                        self.reach_m
                    ));
                }
            }
        }
        let group_count = self.min_per_group.len();
        for (j, g) in self.groups.iter().enumerate() {
            if let Some(g) = *g {
                if g >= group_count {
                    return Err(format!(
                        "candidate {j} is in group {g}, but there are {group_count} groups"
                    ));
                }
            }
        }
        for (g, (&min, &max)) in self
            .min_per_group
            .iter()
            .zip(&self.max_per_group)
            .enumerate()
        {
            if let Some(max) = max {
                if min > max {
                    return Err(format!(
                        "group {g}: minimum {min} exceeds maximum {max} new sites"
                    ));
                }
            }
        }
        if let Some(j) = (0..m).find(|&j| self.forced[j] && self.excluded[j]) {
            return Err(format!("candidate {j} is both forced and excluded"));
        }
        if let Some(caps) = &self.capacities {
            if let Some((j, c)) = caps
                .iter()
                .enumerate()
                .find(|(_, c)| c.is_nan() || **c < 0.0)
            {
                return Err(format!(
                    "capacity of candidate {j} is {c}; expected weight ≥ 0 (INFINITY: no limit)"
                ));
            }
        }
        Ok(())
    }

    /// The same instance without capacities (its bounds hold for the capacitated one).
    pub fn without_capacities(&self) -> Problem {
        Problem {
            capacities: None,
            ..self.clone()
        }
    }

    /// Number of candidates.
    pub fn candidates(&self) -> usize {
        self.pairs.candidates()
    }

    /// Candidate `j`'s pairs: (demand point, distance m), as given ([`Pairs::column`]).
    pub fn pairs_of(&self, j: usize) -> Column<'_> {
        self.pairs.column(j)
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
        for j in 0..self.candidates() {
            if self.excluded[j] {
                continue;
            }
            // Every pair lies within the reach (checked by `Problem::new`).
            for &i in self.pairs.demand(j) {
                reachable[i as usize] = true;
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
    /// Σ weight over every demand point, covered or not.
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
        for (i, d) in problem.pairs_of(j) {
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
    /// The model solved.
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
    /// The open sites' figures, recomputed from the data by [`evaluate`].
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

/// Says when the time allowed is up: checked between swaps, subgradient steps and branch and
/// bound nodes, so a solve stops with its best sites and bound so far. The core has no clock;
/// the caller's closure has (see `[siting] time_limit_s`).
pub type Stop<'a> = &'a (dyn Fn() -> bool + Sync);

/// Solves `model`: heuristic, Lagrangian bound, and (for p-median and MCLP) branch and
/// bound within `node_limit` nodes when a gap remains. No time limit: see [`solve_within`].
pub fn solve(problem: &Problem, model: Model, node_limit: usize) -> Result<Solution, SitingError> {
    solve_within(problem, model, node_limit, &|| false)
}

/// Receives `(objective, bound)` while a solve runs: the best objective found so far and the
/// best bound proven so far (upper for MCLP, lower for LSCP and p-median), each time either
/// moves or every few branch-and-bound nodes. Called from the solving thread; keep it cheap.
pub type Report<'a> = &'a (dyn Fn(f64, f64) + Sync);

/// [`solve`], stopping when `stop` says the time is up, with the best sites and the best
/// bound found so far (the gap says how far from proven they are).
pub fn solve_within(
    problem: &Problem,
    model: Model,
    node_limit: usize,
    stop: Stop,
) -> Result<Solution, SitingError> {
    solve_reporting(problem, model, node_limit, stop, &|_, _| {})
}

/// The progress detail for an objective and a bound: "best 1234, bound 1240, gap 0.486 %"
/// (no gap while the bound is still infinite).
pub fn progress_line(objective: f64, bound: f64) -> String {
    if bound.is_finite() {
        format!(
            "best {objective:.0}, bound {bound:.0}, gap {:.3} %",
            100.0 * relative_gap(objective, bound)
        )
    } else {
        format!("best {objective:.0}, bounding")
    }
}

/// [`solve_within`], telling `report` the objective and bound as they improve.
pub fn solve_reporting(
    problem: &Problem,
    model: Model,
    node_limit: usize,
    stop: Stop,
    report: Report,
) -> Result<Solution, SitingError> {
    if problem.capacities.is_some() {
        let (open, bound, method) = capacitated::solve(problem, model)?;
        return Ok(finish(problem, model, open, bound, method));
    }
    let solution = match model {
        Model::MaxCover { p } => {
            problem.check_p(p)?;
            let (open, bound, method) = cover::solve_mclp(problem, p, node_limit, stop, report);
            finish(problem, model, open, bound, method)
        }
        Model::PMedian { p } => {
            problem.check_p(p)?;
            let start = heuristic::greedy(problem, model, p);
            let open = heuristic::interchange(problem, model, start, stop);
            let (open, bound, method) =
                lagrangian::prove(problem, model, p, open, node_limit, stop);
            finish(problem, model, open, bound, method)
        }
        Model::SetCover { share } => {
            let (open, lower, method) = cover::set_cover(problem, share, stop, report)?;
            finish(problem, model, open, lower as f64, method)
        }
    };
    report(solution.objective, solution.bound);
    Ok(solution)
}

/// Completes a solution from the sites `open`: re-evaluates them from the data, takes the
/// model's objective, the gap to `bound` and (with capacities) each site's served weight.
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

    /// The inputs of [`Problem::new`] as plain vectors (pairs nested per candidate), for
    /// tests that change one of them before building.
    struct Raw {
        weights: Vec<f64>,
        existing_m: Vec<f64>,
        pairs: Vec<Vec<(u32, f64)>>,
        reach_m: f64,
        groups: Vec<Option<usize>>,
        min_per_group: Vec<usize>,
        max_per_group: Vec<Option<usize>>,
        forced: Vec<bool>,
        excluded: Vec<bool>,
        capacities: Option<Vec<f64>>,
    }

    /// Six demand points of weight 10, 20, 30, 40, 50, 60 at x = 0..5 km; candidate k sits
    /// at x = k km and covers the points within 1 km. Two groups: candidates 0–2 and 3–5.
    fn line_raw() -> Raw {
        let weights = vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0];
        let pairs = (0..6)
            .map(|k: i64| {
                (0..6i64)
                    .filter(|i| (i - k).abs() <= 1)
                    .map(|i| (i as u32, ((i - k).abs() * 1000) as f64))
                    .collect()
            })
            .collect();
        Raw {
            weights,
            existing_m: vec![f64::INFINITY; 6],
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

    fn line() -> Problem {
        line_with(|_| {}).unwrap()
    }

    /// `line()`'s inputs with `change` applied, checked by [`Problem::new`].
    fn line_with(change: impl FnOnce(&mut Raw)) -> Result<Problem, SitingError> {
        let mut p = line_raw();
        change(&mut p);
        Problem::new(
            p.weights,
            p.existing_m,
            p.pairs,
            p.reach_m,
            SideConstraints {
                groups: p.groups,
                min_per_group: p.min_per_group,
                max_per_group: p.max_per_group,
                forced: p.forced,
                excluded: p.excluded,
                capacities: p.capacities,
            },
        )
    }

    #[test]
    fn new_refuses_malformed_instances_naming_the_fault() {
        type Change = Box<dyn FnOnce(&mut Raw)>;
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "existing_m shorter than weights",
                Box::new(|p| {
                    p.existing_m.pop();
                }),
                "existing_m has 5 demand points but weights has 6",
            ),
            (
                "groups shorter than the candidates",
                Box::new(|p| p.groups.truncate(4)),
                "groups has 4 entries but there are 6 candidates",
            ),
            (
                "forced longer than the candidates",
                Box::new(|p| p.forced.push(false)),
                "forced has 7 entries but there are 6 candidates",
            ),
            (
                "excluded shorter than the candidates",
                Box::new(|p| p.excluded.clear()),
                "excluded has 0 entries but there are 6 candidates",
            ),
            (
                "capacities shorter than the candidates",
                Box::new(|p| p.capacities = Some(vec![10.0; 5])),
                "capacities has 5 entries but there are 6 candidates",
            ),
            (
                "min and max per group of different lengths",
                Box::new(|p| p.max_per_group.push(None)),
                "max_per_group has 3 groups but min_per_group has 2",
            ),
            (
                "a NaN weight",
                Box::new(|p| p.weights[2] = f64::NAN),
                "weight of demand point 2 is NaN",
            ),
            (
                "an infinite weight",
                Box::new(|p| p.weights[1] = f64::INFINITY),
                "weight of demand point 1 is inf",
            ),
            (
                "a negative weight",
                Box::new(|p| p.weights[0] = -1.0),
                "weight of demand point 0 is -1",
            ),
            (
                "a NaN existing distance",
                Box::new(|p| p.existing_m[3] = f64::NAN),
                "existing_m of demand point 3 is NaN",
            ),
            (
                "a negative existing distance",
                Box::new(|p| p.existing_m[4] = -5.0),
                "existing_m of demand point 4 is -5",
            ),
            (
                "a zero reach",
                Box::new(|p| p.reach_m = 0.0),
                "reach_m is 0",
            ),
            (
                "a NaN reach",
                Box::new(|p| p.reach_m = f64::NAN),
                "reach_m is NaN",
            ),
            (
                "a demand index out of range",
                Box::new(|p| p.pairs[1].push((6, 10.0))),
                "candidate 1 reaches demand point 6, but there are 6 demand points",
            ),
            (
                "a NaN pair distance",
                Box::new(|p| p.pairs[2][0].1 = f64::NAN),
                "candidate 2: distance to demand point 1 is NaN m",
            ),
            (
                "an infinite pair distance",
                Box::new(|p| {
                    p.reach_m = f64::INFINITY;
                    p.pairs[0][0].1 = f64::INFINITY;
                }),
                "candidate 0: distance to demand point 0 is inf m",
            ),
            (
                "a negative pair distance",
                Box::new(|p| p.pairs[3][1].1 = -1.0),
                "candidate 3: distance to demand point 3 is -1 m",
            ),
            (
                "a pair beyond the reach",
                Box::new(|p| p.pairs[4][0].1 = 1000.5),
                "candidate 4: distance to demand point 3 is 1000.5 m; expected finite metres in [0, reach_m = 1000]",
            ),
            (
                "a group index out of range",
                Box::new(|p| p.groups[5] = Some(2)),
                "candidate 5 is in group 2, but there are 2 groups",
            ),
            (
                "a group minimum above its maximum",
                Box::new(|p| {
                    p.min_per_group[1] = 3;
                    p.max_per_group[1] = Some(2);
                }),
                "group 1: minimum 3 exceeds maximum 2 new sites",
            ),
            (
                "a candidate both forced and excluded",
                Box::new(|p| {
                    p.forced[3] = true;
                    p.excluded[3] = true;
                }),
                "candidate 3 is both forced and excluded",
            ),
            (
                "a negative capacity",
                Box::new(|p| p.capacities = Some(vec![10.0, 10.0, -1.0, 10.0, 10.0, 10.0])),
                "capacity of candidate 2 is -1",
            ),
            (
                "a NaN capacity",
                Box::new(|p| p.capacities = Some(vec![f64::NAN; 6])),
                "capacity of candidate 0 is NaN",
            ),
        ];
        for (what, change, expected) in cases {
            match line_with(change) {
                Err(SitingError::InvalidInput(m)) => {
                    assert!(m.contains(expected), "{what}: «{m}» lacks «{expected}»")
                }
                other => panic!("{what}: expected InvalidInput, got {other:?}"),
            }
        }
        let e = line_with(|p| p.reach_m = -3.0).unwrap_err().to_string();
        assert!(e.starts_with("invalid siting input: reach_m is -3"), "{e}");
    }

    #[test]
    fn pairs_store_columns_exactly_in_f32_while_they_can() {
        let nested = vec![vec![(0, 250.5), (2, 1000.0)], vec![], vec![(1, 100.0)]];
        let mut pairs = Pairs::new();
        for column in nested.clone() {
            pairs.push(column);
        }
        assert_eq!(pairs, Pairs::from(nested.clone()));
        assert_eq!((pairs.candidates(), pairs.len()), (3, 3));
        assert_eq!(pairs.demand(0), [0, 2]);
        assert!(pairs.demand(1).is_empty() && pairs.column(1).next().is_none());
        assert_eq!(pairs.column(2).collect::<Vec<_>>(), [(1, 100.0)]);
        assert_eq!(pairs.column(0).len(), 2);
        // Every distance is an f32: four offsets, then 4 bytes of index and 4 of distance.
        assert!(pairs.compact());
        assert_eq!(pairs.bytes(), 4 * std::mem::size_of::<usize>() + 3 * 8);
        // 0.1 is no f32: from there on f64 (12 bytes a pair), every distance read back
        // exactly as given, those stored before included.
        pairs.push([(3, 0.1), (4, 1e-300)]);
        assert!(!pairs.compact());
        assert_eq!(pairs.bytes(), 5 * std::mem::size_of::<usize>() + 5 * 12);
        let back: Vec<Vec<(u32, f64)>> = (0..4).map(|j| pairs.column(j).collect()).collect();
        let mut expected = nested;
        expected.push(vec![(3, 0.1), (4, 1e-300)]);
        assert_eq!(back, expected);
        let pb = Problem::new(
            vec![1.0; 5],
            vec![f64::INFINITY; 5],
            pairs,
            1000.0,
            SideConstraints::none(4),
        )
        .unwrap();
        assert_eq!(pb.pairs_of(3).collect::<Vec<_>>(), [(3, 0.1), (4, 1e-300)]);
        // p-median from the exact distances, point by point: 250.5, 1000 (none near: the
        // cap), 1000, 0.1 and 1e-300.
        let e = evaluate(&pb, &[0, 3]);
        assert_eq!(e.weighted_distance, 250.5 + 1000.0 + 1000.0 + 0.1 + 1e-300);
    }

    #[test]
    fn new_accepts_the_edge_values() {
        // No existing facility in reach, an uncapped p-median, unlimited and zero capacities,
        // a pair exactly at the reach, zero weights, no groups at all.
        line_with(|p| {
            p.weights[0] = 0.0;
            p.pairs[0][1].1 = 1000.0;
            p.capacities = Some(vec![f64::INFINITY, 0.0, 5.0, 5.0, 5.0, 5.0]);
        })
        .unwrap();
        line_with(|p| p.reach_m = f64::INFINITY).unwrap();
        line_with(|p| {
            p.groups = vec![None; 6];
            p.min_per_group.clear();
            p.max_per_group.clear();
            p.forced[0] = true;
            p.excluded[1] = true;
        })
        .unwrap();
        Problem::new(vec![], vec![], vec![], 1.0, SideConstraints::none(0)).unwrap();
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
