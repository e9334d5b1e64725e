//! Maximal covering (MCLP) and set covering (LSCP) on a compact instance, with a
//! Lagrangian bound strong enough to prove optima at city scale.
//!
//! [`Cover`] keeps only what the new sites can still change: demand already covered by the
//! existing facilities (or by sites fixed open) becomes a constant, demand no free candidate
//! reaches is dropped, and demand points covered by exactly the same free candidates are
//! merged into one row with their summed weight (aggregation of identical columns of the
//! coverage matrix; on a fine grid many cells share one face of the circles' arrangement).
//! The candidates keep their indices; only the rows are renumbered.
//!
//! The bound relaxes the coverage constraints z_r ≤ Σ_{j ∋ r} y_j with multipliers
//! 0 ≤ λ_r ≤ w_r (Galvão & ReVelle 1996): L(λ) = constant + Σ_r (w_r − λ_r) + the p largest
//! c_j = Σ_{r ∈ j} λ_r, an upper bound on the covered weight for every such λ. Merging rows
//! is exact for it (a merged row's multiplier is the sum of its members'). The multipliers
//! follow projected subgradient steps. At the best multipliers, a candidate outside the
//! relaxed choice whose forced opening would bring L to the incumbent or below is closed,
//! and one inside whose closing would do so is opened (reduced-cost fixing); the instance is
//! then restricted and re-aggregated, which on the instances leaves a few dozen
//! candidates and a few thousand rows, and a depth-first branch and bound with the same
//! bound and fixing at every node finishes the proof.

use std::sync::Arc;

use rayon::prelude::*;

use super::lagrangian::select;
use super::{Problem, Report, Stop};

const NONE: u32 = u32::MAX;

/// Visits the rows of a candidate: `visit(j, f)` calls `f(row)` for each row `j` covers.
type Visit<'a> = &'a (dyn Fn(usize, &mut dyn FnMut(u32)) + Sync);

/// A maximal-covering instance restricted to what is still free (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Cover {
    /// Weight per row (a row: the demand points covered by the same free candidates).
    pub weight: Vec<f64>,
    /// Offsets into `rows` per candidate (candidates + 1 entries).
    start: Vec<usize>,
    /// The rows each free candidate covers (empty for fixed candidates).
    rows: Vec<u32>,
    /// Weight covered whatever the free candidates do: by the existing facilities and the
    /// candidates fixed open.
    pub constant: f64,
    /// Per candidate: fixed open (`Some(true)`: forced or by branching or reduced-cost
    /// fixing), closed (`Some(false)`: excluded or fixed) or free.
    pub fixed: Vec<Option<bool>>,
}

/// Splits 64 bits into well-mixed ones (SplitMix64's finaliser).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Rows of `n` demand points after aggregation: the class of each point (`NONE`: dropped)
/// and each class's first member.
struct Classes {
    of: Vec<u32>,
    first: Vec<u32>,
}

/// Groups the `n` demand points with `keep` by the set of candidates that cover them:
/// `visit(j, f)` calls `f(i)` for every kept point candidate `j` covers (candidates are
/// visited in ascending order, each point at most once per candidate). Points no candidate
/// covers are dropped. Two 64-bit hashes of the candidate sequence find the groups; a count
/// per candidate then checks that each candidate covers all or none of every group, which
/// proves the grouping exact (were it ever to fail, every point stays its own row).
fn classes(n: usize, m: usize, keep: &[bool], visit: Visit) -> Classes {
    let mut h1 = vec![0u64; n];
    let mut h2 = vec![0x9e37_79b9_7f4a_7c15u64; n];
    let mut count = vec![0u32; n];
    for j in 0..m {
        let a = mix(j as u64 + 1);
        let b = mix((j as u64 + 1) ^ 0x5555_5555_5555_5555);
        visit(j, &mut |i| {
            let i = i as usize;
            h1[i] = mix(h1[i] ^ a);
            h2[i] = h2[i].rotate_left(17).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ b;
            count[i] += 1;
        });
    }
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&i| keep[i as usize] && count[i as usize] > 0)
        .collect();
    order.par_sort_unstable_by_key(|&i| (h1[i as usize], h2[i as usize], count[i as usize], i));
    let mut of = vec![NONE; n];
    let mut first = Vec::new();
    let mut size: Vec<u32> = Vec::new();
    let mut last = None;
    for &i in &order {
        let key = (h1[i as usize], h2[i as usize], count[i as usize]);
        if last != Some(key) {
            last = Some(key);
            first.push(i);
            size.push(0);
        }
        of[i as usize] = (first.len() - 1) as u32;
        *size.last_mut().expect("a class") += 1;
    }
    drop((h1, h2, count));
    // The check: every candidate covers all of a class or none of it.
    let mut hits = vec![0u32; first.len()];
    let mut touched = Vec::new();
    let mut exact = true;
    for j in 0..m {
        visit(j, &mut |i| {
            let c = of[i as usize];
            if c != NONE {
                if hits[c as usize] == 0 {
                    touched.push(c);
                }
                hits[c as usize] += 1;
            }
        });
        for &c in &touched {
            exact &= hits[c as usize] == size[c as usize];
            hits[c as usize] = 0;
        }
        touched.clear();
        if !exact {
            break;
        }
    }
    if !exact {
        first = order.clone();
        for (k, &i) in order.iter().enumerate() {
            of[i as usize] = k as u32;
        }
    }
    Classes { of, first }
}

impl Cover {
    /// The instance of `problem` for maximal covering: existing coverage and forced sites
    /// as the constant, excluded candidates closed, identical demand merged.
    pub fn new(problem: &Problem) -> Cover {
        let n = problem.weights.len();
        let m = problem.candidates();
        let r = problem.reach_m;
        let fixed: Vec<Option<bool>> = (0..m)
            .map(|j| {
                if problem.forced[j] {
                    Some(true)
                } else if problem.excluded[j] {
                    Some(false)
                } else {
                    None
                }
            })
            .collect();
        let mut keep: Vec<bool> = (0..n)
            .map(|i| problem.weights[i] > 0.0 && problem.existing_m[i] > r)
            .collect();
        let mut constant = problem.covered_by_existing();
        // Every pair lies within the reach (checked by `Problem::new`): membership alone.
        for (j, f) in fixed.iter().enumerate() {
            if *f == Some(true) {
                for &i in problem.pairs.demand(j) {
                    if keep[i as usize] {
                        keep[i as usize] = false;
                        constant += problem.weights[i as usize];
                    }
                }
            }
        }
        let visit = |j: usize, f: &mut dyn FnMut(u32)| {
            if fixed[j].is_none() {
                for &i in problem.pairs.demand(j) {
                    if keep[i as usize] {
                        f(i);
                    }
                }
            }
        };
        merge(m, &keep, &visit, &problem.weights, constant, &fixed).0
    }

    /// Number of candidates (all of them, fixed or free).
    pub fn candidates(&self) -> usize {
        self.fixed.len()
    }

    /// The rows candidate `j` covers.
    pub fn col(&self, j: usize) -> &[u32] {
        &self.rows[self.start[j]..self.start[j + 1]]
    }

