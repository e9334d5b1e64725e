//! The indicator tables: one long table (every indicator of every area with value, target,
//! gap, met?, unit, source and note) as CSV and Parquet, the most under-served places, and a
//! Markdown summary ready to paste into a plan document.

use std::fmt::Write as _;
use std::path::Path;

#[cfg(feature = "parquet")]
use polars::prelude::*;

use crate::coverage::Coverage;
use crate::indicators::spec::{ProvisionIndicator, Unit};
use crate::indicators::Indicator;
use crate::indicators::{AreaRow, CellAccess, Indicators};
use crate::io::atomic::write_atomic;
use crate::io::output::{Field, Record};
use crate::model::AreaLevel;

fn opt(v: Option<f64>, d: usize) -> Field {
    v.map_or(Field::Null, |v| Field::Num(v, d))
}

fn text(s: impl Into<String>) -> Field {
    Field::Text(s.into())
}

/// A long-table row for one indicator of one area.
fn row(area: &AreaRow, i: &Indicator) -> Record {
    let d = if i.unit.is_share() { 4 } else { 2 };
    vec![
        ("level".into(), text(area.level.id())),
        ("area_id".into(), text(area.id.clone())),
        ("area_name".into(), text(area.name.clone())),
        (
            "subdistrict".into(),
            area.parent.clone().map_or(Field::Null, Field::Text),
        ),
        ("indicator".into(), text(i.key.clone())),
        ("name".into(), text(i.name.clone())),
        ("name_zh".into(), text(i.name_zh.clone())),
        ("value".into(), opt(i.value, d)),
        ("unit".into(), text(i.unit.to_string())),
        ("target".into(), opt(i.target, d)),
        ("gap".into(), opt(i.gap, 1)),
        ("gap_unit".into(), text(i.gap_unit_label())),
        ("met".into(), i.met.map_or(Field::Null, Field::Bool)),
        ("source".into(), text(i.source.clone())),
        ("note".into(), text(i.note.clone())),
    ]
}

/// An indicator without a numeric target in the plans (coverage, accessibility, distances).
fn untargeted(
    key: String,
    name: String,
    name_zh: impl Into<String>,
    unit: Unit,
    value: Option<f64>,
    source: String,
    note: String,
) -> Indicator {
    Indicator {
        key,
        name,
        name_zh: name_zh.into(),
        unit,
        value,
        target: None,
        gap: None,
        gap_unit: None,
        met: None,
        source,
        note,
    }
}

/// Coverage and accessibility of one area as indicators.
fn measured(area: &AreaRow, coverage: &Coverage, access: &[CellAccess]) -> Vec<Indicator> {
    let mut out = Vec::new();
    for (share, cov) in area.circles.iter().zip(&coverage.circles) {
        let c = &cov.circle;
        out.push(untargeted(
            format!("coverage_{}", c.name),
            format!("share of people aged {} within {}", c.age_band, c.label),
            format!(
                "{}覆盖率（{}{}）",
                c.label,
                band_zh(c.age_band),
                method_zh(c.method)
            ),
            Unit::Share,
            share.share(),
            format!(
                "{} of {} within {} ({})",
                c.require,
                kinds(c),
                c.reach,
                c.method
            ),
            format!(
                "{:.0} of {:.0} people uncovered",
                share.uncovered(),
                share.people
            ),
        ));
        if let Some(line) = share.straight_line_share() {
            out.push(untargeted(
                format!("coverage_{}_straight_line", c.name),
                format!(
                    "share of people aged {} within {}, straight line",
                    c.age_band, c.label
                ),
                format!("{}覆盖率（{}，直线距离）", c.label, band_zh(c.age_band)),
                Unit::Share,
                Some(line),
                format!(
                    "{} of {} within {} (straight line)",
                    c.require,
                    kinds(c),
                    c.reach
                ),
                "the same circle in a straight line, for comparison".into(),
            ));
        }
    }
    for a in &area.access {
        let k = a.kind.id();
        let how = access.iter().find(|x| x.kind == a.kind);
        out.push(untargeted(
            format!("access_{k}_per_1000"),
            format!(
                "2SFCA accessibility to {}",
                crate::map::kind_english(a.kind)
            ),
            format!("{}可达性（两步移动搜寻法）", a.kind.chinese()),
            how.map_or(Unit::Per1000People, |h| Unit::SupplyPer1000 {
                supply: h.supply_unit,
                band: h.age_band,
            }),
            a.fca_per_1000,
            how.map_or(String::new(), |h| {
                format!("catchment {} m, {}", h.radius_m, h.method)
            }),
            "people-weighted mean over the area's cells".into(),
        ));
        let cutoff = coverage
            .nearest_for(a.kind)
            .and_then(|n| n.network_cutoff_m);
        let mut distances = vec![
            (
                "median_m",
                a.median_straight_line_m,
                "median straight-line distance",
                "直线距离中位数",
            ),
            (
                "p90_m",
                a.p90_straight_line_m,
                "90th-percentile straight-line distance",
                "直线距离第90百分位",
            ),
        ];
        if cutoff.is_some() {
            distances.push((
                "median_network_m",
                a.median_network_m,
                "median walking distance",
                "步行距离中位数",
            ));
            distances.push((
                "p90_network_m",
                a.p90_network_m,
                "90th-percentile walking distance",
                "步行距离第90百分位",
            ));
        }
        for (suffix, v, what, what_zh) in distances {
            let beyond = match (suffix.contains("network"), v, cutoff) {
                (true, None, Some(cut)) => format!("beyond the {cut} m measured along the network"),
                _ => String::new(),
            };
            out.push(untargeted(
                format!("{k}_{suffix}"),
                format!("{what} to the nearest {}", crate::map::kind_english(a.kind)),
                format!("到最近{}的{what_zh}", a.kind.chinese()),
                Unit::Metres,
                v,
                "people-weighted over the area's cells".into(),
                beyond,
            ));
        }
    }
    out
}

