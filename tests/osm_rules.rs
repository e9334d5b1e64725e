//! One hand-made OSM XML fixture per walking rule of `crates/core/src/network/walkable.rs`
//! (the rule table in its module doc and in the README), read from a file, built into the
//! graph and walked: each test fails if its rule were dropped.

use std::collections::HashMap;

use geo::Coord;
use lifecircle::crs::Projection;
use lifecircle::io::osm::read_osm;
use lifecircle::network::{geodesic_m, StreetNetwork};

/// Fixture origin (central Helsinki); node positions are given in metres east and north.
const LON0: f64 = 24.94;
const LAT0: f64 = 60.17;

fn lon_lat(x_m: f64, y_m: f64) -> Coord<f64> {
    // Rounded to OSM's 1e-7° so the file holds exactly these positions.
    let r = |v: f64| (v * 1e7).round() / 1e7;
    Coord {
        x: r(LON0 + x_m / (111_320.0 * LAT0.to_radians().cos())),
        y: r(LAT0 + y_m / 110_950.0),
    }
}

type Tags = Vec<(&'static str, &'static str)>;

struct Fixture {
    /// (id, metres east, metres north).
    nodes: Vec<(i64, f64, f64)>,
    /// (id, node ids, tags).
    ways: Vec<(i64, Vec<i64>, Tags)>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            nodes: Vec::new(),
            ways: Vec::new(),
        }
    }

    fn node(mut self, id: i64, x_m: f64, y_m: f64) -> Fixture {
        self.nodes.push((id, x_m, y_m));
        self
    }

    fn way(mut self, id: i64, nodes: &[i64], tags: &[(&'static str, &'static str)]) -> Fixture {
        self.ways.push((id, nodes.to_vec(), tags.to_vec()));
        self
    }

    fn xml(&self) -> String {
        let mut s =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\">\n");
        for &(id, x, y) in &self.nodes {
            let c = lon_lat(x, y);
            s += &format!(
                "  <node id=\"{id}\" lat=\"{:.7}\" lon=\"{:.7}\"/>\n",
                c.y, c.x
            );
        }
        for (id, nodes, tags) in &self.ways {
            s += &format!("  <way id=\"{id}\">\n");
            for n in nodes {
                s += &format!("    <nd ref=\"{n}\"/>\n");
            }
            for (k, v) in tags {
                s += &format!("    <tag k=\"{k}\" v=\"{v}\"/>\n");
            }
            s += "  </way>\n";
        }
        s + "</osm>\n"
    }

    /// Writes the fixture to a file, reads it back and builds the network.
    fn build(&self) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fixture.osm");
        std::fs::write(&path, self.xml()).unwrap();
        let data = read_osm(&path).unwrap();
        let proj = Projection::utm_for(LON0, LAT0).unwrap();
        let net = StreetNetwork::from_osm(&data, &proj).unwrap();
        let pos = self
            .nodes
            .iter()
            .map(|&(id, x, y)| (id, lon_lat(x, y)))
            .collect();
        Net { net, proj, pos }
    }
}

struct Net {
    net: StreetNetwork,
    proj: Projection,
    pos: HashMap<i64, Coord<f64>>,
}

impl Net {
    /// Walking distance between two OSM nodes, `None` when either is not in the graph or
    /// the walk does not connect them.
    fn walk(&self, from: i64, to: i64) -> Option<f64> {
        let g = &self.net.graph;
        let index = |id: i64| g.osm_ids.iter().position(|&o| o == id);
        let (a, b) = (index(from)?, index(to)? as u32);
        let mut found = None;
        g.bounded(&[(a as u32, 0.0)], 1e6, &mut g.scratch(), |n, d| {
            if n == b {
                found = Some(d);
            }
        });
        found
    }

    /// Geodesic length of the path through the given nodes.
    fn path_m(&self, nodes: &[i64]) -> f64 {
        nodes
            .windows(2)
            .map(|w| geodesic_m(self.pos[&w[0]], self.pos[&w[1]]))
            .sum()
    }

