//! Malformed inputs give a clear error naming the file, the row or feature, the field and
//! what was expected — never a panic, and never a half-written output.

use std::process::Command;

use lifecircle::pipeline::{run, Silent};

const POPULATION: &str = "id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\n\
p1,121.440,31.180,1000,350,280,60\n\
p2,121.445,31.182,800,300,240,50\n";

const FACILITIES: &str = "id,name,type,lon,lat,floor_area_m2\n\
F1,一号日照,日间照料中心,121.4405,31.1801,300\n\
F2,二号食堂,长者食堂,121.4452,31.1822,80\n";

const PLAN: &str = r#"[study]
name = "bad input"
output_dir = "out"
[population]
path = "population.csv"
[facilities]
path = "facilities.csv"
"#;

/// Writes the fixture with `file` replaced by `content` (bytes) and `extra_plan` appended to
/// the plan, runs it and returns the error text; asserts the output folder stays empty.
fn fails_with(file: &str, content: &[u8], extra_plan: &str) -> String {
    fails_with_plan(file, content, &format!("{PLAN}{extra_plan}"))
}

fn fails_with_plan(file: &str, content: &[u8], plan_text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("population.csv"), POPULATION).unwrap();
    std::fs::write(d.join("facilities.csv"), FACILITIES).unwrap();
    std::fs::write(d.join(file), content).unwrap();
    let plan_path = d.join("plan.toml");
    std::fs::write(&plan_path, plan_text).unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    let err = run(&plan, &d.join("out"), &Silent).unwrap_err().to_string();
    assert!(
        !d.join("out").exists(),
        "outputs were written despite: {err}"
    );
    assert!(err.contains(file), "error does not name {file}: {err}");
    err
}

fn has(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "expected «{p}» in: {err}");
    }
}

#[test]
fn the_fixture_itself_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("population.csv"), POPULATION).unwrap();
    std::fs::write(d.join("facilities.csv"), FACILITIES).unwrap();
    std::fs::write(d.join("plan.toml"), PLAN).unwrap();
    let plan = lifecircle::io::read_plan(&d.join("plan.toml")).unwrap();
    let out = run(&plan, &d.join("out"), &Silent).unwrap();
    assert_eq!(out.study.cells.len(), 2);
    assert!(d.join("out/subdistricts.csv").exists());
}

#[test]
fn missing_column() {
    let err = fails_with(
        "population.csv",
        b"id,lon,lat,residents,aged_65_plus,aged_80_plus\np1,121.44,31.18,10,5,1\n",
        "",
    );
    has(
        &err,
        &["column 'aged_60_plus'", "the columns are: id, lon, lat"],
    );
}

#[test]
fn non_numeric_count() {
    let err = fails_with(
        "population.csv",
        b"id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\np1,121.44,31.18,abc,5,4,1\n",
        "",
    );
    has(
        &err,
        &["row 1", "field 'residents'", "'abc' is not a number"],
    );
}

#[test]
fn missing_value() {
    let err = fails_with(
        "population.csv",
        b"id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\np1,121.44,31.18,100,,4,1\n",
        "",
    );
    has(&err, &["row 1", "field 'aged_60_plus'", "missing value"]);
}

#[test]
fn nan_and_negative_counts() {
    let err = fails_with(
        "population.csv",
        b"id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\np1,121.44,31.18,NaN,5,4,1\n",
        "",
    );
    has(&err, &["field 'residents'", "not a finite number"]);
    let err = fails_with(
        "population.csv",
        b"id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\np1,121.44,31.18,100,5,4,1\np2,121.44,31.18,100,-5,4,1\n",
        "",
    );
    has(&err, &["row 2", "field 'aged_60_plus'", "negative"]);
}

#[test]
fn age_bands_must_nest() {
    let err = fails_with(
        "population.csv",
        b"id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\np1,121.44,31.18,100,50,60,1\n",
        "",
    );
    has(
        &err,
        &["row 1", "field 'aged_65_plus'", "exceeds aged_60_plus"],
    );
}

#[test]
fn empty_files() {
    has(&fails_with("population.csv", b"", ""), &["empty"]);
    has(
        &fails_with("facilities.csv", b"id,name,type,lon,lat\n", ""),
        &["no data rows"],
    );
    let err = fails_with_plan(
        "pop.geojson",
        b"  \n",
        &PLAN.replace("population.csv", "pop.geojson"),
    );
    has(&err, &["empty"]);
}

#[test]
fn swapped_and_out_of_range_coordinates() {
    let err = fails_with(
        "facilities.csv",
        "id,name,type,lon,lat\nF1,a,长者食堂,121.44,31.18\nF2,b,长者食堂,31.18,121.44\n".as_bytes(),
        "",
    );
    has(&err, &["row 2", "out of range", "look swapped"]);
    let err = fails_with(
        "facilities.csv",
        "id,name,type,lon,lat\nF1,a,长者食堂,200.5,95\n".as_bytes(),
        "",
    );
    has(&err, &["row 1", "(200.5, 95)", "out of range"]);
}

#[test]
fn polygon_that_does_not_close() {
    let geojson = br#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"S1","name":"a"},"geometry":{"type":"Polygon","coordinates":[[[121.43,31.17],[121.45,31.17],[121.45,31.19],[121.43,31.19],[121.43,31.17]]]}},
      {"type":"Feature","properties":{"id":"S2","name":"b"},"geometry":{"type":"Polygon","coordinates":[[[121.45,31.17],[121.47,31.17],[121.47,31.19],[121.45,31.19]]]}}]}"#;
    let err = fails_with(
        "subdistricts.geojson",
        geojson,
        "[subdistricts]\npath = \"subdistricts.geojson\"\n",
    );
    has(&err, &["feature 1", "field 'geometry'", "does not close"]);
}

#[test]
fn invalid_utf8_in_a_utf8_file() {
    let mut bytes = b"id,name,type,lon,lat\nF1,a,".to_vec();
    bytes.extend_from_slice(&[0xB3, 0xA4, 0xD5, 0xDF]); // "长者" in GBK
    bytes.extend_from_slice(b",121.44,31.18\n");
    let err = fails_with("facilities.csv", &bytes, "");
    has(&err, &["line 2", "invalid UTF-8", "encoding = \"gbk\""]);
}

#[test]
fn gbk_file_reads_when_declared() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("population.csv"), POPULATION).unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(FACILITIES);
    std::fs::write(d.join("facilities.csv"), &gbk).unwrap();
    let text = format!("{PLAN}encoding = \"gbk\"\n");
    std::fs::write(d.join("plan.toml"), text).unwrap();
    let plan = lifecircle::io::read_plan(&d.join("plan.toml")).unwrap();
    let out = run(&plan, &d.join("out"), &Silent).unwrap();
    assert_eq!(out.study.facilities[0].name, "一号日照");
    assert_eq!(out.study.facilities[1].label, "长者食堂");
}

#[test]
fn duplicate_facility_ids() {
    let err = fails_with(
        "facilities.csv",
        "id,name,type,lon,lat\nF1,a,长者食堂,121.44,31.18\nF1,b,日间照料中心,121.45,31.18\n"
            .as_bytes(),
        "",
    );
    has(&err, &["row 2", "duplicate id 'F1'", "first used at row 1"]);
}

#[test]
fn unknown_labels_are_listed() {
    let csv = "id,name,type,lon,lat\nF1,a,养老顾问点,121.44,31.18\nF2,b,长者食堂,121.45,31.18\nF3,c,养老顾问点,121.45,31.18\nF4,d,老年大学,121.45,31.18\n";
    let err = fails_with("facilities.csv", csv.as_bytes(), "");
    has(
        &err,
        &[
            "unknown facility labels",
            "'养老顾问点' (row 1 (line 2), row 3 (line 4))",
            "'老年大学' (row 4 (line 5))",
            "kind_labels",
        ],
    );
    // With `skip` the run goes on and the summary lists what was left out.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("population.csv"), POPULATION).unwrap();
    std::fs::write(d.join("facilities.csv"), csv).unwrap();
    let text = format!("{PLAN}unknown_kinds = \"skip\"\n[facilities.kind_labels]\n\"老年大学\" = \"activity_room\"\n");
    std::fs::write(d.join("plan.toml"), text).unwrap();
    let plan = lifecircle::io::read_plan(&d.join("plan.toml")).unwrap();
    let out = run(&plan, &d.join("out"), &Silent).unwrap();
    assert_eq!(out.study.facilities.len(), 2);
    assert!(
        out.summary.warnings.iter().any(|w| w.code
            == lifecircle::summary::WarningCode::SkippedFacilities
            && w.message
                .contains("skipped 2 facilities with unknown label '养老顾问点'")),
        "{:?}",
        out.summary.warnings
    );
}