/// The age band in Chinese, for indicator names.
fn band_zh(b: crate::model::AgeBand) -> &'static str {
    use crate::model::AgeBand as B;
    match b {
        B::Residents => "常住人口",
        B::Aged60 => "60岁及以上",
        B::Aged65 => "65岁及以上",
        B::Aged80 => "80岁及以上",
    }
}

/// How a circle measures, in Chinese.
fn method_zh(m: crate::standards::Method) -> &'static str {
    match m {
        crate::standards::Method::Network => "，沿路网步行",
        crate::standards::Method::StraightLine => "，直线距离",
    }
}

fn kinds(c: &crate::standards::Circle) -> String {
    c.kinds.iter().map(|k| k.id()).collect::<Vec<_>>().join("+")
}

/// Every indicator of every area, long format: district, sub-districts, committees.
pub fn indicator_records(
    ind: &Indicators,
    coverage: &Coverage,
    access: &[CellAccess],
) -> Vec<Record> {
    let mut out = Vec::new();
    let rows = std::iter::once(&ind.district)
        .chain(&ind.subdistricts)
        .chain(&ind.committees);
    for a in rows {
        for i in a
            .provision
            .iter()
            .cloned()
            .chain(measured(a, coverage, access))
        {
            out.push(row(a, &i));
        }
    }
    out
}

/// The under-served list as records.
pub fn underserved_records(ind: &Indicators) -> Vec<Record> {
    ind.underserved
        .iter()
        .map(|u| {
            vec![
                ("circle".into(), text(u.circle.clone())),
                ("level".into(), text(u.level.id())),
                ("rank".into(), Field::Int(u.rank as i64)),
                ("id".into(), text(u.id.clone())),
                ("name".into(), text(u.name.clone())),
                (
                    "subdistrict".into(),
                    u.subdistrict.clone().map_or(Field::Null, Field::Text),
                ),
                ("people".into(), Field::People(u.people)),
                ("uncovered".into(), Field::People(u.uncovered)),
            ]
        })
        .collect()
}

