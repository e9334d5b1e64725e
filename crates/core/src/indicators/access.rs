//! Accessibility beyond yes/no coverage: the two-step floating catchment area method (2SFCA)
//! and people-weighted distributions of the distance to the nearest facility.

use crate::coverage::Catchments;
use crate::model::{Capacity, FacilityKind};

use super::spec::Quantity;

/// The capacity figure 2SFCA uses as a kind's supply, and what it counts: the capacity the
/// plans count for it.
pub type SupplyMeasure = (fn(&Capacity) -> Option<f64>, Quantity);

/// The supply measure of `kind`: day-care places for day-care centres, meals per day for
/// meal points, beds for institutions and care homes, floor area (m²) for the rest.
pub fn supply_measure(kind: FacilityKind) -> SupplyMeasure {
    match kind {
        FacilityKind::DayCare => (|c| c.day_places, Quantity::DayCarePlaces),
        FacilityKind::MealPoint => (|c| c.meals_per_day, Quantity::MealsPerDay),
        FacilityKind::NursingHome | FacilityKind::CareHome => (|c| c.beds, Quantity::Beds),
        _ => (|c| c.floor_area_m2, Quantity::FloorAreaM2),
    }
}

/// Two-step floating catchment area (Luo & Wang 2003).
///
/// Step 1: each facility j's ratio R_j = S_j / Σ P_k over the cells k in its catchment.
/// Step 2: each cell i's accessibility A_i = Σ R_j over the facilities j whose catchment
/// holds i. `people` is demand per cell, `supply` per facility (the same order as
/// `catchments.per_source`). Facilities with no demand in reach contribute nothing. Returns
/// (R per facility, A per cell), A in supply units per person. Sums run in index order, so
/// the result does not depend on the thread count.
pub fn two_step_fca(
    people: &[f64],
    supply: &[f64],
    catchments: &Catchments,
) -> (Vec<f64>, Vec<f64>) {
    let ratios: Vec<f64> = catchments
        .per_source
        .iter()
        .zip(supply)
        .map(|(cells, &s)| {
            let demand: f64 = cells.iter().map(|&(c, _)| people[c as usize]).sum();
            if demand > 0.0 {
                s / demand
            } else {
                0.0
            }
        })
        .collect();
    let mut access = vec![0.0; people.len()];
    for (cells, r) in catchments.per_source.iter().zip(&ratios) {
        for &(c, _) in cells {
            access[c as usize] += r;
        }
    }
    (ratios, access)
}

/// The people-weighted `q`-quantile (0–1) of `values`: the smallest value at or below which
/// at least a share `q` of the weight lies. `None` without weight, or when the quantile
/// falls on an unknown (infinite) distance.
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> Option<f64> {
    weighted_quantiles(values, weights, [q])[0]
}

/// [`weighted_quantile`] at each of `qs`, from one sort of the values (in parallel: a
/// district's million cells sort once for its median and 90th percentile, not twice).
pub fn weighted_quantiles<const N: usize>(
    values: &[f64],
    weights: &[f64],
    qs: [f64; N],
) -> [Option<f64>; N] {
    use rayon::prelude::*;
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(_, &w)| w > 0.0)
        .map(|(&v, &w)| (v, w))
        .collect();
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    if total <= 0.0 {
        return [None; N];
    }
    // Value, then weight: a total order, so the (sequential) sum below is the same whatever
    // the sort's threads.
    pairs.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    qs.map(|q| {
        let mut acc = 0.0;
        for &(v, w) in &pairs {
            acc += w;
            if acc >= q * total * (1.0 - 1e-12) {
                return v.is_finite().then_some(v);
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standards::Method;

    /// A hand-worked 2SFCA example. Cells A, B, C hold 100, 200, 300 people. Facility 1
    /// (supply 30) reaches A and B; facility 2 (supply 60) reaches B and C.
    /// R1 = 30 / (100 + 200) = 0.1; R2 = 60 / (200 + 300) = 0.12.
    /// A_A = 0.1, A_B = 0.1 + 0.12 = 0.22, A_C = 0.12.
    /// Check: Σ A_i P_i = 10 + 44 + 36 = 90 = Σ S_j (2SFCA conserves supply when every
    /// facility has demand).
    #[test]
    fn hand_worked_two_step_fca() {
        let catchments = Catchments {
            radius_m: 1000.0,
            method: Method::StraightLine,
            per_source: vec![vec![(0, 100.0), (1, 800.0)], vec![(1, 300.0), (2, 900.0)]],
        };
        let people = [100.0, 200.0, 300.0];
        let (r, a) = two_step_fca(&people, &[30.0, 60.0], &catchments);
        assert!((r[0] - 0.1).abs() < 1e-12 && (r[1] - 0.12).abs() < 1e-12);
        let expected = [0.1, 0.22, 0.12];
        for (got, want) in a.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        let served: f64 = a.iter().zip(people).map(|(a, p)| a * p).sum();
        assert!((served - 90.0).abs() < 1e-9);
        // A facility with nobody in reach contributes nothing.
        let lonely = Catchments {
            per_source: vec![vec![]],
            ..catchments
        };
        let (r, a) = two_step_fca(&people, &[50.0], &lonely);
        assert_eq!(r, vec![0.0]);
        assert_eq!(a, vec![0.0; 3]);
    }

    #[test]
    fn weighted_quantiles() {
        // Distances 100, 200, 300, 400 m for 10, 10, 10, 70 people.
        let v = [300.0, 100.0, 400.0, 200.0];
        let w = [10.0, 10.0, 70.0, 10.0];
        assert_eq!(weighted_quantile(&v, &w, 0.5), Some(400.0));
        assert_eq!(weighted_quantile(&v, &w, 0.2), Some(200.0));
        assert_eq!(weighted_quantile(&v, &w, 0.3), Some(300.0));
        // Unknown (beyond the cutoff) distances.
        let v = [100.0, f64::INFINITY];
        assert_eq!(weighted_quantile(&v, &[1.0, 1.0], 0.5), Some(100.0));
        assert_eq!(weighted_quantile(&v, &[1.0, 1.0], 0.9), None);
        assert_eq!(weighted_quantile(&v, &[0.0, 0.0], 0.5), None);
    }
}
