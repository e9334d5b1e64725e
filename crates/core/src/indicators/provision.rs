//! The plan's provision indicators for one area: value, target, gap, met, and the source of
//! the target. Where the data cannot give an indicator, the indicator says which data is
//! missing instead of failing the run.

use crate::model::{Counts, Facility, FacilityKind};
use crate::standards::{Standards, Target, TargetKey};

/// One indicator of one area.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Identifier, used as a column name.
    pub key: String,
    pub name: String,
    pub name_zh: String,
    /// Unit of `value` and `target`.
    pub unit: String,
    pub value: Option<f64>,
    pub target: Option<f64>,
    /// What is missing to reach the target (0 when met), in `gap_unit`.
    pub gap: Option<f64>,
    pub gap_unit: String,
    pub met: Option<bool>,
    /// Where the target comes from, or why there is none.
    pub source: String,
    /// Why the value is missing, or what to keep in mind.
    pub note: String,
}

/// Facility supply summed over one area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supply {
    pub facilities: std::collections::BTreeMap<FacilityKind, usize>,
    /// Community elderly-facility floor area, m², and community facilities without one.
    pub community_floor_m2: f64,
    pub community_without_floor: usize,
    /// Meals per day, and meal points without a figure.
    pub meals_per_day: f64,
    pub meal_points_without_meals: usize,
    /// Elderly beds (institutions and care homes), and those facilities without a figure.
    pub beds: f64,
    pub bed_facilities_without_beds: usize,
    /// Institution (nursing-home) beds and nursing-type beds among them.
    pub institution_beds: f64,
    pub institution_nursing_beds: f64,
    pub institutions_without_nursing: usize,
    /// Basic-guarantee beds, and bed facilities without a figure.
    pub basic_beds: f64,
    pub bed_facilities_without_basic: usize,
    /// Social workers, and facilities that report them.
    pub social_workers: f64,
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

/// Which administrative level an indicator row is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The whole study area, made of `subdistricts` sub-districts.
    District {
        subdistricts: usize,
    },
    Subdistrict,
    Committee,
}

