//! `lifecircle compare`: two walking speeds over the 1,634 real Xuhui addresses; every count
//! of the comparison checked against the two runs' own cells.geojson; runs of different
//! cells refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

/// A plan over the Xuhui addresses (each 100 residents, 35 aged 60+; every 37th a day-care
/// centre or a canteen) walking at `speed` m/s, output into `out`.
fn plan(dir: &Path, name: &str, speed: f64, area: Option<&str>) -> PathBuf {
    let pop = shared("shanghai-2022-case-addresses-geocoded/xuhui_geo.csv");
    if !dir.join("facilities.csv").exists() {
        let mut r = csv::Reader::from_path(&pop).unwrap();
        let mut fac = String::from("id,name,type,lon,lat\n");
        for (i, rec) in r.records().enumerate().filter(|(i, _)| i % 37 == 0) {
            let rec = rec.unwrap();
            let kind = if i % 2 == 0 {
                "日间照料中心"
            } else {
                "社区长者食堂"
            };
            fac.push_str(&format!("f{i},设施{i},{kind},{},{}\n", &rec[3], &rec[4]));
        }
        std::fs::write(dir.join("facilities.csv"), fac).unwrap();
    }
    let area = area.map_or(String::new(), |id| {
        format!(
            "[study.area]\npath = \"{}\"\ncrs = \"GCJ02\"\nfields = {{ id = \"adcode\" }}\nid = \"{id}\"\n",
            shared(&format!("shanghai-district-boundaries-amap/{id}.geojson")).display()
        )
    });
    let text = format!(
        r#"[study]
name = "Xuhui at {speed} m/s"
output_dir = "{name}"
{area}
[walking_speed_m_per_s]
"60+" = {speed}

[population]
path = "{pop}"
crs = "GCJ02"
weight = {{ residents = 100, aged_60 = 35 }}
fields = {{ id = "", lon = "gcj02_lng", lat = "gcj02_lat", aged_65 = "", aged_80 = "", subdistrict = "street_level" }}

[facilities]
path = "facilities.csv"
crs = "GCJ02"

[[circles]]
name = "min10"
minutes = 10
kinds = ["day_care", "meal_point"]

[[circles]]
name = "min5"
minutes = 5
kinds = ["meal_point"]

[report]
maps = false
"#,
        pop = pop.display()
    );
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

fn lifecircle(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .args(args)
        .output()
        .unwrap()
}

fn features(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["features"].as_array().unwrap().clone()
}

#[test]
fn compare_counts_what_the_two_runs_say() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, speed) in [("fast", 1.0), ("slow", 0.7)] {
        let out = lifecircle(&[
            "-q".as_ref(),
            "run".as_ref(),
            plan(d, name, speed, None).as_os_str(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = lifecircle(&[
        "compare".as_ref(),
        d.join("fast").as_os_str(),
        d.join("slow").as_os_str(),
        "--out".as_ref(),
        d.join("cmp").as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Independently, from the two runs' cells: verdicts that changed and their people.
    let (a, b) = (
        features(&d.join("fast/cells.geojson")),
        features(&d.join("slow/cells.geojson")),
    );
    // 1,634 addresses less the one in Jinshan, > 50 km away, that the checks leave out.
    assert_eq!(a.len(), 1633);
    let mut expected = Vec::new();
    let mut lost_people = 0.0;
    for (x, y) in a.iter().zip(&b) {
        let (px, py) = (&x["properties"], &y["properties"]);
        let mut words = Vec::new();
        for v in ["min10_covered", "min5_covered"] {
            match (px[v].as_bool().unwrap(), py[v].as_bool().unwrap()) {
                (false, true) => words.push(format!("{v}: gained")),
                (true, false) => {
                    words.push(format!("{v}: lost"));
                    if v == "min10_covered" {
                        lost_people += py["aged_60_plus"].as_f64().unwrap();
                    }
                }
                _ => {}
            }
        }
        if !words.is_empty() {
            expected.push((py["id"].as_str().unwrap().to_string(), words.join("; ")));
        }
    }
    let changed: Vec<(String, String)> = features(&d.join("cmp/changed_cells.geojson"))
        .iter()
        .map(|f| {
            (
                f["properties"]["id"].as_str().unwrap().to_string(),
                f["properties"]["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(changed, expected);
    // A slower walk only loses.
    assert!(changed.iter().all(|(_, w)| !w.contains("gained")));
    let md = std::fs::read_to_string(d.join("cmp/compare.md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| min10_covered |"))
        .unwrap();
    assert!(
        row.contains(&format!("| {lost_people:.0} | -{lost_people:.0} |")),
        "{row} vs {lost_people}"
    );
    // The district's min10 share in indicators_delta: B − A of the two runs' own values.
    let mut r = csv::Reader::from_path(d.join("cmp/indicators_delta.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| {
        h.iter()
            .position(|c| c.trim_start_matches('\u{feff}') == n)
            .unwrap()
    };
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        rows += 1;
        if let (Ok(va), Ok(vb), Ok(dv)) = (
            rec[col("value_a")].parse::<f64>(),
            rec[col("value_b")].parse::<f64>(),
            rec[col("delta")].parse::<f64>(),
        ) {
            assert!((vb - va - dv).abs() < 1e-3, "{rec:?}");
        }
    }
    assert!(rows > 11, "{rows} indicator rows");
    // Every cell of cells_delta.csv, in order.
    let n = csv::Reader::from_path(d.join("cmp/cells_delta.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(n, 1633);
}

#[test]
fn runs_of_different_cells_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, area) in [("xuhui", None), ("clipped", Some("310104"))] {
        let out = lifecircle(&[
            "-q".as_ref(),
            "run".as_ref(),
            plan(d, name, 1.0, area).as_os_str(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = lifecircle(&[
        "compare".as_ref(),
        d.join("xuhui").as_os_str(),
        d.join("clipped").as_os_str(),
    ]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("do not have the same cells"), "{e}");
    assert!(e.contains("1633 cells in A, 1624 in B"), "{e}");
    assert!(!d.join("compare_xuhui_vs_clipped").exists());
    // A comparison never replaces a run.
    let before = std::fs::read(d.join("xuhui/summary.json")).unwrap();
    let out = lifecircle(&[
        "compare".as_ref(),
        d.join("xuhui").as_os_str(),
        d.join("xuhui").as_os_str(),
        "--out".as_ref(),
        d.join("xuhui").as_os_str(),
    ]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("would replace the run"), "{e}");
    assert_eq!(std::fs::read(d.join("xuhui/summary.json")).unwrap(), before);
}
