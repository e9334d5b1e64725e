//! The plan's input layers read into study records, with every coordinate converted to
//! WGS84 on read (GCJ-02, BD-09, projected EPSG) and every value checked.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use geo::{Centroid, Coord, Geometry, MapCoords, MultiPolygon, Point};

use crate::crs::{geographic_to_wgs84, InputCrs, Projection};
use crate::io::{csv_table, geojson_table, Format, ReadError, Row, Table};
use crate::model::{AgeBand, Capacity, Counts, FacilityKind};
use crate::network::OsmData;
use crate::plan::{
    AreaLayer, CandidateLayer, FacilityLayer, FieldName, Layer, Plan, PopulationGeometry,
    PopulationLayer, StudyAreaLayer, UnknownKinds,
};
use crate::study::{AreaRecord, FacilityRecord, Inputs, PopulationRecord};
pub use crate::study::{CandidateRecord, Skipped};
use crate::study_area::StudyArea;

/// The columns a layer's rows are located by.
#[derive(Clone, Copy)]
struct Coords<'a> {
    /// CSV longitude / x and latitude / y (`None`: the layer has no such fields).
    lon: Option<&'a FieldName>,
    lat: Option<&'a FieldName>,
    /// The band of a population raster holding the residents.
    #[cfg_attr(not(feature = "gdal"), allow(dead_code))]
    raster_residents: &'a str,
}

impl<'a> Coords<'a> {
    /// Located by `lon` and `lat` (in a CSV); a raster's residents in band `residents`.
    fn lon_lat(lon: &'a FieldName, lat: &'a FieldName) -> Coords<'a> {
        Coords {
            lon: Some(lon),
            lat: Some(lat),
            raster_residents: "residents",
        }
    }
}

/// Reads the table of a layer; for CSV, geometry comes from the lon/lat (or x/y) columns.
fn read_table(layer: &Layer, coords: Coords) -> Result<Table, ReadError> {
    let mut table = match Format::of(&layer.path)? {
        Format::Csv => csv_table::read(&layer.path, layer.encoding, layer.delimiter)?,
        Format::GeoJson => geojson_table::read(&layer.path)?,
        Format::GdalVector | Format::GdalRaster => {
            unreachable!("GDAL files are read by read_located")
        }
    };
    if table.columns.is_some() {
        let (Some(lon), Some(lat)) = (
            coords.lon.and_then(FieldName::column),
            coords.lat.and_then(FieldName::column),
        ) else {
            return Err(ReadError::file(
                &layer.path,
                "a CSV layer needs lon and lat fields for its coordinates",
            ));
        };
        table.require_column(lon, "longitude / x")?;
        table.require_column(lat, "latitude / y")?;
        for row in &mut table.rows {
            let coord = |field: &str| -> Result<f64, ReadError> {
                let text = row.text(field).ok_or_else(|| {
                    ReadError::at(
                        &layer.path,
                        &row.location,
                        Some(field),
                        "missing coordinate",
                    )
                })?;
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        ReadError::at(
                            &layer.path,
                            &row.location,
                            Some(field),
                            format!("'{text}' is not a number; expected a coordinate"),
                        )
                    })
            };
            let (x, y) = (coord(lon)?, coord(lat)?);
            row.geometry = Some(Geometry::Point(Point::new(x, y)));
        }
    }
    Ok(table)
}

