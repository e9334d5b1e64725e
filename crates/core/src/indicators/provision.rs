//! The plan's provision indicators for one area: value, target, gap, met, and the source of
//! the target. Where the data cannot give an indicator, the indicator says which data is
//! missing instead of failing the run. Keys, names and units come from
//! [`ProvisionIndicator::spec`].

use crate::model::{AreaLevel, Counts, Facility, FacilityKind};
use crate::standards::{Method, Standards, Target, TargetKey};

use super::spec::{ProvisionIndicator, Quantity, Unit};

/// One indicator of one area: a provision indicator (see [`ProvisionIndicator`]) or a
/// measured one without a target in the plans (coverage, accessibility, distances), whose
/// keys are built from the circle or facility kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Identifier, used as a column name.
    pub key: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Unit of `value` and `target`.
    pub unit: Unit,
    /// The area's value, `None` where the data cannot give it (see `note`).
    pub value: Option<f64>,
    /// The plan's target for the area, in `unit`; `None` without one (see `source`).
    pub target: Option<f64>,
    /// What is missing to reach the target (0 when met), in `gap_unit`.
    pub gap: Option<f64>,
    /// Unit of `gap`; `None` for indicators without a target.
    pub gap_unit: Option<Quantity>,
    /// Whether the value reaches the target; `None` without value or target.
    pub met: Option<bool>,
    /// Where the target comes from, or why there is none.
    pub source: String,
    /// Why the value is missing, or what to keep in mind.
    pub note: String,
}

impl Indicator {
    /// The gap unit's label, empty for indicators without a target.
    pub fn gap_unit_label(&self) -> &'static str {
        self.gap_unit.map_or("", Quantity::label)
    }
}

/// Facility supply summed over one area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supply {
    /// Facilities per kind.
    pub facilities: std::collections::BTreeMap<FacilityKind, usize>,
    /// Community elderly-facility floor area, m² (see
    /// [`FacilityKind::is_community_facility`]).
    pub community_floor_m2: f64,
    /// Community facilities without a floor-area figure (counted as 0 m²).
    pub community_without_floor: usize,
    /// Meal capacity, meals per day.
    pub meals_per_day: f64,
    /// Meal points without a meals-per-day figure (counted as 0).
    pub meal_points_without_meals: usize,
    /// Elderly beds (institutions and care homes).
    pub beds: f64,
    /// Institutions and care homes without a beds figure (counted as 0).
    pub bed_facilities_without_beds: usize,
    /// Institution (nursing-home) beds.
    pub institution_beds: f64,
    /// Nursing-type beds (护理型床位) among the institution beds.
    pub institution_nursing_beds: f64,
    /// Institutions without a nursing-beds figure (counted as 0).
    pub institutions_without_nursing: usize,
    /// Basic-guarantee beds (保基本床位) of institutions and care homes.
    pub basic_beds: f64,
    /// Institutions and care homes without a basic-beds figure (counted as 0).
    pub bed_facilities_without_basic: usize,
    /// Social workers on the staff of the area's facilities.
    pub social_workers: f64,
    /// Facilities that report a social-workers figure.
    pub facilities_with_social_workers: usize,
    /// Social workers at institutions (for the per-100-beds target).
    pub institution_social_workers: f64,
}

fn has_beds(kind: FacilityKind) -> bool {
    matches!(kind, FacilityKind::NursingHome | FacilityKind::CareHome)
}

impl Supply {
    /// Adds one facility.
    pub fn add(&mut self, f: &Facility) {
        let c = &f.capacity;
        *self.facilities.entry(f.kind).or_default() += 1;
        if f.kind.is_community_facility() {
            match c.floor_area_m2 {
                Some(a) => self.community_floor_m2 += a,
                None => self.community_without_floor += 1,
            }
        }
        match (f.kind, c.meals_per_day) {
            (_, Some(m)) => self.meals_per_day += m,
            (FacilityKind::MealPoint, None) => self.meal_points_without_meals += 1,
            _ => {}
        }
        if has_beds(f.kind) {
            match c.beds {
                Some(b) => self.beds += b,
                None => self.bed_facilities_without_beds += 1,
            }
            match c.basic_beds {
                Some(b) => self.basic_beds += b,
                None => self.bed_facilities_without_basic += 1,
            }
        }
        if f.kind == FacilityKind::NursingHome {
            self.institution_beds += c.beds.unwrap_or(0.0);
            self.institution_social_workers += c.social_workers.unwrap_or(0.0);
            match c.nursing_beds {
                Some(n) => self.institution_nursing_beds += n,
                None => self.institutions_without_nursing += 1,
            }
        }
        if let Some(w) = c.social_workers {
            self.social_workers += w;
            self.facilities_with_social_workers += 1;
        }
    }

