//! The domain model: elderly population, facilities, areas (街镇 and 居委) and candidate
//! sites, each located both in WGS84 degrees (for output) and in the analysis CRS in metres
//! (for every measurement).

use std::fmt;
use std::str::FromStr;

use geo::{Coord, MultiPolygon, Polygon};
use serde::{Deserialize, Serialize};

/// A location: WGS84 lon/lat degrees and analysis-CRS metres of the same point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    /// WGS84 longitude/latitude, degrees.
    pub lon_lat: Coord<f64>,
    /// Easting/northing in the analysis CRS, metres.
    pub xy_m: Coord<f64>,
}

/// Age bands the plans count elderly by. `Residents` means all residents, any age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub enum AgeBand {
    /// All residents, of any age (plan label `all`).
    #[serde(rename = "all")]
    Residents,
    /// Residents aged 60 and over (`60+`), the plans' usual elderly count.
    #[serde(rename = "60+")]
    Aged60,
    /// Residents aged 65 and over (`65+`).
    #[serde(rename = "65+")]
    Aged65,
    /// Residents aged 80 and over (`80+`), the oldest old.
    #[serde(rename = "80+")]
    Aged80,
}

impl AgeBand {
    /// Short label for column names: `residents`, `aged_60_plus`, ...
    pub fn column(self) -> &'static str {
        match self {
            AgeBand::Residents => "residents",
            AgeBand::Aged60 => "aged_60_plus",
            AgeBand::Aged65 => "aged_65_plus",
            AgeBand::Aged80 => "aged_80_plus",
        }
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AgeBand::Residents => "all",
            AgeBand::Aged60 => "60+",
            AgeBand::Aged65 => "65+",
            AgeBand::Aged80 => "80+",
        })
    }
}

impl AgeBand {
    /// Every band, widest first.
    pub const ALL: [AgeBand; 4] = [
        AgeBand::Residents,
        AgeBand::Aged60,
        AgeBand::Aged65,
        AgeBand::Aged80,
    ];
}

/// Parses a plan's age-band label: `all`, `60+`, `65+` or `80+`; the error lists the
/// valid labels.
impl FromStr for AgeBand {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgeBand::ALL
            .into_iter()
            .find(|b| b.to_string() == s)
            .ok_or_else(|| format!("unknown age band '{s}'; expected all, 60+, 65+ or 80+"))
    }
}

/// Deserialises plan labels (see [`FromStr`]), so a wrong label names the valid ones.
impl TryFrom<String> for AgeBand {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Head counts of one population unit. Counts are real numbers because spreading census
/// polygons onto a grid yields fractions of people.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// All residents, people.
    pub residents: f64,
    /// Residents aged 60+, people.
    pub aged_60: f64,
    /// Residents aged 65+, people (a subset of `aged_60`).
    pub aged_65: f64,
    /// Residents aged 80+, people (a subset of `aged_65`).
    pub aged_80: f64,
}

impl Counts {
    /// The count for one age band.
    pub fn band(&self, band: AgeBand) -> f64 {
        match band {
            AgeBand::Residents => self.residents,
            AgeBand::Aged60 => self.aged_60,
            AgeBand::Aged65 => self.aged_65,
            AgeBand::Aged80 => self.aged_80,
        }
    }

    /// These counts multiplied by `share` (0–1).
    pub fn scaled(&self, share: f64) -> Counts {
        Counts {
            residents: self.residents * share,
            aged_60: self.aged_60 * share,
            aged_65: self.aged_65 * share,
            aged_80: self.aged_80 * share,
        }
    }

    /// Adds `other` into these counts.
    pub fn add(&mut self, other: &Counts) {
        self.residents += other.residents;
        self.aged_60 += other.aged_60;
        self.aged_65 += other.aged_65;
        self.aged_80 += other.aged_80;
    }
}

