//! GDAL formats (feature `gdal`): the demo's inputs written as GeoPackage, Shapefile and
//! FlatGeobuf give the same figures as from GeoJSON; a GBK Shapefile's Chinese names are
//! read right (from its .cpg, or from the plan's encoding when the .cpg is missing); a
//! GeoTIFF population raster's counts sum to the total; a file without a CRS, or with
//! another CRS than the plan states, is a clear error; GeoPackage and FlatGeobuf outputs
//! hold what the GeoJSON does.
#![cfg(feature = "gdal")]

use std::path::{Path, PathBuf};

use gdal::vector::LayerAccess;
use gdal::Dataset;
use lifecircle::demo;
use lifecircle::io::demo_files::write_demo;
use lifecircle::io::gdal_io::{copy_layers, Writer};
use lifecircle::pipeline::{run, Outcome, RunError, Silent};

/// The demo's data in `dir/data` with its plan (outputs to `dir/out`).
fn demo_data(dir: &Path) -> PathBuf {
    let district = demo::generate().unwrap();
    write_demo(&district, &dir.join("data"), "../out").unwrap()
}

fn edit_plan(plan: &Path, edits: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(plan).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "plan has no '{from}'");
        text = text.replacen(from, to, 1);
    }
    std::fs::write(plan, text).unwrap();
}

