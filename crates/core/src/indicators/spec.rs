//! The vocabulary of the indicator tables, in one place: the plan's provision indicators
//! ([`ProvisionIndicator`], each with its column key, English and Chinese name, unit and gap
//! unit), the units values and targets are given in ([`Unit`]), and the amounts gaps and
//! 2SFCA supply are counted in ([`Quantity`]).
//!
//! The labels are the exact text written to the output tables (`unit`, `gap_unit` columns,
//! the Markdown tables, the CLI printout), so the writers render these types and never
//! restate the strings.

use std::fmt;
use std::str::FromStr;

use crate::model::AgeBand;

/// What an amount counts: the unit of an indicator's gap (what is missing to reach the
/// target) and of a facility kind's 2SFCA supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantity {
    /// Square metres of building floor area: "m² of floor area".
    FloorAreaM2,
    /// Facilities (service centres): "centres".
    Centres,
    /// Activity rooms: "rooms".
    Rooms,
    /// Meal capacity, meals served per day: "meals per day".
    MealsPerDay,
    /// Elderly-care beds: "beds".
    Beds,
    /// Nursing-type beds (护理型床位): "nursing-type beds".
    NursingBeds,
    /// Social workers on the staff: "social workers".
    SocialWorkers,
    /// Residential committees without a standardised activity room: "committees without
    /// one".
    CommitteesWithoutRoom,
    /// People aged 60+ beyond the day-service radius of every day-care centre: "people aged
    /// 60+ outside the radius".
    PeopleOutsideDayRadius,
    /// Day-care places: "day-care places".
    DayCarePlaces,
    /// Facilities counted one each, where the data gives no capacity: "facilities".
    Facilities,
}

impl Quantity {
    /// The label written to the tables, e.g. "m² of floor area".
    pub const fn label(self) -> &'static str {
        match self {
            Quantity::FloorAreaM2 => "m² of floor area",
            Quantity::Centres => "centres",
            Quantity::Rooms => "rooms",
            Quantity::MealsPerDay => "meals per day",
            Quantity::Beds => "beds",
            Quantity::NursingBeds => "nursing-type beds",
            Quantity::SocialWorkers => "social workers",
            Quantity::CommitteesWithoutRoom => "committees without one",
            Quantity::PeopleOutsideDayRadius => "people aged 60+ outside the radius",
            Quantity::DayCarePlaces => "day-care places",
            Quantity::Facilities => "facilities",
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The unit of an indicator's value and target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// A share 0–1 (written as a percentage in the Markdown tables): "share".
    Share,
    /// Square metres of floor area per 1,000 residents: "m² per 1,000 residents".
    M2Per1000Residents,
    /// A number of service centres: "centres".
    Centres,
    /// Residents per service centre: "residents per centre".
    ResidentsPerCentre,
    /// A number of activity rooms: "rooms".
    Rooms,
    /// Per 1,000 residents aged 60+: "per 1,000 elderly".
    Per1000Elderly,
    /// Per 100 institution beds: "per 100 beds".
    Per100Beds,
    /// A distance in metres: "m".
    Metres,
    /// 2SFCA accessibility: units of `supply` per 1,000 people of the age `band`, e.g.
    /// "day-care places per 1,000 people aged 60+".
    SupplyPer1000 {
        /// What the supply counts.
        supply: Quantity,
        /// Whose people the demand counts.
        band: AgeBand,
    },
    /// 2SFCA accessibility where no supply measure is known: "per 1,000 people".
    Per1000People,
}

impl Unit {
    /// Whether values of this unit are shares 0–1 (tables write them with 4 decimals, the
    /// Markdown tables and the CLI as percentages).
    pub fn is_share(self) -> bool {
        self == Unit::Share
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unit::Share => f.write_str("share"),
            Unit::M2Per1000Residents => f.write_str("m² per 1,000 residents"),
            Unit::Centres => f.write_str("centres"),
            Unit::ResidentsPerCentre => f.write_str("residents per centre"),
            Unit::Rooms => f.write_str("rooms"),
            Unit::Per1000Elderly => f.write_str("per 1,000 elderly"),
            Unit::Per100Beds => f.write_str("per 100 beds"),
            Unit::Metres => f.write_str("m"),
            Unit::SupplyPer1000 { supply, band } => {
                write!(f, "{supply} per 1,000 people aged {band}")
            }
            Unit::Per1000People => f.write_str("per 1,000 people"),
        }
    }
}

