//! Indicators per area: who each circle covers, the plan's provision indicators against
//! their targets, accessibility (2SFCA) and distance distributions, and the most
//! under-served places.
//!
//! Shares are weighted by people (the circle's age band), never by the number of cells.
//! Rows are computed per sub-district (街镇), per residential committee (居委) and for the
//! whole study ("district"). Sums run over cells in the study's order, so the figures do not
//! depend on the thread count.

pub mod access;
mod provision;
pub mod spec;

use crate::coverage::{Catchments, Coverage};
use crate::model::{AgeBand, AreaLevel, Counts, FacilityKind, Study};
use crate::standards::{Method, Standards, TargetKey};

use access::{supply_measure, two_step_fca, weighted_quantiles};
pub use provision::{AreaFacts, DataPresence, Indicator, Supply};
use spec::{ProvisionIndicator, Quantity};

/// One circle's coverage in one area.
#[derive(Debug, Clone, PartialEq)]
pub struct CircleShare {
    /// The circle's name (see [`crate::standards::Circle::name`]).
    pub circle: String,
    /// The age band the circle counts people of.
    pub age_band: AgeBand,
    /// People of the circle's age band in the area.
    pub people: f64,
    /// Of whom covered by the circle.
    pub covered: f64,
    /// People within reach of each of the circle's kinds.
    pub covered_by_kind: Vec<(FacilityKind, f64)>,
    /// For network circles: people the circle would cover measured in a straight line.
    pub covered_straight_line: Option<f64>,
}

impl CircleShare {
    /// Covered share 0–1, `None` where the area has nobody of the age band.
    pub fn share(&self) -> Option<f64> {
        (self.people > 0.0).then(|| self.covered / self.people)
    }

    /// People not covered.
    pub fn uncovered(&self) -> f64 {
        self.people - self.covered
    }

    /// Straight-line covered share 0–1 of a network circle.
    pub fn straight_line_share(&self) -> Option<f64> {
        self.covered_straight_line
            .filter(|_| self.people > 0.0)
            .map(|c| c / self.people)
    }
}

/// Accessibility to one facility kind in one area.
#[derive(Debug, Clone, PartialEq)]
pub struct KindAccess {
    /// The facility kind.
    pub kind: FacilityKind,
    /// People-weighted mean 2SFCA accessibility: supply units per 1,000 people of the age
    /// band (see [`CellAccess`]); `None` without people or without accessibility figures.
    pub fca_per_1000: Option<f64>,
    /// People-weighted median straight-line distance to the nearest facility, m.
    pub median_straight_line_m: Option<f64>,
    /// People-weighted 90th-percentile straight-line distance to the nearest facility, m.
    pub p90_straight_line_m: Option<f64>,
    /// People-weighted median walking distance along the network, m (`None` where it lies
    /// beyond the measured reach, or without a network).
    pub median_network_m: Option<f64>,
    /// People-weighted 90th-percentile walking distance along the network, m (as
    /// `median_network_m`).
    pub p90_network_m: Option<f64>,
}

/// The indicators of one area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRow {
    /// What the row is for: [`AreaLevel::District`], [`AreaLevel::Subdistrict`] or
    /// [`AreaLevel::Committee`].
    pub level: AreaLevel,
    /// The area's identifier (`district` for the whole study).
    pub id: String,
    /// The area's name.
    pub name: String,
    /// The parent sub-district's name (committees only).
    pub parent: Option<String>,
    /// Population cells in the area.
    pub cells: usize,
    /// Residents and elderly in the area, summed over its cells.
    pub counts: Counts,
    /// Coverage of each circle, in the plan's circle order.
    pub circles: Vec<CircleShare>,
    /// Facilities located in the area and what they offer.
    pub supply: Supply,
    /// The plan's provision indicators.
    pub provision: Vec<Indicator>,
    /// Accessibility and distances per facility kind the circles use.
    pub access: Vec<KindAccess>,
}

impl AreaRow {
    /// The provision indicator with column key `key`, if computed for this row.
    pub fn indicator(&self, key: &str) -> Option<&Indicator> {
        self.provision.iter().find(|i| i.key == key)
    }

    /// The provision indicator `which`, if computed for this row (committees have only
    /// some).
    pub fn provision_indicator(&self, which: ProvisionIndicator) -> Option<&Indicator> {
        self.indicator(which.key())
    }
}

