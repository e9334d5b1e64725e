//! lifecircle: plan elderly-care facilities on walking circles.
//!
//! The flow is one way: read (io) → project (crs, study) → analyse (coverage, indicators,
//! proposal) → write (io). The analysis core never opens a file, prints or reads the clock;
//! `io` and `pipeline` sit at the edge, and the binary's CLI is a thin shell over `pipeline`.

pub mod analysis;
pub mod coverage;
pub mod crs;
pub mod demo;
pub mod indicators;
pub mod io;
pub mod map;
pub mod model;
pub mod network;
pub mod pipeline;
pub mod plan;
pub mod proposal;
pub mod siting;
pub mod standards;
pub mod study;
pub mod summary;
