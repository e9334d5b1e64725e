//! Plausibility and extent checks of the inputs, against each other and the plan, before
//! anything is measured: a figure computed from inputs that cannot be right is an error, one
//! that may be right but deserves a look carries a named [`Warning`].
//!
//! Rules (also in the README, "Checks before the analysis"):
//!
//! - **Outlying population records**: a record whose centre lies farther than
//!   max([`OUTLIER_MIN_M`], [`OUTLIER_MEDIAN_FACTOR`] × the median distance) from the median
//!   population point is left out of the analysis, listed in a `population_outliers` warning
//!   and counted in summary.json (`checks`).
//! - **Extents**: the bounding box (lon/lat) of the population must intersect those of the
//!   facilities (grown by the largest circle reach), the sub-districts, the committees and the
//!   street network (grown by `max_snap_m`); otherwise an error names both layers and boxes.
//!   Less than [`EXTENT_ERROR_SHARE`] of the residents inside the street network's box is an
//!   error (every network figure would be near zero).
//!   Less than [`EXTENT_MIN_SHARE`] of the residents inside the street network's box is a
//!   `population_outside_extent` warning.
//! - **Analysis CRS**: an explicit `analysis_crs` whose scale error at the median population
//!   point exceeds [`MAX_SCALE_ERROR`] (1 %), or which does not map that point back onto
//!   itself, is an error.
//! - **Counts**: nothing to measure (every count 0), or every count of an age band a circle
//!   is for 0, is an error; every count of another band 0 is an `all_zero_counts` warning; a
//!   record counting more than [`MAX_RECORD_COUNT`] people is an error.
//! - **Coordinates**: every population point on one coordinate is an error; at least
//!   [`DUPLICATE_MIN_POINTS`] points, or [`DUPLICATE_MIN_SHARE`] of them (3 at least), on one
//!   coordinate is a `duplicate_coordinates` warning (a geocoder's fallback?).
//! - **Boundaries**: an empty or invalid (self-intersecting, bow-tie) boundary is an error;
//!   overlaps of more than [`OVERLAP_MIN_SHARE`] of the smaller polygon are an
//!   `overlapping_boundaries` warning with the pairs and their overlap in m²; duplicate names
//!   (committees: within one parent) and unknown parents are warnings.
//! - **Census grid**: census polygons whose bounding boxes would make more than
//!   [`MAX_GRID_CELLS`] grid cells are refused before anything is allocated, with a size
//!   that fits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo::{Area as _, BooleanOps, BoundingRect, Coord, Geometry, MapCoords, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject, AABB};
use serde::Serialize;

use crate::crs::{haversine_m, AnalysisCrs, Projection};
use crate::model::{AgeBand, FacilityKind};
use crate::network::StreetNetwork;
use crate::plan::{AreaLayer, Plan};
use crate::study::{AreaRecord, Inputs};

/// Population records farther than this from the median point may be outliers, m.
pub const OUTLIER_MIN_M: f64 = 50_000.0;
/// … when also farther than this many median distances.
pub const OUTLIER_MEDIAN_FACTOR: f64 = 10.0;
/// Below this share of the residents inside the street network's extent: a warning.
pub const EXTENT_MIN_SHARE: f64 = 0.9;

/// Below this share of the residents inside the street network's box (grown by
/// `max_snap_m`) the run is refused: every network figure would be near zero, a meaningless
/// number (a network of another district, or a clipped extract).
pub const EXTENT_ERROR_SHARE: f64 = 0.1;
/// Largest scale error accepted for an explicit analysis CRS at the median population point.
pub const MAX_SCALE_ERROR: f64 = 0.01;
/// More people than this in one population record is an error.
pub const MAX_RECORD_COUNT: f64 = 50_000_000.0;
/// This many population points on one coordinate: a warning.
pub const DUPLICATE_MIN_POINTS: usize = 20;
/// This share of the population points on one coordinate (and 3 at least): a warning.
pub const DUPLICATE_MIN_SHARE: f64 = 0.05;
/// Overlaps of more than this share of the smaller boundary are reported.
pub const OVERLAP_MIN_SHARE: f64 = 0.01;
/// Census polygons are refused when their grid would have more cells than this.
pub const MAX_GRID_CELLS: f64 = 5_000_000.0;

