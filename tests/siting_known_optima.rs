//! Location-allocation against published optima: OR-Library p-median pmed1–pmed20 and PySAL
//! spopt's San Francisco network-distance case. Fails, never skips, without the shared data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lifecircle::siting::{evaluate, solve, solve_within, Model, Problem, SideConstraints};

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

fn problem(weights: Vec<f64>, pairs: Vec<Vec<(u32, f64)>>, reach_m: f64) -> Problem {
    let m = pairs.len();
    let n = weights.len();
    Problem::new(
        weights,
        vec![f64::INFINITY; n],
        pairs,
        reach_m,
        SideConstraints::none(m),
    )
    .unwrap()
}

/// OR-Library pmedN: every vertex a client (weight 1) and a candidate; costs are shortest
/// paths over the listed edges, where a repeated edge's last occurrence counts.
fn pmed(n: u32) -> (Problem, usize) {
    let text = std::fs::read_to_string(shared(&format!("orlib-pmed/pmed{n}.txt"))).unwrap();
    let mut nums = text.split_whitespace().map(|t| t.parse::<f64>().unwrap());
    let (v, e, p) = (
        nums.next().unwrap() as usize,
        nums.next().unwrap() as usize,
        nums.next().unwrap() as usize,
    );
    let mut d = vec![vec![f64::INFINITY; v]; v];
    for (i, row) in d.iter_mut().enumerate() {
        row[i] = 0.0;
    }
    for _ in 0..e {
        let (a, b, c) = (
            nums.next().unwrap() as usize - 1,
            nums.next().unwrap() as usize - 1,
            nums.next().unwrap(),
        );
        d[a][b] = c;
        d[b][a] = c;
    }
    for k in 0..v {
        for i in 0..v {
            for j in 0..v {
                if d[i][k] + d[k][j] < d[i][j] {
                    d[i][j] = d[i][k] + d[k][j];
                }
            }
        }
    }
    let pairs = (0..v)
        .map(|j| (0..v).map(|i| (i as u32, d[i][j])).collect())
        .collect();
    (problem(vec![1.0; v], pairs, f64::INFINITY), p)
}

/// OR-Library's published optima of pmed1–pmed5.
const PMED_OPTIMA: [(u32, f64); 5] = [
    (1, 5819.0),
    (2, 4093.0),
    (3, 4250.0),
    (4, 3034.0),
    (5, 1355.0),
];

/// OR-Library's published optima of pmed6–pmed20 (`pmedopt`, see the data's SOURCE.md).
const PMED_OPTIMA_6_20: [(u32, f64); 15] = [
    (6, 7824.0),
    (7, 5631.0),
    (8, 4445.0),
    (9, 2734.0),
    (10, 1255.0),
    (11, 7696.0),
    (12, 6634.0),
    (13, 4374.0),
    (14, 2968.0),
    (15, 1729.0),
    (16, 8162.0),
    (17, 6999.0),
    (18, 4809.0),
    (19, 2845.0),
    (20, 1789.0),
];

/// Each OR-Library instance of `cases` (number, published optimum) solved with
/// `node_limit`: p sites at the published optimum, re-checked from the data, and proven
/// optimal (gap 0).
fn assert_pmed_optima(cases: &[(u32, f64)], node_limit: usize) {
    for &(n, optimum) in cases {
        let (pb, p) = pmed(n);
        let s = solve(&pb, Model::PMedian { p }, node_limit).unwrap();
        assert_eq!(s.open.len(), p);
        assert_eq!(
            s.objective, optimum,
            "pmed{n}: {} ({})",
            s.objective, s.method
        );
        assert_eq!(evaluate(&pb, &s.open).weighted_distance, optimum);
        assert_eq!(s.gap, 0.0, "pmed{n}: bound {} ({})", s.bound, s.method);
    }
}

/// pmed6–pmed20 (200–400 vertices, p up to 133): proven optimal by the Lagrangian branch
/// and bound, each re-checked from the data.
#[test]
fn orlib_pmed6_to_pmed20_reach_the_published_optima() {
    assert_pmed_optima(&PMED_OPTIMA_6_20, usize::MAX);
}

#[test]
fn orlib_pmed1_to_pmed5_reach_the_published_optima() {
    assert_pmed_optima(&PMED_OPTIMA, 20_000);
}

