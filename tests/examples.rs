//! The examples in `examples/` run as tests (their code, not a copy), and their figures are
//! those of the demo district: the same as `lifecircle demo` reads from its files.

#[allow(dead_code)]
#[path = "../examples/coverage.rs"]
mod coverage_example;

#[allow(dead_code)]
#[path = "../examples/siting.rs"]
mod siting_example;

#[test]
fn coverage_example_gives_the_demo_shares() {
    let shares = coverage_example::with_demo_analysis(|a| {
        a.indicators
            .district
            .circles
            .iter()
            .map(|c| {
                (
                    c.circle.clone(),
                    c.share().unwrap(),
                    c.straight_line_share().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    })
    .unwrap();
    // README: min15 17.4 % (straight line 44.7 %), min5 67.6 % (94.7 %), day_centre 71.7 %
    // (88.7 %). In memory the facilities are not rounded through the GCJ-02 CSV (1e-6°), so
    // allow a tenth of a point.
    let want = [
        ("min15", 0.174, 0.447),
        ("min5", 0.676, 0.947),
        ("day_centre", 0.717, 0.887),
    ];
    assert_eq!(shares.len(), want.len());
    for ((name, net, line), (w_name, w_net, w_line)) in shares.iter().zip(want) {
        assert_eq!(name, w_name);
        assert!((net - w_net).abs() < 0.001, "{name}: {net}");
        assert!((line - w_line).abs() < 0.001, "{name}: {line}");
    }
}

#[test]
fn siting_example_proposes_the_demo_sites() {
    let p = siting_example::demo_proposal().unwrap();
    assert_eq!(p.solution.open.len(), 10);
    assert_eq!(p.ranked.len(), 10);
    // Proven optimal; the re-measured coverage equals the solver's objective.
    assert!(p.solution.gap < 1e-9, "gap {}", p.solution.gap);
    assert!((p.recheck.covered_weight - p.solution.objective).abs() < 1e-6);
    // The demo's figures (README): 100,494 → 217,423 people aged 60+ within 900 m.
    assert!(
        (p.covered_before - 100_494.0).abs() < 200.0,
        "{}",
        p.covered_before
    );
    assert!((p.recheck.covered_weight - 217_423.0).abs() < 500.0);
    // Marginal gains add up to the improvement.
    let gained: f64 = p.ranked.iter().map(|r| r.newly_covered).sum();
    assert!((gained - (p.recheck.covered_weight - p.covered_before)).abs() < 1e-6);
}
