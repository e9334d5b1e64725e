//! Which population cells each walking circle covers.
//!
//! For every facility kind a circle needs, the distance from each cell to the nearest
//! facility of that kind is found two ways: in a straight line, with an R-tree (rstar)
//! nearest-neighbour query per cell; and, when the plan has a street network, walking along
//! it (bounded Dijkstra from every facility, see [`crate::network`]). Both run in parallel
//! (rayon). A circle covers a cell when the distance by the circle's method is within its
//! reach: for one kind (`require = "any"`: at least one listed kind) or for every listed
//! kind (`require = "all"`, the "one-stop" reading). Network circles also carry the
//! straight-line verdict, so the two can be compared side by side. Distances are metres.

use std::collections::HashMap;

use geo::Polygon;
use rayon::prelude::*;
use rstar::RTree;

use crate::model::{FacilityKind, Study};
use geo::Coord;

use crate::network::{Snap, SnapRule, WalkGraph};
use crate::standards::{Circle, Method, Require};

/// The street network prepared for a study: every cell and facility snapped onto it, away
/// from street islands (see [`SnapRule`]).
pub struct NetworkContext<'g> {
    /// The walkable street graph, in the analysis CRS (m).
    pub graph: &'g WalkGraph,
    /// Snap of each cell (study order); `None` when farther than `max_snap_m` from every
    /// street that is not an island.
    pub cell_snaps: Vec<Option<Snap>>,
    /// Snap of each facility (study order).
    pub facility_snaps: Vec<Option<Snap>>,
    /// Largest snap distance allowed, m: points farther from every street stay unsnapped.
    pub max_snap_m: f64,
    /// The snapping rule (distance and island thresholds).
    pub rule: SnapRule,
    /// Per component of the graph: an island under `rule` (never a snap target).
    pub islands: Vec<bool>,
    /// Per cell: a street island lay nearer than where the cell was snapped (or in reach of
    /// a cell left unsnapped).
    pub cell_near_island: Vec<bool>,
    /// Per facility: the same.
    pub facility_near_island: Vec<bool>,
    /// Network distances are measured up to this, m, when it exceeds a kind's largest reach
    /// (`None`: up to the reach only). Coverage is decided by the reach either way.
    pub distance_cap_m: Option<f64>,
}