/// The fixed description of one provision indicator: what the tables call it and what its
/// numbers are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorSpec {
    /// Identifier, used as the column name and the `indicator` value of the long table.
    pub key: &'static str,
    /// English name.
    pub name: &'static str,
    /// Chinese name, as in the plans.
    pub name_zh: &'static str,
    /// Unit of the value and the target.
    pub unit: Unit,
    /// Unit of the gap (what is missing to reach the target).
    pub gap_unit: Quantity,
}

/// The plan's provision indicators (Xuhui 2025 主要指标 and the national standards), each
/// computed per sub-district and for the district; committees get [`ActivityRooms`] and
/// [`DayCentreRadiusShare60Plus`].
///
/// [`ActivityRooms`]: ProvisionIndicator::ActivityRooms
/// [`DayCentreRadiusShare60Plus`]: ProvisionIndicator::DayCentreRadiusShare60Plus
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProvisionIndicator {
    /// Standardised activity rooms in a residential committee (committees only), rooms.
    ActivityRooms,
    /// Community elderly-facility floor area per 1,000 residents, m².
    FloorAreaM2Per1000Residents,
    /// Community comprehensive elderly service centres (2 per sub-district), centres.
    ComprehensiveCentres,
    /// Residents per day-service centre (one per 15,000–20,000 residents).
    ResidentsPerDayCentre,
    /// Share of people aged 60+ within the day-service radius of a day-care centre.
    DayCentreRadiusShare60Plus,
    /// Meal capacity (meals per day) as a share of residents aged 65+.
    MealCapacityShareOf65Plus,
    /// Elderly beds (institutions and care homes) as a share of residents aged 60+.
    BedShareOf60Plus,
    /// Basic-guarantee beds as a share of residents aged 60+.
    BasicBedShareOf60Plus,
    /// Nursing-type beds as a share of institution beds.
    NursingBedShare,
    /// Share of residential committees with a standardised activity room.
    CommitteesWithActivityRoomShare,
    /// Social workers per 1,000 residents aged 60+.
    SocialWorkersPer1000Elderly,
    /// Social workers per 100 institution beds.
    SocialWorkersPer100Beds,
}

impl ProvisionIndicator {
    /// Every provision indicator: the committee-only one first, then in the order of the
    /// sub-district and district rows.
    pub const ALL: [ProvisionIndicator; 12] = [
        ProvisionIndicator::ActivityRooms,
        ProvisionIndicator::FloorAreaM2Per1000Residents,
        ProvisionIndicator::ComprehensiveCentres,
        ProvisionIndicator::ResidentsPerDayCentre,
        ProvisionIndicator::DayCentreRadiusShare60Plus,
        ProvisionIndicator::MealCapacityShareOf65Plus,
        ProvisionIndicator::BedShareOf60Plus,
        ProvisionIndicator::BasicBedShareOf60Plus,
        ProvisionIndicator::NursingBedShare,
        ProvisionIndicator::CommitteesWithActivityRoomShare,
        ProvisionIndicator::SocialWorkersPer1000Elderly,
        ProvisionIndicator::SocialWorkersPer100Beds,
    ];

