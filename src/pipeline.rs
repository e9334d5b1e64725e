//! One run of a plan: read → project → analyse → write. This is the application layer the
//! CLI calls; the analysis core it drives never opens files or prints.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::coverage::{self, Coverage, NetworkContext};
use crate::crs::{AnalysisCrs, CrsError, Projection};
use crate::indicators::{self, CellAccess, Indicators};
use crate::io::layers::{read_inputs, Skipped};
use crate::io::osm::read_osm;
use crate::io::output::{
    area_record, polygon_json, write_areas_geojson, write_cells_geojson, write_csv,
    write_facilities_geojson, write_feature_collection, write_json, Field, Record,
};
use crate::io::ReadError;
use crate::model::{FacilityKind, Study};
use crate::network::{GraphStats, WalkGraph};
use crate::plan::Plan;
use crate::standards::Method;
use crate::study::{self, BuildReport, StudyError};

/// Progress reporting for long steps (the CLI shows bars; tests stay silent).
pub trait Progress: Sync {
    /// A step starts; `total` units of work (0 when unknown).
    fn begin(&self, step: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The step is done.
    fn end(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("analysis CRS: {0}")]
    Crs(#[from] CrsError),
    #[error(transparent)]
    Study(#[from] StudyError),
    #[error("siting: {0}")]
    Siting(crate::siting::SitingError),
    #[error("siting: the independent re-check failed: {0}")]
    Recheck(String),
    #[error("maps: {0}")]
    Font(String),
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub study: Study,
    pub coverage: Coverage,
    pub indicators: Indicators,
    /// 2SFCA accessibility per cell, per facility kind.
    pub access: Vec<CellAccess>,
    /// Proposed sites, when the plan has `[siting]`.
    pub proposal: Option<crate::proposal::Proposal>,
    /// EPSG code and name of the analysis CRS.
    pub crs: (u32, String),
    /// The run summary written to `summary.json`.
    pub summary: Value,
    /// Files written, in order.
    pub files: Vec<PathBuf>,
}

/// Runs `plan`, writing into `out_dir`.
pub fn run(plan: &Plan, out_dir: &Path, progress: &dyn Progress) -> Result<Outcome, RunError> {
    progress.begin("reading inputs", 0);
    let (inputs, skipped) = read_inputs(plan)?;
    progress.end();

    let centre = inputs.centre().ok_or(StudyError::NoPopulation)?;
    let projection = plan.analysis_crs.resolve(centre)?;
    progress.begin("projecting and assigning cells to areas", 0);
    let (study, report) = study::build(&inputs, &projection)?;
    progress.end();

    let network = match &plan.network {
        None => None,
        Some(n) => {
            progress.begin("reading the street network", 0);
            let osm = read_osm(&n.path)?;
            let (graph, stats) = WalkGraph::from_osm(&osm, &projection)?;
            progress.end();
            Some((graph, stats, n.max_snap_m))
        }
    };
    progress.begin("snapping cells and facilities to the network", 0);
    let context = network
        .as_ref()
        .map(|(graph, _, max_snap_m)| NetworkContext::new(graph, &study, *max_snap_m));
    progress.end();

    let kinds: Vec<FacilityKind> = {
        let mut k: Vec<FacilityKind> = plan.circles.iter().flat_map(|c| c.kinds.clone()).collect();
        k.sort();
        k.dedup();
        k
    };
    let passes = kinds
        .iter()
        .map(|k| {
            let on_network = context.is_some()
                && plan
                    .circles
                    .iter()
                    .any(|c| c.method == Method::Network && c.kinds.contains(k));
            1 + usize::from(on_network)
        })
        .sum::<usize>();
    progress.begin("coverage", (passes * study.cells.len()) as u64);
    let coverage = coverage::measure(&study, &plan.circles, context.as_ref(), &|n| {
        progress.advance(n)
    });
    progress.end();

    progress.begin("accessibility (2SFCA)", 0);
    let cells_xy: Vec<[f64; 2]> = study
        .cells
        .iter()
        .map(|c| [c.location.xy_m.x, c.location.xy_m.y])
        .collect();
    let access = indicators::cell_access(&study, &coverage, |kind, radius_m, method| {
        let of_kind = |i: &usize| study.facilities[*i].kind == kind;
        let idx: Vec<usize> = (0..study.facilities.len()).filter(of_kind).collect();
        match (method, &context) {
            (Method::Network, Some(ctx)) => {
                let snaps: Vec<_> = idx.iter().map(|&i| ctx.facility_snaps[i]).collect();
                coverage::catchments_network(ctx, &snaps, radius_m)
            }
            _ => {
                let xy: Vec<[f64; 2]> = idx
                    .iter()
                    .map(|&i| {
                        let p = study.facilities[i].location.xy_m;
                        [p.x, p.y]
                    })
                    .collect();
                coverage::catchments_straight_line(&cells_xy, &xy, radius_m)
            }
        }
    });
    progress.end();
    let indicators = indicators::compute(&study, &coverage, &plan.standards, &access);

    progress.begin("writing outputs", 0);
    let mut files = write_outputs(&study, &coverage, &indicators, &access, out_dir)?;
    let md = crate::io::tables::markdown(&plan.name, &indicators, &coverage);
    let md_path = out_dir.join("indicators.md");
    crate::io::tables::write_text(&md_path, &md).map_err(|source| RunError::Write {
        path: md_path.clone(),
        source,
    })?;
    files.push(md_path);
    if let Some(ctx) = &context {
        let path = out_dir.join("service_areas.geojson");
        write_service_areas(&path, &study, plan, ctx, &projection)?;
        files.push(path);
    }
    let proposal = match &plan.siting {
        None => None,
        Some(_) => {
            progress.begin("proposing sites (location-allocation)", 0);
            let p = crate::proposal::propose(
                plan,
                &study,
                &coverage,
                context.as_ref(),
                &projection,
                out_dir,
            )?;
            progress.end();
            files.extend(p.files.iter().cloned());
            Some(p)
        }
    };
    let drawn = if plan.report.maps {
        progress.begin("drawing maps", 0);
        let d = crate::report::draw_maps(
            plan,
            &study,
            &coverage,
            &indicators,
            proposal.as_ref(),
            &projection,
            out_dir,
        )?;
        progress.end();
        files.extend(d.files.iter().cloned());
        Some(d)
    } else {
        None
    };
    #[cfg(feature = "gdal")]
    if !plan.vector_formats.is_empty() {
        progress.begin("writing GeoPackage / FlatGeobuf copies", 0);
        let geojsons: Vec<&Path> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
            .map(PathBuf::as_path)
            .collect();
        let copies =
            crate::io::gdal_io::write_vector_copies(&geojsons, out_dir, &plan.vector_formats)
                .map_err(|source| RunError::Write {
                    path: out_dir.to_path_buf(),
                    source,
                })?;
        files.extend(copies);
        progress.end();
    }
    let network_summary = network
        .as_ref()
        .zip(context.as_ref())
        .map(|((_, stats, _), ctx)| {
            network_summary(
                &study,
                stats,
                ctx,
                &plan.network.as_ref().expect("network").path,
            )
        });
    let summary = summary(
        plan,
        &projection,
        &study,
        &report,
        &skipped,
        &indicators,
        inputs.population.len(),
        network_summary,
        &files,
    );
    let mut summary = summary;
    summary["siting"] = proposal.as_ref().map_or(Value::Null, |p| p.summary.clone());
    if let Some(d) = &drawn {
        summary["maps"] = d.summary();
        summary["report"] = json!("report.html");
        if let (Some(w), Some(list)) = (&d.warning, summary["warnings"].as_array_mut()) {
            list.push(json!(w));
        }
    }
    let summary_path = out_dir.join("summary.json");
    write_json(&summary_path, &summary).map_err(|source| RunError::Write {
        path: summary_path.clone(),
        source,
    })?;
    progress.end();
    files.push(summary_path);
    if let Some(d) = &drawn {
        crate::report::write_report(&summary, &md, proposal.as_ref(), d, out_dir, &mut files)?;
    }
    Ok(Outcome {
        study,
        coverage,
        indicators,
        access,
        proposal,
        crs: (projection.epsg(), projection.name().to_string()),
        summary,
        files,
    })
}

/// Service-area polygons of every facility for each network circle its kind serves.
fn write_service_areas(
    path: &Path,
    study: &Study,
    plan: &Plan,
    ctx: &NetworkContext,
    projection: &Projection,
) -> Result<(), RunError> {
    use geo::MapCoords;
    let areas = coverage::service_areas(study, &plan.circles, ctx);
    let mut features = Vec::with_capacity(areas.len());
    for a in &areas {
        let polygon = a.polygon_m.try_map_coords(|c| {
            projection
                .to_wgs84(c.x, c.y)
                .map(|(x, y)| geo::Coord { x, y })
        })?;
        let f = &study.facilities[a.facility];
        let c = &plan.circles[a.circle];
        let record: Record = vec![
            ("facility_id".into(), Field::Text(f.id.clone())),
            ("name".into(), Field::Text(f.name.clone())),
            ("kind".into(), Field::Text(f.kind.id().into())),
            ("circle".into(), Field::Text(c.name.clone())),
            ("radius_m".into(), Field::Num(c.radius_m(), 1)),
        ];
        features.push((polygon_json(&polygon), record));
    }
    write_feature_collection(path, features.into_iter()).map_err(|source| RunError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The network part of the run summary.
fn network_summary(study: &Study, stats: &GraphStats, ctx: &NetworkContext, path: &Path) -> Value {
    let unsnapped: Vec<usize> = (0..study.cells.len())
        .filter(|&i| ctx.cell_snaps[i].is_none())
        .collect();
    let residents: f64 = unsnapped
        .iter()
        .map(|&i| study.cells[i].counts.residents)
        .sum();
    let aged_60: f64 = unsnapped
        .iter()
        .map(|&i| study.cells[i].counts.aged_60)
        .sum();
    let facilities: Vec<&str> = study
        .facilities
        .iter()
        .zip(&ctx.facility_snaps)
        .filter(|(_, s)| s.is_none())
        .map(|(f, _)| f.id.as_str())
        .collect();
    let excluded: serde_json::Map<String, Value> = stats
        .ways_excluded
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "file": path.file_name().map(|n| n.to_string_lossy().into_owned()),
        "edge_lengths": "geodesic on the WGS84 ellipsoid",
        "ways_with_highway_tag": stats.ways_read,
        "ways_walkable": stats.ways_walkable,
        "ways_excluded": excluded,
        "missing_node_refs": stats.missing_node_refs,
        "nodes": stats.nodes,
        "segments": stats.segments,
        "total_length_km": (stats.total_length_m / 10.0).round() / 100.0,
        "max_snap_m": ctx.max_snap_m,
        "cells_not_snapped": unsnapped.len(),
        "residents_not_snapped": (residents * 10.0).round() / 10.0,
        "aged_60_plus_not_snapped": (aged_60 * 10.0).round() / 10.0,
        "facilities_not_snapped": facilities,
    })
}

/// Writes `out_dir/name` with `f`, naming the file in the error, and records it in `files`.
pub(crate) fn write_step(
    out_dir: &Path,
    name: &str,
    f: &dyn Fn(&Path) -> std::io::Result<()>,
    files: &mut Vec<PathBuf>,
) -> Result<(), RunError> {
    let path = out_dir.join(name);
    f(&path).map_err(|source| RunError::Write {
        path: path.clone(),
        source,
    })?;
    files.push(path);
    Ok(())
}

fn write_outputs(
    study: &Study,
    coverage: &Coverage,
    ind: &Indicators,
    access: &[CellAccess],
    out_dir: &Path,
) -> Result<Vec<PathBuf>, RunError> {
    let mut files = Vec::new();
    let mut step = |name: &str, f: &dyn Fn(&Path) -> std::io::Result<()>| {
        write_step(out_dir, name, f, &mut files)
    };
    step("cells.geojson", &|p| {
        write_cells_geojson(p, study, coverage, access)
    })?;
    step("facilities.geojson", &|p| {
        write_facilities_geojson(p, study)
    })?;
    let mut sub_rows: Vec<Record> = ind
        .subdistricts
        .iter()
        .map(|r| area_record(r, false, true))
        .collect();
    sub_rows.push(area_record(&ind.district, false, true));
    step("subdistricts.csv", &|p| write_csv(p, &sub_rows))?;
    if !study.subdistricts.is_empty() {
        step("subdistricts.geojson", &|p| {
            write_areas_geojson(p, &study.subdistricts, &ind.subdistricts, false, true)
        })?;
    }
    let long = crate::io::tables::indicator_records(ind, coverage, access);
    step("indicators.csv", &|p| write_csv(p, &long))?;
    step("indicators.parquet", &|p| {
        crate::io::tables::write_parquet(p, &long)
    })?;
    let under = crate::io::tables::underserved_records(ind);
    if !under.is_empty() {
        step("underserved.csv", &|p| write_csv(p, &under))?;
    }
    if !study.committees.is_empty() {
        let rows: Vec<Record> = ind
            .committees
            .iter()
            .map(|r| area_record(r, true, false))
            .collect();
        step("committees.csv", &|p| write_csv(p, &rows))?;
        step("committees.geojson", &|p| {
            write_areas_geojson(p, &study.committees, &ind.committees, true, false)
        })?;
    }
    Ok(files)
}

/// Human-readable warnings from building the study and reading facilities.
pub fn warnings(report: &BuildReport, skipped: &Skipped) -> Vec<String> {
    let mut w = Vec::new();
    if report.cells_outside_subdistricts > 0 {
        w.push(format!(
            "{} population cells ({:.0} residents) lie in no sub-district polygon; they count in the district totals only",
            report.cells_outside_subdistricts, report.residents_outside_subdistricts
        ));
    }
    if report.cells_outside_committees > 0 {
        w.push(format!(
            "{} population cells lie in no residential-committee polygon",
            report.cells_outside_committees
        ));
    }
    if !report.facilities_outside_subdistricts.is_empty() {
        w.push(format!(
            "{} facilities lie in no sub-district: {}",
            report.facilities_outside_subdistricts.len(),
            report.facilities_outside_subdistricts.join(", ")
        ));
    }
    for (id, given, found) in &report.facilities_subdistrict_mismatch {
        w.push(format!(
            "facility {id}: sub-district given as '{given}' but it lies in '{found}' (the polygon is used)"
        ));
    }
    for (label, rows) in &skipped.unknown_labels {
        w.push(format!(
            "skipped {} facilities with unknown label '{label}' ({})",
            rows.len(),
            rows.join(", ")
        ));
    }
    w
}

#[allow(clippy::too_many_arguments)]
fn summary(
    plan: &Plan,
    projection: &Projection,
    study: &Study,
    report: &BuildReport,
    skipped: &Skipped,
    ind: &Indicators,
    population_records: usize,
    network: Option<Value>,
    files: &[PathBuf],
) -> Value {
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let chosen = match plan.analysis_crs {
        AnalysisCrs::Auto => "auto: the UTM zone holding the study area's centre",
        AnalysisCrs::Epsg(_) => "set in the plan",
    };
    let circles: Vec<Value> = plan
        .circles
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "label": c.label,
                "reach": c.reach.to_string(),
                "radius_m": c.radius_m(),
                "kinds": c.kinds.iter().map(|k| k.id()).collect::<Vec<_>>(),
                "require": c.require.to_string(),
                "age_band": c.age_band.to_string(),
                "method": c.method.to_string(),
                "source": c.source,
            })
        })
        .collect();
    let targets: serde_json::Map<String, Value> = plan
        .standards
        .targets
        .iter()
        .map(|(k, t)| {
            (
                k.id().to_string(),
                json!({"value": t.value, "source": t.source, "description": k.description()}),
            )
        })
        .collect();
    let mut facilities = serde_json::Map::new();
    for k in FacilityKind::ALL {
        let n = study.facilities.iter().filter(|f| f.kind == k).count();
        if n > 0 {
            facilities.insert(k.id().to_string(), json!(n));
        }
    }
    let totals: Vec<Value> = ind
        .district
        .circles
        .iter()
        .map(|c| {
            json!({
                "circle": c.circle,
                "age_band": c.age_band.to_string(),
                "people": (c.people * 10.0).round() / 10.0,
                "covered": (c.covered * 10.0).round() / 10.0,
                "share": c.share().map(|s| (s * 1e4).round() / 1e4),
                "straight_line_share": c.straight_line_share().map(|s| (s * 1e4).round() / 1e4),
            })
        })
        .collect();
    let layer =
        |l: &crate::plan::Layer| json!({"file": file_name(&l.path), "crs": l.crs.to_string()});
    let mut all_warnings = warnings(report, skipped);
    if let Some(n) = &network {
        let cells = n["cells_not_snapped"].as_u64().unwrap_or(0);
        if cells > 0 {
            all_warnings.push(format!(
                "{cells} population cells ({} residents) lie farther than {} m from any walkable street: no network circle covers them",
                n["residents_not_snapped"], n["max_snap_m"]
            ));
        }
        let facilities: Vec<&str> = n["facilities_not_snapped"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !facilities.is_empty() {
            all_warnings.push(format!(
                "{} facilities lie farther than {} m from any walkable street and serve no network circle: {}",
                facilities.len(),
                n["max_snap_m"],
                facilities.join(", ")
            ));
        }
    }
    json!({
        "lifecircle_version": env!("CARGO_PKG_VERSION"),
        "plan": plan.name,
        "plan_file": file_name(&plan.file),
        "analysis_crs": {"epsg": projection.epsg(), "name": projection.name(), "chosen": chosen},
        "distance_methods": {
            "straight_line": "Euclidean distance in the analysis CRS",
            "network": "walking along the street network: snap offsets plus geodesic street lengths",
        },
        "network": network,
        "circles": circles,
        "standards": {"preset": plan.standards.preset, "targets": targets},
        "inputs": {
            "population": layer(&plan.population.layer),
            "population_records": population_records,
            "population_cells": study.cells.len(),
            "population_spread_onto_grid_m": (report.polygons_spread > 0).then_some(plan.population.grid_cell_m),
            "facilities": layer(&plan.facilities.layer),
            "facilities_by_kind": facilities,
            "subdistricts": study.subdistricts.len(),
            "committees": study.committees.len(),
        },
        "totals": {
            "residents": (ind.district.counts.residents * 10.0).round() / 10.0,
            "aged_60_plus": (ind.district.counts.aged_60 * 10.0).round() / 10.0,
            "aged_65_plus": (ind.district.counts.aged_65 * 10.0).round() / 10.0,
            "aged_80_plus": (ind.district.counts.aged_80 * 10.0).round() / 10.0,
            "coverage": totals,
        },
        "warnings": all_warnings,
        "outputs": files.iter().map(|p| file_name(p)).collect::<Vec<_>>(),
    })
}
