//! Turning a study into a location-allocation instance: candidate sites (given or generated),
//! demand from population cells, existing facilities fixed open, quotas per sub-district.

use std::collections::BTreeMap;

use geo::Coord;

use super::{Pairs, Problem, SideConstraints, SitingError};
use crate::coverage::{Catchments, Coverage};
use crate::model::{Candidate, FacilityKind, Location, Study};
use crate::standards::Circle;
use crate::study::AreaIndex;

/// Generates candidate sites: of the `points` (street nodes, or populated cell centres),
/// the one nearest the centre of each `spacing_m` square, keeping only points inside a
/// sub-district when the study has sub-districts. Deterministic: ties go to the lower index.
pub fn generate_candidates(study: &Study, points: &[Location], spacing_m: f64) -> Vec<Candidate> {
    let index = AreaIndex::new(&study.subdistricts);
    let mut best: BTreeMap<(i64, i64), (f64, usize)> = BTreeMap::new();
    for (k, p) in points.iter().enumerate() {
        let (ix, iy) = (
            (p.xy_m.x / spacing_m).floor() as i64,
            (p.xy_m.y / spacing_m).floor() as i64,
        );
        let centre = Coord {
            x: (ix as f64 + 0.5) * spacing_m,
            y: (iy as f64 + 0.5) * spacing_m,
        };
        let d = (p.xy_m.x - centre.x).powi(2) + (p.xy_m.y - centre.y).powi(2);
        let e = best.entry((ix, iy)).or_insert((d, k));
        if d < e.0 {
            *e = (d, k);
        }
    }
    // Sub-districts named by a population field have no polygon to hold candidates.
    let polygons = study.has_subdistrict_polygons();
    best.into_iter()
        .filter_map(|((ix, iy), (_, k))| {
            let sub = index.area_of(points[k].xy_m);
            // New centres are planned inside the study area (`[study.area]`), not in its
            // buffer.
            let in_area = study.area.as_ref().is_none_or(|a| {
                geo::Intersects::intersects(&a.boundary_m, &geo::Point::from(points[k].xy_m))
            });
            (in_area && (!polygons || sub.is_some())).then(|| Candidate {
                id: format!("G{ix}_{iy}"),
                location: points[k],
                subdistrict: sub,
                capacity: None,
            })
        })
        .collect()
}

/// The instance for siting `kind` with the reach, method and age band of `circle`:
/// demand = the cells' people of the band; existing facilities of the kind fixed open (their
/// distances from `coverage`); `catchments` per candidate; at least `min_total` and at most
/// `max_total` facilities of the kind per sub-district, existing ones included. With
/// `capacity_per_site`, or when some candidate has its own capacity, the instance is
/// capacitated (a candidate's own capacity first, else `capacity_per_site`, else no limit).
///
/// `catchments` must come from `candidates` (same order) with the circle's radius. Its
/// distances are stored as `f32`, so one measured at the reach may round up just past it;
/// such a distance is taken as the reach. Fails with [`SitingError::InvalidInput`] when no
/// circle measured distances to `kind`, or when [`Problem::new`] refuses the instance.
#[allow(clippy::too_many_arguments)]
pub fn build_problem(
    study: &Study,
    coverage: &Coverage,
    circle: &Circle,
    kind: FacilityKind,
    candidates: &[Candidate],
    catchments: &Catchments,
    min_total: usize,
    max_total: Option<usize>,
    force: &[String],
    exclude: &[String],
    capacity_per_site: Option<f64>,
) -> Result<Problem, SitingError> {
    let nearest = coverage.nearest_for(kind).ok_or_else(|| {
        SitingError::InvalidInput(format!(
            "no distances to existing {kind} facilities: no circle includes the kind"
        ))
    })?;
    if catchments.per_source.len() != candidates.len() {
        return Err(SitingError::InvalidInput(format!(
            "{} catchments for {} candidates",
            catchments.per_source.len(),
            candidates.len()
        )));
    }
    let existing_m = nearest.by(circle.method).to_vec();
    let reach_m = circle.radius_m();
    // f32 rounding of a distance at the reach lands at most one f32 ulp above it.
    let rounding_m = reach_m * f64::from(f32::EPSILON);
    let at_most_reach = |d: f32| {
        let d = f64::from(d);
        if d > reach_m && d - reach_m <= rounding_m {
            reach_m
        } else {
            d
        }
    };
    let groups = study.subdistricts.len();
    let mut existing = vec![0usize; groups];
    for f in study.facilities.iter().filter(|f| f.kind == kind) {
        if let Some(s) = f.subdistrict {
            existing[s] += 1;
        }
    }
    let weights = study
        .cells
        .iter()
        .map(|c| c.counts.band(circle.age_band))
        .collect();
    // Catchment distances are f32, so the pairs stay compact (8 bytes a pair) unless the
    // reach itself is no f32 and some distance was taken as it.
    let mut pairs = Pairs::with_capacity(catchments.per_source.len(), catchments.pairs());
    for v in &catchments.per_source {
        pairs.push(v.iter().map(|&(i, d)| (i, at_most_reach(d))));
    }
    let side = SideConstraints {
        groups: candidates.iter().map(|c| c.subdistrict).collect(),
        min_per_group: existing
            .iter()
            .map(|&e| min_total.saturating_sub(e))
            .collect(),
        max_per_group: existing
            .iter()
            .map(|&e| max_total.map(|m| m.saturating_sub(e)))
            .collect(),
        forced: candidates.iter().map(|c| force.contains(&c.id)).collect(),
        excluded: candidates.iter().map(|c| exclude.contains(&c.id)).collect(),
        capacities: (capacity_per_site.is_some()
            || candidates.iter().any(|c| c.capacity.is_some()))
        .then(|| {
            candidates
                .iter()
                .map(|c| c.capacity.or(capacity_per_site).unwrap_or(f64::INFINITY))
                .collect()
        }),
    };
    Problem::new(weights, existing_m, pairs, reach_m, side)
}