    /// Candidates fixed open (forced included).
    pub fn open_count(&self) -> usize {
        self.fixed.iter().filter(|f| **f == Some(true)).count()
    }

    /// Free candidates.
    pub fn free(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.candidates()).filter(|&j| self.fixed[j].is_none())
    }

    /// This instance with the candidates of `fix` fixed open or closed: their rows become
    /// constant (open) or lose them (closed), and the rows are merged again. Returns the new
    /// instance and each old row's new row (`NONE`: now constant or out of reach).
    pub fn restrict(&self, fix: &[(usize, bool)]) -> (Cover, Vec<u32>) {
        let n = self.weight.len();
        let m = self.candidates();
        let mut fixed = self.fixed.clone();
        let mut keep = vec![true; n];
        let mut constant = self.constant;
        for &(j, open) in fix {
            fixed[j] = Some(open);
            if open {
                for &r in self.col(j) {
                    if keep[r as usize] {
                        keep[r as usize] = false;
                        constant += self.weight[r as usize];
                    }
                }
            }
        }
        let visit = |j: usize, f: &mut dyn FnMut(u32)| {
            if fixed[j].is_none() {
                for &r in self.col(j) {
                    if keep[r as usize] {
                        f(r);
                    }
                }
            }
        };
        merge(m, &keep, &visit, &self.weight, constant, &fixed)
    }

    /// Covered weight of opening the sites `open` (fixed-open ones need not be listed).
    pub fn value(&self, open: &[usize], mark: &mut Vec<bool>) -> f64 {
        mark.clear();
        mark.resize(self.weight.len(), false);
        let mut v = self.constant;
        for &j in open {
            for &r in self.col(j) {
                if !mark[r as usize] {
                    mark[r as usize] = true;
                    v += self.weight[r as usize];
                }
            }
        }
        v
    }
}

/// The per-candidate row lists of the classes `cl`: each class appears once, at its first
/// member.
/// The merged instance over the rows `keep` marks (`weights`: one per row): rows that
/// `visit` gives the same candidates become one, their weights summed. Returns it and each
/// row's merged row (`NONE`: not kept, or covered by no free candidate).
fn merge(
    m: usize,
    keep: &[bool],
    visit: Visit,
    weights: &[f64],
    constant: f64,
    fixed: &[Option<bool>],
) -> (Cover, Vec<u32>) {
    let cl = classes(weights.len(), m, keep, visit);
    let mut weight = vec![0.0; cl.first.len()];
    for (r, &w) in weights.iter().enumerate() {
        let c = cl.of[r];
        if c != NONE {
            weight[c as usize] += w;
        }
    }
    let (start, rows) = columns(m, &cl, visit);
    (
        Cover {
            weight,
            start,
            rows,
            constant,
            fixed: fixed.to_vec(),
        },
        cl.of,
    )
}

fn columns(m: usize, cl: &Classes, visit: Visit) -> (Vec<usize>, Vec<u32>) {
    let mut start = Vec::with_capacity(m + 1);
    let mut rows = Vec::new();
    start.push(0);
    for j in 0..m {
        visit(j, &mut |i| {
            let c = cl.of[i as usize];
            if c != NONE && cl.first[c as usize] == i {
                rows.push(c);
            }
        });
        start.push(rows.len());
    }
    rows.shrink_to_fit();
    (start, rows)
}

/// Greedy gains on a [`Cover`]: the weight of the rows a candidate would newly cover.
pub(crate) struct CoverGain<'a> {
    pub cover: &'a Cover,
    pub covered: Vec<bool>,
}

impl super::heuristic::Marginal for CoverGain<'_> {
    fn gain(&self, k: usize) -> f64 {
        self.cover
            .col(k)
            .iter()
            .filter(|&&r| !self.covered[r as usize])
            .map(|&r| self.cover.weight[r as usize])
            .sum()
    }
    fn add(&mut self, k: usize) {
        for &r in self.cover.col(k) {
            self.covered[r as usize] = true;
        }
    }
}

/// Best-improvement swap interchange on a [`Cover`], the moves and tie-breaking of
/// `heuristic::interchange` for MCLP (one open site out, one closed candidate in, the best
/// improvement first, ties to the earlier open site and the lower candidate), with the
/// candidates' gains computed in parallel.
pub(crate) fn interchange(
    problem: &Problem,
    cover: &Cover,
    mut open: Vec<usize>,
    stop: Stop,
) -> Vec<usize> {
    let n = cover.weight.len();
    let m = cover.candidates();
    let mut count = vec![0u32; n];
    let mut owner = vec![NONE; n];
    loop {
        if stop() {
            return open;
        }
        count.iter_mut().for_each(|c| *c = 0);
        for &j in &open {
            for &r in cover.col(j) {
                count[r as usize] += 1;
                owner[r as usize] = j as u32;
            }
        }
        let current: f64 = cover.constant
            + (0..n)
                .filter(|&r| count[r] > 0)
                .map(|r| cover.weight[r])
                .sum::<f64>();
        let eps = 1e-12 * current.abs().max(1.0);
        let mut loss = vec![0.0; m];
        for r in 0..n {
            if count[r] == 1 {
                loss[owner[r] as usize] -= cover.weight[r];
            }
        }
        let per = super::heuristic::group_counts(problem, &open);
        let outs: Vec<(usize, usize)> = open
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, out)| !problem.forced[out])
            .collect();
        let deltas: Vec<Vec<f64>> = (0..m)
            .into_par_iter()
            .map(|inn| {
                if problem.excluded[inn] || open.contains(&inn) {
                    return Vec::new();
                }
                let mut free = 0.0;
                let mut by_out = vec![0.0; outs.len()];
                for &r in cover.col(inn) {
                    let r = r as usize;
                    match count[r] {
                        0 => free += cover.weight[r],
                        1 => {
                            if let Some(k) = outs.iter().position(|&(_, o)| owner[r] == o as u32) {
                                by_out[k] += cover.weight[r];
                            }
                        }
                        _ => {}
                    }
                }
                by_out.iter().map(|b| free + b).collect()
            })
            .collect();
        let mut best_move: Option<(usize, usize, f64)> = None;
        for (k, &(pos, out)) in outs.iter().enumerate() {
            for (inn, d) in deltas.iter().enumerate() {
                if d.is_empty() || !super::heuristic::swap_ok(problem, &per, out, inn) {
                    continue;
                }
                let delta = loss[out] + d[k];
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

/// When a bound prunes a node: the goal of the search.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Goal {
    /// Maximise: prune what cannot beat the incumbent.
    Improve,
    /// Decide whether some choice covers at least this weight: prune what cannot reach it,
    /// stop at the first choice that does.
    Reach(f64),
}

/// The best sites found and their covered weight.
#[derive(Debug, Clone)]
pub(crate) struct Incumbent {
    pub value: f64,
    pub sites: Vec<usize>,
}

/// The bound at a node, at the best multipliers found.
struct NodeBound {
    bound: f64,
    /// The relaxed site choice there (fixed-open candidates included).
    y: Vec<usize>,
    /// c_j there.
    c: Vec<f64>,
}

/// The search: instance-wide settings and the incumbent.
pub(crate) struct Search<'a> {
    pub problem: &'a Problem,
    pub p: usize,
    pub goal: Goal,
    /// Whether all weights are integers (bounds may then be rounded down).
    pub integral: bool,
    pub incumbent: Incumbent,
    pub stop: Stop<'a>,
    pub report: Report<'a>,
    /// Whether a [`Goal::Reach`] search has met its target.
    pub reached: bool,
    /// The largest covered weight of any choice seen (the step target of a
    /// [`Goal::Reach`] search, which keeps no incumbent below its target).
    pub seen: f64,
    /// Whether there are group minimums or maximums (reduced-cost fixing then re-runs the
    /// site choice per candidate instead of the closed form).
    pub groups: bool,
}