/// Writes records as a Parquet file (typed columns: text, float, boolean; nulls kept).
#[cfg(feature = "parquet")]
pub fn write_parquet(path: &Path, records: &[Record]) -> std::io::Result<()> {
    let Some(first) = records.first() else {
        return Err(std::io::Error::other("no rows to write"));
    };
    let mut columns: Vec<Column> = Vec::with_capacity(first.len());
    for (ci, (name, _)) in first.iter().enumerate() {
        let values: Vec<&Field> = records.iter().map(|r| &r[ci].1).collect();
        let is = |f: fn(&Field) -> bool| values.iter().all(|v| matches!(v, Field::Null) || f(v));
        let name = PlSmallStr::from(name.as_str());
        let col = if is(|v| matches!(v, Field::Num(..) | Field::Int(_) | Field::People(_))) {
            let v: Vec<Option<f64>> = values
                .iter()
                .map(|v| match v {
                    Field::Num(x, d) if x.is_finite() => {
                        let f = 10f64.powi(*d as i32);
                        Some((x * f).round() / f)
                    }
                    Field::Int(i) => Some(*i as f64),
                    Field::People(x) if x.is_finite() => Some((x * 100.0).round() / 100.0),
                    _ => None,
                })
                .collect();
            Column::new(name, v)
        } else if is(|v| matches!(v, Field::Bool(_))) {
            let v: Vec<Option<bool>> = values
                .iter()
                .map(|v| match v {
                    Field::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect();
            Column::new(name, v)
        } else {
            let v: Vec<Option<String>> = values
                .iter()
                .map(|v| match v {
                    Field::Null => None,
                    Field::Text(s) => Some(s.clone()),
                    other => Some(other.csv()),
                })
                .collect();
            Column::new(name, v)
        };
        columns.push(col);
    }
    let mut df = DataFrame::new(records.len(), columns).map_err(std::io::Error::other)?;
    write_atomic(path, |w| {
        ParquetWriter::new(w)
            .finish(&mut df)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}

/// WKB (little-endian ISO) of a cell: its square as a Polygon (RFC 7946 winding), else its
/// point; coordinates rounded to 1e-6° as in the GeoJSON.
#[cfg(feature = "parquet")]
fn cell_wkb(out: &mut Vec<u8>, c: &crate::model::PopulationCell) {
    use geo::orient::{Direction, Orient};
    let r = |v: f64| (v * 1e6).round() / 1e6 + 0.0;
    let coord = |out: &mut Vec<u8>, c: geo::Coord<f64>| {
        out.extend_from_slice(&r(c.x).to_le_bytes());
        out.extend_from_slice(&r(c.y).to_le_bytes());
    };
    out.push(1);
    match &c.footprint {
        None => {
            out.extend_from_slice(&1u32.to_le_bytes());
            coord(out, c.location.lon_lat);
        }
        Some(p) => {
            let p = p.orient(Direction::Default);
            out.extend_from_slice(&3u32.to_le_bytes());
            let rings: Vec<&geo::LineString<f64>> =
                std::iter::once(p.exterior()).chain(p.interiors()).collect();
            out.extend_from_slice(&(rings.len() as u32).to_le_bytes());
            for ring in rings {
                out.extend_from_slice(&(ring.0.len() as u32).to_le_bytes());
                for c in &ring.0 {
                    coord(out, *c);
                }
            }
        }
    }
}

/// Writes the population cells as GeoParquet 1.0.0 (`cells.parquet`): the same columns and
/// values as `cells.geojson` (text, float, boolean; nulls kept) and a WKB `geometry` column
/// (WGS84 lon/lat, OGC:CRS84), with the `geo` metadata GDAL ≥ 3.8, QGIS and geopandas read.
#[cfg(feature = "parquet")]
pub fn write_cells_geoparquet(
    path: &Path,
    study: &crate::model::Study,
    coverage: &Coverage,
    access: &[CellAccess],
) -> std::io::Result<()> {
    use crate::io::output::{cell_columns, cell_value, CellColumn as C, CellValue};
    use rayon::prelude::*;
    let n = study.cells.len();
    let columns = cell_columns(coverage, access);
    let built: Vec<Column> = columns
        .par_iter()
        .map(|(name, col)| {
            let name = PlSmallStr::from(name.as_str());
            let value = |i| cell_value(study, coverage, access, *col, i);
            match col {
                C::Id | C::Subdistrict | C::Committee => {
                    let v: Vec<Option<&str>> = (0..n)
                        .map(|i| match value(i) {
                            CellValue::Text(t) => Some(t),
                            CellValue::Field(_) => None,
                        })
                        .collect();
                    Column::new(name, v)
                }
                C::Covered(_) | C::CoveredStraightLine(_) => {
                    let v: Vec<Option<bool>> = (0..n)
                        .map(|i| match value(i) {
                            CellValue::Field(Field::Bool(b)) => Some(b),
                            _ => None,
                        })
                        .collect();
                    Column::new(name, v)
                }
                _ => {
                    let v: Vec<Option<f64>> = (0..n)
                        .map(|i| match value(i) {
                            CellValue::Field(Field::Num(x, d)) if x.is_finite() => {
                                let f = 10f64.powi(d as i32);
                                Some((x * f).round() / f + 0.0)
                            }
                            CellValue::Field(Field::People(x)) if x.is_finite() => {
                                let r = x.round();
                                Some(if (x - r).abs() < 1e-9 {
                                    r + 0.0
                                } else {
                                    (x * 100.0).round() / 100.0 + 0.0
                                })
                            }
                            _ => None,
                        })
                        .collect();
                    Column::new(name, v)
                }
            }
        })
        .collect();
    let wkb: Vec<Vec<u8>> = study
        .cells
        .par_iter()
        .map(|c| {
            let mut out = Vec::with_capacity(21);
            cell_wkb(&mut out, c);
            out
        })
        .collect();
    let wkb_refs: Vec<&[u8]> = wkb.iter().map(Vec::as_slice).collect();
    let mut all = built;
    all.push(Column::new("geometry".into(), wkb_refs));
    let mut df = DataFrame::new(n, all).map_err(std::io::Error::other)?;
    drop(wkb);
    // GeoParquet `geo` metadata: the geometry types present and the bounding box.
    let (mut points, mut polygons) = (false, false);
    let (mut x0, mut y0, mut x1, mut y1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for c in &study.cells {
        let mut add = |p: geo::Coord<f64>| {
            (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
        };
        match &c.footprint {
            None => {
                points = true;
                add(c.location.lon_lat);
            }
            Some(p) => {
                polygons = true;
                p.exterior().0.iter().for_each(|c| add(*c));
            }
        }
    }
    let mut types = Vec::new();
    if points {
        types.push("Point");
    }
    if polygons {
        types.push("Polygon");
    }
    let mut column = serde_json::json!({"encoding": "WKB", "geometry_types": types});
    if x0.is_finite() {
        column["bbox"] = serde_json::json!([x0, y0, x1, y1]);
    }
    let geo = serde_json::json!({
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": column},
    });
    write_atomic(path, |w| {
        ParquetWriter::new(w)
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
                "geo".to_string(),
                geo.to_string(),
            )])))
            .finish(&mut df)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.1} %", v * 100.0))
}

fn num(v: Option<f64>, d: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.d$}"))
}

fn value(i: &Indicator) -> String {
    if i.unit.is_share() {
        pct(i.value)
    } else {
        num(i.value, 1)
    }
}

fn target(i: &Indicator) -> String {
    if i.unit.is_share() {
        pct(i.target)
    } else {
        num(i.target, 1)
    }
}

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
    /// Marks (✓ ✗).
    Centre,
}

