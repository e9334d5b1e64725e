//! Which population cells each walking circle covers.
//!
//! For every facility kind a circle needs, the distance from each cell to the nearest
//! facility of that kind is found with an R-tree (rstar) nearest-neighbour query, in
//! parallel over cells (rayon). A circle covers a cell when that distance is within its
//! reach: for one kind (`require = "any"`: at least one listed kind) or for every listed kind
//! (`require = "all"`, the "one-stop" reading). Distances here are straight lines in the
//! analysis CRS, metres.

use rayon::prelude::*;
use rstar::RTree;

use crate::model::{FacilityKind, Study};
use crate::standards::{Circle, Method, Require};

/// Distance from each cell to the nearest facility of one kind, metres; `f64::INFINITY`
/// where the study has no facility of that kind.
#[derive(Debug, Clone)]
pub struct NearestDistances {
    pub kind: FacilityKind,
    pub nearest_m: Vec<f64>,
}

/// One circle's verdict per cell.
#[derive(Debug, Clone)]
pub struct CircleCoverage {
    pub circle: Circle,
    /// Whether the circle covers each cell.
    pub covered: Vec<bool>,
    /// Whether each of the circle's kinds is within reach of each cell, in the circle's
    /// kind order.
    pub covered_by_kind: Vec<(FacilityKind, Vec<bool>)>,
}

/// Coverage of every circle, cell by cell (cells in the study's order).
#[derive(Debug, Clone)]
pub struct Coverage {
    pub nearest: Vec<NearestDistances>,
    pub circles: Vec<CircleCoverage>,
}

impl Coverage {
    /// Nearest distances to `kind`, if a circle asked for that kind.
    pub fn nearest_for(&self, kind: FacilityKind) -> Option<&[f64]> {
        self.nearest
            .iter()
            .find(|n| n.kind == kind)
            .map(|n| n.nearest_m.as_slice())
    }
}

