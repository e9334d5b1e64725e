//! Batches: one base plan × areas × scenarios (`lifecircle batch MANIFEST.toml`).
//!
//! Each job is an ordinary run ([`crate::pipeline::run_with`]) of a plan file written to
//! `plans/<area>__<scenario>.toml` in the batch folder (the base plan, the area as
//! `[study.area]`, the scenario's overrides), into its own folder `jobs/<area>/<scenario>/`,
//! replaced whole as every run's folder is. So:
//! - **idempotent**: a job whose folder holds a complete run of the same plan text, the same
//!   input files (by SHA-256) and the same lifecircle version is skipped ([`up_to_date`]);
//! - **resumable**: a killed batch leaves every finished job complete and no job half
//!   written; the next call runs only what is missing;
//! - **failures stay local**: a failed job is reported with its error and the others go on;
//!   `--retry-failed` runs only the jobs the last call reported as failed;
//! - **distributed by an existing engine**: [`engines`] writes a Slurm job array and a
//!   Kubernetes Indexed Job; each shard runs its share of the jobs ([`shard_of`]), and
//!   [`reduce`] merges the job folders, whoever ran them, into the same bytes.

pub mod engines;
pub mod manifest;
pub mod reduce;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use manifest::{Job, Manifest, ManifestError};

use crate::io::atomic::write_atomic;
use crate::io::read_plan;
use crate::io::run_folder::{Manifest as RunManifest, MANIFEST};
use crate::pipeline::{self, RunOptions, Silent};

/// How a job ended in this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Ran and completed.
    Done,
    /// Up to date: its folder holds a complete run of the same plan, inputs and version.
    Skipped,
    /// Failed; the folder holds the previous complete run, if any.
    Failed,
    /// Not run in this call (another shard's, or not retried).
    NotRun,
}

/// One job's line in `batch.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobReport {
    /// `<area id>/<scenario>`.
    pub job: String,
    /// The area's id.
    pub area: String,
    /// The scenario's name.
    pub scenario: String,
    /// How it ended.
    pub status: JobStatus,
    /// The error, when it failed.
    pub error: Option<String>,
    /// Wall time of the run, s (0 when skipped).
    pub wall_s: f64,
    /// The job's output folder, relative to the batch folder.
    pub folder: String,
}

/// `batch.json` (in-process batch) or `shards/shard-<k>.json` (one shard): what a call did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchReport {
    /// `[batch] name`.
    pub batch: String,
    /// Version of lifecircle.
    pub lifecircle_version: String,
    /// The shard (index, count), when this call ran one shard.
    pub shard: Option<(usize, usize)>,
    /// Jobs run at once, and why that many.
    pub concurrency: usize,
    /// How the concurrency was chosen.
    pub concurrency_reason: String,
    /// Wall time of the call, s.
    pub wall_s: f64,
    /// Every job of the manifest, in its order.
    pub jobs: Vec<JobReport>,
}

impl BatchReport {
    /// Jobs with `status`.
    pub fn count(&self, status: JobStatus) -> usize {
        self.jobs.iter().filter(|j| j.status == status).count()
    }
}

/// What a batch call runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchOptions {
    /// Jobs at once (overrides the manifest's `jobs`); `None`: by cores and memory.
    pub jobs: Option<usize>,
    /// Run only the jobs the last `batch.json` (or shard file) reported as failed.
    pub retry_failed: bool,
    /// Run only shard `k` of `n` ([`shard_of`]).
    pub shard: Option<(usize, usize)>,
    /// Every job with `--strict`: a job with warnings fails.
    pub strict: bool,
}

/// Why a batch call failed as a whole (a job's failure is in its [`JobReport`]).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The manifest, base plan or areas are refused.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A file of the batch folder cannot be written.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A shard index out of range, or no index in the environment.
    #[error("{0}")]
    Shard(String),
}

