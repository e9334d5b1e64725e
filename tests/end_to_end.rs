//! The demo district end to end: valid RFC 7946 GeoJSON, the per-sub-district table,
//! byte-identical outputs whatever the thread count, and GCJ-02 inputs converted on read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lifecircle::demo;
use lifecircle::io::demo_files::write_demo;
use lifecircle::pipeline::{run, Outcome, Silent};
use serde_json::Value;

/// One demo run on 2 threads shared by the tests that only read it, with its folder.
fn shared_demo() -> &'static (tempfile::TempDir, Outcome) {
    static DEMO: std::sync::OnceLock<(tempfile::TempDir, Outcome)> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = run_demo(dir.path(), 2);
        (dir, out)
    })
}

fn run_demo(dir: &Path, threads: usize) -> Outcome {
    let district = demo::generate().unwrap();
    let plan_path = write_demo(&district, &dir.join("data"), "../out").unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| run(&plan, &plan.output_dir, &Silent))
        .unwrap()
}

fn ring_area2(ring: &[Value]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum()
}

/// RFC 7946: WGS84 positions, rings closed with ≥ 4 positions, exteriors counter-clockwise
/// and holes clockwise. Returns the number of features.
fn check_rfc7946(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let parsed: geojson::GeoJson = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let geojson::GeoJson::FeatureCollection(fc) = parsed else {
        panic!("{} is not a FeatureCollection", path.display())
    };
    let json: Value = serde_json::from_str(&text).unwrap();
    assert!(json.get("crs").is_none(), "RFC 7946 has no crs member");
    for f in json["features"].as_array().unwrap() {
        let g = &f["geometry"];
        let polygons: Vec<&Value> = match g["type"].as_str().unwrap() {
            "Polygon" => vec![&g["coordinates"]],
            "MultiPolygon" => g["coordinates"].as_array().unwrap().iter().collect(),
            "Point" => {
                let (lon, lat) = (
                    g["coordinates"][0].as_f64().unwrap(),
                    g["coordinates"][1].as_f64().unwrap(),
                );
                assert!(
                    (121.0..122.0).contains(&lon) && (30.9..31.5).contains(&lat),
                    "{lon},{lat}"
                );
                continue;
            }
            other => panic!("unexpected geometry {other}"),
        };
        for poly in polygons {
            for (i, ring) in poly.as_array().unwrap().iter().enumerate() {
                let ring = ring.as_array().unwrap();
                assert!(ring.len() >= 4);
                assert_eq!(ring.first(), ring.last(), "ring not closed");
                for p in ring {
                    let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                    assert!((121.0..122.0).contains(&lon) && (30.9..31.5).contains(&lat));
                }
                let a = ring_area2(ring);
                if i == 0 {
                    assert!(a > 0.0, "exterior ring must be counter-clockwise");
                } else {
                    assert!(a < 0.0, "holes must be clockwise");
                }
            }
        }
    }
    fc.features.len()
}

