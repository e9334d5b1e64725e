//! The reduce step: every job folder of a batch merged into city-wide tables, whoever ran
//! the jobs (in-process, Slurm, Kubernetes). It reads only the job folders (and, for the
//! errors of failed jobs, the batch's and shards' reports), so the same job outputs give
//! the same bytes.
//!
//! `reduced/` holds:
//! - `areas.csv`: one row per area and scenario: status, people, every circle's covered
//!   share (along the streets and in a straight line), every district indicator with its
//!   target and whether it is met, the warnings' count;
//! - `areas.geojson`: the same rows with each area's boundary (WGS84), for city GIS;
//! - `subdistricts.csv`: every job's `subdistricts.csv` with `area_id` and `scenario` first;
//! - `batch.md`: what ran, what failed and why, and the key shares per area and scenario.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{known_reports, up_to_date, BatchError, Job, Manifest};
use crate::io::atomic::write_atomic;
use crate::io::output::read_csv_output;
use crate::io::read_plan;

/// The reduced files, in writing order.
pub const REDUCED: &[&str] = &["areas.csv", "areas.geojson", "subdistricts.csv", "batch.md"];

/// What the reduce step found.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduced {
    /// Jobs with a complete, current run.
    pub complete: usize,
    /// Jobs that failed (their error is in `batch.md`).
    pub failed: usize,
    /// Jobs not run yet.
    pub missing: usize,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// A job's row: its index, status (`complete`, `failed`, `missing`), error and figures.