/// What the data of the whole study offers, to tell "none here" from "not in the data".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DataPresence {
    pub floor_area: bool,
    pub meals: bool,
    pub beds: bool,
    pub nursing_beds: bool,
    pub basic_beds: bool,
    pub social_workers: bool,
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
    pub level: Level,
    pub counts: Counts,
    pub supply: &'a Supply,
    /// Committees in the area, and those with at least one activity room (sub-districts and
    /// district); for a committee, its own activity rooms are in `supply`.
    pub committees: usize,
    pub committees_with_activity_room: usize,
    /// People aged 60+ within the day-centre radius of a day-care centre, if measured, and
    /// how ("network" / "straight line").
    pub within_day_radius: Option<(f64, &'static str)>,
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

/// A "at least `target` per `per`" indicator where the gap is in absolute units.
#[allow(clippy::too_many_arguments)]
fn at_least(
    key: &'static str,
    name: &'static str,
    name_zh: &'static str,
    unit: &'static str,
    value: Option<f64>,
    target: Option<&Target>,
    gap: impl Fn(f64) -> f64,
    gap_unit: &'static str,
    missing_target: String,
    note: String,
) -> Indicator {
    let t = target.map(|t| t.value);
    Indicator {
        key: key.into(),
        name: name.into(),
        name_zh: name_zh.into(),
        unit: unit.into(),
        value,
        target: t,
        gap: t.map(|t| gap(t).max(0.0)),
        gap_unit: gap_unit.into(),
        met: match (value, t) {
            (Some(v), Some(t)) => Some(v >= t - 1e-12),
            _ => None,
        },
        source: target.map_or(missing_target, |t| t.source.clone()),
        note,
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
    use TargetKey as K;
    let s = a.supply;
    let (res, e60, e65) = (a.counts.residents, a.counts.aged_60, a.counts.aged_65);
    let per = |x: f64, base: f64, scale: f64| (base > 0.0).then(|| x / base * scale);
    let mut out = Vec::new();

    if a.level == Level::Committee {
        let rooms = s.count(F::ActivityRoom) as f64;
        out.push(at_least(
            "activity_rooms",
            "standardised activity rooms in the committee",
            "标准化老年活动室",
            "rooms",
            Some(rooms),
            target_of(standards, K::ActivityRoomsPerCommittee),
            |t| t - rooms,
            "rooms",
            no_target(standards, K::ActivityRoomsPerCommittee),
            String::new(),
        ));
        out.push(day_radius(a, standards));
        return out;
    }

    // Community elderly-facility floor area per 1,000 residents.
    let floor = s.community_floor_m2;
    out.push(at_least(
        "floor_area_m2_per_1000_residents",
        "community elderly-facility floor area per 1,000 residents",
        "每千人社区养老服务设施建筑面积",
        "m² per 1,000 residents",
        if data.floor_area {
            per(floor, res, 1000.0)
        } else {
            None
        },
        target_of(standards, K::FloorAreaM2Per1000Residents),
        |t| t * res / 1000.0 - floor,
        "m² of floor area",
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
        Level::District { subdistricts } => (
            per_sub.map(|t| Target {
                value: t.value * subdistricts as f64,
                source: format!("{} × {subdistricts} sub-districts", t.source),
            }),
            format!("{subdistricts} sub-districts"),
        ),
        _ => (per_sub.cloned(), String::new()),
    };
    out.push(at_least(
        "comprehensive_centres",
        "community comprehensive elderly service centres",
        "社区综合为老服务中心",
        "centres",
        Some(centres),
        centre_target.as_ref(),
        |t| t - centres,
        "centres",
        no_target(standards, K::ComprehensiveCentresPerSubdistrict),
        scale_note,
    ));

    // Day-service centres: one per 15,000–20,000 residents.
    let day = s.count(F::DayCare) as f64;
    let max_res = target_of(standards, K::ResidentsPerDayCentreMax);
    let min_res = target_of(standards, K::ResidentsPerDayCentreMin);
    let needed = max_res.map(|t| (res / t.value).ceil());
    out.push(Indicator {
        key: "residents_per_day_centre".into(),
        name: "residents per day-service centre".into(),
        name_zh: "每处日间服务中心服务人口".into(),
        unit: "residents per centre".into(),
        value: per(res, day, 1.0),
        target: max_res.map(|t| t.value),
        gap: needed.map(|n| (n - day).max(0.0)),
        gap_unit: "centres".into(),
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
    });
    out.push(day_radius(a, standards));

    // Meal capacity: 5 % of residents aged 65+.
    let meals = s.meals_per_day;
    out.push(at_least(
        "meal_capacity_share_of_65_plus",
        "meal capacity (meals/day) as a share of residents aged 65+",
        "助餐服务能力占65岁以上老人比例",
        "share",
        if data.meals {
            per(meals, e65, 1.0)
        } else {
            None
        },
        target_of(standards, K::MealShareOf65Plus),
        |t| t * e65 - meals,
        "meals per day",
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
        "bed_share_of_60_plus",
        "elderly beds (institutions and care homes) as a share of residents aged 60+",
        "养老床位占户籍老年人口比例",
        "share",
        if data.beds { per(beds, e60, 1.0) } else { None },
        target_of(standards, K::BedShareOf60Plus),
        |t| t * e60 - beds,
        "beds",
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
        "basic_bed_share_of_60_plus",
        "basic-guarantee beds as a share of residents aged 60+",
        "保基本养老床位占户籍老年人口比例",
        "share",
        if data.basic_beds {
            per(basic, e60, 1.0)
        } else {
            None
        },
        target_of(standards, K::BasicBedShareOf60Plus),
        |t| t * e60 - basic,
        "beds",
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
        "nursing_bed_share",
        "nursing-type beds as a share of institution beds",
        "护理型床位占比",
        "share",
        if data.nursing_beds {
            per(nb, ib, 1.0)
        } else {
            None
        },
        target_of(standards, K::NursingBedShare),
        |t| t * ib - nb,
        "nursing-type beds",
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
        "committees_with_activity_room_share",
        "residential committees with a standardised activity room",
        "设有标准化老年活动室的居委比例",
        "share",
        if data.committees {
            per(with, k, 1.0)
        } else {
            None
        },
        every.as_ref(),
        |_| k - with,
        "committees without one",
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
        "social_workers_per_1000_elderly",
        "social workers per 1,000 residents aged 60+",
        "每千名老人社会工作者数",
        "per 1,000 elderly",
        if data.social_workers {
            per(sw, e60, 1000.0)
        } else {
            None
        },
        target_of(standards, K::SocialWorkersPer1000Elderly),
        |t| t * e60 / 1000.0 - sw,
        "social workers",
        no_target(standards, K::SocialWorkersPer1000Elderly),
        sw_note.clone(),
    ));
    let sw_inst = s.institution_social_workers;
    out.push(at_least(
        "social_workers_per_100_beds",
        "social workers per 100 institution beds",
        "每百张床位社会工作者数",
        "per 100 beds",
        if data.social_workers {
            per(sw_inst, ib, 100.0)
        } else {
            None
        },
        target_of(standards, K::SocialWorkersPer100Beds),
        |t| t * ib / 100.0 - sw_inst,
        "social workers",
        no_target(standards, K::SocialWorkersPer100Beds),
        sw_note,
    ));
    out
}

/// Share of people aged 60+ within the day-service radius of a day-care centre.
fn day_radius(a: &AreaFacts, standards: &Standards) -> Indicator {
    let radius = standards.target(TargetKey::DayCentreRadiusM);
    let e60 = a.counts.aged_60;
    let (value, how) = match a.within_day_radius {
        Some((within, how)) => ((e60 > 0.0).then(|| within / e60), how),
        None => (None, ""),
    };
    let within = a.within_day_radius.map(|w| w.0);
    Indicator {
        key: "day_centre_radius_share_60_plus".into(),
        name: "share of residents aged 60+ within the day-service radius of a day-care centre"
            .into(),
        name_zh: "日间服务中心服务半径内老年人比例".into(),
        unit: "share".into(),
        value,
        target: radius.map(|_| 1.0),
        gap: radius.and(within).map(|w| (e60 - w).max(0.0)),
        gap_unit: "people aged 60+ outside the radius".into(),
        met: value.map(|v| v >= 1.0 - 1e-12).filter(|_| radius.is_some()),
        source: radius.map_or(no_target(standards, TargetKey::DayCentreRadiusM), |t| {
            format!("{} ({} m radius)", t.source, t.value)
        }),
        note: if a.within_day_radius.is_some() {
            format!("measured {how}")
        } else {
            "no value: no circle measures day-care centres".into()
        },
    }
}
