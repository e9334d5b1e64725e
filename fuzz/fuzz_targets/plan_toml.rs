//! The plan parser (TOML, then every check of `Plan::resolve`) on arbitrary text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lifecircle::plan::Plan;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Plan::parse(text, Path::new("/fuzz/plan.toml"));
    }
});