/// Every file under `dir` (maps/ included), by path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p: PathBuf = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn demo_runs_end_to_end_with_valid_outputs() {
    let (dir, out) = shared_demo();
    let out_dir = dir.path().join("out");
    assert_eq!(check_rfc7946(&out_dir.join("cells.geojson")), 5_476);
    assert_eq!(check_rfc7946(&out_dir.join("subdistricts.geojson")), 13);
    assert_eq!(check_rfc7946(&out_dir.join("committees.geojson")), 306);
    assert_eq!(
        check_rfc7946(&out_dir.join("facilities.geojson")),
        out.study.facilities.len()
    );
    // One walking service area per facility and network circle its kind serves.
    let expected_areas: usize = out
        .study
        .facilities
        .iter()
        .map(|f| {
            out.coverage
                .circles
                .iter()
                .filter(|c| c.circle.kinds.contains(&f.kind))
                .count()
        })
        .sum();
    assert_eq!(
        check_rfc7946(&out_dir.join("service_areas.geojson")),
        expected_areas
    );

    // The per-sub-district table: 13 rows and the district, totals as in the baseline.
    let mut table = csv::Reader::from_path(out_dir.join("subdistricts.csv")).unwrap();
    let header = table.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|c| c.trim_start_matches('\u{feff}') == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let rows: Vec<csv::StringRecord> = table.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 14);
    let district = rows.last().unwrap();
    assert_eq!(&district[col("id")], "district");
    assert_eq!(&district[col("residents")], "932000");
    assert_eq!(&district[col("aged_60_plus")], "334800");
    let sum_60: f64 = rows[..13]
        .iter()
        .map(|r| r[col("aged_60_plus")].parse::<f64>().unwrap())
        .sum();
    assert_eq!(sum_60, 334_800.0, "every cell lies in a sub-district");
    for r in &rows {
        let share: f64 = r[col("min15_share")].parse().unwrap();
        let covered: f64 = r[col("min15_covered")].parse().unwrap();
        let people: f64 = r[col("min15_people")].parse().unwrap();
        assert!((share - covered / people).abs() < 1e-4);
        // Requiring all three kinds covers no more than any one of them.
        let cc: f64 = r[col("min15_comprehensive_centre_share")].parse().unwrap();
        assert!(share <= cc + 1e-9);
    }
    assert_eq!(&district[col("n_comprehensive_centre")], "16");
    assert_eq!(&district[col("n_nursing_home")], "43");

    // The demo is measured along its streets, with the straight line beside it.
    for r in &rows {
        let net: f64 = r[col("day_centre_share")].parse().unwrap();
        let line: f64 = r[col("day_centre_straight_line_share")].parse().unwrap();
        assert!(
            net <= line + 1e-9,
            "network share {net} above straight-line {line}"
        );
    }
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["circles"][0]["method"], "network");
    assert_eq!(summary["network"]["ways_excluded"]["motorway"], 1);
    assert!(
        summary["network"]["ways_excluded"]["access=private/no"]
            .as_u64()
            .unwrap()
            > 10
    );
    assert_eq!(summary["network"]["cells_not_snapped"], 0);
    assert_eq!(summary["analysis_crs"]["epsg"], 32651);
    assert_eq!(summary["circles"][0]["radius_m"], 900.0);

    // The long indicator table, as CSV and as Parquet with the same rows.
    let mut long = csv::Reader::from_path(out_dir.join("indicators.csv")).unwrap();
    let n_csv = long.records().count();
    let file = std::fs::File::open(out_dir.join("indicators.parquet")).unwrap();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), n_csv);
    assert_eq!(
        df.column("value").unwrap().dtype(),
        &polars::prelude::DataType::Float64
    );
    assert_eq!(
        df.column("met").unwrap().dtype(),
        &polars::prelude::DataType::Boolean
    );
    let levels = df.column("level").unwrap().str().unwrap().clone();
    let indicators = df.column("indicator").unwrap().str().unwrap().clone();
    let values = df.column("value").unwrap().f64().unwrap().clone();
    let centres = (0..df.height())
        .find(|&i| {
            levels.get(i) == Some("district") && indicators.get(i) == Some("comprehensive_centres")
        })
        .unwrap();
    assert_eq!(values.get(centres), Some(16.0));
    // Every sub-district and committee has every provision indicator.
    let per_level = |l: &str| {
        (0..df.height())
            .filter(|&i| levels.get(i) == Some(l))
            .count()
    };
    assert!(per_level("subdistrict") >= 13 * 11 && per_level("committee") >= 306 * 2);

    // The Markdown tables for a plan document.
    let md = std::fs::read_to_string(out_dir.join("indicators.md")).unwrap();
    assert!(md.contains("| community comprehensive elderly service centres | 社区综合为老服务中心 | 16.0 | 26.0 | 10 centres | ✗ |"), "{md}");
    assert!(md.contains("## Most under-served areas: circle min15"));
    let under = std::fs::read_to_string(out_dir.join("underserved.csv")).unwrap();
    assert!(under.lines().count() > 40);

    // Site proposals: 10 new comprehensive centres reaching 2 per sub-district, proven
    // optimal for the 15-minute walk, re-checked by measuring again.
    let siting = &summary["siting"];
    assert_eq!(siting["new_sites"], 10);
    assert_eq!(siting["gap"], 0.0);
    assert_eq!(siting["method"], "network");
    let proposal = out.proposal.as_ref().unwrap();
    assert!((proposal.recheck.covered_weight - proposal.solution.objective).abs() < 1e-6);
    assert!(siting["covered_after"].as_f64().unwrap() > siting["covered_before"].as_f64().unwrap());
    assert_eq!(check_rfc7946(&out_dir.join("proposed_sites.geojson")), 10);
    // A priority order (the order in which to build): each site's marginal gain is at least
    // the next one's, the cumulative share rises by exactly those gains, and after the last
    // site it is the solution's share.
    let priority = siting["priority"].as_array().unwrap();
    assert_eq!(priority.len(), 10);
    let people = siting["people"].as_f64().unwrap();
    let mut cumulative = siting["covered_before"].as_f64().unwrap();
    for (k, site) in priority.iter().enumerate() {
        assert_eq!(site["rank"], k + 1);
        let gain = site["newly_covered"].as_f64().unwrap();
        if let Some(next) = priority.get(k + 1) {
            assert!(
                gain + 1e-9 >= next["newly_covered"].as_f64().unwrap(),
                "rank {}: {priority:?}",
                k + 1
            );
        }
        cumulative += gain;
        assert!((site["cumulative_covered"].as_f64().unwrap() - cumulative).abs() < 1e-6);
        assert!((site["cumulative_share"].as_f64().unwrap() - cumulative / people).abs() < 1e-9);
    }
    let last = priority[9]["cumulative_share"].as_f64().unwrap();
    assert!((last - proposal.recheck.covered_weight / people).abs() < 1e-9);
    assert!((last * people - siting["covered_after"].as_f64().unwrap()).abs() < 1e-6);
    // Before and after per 街镇 in summary.json (and the report): 13 rows and the district,
    // whose figures are the siting result's.
    let ba = siting["before_after"].as_array().unwrap();
    assert_eq!(ba.len(), 14);
    assert!(ba[13]["subdistrict"].is_null());
    assert_eq!(ba[13]["new"], 10);
    assert!(
        (ba[13]["covered_after"].as_f64().unwrap() - siting["covered_after"].as_f64().unwrap())
            .abs()
            < 1e-6
    );
    // The same list as a table.
    let sites = std::fs::read_to_string(out_dir.join("proposed_sites.csv")).unwrap();
    assert!(sites.starts_with("\u{feff}rank,id,kind,subdistrict,street,lon,lat,newly_covered,cumulative_covered,cumulative_share"), "{sites}");
    assert_eq!(sites.lines().count(), 11);
    let mut t = csv::Reader::from_path(out_dir.join("siting_before_after.csv")).unwrap();
    let h = t.headers().unwrap().clone();
    let after = h
        .iter()
        .position(|c| c == "comprehensive_centre_after")
        .unwrap();
    let rows: Vec<csv::StringRecord> = t.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 14);
    for r in &rows[..13] {
        assert!(r[after].parse::<u32>().unwrap() >= 2, "{:?}", r);
    }
    assert_eq!(&rows[13][after], "26");
    // The plan's figures after the proposal: 26 centres, 2 per sub-district, met.
    let centres = siting["district_after"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "comprehensive_centres")
        .unwrap();
    assert_eq!(
        (centres["value"].as_f64(), centres["met"].as_bool()),
        (Some(26.0), Some(true))
    );
    let md_after = std::fs::read_to_string(out_dir.join("indicators_after.md")).unwrap();
    assert!(
        md_after.contains("| 社区综合为老服务中心 | 26.0 | 26.0 | – | ✓ |"),
        "{md_after}"
    );
    assert_eq!(summary["totals"]["aged_80_plus"], 60_900.0);
}

