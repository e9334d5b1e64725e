//! The layering of ARCHITECTURE.md, checked on the sources: each core module imports only the
//! modules it may, and no core file opens a file or prints.

use std::collections::BTreeMap;
use std::path::Path;

/// Core modules bottom-up with the modules each may import (ARCHITECTURE.md).
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("crs", &[]),
    ("standards", &["model"]),
    ("network", &["crs"]),
    ("study", &["model", "crs"]),
    ("study_area", &["model", "crs", "network", "study"]),
    ("plan", &["model", "crs", "standards", "network"]),
    (
        "checks",
        &["model", "crs", "standards", "network", "study", "plan"],
    ),
    ("coverage", &["model", "standards", "network"]),
    ("indicators", &["model", "standards", "coverage"]),
    ("siting", &["model", "standards", "study", "coverage"]),
    (
        "proposal",
        &[
            "model",
            "crs",
            "standards",
            "network",
            "study",
            "plan",
            "checks",
            "coverage",
            "indicators",
            "siting",
        ],
    ),
    (
        "analysis",
        &[
            "model",
            "crs",
            "standards",
            "network",
            "study",
            "study_area",
            "plan",
            "checks",
            "coverage",
            "indicators",
            "siting",
            "proposal",
        ],
    ),
    (
        "summary",
        &[
            "model",
            "crs",
            "standards",
            "network",
            "study",
            "study_area",
            "plan",
            "checks",
            "coverage",
            "indicators",
            "siting",
            "proposal",
            "analysis",
        ],
    ),
    (
        "map",
        &[
            "model",
            "crs",
            "standards",
            "network",
            "study",
            "study_area",
            "plan",
            "checks",
            "coverage",
            "indicators",
            "siting",
            "proposal",
            "analysis",
        ],
    ),
    ("demo", &["model", "crs", "network", "study", "plan"]),
];

/// Source of each core module (a file or a folder of files), comments stripped.
fn sources() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/core/src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        let files = if path.is_dir() {
            std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect()
        } else {
            vec![path]
        };
        let mut text = String::new();
        for f in files {
            for line in std::fs::read_to_string(&f).unwrap().lines() {
                let code = line.split("//").next().unwrap_or("");
                text.push_str(code);
                text.push('\n');
            }
        }
        out.insert(name, text);
    }
    out
}

#[test]
fn core_modules_import_only_what_they_may() {
    let sources = sources();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for (module, text) in &sources {
        let may = allowed
            .get(module.as_str())
            .unwrap_or_else(|| panic!("core module {module} is not in ARCHITECTURE.md's table"));
        for other in sources.keys().filter(|o| *o != module) {
            let used = [
                format!("crate::{other}::"),
                format!("crate::{other}}}"),
                format!("crate::{other};"),
                format!("crate::{other},"),
            ]
            .iter()
            .any(|p| text.contains(p.as_str()));
            assert!(
                !used || may.contains(&other.as_str()),
                "core module `{module}` imports `{other}`, which ARCHITECTURE.md does not allow"
            );
        }
    }
}

#[test]
fn the_core_neither_opens_files_nor_prints() {
    for (module, text) in sources() {
        for banned in [
            "std::fs",
            "File::open",
            "File::create",
            "println!",
            "eprintln!",
            "print!(",
            "Instant::now",
            "SystemTime",
            "std::env",
        ] {
            assert!(
                !text.contains(banned),
                "core module `{module}` uses `{banned}`: the core takes and returns values"
            );
        }
    }
}
