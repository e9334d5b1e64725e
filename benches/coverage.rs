//! Straight-line coverage at city scale: 1,000,000 population cells against 1,000
//! facilities at 1,000 m (target: under 1 s on 2 cores). Run with `cargo bench --bench
//! coverage`; prints the figures.

use std::time::Instant;

use geo::Coord;
use lifecircle::coverage::straight_line;
use lifecircle::model::{
    AgeBand, Capacity, Counts, Facility, FacilityKind, Location, PopulationCell, Study,
};
use lifecircle::standards::{Circle, Method, Reach, Require};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn loc(x: f64, y: f64) -> Location {
    Location {
        lon_lat: Coord { x: 0.0, y: 0.0 },
        xy_m: Coord { x, y },
    }
}

fn main() {
    let cells_n = 1_000_000;
    let facilities_n = 1_000;
    let side_m = 40_000.0; // a 40 km × 40 km city
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let cells: Vec<PopulationCell> = (0..cells_n)
        .map(|i| PopulationCell {
            id: i.to_string(),
            location: loc(rng.gen_range(0.0..side_m), rng.gen_range(0.0..side_m)),
            footprint: None,
            counts: Counts {
                residents: 100.0,
                aged_60: 36.0,
                aged_65: 29.0,
                aged_80: 6.0,
            },
            subdistrict: None,
            committee: None,
        })
        .collect();
    let facilities: Vec<Facility> = (0..facilities_n)
        .map(|i| Facility {
            id: i.to_string(),
            name: String::new(),
            kind: FacilityKind::DayCare,
            label: String::new(),
            location: loc(rng.gen_range(0.0..side_m), rng.gen_range(0.0..side_m)),
            capacity: Capacity::default(),
            subdistrict_name: None,
            subdistrict: None,
            committee: None,
        })
        .collect();
    let study = Study {
        cells,
        facilities,
        ..Default::default()
    };
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