    /// Walking distance from a point (metres east/north of the origin) to a node, through
    /// the snapped street.
    fn walk_from_point(&self, x_m: f64, y_m: f64, to: i64) -> Option<f64> {
        let g = &self.net.graph;
        let c = lon_lat(x_m, y_m);
        let (x, y) = self.proj.from_wgs84(c.x, c.y).unwrap();
        let snap = g.snap(Coord { x, y }, 50.0)?;
        let b = g.osm_ids.iter().position(|&o| o == to)? as u32;
        let mut found = None;
        g.bounded(&g.entries(&snap), 1e6, &mut g.scratch(), |n, d| {
            if n == b {
                found = Some(d);
            }
        });
        found
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Two streets joined end to end by a middle way with the given tags: 1 —100— 2 —100— 3
/// —100— 4, the middle way being 2–3.
fn three_ways(middle: &[(&'static str, &'static str)]) -> Net {
    Fixture::new()
        .node(1, 0.0, 0.0)
        .node(2, 100.0, 0.0)
        .node(3, 200.0, 0.0)
        .node(4, 300.0, 0.0)
        .way(10, &[1, 2], &[("highway", "residential")])
        .way(11, &[2, 3], middle)
        .way(12, &[3, 4], &[("highway", "residential")])
        .build()
}

fn joins(middle: &[(&'static str, &'static str)]) -> bool {
    let n = three_ways(middle);
    match n.walk(1, 4) {
        Some(d) => {
            assert!(close(d, n.path_m(&[1, 2, 3, 4])), "{d}");
            true
        }
        None => false,
    }
}

/// Rule 7: a shared foot/cycle path is walkable; a cycleway without a foot permission is
/// not.
#[test]
fn cycleway_with_foot_permission_connects() {
    for foot in ["designated", "yes", "permissive"] {
        assert!(
            joins(&[("highway", "cycleway"), ("foot", foot)]),
            "foot={foot}"
        );
    }
    assert!(!joins(&[("highway", "cycleway")]));
    assert!(!joins(&[("highway", "cycleway"), ("foot", "use_sidepath")]));
    let n = three_ways(&[("highway", "cycleway")]);
    assert_eq!(n.net.stats.ways_excluded.get("cycleway"), Some(&1));
}

/// Rule 6: motorways (and motorroads) only with foot=yes|designated.
#[test]
fn motorway_only_with_explicit_foot() {
    for foot in ["yes", "designated"] {
        assert!(joins(&[("highway", "motorway"), ("foot", foot)]));
        assert!(joins(&[
            ("highway", "trunk"),
            ("motorroad", "yes"),
            ("foot", foot)
        ]));
    }
    assert!(!joins(&[("highway", "motorway")]));
    assert!(!joins(&[
        ("highway", "motorway_link"),
        ("foot", "permissive")
    ]));
    assert!(!joins(&[("highway", "trunk"), ("motorroad", "yes")]));
}

/// Rules 8–9: access=no|private excludes, unless foot=yes|designated|permissive.
#[test]
fn foot_permission_overrides_access() {
    for access in ["no", "private"] {
        assert!(!joins(&[("highway", "service"), ("access", access)]));
        assert!(joins(&[
            ("highway", "service"),
            ("access", access),
            ("foot", "yes")
        ]));
    }
    assert!(!joins(&[("highway", "service"), ("service", "private")]));
    assert!(joins(&[
        ("highway", "service"),
        ("service", "private"),
        ("foot", "permissive")
    ]));
}

/// Rules 2–3: ways not in use and foot=no are never walkable, whatever else they say.
#[test]
fn foot_no_and_ways_not_in_use() {
    assert!(!joins(&[("highway", "residential"), ("foot", "no")]));
    assert!(!joins(&[("highway", "footway"), ("foot", "private")]));
    assert!(!joins(&[("highway", "construction"), ("foot", "yes")]));
    assert!(!joins(&[("highway", "platform")]));
    assert!(joins(&[("highway", "residential"), ("oneway", "yes")]));
    assert!(joins(&[("highway", "steps")]));
}

/// Ignored tags: a road whose sidewalk is mapped separately, or that has none, stays
/// walkable.
#[test]
fn sidewalk_separate_or_no_keeps_the_road() {
    assert!(joins(&[("highway", "primary"), ("sidewalk", "separate")]));
    assert!(joins(&[("highway", "secondary"), ("sidewalk", "no")]));
    assert!(joins(&[
        ("highway", "primary"),
        ("sidewalk:both", "separate")
    ]));
}

/// A 100 m square, outline 1 (0,0) → 2 (100,0) → 6 (100,50) → 3 (100,100) → 4 (0,100) →
/// 5 (0,50) → 1, with a street ending on each side: 10 (-200,50) – 5 and 6 – 11 (300,50).
fn square(tags: &[(&'static str, &'static str)]) -> Net {
    Fixture::new()
        .node(1, 0.0, 0.0)
        .node(2, 100.0, 0.0)
        .node(6, 100.0, 50.0)
        .node(3, 100.0, 100.0)
        .node(4, 0.0, 100.0)
        .node(5, 0.0, 50.0)
        .node(10, -200.0, 50.0)
        .node(11, 300.0, 50.0)
        .way(20, &[1, 2, 6, 3, 4, 5, 1], tags)
        .way(21, &[10, 5], &[("highway", "residential")])
        .way(22, &[6, 11], &[("highway", "residential")])
        .build()
}

/// Rule 4: a pedestrian (or footway) area links the streets ending on it straight across,
/// so what lies beyond it is reached within the straight walk.
#[test]
fn pedestrian_square_links_the_streets_ending_on_it() {
    for highway in ["pedestrian", "footway"] {
        let n = square(&[("highway", highway), ("area", "yes")]);
        let d = n.walk(10, 11).expect("the square joins the streets");
        // Straight across (5 → 6), not round the outline (5 → 1 → 2 → 6).
        assert!(close(d, n.path_m(&[10, 5, 6, 11])), "{highway}: {d}");
        assert!(d < n.path_m(&[10, 5, 1, 2, 6, 11]) - 50.0);
        // Only the two shared nodes are linked (the corners are not reflex).
        assert_eq!(n.net.stats.area_links, 1);
        // A point in the middle of the square is on the walk across it.
        let p = n.walk_from_point(50.0, 50.0, 11).unwrap();
        assert!((p - n.path_m(&[6, 11]) - 50.0).abs() < 0.5, "{p}");
        // The street length counts the outline, not the link across.
        let outline = n.path_m(&[1, 2, 6, 3, 4, 5, 1]);
        let streets = n.path_m(&[10, 5]) + n.path_m(&[6, 11]);
        assert!(close(n.net.stats.total_length_m, outline + streets));
    }
    // The outline is walkable too: the corners are reached along it.
    let n = square(&[("highway", "pedestrian"), ("area", "yes")]);
    assert!(close(n.walk(10, 1).unwrap(), n.path_m(&[10, 5, 1])));
}

/// Rule 5: other highway areas (a parking lot) are left out; so is a pedestrian area the
/// access rules exclude.
#[test]
fn other_highway_areas_are_not_walkable() {
    let n = square(&[("highway", "service"), ("area", "yes")]);
    assert_eq!(n.walk(10, 11), None);
    assert_eq!(n.net.stats.ways_excluded.get("area=yes"), Some(&1));
    let n = square(&[("highway", "pedestrian"), ("area", "yes"), ("access", "no")]);
    assert_eq!(n.walk(10, 11), None);
    // Without area=yes a closed pedestrian way is a loop walked along, not across.
    let n = square(&[("highway", "pedestrian")]);
    let round = n
        .path_m(&[10, 5, 1, 2, 6, 11])
        .min(n.path_m(&[10, 5, 4, 3, 6, 11]));
    assert!(close(n.walk(10, 11).unwrap(), round));
    assert_eq!(n.net.stats.area_links, 0);
}

/// Rule 4's links stay inside the area: across an L-shaped square the walk turns at the
/// inner (reflex) corner instead of cutting across the missing quarter.
#[test]
fn links_across_an_l_shaped_square_turn_at_the_inner_corner() {
    //       10
    //       |
    //  5 -- 7 -- 4
    //  |         |
    //  |         3 -------- 2
    //  |                    |
    //  6 ------------------ 1 —— 11     (100 m a side step; 3 is the inner corner)
    let n = Fixture::new()
        .node(1, 200.0, 0.0)
        .node(2, 200.0, 100.0)
        .node(3, 100.0, 100.0)
        .node(4, 100.0, 200.0)
        .node(5, 0.0, 200.0)
        .node(6, 0.0, 0.0)
        .node(10, 50.0, 300.0)
        .node(7, 50.0, 200.0)
        .node(11, 300.0, 0.0)
        // Outline with 7 on the top side, where street 10–7 ends.
        .way(
            20,
            &[1, 2, 3, 4, 7, 5, 6, 1],
            &[("highway", "pedestrian"), ("area", "yes")],
        )
        .way(21, &[10, 7], &[("highway", "footway")])
        .way(22, &[1, 11], &[("highway", "footway")])
        .build();
    let d = n.walk(10, 11).unwrap();
    // 7 → 3 (the inner corner) → 1, not the straight 7 → 1 which leaves the square.
    assert!(close(d, n.path_m(&[10, 7, 3, 1, 11])), "{d}");
    assert!(d > n.path_m(&[10, 7, 1, 11]) + 1.0);
    assert!(d < n.path_m(&[10, 7, 4, 3, 2, 1, 11]) - 1.0);
    assert_eq!(n.net.stats.area_links, 2, "7–3 and 3–1");
}

/// A way running A → B → A and a second way over the same stretch count it once.
#[test]
fn a_stretch_joined_twice_is_one_segment() {
    let n = Fixture::new()
        .node(1, 0.0, 0.0)
        .node(2, 100.0, 0.0)
        .node(3, 200.0, 0.0)
        .way(10, &[1, 2, 1], &[("highway", "residential")])
        .way(11, &[1, 2, 3], &[("highway", "footway")])
        .build();
    let s = &n.net.stats;
    assert_eq!(s.segments, 2);
    assert_eq!(n.net.graph.segments.len(), 2);
    assert_eq!(s.repeated_segments, 2);
    assert!(close(s.total_length_m, n.path_m(&[1, 2, 3])));
    assert!(close(n.walk(1, 3).unwrap(), n.path_m(&[1, 2, 3])));
}

/// Node references of walkable ways with no node in the file are counted, each reference
/// once; those of excluded ways are not.
#[test]
fn missing_nodes_of_walkable_ways_are_counted() {
    let n = Fixture::new()
        .node(1, 0.0, 0.0)
        .node(2, 100.0, 0.0)
        .node(3, 200.0, 0.0)
        .way(10, &[1, 98, 2], &[("highway", "residential")])
        .way(11, &[2, 3, 98, 99], &[("highway", "footway")])
        .way(12, &[1, 97], &[("highway", "cycleway")])
        .build();
    let s = &n.net.stats;
    assert_eq!(s.missing_node_refs, 3);
    // The way is cut at the missing node: 1 and 2 are not joined by way 10.
    assert_eq!(n.walk(1, 2), None);
    assert!(close(n.walk(2, 3).unwrap(), n.path_m(&[2, 3])));
}

#[test]
fn fixture_positions_are_metres() {
    let n = three_ways(&[("highway", "residential")]);
    let d = n.path_m(&[1, 2]);
    assert!((d - 100.0).abs() < 0.5, "{d}");
}

/// Proposed sites are named by their street: the OSM `name` of the nearest segment, else of a
/// named street meeting it (a service way off 虹桥路), none farther than the limit.
#[test]
fn street_names_come_from_the_nearest_named_way() {
    let net = Fixture::new()
        .node(1, 0.0, 0.0)
        .node(2, 200.0, 0.0)
        .node(3, 200.0, 80.0)
        .node(4, 400.0, 0.0)
        .way(
            10,
            &[1, 2, 4],
            &[("highway", "secondary"), ("name", "虹桥路")],
        )
        .way(11, &[2, 3], &[("highway", "service")])
        .build();
    let g = &net.net.graph;
    let at = |x_m: f64, y_m: f64| {
        let c = lon_lat(x_m, y_m);
        let (x, y) = net.proj.from_wgs84(c.x, c.y).unwrap();
        Coord { x, y }
    };
    assert_eq!(g.nearest_street_name(at(100.0, 5.0), 100.0), Some("虹桥路"));
    // Nearest the unnamed service way: the named street it leaves.
    assert_eq!(
        g.nearest_street_name(at(205.0, 75.0), 100.0),
        Some("虹桥路")
    );
    // Nothing within 100 m.
    assert_eq!(g.nearest_street_name(at(100.0, 300.0), 100.0), None);
}
