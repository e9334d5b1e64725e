//! Properties that must hold for any input.

use geo::Coord;
use lifecircle::coverage::straight_line;
use lifecircle::indicators::compute;
use lifecircle::model::{
    AgeBand, Capacity, Counts, Facility, FacilityKind, Location, PopulationCell, Study,
};
use lifecircle::standards::{Circle, Method, Reach, Require, Standards};
use proptest::prelude::*;

fn loc(x: f64, y: f64) -> Location {
    Location {
        lon_lat: Coord { x: 0.0, y: 0.0 },
        xy_m: Coord { x, y },
    }
}

fn study(cells: &[(f64, f64, f64)], facilities: &[(f64, f64, bool)]) -> Study {
    Study {
        cells: cells
            .iter()
            .enumerate()
            .map(|(i, &(x, y, n))| PopulationCell {
                id: i.to_string(),
                location: loc(x, y),
                footprint: None,
                counts: Counts {
                    residents: n * 3.0,
                    aged_60: n,
                    aged_65: n * 0.8,
                    aged_80: n * 0.2,
                },
                subdistrict: None,
                committee: None,
            })
            .collect(),
        facilities: facilities
            .iter()
            .enumerate()
            .map(|(i, &(x, y, meal))| Facility {
                id: i.to_string(),
                name: String::new(),
                kind: if meal {
                    FacilityKind::MealPoint
                } else {
                    FacilityKind::DayCare
                },
                label: String::new(),
                location: loc(x, y),
                capacity: Capacity {
                    floor_area_m2: Some(100.0),
                    beds: None,
                    nursing_beds: None,
                    meals_per_day: None,
                    day_places: None,
                    ..Default::default()
                },
                subdistrict_name: None,
                subdistrict: None,
                committee: None,
                beyond_study_area: false,
            })
            .collect(),
        ..Default::default()
    }
}

fn circle(name: &str, r: f64, require: Require) -> Circle {
    Circle {
        name: name.into(),
        label: name.into(),
        reach: Reach::Distance { distance_m: r },
        kinds: vec![FacilityKind::DayCare, FacilityKind::MealPoint],
        require,
        age_band: AgeBand::Aged60,
        method: Method::StraightLine,
        source: "proptest".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Coverage never falls when the radius grows, cell by cell and in people, for both
    /// readings of a circle.
    #[test]
    fn coverage_grows_with_the_radius(
        cells in prop::collection::vec((0.0..5000.0f64, 0.0..5000.0f64, 0.0..500.0f64), 1..60),
        facilities in prop::collection::vec((0.0..5000.0f64, 0.0..5000.0f64, any::<bool>()), 0..12),
        r1 in 0.0..3000.0f64,
        extra in 0.0..3000.0f64,
    ) {
        let s = study(&cells, &facilities);
        let standards = Standards::preset("xuhui-2025").unwrap();
        for require in [Require::Any, Require::All] {
            let circles = [circle("small", r1, require), circle("large", r1 + extra, require)];
            let cov = straight_line(&s, &circles, &|_| {});
            for i in 0..cells.len() {
                prop_assert!(!cov.circles[0].covered[i] || cov.circles[1].covered[i]);
            }
            let ind = compute(&s, &cov, &standards, &[]);
            prop_assert!(ind.district.circles[0].covered <= ind.district.circles[1].covered + 1e-9);
        }
    }

    /// A cell is covered exactly when some facility of the kind lies within the radius
    /// (brute force over all pairs agrees with the R-tree).
    #[test]
    fn rtree_agrees_with_brute_force(
        cells in prop::collection::vec((0.0..3000.0f64, 0.0..3000.0f64, 1.0..10.0f64), 1..40),
        facilities in prop::collection::vec((0.0..3000.0f64, 0.0..3000.0f64, any::<bool>()), 1..15),
        r in 0.0..2000.0f64,
    ) {
        let s = study(&cells, &facilities);
        let cov = straight_line(&s, &[circle("c", r, Require::Any)], &|_| {});
        for (i, &(x, y, _)) in cells.iter().enumerate() {
            let brute = facilities
                .iter()
                .map(|&(fx, fy, _)| ((fx - x).powi(2) + (fy - y).powi(2)).sqrt())
                .fold(f64::INFINITY, f64::min);
            prop_assert_eq!(cov.circles[0].covered[i], brute <= r);
        }
    }
}

/// A jittered lattice street graph (planar lengths) with `n × n` nodes 100 m apart, some
/// blocks missing.
fn lattice(n: usize, jitter: &[(f64, f64)], missing: &[bool]) -> lifecircle::network::WalkGraph {
    use lifecircle::network::{Segment, WalkGraph};
    let xy: Vec<Coord<f64>> = (0..n * n)
        .map(|k| {
            let (i, j) = (k % n, k / n);
            let (dx, dy) = jitter[k % jitter.len()];
            Coord {
                x: i as f64 * 100.0 + dx,
                y: j as f64 * 100.0 + dy,
            }
        })
        .collect();
    let mut segments = Vec::new();
    for k in 0..n * n {
        let (i, j) = (k % n, k / n);
        for (ni, nj) in [(i + 1, j), (i, j + 1)] {
            if ni < n && nj < n && !missing[segments.len() % missing.len()] {
                let b = nj * n + ni;
                let (p, q) = (xy[k], xy[b]);
                segments.push(Segment {
                    a: k as u32,
                    b: b as u32,
                    length_m: ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt(),
                });
            } else {
                segments.push(Segment {
                    a: k as u32,
                    b: k as u32,
                    length_m: 0.0,
                });
            }
        }
    }
    segments.retain(|s| s.a != s.b);
    WalkGraph::from_parts((0..(n * n) as i64).collect(), xy.clone(), xy, segments)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// On any street graph: network coverage never falls as the reach grows, the network
    /// distance is never shorter than the straight line, and a network circle never covers
    /// a cell its straight-line twin does not.
    #[test]
    fn network_invariants(
        jitter in prop::collection::vec((-30.0..30.0f64, -30.0..30.0f64), 1..20),
        missing in prop::collection::vec(prop::bool::weighted(0.15), 1..30),
        cells in prop::collection::vec((0.0..900.0f64, 0.0..900.0f64, 1.0..50.0f64), 1..50),
        facilities in prop::collection::vec((0.0..900.0f64, 0.0..900.0f64, any::<bool>()), 1..8),
        r1 in 0.0..800.0f64,
        extra in 0.0..800.0f64,
    ) {
        use lifecircle::coverage::{measure, NetworkContext};
        let graph = lattice(10, &jitter, &missing);
        let s = study(&cells, &facilities);
        let net = NetworkContext::new(&graph, &s, 150.0);
        let mut small = circle("small", r1, Require::Any);
        let mut large = circle("large", r1 + extra, Require::All);
        let mut large_any = circle("large_any", r1 + extra, Require::Any);
        for c in [&mut small, &mut large, &mut large_any] {
            c.method = Method::Network;
        }
        let cov = measure(&s, &[small, large, large_any], Some(&net), &|_| {});
        for n in &cov.nearest {
            let net_m = n.network_m.as_ref().unwrap();
            for (d_net, d_line) in net_m.iter().zip(&n.straight_line_m) {
                prop_assert!(d_net.is_infinite() || *d_net >= d_line - 1e-9, "{d_net} < {d_line}");
            }
        }
        for i in 0..cells.len() {
            prop_assert!(!cov.circles[0].covered[i] || cov.circles[2].covered[i]);
            for c in &cov.circles {
                let straight = c.covered_straight_line.as_ref().unwrap();
                prop_assert!(!c.covered[i] || straight[i]);
            }
        }
    }
}
