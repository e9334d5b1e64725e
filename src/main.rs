//! The `lifecircle` command line: a thin shell over [`lifecircle::pipeline`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use lifecircle::pipeline::{self, Outcome, Progress, RunOptions};
use lifecircle::standards::{Standards, TargetKey, PRESETS};

/// mimalloc, tuned in `main` (see [`lifecircle::allocator`]).
#[global_allocator]
static ALLOCATOR: lifecircle::allocator::MiMalloc = lifecircle::allocator::MiMalloc;

/// Plan elderly-care facilities on walking circles: measure who reaches which services
/// within the 15-minute, 5-minute and 1000 m circles, and provision against the plan's
/// targets, per sub-district (街镇) and residential committee (居委).
#[derive(Parser)]
#[command(name = "lifecircle", version, about, long_about = None)]
struct Cli {
    /// Worker threads for the parallel steps (default: one per CPU core). Results are
    /// identical whatever the number.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// Print nothing but errors: no progress bars, no summary.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a plan file: read its inputs, measure every circle, compute the indicators and
    /// write GeoJSON, CSV tables and summary.json.
    Run {
        /// The plan (TOML). Relative paths inside it are relative to the plan's folder.
        plan: PathBuf,
        /// Write outputs here instead of the plan's [study] output_dir. The folder is
        /// replaced whole when the run completes (a failed or killed run leaves it as it
        /// was); it must hold nothing but an earlier run's files.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Treat every warning as an error: write nothing and exit 1 when the run has any
        /// warning (for unattended batch runs). The warnings are listed.
        #[arg(long)]
        strict: bool,
    },
    /// Make the synthetic demo district (modelled on Xuhui's 2020 baseline) and run its
    /// plan end to end.
    Demo {
        /// Where to write the demo's input data and plan.toml.
        #[arg(long, value_name = "DIR", default_value = "datasets/demo")]
        data: PathBuf,
        /// Where to write the outputs.
        #[arg(long, value_name = "DIR", default_value = "outputs/demo")]
        out: PathBuf,
    },
    /// Run a batch: one base plan × areas (polygons of a boundary layer) × scenarios
    /// (overrides of plan values), each job an ordinary run into its own folder, then merge
    /// them into city-wide tables (`reduced/`). `lifecircle batch MANIFEST` runs every job
    /// in-process and reduces; the subcommands split the work for Slurm or Kubernetes.
    /// Jobs whose folder is up to date (same plan, inputs and version) are skipped.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Batch {
        /// The batch manifest (TOML): [batch] plan and output_dir, [areas], [[scenarios]].
        #[arg(required = true)]
        manifest: Option<PathBuf>,
        #[command(flatten)]
        run: BatchRunArgs,
        #[command(subcommand)]
        action: Option<BatchAction>,
    },
    /// Compare two runs of the same cells (two scenarios, before and after): per cell and
    /// per area deltas of every circle and indicator, the cells whose verdict changed
    /// (GeoJSON) and a short summary (compare.md). Runs with different cells are refused.
    Compare {
        /// The first run's output folder (A).
        run_a: PathBuf,
        /// The second run's output folder (B); deltas are B − A.
        run_b: PathBuf,
        /// Where to write the comparison (replaced whole). Default: beside B, named
        /// compare_<A>_vs_<B>.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// List the bundled standards presets with every target and its source.
    Presets,
}

/// Options of a batch run.
#[derive(clap::Args, Clone, Copy)]
struct BatchRunArgs {
    /// Jobs at once in this process (default: the manifest's `jobs`, else as many as the
    /// cores and the memory budget allow; each job also uses --threads).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Run only the jobs the last call reported as failed (the others stay as they are).
    #[arg(long)]
    retry_failed: bool,
    /// Every job with --strict: a job with any warning fails and writes nothing.
    #[arg(long)]
    strict: bool,
}

