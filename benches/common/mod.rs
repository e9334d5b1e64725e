//! Synthetic study pieces shared by the benchmarks: points in metres, no geography.

use geo::Coord;
use lifecircle::model::{
    Capacity, Counts, Facility, FacilityKind, Location, PopulationCell, Study,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A location in the analysis CRS (the WGS84 position is unused by the benchmarks).
pub fn loc(x: f64, y: f64) -> Location {
    Location {
        lon_lat: Coord { x: 0.0, y: 0.0 },
        xy_m: Coord { x, y },
    }
}

/// `cells` population cells (100 residents, 36 aged 60+) and `facilities` facilities of
/// `kind`, uniformly random in a `side_m` square.
pub fn random_study(
    rng: &mut ChaCha8Rng,
    cells: usize,
    facilities: usize,
    kind: FacilityKind,
    side_m: f64,
) -> Study {
    let cells = (0..cells)
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
    let facilities = (0..facilities)
        .map(|i| Facility {
            id: i.to_string(),
            name: String::new(),
            kind,
            label: String::new(),
            location: loc(rng.gen_range(0.0..side_m), rng.gen_range(0.0..side_m)),
            capacity: Capacity::default(),
            subdistrict_name: None,
            subdistrict: None,
            committee: None,
            beyond_study_area: false,
        })
        .collect();
    Study {
        cells,
        facilities,
        ..Default::default()
    }
}
