//! The study area (`[study.area]`): one polygon that clips city-wide layers to a district.
//!
//! What is kept, measured in the analysis CRS (metres):
//! - population records whose point (a polygon's interior point) lies inside the polygon: a
//!   census polygon straddling the edge is kept or left whole, never cut;
//! - facilities inside, and those within `buffer_m` of the edge: residents near the edge walk
//!   to them, so they count for every circle and for accessibility, but not for the area's
//!   provision (floor area, beds, counts per 街镇), which is of facilities inside;
//! - sub-districts and committees whose interior point lies inside;
//! - candidate sites inside (new centres are planned in the area);
//! - street-network nodes inside or within `buffer_m` of the edge; ways are cut where they
//!   leave that band, so walks to the buffer's facilities follow real streets.

use std::collections::HashMap;

use geo::{
    BoundingRect, Coord, Geometry, InteriorPoint, Intersects, MultiPolygon, Point, Polygon, Rect,
};
use rayon::prelude::*;
use rstar::primitives::Line;
use rstar::{PointDistance, RTree};

use crate::crs::{CrsError, Projection};
use crate::network::{OsmData, OsmWay};
pub use crate::study::StudyArea;
use crate::study::{AreaRecord, Inputs};

/// What clipping kept and left out, for the summary and the report.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ClipReport {
    /// The area's id.
    pub id: String,
    /// The area's name.
    pub name: String,
    /// Its area in the analysis CRS, m².
    pub area_m2: f64,
    /// Buffer for facilities and streets, m.
    pub buffer_m: f64,
    /// Population records kept (inside).
    pub population_kept: usize,
    /// Population records left out (outside).
    pub population_dropped: usize,
    /// Residents in the records left out, people.
    pub residents_dropped: f64,
    /// Facilities inside the area.
    pub facilities_inside: usize,
    /// Facilities outside but within the buffer (they serve residents; not counted as the
    /// area's provision).
    pub facilities_in_buffer: usize,
    /// Facilities left out.
    pub facilities_dropped: usize,
    /// Sub-district polygons kept / left out.
    pub subdistricts: (usize, usize),
    /// Committee polygons kept / left out.
    pub committees: (usize, usize),
    /// Candidate sites kept / left out.
    pub candidates: (usize, usize),
    /// Street-network nodes kept / left out (`None`: no network).
    pub network_nodes: Option<(usize, usize)>,
}

/// The area in metres, with an index of its edges for distances to the boundary.
pub struct Region {
    boundary_m: MultiPolygon<f64>,
    bbox: Rect<f64>,
    edges: RTree<Line<[f64; 2]>>,
    buffer_m: f64,
}