/// A place with many people a circle leaves uncovered.
#[derive(Debug, Clone, PartialEq)]
pub struct Underserved {
    /// The circle's name.
    pub circle: String,
    /// 1 for the place with the most uncovered people, per circle and level.
    pub rank: usize,
    /// [`AreaLevel::Committee`] (or [`AreaLevel::Subdistrict`] without committees) or
    /// [`AreaLevel::Cell`].
    pub level: AreaLevel,
    /// The area's or cell's identifier.
    pub id: String,
    /// The area's name; for a cell, its committee's name (empty outside committees).
    pub name: String,
    /// The sub-district's name, when known.
    pub subdistrict: Option<String>,
    /// People of the circle's age band in the place.
    pub people: f64,
    /// Of whom not covered by the circle.
    pub uncovered: f64,
}

/// 2SFCA accessibility per cell for one facility kind.
#[derive(Debug, Clone, PartialEq)]
pub struct CellAccess {
    /// The facility kind.
    pub kind: FacilityKind,
    /// Catchment radius, m.
    pub radius_m: f64,
    /// How the catchment distance was measured.
    pub method: Method,
    /// Whose people the demand counts: the age band of the widest circle using the kind.
    pub age_band: AgeBand,
    /// What the supply counts (e.g. [`Quantity::DayCarePlaces`]), or
    /// [`Quantity::Facilities`] where the data has no capacity figure for the kind.
    pub supply_unit: Quantity,
    /// Supply units per 1,000 people of the age band, per cell.
    pub per_1000: Vec<f64>,
}

/// 2SFCA accessibility for every kind the circles use: the catchment is the largest reach of
/// the circles using the kind, measured by their method; the supply is the kind's capacity
/// (see [`supply_measure`]), or 1 per facility where the data gives no capacity for the kind.
/// `catchments(kind, radius, method)` yields each facility's catchment, facilities of the
/// kind in study order.
pub fn cell_access(
    study: &Study,
    coverage: &Coverage,
    mut catchments: impl FnMut(FacilityKind, f64, Method) -> Catchments,
) -> Vec<CellAccess> {
    coverage
        .nearest
        .iter()
        .map(|n| {
            let kind = n.kind;
            let users: Vec<&CircleCoverage> = coverage
                .circles
                .iter()
                .filter(|c| c.circle.kinds.contains(&kind))
                .collect();
            let widest = users
                .iter()
                .max_by(|a, b| a.circle.radius_m().total_cmp(&b.circle.radius_m()))
                .expect("a kind with distances is used by a circle");
            let radius_m = widest.circle.radius_m();
            let method = if n.network_m.is_some() {
                Method::Network
            } else {
                Method::StraightLine
            };
            let age_band = widest.circle.age_band;
            let of_kind: Vec<_> = study.facilities.iter().filter(|f| f.kind == kind).collect();
            let (measure, unit) = supply_measure(kind);
            let value = |f: &crate::model::Facility| measure(&f.capacity);
            let has_capacity = of_kind.iter().any(|f| value(f).is_some());
            let supply: Vec<f64> = of_kind
                .iter()
                .map(|f| {
                    if has_capacity {
                        value(f).unwrap_or(0.0)
                    } else {
                        1.0
                    }
                })
                .collect();
            let people: Vec<f64> = study
                .cells
                .iter()
                .map(|c| c.counts.band(age_band))
                .collect();
            let (_, a) = two_step_fca(&people, &supply, &catchments(kind, radius_m, method));
            CellAccess {
                kind,
                radius_m,
                method,
                age_band,
                supply_unit: if has_capacity {
                    unit
                } else {
                    Quantity::Facilities
                },
                per_1000: a.into_iter().map(|x| x * 1000.0).collect(),
            }
        })
        .collect()
}

use crate::coverage::CircleCoverage;

/// The indicator tables of a study.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicators {
    /// The whole study.
    pub district: AreaRow,
    /// Per sub-district, in the study's order.
    pub subdistricts: Vec<AreaRow>,
    /// Per residential committee, in the study's order (empty without a committee layer).
    pub committees: Vec<AreaRow>,
    /// Per circle, the committees (or sub-districts, without committees) and the cells with
    /// the most uncovered people, most first.
    pub underserved: Vec<Underserved>,
}

/// How many places per circle and level the under-served list keeps.
pub const UNDERSERVED_TOP: usize = 20;