/// A time limit that is up at once still answers: p sites (the greedy's, re-checked from
/// the data), a valid bound below the published optimum, the gap between them, and a method
/// that says the time stopped it — never an error or a hang.
#[test]
fn a_time_limit_answers_with_the_best_sites_and_bound_so_far() {
    let (pb, p) = pmed(4);
    let optimum = PMED_OPTIMA.iter().find(|(n, _)| *n == 4).unwrap().1;
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let stop = || {
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        true
    };
    let s = solve_within(&pb, Model::PMedian { p }, usize::MAX, &stop).unwrap();
    assert!(calls.into_inner() > 0, "the time limit was never asked");
    assert_eq!(s.open.len(), p);
    assert_eq!(evaluate(&pb, &s.open).weighted_distance, s.objective);
    assert!(s.objective >= optimum);
    assert!(
        s.bound <= optimum,
        "bound {} above the optimum {optimum}",
        s.bound
    );
    assert!(s.gap > 0.0 && s.gap.is_finite(), "gap {}", s.gap);
    assert!(
        s.method.contains("stopped by the time limit"),
        "{}",
        s.method
    );
}

struct Sf {
    weights: Vec<f64>,
    /// distance[store][tract]
    distance: Vec<Vec<f64>>,
}

fn sf() -> Sf {
    let mut r = csv::Reader::from_path(shared(
        "spopt-sf-network/SF_network_distance_candidateStore_16_censusTract_205_new.csv",
    ))
    .unwrap();
    let mut tracts: BTreeMap<String, f64> = BTreeMap::new();
    let mut stores: BTreeMap<u32, usize> = BTreeMap::new();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let store: u32 = rec[1].trim_start_matches("Store_").parse().unwrap();
        stores.insert(store, 0);
        tracts.insert(rec[2].to_string(), rec[3].parse().unwrap());
        rows.push((store, rec[2].to_string(), rec[0].parse::<f64>().unwrap()));
    }
    for (k, v) in stores.values_mut().enumerate() {
        *v = k;
    }
    let index: BTreeMap<&String, usize> = tracts.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let mut distance = vec![vec![f64::INFINITY; tracts.len()]; stores.len()];
    for (s, t, d) in &rows {
        distance[stores[s]][index[t]] = *d;
    }
    Sf {
        weights: tracts.values().copied().collect(),
        distance,
    }
}

fn sf_problem(sf: &Sf, reach_m: f64) -> Problem {
    let pairs = sf
        .distance
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .filter(|(_, &d)| d <= reach_m)
                .map(|(i, &d)| (i as u32, d))
                .collect()
        })
        .collect();
    problem(sf.weights.clone(), pairs, reach_m)
}

#[test]
fn spopt_san_francisco_mclp_pmedian_lscp() {
    let sf = sf();
    assert_eq!((sf.weights.len(), sf.distance.len()), (205, 16));

    // MCLP, 4 sites, 5000 m: 21 tracts uncovered, 89.756 % of tracts covered.
    let pb = sf_problem(&sf, 5000.0);
    let s = solve(&pb, Model::MaxCover { p: 4 }, 20_000).unwrap();
    let mut best = vec![f64::INFINITY; 205];
    for &j in &s.open {
        for (i, d) in sf.distance[j].iter().enumerate() {
            best[i] = best[i].min(*d);
        }
    }
    let uncovered = best.iter().filter(|&&d| d > 5000.0).count();
    assert_eq!(uncovered, 21);
    assert_eq!(s.objective, 875_247.0);
    assert!(((205 - uncovered) as f64 / 205.0 * 100.0 - 89.756).abs() < 1e-3);
    assert_eq!(s.gap, 0.0, "{}", s.method);

    // p-median, 4 sites: mean weighted distance 2982.1268579890657 m.
    let pb = sf_problem(&sf, f64::INFINITY);
    let s = solve(&pb, Model::PMedian { p: 4 }, 20_000).unwrap();
    let mean = s.objective / sf.weights.iter().sum::<f64>();
    assert!((mean - 2_982.126_857_989_065_7).abs() < 1e-6, "{mean}");
    assert!(s.gap < 1e-9, "{} {}", s.gap, s.method);

    // Set covering, 5000 m: 8 sites, proven minimal.
    let pb = sf_problem(&sf, 5000.0);
    let s = solve(&pb, Model::SetCover { share: 1.0 }, 20_000).unwrap();
    assert_eq!(s.open.len(), 8);
    assert_eq!(s.bound, 8.0, "{}", s.method);
    let e = evaluate(&pb, &s.open);
    assert!((e.covered_weight - e.total_weight + pb.uncoverable_weight()).abs() < 1e-6);
}

