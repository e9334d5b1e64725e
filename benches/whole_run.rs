//! A whole run at city scale, reading and writing included: 1,000,000 population points
//! (GeoJSON, then CSV) over a 5 × 11 km box in Shanghai, 10 day-care centres, one
//! straight-line 1000 m circle, no sub-districts, `[report] maps = false`; then 1,000,000
//! points along the streets of the real Huangpu OSM extract (`../shared/data`, when present),
//! the same circle walked. Run with `cargo
//! bench --bench whole_run` (target: ≤ 3 s wall and ≤ 1 GB peak per run on 2 cores); prints
//! the wall time of each phase (read, analyse, write) and the peak RSS.
//!
//! Each input format is run in a child process of its own (the bench re-runs itself), so
//! that the peak RSS (`VmHWM`) is that run's alone. `LIFECIRCLE_BENCH_POINTS` changes the
//! number of points; `LIFECIRCLE_BENCH_DIR` keeps the inputs in that folder.

/// The command line's allocator (src/main.rs), so that the bench times what a user runs.
#[global_allocator]
static ALLOCATOR: lifecircle::allocator::MiMalloc = lifecircle::allocator::MiMalloc;

#[path = "common/rss.rs"]
mod rss;
use rss::peak_rss_mib;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use lifecircle::pipeline::{run, Progress};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Times every step the run begins and ends: (step, began, ended), seconds from the start.
struct Steps {
    start: Instant,
    open: Mutex<Vec<(String, f64)>>,
    /// (step, began, ended, peak RSS so far in MiB when it ended).
    done: Mutex<Vec<(String, f64, f64, f64)>>,
}

impl Progress for Steps {
    fn begin(&self, step: &str, _: u64) {
        let t = self.start.elapsed().as_secs_f64();
        self.open.lock().unwrap().push((step.to_string(), t));
    }
    fn advance(&self, _: u64) {}
    fn end(&self) {
        let t = self.start.elapsed().as_secs_f64();
        if let Some((step, began)) = self.open.lock().unwrap().pop() {
            self.done
                .lock()
                .unwrap()
                .push((step, began, t, peak_rss_mib()));
        }
    }
}

/// A lon/lat box: (west, east, south, north), degrees.
type LonLatBox = (f64, f64, f64, f64);

/// One random population point in `b`: lon, lat and its residents, aged 60+, 65+ and 80+
/// (nested), drawn in that order.
fn draw_point(rng: &mut ChaCha8Rng, b: LonLatBox) -> (f64, f64, [u32; 4]) {
    let lon = rng.gen_range(b.0..b.1);
    let lat = rng.gen_range(b.2..b.3);
    let residents: u32 = rng.gen_range(1..40);
    let a60 = rng.gen_range(0..=residents);
    let a65 = rng.gen_range(0..=a60);
    let a80 = rng.gen_range(0..=a65);
    (lon, lat, [residents, a60, a65, a80])
}

/// 10 day-care centres at random in `b`, as a CSV file at `path`.
fn write_facilities(path: &Path, rng: &mut ChaCha8Rng, b: LonLatBox) {
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(f, "id,name,type,lon,lat").unwrap();
    for j in 0..10 {
        let lon = rng.gen_range(b.0..b.1);
        let lat = rng.gen_range(b.2..b.3);
        writeln!(f, "F{j},日间照料中心{j},day_care,{lon:.6},{lat:.6}").unwrap();
    }
}

/// The deterministic inputs: `n` points by seed, as GeoJSON and as CSV, and 10 facilities.
fn write_inputs(dir: &Path, n: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(2025);
    // Xuhui-ish: 121.41–121.46 E (≈ 4.8 km), 31.13–31.23 N (≈ 11 km).
    let box1 = (121.41, 121.46, 31.13, 31.23);
    let mut geojson =
        std::io::BufWriter::new(std::fs::File::create(dir.join("population.geojson")).unwrap());
    let mut csv =
        std::io::BufWriter::new(std::fs::File::create(dir.join("population.csv")).unwrap());
    writeln!(
        csv,
        "id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus"
    )
    .unwrap();
    geojson
        .write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")
        .unwrap();
    for i in 0..n {
        let (lon, lat, [residents, a60, a65, a80]) = draw_point(&mut rng, box1);
        if i > 0 {
            geojson.write_all(b",\n").unwrap();
        }
        write!(
            geojson,
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:.6},{lat:.6}]}},\
             \"properties\":{{\"id\":\"p{i}\",\"residents\":{residents},\"aged_60_plus\":{a60},\
             \"aged_65_plus\":{a65},\"aged_80_plus\":{a80}}}}}"
        )
        .unwrap();
        writeln!(csv, "p{i},{lon:.6},{lat:.6},{residents},{a60},{a65},{a80}").unwrap();
    }
    geojson.write_all(b"\n]}\n").unwrap();
    write_facilities(&dir.join("facilities.csv"), &mut rng, box1);
    // Along the streets: the same number of points over the real Huangpu OSM extract
    // (../shared/data/osm-shanghai-huangpu-drive, lon 121.4611–121.4863, lat 31.2196–31.2412),
    // and 10 facilities there.
    let box2 = (121.462, 121.486, 31.220, 31.241);
    let mut csv =
        std::io::BufWriter::new(std::fs::File::create(dir.join("population_network.csv")).unwrap());
    writeln!(
        csv,
        "id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus"
    )
    .unwrap();
    for i in 0..n {
        let (lon, lat, [residents, a60, a65, a80]) = draw_point(&mut rng, box2);
        writeln!(csv, "p{i},{lon:.6},{lat:.6},{residents},{a60},{a65},{a80}").unwrap();
    }
    write_facilities(&dir.join("facilities_network.csv"), &mut rng, box2);
}

