//! Building a [`Study`] from input records: project everything into the analysis CRS, spread
//! census polygons onto a grid, and tie cells and facilities to the areas they lie in.
//!
//! This is the "project" step of read → project → analyse → write. Records arrive in WGS84
//! (readers convert GCJ-02, BD-09 and projected inputs on read); nothing here touches files.

use std::collections::{BTreeMap, HashMap};

use geo::{
    Area as _, BooleanOps, BoundingRect, Centroid, Coord, Geometry, Intersects, LineString,
    MapCoords, MultiPolygon, Point, Polygon, Rect,
};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use crate::crs::{CrsError, Projection};
use crate::model::{
    Area, AreaLevel, Capacity, Counts, Facility, FacilityKind, Location, PopulationCell, Study,
};

/// Where a record came from, for messages: "population.csv row 12".
pub type Origin = String;

/// A population unit as read, in WGS84.
#[derive(Debug, Clone)]
pub struct PopulationRecord {
    /// Identifier from the population layer's `id` column.
    pub id: String,
    /// Point, Polygon or MultiPolygon in WGS84 degrees.
    pub geometry: Geometry<f64>,
    /// People in the unit, by age band.
    pub counts: Counts,
    /// Sub-district (街镇) name from the layer's `subdistrict` field, if any: the roll-up
    /// when there are no sub-district polygons.
    pub subdistrict_name: Option<String>,
    /// Where the record came from, for messages.
    pub origin: Origin,
}

/// A facility as read, in WGS84.
#[derive(Debug, Clone)]
pub struct FacilityRecord {
    /// Identifier from the facility layer's `id` column.
    pub id: String,
    /// Display name; the id when the layer has no name column.
    pub name: String,
    /// The kind label as written in the input (e.g. `长者食堂`).
    pub label: String,
    /// The kind the label maps to.
    pub kind: FacilityKind,
    /// Position, WGS84 lon/lat degrees (a building polygon's centroid).
    pub lon_lat: Coord<f64>,
    /// What the facility offers, as far as the layer says.
    pub capacity: Capacity,
    /// Sub-district name or id from the layer's `subdistrict` column, if any.
    pub subdistrict_name: Option<String>,
    /// Where the record came from, for messages.
    pub origin: Origin,
    /// Outside the study area (`[study.area]`) but within its buffer: it serves residents
    /// inside, but is not the area's provision. `false` without a study area.
    pub beyond_study_area: bool,
}

/// An administrative area as read, in WGS84.
#[derive(Debug, Clone)]
pub struct AreaRecord {
    /// Identifier from the area layer's `id` column.
    pub id: String,
    /// Display name; the id when the layer has no name column.
    pub name: String,
    /// For committees: the parent sub-district's name or id, when the layer gives it.
    pub parent_name: Option<String>,
    /// Boundary, WGS84 lon/lat degrees.
    pub boundary: MultiPolygon<f64>,
    /// Where the record came from, for messages.
    pub origin: Origin,
}

/// The study area as read: one polygon of the boundary layer, WGS84, and the buffer.
#[derive(Debug, Clone)]
pub struct StudyArea {
    /// The polygon's id in its layer.
    pub id: String,
    /// Its name (the id when the layer has no name).
    pub name: String,
    /// The boundary, WGS84 lon/lat degrees.
    pub boundary: MultiPolygon<f64>,
    /// Metres beyond the edge within which facilities and streets are kept.
    pub buffer_m: f64,
}

/// Everything the readers produced.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Population records: census polygons when `spread_grid_m` is set, else cells or points.
    pub population: Vec<PopulationRecord>,
    /// `Some(size_m)`: population records are census polygons to spread onto a grid of
    /// that cell size; `None`: they are points or cells with their own counts.
    pub spread_grid_m: Option<f64>,
    /// Facilities of every known kind.
    pub facilities: Vec<FacilityRecord>,
    /// Sub-district (街道 / 镇) boundaries; may be empty.
    pub subdistricts: Vec<AreaRecord>,
    /// Residential-committee (居委会 / 村委会) boundaries; may be empty.
    pub committees: Vec<AreaRecord>,
    /// Facilities the reader left out (unknown labels with `unknown_kinds = "skip"`).
    pub skipped: Skipped,
    /// Candidate sites given as data (`[siting] candidates`); `None`: generate them.
    pub candidates: Option<Vec<CandidateRecord>>,
    /// The study area every layer is clipped to (`[study.area]`), if any.
    pub study_area: Option<StudyArea>,
}

