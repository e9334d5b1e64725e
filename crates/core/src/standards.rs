//! Planning standards: the targets a district is measured against, each with its source.
//!
//! Presets carry the numbers of the Xuhui 14th five-year elderly-services plan (XH), the
//! Shanghai basic elderly-care service implementation plan for 2025 (SH) and the national
//! residential-area standard GB/T 50180-2018; see `shared/docs/standards.md` for the table
//! and `shared/policy/` for the texts. Every value can be overridden in the plan file, and
//! the override is then cited as the source.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::model::{AgeBand, FacilityKind};

/// One target value and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target, in the unit its [`TargetKey`] states (m², m, m/s, a share 0–1, a count).
    pub value: f64,
    /// Preset and section, e.g. "xuhui-2025: XH 主要指标 5".
    pub source: String,
}

/// Every target a preset may set. The identifier (`id`) is the key used in
/// `[standards.overrides]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKey {
    /// Community elderly-facility floor area per 1,000 residents, m².
    FloorAreaM2Per1000Residents,
    /// Community comprehensive elderly service centres per sub-district.
    ComprehensiveCentresPerSubdistrict,
    /// Radius a day-service centre should serve, m.
    DayCentreRadiusM,
    /// Residents one day-service centre serves, lower end of the range.
    ResidentsPerDayCentreMin,
    /// Residents one day-service centre serves, upper end of the range.
    ResidentsPerDayCentreMax,
    /// Meal capacity (meals/day) as a share of residents aged 65+.
    MealShareOf65Plus,
    /// Elderly beds as a share of residents aged 60+.
    BedShareOf60Plus,
    /// Basic-guarantee beds as a share of residents aged 60+.
    BasicBedShareOf60Plus,
    /// Nursing-type beds as a share of institution beds.
    NursingBedShare,
    /// Standardised activity rooms per residential committee.
    ActivityRoomsPerCommittee,
    /// Social workers per 1,000 elderly.
    SocialWorkersPer1000Elderly,
    /// Social workers per 100 institution beds.
    SocialWorkersPer100Beds,
    /// Walking speed assumed for the elderly, m/s.
    ElderlyWalkSpeedMPerS,
    /// Walking distance of the 15-minute circle, m.
    Circle15MinM,
    /// Walking distance of the 10-minute circle, m.
    Circle10MinM,
    /// Walking distance of the 5-minute circle, m.
    Circle5MinM,
}

impl TargetKey {
    /// Every key, in declaration order (used to list and parse keys).
    pub const ALL: [TargetKey; 16] = [
        TargetKey::FloorAreaM2Per1000Residents,
        TargetKey::ComprehensiveCentresPerSubdistrict,
        TargetKey::DayCentreRadiusM,
        TargetKey::ResidentsPerDayCentreMin,
        TargetKey::ResidentsPerDayCentreMax,
        TargetKey::MealShareOf65Plus,
        TargetKey::BedShareOf60Plus,
        TargetKey::BasicBedShareOf60Plus,
        TargetKey::NursingBedShare,
        TargetKey::ActivityRoomsPerCommittee,
        TargetKey::SocialWorkersPer1000Elderly,
        TargetKey::SocialWorkersPer100Beds,
        TargetKey::ElderlyWalkSpeedMPerS,
        TargetKey::Circle15MinM,
        TargetKey::Circle10MinM,
        TargetKey::Circle5MinM,
    ];

