//! Output files: GeoJSON (RFC 7946: WGS84, exterior rings counter-clockwise, coordinates
//! rounded to 1e-6° ≈ 0.1 m) and CSV tables (UTF-8 with BOM, so spreadsheets show Chinese
//! names). Every file is written atomically.

use std::path::Path;

use geo::orient::{Direction, Orient};
use geo::{Coord, MultiPolygon, Polygon};
use serde_json::{json, Map, Value};

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
    fn json(&self) -> Value {
        match self {
            V::Text(s) => Value::String(s.clone()),
            V::Num(v, d) if v.is_finite() => json!(round(*v, *d)),
            V::Num(..) | V::Null => Value::Null,
            V::Int(i) => json!(i),
            V::People(v) if v.is_finite() => match whole(*v) {
                Some(i) => json!(i),
                None => json!(round(*v, 2)),
            },
            V::People(_) => Value::Null,
            V::Bool(b) => Value::Bool(*b),
        }
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

fn position(c: Coord<f64>) -> Value {
    json!([
        round(c.x, COORD_DECIMALS as usize),
        round(c.y, COORD_DECIMALS as usize)
    ])
}

fn polygon_rings(p: &Polygon<f64>) -> Value {
    let p = p.orient(Direction::Default);
    let ring =
        |ls: &geo::LineString<f64>| Value::Array(ls.coords().map(|c| position(*c)).collect());
    let mut rings = vec![ring(p.exterior())];
    rings.extend(p.interiors().iter().map(ring));
    Value::Array(rings)
}

/// GeoJSON geometry of a line (WGS84 lon/lat), a Point when it has one position.
pub fn line_json(coords: &[Coord<f64>]) -> Value {
    if coords.len() == 1 {
        return point_json(coords[0]);
    }
    json!({"type": "LineString", "coordinates": coords.iter().map(|c| position(*c)).collect::<Vec<_>>()})
}

/// GeoJSON geometry of several lines (WGS84 lon/lat).
pub fn multiline_json(lines: &[Vec<Coord<f64>>]) -> Value {
    json!({"type": "MultiLineString", "coordinates": lines
        .iter()
        .map(|l| l.iter().map(|c| position(*c)).collect::<Vec<_>>())
        .collect::<Vec<_>>()})
}

/// GeoJSON geometry of a polygon, RFC 7946 winding.
pub fn polygon_json(p: &Polygon<f64>) -> Value {
    json!({"type": "Polygon", "coordinates": polygon_rings(p)})
}

/// GeoJSON geometry of a multipolygon (a Polygon when it has one part).
pub fn multipolygon_json(m: &MultiPolygon<f64>) -> Value {
    if m.0.len() == 1 {
        return polygon_json(&m.0[0]);
    }
    json!({"type": "MultiPolygon", "coordinates": m.0.iter().map(polygon_rings).collect::<Vec<_>>()})
}

/// GeoJSON geometry of a point.
pub fn point_json(c: Coord<f64>) -> Value {
    json!({"type": "Point", "coordinates": position(c)})
}

fn properties(r: &Record) -> Value {
    Value::Object(
        r.iter()
            .map(|(k, v)| (k.clone(), v.json()))
            .collect::<Map<_, _>>(),
    )
}

/// Writes a FeatureCollection, one feature per line, streaming `features`.
pub fn write_feature_collection(
    path: &Path,
    features: impl Iterator<Item = (Value, Record)>,
) -> std::io::Result<()> {
    write_atomic(path, |w| {
        w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        for (i, (geometry, record)) in features.enumerate() {
            if i > 0 {
                w.write_all(b",\n")?;
            }
            let f =
                json!({"type": "Feature", "geometry": geometry, "properties": properties(&record)});
            serde_json::to_writer(&mut *w, &f)?;
        }
        w.write_all(b"\n]}\n")?;
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

/// Population cells with counts, their areas, circle verdicts and nearest distances.
pub fn write_cells_geojson(
    path: &Path,
    study: &Study,
    coverage: &Coverage,
    access: &[CellAccess],
) -> std::io::Result<()> {
    let area_name =
        |areas: &[Area], i: Option<usize>| i.map_or(V::Null, |i| V::Text(areas[i].name.clone()));
    write_feature_collection(
        path,
        study.cells.iter().enumerate().map(|(i, c)| {
            let geometry = match &c.footprint {
                Some(p) => polygon_json(p),
                None => point_json(c.location.lon_lat),
            };
            let mut r: Record = vec![
                ("id".into(), V::Text(c.id.clone())),
                (
                    "subdistrict".into(),
                    area_name(&study.subdistricts, c.subdistrict),
                ),
                (
                    "committee".into(),
                    area_name(&study.committees, c.committee),
                ),
                ("residents".into(), V::People(c.counts.residents)),
                ("aged_60_plus".into(), V::People(c.counts.aged_60)),
                ("aged_65_plus".into(), V::People(c.counts.aged_65)),
                ("aged_80_plus".into(), V::People(c.counts.aged_80)),
            ];
            for circle in &coverage.circles {
                r.push((
                    format!("{}_covered", circle.circle.name),
                    V::Bool(circle.covered[i]),
                ));
                if let Some(straight) = &circle.covered_straight_line {
                    r.push((
                        format!("{}_covered_straight_line", circle.circle.name),
                        V::Bool(straight[i]),
                    ));
                }
            }
            for n in &coverage.nearest {
                r.push((
                    format!("straight_line_{}_m", n.kind.id()),
                    V::Num(n.straight_line_m[i], 1),
                ));
                if let Some(net) = &n.network_m {
                    r.push((format!("network_{}_m", n.kind.id()), V::Num(net[i], 1)));
                }
            }
            for a in access {
                r.push((
                    format!("access_{}_per_1000", a.kind.id()),
                    V::Num(a.per_1000[i], 3),
                ));
            }
            (geometry, r)
        }),
    )
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
        assert_eq!(Field::People(75.0).json().to_string(), "75");
        // A sum of whole counts in floating point.
        let sum: f64 = (0..10).map(|_| 0.1).sum::<f64>() * 10.0;
        assert_eq!(Field::People(sum).csv(), "10");
        // Census people shared out by area keep two decimals.
        assert_eq!(Field::People(12.3456).csv(), "12.35");
        assert_eq!(Field::People(12.3456).json().to_string(), "12.35");
        assert_eq!(Field::People(f64::NAN).csv(), "");
        assert_eq!(Field::Int(3).json().to_string(), "3");
    }

    #[test]
    fn zero_is_never_written_negative() {
        assert_eq!(Field::Num(-0.04, 1).csv(), "0.0");
        assert_eq!(Field::Num(-0.0, 0).csv(), "0");
        assert_eq!(Field::Num(-0.06, 1).csv(), "-0.1");
        assert_eq!(Field::Num(-0.0, 1).json(), json!(0.0));
        assert_eq!(Field::People(-0.0).csv(), "0");
        assert_eq!(Field::Num(-0.0, 1).json().to_string(), "0.0");
    }
    use geo::polygon;

    #[test]
    fn polygons_are_written_counter_clockwise_and_rounded() {
        // Clockwise input.
        let p = polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.123_456_789, y: 1.0), (x: 0.0, y: 0.0)];
        let j = polygon_json(&p);
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
