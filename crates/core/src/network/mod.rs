//! The pedestrian street network: a graph built from OpenStreetMap ways, snapping of points
//! onto it, bounded multi-source shortest paths, and service-area polygons.
//!
//! Nodes are OSM nodes of walkable ways (see [`walkable`] for the tag rules); every pair of
//! consecutive nodes of a way, and every link across a walkable area, is a segment whose
//! length is the geodesic distance on the WGS84 ellipsoid (Karney's algorithm,
//! `geo::Geodesic`), walkable both ways; a node pair is one segment however many ways join
//! it. The graph is stored as compressed adjacency (CSR). Points are snapped to the nearest
//! segment in the analysis CRS; the snapping offset is added to the walk. Shortest paths run
//! Dijkstra from each source with a cutoff, so only what lies within the cutoff is touched,
//! one source per rayon task; per-node minima are combined with an atomic minimum, which is
//! exact and does not depend on the thread count.

pub mod diagnostics;
mod segment_grid;
pub mod walkable;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use geo::{ConcaveHull, Coord, Distance, Geodesic, MultiPoint, Point, Polygon};
use rayon::prelude::*;

use segment_grid::SegmentGrid;

use crate::crs::{CrsError, Projection};

/// An OSM way as read: its id, node references and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct OsmWay {
    /// OSM way id.
    pub id: i64,
    /// OSM node ids along the way, in order.
    pub nodes: Vec<i64>,
    /// The way's tags as (key, value) pairs.
    pub tags: Vec<(String, String)>,
}

/// The OSM content the network needs: node positions (WGS84 lon/lat) and ways with a
/// `highway` tag.
#[derive(Debug, Clone, Default)]
pub struct OsmData {
    /// OSM node id → position, WGS84 lon/lat degrees.
    pub nodes: HashMap<i64, Coord<f64>>,
    /// Ways with a `highway` tag, walkable or not (the graph build applies [`walkable`]).
    pub ways: Vec<OsmWay>,
}

/// What building the graph did, for the run summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphStats {
    /// Ways with a `highway` tag read from the file.
    pub ways_read: usize,
    /// Ways kept as walkable.
    pub ways_walkable: usize,
    /// Ways left out, by rule.
    pub ways_excluded: BTreeMap<&'static str, usize>,
    /// Node references of walkable ways with no node in the file (the way is cut there):
    /// every reference counts, so a missing node referenced by two ways counts twice.
    pub missing_node_refs: usize,
    /// Graph nodes: distinct OSM nodes of the walkable ways.
    pub nodes: usize,
    /// Graph segments: distinct node pairs joined by a walkable way (consecutive nodes) or
    /// by a link across a walkable area, each pair once.
    pub segments: usize,
    /// Of the segments, links across walkable areas ([`walkable::area_links`]).
    pub area_links: usize,
    /// Node pairs joined again after their first segment (a way running A→B→A, two ways
    /// sharing a stretch), merged into that segment.
    pub repeated_segments: usize,
    /// Length of walkable street, m: the geodesic lengths of the segments along walkable
    /// ways and area outlines, each node pair once; links across areas are not counted.
    pub total_length_m: f64,
    /// Node references of walkable ways, present or not (the base of
    /// [`GraphStats::missing_share`]).
    pub walkable_node_refs: usize,
    /// Geodesic length of the walkable ways by `highway` value, m: consecutive present
    /// nodes, every way counted (a stretch two ways share counts twice), for
    /// [`GraphStats::pedestrian_share`].
    pub length_by_highway_m: BTreeMap<String, f64>,
    /// The walkable ways with node references missing from the extract, in id order.
    pub ways_with_missing_nodes: Vec<diagnostics::WayWithMissingNodes>,
}

/// A walking network built for one analysis CRS, with the figures of how it was built.
#[derive(Debug)]
pub struct StreetNetwork {
    /// The walkable graph, nodes in the analysis CRS.
    pub graph: WalkGraph,
    /// What the build kept and left out.
    pub stats: GraphStats,
    /// EPSG code of the CRS the graph's coordinates are in.
    pub epsg: u32,
}

impl StreetNetwork {
    /// Builds the walkable graph of `osm` in the CRS `p` (see [`WalkGraph::from_osm`]).
    pub fn from_osm(osm: &OsmData, p: &Projection) -> Result<StreetNetwork, CrsError> {
        let (graph, stats) = WalkGraph::from_osm(osm, p)?;
        Ok(StreetNetwork {
            graph,
            stats,
            epsg: p.epsg(),
        })
    }
}

