//! The README's plan-file example is a valid plan, its demo tables are the demo's, and its
//! walking rules are the code's.

use std::path::Path;

use lifecircle::plan::Plan;

#[test]
fn readme_plan_example_parses() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let plan = Plan::parse(&readme[start..end], Path::new("/study/plan.toml")).unwrap();
    assert_eq!(plan.circles.len(), 1);
    assert_eq!(plan.circles[0].radius_m(), 900.0);
    assert_eq!(plan.facilities.fields.kind.column(), Some("类型"));
    assert_eq!(plan.standards.preset, "xuhui-2025");
}

/// The README shows the demo's own indicator tables: every table line of the generated
/// `indicators.md` (district and sub-district tables) and the first rows of
/// `indicators.csv` appear in it verbatim.
#[test]
fn readme_shows_the_demo_tables() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let district = lifecircle::demo::generate().unwrap();
    let plan_path =
        lifecircle::io::demo_files::write_demo(&district, &dir.path().join("data"), "../out")
            .unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    lifecircle::pipeline::run(&plan, &plan.output_dir, &lifecircle::pipeline::Silent).unwrap();
    let md = std::fs::read_to_string(dir.path().join("out/indicators.md")).unwrap();
    let start = md.find("## District").unwrap();
    let end = md.find("## Most under-served").unwrap();
    let lines: Vec<&str> = md[start..end]
        .lines()
        .filter(|l| l.starts_with('|'))
        .collect();
    assert!(lines.len() > 25);
    for line in lines {
        assert!(
            readme.contains(line),
            "README lacks the demo table line:\n{line}\n(update the README's demo results)"
        );
    }
    let csv = std::fs::read_to_string(dir.path().join("out/indicators.csv")).unwrap();
    for line in csv.trim_start_matches('\u{feff}').lines().take(4) {
        assert!(readme.contains(line), "README lacks the CSV line:\n{line}");
    }
}

/// The README's table of walking rules is the one in the module doc of
/// `crates/core/src/network/walkable.rs`, row for row and in the same order.
#[test]
fn readme_states_the_walking_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let code = std::fs::read_to_string(root.join("crates/core/src/network/walkable.rs")).unwrap();
    let table: Vec<&str> = code
        .lines()
        .filter_map(|l| l.strip_prefix("//! "))
        .filter(|l| l.starts_with('|'))
        .collect();
    assert!(table.len() >= 12, "the module doc has the rule table");
    let start = readme
        .find(table[0])
        .expect("the README has the walking-rule table");
    let readme_table: Vec<&str> = readme[start..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(
        readme_table, table,
        "README's walking rules differ from walkable.rs"
    );
}