type Row = (usize, &'static str, Option<String>, Vec<(String, Value)>);

/// One cell of a row: text as read, or a number printed as the job printed it.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The figures of one complete job, in column order: (column, value).
fn job_row(job: &Job) -> Result<Vec<(String, Value)>, String> {
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(job.out_dir.join("summary.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut row = Vec::new();
    let totals = &summary["totals"];
    for k in ["residents", "aged_60_plus", "aged_65_plus", "aged_80_plus"] {
        row.push((k.to_string(), totals[k].clone()));
    }
    for c in totals["coverage"].as_array().into_iter().flatten() {
        let name = c["circle"].as_str().unwrap_or("circle");
        for (k, col) in [
            ("people", "people"),
            ("covered", "covered"),
            ("share", "share"),
            ("straight_line_share", "straight_line_share"),
        ] {
            row.push((format!("{name}_{col}"), c[k].clone()));
        }
    }
    let (header, rows) = read_csv_output(&job.out_dir.join("indicators.csv"))
        .ok_or("indicators.csv cannot be read")?;
    let col = |n: &str| header.iter().position(|h| h == n);
    let (level, ind, value, target, met) = (
        col("level").ok_or("indicators.csv: no level column")?,
        col("indicator").ok_or("indicators.csv: no indicator column")?,
        col("value").ok_or("indicators.csv: no value column")?,
        col("target").ok_or("indicators.csv: no target column")?,
        col("met").ok_or("indicators.csv: no met column")?,
    );
    for r in rows.iter().filter(|r| r[level] == "district") {
        let name = &r[ind];
        row.push((name.clone(), Value::String(r[value].clone())));
        row.push((format!("{name}_target"), Value::String(r[target].clone())));
        row.push((format!("{name}_met"), Value::String(r[met].clone())));
    }
    row.push((
        "warnings".into(),
        Value::from(summary["warnings"].as_array().map_or(0, |w| w.len())),
    ));
    Ok(row)
}

/// Merges the job folders of `manifest` into `reduced/` (files written atomically, each
/// whole). Jobs that are not complete and current are listed as failed (with the error a
/// report gives) or missing.
pub fn reduce(manifest: &Manifest) -> Result<Reduced, BatchError> {
    let jobs = manifest.jobs()?;
    let reports = known_reports(manifest);
    let out = manifest.output_dir.join("reduced");
    let mut rows: Vec<Row> = Vec::new();
    let (mut complete, mut failed, mut missing) = (0, 0, 0);
    for job in &jobs {
        let current = read_plan(&job.plan_file)
            .ok()
            .filter(|p| {
                std::fs::read_to_string(&job.plan_file).is_ok_and(|t| t == job.plan_text)
                    && up_to_date(job, p)
            })
            .is_some();
        let (status, error, figures) = if current {
            match job_row(job) {
                Ok(f) => ("complete", None, f),
                Err(e) => (
                    "failed",
                    Some(format!("its outputs cannot be read: {e}")),
                    vec![],
                ),
            }
        } else if let Some(r) = reports.get(&job.key).filter(|r| r.error.is_some()) {
            ("failed", r.error.clone(), vec![])
        } else {
            ("missing", None, vec![])
        };
        match status {
            "complete" => complete += 1,
            "failed" => failed += 1,
            _ => missing += 1,
        }
        rows.push((job.index, status, error, figures));
    }
    // Columns: the union of the jobs' figures, in order of first appearance.
    let mut columns: Vec<String> = Vec::new();
    for (_, _, _, f) in &rows {
        for (c, _) in f {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let fixed = ["area_id", "area_name", "scenario", "status"];
    let mut files = Vec::new();
    let write = |name: &str, bytes: &[u8], files: &mut Vec<PathBuf>| {
        let path = out.join(name);
        write_atomic(&path, |w| w.write_all(bytes)).map_err(|source| BatchError::Write {
            path: path.clone(),
            source,
        })?;
        files.push(path);
        Ok::<(), BatchError>(())
    };

    // areas.csv
    let mut csv_out = csv::WriterBuilder::new().from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut header: Vec<&str> = fixed.to_vec();
    header.extend(columns.iter().map(String::as_str));
    header.push("error");
    csv_out.write_record(&header).expect("writes to memory");
    let mut features = Vec::new();
    for (i, status, error, figures) in &rows {
        let job = &jobs[*i];
        let area = &manifest.areas[job.area];
        let by: BTreeMap<&str, &Value> = figures.iter().map(|(c, v)| (c.as_str(), v)).collect();
        let mut rec = vec![
            area.id.clone(),
            area.name.clone(),
            manifest.scenarios[job.scenario].name.clone(),
            status.to_string(),
        ];
        rec.extend(
            columns
                .iter()
                .map(|c| by.get(c.as_str()).map_or(String::new(), |v| text(v))),
        );
        rec.push(error.clone().unwrap_or_default());
        csv_out.write_record(&rec).expect("writes to memory");

        let mut props = Map::new();
        props.insert("area_id".into(), Value::String(area.id.clone()));
        props.insert("area_name".into(), Value::String(area.name.clone()));
        props.insert(
            "scenario".into(),
            Value::String(manifest.scenarios[job.scenario].name.clone()),
        );
        props.insert("status".into(), Value::String(status.to_string()));
        for c in &columns {
            let v = by.get(c.as_str()).map_or(Value::Null, |v| {
                // Table values that are numbers become JSON numbers.
                match v {
                    Value::String(s) => s
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                        .or_else(|| match s.as_str() {
                            "true" => Some(Value::Bool(true)),
                            "false" => Some(Value::Bool(false)),
                            "" => Some(Value::Null),
                            _ => None,
                        })
                        .unwrap_or_else(|| (*v).clone()),
                    other => (*other).clone(),
                }
            });
            props.insert(c.clone(), v);
        }
        props.insert(
            "error".into(),
            error.clone().map_or(Value::Null, Value::String),
        );
        let geometry = geojson::Geometry::from(&area.boundary);
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": Value::Object(props),
        }));
    }
    let bytes = csv_out.into_inner().expect("memory writer");
    write("areas.csv", &bytes, &mut files)?;
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "name": format!("{} — areas × scenarios", manifest.name),
        "features": features,
    });
    write(
        "areas.geojson",
        serde_json::to_string(&fc).expect("serialises").as_bytes(),
        &mut files,
    )?;

    // subdistricts.csv: the jobs' tables, stacked.
    let mut sub_columns: Vec<String> = Vec::new();
    let mut tables = Vec::new();
    for (i, status, _, _) in &rows {
        if *status != "complete" {
            continue;
        }
        let job = &jobs[*i];
        if let Some((h, r)) = read_csv_output(&job.out_dir.join("subdistricts.csv")) {
            for c in &h {
                if !sub_columns.contains(c) {
                    sub_columns.push(c.clone());
                }
            }
            tables.push((job, h, r));
        }
    }
    let mut sub = csv::WriterBuilder::new().from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut header = vec!["area_id".to_string(), "scenario".to_string()];
    header.extend(sub_columns.iter().cloned());
    sub.write_record(&header).expect("writes to memory");
    for (job, h, r) in &tables {
        let index: BTreeMap<&str, usize> =
            h.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
        for row in r {
            let mut rec = vec![
                manifest.areas[job.area].id.clone(),
                manifest.scenarios[job.scenario].name.clone(),
            ];
            rec.extend(sub_columns.iter().map(|c| {
                index
                    .get(c.as_str())
                    .map_or(String::new(), |&k| row[k].clone())
            }));
            sub.write_record(&rec).expect("writes to memory");
        }
    }
    let bytes = sub.into_inner().expect("memory writer");
    write("subdistricts.csv", &bytes, &mut files)?;

    // batch.md
    let mut md = format!(
        "# {}\n\n{} areas × {} scenarios = {} jobs: **{complete} complete**, {failed} failed, {missing} not run yet.\n\n",
        manifest.name,
        manifest.areas.len(),
        manifest.scenarios.len(),
        jobs.len()
    );
    // The circles' shares: `<circle>_share` beside a `<circle>_people` column.
    let share_cols: Vec<&String> = columns
        .iter()
        .filter(|c| {
            c.strip_suffix("_share")
                .is_some_and(|circle| columns.contains(&format!("{circle}_people")))
        })
        .collect();
    md.push_str("| area | scenario | status | residents | aged 60+ |");
    for c in &share_cols {
        md.push_str(&format!(" {} |", c));
    }
    md.push_str(" warnings |\n|---|---|---|---:|---:|");
    for _ in &share_cols {
        md.push_str("---:|");
    }
    md.push_str("---:|\n");
    for (i, status, _, figures) in &rows {
        let job = &jobs[*i];
        let by: BTreeMap<&str, &Value> = figures.iter().map(|(c, v)| (c.as_str(), v)).collect();
        let get = |c: &str| by.get(c).map_or(String::new(), |v| text(v));
        let area = &manifest.areas[job.area];
        let label = if area.name == area.id {
            area.id.clone()
        } else {
            format!("{} {}", area.id, area.name)
        };
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} |",
            manifest.scenarios[job.scenario].name,
            status,
            get("residents"),
            get("aged_60_plus"),
        ));
        for c in &share_cols {
            let s = by.get(c.as_str()).and_then(|v| v.as_f64());
            md.push_str(&match s {
                Some(s) => format!(" {:.1} % |", s * 100.0),
                None => " |".to_string(),
            });
        }
        md.push_str(&format!(" {} |\n", get("warnings")));
    }
    let failures: Vec<String> = rows
        .iter()
        .filter(|r| r.1 == "failed")
        .map(|(i, _, e, _)| format!("- `{}`: {}", jobs[*i].key, e.clone().unwrap_or_default()))
        .collect();
    if !failures.is_empty() {
        md.push_str("\n## Failed jobs\n\n");
        md.push_str(&failures.join("\n"));
        md.push_str("\n\nRe-run with `lifecircle batch MANIFEST --retry-failed` once fixed.\n");
    }
    md.push_str(
        "\nShares are of the circle's age band, measured by the circle's method (along the streets when the plan has a network). Each job's own folder (`jobs/<area>/<scenario>/`) holds its report, maps and warnings.\n",
    );
    write("batch.md", md.as_bytes(), &mut files)?;
    Ok(Reduced {
        complete,
        failed,
        missing,
        files,
    })
}
