//! Output files: GeoJSON (RFC 7946: WGS84, exterior rings counter-clockwise, coordinates
//! rounded to 1e-6° ≈ 0.1 m) and CSV tables (UTF-8 with BOM, so spreadsheets show Chinese
//! names). Every file is written atomically.

use std::path::Path;

use geo::orient::{Direction, Orient};
use geo::{Coord, MultiPolygon, Polygon};
use rayon::prelude::*;

use crate::coverage::Coverage;
use crate::indicators::{AreaRow, CellAccess};
use crate::io::atomic::write_atomic;
use crate::model::{Area, AreaLevel, Capacity, FacilityKind, Study};

/// Decimal places of WGS84 coordinates in GeoJSON output (1e-6° ≈ 0.11 m).
pub const COORD_DECIMALS: i32 = 6;

/// A table value with its output precision.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    /// A number and its decimal places; non-finite numbers are written empty / null.
    Num(f64, usize),
    /// A whole number (a count of things: ranks, nodes, facilities, OSM ids).
    Int(i64),
    /// A count of people: written as a whole number when it is one (counts as read and their
    /// sums), else with 2 decimals (people shared out of census polygons by area), never
    /// rounded to a whole number that would change a total. Non-finite: empty / null.
    People(f64),
    Bool(bool),
    Null,
}

use Field as V;

/// Rounds to `decimals` places; a zero is written `0`, never `-0`.
fn round(v: f64, decimals: usize) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (v * f).round() / f + 0.0
}

/// `v` with `d` decimals, without the sign of a value that rounds to zero ("-0.0" → "0.0").
fn fixed(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

/// `v` as an integer when it is one (to within 1e-9 of a person: sums of whole counts in
/// floating point).
fn whole(v: f64) -> Option<i64> {
    let r = v.round();
    ((v - r).abs() < 1e-9 && r.abs() < 9.0e15).then_some(r as i64)
}

impl Field {
    /// Appends the value as JSON (what `serde_json` writes for it).
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            V::Text(s) => json_str(out, s),
            V::Num(v, d) if v.is_finite() => json_f64(out, round(*v, *d)),
            V::Num(..) | V::Null => out.extend_from_slice(b"null"),
            V::Int(i) => json_i64(out, *i),
            V::People(v) if v.is_finite() => match whole(*v) {
                Some(i) => json_i64(out, i),
                None => json_f64(out, round(*v, 2)),
            },
            V::People(_) => out.extend_from_slice(b"null"),
            V::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        }
    }

    /// The value as JSON text.
    #[cfg(test)]
    fn json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out);
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// The value as CSV text.
    pub fn csv(&self) -> String {
        match self {
            V::Text(s) => s.clone(),
            V::Num(v, d) if v.is_finite() => fixed(*v, *d),
            V::Num(..) | V::Null => String::new(),
            V::Int(i) => i.to_string(),
            V::People(v) if v.is_finite() => match whole(*v) {
                Some(i) => i.to_string(),
                None => fixed(*v, 2),
            },
            V::People(_) => String::new(),
            V::Bool(b) => b.to_string(),
        }
    }
}

/// A record: ordered (column, value) pairs.
pub type Record = Vec<(String, Field)>;

fn opt(v: Option<f64>, d: usize) -> Field {
    v.map_or(V::Null, |v| V::Num(v, d))
}