/// A block of a tables document: a heading or a table of text cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading of `level` (1 = title).
    Heading(usize, String),
    /// A table: header, per-column alignment, rows.
    Table {
        /// Column headings.
        header: Vec<String>,
        /// One per column.
        align: Vec<Align>,
        /// Cells, row by row.
        rows: Vec<Vec<String>>,
    },
}

/// The indicator tables as a document, the one source of indicators.md and of the report's
/// tables: the district's indicators, the circles and key indicators per sub-district, and
/// the most under-served committees.
pub fn indicator_document(title: &str, ind: &Indicators, coverage: &Coverage) -> Vec<Block> {
    use Align::{Centre, Left, Right};
    use ProvisionIndicator as P;
    let mut doc = vec![
        Block::Heading(1, format!("{title}: provision indicators")),
        Block::Heading(2, "District".into()),
    ];
    let rows = ind
        .district
        .provision
        .iter()
        .map(|i| {
            let gap = match (i.gap, i.met) {
                (Some(g), Some(false)) => format!("{g:.0} {}", i.gap_unit_label()),
                (Some(_), Some(true)) => "–".into(),
                _ => i.note.clone(),
            };
            let met = match i.met {
                Some(true) => "✓",
                Some(false) => "✗",
                None => "–",
            };
            vec![
                i.name.clone(),
                i.name_zh.clone(),
                value(i),
                target(i),
                gap,
                met.into(),
                i.source.clone(),
            ]
        })
        .collect();
    doc.push(Block::Table {
        header: [
            "indicator",
            "指标",
            "value",
            "target",
            "gap",
            "met",
            "source",
        ]
        .map(String::from)
        .to_vec(),
        align: vec![Left, Left, Right, Right, Right, Centre, Left],
        rows,
    });
    doc.push(Block::Heading(
        2,
        "Walking circles and key indicators by sub-district".into(),
    ));
    let mut header: Vec<String> = ["sub-district", "residents", "aged 60+"]
        .map(String::from)
        .to_vec();
    let mut align = vec![Left, Right, Right];
    for c in &coverage.circles {
        header.push(format!(
            "{} ({} m, {})",
            c.circle.name,
            c.circle.radius_m(),
            c.circle.method
        ));
        align.push(Right);
    }
    header.extend(
        [
            "floor area m²/1,000",
            "centres",
            "meals / 65+",
            "beds / 60+",
        ]
        .map(String::from),
    );
    align.extend([Right; 4]);
    let rows = ind
        .subdistricts
        .iter()
        .chain(std::iter::once(&ind.district))
        .map(|r| {
            let mut line = vec![
                r.name.clone(),
                format!("{:.0}", r.counts.residents),
                format!("{:.0}", r.counts.aged_60),
            ];
            line.extend(r.circles.iter().map(|c| pct(c.share())));
            let get = |k| r.provision_indicator(k);
            line.push(get(P::FloorAreaM2Per1000Residents).map_or("–".into(), value));
            line.push(get(P::ComprehensiveCentres).map_or("–".into(), |i| {
                format!("{} / {}", num(i.value, 0), num(i.target, 0))
            }));
            line.push(get(P::MealCapacityShareOf65Plus).map_or("–".into(), value));
            line.push(get(P::BedShareOf60Plus).map_or("–".into(), value));
            line
        })
        .collect();
    doc.push(Block::Table {
        header,
        align,
        rows,
    });
    if let Some(circle) = coverage.circles.first().map(|c| c.circle.name.clone()) {
        let top: Vec<Vec<String>> = ind
            .underserved
            .iter()
            .filter(|u| u.circle == circle && u.level != AreaLevel::Cell)
            .take(10)
            .map(|u| {
                vec![
                    u.rank.to_string(),
                    u.name.clone(),
                    u.subdistrict.as_deref().unwrap_or("–").to_string(),
                    format!("{:.0}", u.people),
                    format!("{:.0}", u.uncovered),
                ]
            })
            .collect();
        if !top.is_empty() {
            doc.push(Block::Heading(
                2,
                format!("Most under-served areas: circle {circle}"),
            ));
            doc.push(Block::Table {
                header: ["rank", "area", "sub-district", "people", "uncovered"]
                    .map(String::from)
                    .to_vec(),
                align: vec![Right, Left, Left, Right, Right],
                rows: top,
            });
        }
    }
    doc
}

