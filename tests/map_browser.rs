//! The interactive map (map.html) driven in headless Chromium by playwright-core
//! (`tests/browser/map_check.mjs`) with the network off: every layer drawn, a click on a cell
//! opens its popup, switching the circle recolours the cell, switching overlays off removes
//! them, and the page makes no request beyond its own file. Needs Chromium and Node.js with
//! `npm ci --prefix tests/browser`, so it is `#[ignore]`d in a plain `cargo test`; `.ci/run`
//! runs it with `--ignored`, keeping the screenshot at target/map-screenshot.png.

use std::path::Path;
use std::process::Command;

use lifecircle::demo;
use lifecircle::io::demo_files::write_demo;
use lifecircle::pipeline::{run, Silent};

#[test]
#[ignore = "needs Chromium and Node.js; .ci/run installs them and runs this test"]
fn map_html_works_offline_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser = root.join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").is_dir(),
        "run `npm ci --prefix tests/browser` first"
    );
    let dir = tempfile::tempdir().unwrap();
    let district = demo::generate().unwrap();
    let plan_path = write_demo(&district, &dir.path().join("data"), "../out").unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    run(&plan, &plan.output_dir, &Silent).unwrap();
    let map = plan.output_dir.join("map.html");
    let shot = root.join("target/map-screenshot.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let out = Command::new("node")
        .arg(browser.join("map_check.mjs"))
        .arg(&map)
        .arg(&shot)
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let found: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(found["ok"], true);
    assert_eq!(found["network_requests"], 0);
    assert_eq!(found["drawn"]["cells"], 5476);
    assert_eq!(found["drawn"]["facility_symbols"], 524);
    assert_eq!(found["drawn"]["site_markers"], 10);
    // Three circles, each with its walk-vs-straight-line comparison.
    assert_eq!(found["drawn"]["base_layers"], 6);
    assert!(shot.metadata().unwrap().len() > 50_000);
}
