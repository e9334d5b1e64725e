//! Inputs the fuzz targets (`fuzz/`, run by `.ci/fuzz`) once crashed on, kept in
//! `tests/fuzz_regressions/<target>/<case>` and read here through the same entry point as
//! the target, so that stable `cargo test` checks them without the fuzzer: each must give
//! the outcome listed (an error naming the file and saying what is wrong, or data), never a
//! panic.

use std::path::{Path, PathBuf};

use lifecircle::io::{csv_table, geojson_table, osm, ReadError};
use lifecircle::plan::{Encoding, Plan};

/// What a case must give: `Ok`, or an error whose text holds every part.
enum Outcome {
    Ok,
    Err(&'static [&'static str]),
}

/// (target, case file, outcome).
const CASES: &[(&str, &str, Outcome)] = &[
    // osmpbf's offset + granularity × longitude overflowed (a panic with overflow checks,
    // a position off the Earth without): now a wrapped position is an error naming the node.
    (
        "osm_pbf",
        "dense_lon_overflow.osm.pbf",
        Outcome::Err(&["fuzz.osm.pbf: node ", "is not on the Earth"]),
    ),
    // A blob header giving a negative size made the framing check seek back to that header
    // and read it for ever (made by hand from the wire format, not found in the fuzzer's
    // first runs).
    (
        "osm_pbf",
        "negative_blob_size.osm.pbf",
        Outcome::Err(&["fuzz.osm.pbf: byte 0", "negative size (-26 bytes)"]),
    ),
    // A position with one number: the geojson crate indexed its second number (panic).
    (
        "geojson_table",
        "one_number_position.geojson",
        Outcome::Err(&[
            "fuzz.geojson: feature 0: field 'geometry': position [12131.19] has 1 number",
        ]),
    ),
    // The seeds the fuzzers start from read (one per reader).
    ("osm_pbf", "seed_dense_zlib.osm.pbf", Outcome::Ok),
];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions")
}

/// Reads `data` as the fuzz target `target` does, returning the error text.
fn read_as(target: &str, data: &[u8]) -> Result<(), String> {
    let text = |e: ReadError| e.to_string();
    match target {
        "csv_table" => {
            let p = Path::new("fuzz.csv");
            csv_table::parse(p, data, Encoding::Utf8, b',').map_err(text)?;
            csv_table::parse(p, data, Encoding::Gbk, b';').map_err(text)?;
            Ok(())
        }
        "geojson_table" => geojson_table::parse(Path::new("fuzz.geojson"), data)
            .map(drop)
            .map_err(text),
        "osm_xml" => osm::read_osm_from(Path::new("fuzz.osm"), std::io::Cursor::new(data))
            .map(drop)
            .map_err(text),
        "osm_pbf" => osm::read_osm_from(Path::new("fuzz.osm.pbf"), std::io::Cursor::new(data))
            .map(drop)
            .map_err(text),
        "plan_toml" => {
            let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
            Plan::parse(text, Path::new("/fuzz/plan.toml"))
                .map(drop)
                .map_err(|e| e.to_string())
        }
        other => panic!("no fuzz target '{other}'"),
    }
}

#[test]
fn every_kept_case_gives_its_outcome() {
    for (target, case, outcome) in CASES {
        let path = cases_dir().join(target).join(case);
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match (read_as(target, &data), outcome) {
            (Ok(()), Outcome::Ok) => {}
            (Err(e), Outcome::Err(parts)) => {
                for part in *parts {
                    assert!(
                        e.contains(part),
                        "{target}/{case}: expected «{part}» in: {e}"
                    );
                }
            }
            (Ok(()), Outcome::Err(parts)) => panic!("{target}/{case}: read, expected {parts:?}"),
            (Err(e), Outcome::Ok) => panic!("{target}/{case}: expected data, got: {e}"),
        }
    }
}

/// Every file kept under tests/fuzz_regressions/ is a listed case.
#[test]
fn every_kept_file_is_listed() {
    let Ok(targets) = std::fs::read_dir(cases_dir()) else {
        return;
    };
    for target in targets {
        let target = target.unwrap().path();
        for case in std::fs::read_dir(&target).unwrap() {
            let case = case.unwrap().path();
            let (t, c) = (
                target.file_name().unwrap().to_str().unwrap(),
                case.file_name().unwrap().to_str().unwrap(),
            );
            assert!(
                CASES.iter().any(|(ct, cc, _)| *ct == t && *cc == c),
                "{} is not listed in CASES",
                case.display()
            );
        }
    }
}
