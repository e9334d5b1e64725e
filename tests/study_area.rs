//! `[study.area]`, `[population] weight` and the roll-up by a sub-district field, on real
//! data (Amap's Xuhui boundary, 1,634 and 26,105 real geocoded Shanghai addresses) and on the
//! demo's street network.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use lifecircle::io::demo_files::write_demo;
use lifecircle::io::read_plan;
use lifecircle::pipeline::{run, Silent};
use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

/// A plan over real addresses (each counted as 100 residents, 35 aged 60+) with 40 of them
/// as day-care centres, clipped to Xuhui (Amap 310104, GCJ-02).
fn xuhui_plan(dir: &Path, addresses: &str) -> PathBuf {
    let mut r = csv::Reader::from_path(shared(addresses)).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (x, y) = (col("gcj02_lng"), col("gcj02_lat"));
    let mut fac = String::from("id,name,type,lon,lat\n");
    for (i, rec) in r.records().enumerate().filter(|(i, _)| i % 41 == 0) {
        let rec = rec.unwrap();
        fac.push_str(&format!(
            "f{i},centre {i},日间照料中心,{},{}\n",
            &rec[x], &rec[y]
        ));
    }
    std::fs::write(dir.join("facilities.csv"), fac).unwrap();
    let plan = format!(
        r#"[study]
name = "Xuhui from city-wide layers"
output_dir = "out"
[study.area]
path = "{area}"
crs = "GCJ02"
fields = {{ id = "adcode" }}
id = "310104"

[population]
path = "{pop}"
crs = "GCJ02"
weight = {{ residents = 100, aged_60 = 35 }}
fields = {{ id = "", lon = "gcj02_lng", lat = "gcj02_lat", aged_65 = "", aged_80 = "", subdistrict = "street_level" }}

[facilities]
path = "facilities.csv"
crs = "GCJ02"

[[circles]]
name = "day_centre"
distance_m = 1000
kinds = ["day_care"]

[report]
maps = false
"#,
        area = shared("shanghai-district-boundaries-amap/310104.geojson").display(),
        pop = shared(addresses).display(),
    );
    let path = dir.join("plan.toml");
    std::fs::write(&path, plan).unwrap();
    path
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The Amap Xuhui polygon keeps 1,624 of the 1,634 Xuhui addresses, the figure the data's
/// SOURCE.md states from its own check; each kept address counts 100 residents, 35 aged 60+.
#[test]
fn xuhui_boundary_keeps_the_addresses_its_source_counts() {
    let dir = tempfile::tempdir().unwrap();
    let plan = read_plan(&xuhui_plan(
        dir.path(),
        "shanghai-2022-case-addresses-geocoded/xuhui_geo.csv",
    ))
    .unwrap();
    run(&plan, &plan.output_dir, &Silent).unwrap();
    let s = json(&dir.path().join("out/summary.json"));
    let a = &s["study_area"];
    assert_eq!(a["id"], "310104");
    assert_eq!(a["population_kept"], 1624);
    assert_eq!(a["population_dropped"], 10);
    // SOURCE.md: ≈ 55.1 km² (official 54.76 km²).
    let km2 = a["area_m2"].as_f64().unwrap() / 1e6;
    assert!((km2 - 55.1).abs() < 0.3, "{km2} km²");
    assert_eq!(s["totals"]["residents"].as_f64().unwrap(), 162_400.0);
    assert_eq!(s["totals"]["aged_60_plus"].as_f64().unwrap(), 56_840.0);
    // The buffer defaults to the longest circle: 1000 m.
    assert_eq!(a["buffer_m"].as_f64().unwrap(), 1000.0);
}

/// City-wide layers clipped to one district: the per-街镇 roll-up comes from the
/// addresses' street_level field, one row per name found inside, and adds up.
#[test]
fn city_wide_addresses_roll_up_by_their_street_field() {
    let dir = tempfile::tempdir().unwrap();
    let plan = read_plan(&xuhui_plan(
        dir.path(),
        "shanghai-2022-case-addresses-geocoded/geo.csv",
    ))
    .unwrap();
    let outcome = run(&plan, &plan.output_dir, &Silent).unwrap();
    let s = json(&dir.path().join("out/summary.json"));
    let kept = s["study_area"]["population_kept"].as_u64().unwrap();
    // The maps draw the study area's outline: the study carries it, projected.
    let area = outcome.study.area.as_ref().expect("the study area");
    assert_eq!(area.id, "310104");
    let km2 = geo::Area::unsigned_area(&area.boundary_m) / 1e6;
    assert!((km2 - 55.1).abs() < 0.3, "{km2} km²");
    assert!(
        kept > 1600 && kept < 26_105,
        "{kept} of 26,105 addresses in Xuhui"
    );
    assert_eq!(s["inputs"]["subdistricts_from_field"], true);
    // Independently: the street_level names of the cells the run kept.
    let names: BTreeMap<String, usize> =
        outcome
            .study
            .cells
            .iter()
            .fold(BTreeMap::new(), |mut m, c| {
                let name = c
                    .subdistrict
                    .map(|s| outcome.study.subdistricts[s].name.clone());
                *m.entry(name.unwrap_or_default()).or_default() += 1;
                m
            });
    let mut r = csv::Reader::from_path(dir.path().join("out/subdistricts.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let mut rows: HashMap<String, (usize, f64)> = HashMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[col("id")] == "district" {
            assert_eq!(rec[col("cells")].parse::<u64>().unwrap(), kept);
            continue;
        }
        rows.insert(
            rec[col("name")].to_string(),
            (
                rec[col("cells")].parse().unwrap(),
                rec[col("residents")].parse().unwrap(),
            ),
        );
    }
    assert!(rows.len() >= 13, "{} 街镇: {:?}", rows.len(), rows.keys());
    // Names of other districts' towns, from geocoding, are rows of their own: said.
    let warnings = s["warnings"].as_array().unwrap();
    let few = warnings
        .iter()
        .find(|w| w["code"] == "few_records_subdistrict")
        .expect("a few_records_subdistrict warning");
    assert!(
        few["message"].as_str().unwrap().contains("惠南镇 (1)"),
        "{few}"
    );
    let edge = warnings
        .iter()
        .find(|w| w["code"] == "study_area_edge")
        .expect("a study_area_edge warning");
    assert!(
        edge["message"].as_str().unwrap().contains("2SFCA"),
        "{edge}"
    );
    assert_eq!(
        s["inputs"]["facilities_beyond_study_area"].as_u64(),
        s["study_area"]["facilities_in_buffer"].as_u64()
    );
    assert!(rows.contains_key("天平路街道") && rows.contains_key("漕河泾街道"));
    let mut total_cells = 0;
    for (name, (cells, residents)) in &rows {
        assert_eq!(names.get(name), Some(cells), "{name}");
        assert_eq!(*residents, *cells as f64 * 100.0, "{name}");
        total_cells += cells;
    }
    assert_eq!(
        total_cells as u64 + names.get("").copied().unwrap_or(0) as u64,
        kept
    );
    // Facilities within 1000 m beyond the edge serve Xuhui's residents but are not its
    // provision: the district counts only those inside.
    let a = &s["study_area"];
    let inside = a["facilities_inside"].as_u64().unwrap();
    let buffer = a["facilities_in_buffer"].as_u64().unwrap();
    assert!(buffer > 0, "{a}");
    assert_eq!(outcome.study.facilities.len() as u64, inside + buffer);
    let counted = outcome
        .indicators
        .district
        .supply
        .count(lifecircle::model::FacilityKind::DayCare) as u64;
    assert_eq!(counted, inside);
}

/// A study area missing from the layer is an error listing the ids the layer has.
#[test]
fn unknown_area_id_names_what_the_layer_has() {
    let dir = tempfile::tempdir().unwrap();
    let path = xuhui_plan(
        dir.path(),
        "shanghai-2022-case-addresses-geocoded/xuhui_geo.csv",
    );
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("id = \"310104\"", "id = \"310199\"");
    std::fs::write(&path, text).unwrap();
    let plan = read_plan(&path).unwrap();
    let e = run(&plan, &plan.output_dir, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("310104.geojson"), "{e}");
    assert!(e.contains("no polygon has id or name '310199'"), "{e}");
    assert!(e.contains("the layer has 310104"), "{e}");
    assert!(!dir.path().join("out").exists());
}

/// One demo sub-district as the study area, along the demo's streets: a cell's walk to the
/// nearest facility of a kind is never shorter than without the clip (clipping only takes
/// streets and facilities away), and it is the same wherever that walk is no longer than
/// the buffer (the whole walk then lies within the buffer of the area).
#[test]
fn clipped_network_keeps_every_walk_within_the_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let district = lifecircle::demo::generate().unwrap();
    let plan_path = write_demo(&district, &dir.path().join("data"), "../full").unwrap();
    let full = read_plan(&plan_path).unwrap();
    let mut full = full;
    full.siting = None;
    full.report.maps = false;
    run(&full, &full.output_dir, &Silent).unwrap();

    let text = std::fs::read_to_string(&plan_path)
        .unwrap()
        .replace("output_dir = \"../full\"", "output_dir = \"../clipped\"");
    let text = format!(
        "{text}\n[study.area]\npath = \"subdistricts.geojson\"\nid = \"S02\"\nbuffer_m = 600\n"
    );
    let clipped_path = dir.path().join("data/clipped.toml");
    std::fs::write(&clipped_path, text).unwrap();
    let mut clipped = read_plan(&clipped_path).unwrap();
    clipped.siting = None;
    clipped.report.maps = false;
    run(&clipped, &clipped.output_dir, &Silent).unwrap();

    let cells = |folder: &str| -> HashMap<String, serde_json::Map<String, Value>> {
        let v = json(&dir.path().join(folder).join("cells.geojson"));
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let p = f["properties"].as_object().unwrap().clone();
                (p["id"].as_str().unwrap().to_string(), p)
            })
            .collect()
    };
    let (a, b) = (cells("full"), cells("clipped"));
    // With [siting]: every proposed site (and every generated candidate) inside S02.
    let mut sited = read_plan(&clipped_path).unwrap();
    sited.report.maps = false;
    let outcome = run(&sited, &dir.path().join("sited"), &Silent).unwrap();
    let area = outcome.study.area.as_ref().unwrap();
    let proposal = outcome.proposal.as_ref().expect("a proposal");
    assert!(!proposal.candidates.is_empty());
    for c in &proposal.candidates {
        assert!(
            geo::Intersects::intersects(&area.boundary_m, &geo::Point::from(c.location.xy_m)),
            "candidate {} lies outside S02",
            c.id
        );
    }
    let s = json(&dir.path().join("clipped/summary.json"));
    let nodes = &s["study_area"]["network_nodes"];
    let (kept, dropped) = (nodes[0].as_u64().unwrap(), nodes[1].as_u64().unwrap());
    assert!(kept > 0 && dropped > kept, "{nodes}");
    assert!(
        b.len() > 100 && b.len() < a.len() / 2,
        "{} of {}",
        b.len(),
        a.len()
    );
    let (mut same, mut compared) = (0, 0);
    for (id, cell) in &b {
        // Every clipped cell is a cell of the whole run, in sub-district S02's name.
        let whole = &a[id];
        assert_eq!(cell["subdistrict"], whole["subdistrict"]);
        for (key, v) in cell {
            if !key.starts_with("network_") {
                continue;
            }
            let (Some(d_clip), Some(d_full)) = (v.as_f64(), whole[key].as_f64()) else {
                // Unreachable within the cap in the clipped run: so it must be farther than
                // the buffer in the whole run, or unreachable there too.
                if let Some(d_full) = whole[key].as_f64() {
                    assert!(d_full > 600.0, "{id} {key}: {d_full} m in the whole run");
                }
                continue;
            };
            compared += 1;
            assert!(d_clip + 1e-6 >= d_full, "{id} {key}: {d_clip} < {d_full}");
            if d_full <= 600.0 {
                assert!(
                    (d_clip - d_full).abs() < 1e-6,
                    "{id} {key}: {d_clip} ≠ {d_full}"
                );
                same += 1;
            }
        }
    }
    assert!(same >= 100, "{same} of {compared} walks within the buffer");
}