/// One walkable piece of street between two graph nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Node index of one end (into [`WalkGraph::xy_m`] and the other node vectors).
    pub a: u32,
    /// Node index of the other end.
    pub b: u32,
    /// Geodesic length, m.
    pub length_m: f64,
}

/// Where a point joins the network: a segment, the fraction along it from `a` to `b`, and
/// the straight-line offset from the point to the street (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// Index into [`WalkGraph::segments`].
    pub segment: u32,
    /// Position along the segment: 0 at node `a`, 1 at node `b`.
    pub t: f64,
    /// Straight-line distance from the point to the street, m; added to every walk from it.
    pub offset_m: f64,
}

/// The pedestrian graph.
pub struct WalkGraph {
    /// OSM id of each node (synthetic graphs number them 0..n).
    pub osm_ids: Vec<i64>,
    /// Node positions, WGS84 lon/lat degrees (same order as `osm_ids`).
    pub lon_lat: Vec<Coord<f64>>,
    /// Node positions in the analysis CRS, m.
    pub xy_m: Vec<Coord<f64>>,
    /// The walkable segments; [`Snap::segment`] and [`WalkGraph::neighbours`] index into it.
    pub segments: Vec<Segment>,
    offsets: Vec<usize>,
    adjacency: Vec<(u32, u32)>,
    grid: SegmentGrid,
    /// Connected component of each node (numbered by first node, so deterministic).
    node_component: Vec<u32>,
    /// Size of each connected component.
    components: Vec<Component>,
    /// Per segment: the index of its OSM `name` in `street_names`, or `u32::MAX` (empty for
    /// graphs built from parts).
    segment_name: Vec<u32>,
    street_names: Vec<String>,
}

/// A connected piece of the street network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Graph nodes in it.
    pub nodes: usize,
    /// Walkable street in it, m.
    pub length_m: f64,
}

/// Where points may join the network: within `max_snap_m` of a street, and on a connected
/// piece that is not an island. An island is any component other than the largest that has
/// fewer than `min_component_nodes` nodes or less than `min_component_m` of street (a flight
/// of steps, an indoor corridor, a footway stub cut off by the extract): a point snapped
/// there would reach almost nothing, so it snaps to the nearest segment of a large enough
/// piece instead (R5 prunes such islands for the same reason; OSMnx keeps only the largest
/// component).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnapRule {
    /// Farther than this from every eligible street, m: not snapped.
    pub max_snap_m: f64,
    /// Components with fewer nodes are islands (unless the largest).
    pub min_component_nodes: usize,
    /// Components with less street than this, m, are islands (unless the largest).
    pub min_component_m: f64,
}

impl SnapRule {
    /// Default island thresholds: 40 nodes (R5's island size) and 500 m of street.
    pub const DEFAULT_MIN_COMPONENT_NODES: usize = 40;
    /// See [`SnapRule::DEFAULT_MIN_COMPONENT_NODES`].
    pub const DEFAULT_MIN_COMPONENT_M: f64 = 500.0;

    /// The default island thresholds with a snapping distance.
    pub fn new(max_snap_m: f64) -> SnapRule {
        SnapRule {
            max_snap_m,
            min_component_nodes: Self::DEFAULT_MIN_COMPONENT_NODES,
            min_component_m: Self::DEFAULT_MIN_COMPONENT_M,
        }
    }
}

/// A point's snap under a [`SnapRule`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuledSnap {
    /// Where it joins an eligible piece of the network, if one is within reach.
    pub snap: Option<Snap>,
    /// Distance to a street island nearer than `snap` (or in reach when `snap` is `None`),
    /// m: the point was moved off the island (or stranded by it).
    pub nearer_island_m: Option<f64>,
}

impl std::fmt::Debug for WalkGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WalkGraph({} nodes, {} segments)",
            self.osm_ids.len(),
            self.segments.len()
        )
    }
}

/// Geodesic distance between two WGS84 points, m.
pub fn geodesic_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    Geodesic.distance(Point::from(a), Point::from(b))
}