impl Search<'_> {
    /// The bound rounded down to the objective's integrality, with a margin (10⁻⁶ plus
    /// 10⁻⁹ relative) above the rounding error of summing it, so that a bound computed a
    /// hair below an integer it equals still rounds to that integer.
    fn tight(&self, b: f64) -> f64 {
        if self.integral {
            (b + 1e-6 + 1e-9 * b.abs()).floor()
        } else {
            b
        }
    }

    /// Whether a node with bound `b` can be left out.
    fn prunes(&self, b: f64) -> bool {
        let t = self.tight(b);
        match self.goal {
            Goal::Improve => {
                let v = self.incumbent.value;
                t <= v + 1e-9 * v.abs().max(1.0)
            }
            Goal::Reach(target) => t < target,
        }
    }

    fn offer(&mut self, value: f64, sites: &[usize]) {
        self.seen = self.seen.max(value);
        if let Goal::Reach(target) = self.goal {
            if value >= target && !self.reached {
                self.reached = true;
                self.incumbent = Incumbent {
                    value,
                    sites: sites.to_vec(),
                };
            }
            return;
        }
        if value > self.incumbent.value {
            self.incumbent = Incumbent {
                value,
                sites: sites.to_vec(),
            };
        }
    }

    /// Subgradient optimisation of the multipliers `lambda` (one per row of `cover`, kept
    /// in [0, w_r]) for at most `iterations` steps: the best bound and the relaxed choice
    /// and c_j at it; `None` when the fixings leave no feasible choice. Every relaxed choice
    /// is offered as a solution.
    fn optimise(
        &mut self,
        cover: &Cover,
        lambda: &mut [f64],
        iterations: usize,
    ) -> Option<NodeBound> {
        let n = cover.weight.len();
        let m = cover.candidates();
        let mut best: Option<NodeBound> = None;
        let mut best_lambda = lambda.to_vec();
        // Step scale θ, halved after `STALE` steps without a better bound; deflection α
        // (measured on the instances: with 60 and 0.7 the root bound at 100,000 ×
        // 2,000 is 0.03 % above the optimum, against 0.46 % with 12 and 0).
        const STALE: usize = 60;
        const ALPHA: f64 = 0.7;
        let mut theta = 1.0;
        let mut stale = 0;
        let mut g = vec![0i32; n];
        let mut d = vec![0.0f64; n];
        for it in 0..iterations {
            if it % 8 == 7 && (self.stop)() {
                break;
            }
            let c: Vec<f64> = (0..m)
                .into_par_iter()
                .map(|j| cover.col(j).iter().map(|&r| lambda[r as usize]).sum())
                .collect();
            let y = select(self.problem, &c, self.p, &cover.fixed)?;
            let mut bound = cover.constant
                + cover
                    .weight
                    .iter()
                    .zip(lambda.iter())
                    .map(|(w, l)| w - l)
                    .sum::<f64>();
            g.iter_mut().for_each(|x| *x = -1);
            let mut value = cover.constant;
            for &j in &y {
                bound += c[j];
                for &r in cover.col(j) {
                    let r = r as usize;
                    if g[r] == -1 {
                        value += cover.weight[r];
                    }
                    g[r] += 1;
                }
            }
            self.offer(value, &y);
            if self.reached {
                return Some(NodeBound { bound, y, c });
            }
            if best.as_ref().is_none_or(|b| bound < b.bound) {
                best_lambda.copy_from_slice(lambda);
                best = Some(NodeBound { bound, y, c });
                stale = 0;
            } else {
                stale += 1;
                if stale >= STALE {
                    theta /= 2.0;
                    stale = 0;
                }
            }
            if self.prunes(best.as_ref().map_or(bound, |b| b.bound)) || theta < 1e-4 {
                break;
            }
            let target = match self.goal {
                Goal::Improve => self.incumbent.value,
                Goal::Reach(_) => self.seen,
            };
            let gap = (bound - target).max(1e-6 * bound.abs().max(1.0));
            // Projected, deflected subgradient: d = g + α d_previous, leaving out the
            // components the box stops.
            let mut norm = 0.0;
            for r in 0..n {
                let mut dr = f64::from(g[r]) + ALPHA * d[r];
                if (dr > 0.0 && lambda[r] <= 0.0) || (dr < 0.0 && lambda[r] >= cover.weight[r]) {
                    dr = 0.0;
                }
                d[r] = dr;
                norm += dr * dr;
            }
            if norm == 0.0 {
                break;
            }
            let step = theta * gap / norm;
            lambda
                .par_iter_mut()
                .zip(&cover.weight)
                .zip(&d)
                .for_each(|((l, &w), &dr)| {
                    *l = (*l - step * dr).clamp(0.0, w);
                });
        }
        lambda.copy_from_slice(&best_lambda);
        best
    }

    /// Reduced-cost fixing at a node with bound `nb`: the free candidates whose opening
    /// (outside the relaxed choice) or closing (inside it) would bring the Lagrangian bound
    /// at the same multipliers to a pruned value, with the side they are fixed to.
    fn fixings(&self, cover: &Cover, nb: &NodeBound) -> Vec<(usize, bool)> {
        let m = cover.candidates();
        let mut in_y = vec![false; m];
        for &j in &nb.y {
            in_y[j] = true;
        }
        let mut out = Vec::new();
        if !self.groups {
            let inside =
                nb.y.iter()
                    .filter(|&&j| cover.fixed[j].is_none())
                    .map(|&j| nb.c[j])
                    .fold(f64::INFINITY, f64::min);
            let outside = cover
                .free()
                .filter(|&j| !in_y[j])
                .map(|j| nb.c[j])
                .fold(f64::NEG_INFINITY, f64::max);
            for j in cover.free() {
                if in_y[j] {
                    // Closing j: the best outside candidate takes its place (none: infeasible).
                    if outside == f64::NEG_INFINITY || self.prunes(nb.bound - nb.c[j] + outside) {
                        out.push((j, true));
                    }
                } else if inside.is_finite() && self.prunes(nb.bound + nb.c[j] - inside) {
                    out.push((j, false));
                }
            }
            return out;
        }
        let base: f64 = nb.bound - nb.y.iter().map(|&j| nb.c[j]).sum::<f64>();
        for j in cover.free() {
            let mut fixed = cover.fixed.clone();
            fixed[j] = Some(!in_y[j]);
            let b = select(self.problem, &nb.c, self.p, &fixed)
                .map(|y| base + y.iter().map(|&k| nb.c[k]).sum::<f64>());
            if b.is_none_or(|b| self.prunes(b)) {
                out.push((j, in_y[j]));
            }
        }
        out
    }
}