/// Progress over jobs, for the CLI's bar.
pub trait BatchProgress: Sync {
    /// The call will look at `total` jobs.
    fn start(&self, total: usize);
    /// One job ended.
    fn job(&self, report: &JobReport);
}

impl BatchProgress for Silent {
    fn start(&self, _: usize) {}
    fn job(&self, _: &JobReport) {}
}

/// Whether `job`'s folder holds a complete run of its plan text, of the same input files
/// (size and SHA-256 of each, the plan included) with this lifecircle version, and every
/// output file it lists is there with its size.
pub fn up_to_date(job: &Job, plan: &crate::plan::Plan) -> bool {
    up_to_date_for(job, plan, false)
}

/// [`up_to_date`]; with `strict`, a run that has warnings is not (`--strict` fails it).
pub fn up_to_date_for(job: &Job, plan: &crate::plan::Plan, strict: bool) -> bool {
    let Ok(text) = std::fs::read_to_string(job.out_dir.join(MANIFEST)) else {
        return false;
    };
    let Ok(m) = serde_json::from_str::<RunManifest>(&text) else {
        return false;
    };
    if m.lifecircle_version != env!("CARGO_PKG_VERSION")
        || m.lifecircle_build != crate::io::run_folder::build_id()
    {
        return false;
    }
    if strict {
        let warned = std::fs::read_to_string(job.out_dir.join("summary.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_none_or(|s| s["warnings"].as_array().is_none_or(|w| !w.is_empty()));
        if warned {
            return false;
        }
    }
    let Ok(now) = pipeline::manifest_inputs(plan) else {
        return false;
    };
    if now != m.inputs {
        return false;
    }
    m.files
        .iter()
        .all(|f| std::fs::metadata(job.out_dir.join(&f.path)).is_ok_and(|md| md.len() == f.bytes))
}

/// The cost of a job for ordering and sharding: its area's size in the boundary layer's
/// degrees² scaled to m² at its latitude (deterministic from the manifest alone).
fn cost(manifest: &Manifest, job: &Job) -> f64 {
    use geo::{Area, BoundingRect};
    let b = &manifest.areas[job.area].boundary;
    let lat = b.bounding_rect().map_or(0.0, |r| r.center().y);
    b.unsigned_area() * 111_320.0 * 111_320.0 * lat.to_radians().cos()
}

/// The shard of each job among `n`: jobs taken largest first (by [`cost`], ties by manifest
/// order), each given to the shard with the least cost so far (ties: the lowest index).
/// Every shard computes the same assignment from the manifest alone.
pub fn shard_of(manifest: &Manifest, jobs: &[Job], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    let costs: Vec<f64> = jobs.iter().map(|j| cost(manifest, j)).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; n.max(1)];
    let mut shard = vec![0; jobs.len()];
    for j in order {
        let k = (0..load.len())
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[k] += costs[j];
        shard[j] = k;
    }
    shard
}

/// The shard index from the environment: Slurm's `SLURM_ARRAY_TASK_ID`, else Kubernetes'
/// `JOB_COMPLETION_INDEX`.
pub fn shard_from_env() -> Result<usize, BatchError> {
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        if let Ok(v) = std::env::var(var) {
            return v.trim().parse().map_err(|_| {
                BatchError::Shard(format!("{var} = '{v}': expected a shard index (0, 1, …)"))
            });
        }
    }
    Err(BatchError::Shard(
        "--shard auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set; give --shard K".into(),
    ))
}