impl<'g> NetworkContext<'g> {
    /// Snaps the study's cells and facilities onto `graph` within `max_snap_m`, with the
    /// default island thresholds, in parallel.
    pub fn new(graph: &'g WalkGraph, study: &Study, max_snap_m: f64) -> NetworkContext<'g> {
        NetworkContext::with_rule(graph, study, SnapRule::new(max_snap_m))
    }

    /// Snaps the study's cells and facilities onto `graph` under `rule`, in parallel.
    pub fn with_rule(graph: &'g WalkGraph, study: &Study, rule: SnapRule) -> NetworkContext<'g> {
        let islands = graph.islands(&rule);
        let snap = |xy| graph.snap_ruled(xy, &rule, &islands);
        let (cell_snaps, cell_near_island): (Vec<_>, Vec<_>) = study
            .cells
            .par_iter()
            .map(|c| {
                let s = snap(c.location.xy_m);
                (s.snap, s.nearer_island_m.is_some())
            })
            .unzip();
        let (facility_snaps, facility_near_island): (Vec<_>, Vec<_>) = study
            .facilities
            .par_iter()
            .map(|f| {
                let s = snap(f.location.xy_m);
                (s.snap, s.nearer_island_m.is_some())
            })
            .unzip();
        NetworkContext {
            graph,
            cell_snaps,
            facility_snaps,
            max_snap_m: rule.max_snap_m,
            rule,
            islands,
            cell_near_island,
            facility_near_island,
            distance_cap_m: None,
        }
    }

    /// Snaps one point (analysis CRS, m) as the study's points were.
    pub fn snap(&self, xy: Coord<f64>) -> Option<Snap> {
        self.graph.snap_ruled(xy, &self.rule, &self.islands).snap
    }

    /// Whether graph node `node` lies on a street island.
    pub fn on_island(&self, node: u32) -> bool {
        self.islands[self.graph.component_of(node) as usize]
    }

    /// The same context with `added` facilities appended to the study's (as when proposed
    /// sites open): only they are snapped, the cells keep their snaps.
    pub fn with_added_facilities(&self, added: &[crate::model::Facility]) -> NetworkContext<'g> {
        let mut facility_snaps = self.facility_snaps.clone();
        let mut facility_near_island = self.facility_near_island.clone();
        for f in added {
            let s = self
                .graph
                .snap_ruled(f.location.xy_m, &self.rule, &self.islands);
            facility_snaps.push(s.snap);
            facility_near_island.push(s.nearer_island_m.is_some());
        }
        NetworkContext {
            graph: self.graph,
            cell_snaps: self.cell_snaps.clone(),
            facility_snaps,
            max_snap_m: self.max_snap_m,
            rule: self.rule,
            islands: self.islands.clone(),
            cell_near_island: self.cell_near_island.clone(),
            facility_near_island,
            distance_cap_m: self.distance_cap_m,
        }
    }
}

/// Distances from each cell to the nearest facility of one kind, metres.
#[derive(Debug, Clone)]
pub struct NearestDistances {
    /// The facility kind the distances are to.
    pub kind: FacilityKind,
    /// Straight line; `INFINITY` where the study has no facility of the kind.
    pub straight_line_m: Vec<f64>,
    /// Along the network, known up to `network_cutoff_m` (the largest reach of the network
    /// circles using this kind); `INFINITY` beyond it, or for unsnapped cells.
    pub network_m: Option<Vec<f64>>,
    /// The network search cutoff, m (see `network_m`); `None` without a network or when no
    /// network circle uses the kind.
    pub network_cutoff_m: Option<f64>,
}

impl NearestDistances {
    /// The distances a circle of `method` uses.
    pub fn by(&self, method: Method) -> &[f64] {
        match (method, &self.network_m) {
            (Method::Network, Some(n)) => n,
            _ => &self.straight_line_m,
        }
    }
}

/// One circle's verdict per cell.
#[derive(Debug, Clone)]
pub struct CircleCoverage {
    /// The circle measured.
    pub circle: Circle,
    /// Whether the circle covers each cell, by the circle's method.
    pub covered: Vec<bool>,
    /// Whether each of the circle's kinds is within reach of each cell, in the circle's
    /// kind order.
    pub covered_by_kind: Vec<(FacilityKind, Vec<bool>)>,
    /// For network circles: the straight-line verdict, for comparison.
    pub covered_straight_line: Option<Vec<bool>>,
}

/// Coverage of every circle, cell by cell (cells in the study's order).
#[derive(Debug, Clone)]
pub struct Coverage {
    /// Nearest-facility distances per kind a circle needs, kinds in ascending order.
    pub nearest: Vec<NearestDistances>,
    /// The verdicts, one per circle, in the order the circles were given.
    pub circles: Vec<CircleCoverage>,
}

impl Coverage {
    /// Distances to `kind`, if a circle asked for that kind.
    pub fn nearest_for(&self, kind: FacilityKind) -> Option<&NearestDistances> {
        self.nearest.iter().find(|n| n.kind == kind)
    }
}

/// Distance from each point to the nearest of `targets` (both in metres), in parallel.
/// `INFINITY` for every point when there are no targets.
pub fn nearest_distances_m(points: &[[f64; 2]], targets: &[[f64; 2]]) -> Vec<f64> {
    if targets.is_empty() {
        return vec![f64::INFINITY; points.len()];
    }
    let tree = RTree::bulk_load(targets.to_vec());
    points
        .par_iter()
        .map(|p| {
            tree.nearest_neighbor(p)
                .map(|q| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
                .unwrap_or(f64::INFINITY)
        })
        .collect()
}

/// Network distance from each cell to the nearest facility of `kind`, up to `cutoff_m`.
fn network_nearest(
    study: &Study,
    net: &NetworkContext,
    kind: FacilityKind,
    cutoff_m: f64,
) -> Vec<f64> {
    let snaps: Vec<Snap> = study
        .facilities
        .iter()
        .zip(&net.facility_snaps)
        .filter(|(f, _)| f.kind == kind)
        .filter_map(|(_, s)| *s)
        .collect();
    let node_m = net.graph.nearest_source_m(&snaps, cutoff_m);
    let mut same_segment: HashMap<u32, Vec<(f64, f64)>> = HashMap::new();
    for s in &snaps {
        same_segment
            .entry(s.segment)
            .or_default()
            .push((s.t, s.offset_m));
    }
    net.cell_snaps
        .par_iter()
        .map(|snap| match snap {
            None => f64::INFINITY,
            Some(snap) => {
                let along = same_segment
                    .get(&snap.segment)
                    .map_or(&[][..], Vec::as_slice);
                let d = net.graph.distance_from_snap(snap, &node_m, along);
                if d <= cutoff_m {
                    d
                } else {
                    f64::INFINITY
                }
            }
        })
        .collect()
}

/// Cell-by-cell verdicts of one circle from per-kind distances.
fn verdicts(
    circle: &Circle,
    nearest: &[NearestDistances],
    method: Method,
    n: usize,
) -> (Vec<bool>, Vec<(FacilityKind, Vec<bool>)>) {
    let r = circle.radius_m();
    let by_kind: Vec<(FacilityKind, Vec<bool>)> = circle
        .kinds
        .iter()
        .map(|&k| {
            let d = nearest
                .iter()
                .find(|x| x.kind == k)
                .expect("every circle kind has distances")
                .by(method);
            (k, d.iter().map(|&d| d <= r).collect())
        })
        .collect();
    let covered = (0..n)
        .map(|i| {
            let mut each = by_kind.iter().map(|(_, v)| v[i]);
            match circle.require {
                Require::Any => each.any(|b| b),
                Require::All => each.all(|b| b),
            }
        })
        .collect();
    (covered, by_kind)
}

/// Coverage of `circles` over the study's cells. Network circles need `network`.
/// `progress` is called with the number of cells done after each distance pass.
pub fn measure(
    study: &Study,
    circles: &[Circle],
    network: Option<&NetworkContext>,
    progress: &(dyn Fn(u64) + Sync),
) -> Coverage {
    let points: Vec<[f64; 2]> = study
        .cells
        .iter()
        .map(|c| [c.location.xy_m.x, c.location.xy_m.y])
        .collect();
    let mut kinds: Vec<FacilityKind> = circles
        .iter()
        .flat_map(|c| c.kinds.iter().copied())
        .collect();
    kinds.sort();
    kinds.dedup();
    let nearest: Vec<NearestDistances> = kinds
        .iter()
        .map(|&kind| {
            let targets: Vec<[f64; 2]> = study
                .facilities
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| [f.location.xy_m.x, f.location.xy_m.y])
                .collect();
            let straight_line_m = nearest_distances_m(&points, &targets);
            progress(points.len() as u64);
            let cutoff = circles
                .iter()
                .filter(|c| c.method == Method::Network && c.kinds.contains(&kind))
                .map(Circle::radius_m)
                .fold(None, |acc: Option<f64>, r| {
                    Some(acc.map_or(r, |a| a.max(r)))
                });
            // Measured beyond the reach, up to the context's distance cap, so that per-area
            // medians and percentiles exist where the nearest facility is out of reach.
            let cutoff = cutoff.map(|c| {
                network
                    .and_then(|n| n.distance_cap_m)
                    .map_or(c, |cap| c.max(cap))
            });
            let network_m = match (cutoff, network) {
                (Some(c), Some(net)) => {
                    let d = network_nearest(study, net, kind, c);
                    progress(points.len() as u64);
                    Some(d)
                }
                _ => None,
            };
            NearestDistances {
                kind,
                straight_line_m,
                network_m,
                network_cutoff_m: cutoff.filter(|_| network.is_some()),
            }
        })
        .collect();
    let circles = circles
        .iter()
        .map(|circle| {
            let network = circle.method == Method::Network && network.is_some();
            let method = if network {
                Method::Network
            } else {
                Method::StraightLine
            };
            let (covered, covered_by_kind) = verdicts(circle, &nearest, method, points.len());
            let covered_straight_line =
                network.then(|| verdicts(circle, &nearest, Method::StraightLine, points.len()).0);
            CircleCoverage {
                circle: circle.clone(),
                covered,
                covered_by_kind,
                covered_straight_line,
            }
        })
        .collect();
    Coverage { nearest, circles }
}

/// A cell whose walk to the nearest facility of a kind is much longer than the straight
/// line: a river, a rail line, a fenced block or a missing footway between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detour {
    /// Index into the study's cells.
    pub cell: usize,
    /// The facility kind.
    pub kind: FacilityKind,
    /// Straight-line distance to the nearest facility of the kind, m.
    pub straight_line_m: f64,
    /// Walking distance to it, m; `INFINITY` when beyond the distance measured.
    pub network_m: f64,
}