/// The Huangpu OSM extract, for the run along the streets.
fn huangpu_osm() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/osm-shanghai-huangpu-drive/shanghai.osm")
}

fn plan_text(population: &str) -> String {
    let network = population == "population_network.csv";
    let facilities = if network {
        "facilities_network.csv"
    } else {
        "facilities.csv"
    };
    let (method, network_section) = if network {
        (
            "network",
            format!("\n[network]\npath = \"{}\"\n", huangpu_osm().display()),
        )
    } else {
        ("straight_line", String::new())
    };
    format!(
        r#"[study]
name = "whole-run benchmark"
output_dir = "out"

[population]
path = "{population}"
crs = "WGS84"
[population.fields]
id = "id"
residents = "residents"
aged_60 = "aged_60_plus"
aged_65 = "aged_65_plus"
aged_80 = "aged_80_plus"
lon = "lon"
lat = "lat"

[facilities]
path = "{facilities}"
crs = "WGS84"
[facilities.fields]
id = "id"
name = "name"
kind = "type"
lon = "lon"
lat = "lat"

[report]
maps = false

[[circles]]
name = "day_centre"
distance_m = 1000
kinds = ["day_care"]
method = "{method}"
{network_section}"#
    )
}

/// One run (in this process): prints its phases and peak RSS.
fn child(dir: &Path, population: &str) {
    let plan_path = dir.join(format!("plan_{population}.toml"));
    std::fs::write(&plan_path, plan_text(population)).unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    let out = dir.join(format!("out_{population}"));
    let steps = Steps {
        start: Instant::now(),
        open: Mutex::new(Vec::new()),
        done: Mutex::new(Vec::new()),
    };
    let outcome = run(&plan, &out, &steps).unwrap();
    let wall = steps.start.elapsed().as_secs_f64();
    let done = steps.done.into_inner().unwrap();
    let step = |name: &str| {
        done.iter()
            .find(|(s, _, _, _)| s == name)
            .map(|&(_, a, b, _)| (a, b))
            .unwrap()
    };
    // read: the inputs; analyse: from there to the first output; write: the data files,
    // summary.json, run.json (with the hashes) and the swap.
    let (_, read) = step("reading inputs");
    let (writing, wrote) = step("writing outputs");
    let bytes: u64 = outcome.manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "{population}: {} cells, wall {wall:.2} s: read {read:.2} s, analyse {:.2} s, \
         write {:.2} s (data files {:.2} s; summary, hashes, swap {:.2} s); peak RSS {:.0} MiB; \
         {} files, {:.0} MB written",
        outcome.study.cells.len(),
        writing - read,
        wall - writing,
        wrote - writing,
        wall - wrote,
        peak_rss_mib(),
        outcome.manifest.files.len(),
        bytes as f64 / 1e6,
    );
    for (s, a, b, peak) in &done {
        println!("    {s:<44} {:.3} s (peak RSS so far {peak:.0} MiB)", b - a);
    }
    let mut files: Vec<_> = outcome.manifest.files.iter().collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.bytes));
    for f in files.iter().take(4) {
        println!("    {:<40} {:.1} MB", f.path, f.bytes as f64 / 1e6);
    }
}

fn main() {
    lifecircle::allocator::tune();
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]), &args[i + 2]);
        return;
    }
    let n: usize = std::env::var("LIFECIRCLE_BENCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // LIFECIRCLE_BENCH_DIR: make the inputs there and keep them (to profile one run with
    // `whole_run --child DIR population.csv`).
    let kept = std::env::var_os("LIFECIRCLE_BENCH_DIR").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let dir = kept.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir).unwrap();
    let t = Instant::now();
    write_inputs(dir, n);
    println!(
        "whole run: {n} points, 10 facilities, straight line 1000 m, on {} threads (inputs made in {:.1} s)",
        rayon::current_num_threads(),
        t.elapsed().as_secs_f64()
    );
    let exe = std::env::current_exe().unwrap();
    let mut cases = vec!["population.geojson", "population.csv"];
    if huangpu_osm().exists() {
        cases.push("population_network.csv");
    }
    for population in cases {
        let status = std::process::Command::new(&exe)
            .arg("--child")
            .arg(dir)
            .arg(population)
            .status()
            .unwrap();
        assert!(status.success(), "the {population} run failed");
        // Free the disk between the runs.
        let _ = std::fs::remove_dir_all(dir.join(format!("out_{population}")));
    }
}