/// A node of the branch and bound: the parent's instance and multipliers, the fixing that
/// makes this node, and the parent's bound (valid for the node).
struct Node {
    cover: Arc<Cover>,
    lambda: Arc<Vec<f64>>,
    fix: Option<(usize, bool)>,
    bound: f64,
}

/// The multipliers of `lambda` carried to the rows `of` maps them to (summed: exact for
/// merged rows).
fn carry(lambda: &[f64], of: &[u32], rows: usize, weight: &[f64]) -> Vec<f64> {
    let mut l = vec![0.0; rows];
    for (r, &c) in of.iter().enumerate() {
        if c != NONE {
            l[c as usize] += lambda[r];
        }
    }
    for (l, &w) in l.iter_mut().zip(weight) {
        *l = l.min(w);
    }
    l
}

/// How a search ended.
pub(crate) struct Outcome {
    /// Whether every node was explored (the incumbent is optimal, or for [`Goal::Reach`],
    /// the target is out of reach when not reached).
    pub complete: bool,
    /// The best bound proven (≥ the incumbent's value).
    pub bound: f64,
    /// The root bound, after reduced-cost fixing.
    pub root_bound: f64,
    /// Branch-and-bound nodes explored (the root not counted).
    pub nodes: usize,
    /// Free candidates and rows left at the root after fixing.
    pub root_size: (usize, usize),
    /// Whether the time limit stopped it.
    pub timed_out: bool,
}

impl Search<'_> {
    /// Bounds a node: optimises, fixes by reduced costs, restricts and repeats while that
    /// fixes anything. Returns the node's final instance, multipliers and bound (`None`:
    /// pruned or infeasible).
    fn bound_node(
        &mut self,
        mut cover: Cover,
        mut lambda: Vec<f64>,
        iterations: usize,
    ) -> Option<(Cover, Vec<f64>, NodeBound)> {
        let mut rounds = 0;
        loop {
            if cover.open_count() >= self.p || cover.weight.is_empty() {
                // Decided: any completion covers exactly the constant.
                let y = select(
                    self.problem,
                    &vec![0.0; cover.candidates()],
                    self.p,
                    &cover.fixed,
                )?;
                self.offer(cover.constant, &y);
                return None;
            }
            let nb = self.optimise(&cover, &mut lambda, iterations)?;
            if self.reached || self.prunes(nb.bound) {
                return None;
            }
            let fix = self.fixings(&cover, &nb);
            rounds += 1;
            if fix.is_empty() || rounds > 20 {
                return Some((cover, lambda, nb));
            }
            let (next, of) = cover.restrict(&fix);
            lambda = carry(&lambda, &of, next.weight.len(), &next.weight);
            cover = next;
        }
    }

    /// The branch and bound from `root` within `node_limit` nodes.
    pub fn run(
        &mut self,
        root: Cover,
        lambda: Vec<f64>,
        node_limit: usize,
        root_iterations: usize,
    ) -> Outcome {
        let mut out = Outcome {
            complete: true,
            bound: f64::NEG_INFINITY,
            root_bound: f64::NEG_INFINITY,
            nodes: 0,
            root_size: (0, 0),
            timed_out: false,
        };
        let Some((cover, lambda, nb)) = self.bound_node(root, lambda, root_iterations) else {
            out.bound = self.incumbent.value;
            out.root_bound = out.bound;
            return out;
        };
        out.root_bound = self.tight(nb.bound).max(self.incumbent.value);
        out.root_size = (cover.free().count(), cover.weight.len());
        (self.report)(self.incumbent.value, out.root_bound);
        let mut stack: Vec<Node> = Vec::new();
        self.branch(&mut stack, cover, lambda, &nb);
        while let Some(node) = stack.pop() {
            if self.prunes(node.bound) {
                continue;
            }
            if out.nodes >= node_limit || (self.stop)() {
                out.complete = false;
                out.timed_out = out.nodes < node_limit;
                let open = stack.iter().map(|n| n.bound).fold(node.bound, f64::max);
                out.bound = self
                    .tight(open)
                    .min(out.root_bound)
                    .max(self.incumbent.value);
                return out;
            }
            out.nodes += 1;
            if out.nodes.is_multiple_of(64) {
                let open = stack.iter().map(|n| n.bound).fold(node.bound, f64::max);
                (self.report)(
                    self.incumbent.value,
                    self.tight(open)
                        .min(out.root_bound)
                        .max(self.incumbent.value),
                );
            }
            let (cover, of) = node.cover.restrict(&[node.fix.expect("a branch")]);
            let lambda = carry(&node.lambda, &of, cover.weight.len(), &cover.weight);
            drop(node);
            if let Some((cover, lambda, nb)) = self.bound_node(cover, lambda, 120) {
                self.branch(&mut stack, cover, lambda, &nb);
            }
            if self.reached {
                out.bound = self.incumbent.value;
                return out;
            }
        }
        out.bound = self.incumbent.value;
        out
    }

    /// Pushes the two children of a node: its free candidate of largest c_j in the relaxed
    /// choice closed, then opened (explored first).
    fn branch(&mut self, stack: &mut Vec<Node>, cover: Cover, lambda: Vec<f64>, nb: &NodeBound) {
        let Some(j) =
            nb.y.iter()
                .copied()
                .filter(|&j| cover.fixed[j].is_none())
                .max_by(|&a, &b| nb.c[a].total_cmp(&nb.c[b]).then(b.cmp(&a)))
                .or_else(|| cover.free().next())
        else {
            return;
        };
        let cover = Arc::new(cover);
        let lambda = Arc::new(lambda);
        for open in [false, true] {
            stack.push(Node {
                cover: Arc::clone(&cover),
                lambda: Arc::clone(&lambda),
                fix: Some((j, open)),
                bound: nb.bound,
            });
        }
    }
}

/// Whether every demand weight is an integer (covered weights, and so bounds, then are).
fn integral(problem: &Problem) -> bool {
    problem.weights.iter().all(|w| w.fract() == 0.0)
}

/// Whether the instance has group minimums or maximums.
fn has_groups(problem: &Problem) -> bool {
    problem.min_per_group.iter().any(|&m| m > 0)
        || problem.max_per_group.iter().any(Option::is_some)
}