/// One population unit: a grid cell or a point (a residential compound, an address).
#[derive(Debug, Clone)]
pub struct PopulationCell {
    /// The input record's id, or `g{ix}_{iy}` for a grid cell spread from census polygons.
    pub id: String,
    /// Where the people are taken to live: the point, or the cell's population centroid.
    pub location: Location,
    /// The cell's outline in WGS84 degrees, when it is a cell rather than a point.
    pub footprint: Option<Polygon<f64>>,
    /// People living in the unit, by age band.
    pub counts: Counts,
    /// Index into [`Study::subdistricts`], when the cell lies in one.
    pub subdistrict: Option<usize>,
    /// Index into [`Study::committees`], when the cell lies in one.
    pub committee: Option<usize>,
}

/// Facility kinds the plans name. Input labels (Chinese or English) map onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    /// 社区综合为老服务中心: community comprehensive elderly service centre.
    ComprehensiveCentre,
    /// 日间照料中心 / 老年人日间服务中心: day-care (day-service) centre.
    DayCare,
    /// 社区长者食堂 / 助餐点: community canteen or meal point.
    MealPoint,
    /// 养老院 / 养老机构: residential elderly-care institution (nursing home).
    NursingHome,
    /// 长者照护之家: small community care home with beds.
    CareHome,
    /// 老年活动室: elderly activity room.
    ActivityRoom,
    /// 邻里汇 / 邻里小汇: neighbourhood hub.
    NeighbourhoodHub,
    /// 睦邻点: neighbour mutual-help point.
    MutualHelpPoint,
    /// 康复辅具租赁点: rehabilitation-aid rental point.
    RehabAidPoint,
    /// 长者运动健康之家: elderly sports-and-health home.
    SportsHealthHome,
}

impl FacilityKind {
    /// Every kind, in a fixed order (used for deterministic output columns).
    pub const ALL: [FacilityKind; 10] = [
        FacilityKind::ComprehensiveCentre,
        FacilityKind::DayCare,
        FacilityKind::MealPoint,
        FacilityKind::NursingHome,
        FacilityKind::CareHome,
        FacilityKind::ActivityRoom,
        FacilityKind::NeighbourhoodHub,
        FacilityKind::MutualHelpPoint,
        FacilityKind::RehabAidPoint,
        FacilityKind::SportsHealthHome,
    ];

