//! Provision indicators per area: who each circle covers, and community elderly-facility
//! floor area per 1,000 residents against the standards' target.
//!
//! Shares are weighted by people (the circle's age band), never by the number of cells.
//! Rows are computed per sub-district (街镇), per residential committee (居委) and for the
//! whole study ("district"). Sums run over cells in the study's order, so the figures do not
//! depend on the thread count.

use std::collections::BTreeMap;

use crate::coverage::Coverage;
use crate::model::{AgeBand, Counts, FacilityKind, Study};
use crate::standards::{Standards, Target, TargetKey};

/// One circle's coverage in one area.
#[derive(Debug, Clone, PartialEq)]
pub struct CircleShare {
    pub circle: String,
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

/// Community elderly-facility floor area of an area against the per-1,000-residents target.
#[derive(Debug, Clone, PartialEq)]
pub struct FloorArea {
    /// Sum over community facilities (every kind but residential institutions), m².
    pub floor_area_m2: f64,
    /// Community facilities whose floor area the data does not give (counted as 0 m²).
    pub facilities_without_area: usize,
    /// m² per 1,000 residents; `None` where the area has no residents.
    pub per_1000_residents_m2: Option<f64>,
    pub target: Option<Target>,
}

impl FloorArea {
    /// Floor area missing to reach the target, m² (0 when met); `None` without a target.
    pub fn gap_m2(&self, residents: f64) -> Option<f64> {
        self.target
            .as_ref()
            .map(|t| (t.value * residents / 1000.0 - self.floor_area_m2).max(0.0))
    }

    /// Whether the target is met; `None` without a target or residents.
    pub fn met(&self) -> Option<bool> {
        match (&self.target, self.per_1000_residents_m2) {
            (Some(t), Some(v)) => Some(v >= t.value),
            _ => None,
        }
    }
}

/// The indicators of one area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRow {
    pub id: String,
    pub name: String,
    /// The parent sub-district's name (committees only).
    pub parent: Option<String>,
    pub cells: usize,
    pub counts: Counts,
    pub circles: Vec<CircleShare>,
    /// Existing facilities per kind located in the area.
    pub facilities: BTreeMap<FacilityKind, usize>,
    /// Floor area (sub-districts and district; committees have none).
    pub floor: Option<FloorArea>,
}

/// The indicator tables of a study.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicators {
    pub district: AreaRow,
    pub subdistricts: Vec<AreaRow>,
    pub committees: Vec<AreaRow>,
}

