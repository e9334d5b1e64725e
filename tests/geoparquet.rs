//! `cells.parquet` (GeoParquet 1.0.0) holds the same cells, geometries and values as
//! `cells.geojson`: the demo run with `[outputs] cells = "both"`, both files read back by
//! geopandas (skipped, saying so, where python3 has no geopandas). Without the key, a run of
//! at most 200,000 cells writes GeoJSON alone, and summary.json says why.
#![cfg(feature = "parquet")]

use lifecircle::demo;
use lifecircle::io::demo_files::write_demo;
use lifecircle::pipeline::{run, Silent};

const COMPARE: &str = r#"
import json, sys
import numpy as np, geopandas as gpd, pyarrow.parquet as pq
out = sys.argv[1]
geo = json.loads(pq.read_metadata(out + "/cells.parquet").metadata[b"geo"])
assert geo["version"] == "1.0.0" and geo["primary_column"] == "geometry", geo
assert geo["columns"]["geometry"]["encoding"] == "WKB", geo
p = gpd.read_parquet(out + "/cells.parquet")
g = gpd.read_file(out + "/cells.geojson")
assert p.crs.to_string() == "OGC:CRS84", p.crs
assert len(p) == len(g) > 0, (len(p), len(g))
assert list(p.columns) == list(g.columns), (list(p.columns), list(g.columns))
for c in g.columns:
    if c == "geometry":
        assert all(a.equals_exact(b, 1e-9) for a, b in zip(p.geometry, g.geometry)), c
    elif p[c].dtype.kind == "f":
        assert np.array_equal(p[c].to_numpy(float), g[c].to_numpy(float), equal_nan=True), c
    else:
        assert (p[c].fillna("NA").astype(str) == g[c].fillna("NA").astype(str)).all(), c
print(len(p), "cells,", len(p.columns), "columns equal")
"#;

#[test]
fn geoparquet_cells_read_back_equal_to_the_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let district = demo::generate().unwrap();
    let plan_path = write_demo(&district, &dir.path().join("data"), "../out").unwrap();
    // Default: GeoJSON alone for the demo's 5,476 cells.
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    let outcome = run(&plan, &plan.output_dir, &Silent).unwrap();
    assert!(plan.output_dir.join("cells.geojson").exists());
    assert!(!plan.output_dir.join("cells.parquet").exists());
    assert_eq!(outcome.summary.cells_output.format, "geojson");
    assert!(
        outcome
            .summary
            .cells_output
            .chosen
            .contains("at most 200000"),
        "{}",
        outcome.summary.cells_output.chosen
    );

    let text = std::fs::read_to_string(&plan_path).unwrap() + "\n[outputs]\ncells = \"both\"\n";
    std::fs::write(&plan_path, text).unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    let outcome = run(&plan, &plan.output_dir, &Silent).unwrap();
    assert_eq!(
        outcome.summary.cells_output.files,
        ["cells.geojson", "cells.parquet"]
    );
    assert!(outcome
        .manifest
        .files
        .iter()
        .any(|f| f.path == "cells.parquet"));

    let has_geopandas = std::process::Command::new("python3")
        .args(["-c", "import geopandas, pyarrow"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_geopandas {
        eprintln!("skipped the read-back: python3 has no geopandas/pyarrow");
        return;
    }
    let result = std::process::Command::new("python3")
        .args(["-c", COMPARE])
        .arg(&plan.output_dir)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&result.stdout));
}