/// Checks that geographic coordinates are in range, with a hint when lon/lat look swapped.
fn check_range(file: &Path, row: &Row, c: Coord<f64>) -> Result<(), ReadError> {
    let ok = |lon: f64, lat: f64| (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
    if ok(c.x, c.y) {
        return Ok(());
    }
    let hint = if ok(c.y, c.x) {
        "; longitude and latitude look swapped (expected [lon, lat] / x = longitude)"
    } else {
        "; is the layer's crs right? (projected coordinates need crs = \"EPSG:<code>\")"
    };
    Err(ReadError::at(
        file,
        &row.location,
        Some("geometry"),
        format!(
            "coordinate ({}, {}) is out of range: longitude must lie in [-180, 180] and latitude in [-90, 90]{hint}",
            c.x, c.y
        ),
    ))
}

/// Converts a row's geometry from the layer's CRS to WGS84.
fn to_wgs84(
    layer: &Layer,
    projected: Option<&Projection>,
    row: &Row,
    g: &Geometry<f64>,
) -> Result<Geometry<f64>, ReadError> {
    match (layer.crs, projected) {
        (InputCrs::Epsg(_), Some(p)) => g.try_map_coords(|c| {
            p.to_wgs84(c.x, c.y)
                .map(|(x, y)| Coord { x, y })
                .map_err(|e| {
                    ReadError::at(&layer.path, &row.location, Some("geometry"), e.to_string())
                })
        }),
        (crs, _) => g.try_map_coords(|c| {
            check_range(&layer.path, row, c)?;
            let (x, y) = geographic_to_wgs84(crs, c.x, c.y);
            Ok(Coord { x, y })
        }),
    }
}

/// A table with its rows' geometries in WGS84.
struct Located {
    table: Table,
    geometries: Vec<Geometry<f64>>,
}

fn read_located(layer: &Layer, coords: Coords) -> Result<Located, ReadError> {
    #[cfg(feature = "gdal")]
    {
        use crate::io::gdal_io::{read_raster, read_vector, FileCrs};
        let read = match Format::of(&layer.path)? {
            Format::GdalVector => Some(read_vector(layer)?),
            Format::GdalRaster => Some(read_raster(layer, coords.raster_residents)?),
            _ => None,
        };
        if let Some((table, FileCrs::Transformed)) = read {
            // Longitude/latitude now; GCJ-02 / BD-09 when the plan says the file's
            // "WGS84" coordinates are a web map's.
            let crs = match layer.crs {
                c @ (InputCrs::Gcj02 | InputCrs::Bd09) => c,
                _ => InputCrs::Wgs84,
            };
            let geometries = table
                .rows
                .iter()
                .map(|row| {
                    let g = row.geometry.as_ref().ok_or_else(|| {
                        ReadError::at(
                            &layer.path,
                            &row.location,
                            Some("geometry"),
                            "missing geometry",
                        )
                    })?;
                    g.try_map_coords(|c| {
                        check_range(&layer.path, row, c)?;
                        let (x, y) = geographic_to_wgs84(crs, c.x, c.y);
                        Ok(Coord { x, y })
                    })
                })
                .collect::<Result<Vec<_>, ReadError>>()?;
            return Ok(Located { table, geometries });
        } else if let Some((table, FileCrs::Unstated)) = read {
            return located_in_stated_crs(layer, table);
        }
    }
    let table = read_table(layer, coords)?;
    located_in_stated_crs(layer, table)
}

/// Refuses a layer declared projected (`EPSG:<code>`, metres) whose coordinates all look like
/// degrees: every one within ±180 / ±90 and the whole layer spanning less than 10 units.
fn check_degrees_declared_projected(layer: &Layer, table: &Table) -> Result<(), ReadError> {
    use geo::CoordsIter;
    let InputCrs::Epsg(code) = layer.crs else {
        return Ok(());
    };
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    let mut any = false;
    for g in table.rows.iter().filter_map(|r| r.geometry.as_ref()) {
        for c in g.coords_iter() {
            if !((-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)) {
                return Ok(());
            }
            any = true;
            (x0, x1, y0, y1) = (x0.min(c.x), x1.max(c.x), y0.min(c.y), y1.max(c.y));
        }
    }
    if any && (x1 - x0).max(y1 - y0) < 10.0 {
        return Err(ReadError::file(
            &layer.path,
            format!(
                "crs: the layer is declared EPSG:{code} (projected, in metres) but every coordinate looks like degrees (x {x0}–{x1}, y {y0}–{y1}, less than 10 units across); state crs = \"WGS84\" (or \"GCJ02\" / \"BD09\" for web-map coordinates)"
            ),
        ));
    }
    Ok(())
}

/// Converts a table's geometries from the CRS the plan states to WGS84 (taken out of the
/// rows: one copy of each geometry in memory).
fn located_in_stated_crs(layer: &Layer, mut table: Table) -> Result<Located, ReadError> {
    check_degrees_declared_projected(layer, &table)?;
    let projected = match layer.crs {
        InputCrs::Epsg(code) => Some(
            Projection::from_epsg(code)
                .map_err(|e| ReadError::file(&layer.path, format!("crs: {e}")))?,
        ),
        _ => None,
    };
    let geometries = table
        .rows
        .iter_mut()
        .map(|row| {
            let g = row.geometry.take().ok_or_else(|| {
                ReadError::at(
                    &layer.path,
                    &row.location,
                    Some("geometry"),
                    "missing geometry",
                )
            })?;
            to_wgs84(layer, projected.as_ref(), row, &g)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Located { table, geometries })
}

/// The id of a row: the id field's value, or the row's location when the plan names no
/// id field. Ids must be unique within the layer: the first row (in file order) that
/// repeats an earlier id is reported, with the row it repeats.
///
/// Duplicates are found by sorting the row numbers by id (in parallel, no copy of the ids),
/// which at a million rows is several times faster than a hash set of owned strings.
fn ids(id_field: &FieldName, table: &Table) -> Result<Vec<String>, ReadError> {
    use rayon::prelude::*;
    let out: Vec<String> = match id_field.column() {
        Some(f) => {
            // The first row without an id, in file order, is the one reported.
            if let Some(row) = table.rows.par_iter().find_first(|r| r.text(f).is_none()) {
                table.text(row, f)?;
            }
            table
                .rows
                .par_iter()
                .map(|row| row.text(f).unwrap_or_default().to_string())
                .collect()
        }
        None => table
            .rows
            .par_iter()
            .map(|r| r.location.to_string())
            .collect(),
    };
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.par_sort_unstable_by(|&a, &b| out[a].cmp(&out[b]).then(a.cmp(&b)));
    // Per run of equal ids (rows in file order), its first two rows; the earliest repeat wins.
    let repeat = (1..order.len())
        .filter(|&k| out[order[k]] == out[order[k - 1]])
        .filter(|&k| k < 2 || out[order[k - 1]] != out[order[k - 2]])
        .map(|k| (order[k], order[k - 1]))
        .min();
    if let Some((row, first)) = repeat {
        let location = &table.rows[row].location;
        return Err(ReadError::at(
            &table.file,
            location,
            id_field.column(),
            format!(
                "duplicate id '{}' (first used at {}); ids must be unique",
                out[row], table.rows[first].location
            ),
        ));
    }
    Ok(out)
}

/// Checks that the columns of `required` fields (logical name, field) exist.
fn require_columns(table: &Table, required: &[(&str, &FieldName)]) -> Result<(), ReadError> {
    for (logical, field) in required {
        if let Some(f) = field.column() {
            table.require_column(f, logical)?;
        }
    }
    Ok(())
}

/// The column of an optional logical field: `None` when the plan says the data has none,
/// or when the default name is absent from a CSV header. A name the plan gives explicitly
/// must exist.
fn optional_field<'f>(
    table: &Table,
    logical: &str,
    field: &'f FieldName,
) -> Result<Option<&'f str>, ReadError> {
    match field.column() {
        Some(f) if table.has_column(f) => Ok(Some(f)),
        Some(f) if field.is_explicit() => table.require_column(f, logical).map(|()| None),
        _ => Ok(None),
    }
}