fn empty_row(id: &str, name: &str, parent: Option<String>, coverage: &Coverage) -> AreaRow {
    AreaRow {
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
        facilities: BTreeMap::new(),
        floor: None,
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

fn floor_area(row: &AreaRow, floor_m2: f64, without: usize, target: Option<&Target>) -> FloorArea {
    FloorArea {
        floor_area_m2: floor_m2,
        facilities_without_area: without,
        per_1000_residents_m2: (row.counts.residents > 0.0)
            .then(|| floor_m2 / row.counts.residents * 1000.0),
        target: target.cloned(),
    }
}

/// Computes the indicator rows of `study` given its circle `coverage`.
pub fn compute(study: &Study, coverage: &Coverage, standards: &Standards) -> Indicators {
    let mut district = empty_row("district", "全区 (whole study area)", None, coverage);
    let mut subs: Vec<AreaRow> = study
        .subdistricts
        .iter()
        .map(|a| empty_row(&a.id, &a.name, None, coverage))
        .collect();
    let mut coms: Vec<AreaRow> = study
        .committees
        .iter()
        .map(|a| {
            let parent = a
                .parent
                .map(|p| study.subdistricts[p].name.clone())
                .or_else(|| a.parent_name.clone());
            empty_row(&a.id, &a.name, parent, coverage)
        })
        .collect();
    for (i, cell) in study.cells.iter().enumerate() {
        add_cell(&mut district, study, coverage, i);
        if let Some(s) = cell.subdistrict {
            add_cell(&mut subs[s], study, coverage, i);
        }
        if let Some(k) = cell.committee {
            add_cell(&mut coms[k], study, coverage, i);
        }
    }

    let mut floor_m2 = vec![0.0; subs.len()];
    let mut without = vec![0usize; subs.len()];
    let (mut district_floor, mut district_without) = (0.0, 0usize);
    for f in &study.facilities {
        *district.facilities.entry(f.kind).or_default() += 1;
        if let Some(s) = f.subdistrict {
            *subs[s].facilities.entry(f.kind).or_default() += 1;
        }
        if !f.kind.is_community_facility() {
            continue;
        }
        match f.floor_area_m2 {
            Some(a) => {
                district_floor += a;
                if let Some(s) = f.subdistrict {
                    floor_m2[s] += a;
                }
            }
            None => {
                district_without += 1;
                if let Some(s) = f.subdistrict {
                    without[s] += 1;
                }
            }
        }
    }
    let target = standards.target(TargetKey::FloorAreaM2Per1000Residents);
    for (i, row) in subs.iter_mut().enumerate() {
        row.floor = Some(floor_area(row, floor_m2[i], without[i], target));
    }
    district.floor = Some(floor_area(
        &district,
        district_floor,
        district_without,
        target,
    ));
    Indicators {
        district,
        subdistricts: subs,
        committees: coms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::straight_line;
    use crate::model::{Area, AreaLevel, Facility, Location, PopulationCell};
    use crate::standards::{Circle, Method, Reach, Require};
    use geo::{Coord, MultiPolygon};

    fn loc(x: f64, y: f64) -> Location {
        Location {
            lon_lat: Coord { x: 0.0, y: 0.0 },
            xy_m: Coord { x, y },
        }
    }

    fn area(id: &str) -> Area {
        Area {
            id: id.into(),
            name: id.into(),
            level: AreaLevel::Subdistrict,
            parent_name: None,
            parent: None,
            boundary_lon_lat: MultiPolygon(vec![]),
            boundary_m: MultiPolygon(vec![]),
        }
    }

    fn cell(x: f64, residents: f64, aged_60: f64, sub: usize) -> PopulationCell {
        PopulationCell {
            id: format!("c{x}"),
            location: loc(x, 0.0),
            footprint: None,
            counts: Counts {
                residents,
                aged_60,
                aged_65: aged_60 * 0.7,
                aged_80: aged_60 * 0.2,
            },
            subdistrict: Some(sub),
            committee: None,
        }
    }

    fn facility(kind: FacilityKind, x: f64, area_m2: Option<f64>, sub: usize) -> Facility {
        Facility {
            id: format!("{kind}{x}"),
            name: String::new(),
            kind,
            label: String::new(),
            location: loc(x, 0.0),
            floor_area_m2: area_m2,
            beds: None,
            nursing_beds: None,
            meals_per_day: None,
            day_places: None,
            subdistrict_name: None,
            subdistrict: Some(sub),
        }
    }

    /// Two sub-districts. A: cells at x=0 (1000 residents, 400 aged 60+) and x=2000
    /// (3000, 600). B: cell at x=5000 (2000, 500). A day-care centre at x=0 (300 m²) and a
    /// nursing home at x=5000 (5000 m², not community floor area), a meal point at x=5000
    /// with no floor area given.
    fn fixture() -> (Study, Indicators) {
        let study = Study {
            cells: vec![
                cell(0.0, 1000.0, 400.0, 0),
                cell(2000.0, 3000.0, 600.0, 0),
                cell(5000.0, 2000.0, 500.0, 1),
            ],
            facilities: vec![
                facility(FacilityKind::DayCare, 0.0, Some(300.0), 0),
                facility(FacilityKind::NursingHome, 5000.0, Some(5000.0), 1),
                facility(FacilityKind::MealPoint, 5000.0, None, 1),
            ],
            subdistricts: vec![area("A"), area("B")],
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
        let ind = compute(&study, &cov, &standards);
        (study, ind)
    }

    #[test]
    fn coverage_shares_are_weighted_by_people() {
        let (_, ind) = fixture();
        let a = &ind.subdistricts[0].circles[0];
        // Only the 400 elderly at x=0 are within 1000 m: 400 / 1000, not 1 cell of 2.
        assert_eq!((a.people, a.covered), (1000.0, 400.0));
        assert_eq!(a.share(), Some(0.4));
        assert_eq!(ind.subdistricts[1].circles[0].share(), Some(0.0));
        let d = &ind.district.circles[0];
        assert_eq!((d.people, d.covered), (1500.0, 400.0));
    }

    #[test]
    fn floor_area_per_1000_residents_hand_computed() {
        let (_, ind) = fixture();
        let a = ind.subdistricts[0].floor.as_ref().unwrap();
        // 300 m² for 4000 residents = 75 m² per 1,000 ≥ 40: met, gap 0.
        assert_eq!(a.per_1000_residents_m2, Some(75.0));
        assert_eq!(a.met(), Some(true));
        assert_eq!(a.gap_m2(4000.0), Some(0.0));
        let b = ind.subdistricts[1].floor.as_ref().unwrap();
        // The nursing home does not count; the meal point has no area: 0 m² for 2000
        // residents, target 40 × 2 = 80 m² missing.
        assert_eq!(b.floor_area_m2, 0.0);
        assert_eq!(b.facilities_without_area, 1);
        assert_eq!(b.met(), Some(false));
        assert_eq!(b.gap_m2(2000.0), Some(80.0));
        let d = ind.district.floor.as_ref().unwrap();
        // 300 m² / 6000 residents × 1000 = 50 m².
        assert_eq!(d.per_1000_residents_m2, Some(50.0));
        assert_eq!(ind.district.facilities[&FacilityKind::NursingHome], 1);
    }
}