#[derive(Subcommand)]
enum BatchAction {
    /// Run the jobs (all, or one shard's) without reducing.
    Run {
        /// The batch manifest.
        manifest: PathBuf,
        /// Run one shard: its index (0-based), or `auto` to take it from
        /// SLURM_ARRAY_TASK_ID (Slurm job array) or JOB_COMPLETION_INDEX (Kubernetes
        /// Indexed Job). Needs --shards.
        #[arg(long, value_name = "K|auto", requires = "shards")]
        shard: Option<String>,
        /// How many shards the jobs are split into (the same number for every shard).
        #[arg(long, value_name = "N")]
        shards: Option<usize>,
        #[command(flatten)]
        run: BatchRunArgs,
    },
    /// Write a Slurm job array (engines/slurm-array.sbatch, engines/slurm-reduce.sbatch)
    /// and a Kubernetes Indexed Job (engines/k8s-indexed-job.yaml) for N shards, and say
    /// how to submit them.
    Plan {
        /// The batch manifest.
        manifest: PathBuf,
        /// Number of shards (array tasks, pods).
        #[arg(long, value_name = "N")]
        shards: usize,
        /// CPUs per shard.
        #[arg(long, value_name = "N", default_value_t = 2)]
        cpus: usize,
        /// Memory per shard, MB (default: the estimate for the largest job, doubled).
        #[arg(long, value_name = "MB")]
        mem_mb: Option<u64>,
    },
    /// Merge every job folder into reduced/ (areas.csv, areas.geojson, subdistricts.csv,
    /// batch.md); jobs not complete are listed as failed or missing.
    Reduce {
        /// The batch manifest.
        manifest: PathBuf,
    },
}

/// Progress bars on stderr (hidden when stderr is not a terminal or with --quiet).
struct Bars {
    quiet: bool,
    /// The bar of the current step, when it started, and the step's own message.
    current: Mutex<Option<(ProgressBar, Instant, String)>>,
}

impl Progress for Bars {
    fn begin(&self, step: &str, total: u64) {
        if self.quiet {
            return;
        }
        let bar = if total == 0 {
            let b = ProgressBar::new_spinner();
            b.enable_steady_tick(Duration::from_millis(120));
            b
        } else {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{msg:40} [{bar:30}] {percent:>3}% {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            b
        };
        bar.set_message(step.to_string());
        *self.current.lock().expect("progress lock") =
            Some((bar, Instant::now(), step.to_string()));
    }

    fn advance(&self, n: u64) {
        if let Some((bar, _, _)) = &*self.current.lock().expect("progress lock") {
            bar.inc(n);
        }
    }

    fn note(&self, detail: &str) {
        if let Some((bar, _, step)) = &*self.current.lock().expect("progress lock") {
            bar.set_message(format!("{step}: {detail}"));
        }
    }

    fn end(&self) {
        if let Some((bar, start, _)) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
            eprintln!(
                "  {} ({:.1} s)",
                bar.message(),
                start.elapsed().as_secs_f64()
            );
        }
    }
}