#[test]
fn outputs_are_byte_identical_whatever_the_thread_count() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run_demo(a.path(), 1);
    run_demo(b.path(), 2);
    let (fa, fb) = (files(&a.path().join("out")), files(&b.path().join("out")));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between 1 and 2 threads");
    }
    let (da, db) = (files(&a.path().join("data")), files(&b.path().join("data")));
    assert_eq!(da, db, "demo data differs between runs");
}

/// Walking is never shorter than the straight line, and the canal and the missing blocks
/// make it clearly longer on average.
#[test]
fn network_distances_exceed_straight_lines() {
    let (_, out) = shared_demo();
    for n in &out.coverage.nearest {
        let net = n.network_m.as_ref().expect("demo circles walk the network");
        let mut ratios = Vec::new();
        for (d_net, d_line) in net.iter().zip(&n.straight_line_m) {
            if d_net.is_finite() {
                assert!(*d_net >= d_line - 1e-6, "{}: {d_net} < {d_line}", n.kind);
                if *d_line > 200.0 {
                    ratios.push(d_net / d_line);
                }
            }
        }
        ratios.sort_by(f64::total_cmp);
        let median = ratios[ratios.len() / 2];
        assert!(
            (1.1..2.0).contains(&median),
            "{}: median detour {median}",
            n.kind
        );
    }
}