fn run_plan(plan: &Path) -> Result<Outcome, RunError> {
    let plan = lifecircle::io::read_plan(plan).unwrap();
    run(&plan, &plan.output_dir, &Silent)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn gpkg_shp_fgb_inputs_give_the_geojson_figures_and_outputs_round_trip() {
    let base = tempfile::tempdir().unwrap();
    let plan = demo_data(base.path());
    run_plan(&plan).unwrap();

    let other = tempfile::tempdir().unwrap();
    let plan2 = demo_data(other.path());
    let data = other.path().join("data");
    copy_layers(
        &[&data.join("population.geojson")],
        &data.join("population.gpkg"),
        Writer::GeoPackage,
    )
    .unwrap();
    copy_layers(
        &[&data.join("subdistricts.geojson")],
        &data.join("subdistricts.shp"),
        Writer::Shapefile("UTF-8"),
    )
    .unwrap();
    copy_layers(
        &[&data.join("committees.geojson")],
        &data.join("committees.fgb"),
        Writer::FlatGeobuf,
    )
    .unwrap();
    // Facilities: the CSV's GCJ-02 points as a GeoPackage labelled WGS84, as web-map
    // exports are; the plan's crs = "GCJ02" says what they really are.
    let mut csv = csv::Reader::from_path(data.join("facilities.csv")).unwrap();
    let headers = csv.headers().unwrap().clone();
    let features: Vec<serde_json::Value> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            let props: serde_json::Map<String, serde_json::Value> = headers
                .iter()
                .zip(r.iter())
                .filter(|(h, _)| *h != "lon" && *h != "lat")
                .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.to_string())))
                .collect();
            let lon: f64 = r[headers.iter().position(|h| h == "lon").unwrap()]
                .parse()
                .unwrap();
            let lat: f64 = r[headers.iter().position(|h| h == "lat").unwrap()]
                .parse()
                .unwrap();
            serde_json::json!({"type": "Feature", "properties": props,
                "geometry": {"type": "Point", "coordinates": [lon, lat]}})
        })
        .collect();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    let gcj = data.join("facilities_gcj02.geojson");
    std::fs::write(&gcj, serde_json::to_vec(&fc).unwrap()).unwrap();
    copy_layers(&[&gcj], &data.join("facilities.gpkg"), Writer::GeoPackage).unwrap();
    std::fs::remove_file(&gcj).unwrap();
    for f in [
        "population.geojson",
        "subdistricts.geojson",
        "committees.geojson",
        "facilities.csv",
    ] {
        std::fs::remove_file(data.join(f)).unwrap();
    }
    edit_plan(
        &plan2,
        &[
            (
                "path = \"population.geojson\"",
                "path = \"population.gpkg\"",
            ),
            (
                "path = \"subdistricts.geojson\"",
                "path = \"subdistricts.shp\"",
            ),
            ("path = \"committees.geojson\"", "path = \"committees.fgb\""),
            ("path = \"facilities.csv\"", "path = \"facilities.gpkg\""),
            (
                "[network]",
                "[outputs]\nformats = [\"gpkg\", \"fgb\"]\n\n[network]",
            ),
        ],
    );
    let out = run_plan(&plan2).unwrap();
    let (a, b) = (base.path().join("out"), other.path().join("out"));
    // Same figures; rows compared as sets, since a FlatGeobuf with a spatial index hands
    // its features back in spatial (Hilbert) order, not in the order written.
    for table in [
        "indicators.csv",
        "subdistricts.csv",
        "committees.csv",
        "siting_before_after.csv",
    ] {
        let lines = |p: &Path| {
            let text = String::from_utf8(read(p)).unwrap();
            let mut v: Vec<String> = text.lines().map(str::to_string).collect();
            v.sort();
            v
        };
        let (x, y) = (lines(&a.join(table)), lines(&b.join(table)));
        assert!(x.len() > 10);
        let diff: Vec<(&String, &String)> =
            x.iter().zip(&y).filter(|(p, q)| p != q).take(3).collect();
        assert!(
            diff.is_empty() && x.len() == y.len(),
            "{table} differs: {diff:?}"
        );
    }
    assert_eq!(out.summary.totals.aged_60_plus, 334_800.0);

    // The GeoPackage holds every GeoJSON output as a layer with the same features; the
    // FlatGeobuf files likewise.
    let gpkg = Dataset::open(b.join("lifecircle.gpkg")).unwrap();
    for name in [
        "cells",
        "facilities",
        "subdistricts",
        "committees",
        "proposed_sites",
        "service_areas",
    ] {
        let geojson: serde_json::Value =
            serde_json::from_slice(&read(&b.join(format!("{name}.geojson")))).unwrap();
        let n = geojson["features"].as_array().unwrap().len() as u64;
        let layer = gpkg.layer_by_name(name).unwrap();
        assert_eq!(layer.feature_count(), n, "gpkg {name}");
        let fgb = Dataset::open(b.join(format!("{name}.fgb"))).unwrap();
        assert_eq!(fgb.layer(0).unwrap().feature_count(), n, "fgb {name}");
    }
    // Typed fields and values survive: the cells' 60+ sum.
    let mut cells = gpkg.layer_by_name("cells").unwrap();
    let idx = cells.defn().field_index("aged_60_plus").unwrap();
    let sum: f64 = cells
        .features()
        .map(|f| f.field_as_double(idx).unwrap().unwrap())
        .sum();
    assert!((sum - 334_800.0).abs() < 1e-6);
}

