//! `lifecircle batch`: the 16 districts of Shanghai (Amap's real boundaries, GCJ-02) × 2
//! scenarios over one city-wide layer of 26,105 real geocoded addresses, in one call; the
//! reduced table against separate runs; a second call skipping everything; a killed batch
//! resumed. The Slurm test (ignored by default, run by `.ci/run`) is at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lifecircle::batch::{self, reduce::reduce, BatchOptions, JobStatus, Manifest};
use lifecircle::pipeline::{run, Silent};

const DISTRICTS: &[&str] = &[
    "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113",
    "310114", "310115", "310116", "310117", "310118", "310120", "310151",
];

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

/// A base plan over the city-wide addresses (100 residents, 35 aged 60+ each, rolled up by
/// their street_level field), every 41st address a facility of one of three kinds, and a
/// manifest of `districts` × two walking speeds, in `dir`.
fn batch_dir(dir: &Path, districts: &[&str], output_dir: &str) -> PathBuf {
    let pop = shared("shanghai-2022-case-addresses-geocoded/geo.csv");
    let mut r = csv::Reader::from_path(&pop).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (x, y) = (col("gcj02_lng"), col("gcj02_lat"));
    let kinds = ["日间照料中心", "社区长者食堂", "社区综合为老服务中心"];
    let mut fac = String::from("id,name,type,lon,lat\n");
    for (i, rec) in r.records().enumerate().filter(|(i, _)| i % 41 == 0) {
        let rec = rec.unwrap();
        let kind = kinds[(i / 41) % 3];
        fac.push_str(&format!("f{i},设施{i},{kind},{},{}\n", &rec[x], &rec[y]));
    }
    std::fs::write(dir.join("facilities.csv"), fac).unwrap();
    std::fs::write(
        dir.join("base.toml"),
        format!(
            r#"[study]
name = "上海 elderly-care circles"

[population]
path = "{pop}"
crs = "GCJ02"
weight = {{ residents = 100, aged_60 = 35 }}
fields = {{ id = "", lon = "gcj02_lng", lat = "gcj02_lat", aged_65 = "", aged_80 = "", subdistrict = "street_level" }}

[facilities]
path = "facilities.csv"
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
            pop = pop.display()
        ),
    )
    .unwrap();
    let paths: Vec<String> = districts
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
            r#"[batch]
name = "Shanghai districts"
plan = "base.toml"
output_dir = "{output_dir}"

[areas]
paths = [{}]
crs = "GCJ02"
fields = {{ id = "adcode" }}

[[scenarios]]
name = "walk_1_0"

[[scenarios]]
name = "walk_0_8"
set = {{ "walking_speed_m_per_s.60+" = 0.8 }}
"#,
            paths.join(", ")
        ),
    )
    .unwrap();
    manifest
}