/// The columns of an indicator row, by the row's level: committee rows add their parent
/// sub-district; sub-district and district rows add the facility counts per kind.
pub fn area_record(row: &AreaRow) -> Record {
    let (with_parent, with_facilities) = match row.level {
        AreaLevel::Committee => (true, false),
        AreaLevel::District | AreaLevel::Subdistrict | AreaLevel::Cell => (false, true),
    };
    let mut r: Record = vec![
        ("id".into(), V::Text(row.id.clone())),
        ("name".into(), V::Text(row.name.clone())),
    ];
    if with_parent {
        r.push((
            "subdistrict".into(),
            row.parent.clone().map_or(V::Null, V::Text),
        ));
    }
    r.push(("cells".into(), V::Int(row.cells as i64)));
    r.push(("residents".into(), V::People(row.counts.residents)));
    r.push(("aged_60_plus".into(), V::People(row.counts.aged_60)));
    r.push(("aged_65_plus".into(), V::People(row.counts.aged_65)));
    r.push(("aged_80_plus".into(), V::People(row.counts.aged_80)));
    for c in &row.circles {
        let n = &c.circle;
        r.push((format!("{n}_people"), V::People(c.people)));
        r.push((format!("{n}_covered"), V::People(c.covered)));
        r.push((format!("{n}_uncovered"), V::People(c.uncovered())));
        r.push((format!("{n}_share"), opt(c.share(), 4)));
        if c.covered_straight_line.is_some() {
            r.push((
                format!("{n}_straight_line_share"),
                opt(c.straight_line_share(), 4),
            ));
        }
        for (kind, covered) in &c.covered_by_kind {
            let share = (c.people > 0.0).then(|| covered / c.people);
            r.push((format!("{n}_{}_share", kind.id()), opt(share, 4)));
        }
    }
    for i in &row.provision {
        let d = if i.unit.is_share() { 4 } else { 2 };
        r.push((i.key.clone(), opt(i.value, d)));
        r.push((format!("{}_target", i.key), opt(i.target, d)));
        r.push((format!("{}_gap", i.key), opt(i.gap, 1)));
        r.push((format!("{}_met", i.key), i.met.map_or(V::Null, V::Bool)));
    }
    for a in &row.access {
        let k = a.kind.id();
        r.push((format!("access_{k}_per_1000"), opt(a.fca_per_1000, 3)));
        r.push((format!("{k}_median_m"), opt(a.median_straight_line_m, 1)));
        r.push((format!("{k}_p90_m"), opt(a.p90_straight_line_m, 1)));
        r.push((format!("{k}_median_network_m"), opt(a.median_network_m, 1)));
        r.push((format!("{k}_p90_network_m"), opt(a.p90_network_m, 1)));
    }
    if with_facilities {
        for kind in FacilityKind::ALL {
            r.push((
                format!("n_{}", kind.id()),
                V::Int(row.supply.count(kind) as i64),
            ));
        }
    }
    r
}

/// Reads back a CSV table as [`write_csv`] writes it (the BOM dropped from the header): its
/// header and rows as text, for steps that work on runs' outputs (a batch's reduce step,
/// `compare`). `None` when the file is absent or not CSV; unreadable rows are skipped.
pub fn read_csv_output(path: &Path) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut r = csv::Reader::from_path(path).ok()?;
    let header: Vec<String> = r
        .headers()
        .ok()?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let rows = r
        .records()
        .filter_map(Result::ok)
        .map(|rec| rec.iter().map(str::to_string).collect())
        .collect();
    Some((header, rows))
}

/// Writes records as a CSV table (UTF-8 with BOM; header from the first record).
pub fn write_csv(path: &Path, records: &[Record]) -> std::io::Result<()> {
    write_atomic(path, |w| {
        w.write_all(b"\xEF\xBB\xBF")?;
        let mut out = csv::Writer::from_writer(w);
        if let Some(first) = records.first() {
            out.write_record(first.iter().map(|(k, _)| k.as_str()))?;
        }
        for rec in records {
            out.write_record(rec.iter().map(|(_, v)| v.csv()))?;
        }
        out.flush()?;
        Ok(())
    })
}

/// A JSON string, escaped as `serde_json` escapes it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to memory");
}

/// A finite JSON number (`serde_json`'s shortest form: `0.0`, `121.473`); null when not
/// finite.
fn json_f64(out: &mut Vec<u8>, v: f64) {
    serde_json::to_writer(&mut *out, &v).expect("writing to memory");
}

fn json_i64(out: &mut Vec<u8>, i: i64) {
    use std::io::Write;
    write!(out, "{i}").expect("writing to memory");
}