    /// The snake_case identifier used in plan files and output column names.
    pub fn id(self) -> &'static str {
        match self {
            FacilityKind::ComprehensiveCentre => "comprehensive_centre",
            FacilityKind::DayCare => "day_care",
            FacilityKind::MealPoint => "meal_point",
            FacilityKind::NursingHome => "nursing_home",
            FacilityKind::CareHome => "care_home",
            FacilityKind::ActivityRoom => "activity_room",
            FacilityKind::NeighbourhoodHub => "neighbourhood_hub",
            FacilityKind::MutualHelpPoint => "mutual_help_point",
            FacilityKind::RehabAidPoint => "rehab_aid_point",
            FacilityKind::SportsHealthHome => "sports_health_home",
        }
    }

    /// The usual Chinese name, for labels on maps and tables.
    pub fn chinese(self) -> &'static str {
        match self {
            FacilityKind::ComprehensiveCentre => "社区综合为老服务中心",
            FacilityKind::DayCare => "日间照料中心",
            FacilityKind::MealPoint => "社区长者食堂",
            FacilityKind::NursingHome => "养老机构",
            FacilityKind::CareHome => "长者照护之家",
            FacilityKind::ActivityRoom => "老年活动室",
            FacilityKind::NeighbourhoodHub => "邻里汇",
            FacilityKind::MutualHelpPoint => "睦邻点",
            FacilityKind::RehabAidPoint => "康复辅具租赁点",
            FacilityKind::SportsHealthHome => "长者运动健康之家",
        }
    }

    /// Built-in labels recognised in input files (compared after trimming; English labels
    /// case-insensitively). Plans add their own with `[facilities.kind_labels]`.
    pub fn builtin_labels(self) -> &'static [&'static str] {
        match self {
            FacilityKind::ComprehensiveCentre => &[
                "社区综合为老服务中心",
                "综合为老服务中心",
                "社区养老服务综合体",
                "comprehensive centre",
                "comprehensive service centre",
            ],
            FacilityKind::DayCare => &[
                "日间照料中心",
                "老年人日间照料中心",
                "老年人日间服务中心",
                "日托",
                "day care",
                "day-care centre",
                "day service centre",
            ],
            FacilityKind::MealPoint => &[
                "社区长者食堂",
                "长者食堂",
                "老年助餐点",
                "助餐点",
                "社区助餐点",
                "meal point",
                "canteen",
            ],
            FacilityKind::NursingHome => &[
                "养老院",
                "养老机构",
                "敬老院",
                "护理院",
                "nursing home",
                "elderly institution",
            ],
            FacilityKind::CareHome => &["长者照护之家", "care home"],
            FacilityKind::ActivityRoom => &["老年活动室", "标准化老年活动室", "activity room"],
            FacilityKind::NeighbourhoodHub => &[
                "邻里汇",
                "邻里小汇",
                "邻里中心",
                "neighbourhood hub",
                "neighborhood hub",
            ],
            FacilityKind::MutualHelpPoint => &["睦邻点", "mutual help point"],
            FacilityKind::RehabAidPoint => {
                &["康复辅具租赁点", "康复辅具租赁服务点", "rehab aid point"]
            }
            FacilityKind::SportsHealthHome => &["长者运动健康之家", "sports health home"],
        }
    }

    /// Whether this kind's floor area counts as "community elderly-facility floor area"
    /// (社区养老服务设施建筑面积, XH 主要指标 5): the community elderly facilities, but not
    /// residential institutions (养老机构, counted by beds) nor neighbourhood hubs (邻里汇,
    /// general community centres that serve every age).
    pub fn is_community_facility(self) -> bool {
        !matches!(
            self,
            FacilityKind::NursingHome | FacilityKind::NeighbourhoodHub
        )
    }
}

impl fmt::Display for FacilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for FacilityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FacilityKind::ALL
            .into_iter()
            .find(|k| k.id() == s.trim())
            .ok_or_else(|| {
                let ids: Vec<&str> = FacilityKind::ALL.iter().map(|k| k.id()).collect();
                format!(
                    "unknown facility kind '{s}'; expected one of {}",
                    ids.join(", ")
                )
            })
    }
}

/// An existing (or proposed) facility.
#[derive(Debug, Clone)]
pub struct Facility {
    /// Identifier from the facility layer's `id` column.
    pub id: String,
    /// Display name; the id when the layer has no name.
    pub name: String,
    /// The kind the input label maps to.
    pub kind: FacilityKind,
    /// The label as written in the input, kept for output.
    pub label: String,
    /// Where the facility is (a building polygon is taken at its centroid).
    pub location: Location,
    /// What it offers: floor area, beds, meals, places.
    pub capacity: Capacity,
    /// Sub-district name as given in the input, if any.
    pub subdistrict_name: Option<String>,
    /// Index into [`Study::subdistricts`]: from the polygon it lies in, else from its name.
    pub subdistrict: Option<usize>,
    /// Index into [`Study::committees`]: the committee polygon it lies in.
    pub committee: Option<usize>,
    /// Outside the study area (`[study.area]`) but within its buffer: it counts for walking
    /// access, not for the provision of any area (no sub-district or committee, not in the
    /// district's totals).
    pub beyond_study_area: bool,
}

