//! The analysis core of lifecircle: elderly-care provision on walking circles, in memory.
//!
//! One flow: the edge reads a plan and its layers into [`Inputs`] (WGS84 records) and, for
//! network circles, builds a [`StreetNetwork`] in the analysis CRS; [`analyse`] projects,
//! snaps, measures every circle, computes accessibility and the provision indicators and,
//! with `[siting]`, proposes sites; the edge writes the typed [`Analysis`]. Nothing here
//! opens a file, prints or reads the clock. Distances are metres, times seconds, areas m².
//!
//! The district's 15-minute share, in memory:
//!
//! ```
//! use lifecircle_core::{analyse, demo, projection, Plan, Silent, StreetNetwork};
//!
//! let district = demo::generate()?; // a synthetic district, made in memory
//! let mut plan = Plan::parse(&demo::plan_text("out"), "plan.toml".as_ref())?;
//! plan.siting = None; // measure only; no site proposals
//! let inputs = district.inputs();
//! let streets = StreetNetwork::from_osm(&district.streets, &projection(&plan, &inputs)?)?;
//! let analysis = analyse(&plan, inputs, Some(&streets), &Silent)?;
//! let min15 = &analysis.indicators.district.circles[0];
//! println!("{}: {:.1} % of people aged {}", min15.circle, 100.0 * min15.share().unwrap(), min15.age_band);
//! assert!((min15.share().unwrap() - 0.174).abs() < 0.001); // 17.4 % along the streets
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod analysis;
pub mod checks;
pub mod coverage;
pub mod crs;
pub mod demo;
pub mod indicators;
pub mod map;
pub mod model;
pub mod network;
pub mod plan;
pub mod proposal;
pub mod siting;
pub mod standards;
pub mod study;
pub mod study_area;
pub mod summary;

pub use analysis::{analyse, projection, Analysis, AnalysisError, Progress, Silent};
pub use crs::{InputCrs, Projection};
pub use model::{AgeBand, FacilityKind, Study};
pub use network::{OsmData, StreetNetwork, WalkGraph};
pub use plan::Plan;
pub use proposal::Proposal;
pub use standards::{Method, Standards};
pub use study::Inputs;
pub use summary::Summary;
