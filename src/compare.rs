//! `lifecircle compare RUN_A RUN_B`: what changed between two runs of the same cells (two
//! scenarios, before and after a plan, two walking speeds), per cell and per area, from the
//! runs' output folders.
//!
//! The runs must have the same cells (ids and positions, in the same order: the same
//! population input and grid); anything else is refused, naming the first difference. It
//! writes, into a folder replaced whole like a run's:
//! - `changed_cells.geojson`: the cells whose verdict changed for any circle, by either
//!   method, with both verdicts and `change` in words;
//! - `cells_delta.csv`: every cell: each verdict in A and B, and B − A of every other number
//!   (distances, accessibility);
//! - `areas_delta.csv`: every sub-district and committee (and the district): each figure of
//!   its table in A and B and B − A (a long table, one row per area and figure);
//! - `indicators_delta.csv`: every indicator at every level: value and target in A and B,
//!   the difference and whether it is now met or no longer met;
//! - `compare.md`: the district's circles before and after, the cells and people that gained
//!   or lost each circle, the indicators whose verdict changed, the sub-districts that moved
//!   most.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo::Geometry;

use crate::io::output::{
    multipolygon_json, point_json, polygon_json, read_csv_output, write_csv,
    write_feature_collection, Field, JsonGeometry, Record,
};
use crate::io::run_folder::{hash_input, FolderError, ManifestInput, RunFolder};
use crate::io::{geojson_table, ReadError, Row};

/// Why two runs cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// An output of a run cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The runs do not have the same cells.
    #[error("{a} and {b} do not have the same cells, so they cannot be compared cell by cell: {why}. Compare runs of the same population input (scenarios of one plan, before and after)")]
    CellsDiffer {
        /// Run A's folder.
        a: PathBuf,
        /// Run B's folder.
        b: PathBuf,
        /// The first difference.
        why: String,
    },
    /// The comparison folder cannot be written.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The output folder is busy or holds foreign files.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// The output folder is one of the runs, or inside or around one.
    #[error("--out {out}: the comparison would replace the run {run} (it is, holds or lies inside it); write it to a folder of its own")]
    OutIsRun {
        /// The output folder.
        out: PathBuf,
        /// The run.
        run: PathBuf,
    },
}

/// What the comparison found, for the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Cells compared.
    pub cells: usize,
    /// Per verdict column: (cells gained, cells lost, people aged 60+ gained, lost).
    pub changes: Vec<(String, usize, usize, f64, f64)>,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// A run's cells: rows in file order.
fn cells(run: &Path) -> Result<Vec<Row>, CompareError> {
    let path = run.join("cells.geojson");
    if !path.exists() {
        let why = if run.join("cells.parquet").exists() {
            "the run wrote its cells as cells.parquet only; compare reads cells.geojson: run it with [outputs] cells = \"both\""
        } else {
            "no cells.geojson: is this a lifecircle output folder?"
        };
        return Err(ReadError::file(&path, why).into());
    }
    Ok(geojson_table::read(&path)?.rows)
}

fn same_position(a: &Option<Geometry<f64>>, b: &Option<Geometry<f64>>) -> bool {
    match (a, b) {
        (Some(Geometry::Point(p)), Some(Geometry::Point(q))) => {
            (p.x() - q.x()).abs() < 1e-9 && (p.y() - q.y()).abs() < 1e-9
        }
        (Some(x), Some(y)) => x == y,
        (None, None) => true,
        _ => false,
    }
}

fn geometry_json(g: &Option<Geometry<f64>>) -> JsonGeometry {
    match g {
        Some(Geometry::Point(p)) => point_json(p.0),
        Some(Geometry::Polygon(p)) => polygon_json(p),
        Some(Geometry::MultiPolygon(m)) => multipolygon_json(m),
        _ => JsonGeometry::null(),
    }
}

/// A verdict column: `<circle>_covered` or `<circle>_covered_straight_line`.
fn is_verdict(column: &str) -> bool {
    column.ends_with("_covered") || column.ends_with("_covered_straight_line")
}