/// The kind of a warning: a stable snake_case name (`summary.json` → `warnings[].code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// Population cells in no sub-district polygon.
    CellsOutsideSubdistricts,
    /// Population cells in no committee polygon.
    CellsOutsideCommittees,
    /// Facilities in no sub-district.
    FacilitiesOutsideSubdistricts,
    /// A facility's stated 街镇 differs from the polygon it lies in.
    FacilitySubdistrictMismatch,
    /// Facilities with unknown labels left out (`unknown_kinds = "skip"`).
    SkippedFacilities,
    /// Cells or facilities farther than `max_snap_m` from a street.
    FarFromStreet,
    /// Cells or facilities nearer a street island than any connected street.
    StreetIslands,
    /// The network's pedestrian share is below 5 %.
    DriveOnlyNetwork,
    /// More than 1 % of walkable way-node references missing.
    ClippedNetwork,
    /// Walks more than `detour_factor` × the straight line.
    Detour,
    /// Network coverage below half the straight-line coverage.
    NetworkFarBelowStraightLine,
    /// Map labels in English only (the font has no Chinese glyphs).
    FontWithoutCjk,
    /// No font found: PNG maps without text.
    NoFont,
    /// Population records far from the bulk, left out.
    PopulationOutliers,
    /// Facilities far from every population record.
    FacilitiesFarFromPopulation,
    /// Much of the population outside a layer's extent.
    PopulationOutsideExtent,
    /// Many population points on one coordinate.
    DuplicateCoordinates,
    /// Every count of an age band is 0.
    AllZeroCounts,
    /// Area boundaries overlap.
    OverlappingBoundaries,
    /// Two areas of one layer share a name.
    DuplicateAreaNames,
    /// Committees whose stated parent 街镇 is no sub-district.
    UnknownParent,
    /// Facilities stating a capacity of 0.
    ZeroCapacity,
    /// `[study.area]`: figures near the edge that the clip affects (2SFCA, long distances).
    StudyAreaEdge,
    /// `[study.area]` read without a stated CRS (taken as WGS84).
    StudyAreaCrsAssumed,
    /// 街镇 named by the population field with very few records in the area.
    FewRecordsSubdistrict,
}

impl WarningCode {
    /// The code as summary.json writes it.
    pub fn id(self) -> &'static str {
        use WarningCode as W;
        match self {
            W::CellsOutsideSubdistricts => "cells_outside_subdistricts",
            W::CellsOutsideCommittees => "cells_outside_committees",
            W::FacilitiesOutsideSubdistricts => "facilities_outside_subdistricts",
            W::FacilitySubdistrictMismatch => "facility_subdistrict_mismatch",
            W::SkippedFacilities => "skipped_facilities",
            W::FarFromStreet => "far_from_street",
            W::StreetIslands => "street_islands",
            W::DriveOnlyNetwork => "drive_only_network",
            W::ClippedNetwork => "clipped_network",
            W::Detour => "detour",
            W::NetworkFarBelowStraightLine => "network_far_below_straight_line",
            W::FontWithoutCjk => "font_without_cjk",
            W::NoFont => "no_font",
            W::PopulationOutliers => "population_outliers",
            W::FacilitiesFarFromPopulation => "facilities_far_from_population",
            W::PopulationOutsideExtent => "population_outside_extent",
            W::DuplicateCoordinates => "duplicate_coordinates",
            W::AllZeroCounts => "all_zero_counts",
            W::OverlappingBoundaries => "overlapping_boundaries",
            W::DuplicateAreaNames => "duplicate_area_names",
            W::UnknownParent => "unknown_parent",
            W::ZeroCapacity => "zero_capacity",
            W::StudyAreaEdge => "study_area_edge",
            W::StudyAreaCrsAssumed => "study_area_crs_assumed",
            W::FewRecordsSubdistrict => "few_records_subdistrict",
        }
    }
}

impl std::fmt::Display for WarningCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Something the user should know about the figures: its kind and the message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// The kind of warning.
    pub code: WarningCode,
    /// What was found, where, and what to do.
    pub message: String,
}

impl Warning {
    /// A warning of `code`.
    pub fn new(code: WarningCode, message: impl Into<String>) -> Warning {
        Warning {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Inputs that cannot give a meaningful figure.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A record or a layer at fault: the file (and row/feature), the field, the problem.
    #[error("{origin}{}: {problem}", field.as_ref().map(|f| format!(": field '{f}'")).unwrap_or_default())]
    Input {
        /// The file, with the row or feature when one record is at fault.
        origin: String,
        /// The field at fault.
        field: Option<String>,
        /// What is wrong and what to change.
        problem: String,
    },
    /// A plan value that the inputs show cannot work.
    #[error("{}: {key}: {message}", file.display())]
    Plan {
        /// The plan file.
        file: PathBuf,
        /// The key at fault, e.g. `population.grid_cell_m`.
        key: String,
        /// What is wrong and what to change.
        message: String,
    },
}

/// A layer's extent, lon/lat degrees (4 decimals).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extent {
    /// `population`, `facilities`, `subdistricts`, `committees`, `network`.
    pub layer: &'static str,
    /// `[min, max]` longitude.
    pub lon: [f64; 2],
    /// `[min, max]` latitude.
    pub lat: [f64; 2],
}

/// What the checks decided (`summary.json` → `checks`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Checks {
    /// The outlier rule.
    pub outlier_rule: String,
    /// Population records left out as outliers.
    pub population_outliers_excluded: usize,
    /// Their residents.
    pub residents_excluded: f64,
    /// Their ids (the first 20).
    pub outlier_ids: Vec<String>,
    /// The extent rule.
    pub extent_rule: String,
    /// Each layer's extent, after outliers are left out.
    pub extents: Vec<Extent>,
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4 + 0.0
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn union(a: Option<Rect<f64>>, b: Rect<f64>) -> Rect<f64> {
    match a {
        None => b,
        Some(a) => Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        ),
    }
}