fn print_outcome(o: &Outcome) {
    println!("analysis CRS: EPSG:{} {}", o.crs.0, o.crs.1);
    let beyond = o
        .study
        .facilities
        .iter()
        .filter(|f| f.beyond_study_area)
        .count();
    println!(
        "{} population cells, {} facilities{}, {} sub-districts, {} committees",
        o.study.cells.len(),
        o.study.facilities.len() - beyond,
        if beyond > 0 {
            format!(" (and {beyond} beyond the study area's edge, within its buffer)")
        } else {
            String::new()
        },
        o.study.subdistricts.len(),
        o.study.committees.len()
    );
    let pct = |s: Option<f64>| s.map_or("n/a".to_string(), |s| format!("{:.1} %", s * 100.0));
    for (share, cov) in o
        .indicators
        .district
        .circles
        .iter()
        .zip(&o.coverage.circles)
    {
        let compare = share
            .straight_line_share()
            .map(|s| format!(" (straight line: {})", pct(Some(s))))
            .unwrap_or_default();
        println!(
            "circle {:<11} {:>6} {:<13} {:>7} of {:>7} people aged {} covered: {}{compare}",
            share.circle,
            format!("{} m", cov.circle.radius_m()),
            match cov.circle.method {
                lifecircle::standards::Method::Network => "along streets",
                lifecircle::standards::Method::StraightLine => "straight line",
            },
            share.covered.round(),
            share.people.round(),
            share.age_band,
            pct(share.share()),
        );
    }
    if let Some(n) = &o.summary.network {
        println!(
            "street network: {} nodes, {} km of walkable street; {} cells and {} facilities farther than {:.1} m from a street",
            n.nodes,
            n.total_length_km,
            n.cells_not_snapped,
            n.facilities_not_snapped.len(),
            n.max_snap_m
        );
        println!(
            "  {} connected pieces; {} street islands ({} nodes, {} km) are never snapped to; {} cells and {} facilities moved off them",
            n.components,
            n.islands,
            n.island_nodes,
            n.island_km,
            n.cells_moved_off_islands,
            n.facilities_moved_off_islands.len()
        );
    }
    println!("district indicators (value / target, gap):");
    for i in &o.indicators.district.provision {
        let num = |v: Option<f64>| match v {
            Some(v) if i.unit.is_share() => format!("{:.1} %", v * 100.0),
            Some(v) => format!("{v:.1}"),
            None => "n/a".to_string(),
        };
        let verdict = match i.met {
            Some(true) => "met".to_string(),
            Some(false) => format!("gap {:.0} {}", i.gap.unwrap_or(0.0), i.gap_unit_label()),
            None => i.note.clone(),
        };
        println!(
            "  {:<38} {:>9} / {:<9} {verdict}",
            i.key,
            num(i.value),
            num(i.target)
        );
    }
    if let (Some(p), Some(s)) = (&o.proposal, &o.summary.siting) {
        println!(
            "siting: {} new {} sites ({}); people aged {} within the {:.1} m walk: {:.0} → {:.0} of {:.0}; gap {:.4} % ({})",
            p.solution.open.len(),
            s.kind,
            s.model,
            s.age_band,
            s.reach_m,
            s.covered_before,
            s.covered_after,
            s.people,
            p.solution.gap * 100.0,
            p.solution.method
        );
    }
    for w in &o.summary.warnings {
        println!("warning: {}", w.message);
    }
    for f in &o.files {
        println!("wrote {}", f.display());
    }
    if let Some(r) = o.files.iter().find(|f| f.ends_with("report.html")) {
        println!(
            "report for the meeting: {} (one file, opens offline)",
            r.display()
        );
    }
}

fn run_plan(
    plan_path: &Path,
    out: Option<PathBuf>,
    options: RunOptions,
    progress: &Bars,
) -> Result<Outcome> {
    let plan = lifecircle::io::read_plan(plan_path)?;
    let out_dir = out.unwrap_or_else(|| plan.output_dir.clone());
    let outcome = pipeline::run_with(&plan, &out_dir, options, progress)?;
    Ok(outcome)
}

fn relative_to(from_dir: &Path, to: &Path) -> Result<String> {
    let from = std::path::absolute(from_dir)?;
    let to = std::path::absolute(to)?;
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel = PathBuf::new();
    for _ in from.components().skip(common) {
        rel.push("..");
    }
    for c in to.components().skip(common) {
        rel.push(c);
    }
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

/// Progress over a batch's jobs.
struct JobBar {
    bar: Option<ProgressBar>,
}

impl lifecircle::batch::BatchProgress for JobBar {
    fn start(&self, total: usize) {
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
        }
    }
    fn job(&self, r: &lifecircle::batch::JobReport) {
        use lifecircle::batch::JobStatus;
        if let Some(b) = &self.bar {
            b.inc(1);
            b.set_message(r.job.clone());
            if r.status == JobStatus::Failed {
                b.println(format!(
                    "job {} failed: {}",
                    r.job,
                    r.error.as_deref().unwrap_or("")
                ));
            }
        }
    }
}