/// Reads the population layer.
pub fn read_population(spec: &PopulationLayer) -> Result<Vec<PopulationRecord>, ReadError> {
    let f = &spec.fields;
    let coords = Coords {
        raster_residents: f.residents.column().unwrap_or("residents"),
        ..Coords::lon_lat(&f.lon, &f.lat)
    };
    let Located {
        mut table,
        geometries,
    } = read_located(&spec.layer, coords)?;
    require_columns(
        &table,
        &[
            ("id", &f.id),
            ("residents", &f.residents),
            ("aged_60", &f.aged_60),
            ("aged_65", &f.aged_65),
            ("aged_80", &f.aged_80),
        ],
    )?;
    let ids = ids(&f.id, &table)?;
    let subdistrict_field = optional_field(&table, "subdistrict", &f.subdistrict)?;
    // The rows are consumed as the records are made: each row's values are freed as it goes
    // (at a million rows, a third of the read's peak memory).
    let rows = std::mem::take(&mut table.rows);
    let table = &table;
    let mut out = Vec::with_capacity(rows.len());
    for ((row, geometry), id) in rows.into_iter().zip(geometries).zip(ids) {
        let row = &row;
        let count = |band: AgeBand| -> Result<f64, ReadError> {
            if let Some(w) = spec.weight.band(band) {
                return Ok(w);
            }
            match f.band(band).1.column() {
                Some(c) => Ok(table.number(row, c, true)?.unwrap_or(0.0)),
                None => Ok(0.0),
            }
        };
        let counts = Counts {
            residents: count(AgeBand::Residents)?,
            aged_60: count(AgeBand::Aged60)?,
            aged_65: count(AgeBand::Aged65)?,
            aged_80: count(AgeBand::Aged80)?,
        };
        let nested = [
            (&f.aged_60, counts.aged_60, &f.residents, counts.residents),
            (&f.aged_65, counts.aged_65, &f.aged_60, counts.aged_60),
            (&f.aged_80, counts.aged_80, &f.aged_65, counts.aged_65),
        ];
        for (band, v, outer, outer_v) in nested {
            if let (Some(bf), Some(of)) = (band.column(), outer.column()) {
                if v > outer_v * (1.0 + 1e-9) {
                    return Err(ReadError::at(
                        &table.file,
                        &row.location,
                        Some(bf),
                        format!("{v} exceeds {of} ({outer_v}); age bands must nest"),
                    ));
                }
            }
        }
        let kind_ok = matches!(
            (spec.geometry, &geometry),
            (PopulationGeometry::Cells, Geometry::Point(_))
                | (_, Geometry::Polygon(_))
                | (_, Geometry::MultiPolygon(_))
        );
        if !kind_ok {
            let expected = match spec.geometry {
                PopulationGeometry::Cells => "a Point, Polygon or MultiPolygon",
                PopulationGeometry::Polygons => {
                    "a Polygon or MultiPolygon (geometry = \"polygons\")"
                }
            };
            return Err(ReadError::at(
                &table.file,
                &row.location,
                Some("geometry"),
                format!("expected {expected}"),
            ));
        }
        out.push(PopulationRecord {
            subdistrict_name: subdistrict_field
                .and_then(|c| row.text(c))
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            id,
            geometry,
            counts,
            origin: format!("{}: {}", table.file.display(), row.location),
        });
    }
    Ok(out)
}