/// Maximal covering with `p` new sites: greedy and interchange on the merged instance, then
/// the Lagrangian bound with reduced-cost fixing and branch and bound within `node_limit`
/// nodes (0: the root only) until `stop`. Returns the sites (the heuristic's, in their
/// order, unless the search found better), the proven upper bound on the covered weight
/// and the method in words.
pub(crate) fn solve_mclp(
    problem: &Problem,
    p: usize,
    node_limit: usize,
    stop: Stop,
    report: Report,
) -> (Vec<usize>, f64, String) {
    let cover = Cover::new(problem);
    let merged = (cover.weight.len(),);
    let mut gain = CoverGain {
        cover: &cover,
        covered: vec![false; cover.weight.len()],
    };
    let start = super::heuristic::greedy_by(problem, p, &mut gain);
    let open = interchange(problem, &cover, start, stop);
    let mut mark = Vec::new();
    let value = cover.value(&open, &mut mark);
    report(value, f64::INFINITY);
    let mut search = Search {
        problem,
        p,
        goal: Goal::Improve,
        integral: integral(problem),
        incumbent: Incumbent {
            value,
            sites: open.clone(),
        },
        stop,
        report,
        reached: false,
        seen: f64::NEG_INFINITY,
        groups: has_groups(problem),
    };
    let lambda = cover.weight.clone();
    let out = search.run(cover, lambda, node_limit, 2000);
    let sites = if search.incumbent.value > value {
        search.incumbent.sites
    } else {
        open
    };
    let size = format!(
        "{} merged demand rows, {} candidates left at the root",
        merged.0, out.root_size.0
    );
    let method = if out.complete && out.nodes == 0 {
        format!("greedy + interchange, proven optimal by the Lagrangian bound ({size})")
    } else if out.complete {
        format!(
            "greedy + interchange, proven optimal by Lagrangian branch and bound with \
             reduced-cost fixing ({} nodes; {size})",
            out.nodes
        )
    } else {
        let why = if out.timed_out {
            "the time limit"
        } else {
            "the node limit"
        };
        format!(
            "greedy + interchange; Lagrangian bound (branch and bound stopped by {why} at {} \
             nodes; {size})",
            out.nodes
        )
    };
    (sites, out.bound, method)
}

/// Lagrangian lower bound on the number of sites for set covering (Beasley 1990), here for
/// partial covering: minimise Σ y_j subject to z_r ≤ Σ_{j ∋ r} y_j and Σ w_r z_r ≥ `need`
/// (the weight the free candidates must add to `cover`'s constant). Relaxing the coverage
/// rows with u_r ≥ 0 leaves L(u) = fixed-open sites + Σ_j min(0, 1 − Σ_{r ∈ j} u_r) + the
/// fractional knapsack min { Σ u_r z_r : Σ w_r z_r ≥ need, 0 ≤ z ≤ 1 }, a lower bound for
/// every u. Subgradient steps on u; every few steps a Lagrangian heuristic (the candidates
/// of negative reduced cost, completed greedily by weight, then redundant ones dropped)
/// improves `best` (sites meeting the need and the side constraints). Returns the best
/// bound.
fn lscp_bound(
    problem: &Problem,
    cover: &Cover,
    need: f64,
    best: &mut Vec<usize>,
    iterations: usize,
    stop: Stop,
) -> f64 {
    let n = cover.weight.len();
    let m = cover.candidates();
    let fixed_open: Vec<usize> = (0..m).filter(|&j| cover.fixed[j] == Some(true)).collect();
    let base = fixed_open.len() as f64;
    if need <= 0.0 {
        return base;
    }
    // Start: u_r = the least 1 / (rows of j) over the candidates j covering r.
    let mut u = vec![f64::INFINITY; n];
    for j in cover.free() {
        let k = cover.col(j).len() as f64;
        for &r in cover.col(j) {
            u[r as usize] = u[r as usize].min(1.0 / k);
        }
    }
    u.iter_mut().for_each(|x| {
        if !x.is_finite() {
            *x = 0.0;
        }
    });
    let mut best_bound = f64::NEG_INFINITY;
    let mut theta = 1.0;
    let mut stale = 0;
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut g = vec![0.0; n];
    let mut count = vec![0u32; n];
    for it in 0..iterations {
        if it % 8 == 7 && stop() {
            break;
        }
        let c: Vec<f64> = (0..m)
            .into_par_iter()
            .map(|j| {
                if cover.fixed[j].is_none() {
                    cover.col(j).iter().map(|&r| u[r as usize]).sum()
                } else {
                    0.0
                }
            })
            .collect();
        let y: Vec<usize> = cover.free().filter(|&j| c[j] > 1.0).collect();
        let mut bound = base + y.iter().map(|&j| 1.0 - c[j]).sum::<f64>();
        order.sort_unstable_by(|&a, &b| {
            (u[a as usize] / cover.weight[a as usize])
                .total_cmp(&(u[b as usize] / cover.weight[b as usize]))
        });
        g.iter_mut().for_each(|x| *x = 0.0);
        let mut left = need;
        for &r in &order {
            if left <= 0.0 {
                break;
            }
            let w = cover.weight[r as usize];
            let z = (left / w).min(1.0);
            g[r as usize] = z;
            bound += u[r as usize] * z;
            left -= w * z;
        }
        if left > 1e-9 * need {
            // The free candidates cannot meet the need at all.
            return f64::INFINITY;
        }
        for &j in &y {
            for &r in cover.col(j) {
                g[r as usize] -= 1.0;
            }
        }
        let upper = (best.len() as f64).max(base);
        if bound > best_bound + 1e-9 {
            best_bound = bound;
            stale = 0;
        } else {
            stale += 1;
            // Halved after 100 steps without a better bound (with 20, the bound at 20,000 ×
            // 1,000 stalled at 19 against the LP's 21.39).
            if stale >= 100 {
                theta /= 2.0;
                stale = 0;
            }
        }
        if (best_bound - 1e-6).ceil() >= upper || theta < 1e-4 {
            break;
        }
        if it % 5 == 0 {
            // Lagrangian heuristic from the candidates of negative reduced cost.
            let mut sites: Vec<usize> = y.clone();
            count.iter_mut().for_each(|x| *x = 0);
            let mut covered = 0.0;
            for &j in &sites {
                for &r in cover.col(j) {
                    if count[r as usize] == 0 {
                        covered += cover.weight[r as usize];
                    }
                    count[r as usize] += 1;
                }
            }
            while covered < need {
                let Some((j, add)) =
                    best_addition(cover, &count, |j| sites.contains(&j), |r| cover.weight[r])
                else {
                    break;
                };
                covered += add;
                sites.push(j);
                for &r in cover.col(j) {
                    count[r as usize] += 1;
                }
            }
            if covered >= need {
                // Drop redundant sites, those the multipliers value least first.
                let mut by_value = sites.clone();
                by_value.sort_by(|&a, &b| c[a].total_cmp(&c[b]).then(a.cmp(&b)));
                for j in by_value {
                    let only: f64 = cover
                        .col(j)
                        .iter()
                        .filter(|&&r| count[r as usize] == 1)
                        .map(|&r| cover.weight[r as usize])
                        .sum();
                    if covered - only >= need {
                        covered -= only;
                        sites.retain(|&k| k != j);
                        for &r in cover.col(j) {
                            count[r as usize] -= 1;
                        }
                    }
                }
                let mut all = fixed_open.clone();
                all.extend(&sites);
                if all.len() < best.len() && problem.feasible(&all).is_ok() {
                    *best = all;
                }
            }
        }
        let upper = (best.len() as f64).max(base);
        let norm: f64 = (0..n)
            .filter(|&r| !(u[r] <= 0.0 && g[r] < 0.0))
            .map(|r| g[r] * g[r])
            .sum();
        if norm == 0.0 {
            break;
        }
        let step = theta * (upper - bound).max(0.05) / norm;
        for (x, gr) in u.iter_mut().zip(&g) {
            *x = (*x + step * gr).max(0.0);
        }
    }
    best_bound
}