fn empty_row(
    level: AreaLevel,
    id: &str,
    name: &str,
    parent: Option<String>,
    coverage: &Coverage,
) -> AreaRow {
    AreaRow {
        level,
        id: id.to_string(),
        name: name.to_string(),
        parent,
        cells: 0,
        counts: Counts::default(),
        circles: coverage
            .circles
            .iter()
            .map(|c| CircleShare {
                circle: c.circle.name.clone(),
                age_band: c.circle.age_band,
                people: 0.0,
                covered: 0.0,
                covered_by_kind: c.circle.kinds.iter().map(|&k| (k, 0.0)).collect(),
                covered_straight_line: c.covered_straight_line.as_ref().map(|_| 0.0),
            })
            .collect(),
        supply: Supply::default(),
        provision: Vec::new(),
        access: Vec::new(),
    }
}

fn add_cell(row: &mut AreaRow, study: &Study, coverage: &Coverage, i: usize) {
    let counts = &study.cells[i].counts;
    row.cells += 1;
    row.counts.add(counts);
    for (share, cov) in row.circles.iter_mut().zip(&coverage.circles) {
        let people = counts.band(share.age_band);
        share.people += people;
        if cov.covered[i] {
            share.covered += people;
        }
        if let (Some(total), Some(straight)) = (
            share.covered_straight_line.as_mut(),
            &cov.covered_straight_line,
        ) {
            if straight[i] {
                *total += people;
            }
        }
        for ((_, covered), (_, by_kind)) in
            share.covered_by_kind.iter_mut().zip(&cov.covered_by_kind)
        {
            if by_kind[i] {
                *covered += people;
            }
        }
    }
}

/// Whether each cell lies within the day-centre radius of a day-care centre, and how that
/// was measured: along the network when it was measured that far, else in a straight line.
fn within_day_radius(coverage: &Coverage, standards: &Standards) -> Option<(Vec<bool>, Method)> {
    let radius = standards
        .target(TargetKey::DayCentreRadiusM)
        .map_or(1000.0, |t| t.value);
    let n = coverage.nearest_for(FacilityKind::DayCare)?;
    match (&n.network_m, n.network_cutoff_m) {
        (Some(net), Some(cut)) if cut >= radius => {
            Some((net.iter().map(|&d| d <= radius).collect(), Method::Network))
        }
        _ => Some((
            n.straight_line_m.iter().map(|&d| d <= radius).collect(),
            Method::StraightLine,
        )),
    }
}

fn kind_access(
    cells: &[usize],
    study: &Study,
    coverage: &Coverage,
    access: &[CellAccess],
) -> Vec<KindAccess> {
    coverage
        .nearest
        .iter()
        .map(|n| {
            let a = access.iter().find(|a| a.kind == n.kind);
            let band = a.map_or(AgeBand::Aged60, |a| a.age_band);
            let w: Vec<f64> = cells
                .iter()
                .map(|&i| study.cells[i].counts.band(band))
                .collect();
            let pick = |v: &[f64]| -> Vec<f64> { cells.iter().map(|&i| v[i]).collect() };
            let total: f64 = w.iter().sum();
            let fca = a.and_then(|a| {
                (total > 0.0).then(|| {
                    cells
                        .iter()
                        .zip(&w)
                        .map(|(&i, wi)| a.per_1000[i] * wi)
                        .sum::<f64>()
                        / total
                })
            });
            let line = pick(&n.straight_line_m);
            let [median_line, p90_line] = weighted_quantiles(&line, &w, [0.5, 0.9]);
            let [median_net, p90_net] = n
                .network_m
                .as_deref()
                .map(|v| weighted_quantiles(&pick(v), &w, [0.5, 0.9]))
                .unwrap_or([None, None]);
            KindAccess {
                kind: n.kind,
                fca_per_1000: fca,
                median_straight_line_m: median_line,
                p90_straight_line_m: p90_line,
                median_network_m: median_net,
                p90_network_m: p90_net,
            }
        })
        .collect()
}