/// A cell's text made safe for a Markdown table: `|` escaped, line breaks as spaces.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The document as Markdown (pipe tables), ready to paste into a plan document.
pub fn to_markdown(doc: &[Block]) -> String {
    let mut md = String::new();
    for (k, b) in doc.iter().enumerate() {
        if k > 0 {
            md.push('\n');
        }
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(md, "{} {}", "#".repeat(*level), md_cell(text));
            }
            Block::Table {
                header,
                align,
                rows,
            } => {
                let line = |cells: &[String]| {
                    let mut l = String::from("|");
                    for c in cells {
                        let _ = write!(l, " {} |", md_cell(c));
                    }
                    l
                };
                let _ = writeln!(md, "{}", line(header));
                let mut rule = String::from("|");
                for a in align {
                    rule.push_str(match a {
                        Align::Left => "---|",
                        Align::Right => "---:|",
                        Align::Centre => ":-:|",
                    });
                }
                let _ = writeln!(md, "{rule}");
                for r in rows {
                    let _ = writeln!(md, "{}", line(r));
                }
            }
        }
    }
    md
}

/// Markdown tables ready for a plan document (see [`indicator_document`]).
pub fn markdown(title: &str, ind: &Indicators, coverage: &Coverage) -> String {
    to_markdown(&indicator_document(title, ind, coverage))
}

/// Writes a text file atomically.
pub fn write_text(path: &Path, text: &str) -> std::io::Result<()> {
    write_atomic(path, |w| w.write_all(text.as_bytes()))
}