/// The greedy step of a set-covering repair: the free candidate not `open` that adds the
/// most `value` (per row) of the rows no site covers yet (`count` 0), ties to the lowest
/// index; `None` when none adds anything.
fn best_addition(
    cover: &Cover,
    count: &[u32],
    open: impl Fn(usize) -> bool,
    value: impl Fn(usize) -> f64,
) -> Option<(usize, f64)> {
    cover
        .free()
        .filter(|&j| !open(j))
        .map(|j| {
            let add: f64 = cover
                .col(j)
                .iter()
                .filter(|&&r| count[r as usize] == 0)
                .map(|&r| value(r as usize))
                .sum();
            (j, add)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .filter(|p| p.1 > 0.0)
}

/// Local search for set covering on `cover` (no side constraints but forced and excluded
/// candidates, which `cover` fixes): from the sites `open` (meeting `need`, the weight the
/// free candidates must add to the constant), repeatedly
/// - drops sites the others make redundant;
/// - replaces two sites by one (a (2,1) exchange: the rows only the two cover are looked up
///   in the transposed matrix, and a candidate covering enough of them takes their place).
///
/// Then, `rounds` times, it perturbs the best sites (a few removed at random, by a fixed-seed
/// generator, and the cover repaired greedily: by uncovered rows when every row must be
/// covered, else by uncovered weight) and descends again, keeping the result when it is no
/// larger (iterated local search). Stops early at `lower` sites or when `stop` says so.
/// Returns the fewest sites found (fixed-open ones included), never more than `open`.
fn improve_cover(
    cover: &Cover,
    need: f64,
    open: Vec<usize>,
    lower: usize,
    rounds: usize,
    stop: Stop,
) -> Vec<usize> {
    let n = cover.weight.len();
    let m = cover.candidates();
    let fixed_open: Vec<usize> = (0..m).filter(|&j| cover.fixed[j] == Some(true)).collect();
    let start: Vec<usize> = open
        .iter()
        .copied()
        .filter(|&j| cover.fixed[j].is_none())
        .collect();
    if n == 0 || start.len() + fixed_open.len() != open.len() {
        return open;
    }
    // Rows → the free candidates covering them (transposed, compressed).
    let mut rstart = vec![0usize; n + 1];
    for j in cover.free() {
        for &r in cover.col(j) {
            rstart[r as usize + 1] += 1;
        }
    }
    for r in 0..n {
        rstart[r + 1] += rstart[r];
    }
    let mut fill = rstart.clone();
    let mut rcols = vec![0u32; rstart[n]];
    for j in cover.free() {
        for &r in cover.col(j) {
            rcols[fill[r as usize]] = j as u32;
            fill[r as usize] += 1;
        }
    }
    drop(fill);
    let total: f64 = cover.weight.iter().sum();
    let lightest = cover.weight.iter().copied().fold(f64::INFINITY, f64::min);
    // Every row must be covered: the greedy repair counts rows, not weight.
    let full = total - lightest < need;
    let unit = |r: usize| if full { 1.0 } else { cover.weight[r] };
    let mut ls = LocalSearch {
        cover,
        need,
        rstart,
        rcols,
        count: vec![0; n],
        sub: vec![0; n],
        acc: vec![0.0; m],
        in_s: vec![false; m],
        covered: 0.0,
        sites: Vec::new(),
    };
    ls.set(&start);
    if ls.covered < need {
        return open;
    }
    ls.descend();
    let mut best = ls.sites.clone();
    let floor = lower.saturating_sub(fixed_open.len());
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for round in 0..rounds {
        if best.len() <= floor || stop() {
            break;
        }
        ls.set(&best);
        // Remove 2–4 sites at random.
        let k = (2 + round % 3).min(ls.sites.len());
        for _ in 0..k {
            rng = mix(rng.wrapping_add(0x9e37_79b9_7f4a_7c15));
            let at = (rng % ls.sites.len() as u64) as usize;
            let j = ls.sites[at];
            ls.remove(j);
        }
        // Greedy repair.
        while ls.covered < need {
            match best_addition(cover, &ls.count, |j| ls.in_s[j], unit) {
                Some((j, _)) => ls.add(j),
                None => break,
            }
        }
        if ls.covered < need {
            continue;
        }
        ls.descend();
        if ls.sites.len() <= best.len() {
            best.clone_from(&ls.sites);
        }
    }
    if best.len() >= start.len() {
        return open;
    }
    let mut all = fixed_open;
    all.extend(best);
    all
}

/// The state of [`improve_cover`]: the sites, how often each row is covered, and scratch.
struct LocalSearch<'a> {
    cover: &'a Cover,
    need: f64,
    rstart: Vec<usize>,
    rcols: Vec<u32>,
    /// Per row: how many sites cover it.
    count: Vec<u32>,
    /// Scratch per row and per candidate.
    sub: Vec<u32>,
    acc: Vec<f64>,
    in_s: Vec<bool>,
    /// Weight of the rows some site covers.
    covered: f64,
    sites: Vec<usize>,
}

impl LocalSearch<'_> {
    fn set(&mut self, sites: &[usize]) {
        self.count.iter_mut().for_each(|c| *c = 0);
        self.in_s.iter_mut().for_each(|x| *x = false);
        self.covered = 0.0;
        self.sites.clear();
        for &j in sites {
            self.add(j);
        }
    }

    fn add(&mut self, j: usize) {
        for &r in self.cover.col(j) {
            if self.count[r as usize] == 0 {
                self.covered += self.cover.weight[r as usize];
            }
            self.count[r as usize] += 1;
        }
        self.in_s[j] = true;
        self.sites.push(j);
    }

    fn remove(&mut self, j: usize) {
        for &r in self.cover.col(j) {
            self.count[r as usize] -= 1;
            if self.count[r as usize] == 0 {
                self.covered -= self.cover.weight[r as usize];
            }
        }
        self.in_s[j] = false;
        self.sites.retain(|&k| k != j);
    }

    /// Weight only `j` covers.
    fn unique(&self, j: usize) -> f64 {
        self.cover
            .col(j)
            .iter()
            .filter(|&&r| self.count[r as usize] == 1)
            .map(|&r| self.cover.weight[r as usize])
            .sum()
    }

    /// Drops redundant sites (least unique weight first), then makes (2,1) exchanges until
    /// none applies.
    fn descend(&mut self) {
        loop {
            let mut order: Vec<(f64, usize)> =
                self.sites.iter().map(|&j| (self.unique(j), j)).collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (_, j) in order {
                if self.covered - self.unique(j) >= self.need {
                    self.remove(j);
                }
            }
            if !self.exchange() {
                return;
            }
        }
    }

    /// One (2,1) exchange, the first found (pairs in site order): whether one was made.
    fn exchange(&mut self) -> bool {
        let cover = self.cover;
        let sites = self.sites.clone();
        let mut lost: Vec<u32> = Vec::new();
        let mut touched: Vec<u32> = Vec::new();
        for x in 0..sites.len() {
            for y in x + 1..sites.len() {
                let (a, b) = (sites[x], sites[y]);
                lost.clear();
                for &r in cover.col(a).iter().chain(cover.col(b)) {
                    let r = r as usize;
                    self.sub[r] += 1;
                    if self.sub[r] == self.count[r] {
                        lost.push(r as u32);
                    }
                }
                for &r in cover.col(a).iter().chain(cover.col(b)) {
                    self.sub[r as usize] = 0;
                }
                let lost_w: f64 = lost.iter().map(|&r| cover.weight[r as usize]).sum();
                let short = self.need - (self.covered - lost_w);
                // What a third candidate c would add: the lost rows it covers, and rows no
                // site covers (none when every row must be covered and is).
                touched.clear();
                for &r in &lost {
                    for &c in &self.rcols[self.rstart[r as usize]..self.rstart[r as usize + 1]] {
                        if c as usize == a || c as usize == b {
                            continue;
                        }
                        if self.acc[c as usize] == 0.0 {
                            touched.push(c);
                        }
                        self.acc[c as usize] += cover.weight[r as usize];
                    }
                }
                let mut pick = None;
                for &c in &touched {
                    let c = c as usize;
                    if pick.is_none() {
                        let mut g = self.acc[c];
                        if g < short {
                            g += cover
                                .col(c)
                                .iter()
                                .filter(|&&r| self.count[r as usize] == 0)
                                .map(|&r| cover.weight[r as usize])
                                .sum::<f64>();
                        }
                        if self.covered - lost_w + g >= self.need {
                            pick = Some(c);
                        }
                    }
                    self.acc[c] = 0.0;
                }
                if short <= 0.0 || pick.is_some() {
                    self.remove(a);
                    self.remove(b);
                    if let Some(c) = pick.filter(|_| short > 0.0) {
                        self.add(c);
                    }
                    return true;
                }
            }
        }
        false
    }
}