impl WalkGraph {
    /// Builds the graph from nodes and segments (node positions in both CRSs).
    pub fn from_parts(
        osm_ids: Vec<i64>,
        lon_lat: Vec<Coord<f64>>,
        xy_m: Vec<Coord<f64>>,
        segments: Vec<Segment>,
    ) -> WalkGraph {
        let n = osm_ids.len();
        let mut degree = vec![0usize; n + 1];
        for s in &segments {
            degree[s.a as usize] += 1;
            degree[s.b as usize] += 1;
        }
        let mut offsets = vec![0usize; n + 1];
        for i in 0..n {
            offsets[i + 1] = offsets[i] + degree[i];
        }
        let mut fill = offsets.clone();
        let mut adjacency = vec![(0u32, 0u32); offsets[n]];
        for (k, s) in segments.iter().enumerate() {
            adjacency[fill[s.a as usize]] = (s.b, k as u32);
            fill[s.a as usize] += 1;
            adjacency[fill[s.b as usize]] = (s.a, k as u32);
            fill[s.b as usize] += 1;
        }
        let ends: Vec<(Coord<f64>, Coord<f64>)> = segments
            .iter()
            .map(|s| (xy_m[s.a as usize], xy_m[s.b as usize]))
            .collect();
        let (node_component, components) = connected_components(n, &segments);
        WalkGraph {
            osm_ids,
            lon_lat,
            xy_m,
            segments,
            offsets,
            adjacency,
            grid: SegmentGrid::new(&ends),
            node_component,
            components,
            segment_name: Vec::new(),
            street_names: Vec::new(),
        }
    }

    /// The OSM `name` of segment `k`'s street, when it has one.
    pub fn street_name(&self, k: u32) -> Option<&str> {
        let n = *self.segment_name.get(k as usize)?;
        self.street_names.get(n as usize).map(String::as_str)
    }

    /// The name of the street nearest `xy` (analysis CRS, m) within `max_m`: the snapped
    /// segment's, else that of a named segment meeting it at either end (a footway or
    /// service way off a named street). `None` where no named street is that near.
    pub fn nearest_street_name(&self, xy: Coord<f64>, max_m: f64) -> Option<&str> {
        let snap = self.snap(xy, max_m)?;
        if let Some(n) = self.street_name(snap.segment) {
            return Some(n);
        }
        let s = self.segments[snap.segment as usize];
        [s.a, s.b]
            .iter()
            .flat_map(|&node| self.neighbours(node))
            .find_map(|&(_, seg)| self.street_name(seg))
    }

    /// Connected components of the graph, numbered in order of their lowest node.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The component of `node`.
    pub fn component_of(&self, node: u32) -> u32 {
        self.node_component[node as usize]
    }

    /// Index of the largest component (most street length, then most nodes, then lowest
    /// index); `None` for an empty graph.
    pub fn largest_component(&self) -> Option<u32> {
        (0..self.components.len() as u32).max_by(|&a, &b| {
            let (ca, cb) = (&self.components[a as usize], &self.components[b as usize]);
            ca.length_m
                .total_cmp(&cb.length_m)
                .then(ca.nodes.cmp(&cb.nodes))
                .then(b.cmp(&a))
        })
    }

    /// Per component: whether it is an island under `rule`.
    pub fn islands(&self, rule: &SnapRule) -> Vec<bool> {
        let largest = self.largest_component();
        self.components
            .iter()
            .enumerate()
            .map(|(k, c)| {
                Some(k as u32) != largest
                    && (c.nodes < rule.min_component_nodes || c.length_m < rule.min_component_m)
            })
            .collect()
    }

    /// Snaps a point (analysis CRS, m) to the nearest segment within `rule.max_snap_m` that
    /// is not on an island (`islands` from [`WalkGraph::islands`]).
    pub fn snap_ruled(&self, xy: Coord<f64>, rule: &SnapRule, islands: &[bool]) -> RuledSnap {
        let (best, nearer) = self.grid.nearest_allowed(
            xy,
            rule.max_snap_m,
            |k| self.segment_ends_m(k),
            |k| !islands[self.node_component[self.segments[k as usize].a as usize] as usize],
        );
        RuledSnap {
            snap: best.map(|(segment, t, offset_m)| Snap {
                segment,
                t,
                offset_m,
            }),
            nearer_island_m: nearer,
        }
    }

