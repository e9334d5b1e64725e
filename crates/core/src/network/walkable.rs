//! Which OpenStreetMap ways a pedestrian may walk, and how: every tag rule in one place.
//!
//! The rules start from OSMnx's `network_type="walk"` filter (a widely used reference) and
//! follow OSM tagging practice where OSMnx is coarser: an explicit `foot=*` permission
//! admits shared foot/cycle paths, and pedestrian squares are walkable across. They are
//! applied in this order; the first that decides wins:
//!
//! | # | Tags | Result |
//! |---|------|--------|
//! | 1 | no `highway` tag | excluded |
//! | 2 | `highway` = bus_guideway, raceway, construction, proposed, planned, abandoned, razed, platform or no | excluded, whatever `foot` says (not a usable way) |
//! | 3 | `foot=no` or `foot=private` | excluded |
//! | 4 | `area=yes` on `highway=pedestrian` or `highway=footway` | walkable **area** (see below); rules 6–9 still apply |
//! | 5 | `area=yes` on any other `highway` (e.g. `service` parking lots, turning circles) | excluded, whatever `foot` says: such areas are mapped beside the lines that run through them |
//! | 6 | `highway=motorway` / `motorway_link`, or `motorroad=yes` | excluded unless `foot=yes` or `foot=designated` (no pedestrians by law; `permissive` is a landowner's leave, not a motorway's) |
//! | 7 | `highway=cycleway` | excluded unless `foot=yes`, `designated` or `permissive` (a shared foot/cycle path) |
//! | 8 | `foot=yes`, `designated` or `permissive` | walkable, whatever `access` or `service` say |
//! | 9 | `access=private` or `access=no`, or `service=private` | excluded |
//! | 10 | anything else | walkable |
//!
//! Ignored tags: `oneway` (one-way streets are walkable both ways, as are steps);
//! `sidewalk=*`: a road tagged `sidewalk=separate` (its sidewalk mapped as its own footway)
//! or `sidewalk=no` stays walkable, as in OSMnx's walk network: pedestrians cross it and
//! walk along it where there is no other way; the separately mapped footway is walkable
//! too.
//!
//! **Walkable ways** (rules 8 and 10) are walked along: every pair of consecutive nodes is
//! a segment.
//!
//! **Walkable areas** (rule 4) are walked along their outline and across. The outline is a
//! closed way; its consecutive nodes are segments like a way's. Across it, [`area_links`]
//! adds a straight link between every pair of the outline's nodes that are *shared* with
//! another walkable way (the streets and paths that end on or pass the square) or are
//! *reflex corners* (where the outline turns inwards), provided the straight line stays
//! inside the area (DE-9IM *contains*, tested on the node positions in 1e-7° steps). Links
//! are measured geodesically like every segment; they are walkable but not street, so the
//! street length leaves them out. Within a simple (not self-touching) outline a shortest
//! walk bends only at reflex corners, so these links give the true shortest walk across the
//! square between any two ways ending on it, never a shortcut outside it. An `area=yes`
//! way that is not closed, or whose outline has a node missing from the extract, is walked
//! along its outline only. Areas mapped as multipolygon relations and `area:highway=*` are
//! not read.

use geo::{Contains, Coord, Line, LineString, Polygon};

/// `highway` values that are never walkable, whatever the other tags say (rule 2).
pub const NOT_A_WAY: [&str; 9] = [
    "bus_guideway",
    "raceway",
    "construction",
    "proposed",
    "planned",
    "abandoned",
    "razed",
    "platform",
    "no",
];

/// `highway` values whose `area=yes` ways are walkable areas (rule 4).
pub const WALKABLE_AREAS: [&str; 2] = ["pedestrian", "footway"];

/// How a way is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Along the way: consecutive nodes are segments.
    Line,
    /// A walkable area: along its outline and across it (see [`area_links`]).
    Area,
}