    /// The key as written in plan files.
    pub fn id(self) -> &'static str {
        match self {
            TargetKey::FloorAreaM2Per1000Residents => "floor_area_m2_per_1000_residents",
            TargetKey::ComprehensiveCentresPerSubdistrict => {
                "comprehensive_centres_per_subdistrict"
            }
            TargetKey::DayCentreRadiusM => "day_centre_radius_m",
            TargetKey::ResidentsPerDayCentreMin => "residents_per_day_centre_min",
            TargetKey::ResidentsPerDayCentreMax => "residents_per_day_centre_max",
            TargetKey::MealShareOf65Plus => "meal_share_of_65_plus",
            TargetKey::BedShareOf60Plus => "bed_share_of_60_plus",
            TargetKey::BasicBedShareOf60Plus => "basic_bed_share_of_60_plus",
            TargetKey::NursingBedShare => "nursing_bed_share",
            TargetKey::ActivityRoomsPerCommittee => "activity_rooms_per_committee",
            TargetKey::SocialWorkersPer1000Elderly => "social_workers_per_1000_elderly",
            TargetKey::SocialWorkersPer100Beds => "social_workers_per_100_beds",
            TargetKey::ElderlyWalkSpeedMPerS => "elderly_walk_speed_m_per_s",
            TargetKey::Circle15MinM => "circle_15_min_m",
            TargetKey::Circle10MinM => "circle_10_min_m",
            TargetKey::Circle5MinM => "circle_5_min_m",
        }
    }

    /// What the target means, with its unit.
    pub fn description(self) -> &'static str {
        match self {
            TargetKey::FloorAreaM2Per1000Residents => {
                "community elderly-facility floor area per 1,000 residents (m²)"
            }
            TargetKey::ComprehensiveCentresPerSubdistrict => {
                "community comprehensive elderly service centres per sub-district"
            }
            TargetKey::DayCentreRadiusM => "service radius of a day-service centre (m)",
            TargetKey::ResidentsPerDayCentreMin => "residents per day-service centre, lower end",
            TargetKey::ResidentsPerDayCentreMax => "residents per day-service centre, upper end",
            TargetKey::MealShareOf65Plus => {
                "meal capacity as share of the population layer's people aged 65+ (the plan states it of registered 户籍 residents aged 65+)"
            }
            TargetKey::BedShareOf60Plus => {
                "elderly beds as share of the population layer's people aged 60+ (the plans state it of registered 户籍 elderly)"
            }
            TargetKey::BasicBedShareOf60Plus => {
                "basic-guarantee beds as share of the population layer's people aged 60+ (SH states it of the district's registered 户籍 elderly)"
            }
            TargetKey::NursingBedShare => "nursing-type share of institution beds",
            TargetKey::ActivityRoomsPerCommittee => {
                "standardised activity rooms per residential committee"
            }
            TargetKey::SocialWorkersPer1000Elderly => "social workers per 1,000 elderly",
            TargetKey::SocialWorkersPer100Beds => "social workers per 100 institution beds",
            TargetKey::ElderlyWalkSpeedMPerS => "elderly walking speed (m/s)",
            TargetKey::Circle15MinM => "walking distance of the 15-minute circle (m)",
            TargetKey::Circle10MinM => "walking distance of the 10-minute circle (m)",
            TargetKey::Circle5MinM => "walking distance of the 5-minute circle (m)",
        }
    }
}

impl FromStr for TargetKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TargetKey::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| {
                let ids: Vec<&str> = TargetKey::ALL.iter().map(|k| k.id()).collect();
                format!("unknown standard '{s}'; expected one of {}", ids.join(", "))
            })
    }
}

/// Whether a circle is reached when any or all of its facility kinds are within reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Require {
    /// Covered when at least one facility of any listed kind is within reach.
    Any,
    /// Covered when a facility of every listed kind is within reach ("one-stop").
    All,
}

impl fmt::Display for Require {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Require::Any => "any",
            Require::All => "all",
        })
    }
}

/// How a circle's reach is given before it is turned into metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reach {
    /// A distance in metres.
    Distance {
        /// The reach, m.
        distance_m: f64,
    },
    /// Minutes of walking at a speed (m/s).
    Walk {
        /// Walking time, minutes.
        minutes: f64,
        /// Walking speed, m/s (the elderly walking speed, usually 1.0).
        speed_m_per_s: f64,
    },
}

impl Reach {
    /// The reach in metres.
    pub fn radius_m(self) -> f64 {
        match self {
            Reach::Distance { distance_m } => distance_m,
            Reach::Walk {
                minutes,
                speed_m_per_s,
            } => minutes * 60.0 * speed_m_per_s,
        }
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reach::Distance { distance_m } => write!(f, "{distance_m} m"),
            Reach::Walk {
                minutes,
                speed_m_per_s,
            } => write!(
                f,
                "{minutes} min × {speed_m_per_s} m/s = {} m",
                self.radius_m()
            ),
        }
    }
}

/// How distances of a circle are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Euclidean distance in the analysis CRS.
    StraightLine,
    /// Walking along the street network (needs the plan's `[network]`).
    Network,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::StraightLine => "straight_line",
            Method::Network => "network",
        })
    }
}

/// A walking circle: a reach, the facility kinds that serve it, the age band it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Circle {
    /// Identifier used in output columns (letters, digits, `_`).
    pub name: String,
    /// Human label, e.g. "一站式15分钟养老服务圈".
    pub label: String,
    /// How far the circle reaches: a distance or minutes of walking.
    pub reach: Reach,
    /// Facility kinds that serve the circle; `require` says whether one or all must be in reach.
    pub kinds: Vec<FacilityKind>,
    /// Whether any one or every listed kind must be within reach.
    pub require: Require,
    /// Whose people the circle counts (coverage shares are of this band).
    pub age_band: AgeBand,
    /// Straight line or along the streets.
    pub method: Method,
    /// Where the circle's definition comes from.
    pub source: String,
}

impl Circle {
    /// The reach in metres.
    pub fn radius_m(&self) -> f64 {
        self.reach.radius_m()
    }
}