/// Maps an input label to a facility kind: the plan's own labels first (exact), then the
/// built-in Chinese labels (exact) and English labels and kind ids (case-insensitive).
pub fn kind_of(label: &str, plan_labels: &BTreeMap<String, FacilityKind>) -> Option<FacilityKind> {
    let label = label.trim();
    if let Some(k) = plan_labels.get(label) {
        return Some(*k);
    }
    let lower = label.to_lowercase();
    FacilityKind::ALL.into_iter().find(|k| {
        k.id() == lower
            || k.builtin_labels()
                .iter()
                .any(|l| *l == label || l.to_lowercase() == lower)
    })
}

/// Reads the facility layer; unknown labels are an error listing them all, or (with
/// `unknown_kinds = "skip"`) are left out and returned in [`Skipped`].
pub fn read_facilities(spec: &FacilityLayer) -> Result<(Vec<FacilityRecord>, Skipped), ReadError> {
    let f = &spec.fields;
    let located = read_located(&spec.layer, Coords::lon_lat(&f.lon, &f.lat))?;
    let table = &located.table;
    require_columns(table, &[("id", &f.id), ("kind", &f.kind)])?;
    let name_col = optional_field(table, "name", &f.name)?;
    let floor_area_col = optional_field(table, "floor_area_m2", &f.floor_area_m2)?;
    let beds_col = optional_field(table, "beds", &f.beds)?;
    let nursing_beds_col = optional_field(table, "nursing_beds", &f.nursing_beds)?;
    let meals_col = optional_field(table, "meals_per_day", &f.meals_per_day)?;
    let day_places_col = optional_field(table, "day_places", &f.day_places)?;
    let basic_beds_col = optional_field(table, "basic_beds", &f.basic_beds)?;
    let social_workers_col = optional_field(table, "social_workers", &f.social_workers)?;
    let subdistrict_col = optional_field(table, "subdistrict", &f.subdistrict)?;
    let ids = ids(&f.id, table)?;
    let kind_field = f.kind.column().unwrap_or("type");
    let mut skipped = Skipped::default();
    let mut out = Vec::with_capacity(table.rows.len());
    for ((row, geometry), id) in table.rows.iter().zip(located.geometries).zip(ids) {
        let label = table.text(row, kind_field)?;
        let Some(kind) = kind_of(label, &spec.kind_labels) else {
            skipped
                .unknown_labels
                .entry(label.to_string())
                .or_default()
                .push(row.location.to_string());
            continue;
        };
        let number = |column: Option<&str>| match column {
            Some(c) => table.number(row, c, false),
            None => Ok(None),
        };
        let lon_lat = match &geometry {
            Geometry::Point(p) => p.0,
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
                // Building footprints: their centroid (degrees; metre-level error at most).
                geometry.centroid().map(|c| c.0).ok_or_else(|| {
                    ReadError::at(
                        &table.file,
                        &row.location,
                        Some("geometry"),
                        "empty polygon",
                    )
                })?
            }
            _ => {
                return Err(ReadError::at(
                    &table.file,
                    &row.location,
                    Some("geometry"),
                    "expected a Point (or a building Polygon)",
                ))
            }
        };
        let beds = number(beds_col)?;
        let nursing_beds = number(nursing_beds_col)?;
        for (part, column) in [
            ("nursing beds", nursing_beds_col),
            ("basic beds", basic_beds_col),
        ] {
            if let (Some(b), Some(n)) = (beds, number(column)?) {
                if n > b {
                    return Err(ReadError::at(
                        &table.file,
                        &row.location,
                        column,
                        format!("{n} {part} exceed the {b} beds"),
                    ));
                }
            }
        }
        out.push(FacilityRecord {
            beyond_study_area: false,
            name: name_col
                .and_then(|f| row.text(f))
                .unwrap_or(&id)
                .to_string(),
            id,
            label: label.to_string(),
            kind,
            lon_lat,
            capacity: Capacity {
                floor_area_m2: number(floor_area_col)?,
                beds,
                nursing_beds,
                meals_per_day: number(meals_col)?,
                day_places: number(day_places_col)?,
                basic_beds: number(basic_beds_col)?,
                social_workers: number(social_workers_col)?,
            },
            subdistrict_name: subdistrict_col
                .and_then(|f| row.text(f))
                .map(str::to_string),
            origin: format!("{}: {}", table.file.display(), row.location),
        });
    }
    if !skipped.unknown_labels.is_empty() && spec.unknown_kinds == UnknownKinds::Error {
        let list: Vec<String> = skipped
            .unknown_labels
            .iter()
            .map(|(label, rows)| format!("'{label}' ({})", rows.join(", ")))
            .collect();
        return Err(ReadError {
            file: table.file.clone(),
            location: None,
            field: Some(kind_field.to_string()),
            problem: format!(
                "unknown facility labels: {}. Map each to a kind under [facilities.kind_labels] \
                 (kinds: {}), or set unknown_kinds = \"skip\"",
                list.join("; "),
                FacilityKind::ALL.map(|k| k.id()).join(", ")
            ),
        });
    }
    Ok((out, skipped))
}

