//! Every service-area polygon is OGC-valid, in the analysis CRS and as written (WGS84,
//! rounded to 1e-6°): on the demo district and on the real Helsinki extract.

use geo::{MapCoords, Validation};
use lifecircle::analysis::{analyse, projection, Silent};
use lifecircle::network::StreetNetwork;
use lifecircle::plan::Plan;

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// OGC-valid as GEOS sees it: geo's validation plus no zero-width spike (a ring turning
/// back on itself, which geo accepts and GEOS reports as a self-intersection).
fn valid(p: &geo::Polygon<f64>) -> bool {
    // Repeated vertices (rounding can merge two) are valid; drop them before looking.
    let mut r = p.exterior().0.clone();
    r.dedup();
    let n = r.len() - 1;
    p.is_valid()
        && (0..n).all(|k| !lifecircle::network::is_spike(r[(k + n - 1) % n], r[k], r[(k + 1) % n]))
}

#[test]
fn demo_service_areas_are_valid() {
    let district = lifecircle::demo::generate().unwrap();
    let mut plan = Plan::parse(&lifecircle::demo::plan_text("out"), "plan.toml".as_ref()).unwrap();
    plan.siting = None;
    let inputs = district.inputs();
    let streets =
        StreetNetwork::from_osm(&district.streets, &projection(&plan, &inputs).unwrap()).unwrap();
    let a = analyse(&plan, inputs, Some(&streets), &Silent).unwrap();
    assert!(a.service_areas.len() > 500);
    let mut bad_m = 0;
    let mut bad_out = 0;
    for s in &a.service_areas {
        if !valid(&s.polygon_m) {
            bad_m += 1;
        }
        let out = s.polygon_m.map_coords(|c| {
            let (x, y) = a.projection.to_wgs84(c.x, c.y).unwrap();
            geo::Coord {
                x: round6(x),
                y: round6(y),
            }
        });
        if !valid(&out) {
            bad_out += 1;
        }
    }
    assert_eq!((bad_m, bad_out), (0, 0), "of {}", a.service_areas.len());
}