#[test]
fn gbk_shapefile_names_read_right() {
    let dir = tempfile::tempdir().unwrap();
    let plan = demo_data(dir.path());
    let data = dir.path().join("data");
    let shp = data.join("subdistricts_gbk.shp");
    copy_layers(
        &[&data.join("subdistricts.geojson")],
        &shp,
        Writer::Shapefile("CP936"),
    )
    .unwrap();
    // The .dbf really holds GBK: 青松街道 in GBK bytes, not in UTF-8.
    let dbf = read(&shp.with_extension("dbf"));
    let (gbk, _, _) = encoding_rs::GBK.encode("青松街道");
    assert!(dbf.windows(gbk.len()).any(|w| w == &gbk[..]));
    assert!(!dbf.windows(12).any(|w| w == "青松街道".as_bytes()));
    edit_plan(
        &plan,
        &[(
            "path = \"subdistricts.geojson\"",
            "path = \"subdistricts_gbk.shp\"",
        )],
    );
    let names = |out: &Outcome| -> Vec<String> {
        out.indicators
            .subdistricts
            .iter()
            .map(|r| r.name.clone())
            .collect()
    };
    // With the .cpg GDAL wrote: names come back in Chinese.
    let cpg = shp.with_extension("cpg");
    assert!(cpg.exists(), "GDAL writes a .cpg for CP936");
    let out = run_plan(&plan).unwrap();
    assert!(
        names(&out).contains(&"青松街道".to_string()),
        "{:?}",
        names(&out)
    );
    // Without the .cpg, the plan's encoding says GBK.
    std::fs::remove_file(&cpg).unwrap();
    edit_plan(
        &plan,
        &[(
            "path = \"subdistricts_gbk.shp\"",
            "path = \"subdistricts_gbk.shp\"\nencoding = \"gbk\"",
        )],
    );
    let out = run_plan(&plan).unwrap();
    assert!(
        names(&out).contains(&"青松街道".to_string()),
        "{:?}",
        names(&out)
    );
    assert_eq!(names(&out).len(), 13);
}

#[test]
fn geotiff_population_counts_sum_to_the_total() {
    use gdal::raster::Buffer;
    use gdal::spatial_ref::SpatialRef;
    use gdal::DriverManager;
    use lifecircle::crs::Projection;

    let dir = tempfile::tempdir().unwrap();
    let plan = demo_data(dir.path());
    let data = dir.path().join("data");
    // Rasterise the demo's 100 m cells onto a 200 m UTM 51N grid: each cell's counts go to
    // the pixel holding its centre.
    let cells: serde_json::Value =
        serde_json::from_slice(&read(&data.join("population.geojson"))).unwrap();
    let utm = Projection::from_epsg(32651).unwrap();
    let mut points = Vec::new();
    for f in cells["features"].as_array().unwrap() {
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
        let n = (ring.len() - 1) as f64;
        let (lon, lat) = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |a, p| {
            (
                a.0 + p[0].as_f64().unwrap() / n,
                a.1 + p[1].as_f64().unwrap() / n,
            )
        });
        let (x, y) = utm.from_wgs84(lon, lat).unwrap();
        let p = &f["properties"];
        let counts = ["residents", "aged_60_plus", "aged_65_plus", "aged_80_plus"]
            .map(|k| p[k].as_f64().unwrap());
        points.push((x, y, counts));
    }
    let pixel = 200.0;
    let x0 =
        (points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min) / pixel).floor() * pixel - pixel;
    let y1 = (points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max) / pixel).ceil() * pixel
        + pixel;
    let x1 = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max) + pixel;
    let y0 = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min) - pixel;
    let (w, h) = (
        ((x1 - x0) / pixel).ceil() as usize,
        ((y1 - y0) / pixel).ceil() as usize,
    );
    let mut bands = vec![vec![0.0f64; w * h]; 4];
    for (x, y, counts) in &points {
        let c = ((x - x0) / pixel).floor() as usize;
        let r = ((y1 - y) / pixel).floor() as usize;
        for b in 0..4 {
            bands[b][r * w + c] += counts[b];
        }
    }
    let tif = data.join("population.tif");
    {
        let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = driver
            .create_with_band_type::<f64, _>(&tif, w, h, 4)
            .unwrap();
        ds.set_geo_transform(&[x0, pixel, 0.0, y1, 0.0, -pixel])
            .unwrap();
        ds.set_spatial_ref(&SpatialRef::from_epsg(32651).unwrap())
            .unwrap();
        for (b, name) in ["residents", "aged_60_plus", "aged_65_plus", "aged_80_plus"]
            .iter()
            .enumerate()
        {
            let mut band = ds.rasterband(b + 1).unwrap();
            let mut buf = Buffer::new((w, h), bands[b].clone());
            band.write((0, 0), (w, h), &mut buf).unwrap();
            gdal::Metadata::set_description(&mut band, name).unwrap();
        }
    }
    edit_plan(
        &plan,
        &[(
            "path = \"population.geojson\"    # 100 m cells with counts\ncrs = \"WGS84\"",
            "path = \"population.tif\"",
        )],
    );
    let out = run_plan(&plan).unwrap();
    let totals = &out.summary.totals;
    for (key, got, want) in [
        ("residents", totals.residents, 932_000.0),
        ("aged_60_plus", totals.aged_60_plus, 334_800.0),
        ("aged_65_plus", totals.aged_65_plus, 270_000.0),
        ("aged_80_plus", totals.aged_80_plus, 60_900.0),
    ] {
        assert!((got - want).abs() < 1e-6, "{key}: {got}");
    }
    // One cell per populated pixel, fewer than the 100 m cells.
    let populated = bands[0].iter().filter(|&&v| v > 0.0).count();
    assert_eq!(out.study.cells.len(), populated);
    assert!(populated < points.len());
}