/// HiGHS, an independent exact solver, reaches the same optima.
#[cfg(feature = "highs")]
#[test]
fn highs_agrees_on_the_known_optima() {
    use lifecircle::siting::milp;
    for (n, optimum) in PMED_OPTIMA {
        let (pb, p) = pmed(n);
        let s = milp::solve(&pb, Model::PMedian { p }).unwrap();
        assert_eq!(s.objective, optimum, "pmed{n}");
    }
    let sf = sf();
    let s = milp::solve(&sf_problem(&sf, 5000.0), Model::MaxCover { p: 4 }).unwrap();
    assert_eq!(s.objective, 875_247.0);
    let s = milp::solve(&sf_problem(&sf, f64::INFINITY), Model::PMedian { p: 4 }).unwrap();
    assert!((s.objective / sf.weights.iter().sum::<f64>() - 2_982.126_857_989_065_7).abs() < 1e-6);
    let s = milp::solve(&sf_problem(&sf, 5000.0), Model::SetCover { share: 1.0 }).unwrap();
    assert_eq!(s.open.len(), 8);
}

/// Clustered demand in a 3 × 4 km box (integer weights), `m` random candidates, 3 existing
/// facilities, 600 m reach: the instance shape, small enough for HiGHS.
#[cfg(feature = "highs")]
fn clustered(seed: u64, n: usize, m: usize) -> Problem {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (w, h, reach) = (3000.0, 4000.0, 600.0);
    let centres: Vec<(f64, f64)> = (0..6)
        .map(|_| (rng.gen_range(0.0..w), rng.gen_range(0.0..h)))
        .collect();
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|_| {
            if rng.gen_bool(0.7) {
                let (cx, cy) = centres[rng.gen_range(0..6)];
                (
                    cx + rng.gen_range(-400.0..400.0),
                    cy + rng.gen_range(-400.0..400.0),
                )
            } else {
                (rng.gen_range(0.0..w), rng.gen_range(0.0..h))
            }
        })
        .collect();
    let weights = (0..n).map(|_| rng.gen_range(0..30) as f64).collect();
    let sites: Vec<(f64, f64)> = (0..m + 3)
        .map(|_| (rng.gen_range(0.0..w), rng.gen_range(0.0..h)))
        .collect();
    let d = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let existing_m = pts
        .iter()
        .map(|&q| {
            let e = sites[m..]
                .iter()
                .map(|&s| d(q, s))
                .fold(f64::INFINITY, f64::min);
            if e <= reach {
                e
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let pairs: Vec<Vec<(u32, f64)>> = sites[..m]
        .iter()
        .map(|&s| {
            pts.iter()
                .enumerate()
                .filter(|(_, &q)| d(q, s) <= reach)
                .map(|(i, &q)| (i as u32, d(q, s)))
                .collect()
        })
        .collect();
    Problem::new(weights, existing_m, pairs, reach, SideConstraints::none(m)).unwrap()
}

/// MCLP and LSCP on clustered instances: the merged-instance solver proves the optimum
/// HiGHS finds (MCLP), its root bound is an upper bound on it, and the LSCP lower bound
/// never exceeds HiGHS's minimum.
#[cfg(feature = "highs")]
#[test]
fn highs_agrees_on_clustered_mclp_and_bounds_lscp() {
    use lifecircle::siting::milp;
    for seed in 0..4 {
        let pb = clustered(seed, 3000, 120);
        for p in [3, 6] {
            let exact = milp::solve(&pb, Model::MaxCover { p }).unwrap();
            let s = solve(&pb, Model::MaxCover { p }, usize::MAX).unwrap();
            assert_eq!(
                s.objective, exact.objective,
                "seed {seed} p {p}: {}",
                s.method
            );
            assert_eq!(s.gap, 0.0, "seed {seed} p {p}: {}", s.method);
            let root = solve(&pb, Model::MaxCover { p }, 0).unwrap();
            assert!(root.bound >= exact.objective, "seed {seed} p {p}");
        }
        let exact = milp::solve(&pb, Model::SetCover { share: 0.95 }).unwrap();
        let s = solve(&pb, Model::SetCover { share: 0.95 }, usize::MAX).unwrap();
        assert!(
            s.bound <= exact.objective,
            "seed {seed}: {} > {}",
            s.bound,
            exact.objective
        );
        assert!(s.objective >= exact.objective, "seed {seed}");
    }
}