/// Facilities left out because their label is unknown and the plan says `skip`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Skipped {
    /// Label → locations of the rows that carry it.
    pub unknown_labels: BTreeMap<String, Vec<String>>,
}

/// A candidate site as read: id, WGS84 position, and its capacity when the layer has one.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRecord {
    /// Identifier from the candidate layer.
    pub id: String,
    /// Position, WGS84 lon/lat degrees.
    pub lon_lat: Coord<f64>,
    /// Demand weight a new facility there can serve (the `capacity` field), if given.
    pub capacity: Option<f64>,
}

impl Inputs {
    /// The study's centre (lon, lat) for choosing the automatic analysis CRS: the median
    /// longitude and the median latitude of the population records (each record's bounding
    /// box centre), so that a stray geocode — a failed one at (0, 0), a point in another
    /// city — cannot move the UTM zone as it moved the centre of a bounding box. Without
    /// population, the centre of the areas' bounding box. `None` when there is no geometry.
    pub fn centre(&self) -> Option<(f64, f64)> {
        if let Some(c) = self
            .study_area
            .as_ref()
            .and_then(|a| a.boundary.bounding_rect())
            .map(|r| r.center())
        {
            return Some((c.x, c.y));
        }
        let centres: Vec<Coord<f64>> = self
            .population
            .iter()
            .filter_map(|p| p.geometry.bounding_rect())
            .map(|r| r.center())
            .filter(|c| c.x.is_finite() && c.y.is_finite())
            .collect();
        if !centres.is_empty() {
            let median = |mut v: Vec<f64>| {
                let mid = v.len() / 2;
                *v.select_nth_unstable_by(mid, f64::total_cmp).1
            };
            return Some((
                median(centres.iter().map(|c| c.x).collect()),
                median(centres.iter().map(|c| c.y).collect()),
            ));
        }
        let rects = self
            .subdistricts
            .iter()
            .chain(&self.committees)
            .filter_map(|a| a.boundary.bounding_rect());
        let mut acc: Option<Rect<f64>> = None;
        for r in rects {
            acc = Some(match acc {
                None => r,
                Some(a) => Rect::new(
                    Coord {
                        x: a.min().x.min(r.min().x),
                        y: a.min().y.min(r.min().y),
                    },
                    Coord {
                        x: a.max().x.max(r.max().x),
                        y: a.max().y.max(r.max().y),
                    },
                ),
            });
        }
        acc.map(|r| (r.center().x, r.center().y))
    }
}

/// Failures of this step.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A coordinate of a record could not be projected into (or out of) the analysis CRS.
    #[error("{origin}: {source}")]
    Projection {
        /// Where the record came from.
        origin: Origin,
        /// What the projection reported.
        source: CrsError,
    },
    /// A population record's geometry is not a Point, Polygon or MultiPolygon.
    #[error(
        "{origin}: population geometry must be a Point, Polygon or MultiPolygon, found {found}"
    )]
    Geometry {
        /// Where the record came from.
        origin: Origin,
        /// The geometry type found, e.g. `LineString`.
        found: &'static str,
    },
    /// A population polygon has zero area, so its counts have nowhere to go.
    #[error("{origin}: polygon has zero area; its counts cannot be spread")]
    EmptyPolygon {
        /// Where the record came from.
        origin: Origin,
    },
    /// The population layer has no records.
    #[error("no population records: the population layer is empty")]
    NoPopulation,
}