/// Detours of more than `factor` × the straight line (and at least
/// [`DETOUR_MIN_EXTRA_M`] longer, so that snap offsets near a facility do not count), for
/// every snapped cell and every kind measured along the network. A walk beyond the
/// distance measured counts when `factor` × the straight line lies within it.
pub fn detours(coverage: &Coverage, net: &NetworkContext, factor: f64) -> Vec<Detour> {
    let mut out = Vec::new();
    for n in &coverage.nearest {
        let (Some(network), Some(cutoff)) = (&n.network_m, n.network_cutoff_m) else {
            continue;
        };
        for (i, (&s, &d)) in n.straight_line_m.iter().zip(network).enumerate() {
            if net.cell_snaps[i].is_none() || !s.is_finite() || factor * s > cutoff {
                continue;
            }
            if d > factor * s && d - s >= DETOUR_MIN_EXTRA_M {
                out.push(Detour {
                    cell: i,
                    kind: n.kind,
                    straight_line_m: s,
                    network_m: d,
                });
            }
        }
    }
    out.sort_by_key(|d| (d.cell, d.kind));
    out
}

/// A detour must add at least this much to the straight line, m.
pub const DETOUR_MIN_EXTRA_M: f64 = 250.0;

/// Default detour factor: walks longer than 3 × the straight line are flagged.
pub const DEFAULT_DETOUR_FACTOR: f64 = crate::network::diagnostics::DEFAULT_DETOUR_FACTOR;