    /// Facilities of `kind`.
    pub fn count(&self, kind: FacilityKind) -> usize {
        self.facilities.get(&kind).copied().unwrap_or(0)
    }
}

/// What the data of the whole study offers, to tell "none here" from "not in the data":
/// where no facility has a figure, the indicators built on it have no value and say so.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DataPresence {
    /// Some facility has a floor area.
    pub floor_area: bool,
    /// Some facility has a meals-per-day figure.
    pub meals: bool,
    /// Some facility has a beds figure.
    pub beds: bool,
    /// Some facility has a nursing-beds figure.
    pub nursing_beds: bool,
    /// Some facility has a basic-beds figure.
    pub basic_beds: bool,
    /// Some facility has a social-workers figure.
    pub social_workers: bool,
    /// The plan has a residential-committee layer.
    pub committees: bool,
}

impl DataPresence {
    /// Scans the facilities and areas of a study.
    pub fn of(facilities: &[Facility], has_committees: bool) -> DataPresence {
        let any = |f: fn(&Facility) -> bool| facilities.iter().any(f);
        DataPresence {
            floor_area: any(|f| f.capacity.floor_area_m2.is_some()),
            meals: any(|f| f.capacity.meals_per_day.is_some()),
            beds: any(|f| f.capacity.beds.is_some()),
            nursing_beds: any(|f| f.capacity.nursing_beds.is_some()),
            basic_beds: any(|f| f.capacity.basic_beds.is_some()),
            social_workers: any(|f| f.capacity.social_workers.is_some()),
            committees: has_committees,
        }
    }
}

/// Everything one area's indicators are computed from.
pub struct AreaFacts<'a> {
    /// The area's level: committees get their own indicators (activity rooms, day-centre
    /// radius); the district's centre target scales with `subdistricts`.
    pub level: AreaLevel,
    /// Sub-districts the area is made of, for the district's comprehensive-centre target
    /// (per sub-district × this); not used at other levels.
    pub subdistricts: usize,
    /// Residents and elderly of the area.
    pub counts: Counts,
    /// Facilities in the area and what they offer.
    pub supply: &'a Supply,
    /// Committees in the area (sub-districts and district); for a committee, its own
    /// activity rooms are in `supply`.
    pub committees: usize,
    /// Of `committees`, those with at least one activity room.
    pub committees_with_activity_room: usize,
    /// People aged 60+ within the day-centre radius of a day-care centre, if measured, and
    /// how the distance was measured (along the network where it was measured that far,
    /// else in a straight line).
    pub within_day_radius: Option<(f64, Method)>,
}

fn target_of(standards: &Standards, key: TargetKey) -> Option<&Target> {
    standards.target(key)
}

fn no_target(standards: &Standards, key: TargetKey) -> String {
    format!(
        "no target: preset {} does not set {} (add it under [standards.overrides])",
        standards.preset,
        key.id()
    )
}

/// The provision indicator `which` with its key, names and units from the spec table, and
/// no figures yet.
fn provision(which: ProvisionIndicator) -> Indicator {
    let spec = which.spec();
    Indicator {
        key: spec.key.into(),
        name: spec.name.into(),
        name_zh: spec.name_zh.into(),
        unit: spec.unit,
        value: None,
        target: None,
        gap: None,
        gap_unit: Some(spec.gap_unit),
        met: None,
        source: String::new(),
        note: String::new(),
    }
}

/// A "at least `target` per `per`" indicator where the gap is in absolute units.
fn at_least(
    which: ProvisionIndicator,
    value: Option<f64>,
    target: Option<&Target>,
    gap: impl Fn(f64) -> f64,
    missing_target: String,
    note: String,
) -> Indicator {
    let t = target.map(|t| t.value);
    Indicator {
        value,
        target: t,
        gap: t.map(|t| gap(t).max(0.0)),
        met: match (value, t) {
            (Some(v), Some(t)) => Some(v >= t - 1e-12),
            _ => None,
        },
        source: target.map_or(missing_target, |t| t.source.clone()),
        note,
        ..provision(which)
    }
}

fn missing_note(n: usize, what: &str) -> String {
    if n > 0 {
        format!("{n} {what} (counted as 0)")
    } else {
        String::new()
    }
}