#[test]
fn cli_exits_non_zero_with_the_message_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("population.csv"), "id,lon,lat,residents\n").unwrap();
    std::fs::write(d.join("facilities.csv"), FACILITIES).unwrap();
    std::fs::write(d.join("plan.toml"), PLAN).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .args(["--quiet", "run"])
        .arg(d.join("plan.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("population.csv"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let missing = Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .args(["run", "no-such-plan.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-plan.toml"));
}

#[test]
fn a_failed_run_leaves_earlier_outputs_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("population.csv"), POPULATION).unwrap();
    std::fs::write(d.join("facilities.csv"), FACILITIES).unwrap();
    std::fs::write(d.join("plan.toml"), PLAN).unwrap();
    let plan = lifecircle::io::read_plan(&d.join("plan.toml")).unwrap();
    run(&plan, &d.join("out"), &Silent).unwrap();
    let before = std::fs::read(d.join("out/cells.geojson")).unwrap();
    std::fs::write(
        d.join("facilities.csv"),
        "id,name,type,lon,lat\nF1,a,x,1,2\n",
    )
    .unwrap();
    assert!(run(&plan, &d.join("out"), &Silent).is_err());
    assert_eq!(std::fs::read(d.join("out/cells.geojson")).unwrap(), before);
    let stray: Vec<_> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty());
}

/// Without the `gdal` feature a GeoPackage is named as such, with the way out; with it, a
/// file GDAL cannot open is an error naming the file.
#[test]
fn gis_files_name_the_gdal_feature_or_gdals_error() {
    let plan = PLAN.replace("population.csv", "population.gpkg");
    let err = fails_with_plan("population.gpkg", b"not a geopackage", &plan);
    if cfg!(feature = "gdal") {
        has(&err, &["population.gpkg", "GDAL cannot open it"]);
    } else {
        has(&err, &["population.gpkg", "--features gdal", "ogr2ogr"]);
        // Output formats that need GDAL are refused when the plan is read.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.toml");
        std::fs::write(&p, format!("{PLAN}[outputs]\nformats = [\"gpkg\"]\n")).unwrap();
        let e = lifecircle::io::read_plan(&p).unwrap_err().to_string();
        has(&e, &["outputs.formats", "gdal feature"]);
    }
}

/// `output_dir = "."` (or `--out` an input's folder) would write cells.geojson,
/// subdistricts.geojson … over the inputs: refused before anything is read or written.
#[test]
fn an_output_folder_holding_the_inputs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("population.csv"), POPULATION).unwrap();
    std::fs::write(d.join("facilities.csv"), FACILITIES).unwrap();
    std::fs::write(
        d.join("plan.toml"),
        PLAN.replace("output_dir = \"out\"", "output_dir = \".\""),
    )
    .unwrap();
    let plan = lifecircle::io::read_plan(&d.join("plan.toml")).unwrap();
    let err = run(&plan, &plan.output_dir, &Silent)
        .unwrap_err()
        .to_string();
    has(
        &err,
        &[
            "the output folder holds the input",
            "plan.toml",
            "output_dir",
        ],
    );
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["facilities.csv", "plan.toml", "population.csv"]);
    // The same folder reached by another spelling is refused too.
    let err = run(&plan, &d.join("sub/.."), &Silent)
        .unwrap_err()
        .to_string();
    has(&err, &["the output folder holds the input"]);
}

// ---------------------------------------------------------------------------------------
// The bad-input corpus: tables of generated cases over one small fixture (ten population
// points, three facilities, two sub-districts, four committees; optionally candidate sites
// and a street network), each run in-process and checked for its exact outcome — an error
// naming the file, the row or feature and the field, or a run with a named warning. Every
// case runs under `catch_unwind`: a panic is a failure. All failures are reported together.
// ---------------------------------------------------------------------------------------

mod corpus {
    use std::collections::BTreeMap;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use lifecircle::pipeline::{run, Silent};
    use lifecircle::summary::WarningCode;
    use serde_json::{json, Value};

    /// A table as rows of cells (the first row is the header).
    type Csv = Vec<Vec<String>>;

    /// The files of one case.
    #[derive(Clone)]
    pub struct Fixture {
        pub pop: Csv,
        pub fac: Csv,
        pub sites: Csv,
        pub subs: Vec<Value>,
        pub coms: Vec<Value>,
        pub osm: Option<String>,
        pub plan: String,
        /// Files written as these bytes instead (encodings, empty files).
        pub raw: BTreeMap<String, Vec<u8>>,
    }

    fn csv(text: &str) -> Csv {
        text.lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }

