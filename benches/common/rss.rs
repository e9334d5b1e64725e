//! Peak memory of the benchmark process, shared by the benchmarks that print it.

/// Peak resident set size of this process so far (`VmHWM` of /proc/self/status), MiB; NaN
/// where it cannot be read (not Linux).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
