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

pub mod batch;
pub mod compare;
pub mod io;
pub mod pipeline;
