//! Straight-line coverage at city scale: 1,000,000 population cells against 1,000
//! facilities at 1,000 m (target: under 1 s on 2 cores). Run with `cargo bench --bench
//! coverage`; prints the figures.

mod common;

use std::time::Instant;

use lifecircle::coverage::straight_line;
use lifecircle::model::{AgeBand, FacilityKind};
use lifecircle::standards::{Circle, Method, Reach, Require};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() {
    let cells_n = 1_000_000;
    let facilities_n = 1_000;
    let side_m = 40_000.0; // a 40 km × 40 km city
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let study = common::random_study(
        &mut rng,
        cells_n,
        facilities_n,
        FacilityKind::DayCare,
        side_m,
    );
    let circle = Circle {
        name: "day_centre".into(),
        label: "1000 m".into(),
        reach: Reach::Distance { distance_m: 1000.0 },
        kinds: vec![FacilityKind::DayCare],
        require: Require::Any,
        age_band: AgeBand::Aged60,
        method: Method::StraightLine,
        source: "bench".into(),
    };
    let threads = rayon::current_num_threads();
    let mut best = f64::INFINITY;
    let mut covered = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let cov = straight_line(&study, std::slice::from_ref(&circle), &|_| {});
        best = best.min(t.elapsed().as_secs_f64());
        covered = cov.circles[0].covered.iter().filter(|&&b| b).count();
    }
    println!(
        "straight-line coverage: {cells_n} cells × {facilities_n} facilities at 1000 m on {threads} threads: \
         best of 5 {best:.3} s ({:.1} M cells/s); {covered} cells covered",
        cells_n as f64 / best / 1e6
    );
}