    /// Builds the walkable graph from OSM data, projecting nodes with `p`. Ways are taken in
    /// id order so node numbering is deterministic. Walkable ways give a segment per pair of
    /// consecutive nodes; walkable areas give their outline and the straight links across
    /// them of [`walkable::area_links`]. A node pair joined more than once (a way running
    /// A→B→A, two ways sharing a stretch, a link along a footway) is one segment, of the
    /// shortest length, so every stretch counts once in [`GraphStats::total_length_m`]
    /// (parallel segments never change a shortest walk). Links across areas are segments
    /// of the graph but not street, and stay out of that total.
    pub fn from_osm(osm: &OsmData, p: &Projection) -> Result<(WalkGraph, GraphStats), CrsError> {
        let mut stats = GraphStats {
            ways_read: osm.ways.len(),
            ..Default::default()
        };
        let mut ways: Vec<&OsmWay> = osm.ways.iter().collect();
        ways.sort_by_key(|w| w.id);
        let mut index: HashMap<i64, u32> = HashMap::new();
        let mut osm_ids = Vec::new();
        let mut lon_lat = Vec::new();
        // Per node: how many walkable ways it belongs to, and the last of them (by position).
        let mut way_count: Vec<u32> = Vec::new();
        let mut last_way: Vec<usize> = Vec::new();
        let mut segments = Segments::default();
        // Closed outlines of walkable areas with every node present: their nodes, in order.
        let mut areas: Vec<Vec<u32>> = Vec::new();
        for (w, way) in ways.iter().enumerate() {
            let walk = match walkable::classify(&way.tags) {
                Ok(walk) => walk,
                Err(reason) => {
                    *stats.ways_excluded.entry(reason).or_default() += 1;
                    continue;
                }
            };
            stats.ways_walkable += 1;
            stats.walkable_node_refs += way.nodes.len();
            let street = way
                .tags
                .iter()
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.as_str());
            let street = segments.name(street);
            let mut prev: Option<(u32, Coord<f64>)> = None;
            let mut ring = Vec::new();
            let (mut way_length_m, mut missing) = (0.0, 0);
            let mut present = Vec::new();
            for id in &way.nodes {
                let Some(&c) = osm.nodes.get(id) else {
                    missing += 1;
                    prev = None;
                    continue;
                };
                present.push(c);
                let k = *index.entry(*id).or_insert_with(|| {
                    osm_ids.push(*id);
                    lon_lat.push(c);
                    way_count.push(0);
                    last_way.push(usize::MAX);
                    (osm_ids.len() - 1) as u32
                });
                if last_way[k as usize] != w {
                    last_way[k as usize] = w;
                    way_count[k as usize] += 1;
                }
                if let Some((pk, pc)) = prev {
                    let length_m = geodesic_m(pc, c);
                    way_length_m += length_m;
                    segments.add(pk, k, length_m, street);
                }
                prev = Some((k, c));
                ring.push(k);
            }
            let highway = way.tags.iter().find(|(k, _)| k == "highway");
            *stats
                .length_by_highway_m
                .entry(highway.map_or(String::new(), |(_, v)| v.clone()))
                .or_default() += way_length_m;
            if missing > 0 {
                stats.missing_node_refs += missing;
                stats
                    .ways_with_missing_nodes
                    .push(diagnostics::WayWithMissingNodes {
                        id: way.id,
                        missing,
                        present_lon_lat: present,
                    });
            }
            let closed = way.nodes.len() >= 4 && way.nodes.first() == way.nodes.last();
            if walk == walkable::Walk::Area && missing == 0 && closed {
                ring.pop();
                areas.push(ring);
            }
        }
        // Street length: the ways and area outlines (links across areas are not street).
        stats.total_length_m = segments.list.iter().map(|s| s.length_m).sum();
        for ring in &areas {
            let coords: Vec<Coord<f64>> = ring.iter().map(|&k| lon_lat[k as usize]).collect();
            let shared: Vec<bool> = ring.iter().map(|&k| way_count[k as usize] > 1).collect();
            for (i, j) in walkable::area_links(&coords, &shared) {
                let (a, b) = (ring[i], ring[j]);
                if segments.add(a, b, geodesic_m(coords[i], coords[j]), NO_NAME) {
                    stats.area_links += 1;
                }
            }
        }
        let xy_m = lon_lat
            .par_iter()
            .map(|c: &Coord<f64>| p.from_wgs84(c.x, c.y).map(|(x, y)| Coord { x, y }))
            .collect::<Result<Vec<_>, _>>()?;
        stats.nodes = osm_ids.len();
        stats.segments = segments.list.len();
        stats.repeated_segments = segments.repeated;
        let mut graph = WalkGraph::from_parts(osm_ids, lon_lat, xy_m, segments.list);
        graph.segment_name = segments.name_of;
        graph.street_names = segments.names;
        Ok((graph, stats))
    }

    /// End points of segment `k` in the analysis CRS, m.
    fn segment_ends_m(&self, k: u32) -> (Coord<f64>, Coord<f64>) {
        let s = &self.segments[k as usize];
        (self.xy_m[s.a as usize], self.xy_m[s.b as usize])
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.osm_ids.len()
    }

    /// Neighbours of `node` with the segment joining them.
    pub fn neighbours(&self, node: u32) -> &[(u32, u32)] {
        &self.adjacency[self.offsets[node as usize]..self.offsets[node as usize + 1]]
    }

    /// Snaps a point (analysis CRS, m) to the nearest segment, if one lies within
    /// `max_snap_m`.
    pub fn snap(&self, xy: Coord<f64>, max_snap_m: f64) -> Option<Snap> {
        self.grid
            .nearest(xy, max_snap_m, |k| self.segment_ends_m(k))
            .map(|(segment, t, offset_m)| Snap {
                segment,
                t,
                offset_m,
            })
    }

    /// The two graph entries of a snapped point: each end of its segment with the walk to
    /// it (offset plus the part of the segment).
    pub fn entries(&self, snap: &Snap) -> [(u32, f64); 2] {
        let s = &self.segments[snap.segment as usize];
        [
            (s.a, snap.offset_m + snap.t * s.length_m),
            (s.b, snap.offset_m + (1.0 - snap.t) * s.length_m),
        ]
    }

    /// Fresh scratch space for [`WalkGraph::bounded`].
    pub fn scratch(&self) -> Scratch {
        Scratch {
            dist: vec![f64::INFINITY; self.node_count()],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// Dijkstra from `sources` (node, initial distance), visiting only nodes within
    /// `cutoff_m`. Calls `visit(node, distance)` once per settled node, in order of
    /// distance.
    pub fn bounded(
        &self,
        sources: &[(u32, f64)],
        cutoff_m: f64,
        s: &mut Scratch,
        mut visit: impl FnMut(u32, f64),
    ) {
        for &(n, d) in sources {
            if d <= cutoff_m && d < s.dist[n as usize] {
                if s.dist[n as usize].is_infinite() {
                    s.touched.push(n);
                }
                s.dist[n as usize] = d;
                s.heap.push(HeapItem { dist: d, node: n });
            }
        }
        while let Some(HeapItem { dist, node }) = s.heap.pop() {
            if dist > s.dist[node as usize] {
                continue;
            }
            visit(node, dist);
            for &(to, seg) in self.neighbours(node) {
                let nd = dist + self.segments[seg as usize].length_m;
                if nd <= cutoff_m && nd < s.dist[to as usize] {
                    if s.dist[to as usize].is_infinite() {
                        s.touched.push(to);
                    }
                    s.dist[to as usize] = nd;
                    s.heap.push(HeapItem { dist: nd, node: to });
                }
            }
        }
        for &n in &s.touched {
            s.dist[n as usize] = f64::INFINITY;
        }
        s.touched.clear();
    }

    /// For every node, the network distance to the nearest of `sources` (snapped points),
    /// `INFINITY` beyond `cutoff_m`. One bounded Dijkstra per source, in parallel.
    pub fn nearest_source_m(&self, sources: &[Snap], cutoff_m: f64) -> Vec<f64> {
        let best: Vec<AtomicU64> = (0..self.node_count())
            .map(|_| AtomicU64::new(f64::INFINITY.to_bits()))
            .collect();
        sources.par_iter().for_each_init(
            || self.scratch(),
            |scratch, snap| {
                self.bounded(&self.entries(snap), cutoff_m, scratch, |n, d| {
                    // Bit patterns of non-negative floats order like the floats.
                    best[n as usize].fetch_min(d.to_bits(), AtomicOrdering::Relaxed);
                });
            },
        );
        best.into_iter()
            .map(|a| f64::from_bits(a.into_inner()))
            .collect()
    }

    /// Network distance from a snapped point to the nearest source, given per-node
    /// distances `node_m` and the sources snapped onto the same segment (t, offset).
    pub fn distance_from_snap(
        &self,
        snap: &Snap,
        node_m: &[f64],
        same_segment: &[(f64, f64)],
    ) -> f64 {
        let s = &self.segments[snap.segment as usize];
        let via_a = node_m[s.a as usize] + snap.t * s.length_m;
        let via_b = node_m[s.b as usize] + (1.0 - snap.t) * s.length_m;
        let along = same_segment
            .iter()
            .map(|&(t, off)| (t - snap.t).abs() * s.length_m + off)
            .fold(f64::INFINITY, f64::min);
        via_a.min(via_b).min(along) + snap.offset_m
    }

    /// The area reachable within `radius_m` of a snapped source, as a concave hull (analysis
    /// CRS, m) of the reached nodes and the points where the radius runs out along each
    /// street. For maps; coverage itself is decided per cell on the network.
    pub fn service_area(
        &self,
        source: &Snap,
        radius_m: f64,
        s: &mut Scratch,
    ) -> Option<Polygon<f64>> {
        let mut reached: Vec<(u32, f64)> = Vec::new();
        self.bounded(&self.entries(source), radius_m, s, |n, d| {
            reached.push((n, d))
        });
        let dist: HashMap<u32, f64> = reached.iter().copied().collect();
        let mut pts: Vec<Point<f64>> = Vec::new();
        // The source's own position on its street.
        let seg = &self.segments[source.segment as usize];
        let (a, b) = (self.xy_m[seg.a as usize], self.xy_m[seg.b as usize]);
        pts.push(Point::new(
            a.x + source.t * (b.x - a.x),
            a.y + source.t * (b.y - a.y),
        ));
        for &(n, d) in &reached {
            let p = self.xy_m[n as usize];
            pts.push(Point::from(p));
            for &(to, segk) in self.neighbours(n) {
                let len = self.segments[segk as usize].length_m;
                let far = dist.get(&to).copied().unwrap_or(f64::INFINITY);
                if d + len > radius_m && far + len > radius_m && len > 0.0 {
                    // Walk from n towards `to` until the radius runs out (or until the walk
                    // from the other side would be shorter).
                    let reach = ((radius_m - d) / len).clamp(0.0, 1.0);
                    let q = self.xy_m[to as usize];
                    pts.push(Point::new(
                        p.x + reach * (q.x - p.x),
                        p.y + reach * (q.y - p.y),
                    ));
                }
            }
        }
        if pts.len() < 3 {
            return None;
        }
        Some(valid_hull(MultiPoint(pts)))
    }
}

/// The concave hull of `pts` (concavity 2), made valid by construction: its zero-width
/// spikes (a street walked out and back) removed, then grown by [`SERVICE_AREA_MARGIN_M`]
/// with a polygon buffer, which resolves the remaining slivers and self-touching points into
/// a proper area that rounding coordinates to 1e-6° on output cannot fold; the largest part
/// is the area. The convex hull, always valid, is the last resort. Every service-area
/// polygon written is OGC-valid.
fn valid_hull(pts: MultiPoint<f64>) -> Polygon<f64> {
    use geo::{Area, Buffer, ConvexHull};

    let hull = pts.concave_hull_with_options(geo::concave_hull::ConcaveHullOptions {
        concavity: 2.0,
        length_threshold: 0.0,
    });
    // Bevelled joins: no arc vertices, so the outline keeps about the hull's vertex count.
    let style = geo::algorithm::buffer::BufferStyle::new(SERVICE_AREA_MARGIN_M)
        .line_join(geo::algorithm::buffer::LineJoin::Bevel);
    let grown = without_spikes(&hull).buffer_with_style(style);
    let largest = grown
        .0
        .into_iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
    match largest {
        Some(p) if is_ogc_valid(&p) && p.unsigned_area() > 0.0 => p,
        _ => pts.convex_hull(),
    }
}

/// OGC-valid as GEOS sees it: geo's validation plus no zero-width spike on the exterior (a
/// ring turning back on itself, which geo accepts and GEOS reports as a self-intersection).
/// Repeated vertices are allowed, as in GEOS.
pub fn is_ogc_valid(p: &Polygon<f64>) -> bool {
    use geo::Validation;
    let mut r = p.exterior().0.clone();
    r.dedup();
    let n = r.len().saturating_sub(1);
    p.is_valid() && (0..n).all(|k| !is_spike(r[(k + n - 1) % n], r[k], r[(k + 1) % n]))
}

/// Service-area polygons are grown by this margin, m (see `valid_hull`): for a map, not for
/// coverage, which is decided per cell along the network.
pub const SERVICE_AREA_MARGIN_M: f64 = 2.0;

/// Whether the ring turns back on itself at `b` (coming from `a`, going to `c`): a
/// zero-width spike, valid to some validators and a self-intersection to GEOS.
pub fn is_spike(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    turns_back(a, b, c, 1e-6)
}

/// Whether the ring nearly turns back at `b`: a spike narrower than 1 % of its length, which
/// rounding the coordinates on output could fold into a self-intersection.
fn is_near_spike(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    turns_back(a, b, c, 0.01)
}

/// A repeated vertex at `b`, or a reversal there whose sine of the turning angle is at most
/// `sin_tolerance`.
fn turns_back(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, sin_tolerance: f64) -> bool {
    let (u, v) = ((b.x - a.x, b.y - a.y), (c.x - b.x, c.y - b.y));
    let cross = u.0 * v.1 - u.1 * v.0;
    let dot = u.0 * v.0 + u.1 * v.1;
    let (lu, lv) = (u.0.hypot(u.1), v.0.hypot(v.1));
    lu == 0.0 || lv == 0.0 || (dot < 0.0 && cross.abs() <= sin_tolerance * lu * lv)
}

/// `p` with every spike (and repeated vertex) of its exterior removed, repeatedly.
fn without_spikes(p: &Polygon<f64>) -> Polygon<f64> {
    let mut ring: Vec<Coord<f64>> = p.exterior().0.clone();
    ring.pop(); // open the closed ring
    let mut changed = true;
    while changed && ring.len() >= 3 {
        changed = false;
        let n = ring.len();
        for k in 0..n {
            let (a, b, c) = (ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n]);
            if is_near_spike(a, b, c) {
                ring.remove(k);
                changed = true;
                break;
            }
        }
    }
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    Polygon::new(geo::LineString(ring), vec![])
}

