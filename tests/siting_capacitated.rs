//! Capacitated siting: invariants on the San Francisco instance (spopt's test data in
//! ../shared), and agreement with HiGHS (an independent exact solver) when built with the
//! `highs` feature.

use std::path::PathBuf;

use lifecircle::siting::capacitated::{self, Goal};
use lifecircle::siting::{evaluate, solve, Model, Problem, SideConstraints};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// The 205 tracts (weight = population) and 16 candidate stores with network distances;
/// every store holds `capacity` people.
fn sf(reach_m: f64, capacity: Option<f64>) -> Problem {
    let mut r = csv::Reader::from_path(shared(
        "spopt-sf-network/SF_network_distance_candidateStore_16_censusTract_205_new.csv",
    ))
    .expect("the spopt San Francisco data in ../shared/data/spopt-sf-network");
    let mut tracts = std::collections::BTreeMap::new();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let store: usize = rec[1].trim_start_matches("Store_").parse().unwrap();
        tracts.insert(rec[2].to_string(), rec[3].parse::<f64>().unwrap());
        rows.push((store, rec[2].to_string(), rec[0].parse::<f64>().unwrap()));
    }
    let stores: std::collections::BTreeSet<usize> = rows.iter().map(|r| r.0).collect();
    let store_index: std::collections::BTreeMap<usize, usize> =
        stores.iter().enumerate().map(|(k, &s)| (s, k)).collect();
    let tract_index: std::collections::BTreeMap<&String, usize> =
        tracts.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let mut pairs = vec![Vec::new(); stores.len()];
    for (s, t, d) in &rows {
        if *d <= reach_m {
            pairs[store_index[s]].push((tract_index[t] as u32, *d));
        }
    }
    for p in &mut pairs {
        p.sort_by_key(|x| x.0);
    }
    let m = stores.len();
    Problem::new(
        tracts.values().copied().collect(),
        vec![f64::INFINITY; tracts.len()],
        pairs,
        reach_m,
        SideConstraints {
            capacities: capacity.map(|c| vec![c; m]),
            ..SideConstraints::none(m)
        },
    )
    .unwrap()
}

#[test]
fn unlimited_capacity_gives_the_uncapacitated_optima() {
    // A capacity above the whole population binds nowhere: the published spopt figures.
    let total: f64 = sf(5000.0, None).weights.iter().sum();
    let pb = sf(5000.0, Some(total));
    let s = solve(&pb, Model::MaxCover { p: 4 }, 0).unwrap();
    assert_eq!(s.objective, 875_247.0);
    assert!(s.gap < 1e-9, "{} {}", s.gap, s.method);
    // p-median: a reach beyond every distance (50 km) leaves nothing capped.
    let pb = sf(50_000.0, Some(total));
    let s = solve(&pb, Model::PMedian { p: 4 }, 0).unwrap();
    assert!((s.objective / total - 2_982.126_857_989_065_7).abs() < 1e-6);
}

#[test]
fn capacity_limits_what_the_sites_serve() {
    let total: f64 = sf(5000.0, None).weights.iter().sum();
    let mut last = 0.0;
    for capacity in [50_000.0, 100_000.0, 150_000.0, 200_000.0, 250_000.0] {
        let pb = sf(5000.0, Some(capacity));
        let s = solve(&pb, Model::MaxCover { p: 4 }, 0).unwrap();
        let served: f64 = s.served.as_ref().unwrap().iter().sum();
        // Four sites serve at most four capacities, and what they serve is the objective.
        assert!(served <= 4.0 * capacity + 1e-6);
        assert!((served - s.objective).abs() < 1e-6);
        assert!(s.objective <= s.bound + 1e-6 && s.bound <= 875_247.0 + 1e-6);
        // The allocation passes the flow-by-flow check and costs what it says.
        let a = capacitated::allocate(&pb, &s.open, Goal::Cover);
        let cost = capacitated::check(&pb, &s.open, &a, Goal::Cover).unwrap();
        assert!((cost + s.objective).abs() < 1e-6);
        // More capacity never covers less (each run is optimal or within its gap; the
        // heuristic keeps the monotone trend on this instance).
        assert!(
            s.objective >= last - 1e-6,
            "{capacity}: {} < {last}",
            s.objective
        );
        last = s.objective;
        // p-median: the capped distance never beats the uncapacitated optimum.
        let pb = sf(5000.0, Some(capacity));
        let s = solve(&pb, Model::PMedian { p: 4 }, 0).unwrap();
        let uncapped = evaluate(&pb.without_capacities(), &s.open);
        assert!(s.objective >= uncapped.weighted_distance - 1e-6);
        assert!(s.bound <= s.objective + 1e-6);
    }
    // With 50,000 per site, four sites serve exactly 200,000 (the capacity binds).
    let pb = sf(5000.0, Some(50_000.0));
    let s = solve(&pb, Model::MaxCover { p: 4 }, 0).unwrap();
    assert!((s.objective - 200_000.0).abs() < 1e-6, "{}", s.objective);
    assert_eq!(s.gap, 0.0, "the capacity bound proves it");
    assert!(total > 200_000.0);
}

#[test]
fn capacitated_set_cover_needs_more_sites() {
    // Uncapacitated, 8 sites cover every coverable tract; at 100,000 people per site the
    // ~0.8 million coverable people need at least ceil(coverable / 100,000) sites.
    let pb = sf(5000.0, Some(100_000.0));
    let s = solve(&pb, Model::SetCover { share: 1.0 }, 0).unwrap();
    let coverable: f64 = pb.weights.iter().sum::<f64>() - pb.uncoverable_weight();
    let need = (coverable / 100_000.0).ceil();
    assert!(s.bound >= need && s.bound >= 8.0, "{}", s.bound);
    assert!(s.objective >= s.bound);
    let e = evaluate(&pb, &s.open);
    assert!(e.covered_weight >= coverable - 1e-6);
}

/// HiGHS solves the capacitated MILPs; its optimum is within our heuristic's bound and at
/// least our heuristic's objective, and our independent re-evaluation of HiGHS's sites (the
/// min-cost-flow allocation) equals the value HiGHS proved.
#[cfg(feature = "highs")]
#[test]
fn highs_agrees_on_capacitated_instances() {
    use lifecircle::siting::milp;
    for capacity in [60_000.0, 120_000.0, 180_000.0] {
        for (reach, model) in [
            (5000.0, Model::MaxCover { p: 4 }),
            (5000.0, Model::PMedian { p: 4 }),
            (3000.0, Model::MaxCover { p: 5 }),
            (3000.0, Model::SetCover { share: 0.9 }),
        ] {
            let pb = sf(reach, Some(capacity));
            let exact = milp::solve(&pb, model).unwrap();
            assert!(
                exact.gap < 1e-7,
                "{model} {capacity}: {} vs {}",
                exact.objective,
                exact.bound
            );
            let ours = solve(&pb, model, 0).unwrap();
            let tol = 1e-6 * exact.objective.abs().max(1.0);
            match model {
                Model::MaxCover { .. } => {
                    assert!(ours.objective <= exact.objective + tol);
                    assert!(ours.bound >= exact.objective - tol);
                }
                _ => {
                    assert!(ours.objective >= exact.objective - tol);
                    assert!(ours.bound <= exact.objective + tol);
                }
            }
            eprintln!(
                "{model}, capacity {capacity}: HiGHS {:.1}, heuristic {:.1} (gap {:.4} %)",
                exact.objective,
                ours.objective,
                100.0 * ours.gap
            );
        }
    }
}