impl Region {
    /// Projects `area` with `p`.
    pub fn new(area: &StudyArea, p: &Projection) -> Result<Region, CrsError> {
        let project = |c: Coord<f64>| -> Result<Coord<f64>, CrsError> {
            let (x, y) = p.from_wgs84(c.x, c.y)?;
            Ok(Coord { x, y })
        };
        let mut polygons = Vec::with_capacity(area.boundary.0.len());
        let mut edges = Vec::new();
        for poly in &area.boundary.0 {
            let ring = |r: &geo::LineString<f64>| -> Result<geo::LineString<f64>, CrsError> {
                r.0.iter()
                    .map(|&c| project(c))
                    .collect::<Result<Vec<_>, _>>()
                    .map(geo::LineString)
            };
            let exterior = ring(poly.exterior())?;
            let interiors = poly
                .interiors()
                .iter()
                .map(ring)
                .collect::<Result<Vec<_>, _>>()?;
            for r in std::iter::once(&exterior).chain(&interiors) {
                edges.extend(
                    r.lines()
                        .map(|l| Line::new([l.start.x, l.start.y], [l.end.x, l.end.y])),
                );
            }
            polygons.push(Polygon::new(exterior, interiors));
        }
        let boundary_m = MultiPolygon(polygons);
        let bbox = boundary_m.bounding_rect().unwrap_or(Rect::new(
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 0.0, y: 0.0 },
        ));
        Ok(Region {
            boundary_m,
            bbox,
            edges: RTree::bulk_load(edges),
            buffer_m: area.buffer_m,
        })
    }

    /// Area, m².
    pub fn area_m2(&self) -> f64 {
        use geo::Area;
        self.boundary_m.unsigned_area()
    }

    /// Whether `xy` (analysis CRS, m) lies inside the area (on the edge counts as inside).
    pub fn inside(&self, xy: Coord<f64>) -> bool {
        if xy.x < self.bbox.min().x
            || xy.x > self.bbox.max().x
            || xy.y < self.bbox.min().y
            || xy.y > self.bbox.max().y
        {
            return false;
        }
        let pt = Point::from(xy);
        self.boundary_m.intersects(&pt)
    }

    /// Distance from `xy` to the area's edge, m (0 inside).
    pub fn distance_m(&self, xy: Coord<f64>) -> f64 {
        if self.inside(xy) {
            return 0.0;
        }
        let q = [xy.x, xy.y];
        self.edges
            .nearest_neighbor(&q)
            .map_or(f64::INFINITY, |e| e.distance_2(&q).sqrt())
    }

    /// Whether `xy` lies inside or within the buffer of the edge.
    pub fn within_buffer(&self, xy: Coord<f64>) -> bool {
        let b = self.buffer_m;
        if xy.x < self.bbox.min().x - b
            || xy.x > self.bbox.max().x + b
            || xy.y < self.bbox.min().y - b
            || xy.y > self.bbox.max().y + b
        {
            return false;
        }
        self.distance_m(xy) <= b
    }
}

/// The representative point of a record's geometry: a point itself, else an interior point.
fn representative(g: &Geometry<f64>) -> Option<Coord<f64>> {
    match g {
        Geometry::Point(p) => Some(p.0),
        other => other.interior_point().map(|p| p.0),
    }
}

/// Projects a WGS84 position, `None` where the projection fails (such records are left to
/// the study build, which names them).
fn xy(p: &Projection, c: Coord<f64>) -> Option<Coord<f64>> {
    p.from_wgs84(c.x, c.y).ok().map(|(x, y)| Coord { x, y })
}

/// Keeps the areas whose interior point lies inside the region; returns (kept, dropped).
fn clip_areas(areas: &mut Vec<AreaRecord>, region: &Region, p: &Projection) -> (usize, usize) {
    let before = areas.len();
    areas.retain(|a| {
        a.boundary
            .interior_point()
            .and_then(|c| xy(p, c.0))
            .is_some_and(|c| region.inside(c))
    });
    (areas.len(), before - areas.len())
}