/// How a way is walked, or why it is not walkable (the rule that excluded it).
pub fn classify(tags: &[(String, String)]) -> Result<Walk, &'static str> {
    let tag = |k: &str| {
        tags.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let Some(highway) = tag("highway") else {
        return Err("no highway tag");
    };
    if NOT_A_WAY.contains(&highway) {
        return Err("highway not in use or not a way");
    }
    let foot = tag("foot");
    if matches!(foot, Some("no") | Some("private")) {
        return Err("foot=no");
    }
    let mut walk = Walk::Line;
    if tag("area") == Some("yes") {
        if !WALKABLE_AREAS.contains(&highway) {
            return Err("area=yes");
        }
        walk = Walk::Area;
    }
    let foot_legal = matches!(foot, Some("yes") | Some("designated"));
    let foot_allowed = foot_legal || foot == Some("permissive");
    if matches!(highway, "motorway" | "motorway_link") && !foot_legal {
        return Err("motorway");
    }
    if tag("motorroad") == Some("yes") && !foot_legal {
        return Err("motorroad=yes");
    }
    if highway == "cycleway" && !foot_allowed {
        return Err("cycleway");
    }
    if foot_allowed {
        return Ok(walk);
    }
    if matches!(tag("access"), Some("private") | Some("no")) {
        return Err("access=private/no");
    }
    if tag("service") == Some("private") {
        return Err("service=private");
    }
    Ok(walk)
}

/// Why a way is not walkable, or `None` when it is (see [`classify`]).
pub fn exclusion(tags: &[(String, String)]) -> Option<&'static str> {
    classify(tags).err()
}

/// A position in whole 1e-7° steps (OSM's own resolution), so that the area tests below
/// are exact and the same on every reader.
fn grid(c: Coord<f64>) -> (i64, i64) {
    ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64)
}