/// Connected components by union-find (path halving, union by size): O(n α(n)). Components
/// are numbered in order of their lowest node.
fn connected_components(n: usize, segments: &[Segment]) -> (Vec<u32>, Vec<Component>) {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut size = vec![1u32; n];
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for s in segments {
        let (a, b) = (find(&mut parent, s.a), find(&mut parent, s.b));
        if a != b {
            let (big, small) = if size[a as usize] >= size[b as usize] {
                (a, b)
            } else {
                (b, a)
            };
            parent[small as usize] = big;
            size[big as usize] += size[small as usize];
        }
    }
    let mut id_of_root = vec![u32::MAX; n];
    let mut node_component = vec![0u32; n];
    let mut components: Vec<Component> = Vec::new();
    for v in 0..n as u32 {
        let r = find(&mut parent, v) as usize;
        if id_of_root[r] == u32::MAX {
            id_of_root[r] = components.len() as u32;
            components.push(Component {
                nodes: 0,
                length_m: 0.0,
            });
        }
        node_component[v as usize] = id_of_root[r];
        components[id_of_root[r] as usize].nodes += 1;
    }
    for s in segments {
        components[node_component[s.a as usize] as usize].length_m += s.length_m;
    }
    (node_component, components)
}

/// Segments keyed by their (undirected) node pair: each pair once, at its shortest length.
#[derive(Default)]
struct Segments {
    list: Vec<Segment>,
    /// Per segment: its street name's index into `names`, or [`NO_NAME`].
    name_of: Vec<u32>,
    names: Vec<String>,
    name_index: HashMap<String, u32>,
    by_pair: HashMap<(u32, u32), usize>,
    repeated: usize,
}