/// Compares the runs in folders `a` and `b`, writing the comparison into `out` (replaced
/// whole; see the module text).
pub fn compare(a: &Path, b: &Path, out: &Path) -> Result<Comparison, CompareError> {
    let clean = crate::io::clean;
    let o = std::fs::canonicalize(out).unwrap_or_else(|_| clean(out));
    for run in [a, b] {
        let r = std::fs::canonicalize(run).unwrap_or_else(|_| clean(run));
        if o.starts_with(&r) || r.starts_with(&o) {
            return Err(CompareError::OutIsRun {
                out: out.to_path_buf(),
                run: run.to_path_buf(),
            });
        }
    }
    let (ca, cb) = (cells(a)?, cells(b)?);
    let differ = |why: String| CompareError::CellsDiffer {
        a: a.to_path_buf(),
        b: b.to_path_buf(),
        why,
    };
    if ca.len() != cb.len() {
        return Err(differ(format!(
            "{} cells in A, {} in B",
            ca.len(),
            cb.len()
        )));
    }
    for (k, (x, y)) in ca.iter().zip(&cb).enumerate() {
        let (ix, iy) = (x.text("id"), y.text("id"));
        if ix != iy {
            return Err(differ(format!(
                "cell {k} is '{}' in A and '{}' in B",
                ix.unwrap_or(""),
                iy.unwrap_or("")
            )));
        }
        if !same_position(&x.geometry, &y.geometry) {
            return Err(differ(format!(
                "cell '{}' lies at another place in B",
                ix.unwrap_or("")
            )));
        }
    }
    // Columns of both runs, in B's order.
    let columns: Vec<String> = cb
        .first()
        .map(|r| r.values().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    let in_a: Vec<String> = ca
        .first()
        .map(|r| r.values().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    let common: Vec<&String> = columns.iter().filter(|c| in_a.contains(c)).collect();
    let verdicts: Vec<&String> = common.iter().copied().filter(|c| is_verdict(c)).collect();
    let labels = ["id", "subdistrict", "committee"];
    let counts = ["residents", "aged_60_plus", "aged_65_plus", "aged_80_plus"];
    let numbers: Vec<&String> = common
        .iter()
        .copied()
        .filter(|c| !is_verdict(c) && !labels.contains(&c.as_str()))
        .collect();

    let folder = RunFolder::open(out)?;
    let staging = folder.staging().to_path_buf();
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CompareError::Write { path, source }
    };
    let mut files = Vec::new();

    // Per cell.
    let mut changes: BTreeMap<&str, (usize, usize, f64, f64)> = BTreeMap::new();
    let mut changed: Vec<(JsonGeometry, Record)> = Vec::new();
    let mut per_cell: Vec<Record> = Vec::with_capacity(cb.len());
    let num = |r: &Row, c: &str| r.text(c).and_then(|t| t.parse::<f64>().ok());
    for (x, y) in ca.iter().zip(&cb) {
        let people = num(y, "aged_60_plus").unwrap_or(0.0);
        let label_fields: Record = labels
            .iter()
            .map(|l| {
                (
                    l.to_string(),
                    y.text(l).map_or(Field::Null, |t| Field::Text(t.into())),
                )
            })
            .collect();
        let mut rec = label_fields.clone();
        let mut words = Vec::new();
        let mut verdict_fields = Vec::new();
        for v in &verdicts {
            let (va, vb) = (x.text(v) == Some("true"), y.text(v) == Some("true"));
            let e = changes.entry(v.as_str()).or_default();
            if !va && vb {
                e.0 += 1;
                e.2 += people;
                words.push(format!("{v}: gained"));
            } else if va && !vb {
                e.1 += 1;
                e.3 += people;
                words.push(format!("{v}: lost"));
            }
            verdict_fields.push((format!("{v}_a"), Field::Bool(va)));
            verdict_fields.push((format!("{v}_b"), Field::Bool(vb)));
        }
        rec.extend(verdict_fields.iter().cloned());
        for c in &numbers {
            let d = match (num(x, c), num(y, c)) {
                (Some(p), Some(q)) => Field::Num(q - p, 4),
                _ => Field::Null,
            };
            if counts.contains(&c.as_str()) {
                rec.push((
                    c.to_string(),
                    y.text(c).map_or(Field::Null, |t| Field::Text(t.into())),
                ));
            }
            rec.push((format!("{c}_delta"), d));
        }
        if !words.is_empty() {
            let mut props = label_fields;
            props.push(("aged_60_plus".into(), Field::People(people)));
            props.extend(verdict_fields);
            props.push(("change".into(), Field::Text(words.join("; "))));
            changed.push((geometry_json(&y.geometry), props));
        }
        per_cell.push(rec);
    }
    let p = staging.join("changed_cells.geojson");
    write_feature_collection(&p, changed.into_iter()).map_err(werr(&p))?;
    files.push(out.join("changed_cells.geojson"));
    let p = staging.join("cells_delta.csv");
    write_csv(&p, &per_cell).map_err(werr(&p))?;
    files.push(out.join("cells_delta.csv"));

    // Per area: every figure of the area tables, long.
    let mut area_rows: Vec<Record> = Vec::new();
    let mut moved: Vec<(f64, String, String)> = Vec::new();
    let first_share = verdicts
        .first()
        .map(|v| format!("{}_share", v.trim_end_matches("_covered")));
    for (level, file) in [
        ("subdistrict", "subdistricts.csv"),
        ("committee", "committees.csv"),
    ] {
        let (Some((ha, ra)), Some((hb, rb))) = (
            read_csv_output(&a.join(file)),
            read_csv_output(&b.join(file)),
        ) else {
            continue;
        };
        let by_id: BTreeMap<&str, &Vec<String>> = ra.iter().map(|r| (r[0].as_str(), r)).collect();
        for row in &rb {
            let Some(ar) = by_id.get(row[0].as_str()) else {
                continue;
            };
            for (k, col) in hb.iter().enumerate().skip(2) {
                let Some(ka) = ha.iter().position(|h| h == col) else {
                    continue;
                };
                let (va, vb) = (ar[ka].parse::<f64>(), row[k].parse::<f64>());
                let delta = match (&va, &vb) {
                    (Ok(p), Ok(q)) => Field::Num(q - p, 4),
                    _ => Field::Null,
                };
                if ar[ka] == row[k] && !matches!(delta, Field::Num(..)) {
                    continue;
                }
                if level == "subdistrict"
                    && Some(col) == first_share.as_ref()
                    && row[0] != "district"
                {
                    if let (Ok(p), Ok(q)) = (&va, &vb) {
                        moved.push((q - p, row[0].clone(), row[1].clone()));
                    }
                }
                area_rows.push(vec![
                    (
                        "level".into(),
                        Field::Text(
                            if row[0] == "district" {
                                "district"
                            } else {
                                level
                            }
                            .into(),
                        ),
                    ),
                    ("id".into(), Field::Text(row[0].clone())),
                    ("name".into(), Field::Text(row[1].clone())),
                    ("figure".into(), Field::Text(col.clone())),
                    ("a".into(), Field::Text(ar[ka].clone())),
                    ("b".into(), Field::Text(row[k].clone())),
                    ("delta".into(), delta),
                ]);
            }
        }
    }
    let p = staging.join("areas_delta.csv");
    write_csv(&p, &area_rows).map_err(werr(&p))?;
    files.push(out.join("areas_delta.csv"));

    // Indicators.
    let mut ind_rows: Vec<Record> = Vec::new();
    let mut flips: Vec<String> = Vec::new();
    if let (Some((ha, ra)), Some((hb, rb))) = (
        read_csv_output(&a.join("indicators.csv")),
        read_csv_output(&b.join("indicators.csv")),
    ) {
        let col = |h: &[String], n: &str| h.iter().position(|c| c == n);
        let key = |h: &[String], r: &[String]| -> Option<(String, String, String)> {
            Some((
                r[col(h, "level")?].clone(),
                r[col(h, "area_id")?].clone(),
                r[col(h, "indicator")?].clone(),
            ))
        };
        let in_a: BTreeMap<(String, String, String), &Vec<String>> = ra
            .iter()
            .filter_map(|r| key(&ha, r).map(|k| (k, r)))
            .collect();
        for r in &rb {
            let Some(k) = key(&hb, r) else { continue };
            let Some(ar) = in_a.get(&k) else { continue };
            let get = |h: &[String], row: &[String], n: &str| {
                col(h, n).map_or(String::new(), |i| row[i].clone())
            };
            let (va, vb) = (get(&ha, ar, "value"), get(&hb, r, "value"));
            let (ma, mb) = (get(&ha, ar, "met"), get(&hb, r, "met"));
            let change = match (ma.as_str(), mb.as_str()) {
                ("false", "true") => "now met",
                ("true", "false") => "no longer met",
                _ => "",
            };
            if !change.is_empty() {
                flips.push(format!(
                    "- {} {} — {} ({}): {} → {} ({change})",
                    k.0,
                    get(&hb, r, "area_name"),
                    k.2,
                    get(&hb, r, "name_zh"),
                    va,
                    vb
                ));
            }
            let delta = match (va.parse::<f64>(), vb.parse::<f64>()) {
                (Ok(p), Ok(q)) => Field::Num(q - p, 4),
                _ => Field::Null,
            };
            ind_rows.push(vec![
                ("level".into(), Field::Text(k.0.clone())),
                ("area_id".into(), Field::Text(k.1.clone())),
                ("area_name".into(), Field::Text(get(&hb, r, "area_name"))),
                ("indicator".into(), Field::Text(k.2.clone())),
                ("name_zh".into(), Field::Text(get(&hb, r, "name_zh"))),
                ("unit".into(), Field::Text(get(&hb, r, "unit"))),
                ("value_a".into(), Field::Text(va)),
                ("value_b".into(), Field::Text(vb)),
                ("delta".into(), delta),
                ("target_a".into(), Field::Text(get(&ha, ar, "target"))),
                ("target_b".into(), Field::Text(get(&hb, r, "target"))),
                ("met_a".into(), Field::Text(ma)),
                ("met_b".into(), Field::Text(mb)),
                ("change".into(), Field::Text(change.into())),
            ]);
        }
    }
    let p = staging.join("indicators_delta.csv");
    write_csv(&p, &ind_rows).map_err(werr(&p))?;
    files.push(out.join("indicators_delta.csv"));

    // compare.md
    let plan_name = |run: &Path| -> String {
        std::fs::read_to_string(run.join("summary.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["plan"].as_str().map(str::to_string))
            .unwrap_or_else(|| run.display().to_string())
    };
    let mut md = format!(
        "# Comparison\n\n- **A**: {} (`{}`)\n- **B**: {} (`{}`)\n- {} cells compared, the same in both runs.\n\n## Circles: people gained and lost\n\n| circle verdict | cells gained | cells lost | aged 60+ gained | aged 60+ lost | net |\n|---|---:|---:|---:|---:|---:|\n",
        plan_name(a),
        a.display(),
        plan_name(b),
        b.display(),
        cb.len()
    );
    let mut summary = Vec::new();
    for v in &verdicts {
        let (g, l, pg, pl) = changes.get(v.as_str()).copied().unwrap_or_default();
        md.push_str(&format!(
            "| {v} | {g} | {l} | {pg:.0} | {pl:.0} | {:+.0} |\n",
            pg - pl
        ));
        summary.push((v.to_string(), g, l, pg, pl));
    }
    md.push_str("\n## Indicators whose verdict changed\n\n");
    if flips.is_empty() {
        md.push_str("None: every indicator is met, or not met, in both runs.\n");
    } else {
        md.push_str(&flips.join("\n"));
        md.push('\n');
    }
    if !moved.is_empty() {
        moved.sort_by(|x, y| y.0.abs().total_cmp(&x.0.abs()).then(x.1.cmp(&y.1)));
        md.push_str(&format!(
            "\n## Sub-districts that moved most ({})\n\n| 街镇 | change |\n|---|---:|\n",
            first_share.clone().unwrap_or_default()
        ));
        for (d, _, name) in moved.iter().take(10) {
            md.push_str(&format!("| {name} | {:+.1} pp |\n", d * 100.0));
        }
    }
    md.push_str("\nPer cell: `changed_cells.geojson`, `cells_delta.csv`; per area: `areas_delta.csv`; every indicator: `indicators_delta.csv` (B − A throughout).\n");
    let p = staging.join("compare.md");
    std::fs::write(&p, md).map_err(werr(&p))?;
    files.push(out.join("compare.md"));

    let inputs = [("run_a", a), ("run_b", b)]
        .iter()
        .map(|(role, run)| {
            let m = run.join("run.json");
            let (bytes, sha256) = hash_input(&m).map_err(werr(&m))?;
            Ok(ManifestInput {
                role: role.to_string(),
                path: m.to_string_lossy().into_owned(),
                bytes,
                sha256,
            })
        })
        .collect::<Result<Vec<_>, CompareError>>()?;
    folder.commit(inputs)?;
    files.push(out.join("run.json"));
    Ok(Comparison {
        cells: cb.len(),
        changes: summary,
        files,
    })
}