/// A GeoJSON geometry object, written out (WGS84 lon/lat, 1e-6°), or `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonGeometry(String);

impl JsonGeometry {
    /// `null`: a feature without geometry.
    pub fn null() -> JsonGeometry {
        JsonGeometry("null".into())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn build(f: impl FnOnce(&mut Vec<u8>)) -> JsonGeometry {
        let mut out = Vec::with_capacity(64);
        f(&mut out);
        JsonGeometry(String::from_utf8(out).expect("JSON is UTF-8"))
    }
}

fn position(out: &mut Vec<u8>, c: Coord<f64>) {
    out.push(b'[');
    json_f64(out, round(c.x, COORD_DECIMALS as usize));
    out.push(b',');
    json_f64(out, round(c.y, COORD_DECIMALS as usize));
    out.push(b']');
}

fn positions<'c>(out: &mut Vec<u8>, coords: impl Iterator<Item = &'c Coord<f64>>) {
    out.push(b'[');
    for (i, c) in coords.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        position(out, *c);
    }
    out.push(b']');
}

fn polygon_rings(out: &mut Vec<u8>, p: &Polygon<f64>) {
    let p = p.orient(Direction::Default);
    out.push(b'[');
    positions(out, p.exterior().coords());
    for ring in p.interiors() {
        out.push(b',');
        positions(out, ring.coords());
    }
    out.push(b']');
}

