//! Walking-circle coverage in memory, with the analysis core alone: no file is read or
//! written. Generates the synthetic demo district, walks its streets and prints each
//! circle's share of people aged 60+ for the district and its 15-minute share per 街镇.
//!
//! `cargo run --release --example coverage`

use lifecircle_core::{analyse, demo, projection, Analysis, Plan, Silent, StreetNetwork};

/// Analyses the demo district (without site proposals) and hands the analysis to `look`.
pub fn with_demo_analysis<T>(
    look: impl FnOnce(&Analysis) -> T,
) -> Result<T, Box<dyn std::error::Error>> {
    let district = demo::generate()?;
    let mut plan = Plan::parse(&demo::plan_text("out"), "plan.toml".as_ref())?;
    plan.siting = None; // measure only
    let inputs = district.inputs();
    // The street network is built in the analysis CRS (here the UTM zone, EPSG:32651).
    let streets = StreetNetwork::from_osm(&district.streets, &projection(&plan, &inputs)?)?;
    let analysis = analyse(&plan, inputs, Some(&streets), &Silent)?;
    Ok(look(&analysis))
}

fn pct(share: Option<f64>) -> String {
    share.map_or("n/a".into(), |s| format!("{:.1} %", 100.0 * s))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    with_demo_analysis(|a| {
        println!(
            "analysis CRS EPSG:{} {}",
            a.projection.epsg(),
            a.projection.name()
        );
        for (share, cov) in a
            .indicators
            .district
            .circles
            .iter()
            .zip(&a.coverage.circles)
        {
            println!(
                "{:<10} {:>6.0} m {:<13} {} of people aged {} (straight line {})",
                share.circle,
                cov.circle.radius_m(),
                cov.circle.method.to_string(),
                pct(share.share()),
                share.age_band,
                pct(share.straight_line_share())
            );
        }
        println!("15-minute circle by sub-district (街镇):");
        for row in &a.indicators.subdistricts {
            let c = &row.circles[0];
            println!(
                "  {:<8} {:>7.0} aged 60+  {}",
                row.name,
                c.people,
                pct(c.share())
            );
        }
    })
}