/// Set covering: the fewest new sites covering `share` of the coverable weight, with a
/// proven lower bound on their number. The sites start from `heuristic::set_cover_sites`
/// (greedy, then unneeded sites dropped). Then, for k = the trivial lower bound upwards,
/// k sites are shown unable to reach the target — by the Lagrangian MCLP bound of k sites
/// (multipliers carried from k − 1), else by a branch and bound deciding whether k sites
/// can reach it — which raises the lower bound to k + 1; a k-site choice that does reach it
/// becomes the answer, proven minimal. Stops at the time limit with the bound so far.
pub(crate) fn set_cover(
    problem: &Problem,
    share: f64,
    stop: Stop,
    report: Report,
) -> Result<(Vec<usize>, usize, String), super::SitingError> {
    let (mut open, target) = super::heuristic::set_cover_sites(problem, share)?;
    let forced = problem.forced.iter().filter(|&&f| f).count();
    let mins: usize = problem.min_per_group.iter().sum();
    let mut lower = forced.max(mins).max(1).min(open.len());
    let cover = Cover::new(problem);
    let mut lambda = cover.weight.clone();
    // Local search first, so that the bound's steps aim at a tight number of sites.
    if !has_groups(problem) {
        let better = improve_cover(
            &cover,
            target - cover.constant,
            open.clone(),
            lower,
            400,
            stop,
        );
        // Checked on the data before it replaces the sites.
        if better.len() < open.len()
            && super::evaluate(problem, &better).covered_weight >= target
            && problem.feasible(&better).is_ok()
        {
            open = better;
        }
    }
    let before = open.len();
    let lagrangian = lscp_bound(
        problem,
        &cover,
        target - cover.constant,
        &mut open,
        6000,
        stop,
    );
    if open.len() < before {
        // The Lagrangian heuristic's sites: drop what is not needed, checked on the data.
        let covered = |o: &[usize]| super::evaluate(problem, o).covered_weight;
        open = super::heuristic::drop_unneeded(problem, open, covered, target);
    }
    if lagrangian.is_finite() {
        lower = lower
            .max((lagrangian - 1e-6).ceil() as usize)
            .min(open.len());
    }
    let mut nodes = 0;
    let mut timed_out = false;
    report(open.len() as f64, lower as f64);
    while lower < open.len() {
        if stop() {
            timed_out = true;
            break;
        }
        let mut search = Search {
            problem,
            p: lower,
            goal: Goal::Reach(target),
            integral: integral(problem),
            incumbent: Incumbent {
                value: f64::NEG_INFINITY,
                sites: Vec::new(),
            },
            stop,
            report: &|_, _| {},
            reached: false,
            seen: f64::NEG_INFINITY,
            groups: has_groups(problem),
        };
        let root = search.optimise(&cover, &mut lambda, 400);
        let out = match root {
            Some(nb) if !search.reached && !search.prunes(nb.bound) => {
                search.run(cover.clone(), lambda.clone(), usize::MAX, 100)
            }
            _ => Outcome {
                complete: !search.reached && !(stop)(),
                bound: f64::NEG_INFINITY,
                root_bound: f64::NEG_INFINITY,
                nodes: 0,
                root_size: (0, 0),
                timed_out: false,
            },
        };
        nodes += out.nodes;
        if search.reached {
            let covered = |o: &[usize]| super::evaluate(problem, o).covered_weight;
            let found =
                super::heuristic::drop_unneeded(problem, search.incumbent.sites, covered, target);
            if found.len() < open.len() {
                open = found;
            }
            report(open.len() as f64, lower as f64);
            break;
        }
        if !out.complete {
            timed_out = true;
            break;
        }
        lower += 1;
        report(open.len() as f64, lower as f64);
    }
    let how = if lower >= open.len() {
        format!("greedy + drop; proven minimal by Lagrangian MCLP bounds and branch and bound ({nodes} nodes)")
    } else if timed_out {
        "greedy + drop; lower bound from Lagrangian MCLP bounds and branch and bound (stopped by the time limit)".to_string()
    } else {
        "greedy + drop; lower bound from Lagrangian MCLP bounds".to_string()
    };
    Ok((open, lower, how))
}

#[cfg(test)]
mod tests {
    use super::super::{evaluate, solve, Model, Problem, SideConstraints};
    use super::Cover;

