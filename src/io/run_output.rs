//! Every file of a run, in one place: [`write_run`] owns the complete list (data files,
//! tables, proposal files, maps, `summary.json`, `report.html`) and writes them from the
//! typed [`Analysis`]. The font is located before anything is written.

use std::path::{Path, PathBuf};

use geo::MapCoords;

use crate::analysis::{Analysis, Progress};
use crate::io::maps::{encode_png, locate_font, write_svg, MapFont};
use crate::io::output::{
    area_record, point_json, polygon_json, write_areas_geojson, write_cells_geojson, write_csv,
    write_facilities_geojson, write_feature_collection, write_json, Field, Record,
};
use crate::io::report::Figure;
use crate::io::tables::{
    indicator_document, indicator_records, to_markdown, underserved_records, write_text, Block,
};
use crate::plan::{CellsFormat, Plan};
use crate::proposal::Proposal;
use crate::summary::{MapsSummary, Summary, Warning, WarningCode};

/// Why writing a run failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The maps' font cannot be loaded.
    #[error("maps: {0}")]
    Font(String),
    /// A file cannot be written.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// The file (or folder).
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Collects written files, naming the file in any error.
struct Writer<'a> {
    dir: &'a Path,
    files: Vec<PathBuf>,
}

impl Writer<'_> {
    fn file(
        &mut self,
        name: &str,
        f: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> Result<(), WriteError> {
        let path = self.dir.join(name);
        f(&path).map_err(|source| WriteError::Io {
            path: path.clone(),
            source,
        })?;
        self.files.push(path);
        Ok(())
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The warning the maps' font gives (labels in English only, or none), or the error when the
/// font named in the plan cannot be loaded.
pub fn font_warning(plan: &Plan) -> Result<Option<crate::checks::Warning>, WriteError> {
    font(plan).map(|(_, w)| w)
}

/// The maps' font and the warning when labels fall back.
fn font(plan: &Plan) -> Result<(Option<MapFont>, Option<Warning>), WriteError> {
    let font =
        locate_font(plan.report.font.as_deref()).map_err(|e| WriteError::Font(e.to_string()))?;
    let warning = match &font {
        Some(f) if f.cjk => None,
        Some(f) => Some(Warning::new(WarningCode::FontWithoutCjk, format!(
            "map labels are in English only: {} has no Chinese glyphs; install a CJK font (Debian: fonts-noto-cjk or fonts-wqy-microhei) or set LIFECIRCLE_FONT",
            f.path.display()
        ))),
        None => Some(Warning::new(WarningCode::NoFont,
            "PNG maps have no text: no font found; install fonts-noto-cjk (Debian) or set LIFECIRCLE_FONT / [report] font",
        )),
    };
    Ok((font, warning))
}

/// The format of the cells' file: `[outputs] cells`, else GeoParquet above
/// [`GEOPARQUET_ABOVE_CELLS`](crate::plan::GEOPARQUET_ABOVE_CELLS) cells (GeoJSON in a
/// build without the `parquet` feature).
pub fn cells_format(plan: &Plan, cells: usize) -> std::io::Result<CellsFormat> {
    match plan.cells_format {
        Some(f @ (CellsFormat::Geoparquet | CellsFormat::Both)) if !cfg!(feature = "parquet") => {
            Err(std::io::Error::other(format!(
                "[outputs] cells = \"{}\" needs lifecircle built with the parquet feature",
                if f == CellsFormat::Both {
                    "both"
                } else {
                    "geoparquet"
                }
            )))
        }
        None if !cfg!(feature = "parquet") => Ok(CellsFormat::Geojson),
        stated => Ok(CellsFormat::resolve(stated, cells)),
    }
}

/// Writes every output of `analysis` into `out_dir`; returns the summary written to
/// `summary.json` and the files in writing order.
pub fn write_run(
    plan: &Plan,
    analysis: &Analysis,
    out_dir: &Path,
    progress: &dyn Progress,
) -> Result<(Summary, Vec<PathBuf>), WriteError> {
    let a = analysis;
    let (study, coverage, ind, access) = (&a.study, &a.coverage, &a.indicators, &a.access);
    let drawing = if plan.report.maps {
        Some(font(plan)?)
    } else {
        None
    };
    progress.begin("writing outputs", 0);
    let mut w = Writer {
        dir: out_dir,
        files: Vec::new(),
    };
    let cells_format = cells_format(plan, study.cells.len()).map_err(|source| WriteError::Io {
        path: out_dir.join("cells.parquet"),
        source,
    })?;
    if cells_format.geojson() {
        w.file("cells.geojson", |p| {
            write_cells_geojson(p, study, coverage, access)
        })?;
    }
    #[cfg(feature = "parquet")]
    if cells_format.geoparquet() {
        w.file("cells.parquet", |p| {
            crate::io::tables::write_cells_geoparquet(p, study, coverage, access)
        })?;
    }
    w.file("facilities.geojson", |p| write_facilities_geojson(p, study))?;
    let mut sub_rows: Vec<Record> = ind.subdistricts.iter().map(area_record).collect();
    sub_rows.push(area_record(&ind.district));
    w.file("subdistricts.csv", |p| write_csv(p, &sub_rows))?;
    if !study.subdistricts.is_empty() {
        w.file("subdistricts.geojson", |p| {
            write_areas_geojson(p, &study.subdistricts, &ind.subdistricts)
        })?;
    }
    let long = indicator_records(ind, coverage, access);
    w.file("indicators.csv", |p| write_csv(p, &long))?;
    #[cfg(feature = "parquet")]
    w.file("indicators.parquet", |p| {
        crate::io::tables::write_parquet(p, &long)
    })?;
    let under = underserved_records(ind);
    if !under.is_empty() {
        w.file("underserved.csv", |p| write_csv(p, &under))?;
    }
    if !study.committees.is_empty() {
        let rows: Vec<Record> = ind.committees.iter().map(area_record).collect();
        w.file("committees.csv", |p| write_csv(p, &rows))?;
        w.file("committees.geojson", |p| {
            write_areas_geojson(p, &study.committees, &ind.committees)
        })?;
    }
    let tables = indicator_document(&plan.name, ind, coverage);
    w.file("indicators.md", |p| write_text(p, &to_markdown(&tables)))?;
    if a.network.is_some() {
        w.file("service_areas.geojson", |p| write_service_areas(p, plan, a))?;
        w.file("network_issues.geojson", |p| write_network_issues(p, a))?;
    }
    let after_tables = match &a.proposal {
        Some(proposal) => Some(write_proposal(&mut w, plan, a, proposal)?),
        None => None,
    };
    progress.end();

    let mut figures = Vec::new();
    let mut maps_summary = None;
    let mut warnings = Vec::new();
    if let Some((font, warning)) = &drawing {
        progress.begin("drawing maps", 0);
        let maps = crate::map::run_maps(plan, a);
        let first = w.files.len();
        let mut maps_dir = Writer {
            dir: &out_dir.join("maps"),
            files: Vec::new(),
        };
        for m in &maps {
            let png_name = format!("{}.png", m.stem);
            let (png, _) = encode_png(m, font.as_ref()).map_err(|source| WriteError::Io {
                path: maps_dir.dir.join(&png_name),
                source,
            })?;
            maps_dir.file(&png_name, |p| {
                crate::io::atomic::write_atomic(p, |f| f.write_all(&png))
            })?;
            maps_dir.file(&format!("{}.svg", m.stem), |p| {
                write_svg(m, font.as_ref(), p)
            })?;
            // The report embeds every map but the 居委 choropleths (files in maps/; the
            // interactive map shows each 居委's shares): a 13-map report passed 14 MB.
            if !m.stem.starts_with("choropleth_committee_") {
                figures.push(Figure {
                    caption: format!("{} — {}", m.title.text(true), m.subtitle.en),
                    png,
                });
            }
        }
        w.files.extend(maps_dir.files);
        maps_summary = Some(MapsSummary {
            font: font.as_ref().map(|f| f.path.display().to_string()),
            labels: match font {
                Some(f) if f.cjk => "Chinese and English",
                Some(_) => "English only (no CJK font found)",
                None => "none in PNG (no font found); SVG text uses the viewer's fonts",
            },
            size_px: [crate::io::maps::WIDTH, crate::io::maps::HEIGHT],
            files: w.files[first..].iter().map(|p| file_name(p)).collect(),
        });
        warnings.extend(warning.clone());
        progress.end();
    }
    #[cfg(feature = "gdal")]
    if !plan.vector_formats.is_empty() {
        progress.begin("writing GeoPackage / FlatGeobuf copies", 0);
        let geojsons: Vec<&Path> = w
            .files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
            .map(PathBuf::as_path)
            .collect();
        let copies =
            crate::io::gdal_io::write_vector_copies(&geojsons, out_dir, &plan.vector_formats)
                .map_err(|source| WriteError::Io {
                    path: out_dir.to_path_buf(),
                    source,
                })?;
        w.files.extend(copies);
        progress.end();
    }
    let outputs = w.files.iter().map(|p| file_name(p)).collect();
    let mut summary = Summary::new(
        plan,
        a,
        outputs,
        maps_summary,
        drawing.is_some().then(|| "report.html".to_string()),
        warnings,
    );
    summary.cells_output = crate::summary::CellsOutput::new(
        cells_format,
        study.cells.len(),
        plan.cells_format.is_some(),
    );
    w.file("summary.json", |p| write_json(p, &summary))?;
    if drawing.is_some() {
        let map = crate::io::web_map::html(plan, a);
        w.file("map.html", |p| write_text(p, &map))?;
        let html = crate::io::report::html(
            &summary,
            ind,
            &tables,
            after_tables.as_deref(),
            &figures,
            Some(&map),
        );
        w.file("report.html", |p| write_text(p, &html))?;
    }
    Ok((summary, w.files))
}

/// Service-area polygons of every facility for each network circle its kind serves.
fn write_service_areas(path: &Path, plan: &Plan, a: &Analysis) -> std::io::Result<()> {
    let mut features = Vec::with_capacity(a.service_areas.len());
    for s in &a.service_areas {
        let polygon = s
            .polygon_m
            .try_map_coords(|c| {
                a.projection
                    .to_wgs84(c.x, c.y)
                    .map(|(x, y)| geo::Coord { x, y })
            })
            .map_err(|e| std::io::Error::other(format!("analysis CRS: {e}")))?;
        let f = &a.study.facilities[s.facility];
        let c = &plan.circles[s.circle];
        let record: Record = vec![
            ("facility_id".into(), Field::Text(f.id.clone())),
            ("name".into(), Field::Text(f.name.clone())),
            ("kind".into(), Field::Text(f.kind.id().into())),
            ("circle".into(), Field::Text(c.name.clone())),
            ("radius_m".into(), Field::Num(c.radius_m(), 1)),
        ];
        features.push((polygon_json(&polygon), record));
    }
    write_feature_collection(path, features.into_iter())
}

/// What a planner should look at in the street network, one layer with an `issue` field:
/// `island` (the streets of each piece cut off from the main network, never snapped to),
/// `moved_off_island` and `not_snapped` (cells and facilities), `detour` (cells walking
/// more than the detour factor × the straight line to a kind), `way_missing_nodes` (the
/// present nodes of walkable ways whose other nodes are missing from the extract).
fn write_network_issues(path: &Path, a: &Analysis) -> std::io::Result<()> {
    let Some(ctx) = &a.network else {
        return write_feature_collection(path, std::iter::empty());
    };
    let g = ctx.graph;
    let mut features: Vec<(crate::io::output::JsonGeometry, Record)> = Vec::new();
    let text = |s: &str| Field::Text(s.to_string());
    // Islands: their segments, grouped by component.
    let mut lines: Vec<Vec<Vec<geo::Coord<f64>>>> = vec![Vec::new(); ctx.islands.len()];
    for s in &g.segments {
        let k = g.component_of(s.a) as usize;
        if ctx.islands[k] {
            lines[k].push(vec![g.lon_lat[s.a as usize], g.lon_lat[s.b as usize]]);
        }
    }
    for (k, l) in lines.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        let c = g.components()[k];
        features.push((
            crate::io::output::multiline_json(l),
            vec![
                ("issue".into(), text("island")),
                ("component".into(), Field::Int(k as i64)),
                ("nodes".into(), Field::Int(c.nodes as i64)),
                ("length_m".into(), Field::Num(c.length_m, 1)),
            ],
        ));
    }
    let point = |issue: &str, layer: &str, id: &str, lon_lat, residents: Option<f64>| {
        let mut r: Record = vec![
            ("issue".into(), text(issue)),
            ("layer".into(), text(layer)),
            ("id".into(), text(id)),
        ];
        if let Some(x) = residents {
            r.push(("residents".into(), Field::People(x)));
        }
        (point_json(lon_lat), r)
    };
    // Cells and detours (up to one feature per cell): made in parallel, in order.
    use rayon::prelude::*;
    features.par_extend(a.study.cells.par_iter().enumerate().filter_map(|(i, c)| {
        let issue = match (ctx.cell_snaps[i].is_some(), ctx.cell_near_island[i]) {
            (false, _) => "not_snapped",
            (true, true) => "moved_off_island",
            _ => return None,
        };
        Some(point(
            issue,
            "cell",
            &c.id,
            c.location.lon_lat,
            Some(c.counts.residents),
        ))
    }));
    for (j, f) in a.study.facilities.iter().enumerate() {
        let issue = match (ctx.facility_snaps[j].is_some(), ctx.facility_near_island[j]) {
            (false, _) => "not_snapped",
            (true, true) => "moved_off_island",
            _ => continue,
        };
        features.push(point(issue, "facility", &f.id, f.location.lon_lat, None));
    }
    features.par_extend(a.detours.par_iter().map(|d| {
        let c = &a.study.cells[d.cell];
        (
            point_json(c.location.lon_lat),
            vec![
                ("issue".into(), text("detour")),
                ("layer".into(), text("cell")),
                ("id".into(), text(&c.id)),
                ("kind".into(), text(d.kind.id())),
                ("straight_line_m".into(), Field::Num(d.straight_line_m, 1)),
                ("network_m".into(), Field::Num(d.network_m, 1)),
                (
                    "ratio".into(),
                    Field::Num(d.network_m / d.straight_line_m, 2),
                ),
            ],
        )
    }));
    for way in a
        .network_stats
        .map_or(&[][..], |s| &s.ways_with_missing_nodes[..])
    {
        if way.present_lon_lat.is_empty() {
            continue;
        }
        features.push((
            crate::io::output::line_json(&way.present_lon_lat),
            vec![
                ("issue".into(), text("way_missing_nodes")),
                ("way_id".into(), Field::Int(way.id)),
                ("missing".into(), Field::Int(way.missing as i64)),
            ],
        ));
    }
    crate::io::output::write_feature_list(path, &features)
}

/// The proposal's files; returns the indicator tables after the proposal.
fn write_proposal(
    w: &mut Writer,
    plan: &Plan,
    a: &Analysis,
    p: &Proposal,
) -> Result<Vec<Block>, WriteError> {
    let circle = &plan.circles[p.circle];
    let people = p.solution.evaluation.total_weight;
    let rows: Vec<_> = p
        .ranked
        .iter()
        .map(|r| {
            let c = &p.candidates[r.candidate];
            let mut record: Record = vec![
                ("rank".into(), Field::Int(r.rank as i64)),
                ("id".into(), Field::Text(c.id.clone())),
                ("kind".into(), Field::Text(p.kind.id().into())),
                (
                    "subdistrict".into(),
                    c.subdistrict.map_or(Field::Null, |k| {
                        Field::Text(a.study.subdistricts[k].name.clone())
                    }),
                ),
                (
                    "street".into(),
                    r.street.clone().map_or(Field::Null, Field::Text),
                ),
                ("newly_covered".into(), Field::People(r.newly_covered)),
                (
                    "cumulative_covered".into(),
                    Field::People(r.cumulative_covered),
                ),
                (
                    "cumulative_share".into(),
                    match people > 0.0 {
                        true => Field::Num(r.cumulative_covered / people, 4),
                        false => Field::Null,
                    },
                ),
                (
                    "distance_saved_person_m".into(),
                    Field::Num(r.distance_saved_person_m, 0),
                ),
                ("circle".into(), Field::Text(circle.name.clone())),
            ];
            if let (Some(cap), Some(served)) = (r.capacity, r.served) {
                record.push((
                    "capacity".into(),
                    cap.map_or(Field::Null, |c| Field::Num(c, 1)),
                ));
                record.push(("served".into(), Field::People(served)));
            }
            (point_json(c.location.lon_lat), record)
        })
        .collect();
    // The same list as a table for a spreadsheet, with lon/lat columns.
    let table: Vec<Record> = rows
        .iter()
        .zip(&p.ranked)
        .map(|((_, record), r)| {
            let at = p.candidates[r.candidate].location.lon_lat;
            let mut t: Record = record[..5].to_vec();
            t.push(("lon".into(), Field::Num(at.x, 6)));
            t.push(("lat".into(), Field::Num(at.y, 6)));
            t.extend(record[5..].iter().cloned());
            t
        })
        .collect();
    w.file("proposed_sites.geojson", |path| {
        write_feature_collection(path, rows.into_iter())
    })?;
    w.file("proposed_sites.csv", |path| write_csv(path, &table))?;
    let after = &p.after;
    let title = format!("{} — after the proposal", plan.name);
    let tables = indicator_document(&title, &after.indicators, &after.coverage);
    w.file("indicators_after.md", |path| {
        write_text(path, &to_markdown(&tables))
    })?;
    let long = indicator_records(&after.indicators, &after.coverage, &[]);
    w.file("indicators_after.csv", |path| write_csv(path, &long))?;
    let kind = p.kind.id();
    let table: Vec<Record> = p
        .before_after
        .iter()
        .map(|r| {
            let (id, name) = match r.subdistrict {
                None => (
                    "district".to_string(),
                    "全区 (whole study area)".to_string(),
                ),
                Some(k) => (
                    a.study.subdistricts[k].id.clone(),
                    a.study.subdistricts[k].name.clone(),
                ),
            };
            let opt = |v: Option<f64>| v.map_or(Field::Null, |v| Field::Num(v, 4));
            let mut rec: Record = vec![
                ("id".into(), Field::Text(id)),
                ("name".into(), Field::Text(name)),
                (format!("{kind}_existing"), Field::Int(r.existing as i64)),
                (format!("{kind}_new"), Field::Int(r.new as i64)),
                (
                    format!("{kind}_after"),
                    Field::Int((r.existing + r.new) as i64),
                ),
                ("people".into(), Field::People(r.people)),
                ("covered_before".into(), Field::People(r.covered_before)),
                ("covered_after".into(), Field::People(r.covered_after)),
                ("share_before".into(), opt(r.share(r.covered_before))),
                ("share_after".into(), opt(r.share(r.covered_after))),
            ];
            if let Some(served) = r.served_after {
                rec.push(("served_after".into(), Field::People(served)));
                rec.push(("share_served_after".into(), opt(r.share(served))));
            }
            rec
        })
        .collect();
    w.file("siting_before_after.csv", |path| write_csv(path, &table))?;
    Ok(tables)
}