/// Reads an area layer (sub-districts or committees): polygons with id, name, parent.
pub fn read_areas(spec: &AreaLayer) -> Result<Vec<AreaRecord>, ReadError> {
    let f = &spec.fields;
    let coords = Coords {
        lon: None,
        lat: None,
        raster_residents: "residents",
    };
    let located = read_located(&spec.layer, coords)?;
    let table = &located.table;
    require_columns(table, &[("id", &f.id)])?;
    let name_field = optional_field(table, "name", &f.name)?;
    let parent_field = optional_field(table, "parent", &f.parent)?;
    let ids = ids(&f.id, table)?;
    let mut out = Vec::with_capacity(table.rows.len());
    for ((row, geometry), id) in table.rows.iter().zip(located.geometries).zip(ids) {
        let boundary = match geometry {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(m) => m,
            _ => {
                return Err(ReadError::at(
                    &table.file,
                    &row.location,
                    Some("geometry"),
                    "expected a Polygon or MultiPolygon boundary",
                ))
            }
        };
        out.push(AreaRecord {
            name: name_field
                .and_then(|f| row.text(f))
                .unwrap_or(&id)
                .to_string(),
            id,
            parent_name: parent_field.and_then(|f| row.text(f)).map(str::to_string),
            boundary,
            origin: format!("{}: {}", table.file.display(), row.location),
        });
    }
    Ok(out)
}