/// GeoJSON geometry of a line (WGS84 lon/lat), a Point when it has one position.
pub fn line_json(coords: &[Coord<f64>]) -> JsonGeometry {
    if coords.len() == 1 {
        return point_json(coords[0]);
    }
    JsonGeometry::build(|out| {
        out.extend_from_slice(br#"{"type":"LineString","coordinates":"#);
        positions(out, coords.iter());
        out.push(b'}');
    })
}

/// GeoJSON geometry of several lines (WGS84 lon/lat).
pub fn multiline_json(lines: &[Vec<Coord<f64>>]) -> JsonGeometry {
    JsonGeometry::build(|out| {
        out.extend_from_slice(br#"{"type":"MultiLineString","coordinates":["#);
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            positions(out, l.iter());
        }
        out.extend_from_slice(b"]}");
    })
}

fn write_polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
    out.extend_from_slice(br#"{"type":"Polygon","coordinates":"#);
    polygon_rings(out, p);
    out.push(b'}');
}

fn write_point(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend_from_slice(br#"{"type":"Point","coordinates":"#);
    position(out, c);
    out.push(b'}');
}

/// GeoJSON geometry of a polygon, RFC 7946 winding.
pub fn polygon_json(p: &Polygon<f64>) -> JsonGeometry {
    JsonGeometry::build(|out| write_polygon(out, p))
}

/// GeoJSON geometry of a multipolygon (a Polygon when it has one part).
pub fn multipolygon_json(m: &MultiPolygon<f64>) -> JsonGeometry {
    if m.0.len() == 1 {
        return polygon_json(&m.0[0]);
    }
    JsonGeometry::build(|out| {
        out.extend_from_slice(br#"{"type":"MultiPolygon","coordinates":["#);
        for (i, p) in m.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            polygon_rings(out, p);
        }
        out.extend_from_slice(b"]}");
    })
}

/// GeoJSON geometry of a point.
pub fn point_json(c: Coord<f64>) -> JsonGeometry {
    JsonGeometry::build(|out| write_point(out, c))
}

/// Appends one feature (no separator): `{"type":"Feature","geometry":…,"properties":{…}}`,
/// the properties in the record's order.
fn write_feature(out: &mut Vec<u8>, geometry: impl FnOnce(&mut Vec<u8>), record: &Record) {
    out.extend_from_slice(br#"{"type":"Feature","geometry":"#);
    geometry(out);
    out.extend_from_slice(br#","properties":{"#);
    for (i, (k, v)) in record.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, k);
        out.push(b':');
        v.write_json(out);
    }
    out.extend_from_slice(b"}}");
}

const COLLECTION_START: &[u8] = b"{\"type\":\"FeatureCollection\",\"features\":[\n";
const COLLECTION_END: &[u8] = b"\n]}\n";

/// Writes a FeatureCollection, one feature per line, streaming `features`.
pub fn write_feature_collection(
    path: &Path,
    features: impl Iterator<Item = (JsonGeometry, Record)>,
) -> std::io::Result<()> {
    write_atomic(path, |w| {
        w.write_all(COLLECTION_START)?;
        let mut buf = Vec::new();
        for (i, (geometry, record)) in features.enumerate() {
            buf.clear();
            if i > 0 {
                buf.extend_from_slice(b",\n");
            }
            write_feature(
                &mut buf,
                |out| out.extend_from_slice(geometry.0.as_bytes()),
                &record,
            );
            w.write_all(&buf)?;
        }
        w.write_all(COLLECTION_END)?;
        Ok(())
    })
}

/// [`write_feature_collection`] of features already in memory, formatted in parallel
/// chunks: the same bytes, whatever the number of threads.
pub fn write_feature_list(path: &Path, features: &[(JsonGeometry, Record)]) -> std::io::Result<()> {
    write_features_parallel(path, features.len(), |i, out| {
        let (geometry, record) = &features[i];
        write_feature(out, |o| o.extend_from_slice(geometry.0.as_bytes()), record);
    })
}

/// Features per chunk formatted by one thread in [`write_features_parallel`].
const CHUNK: usize = 8192;

/// Writes a FeatureCollection of `n` features, feature `i` formatted by `feature(i, out)`
/// (which appends the feature's text), in parallel chunks written in order: the file is the
/// same whatever the number of threads.
pub fn write_features_parallel(
    path: &Path,
    n: usize,
    feature: impl Fn(usize, &mut Vec<u8>) + Sync,
) -> std::io::Result<()> {
    write_atomic(path, |w| {
        w.write_all(COLLECTION_START)?;
        let threads = rayon::current_num_threads().max(1);
        // A few chunks per thread at a time: bounded memory, every thread busy.
        let per_batch = CHUNK * threads * 2;
        let mut start = 0;
        while start < n {
            let end = (start + per_batch).min(n);
            let chunks: Vec<Vec<u8>> = (start..end)
                .step_by(CHUNK)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|from| {
                    let to = (from + CHUNK).min(end);
                    let mut out = Vec::with_capacity((to - from) * 320);
                    for i in from..to {
                        if i > 0 {
                            out.extend_from_slice(b",\n");
                        }
                        feature(i, &mut out);
                    }
                    out
                })
                .collect();
            for c in &chunks {
                w.write_all(c)?;
            }
            start = end;
        }
        w.write_all(COLLECTION_END)?;
        Ok(())
    })
}

/// Areas with their indicator rows as properties (for choropleth maps).
pub fn write_areas_geojson(path: &Path, areas: &[Area], rows: &[AreaRow]) -> std::io::Result<()> {
    write_feature_collection(
        path,
        areas
            .iter()
            .zip(rows)
            .map(|(a, row)| (multipolygon_json(&a.boundary_lon_lat), area_record(row))),
    )
}

/// A column of the cells' outputs (`cells.geojson`, `cells.parquet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellColumn {
    /// The cell's id.
    Id,
    /// The name of its 街镇 (null outside every one).
    Subdistrict,
    /// The name of its 居委.
    Committee,
    /// Residents.
    Residents,
    /// Aged 60+.
    Aged60,
    /// Aged 65+.
    Aged65,
    /// Aged 80+.
    Aged80,
    /// Circle `k` covers the cell (by its method).
    Covered(usize),
    /// Circle `k` covers it in a straight line (network circles).
    CoveredStraightLine(usize),
    /// Straight-line metres to the nearest facility of `coverage.nearest[k]`'s kind.
    StraightLineM(usize),
    /// Network metres to it (null beyond the cap).
    NetworkM(usize),
    /// 2SFCA of `access[k]`.
    Access(usize),
}