/// A preset's targets plus the circles it defines by default.
#[derive(Debug, Clone)]
pub struct Standards {
    /// Name of the preset the targets start from (one of [`PRESETS`]).
    pub preset: String,
    /// The targets, by key: the preset's values, then any `[standards.overrides]` of the plan.
    pub targets: BTreeMap<TargetKey, Target>,
    /// The default circles (see [`Standards::default_circles`]); a plan without `[[circles]]`
    /// uses them.
    pub circles: Vec<Circle>,
}

/// Names of the bundled presets.
pub const PRESETS: [&str; 3] = ["xuhui-2025", "shanghai-2025", "gbt50180-2018"];

fn put(map: &mut BTreeMap<TargetKey, Target>, preset: &str, key: TargetKey, value: f64, src: &str) {
    map.insert(
        key,
        Target {
            value,
            source: format!("{preset}: {src}"),
        },
    );
}

impl Standards {
    /// The bundled preset of that name.
    pub fn preset(name: &str) -> Result<Standards, String> {
        use TargetKey as K;
        let mut t = BTreeMap::new();
        let m = &mut t;
        let walk_src =
            "standards.md: elderly walking speed ≈ 1.0 m/s (common practice, not in the plans)";
        match name {
            "xuhui-2025" => {
                put(
                    m,
                    name,
                    K::FloorAreaM2Per1000Residents,
                    40.0,
                    "XH 主要指标 5",
                );
                put(
                    m,
                    name,
                    K::ComprehensiveCentresPerSubdistrict,
                    2.0,
                    "XH 主要指标 6, §五.29",
                );
                put(m, name, K::DayCentreRadiusM, 1000.0, "XH §五.29");
                put(m, name, K::ResidentsPerDayCentreMin, 15_000.0, "XH §五.29");
                put(m, name, K::ResidentsPerDayCentreMax, 20_000.0, "XH §五.29");
                put(m, name, K::MealShareOf65Plus, 0.05, "XH 主要指标 7, §五.29");
                put(
                    m,
                    name,
                    K::BedShareOf60Plus,
                    0.03,
                    "SH §一(二) (city-wide, applied to the district)",
                );
                put(m, name, K::BasicBedShareOf60Plus, 0.015, "SH §一(二)");
                put(m, name, K::NursingBedShare, 0.60, "XH 主要指标 3");
                put(m, name, K::ActivityRoomsPerCommittee, 1.0, "XH §五.29");
                put(
                    m,
                    name,
                    K::SocialWorkersPer1000Elderly,
                    1.0,
                    "XH 主要指标 20",
                );
                put(m, name, K::SocialWorkersPer100Beds, 1.0, "XH 主要指标 20");
                put(m, name, K::ElderlyWalkSpeedMPerS, 1.0, walk_src);
            }
            "shanghai-2025" => {
                put(
                    m,
                    name,
                    K::FloorAreaM2Per1000Residents,
                    50.0,
                    "SH §五(十四)",
                );
                put(m, name, K::BedShareOf60Plus, 0.03, "SH §一(二)");
                put(m, name, K::BasicBedShareOf60Plus, 0.015, "SH §一(二)");
                put(m, name, K::NursingBedShare, 0.60, "SH §三(七)");
                put(m, name, K::ElderlyWalkSpeedMPerS, 1.0, walk_src);
            }
            "gbt50180-2018" => {
                put(
                    m,
                    name,
                    K::Circle15MinM,
                    1000.0,
                    "GB/T 50180-2018 (800–1000 m; upper end)",
                );
                put(m, name, K::Circle10MinM, 500.0, "GB/T 50180-2018");
                put(m, name, K::Circle5MinM, 300.0, "GB/T 50180-2018");
            }
            _ => {
                return Err(format!(
                    "unknown standards preset '{name}'; expected one of {}",
                    PRESETS.join(", ")
                ))
            }
        }
        let mut s = Standards {
            preset: name.to_string(),
            targets: t,
            circles: Vec::new(),
        };
        s.circles = s.default_circles(Method::StraightLine, None);
        Ok(s)
    }

    /// The target for `key`, if the preset (or an override) sets one.
    pub fn target(&self, key: TargetKey) -> Option<&Target> {
        self.targets.get(&key)
    }

    /// Replaces (or adds) a target from the plan's `[standards.overrides]`.
    pub fn override_target(&mut self, key: TargetKey, value: f64) {
        self.targets.insert(
            key,
            Target {
                value,
                source: format!("plan override (preset {} otherwise)", self.preset),
            },
        );
    }

    /// The elderly walking speed (m/s) and its source: the preset's, else 1.0 m/s.
    pub fn elderly_speed(&self) -> (f64, String) {
        match self.target(TargetKey::ElderlyWalkSpeedMPerS) {
            Some(t) => (t.value, t.source.clone()),
            None => (
                1.0,
                "standards.md: elderly walking speed ≈ 1.0 m/s".to_string(),
            ),
        }
    }