/// What building the study noticed that the user should know.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildReport {
    /// The sub-districts are the names in the population layer's `subdistrict` field (no
    /// polygons were given): they have no boundary.
    pub subdistricts_from_field: bool,
    /// Population cells lying in no sub-district polygon, and their residents.
    pub cells_outside_subdistricts: usize,
    /// Residents (all ages) of those cells, people.
    pub residents_outside_subdistricts: f64,
    /// Population cells lying in no committee polygon.
    pub cells_outside_committees: usize,
    /// Facilities placed in no sub-district, by id.
    pub facilities_outside_subdistricts: Vec<String>,
    /// Facilities whose given sub-district name differs from the polygon they lie in:
    /// (id, name given, polygon's name).
    pub facilities_subdistrict_mismatch: Vec<(String, String, String)>,
    /// Census polygons spread onto the grid, and the grid cells they produced.
    pub polygons_spread: usize,
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// Projects geometry from WGS84 degrees into the analysis CRS.
fn project_multi(
    p: &Projection,
    g: &MultiPolygon<f64>,
    origin: &str,
) -> Result<MultiPolygon<f64>, StudyError> {
    g.try_map_coords(|c| {
        p.from_wgs84(c.x, c.y)
            .map(|(x, y)| Coord { x, y })
            .map_err(|source| StudyError::Projection {
                origin: origin.to_string(),
                source,
            })
    })
}

fn locate(p: &Projection, lon_lat: Coord<f64>, origin: &str) -> Result<Location, StudyError> {
    let (x, y) = p
        .from_wgs84(lon_lat.x, lon_lat.y)
        .map_err(|source| StudyError::Projection {
            origin: origin.to_string(),
            source,
        })?;
    Ok(Location {
        lon_lat,
        xy_m: Coord { x, y },
    })
}

fn unproject(p: &Projection, xy: Coord<f64>, origin: &str) -> Result<Coord<f64>, StudyError> {
    let (x, y) = p
        .to_wgs84(xy.x, xy.y)
        .map_err(|source| StudyError::Projection {
            origin: origin.to_string(),
            source,
        })?;
    Ok(Coord { x, y })
}

/// A spatial index over area boundaries (metres) answering "which area holds this point".
pub struct AreaIndex<'a> {
    areas: &'a [Area],
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl<'a> AreaIndex<'a> {
    /// Indexes `areas` by their metre boundaries' bounding boxes.
    pub fn new(areas: &'a [Area]) -> AreaIndex<'a> {
        let items = areas
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                a.boundary_m.bounding_rect().map(|r| {
                    GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    )
                })
            })
            .collect();
        AreaIndex {
            areas,
            tree: RTree::bulk_load(items),
        }
    }

    /// The lowest-index area whose boundary contains or touches `xy` (metres).
    pub fn area_of(&self, xy: Coord<f64>) -> Option<usize> {
        let pt = Point::from(xy);
        self.tree
            .locate_all_at_point(&[xy.x, xy.y])
            .map(|g| g.data)
            .filter(|&i| self.areas[i].boundary_m.intersects(&pt))
            .min()
    }
}

fn build_areas(
    p: &Projection,
    records: &[AreaRecord],
    level: AreaLevel,
) -> Result<Vec<Area>, StudyError> {
    records
        .iter()
        .map(|r| {
            Ok(Area {
                id: r.id.clone(),
                name: r.name.clone(),
                level,
                parent_name: r.parent_name.clone(),
                parent: None,
                boundary_m: project_multi(p, &r.boundary, &r.origin)?,
                boundary_lon_lat: r.boundary.clone(),
            })
        })
        .collect()
}

/// One grid cell being filled from census polygons.
#[derive(Default)]
struct GridAcc {
    counts: Counts,
    /// Σ share-weighted centroid of the pieces, and Σ shares (for the weighted centroid).
    weighted_xy: Coord<f64>,
    weight: f64,
}