/// The cells' columns, in output order, with their names.
pub fn cell_columns(coverage: &Coverage, access: &[CellAccess]) -> Vec<(String, CellColumn)> {
    use CellColumn as C;
    let mut cols: Vec<(String, CellColumn)> = vec![
        ("id".into(), C::Id),
        ("subdistrict".into(), C::Subdistrict),
        ("committee".into(), C::Committee),
        ("residents".into(), C::Residents),
        ("aged_60_plus".into(), C::Aged60),
        ("aged_65_plus".into(), C::Aged65),
        ("aged_80_plus".into(), C::Aged80),
    ];
    for (k, circle) in coverage.circles.iter().enumerate() {
        cols.push((format!("{}_covered", circle.circle.name), C::Covered(k)));
        if circle.covered_straight_line.is_some() {
            cols.push((
                format!("{}_covered_straight_line", circle.circle.name),
                C::CoveredStraightLine(k),
            ));
        }
    }
    for (k, n) in coverage.nearest.iter().enumerate() {
        cols.push((
            format!("straight_line_{}_m", n.kind.id()),
            C::StraightLineM(k),
        ));
        if n.network_m.is_some() {
            cols.push((format!("network_{}_m", n.kind.id()), C::NetworkM(k)));
        }
    }
    for (k, a) in access.iter().enumerate() {
        cols.push((format!("access_{}_per_1000", a.kind.id()), C::Access(k)));
    }
    cols
}

/// A cell's value in a column: text borrowed, or a number, flag or null.
pub enum CellValue<'a> {
    /// Text (id, area names).
    Text(&'a str),
    /// Any other value.
    Field(Field),
}

/// Cell `i`'s value in `column`.
pub fn cell_value<'a>(
    study: &'a Study,
    coverage: &Coverage,
    access: &[CellAccess],
    column: CellColumn,
    i: usize,
) -> CellValue<'a> {
    use CellColumn as C;
    let c = &study.cells[i];
    let area = |areas: &'a [Area], k: Option<usize>| match k {
        Some(k) => CellValue::Text(&areas[k].name),
        None => CellValue::Field(V::Null),
    };
    let f = CellValue::Field;
    match column {
        C::Id => CellValue::Text(&c.id),
        C::Subdistrict => area(&study.subdistricts, c.subdistrict),
        C::Committee => area(&study.committees, c.committee),
        C::Residents => f(V::People(c.counts.residents)),
        C::Aged60 => f(V::People(c.counts.aged_60)),
        C::Aged65 => f(V::People(c.counts.aged_65)),
        C::Aged80 => f(V::People(c.counts.aged_80)),
        C::Covered(k) => f(V::Bool(coverage.circles[k].covered[i])),
        C::CoveredStraightLine(k) => f(coverage.circles[k]
            .covered_straight_line
            .as_ref()
            .map_or(V::Null, |s| V::Bool(s[i]))),
        C::StraightLineM(k) => f(V::Num(coverage.nearest[k].straight_line_m[i], 1)),
        C::NetworkM(k) => f(coverage.nearest[k]
            .network_m
            .as_ref()
            .map_or(V::Null, |n| V::Num(n[i], 1))),
        C::Access(k) => f(V::Num(access[k].per_1000[i], 3)),
    }
}