/// Clips `inputs` to `area` (see the module text), measuring in `p`. Records whose position
/// cannot be projected are kept, so that the study build reports them.
pub fn clip_inputs(
    inputs: &mut Inputs,
    area: &StudyArea,
    p: &Projection,
) -> Result<ClipReport, CrsError> {
    let region = Region::new(area, p)?;
    let mut report = ClipReport {
        id: area.id.clone(),
        name: area.name.clone(),
        area_m2: region.area_m2(),
        buffer_m: area.buffer_m,
        ..ClipReport::default()
    };
    let keep: Vec<bool> = inputs
        .population
        .par_iter()
        .map(|r| {
            representative(&r.geometry)
                .and_then(|c| xy(p, c))
                .is_none_or(|c| region.inside(c))
        })
        .collect();
    let mut keep_it = keep.iter();
    let mut dropped_residents = 0.0;
    inputs.population.retain(|r| {
        let k = *keep_it.next().unwrap_or(&true);
        if !k {
            dropped_residents += r.counts.residents;
        }
        k
    });
    report.population_kept = inputs.population.len();
    report.population_dropped = keep.len() - inputs.population.len();
    report.residents_dropped = dropped_residents;

    let before = inputs.facilities.len();
    inputs.facilities.retain_mut(|f| match xy(p, f.lon_lat) {
        None => true,
        Some(c) if region.inside(c) => true,
        Some(c) if region.within_buffer(c) => {
            f.beyond_study_area = true;
            true
        }
        Some(_) => false,
    });
    report.facilities_in_buffer = inputs
        .facilities
        .iter()
        .filter(|f| f.beyond_study_area)
        .count();
    report.facilities_inside = inputs.facilities.len() - report.facilities_in_buffer;
    report.facilities_dropped = before - inputs.facilities.len();

    report.subdistricts = clip_areas(&mut inputs.subdistricts, &region, p);
    report.committees = clip_areas(&mut inputs.committees, &region, p);
    if let Some(candidates) = &mut inputs.candidates {
        let before = candidates.len();
        candidates.retain(|c| xy(p, c.lon_lat).is_none_or(|c| region.inside(c)));
        report.candidates = (candidates.len(), before - candidates.len());
    }
    Ok(report)
}