    fn square(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]})
    }

    fn area(id: &str, name: &str, parent: Option<&str>, geometry: Value) -> Value {
        let mut props = json!({"id": id, "name": name});
        if let Some(p) = parent {
            props["subdistrict"] = json!(p);
        }
        json!({"type": "Feature", "properties": props, "geometry": geometry})
    }

    /// A street lattice around the fixture: lines of latitude and longitude 0.001° apart.
    pub fn osm(dlon: f64) -> String {
        let mut nodes = String::new();
        let mut ways = String::new();
        let mut id = 1;
        let mut grid = BTreeMap::new();
        for i in 0..=14 {
            for j in 0..=8 {
                let (lon, lat) = (121.437 + 0.001 * i as f64 + dlon, 31.177 + 0.001 * j as f64);
                nodes.push_str(&format!(
                    "  <node id=\"{id}\" lat=\"{lat:.6}\" lon=\"{lon:.6}\"/>\n"
                ));
                grid.insert((i, j), id);
                id += 1;
            }
        }
        let mut way = 1;
        for j in 0..=8 {
            ways.push_str(&format!("  <way id=\"{way}\">\n"));
            for i in 0..=14 {
                ways.push_str(&format!("    <nd ref=\"{}\"/>\n", grid[&(i, j)]));
            }
            ways.push_str("    <tag k=\"highway\" v=\"footway\"/>\n  </way>\n");
            way += 1;
        }
        for i in 0..=14 {
            ways.push_str(&format!("  <way id=\"{way}\">\n"));
            for j in 0..=8 {
                ways.push_str(&format!("    <nd ref=\"{}\"/>\n", grid[&(i, j)]));
            }
            ways.push_str("    <tag k=\"highway\" v=\"residential\"/>\n  </way>\n");
            way += 1;
        }
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\">\n{nodes}{ways}</osm>\n")
    }

    impl Fixture {
        pub fn new() -> Fixture {
            let mut pop = "id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus".to_string();
            let mut k = 1;
            for lat in [31.1800, 31.1820] {
                for i in 0..5 {
                    let lon = 121.4400 + 0.002 * i as f64;
                    pop.push_str(&format!("\np{k},{lon:.4},{lat:.4},1000,350,280,60"));
                    k += 1;
                }
            }
            Fixture {
                pop: csv(&pop),
                fac: csv(
                    "id,name,type,lon,lat,floor_area_m2,beds,nursing_beds,meals_per_day,day_places,basic_beds,social_workers\n\
                     F1,一号日照,日间照料中心,121.4405,31.1801,300,,,,20,,1\n\
                     F2,二号食堂,长者食堂,121.4452,31.1822,80,,,150,,,0\n\
                     F3,三号养老院,nursing_home,121.4430,31.1810,2000,100,60,,,20,3",
                ),
                sites: csv("id,lon,lat,capacity\nA1,121.4420,31.1805,500\nA2,121.4470,31.1815,500"),
                subs: vec![
                    area("S1", "一街道", None, square(121.438, 31.178, 121.444, 31.184)),
                    area("S2", "二街道", None, square(121.444, 31.178, 121.450, 31.184)),
                ],
                coms: vec![
                    area("C1", "甲居委", Some("一街道"), square(121.438, 31.178, 121.444, 31.181)),
                    area("C2", "乙居委", Some("一街道"), square(121.438, 31.181, 121.444, 31.184)),
                    area("C3", "丙居委", Some("二街道"), square(121.444, 31.178, 121.450, 31.181)),
                    area("C4", "丁居委", Some("二街道"), square(121.444, 31.181, 121.450, 31.184)),
                ],
                osm: None,
                plan: "[study]\nname = \"corpus\"\noutput_dir = \"out\"\n\
                       [population]\npath = \"population.csv\"\n\
                       [facilities]\npath = \"facilities.csv\"\n\
                       [subdistricts]\npath = \"subdistricts.geojson\"\n\
                       [committees]\npath = \"committees.geojson\"\n\
                       [report]\nmaps = false\n"
                    .to_string(),
                raw: BTreeMap::new(),
            }
        }

        /// Sets a cell: `row` 1-based data row, `col` by header name.
        pub fn set(table: &mut Csv, row: usize, col: &str, value: &str) {
            let c = table[0].iter().position(|h| h == col).expect(col);
            table[row][c] = value.to_string();
        }

        pub fn drop_column(table: &mut Csv, col: &str) {
            let c = table[0].iter().position(|h| h == col).expect(col);
            for r in table.iter_mut() {
                r.remove(c);
            }
        }

        /// Puts `line` into `[section]` (appending the section when the plan lacks it).
        pub fn plan_set(&mut self, section: &str, line: &str) {
            let header = format!("[{section}]\n");
            match self.plan.find(&header) {
                Some(i) => self.plan.insert_str(i + header.len(), &format!("{line}\n")),
                None => self.plan.push_str(&format!("{header}{line}\n")),
            }
        }

        pub fn with_network(&mut self) {
            self.osm = Some(osm(0.0));
            self.plan_set("network", "path = \"streets.osm\"");
        }

        pub fn with_sites(&mut self) {
            self.plan_set(
                "siting",
                "model = \"mclp\"\nkind = \"day_care\"\np = 1\ncandidates = { path = \"sites.csv\" }",
            );
        }

        fn write(&self, d: &std::path::Path) {
            let text =
                |t: &Csv| t.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n") + "\n";
            let fc = |f: &[Value]| json!({"type": "FeatureCollection", "features": f}).to_string();
            let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
            files.insert("population.csv".into(), text(&self.pop).into_bytes());
            files.insert("facilities.csv".into(), text(&self.fac).into_bytes());
            files.insert("sites.csv".into(), text(&self.sites).into_bytes());
            files.insert("subdistricts.geojson".into(), fc(&self.subs).into_bytes());
            files.insert("committees.geojson".into(), fc(&self.coms).into_bytes());
            if let Some(o) = &self.osm {
                files.insert("streets.osm".into(), o.clone().into_bytes());
            }
            files.insert("plan.toml".into(), self.plan.clone().into_bytes());
            for (k, v) in &self.raw {
                files.insert(k.clone(), v.clone());
            }
            for (k, v) in files {
                std::fs::write(d.join(k), v).unwrap();
            }
        }
    }

    /// What a case must give.
    pub enum Expect {
        /// An error whose text holds every part (file, row/feature, field, problem).
        Error(Vec<String>),
        /// A run with a warning of this code.
        Warning(WarningCode),
        /// A run without error.
        Runs,
    }

    pub struct Case {
        pub name: String,
        pub mutate: Box<dyn Fn(&mut Fixture)>,
        pub expect: Expect,
    }

    pub fn case(
        name: impl Into<String>,
        mutate: impl Fn(&mut Fixture) + 'static,
        expect: Expect,
    ) -> Case {
        Case {
            name: name.into(),
            mutate: Box::new(mutate),
            expect,
        }
    }

    pub fn err(parts: &[&str]) -> Expect {
        Expect::Error(parts.iter().map(|s| s.to_string()).collect())
    }

    /// The outcome of a run: its error text, or its warnings.
    enum Outcome {
        Failed(String, bool),
        Ran(Vec<(WarningCode, String)>),
    }

    fn outcome(f: &Fixture) -> Outcome {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        f.write(d);
        let plan = match lifecircle::io::read_plan(&d.join("plan.toml")) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(e.to_string(), false),
        };
        match run(&plan, &d.join("out"), &Silent) {
            Ok(o) => Outcome::Ran(
                o.summary
                    .warnings
                    .iter()
                    .map(|w| (w.code, w.message.clone()))
                    .collect(),
            ),
            Err(e) => Outcome::Failed(e.to_string(), d.join("out").exists()),
        }
    }

    /// Runs every case; returns the failures, described.
    pub fn check(cases: Vec<Case>) -> (usize, Vec<String>) {
        let n = cases.len();
        let mut failures = Vec::new();
        for c in cases {
            let mut f = Fixture::new();
            let got = catch_unwind(AssertUnwindSafe(|| {
                (c.mutate)(&mut f);
                outcome(&f)
            }));
            let problem = match (got, &c.expect) {
                (Err(p), _) => Some(format!(
                    "panicked: {}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                )),
                (Ok(Outcome::Failed(e, wrote)), Expect::Error(parts)) => {
                    let missing: Vec<&String> =
                        parts.iter().filter(|p| !e.contains(p.as_str())).collect();
                    if !missing.is_empty() {
                        Some(format!("error lacks {missing:?}: {e}"))
                    } else if wrote {
                        Some(format!("outputs written despite: {e}"))
                    } else if e.contains("panicked") {
                        Some(format!("error mentions a panic: {e}"))
                    } else {
                        None
                    }
                }
                (Ok(Outcome::Failed(e, _)), _) => Some(format!("unexpected error: {e}")),
                (Ok(Outcome::Ran(w)), Expect::Error(parts)) => Some(format!(
                    "ran (warnings {w:?}) but expected an error with {parts:?}"
                )),
                (Ok(Outcome::Ran(w)), Expect::Warning(code)) => (!w.iter().any(|(c, _)| c == code))
                    .then(|| format!("no {code} warning among {w:?}")),
                (Ok(Outcome::Ran(_)), Expect::Runs) => None,
            };
            if let Some(p) = problem {
                failures.push(format!("{}: {p}", c.name));
            }
        }
        (n, failures)
    }

    pub fn report(what: &str, cases: Vec<Case>, at_least: usize) {
        let (n, failures) = check(cases);
        assert!(n >= at_least, "{what}: only {n} cases");
        assert!(
            failures.is_empty(),
            "{what}: {} of {n} cases failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
        println!("{what}: {n} cases pass");
    }
}

use corpus::{case, err, report, Case, Expect, Fixture};
use lifecircle::summary::WarningCode as W;

/// The values every numeric field is tried with, and the words of the error each gives.
const BAD_NUMBERS: [(&str, &str); 4] = [
    ("abc", "'abc' is not a number"),
    ("NaN", "'NaN' is not a finite number"),
    ("inf", "'inf' is not a finite number"),
    ("-5", "-5 is negative"),
];

#[test]
fn corpus_csv_fields() {
    let mut cases: Vec<Case> = Vec::new();
    // Population counts: every field × missing, non-numeric, NaN, inf, negative, huge.
    for field in ["residents", "aged_60_plus", "aged_65_plus", "aged_80_plus"] {
        let loc = format!("field '{field}'");
        cases.push(case(
            format!("population {field} missing"),
            move |f| Fixture::set(&mut f.pop, 3, field, ""),
            err(&["population.csv", "row 3", &loc, "missing value"]),
        ));
        for (v, words) in BAD_NUMBERS {
            cases.push(case(
                format!("population {field} = {v}"),
                move |f| Fixture::set(&mut f.pop, 3, field, v),
                err(&["population.csv", "row 3", &loc, words]),
            ));
        }
        let words = if field == "residents" {
            "people in one record"
        } else {
            "age bands must nest"
        };
        cases.push(case(
            format!("population {field} = 1e300"),
            move |f| Fixture::set(&mut f.pop, 3, field, "1e300"),
            err(&["population.csv", "row 3", &loc, words]),
        ));
    }
    // Coordinates of both point layers.
    for (file, row) in [("population.csv", 3usize), ("facilities.csv", 2)] {
        for field in ["lon", "lat"] {
            let row_s = format!("row {row}");
            let set = move |f: &mut Fixture, v: &str| {
                if file == "population.csv" {
                    Fixture::set(&mut f.pop, row, field, v)
                } else {
                    Fixture::set(&mut f.fac, row, field, v)
                }
            };
            let values: [(&str, &str, &str); 6] = [
                ("", "missing coordinate", field),
                ("abc", "'abc' is not a number; expected a coordinate", field),
                ("NaN", "'NaN' is not a number; expected a coordinate", field),
                ("inf", "'inf' is not a number; expected a coordinate", field),
                ("1e300", "is out of range", "geometry"),
                (
                    if field == "lon" { "200" } else { "95" },
                    "is out of range",
                    "geometry",
                ),
            ];
            for (v, words, fld) in values {
                let fld = format!("field '{fld}'");
                cases.push(case(
                    format!("{file} {field} = '{v}'"),
                    move |f| set(f, v),
                    err(&[file, &row_s, &fld, words]),
                ));
            }
        }
        let row_s = format!("row {row}");
        cases.push(case(
            format!("{file} lon and lat swapped"),
            move |f| {
                let t = if file == "population.csv" {
                    &mut f.pop
                } else {
                    &mut f.fac
                };
                let (x, y) = (
                    t[0].iter().position(|h| h == "lon").unwrap(),
                    t[0].iter().position(|h| h == "lat").unwrap(),
                );
                t[row].swap(x, y);
            },
            err(&[file, &row_s, "field 'geometry'", "look swapped"]),
        ));
    }
    cases.push(case(
        "population point at (0, 0)",
        |f| {
            Fixture::set(&mut f.pop, 3, "lon", "0");
            Fixture::set(&mut f.pop, 3, "lat", "0");
        },
        Expect::Warning(W::PopulationOutliers),
    ));
    cases.push(case(
        "population point in another city",
        |f| {
            Fixture::set(&mut f.pop, 3, "lon", "116.40");
            Fixture::set(&mut f.pop, 3, "lat", "39.90");
        },
        Expect::Warning(W::PopulationOutliers),
    ));
    cases.push(case(
        "facility in another city",
        |f| {
            Fixture::set(&mut f.fac, 2, "lon", "121.90");
            Fixture::set(&mut f.fac, 2, "lat", "31.90");
        },
        Expect::Warning(W::FacilitiesFarFromPopulation),
    ));
    // Facility capacities: every field × non-numeric, NaN, inf, negative.
    for field in [
        "floor_area_m2",
        "beds",
        "nursing_beds",
        "meals_per_day",
        "day_places",
        "basic_beds",
        "social_workers",
    ] {
        let loc = format!("field '{field}'");
        for (v, words) in BAD_NUMBERS {
            cases.push(case(
                format!("facilities {field} = {v}"),
                move |f| Fixture::set(&mut f.fac, 3, field, v),
                err(&["facilities.csv", "row 3", &loc, words]),
            ));
        }
    }
    for (field, row) in [
        ("floor_area_m2", 1),
        ("meals_per_day", 2),
        ("day_places", 1),
    ] {
        cases.push(case(
            format!("facilities {field} = 0"),
            move |f| Fixture::set(&mut f.fac, row, field, "0"),
            Expect::Warning(W::ZeroCapacity),
        ));
    }
    cases.push(case(
        "an institution with 0 beds",
        |f| {
            for c in ["beds", "nursing_beds", "basic_beds"] {
                Fixture::set(&mut f.fac, 3, c, "0");
            }
        },
        Expect::Warning(W::ZeroCapacity),
    ));
    for (field, v) in [("nursing_beds", "150"), ("basic_beds", "101")] {
        let loc = format!("field '{field}'");
        cases.push(case(
            format!("facilities {field} above beds"),
            move |f| Fixture::set(&mut f.fac, 3, field, v),
            err(&["facilities.csv", "row 3", &loc, "exceed the 100 beds"]),
        ));
    }
    // Ids and labels.
    cases.push(case(
        "facility id missing",
        |f| Fixture::set(&mut f.fac, 2, "id", ""),
        err(&["facilities.csv", "row 2", "field 'id'", "missing value"]),
    ));
    cases.push(case(
        "facility id duplicate",
        |f| Fixture::set(&mut f.fac, 2, "id", "F1"),
        err(&["facilities.csv", "row 2", "field 'id'", "duplicate id 'F1'"]),
    ));
    cases.push(case(
        "facility type missing",
        |f| Fixture::set(&mut f.fac, 2, "type", ""),
        err(&["facilities.csv", "row 2", "field 'type'", "missing value"]),
    ));
    cases.push(case(
        "facility type unknown",
        |f| Fixture::set(&mut f.fac, 2, "type", "老年大学"),
        err(&[
            "facilities.csv",
            "field 'type'",
            "'老年大学' (row 2",
            "kind_labels",
        ]),
    ));
    cases.push(case(
        "facility type unknown, skipped",
        |f| {
            Fixture::set(&mut f.fac, 2, "type", "老年大学");
            f.plan_set("facilities", "unknown_kinds = \"skip\"");
        },
        Expect::Warning(W::SkippedFacilities),
    ));
    cases.push(case(
        "population id missing",
        |f| Fixture::set(&mut f.pop, 4, "id", ""),
        err(&["population.csv", "row 4", "field 'id'", "missing value"]),
    ));
    cases.push(case(
        "population id duplicate",
        |f| Fixture::set(&mut f.pop, 4, "id", "p1"),
        err(&["population.csv", "row 4", "field 'id'", "duplicate id 'p1'"]),
    ));
    // Missing columns.
    for col in [
        "id",
        "lon",
        "lat",
        "residents",
        "aged_60_plus",
        "aged_65_plus",
        "aged_80_plus",
    ] {
        let words = format!("column '{col}'");
        cases.push(case(
            format!("population column {col} missing"),
            move |f| Fixture::drop_column(&mut f.pop, col),
            err(&["population.csv", &words, "not found", "the columns are"]),
        ));
    }
    for col in ["id", "type", "lon", "lat"] {
        let words = format!("column '{col}'");
        cases.push(case(
            format!("facilities column {col} missing"),
            move |f| Fixture::drop_column(&mut f.fac, col),
            err(&["facilities.csv", &words, "not found"]),
        ));
    }
    cases.push(case(
        "a field named in the plan that the file lacks",
        |f| f.plan_set("facilities.fields", "beds = \"床位\""),
        err(&["facilities.csv", "column '床位'", "not found"]),
    ));
    // Encodings and empty files.
    cases.push(case(
        "GBK bytes in a UTF-8 file",
        |f| {
            let mut b = b"id,name,type,lon,lat\nF1,".to_vec();
            b.extend_from_slice(&[0xB3, 0xA4, 0xD5, 0xDF]);
            b.extend_from_slice(b",day_care,121.44,31.18\n");
            f.raw.insert("facilities.csv".into(), b);
        },
        err(&[
            "facilities.csv",
            "line 2",
            "invalid UTF-8",
            "encoding = \"gbk\"",
        ]),
    ));
    cases.push(case(
        "UTF-16 file",
        |f| {
            let text = "id,name,type,lon,lat\nF1,a,day_care,121.44,31.18\n";
            let mut b = vec![0xFF, 0xFE];
            for u in text.encode_utf16() {
                b.extend_from_slice(&u.to_le_bytes());
            }
            f.raw.insert("facilities.csv".into(), b);
        },
        err(&["facilities.csv", "invalid UTF-8"]),
    ));
    cases.push(case(
        "UTF-8 file declared gbk",
        |f| f.plan_set("facilities", "encoding = \"gbk\""),
        err(&["facilities.csv", "line 2", "invalid GBK/GB18030 text"]),
    ));
    cases.push(case(
        "UTF-8 with a byte-order mark",
        |f| {
            let mut b = vec![0xEF, 0xBB, 0xBF];
            b.extend_from_slice(
                "id,name,type,lon,lat\nF1,a,day_care,121.4405,31.1801\n".as_bytes(),
            );
            f.raw.insert("facilities.csv".into(), b);
        },
        Expect::Runs,
    ));
    cases.push(case(
        "empty population file",
        |f| {
            f.raw.insert("population.csv".into(), Vec::new());
        },
        err(&["population.csv", "empty"]),
    ));
    cases.push(case(
        "population header only",
        |f| f.pop.truncate(1),
        err(&["population.csv", "no data rows"]),
    ));
    cases.push(case(
        "facilities header only",
        |f| f.fac.truncate(1),
        err(&["facilities.csv", "no data rows"]),
    ));
    report("CSV fields", cases, 100);
}

/// The area layers: ids, geometry (bow-tie, unclosed, empty, wrong type, out of range),
/// overlaps, duplicate names, unknown parents.
#[test]
fn corpus_geometry() {
    use serde_json::json;
    let mut cases: Vec<Case> = Vec::new();
    for (file, key) in [
        ("subdistricts.geojson", "subs"),
        ("committees.geojson", "coms"),
    ] {
        fn pick<'a>(f: &'a mut Fixture, key: &str) -> &'a mut Vec<serde_json::Value> {
            if key == "subs" {
                &mut f.subs
            } else {
                &mut f.coms
            }
        }
        let geometry = move |f: &mut Fixture, g: serde_json::Value| {
            pick(f, key)[1]["geometry"] = g;
        };
        cases.push(case(
            format!("{file}: id missing"),
            move |f| {
                pick(f, key)[1]["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("id");
            },
            err(&[file, "feature 1", "field 'id'", "missing value"]),
        ));
        cases.push(case(
            format!("{file}: id duplicate"),
            move |f| {
                let first = pick(f, key)[0]["properties"]["id"].clone();
                pick(f, key)[1]["properties"]["id"] = first;
            },
            err(&[file, "feature 1", "field 'id'", "duplicate id"]),
        ));
        cases.push(case(
            format!("{file}: bow-tie"),
            move |f| {
                geometry(
                    f,
                    json!({"type": "Polygon", "coordinates": [[[121.444, 31.178], [121.450, 31.184], [121.450, 31.178], [121.444, 31.184], [121.444, 31.178]]]}),
                )
            },
            err(&[file, "feature 1", "field 'geometry'", "not a valid polygon"]),
        ));
        cases.push(case(
            format!("{file}: ring that does not close"),
            move |f| {
                geometry(
                    f,
                    json!({"type": "Polygon", "coordinates": [[[121.444, 31.178], [121.450, 31.178], [121.450, 31.184], [121.444, 31.184]]]}),
                )
            },
            err(&[file, "feature 1", "field 'geometry'", "does not close"]),
        ));
        cases.push(case(
            format!("{file}: no coordinates"),
            move |f| geometry(f, json!({"type": "Polygon", "coordinates": []})),
            err(&[file, "feature 1", "field 'geometry'"]),
        ));
        cases.push(case(
            format!("{file}: zero area"),
            move |f| {
                geometry(
                    f,
                    json!({"type": "Polygon", "coordinates": [[[121.444, 31.178], [121.447, 31.181], [121.450, 31.184], [121.444, 31.178]]]}),
                )
            },
            err(&[file, "feature 1", "field 'geometry'", "has no area"]),
        ));
        cases.push(case(
            format!("{file}: a point for a boundary"),
            move |f| geometry(f, json!({"type": "Point", "coordinates": [121.444, 31.18]})),
            err(&[
                file,
                "feature 1",
                "field 'geometry'",
                "expected a Polygon or MultiPolygon",
            ]),
        ));
        cases.push(case(
            format!("{file}: geometry null"),
            move |f| geometry(f, serde_json::Value::Null),
            err(&[file, "feature 1", "field 'geometry'"]),
        ));
        cases.push(case(
            format!("{file}: coordinates out of range"),
            move |f| {
                geometry(
                    f,
                    json!({"type": "Polygon", "coordinates": [[[31.178, 121.444], [31.178, 121.450], [31.184, 121.450], [31.184, 121.444], [31.178, 121.444]]]}),
                )
            },
            err(&[file, "feature 1", "field 'geometry'", "look swapped"]),
        ));
        cases.push(case(
            format!("{file}: boundaries overlap"),
            move |f| {
                let g = pick(f, key)[0]["geometry"].clone();
                let mut g2 = g.clone();
                // Shift the copy by a third of its width over the next polygon.
                for c in g2["coordinates"][0].as_array_mut().unwrap() {
                    c[0] = json!(c[0].as_f64().unwrap() + 0.002);
                }
                pick(f, key)[1]["geometry"] = g2;
            },
            Expect::Warning(W::OverlappingBoundaries),
        ));
        cases.push(case(
            format!("{file}: duplicate names"),
            move |f| {
                let n = pick(f, key)[0]["properties"]["name"].clone();
                pick(f, key)[1]["properties"]["name"] = n;
                let p = pick(f, key)[0]["properties"].get("subdistrict").cloned();
                if let Some(p) = p {
                    pick(f, key)[1]["properties"]["subdistrict"] = p;
                }
            },
            Expect::Warning(W::DuplicateAreaNames),
        ));
        cases.push(case(
            format!("{file}: the whole layer elsewhere"),
            move |f| {
                for a in pick(f, key).iter_mut() {
                    for c in a["geometry"]["coordinates"][0].as_array_mut().unwrap() {
                        c[0] = json!(c[0].as_f64().unwrap() - 5.0);
                    }
                }
            },
            err(&[
                file,
                "does not overlap the population layer population.csv",
                "lon 116.4380",
            ]),
        ));
        cases.push(case(
            format!("{file}: empty FeatureCollection"),
            move |f| pick(f, key).clear(),
            err(&[file, "no features"]),
        ));
        cases.push(case(
            format!("{file}: not JSON"),
            move |f| {
                f.raw.insert(
                    file.into(),
                    b"{\"type\": \"FeatureCollection\", \"features\": [".to_vec(),
                );
            },
            err(&[file, "line 1"]),
        ));
    }
    cases.push(case(
        "committee with an unknown parent",
        |f| f.coms[2]["properties"]["subdistrict"] = json!("三街道"),
        Expect::Warning(W::UnknownParent),
    ));
    cases.push(case(
        "population cells outside every sub-district",
        |f| {
            for c in f.subs[1]["geometry"]["coordinates"][0]
                .as_array_mut()
                .unwrap()
            {
                c[1] = json!(c[1].as_f64().unwrap() + 0.0035);
            }
            f.plan = f
                .plan
                .replace("[committees]\npath = \"committees.geojson\"\n", "");
        },
        Expect::Warning(W::CellsOutsideSubdistricts),
    ));
    cases.push(case(
        "facility with a sub-district its position contradicts",
        |f| {
            for r in f.fac.iter_mut() {
                r.push(String::new());
            }
            let n = f.fac[0].len() - 1;
            f.fac[0][n] = "subdistrict".into();
            f.fac[1][n] = "二街道".into();
        },
        Expect::Warning(W::FacilitySubdistrictMismatch),
    ));
    cases.push(case(
        "census polygons on a 5 cm grid",
        |f| {
            let poly = |id: &str, lon: f64| {
                json!({"type": "Feature", "properties": {"id": id, "residents": 1000, "aged_60_plus": 300, "aged_65_plus": 200, "aged_80_plus": 50},
                       "geometry": {"type": "Polygon", "coordinates": [[[lon, 31.179], [lon + 0.004, 31.179], [lon + 0.004, 31.183], [lon, 31.183], [lon, 31.179]]]}})
            };
            let fc = json!({"type": "FeatureCollection", "features": [poly("a", 121.440), poly("b", 121.444)]});
            f.raw.insert("census.geojson".into(), fc.to_string().into_bytes());
            f.plan = f.plan.replace("path = \"population.csv\"", "path = \"census.geojson\"\ngeometry = \"polygons\"\ngrid_cell_m = 0.05");
        },
        err(&["plan.toml", "population.grid_cell_m", "grid_cell_m = 0.05", "grid cells", "set grid_cell_m = 1"]),
    ));
    report("geometry", cases, 30);
}

/// Plan keys: misspelt, wrong types, values out of range, unknown presets and kinds, zero
/// and negative speeds, huge radii, CRSs, siting.
#[test]
fn corpus_plan() {
    let mut cases: Vec<Case> = Vec::new();
    let plan = |name: &str, section: &'static str, line: &'static str, parts: &[&str]| {
        case(
            format!("plan [{section}] {name}: {line}"),
            move |f| f.plan_set(section, line),
            err(&[&["plan.toml"], parts].concat()),
        )
    };
    // Misspelt keys and sections.
    for (section, line, key) in [
        ("study", "nme = \"x\"", "nme"),
        ("population", "pth = \"x.csv\"", "pth"),
        ("facilities", "feilds = {}", "feilds"),
        ("subdistricts", "field = {}", "field"),
        ("report", "map = false", "map"),
        ("standards", "presets = \"x\"", "presets"),
        ("outputz", "formats = []", "outputz"),
        ("network", "max_snap = 300", "max_snap"),
    ] {
        let words = format!("unknown field `{key}`");
        cases.push(plan("misspelt", section, line, &[&words]));
    }
    cases.push(case(
        "misspelt [[circles]] key",
        |f| {
            f.plan
                .push_str("[[circles]]\nname = \"a\"\nradius = 500\nkinds = [\"day_care\"]\n")
        },
        err(&["plan.toml", "unknown field `radius`"]),
    ));
    cases.push(plan(
        "misspelt",
        "population.fields",
        "aged60 = \"a\"",
        &["population.fields", "unknown field `aged60`"],
    ));
    cases.push(plan(
        "misspelt",
        "facilities.fields",
        "bed = \"b\"",
        &["facilities.fields", "unknown field `bed`"],
    ));
    cases.push(plan(
        "misspelt",
        "committees.fields",
        "street = \"s\"",
        &["committees.fields", "unknown field `street`"],
    ));
    // Wrong types.
    for (section, line) in [
        ("population", "grid_cell_m = \"100\""),
        ("walking_speed_m_per_s", "\"80+\" = \"slow\""),
        ("standards.overrides", "nursing_bed_share = \"60%\""),
    ] {
        cases.push(plan("wrong type", section, line, &["invalid type"]));
    }
    for (from, to, words) in [
        (
            "maps = false",
            "maps = \"yes\"",
            "invalid type: string \"yes\", expected a boolean",
        ),
        (
            "name = \"corpus\"",
            "name = 3",
            "invalid type: integer `3`, expected a string",
        ),
    ] {
        cases.push(case(
            format!("plan wrong type: {to}"),
            move |f| f.plan = f.plan.replace(from, to),
            err(&["plan.toml", "TOML parse error at line", to, words]),
        ));
    }
    // Values out of range.
    for (section, line, key, words) in [
        (
            "population",
            "grid_cell_m = 0",
            "population.grid_cell_m",
            "expected metres > 0",
        ),
        (
            "population",
            "grid_cell_m = -1",
            "population.grid_cell_m",
            "expected metres > 0",
        ),
        (
            "population",
            "grid_cell_m = 1e9",
            "population.grid_cell_m",
            "at most 50000",
        ),
        (
            "population",
            "grid_cell_m = nan",
            "population.grid_cell_m",
            "expected metres > 0",
        ),
        (
            "network",
            "path = \"streets.osm\"\nmax_snap_m = -1",
            "network.max_snap_m",
            "expected metres ≥ 0",
        ),
        (
            "network",
            "path = \"streets.osm\"\nmax_snap_m = 1e9",
            "network.max_snap_m",
            "at most 50000",
        ),
        (
            "network",
            "path = \"streets.osm\"\ndistance_cap_m = 0",
            "network.distance_cap_m",
            "expected metres > 0",
        ),
        (
            "network",
            "path = \"streets.osm\"\ndistance_cap_m = 1e9",
            "network.distance_cap_m",
            "at most 100000",
        ),
        (
            "network",
            "path = \"streets.osm\"\ndetour_factor = 1",
            "network.detour_factor",
            "expected a factor > 1",
        ),
        (
            "network",
            "path = \"streets.osm\"\nmin_component_m = -5",
            "network.min_component_m",
            "expected metres ≥ 0",
        ),
        (
            "population",
            "delimiter = \"；\"",
            "population.delimiter",
            "single ASCII character",
        ),
        (
            "population",
            "crs = \"mercator\"",
            "population.crs",
            "unknown CRS 'mercator'",
        ),
        (
            "facilities",
            "crs = \"EPSG:abc\"",
            "facilities.crs",
            "unknown CRS",
        ),
        (
            "study",
            "analysis_crs = \"EPSG:4326\"",
            "study.analysis_crs",
            "geographic CRS",
        ),
        (
            "study",
            "analysis_crs = \"WGS84\"",
            "study.analysis_crs",
            "geographic CRS",
        ),
        (
            "study",
            "analysis_crs = \"utm\"",
            "study.analysis_crs",
            "unknown CRS 'utm'",
        ),
        (
            "standards",
            "preset = \"beijing-2030\"",
            "standards.preset",
            "beijing-2030",
        ),
        (
            "standards.overrides",
            "floor_area = 40",
            "standards.overrides",
            "unknown standard 'floor_area'",
        ),
        (
            "standards.overrides",
            "floor_area_m2_per_1000_residents = -40",
            "standards.overrides",
            "expected a finite number ≥ 0",
        ),
        (
            "standards.overrides",
            "floor_area_m2_per_1000_residents = inf",
            "standards.overrides",
            "expected a finite number ≥ 0",
        ),
        (
            "standards.overrides",
            "nursing_bed_share = 60",
            "standards.overrides.nursing_bed_share",
            "write 0.6 for 60 %",
        ),
        (
            "standards.overrides",
            "meal_share_of_65_plus = 5",
            "standards.overrides.meal_share_of_65_plus",
            "a share is at most 1",
        ),
        (
            "facilities.kind_labels",
            "\"养老顾问点\" = \"advice\"",
            "facilities.kind_labels",
            "unknown facility kind",
        ),
        (
            "facilities",
            "unknown_kinds = \"maybe\"",
            "unknown_kinds",
            "unknown variant",
        ),
        (
            "population",
            "geometry = \"lines\"",
            "geometry",
            "unknown variant",
        ),
        (
            "population",
            "encoding = \"latin1\"",
            "encoding",
            "unknown variant",
        ),
        (
            "subdistricts",
            "grid_cell_m = 100",
            "subdistricts",
            "does not apply to this layer",
        ),
        (
            "population.fields",
            "residents = \"\"",
            "population.fields.residents",
            "this count is required",
        ),
        (
            "facilities.fields",
            "kind = \"\"",
            "facilities.fields.kind",
            "this field is required",
        ),
        (
            "outputs",
            "formats = [\"shp\"]",
            "outputs.formats",
            "unknown format 'shp'",
        ),
    ] {
        cases.push(plan("out of range", section, line, &[key, words]));
    }
    // Speeds: zero, negative, not walking.
    for line in [
        "elderly_walk_speed_m_per_s = 0",
        "elderly_walk_speed_m_per_s = 0.0",
        "elderly_walk_speed_m_per_s = -1",
        "elderly_walk_speed_m_per_s = 50",
        "elderly_walk_speed_m_per_s = nan",
    ] {
        cases.push(plan(
            "speed",
            "standards.overrides",
            line,
            &["standards.overrides", "elderly_walk_speed_m_per_s"],
        ));
    }
    for line in ["\"80+\" = 0", "\"60+\" = -0.5", "all = 12", "\"65+\" = inf"] {
        cases.push(plan(
            "speed",
            "walking_speed_m_per_s",
            line,
            &["walking_speed_m_per_s", "expected m/s > 0"],
        ));
    }
    cases.push(plan(
        "speed",
        "walking_speed_m_per_s",
        "\"90+\" = 1",
        &["unknown age band '90+'"],
    ));
    // Circles.
    for (body, words) in [
        ("distance_m = 0", "expected a number > 0"),
        ("distance_m = -100", "expected a number > 0"),
        ("distance_m = 1e6", "at most 50000 m"),
        ("distance_m = inf", "expected a number > 0"),
        ("minutes = 1e5", "at most 50000 m"),
        ("minutes = 0", "expected a number > 0"),
        ("minutes = 15\nspeed_m_per_s = 0", "speed_m_per_s = 0"),
        ("minutes = 15\nspeed_m_per_s = 12", "at most 5 m/s"),
        ("distance_m = 500\nminutes = 5", "not both"),
        ("distance_m = 500\nspeed_m_per_s = 1", "applies to minutes"),
        ("label = \"x\"", "give distance_m or minutes"),
        (
            "distance_m = 500\nage_band = \"70+\"",
            "unknown age band '70+'",
        ),
        (
            "distance_m = 500\nmethod = \"car\"",
            "unknown variant `car`",
        ),
        (
            "distance_m = 500\nmethod = \"network\"",
            "needs a [network]",
        ),
        (
            "distance_m = 500\nrequire = \"some\"",
            "unknown variant `some`",
        ),
    ] {
        cases.push(case(
            format!("circle: {body}"),
            move |f| {
                f.plan.push_str(&format!(
                    "[[circles]]\nname = \"c\"\nkinds = [\"day_care\"]\n{body}\n"
                ))
            },
            err(&["plan.toml", words]),
        ));
    }
    for (head, words) in [
        (
            "name = \"a b\"\nkinds = [\"day_care\"]",
            "letters, digits and _ only",
        ),
        (
            "name = \"c\"\nkinds = []",
            "list at least one facility kind",
        ),
        (
            "name = \"c\"\nkinds = [\"pub\"]",
            "unknown facility kind 'pub'",
        ),
    ] {
        cases.push(case(
            format!("circle: {head}"),
            move |f| {
                f.plan
                    .push_str(&format!("[[circles]]\n{head}\ndistance_m = 500\n"))
            },
            err(&["plan.toml", "circles[0]", words]),
        ));
    }
    cases.push(case(
        "circle names twice",
        |f| {
            for _ in 0..2 {
                f.plan.push_str(
                    "[[circles]]\nname = \"c\"\nkinds = [\"day_care\"]\ndistance_m = 500\n",
                );
            }
        },
        err(&["plan.toml", "circles[1] (c)", "circle names must be unique"]),
    ));
    cases.push(case(
        "a circle for an age band the data lacks",
        |f| {
            f.plan_set("population.fields", "aged_80 = \"\"");
            f.plan.push_str("[[circles]]\nname = \"c\"\nkinds = [\"day_care\"]\ndistance_m = 500\nage_band = \"80+\"\n");
        },
        err(&["plan.toml", "circles (c)", "population.fields.aged_80 is empty"]),
    ));
    for (line, key, words) in [
        (
            "circle_15_min_m = 1e9",
            "standards.overrides.circle_15_min_m",
            "at most 50000",
        ),
        (
            "circle_5_min_m = 0",
            "standards.overrides.circle_5_min_m",
            "expected metres > 0",
        ),
        (
            "day_centre_radius_m = 1e7",
            "standards.overrides.day_centre_radius_m",
            "at most 50000",
        ),
    ] {
        cases.push(plan(
            "huge radius",
            "standards.overrides",
            line,
            &[key, words],
        ));
    }
    // Siting.
    let siting = |name: &str, body: &'static str, parts: &[&str]| {
        case(
            format!("siting: {name}"),
            move |f| f.plan_set("siting", body),
            err(&[&["plan.toml"], parts].concat()),
        )
    };
    cases.push(siting(
        "misspelt",
        "modle = \"mclp\"",
        &["unknown field `modle`"],
    ));
    cases.push(siting(
        "unknown model",
        "model = \"best\"\nkind = \"day_care\"\np = 1",
        &["unknown variant `best`"],
    ));
    cases.push(siting(
        "unknown kind",
        "model = \"mclp\"\nkind = \"pub\"\np = 1",
        &["siting.kind", "unknown facility kind 'pub'"],
    ));
    cases.push(siting(
        "p missing",
        "model = \"mclp\"\nkind = \"day_care\"",
        &["siting.p", "p ≥ 1"],
    ));
    cases.push(siting(
        "p = 0",
        "model = \"pmedian\"\nkind = \"day_care\"\np = 0",
        &["siting.p", "p ≥ 1"],
    ));
    cases.push(siting(
        "p negative",
        "model = \"mclp\"\nkind = \"day_care\"\np = -1",
        &["line 17", "invalid value: integer `-1`, expected usize"],
    ));
    cases.push(siting(
        "p a string",
        "model = \"mclp\"\nkind = \"day_care\"\np = \"3\"",
        &["invalid type"],
    ));
    cases.push(siting(
        "coverage share 0",
        "model = \"lscp\"\nkind = \"day_care\"\ncoverage_share = 0",
        &["siting.coverage_share", "(0, 1]"],
    ));
    cases.push(siting(
        "coverage share 2",
        "model = \"lscp\"\nkind = \"day_care\"\ncoverage_share = 2",
        &["siting.coverage_share", "(0, 1]"],
    ));
    cases.push(siting(
        "capacity 0",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\ncapacity_per_site = 0",
        &["siting.capacity_per_site", "people > 0"],
    ));
    cases.push(siting(
        "spacing 0",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\ncandidate_spacing_m = 0",
        &["siting.candidate_spacing_m", "expected metres > 0"],
    ));
    cases.push(siting(
        "spacing huge",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\ncandidate_spacing_m = 1e9",
        &["siting.candidate_spacing_m", "at most 50000"],
    ));
    cases.push(siting(
        "unknown circle",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\ncircle = \"min30\"",
        &["siting.circle", "no circle named 'min30'"],
    ));
    cases.push(siting("max below min", "model = \"mclp\"\nkind = \"day_care\"\np = 2\nmin_per_subdistrict = 2\nmax_per_subdistrict = 1", &["siting.max_per_subdistrict", "below min_per_subdistrict = 2"]));
    cases.push(siting(
        "forced and excluded",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\nforce = [\"A1\"]\nexclude = [\"A1\"]",
        &["siting.force", "'A1' is also in exclude"],
    ));
    cases.push(siting(
        "quota beyond p",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\nmin_per_subdistrict = 2",
        &[
            "siting.min_per_subdistrict",
            "needs 3 new sites but p = 1",
            "一街道 1 (1 existing)",
            "二街道 2 (0 existing)",
        ],
    ));
    cases.push(siting(
        "forced id unknown (generated)",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\nforce = [\"X9\"]",
        &["siting.force", "'X9'", "generated candidates"],
    ));
    cases.push(siting(
        "excluded id unknown (generated)",
        "model = \"mclp\"\nkind = \"day_care\"\np = 1\nexclude = [\"X9\", \"X8\"]",
        &["siting.exclude", "these ids are", "'X9', 'X8'"],
    ));
    cases.push(case(
        "siting quota without sub-districts",
        |f| {
            f.plan = f
                .plan
                .replace("[subdistricts]\npath = \"subdistricts.geojson\"\n", "");
            f.plan = f
                .plan
                .replace("[committees]\npath = \"committees.geojson\"\n", "");
            f.plan_set(
                "siting",
                "model = \"mclp\"\nkind = \"day_care\"\np = 1\nmin_per_subdistrict = 1",
            );
        },
        err(&[
            "plan.toml",
            "siting.min_per_subdistrict",
            "need a [subdistricts] layer",
        ]),
    ));
    cases.push(case(
        "siting forced id unknown (layer)",
        |f| {
            f.with_sites();
            f.plan_set("siting", "force = [\"A7\"]");
        },
        err(&[
            "plan.toml",
            "siting.force",
            "'A7'",
            "the candidate layer sites.csv",
        ]),
    ));
    cases.push(case(
        "siting quota beyond a sub-district's candidates",
        |f| {
            f.with_sites();
            f.plan_set("siting", "min_per_subdistrict = 2\nmax_per_subdistrict = 3");
            f.plan = f.plan.replace("p = 1\n", "p = 5\n");
        },
        err(&["plan.toml", "siting.min_per_subdistrict", "二街道: min_per_subdistrict = 2 day_care needs 2 new sites (0 existing) but the sub-district has 1 candidates"]),
    ));
    // Candidate-site layer fields.
    for (col, v, field, words) in [
        ("id", "", "id", "missing value"),
        ("id", "A1", "id", "duplicate id 'A1'"),
        ("lon", "abc", "lon", "'abc' is not a number"),
        ("lat", "", "lat", "missing coordinate"),
        ("lon", "31.1815", "geometry", "out of range"),
        ("capacity", "abc", "capacity", "'abc' is not a number"),
        ("capacity", "-5", "capacity", "-5 is negative"),
        ("capacity", "NaN", "capacity", "not a finite number"),
    ] {
        let loc = format!("field '{field}'");
        let name = format!("candidate {col} = '{v}'");
        cases.push(case(
            name,
            move |f| {
                f.with_sites();
                if col == "lon" && v == "31.1815" {
                    Fixture::set(&mut f.sites, 2, "lon", "31.1815");
                    Fixture::set(&mut f.sites, 2, "lat", "121.4470");
                } else {
                    Fixture::set(&mut f.sites, 2, col, v);
                }
            },
            err(&["sites.csv", "row 2", &loc, words]),
        ));
    }
    cases.push(case(
        "candidate layer a polygon",
        |f| {
            f.with_sites();
            f.plan = f.plan.replace("\"sites.csv\"", "\"sites.geojson\"");
            let fc = serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "A1"}, "geometry": {"type": "Polygon", "coordinates": [[[121.44, 31.18], [121.441, 31.18], [121.441, 31.181], [121.44, 31.18]]]}}]});
            f.raw.insert("sites.geojson".into(), fc.to_string().into_bytes());
        },
        err(&["sites.geojson", "feature 0", "field 'geometry'", "expected a Point"]),
    ));
    cases.push(case(
        "the plan names a file that does not exist",
        |f| f.plan = f.plan.replace("\"facilities.csv\"", "\"facilitie.csv\""),
        err(&["facilitie.csv"]),
    ));
    cases.push(case(
        "an unknown file type",
        |f| f.plan = f.plan.replace("\"facilities.csv\"", "\"facilities.xlsx\""),
        err(&["facilities.xlsx", "unknown file type"]),
    ));
    report("plan", cases, 100);
}

