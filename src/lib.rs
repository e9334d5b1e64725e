//! lifecircle: plan elderly-care facilities on walking circles.
//!
//! This crate is the edge around [`lifecircle_core`]: it reads plan files and input layers
//! ([`io`]), runs a plan end to end ([`pipeline::run`]) and writes GeoJSON, tables, maps and
//! the report ([`io::run_output::write_run`]). The analysis modules of the core are
//! re-exported here under their own names, so `lifecircle::coverage` is
//! `lifecircle_core::coverage`.

pub use lifecircle_core::{
    analyse, analysis, checks, coverage, crs, demo, indicators, map, model, network, plan,
    proposal, siting, standards, study, study_area, summary, Analysis, Inputs, Plan, Silent,
    StreetNetwork, Summary,
};

/// The command line's allocator (mimalloc), for binaries built on this crate.
#[cfg(feature = "cli")]
pub mod allocator;
pub mod batch;
pub mod compare;
pub mod io;
pub mod pipeline;

/// An error and its causes, each said once (our errors already quote their OS error, which a
/// chain of sources would repeat): what the CLI prints and a batch reports for a failed job.
pub fn error_text(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        source = s.source();
    }
    out
}
