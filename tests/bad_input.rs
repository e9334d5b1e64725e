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
    let warnings = out.summary.warnings.join("\n");
    assert!(
        warnings.contains("skipped 2 facilities with unknown label '养老顾问点'"),
        "{warnings}"
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