/// The indicators of one area.
pub fn indicators(a: &AreaFacts, standards: &Standards, data: &DataPresence) -> Vec<Indicator> {
    use FacilityKind as F;
    use ProvisionIndicator as P;
    use TargetKey as K;
    let s = a.supply;
    let (res, e60, e65) = (a.counts.residents, a.counts.aged_60, a.counts.aged_65);
    let per = |x: f64, base: f64, scale: f64| (base > 0.0).then(|| x / base * scale);
    let mut out = Vec::new();

    if a.level == AreaLevel::Committee {
        let rooms = s.count(F::ActivityRoom) as f64;
        out.push(at_least(
            P::ActivityRooms,
            Some(rooms),
            target_of(standards, K::ActivityRoomsPerCommittee),
            |t| t - rooms,
            no_target(standards, K::ActivityRoomsPerCommittee),
            String::new(),
        ));
        out.push(day_radius(a, standards));
        return out;
    }

    // Community elderly-facility floor area per 1,000 residents.
    let floor = s.community_floor_m2;
    out.push(at_least(
        P::FloorAreaM2Per1000Residents,
        if data.floor_area {
            per(floor, res, 1000.0)
        } else {
            None
        },
        target_of(standards, K::FloorAreaM2Per1000Residents),
        |t| t * res / 1000.0 - floor,
        no_target(standards, K::FloorAreaM2Per1000Residents),
        if data.floor_area {
            missing_note(
                s.community_without_floor,
                "community facilities have no floor area",
            )
        } else {
            "no value: the facility data has no floor_area_m2".into()
        },
    ));

    // Comprehensive service centres: 2 per sub-district.
    let centres = s.count(F::ComprehensiveCentre) as f64;
    let per_sub = target_of(standards, K::ComprehensiveCentresPerSubdistrict);
    let (centre_target, scale_note) = match a.level {
        AreaLevel::District => {
            let subdistricts = a.subdistricts;
            (
                per_sub.map(|t| Target {
                    value: t.value * subdistricts as f64,
                    source: format!("{} × {subdistricts} sub-districts", t.source),
                }),
                format!("{subdistricts} sub-districts"),
            )
        }
        _ => (per_sub.cloned(), String::new()),
    };
    out.push(at_least(
        P::ComprehensiveCentres,
        Some(centres),
        centre_target.as_ref(),
        |t| t - centres,
        no_target(standards, K::ComprehensiveCentresPerSubdistrict),
        scale_note,
    ));

    // Day-service centres: one per 15,000–20,000 residents.
    let day = s.count(F::DayCare) as f64;
    let max_res = target_of(standards, K::ResidentsPerDayCentreMax);
    let min_res = target_of(standards, K::ResidentsPerDayCentreMin);
    let needed = max_res.map(|t| (res / t.value).ceil());
    out.push(Indicator {
        value: per(res, day, 1.0),
        target: max_res.map(|t| t.value),
        gap: needed.map(|n| (n - day).max(0.0)),
        met: needed.map(|n| day >= n),
        source: max_res.map_or(no_target(standards, K::ResidentsPerDayCentreMax), |t| {
            t.source.clone()
        }),
        note: {
            let mut n = match (min_res, max_res) {
                (Some(lo), Some(hi)) => format!(
                    "one centre per {}–{} residents: {}–{} centres needed",
                    lo.value,
                    hi.value,
                    (res / hi.value).ceil(),
                    (res / lo.value).ceil()
                ),
                _ => String::new(),
            };
            if day == 0.0 {
                n = format!("no day-care centre in the area; {n}");
            }
            n
        },
        ..provision(P::ResidentsPerDayCentre)
    });
    out.push(day_radius(a, standards));

    // Meal capacity: 5 % of residents aged 65+.
    let meals = s.meals_per_day;
    out.push(at_least(
        P::MealCapacityShareOf65Plus,
        if data.meals {
            per(meals, e65, 1.0)
        } else {
            None
        },
        target_of(standards, K::MealShareOf65Plus),
        |t| t * e65 - meals,
        no_target(standards, K::MealShareOf65Plus),
        if data.meals {
            missing_note(
                s.meal_points_without_meals,
                "meal points have no meals_per_day",
            )
        } else {
            "no value: the facility data has no meals_per_day".into()
        },
    ));

    // Beds: 3 % of the elderly; basic-guarantee beds 1.5 %.
    let beds = s.beds;
    out.push(at_least(
        P::BedShareOf60Plus,
        if data.beds { per(beds, e60, 1.0) } else { None },
        target_of(standards, K::BedShareOf60Plus),
        |t| t * e60 - beds,
        no_target(standards, K::BedShareOf60Plus),
        if data.beds {
            missing_note(
                s.bed_facilities_without_beds,
                "bed facilities have no beds figure",
            )
        } else {
            "no value: the facility data has no beds".into()
        },
    ));
    let basic = s.basic_beds;
    out.push(at_least(
        P::BasicBedShareOf60Plus,
        if data.basic_beds {
            per(basic, e60, 1.0)
        } else {
            None
        },
        target_of(standards, K::BasicBedShareOf60Plus),
        |t| t * e60 - basic,
        no_target(standards, K::BasicBedShareOf60Plus),
        if data.basic_beds {
            missing_note(
                s.bed_facilities_without_basic,
                "bed facilities have no basic_beds",
            )
        } else {
            "no value: the facility data has no basic_beds".into()
        },
    ));

    // Nursing-type share of institution beds: 60 %.
    let (ib, nb) = (s.institution_beds, s.institution_nursing_beds);
    out.push(at_least(
        P::NursingBedShare,
        if data.nursing_beds {
            per(nb, ib, 1.0)
        } else {
            None
        },
        target_of(standards, K::NursingBedShare),
        |t| t * ib - nb,
        no_target(standards, K::NursingBedShare),
        if !data.nursing_beds {
            "no value: the facility data has no nursing_beds".into()
        } else if ib == 0.0 {
            "no institution beds in the area".into()
        } else {
            missing_note(
                s.institutions_without_nursing,
                "institutions have no nursing_beds",
            )
        },
    ));

    // Activity rooms: one per residential committee, so every committee should have one.
    let (k, with) = (a.committees as f64, a.committees_with_activity_room as f64);
    let every = target_of(standards, K::ActivityRoomsPerCommittee).map(|t| Target {
        value: 1.0,
        source: format!("{} ({} room per committee)", t.source, t.value),
    });
    out.push(at_least(
        P::CommitteesWithActivityRoomShare,
        if data.committees {
            per(with, k, 1.0)
        } else {
            None
        },
        every.as_ref(),
        |_| k - with,
        no_target(standards, K::ActivityRoomsPerCommittee),
        if data.committees {
            String::new()
        } else {
            "no value: the plan has no [committees] layer".into()
        },
    ));

    // Social workers: 1 per 1,000 elderly and 1 per 100 institution beds.
    let sw = s.social_workers;
    let sw_note = if data.social_workers {
        format!(
            "{} facilities report social workers",
            s.facilities_with_social_workers
        )
    } else {
        "no value: the facility data has no social_workers".into()
    };
    out.push(at_least(
        P::SocialWorkersPer1000Elderly,
        if data.social_workers {
            per(sw, e60, 1000.0)
        } else {
            None
        },
        target_of(standards, K::SocialWorkersPer1000Elderly),
        |t| t * e60 / 1000.0 - sw,
        no_target(standards, K::SocialWorkersPer1000Elderly),
        sw_note.clone(),
    ));
    let sw_inst = s.institution_social_workers;
    out.push(at_least(
        P::SocialWorkersPer100Beds,
        if data.social_workers {
            per(sw_inst, ib, 100.0)
        } else {
            None
        },
        target_of(standards, K::SocialWorkersPer100Beds),
        |t| t * ib / 100.0 - sw_inst,
        no_target(standards, K::SocialWorkersPer100Beds),
        sw_note,
    ));
    out
}

/// Share of people aged 60+ within the day-service radius of a day-care centre.
fn day_radius(a: &AreaFacts, standards: &Standards) -> Indicator {
    let radius = standards.target(TargetKey::DayCentreRadiusM);
    let e60 = a.counts.aged_60;
    let value = a
        .within_day_radius
        .and_then(|(within, _)| (e60 > 0.0).then(|| within / e60));
    let within = a.within_day_radius.map(|w| w.0);
    Indicator {
        value,
        target: radius.map(|_| 1.0),
        gap: radius.and(within).map(|w| (e60 - w).max(0.0)),
        met: value.map(|v| v >= 1.0 - 1e-12).filter(|_| radius.is_some()),
        source: radius.map_or(no_target(standards, TargetKey::DayCentreRadiusM), |t| {
            format!("{} ({} m radius)", t.source, t.value)
        }),
        note: match a.within_day_radius {
            Some((_, Method::Network)) => "measured along the network".into(),
            Some((_, Method::StraightLine)) => {
                "measured in a straight line (no network distances that far)".into()
            }
            None => "no value: no circle measures day-care centres".into(),
        },
        ..provision(ProvisionIndicator::DayCentreRadiusShare60Plus)
    }
}