fn bbox<I: IntoIterator<Item = Rect<f64>>>(rects: I) -> Option<Rect<f64>> {
    rects.into_iter().fold(None, |acc, r| Some(union(acc, r)))
}

/// `r` grown by `m` metres on every side.
fn grow(r: Rect<f64>, m: f64) -> Rect<f64> {
    let lat = r.center().y.to_radians().cos().max(0.01);
    let (dx, dy) = (m / (111_320.0 * lat), m / 110_574.0);
    Rect::new(
        Coord {
            x: r.min().x - dx,
            y: r.min().y - dy,
        },
        Coord {
            x: r.max().x + dx,
            y: r.max().y + dy,
        },
    )
}

fn intersects(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

fn contains(r: &Rect<f64>, c: Coord<f64>) -> bool {
    (r.min().x..=r.max().x).contains(&c.x) && (r.min().y..=r.max().y).contains(&c.y)
}

fn describe(r: &Rect<f64>) -> String {
    format!(
        "lon {:.4}–{:.4}, lat {:.4}–{:.4}",
        r.min().x,
        r.max().x,
        r.min().y,
        r.max().y
    )
}

fn extent(layer: &'static str, r: &Rect<f64>) -> Extent {
    Extent {
        layer,
        lon: [round4(r.min().x), round4(r.max().x)],
        lat: [round4(r.min().y), round4(r.max().y)],
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, f64::total_cmp).1
}

/// Checks an explicit analysis CRS against the median population point `centre`: its scale
/// error there must stay within [`MAX_SCALE_ERROR`] and the point must map back onto itself.
pub fn check_analysis_crs(
    plan: &Plan,
    centre: (f64, f64),
    projection: &Projection,
) -> Result<(), CheckError> {
    if plan.analysis_crs == AnalysisCrs::Auto {
        return Ok(());
    }
    let (lon, lat) = centre;
    let err = |message: String| CheckError::Plan {
        file: plan.file.clone(),
        key: "study.analysis_crs".into(),
        message,
    };
    let auto = Projection::utm_for(lon, lat)
        .map(|p| {
            format!(
                "analysis_crs = \"auto\" (here EPSG:{}, {})",
                p.epsg(),
                p.name()
            )
        })
        .unwrap_or_else(|_| "analysis_crs = \"auto\"".into());
    let outside = || {
        err(format!(
            "EPSG:{} ({}) cannot be used at the median population point ({lon:.4}, {lat:.4}): the point lies outside the area the projection is made for. Use {auto}",
            projection.epsg(),
            projection.name()
        ))
    };
    let d = 0.01;
    let p0 = projection.from_wgs84(lon, lat).map_err(|_| outside())?;
    let back = projection.to_wgs84(p0.0, p0.1).map_err(|_| outside())?;
    if haversine_m((lon, lat), back) > 1.0 {
        return Err(outside());
    }
    let mut worst: f64 = 0.0;
    for (dlon, dlat) in [(d, 0.0), (0.0, d)] {
        let p1 = projection
            .from_wgs84(lon + dlon, lat + dlat)
            .map_err(|_| outside())?;
        let planar = ((p1.0 - p0.0).powi(2) + (p1.1 - p0.1).powi(2)).sqrt();
        let true_m = haversine_m((lon, lat), (lon + dlon, lat + dlat));
        if true_m > 0.0 {
            worst = worst.max((planar / true_m - 1.0).abs());
        }
    }
    if worst.is_nan() || worst > MAX_SCALE_ERROR {
        return Err(err(format!(
            "EPSG:{} ({}) distorts distances by {:.1} % at the median population point ({lon:.4}, {lat:.4}), more than {} %: every reach and distance would be wrong by as much. Use {auto}, or a projected CRS made for the area",
            projection.epsg(),
            projection.name(),
            100.0 * worst,
            100.0 * MAX_SCALE_ERROR
        )));
    }
    Ok(())
}

/// The centre (lon, lat) of a population record's bounding box.
fn record_centre(g: &Geometry<f64>) -> Option<Coord<f64>> {
    g.bounding_rect()
        .map(|r| r.center())
        .filter(|c| c.x.is_finite() && c.y.is_finite())
}

/// Checks the inputs before the analysis, leaving outlying population records out of
/// `inputs`; returns what was decided and the warnings.
pub fn check_inputs(
    plan: &Plan,
    inputs: &mut Inputs,
    network: Option<&StreetNetwork>,
    projection: &Projection,
) -> Result<(Checks, Vec<Warning>), CheckError> {
    let mut warnings = Vec::new();
    let pop_file = name(&plan.population.layer.path);
    let fac_file = name(&plan.facilities.layer.path);
    let mut checks = Checks {
        outlier_rule: format!(
            "population records farther than max({} km, {} × the median distance) from the median population point are left out",
            OUTLIER_MIN_M / 1000.0,
            OUTLIER_MEDIAN_FACTOR
        ),
        extent_rule: "the population's bounding box must intersect those of the facilities (grown by the largest reach), the sub-districts, the committees and the street network (grown by max_snap_m)".into(),
        ..Checks::default()
    };
    let max_reach_m = plan
        .circles
        .iter()
        .map(|c| c.radius_m())
        .fold(0.0, f64::max);

    // Outliers.
    if let Some(centre) = inputs.centre() {
        use rayon::prelude::*;
        let dist: Vec<f64> = inputs
            .population
            .par_iter()
            .map(|r| {
                record_centre(&r.geometry)
                    .map_or(f64::INFINITY, |c| haversine_m(centre, (c.x, c.y)))
            })
            .collect();
        let finite: Vec<f64> = dist.iter().copied().filter(|d| d.is_finite()).collect();
        let md = if finite.is_empty() {
            0.0
        } else {
            median(finite)
        };
        let threshold_m = OUTLIER_MIN_M.max(OUTLIER_MEDIAN_FACTOR * md);
        let out: Vec<usize> = (0..dist.len()).filter(|&i| dist[i] > threshold_m).collect();
        if !out.is_empty() && out.len() < inputs.population.len() {
            let residents: f64 = out
                .iter()
                .map(|&i| inputs.population[i].counts.residents)
                .sum();
            let listed: Vec<String> = out
                .iter()
                .take(5)
                .map(|&i| {
                    let r = &inputs.population[i];
                    let c = record_centre(&r.geometry).unwrap_or_default();
                    format!("{} ({}) at ({:.4}, {:.4})", r.id, r.origin, c.x, c.y)
                })
                .collect();
            warnings.push(Warning::new(
                WarningCode::PopulationOutliers,
                format!(
                    "{} population records ({residents:.0} residents) lie farther than {:.1} km (max(50 km, 10 × the median distance)) from the median population point ({:.4}, {:.4}) and are left out of the analysis: {}{}. A failed geocode, or a record of another area? Fix or remove them",
                    out.len(),
                    threshold_m / 1000.0,
                    centre.0,
                    centre.1,
                    listed.join("; "),
                    if out.len() > 5 { " …" } else { "" }
                ),
            ));
            checks.population_outliers_excluded = out.len();
            checks.residents_excluded = (residents * 10.0).round() / 10.0;
            checks.outlier_ids = out
                .iter()
                .take(20)
                .map(|&i| inputs.population[i].id.clone())
                .collect();
            let mut k = 0;
            inputs.population.retain(|_| {
                k += 1;
                dist[k - 1] <= threshold_m
            });
        }
        // Facilities far from every population record.
        let far: Vec<&str> = inputs
            .facilities
            .iter()
            .filter(|f| haversine_m(centre, (f.lon_lat.x, f.lon_lat.y)) > threshold_m + max_reach_m)
            .map(|f| f.id.as_str())
            .collect();
        if !far.is_empty() {
            warnings.push(Warning::new(
                WarningCode::FacilitiesFarFromPopulation,
                format!(
                    "{} facilities of {fac_file} lie farther than {:.1} km from the median population point ({:.4}, {:.4}), beyond every population record: {}. They count in the district's totals but serve no one; a failed geocode, or a wrong crs?",
                    far.len(),
                    (threshold_m + max_reach_m) / 1000.0,
                    centre.0,
                    centre.1,
                    far.iter().take(10).copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }

    check_counts(plan, inputs, &pop_file, &mut warnings)?;
    check_coordinates(plan, inputs, &mut warnings)?;

    // Extents.
    let pop_box = bbox(
        inputs
            .population
            .iter()
            .filter_map(|r| r.geometry.bounding_rect()),
    );
    if let Some(pop_box) = pop_box {
        checks.extents.push(extent("population", &pop_box));
        let mut layers: Vec<(&'static str, String, Rect<f64>, String)> = Vec::new();
        if let Some(r) = bbox(
            inputs
                .facilities
                .iter()
                .map(|f| Rect::new(f.lon_lat, f.lon_lat)),
        ) {
            checks.extents.push(extent("facilities", &r));
            layers.push((
                "facilities",
                fac_file.clone(),
                grow(r, max_reach_m),
                format!(" (grown by the largest reach, {max_reach_m} m)"),
            ));
        }
        for (layer, records, spec) in [
            ("subdistricts", &inputs.subdistricts, &plan.subdistricts),
            ("committees", &inputs.committees, &plan.committees),
        ] {
            if let (Some(r), Some(spec)) = (
                bbox(records.iter().filter_map(|a| a.boundary.bounding_rect())),
                spec,
            ) {
                checks.extents.push(extent(layer, &r));
                layers.push((layer, name(&spec.layer.path), r, String::new()));
            }
        }
        if let (Some(n), Some(spec)) = (network, &plan.network) {
            if let Some(r) = bbox(n.graph.lon_lat.iter().map(|&c| Rect::new(c, c))) {
                checks.extents.push(extent("network", &r));
                let grown = grow(r, spec.max_snap_m);
                let residents: f64 = inputs.population.iter().map(|p| p.counts.residents).sum();
                let (mut inside, mut all) = (0.0, 0.0);
                for p in &inputs.population {
                    let w = if residents > 0.0 {
                        p.counts.residents
                    } else {
                        1.0
                    };
                    all += w;
                    if record_centre(&p.geometry).is_some_and(|c| contains(&grown, c)) {
                        inside += w;
                    }
                }
                if intersects(&grown, &pop_box) && all > 0.0 && inside < EXTENT_ERROR_SHARE * all {
                    return Err(CheckError::Input {
                        origin: name(&spec.path),
                        field: None,
                        problem: format!(
                            "only {:.1} % of the residents of {pop_file} lie within the extent of this street network ({}, grown by max_snap_m = {} m; the population lies in {}), less than {:.0} %: every figure along the streets would be near zero. Use a network extract that covers the study area (or leave [network] out to measure in a straight line)",
                            100.0 * inside / all,
                            describe(&r),
                            spec.max_snap_m,
                            describe(&pop_box),
                            100.0 * EXTENT_ERROR_SHARE
                        ),
                    });
                }
                if intersects(&grown, &pop_box) && all > 0.0 && inside < EXTENT_MIN_SHARE * all {
                    warnings.push(Warning::new(
                        WarningCode::PopulationOutsideExtent,
                        format!(
                            "only {:.1} % of the residents of {pop_file} lie within the extent of the street network {} ({}): the network does not cover the study area; people outside it are not reached along streets",
                            100.0 * inside / all,
                            name(&spec.path),
                            describe(&r)
                        ),
                    ));
                }
                layers.push((
                    "network",
                    name(&spec.path),
                    grown,
                    format!(" (grown by max_snap_m = {} m)", spec.max_snap_m),
                ));
            }
        }
        for (layer, file, r, grown) in layers {
            if !intersects(&r, &pop_box) {
                return Err(CheckError::Input {
                    origin: file,
                    field: None,
                    problem: format!(
                        "the {layer} layer does not overlap the population layer {pop_file}: {layer} lie in {}{grown}, the population in {}. Is a layer's crs wrong (WGS84, GCJ02, BD09, EPSG:<code>), or are the files of different areas?",
                        describe(&r),
                        describe(&pop_box)
                    ),
                });
            }
        }
    }

    check_capacities(inputs, &fac_file, &mut warnings);
    if let Some(spec) = &plan.subdistricts {
        check_areas(
            spec,
            "sub-district",
            &inputs.subdistricts,
            projection,
            &mut warnings,
        )?;
    }
    if let Some(spec) = &plan.committees {
        check_areas(
            spec,
            "committee",
            &inputs.committees,
            projection,
            &mut warnings,
        )?;
        if !inputs.subdistricts.is_empty() {
            let known: std::collections::HashSet<&str> = inputs
                .subdistricts
                .iter()
                .flat_map(|s| [s.name.as_str(), s.id.as_str()])
                .collect();
            let unknown: Vec<String> = inputs
                .committees
                .iter()
                .filter_map(|c| {
                    let p = c.parent_name.as_deref()?;
                    (!known.contains(p)).then(|| format!("{} ('{p}')", c.id))
                })
                .collect();
            if !unknown.is_empty() {
                warnings.push(Warning::new(
                    WarningCode::UnknownParent,
                    format!(
                        "{} committees of {} name a parent sub-district that is no sub-district's name or id: {}; their sub-district is found from the polygons instead",
                        unknown.len(),
                        name(&spec.layer.path),
                        unknown.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    if let Some(size_m) = inputs.spread_grid_m {
        check_grid(plan, inputs, projection, size_m)?;
    }
    Ok((checks, warnings))
}

fn check_counts(
    plan: &Plan,
    inputs: &Inputs,
    pop_file: &str,
    warnings: &mut Vec<Warning>,
) -> Result<(), CheckError> {
    let f = &plan.population.fields;
    let path = plan.population.layer.path.display().to_string();
    for r in &inputs.population {
        for band in AgeBand::ALL {
            let v = r.counts.band(band);
            if v > MAX_RECORD_COUNT {
                return Err(CheckError::Input {
                    origin: r.origin.clone(),
                    field: f.band(band).1.column().map(str::to_string),
                    problem: format!(
                        "{v} people in one record, more than {MAX_RECORD_COUNT}: not a count of people"
                    ),
                });
            }
        }
    }
    if inputs.population.is_empty() {
        return Ok(());
    }
    let total = |band: AgeBand| {
        inputs
            .population
            .iter()
            .map(|r| r.counts.band(band))
            .sum::<f64>()
    };
    let n = inputs.population.len();
    if AgeBand::ALL.iter().all(|&b| total(b) == 0.0) {
        return Err(CheckError::Input {
            origin: path,
            field: f.residents.column().map(str::to_string),
            problem: format!(
                "every count of the {n} population records is 0: nothing to measure. Name the columns holding the counts in [population.fields]"
            ),
        });
    }
    for band in AgeBand::ALL {
        let (logical, field) = f.band(band);
        let Some(column) = field.column() else {
            continue;
        };
        if total(band) > 0.0 {
            continue;
        }
        if let Some(c) = plan.circles.iter().find(|c| c.age_band == band) {
            return Err(CheckError::Input {
                origin: path,
                field: Some(column.to_string()),
                problem: format!(
                    "every one of the {n} population records counts 0 people aged {band}, but circle {} is for that age band: its share would be undefined. Name the right column as population.fields.{logical}",
                    c.name
                ),
            });
        }
        warnings.push(Warning::new(
            WarningCode::AllZeroCounts,
            format!(
                "every one of the {n} records of {pop_file} counts 0 in '{column}' (population.fields.{logical}, people aged {band}): its figures are 0; is it the right column?"
            ),
        ));
    }
    Ok(())
}

fn check_coordinates(
    plan: &Plan,
    inputs: &Inputs,
    warnings: &mut Vec<Warning>,
) -> Result<(), CheckError> {
    // Points by coordinate (rounded to 1e-6°), sorted so that equal ones are adjacent (in
    // file order): a million points sort in parallel faster than a hash map of lists.
    use rayon::prelude::*;
    let mut keyed: Vec<((i64, i64), usize)> = inputs
        .population
        .par_iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.geometry {
            Geometry::Point(p) => Some((
                ((p.x() * 1e6).round() as i64, (p.y() * 1e6).round() as i64),
                i,
            )),
            _ => None,
        })
        .collect();
    let points = keyed.len();
    if points < 2 {
        return Ok(());
    }
    keyed.par_sort_unstable();
    // Runs of equal coordinates: (coordinate, the records there in file order).
    let mut at: Vec<(&(i64, i64), Vec<usize>)> = Vec::new();
    let mut distinct = 0usize;
    let mut k = 0;
    while k < keyed.len() {
        let run = keyed[k..].partition_point(|(c, _)| *c == keyed[k].0);
        distinct += 1;
        if run >= 3 {
            at.push((
                &keyed[k].0,
                keyed[k..k + run].iter().map(|&(_, i)| i).collect(),
            ));
        }
        k += run;
    }
    let path = plan.population.layer.path.display().to_string();
    if distinct == 1 && points == inputs.population.len() {
        let p = &inputs.population[0];
        let c = record_centre(&p.geometry).unwrap_or_default();
        return Err(CheckError::Input {
            origin: path,
            field: Some("geometry".into()),
            problem: format!(
                "every one of the {points} population points lies at ({}, {}): nothing can be measured between them. Are the coordinates columns right, or did the geocoder fail?",
                c.x, c.y
            ),
        });
    }
    let mut heaps: Vec<(&(i64, i64), &Vec<usize>)> = at
        .iter()
        .map(|(c, v)| (*c, v))
        .filter(|(_, v)| {
            v.len() >= DUPLICATE_MIN_POINTS
                || (v.len() >= 3 && v.len() as f64 >= DUPLICATE_MIN_SHARE * points as f64)
        })
        .collect();
    heaps.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (key, ids) in heaps.into_iter().take(3) {
        let listed: Vec<&str> = ids
            .iter()
            .take(5)
            .map(|&i| inputs.population[i].id.as_str())
            .collect();
        warnings.push(Warning::new(
            WarningCode::DuplicateCoordinates,
            format!(
                "{} of the {points} population points of {} lie on one coordinate ({}, {}) ({}{}): a geocoder's fallback (a district or street centre)? Their people are all counted there",
                ids.len(),
                name(&plan.population.layer.path),
                key.0 as f64 / 1e6,
                key.1 as f64 / 1e6,
                listed.join(", "),
                if ids.len() > 5 { ", …" } else { "" }
            ),
        ));
    }
    Ok(())
}

fn check_capacities(inputs: &Inputs, fac_file: &str, warnings: &mut Vec<Warning>) {
    let mut zero = Vec::new();
    for f in &inputs.facilities {
        let c = &f.capacity;
        let fields = [
            ("floor_area_m2", c.floor_area_m2, true),
            (
                "beds",
                c.beds,
                matches!(f.kind, FacilityKind::NursingHome | FacilityKind::CareHome),
            ),
            (
                "meals_per_day",
                c.meals_per_day,
                f.kind == FacilityKind::MealPoint,
            ),
            ("day_places", c.day_places, f.kind == FacilityKind::DayCare),
        ];
        for (field, v, applies) in fields {
            if applies && v == Some(0.0) {
                zero.push(format!("{} ({field})", f.id));
            }
        }
    }
    if !zero.is_empty() {
        warnings.push(Warning::new(
            WarningCode::ZeroCapacity,
            format!(
                "{} facilities of {fac_file} state a capacity of 0: {}. They count as facilities but add nothing to the capacity figures; leave the value blank where it is not known",
                zero.len(),
                zero.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
}

fn check_areas(
    spec: &AreaLayer,
    what: &str,
    records: &[AreaRecord],
    projection: &Projection,
    warnings: &mut Vec<Warning>,
) -> Result<(), CheckError> {
    use geo::Validation;
    let file = name(&spec.layer.path);
    let mut projected = Vec::with_capacity(records.len());
    for r in records {
        let err = |problem: String| CheckError::Input {
            origin: r.origin.clone(),
            field: Some("geometry".into()),
            problem,
        };
        if r.boundary.0.is_empty() {
            return Err(err(format!(
                "the {what} boundary of '{}' is empty; give its polygon, or leave the feature out",
                r.id
            )));
        }
        if let Err(e) = r.boundary.check_validation() {
            return Err(err(format!(
                "the {what} boundary of '{}' is not a valid polygon ({e}): a bow-tie, a self-intersecting ring or a ring without area? Repair it (QGIS: Fix geometries; shapely: make_valid)",
                r.id
            )));
        }
        if r.boundary.unsigned_area() <= 0.0 {
            return Err(err(format!(
                "the {what} boundary of '{}' has no area; give its polygon, or leave the feature out",
                r.id
            )));
        }
        let m = r
            .boundary
            .try_map_coords(|c| projection.from_wgs84(c.x, c.y).map(|(x, y)| Coord { x, y }))
            .map_err(|e| err(e.to_string()))?;
        projected.push(m);
    }
    // Duplicate names (committees: within one parent).
    let mut by_name: BTreeMap<(Option<&str>, &str), Vec<&str>> = BTreeMap::new();
    for r in records {
        by_name
            .entry((r.parent_name.as_deref(), r.name.as_str()))
            .or_default()
            .push(r.id.as_str());
    }
    let dups: Vec<String> = by_name
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((_, n), ids)| format!("'{n}' ({})", ids.join(", ")))
        .collect();
    if !dups.is_empty() {
        warnings.push(Warning::new(
            WarningCode::DuplicateAreaNames,
            format!(
                "{} names are used by more than one {what} in {file}: {}; tables and lookups by name cannot tell them apart",
                dups.len(),
                dups.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    // Overlaps, by an R-tree on the envelopes.
    let items: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = projected
        .iter()
        .enumerate()
        .filter_map(|(i, m): (usize, &MultiPolygon<f64>)| {
            m.bounding_rect().map(|r| {
                GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                )
            })
        })
        .collect();
    let tree = RTree::bulk_load(items.clone());
    let mut pairs = Vec::new();
    for a in &items {
        let env: AABB<[f64; 2]> = a.envelope();
        for b in tree.locate_in_envelope_intersecting(&env) {
            let (i, j) = (a.data, b.data);
            if j <= i {
                continue;
            }
            let overlap = projected[i].intersection(&projected[j]).unsigned_area();
            let smaller = projected[i]
                .unsigned_area()
                .min(projected[j].unsigned_area());
            if overlap > OVERLAP_MIN_SHARE * smaller {
                pairs.push((i, j, overlap));
            }
        }
    }
    pairs.sort_by_key(|p| (p.0, p.1));
    if !pairs.is_empty() {
        let listed: Vec<String> = pairs
            .iter()
            .take(10)
            .map(|&(i, j, a)| format!("'{}' × '{}' {a:.0} m²", records[i].id, records[j].id))
            .collect();
        warnings.push(Warning::new(
            WarningCode::OverlappingBoundaries,
            format!(
                "{} pairs of {what} boundaries in {file} overlap by more than {} % of the smaller: {}{}; a cell in an overlap counts in the first only",
                pairs.len(),
                100.0 * OVERLAP_MIN_SHARE,
                listed.join(", "),
                if pairs.len() > 10 { ", …" } else { "" }
            ),
        ));
    }
    Ok(())
}

fn check_grid(
    plan: &Plan,
    inputs: &Inputs,
    projection: &Projection,
    size_m: f64,
) -> Result<(), CheckError> {
    let mut area_m2 = 0.0;
    for r in &inputs.population {
        let Some(b) = r.geometry.bounding_rect() else {
            continue;
        };
        let corners: Vec<(f64, f64)> = [
            (b.min().x, b.min().y),
            (b.max().x, b.min().y),
            (b.min().x, b.max().y),
            (b.max().x, b.max().y),
        ]
        .iter()
        .filter_map(|&(x, y)| projection.from_wgs84(x, y).ok())
        .collect();
        if corners.is_empty() {
            continue;
        }
        let (x0, x1) = corners
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, c| {
                (a.0.min(c.0), a.1.max(c.0))
            });
        let (y0, y1) = corners
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, c| {
                (a.0.min(c.1), a.1.max(c.1))
            });
        area_m2 += ((x1 - x0) / size_m + 1.0) * ((y1 - y0) / size_m + 1.0) * size_m * size_m;
    }
    let cells = area_m2 / (size_m * size_m);
    if cells > MAX_GRID_CELLS {
        let suggested = (area_m2 / 1e6).sqrt().max(1.0);
        let nice = [
            1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0,
        ]
        .into_iter()
        .find(|&s| s >= suggested)
        .unwrap_or(suggested.ceil());
        return Err(CheckError::Plan {
            file: plan.file.clone(),
            key: "population.grid_cell_m".into(),
            message: format!(
                "grid_cell_m = {size_m} would spread the {} census polygons onto about {cells:.0} grid cells (their bounding boxes cover {:.1} km²), more than {MAX_GRID_CELLS}: set grid_cell_m = {nice} or more (about {:.0} cells)",
                inputs.population.len(),
                area_m2 / 1e6,
                area_m2 / (nice * nice)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Counts;
    use crate::study::PopulationRecord;

    fn plan(extra: &str) -> Plan {
        let text = format!(
            "[study]\nname = \"t\"\n{extra}\n[population]\npath = \"p.csv\"\n[facilities]\npath = \"f.csv\"\n"
        );
        Plan::parse(&text, Path::new("plan.toml")).unwrap()
    }

    fn point(i: usize, lon: f64, lat: f64) -> PopulationRecord {
        PopulationRecord {
            subdistrict_name: None,
            id: format!("p{i}"),
            geometry: Geometry::Point(geo::Point::new(lon, lat)),
            counts: Counts {
                residents: 100.0,
                aged_60: 30.0,
                aged_65: 20.0,
                aged_80: 5.0,
            },
            origin: format!("p.csv: row {i}"),
        }
    }

    #[test]
    fn web_mercator_is_refused_in_shanghai_and_utm_accepted() {
        let centre = (121.44, 31.18);
        let p = plan("analysis_crs = \"EPSG:3857\"");
        let e = check_analysis_crs(&p, centre, &Projection::from_epsg(3857).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("study.analysis_crs") && e.contains("17.0 %"),
            "{e}"
        );
        let p = plan("analysis_crs = \"EPSG:32651\"");
        check_analysis_crs(&p, centre, &Projection::from_epsg(32651).unwrap()).unwrap();
    }

    #[test]
    fn outliers_are_left_out_and_counted() {
        let p = plan("");
        let mut population: Vec<PopulationRecord> = (0..20)
            .map(|i| point(i, 121.44 + 0.001 * i as f64, 31.18))
            .collect();
        population.push(point(20, 0.0, 0.0));
        let mut inputs = Inputs {
            population,
            ..Inputs::default()
        };
        let proj = Projection::utm_for(121.44, 31.18).unwrap();
        let (checks, warnings) = check_inputs(&p, &mut inputs, None, &proj).unwrap();
        assert_eq!(inputs.population.len(), 20);
        assert_eq!(checks.population_outliers_excluded, 1);
        assert_eq!(checks.outlier_ids, ["p20"]);
        assert!(warnings
            .iter()
            .any(|w| w.code == WarningCode::PopulationOutliers && w.message.contains("p20")));
    }

    #[test]
    fn warning_codes_are_snake_case_in_json() {
        let w = Warning::new(WarningCode::DriveOnlyNetwork, "x");
        let json = serde_json_like(&w);
        assert_eq!(json, "drive_only_network");
    }

    /// The code as serde writes it (through the `toml` serializer the core already has).
    fn serde_json_like(w: &Warning) -> String {
        #[derive(Serialize)]
        struct Wrap<'a> {
            code: &'a WarningCode,
        }
        let t = toml::to_string(&Wrap { code: &w.code }).unwrap();
        assert_eq!(
            w.code.id(),
            t.trim().trim_start_matches("code = ").trim_matches('"')
        );
        w.code.id().to_string()
    }
}
