//! Walking-network coverage at metro scale: a street graph of 1,000,000 nodes, 5,000
//! facilities and 1,000,000 population cells, 15-minute circle (15 min × 1.0 m/s = 900 m).
//! Target: under 5 s and under 4 GiB on 2 cores. Run with `cargo bench --bench network`.

mod common;

#[path = "common/rss.rs"]
mod rss;
use rss::peak_rss_mib;
use std::time::Instant;

use geo::Coord;
use lifecircle::coverage::{measure, NetworkContext};
use lifecircle::model::{AgeBand, FacilityKind};
use lifecircle::network::{Segment, WalkGraph};
use lifecircle::standards::{Circle, Method, Reach, Require};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let side = 1000usize; // 1000 × 1000 street nodes, ~50 m apart: a 50 km × 50 km metro
    let spacing_m = 50.0;
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let t = Instant::now();
    let xy: Vec<Coord<f64>> = (0..side * side)
        .map(|k| Coord {
            x: (k % side) as f64 * spacing_m + rng.gen_range(-10.0..10.0),
            y: (k / side) as f64 * spacing_m + rng.gen_range(-10.0..10.0),
        })
        .collect();
    let mut segments = Vec::with_capacity(2 * side * side);
    for k in 0..side * side {
        let (i, j) = (k % side, k / side);
        for b in [
            (i + 1 < side).then(|| k + 1),
            (j + 1 < side).then(|| k + side),
        ]
        .into_iter()
        .flatten()
        {
            // About 10 % of street pieces are missing (blocks, compounds).
            if rng.gen::<f64>() < 0.1 {
                continue;
            }
            let (p, q) = (xy[k], xy[b]);
            segments.push(Segment {
                a: k as u32,
                b: b as u32,
                length_m: ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt(),
            });
        }
    }
    let n_segments = segments.len();
    let graph = WalkGraph::from_parts(
        (0..(side * side) as i64).collect(),
        vec![Coord { x: 0.0, y: 0.0 }; side * side],
        xy,
        segments,
    );
    let build_s = t.elapsed().as_secs_f64();

    let extent = side as f64 * spacing_m;
    let study = common::random_study(
        &mut rng,
        1_000_000,
        5_000,
        FacilityKind::ComprehensiveCentre,
        extent,
    );
    let circle = Circle {
        name: "min15".into(),
        label: "15-minute".into(),
        reach: Reach::Walk {
            minutes: 15.0,
            speed_m_per_s: 1.0,
        },
        kinds: vec![FacilityKind::ComprehensiveCentre],
        require: Require::Any,
        age_band: AgeBand::Aged60,
        method: Method::Network,
        source: "bench".into(),
    };

    let t = Instant::now();
    let net = NetworkContext::new(&graph, &study, 300.0);
    let snap_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cov = measure(&study, std::slice::from_ref(&circle), Some(&net), &|_| {});
    let measure_s = t.elapsed().as_secs_f64();
    let covered = cov.circles[0].covered.iter().filter(|&&b| b).count();
    let covered_line = cov.circles[0]
        .covered_straight_line
        .as_ref()
        .map_or(0, |v| v.iter().filter(|&&b| b).count());
    println!(
        "network coverage on {} threads: graph {} nodes / {} segments built in {build_s:.2} s; \
         snapping 1,000,000 cells + 5,000 facilities {snap_s:.2} s; 15-minute coverage \
         (network + straight line) {measure_s:.2} s; total analysis {:.2} s; peak memory {:.2} GiB; \
         {covered} cells covered on the network, {covered_line} in a straight line",
        rayon::current_num_threads(),
        side * side,
        n_segments,
        snap_s + measure_s,
        peak_rss_mib() / 1024.0
    );
}
