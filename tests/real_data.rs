//! Checks against real Shanghai data in `../shared/data` (fails, never skips, when missing).

use std::path::{Path, PathBuf};

use geo::{Contains, Point};
use lifecircle::crs::{gcj02_to_wgs84, haversine_m, wgs84_to_gcj02};
use lifecircle::io::layers::read_areas;
use lifecircle::plan::Plan;

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "shared data set missing: {} — the tests need ../shared/data beside the repository",
        p.display()
    );
    p
}

struct Address {
    gcj: (f64, f64),
    wgs: (f64, f64),
}

fn addresses(file: &str) -> Vec<Address> {
    let mut r = csv::Reader::from_path(shared(file)).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (gx, gy, wx, wy) = (
        col("gcj02_lng"),
        col("gcj02_lat"),
        col("wgs84_lng"),
        col("wgs84_lat"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |i: usize| rec[i].parse::<f64>().unwrap();
            Address {
                gcj: (f(gx), f(gy)),
                wgs: (f(wx), f(wy)),
            }
        })
        .collect()
}

/// 26,105 real Shanghai addresses geocoded by Amap (GCJ-02) with the author's WGS84
/// conversion beside them.
#[test]
fn gcj02_conversion_agrees_with_real_paired_coordinates() {
    let rows = addresses("shanghai-2022-case-addresses-geocoded/geo.csv");
    assert_eq!(rows.len(), 26_105);
    let mut forward_err_deg: f64 = 0.0;
    let mut inverse_err_m = Vec::with_capacity(rows.len());
    for a in &rows {
        // Forward: the file's WGS84 column through our WGS84 → GCJ-02 gives Amap's value.
        let g = wgs84_to_gcj02(a.wgs.0, a.wgs.1);
        forward_err_deg = forward_err_deg
            .max((g.0 - a.gcj.0).abs())
            .max((g.1 - a.gcj.1).abs());
        // Inverse: ours is exact; the file's is the one-step approximation (1–2 m off).
        let w = gcj02_to_wgs84(a.gcj.0, a.gcj.1);
        let back = wgs84_to_gcj02(w.0, w.1);
        assert!((back.0 - a.gcj.0).abs() < 1e-9 && (back.1 - a.gcj.1).abs() < 1e-9);
        inverse_err_m.push(haversine_m(w, a.wgs));
        // The offset in Shanghai is hundreds of metres, so a no-op would fail here.
        assert!(haversine_m(a.gcj, w) > 300.0);
    }
    assert!(forward_err_deg < 2e-5, "forward error {forward_err_deg}°");
    inverse_err_m.sort_by(f64::total_cmp);
    let median = inverse_err_m[inverse_err_m.len() / 2];
    let max = *inverse_err_m.last().unwrap();
    assert!(median < 1.5, "median {median} m");
    assert!(max < 2.5, "max {max} m");
}

fn xuhui_boundary(crs: &str) -> geo::MultiPolygon<f64> {
    let plan = format!(
        r#"[study]
name = "xuhui boundary"
[population]
path = "unused.csv"
[facilities]
path = "unused.csv"
[subdistricts]
path = "{}"
crs = "{crs}"
[subdistricts.fields]
id = "adcode"
name = ""
"#,
        shared("shanghai-district-boundaries-amap/310104.geojson").display()
    );
    let plan = Plan::parse(&plan, Path::new("plan.toml")).unwrap();
    let areas = read_areas(plan.subdistricts.as_ref().unwrap()).unwrap();
    assert_eq!(areas.len(), 1);
    assert_eq!(areas[0].id, "310104");
    areas[0].boundary.clone()
}

/// The Amap Xuhui boundary is a bare GeoJSON geometry with `properties`, in GCJ-02. Read as
/// GCJ-02 it is converted to WGS84, and the WGS84 address points then fall inside it as
/// often as the GCJ-02 points fall inside the unconverted boundary (1,624 of 1,634).
#[test]
fn xuhui_boundary_reads_as_bare_geometry_and_converts() {
    let rows = addresses("shanghai-2022-case-addresses-geocoded/xuhui_geo.csv");
    assert_eq!(rows.len(), 1_634);
    let raw = xuhui_boundary("WGS84"); // read without conversion: still GCJ-02 values
    let converted = xuhui_boundary("GCJ02");
    let inside_gcj = rows
        .iter()
        .filter(|a| raw.contains(&Point::new(a.gcj.0, a.gcj.1)))
        .count();
    assert_eq!(inside_gcj, 1_624);
    let inside_ours = rows
        .iter()
        .filter(|a| {
            let w = gcj02_to_wgs84(a.gcj.0, a.gcj.1);
            converted.contains(&Point::new(w.0, w.1))
        })
        .count();
    assert_eq!(inside_ours, 1_624);
    // Mixing the two datums loses addresses near the edge, as SOURCE.md reports (1,470).
    let mixed = rows
        .iter()
        .filter(|a| raw.contains(&Point::new(a.wgs.0, a.wgs.1)))
        .count();
    assert_eq!(mixed, 1_470);
}