/// MB of memory available now (`MemAvailable` in /proc/meminfo), if known.
fn available_mb() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// A job's memory estimate, MB: 300 MB plus 4 × the size of its input files (the base of
/// `concurrency`; `benches/batch.rs` measures the real peak).
pub fn estimate_mb(plan: &crate::plan::Plan) -> u64 {
    let bytes: u64 = pipeline::input_files(plan)
        .iter()
        .filter_map(|(_, p)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    300 + 4 * bytes / 1_000_000
}

/// Jobs at once, and why: the option or manifest's `jobs`, else as many as cores and the
/// memory budget (manifest's `memory_budget_mb`, else half of what is available) allow.
fn concurrency(
    manifest: &Manifest,
    options: &BatchOptions,
    per_job_mb: u64,
    jobs: usize,
) -> (usize, String) {
    if let Some(n) = options.jobs.or(manifest.jobs) {
        return (n.max(1), format!("{n} as asked"));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (budget, whence) = match manifest.memory_budget_mb {
        Some(b) => (b, "the manifest's memory_budget_mb".to_string()),
        None => (
            available_mb().map_or(4096, |a| a / 2),
            "half the memory available".to_string(),
        ),
    };
    let by_memory = (budget / per_job_mb.max(1)).max(1) as usize;
    let n = cores.min(by_memory).min(jobs.max(1));
    (
        n,
        format!("{n}: {cores} cores; {budget} MB ({whence}) / about {per_job_mb} MB per job"),
    )
}

/// The last report of this call's kind (`batch.json` or this shard's file), if any.
fn last_report(path: &Path) -> Option<BatchReport> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Where a call's report goes: `batch.json`, or `shards/shard-<k>.json`.
pub fn report_path(manifest: &Manifest, shard: Option<(usize, usize)>) -> PathBuf {
    match shard {
        None => manifest.output_dir.join("batch.json"),
        Some((k, _)) => manifest
            .output_dir
            .join("shards")
            .join(format!("shard-{k}.json")),
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), BatchError> {
    let text = serde_json::to_string_pretty(value).expect("reports serialise");
    write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(|source| BatchError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs the batch (or one shard of it): writes every job's plan file, runs the jobs that are
/// not up to date, largest first, `concurrency` at a time, and writes the call's report
/// after each job (so a killed call leaves a report of what finished). Reducing is separate
/// ([`reduce::reduce`]); `lifecircle batch` does both.
pub fn run(
    manifest: &Manifest,
    options: BatchOptions,
    progress: &dyn BatchProgress,
) -> Result<BatchReport, BatchError> {
    let started = Instant::now();
    let jobs = manifest.jobs()?;
    if let Some((k, n)) = options.shard {
        if n == 0 || k >= n {
            return Err(BatchError::Shard(format!(
                "shard {k} of {n}: expected 0 ≤ shard < shards"
            )));
        }
    }
    for job in &jobs {
        let same = std::fs::read_to_string(&job.plan_file).is_ok_and(|t| t == job.plan_text);
        if !same {
            write_atomic(&job.plan_file, |w| w.write_all(job.plan_text.as_bytes())).map_err(
                |source| BatchError::Write {
                    path: job.plan_file.clone(),
                    source,
                },
            )?;
        }
    }
    let report_file = report_path(manifest, options.shard);
    let failed_before: Vec<String> = last_report(&report_file)
        .map(|r| {
            r.jobs
                .into_iter()
                .filter(|j| j.status == JobStatus::Failed)
                .map(|j| j.job)
                .collect()
        })
        .unwrap_or_default();
    let shards = options.shard.map(|(_, n)| shard_of(manifest, &jobs, n));
    let mine: Vec<bool> = jobs
        .iter()
        .map(|j| {
            let in_shard = match (&shards, options.shard) {
                (Some(s), Some((k, _))) => s[j.index] == k,
                _ => true,
            };
            in_shard && (!options.retry_failed || failed_before.contains(&j.key))
        })
        .collect();
    let folder_of = |j: &Job| {
        j.out_dir
            .strip_prefix(&manifest.output_dir)
            .unwrap_or(&j.out_dir)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let reports: Vec<Mutex<JobReport>> = jobs
        .iter()
        .map(|j| {
            Mutex::new(JobReport {
                job: j.key.clone(),
                area: manifest.areas[j.area].id.clone(),
                scenario: manifest.scenarios[j.scenario].name.clone(),
                status: JobStatus::NotRun,
                error: None,
                wall_s: 0.0,
                folder: folder_of(j),
            })
        })
        .collect();
    // Largest first (by area), manifest order among equals.
    let mut order: Vec<usize> = (0..jobs.len()).filter(|&i| mine[i]).collect();
    let costs: Vec<f64> = jobs.iter().map(|j| cost(manifest, j)).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let per_job_mb = order
        .first()
        .and_then(|&i| read_plan(&jobs[i].plan_file).ok())
        .map_or(300, |p| estimate_mb(&p));
    let (n_workers, reason) = concurrency(manifest, &options, per_job_mb, order.len());
    progress.start(order.len());

    let snapshot = |reports: &[Mutex<JobReport>]| BatchReport {
        batch: manifest.name.clone(),
        lifecircle_version: env!("CARGO_PKG_VERSION").to_string(),
        shard: options.shard,
        concurrency: n_workers,
        concurrency_reason: reason.clone(),
        wall_s: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        jobs: reports
            .iter()
            .map(|r| r.lock().expect("no job panics holding it").clone())
            .collect(),
    };
    // The jobs read each city-wide layer once.
    let cache = pipeline::InputCache::shared();
    let next = AtomicUsize::new(0);
    let write_lock = Mutex::new(());
    let write_error: Mutex<Option<BatchError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..n_workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = order.get(k) else { break };
                let job = &jobs[i];
                let t0 = Instant::now();
                let (status, error) = run_job(job, options.strict, &cache);
                let report = {
                    let mut r = reports[i].lock().expect("no job panics holding it");
                    r.status = status;
                    r.error = error;
                    r.wall_s = (t0.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
                    r.clone()
                };
                progress.job(&report);
                let _guard = write_lock.lock().expect("no writer panics holding it");
                if let Err(e) = write_json(&report_file, &snapshot(&reports)) {
                    *write_error.lock().expect("no writer panics") = Some(e);
                }
            });
        }
    });
    if let Some(e) = write_error.into_inner().expect("no writer panics") {
        return Err(e);
    }
    let report = snapshot(&reports);
    write_json(&report_file, &report)?;
    Ok(report)
}

/// Runs one job unless it is up to date; a panic in a job is caught and reported as its
/// failure, so the other jobs complete.
fn run_job(job: &Job, strict: bool, cache: &pipeline::InputCache) -> (JobStatus, Option<String>) {
    let attempt = || -> Result<JobStatus, String> {
        let plan = read_plan(&job.plan_file).map_err(|e| e.to_string())?;
        if up_to_date_for(job, &plan, strict) {
            return Ok(JobStatus::Skipped);
        }
        pipeline::run_cached(&plan, &job.out_dir, RunOptions { strict }, &Silent, cache)
            .map_err(|e| crate::error_text(&e))?;
        Ok(JobStatus::Done)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(attempt)) {
        Ok(Ok(s)) => (s, None),
        Ok(Err(e)) => (JobStatus::Failed, Some(e)),
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into());
            (
                JobStatus::Failed,
                Some(format!("internal error (please report): {what}")),
            )
        }
    }
}

/// Job reports by job key from `batch.json` and every shard file, for the reduce step's
/// error messages (the newest wins: shard files after `batch.json`, by shard index).
pub fn known_reports(manifest: &Manifest) -> BTreeMap<String, JobReport> {
    let mut out = BTreeMap::new();
    let mut files = vec![manifest.output_dir.join("batch.json")];
    if let Ok(rd) = std::fs::read_dir(manifest.output_dir.join("shards")) {
        let mut shard_files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        // By shard index (shard-10 after shard-9).
        shard_files.sort_by_key(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.strip_prefix("shard-"))
                .and_then(|k| k.parse::<usize>().ok())
                .unwrap_or(usize::MAX)
        });
        files.extend(shard_files);
    }
    for f in files {
        if let Some(r) = last_report(&f) {
            for j in r.jobs {
                if j.status != JobStatus::NotRun {
                    out.insert(j.job.clone(), j);
                }
            }
        }
    }
    out
}
