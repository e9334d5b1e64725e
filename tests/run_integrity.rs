//! Run-level integrity of output folders, through the real binary: a run killed with
//! SIGKILL at ten points leaves either the previous complete run or the new complete run,
//! never a mix; a re-run without `[siting]` leaves no proposal file of the earlier run; a
//! second run into a folder that a run holds is refused and changes nothing; nothing but the
//! lock is left beside the folder once a run completes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lifecircle"));
    c.arg("--quiet").env_remove("LIFECIRCLE_FONT");
    c
}

/// `lifecircle --quiet run PLAN --out OUT`.
fn run_into(plan: &Path, out: &Path) -> Command {
    let mut c = bin();
    c.arg("run").arg(plan).arg("--out").arg(out);
    c
}

/// Every file under `dir` (relative path → content).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
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

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

struct Fixture {
    _root: tempfile::TempDir,
    root: PathBuf,
    plan_a: PathBuf,
    plan_b: PathBuf,
    ref_a: BTreeMap<String, Vec<u8>>,
    ref_b: BTreeMap<String, Vec<u8>>,
    run_b_s: f64,
}

/// The demo (plan A, with `[siting]`) and the same plan without `[siting]` (plan B), each
/// run once into a reference folder of its own.
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let data = root.join("data");
    let st = bin()
        .args(["demo", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(root.join("ref_a"))
        .status()
        .unwrap();
    assert!(st.success());
    let plan_a = data.join("plan.toml");
    let text = std::fs::read_to_string(&plan_a).unwrap();
    let cut = text.find("[siting]").expect("demo plan has [siting]");
    let plan_b = data.join("plan_b.toml");
    std::fs::write(&plan_b, &text[..cut]).unwrap();
    let t = Instant::now();
    let st = run_into(&plan_b, &root.join("ref_b")).status().unwrap();
    assert!(st.success());
    let run_b_s = t.elapsed().as_secs_f64();
    let ref_a = snapshot(&root.join("ref_a"));
    let ref_b = snapshot(&root.join("ref_b"));
    assert!(ref_a.contains_key("proposed_sites.geojson") && ref_a.contains_key("run.json"));
    assert!(!ref_b.contains_key("proposed_sites.geojson"));
    Fixture {
        _root: tmp,
        root,
        plan_a,
        plan_b,
        ref_a,
        ref_b,
        run_b_s,
    }
}

/// Which complete run `dir` holds, failing on any mix.
fn which_run(f: &Fixture, dir: &Path) -> char {
    let got = snapshot(dir);
    if got == f.ref_a {
        'A'
    } else if got == f.ref_b {
        'B'
    } else {
        let only: Vec<_> = got
            .keys()
            .filter(|k| !f.ref_a.contains_key(*k) && !f.ref_b.contains_key(*k))
            .collect();
        let differ_a: Vec<_> = got
            .iter()
            .filter(|(k, v)| f.ref_a.get(*k) != Some(v))
            .map(|(k, _)| k)
            .collect();
        panic!("{} holds neither run A nor run B whole; files of neither: {only:?}; files differing from A: {differ_a:?}", dir.display());
    }
}

#[test]
fn output_folders_hold_one_whole_run() {
    let f = fixture();
    run_json_lists_every_file(&f);
    let out = f.root.join("out");
    let st = run_into(&f.plan_a, &out).status().unwrap();
    assert!(st.success());
    assert_eq!(which_run(&f, &out), 'A');
    let mut previous = 'A';
    let mut seen_new = 0;
    for i in 1..=10 {
        let (plan, next) = if previous == 'A' {
            (&f.plan_b, 'B')
        } else {
            (&f.plan_a, 'A')
        };
        let mut child = run_into(plan, &out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Ten points spread over a whole run, reading to the swap.
        std::thread::sleep(Duration::from_secs_f64(f.run_b_s * i as f64 / 10.5));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let now = which_run(&f, &out);
        assert!(
            now == previous || now == next,
            "kill {i}: folder holds run {now}, expected {previous} or {next}"
        );
        if now == next {
            seen_new += 1;
        }
        // Beside the folder: the lock and at most the killed run's staging folder.
        let beside: Vec<String> = names(&f.root)
            .into_iter()
            .filter(|n| n.starts_with(".out."))
            .collect();
        assert!(beside.contains(&".out.lifecircle-lock".to_string()));
        assert!(beside.len() <= 2, "kill {i}: {beside:?} (status {status})");
        eprintln!(
            "kill {i} after {:.2} s: folder holds run {now}",
            f.run_b_s * i as f64 / 10.5
        );
        previous = now;
    }
    // The kills did not all land after the run had finished.
    assert!(seen_new < 10, "every kill came too late to test anything");
    let st = run_into(&f.plan_a, &out).status().unwrap();
    assert!(st.success());
    assert_eq!(which_run(&f, &out), 'A');
    let beside: Vec<String> = names(&f.root)
        .into_iter()
        .filter(|n| n.starts_with(".out."))
        .collect();
    assert_eq!(beside, [".out.lifecircle-lock"], "staging left behind");

    // A run into a folder another run holds is refused and changes nothing.
    let lock = std::fs::File::options()
        .write(true)
        .open(f.root.join(".out.lifecircle-lock"))
        .unwrap();
    lock.lock().unwrap();
    let o = run_into(&f.plan_b, &out).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("another lifecircle run is writing this folder"),
        "{err}"
    );
    assert_eq!(which_run(&f, &out), 'A');
    drop(lock);

    // --strict: the demo has warnings (a detour), so nothing is written.
    let o = run_into(&f.plan_b, &out).arg("--strict").output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--strict: the run has 1 warning(s)")
            && err.contains("warning [detour]: 421 population cells"),
        "{err}"
    );
    assert_eq!(which_run(&f, &out), 'A');

    // Two runs started together: the folder ends up holding one of them whole, and a run
    // that lost the race says why.
    let spawn = |plan: &Path| {
        run_into(plan, &out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(&f.plan_a), spawn(&f.plan_b));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        if !o.status.success() {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("another lifecircle run"), "{err}");
        }
    }
    assert!(a.status.success() || b.status.success());
    let now = which_run(&f, &out);
    if !a.status.success() {
        assert_eq!(now, 'B');
    }
    if !b.status.success() {
        assert_eq!(now, 'A');
    }
}

fn run_json_lists_every_file(f: &Fixture) {
    let manifest: serde_json::Value = serde_json::from_slice(&f.ref_b["run.json"]).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let mut listed: Vec<&str> = files.iter().map(|x| x["path"].as_str().unwrap()).collect();
    listed.push("run.json");
    listed.sort();
    let on_disk: Vec<&str> = f.ref_b.keys().map(String::as_str).collect();
    assert_eq!(listed, on_disk);
    for x in files {
        let body = &f.ref_b[x["path"].as_str().unwrap()];
        assert_eq!(x["bytes"].as_u64().unwrap(), body.len() as u64);
    }
    let roles: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "plan",
            "population",
            "facilities",
            "subdistricts",
            "committees",
            "network"
        ]
    );
    assert_eq!(manifest["inputs"][0]["path"], "plan_b.toml");
}