/// Spreads census polygons onto a square grid of `size_m` aligned to multiples of the
/// size in the analysis CRS. Each polygon's counts go to the cells it overlaps in proportion
/// to the overlap area (uniform density within the polygon), so totals are preserved
/// exactly. A cell is located at the area-weighted centroid of its overlaps, so cells cut by
/// a boundary sit on the populated side.
fn spread_polygons(
    p: &Projection,
    records: &[PopulationRecord],
    size_m: f64,
) -> Result<Vec<PopulationCell>, StudyError> {
    type Pieces = Vec<((i64, i64), Counts, Coord<f64>, f64)>;
    let per_polygon: Vec<Pieces> = records
        .par_iter()
        .map(|r| -> Result<Pieces, StudyError> {
            let poly_wgs: MultiPolygon<f64> = match &r.geometry {
                Geometry::Polygon(pg) => MultiPolygon(vec![pg.clone()]),
                Geometry::MultiPolygon(mp) => mp.clone(),
                other => {
                    return Err(StudyError::Geometry {
                        origin: r.origin.clone(),
                        found: geometry_name(other),
                    })
                }
            };
            let poly = project_multi(p, &poly_wgs, &r.origin)?;
            let bbox = poly
                .bounding_rect()
                .ok_or_else(|| StudyError::EmptyPolygon {
                    origin: r.origin.clone(),
                })?;
            let (ix0, ix1) = (
                (bbox.min().x / size_m).floor() as i64,
                (bbox.max().x / size_m).floor() as i64,
            );
            let (iy0, iy1) = (
                (bbox.min().y / size_m).floor() as i64,
                (bbox.max().y / size_m).floor() as i64,
            );
            let mut pieces = Vec::new();
            for ix in ix0..=ix1 {
                for iy in iy0..=iy1 {
                    let square = Rect::new(
                        Coord {
                            x: ix as f64 * size_m,
                            y: iy as f64 * size_m,
                        },
                        Coord {
                            x: (ix + 1) as f64 * size_m,
                            y: (iy + 1) as f64 * size_m,
                        },
                    )
                    .to_polygon();
                    let piece = poly.intersection(&MultiPolygon(vec![square]));
                    let area = piece.unsigned_area();
                    if area > 0.0 {
                        if let Some(c) = piece.centroid() {
                            pieces.push(((ix, iy), Counts::default(), c.0, area));
                        }
                    }
                }
            }
            let total: f64 = pieces.iter().map(|p| p.3).sum();
            if total <= 0.0 {
                return Err(StudyError::EmptyPolygon {
                    origin: r.origin.clone(),
                });
            }
            for piece in &mut pieces {
                piece.1 = r.counts.scaled(piece.3 / total);
            }
            Ok(pieces)
        })
        .collect::<Result<_, _>>()?;

    let mut grid: BTreeMap<(i64, i64), GridAcc> = BTreeMap::new();
    for pieces in per_polygon {
        for (key, counts, centroid, area) in pieces {
            let acc = grid.entry(key).or_default();
            acc.counts.add(&counts);
            acc.weighted_xy.x += centroid.x * area;
            acc.weighted_xy.y += centroid.y * area;
            acc.weight += area;
        }
    }
    grid.into_iter()
        .map(|((ix, iy), acc)| {
            let id = format!("g{ix}_{iy}");
            let xy = Coord {
                x: acc.weighted_xy.x / acc.weight,
                y: acc.weighted_xy.y / acc.weight,
            };
            let corners = [
                (ix, iy),
                (ix + 1, iy),
                (ix + 1, iy + 1),
                (ix, iy + 1),
                (ix, iy),
            ]
            .into_iter()
            .map(|(a, b)| {
                unproject(
                    p,
                    Coord {
                        x: a as f64 * size_m,
                        y: b as f64 * size_m,
                    },
                    &id,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
            Ok(PopulationCell {
                location: Location {
                    lon_lat: unproject(p, xy, &id)?,
                    xy_m: xy,
                },
                footprint: Some(Polygon::new(LineString::from(corners), vec![])),
                counts: acc.counts,
                subdistrict: None,
                committee: None,
                id,
            })
        })
        .collect()
}

/// Cells or points that carry their own counts: located at the point or the centroid.
fn cells_from_records(
    p: &Projection,
    records: &[PopulationRecord],
) -> Result<Vec<PopulationCell>, StudyError> {
    records
        .par_iter()
        .map(|r| {
            let (lon_lat, footprint) = match &r.geometry {
                Geometry::Point(pt) => (pt.0, None),
                Geometry::Polygon(pg) => {
                    let projected = project_multi(p, &MultiPolygon(vec![pg.clone()]), &r.origin)?;
                    let c = projected
                        .centroid()
                        .ok_or_else(|| StudyError::EmptyPolygon {
                            origin: r.origin.clone(),
                        })?;
                    (unproject(p, c.0, &r.origin)?, Some(pg.clone()))
                }
                Geometry::MultiPolygon(mp) => {
                    let projected = project_multi(p, mp, &r.origin)?;
                    let c = projected
                        .centroid()
                        .ok_or_else(|| StudyError::EmptyPolygon {
                            origin: r.origin.clone(),
                        })?;
                    let footprint = if mp.0.len() == 1 {
                        Some(mp.0[0].clone())
                    } else {
                        None
                    };
                    (unproject(p, c.0, &r.origin)?, footprint)
                }
                other => {
                    return Err(StudyError::Geometry {
                        origin: r.origin.clone(),
                        found: geometry_name(other),
                    })
                }
            };
            Ok(PopulationCell {
                id: r.id.clone(),
                location: locate(p, lon_lat, &r.origin)?,
                footprint,
                counts: r.counts,
                subdistrict: None,
                committee: None,
            })
        })
        .collect()
}

/// Builds the study in the analysis CRS `p`.
pub fn build(inputs: &Inputs, p: &Projection) -> Result<(Study, BuildReport), StudyError> {
    if inputs.population.is_empty() {
        return Err(StudyError::NoPopulation);
    }
    let area = match &inputs.study_area {
        None => None,
        Some(a) => Some(Area {
            id: a.id.clone(),
            name: a.name.clone(),
            level: AreaLevel::Subdistrict,
            parent_name: None,
            parent: None,
            boundary_m: project_multi(p, &a.boundary, &format!("study area {}", a.id))?,
            boundary_lon_lat: a.boundary.clone(),
        }),
    };
    let mut report = BuildReport::default();
    let mut subdistricts = build_areas(p, &inputs.subdistricts, AreaLevel::Subdistrict)?;
    // No polygons: roll up by the records' sub-district field, if they carry one (point
    // and cell records only: spread census cells mix records).
    let by_field: Option<Vec<Option<usize>>> = (subdistricts.is_empty()
        && inputs.spread_grid_m.is_none()
        && inputs
            .population
            .iter()
            .any(|r| r.subdistrict_name.is_some()))
    .then(|| {
        let names: std::collections::BTreeSet<&str> = inputs
            .population
            .iter()
            .filter_map(|r| r.subdistrict_name.as_deref())
            .collect();
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        subdistricts = names
            .iter()
            .map(|n| Area {
                id: n.to_string(),
                name: n.to_string(),
                level: AreaLevel::Subdistrict,
                parent_name: None,
                parent: None,
                boundary_lon_lat: MultiPolygon(Vec::new()),
                boundary_m: MultiPolygon(Vec::new()),
            })
            .collect();
        report.subdistricts_from_field = true;
        inputs
            .population
            .iter()
            .map(|r| {
                r.subdistrict_name
                    .as_deref()
                    .and_then(|n| index.get(n).copied())
            })
            .collect()
    });
    let mut committees = build_areas(p, &inputs.committees, AreaLevel::Committee)?;

    let mut cells = match inputs.spread_grid_m {
        Some(size_m) => {
            report.polygons_spread = inputs.population.len();
            spread_polygons(p, &inputs.population, size_m)?
        }
        None => cells_from_records(p, &inputs.population)?,
    };

    let sub_index = AreaIndex::new(&subdistricts);
    let parents = committee_parents(&committees, &subdistricts, &sub_index);
    for (k, parent) in committees.iter_mut().zip(parents) {
        k.parent = parent;
    }
    let com_index = AreaIndex::new(&committees);
    cells.par_iter_mut().for_each(|c| {
        c.committee = com_index.area_of(c.location.xy_m);
        // A cell outside every sub-district polygon but inside a committee takes the
        // committee's parent sub-district.
        c.subdistrict = sub_index
            .area_of(c.location.xy_m)
            .or_else(|| c.committee.and_then(|k| committees[k].parent));
    });
    if let Some(of_record) = &by_field {
        for (c, s) in cells.iter_mut().zip(of_record) {
            c.subdistrict = *s;
        }
    }
    if !subdistricts.is_empty() {
        for c in cells.iter().filter(|c| c.subdistrict.is_none()) {
            report.cells_outside_subdistricts += 1;
            report.residents_outside_subdistricts += c.counts.residents;
        }
    }
    if !committees.is_empty() {
        report.cells_outside_committees = cells.iter().filter(|c| c.committee.is_none()).count();
    }

    let by_name: HashMap<&str, usize> = subdistricts
        .iter()
        .enumerate()
        .flat_map(|(i, a)| [(a.name.as_str(), i), (a.id.as_str(), i)])
        .collect();
    let mut facilities = Vec::with_capacity(inputs.facilities.len());
    for f in &inputs.facilities {
        let location = locate(p, f.lon_lat, &f.origin)?;
        let by_polygon = sub_index.area_of(location.xy_m);
        let by_field = f
            .subdistrict_name
            .as_deref()
            .and_then(|n| by_name.get(n).copied());
        if let (Some(poly), Some(name)) = (by_polygon, f.subdistrict_name.as_deref()) {
            if by_field != Some(poly) {
                report.facilities_subdistrict_mismatch.push((
                    f.id.clone(),
                    name.to_string(),
                    subdistricts[poly].name.clone(),
                ));
            }
        }
        // A facility beyond the study area (in its buffer) serves residents inside but is
        // no area's provision.
        let subdistrict = by_polygon.or(by_field).filter(|_| !f.beyond_study_area);
        if subdistrict.is_none() && !subdistricts.is_empty() && !f.beyond_study_area {
            report.facilities_outside_subdistricts.push(f.id.clone());
        }
        facilities.push(Facility {
            id: f.id.clone(),
            name: f.name.clone(),
            kind: f.kind,
            label: f.label.clone(),
            location,
            capacity: f.capacity,
            subdistrict_name: f.subdistrict_name.clone(),
            subdistrict,
            committee: com_index
                .area_of(location.xy_m)
                .filter(|_| !f.beyond_study_area),
            beyond_study_area: f.beyond_study_area,
        });
    }
    Ok((
        Study {
            cells,
            facilities,
            subdistricts,
            committees,
            candidates: Vec::new(),
            area,
        },
        report,
    ))
}

/// The sub-district each committee belongs to: by its parent name when given, else the
/// sub-district holding the committee's centroid.
fn committee_parents(
    committees: &[Area],
    subdistricts: &[Area],
    sub_index: &AreaIndex,
) -> Vec<Option<usize>> {
    committees
        .iter()
        .map(|k| {
            k.parent_name
                .as_deref()
                .and_then(|n| subdistricts.iter().position(|s| s.name == n || s.id == n))
                .or_else(|| k.boundary_m.centroid().and_then(|c| sub_index.area_of(c.0)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_geocode_does_not_move_the_utm_zone() {
        let point = |i: usize, lon: f64, lat: f64| PopulationRecord {
            subdistrict_name: None,
            id: format!("p{i}"),
            geometry: geo::Geometry::Point(geo::Point::new(lon, lat)),
            counts: Counts::default(),
            origin: format!("row {i}"),
        };
        let mut population: Vec<PopulationRecord> = (0..99)
            .map(|i| point(i, 121.40 + 0.001 * i as f64, 31.18))
            .collect();
        // A failed geocode at (0, 0): the bounding box's centre would be (60.7, 15.6), UTM 41N.
        population.push(point(99, 0.0, 0.0));
        let inputs = Inputs {
            population,
            ..Inputs::default()
        };
        let (lon, lat) = inputs.centre().unwrap();
        assert!(
            (lon - 121.449).abs() < 0.01 && (lat - 31.18).abs() < 1e-9,
            "{lon} {lat}"
        );
        let p = crate::crs::AnalysisCrs::Auto.resolve((lon, lat)).unwrap();
        assert_eq!(p.epsg(), 32651);
    }
    use geo::polygon;

    fn proj() -> Projection {
        Projection::utm_for(121.44, 31.18).unwrap()
    }

    /// A square census polygon in WGS84 around (lon, lat) with half-side `d` degrees.
    fn square(lon: f64, lat: f64, d: f64) -> Geometry<f64> {
        Geometry::Polygon(polygon![
            (x: lon - d, y: lat - d), (x: lon + d, y: lat - d),
            (x: lon + d, y: lat + d), (x: lon - d, y: lat + d), (x: lon - d, y: lat - d)
        ])
    }

    #[test]
    fn spreading_preserves_totals_and_splits_by_area() {
        let counts = Counts {
            residents: 1000.0,
            aged_60: 300.0,
            aged_65: 200.0,
            aged_80: 50.0,
        };
        let inputs = Inputs {
            population: vec![
                PopulationRecord {
                    subdistrict_name: None,
                    id: "a".into(),
                    geometry: square(121.44, 31.18, 0.004),
                    counts,
                    origin: "a".into(),
                },
                PopulationRecord {
                    subdistrict_name: None,
                    id: "b".into(),
                    geometry: square(121.45, 31.18, 0.003),
                    counts: counts.scaled(0.5),
                    origin: "b".into(),
                },
            ],
            spread_grid_m: Some(100.0),
            ..Default::default()
        };
        let (study, report) = build(&inputs, &proj()).unwrap();
        assert_eq!(report.polygons_spread, 2);
        let total = study.total_counts();
        assert!((total.residents - 1500.0).abs() < 1e-6);
        assert!((total.aged_80 - 75.0).abs() < 1e-9);
        // Roughly 0.008° × 0.008° ≈ 762 m × 890 m ≈ 68 cells of 100 m for polygon a.
        assert!(
            study.cells.len() > 100 && study.cells.len() < 160,
            "{}",
            study.cells.len()
        );
        // A full interior cell of polygon a holds 1000 × (100²) / area(a).
        let area_a = project_multi(
            &proj(),
            &match square(121.44, 31.18, 0.004) {
                Geometry::Polygon(p) => MultiPolygon(vec![p]),
                _ => unreachable!(),
            },
            "a",
        )
        .unwrap()
        .unsigned_area();
        let full = 1000.0 * 10_000.0 / area_a;
        let max_cell = study
            .cells
            .iter()
            .map(|c| c.counts.residents)
            .fold(0.0, f64::max);
        assert!((max_cell - full).abs() < 1e-6, "{max_cell} vs {full}");
    }

    #[test]
    fn cells_are_assigned_to_areas() {
        let sub = |id: &str, lon: f64| AreaRecord {
            id: id.into(),
            name: format!("{id}街道"),
            parent_name: None,
            boundary: match square(lon, 31.18, 0.005) {
                Geometry::Polygon(p) => MultiPolygon(vec![p]),
                _ => unreachable!(),
            },
            origin: id.into(),
        };
        let pt = |id: &str, lon: f64| PopulationRecord {
            subdistrict_name: None,
            id: id.into(),
            geometry: Geometry::Point(Point::new(lon, 31.18)),
            counts: Counts {
                residents: 10.0,
                aged_60: 4.0,
                aged_65: 3.0,
                aged_80: 1.0,
            },
            origin: id.into(),
        };
        let inputs = Inputs {
            population: vec![pt("p1", 121.40), pt("p2", 121.42), pt("p3", 121.50)],
            subdistricts: vec![sub("s1", 121.40), sub("s2", 121.42)],
            ..Default::default()
        };
        let (study, report) = build(&inputs, &proj()).unwrap();
        let subs: Vec<_> = study.cells.iter().map(|c| c.subdistrict).collect();
        assert_eq!(subs, vec![Some(0), Some(1), None]);
        assert_eq!(report.cells_outside_subdistricts, 1);
        assert_eq!(report.residents_outside_subdistricts, 10.0);
    }
}
