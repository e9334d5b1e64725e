//! A batch at city scale: the 16 districts of Shanghai (Amap boundaries, GCJ-02) × 2 walking
//! speeds over one city-wide layer of 26,105 real geocoded addresses (100 residents and 35
//! aged 60+ each) and 637 facilities made from every 41st address; two circles. Run with
//! `cargo bench --bench batch` (needs `../shared/data`). Prints:
//! - the in-process batch: wall time, jobs per minute, the process's peak RSS;
//! - a second call (every job up to date, skipped by content hash);
//! - each job run alone in a child process: its wall time and peak RSS;
//! - the projected time of 300 cities × 5 scenarios on N nodes from those figures.

#[path = "common/rss.rs"]
mod rss;
use rss::peak_rss_mib;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use lifecircle::batch::{self, BatchOptions, JobStatus, Manifest};
use lifecircle::pipeline::Silent;

const DISTRICTS: &[&str] = &[
    "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113",
    "310114", "310115", "310116", "310117", "310118", "310120", "310151",
];

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

fn write_inputs(dir: &Path) -> PathBuf {
    let pop = shared("shanghai-2022-case-addresses-geocoded/geo.csv");
    let mut r = csv::Reader::from_path(&pop).unwrap();
    let kinds = ["日间照料中心", "社区长者食堂", "社区综合为老服务中心"];
    let mut fac = std::io::BufWriter::new(std::fs::File::create(dir.join("fac.csv")).unwrap());
    writeln!(fac, "id,name,type,lon,lat").unwrap();
    for (i, rec) in r.records().enumerate().filter(|(i, _)| i % 41 == 0) {
        let rec = rec.unwrap();
        writeln!(
            fac,
            "f{i},设施{i},{},{},{}",
            kinds[(i / 41) % 3],
            &rec[3],
            &rec[4]
        )
        .unwrap();
    }
    drop(fac);
    std::fs::write(
        dir.join("base.toml"),
        format!(
            r#"[study]
name = "Shanghai"
[population]
path = "{}"
crs = "GCJ02"
weight = {{ residents = 100, aged_60 = 35 }}
fields = {{ id = "", lon = "gcj02_lng", lat = "gcj02_lat", aged_65 = "", aged_80 = "", subdistrict = "street_level" }}
[facilities]
path = "fac.csv"
crs = "GCJ02"
[[circles]]
name = "min15"
minutes = 15
kinds = ["comprehensive_centre", "day_care", "meal_point"]
[[circles]]
name = "day_centre"
distance_m = 1000
kinds = ["day_care"]
[report]
maps = false
"#,
            pop.display()
        ),
    )
    .unwrap();
    let paths: Vec<String> = DISTRICTS
        .iter()
        .map(|d| {
            format!(
                "\"{}\"",
                shared(&format!("shanghai-district-boundaries-amap/{d}.geojson")).display()
            )
        })
        .collect();
    let manifest = dir.join("batch.toml");
    std::fs::write(
        &manifest,
        format!(
            "[batch]\nname = \"bench\"\nplan = \"base.toml\"\noutput_dir = \"out\"\n[areas]\npaths = [{}]\ncrs = \"GCJ02\"\nfields = {{ id = \"adcode\" }}\n[[scenarios]]\nname = \"walk_1_0\"\n[[scenarios]]\nname = \"walk_0_8\"\nset = {{ \"walking_speed_m_per_s.60+\" = 0.8 }}\n",
            paths.join(", ")
        ),
    )
    .unwrap();
    manifest
}

/// One job alone in this process: prints "wall_s peak_mib".
fn child(plan: &Path, out: &Path) {
    let t = Instant::now();
    let plan = lifecircle::io::read_plan(plan).unwrap();
    lifecircle::pipeline::run(&plan, out, &Silent).unwrap();
    println!("{:.3} {:.1}", t.elapsed().as_secs_f64(), peak_rss_mib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]), Path::new(&args[i + 2]));
        return;
    }
    if !shared("shanghai-district-boundaries-amap").exists() {
        eprintln!("batch bench: ../shared/data is missing");
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let manifest = write_inputs(dir);
    let m = Manifest::load(&manifest).unwrap();
    let t = Instant::now();
    let r = batch::run(&m, BatchOptions::default(), &Silent).unwrap();
    let wall = t.elapsed().as_secs_f64();
    assert_eq!(r.count(JobStatus::Done), 32);
    let t = Instant::now();
    lifecircle::batch::reduce::reduce(&m).unwrap();
    let reduce_s = t.elapsed().as_secs_f64();
    let jobs_per_min = 32.0 / wall * 60.0;
    println!(
        "batch: 16 districts × 2 scenarios = 32 jobs in {wall:.2} s ({jobs_per_min:.0} jobs/min, {} at once on {} cores); reduce {reduce_s:.2} s; process peak RSS {:.0} MiB",
        r.concurrency,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        peak_rss_mib()
    );
    let t = Instant::now();
    let again = batch::run(&m, BatchOptions::default(), &Silent).unwrap();
    assert_eq!(again.count(JobStatus::Skipped), 32);
    println!(
        "second call: 32 jobs skipped as up to date in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let exe = std::env::current_exe().unwrap();
    let mut per_job: Vec<(String, f64, f64)> = Vec::new();
    for job in m.jobs().unwrap() {
        let out = dir.join("alone").join(job.key.replace('/', "_"));
        let o = std::process::Command::new(&exe)
            .arg("--child")
            .arg(&job.plan_file)
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout);
        let mut it = text.split_whitespace().map(|v| v.parse::<f64>().unwrap());
        per_job.push((job.key.clone(), it.next().unwrap(), it.next().unwrap()));
    }
    let total: f64 = per_job.iter().map(|j| j.1).sum();
    let max_mem = per_job.iter().map(|j| j.2).fold(0.0, f64::max);
    let mean_mem = per_job.iter().map(|j| j.2).sum::<f64>() / per_job.len() as f64;
    let slowest = per_job.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    println!(
        "each job alone (a process per job): {total:.2} s in all, mean {:.3} s, slowest {} {:.3} s; peak RSS per job: mean {mean_mem:.0} MiB, max {max_mem:.0} MiB",
        total / 32.0,
        slowest.0,
        slowest.1
    );
    // 300 cities × 5 scenarios, each job like these, on N nodes of 2 cores running this
    // batch's concurrency.
    let jobs = 1500.0;
    for nodes in [1.0, 10.0, 50.0] {
        let minutes = jobs / (jobs_per_min * nodes);
        println!(
            "projected: 300 cities × 5 scenarios = 1500 jobs on {nodes:.0} node(s) of 2 cores: {minutes:.1} min"
        );
    }
}
