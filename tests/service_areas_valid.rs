//! Every service-area polygon of the demo district is OGC-valid, in the analysis CRS and as
//! written (WGS84, rounded to 1e-6°); the real extracts are checked in
//! tests/network_islands.rs.

use geo::MapCoords;
use lifecircle::analysis::{analyse, projection, Silent};
use lifecircle::network::{is_ogc_valid, StreetNetwork};
use lifecircle::plan::Plan;

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
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
        if !is_ogc_valid(&s.polygon_m) {
            bad_m += 1;
        }
        let out = s.polygon_m.map_coords(|c| {
            let (x, y) = a.projection.to_wgs84(c.x, c.y).unwrap();
            geo::Coord {
                x: round6(x),
                y: round6(y),
            }
        });
        if !is_ogc_valid(&out) {
            bad_out += 1;
        }
    }
    assert_eq!((bad_m, bad_out), (0, 0), "of {}", a.service_areas.len());
}