/// The street network within `area`'s buffer: nodes inside or within `buffer_m` of the
/// edge, and the ways cut into their runs of kept nodes (each run keeps the way's id and
/// tags), so that no way refers to a node left out. Returns the clipped data and the nodes
/// (kept, left out).
pub fn clip_osm(
    osm: &OsmData,
    area: &StudyArea,
    p: &Projection,
) -> Result<(OsmData, (usize, usize)), CrsError> {
    let region = Region::new(area, p)?;
    let nodes: Vec<(&i64, &Coord<f64>)> = osm.nodes.iter().collect();
    let kept: HashMap<i64, Coord<f64>> = nodes
        .par_iter()
        .filter(|(_, &c)| xy(p, c).is_some_and(|c| region.within_buffer(c)))
        .map(|(&id, &c)| (id, c))
        .collect();
    let mut ways = Vec::new();
    for w in &osm.ways {
        let mut run: Vec<i64> = Vec::new();
        let mut flush = |run: &mut Vec<i64>| {
            if run.len() >= 2 {
                ways.push(OsmWay {
                    id: w.id,
                    nodes: std::mem::take(run),
                    tags: w.tags.clone(),
                });
            }
            run.clear();
        };
        for id in &w.nodes {
            // A node missing from the file stays a gap, as it was.
            if kept.contains_key(id) || !osm.nodes.contains_key(id) {
                run.push(*id);
            } else {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    let counts = (kept.len(), osm.nodes.len() - kept.len());
    Ok((OsmData { nodes: kept, ways }, counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Counts;
    use crate::study::{FacilityRecord, PopulationRecord};

    /// A 1 km × 1 km square south-west of (121.4, 31.2), in degrees.
    fn square() -> StudyArea {
        let (lon0, lat0) = (121.4, 31.2);
        let (dlon, dlat) = (1000.0 / 95_300.0, 1000.0 / 110_900.0);
        let ring = vec![
            (lon0, lat0),
            (lon0 + dlon, lat0),
            (lon0 + dlon, lat0 + dlat),
            (lon0, lat0 + dlat),
            (lon0, lat0),
        ];
        StudyArea {
            id: "sq".into(),
            name: "square".into(),
            boundary: MultiPolygon(vec![Polygon::new(ring.into(), vec![])]),
            buffer_m: 300.0,
        }
    }

    fn point_record(id: &str, lon: f64, lat: f64) -> PopulationRecord {
        PopulationRecord {
            subdistrict_name: None,
            id: id.into(),
            geometry: Geometry::Point(Point::new(lon, lat)),
            counts: Counts {
                residents: 10.0,
                aged_60: 3.0,
                ..Counts::default()
            },
            origin: id.into(),
        }
    }

    #[test]
    fn keeps_inside_people_and_buffer_facilities() {
        let area = square();
        let p = Projection::utm_for(121.4, 31.2).unwrap();
        let region = Region::new(&area, &p).unwrap();
        // The square's projected area is within 1 % of 1 km² (the degree sizes are rounded).
        assert!(
            (region.area_m2() - 1.0e6).abs() < 1.0e4,
            "{}",
            region.area_m2()
        );
        let step = 1.0 / 95_300.0;
        let mid_lat = 31.2 + 500.0 / 110_900.0;
        let mut inputs = Inputs {
            population: vec![
                point_record("in", 121.4 + 500.0 * step, mid_lat),
                point_record("out", 121.4 + 1100.0 * step, mid_lat),
            ],
            ..Inputs::default()
        };
        let facility = |id: &str, east_m: f64| FacilityRecord {
            id: id.into(),
            name: id.into(),
            label: "日间照料中心".into(),
            kind: crate::model::FacilityKind::DayCare,
            lon_lat: Coord {
                x: 121.4 + east_m * step,
                y: mid_lat,
            },
            capacity: Default::default(),
            subdistrict_name: None,
            origin: id.into(),
            beyond_study_area: false,
        };
        // Inside, 200 m beyond the east edge (in the 300 m buffer), 400 m beyond (out).
        inputs.facilities = vec![
            facility("a", 500.0),
            facility("b", 1200.0),
            facility("c", 1400.0),
        ];
        let report = clip_inputs(&mut inputs, &area, &p).unwrap();
        assert_eq!(inputs.population.len(), 1);
        assert_eq!(inputs.population[0].id, "in");
        assert_eq!(report.population_dropped, 1);
        assert_eq!(report.residents_dropped, 10.0);
        let ids: Vec<(&str, bool)> = inputs
            .facilities
            .iter()
            .map(|f| (f.id.as_str(), f.beyond_study_area))
            .collect();
        assert_eq!(ids, vec![("a", false), ("b", true)]);
        assert_eq!(
            (
                report.facilities_inside,
                report.facilities_in_buffer,
                report.facilities_dropped
            ),
            (1, 1, 1)
        );
    }

    #[test]
    fn ways_are_cut_where_they_leave_the_buffer() {
        let area = square();
        let p = Projection::utm_for(121.4, 31.2).unwrap();
        let step = 1.0 / 95_300.0;
        let lat = 31.2 + 500.0 / 110_900.0;
        // Nodes every 200 m eastwards from 0 to 2000 m: inside up to 1000, buffer to 1300.
        let nodes: HashMap<i64, Coord<f64>> = (0..=10)
            .map(|k| {
                (
                    k as i64,
                    Coord {
                        x: 121.4 + (k as f64) * 200.0 * step,
                        y: lat,
                    },
                )
            })
            .collect();
        // A way out and back in: 0…10 then 10…0 would be one way; use 0..=10 and a second
        // way 10, 9, 2 that leaves the band at both ends except its last node.
        let osm = OsmData {
            nodes,
            ways: vec![
                OsmWay {
                    id: 1,
                    nodes: (0..=10).collect(),
                    tags: vec![("highway".into(), "footway".into())],
                },
                OsmWay {
                    id: 2,
                    nodes: vec![2, 9, 3, 4],
                    tags: vec![],
                },
            ],
        };
        let (clipped, (kept, dropped)) = clip_osm(&osm, &area, &p).unwrap();
        // 0, 200, …, 1200 m are within 1000 + 300 m: 7 nodes.
        assert_eq!((kept, dropped), (7, 4));
        let runs: Vec<(i64, Vec<i64>)> = clipped
            .ways
            .iter()
            .map(|w| (w.id, w.nodes.clone()))
            .collect();
        assert_eq!(runs, vec![(1, (0..=6).collect()), (2, vec![3, 4])]);
    }
}