    /// The indicator's key, names and units: the one table of them.
    pub const fn spec(self) -> IndicatorSpec {
        use ProvisionIndicator as P;
        use Quantity as Q;
        let (key, name, name_zh, unit, gap_unit) = match self {
            P::ActivityRooms => (
                "activity_rooms",
                "standardised activity rooms in the committee",
                "标准化老年活动室",
                Unit::Rooms,
                Q::Rooms,
            ),
            P::FloorAreaM2Per1000Residents => (
                "floor_area_m2_per_1000_residents",
                "community elderly-facility floor area per 1,000 residents",
                "每千人社区养老服务设施建筑面积",
                Unit::M2Per1000Residents,
                Q::FloorAreaM2,
            ),
            P::ComprehensiveCentres => (
                "comprehensive_centres",
                "community comprehensive elderly service centres",
                "社区综合为老服务中心",
                Unit::Centres,
                Q::Centres,
            ),
            P::ResidentsPerDayCentre => (
                "residents_per_day_centre",
                "residents per day-service centre",
                "每处日间服务中心服务人口",
                Unit::ResidentsPerCentre,
                Q::Centres,
            ),
            P::DayCentreRadiusShare60Plus => (
                "day_centre_radius_share_60_plus",
                "share of residents aged 60+ within the day-service radius of a day-care centre",
                "日间服务中心服务半径内老年人比例",
                Unit::Share,
                Q::PeopleOutsideDayRadius,
            ),
            P::MealCapacityShareOf65Plus => (
                "meal_capacity_share_of_65_plus",
                "meal capacity (meals/day) as a share of residents aged 65+",
                "助餐服务能力占65岁以上老人比例",
                Unit::Share,
                Q::MealsPerDay,
            ),
            P::BedShareOf60Plus => (
                "bed_share_of_60_plus",
                "elderly beds (institutions and care homes) as a share of residents aged 60+",
                "养老床位占60岁及以上老年人口比例",
                Unit::Share,
                Q::Beds,
            ),
            P::BasicBedShareOf60Plus => (
                "basic_bed_share_of_60_plus",
                "basic-guarantee beds as a share of residents aged 60+",
                "保基本养老床位占60岁及以上老年人口比例",
                Unit::Share,
                Q::Beds,
            ),
            P::NursingBedShare => (
                "nursing_bed_share",
                "nursing-type beds as a share of institution beds",
                "护理型床位占比",
                Unit::Share,
                Q::NursingBeds,
            ),
            P::CommitteesWithActivityRoomShare => (
                "committees_with_activity_room_share",
                "residential committees with a standardised activity room",
                "设有标准化老年活动室的居委比例",
                Unit::Share,
                Q::CommitteesWithoutRoom,
            ),
            P::SocialWorkersPer1000Elderly => (
                "social_workers_per_1000_elderly",
                "social workers per 1,000 residents aged 60+",
                "每千名老人社会工作者数",
                Unit::Per1000Elderly,
                Q::SocialWorkers,
            ),
            P::SocialWorkersPer100Beds => (
                "social_workers_per_100_beds",
                "social workers per 100 institution beds",
                "每百张床位社会工作者数",
                Unit::Per100Beds,
                Q::SocialWorkers,
            ),
        };
        IndicatorSpec {
            key,
            name,
            name_zh,
            unit,
            gap_unit,
        }
    }

    /// The column key, e.g. `comprehensive_centres`.
    pub const fn key(self) -> &'static str {
        self.spec().key
    }
}

impl fmt::Display for ProvisionIndicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for ProvisionIndicator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProvisionIndicator::ALL
            .into_iter()
            .find(|p| p.key() == s.trim())
            .ok_or_else(|| format!("unknown provision indicator '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_parse_back() {
        let mut keys: Vec<&str> = ProvisionIndicator::ALL.iter().map(|p| p.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ProvisionIndicator::ALL.len());
        for p in ProvisionIndicator::ALL {
            assert_eq!(p.key().parse::<ProvisionIndicator>(), Ok(p));
        }
    }

    #[test]
    fn unit_labels() {
        let access = Unit::SupplyPer1000 {
            supply: Quantity::DayCarePlaces,
            band: AgeBand::Aged60,
        };
        assert_eq!(
            access.to_string(),
            "day-care places per 1,000 people aged 60+"
        );
        assert_eq!(
            Unit::M2Per1000Residents.to_string(),
            "m² per 1,000 residents"
        );
        assert!(Unit::Share.is_share() && !Unit::Metres.is_share());
        assert_eq!(Quantity::FloorAreaM2.to_string(), "m² of floor area");
    }
}