    /// A small deterministic generator (64-bit LCG), for instances without a dev-dependency.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// `n` demand points and `m` candidates in a 3 × 3 km square, reach 800 m, integer
    /// weights, two existing facilities; with `side`, two groups (minimum one site in the
    /// first, at most one in the second), one forced and one excluded candidate.
    fn random(seed: u64, n: usize, m: usize, side: bool) -> Problem {
        let mut g = Lcg(seed);
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|_| (g.next() * 3000.0, g.next() * 3000.0))
            .collect();
        let sites: Vec<(f64, f64)> = (0..m)
            .map(|_| (g.next() * 3000.0, g.next() * 3000.0))
            .collect();
        let existing = [
            (g.next() * 3000.0, g.next() * 3000.0),
            (g.next() * 3000.0, g.next() * 3000.0),
        ];
        let reach = 800.0;
        let dist =
            |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let weights = (0..n).map(|_| (g.next() * 20.0).floor()).collect();
        let existing_m = pts
            .iter()
            .map(|&q| {
                let d = existing
                    .iter()
                    .map(|&e| dist(q, e))
                    .fold(f64::INFINITY, f64::min);
                if d <= reach {
                    d
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        // Two copies of every fifth point's position: identical columns to merge.
        let pairs: Vec<Vec<(u32, f64)>> = sites
            .iter()
            .map(|&s| {
                (0..n)
                    .filter_map(|i| {
                        let q = if i % 5 == 1 { pts[i - 1] } else { pts[i] };
                        let d = dist(q, s);
                        (d <= reach).then_some((i as u32, d))
                    })
                    .collect()
            })
            .collect();
        let mut sc = SideConstraints::none(m);
        if side {
            sc.groups = (0..m).map(|j| Some(j % 3).filter(|&g| g < 2)).collect();
            sc.min_per_group = vec![1, 0];
            sc.max_per_group = vec![None, Some(1)];
            sc.forced[m - 1] = true;
            sc.excluded[2] = true;
        }
        Problem::new(weights, existing_m, pairs, reach, sc).unwrap()
    }

    /// Every feasible choice of `p` sites: the best covered weight.
    fn brute(pb: &Problem, p: usize) -> f64 {
        let m = pb.candidates();
        let mut best = f64::NEG_INFINITY;
        for mask in 0u32..(1 << m) {
            if mask.count_ones() as usize != p {
                continue;
            }
            let open: Vec<usize> = (0..m).filter(|&j| mask & (1 << j) != 0).collect();
            if pb.feasible(&open).is_ok() {
                best = best.max(evaluate(pb, &open).covered_weight);
            }
        }
        best
    }

    #[test]
    fn merging_keeps_the_coverable_weight_and_merges_identical_points() {
        let pb = random(7, 200, 12, false);
        let c = Cover::new(&pb);
        let coverable: f64 = (0..pb.weights.len())
            .filter(|&i| {
                pb.existing_m[i] > pb.reach_m
                    && (0..pb.candidates()).any(|j| pb.pairs.demand(j).contains(&(i as u32)))
            })
            .map(|i| pb.weights[i])
            .sum();
        assert_eq!(c.weight.iter().sum::<f64>(), coverable);
        assert_eq!(c.constant, pb.covered_by_existing());
        assert!(c.weight.len() < 200 * 4 / 5, "{} rows", c.weight.len());
        // All candidates open: the merged instance covers what the data say.
        let all: Vec<usize> = (0..12).collect();
        let mut mark = Vec::new();
        assert_eq!(c.value(&all, &mut mark), evaluate(&pb, &all).covered_weight);
    }

    #[test]
    fn mclp_matches_brute_force_with_valid_bounds() {
        for seed in 0..40 {
            let side = seed % 2 == 1;
            let pb = random(seed, 120, 14, side);
            for p in [2, 4] {
                let optimum = brute(&pb, p);
                let s = solve(&pb, Model::MaxCover { p }, usize::MAX).unwrap();
                assert_eq!(s.objective, optimum, "seed {seed} p {p}: {}", s.method);
                assert_eq!(s.objective, evaluate(&pb, &s.open).covered_weight);
                assert!(pb.feasible(&s.open).is_ok());
                assert_eq!(
                    (s.bound, s.gap),
                    (optimum, 0.0),
                    "seed {seed} p {p}: {}",
                    s.method
                );
                // The root bound alone is an upper bound.
                let r = solve(&pb, Model::MaxCover { p }, 0).unwrap();
                assert!(
                    r.bound >= optimum && r.objective <= optimum,
                    "seed {seed} p {p}"
                );
                // A time limit up at once still gives a valid bound.
                let t =
                    super::super::solve_within(&pb, Model::MaxCover { p }, usize::MAX, &|| true)
                        .unwrap();
                assert!(
                    t.bound >= optimum && t.objective <= optimum,
                    "seed {seed} p {p}"
                );
            }
        }
    }

    #[test]
    fn local_search_replaces_two_sites_by_one_and_keeps_the_cover() {
        // Four points of weight 1, 2, 3, 4: candidate 0 covers points 0–1, candidate 1
        // points 2–3, candidate 2 all four, candidate 3 points 1–3.
        let at = |i: &[u32]| i.iter().map(|&i| (i, 0.0)).collect::<Vec<_>>();
        let pb = Problem::new(
            vec![1.0, 2.0, 3.0, 4.0],
            vec![f64::INFINITY; 4],
            vec![at(&[0, 1]), at(&[2, 3]), at(&[0, 1, 2, 3]), at(&[1, 2, 3])],
            1.0,
            SideConstraints::none(4),
        )
        .unwrap();
        let cover = Cover::new(&pb);
        let all = cover.weight.iter().sum::<f64>();
        assert_eq!(all, 10.0);
        // Everything: {0, 1} becomes {2}.
        assert_eq!(
            super::improve_cover(&cover, all, vec![0, 1], 1, 0, &|| false),
            [2]
        );
        // 9 of 10: {0, 1} becomes {2} or {3}, one site either way.
        let one = super::improve_cover(&cover, 9.0, vec![0, 1], 1, 0, &|| false);
        assert_eq!(one.len(), 1);
        assert!(evaluate(&pb, &one).covered_weight >= 9.0);
        // Already minimal: unchanged.
        assert_eq!(
            super::improve_cover(&cover, all, vec![2], 1, 10, &|| false),
            [2]
        );
    }

    #[test]
    fn lscp_matches_brute_force() {
        for seed in 0..20 {
            let pb = random(100 + seed, 80, 12, seed % 2 == 1);
            let s = solve(&pb, Model::SetCover { share: 0.9 }, usize::MAX).unwrap();
            let total: f64 = pb.weights.iter().sum();
            let target = 0.9 * (total - pb.uncoverable_weight()) - 1e-9 * total.max(1.0);
            let fewest = (1..=12)
                .find(|&k| brute(&pb, k) >= target)
                .expect("coverable");
            assert!(evaluate(&pb, &s.open).covered_weight >= target);
            assert!(
                s.bound <= fewest as f64,
                "seed {seed}: bound {} > {fewest}",
                s.bound
            );
            assert_eq!(
                (s.objective, s.bound),
                (fewest as f64, fewest as f64),
                "seed {seed}: {}",
                s.method
            );
        }
    }
}