    /// The reach of an `n`-minute circle: the preset's distance for it when it has one
    /// (GB/T 50180), else minutes × the walking speed (`speed`, or the elderly speed).
    fn minutes_reach(
        &self,
        minutes: f64,
        distance_key: TargetKey,
        speed: Option<(f64, String)>,
    ) -> (Reach, String) {
        if let Some(t) = self.target(distance_key) {
            return (
                Reach::Distance {
                    distance_m: t.value,
                },
                t.source.clone(),
            );
        }
        let (speed, src) = speed.unwrap_or_else(|| self.elderly_speed());
        (
            Reach::Walk {
                minutes,
                speed_m_per_s: speed,
            },
            src,
        )
    }

    /// The circles the plans define: the one-stop 15-minute circle, the doorstep 5-minute
    /// circle and the 1000 m day-service radius, for people aged 60+, measured by `method`.
    /// `speed_60` is the walking speed of that age band (m/s, with its source) when the plan
    /// sets one. Used when the plan lists no circles.
    pub fn default_circles(&self, method: Method, speed_60: Option<(f64, String)>) -> Vec<Circle> {
        use FacilityKind as F;
        let (r15, s15) = self.minutes_reach(15.0, TargetKey::Circle15MinM, speed_60.clone());
        let (r5, s5) = self.minutes_reach(5.0, TargetKey::Circle5MinM, speed_60);
        let day = self
            .target(TargetKey::DayCentreRadiusM)
            .map(|t| (t.value, t.source.clone()))
            .unwrap_or((1000.0, "XH §五.29 (服务半径1000米左右)".to_string()));
        vec![
            Circle {
                name: "min15".into(),
                label: "一站式15分钟养老服务圈 (one-stop 15-minute circle)".into(),
                reach: r15,
                kinds: vec![F::ComprehensiveCentre, F::DayCare, F::MealPoint],
                require: Require::All,
                age_band: AgeBand::Aged60,
                method,
                source: format!("XH §四(一), §五.2; SH §一(二); reach from {s15}"),
            },
            Circle {
                name: "min5".into(),
                label: "家门口5分钟生活圈 (doorstep 5-minute circle)".into(),
                reach: r5,
                kinds: vec![F::ActivityRoom, F::NeighbourhoodHub, F::MealPoint],
                require: Require::Any,
                age_band: AgeBand::Aged60,
                method,
                source: format!("XH §一(三), §五.2; reach from {s5}"),
            },
            Circle {
                name: "day_centre".into(),
                label: "日间服务中心服务半径 (day-service centre radius)".into(),
                reach: Reach::Distance { distance_m: day.0 },
                kinds: vec![F::DayCare],
                require: Require::Any,
                age_band: AgeBand::Aged60,
                method,
                source: day.1,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_carry_the_plan_numbers() {
        let xh = Standards::preset("xuhui-2025").unwrap();
        let floor = xh.target(TargetKey::FloorAreaM2Per1000Residents).unwrap();
        assert_eq!(floor.value, 40.0);
        assert!(floor.source.contains("XH 主要指标 5"));
        let sh = Standards::preset("shanghai-2025").unwrap();
        assert_eq!(
            sh.target(TargetKey::FloorAreaM2Per1000Residents)
                .unwrap()
                .value,
            50.0
        );
        assert!(Standards::preset("nowhere").is_err());
    }

    #[test]
    fn circles_follow_the_preset() {
        let xh = Standards::preset("xuhui-2025").unwrap();
        // 15 min at 1.0 m/s = 900 m; 5 min = 300 m.
        assert_eq!(xh.circles[0].radius_m(), 900.0);
        assert_eq!(xh.circles[1].radius_m(), 300.0);
        assert_eq!(xh.circles[2].radius_m(), 1000.0);
        let gb = Standards::preset("gbt50180-2018").unwrap();
        assert_eq!(gb.circles[0].radius_m(), 1000.0);
        assert_eq!(gb.circles[1].radius_m(), 300.0);
    }

    #[test]
    fn overrides_are_cited() {
        let mut xh = Standards::preset("xuhui-2025").unwrap();
        xh.override_target(TargetKey::FloorAreaM2Per1000Residents, 45.0);
        let t = xh.target(TargetKey::FloorAreaM2Per1000Residents).unwrap();
        assert_eq!(t.value, 45.0);
        assert!(t.source.starts_with("plan override"));
        assert_eq!(
            "meal_share_of_65_plus".parse::<TargetKey>().unwrap(),
            TargetKey::MealShareOf65Plus
        );
        assert!("meal_share".parse::<TargetKey>().is_err());
    }
}