/// Every file under `dir`, relative path → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r
        .headers()
        .unwrap()
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}').to_string())
        .collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn sixteen_districts_two_scenarios_equal_separate_runs_and_rerun_skips() {
    let dir = tempfile::tempdir().unwrap();
    let m = Manifest::load(&batch_dir(dir.path(), DISTRICTS, "out")).unwrap();
    assert_eq!(m.areas.len(), 16);
    let report = batch::run(&m, BatchOptions::default(), &Silent).unwrap();
    assert_eq!(report.count(JobStatus::Done), 32, "{:?}", report.jobs);
    let reduced = reduce(&m).unwrap();
    assert_eq!(
        (reduced.complete, reduced.failed, reduced.missing),
        (32, 0, 0)
    );

    let rows = csv_rows(&dir.path().join("out/reduced/areas.csv"));
    assert_eq!(rows.len(), 32);
    let mut residents = 0.0;
    for (row, job) in rows.iter().zip(m.jobs().unwrap()) {
        assert_eq!(row["status"], "complete");
        assert_eq!(format!("{}/{}", row["area_id"], row["scenario"]), job.key);
        // The row's figures are the job's own summary.json and indicators.csv.
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(job.out_dir.join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            row["residents"].parse::<f64>().unwrap(),
            s["totals"]["residents"].as_f64().unwrap()
        );
        let min15 = &s["totals"]["coverage"][0];
        assert_eq!(min15["circle"], "min15");
        assert_eq!(
            row["min15_share"].parse::<f64>().unwrap(),
            min15["share"].as_f64().unwrap()
        );
        if row["scenario"] == "walk_1_0" {
            residents += row["residents"].parse::<f64>().unwrap();
        }
    }
    // Each address lies in at most one district: the districts' residents add up to at
    // most the whole layer, and to most of it (a few addresses lie off every boundary).
    assert!(
        residents <= 2_610_500.0 && residents > 2_500_000.0,
        "{residents}"
    );
    // A slower walk never covers more.
    for pair in rows.chunks(2) {
        let (fast, slow) = (&pair[0], &pair[1]);
        assert!(
            slow["min15_share"].parse::<f64>().unwrap()
                <= fast["min15_share"].parse::<f64>().unwrap()
        );
    }

    // Separate runs of some jobs' plans give the same files as the batch's job folders.
    let jobs = m.jobs().unwrap();
    for job in [&jobs[0], &jobs[3], &jobs[17], &jobs[31]] {
        let plan = lifecircle::io::read_plan(&job.plan_file).unwrap();
        let alone = dir.path().join("alone").join(job.key.replace('/', "_"));
        run(&plan, &alone, &Silent).unwrap();
        let (a, b) = (files(&alone), files(&job.out_dir));
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{}",
            job.key
        );
        for (name, bytes) in &a {
            if name != "run.json" {
                assert!(bytes == &b[name], "{}: {name} differs", job.key);
            }
        }
    }

    // A second call skips all 32 and writes the same reduced files.
    let before = files(&dir.path().join("out/reduced"));
    let again = batch::run(&m, BatchOptions::default(), &Silent).unwrap();
    assert_eq!(again.count(JobStatus::Skipped), 32);
    reduce(&m).unwrap();
    assert_eq!(files(&dir.path().join("out/reduced")), before);

    // A changed input reruns only what it touches: all jobs read the facilities, so all
    // rerun; the plan of one scenario only reruns that scenario.
    let bt = dir.path().join("batch.toml");
    let text = std::fs::read_to_string(&bt)
        .unwrap()
        .replace("= 0.8 }", "= 0.7 }");
    std::fs::write(&bt, text).unwrap();
    let m2 = Manifest::load(&bt).unwrap();
    let third = batch::run(&m2, BatchOptions::default(), &Silent).unwrap();
    for j in &third.jobs {
        let expected = if j.scenario == "walk_0_8" {
            JobStatus::Done
        } else {
            JobStatus::Skipped
        };
        assert_eq!(j.status, expected, "{}", j.job);
    }
}