/// Extents and CRSs, plausibility of the counts and coordinates, the street network.
#[test]
fn corpus_extent_and_plausibility() {
    let mut cases: Vec<Case> = Vec::new();
    let shift = |t: &mut Vec<Vec<String>>, dlon: f64| {
        let x = t[0].iter().position(|h| h == "lon").unwrap();
        for r in t.iter_mut().skip(1) {
            let lon: f64 = r[x].parse().unwrap();
            r[x] = format!("{:.4}", lon + dlon);
        }
    };
    cases.push(case(
        "facilities of another area",
        move |f| shift(&mut f.fac, 3.0),
        err(&[
            "facilities.csv",
            "does not overlap the population layer population.csv",
            "facilities lie in lon 124.43",
            "grown by the largest reach, 1000 m",
        ]),
    ));
    cases.push(case(
        "facilities a few km off",
        move |f| shift(&mut f.fac, 0.05),
        err(&["facilities.csv", "does not overlap"]),
    ));
    cases.push(case(
        "a street network of another area",
        |f| {
            f.with_network();
            f.osm = Some(corpus::osm(2.0));
        },
        err(&[
            "streets.osm",
            "the network layer does not overlap",
            "population.csv",
        ]),
    ));
    cases.push(case(
        "a street network touching a corner of the area",
        |f| {
            f.with_network();
            f.plan_set("network", "max_snap_m = 20");
            f.osm = Some(corpus::osm(-0.0110));
            // The one column of cells the network box reaches holds few people.
            for r in f.pop.iter_mut().skip(1) {
                if r[1] == "121.4400" {
                    r[3] = "100".into();
                    r[4] = "35".into();
                    r[5] = "28".into();
                    r[6] = "6".into();
                }
            }
        },
        err(&[
            "streets.osm",
            "of the residents of population.csv lie within the extent of this street network",
            "less than 10 %",
        ]),
    ));
    cases.push(case(
        "a street network covering part of the area",
        |f| {
            f.with_network();
            f.plan_set("network", "max_snap_m = 20");
            f.osm = Some(corpus::osm(-0.0085));
        },
        Expect::Warning(W::PopulationOutsideExtent),
    ));
    cases.push(case(
        "a street network: cells far from every street",
        |f| {
            f.with_network();
            f.plan_set("network", "max_snap_m = 20");
            f.osm = Some(corpus::osm(-0.0085));
        },
        Expect::Warning(W::FarFromStreet),
    ));
    cases.push(case(
        "a street network that runs",
        |f| f.with_network(),
        Expect::Runs,
    ));
    cases.push(case(
        "an empty OSM file",
        |f| {
            f.with_network();
            f.osm = Some(String::new());
        },
        err(&["streets.osm"]),
    ));
    cases.push(case(
        "an OSM file cut short",
        |f| {
            f.with_network();
            let o = corpus::osm(0.0);
            f.osm = Some(o[..o.len() / 2].to_string());
        },
        err(&["streets.osm"]),
    ));
    for (file, section) in [
        ("population.csv", "population"),
        ("facilities.csv", "facilities"),
    ] {
        for code in ["EPSG:4547", "EPSG:3857", "EPSG:32651"] {
            let line = format!("crs = \"{code}\"");
            let words = format!("declared {code}");
            cases.push(case(
                format!("{file} in degrees declared {code}"),
                move |f| f.plan_set(section, &line),
                err(&[file, &words, "looks like degrees", "crs = \"WGS84\""]),
            ));
        }
    }
    for (code, words) in [
        ("EPSG:3857", "distorts distances by 17.0 %"),
        ("EPSG:32617", "distorts distances by 6.0 %"),
        ("EPSG:32650", ""),
        ("EPSG:2263", "only metres"),
        ("EPSG:999999", "not in the bundled EPSG definitions"),
    ] {
        let line = format!("analysis_crs = \"{code}\"");
        if words.is_empty() {
            // Zone 50N for Shanghai: 0.2 % scale error, within the 1 % accepted.
            cases.push(case(
                format!("analysis_crs {code}"),
                move |f| f.plan_set("study", &line),
                Expect::Runs,
            ));
        } else {
            cases.push(case(
                format!("analysis_crs {code}"),
                move |f| f.plan_set("study", &line),
                err(&["plan.toml", "study.analysis_crs", code, words]),
            ));
        }
    }
    // Counts.
    cases.push(case(
        "every count zero",
        |f| {
            for r in 1..f.pop.len() {
                for c in ["residents", "aged_60_plus", "aged_65_plus", "aged_80_plus"] {
                    Fixture::set(&mut f.pop, r, c, "0");
                }
            }
        },
        err(&["population.csv", "field 'residents'", "nothing to measure"]),
    ));
    cases.push(case(
        "every 60+ count zero",
        |f| {
            for r in 1..f.pop.len() {
                for c in ["aged_60_plus", "aged_65_plus", "aged_80_plus"] {
                    Fixture::set(&mut f.pop, r, c, "0");
                }
            }
        },
        err(&[
            "population.csv",
            "field 'aged_60_plus'",
            "counts 0 people aged 60+",
            "circle min15",
        ]),
    ));
    cases.push(case(
        "every 80+ count zero",
        |f| {
            for r in 1..f.pop.len() {
                Fixture::set(&mut f.pop, r, "aged_80_plus", "0");
            }
        },
        Expect::Warning(W::AllZeroCounts),
    ));
    cases.push(case(
        "every 60+ count zero, circles for all residents",
        |f| {
            for r in 1..f.pop.len() {
                for c in ["aged_60_plus", "aged_65_plus", "aged_80_plus"] {
                    Fixture::set(&mut f.pop, r, c, "0");
                }
            }
            f.plan.push_str("[[circles]]\nname = \"c\"\nkinds = [\"day_care\"]\ndistance_m = 500\nage_band = \"all\"\n");
        },
        Expect::Warning(W::AllZeroCounts),
    ));
    cases.push(case(
        "every population point on one coordinate",
        |f| {
            for r in 1..f.pop.len() {
                Fixture::set(&mut f.pop, r, "lon", "121.4400");
                Fixture::set(&mut f.pop, r, "lat", "31.1800");
            }
        },
        err(&[
            "population.csv",
            "field 'geometry'",
            "every one of the 10 population points lies at (121.44, 31.18)",
        ]),
    ));
    cases.push(case(
        "many population points on one coordinate",
        |f| {
            for k in 0..25 {
                f.pop.push(
                    format!("q{k},121.4433,31.1811,10,3,2,1")
                        .split(',')
                        .map(str::to_string)
                        .collect(),
                );
            }
        },
        Expect::Warning(W::DuplicateCoordinates),
    ));
    cases.push(case(
        "a few population points on one coordinate (≥ 5 %)",
        |f| {
            for r in [2, 3, 4] {
                Fixture::set(&mut f.pop, r, "lon", "121.4400");
            }
        },
        Expect::Warning(W::DuplicateCoordinates),
    ));
    cases.push(case("the fixture itself", |_| {}, Expect::Runs));
    report("extent and plausibility", cases, 25);
}