#[test]
fn crs_is_taken_from_the_file_and_never_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let plan = demo_data(dir.path());
    let data = dir.path().join("data");
    let shp = data.join("committees.shp");
    copy_layers(
        &[&data.join("committees.geojson")],
        &shp,
        Writer::Shapefile("UTF-8"),
    )
    .unwrap();
    // Shapefile field names stop at 10 characters: the plan names the truncated column.
    edit_plan(
        &plan,
        &[
            ("path = \"committees.geojson\"", "path = \"committees.shp\""),
            ("parent = \"subdistrict\"", "parent = \"subdistric\""),
        ],
    );
    // A file with a CRS, and the plan stating another: an error naming both.
    edit_plan(
        &plan,
        &[(
            "path = \"committees.shp\"",
            "path = \"committees.shp\"\ncrs = \"EPSG:32651\"",
        )],
    );
    let e = run_plan(&plan).unwrap_err().to_string();
    assert!(
        e.contains("committees.shp") && e.contains("EPSG:4326"),
        "{e}"
    );
    // No .prj and no crs in the plan: an error asking for it.
    std::fs::remove_file(shp.with_extension("prj")).unwrap();
    edit_plan(&plan, &[("\ncrs = \"EPSG:32651\"", "")]);
    let e = run_plan(&plan).unwrap_err().to_string();
    assert!(e.contains("committees.shp") && e.contains("no CRS"), "{e}");
    // Stated in the plan: read as stated.
    edit_plan(
        &plan,
        &[(
            "path = \"committees.shp\"",
            "path = \"committees.shp\"\ncrs = \"WGS84\"",
        )],
    );
    let out = run_plan(&plan).unwrap();
    assert_eq!(out.indicators.committees.len(), 306);
}

#[test]
fn file_geodatabase_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let plan = demo_data(dir.path());
    let data = dir.path().join("data");
    let gdb = data.join("areas.gdb");
    copy_layers(
        &[
            &data.join("subdistricts.geojson"),
            &data.join("committees.geojson"),
        ],
        &gdb,
        Writer::FileGdb,
    )
    .unwrap();
    // Two layers: the plan names the one to read.
    edit_plan(
        &plan,
        &[("path = \"subdistricts.geojson\"", "path = \"areas.gdb\"")],
    );
    let e = run_plan(&plan).unwrap_err().to_string();
    assert!(
        e.contains("areas.gdb") && e.contains("2 layers") && e.contains("committees"),
        "{e}"
    );
    edit_plan(
        &plan,
        &[(
            "path = \"areas.gdb\"",
            "path = \"areas.gdb\"\nlayer = \"subdistricts\"",
        )],
    );
    let out = run_plan(&plan).unwrap();
    let names: Vec<&str> = out
        .indicators
        .subdistricts
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names.len(), 13);
    assert!(names.contains(&"芙蓉镇"), "{names:?}");
    assert_eq!(out.summary.totals.aged_60_plus, 334_800.0);
}