/// Layers already read, shared by the runs of one process ([`InputCache::shared`]) (the jobs of a batch read one
/// city-wide population, facility and street layer once). Keyed by the layer's whole
/// specification (path, CRS, fields, weights) and the file's size and modification time, so
/// a changed file or another reading of it is read afresh.
#[derive(Default)]
pub struct InputCache {
    /// Whether layers are kept for later runs ([`InputCache::shared`]); a single run's cache
    /// keeps nothing, so its layers are not held twice.
    keep: bool,
    population: Shelf<Vec<PopulationRecord>>,
    facilities: Shelf<(Vec<FacilityRecord>, Skipped)>,
    osm: Shelf<OsmData>,
}

/// One kind of layer in an [`InputCache`], by key.
type Shelf<T> = Mutex<HashMap<String, Arc<T>>>;

/// The cache key of a layer: its specification and the file's size and time.
fn cache_key(spec: &impl std::fmt::Debug, path: &Path) -> String {
    let stamp = std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    format!("{spec:?} {stamp:?}")
}

/// `read` through `map` under `key`; errors are not kept.
fn cached<T>(
    keep: bool,
    map: &Shelf<T>,
    key: String,
    read: impl FnOnce() -> Result<T, ReadError>,
) -> Result<Arc<T>, ReadError> {
    if !keep {
        return Ok(Arc::new(read()?));
    }
    if let Some(v) = map.lock().expect("no reader panics holding it").get(&key) {
        return Ok(v.clone());
    }
    let v = Arc::new(read()?);
    map.lock()
        .expect("no reader panics holding it")
        .insert(key, v.clone());
    Ok(v)
}

impl InputCache {
    /// A cache that keeps every layer it reads, for the runs of a batch.
    pub fn shared() -> InputCache {
        InputCache {
            keep: true,
            ..InputCache::default()
        }
    }

    /// The street network file, read once.
    pub fn osm(&self, path: &Path) -> Result<Arc<OsmData>, ReadError> {
        cached(self.keep, &self.osm, cache_key(&path, path), || {
            crate::io::osm::read_osm(path)
        })
    }
}

/// The value of an `Arc`, moved out when this is its only holder (a single run), else cloned.
fn owned<T: Clone>(a: Arc<T>) -> T {
    Arc::try_unwrap(a).unwrap_or_else(|a| (*a).clone())
}

/// Reads every input layer the plan names (not the street network: [`crate::io::osm`]):
/// population, facilities, areas and, with `[siting] candidates`, the candidate sites.
pub fn read_inputs(plan: &Plan) -> Result<Inputs, ReadError> {
    read_inputs_cached(plan, &InputCache::default())
}