/// A segment without a street name.
const NO_NAME: u32 = u32::MAX;

impl Segments {
    /// The index of a street name, interned.
    fn name(&mut self, name: Option<&str>) -> u32 {
        let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return NO_NAME;
        };
        if let Some(&k) = self.name_index.get(n) {
            return k;
        }
        let k = self.names.len() as u32;
        self.names.push(n.to_string());
        self.name_index.insert(n.to_string(), k);
        k
    }

    /// Adds the segment a–b, or shortens the one already there (naming it if it had no
    /// name). True when it is new.
    fn add(&mut self, a: u32, b: u32, length_m: f64, name: u32) -> bool {
        if a == b {
            return false;
        }
        match self.by_pair.entry((a.min(b), a.max(b))) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let k = *e.get();
                let s = &mut self.list[k];
                s.length_m = s.length_m.min(length_m);
                if self.name_of[k] == NO_NAME {
                    self.name_of[k] = name;
                }
                self.repeated += 1;
                false
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(self.list.len());
                self.list.push(Segment { a, b, length_m });
                self.name_of.push(name);
                true
            }
        }
    }
}

/// Reusable Dijkstra state: distances reset after each run, only for touched nodes.
pub struct Scratch {
    dist: Vec<f64>,
    touched: Vec<u32>,
    heap: BinaryHeap<HeapItem>,
}