/// A failed job is reported with its error and the others complete; --retry-failed runs only
/// the failed one.
#[test]
fn a_failed_job_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bt = batch_dir(dir.path(), &["310101", "310104"], "out");
    // A scenario whose override is valid TOML but makes the run fail for one area only is
    // hard to build; instead make one area's job fail by a study area with no population:
    // the Chongming boundary shifted far away would be one; simpler, an empty facilities
    // file for one scenario.
    std::fs::write(dir.path().join("empty.csv"), "id,name,type,lon,lat\n").unwrap();
    let text = std::fs::read_to_string(&bt).unwrap().replace(
        "name = \"walk_1_0\"",
        "name = \"walk_1_0\"\nset = { \"facilities.path\" = \"empty.csv\" }",
    );
    std::fs::write(&bt, text).unwrap();
    let m = Manifest::load(&bt).unwrap();
    let r = batch::run(&m, BatchOptions::default(), &Silent).unwrap();
    let status: Vec<(String, JobStatus)> =
        r.jobs.iter().map(|j| (j.job.clone(), j.status)).collect();
    assert_eq!(
        status,
        vec![
            ("310101/walk_1_0".into(), JobStatus::Failed),
            ("310101/walk_0_8".into(), JobStatus::Done),
            ("310104/walk_1_0".into(), JobStatus::Failed),
            ("310104/walk_0_8".into(), JobStatus::Done),
        ]
    );
    let e = r.jobs[0].error.as_deref().unwrap();
    assert!(e.contains("empty.csv"), "{e}");
    let red = reduce(&m).unwrap();
    assert_eq!((red.complete, red.failed, red.missing), (2, 2, 0));
    let md = std::fs::read_to_string(dir.path().join("out/reduced/batch.md")).unwrap();
    assert!(
        md.contains("## Failed jobs") && md.contains("`310101/walk_1_0`"),
        "{md}"
    );

    // Fixed, and retried: only the two failed jobs run.
    std::fs::copy(
        dir.path().join("facilities.csv"),
        dir.path().join("empty.csv"),
    )
    .unwrap();
    let r = batch::run(
        &m,
        BatchOptions {
            retry_failed: true,
            ..BatchOptions::default()
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(r.count(JobStatus::Done), 2);
    assert_eq!(r.count(JobStatus::NotRun), 2);
}

/// With --strict, a job whose complete run has warnings is not skipped: it fails.
#[test]
fn strict_batch_fails_jobs_with_warnings_instead_of_skipping_them() {
    let dir = tempfile::tempdir().unwrap();
    let m = Manifest::load(&batch_dir(dir.path(), &["310104"], "out")).unwrap();
    let r = batch::run(&m, BatchOptions::default(), &Silent).unwrap();
    assert_eq!(r.count(JobStatus::Done), 2);
    let strict = BatchOptions {
        strict: true,
        ..BatchOptions::default()
    };
    let r = batch::run(&m, strict, &Silent).unwrap();
    assert_eq!(r.count(JobStatus::Failed), 2, "{:?}", r.jobs);
    let e = r.jobs[0].error.as_deref().unwrap();
    assert!(e.contains("--strict"), "{e}");
    // The earlier complete runs stay.
    assert!(dir
        .path()
        .join("out/jobs/310104/walk_1_0/summary.json")
        .exists());
}

/// `lifecircle batch` killed with SIGKILL after some jobs finished: every job folder is
/// complete or absent, and the next call runs exactly the jobs that were missing.
#[test]
fn a_killed_batch_resumes_with_what_was_missing() {
    let dir = tempfile::tempdir().unwrap();
    let bt = batch_dir(dir.path(), DISTRICTS, "out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .args(["-q", "batch"])
        .arg(&bt)
        .args(["--jobs", "1"])
        .spawn()
        .unwrap();
    let report = dir.path().join("out/batch.json");
    let t0 = Instant::now();
    loop {
        let done = std::fs::read_to_string(&report)
            .map(|t| t.matches("\"done\"").count())
            .unwrap_or(0);
        if done >= 4 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(300), "no progress");
        assert!(child.try_wait().unwrap().is_none(), "the batch ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let m = Manifest::load(&bt).unwrap();
    let jobs = m.jobs().unwrap();
    let complete: Vec<bool> = jobs
        .iter()
        .map(|j| {
            let plan = lifecircle::io::read_plan(&j.plan_file).unwrap();
            batch::up_to_date(j, &plan)
        })
        .collect();
    let n = complete.iter().filter(|c| **c).count();
    assert!((4..32).contains(&n), "{n} complete");
    for (j, c) in jobs.iter().zip(&complete) {
        if !c {
            // Never half written: the folder is absent (staging folders are beside it).
            assert!(!j.out_dir.join("summary.json").exists(), "{}", j.key);
        }
    }
    let r = batch::run(&m, BatchOptions::default(), &Silent).unwrap();
    for (j, c) in r.jobs.iter().zip(&complete) {
        let expected = if *c {
            JobStatus::Skipped
        } else {
            JobStatus::Done
        };
        assert_eq!(j.status, expected, "{}", j.job);
    }
}

/// The manifest's mistakes are errors that name the key and what was expected.
#[test]
fn manifest_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let bt = batch_dir(dir.path(), &["310104"], "out");
    let text = std::fs::read_to_string(&bt).unwrap();
    let cases = [
        (
            text.replace("name = \"walk_0_8\"", "name = \"walk 0.8\""),
            "[scenarios[1].name]: 'walk 0.8': expected letters, digits, _ and -",
        ),
        (
            text.replace("name = \"walk_0_8\"", "name = \"walk_1_0\""),
            "'walk_1_0' is used twice",
        ),
        (
            text.replace(
                "\"walking_speed_m_per_s.60+\" = 0.8",
                "\"circles.5.minutes\" = 10",
            ),
            "set 'circles.5.minutes': index 5 is past the array's 2 elements",
        ),
        (
            text.replace(
                "\"walking_speed_m_per_s.60+\" = 0.8",
                "\"walking_speed_m_per_s.60+\" = 9",
            ),
            "job 310104/walk_0_8:",
        ),
        (
            text.replace(
                "fields = { id = \"adcode\" }",
                "fields = { id = \"adcode\" }\nids = [\"310199\"]",
            ),
            "no area has id or name '310199'; the layers have 310104",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(&bt, &text).unwrap();
        let e = Manifest::load(&bt)
            .and_then(|m| m.jobs().map(|_| m))
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{e}\nexpected: {expected}");
    }
}

/// The Slurm job array, for real: `.ci/slurm-up` starts a single-node slurmctld + slurmd;
/// `batch plan` writes the array; `sbatch --wait` runs it; the reduce job merges; the reduced
/// files are byte-identical to an in-process batch's. Run by `.ci/run`:
/// `cargo test --test batch -- --ignored slurm`.
#[test]
#[ignore = "needs a running Slurm cluster: .ci/slurm-up"]
fn slurm_job_array_reduces_to_the_same_bytes_as_in_process() {
    let areas = ["310101", "310104", "310105", "310106", "310109"];
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let ma = Manifest::load(&batch_dir(&a, &areas, "out")).unwrap();
    batch::run(&ma, BatchOptions::default(), &Silent).unwrap();
    reduce(&ma).unwrap();

    let bt = batch_dir(&b, &areas, "out");
    let exe = env!("CARGO_BIN_EXE_lifecircle");
    let out = Command::new(exe)
        .args(["batch", "plan"])
        .arg(&bt)
        .args(["--shards", "3", "--cpus", "1", "--mem-mb", "1000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let say = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(say.contains("10 jobs in 3 shards"), "{say}");
    let array = b.join("out/engines/slurm-array.sbatch");
    let sub = Command::new("sbatch")
        .arg("--parsable")
        .arg(&array)
        .output()
        .unwrap();
    assert!(
        sub.status.success(),
        "{}",
        String::from_utf8_lossy(&sub.stderr)
    );
    let id = String::from_utf8_lossy(&sub.stdout).trim().to_string();
    let red = Command::new("sbatch")
        .args(["--wait", &format!("--dependency=afterany:{id}")])
        .arg(b.join("out/engines/slurm-reduce.sbatch"))
        .output()
        .unwrap();
    let logs: String = std::fs::read_dir(b.join("out/shards"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "out"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert!(red.status.success(), "reduce job failed; logs:\n{logs}");
    // Three shard reports, each with its share of the ten jobs, all done.
    let mut done = 0;
    for k in 0..3 {
        let r: batch::BatchReport = serde_json::from_str(
            &std::fs::read_to_string(b.join(format!("out/shards/shard-{k}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(r.shard, Some((k, 3)));
        assert_eq!(r.count(JobStatus::Failed), 0, "{logs}");
        done += r.count(JobStatus::Done);
    }
    assert_eq!(done, 10);
    let (ra, rb) = (files(&a.join("out/reduced")), files(&b.join("out/reduced")));
    assert_eq!(ra.keys().collect::<Vec<_>>(), rb.keys().collect::<Vec<_>>());
    for (name, bytes) in &ra {
        assert!(
            bytes == &rb[name],
            "reduced/{name} differs between Slurm and in-process"
        );
    }
}

/// The Kubernetes Indexed Job as a cluster reads it: valid YAML, Indexed, one completion per
/// shard, the volume holding every path; its container command run here once per index with
/// JOB_COMPLETION_INDEX set, as the pods would, then reduced: the same bytes as in-process.
#[test]
fn kubernetes_indexed_job_runs_the_shards_it_names() {
    let areas = ["310101", "310104", "310106"];
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let ma = Manifest::load(&batch_dir(&a, &areas, "out")).unwrap();
    batch::run(&ma, BatchOptions::default(), &Silent).unwrap();
    reduce(&ma).unwrap();

    let bt = batch_dir(&b, &areas, "out");
    let exe = env!("CARGO_BIN_EXE_lifecircle");
    let out = Command::new(exe)
        .args(["batch", "plan"])
        .arg(&bt)
        .args(["--shards", "4"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(b.join("out/engines/k8s-indexed-job.yaml")).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(y["kind"], "Job");
    assert_eq!(y["apiVersion"], "batch/v1");
    let name = y["metadata"]["name"].as_str().unwrap();
    assert!(
        name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "{name} is not an RFC 1123 name"
    );
    let spec = &y["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"].as_u64(), Some(4));
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let c = &pod["containers"][0];
    let command: Vec<String> = c["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let mount = PathBuf::from(c["volumeMounts"][0]["mountPath"].as_str().unwrap());
    for p in [
        &bt,
        &b.join("out"),
        &shared("shanghai-2022-case-addresses-geocoded/geo.csv"),
    ] {
        assert!(
            p.starts_with(&mount),
            "{} is not under {}",
            p.display(),
            mount.display()
        );
    }
    assert_eq!(command[0], "lifecircle");
    // The pods' command, with this build's binary, once per completion index.
    for k in 0..4 {
        let o = Command::new(exe)
            .args(&command[1..])
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env("JOB_COMPLETION_INDEX", k.to_string())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let mb = Manifest::load(&bt).unwrap();
    let red = reduce(&mb).unwrap();
    assert_eq!(red.complete, 6);
    let (ra, rb) = (files(&a.join("out/reduced")), files(&b.join("out/reduced")));
    assert_eq!(ra, rb);
}