/// Population cells with counts, their areas, circle verdicts and nearest distances;
/// formatted in parallel, the same file whatever the number of threads.
pub fn write_cells_geojson(
    path: &Path,
    study: &Study,
    coverage: &Coverage,
    access: &[CellAccess],
) -> std::io::Result<()> {
    let columns: Vec<(Vec<u8>, CellColumn)> = cell_columns(coverage, access)
        .into_iter()
        .map(|(name, col)| {
            let mut key = Vec::new();
            json_str(&mut key, &name);
            key.push(b':');
            (key, col)
        })
        .collect();
    write_features_parallel(path, study.cells.len(), |i, out| {
        let c = &study.cells[i];
        out.extend_from_slice(br#"{"type":"Feature","geometry":"#);
        match &c.footprint {
            Some(p) => write_polygon(out, p),
            None => write_point(out, c.location.lon_lat),
        }
        out.extend_from_slice(br#","properties":{"#);
        for (k, (key, col)) in columns.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            match cell_value(study, coverage, access, *col, i) {
                CellValue::Text(t) => json_str(out, t),
                CellValue::Field(v) => v.write_json(out),
            }
        }
        out.extend_from_slice(b"}}");
    })
}

/// Facilities as read (converted to WGS84) with their kind and sub-district.
pub fn write_facilities_geojson(path: &Path, study: &Study) -> std::io::Result<()> {
    write_feature_collection(
        path,
        study.facilities.iter().map(|f| {
            let r: Record = vec![
                ("id".into(), V::Text(f.id.clone())),
                ("name".into(), V::Text(f.name.clone())),
                ("kind".into(), V::Text(f.kind.id().into())),
                ("kind_zh".into(), V::Text(f.kind.chinese().into())),
                ("label".into(), V::Text(f.label.clone())),
                (
                    "subdistrict".into(),
                    f.subdistrict
                        .map_or(V::Null, |s| V::Text(study.subdistricts[s].name.clone())),
                ),
            ];
            let r = [r, capacity_record(&f.capacity)].concat();
            (point_json(f.location.lon_lat), r)
        }),
    )
}

/// A facility's capacity figures as columns (blank where the data gives none).
pub fn capacity_record(c: &Capacity) -> Record {
    vec![
        ("floor_area_m2".into(), opt(c.floor_area_m2, 1)),
        ("beds".into(), opt(c.beds, 0)),
        ("nursing_beds".into(), opt(c.nursing_beds, 0)),
        ("meals_per_day".into(), opt(c.meals_per_day, 0)),
        ("day_places".into(), opt(c.day_places, 0)),
        ("basic_beds".into(), opt(c.basic_beds, 0)),
        ("social_workers".into(), opt(c.social_workers, 0)),
    ]
}

/// Writes a JSON document, pretty-printed.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> std::io::Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_whole_numbers_unless_shared_out_by_area() {
        assert_eq!(Field::People(75.0).csv(), "75");
        assert_eq!(Field::People(75.0).json(), "75");
        // A sum of whole counts in floating point.
        let sum: f64 = (0..10).map(|_| 0.1).sum::<f64>() * 10.0;
        assert_eq!(Field::People(sum).csv(), "10");
        // Census people shared out by area keep two decimals.
        assert_eq!(Field::People(12.3456).csv(), "12.35");
        assert_eq!(Field::People(12.3456).json(), "12.35");
        assert_eq!(Field::People(f64::NAN).csv(), "");
        assert_eq!(Field::Int(3).json(), "3");
    }

    #[test]
    fn zero_is_never_written_negative() {
        assert_eq!(Field::Num(-0.04, 1).csv(), "0.0");
        assert_eq!(Field::Num(-0.0, 0).csv(), "0");
        assert_eq!(Field::Num(-0.06, 1).csv(), "-0.1");
        assert_eq!(Field::People(-0.0).csv(), "0");
        assert_eq!(Field::Num(-0.0, 1).json(), "0.0");
        assert_eq!(Field::Num(f64::NAN, 1).json(), "null");
    }
    use geo::polygon;

    #[test]
    fn polygons_are_written_counter_clockwise_and_rounded() {
        // Clockwise input.
        let p = polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.123_456_789, y: 1.0), (x: 0.0, y: 0.0)];
        let j: serde_json::Value = serde_json::from_str(polygon_json(&p).as_str()).unwrap();
        let ring = j["coordinates"][0].as_array().unwrap();
        // Shoelace on the output: positive area = counter-clockwise.
        let pts: Vec<(f64, f64)> = ring
            .iter()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
            .collect();
        let area2: f64 = pts
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum();
        assert!(area2 > 0.0);
        assert_eq!(pts.first(), pts.last());
        assert!(pts.iter().any(|p| p.0 == 1.123_457));
    }
}
