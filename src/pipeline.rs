//! One run of a plan: read → project → analyse → write. This is the application layer the
//! CLI calls; the analysis core it drives never opens files or prints.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::coverage::{self, Coverage};
use crate::crs::{AnalysisCrs, CrsError, Projection};
use crate::indicators::{self, Indicators};
use crate::io::layers::{read_inputs, Skipped};
use crate::io::output::{
    area_record, write_areas_geojson, write_cells_geojson, write_csv, write_facilities_geojson,
    write_json, Record,
};
use crate::io::ReadError;
use crate::model::{FacilityKind, Study};
use crate::plan::Plan;
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

    let kinds: usize = {
        let mut k: Vec<FacilityKind> = plan.circles.iter().flat_map(|c| c.kinds.clone()).collect();
        k.sort();
        k.dedup();
        k.len()
    };
    progress.begin("straight-line coverage", (kinds * study.cells.len()) as u64);
    let coverage = coverage::straight_line(&study, &plan.circles, &|n| progress.advance(n));
    progress.end();

    let indicators = indicators::compute(&study, &coverage, &plan.standards);

    progress.begin("writing outputs", 0);
    let files = write_outputs(&study, &coverage, &indicators, out_dir)?;
    let summary = summary(
        plan,
        &projection,
        &study,
        &report,
        &skipped,
        &indicators,
        inputs.population.len(),
        &files,
    );
    let summary_path = out_dir.join("summary.json");
    write_json(&summary_path, &summary).map_err(|source| RunError::Write {
        path: summary_path.clone(),
        source,
    })?;
    progress.end();
    let mut files = files;
    files.push(summary_path);
    Ok(Outcome {
        study,
        coverage,
        indicators,
        crs: (projection.epsg(), projection.name().to_string()),
        summary,
        files,
    })
}

fn write_outputs(
    study: &Study,
    coverage: &Coverage,
    ind: &Indicators,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, RunError> {
    let mut files = Vec::new();
    let mut step = |name: &str, f: &dyn Fn(&Path) -> std::io::Result<()>| {
        let path = out_dir.join(name);
        f(&path).map_err(|source| RunError::Write {
            path: path.clone(),
            source,
        })?;
        files.push(path);
        Ok::<(), RunError>(())
    };
    step("cells.geojson", &|p| {
        write_cells_geojson(p, study, coverage)
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
            })
        })
        .collect();
    let layer =
        |l: &crate::plan::Layer| json!({"file": file_name(&l.path), "crs": l.crs.to_string()});
    json!({
        "lifecircle_version": env!("CARGO_PKG_VERSION"),
        "plan": plan.name,
        "plan_file": file_name(&plan.file),
        "analysis_crs": {"epsg": projection.epsg(), "name": projection.name(), "chosen": chosen},
        "distance_method": "straight_line (Euclidean in the analysis CRS)",
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
        "warnings": warnings(report, skipped),
        "outputs": files.iter().map(|p| file_name(p)).collect::<Vec<_>>(),
    })
}