/// Distance from each point to the nearest of `targets` (both in metres), in parallel.
/// `INFINITY` for every point when there are no targets.
pub fn nearest_distances_m(points: &[[f64; 2]], targets: &[[f64; 2]]) -> Vec<f64> {
    if targets.is_empty() {
        return vec![f64::INFINITY; points.len()];
    }
    let tree = RTree::bulk_load(targets.to_vec());
    points
        .par_iter()
        .map(|p| {
            tree.nearest_neighbor(p)
                .map(|q| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
                .unwrap_or(f64::INFINITY)
        })
        .collect()
}

/// Straight-line coverage of `circles` over the study's cells. `progress` is called with
/// the number of cells done after each facility kind, for progress bars.
pub fn straight_line(
    study: &Study,
    circles: &[Circle],
    progress: &(dyn Fn(u64) + Sync),
) -> Coverage {
    let points: Vec<[f64; 2]> = study
        .cells
        .iter()
        .map(|c| [c.location.xy_m.x, c.location.xy_m.y])
        .collect();
    let mut kinds: Vec<FacilityKind> = circles
        .iter()
        .filter(|c| c.method == Method::StraightLine)
        .flat_map(|c| c.kinds.iter().copied())
        .collect();
    kinds.sort();
    kinds.dedup();
    let nearest: Vec<NearestDistances> = kinds
        .iter()
        .map(|&kind| {
            let targets: Vec<[f64; 2]> = study
                .facilities
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| [f.location.xy_m.x, f.location.xy_m.y])
                .collect();
            let nearest_m = nearest_distances_m(&points, &targets);
            progress(points.len() as u64);
            NearestDistances { kind, nearest_m }
        })
        .collect();
    let lookup = |kind: FacilityKind| {
        &nearest
            .iter()
            .find(|n| n.kind == kind)
            .expect("every circle kind has distances")
            .nearest_m
    };
    let circles = circles
        .iter()
        .map(|circle| {
            let r = circle.radius_m();
            let covered_by_kind: Vec<(FacilityKind, Vec<bool>)> = circle
                .kinds
                .iter()
                .map(|&k| (k, lookup(k).iter().map(|&d| d <= r).collect()))
                .collect();
            let covered = (0..points.len())
                .map(|i| {
                    let mut each = covered_by_kind.iter().map(|(_, v)| v[i]);
                    match circle.require {
                        Require::Any => each.any(|b| b),
                        Require::All => each.all(|b| b),
                    }
                })
                .collect();
            CircleCoverage {
                circle: circle.clone(),
                covered,
                covered_by_kind,
            }
        })
        .collect();
    Coverage { nearest, circles }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgeBand, Counts, Facility, Location, PopulationCell};
    use crate::standards::Reach;
    use geo::Coord;

    fn loc(x: f64, y: f64) -> Location {
        Location {
            lon_lat: Coord { x: 0.0, y: 0.0 },
            xy_m: Coord { x, y },
        }
    }

    fn cell(id: &str, x: f64, y: f64) -> PopulationCell {
        PopulationCell {
            id: id.into(),
            location: loc(x, y),
            footprint: None,
            counts: Counts {
                residents: 100.0,
                aged_60: 30.0,
                aged_65: 20.0,
                aged_80: 5.0,
            },
            subdistrict: None,
            committee: None,
        }
    }

    fn facility(id: &str, kind: FacilityKind, x: f64, y: f64) -> Facility {
        Facility {
            id: id.into(),
            name: id.into(),
            kind,
            label: kind.chinese().into(),
            location: loc(x, y),
            floor_area_m2: None,
            beds: None,
            nursing_beds: None,
            meals_per_day: None,
            day_places: None,
            subdistrict_name: None,
            subdistrict: None,
        }
    }

    fn circle(kinds: Vec<FacilityKind>, r: f64, require: Require) -> Circle {
        Circle {
            name: "c".into(),
            label: "c".into(),
            reach: Reach::Distance { distance_m: r },
            kinds,
            require,
            age_band: AgeBand::Aged60,
            method: Method::StraightLine,
            source: "test".into(),
        }
    }

    /// Cells at (0,0), (300,400), (1000,0), (0,2000); a day-care centre at the origin and a
    /// meal point at (1000, 100).
    fn study() -> Study {
        Study {
            cells: vec![
                cell("a", 0.0, 0.0),
                cell("b", 300.0, 400.0),
                cell("c", 1000.0, 0.0),
                cell("d", 0.0, 2000.0),
            ],
            facilities: vec![
                facility("dc", FacilityKind::DayCare, 0.0, 0.0),
                facility("mp", FacilityKind::MealPoint, 1000.0, 100.0),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn hand_computed_distances_and_coverage() {
        let s = study();
        let c = circle(vec![FacilityKind::DayCare], 500.0, Require::Any);
        let cov = straight_line(&s, &[c], &|_| {});
        let d = cov.nearest_for(FacilityKind::DayCare).unwrap();
        // 0, 500 (3-4-5 triangle), 1000, 2000 metres.
        assert_eq!(d, &[0.0, 500.0, 1000.0, 2000.0]);
        // The 500 m boundary is inclusive.
        assert_eq!(cov.circles[0].covered, vec![true, true, false, false]);
    }

    #[test]
    fn any_versus_all() {
        let s = study();
        let kinds = vec![FacilityKind::DayCare, FacilityKind::MealPoint];
        let any = circle(kinds.clone(), 800.0, Require::Any);
        let all = circle(kinds, 1100.0, Require::All);
        let cov = straight_line(&s, &[any, all], &|_| {});
        // Meal-point distances: a √(1000²+100²)=1004.99, b √(700²+300²)=761.58, c 100,
        // d √(1000²+1900²)=2147.09.
        let mp = cov.nearest_for(FacilityKind::MealPoint).unwrap();
        assert!((mp[0] - 1_004.987_562).abs() < 1e-5 && (mp[1] - 761.577_310).abs() < 1e-5);
        assert_eq!(cov.circles[0].covered, vec![true, true, true, false]);
        // Within 1100 m of both: a (0, 1005), b (500, 762), c (1000, 100); not d.
        assert_eq!(cov.circles[1].covered, vec![true, true, true, false]);
        assert_eq!(
            cov.circles[1].covered_by_kind[0].1,
            vec![true, true, true, false]
        );
    }

    #[test]
    fn missing_kind_covers_nothing() {
        let s = study();
        let c = circle(vec![FacilityKind::NursingHome], 10_000.0, Require::Any);
        let cov = straight_line(&s, &[c], &|_| {});
        assert!(cov.circles[0].covered.iter().all(|&b| !b));
        assert!(cov.nearest[0].nearest_m.iter().all(|d| d.is_infinite()));
    }
}