/// Computes the indicator rows of `study` from its circle `coverage` and per-cell
/// accessibility `access` (see [`cell_access`]; may be empty).
pub fn compute(
    study: &Study,
    coverage: &Coverage,
    standards: &Standards,
    access: &[CellAccess],
) -> Indicators {
    let mut district = empty_row(
        AreaLevel::District,
        "district",
        "全区 (whole study area)",
        None,
        coverage,
    );
    let mut subs: Vec<AreaRow> = study
        .subdistricts
        .iter()
        .map(|a| empty_row(AreaLevel::Subdistrict, &a.id, &a.name, None, coverage))
        .collect();
    let mut coms: Vec<AreaRow> = study
        .committees
        .iter()
        .map(|a| {
            let parent = a
                .parent
                .map(|p| study.subdistricts[p].name.clone())
                .or_else(|| a.parent_name.clone());
            empty_row(AreaLevel::Committee, &a.id, &a.name, parent, coverage)
        })
        .collect();
    let day = within_day_radius(coverage, standards);
    let mut within = (0.0, vec![0.0; subs.len()], vec![0.0; coms.len()]);
    let mut cells_of = (
        Vec::new(),
        vec![Vec::new(); subs.len()],
        vec![Vec::new(); coms.len()],
    );
    for (i, cell) in study.cells.iter().enumerate() {
        let near = day.as_ref().is_some_and(|(v, _)| v[i]);
        let e60 = if near { cell.counts.aged_60 } else { 0.0 };
        add_cell(&mut district, study, coverage, i);
        within.0 += e60;
        cells_of.0.push(i);
        if let Some(s) = cell.subdistrict {
            add_cell(&mut subs[s], study, coverage, i);
            within.1[s] += e60;
            cells_of.1[s].push(i);
        }
        if let Some(k) = cell.committee {
            add_cell(&mut coms[k], study, coverage, i);
            within.2[k] += e60;
            cells_of.2[k].push(i);
        }
    }
    for f in study.facilities.iter().filter(|f| !f.beyond_study_area) {
        district.supply.add(f);
        if let Some(s) = f.subdistrict {
            subs[s].supply.add(f);
        }
        if let Some(k) = f.committee {
            coms[k].supply.add(f);
        }
    }
    // Committees per sub-district, and those with an activity room.
    let mut committees = (0usize, vec![0usize; subs.len()]);
    let mut with_room = (0usize, vec![0usize; subs.len()]);
    for (k, area) in study.committees.iter().enumerate() {
        let has = coms[k].supply.count(FacilityKind::ActivityRoom) > 0;
        committees.0 += 1;
        with_room.0 += usize::from(has);
        if let Some(s) = area.parent {
            committees.1[s] += 1;
            with_room.1[s] += usize::from(has);
        }
    }
    let data = DataPresence::of(&study.facilities, !study.committees.is_empty());
    let day_how = day.as_ref().map(|d| d.1);
    district.provision = provision::indicators(
        &facts(
            subs.len(),
            &district,
            committees.0,
            with_room.0,
            day_how.map(|h| (within.0, h)),
        ),
        standards,
        &data,
    );
    district.access = kind_access(&cells_of.0, study, coverage, access);
    for (s, row) in subs.iter_mut().enumerate() {
        let p = provision::indicators(
            &facts(
                1,
                row,
                committees.1[s],
                with_room.1[s],
                day_how.map(|h| (within.1[s], h)),
            ),
            standards,
            &data,
        );
        row.provision = p;
        row.access = kind_access(&cells_of.1[s], study, coverage, access);
    }
    for (k, row) in coms.iter_mut().enumerate() {
        let p = provision::indicators(
            &facts(0, row, 0, 0, day_how.map(|h| (within.2[k], h))),
            standards,
            &data,
        );
        row.provision = p;
        row.access = kind_access(&cells_of.2[k], study, coverage, access);
    }
    let underserved = underserved(study, coverage, &subs, &coms);
    Indicators {
        district,
        subdistricts: subs,
        committees: coms,
        underserved,
    }
}

fn facts<'a>(
    subdistricts: usize,
    row: &'a AreaRow,
    committees: usize,
    with_room: usize,
    within_day_radius: Option<(f64, Method)>,
) -> AreaFacts<'a> {
    AreaFacts {
        level: row.level,
        subdistricts,
        counts: row.counts,
        supply: &row.supply,
        committees,
        committees_with_activity_room: with_room,
        within_day_radius,
    }
}

