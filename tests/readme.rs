//! The README's plan-file example is a valid plan.

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
    assert_eq!(plan.facilities.layer.field("kind"), Some("类型"));
    assert_eq!(plan.standards.preset, "xuhui-2025");
}