/// The demo's facilities CSV is in GCJ-02 (as Amap exports it); after reading, every
/// facility is back at its WGS84 position to within the CSV's 1e-6° rounding.
#[test]
fn gcj02_facilities_come_back_to_wgs84() {
    let (_, out) = shared_demo();
    let district = demo::generate().unwrap();
    assert_eq!(out.study.facilities.len(), district.facilities.len());
    for (read, truth) in out.study.facilities.iter().zip(&district.facilities) {
        assert_eq!(read.id, truth.id);
        let d = lifecircle::crs::haversine_m(
            (read.location.lon_lat.x, read.location.lon_lat.y),
            (truth.lon_lat.x, truth.lon_lat.y),
        );
        assert!(d < 0.2, "{} is {d} m off", read.id);
    }
}

/// Census polygons spread onto the grid keep their totals and land in their sub-district.
#[test]
fn census_polygons_are_spread_onto_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let geojson = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"t1","residents":12000,"aged_60_plus":4000,"aged_65_plus":3000,"aged_80_plus":700},
  "geometry":{"type":"Polygon","coordinates":[[[121.430,31.170],[121.440,31.170],[121.440,31.178],[121.430,31.178],[121.430,31.170]]]}},
 {"type":"Feature","properties":{"id":"t2","residents":5000,"aged_60_plus":1500,"aged_65_plus":1000,"aged_80_plus":300},
  "geometry":{"type":"MultiPolygon","coordinates":[[[[121.440,31.170],[121.447,31.170],[121.447,31.178],[121.440,31.178],[121.440,31.170]]]]}}]}"#;
    std::fs::write(d.join("tracts.geojson"), geojson).unwrap();
    std::fs::write(
        d.join("facilities.csv"),
        "id,type,lon,lat\nF1,日间照料中心,121.435,31.174\n",
    )
    .unwrap();
    let plan = r#"[study]
name = "tracts"
analysis_crs = "EPSG:32651"
[population]
path = "tracts.geojson"
geometry = "polygons"
grid_cell_m = 200
[facilities]
path = "facilities.csv"
"#;
    std::fs::write(d.join("plan.toml"), plan).unwrap();
    let plan = lifecircle::io::read_plan(&d.join("plan.toml")).unwrap();
    let out = run(&plan, &d.join("out"), &Silent).unwrap();
    let total = out.study.total_counts();
    assert!((total.residents - 17_000.0).abs() < 1e-6);
    assert!((total.aged_80 - 1_000.0).abs() < 1e-6);
    // ≈ 950 m × 890 m + 665 m × 890 m on a 200 m grid: a few dozen cells.
    assert!(out.study.cells.len() > 30 && out.study.cells.len() < 70);
    assert_eq!(
        out.summary.inputs.population_spread_onto_grid_m,
        Some(200.0)
    );
    check_rfc7946(&d.join("out/cells.geojson"));
}

/// A hand-checked street: three nodes 0.005° apart along latitude 31.18 (≈ 476.6 m each,
/// geodesic), a day-care centre on the first node. A cell 0.0001° (≈ 11.1 m) north of the
/// third node is 953.2 m away in a straight line but 964.3 m on foot; a cell 1.1 km off the
/// street is not snapped, and reported.
#[test]
fn hand_checked_network_coverage_and_unsnapped_cells() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("street.osm"),
        r#"<osm version="0.6">