/// Per circle: the areas (committees, else sub-districts) and the cells with the most
/// uncovered people. Ties keep study order.
fn underserved(
    study: &Study,
    coverage: &Coverage,
    subs: &[AreaRow],
    coms: &[AreaRow],
) -> Vec<Underserved> {
    let mut out = Vec::new();
    let (areas, level) = if coms.is_empty() {
        (subs, AreaLevel::Subdistrict)
    } else {
        (coms, AreaLevel::Committee)
    };
    for (ci, cov) in coverage.circles.iter().enumerate() {
        let name = &cov.circle.name;
        let mut ranked: Vec<&AreaRow> = areas
            .iter()
            .filter(|r| r.circles[ci].uncovered() > 0.0)
            .collect();
        ranked.sort_by(|a, b| {
            b.circles[ci]
                .uncovered()
                .total_cmp(&a.circles[ci].uncovered())
        });
        for (rank, r) in ranked.into_iter().take(UNDERSERVED_TOP).enumerate() {
            out.push(Underserved {
                circle: name.clone(),
                rank: rank + 1,
                level,
                id: r.id.clone(),
                name: r.name.clone(),
                subdistrict: r.parent.clone(),
                people: r.circles[ci].people,
                uncovered: r.circles[ci].uncovered(),
            });
        }
        let band = cov.circle.age_band;
        let mut cells: Vec<usize> = (0..study.cells.len())
            .filter(|&i| !cov.covered[i] && study.cells[i].counts.band(band) > 0.0)
            .collect();
        cells.sort_by(|&a, &b| {
            study.cells[b]
                .counts
                .band(band)
                .total_cmp(&study.cells[a].counts.band(band))
        });
        for (rank, i) in cells.into_iter().take(UNDERSERVED_TOP).enumerate() {
            let c = &study.cells[i];
            out.push(Underserved {
                circle: name.clone(),
                rank: rank + 1,
                level: AreaLevel::Cell,
                id: c.id.clone(),
                name: c
                    .committee
                    .map_or(String::new(), |k| study.committees[k].name.clone()),
                subdistrict: c.subdistrict.map(|s| study.subdistricts[s].name.clone()),
                people: c.counts.band(band),
                uncovered: c.counts.band(band),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::{catchments_straight_line, straight_line};
    use crate::model::{Area, AreaLevel, Capacity, Facility, Location, PopulationCell};
    use crate::standards::{Circle, Reach, Require};
    use geo::{Coord, MultiPolygon};

    fn loc(x: f64) -> Location {
        Location {
            lon_lat: Coord { x: 0.0, y: 0.0 },
            xy_m: Coord { x, y: 0.0 },
        }
    }

    fn area(id: &str, level: AreaLevel, parent: Option<usize>) -> Area {
        Area {
            id: id.into(),
            name: id.into(),
            level,
            parent_name: None,
            parent,
            boundary_lon_lat: MultiPolygon(vec![]),
            boundary_m: MultiPolygon(vec![]),
        }
    }

    fn cell(x: f64, counts: [f64; 4], sub: usize, com: usize) -> PopulationCell {
        PopulationCell {
            id: format!("c{x}"),
            location: loc(x),
            footprint: None,
            counts: Counts {
                residents: counts[0],
                aged_60: counts[1],
                aged_65: counts[2],
                aged_80: counts[3],
            },
            subdistrict: Some(sub),
            committee: Some(com),
        }
    }

    fn facility(
        kind: FacilityKind,
        x: f64,
        capacity: Capacity,
        sub: usize,
        com: usize,
    ) -> Facility {
        Facility {
            id: format!("{kind}{x}"),
            name: String::new(),
            kind,
            label: String::new(),
            location: loc(x),
            capacity,
            subdistrict_name: None,
            subdistrict: Some(sub),
            committee: Some(com),
            beyond_study_area: false,
        }
    }

    /// Sub-district A (committees K1, K2) and B (committee K3). Cells: x=0 in K1 (10,000
    /// residents, 4,000 aged 60+, 3,000 65+), x=2000 in K2 (30,000; 6,000; 5,000), x=5000
    /// in K3 (20,000; 5,000; 4,000). Facilities in A: a day-care centre (300 m², 40
    /// places), a care home (400 m², 30 beds) and an activity room (20 m²) at x=0; a
    /// comprehensive centre (1,000 m², 3 social workers) and a meal point (100 m², 200
    /// meals) at x=2000. In B at x=5000: a meal point with no figures and a nursing home
    /// (300 beds, 150 nursing, 100 basic, 2 social workers). One circle: day-care within
    /// 1000 m.
    fn fixture() -> (Study, Coverage, Indicators, Vec<CellAccess>) {
        use FacilityKind as F;
        let cap = Capacity::default;
        let study = Study {
            cells: vec![
                cell(0.0, [10_000.0, 4_000.0, 3_000.0, 800.0], 0, 0),
                cell(2000.0, [30_000.0, 6_000.0, 5_000.0, 1_000.0], 0, 1),
                cell(5000.0, [20_000.0, 5_000.0, 4_000.0, 900.0], 1, 2),
            ],
            facilities: vec![
                facility(
                    F::DayCare,
                    0.0,
                    Capacity {
                        floor_area_m2: Some(300.0),
                        day_places: Some(40.0),
                        ..cap()
                    },
                    0,
                    0,
                ),
                facility(
                    F::CareHome,
                    0.0,
                    Capacity {
                        floor_area_m2: Some(400.0),
                        beds: Some(30.0),
                        ..cap()
                    },
                    0,
                    0,
                ),
                facility(
                    F::ActivityRoom,
                    0.0,
                    Capacity {
                        floor_area_m2: Some(20.0),
                        ..cap()
                    },
                    0,
                    0,
                ),
                facility(
                    F::ComprehensiveCentre,
                    2000.0,
                    Capacity {
                        floor_area_m2: Some(1000.0),
                        social_workers: Some(3.0),
                        ..cap()
                    },
                    0,
                    1,
                ),
                facility(
                    F::MealPoint,
                    2000.0,
                    Capacity {
                        floor_area_m2: Some(100.0),
                        meals_per_day: Some(200.0),
                        ..cap()
                    },
                    0,
                    1,
                ),
                facility(F::MealPoint, 5000.0, cap(), 1, 2),
                facility(
                    F::NursingHome,
                    5000.0,
                    Capacity {
                        floor_area_m2: Some(5000.0),
                        beds: Some(300.0),
                        nursing_beds: Some(150.0),
                        basic_beds: Some(100.0),
                        social_workers: Some(2.0),
                        ..cap()
                    },
                    1,
                    2,
                ),
            ],
            subdistricts: vec![
                area("A", AreaLevel::Subdistrict, None),
                area("B", AreaLevel::Subdistrict, None),
            ],
            committees: vec![
                area("K1", AreaLevel::Committee, Some(0)),
                area("K2", AreaLevel::Committee, Some(0)),
                area("K3", AreaLevel::Committee, Some(1)),
            ],
            ..Default::default()
        };
        let circle = Circle {
            name: "dc".into(),
            label: "dc".into(),
            reach: Reach::Distance { distance_m: 1000.0 },
            kinds: vec![FacilityKind::DayCare],
            require: Require::Any,
            age_band: AgeBand::Aged60,
            method: Method::StraightLine,
            source: "test".into(),
        };
        let cov = straight_line(&study, &[circle], &|_| {});
        let standards = Standards::preset("xuhui-2025").unwrap();
        let cells: Vec<[f64; 2]> = study
            .cells
            .iter()
            .map(|c| [c.location.xy_m.x, 0.0])
            .collect();
        let access = cell_access(&study, &cov, |kind, r, _| {
            let xy: Vec<[f64; 2]> = study
                .facilities
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| [f.location.xy_m.x, 0.0])
                .collect();
            catchments_straight_line(&cells, &xy, r)
        });
        let ind = compute(&study, &cov, &standards, &access);
        (study, cov, ind, access)
    }

    fn check(
        row: &AreaRow,
        key: &str,
        value: Option<f64>,
        target: Option<f64>,
        gap: Option<f64>,
        met: Option<bool>,
    ) {
        let i = row
            .indicator(key)
            .unwrap_or_else(|| panic!("{}: no {key}", row.id));
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        assert!(
            close(i.value, value),
            "{} {key} value {:?} ≠ {value:?}",
            row.id,
            i.value
        );
        assert!(
            close(i.target, target),
            "{} {key} target {:?} ≠ {target:?}",
            row.id,
            i.target
        );
        assert!(
            close(i.gap, gap),
            "{} {key} gap {:?} ≠ {gap:?}",
            row.id,
            i.gap
        );
        assert_eq!(i.met, met, "{} {key} met", row.id);
    }

    #[test]
    fn coverage_shares_are_weighted_by_people() {
        let (_, _, ind, _) = fixture();
        let a = &ind.subdistricts[0].circles[0];
        // Only the 4,000 elderly at x=0 are within 1000 m: 4,000 / 10,000, not 1 cell of 2.
        assert_eq!((a.people, a.covered), (10_000.0, 4_000.0));
        assert_eq!(a.share(), Some(0.4));
        assert_eq!(ind.subdistricts[1].circles[0].share(), Some(0.0));
        let d = &ind.district.circles[0];
        assert_eq!((d.people, d.covered), (15_000.0, 4_000.0));
    }

    #[test]
    fn provision_indicators_hand_computed_subdistrict_a() {
        let (_, _, ind, _) = fixture();
        let a = &ind.subdistricts[0];
        // Floor: 300 + 400 + 20 + 1000 + 100 = 1,820 m² for 40,000 residents = 45.5 ≥ 40.
        check(
            a,
            "floor_area_m2_per_1000_residents",
            Some(45.5),
            Some(40.0),
            Some(0.0),
            Some(true),
        );
        check(
            a,
            "comprehensive_centres",
            Some(1.0),
            Some(2.0),
            Some(1.0),
            Some(false),
        );
        // 40,000 residents, one centre: 2 needed at 20,000 each.
        check(
            a,
            "residents_per_day_centre",
            Some(40_000.0),
            Some(20_000.0),
            Some(1.0),
            Some(false),
        );
        check(
            a,
            "day_centre_radius_share_60_plus",
            Some(0.4),
            Some(1.0),
            Some(6_000.0),
            Some(false),
        );
        // 200 meals for 8,000 aged 65+: 2.5 % of 5 %; 400 − 200 = 200 meals missing.
        check(
            a,
            "meal_capacity_share_of_65_plus",
            Some(0.025),
            Some(0.05),
            Some(200.0),
            Some(false),
        );
        // 30 care-home beds for 10,000 aged 60+: 0.3 % of 3 %: 270 beds missing.
        check(
            a,
            "bed_share_of_60_plus",
            Some(0.003),
            Some(0.03),
            Some(270.0),
            Some(false),
        );
        check(
            a,
            "basic_bed_share_of_60_plus",
            Some(0.0),
            Some(0.015),
            Some(150.0),
            Some(false),
        );
        assert!(a
            .indicator("basic_bed_share_of_60_plus")
            .unwrap()
            .note
            .contains("1 bed facilities have no basic_beds"));
        // No institution beds in A: no nursing share.
        check(a, "nursing_bed_share", None, Some(0.6), Some(0.0), None);
        assert_eq!(
            a.indicator("nursing_bed_share").unwrap().note,
            "no institution beds in the area"
        );
        // K1 has an activity room, K2 none.
        check(
            a,
            "committees_with_activity_room_share",
            Some(0.5),
            Some(1.0),
            Some(1.0),
            Some(false),
        );
        // 3 social workers for 10,000 elderly = 0.3 per 1,000; 10 needed.
        check(
            a,
            "social_workers_per_1000_elderly",
            Some(0.3),
            Some(1.0),
            Some(7.0),
            Some(false),
        );
        check(
            a,
            "social_workers_per_100_beds",
            None,
            Some(1.0),
            Some(0.0),
            None,
        );
    }

    #[test]
    fn provision_indicators_hand_computed_subdistrict_b_and_district() {
        let (_, _, ind, _) = fixture();
        let b = &ind.subdistricts[1];
        // The meal point has no floor area and the nursing home does not count: 0 m² for
        // 20,000 residents, 800 m² missing.
        check(
            b,
            "floor_area_m2_per_1000_residents",
            Some(0.0),
            Some(40.0),
            Some(800.0),
            Some(false),
        );
        check(
            b,
            "residents_per_day_centre",
            None,
            Some(20_000.0),
            Some(1.0),
            Some(false),
        );
        check(
            b,
            "meal_capacity_share_of_65_plus",
            Some(0.0),
            Some(0.05),
            Some(200.0),
            Some(false),
        );
        check(
            b,
            "bed_share_of_60_plus",
            Some(0.06),
            Some(0.03),
            Some(0.0),
            Some(true),
        );
        check(
            b,
            "basic_bed_share_of_60_plus",
            Some(0.02),
            Some(0.015),
            Some(0.0),
            Some(true),
        );
        // 150 of 300 beds nursing-type: 50 % of 60 %, 30 beds short.
        check(
            b,
            "nursing_bed_share",
            Some(0.5),
            Some(0.6),
            Some(30.0),
            Some(false),
        );
        check(
            b,
            "social_workers_per_1000_elderly",
            Some(0.4),
            Some(1.0),
            Some(3.0),
            Some(false),
        );
        check(
            b,
            "social_workers_per_100_beds",
            Some(2.0 / 3.0),
            Some(1.0),
            Some(1.0),
            Some(false),
        );
        let d = &ind.district;
        // 1,820 m² for 60,000 residents: 30.33 m²; 2,400 − 1,820 = 580 m² missing.
        check(
            d,
            "floor_area_m2_per_1000_residents",
            Some(1820.0 / 60.0),
            Some(40.0),
            Some(580.0),
            Some(false),
        );
        // Two sub-districts need 4 centres.
        check(
            d,
            "comprehensive_centres",
            Some(1.0),
            Some(4.0),
            Some(3.0),
            Some(false),
        );
        check(
            d,
            "residents_per_day_centre",
            Some(60_000.0),
            Some(20_000.0),
            Some(2.0),
            Some(false),
        );
        check(
            d,
            "bed_share_of_60_plus",
            Some(330.0 / 15_000.0),
            Some(0.03),
            Some(120.0),
            Some(false),
        );
        check(
            d,
            "committees_with_activity_room_share",
            Some(1.0 / 3.0),
            Some(1.0),
            Some(2.0),
            Some(false),
        );
        // Committees get their own activity-room indicator.
        check(
            &ind.committees[0],
            "activity_rooms",
            Some(1.0),
            Some(1.0),
            Some(0.0),
            Some(true),
        );
        check(
            &ind.committees[1],
            "activity_rooms",
            Some(0.0),
            Some(1.0),
            Some(1.0),
            Some(false),
        );
    }

    #[test]
    fn missing_data_is_named_not_fatal() {
        let (mut study, cov, _, _) = fixture();
        for f in &mut study.facilities {
            f.capacity.social_workers = None;
            f.capacity.meals_per_day = None;
        }
        study.committees.clear();
        for c in &mut study.cells {
            c.committee = None;
        }
        for f in &mut study.facilities {
            f.committee = None;
        }
        let ind = compute(&study, &cov, &Standards::preset("xuhui-2025").unwrap(), &[]);
        let d = &ind.district;
        let note = |k: &str| d.indicator(k).unwrap().note.clone();
        assert_eq!(
            note("social_workers_per_1000_elderly"),
            "no value: the facility data has no social_workers"
        );
        assert_eq!(
            note("meal_capacity_share_of_65_plus"),
            "no value: the facility data has no meals_per_day"
        );
        assert_eq!(
            note("committees_with_activity_room_share"),
            "no value: the plan has no [committees] layer"
        );
        assert_eq!(
            d.indicator("social_workers_per_1000_elderly")
                .unwrap()
                .value,
            None
        );
        // A preset without the target says so.
        let gb = compute(
            &study,
            &cov,
            &Standards::preset("gbt50180-2018").unwrap(),
            &[],
        );
        let i = gb
            .district
            .indicator("floor_area_m2_per_1000_residents")
            .unwrap();
        assert_eq!((i.target, i.met), (None, None));
        assert!(
            i.source.starts_with("no target: preset gbt50180-2018"),
            "{}",
            i.source
        );
    }

    #[test]
    fn two_step_fca_and_distance_distribution() {
        let (_, _, ind, access) = fixture();
        // Day-care: 40 places; within 1000 m only the cell at x=0 (4,000 aged 60+):
        // R = 0.01 place per person, so 10 places per 1,000 there and none elsewhere.
        assert_eq!(access[0].per_1000, vec![10.0, 0.0, 0.0]);
        assert_eq!(access[0].supply_unit, Quantity::DayCarePlaces);
        let a = &ind.subdistricts[0].access[0];
        // Weighted by the 4,000 and 6,000 elderly: 10 × 0.4 = 4 per 1,000.
        assert!((a.fca_per_1000.unwrap() - 4.0).abs() < 1e-12);
        // Distances 0 m (4,000 people) and 2,000 m (6,000): median and p90 2,000 m.
        assert_eq!(a.median_straight_line_m, Some(2000.0));
        assert_eq!(a.p90_straight_line_m, Some(2000.0));
        assert_eq!(
            ind.subdistricts[1].access[0].median_straight_line_m,
            Some(5000.0)
        );
    }

    #[test]
    fn most_underserved_places() {
        let (_, _, ind, _) = fixture();
        let areas: Vec<(&str, f64)> = ind
            .underserved
            .iter()
            .filter(|u| u.level == AreaLevel::Committee)
            .map(|u| (u.id.as_str(), u.uncovered))
            .collect();
        assert_eq!(areas, vec![("K2", 6_000.0), ("K3", 5_000.0)]);
        let cells: Vec<&str> = ind
            .underserved
            .iter()
            .filter(|u| u.level == AreaLevel::Cell)
            .map(|u| u.id.as_str())
            .collect();
        assert_eq!(cells, vec!["c2000", "c5000"]);
    }
}