/// `lifecircle batch …`; the exit code: 0, or 1 when a job failed.
fn batch(
    manifest: Option<PathBuf>,
    args: BatchRunArgs,
    action: Option<BatchAction>,
    quiet: bool,
) -> Result<i32> {
    use lifecircle::batch::{self as b, BatchOptions, JobStatus, Manifest};
    let options = |a: BatchRunArgs, shard: Option<(usize, usize)>| BatchOptions {
        jobs: a.jobs,
        retry_failed: a.retry_failed,
        shard,
        strict: a.strict,
    };
    let bar = || JobBar {
        bar: (!quiet).then(|| {
            let pb = ProgressBar::new(0);
            pb.set_style(
                ProgressStyle::with_template("jobs {pos}/{len} [{bar:30}] {elapsed} {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            pb
        }),
    };
    let say = |report: &b::BatchReport| {
        if !quiet {
            println!(
                "{} jobs: {} run, {} skipped (up to date), {} failed, {} not this call's; {} at once ({}); {:.1} s",
                report.jobs.len(),
                report.count(JobStatus::Done),
                report.count(JobStatus::Skipped),
                report.count(JobStatus::Failed),
                report.count(JobStatus::NotRun),
                report.concurrency,
                report.concurrency_reason,
                report.wall_s
            );
        }
    };
    let reduce = |m: &Manifest| -> Result<b::reduce::Reduced> {
        let r = b::reduce::reduce(m)?;
        if !quiet {
            println!(
                "reduced: {} complete, {} failed, {} not run yet",
                r.complete, r.failed, r.missing
            );
            for f in &r.files {
                println!("wrote {}", f.display());
            }
        }
        Ok(r)
    };
    match action {
        None => {
            let path = manifest.context("a batch manifest is required")?;
            let m = Manifest::load(&path)?;
            let bar = bar();
            let report = b::run(&m, options(args, None), &bar)?;
            if let Some(pb) = &bar.bar {
                pb.finish_and_clear();
            }
            say(&report);
            let r = reduce(&m)?;
            Ok(i32::from(
                report.count(JobStatus::Failed) > 0 || r.failed > 0,
            ))
        }
        Some(BatchAction::Run {
            manifest,
            shard,
            shards,
            run,
        }) => {
            let m = Manifest::load(&manifest)?;
            let shard = match (shard.as_deref(), shards) {
                (None, _) => None,
                (Some("auto"), Some(n)) => Some((b::shard_from_env()?, n)),
                (Some(k), Some(n)) => Some((
                    k.parse::<usize>()
                        .with_context(|| format!("--shard {k}: expected a number or auto"))?,
                    n,
                )),
                (Some(_), None) => anyhow::bail!("--shard needs --shards"),
            };
            let bar = bar();
            let report = b::run(&m, options(run, shard), &bar)?;
            if let Some(pb) = &bar.bar {
                pb.finish_and_clear();
            }
            say(&report);
            Ok(i32::from(report.count(JobStatus::Failed) > 0))
        }
        Some(BatchAction::Plan {
            manifest,
            shards,
            cpus,
            mem_mb,
        }) => {
            let m = Manifest::load(&manifest)?;
            let jobs = m.jobs()?;
            let mem = match mem_mb {
                Some(v) => v,
                None => {
                    let mut largest = 0;
                    for j in &jobs {
                        let plan = lifecircle::plan::Plan::parse(&j.plan_text, &j.plan_file)?;
                        largest = largest.max(b::estimate_mb(&plan));
                    }
                    2 * largest
                }
            };
            let exe = std::env::current_exe().context("finding this program's path")?;
            let files = b::engines::write(
                &m,
                shards,
                &exe,
                b::engines::ShardResources { cpus, mem_mb: mem },
            )?;
            println!(
                "{} jobs in {shards} shards ({} jobs per shard; {cpus} CPUs and {mem} MB each)",
                jobs.len(),
                files
                    .jobs_per_shard
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("Slurm:");
            println!(
                "  jobid=$(sbatch --parsable {})",
                files.slurm_array.display()
            );
            println!(
                "  sbatch --dependency=afterany:$jobid {}",
                files.slurm_reduce.display()
            );
            println!(
                "Kubernetes (see the file's header for the image and the volume):\n  kubectl apply -f {}",
                files.k8s.display()
            );
            Ok(0)
        }
        Some(BatchAction::Reduce { manifest }) => {
            let m = Manifest::load(&manifest)?;
            let r = reduce(&m)?;
            Ok(i32::from(r.failed > 0))
        }
    }
}

fn presets() {
    for name in PRESETS {
        let s = Standards::preset(name).expect("bundled preset");
        println!("{name}");
        for key in TargetKey::ALL {
            if let Some(t) = s.target(key) {
                println!(
                    "  {:<40} {:>8}  {} — {}",
                    key.id(),
                    t.value,
                    key.description(),
                    t.source
                );
            }
        }
        for c in &s.circles {
            println!(
                "  circle {:<10} {} ({} of {})",
                c.name,
                c.reach,
                c.require,
                c.kinds
                    .iter()
                    .map(|k| k.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

fn main() {
    lifecircle::allocator::tune();
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: cannot set up {n} threads: {e}");
            std::process::exit(2);
        }
    }
    let bars = Bars {
        quiet: cli.quiet,
        current: Mutex::new(None),
    };
    let result = match cli.command {
        Command::Run { plan, out, strict } => {
            run_plan(&plan, out, RunOptions { strict }, &bars).map(Some)
        }
        Command::Demo { data, out } => (|| {
            bars.begin("generating the demo district", 0);
            let district = lifecircle::demo::generate().context("generating the demo district")?;
            let rel = relative_to(&data, &out)?;
            let plan = lifecircle::io::demo_files::write_demo(&district, &data, &rel)
                .context("writing the demo data")?;
            bars.end();
            if !cli.quiet {
                println!("demo data and plan written to {}", data.display());
            }
            run_plan(&plan, Some(out), RunOptions::default(), &bars).map(Some)
        })(),
        Command::Presets => {
            presets();
            Ok(None)
        }
        Command::Compare { run_a, run_b, out } => (|| {
            let name = |p: &Path| {
                std::path::absolute(p)
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| "run".into())
            };
            let out = out.unwrap_or_else(|| {
                let abs = std::path::absolute(&run_b).unwrap_or_else(|_| run_b.clone());
                abs.parent().unwrap_or(Path::new(".")).join(format!(
                    "compare_{}_vs_{}",
                    name(&run_a),
                    name(&run_b)
                ))
            });
            let c = lifecircle::compare::compare(&run_a, &run_b, &out)?;
            if !cli.quiet {
                println!("{} cells compared (B − A):", c.cells);
                for (v, g, l, pg, pl) in &c.changes {
                    println!(
                        "  {v:<34} {g:>6} cells gained ({pg:.0} aged 60+), {l:>6} lost ({pl:.0})"
                    );
                }
                for f in &c.files {
                    println!("wrote {}", f.display());
                }
            }
            Ok(None)
        })(),
        Command::Batch {
            manifest,
            run,
            action,
        } => match batch(manifest, run, action, cli.quiet) {
            Ok(code) => std::process::exit(code),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(Some(outcome)) if !cli.quiet => print_outcome(&outcome),
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {}", lifecircle::error_text(e.as_ref()));
            std::process::exit(1);
        }
    }
}