<node id="1" lat="31.18" lon="121.430"/><node id="2" lat="31.18" lon="121.435"/><node id="3" lat="31.18" lon="121.440"/>
<way id="7"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
</osm>"#,
    )
    .unwrap();
    std::fs::write(
        d.join("population.csv"),
        "id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\n\
         near,121.4355,31.18,100,40,30,10\n\
         end,121.440,31.1801,100,40,30,10\n\
         off,121.440,31.19,100,40,30,10\n",
    )
    .unwrap();
    std::fs::write(
        d.join("facilities.csv"),
        "id,type,lon,lat\nD1,日间照料中心,121.430,31.18\n",
    )
    .unwrap();
    std::fs::write(
        d.join("plan.toml"),
        r#"[study]
name = "street"
[population]
path = "population.csv"
[facilities]
path = "facilities.csv"
[network]
path = "street.osm"
max_snap_m = 300
[[circles]]
name = "walk960"
distance_m = 960
kinds = ["day_care"]
[[circles]]
name = "walk1200"
distance_m = 1200
kinds = ["day_care"]
"#,
    )
    .unwrap();
    let plan = lifecircle::io::read_plan(&d.join("plan.toml")).unwrap();
    let out = run(&plan, &d.join("out"), &Silent).unwrap();
    let n = out
        .coverage
        .nearest_for(lifecircle::model::FacilityKind::DayCare)
        .unwrap();
    let net = n.network_m.as_ref().unwrap();
    let geo = |a: (f64, f64), b: (f64, f64)| {
        lifecircle::network::geodesic_m(
            geo::Coord { x: a.0, y: a.1 },
            geo::Coord { x: b.0, y: b.1 },
        )
    };
    let street = geo((121.430, 31.18), (121.435, 31.18)) + geo((121.435, 31.18), (121.440, 31.18));
    let offset = geo((121.440, 31.18), (121.440, 31.1801));
    assert!((street - 953.24).abs() < 0.01, "{street}");
    assert!(
        (net[1] - (street + offset)).abs() < 0.05,
        "{} vs {}",
        net[1],
        street + offset
    );
    let half = geo((121.430, 31.18), (121.435, 31.18)) + geo((121.435, 31.18), (121.4355, 31.18));
    assert!((net[0] - half).abs() < 0.05, "{} vs {half}", net[0]);
    assert!(net[2].is_infinite());
    // Within 960 m: in a straight line both street cells, on foot only the near one.
    let c = &out.coverage.circles[0];
    assert_eq!(c.covered, vec![true, false, false]);
    assert_eq!(
        c.covered_straight_line.as_ref().unwrap(),
        &vec![true, true, false]
    );
    assert_eq!(out.coverage.circles[1].covered, vec![true, true, false]);
    let network = out.summary.network.as_ref().unwrap();
    assert_eq!(network.cells_not_snapped, 1);
    assert_eq!(network.residents_not_snapped, 100.0);
    let far = out
        .summary
        .warnings
        .iter()
        .find(|w| w.code == lifecircle::summary::WarningCode::FarFromStreet)
        .expect("a far_from_street warning");
    assert!(
        far.message
            .contains("1 population cells (100.0 residents) lie farther than 300.0 m"),
        "{}",
        far.message
    );
}

/// The demo's siting with a capacity of 6,000 people aged 60+ per new centre: no site
/// serves more, the allocation is re-checked flow by flow, and the tables say what is
/// served as well as what lies within reach.
#[test]
fn capacitated_siting_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let district = demo::generate().unwrap();
    let plan_path = write_demo(&district, &dir.path().join("data"), "../out").unwrap();
    let text = std::fs::read_to_string(&plan_path).unwrap();
    let text = text.replace("p = 10\n", "p = 10\ncapacity_per_site = 6000\n");
    std::fs::write(&plan_path, text).unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    let out = run(&plan, &plan.output_dir, &Silent).unwrap();
    let proposal = out.proposal.as_ref().unwrap();
    let served = proposal.solution.served.as_ref().unwrap();
    assert_eq!(served.len(), 10);
    assert!(served.iter().all(|&s| s <= 6000.0 + 1e-6), "{served:?}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(plan.output_dir.join("summary.json")).unwrap())
            .unwrap();
    let siting = &summary["siting"];
    let before = siting["covered_before"].as_f64().unwrap();
    let served_new = siting["served_by_new_sites"].as_f64().unwrap();
    // The objective is what existing centres cover plus what the new ones serve.
    assert!((before + served_new - proposal.solution.objective).abs() < 1e-6);
    // Capacity binds: the sites serve less than the people their catchments hold.
    assert!(proposal.recheck.covered_weight > proposal.solution.objective + 1.0);
    assert!(proposal.solution.objective <= proposal.solution.bound + 1e-6);
    let sites: Value = serde_json::from_slice(
        &std::fs::read(plan.output_dir.join("proposed_sites.geojson")).unwrap(),
    )
    .unwrap();
    for f in sites["features"].as_array().unwrap() {
        let p = &f["properties"];
        assert_eq!(p["capacity"], 6000.0);
        assert!(p["served"].as_f64().unwrap() <= 6000.0 + 1e-6);
    }
    let mut t = csv::Reader::from_path(plan.output_dir.join("siting_before_after.csv")).unwrap();
    let h = t.headers().unwrap().clone();
    let col = h.iter().position(|c| c == "served_after").unwrap();
    let rows: Vec<csv::StringRecord> = t.records().map(Result::unwrap).collect();
    let district_served: f64 = rows[13][col].parse().unwrap();
    assert!((district_served - proposal.solution.objective).abs() < 0.1);
}
