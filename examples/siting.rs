//! Site proposals in memory: the demo district's plan asks for 10 new comprehensive service
//! centres (MCLP: most people aged 60+ within the 15-minute walk, 900 m along the streets,
//! at least 2 centres per 街镇 counting the existing ones). Prints the sites in priority
//! order with their marginal gains, and the coverage before and after.
//!
//! `cargo run --release --example siting`

use lifecircle_core::{analyse, demo, projection, Plan, Proposal, Silent, StreetNetwork};

/// Runs the demo plan, [siting] included, and returns its proposal.
pub fn demo_proposal() -> Result<Proposal, Box<dyn std::error::Error>> {
    let district = demo::generate()?;
    let plan = Plan::parse(&demo::plan_text("out"), "plan.toml".as_ref())?;
    let inputs = district.inputs();
    let streets = StreetNetwork::from_osm(&district.streets, &projection(&plan, &inputs)?)?;
    let analysis = analyse(&plan, inputs, Some(&streets), &Silent)?;
    analysis
        .proposal
        .ok_or_else(|| "the demo plan has [siting]".into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = demo_proposal()?;
    println!(
        "{}: {} new {} sites among {} candidates; gap {:.4} % ({})",
        p.solution.model,
        p.solution.open.len(),
        p.kind.chinese(),
        p.candidates.len(),
        100.0 * p.solution.gap,
        p.solution.method
    );
    println!(
        "people aged {} within {:.0} m ({}): {:.0} → {:.0} of {:.0}",
        p.age_band,
        p.reach_m,
        p.method,
        p.covered_before,
        p.recheck.covered_weight,
        p.solution.evaluation.total_weight
    );
    for r in &p.ranked {
        let c = &p.candidates[r.candidate];
        println!(
            "  #{:<2} {:<10} ({:.6}, {:.6})  +{:>6.0} people",
            r.rank, c.id, c.location.lon_lat.x, c.location.lon_lat.y, r.newly_covered
        );
    }
    Ok(())
}