/// Default distance cap for network distances: twice the largest network reach, at least
/// 2000 m, so that per-area medians and percentiles exist beyond the circles.
pub fn default_distance_cap_m(circles: &[Circle]) -> f64 {
    circles
        .iter()
        .filter(|c| c.method == Method::Network)
        .map(|c| 2.0 * c.radius_m())
        .fold(2000.0, f64::max)
}

/// Straight-line coverage of `circles` (every circle measured in a straight line).
pub fn straight_line(
    study: &Study,
    circles: &[Circle],
    progress: &(dyn Fn(u64) + Sync),
) -> Coverage {
    measure(study, circles, None, progress)
}

/// For each source (a facility or candidate site), the cells within a reach and their
/// distances: the sparse source × cell pairs that accessibility measures and siting models
/// work on. Only pairs within the reach are ever stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Catchments {
    /// The reach the pairs lie within, m.
    pub radius_m: f64,
    /// How distances were measured: `StraightLine` whenever no network was given.
    pub method: Method,
    /// Per source: (cell index, distance m), cells in ascending order.
    pub per_source: Vec<Vec<(u32, f32)>>,
}

impl Catchments {
    /// Number of stored pairs.
    pub fn pairs(&self) -> usize {
        self.per_source.iter().map(Vec::len).sum()
    }
}