/// [`read_inputs`], taking the population and facility layers from `cache` when an earlier
/// run of this process read them.
pub fn read_inputs_cached(plan: &Plan, cache: &InputCache) -> Result<Inputs, ReadError> {
    let population = owned(cached(
        cache.keep,
        &cache.population,
        cache_key(&plan.population, &plan.population.layer.path),
        || read_population(&plan.population),
    )?);
    let (facilities, skipped) = owned(cached(
        cache.keep,
        &cache.facilities,
        cache_key(&plan.facilities, &plan.facilities.layer.path),
        || read_facilities(&plan.facilities),
    )?);
    let subdistricts = plan.subdistricts.as_ref().map(read_areas).transpose()?;
    let committees = plan.committees.as_ref().map(read_areas).transpose()?;
    let candidates = plan
        .siting
        .as_ref()
        .and_then(|s| s.candidates.as_ref())
        .map(read_candidates)
        .transpose()?;
    let study_area = plan.study_area.as_ref().map(read_study_area).transpose()?;
    Ok(Inputs {
        study_area,
        population,
        spread_grid_m: (plan.population.geometry == PopulationGeometry::Polygons)
            .then_some(plan.population.grid_cell_m),
        facilities,
        subdistricts: subdistricts.unwrap_or_default(),
        committees: committees.unwrap_or_default(),
        skipped,
        candidates,
    })
}

/// Reads the study area (`[study.area]`): the polygon whose id (or name) is the plan's `id`.
/// An id that no polygon has is an error listing the ids the layer has.
pub fn read_study_area(spec: &StudyAreaLayer) -> Result<StudyArea, ReadError> {
    let areas = read_areas(&spec.layer)?;
    let by_id: Vec<&AreaRecord> = areas.iter().filter(|a| a.id == spec.id).collect();
    let by_name: Vec<&AreaRecord> = areas.iter().filter(|a| a.name == spec.id).collect();
    let matching = if by_id.is_empty() { by_name } else { by_id };
    if matching.len() > 1 {
        return Err(ReadError::at(
            &spec.layer.layer.path,
            "[study.area] id",
            spec.layer.fields.id.column(),
            format!(
                "{} polygons have id or name '{}' ({}); ids must be unique",
                matching.len(),
                spec.id,
                matching
                    .iter()
                    .map(|a| a.origin.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let found = matching.first().copied();
    match found {
        Some(a) => Ok(StudyArea {
            id: a.id.clone(),
            name: a.name.clone(),
            boundary: a.boundary.clone(),
            buffer_m: spec.buffer_m,
        }),
        None => {
            let mut ids: Vec<&str> = areas.iter().map(|a| a.id.as_str()).collect();
            let more = ids.len().saturating_sub(20);
            ids.truncate(20);
            Err(ReadError::at(
                &spec.layer.layer.path,
                "[study.area] id",
                spec.layer.fields.id.column(),
                format!(
                    "no polygon has id or name '{}'; the layer has {}{}",
                    spec.id,
                    ids.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
            ))
        }
    }
}

/// Reads a candidate-site layer: points with an id (and optionally a capacity), converted
/// to WGS84.
pub fn read_candidates(spec: &CandidateLayer) -> Result<Vec<CandidateRecord>, ReadError> {
    let f = &spec.fields;
    let located = read_located(&spec.layer, Coords::lon_lat(&f.lon, &f.lat))?;
    let table = &located.table;
    require_columns(table, &[("id", &f.id)])?;
    let ids = ids(&f.id, table)?;
    let capacity_field = optional_field(table, "capacity", &f.capacity)?;
    table
        .rows
        .iter()
        .zip(located.geometries)
        .zip(ids)
        .map(|((row, g), id)| match g {
            Geometry::Point(p) => Ok(CandidateRecord {
                id,
                lon_lat: p.0,
                capacity: capacity_field
                    .map(|f| table.number(row, f, false))
                    .transpose()?
                    .flatten(),
            }),
            _ => Err(ReadError::at(
                &table.file,
                &row.location,
                Some("geometry"),
                "expected a Point",
            )),
        })
        .collect()
}
