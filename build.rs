//! The build id of `run.json` (`lifecircle_build`): a hash of the sources that make the
//! figures (this crate's `src/`, the core's `crates/core/src/`) and of `Cargo.lock`, so that a
//! batch re-runs its jobs after the code changed under the same version number, and the CLI
//! and a library caller built from the same sources agree.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut all = Vec::new();
    for dir in ["src", "crates/core/src"] {
        files(&root.join(dir), &mut all);
        println!("cargo:rerun-if-changed={dir}");
    }
    all.push(root.join("Cargo.lock"));
    println!("cargo:rerun-if-changed=Cargo.lock");
    all.sort();
    // Two independent 64-bit hashes (FNV-1a and SipHash with fixed keys): 128 bits.
    let mut fnv: u64 = 0xcbf2_9ce4_8422_2325;
    #[allow(deprecated)]
    let mut sip = std::hash::SipHasher::new_with_keys(0x6c69_6665, 0x6369_7263_6c65);
    for f in &all {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(f).unwrap_or_default();
        for b in rel.as_bytes().iter().chain(&[0u8]).chain(&bytes) {
            fnv = (fnv ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        sip.write(rel.as_bytes());
        sip.write(&bytes);
    }
    println!(
        "cargo:rustc-env=LIFECIRCLE_SOURCE_HASH={:016x}{:016x}",
        fnv,
        sip.finish()
    );
}