/// The straight links across a walkable area: pairs `(i, j)`, `i < j`, of positions in
/// `ring` (the outline's nodes in order, WGS84 lon/lat, without repeating the first node at
/// the end). `shared[i]` says whether node `i` belongs to another walkable way. A pair is
/// linked when both nodes are shared or reflex corners, they are not neighbours on the
/// outline, and the straight line between them lies inside the area. Degenerate outlines
/// (fewer than three nodes, no area) have no links.
pub fn area_links(ring: &[Coord<f64>], shared: &[bool]) -> Vec<(usize, usize)> {
    let n = ring.len();
    if n < 3 {
        return Vec::new();
    }
    let g: Vec<(i64, i64)> = ring.iter().map(|&c| grid(c)).collect();
    // Twice the signed area (shoelace), exact in i128.
    let area2: i128 = (0..n)
        .map(|i| {
            let (a, b) = (g[i], g[(i + 1) % n]);
            a.0 as i128 * b.1 as i128 - b.0 as i128 * a.1 as i128
        })
        .sum();
    if area2 == 0 {
        return Vec::new();
    }
    let reflex = |i: usize| {
        let (p, c, q) = (g[(i + n - 1) % n], g[i], g[(i + 1) % n]);
        let cross =
            (c.0 - p.0) as i128 * (q.1 - c.1) as i128 - (c.1 - p.1) as i128 * (q.0 - c.0) as i128;
        // A turn against the outline's orientation.
        cross != 0 && (cross > 0) != (area2 > 0)
    };
    let candidates: Vec<usize> = (0..n).filter(|&i| shared[i] || reflex(i)).collect();
    let at = |i: usize| Coord {
        x: g[i].0 as f64,
        y: g[i].1 as f64,
    };
    let polygon = Polygon::new(LineString::from((0..n).map(at).collect::<Vec<_>>()), vec![]);
    let mut links = Vec::new();
    for (k, &i) in candidates.iter().enumerate() {
        for &j in &candidates[k + 1..] {
            if j == i + 1 || (i == 0 && j == n - 1) || g[i] == g[j] {
                continue;
            }
            if polygon.contains(&Line::new(at(i), at(j))) {
                links.push((i, j));
            }
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn class(kv: &[(&str, &str)]) -> Result<Walk, &'static str> {
        classify(&tags(kv))
    }

    #[test]
    fn rules() {
        assert_eq!(exclusion(&tags(&[("highway", "footway")])), None);
        assert_eq!(
            exclusion(&tags(&[("highway", "residential"), ("oneway", "yes")])),
            None
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "motorway")])),
            Some("motorway")
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "primary"), ("foot", "no")])),
            Some("foot=no")
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "service"), ("access", "private")])),
            Some("access=private/no")
        );
        assert_eq!(
            exclusion(&tags(&[
                ("highway", "service"),
                ("access", "private"),
                ("foot", "yes")
            ])),
            None
        );
        assert_eq!(
            exclusion(&tags(&[("highway", "trunk"), ("motorroad", "yes")])),
            Some("motorroad=yes")
        );
        assert_eq!(
            exclusion(&tags(&[("building", "yes")])),
            Some("no highway tag")
        );
        // Pedestrian and footway areas are walkable areas; other highway areas are not.
        assert_eq!(
            class(&[("highway", "pedestrian"), ("area", "yes")]),
            Ok(Walk::Area)
        );
        assert_eq!(
            class(&[("highway", "footway"), ("area", "yes")]),
            Ok(Walk::Area)
        );
        assert_eq!(
            class(&[("highway", "service"), ("area", "yes")]),
            Err("area=yes")
        );
        assert_eq!(
            class(&[("highway", "pedestrian"), ("area", "yes"), ("access", "no")]),
            Err("access=private/no")
        );
    }

    #[test]
    fn foot_permissions() {
        assert_eq!(class(&[("highway", "cycleway")]), Err("cycleway"));
        for foot in ["yes", "designated", "permissive"] {
            assert_eq!(
                class(&[("highway", "cycleway"), ("foot", foot)]),
                Ok(Walk::Line)
            );
            assert_eq!(
                class(&[("highway", "track"), ("access", "no"), ("foot", foot)]),
                Ok(Walk::Line)
            );
        }
        assert_eq!(
            class(&[("highway", "cycleway"), ("foot", "use_sidepath")]),
            Err("cycleway")
        );
        assert_eq!(
            class(&[("highway", "cycleway"), ("foot", "no")]),
            Err("foot=no")
        );
        for foot in ["yes", "designated"] {
            assert_eq!(
                class(&[("highway", "motorway"), ("foot", foot)]),
                Ok(Walk::Line)
            );
            assert_eq!(
                class(&[("highway", "trunk"), ("motorroad", "yes"), ("foot", foot)]),
                Ok(Walk::Line)
            );
        }
        assert_eq!(
            class(&[("highway", "motorway_link"), ("foot", "permissive")]),
            Err("motorway")
        );
        assert_eq!(
            class(&[("highway", "construction"), ("foot", "yes")]),
            Err("highway not in use or not a way")
        );
        for sidewalk in ["separate", "no"] {
            assert_eq!(
                class(&[("highway", "primary"), ("sidewalk", sidewalk)]),
                Ok(Walk::Line)
            );
        }
    }

    /// An L-shaped square (1e-4° steps): its two street ends are linked through the reflex
    /// corner, never straight across the missing quarter.
    #[test]
    fn links_stay_inside_the_area() {
        let c = |x: f64, y: f64| Coord {
            x: 24.0 + x * 1e-4,
            y: 60.0 + y * 1e-4,
        };
        //  4 --- 3
        //  |     |
        //  |     2 --- 1
        //  |           |
        //  5 --------- 0
        let ring = [
            c(2., 0.),
            c(2., 1.),
            c(1., 1.),
            c(1., 2.),
            c(0., 2.),
            c(0., 0.),
        ];
        // Streets end at 0 (2,0) and 3 (1,2); corner 2 (1,1) is reflex.
        let shared = [true, false, false, true, false, false];
        let links = area_links(&ring, &shared);
        assert_eq!(links, vec![(0, 2)], "0→3 would leave the square");
        // Convex square: every pair of shared nodes that are not neighbours.
        let square = [c(0., 0.), c(1., 0.), c(1., 1.), c(0., 1.)];
        assert_eq!(area_links(&square, &[true; 4]), vec![(0, 2), (1, 3)]);
        // Reversed orientation finds the same reflex corner.
        let mut rev = ring;
        rev.reverse();
        let mut shared_rev = shared;
        shared_rev.reverse();
        assert_eq!(area_links(&rev, &shared_rev), vec![(3, 5)]);
        assert!(area_links(&ring[..2], &shared[..2]).is_empty());
    }
}