/// The sources of a catchment measurement.
#[derive(Debug, Clone, Copy)]
pub enum Sources<'a> {
    /// Facilities of the study, by index (along the network: their snaps in the context).
    Facilities(&'a [usize]),
    /// Points in the analysis CRS, m (along the network: snapped here, within the
    /// context's `max_snap_m`), e.g. candidate sites.
    Points(&'a [Coord<f64>]),
}

/// The one measurement entry point: the study's cells within `radius_m` of each source by
/// `method`. Along the network it needs `net`; without one it measures in a straight line
/// (the plan refuses network circles without a `[network]`, so this arises only for library
/// callers that pass none). Used by coverage's 2SFCA supply catchments and by siting.
pub fn catchments(
    study: &Study,
    net: Option<&NetworkContext>,
    sources: Sources,
    radius_m: f64,
    method: Method,
) -> Catchments {
    match (method, net) {
        (Method::Network, Some(net)) => {
            let snaps: Vec<Option<Snap>> = match sources {
                Sources::Facilities(idx) => idx.iter().map(|&i| net.facility_snaps[i]).collect(),
                Sources::Points(xy) => xy.iter().map(|&p| net.snap(p)).collect(),
            };
            catchments_network(net, &snaps, radius_m)
        }
        _ => {
            let cells: Vec<[f64; 2]> = study
                .cells
                .iter()
                .map(|c| [c.location.xy_m.x, c.location.xy_m.y])
                .collect();
            let xy: Vec<[f64; 2]> = match sources {
                Sources::Facilities(idx) => idx
                    .iter()
                    .map(|&i| {
                        let p = study.facilities[i].location.xy_m;
                        [p.x, p.y]
                    })
                    .collect(),
                Sources::Points(xy) => xy.iter().map(|p| [p.x, p.y]).collect(),
            };
            catchments_straight_line(&cells, &xy, radius_m)
        }
    }
}

/// Cells within `radius_m` of each source in a straight line (R-tree of cells, parallel
/// over sources).
pub fn catchments_straight_line(
    cells: &[[f64; 2]],
    sources: &[[f64; 2]],
    radius_m: f64,
) -> Catchments {
    let tree = RTree::bulk_load(
        cells
            .iter()
            .enumerate()
            .map(|(i, p)| rstar::primitives::GeomWithData::new(*p, i as u32))
            .collect(),
    );
    let per_source = sources
        .par_iter()
        .map(|s| {
            let mut v: Vec<(u32, f32)> = tree
                .locate_within_distance(*s, radius_m * radius_m)
                .map(|c| {
                    let p = c.geom();
                    (
                        c.data,
                        ((p[0] - s[0]).powi(2) + (p[1] - s[1]).powi(2)).sqrt() as f32,
                    )
                })
                .collect();
            v.sort_by_key(|x| x.0);
            v
        })
        .collect();
    Catchments {
        radius_m,
        method: Method::StraightLine,
        per_source,
    }
}

/// Cells within `radius_m` of each source along the network: a bounded Dijkstra per source
/// (parallel), then the cells snapped to the streets it reached. Unsnapped sources reach
/// nothing.
pub fn catchments_network(
    net: &NetworkContext,
    sources: &[Option<Snap>],
    radius_m: f64,
) -> Catchments {
    let g = net.graph;
    // Cells by the segment they are snapped to (compressed rows).
    let mut starts = vec![0u32; g.segments.len() + 1];
    for s in net.cell_snaps.iter().flatten() {
        starts[s.segment as usize + 1] += 1;
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut fill = starts.clone();
    let mut cells_on = vec![0u32; starts[g.segments.len()] as usize];
    for (i, s) in net.cell_snaps.iter().enumerate() {
        if let Some(s) = s {
            cells_on[fill[s.segment as usize] as usize] = i as u32;
            fill[s.segment as usize] += 1;
        }
    }
    let per_source = sources
        .par_iter()
        .map_init(
            || (g.scratch(), vec![f64::INFINITY; g.node_count()]),
            |(scratch, node_m), source| {
                let Some(src) = source else {
                    return Vec::new();
                };
                let mut reached = Vec::new();
                g.bounded(&g.entries(src), radius_m, scratch, |n, d| {
                    node_m[n as usize] = d;
                    reached.push(n);
                });
                let mut segments: Vec<u32> = reached
                    .iter()
                    .flat_map(|&n| g.neighbours(n).iter().map(|&(_, s)| s))
                    .chain(std::iter::once(src.segment))
                    .collect();
                segments.sort_unstable();
                segments.dedup();
                let mut out = Vec::new();
                for seg in segments {
                    let own = if seg == src.segment {
                        vec![(src.t, src.offset_m)]
                    } else {
                        Vec::new()
                    };
                    let range = starts[seg as usize] as usize..starts[seg as usize + 1] as usize;
                    for &c in &cells_on[range] {
                        let snap = net.cell_snaps[c as usize].expect("indexed cells are snapped");
                        let d = g.distance_from_snap(&snap, node_m, &own);
                        if d <= radius_m {
                            out.push((c, d as f32));
                        }
                    }
                }
                for n in reached {
                    node_m[n as usize] = f64::INFINITY;
                }
                out.sort_by_key(|x| x.0);
                out
            },
        )
        .collect();
    Catchments {
        radius_m,
        method: Method::Network,
        per_source,
    }
}

/// A facility's walking service area for one circle, in the analysis CRS (m).
#[derive(Debug, Clone)]
pub struct ServiceArea {
    /// Index into the study's facilities.
    pub facility: usize,
    /// Index into the circles.
    pub circle: usize,
    /// The reachable area as a concave hull, analysis CRS (m).
    pub polygon_m: Polygon<f64>,
}

/// Service areas of every snapped facility for every network circle its kind serves, in
/// (facility, circle) order. For maps: coverage itself is decided per cell.
pub fn service_areas(study: &Study, circles: &[Circle], net: &NetworkContext) -> Vec<ServiceArea> {
    let per_facility: Vec<Vec<ServiceArea>> = study
        .facilities
        .par_iter()
        .enumerate()
        .map_init(
            || net.graph.scratch(),
            |scratch, (fi, f)| {
                let Some(snap) = net.facility_snaps[fi] else {
                    return Vec::new();
                };
                circles
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.method == Method::Network && c.kinds.contains(&f.kind))
                    .filter_map(|(ci, c)| {
                        net.graph
                            .service_area(&snap, c.radius_m(), scratch)
                            .map(|polygon_m| ServiceArea {
                                facility: fi,
                                circle: ci,
                                polygon_m,
                            })
                    })
                    .collect()
            },
        )
        .collect();
    per_facility.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgeBand, Capacity, Counts, Facility, Location, PopulationCell};
    use crate::standards::Reach;
    use geo::Coord;

    fn loc(x: f64, y: f64) -> Location {
        Location {
            lon_lat: Coord { x: 0.0, y: 0.0 },
            xy_m: Coord { x, y },
        }
    }

    fn cell(id: &str, x: f64, y: f64) -> PopulationCell {
        PopulationCell {
            id: id.into(),
            location: loc(x, y),
            footprint: None,
            counts: Counts {
                residents: 100.0,
                aged_60: 30.0,
                aged_65: 20.0,
                aged_80: 5.0,
            },
            subdistrict: None,
            committee: None,
        }
    }

    fn facility(id: &str, kind: FacilityKind, x: f64, y: f64) -> Facility {
        Facility {
            id: id.into(),
            name: id.into(),
            kind,
            label: kind.chinese().into(),
            location: loc(x, y),
            capacity: Capacity::default(),
            subdistrict_name: None,
            subdistrict: None,
            committee: None,
            beyond_study_area: false,
        }
    }

    fn circle(kinds: Vec<FacilityKind>, r: f64, require: Require) -> Circle {
        Circle {
            name: "c".into(),
            label: "c".into(),
            reach: Reach::Distance { distance_m: r },
            kinds,
            require,
            age_band: AgeBand::Aged60,
            method: Method::StraightLine,
            source: "test".into(),
        }
    }

    /// Cells at (0,0), (300,400), (1000,0), (0,2000); a day-care centre at the origin and a
    /// meal point at (1000, 100).
    fn study() -> Study {
        Study {
            cells: vec![
                cell("a", 0.0, 0.0),
                cell("b", 300.0, 400.0),
                cell("c", 1000.0, 0.0),
                cell("d", 0.0, 2000.0),
            ],
            facilities: vec![
                facility("dc", FacilityKind::DayCare, 0.0, 0.0),
                facility("mp", FacilityKind::MealPoint, 1000.0, 100.0),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn hand_computed_distances_and_coverage() {
        let s = study();
        let c = circle(vec![FacilityKind::DayCare], 500.0, Require::Any);
        let cov = straight_line(&s, &[c], &|_| {});
        let d = &cov
            .nearest_for(FacilityKind::DayCare)
            .unwrap()
            .straight_line_m;
        // 0, 500 (3-4-5 triangle), 1000, 2000 metres.
        assert_eq!(d, &[0.0, 500.0, 1000.0, 2000.0]);
        // The 500 m boundary is inclusive.
        assert_eq!(cov.circles[0].covered, vec![true, true, false, false]);
    }

    #[test]
    fn any_versus_all() {
        let s = study();
        let kinds = vec![FacilityKind::DayCare, FacilityKind::MealPoint];
        let any = circle(kinds.clone(), 800.0, Require::Any);
        let all = circle(kinds, 1100.0, Require::All);
        let cov = straight_line(&s, &[any, all], &|_| {});
        // Meal-point distances: a √(1000²+100²)=1004.99, b √(700²+300²)=761.58, c 100,
        // d √(1000²+1900²)=2147.09.
        let mp = &cov
            .nearest_for(FacilityKind::MealPoint)
            .unwrap()
            .straight_line_m;
        assert!((mp[0] - 1_004.987_562).abs() < 1e-5 && (mp[1] - 761.577_310).abs() < 1e-5);
        assert_eq!(cov.circles[0].covered, vec![true, true, true, false]);
        // Within 1100 m of both: a (0, 1005), b (500, 762), c (1000, 100); not d.
        assert_eq!(cov.circles[1].covered, vec![true, true, true, false]);
        assert_eq!(
            cov.circles[1].covered_by_kind[0].1,
            vec![true, true, true, false]
        );
    }

    #[test]
    fn missing_kind_covers_nothing() {
        let s = study();
        let c = circle(vec![FacilityKind::NursingHome], 10_000.0, Require::Any);
        let cov = straight_line(&s, &[c], &|_| {});
        assert!(cov.circles[0].covered.iter().all(|&b| !b));
        assert!(cov.nearest[0]
            .straight_line_m
            .iter()
            .all(|d| d.is_infinite()));
    }
}