#[derive(Debug, PartialEq)]
struct HeapItem {
    dist: f64,
    node: u32,
}

impl Eq for HeapItem {}

impl Ord for HeapItem {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the nearest first.
        other
            .dist
            .total_cmp(&self.dist)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-checked graph (metres, planar; lon/lat unused):
    ///
    /// ```text
    ///  0 ---100--- 1 ---100--- 2
    ///  |                       |
    /// 300                     50
    ///  |                       |
    ///  3 ---------400--------- 4        5 (isolated pair 5-6, 10 m)
    /// ```
    pub(crate) fn tiny() -> WalkGraph {
        let xy = vec![
            Coord { x: 0.0, y: 300.0 },
            Coord { x: 100.0, y: 300.0 },
            Coord { x: 200.0, y: 300.0 },
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 200.0, y: 250.0 },
            Coord { x: 1000.0, y: 0.0 },
            Coord { x: 1010.0, y: 0.0 },
        ];
        let seg = |a, b, length_m| Segment { a, b, length_m };
        WalkGraph::from_parts(
            (0..7).collect(),
            xy.clone(),
            xy,
            vec![
                seg(0, 1, 100.0),
                seg(1, 2, 100.0),
                seg(0, 3, 300.0),
                seg(2, 4, 50.0),
                seg(3, 4, 400.0),
                seg(5, 6, 10.0),
            ],
        )
    }

    fn run(g: &WalkGraph, sources: &[(u32, f64)], cutoff: f64) -> Vec<(u32, f64)> {
        let mut s = g.scratch();
        let mut out = Vec::new();
        g.bounded(sources, cutoff, &mut s, |n, d| out.push((n, d)));
        out.sort_by_key(|x| x.0);
        out
    }

    #[test]
    fn hand_checked_shortest_paths() {
        let g = tiny();
        // From node 0: 1 at 100, 2 at 200, 4 at 250 (via 2, not 700 via 3), 3 at 300.
        assert_eq!(
            run(&g, &[(0, 0.0)], 1e9),
            vec![(0, 0.0), (1, 100.0), (2, 200.0), (3, 300.0), (4, 250.0)]
        );
        // Cutoff 220 m: only 0, 1, 2.
        assert_eq!(
            run(&g, &[(0, 0.0)], 220.0),
            vec![(0, 0.0), (1, 100.0), (2, 200.0)]
        );
        // Two sources: 3 is nearer to source 4 (400) than to 0 (300+...)? 3 is 300 from 0.
        assert_eq!(
            run(&g, &[(0, 0.0), (4, 0.0)], 1e9),
            vec![(0, 0.0), (1, 100.0), (2, 50.0), (3, 300.0), (4, 0.0)]
        );
        // Scratch is reset between runs: a second run gives the same answer.
        let mut s = g.scratch();
        for _ in 0..2 {
            let mut out = Vec::new();
            g.bounded(&[(3, 0.0)], 350.0, &mut s, |n, d| out.push((n, d)));
            out.sort_by_key(|x| x.0);
            assert_eq!(out, vec![(0, 300.0), (3, 0.0)]);
        }
    }

    #[test]
    fn snapping_and_point_to_point_distance() {
        let g = tiny();
        // A point 20 m below the middle of segment 0-1 snaps there at t = 0.5.
        let p = g.snap(Coord { x: 50.0, y: 280.0 }, 100.0).unwrap();
        assert_eq!(p.segment, 0);
        assert!((p.t - 0.5).abs() < 1e-12 && (p.offset_m - 20.0).abs() < 1e-12);
        assert!(g.snap(Coord { x: 500.0, y: 150.0 }, 100.0).is_none());
        // A facility 10 m off the middle of segment 3-4 (t = 0.5 of its 400 m).
        let (ux, uy) = (
            250.0 / 320.156_211_871_642_7,
            -200.0 / 320.156_211_871_642_7,
        );
        let f = g
            .snap(
                Coord {
                    x: 100.0 + 10.0 * ux,
                    y: 125.0 + 10.0 * uy,
                },
                100.0,
            )
            .unwrap();
        assert_eq!(f.segment, 4);
        assert!((f.t - 0.5).abs() < 1e-9 && (f.offset_m - 10.0).abs() < 1e-9);
        let node_m = g.nearest_source_m(&[f], 1e9);
        // Facility → 4: offset 10 + 200 = 210; → 3: 210; 2: 260; 1: 360 (via 2) vs 510 via 0.
        let off = f.offset_m;
        assert!((node_m[4] - (off + 200.0)).abs() < 1e-9);
        assert!((node_m[1] - (off + 200.0 + 50.0 + 100.0)).abs() < 1e-9);
        // The point p: via node 0 (off+200+300+50) or node 1 (off+360+50): 20 m offset too.
        let d = g.distance_from_snap(&p, &node_m, &[]);
        assert!((d - (node_m[1] + 50.0 + 20.0)).abs() < 1e-9);
        // Same segment: a source on segment 0 at t = 0.9, offset 5 → 0.4 × 100 + 5 + 20.
        let d2 = g.distance_from_snap(&p, &node_m, &[(0.9, 5.0)]);
        assert!((d2 - 65.0).abs() < 1e-9);
        // Unreachable component.
        assert!(node_m[5].is_infinite());
    }

    #[test]
    fn service_area_covers_what_is_reached() {
        let g = tiny();
        let src = g.snap(Coord { x: 0.0, y: 300.0 }, 10.0).unwrap();
        let mut s = g.scratch();
        let area = g.service_area(&src, 250.0, &mut s).unwrap();
        use geo::{Area, Contains};
        assert!(area.unsigned_area() > 0.0);
        // Node 2 (200 m away) is inside; node 4 (250 m via 2) on the edge; node 3's
        // cut point is at 250 m along 0-3.
        assert!(
            area.contains(&Point::new(100.0, 299.0)) || area.contains(&Point::new(100.0, 300.0))
        );
        assert!(!area.contains(&Point::new(1000.0, 0.0)));
    }
}
