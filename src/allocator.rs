//! The memory allocator of the command line (and of the benchmarks that time what it runs):
//! mimalloc, tuned for runs that build millions of small rows and records and free them in
//! bulk between phases.
//!
//! Measured on a whole run of 1,000,000 GeoJSON points (benches/whole_run.rs, 2 cores):
//! glibc's malloc spent a fifth of the run's CPU in allocation and freeing (5.4–5.8 s wall);
//! mimalloc with its defaults ran it in 2.6–3.0 s but kept memory freed by one phase for a
//! second (its purge delay), so the next phase grew the peak to 0.83–0.95 GiB; with a
//! 100 ms delay the peak is 0.58 GiB at the same speed. Transparent huge pages are off
//! (`no_thp` in Cargo.toml): zeroing 2 MB pages on first touch cost more system time than
//! the whole parse.

pub use mimalloc::MiMalloc;

/// mimalloc's option index of the purge delay (`mi_option_purge_delay` in mimalloc.h, v2
/// and v3; libmimalloc-sys names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory is kept before it is returned to the system, ms.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Tunes the allocator; call first thing in `main`, before threads start.
pub fn tune() {
    // SAFETY: sets a plain integer option of the linked mimalloc; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}