/// What a facility offers; `None` where the data does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Capacity {
    /// Building floor area, m².
    pub floor_area_m2: Option<f64>,
    /// Beds (institutions, care homes).
    pub beds: Option<f64>,
    /// Of which nursing-type beds (护理型床位).
    pub nursing_beds: Option<f64>,
    /// Of which basic-guarantee beds (保基本床位).
    pub basic_beds: Option<f64>,
    /// Meal capacity, meals per day.
    pub meals_per_day: Option<f64>,
    /// Day-care places.
    pub day_places: Option<f64>,
    /// Social workers on the staff.
    pub social_workers: Option<f64>,
}

/// Which level a place is: the whole study, an administrative area, or a population cell.
/// Areas ([`Area::level`]) are sub-districts or committees; indicator rows are also computed
/// for the whole study (`District`), and the under-served list also ranks cells (`Cell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AreaLevel {
    /// 全区: the whole study area.
    District,
    /// 街道 / 镇: sub-district or town.
    Subdistrict,
    /// 居委会 / 村委会: residential committee.
    Committee,
    /// A population cell (or point), the finest level.
    Cell,
}

impl AreaLevel {
    /// The identifier written to the tables' `level` column: `district`, `subdistrict`,
    /// `committee`, `cell`.
    pub fn id(self) -> &'static str {
        match self {
            AreaLevel::District => "district",
            AreaLevel::Subdistrict => "subdistrict",
            AreaLevel::Committee => "committee",
            AreaLevel::Cell => "cell",
        }
    }
}

impl fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An administrative area with its boundary.
#[derive(Debug, Clone)]
pub struct Area {
    /// Identifier from the area layer's `id` column.
    pub id: String,
    /// Display name (e.g. `某某街道`); the id when the layer has no name.
    pub name: String,
    /// Whether this is a sub-district or a committee.
    pub level: AreaLevel,
    /// The parent sub-district's name, for committees, when the input gives it.
    pub parent_name: Option<String>,
    /// Index into [`Study::subdistricts`] of the parent, for committees: from the parent
    /// name when given, else the sub-district holding the committee's centroid.
    pub parent: Option<usize>,
    /// Boundary in WGS84 degrees (for output).
    pub boundary_lon_lat: MultiPolygon<f64>,
    /// Boundary in the analysis CRS, metres (for measurement).
    pub boundary_m: MultiPolygon<f64>,
}

/// A candidate site for a new facility.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Identifier: from the candidate layer, or `G{ix}_{iy}` for a generated one.
    pub id: String,
    /// Where a new facility would stand.
    pub location: Location,
    /// Index into [`Study::subdistricts`] of the sub-district it lies in, if any.
    pub subdistrict: Option<usize>,
    /// People a new facility here can serve, when the candidate layer says.
    pub capacity: Option<f64>,
}

/// Everything one analysis works on, already projected and cross-referenced.
#[derive(Debug, Clone, Default)]
pub struct Study {
    /// Population units (grid cells or points); cell indices elsewhere index this.
    pub cells: Vec<PopulationCell>,
    /// Existing facilities of every kind; facility indices elsewhere index this.
    pub facilities: Vec<Facility>,
    /// Sub-districts (街道 / 镇), in input order.
    pub subdistricts: Vec<Area>,
    /// Residential committees (居委会 / 村委会), in input order.
    pub committees: Vec<Area>,
    /// Candidate sites for new facilities; [`crate::study::build`] leaves it empty (the siting
    /// stage keeps its own in [`crate::proposal::Proposal::candidates`]).
    pub candidates: Vec<Candidate>,
    /// The study area every layer was clipped to (`[study.area]`), for the maps' outline.
    pub area: Option<Area>,
}

impl Study {
    /// Whether the sub-districts have polygons (not only names from the population layer's
    /// `subdistrict` field, which have none).
    pub fn has_subdistrict_polygons(&self) -> bool {
        self.subdistricts.iter().any(|a| !a.boundary_m.0.is_empty())
    }

    /// Total counts over all cells.
    pub fn total_counts(&self) -> Counts {
        let mut total = Counts::default();
        for c in &self.cells {
            total.add(&c.counts);
        }
        total
    }
}
