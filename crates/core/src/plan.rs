//! The plan file (TOML): which inputs to read, in which CRS and with which field names, the
//! analysis CRS, the walking circles and the standards preset with overrides.
//!
//! A plan is parsed into [`PlanFile`] (the file as written) and resolved into [`Plan`]
//! (paths made absolute, CRSs and circles checked, the preset applied).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::crs::{AnalysisCrs, InputCrs};
use crate::model::{AgeBand, FacilityKind};
use crate::standards::{Circle, Method, Reach, Require, Standards, TargetKey};

/// The largest reach, snapping distance, grid or candidate spacing a plan may give, m: a
/// walking circle is a few kilometres at most.
pub const MAX_DISTANCE_M: f64 = 50_000.0;
/// The largest walking speed a plan may give, m/s (faster is not walking).
pub const MAX_SPEED_M_PER_S: f64 = 5.0;

/// A plan that cannot be used, with the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file cannot be read (raised at the I/O edge).
    #[error("{file}: cannot read the plan file: {source}")]
    Read {
        /// The plan file.
        file: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// Not valid TOML, or not the plan's shape (an unknown key or section, a wrong type, an
    /// unknown age band or option value); `message` is the TOML parser's, with the line.
    #[error("{file}: {message}")]
    Syntax {
        /// The plan file.
        file: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
    /// Well-formed, but a value cannot be used.
    #[error("{file}: {section}: {message}")]
    Invalid {
        /// The plan file.
        file: PathBuf,
        /// The section or key at fault, e.g. `population.fields` or `siting.p`.
        section: String,
        /// What is wrong, and what is expected.
        message: String,
    },
}

/// The plan file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// `[study]`: name, analysis CRS, output folder.
    pub study: StudySection,
    /// `[standards]`: the preset and overrides (default: the `xuhui-2025` preset as is).
    #[serde(default)]
    pub standards: StandardsSection,
    /// `[population]`: the people, by age band.
    pub population: LayerSection,
    /// `[facilities]`: the existing facilities.
    pub facilities: LayerSection,
    /// `[subdistricts]`: optional 街镇 polygons.
    pub subdistricts: Option<LayerSection>,
    /// `[committees]`: optional 居委 polygons.
    pub committees: Option<LayerSection>,
    /// `[network]`: optional street network to walk along.
    pub network: Option<NetworkSection>,
    /// `[siting]`: optional proposal of new sites.
    pub siting: Option<SitingSection>,
    /// `[report]`: maps and the HTML report.
    #[serde(default)]
    pub report: ReportSection,
    /// `[outputs]`: extra vector formats.
    #[serde(default)]
    pub outputs: OutputsSection,
    /// Walking speed per age band (`all`, `60+`, `65+`, `80+`), m/s.
    #[serde(default)]
    pub walking_speed_m_per_s: BTreeMap<AgeBand, f64>,
    /// `[[circles]]`: the walking circles to measure (default: the preset's).
    #[serde(default)]
    pub circles: Vec<CircleSection>,
}

/// `[network]`: the street network to walk along.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// OpenStreetMap file, `.osm.pbf` or `.osm` (XML), relative to the plan file.
    pub path: PathBuf,
    /// Points farther than this from any walkable street are not snapped (and reported), m.
    #[serde(default = "default_max_snap_m")]
    pub max_snap_m: f64,
    /// A piece of street other than the largest with fewer nodes is an island (never
    /// snapped to). Default 40.
    #[serde(default = "default_min_component_nodes")]
    pub min_component_nodes: usize,
    /// A piece of street other than the largest with less street than this is an island, m.
    /// Default 500.
    #[serde(default = "default_min_component_m")]
    pub min_component_m: f64,
    /// Network distances are measured up to this, m (default: twice the largest network
    /// reach, at least 2000), so that per-area medians exist beyond the circles.
    pub distance_cap_m: Option<f64>,
    /// Walks longer than this × the straight line (and 250 m more) are reported as
    /// detours. Default 3.
    #[serde(default = "default_detour_factor")]
    pub detour_factor: f64,
}

fn default_max_snap_m() -> f64 {
    300.0
}

fn default_min_component_nodes() -> usize {
    crate::network::SnapRule::DEFAULT_MIN_COMPONENT_NODES
}

fn default_min_component_m() -> f64 {
    crate::network::SnapRule::DEFAULT_MIN_COMPONENT_M
}

fn default_detour_factor() -> f64 {
    crate::network::diagnostics::DEFAULT_DETOUR_FACTOR
}

/// `[report]`: maps and the HTML report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// Draw the maps (PNG, SVG) and write report.html. Default true.
    #[serde(default = "default_true")]
    pub maps: bool,
    /// Font for map text, relative to the plan file; must have Chinese glyphs. Default: the
    /// `LIFECIRCLE_FONT` environment variable, else a CJK font found on the machine.
    pub font: Option<PathBuf>,
    /// Basemap tiles under the interactive map, a URL template with `{z}`, `{x}`, `{y}`
    /// (internal use: maps published in China need an approved base map). Default: none, and
    /// map.html makes no network request at all.
    pub tiles: Option<String>,
    /// Attribution shown for `tiles` (required with it).
    pub tiles_attribution: Option<String>,
    /// The report's date as it should be printed, e.g. "2026年12月" (free text; a run never
    /// reads the clock for it, so the same inputs give the same report).
    pub date: Option<String>,
    /// Where and when the data come from, e.g. "2020 census; facility survey 2024-06".
    pub data_vintage: Option<String>,
}

impl Default for ReportSection {
    fn default() -> Self {
        ReportSection {
            maps: true,
            font: None,
            tiles: None,
            tiles_attribution: None,
            date: None,
            data_vintage: None,
        }
    }
}

fn default_true() -> bool {
    true
}

/// `[outputs]`: vector formats written beside the GeoJSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputsSection {
    /// Any of `gpkg` (one GeoPackage, `lifecircle.gpkg`, a layer per GeoJSON output) and
    /// `fgb` (a FlatGeobuf file per GeoJSON output). Needs the `gdal` feature.
    #[serde(default)]
    pub formats: Vec<String>,
    /// How the population cells are written: `geojson` (cells.geojson), `geoparquet`
    /// (cells.parquet) or `both`. Default: GeoParquet alone above
    /// [`GEOPARQUET_ABOVE_CELLS`] cells, else GeoJSON.
    pub cells: Option<CellsFormat>,
}

/// Above this many cells, a plan that does not set `[outputs] cells` gets `cells.parquet`
/// (GeoParquet) instead of `cells.geojson`.
pub const GEOPARQUET_ABOVE_CELLS: usize = 200_000;

/// `[outputs] cells`: the file format(s) of the population cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellsFormat {
    /// `cells.geojson`.
    Geojson,
    /// `cells.parquet` (GeoParquet 1.0.0, WKB geometry).
    Geoparquet,
    /// Both files.
    Both,
}

impl CellsFormat {
    /// The format for `cells` cells: the plan's (`Some`), else by the cell count.
    pub fn resolve(stated: Option<CellsFormat>, cells: usize) -> CellsFormat {
        stated.unwrap_or(if cells > GEOPARQUET_ABOVE_CELLS {
            CellsFormat::Geoparquet
        } else {
            CellsFormat::Geojson
        })
    }

    /// Whether `cells.geojson` is written.
    pub fn geojson(self) -> bool {
        matches!(self, CellsFormat::Geojson | CellsFormat::Both)
    }

    /// Whether `cells.parquet` is written.
    pub fn geoparquet(self) -> bool {
        matches!(self, CellsFormat::Geoparquet | CellsFormat::Both)
    }
}

/// A vector format written beside the GeoJSON outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorFormat {
    /// One GeoPackage, `lifecircle.gpkg`, with a layer per GeoJSON output.
    GeoPackage,
    /// A FlatGeobuf file per GeoJSON output.
    FlatGeobuf,
}

/// The resolved `[report]`.
#[derive(Debug, Clone)]
pub struct Report {
    /// Draw the maps and write report.html.
    pub maps: bool,
    /// Font for map text, resolved against the plan's folder (`None`: found at the edge).
    pub font: Option<PathBuf>,
    /// Basemap tiles for the interactive map (`None`: none, no network request).
    pub tiles: Option<TileSource>,
    /// The report's date as printed (`[report] date`).
    pub date: Option<String>,
    /// The data's vintage (`[report] data_vintage`).
    pub data_vintage: Option<String>,
}

/// A basemap tile source for the interactive map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSource {
    /// URL template with `{z}`, `{x}` and `{y}`.
    pub url: String,
    /// Attribution text shown on the map.
    pub attribution: String,
}

/// Which location-allocation model `[siting]` solves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SitingModel {
    /// Maximal covering: `p` new sites covering the most people.
    Mclp,
    /// Set covering: the fewest new sites covering `coverage_share` of the people.
    Lscp,
    /// p-median: `p` new sites minimising the total walking distance.
    Pmedian,
}

/// `[siting]`: proposals for new facilities of one kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitingSection {
    /// `mclp`, `lscp` or `pmedian`.
    pub model: SitingModel,
    /// The facility kind to site; existing ones stay open.
    pub kind: String,
    /// The circle whose reach, method and age band the model uses (default: the first
    /// circle that includes the kind).
    pub circle: Option<String>,
    /// New sites (mclp, pmedian).
    pub p: Option<usize>,
    /// Share of the coverable people to cover (lscp), default 1.
    pub coverage_share: Option<f64>,
    /// At least this many facilities of the kind per sub-district, existing included.
    #[serde(default)]
    pub min_per_subdistrict: usize,
    /// At most this many per sub-district, existing included.
    pub max_per_subdistrict: Option<usize>,
    /// Candidate sites layer (points with an id); default: generated.
    pub candidates: Option<LayerSection>,
    /// Spacing of generated candidates, m: one street node (or populated cell) per square.
    #[serde(default = "default_spacing")]
    pub candidate_spacing_m: f64,
    /// Candidate ids that must be opened (counted in `p`).
    #[serde(default)]
    pub force: Vec<String>,
    /// Candidate ids that must not be opened.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Capacity of each new site: the people of the circle's age band it can serve
    /// (capacitated variants; demand may be split between sites). A candidate layer's
    /// `capacity` field overrides it per site. Default: no limit.
    pub capacity_per_site: Option<f64>,
    /// Branch-and-bound nodes allowed to close the optimality gap (default: no limit but
    /// the time).
    #[serde(default = "default_node_limit")]
    pub node_limit: usize,
    /// Wall-clock seconds the heuristic solver may spend; when they are up it stops with its
    /// best sites and bound, and summary.json says the answer is not proven. Default 60.
    #[serde(default = "default_time_limit_s")]
    pub time_limit_s: f64,
    /// `heuristic` (greedy + interchange, Lagrangian bound and branch and bound) or `highs`
    /// (exact MILP; needs the `highs` cargo feature). Default `heuristic`.
    #[serde(default)]
    pub solver: SitingSolver,
}

/// The solver `[siting]` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SitingSolver {
    /// Greedy + interchange, Lagrangian bound and branch and bound (always available).
    #[default]
    Heuristic,
    /// The HiGHS MILP solver (exact; needs the `highs` cargo feature).
    Highs,
}

fn default_spacing() -> f64 {
    250.0
}
fn default_node_limit() -> usize {
    usize::MAX
}
fn default_time_limit_s() -> f64 {
    60.0
}

/// `[siting.candidates] fields`: the columns of a candidate-site layer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CandidateFields {
    /// Site id (default `id`), named by `[siting] force` / `exclude` and in the outputs.
    pub id: FieldName,
    /// CSV longitude / x (default `lon`), in the layer's CRS.
    pub lon: FieldName,
    /// CSV latitude / y (default `lat`), in the layer's CRS.
    pub lat: FieldName,
    /// Optional capacity of a new site there, people of the circle's age band (default
    /// `capacity`); overrides `capacity_per_site`.
    pub capacity: FieldName,
}

impl Default for CandidateFields {
    fn default() -> Self {
        CandidateFields {
            id: FieldName::default_column("id"),
            lon: FieldName::default_column("lon"),
            lat: FieldName::default_column("lat"),
            capacity: FieldName::default_column("capacity"),
        }
    }
}

/// The resolved candidate-site layer of `[siting] candidates`.
#[derive(Debug, Clone)]
pub struct CandidateLayer {
    /// Where and how to read it.
    pub layer: Layer,
    /// Its columns.
    pub fields: CandidateFields,
}

/// The resolved `[siting]`.
#[derive(Debug, Clone)]
pub struct Siting {
    /// The model to solve.
    pub model: SitingModel,
    /// The facility kind to site.
    pub kind: FacilityKind,
    /// Index into the plan's circles: its reach, method and age band define the demand
    /// and the coverage.
    pub circle: usize,
    /// New sites (mclp, pmedian; 0 for lscp, which finds the number).
    pub p: usize,
    /// Share of the coverable people to cover (lscp), in (0, 1].
    pub coverage_share: f64,
    /// At least this many facilities of the kind per sub-district, existing included.
    pub min_per_subdistrict: usize,
    /// At most this many per sub-district, existing included (≥ the minimum).
    pub max_per_subdistrict: Option<usize>,
    /// The candidate layer; `None`: candidates are generated.
    pub candidates: Option<CandidateLayer>,
    /// Spacing of generated candidates, m (> 0).
    pub candidate_spacing_m: f64,
    /// Candidate ids that must be opened (none of them also excluded).
    pub force: Vec<String>,
    /// Candidate ids that must not be opened.
    pub exclude: Vec<String>,
    /// Capacity of each new site in people of the circle's age band (`None`: no limit).
    pub capacity_per_site: Option<f64>,
    /// Branch-and-bound nodes allowed to close the optimality gap.
    pub node_limit: usize,
    /// Wall-clock seconds the solver may spend, s.
    pub time_limit_s: f64,
    /// The solver to use.
    pub solver: SitingSolver,
}

/// The resolved `[network]`.
#[derive(Debug, Clone)]
pub struct NetworkLayer {
    /// The OpenStreetMap file, resolved against the plan's folder.
    pub path: PathBuf,
    /// Points farther than this from any walkable street are not snapped, m (≥ 0).
    pub max_snap_m: f64,
    /// Island thresholds: see [`NetworkSection::min_component_nodes`].
    pub min_component_nodes: usize,
    /// See [`NetworkSection::min_component_m`], m.
    pub min_component_m: f64,
    /// Network distances are measured up to this, m (`None`: the default cap).
    pub distance_cap_m: Option<f64>,
    /// Detour factor (> 1).
    pub detour_factor: f64,
}

/// `[study]`: name, analysis CRS, output folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySection {
    /// The study's name, shown in the report and summary.
    pub name: String,
    /// `auto` (UTM zone of the study area) or `EPSG:<code>` of a projected CRS in metres.
    #[serde(default = "default_auto")]
    pub analysis_crs: String,
    /// Output folder, relative to the plan file.
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    /// `[study.area]`: one polygon of a boundary layer that clips every layer to the study
    /// area (e.g. one district of a city-wide population and facility layer).
    pub area: Option<StudyAreaSection>,
}

/// `[study.area]` as written: the boundary layer, the id of the polygon to keep, and the
/// buffer within which facilities and streets beyond the edge still count for walking.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyAreaSection {
    /// The boundary layer, relative to the plan file (GeoJSON — a FeatureCollection, a
    /// Feature or a bare geometry with `properties`, as Amap exports are — or a GDAL format).
    pub path: PathBuf,
    /// CRS of its coordinates (`WGS84` default, `GCJ02`, `BD09`, `EPSG:<code>`).
    pub crs: Option<String>,
    /// GDAL files with several layers: the layer to read.
    pub layer: Option<String>,
    /// Logical field → the file's field: `id` (default `id`), `name` (default `name`).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The polygon to keep: its `id` field's value (or its name).
    pub id: String,
    /// Metres beyond the edge within which facilities still serve the residents inside and
    /// streets are kept for walking to them. Default: the longest circle's reach.
    pub buffer_m: Option<f64>,
}

/// The resolved study area: which polygon of which layer, and the buffer.
#[derive(Debug, Clone)]
pub struct StudyAreaLayer {
    /// The boundary layer (its `id` and `name` fields).
    pub layer: AreaLayer,
    /// The id (or name) of the polygon that is the study area.
    pub id: String,
    /// Buffer beyond the edge for facilities and streets, m.
    pub buffer_m: f64,
    /// Whether `buffer_m` is the plan's (else the longest circle's reach).
    pub buffer_stated: bool,
}

/// `[population] weight`: constant counts for point layers without count columns, either
/// one number (each record counts that many residents and that many aged 60+: a list of
/// older people's addresses is `weight = 1`) or a table per band
/// (`weight = { residents = 100, aged_60 = 35 }`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WeightSection {
    /// Residents and aged 60+ both.
    Each(f64),
    /// Per band; bands not named are read from their columns.
    Bands(BandWeights),
}

/// Constant people per record, per age band (`None`: read the band's column).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandWeights {
    /// All residents, people per record.
    pub residents: Option<f64>,
    /// Aged 60+, people per record.
    pub aged_60: Option<f64>,
    /// Aged 65+, people per record.
    pub aged_65: Option<f64>,
    /// Aged 80+, people per record.
    pub aged_80: Option<f64>,
}

impl BandWeights {
    /// The constant for `band`, if the plan gives one.
    pub fn band(&self, band: AgeBand) -> Option<f64> {
        match band {
            AgeBand::Residents => self.residents,
            AgeBand::Aged60 => self.aged_60,
            AgeBand::Aged65 => self.aged_65,
            AgeBand::Aged80 => self.aged_80,
        }
    }
}

fn default_auto() -> String {
    "auto".into()
}
fn default_output_dir() -> PathBuf {
    PathBuf::from("outputs")
}

/// `[standards]`: the preset and overrides of single targets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardsSection {
    /// The preset of targets and circles (default `xuhui-2025`).
    #[serde(default = "default_preset")]
    pub preset: String,
    /// Target key → value replacing the preset's (finite, ≥ 0; in the target's unit).
    #[serde(default)]
    pub overrides: BTreeMap<String, f64>,
}

impl Default for StandardsSection {
    fn default() -> Self {
        StandardsSection {
            preset: default_preset(),
            overrides: BTreeMap::new(),
        }
    }
}

fn default_preset() -> String {
    "xuhui-2025".into()
}

/// Text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// UTF-8 (with or without a byte-order mark).
    #[default]
    #[serde(alias = "utf8", alias = "utf-8")]
    Utf8,
    /// GBK / GB18030, common in Chinese government data.
    #[serde(alias = "gb18030", alias = "gb2312")]
    Gbk,
}

/// How population geometry is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopulationGeometry {
    /// Points or grid cells carrying their own counts (a cell is located at its centroid).
    #[default]
    Cells,
    /// Census polygons whose counts are spread onto a regular grid by area.
    Polygons,
}

/// What to do with facility labels no mapping recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownKinds {
    /// Stop with an error listing every unknown label and its rows.
    #[default]
    Error,
    /// Leave those facilities out, and list them in the run summary.
    Skip,
}

/// An input section (`[population]`, `[facilities]`, `[subdistricts]`, `[committees]`,
/// `[siting] candidates`) as written. Options that apply to one layer only are checked in
/// [`PlanFile::resolve`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSection {
    /// Path relative to the plan file: `.geojson`/`.json` or `.csv`; with the `gdal`
    /// feature also `.gpkg`, `.shp`, `.fgb`, `.gdb` and other GDAL vector formats, and
    /// `.tif` population rasters.
    pub path: PathBuf,
    /// CRS of the coordinates: `WGS84`, `GCJ02`, `BD09` or `EPSG:<code>`. Default WGS84, or
    /// for GDAL files the file's own CRS (a file without one needs it stated here).
    pub crs: Option<String>,
    /// GDAL files with several layers (GeoPackage, File GDB): the layer to read.
    pub layer: Option<String>,
    /// CSV text encoding (GeoJSON is always UTF-8).
    #[serde(default)]
    pub encoding: Encoding,
    /// CSV field delimiter (default `,`).
    pub delimiter: Option<char>,
    /// Logical field → the file's field name; an empty name means "not in the data". The
    /// keys are checked when resolving, against the layer's typed fields
    /// ([`PopulationFields`], [`FacilityFields`], [`AreaFields`], [`CandidateFields`]), so
    /// that a misspelt key is an error naming the section and the keys it has.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Population only: cells/points with counts, or polygons spread onto a grid.
    pub geometry: Option<PopulationGeometry>,
    /// Population only: grid size for spreading polygons, m (default 100).
    pub grid_cell_m: Option<f64>,
    /// Facilities only: extra label → kind mappings.
    #[serde(default)]
    pub kind_labels: BTreeMap<String, String>,
    /// Facilities only: `error` (default) or `skip` for labels no mapping knows.
    pub unknown_kinds: Option<UnknownKinds>,
    /// Population only: constant counts per record instead of count columns.
    pub weight: Option<WeightSection>,
}

/// The file's column for one logical field of an input layer: the name the plan gives in
/// the layer's `fields` table, else the default name. An empty name (`""`) means the data has
/// no such field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldName {
    name: String,
    explicit: bool,
    weighted: bool,
}

impl FieldName {
    /// The default column of a field the plan does not name.
    fn default_column(name: &str) -> FieldName {
        FieldName {
            name: name.to_string(),
            explicit: false,
            weighted: false,
        }
    }

    /// A count the plan gives as a constant (`[population] weight`): no column is read.
    fn weighted() -> FieldName {
        FieldName {
            name: String::new(),
            explicit: false,
            weighted: true,
        }
    }

    /// Whether the plan gives this count as a constant per record (`[population] weight`).
    pub fn is_weighted(&self) -> bool {
        self.weighted
    }

    /// The file's column, or `None` when the plan says the data has none (`""`).
    pub fn column(&self) -> Option<&str> {
        Some(self.name.as_str()).filter(|s| !s.is_empty())
    }

    /// Whether the plan names the column itself rather than relying on the default name:
    /// a named column must exist, a default one may be missing from a CSV header.
    pub fn is_explicit(&self) -> bool {
        self.explicit
    }
}

/// A column named in the plan (explicit).
impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(FieldName {
            name: String::deserialize(d)?,
            explicit: true,
            weighted: false,
        })
    }
}

/// `[population.fields]`: the columns of the population layer. Counts are people.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PopulationFields {
    /// Cell or point id (default `id`; `""`: the row's position is its id).
    pub id: FieldName,
    /// All residents (default `residents`); required.
    pub residents: FieldName,
    /// Residents aged 60+ (default `aged_60_plus`); required.
    pub aged_60: FieldName,
    /// Residents aged 65+ (default `aged_65_plus`).
    pub aged_65: FieldName,
    /// Residents aged 80+ (default `aged_80_plus`).
    pub aged_80: FieldName,
    /// CSV longitude / x (default `lon`), in the layer's CRS.
    pub lon: FieldName,
    /// CSV latitude / y (default `lat`), in the layer's CRS.
    pub lat: FieldName,
    /// Name of the sub-district (街镇) each record belongs to (default `subdistrict`): the
    /// results are rolled up by it when the plan has no `[subdistricts]` polygons (Amap and
    /// geocoder exports carry the 街镇 as a field). Unused when polygons are given.
    pub subdistrict: FieldName,
}

impl Default for PopulationFields {
    fn default() -> Self {
        PopulationFields {
            id: FieldName::default_column("id"),
            residents: FieldName::default_column("residents"),
            aged_60: FieldName::default_column("aged_60_plus"),
            aged_65: FieldName::default_column("aged_65_plus"),
            aged_80: FieldName::default_column("aged_80_plus"),
            lon: FieldName::default_column("lon"),
            lat: FieldName::default_column("lat"),
            subdistrict: FieldName::default_column("subdistrict"),
        }
    }
}

impl PopulationFields {
    /// The count of `band`, with its logical name in the plan (`residents`, `aged_60`, ...).
    pub fn band(&self, band: AgeBand) -> (&'static str, &FieldName) {
        match band {
            AgeBand::Residents => ("residents", &self.residents),
            AgeBand::Aged60 => ("aged_60", &self.aged_60),
            AgeBand::Aged65 => ("aged_65", &self.aged_65),
            AgeBand::Aged80 => ("aged_80", &self.aged_80),
        }
    }
}

/// `[facilities.fields]`: the columns of the facility layer. Capacities are optional:
/// a missing or blank value means "not known".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FacilityFields {
    /// Facility id (default `id`); required, unique.
    pub id: FieldName,
    /// Display name (default `name`; else the id).
    pub name: FieldName,
    /// Facility type label such as 日间照料中心 (default `type`); required.
    pub kind: FieldName,
    /// Floor area, m² (default `floor_area_m2`).
    pub floor_area_m2: FieldName,
    /// Beds (default `beds`).
    pub beds: FieldName,
    /// Nursing-type beds among them (default `nursing_beds`).
    pub nursing_beds: FieldName,
    /// Meals a day (default `meals_per_day`).
    pub meals_per_day: FieldName,
    /// Day-care places (default `day_places`).
    pub day_places: FieldName,
    /// Basic-care (保基本) beds among the beds (default `basic_beds`).
    pub basic_beds: FieldName,
    /// Social workers, people (default `social_workers`).
    pub social_workers: FieldName,
    /// Name of the sub-district (街镇) it belongs to (default `subdistrict`; else found from
    /// the sub-district polygons).
    pub subdistrict: FieldName,
    /// CSV longitude / x (default `lon`), in the layer's CRS.
    pub lon: FieldName,
    /// CSV latitude / y (default `lat`), in the layer's CRS.
    pub lat: FieldName,
}

impl Default for FacilityFields {
    fn default() -> Self {
        FacilityFields {
            id: FieldName::default_column("id"),
            name: FieldName::default_column("name"),
            kind: FieldName::default_column("type"),
            floor_area_m2: FieldName::default_column("floor_area_m2"),
            beds: FieldName::default_column("beds"),
            nursing_beds: FieldName::default_column("nursing_beds"),
            meals_per_day: FieldName::default_column("meals_per_day"),
            day_places: FieldName::default_column("day_places"),
            basic_beds: FieldName::default_column("basic_beds"),
            social_workers: FieldName::default_column("social_workers"),
            subdistrict: FieldName::default_column("subdistrict"),
            lon: FieldName::default_column("lon"),
            lat: FieldName::default_column("lat"),
        }
    }
}

/// `[subdistricts.fields]` / `[committees.fields]`: the columns of an area layer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AreaFields {
    /// Area id (default `id`).
    pub id: FieldName,
    /// Area name (default `name`; else the id).
    pub name: FieldName,
    /// Committees: the name of their sub-district (default `subdistrict`; else found from
    /// the polygons).
    pub parent: FieldName,
}

impl Default for AreaFields {
    fn default() -> Self {
        AreaFields {
            id: FieldName::default_column("id"),
            name: FieldName::default_column("name"),
            parent: FieldName::default_column("subdistrict"),
        }
    }
}

/// A resolved input layer: where and how to read it (its columns are in the typed fields
/// beside it).
#[derive(Debug, Clone)]
pub struct Layer {
    /// The file, absolute (or relative to the working directory when the plan's path is).
    pub path: PathBuf,
    /// CRS of its coordinates.
    pub crs: InputCrs,
    /// Whether the plan states the CRS (else WGS84, or a GDAL file's own).
    pub crs_stated: bool,
    /// The layer to read from a multi-layer GDAL file.
    pub layer_name: Option<String>,
    /// CSV text encoding.
    pub encoding: Encoding,
    /// CSV field delimiter, one ASCII byte.
    pub delimiter: u8,
}

/// The resolved population layer.
#[derive(Debug, Clone)]
pub struct PopulationLayer {
    /// Where and how to read it.
    pub layer: Layer,
    /// Its columns.
    pub fields: PopulationFields,
    /// Cells/points with counts, or polygons spread onto a grid.
    pub geometry: PopulationGeometry,
    /// Grid size for spreading polygons, m.
    pub grid_cell_m: f64,
    /// Constant people per record for the bands the plan weights (`[population] weight`);
    /// those bands' columns are not read.
    pub weight: BandWeights,
}

/// The resolved facility layer.
#[derive(Debug, Clone)]
pub struct FacilityLayer {
    /// Where and how to read it.
    pub layer: Layer,
    /// Its columns.
    pub fields: FacilityFields,
    /// The plan's own label → kind mappings (labels trimmed), tried before the built-in ones.
    pub kind_labels: BTreeMap<String, FacilityKind>,
    /// What to do with labels no mapping recognises.
    pub unknown_kinds: UnknownKinds,
}

/// A resolved area layer (`[subdistricts]`, `[committees]`).
#[derive(Debug, Clone)]
pub struct AreaLayer {
    /// Where and how to read it.
    pub layer: Layer,
    /// Its columns.
    pub fields: AreaFields,
}

/// `[[circles]]`: one walking circle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircleSection {
    /// Identifier: letters, digits and `_` (it becomes output column names), unique.
    pub name: String,
    /// Display label for maps and tables (default: the name).
    pub label: Option<String>,
    /// Reach as a distance, m (give this or `minutes`).
    pub distance_m: Option<f64>,
    /// Reach as a walk, minutes (give this or `distance_m`).
    pub minutes: Option<f64>,
    /// Walking speed for `minutes`, m/s; defaults to the walking speed of the circle's age
    /// band (`[walking_speed_m_per_s]`, else the preset's).
    pub speed_m_per_s: Option<f64>,
    /// Facility kind ids the circle counts (at least one).
    pub kinds: Vec<String>,
    /// `any` (default: one facility of any kind within reach) or `all` (every kind).
    #[serde(default = "default_require")]
    pub require: Require,
    /// The people the circle is for: `all`, `60+` (default), `65+` or `80+`.
    #[serde(default = "default_band")]
    pub age_band: AgeBand,
    /// `network` or `straight_line`; default: network when the plan has a `[network]`.
    pub method: Option<Method>,
}

fn default_require() -> Require {
    Require::Any
}
fn default_band() -> AgeBand {
    AgeBand::Aged60
}

/// A resolved plan: absolute paths, parsed CRSs, the standards with overrides applied and
/// the circles to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The plan file, as given.
    pub file: PathBuf,
    /// `[study] name`.
    pub name: String,
    /// The CRS all measurements are made in (metres).
    pub analysis_crs: AnalysisCrs,
    /// Output folder, resolved against the plan's folder.
    pub output_dir: PathBuf,
    /// `[study.area]`: the polygon every layer is clipped to, if any.
    pub study_area: Option<StudyAreaLayer>,
    /// The preset's targets with the plan's overrides, and its default circles.
    pub standards: Standards,
    /// The circles to measure: the plan's `[[circles]]`, else the preset's.
    pub circles: Vec<Circle>,
    /// The population layer.
    pub population: PopulationLayer,
    /// The facility layer.
    pub facilities: FacilityLayer,
    /// The sub-district (街镇) layer, if any.
    pub subdistricts: Option<AreaLayer>,
    /// The residents' committee (居委) layer, if any.
    pub committees: Option<AreaLayer>,
    /// The street network, if any.
    pub network: Option<NetworkLayer>,
    /// The siting proposal to make, if any.
    pub siting: Option<Siting>,
    /// Maps and report.
    pub report: Report,
    /// Vector formats written beside the GeoJSON (`[outputs] formats`).
    pub vector_formats: Vec<VectorFormat>,
    /// `[outputs] cells` (`None`: by the cell count, see [`CellsFormat::resolve`]).
    pub cells_format: Option<CellsFormat>,
    /// Walking speed (m/s) and its source for each age band.
    pub walking_speeds: BTreeMap<AgeBand, (f64, String)>,
}

impl Plan {
    /// Parses and resolves plan text; `path` names the file in errors and anchors relative
    /// paths.
    pub fn parse(text: &str, path: &Path) -> Result<Plan, PlanError> {
        let file: PlanFile = toml::from_str(text).map_err(|e| PlanError::Syntax {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
        file.resolve(path)
    }
}

/// Plan-checking context: the plan file's path and folder.
struct Resolver<'a> {
    file: &'a Path,
    base: PathBuf,
}

impl Resolver<'_> {
    fn invalid(&self, section: &str, message: impl Into<String>) -> PlanError {
        PlanError::Invalid {
            file: self.file.to_path_buf(),
            section: section.to_string(),
            message: message.into(),
        }
    }

    /// Resolves one input section into the layer and its typed fields `F` (defaults for the
    /// fields the plan does not name; a key `F` does not know is an error naming `F`'s keys);
    /// `extras` names the layer-specific options this layer accepts.
    fn layer<F: DeserializeOwned>(
        &self,
        name: &str,
        sec: &LayerSection,
        extras: &[&str],
    ) -> Result<(Layer, F), PlanError> {
        let crs = sec
            .crs
            .as_deref()
            .unwrap_or("WGS84")
            .parse::<InputCrs>()
            .map_err(|e| self.invalid(&format!("{name}.crs"), e.to_string()))?;
        let fields = F::deserialize(MapDeserializer::<_, ValueError>::new(
            sec.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ))
        .map_err(|e| self.invalid(&format!("{name}.fields"), e.to_string()))?;
        let used = [
            ("geometry", sec.geometry.is_some()),
            ("grid_cell_m", sec.grid_cell_m.is_some()),
            ("kind_labels", !sec.kind_labels.is_empty()),
            ("unknown_kinds", sec.unknown_kinds.is_some()),
            ("weight", sec.weight.is_some()),
        ];
        for (option, present) in used {
            if present && !extras.contains(&option) {
                return Err(self.invalid(name, format!("'{option}' does not apply to this layer")));
            }
        }
        let delimiter = match sec.delimiter {
            None => b',',
            Some(c) if c.is_ascii() => c as u8,
            Some(c) => {
                return Err(self.invalid(
                    &format!("{name}.delimiter"),
                    format!("'{c}': expected a single ASCII character"),
                ))
            }
        };
        let layer = Layer {
            path: self.base.join(&sec.path),
            crs,
            crs_stated: sec.crs.is_some(),
            layer_name: sec.layer.clone(),
            encoding: sec.encoding,
            delimiter,
        };
        Ok((layer, fields))
    }
}

impl PlanFile {
    /// Checks the plan and turns it into a [`Plan`]; `path` is the plan file's location.
    pub fn resolve(self, path: &Path) -> Result<Plan, PlanError> {
        let r = Resolver {
            file: path,
            base: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        };
        let analysis_crs = self
            .study
            .analysis_crs
            .parse::<AnalysisCrs>()
            .map_err(|e| r.invalid("study.analysis_crs", e.to_string()))?;

        let mut standards = Standards::preset(&self.standards.preset)
            .map_err(|e| r.invalid("standards.preset", e))?;
        for (key, value) in &self.standards.overrides {
            let k = key
                .parse::<TargetKey>()
                .map_err(|e| r.invalid("standards.overrides", e))?;
            if !value.is_finite() || *value < 0.0 {
                return Err(r.invalid(
                    "standards.overrides",
                    format!("{key} = {value}: expected a finite number ≥ 0"),
                ));
            }
            let bad = match k {
                TargetKey::ElderlyWalkSpeedMPerS
                    if !(*value > 0.0 && *value <= MAX_SPEED_M_PER_S) =>
                {
                    Some(format!("expected a walking speed in m/s > 0 and at most {MAX_SPEED_M_PER_S}, e.g. 1.0"))
                }
                TargetKey::Circle15MinM
                | TargetKey::Circle10MinM
                | TargetKey::Circle5MinM
                | TargetKey::DayCentreRadiusM
                    if !(*value > 0.0 && *value <= MAX_DISTANCE_M) =>
                {
                    Some(format!("expected metres > 0 and at most {MAX_DISTANCE_M}"))
                }
                TargetKey::MealShareOf65Plus
                | TargetKey::BedShareOf60Plus
                | TargetKey::BasicBedShareOf60Plus
                | TargetKey::NursingBedShare
                    if *value > 1.0 =>
                {
                    Some("a share is at most 1: write 0.6 for 60 %".to_string())
                }
                _ => None,
            };
            if let Some(why) = bad {
                return Err(r.invalid(
                    &format!("standards.overrides.{key}"),
                    format!("{key} = {value}: {why}"),
                ));
            }
            standards.override_target(k, *value);
        }
        let mut walking_speeds = BTreeMap::new();
        for band in AgeBand::ALL {
            let default = match band {
                AgeBand::Residents => (
                    1.2,
                    "standards.md: general adult 1.2–1.4 m/s (lower end)".to_string(),
                ),
                _ => standards.elderly_speed(),
            };
            walking_speeds.insert(band, default);
        }
        for (&band, value) in &self.walking_speed_m_per_s {
            if !(value.is_finite() && *value > 0.0 && *value <= MAX_SPEED_M_PER_S) {
                return Err(r.invalid(
                    "walking_speed_m_per_s",
                    format!("{band} = {value}: expected m/s > 0 (and at most {MAX_SPEED_M_PER_S})"),
                ));
            }
            walking_speeds.insert(band, (*value, "plan [walking_speed_m_per_s]".to_string()));
        }
        let network = match &self.network {
            None => None,
            Some(n) => {
                if !(n.max_snap_m.is_finite()
                    && n.max_snap_m >= 0.0
                    && n.max_snap_m <= MAX_DISTANCE_M)
                {
                    return Err(r.invalid(
                        "network.max_snap_m",
                        format!(
                            "{}: expected metres ≥ 0 and at most {MAX_DISTANCE_M}",
                            n.max_snap_m
                        ),
                    ));
                }
                if !(n.min_component_m.is_finite() && n.min_component_m >= 0.0) {
                    return Err(r.invalid(
                        "network.min_component_m",
                        format!("{}: expected metres ≥ 0", n.min_component_m),
                    ));
                }
                if let Some(cap) = n.distance_cap_m {
                    if !(cap.is_finite() && cap > 0.0 && cap <= 100_000.0) {
                        return Err(r.invalid(
                            "network.distance_cap_m",
                            format!("{cap}: expected metres > 0 and at most 100000"),
                        ));
                    }
                }
                if !(n.detour_factor.is_finite() && n.detour_factor > 1.0) {
                    return Err(r.invalid(
                        "network.detour_factor",
                        format!("{}: expected a factor > 1, e.g. 3", n.detour_factor),
                    ));
                }
                Some(NetworkLayer {
                    path: r.base.join(&n.path),
                    max_snap_m: n.max_snap_m,
                    min_component_nodes: n.min_component_nodes,
                    min_component_m: n.min_component_m,
                    distance_cap_m: n.distance_cap_m,
                    detour_factor: n.detour_factor,
                })
            }
        };
        let default_method = if network.is_some() {
            Method::Network
        } else {
            Method::StraightLine
        };
        standards.circles = standards.default_circles(
            default_method,
            walking_speeds.get(&AgeBand::Aged60).cloned(),
        );

        let (layer, mut fields): (Layer, PopulationFields) = r.layer(
            "population",
            &self.population,
            &["geometry", "grid_cell_m", "weight"],
        )?;
        let weight = match self.population.weight {
            None => BandWeights::default(),
            Some(WeightSection::Each(w)) => BandWeights {
                residents: Some(w),
                aged_60: Some(w),
                ..BandWeights::default()
            },
            Some(WeightSection::Bands(b)) => b,
        };
        let mut previous: Option<(AgeBand, f64)> = None;
        for band in AgeBand::ALL {
            let Some(w) = weight.band(band) else { continue };
            if !(w.is_finite() && w >= 0.0) {
                return Err(r.invalid(
                    "population.weight",
                    format!("{band} = {w}: expected people per record, a finite number ≥ 0"),
                ));
            }
            if let Some((outer, ow)) = previous {
                if w > ow {
                    return Err(r.invalid(
                        "population.weight",
                        format!("{band} = {w} exceeds {outer} = {ow}; age bands must nest"),
                    ));
                }
            }
            previous = Some((band, w));
            let slot = match band {
                AgeBand::Residents => &mut fields.residents,
                AgeBand::Aged60 => &mut fields.aged_60,
                AgeBand::Aged65 => &mut fields.aged_65,
                AgeBand::Aged80 => &mut fields.aged_80,
            };
            if slot.is_explicit() && slot.column().is_some() {
                return Err(r.invalid(
                    "population.weight",
                    format!(
                        "weight gives {band} and fields names its column '{}'; give one of them",
                        slot.column().unwrap_or_default()
                    ),
                ));
            }
            *slot = FieldName::weighted();
        }
        let population = PopulationLayer {
            layer,
            fields,
            geometry: self.population.geometry.unwrap_or_default(),
            grid_cell_m: self.population.grid_cell_m.unwrap_or(100.0),
            weight,
        };
        if !(population.grid_cell_m.is_finite()
            && population.grid_cell_m > 0.0
            && population.grid_cell_m <= MAX_DISTANCE_M)
        {
            return Err(r.invalid(
                "population.grid_cell_m",
                format!(
                    "{}: expected metres > 0 and at most {MAX_DISTANCE_M}",
                    population.grid_cell_m
                ),
            ));
        }
        let p = &population.fields;
        for (required, field) in [("residents", &p.residents), ("aged_60", &p.aged_60)] {
            if field.column().is_none() && !field.is_weighted() {
                return Err(r.invalid(
                    &format!("population.fields.{required}"),
                    "this count is required",
                ));
            }
        }
        let mut kind_labels = BTreeMap::new();
        for (label, kind) in &self.facilities.kind_labels {
            let k = kind
                .parse::<FacilityKind>()
                .map_err(|e| r.invalid("facilities.kind_labels", format!("'{label}': {e}")))?;
            kind_labels.insert(label.trim().to_string(), k);
        }
        let (layer, fields) = r.layer(
            "facilities",
            &self.facilities,
            &["kind_labels", "unknown_kinds"],
        )?;
        let facilities = FacilityLayer {
            layer,
            fields,
            kind_labels,
            unknown_kinds: self.facilities.unknown_kinds.unwrap_or_default(),
        };
        let f = &facilities.fields;
        for (required, field) in [("id", &f.id), ("kind", &f.kind)] {
            if field.column().is_none() {
                return Err(r.invalid(
                    &format!("facilities.fields.{required}"),
                    "this field is required",
                ));
            }
        }
        let area = |sec: &Option<LayerSection>, name: &str| {
            sec.as_ref()
                .map(|s| {
                    r.layer(name, s, &[])
                        .map(|(layer, fields)| AreaLayer { layer, fields })
                })
                .transpose()
        };
        let subdistricts = area(&self.subdistricts, "subdistricts")?;
        let committees = area(&self.committees, "committees")?;

        let circles = if self.circles.is_empty() {
            standards.circles.clone()
        } else {
            let mut names = std::collections::BTreeSet::new();
            let mut out = Vec::new();
            for (i, c) in self.circles.iter().enumerate() {
                let section = format!("circles[{i}] ({})", c.name);
                out.push(
                    resolve_circle(c, &walking_speeds, default_method)
                        .map_err(|m| r.invalid(&section, m))?,
                );
                if !names.insert(c.name.clone()) {
                    return Err(r.invalid(&section, "circle names must be unique"));
                }
            }
            out
        };
        for c in &circles {
            let radius_m = c.radius_m();
            if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= MAX_DISTANCE_M) {
                return Err(r.invalid(
                    &format!("circles ({})", c.name),
                    format!(
                        "reach {} = {radius_m} m: expected more than 0 and at most {MAX_DISTANCE_M} m (a walking circle)",
                        c.reach
                    ),
                ));
            }
            if c.method == Method::Network && network.is_none() {
                return Err(r.invalid(
                    &format!("circles ({})", c.name),
                    "method = \"network\" needs a [network] section naming an OSM file",
                ));
            }
            let (logical, field) = population.fields.band(c.age_band);
            if field.column().is_none() && !field.is_weighted() {
                return Err(r.invalid(
                    &format!("circles ({})", c.name),
                    format!(
                        "the circle is for age band {} but population.fields.{logical} is empty",
                        c.age_band
                    ),
                ));
            }
        }

        let siting = match &self.siting {
            None => None,
            Some(sec) => Some(resolve_siting(&r, sec, &circles)?),
        };
        if let Some(sec) = &self.siting {
            if subdistricts.is_none()
                && (sec.min_per_subdistrict > 0 || sec.max_per_subdistrict.is_some())
            {
                return Err(r.invalid(
                    "siting.min_per_subdistrict",
                    "quotas per sub-district need a [subdistricts] layer; add one, or remove min_per_subdistrict / max_per_subdistrict",
                ));
            }
        }

        let tiles = match (&self.report.tiles, &self.report.tiles_attribution) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(r.invalid("report.tiles_attribution", "is set without report.tiles"))
            }
            (Some(_), None) => {
                return Err(r.invalid(
                    "report.tiles",
                    "needs report.tiles_attribution: the map must credit its basemap",
                ))
            }
            (Some(url), Some(attribution)) => {
                let templated = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
                if !(url.starts_with("https://") || url.starts_with("http://")) || !templated {
                    return Err(r.invalid(
                        "report.tiles",
                        format!("'{url}' is not a tile URL template: expected http(s)://… with {{z}}, {{x}} and {{y}}, e.g. \"https://tiles.example.gov.cn/{{z}}/{{x}}/{{y}}.png\""),
                    ));
                }
                Some(TileSource {
                    url: url.clone(),
                    attribution: attribution.clone(),
                })
            }
        };
        let report = Report {
            maps: self.report.maps,
            font: self.report.font.as_ref().map(|f| r.base.join(f)),
            tiles,
            date: self.report.date.clone(),
            data_vintage: self.report.data_vintage.clone(),
        };
        let mut vector_formats = Vec::new();
        for f in &self.outputs.formats {
            let format = match f.to_ascii_lowercase().as_str() {
                "gpkg" | "geopackage" => VectorFormat::GeoPackage,
                "fgb" | "flatgeobuf" => VectorFormat::FlatGeobuf,
                "geojson" => continue,
                other => {
                    return Err(r.invalid(
                        "outputs.formats",
                        format!("unknown format '{other}'; expected gpkg, fgb or geojson"),
                    ))
                }
            };
            if !cfg!(feature = "gdal") {
                return Err(r.invalid(
                    "outputs.formats",
                    format!("'{f}' needs lifecircle built with the gdal feature (cargo build --features gdal)"),
                ));
            }
            if !vector_formats.contains(&format) {
                vector_formats.push(format);
            }
        }
        let study_area = match &self.study.area {
            None => None,
            Some(a) => {
                let sec = LayerSection {
                    path: a.path.clone(),
                    crs: a.crs.clone(),
                    layer: a.layer.clone(),
                    encoding: Encoding::default(),
                    delimiter: None,
                    fields: a.fields.clone(),
                    geometry: None,
                    grid_cell_m: None,
                    kind_labels: BTreeMap::new(),
                    unknown_kinds: None,
                    weight: None,
                };
                let (layer, fields) = r.layer("study.area", &sec, &[])?;
                if a.id.trim().is_empty() {
                    return Err(r.invalid("study.area.id", "is empty: name the polygon to keep"));
                }
                let longest = circles.iter().map(|c| c.radius_m()).fold(0.0, f64::max);
                let buffer_m = a.buffer_m.unwrap_or(longest);
                if !(buffer_m.is_finite() && (0.0..=MAX_DISTANCE_M).contains(&buffer_m)) {
                    return Err(r.invalid(
                        "study.area.buffer_m",
                        format!("{buffer_m}: expected metres ≥ 0 and at most {MAX_DISTANCE_M}"),
                    ));
                }
                Some(StudyAreaLayer {
                    layer: AreaLayer { layer, fields },
                    id: a.id.trim().to_string(),
                    buffer_m,
                    buffer_stated: a.buffer_m.is_some(),
                })
            }
        };
        Ok(Plan {
            study_area,
            vector_formats,
            cells_format: self.outputs.cells,
            report,
            file: path.to_path_buf(),
            name: self.study.name,
            analysis_crs,
            output_dir: r.base.join(self.study.output_dir),
            standards,
            circles,
            population,
            facilities,
            subdistricts,
            committees,
            network,
            siting,
            walking_speeds,
        })
    }
}

/// Checks `[siting]` against the circles.
fn resolve_siting(
    r: &Resolver,
    sec: &SitingSection,
    circles: &[Circle],
) -> Result<Siting, PlanError> {
    let kind = sec
        .kind
        .parse::<FacilityKind>()
        .map_err(|e| r.invalid("siting.kind", e))?;
    let circle = match &sec.circle {
        Some(name) => circles
            .iter()
            .position(|c| &c.name == name)
            .ok_or_else(|| r.invalid("siting.circle", format!("no circle named '{name}'")))?,
        None => circles
            .iter()
            .position(|c| c.kinds.contains(&kind))
            .ok_or_else(|| {
                r.invalid(
                    "siting.circle",
                    format!("no circle includes {kind}; name one with circle = \"...\""),
                )
            })?,
    };
    let p = match (sec.model, sec.p) {
        (SitingModel::Lscp, _) => 0,
        (_, Some(p)) if p > 0 => p,
        _ => return Err(r.invalid("siting.p", "mclp and pmedian need p ≥ 1 new sites")),
    };
    let share = sec.coverage_share.unwrap_or(1.0);
    if !(share > 0.0 && share <= 1.0) {
        return Err(r.invalid(
            "siting.coverage_share",
            format!("{share}: expected a share in (0, 1]"),
        ));
    }
    if !(sec.candidate_spacing_m.is_finite()
        && sec.candidate_spacing_m > 0.0
        && sec.candidate_spacing_m <= MAX_DISTANCE_M)
    {
        return Err(r.invalid(
            "siting.candidate_spacing_m",
            format!(
                "{}: expected metres > 0 and at most {MAX_DISTANCE_M}",
                sec.candidate_spacing_m
            ),
        ));
    }
    if let Some(c) = sec.capacity_per_site {
        if !(c.is_finite() && c > 0.0) {
            return Err(r.invalid(
                "siting.capacity_per_site",
                format!("{c}: expected people > 0"),
            ));
        }
    }
    if let Some(max) = sec.max_per_subdistrict {
        if max < sec.min_per_subdistrict {
            return Err(r.invalid(
                "siting.max_per_subdistrict",
                format!(
                    "{max} is below min_per_subdistrict = {}",
                    sec.min_per_subdistrict
                ),
            ));
        }
    }
    if !(sec.time_limit_s.is_finite() && sec.time_limit_s > 0.0) {
        return Err(r.invalid(
            "siting.time_limit_s",
            format!(
                "{} is not a time limit: expected seconds > 0, e.g. 60",
                sec.time_limit_s
            ),
        ));
    }
    if let Some(id) = sec.force.iter().find(|id| sec.exclude.contains(id)) {
        return Err(r.invalid(
            "siting.force",
            format!("'{id}' is also in exclude: a site cannot be both forced and excluded"),
        ));
    }
    let candidates = sec
        .candidates
        .as_ref()
        .map(|c| {
            r.layer("siting.candidates", c, &[])
                .map(|(layer, fields)| CandidateLayer { layer, fields })
        })
        .transpose()?;
    if sec.solver == SitingSolver::Highs && !cfg!(feature = "highs") {
        return Err(r.invalid(
            "siting.solver",
            "\"highs\" needs lifecircle built with the highs feature (cargo build --features highs)",
        ));
    }
    Ok(Siting {
        model: sec.model,
        kind,
        circle,
        p,
        coverage_share: share,
        min_per_subdistrict: sec.min_per_subdistrict,
        max_per_subdistrict: sec.max_per_subdistrict,
        candidates,
        candidate_spacing_m: sec.candidate_spacing_m,
        force: sec.force.clone(),
        exclude: sec.exclude.clone(),
        capacity_per_site: sec.capacity_per_site,
        node_limit: sec.node_limit,
        time_limit_s: sec.time_limit_s,
        solver: sec.solver,
    })
}

/// Checks one `[[circles]]` entry and resolves its reach: minutes without a speed use the
/// walking speed of the circle's age band.
fn resolve_circle(
    c: &CircleSection,
    speeds: &BTreeMap<AgeBand, (f64, String)>,
    default_method: Method,
) -> Result<Circle, String> {
    if c.name.is_empty()
        || !c
            .name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    {
        return Err(format!(
            "name '{}': use letters, digits and _ only (it becomes a column name)",
            c.name
        ));
    }
    let positive = |what: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(format!("{what} = {v}: expected a number > 0"))
        }
    };
    let reach = match (c.distance_m, c.minutes) {
        (Some(d), None) => {
            if c.speed_m_per_s.is_some() {
                return Err("speed_m_per_s applies to minutes, not to distance_m".into());
            }
            Reach::Distance {
                distance_m: positive("distance_m", d)?,
            }
        }
        (None, Some(min)) => {
            let speed = match c.speed_m_per_s {
                Some(s) => s,
                None => speeds.get(&c.age_band).map_or(1.0, |s| s.0),
            };
            let speed_m_per_s = positive("speed_m_per_s", speed)?;
            if speed_m_per_s > MAX_SPEED_M_PER_S {
                return Err(format!(
                    "speed_m_per_s = {speed_m_per_s}: expected at most {MAX_SPEED_M_PER_S} m/s (walking)"
                ));
            }
            Reach::Walk {
                minutes: positive("minutes", min)?,
                speed_m_per_s,
            }
        }
        (Some(_), Some(_)) => return Err("give distance_m or minutes, not both".into()),
        (None, None) => return Err("give distance_m or minutes".into()),
    };
    if c.kinds.is_empty() {
        return Err("kinds: list at least one facility kind".into());
    }
    let kinds = c
        .kinds
        .iter()
        .map(|k| k.parse::<FacilityKind>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Circle {
        name: c.name.clone(),
        label: c.label.clone().unwrap_or_else(|| c.name.clone()),
        reach,
        kinds,
        require: c.require,
        age_band: c.age_band,
        method: c.method.unwrap_or(default_method),
        source: "plan file".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[study]
name = "t"
[population]
path = "pop.csv"
[facilities]
path = "fac.csv"
crs = "GCJ02"
"#;

    /// MINIMAL with `extra` lines added to `[population]` (it is the second table).
    fn with_population(extra: &str) -> Result<Plan, PlanError> {
        let text = MINIMAL.replace(
            "path = \"pop.csv\"",
            &format!("path = \"pop.csv\"\n{extra}"),
        );
        Plan::parse(&text, Path::new("/d/plan.toml"))
    }

    #[test]
    fn population_weight_replaces_count_columns() {
        let p = with_population("weight = 1").unwrap();
        let w = p.population.weight;
        assert_eq!(
            (w.residents, w.aged_60, w.aged_65),
            (Some(1.0), Some(1.0), None)
        );
        assert!(p.population.fields.residents.is_weighted());
        assert_eq!(p.population.fields.residents.column(), None);
        assert_eq!(p.population.fields.aged_65.column(), Some("aged_65_plus"));
        let p = with_population("weight = { residents = 100, aged_60 = 35 }").unwrap();
        assert_eq!(p.population.weight.aged_60, Some(35.0));
        let e = with_population("weight = { residents = 10, aged_60 = 35 }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("60+ = 35 exceeds all = 10"), "{e}");
        let e = with_population("weight = -1").unwrap_err().to_string();
        assert!(e.contains("expected people per record"), "{e}");
        let e = with_population("weight = 1\nfields = { residents = \"pop\" }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("give one of them"), "{e}");
        let e = Plan::parse(
            &MINIMAL.replace("crs = \"GCJ02\"", "crs = \"GCJ02\"\nweight = 1"),
            Path::new("/d/plan.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("'weight' does not apply to this layer"), "{e}");
    }

    #[test]
    fn study_area_buffer_defaults_to_the_longest_circle() {
        let text = MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\narea = { path = \"districts.geojson\", id = \"310104\", fields = { id = \"adcode\" } }",
        );
        let p = Plan::parse(&text, Path::new("/d/plan.toml")).unwrap();
        let a = p.study_area.unwrap();
        assert_eq!(a.layer.layer.path, PathBuf::from("/d/districts.geojson"));
        assert_eq!(a.layer.fields.id.column(), Some("adcode"));
        // The preset's circles: 900 m, 300 m and the 1000 m day-centre radius.
        assert_eq!((a.buffer_m, a.buffer_stated), (1000.0, false));
        let e = Plan::parse(
            &text.replace("id = \"310104\"", "id = \"310104\", buffer_m = -5"),
            Path::new("/d/plan.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("study.area.buffer_m"), "{e}");
    }

    #[test]
    fn minimal_plan_uses_preset_circles() {
        let p = Plan::parse(MINIMAL, Path::new("/data/plan.toml")).unwrap();
        assert_eq!(p.circles.len(), 3);
        assert_eq!(p.facilities.layer.crs, InputCrs::Gcj02);
        assert_eq!(p.population.layer.path, PathBuf::from("/data/pop.csv"));
        assert_eq!(p.output_dir, PathBuf::from("/data/outputs"));
    }

    #[test]
    fn circles_and_overrides_resolve() {
        let text = format!(
            "{MINIMAL}\n[standards]\npreset = \"shanghai-2025\"\n[standards.overrides]\nelderly_walk_speed_m_per_s = 0.8\n\
             [[circles]]\nname = \"walk10\"\nminutes = 10\nkinds = [\"meal_point\"]\n"
        );
        let p = Plan::parse(&text, Path::new("plan.toml")).unwrap();
        assert_eq!(p.circles.len(), 1);
        assert!((p.circles[0].radius_m() - 480.0).abs() < 1e-9);
    }

    #[test]
    fn network_and_walking_speeds() {
        let text = format!(
            "{MINIMAL}\n[network]\npath = \"streets.osm.pbf\"\n[walking_speed_m_per_s]\n\"80+\" = 0.75\n\
             [[circles]]\nname = \"old\"\nminutes = 10\nage_band = \"80+\"\nkinds = [\"meal_point\"]\n\
             [[circles]]\nname = \"line\"\ndistance_m = 500\nmethod = \"straight_line\"\nkinds = [\"meal_point\"]\n"
        );
        let p = Plan::parse(&text, Path::new("/d/plan.toml")).unwrap();
        assert_eq!(
            p.network.as_ref().unwrap().path,
            PathBuf::from("/d/streets.osm.pbf")
        );
        assert_eq!(p.network.as_ref().unwrap().max_snap_m, 300.0);
        // 10 min × 0.75 m/s, walked along the network by default.
        assert!((p.circles[0].radius_m() - 450.0).abs() < 1e-9);
        assert_eq!(p.circles[0].method, Method::Network);
        assert_eq!(p.circles[1].method, Method::StraightLine);
        // The preset's circles follow the network too when none are listed.
        let text = format!("{MINIMAL}\n[network]\npath = \"s.osm\"\n");
        let p = Plan::parse(&text, Path::new("plan.toml")).unwrap();
        assert!(p.circles.iter().all(|c| c.method == Method::Network));
        // A network circle without a network is an error.
        let text = format!(
            "{MINIMAL}\n[[circles]]\nname = \"x\"\ndistance_m = 5\nmethod = \"network\"\nkinds = [\"meal_point\"]\n"
        );
        let err = Plan::parse(&text, Path::new("plan.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a [network]"), "{err}");
        let text = format!("{MINIMAL}\n[walking_speed_m_per_s]\n\"90+\" = 0.5\n");
        let err = Plan::parse(&text, Path::new("plan.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown age band '90+'"), "{err}");
    }

    #[test]
    fn fields_default_and_override_by_name() {
        let text = format!(
            "{MINIMAL}[population.fields]\naged_80 = \"\"\nlon = \"x\"\n\
             [facilities.fields]\nkind = \"类型\"\n\
             [subdistricts]\npath = \"s.geojson\"\n[subdistricts.fields]\nparent = \"district\"\n\
             [siting]\nmodel = \"mclp\"\nkind = \"day_care\"\np = 1\n\
             candidates = {{ path = \"c.csv\", fields = {{ capacity = \"cap\" }} }}\n"
        );
        let p = Plan::parse(&text, Path::new("/d/plan.toml")).unwrap();
        let f = &p.population.fields;
        assert_eq!(f.aged_60.column(), Some("aged_60_plus"));
        assert!(!f.aged_60.is_explicit());
        assert_eq!(f.aged_80.column(), None);
        assert!(f.aged_80.is_explicit());
        assert_eq!((f.lon.column(), f.lat.column()), (Some("x"), Some("lat")));
        assert_eq!(f.band(AgeBand::Aged65), ("aged_65", &f.aged_65));
        let f = &p.facilities.fields;
        assert_eq!(f.kind.column(), Some("类型"));
        assert!(f.kind.is_explicit() && !f.id.is_explicit());
        assert_eq!(f.floor_area_m2.column(), Some("floor_area_m2"));
        let a = &p.subdistricts.as_ref().unwrap().fields;
        assert_eq!(
            (a.id.column(), a.name.column(), a.parent.column()),
            (Some("id"), Some("name"), Some("district"))
        );
        let c = &p
            .siting
            .as_ref()
            .unwrap()
            .candidates
            .as_ref()
            .unwrap()
            .fields;
        assert_eq!(
            (c.id.column(), c.capacity.column()),
            (Some("id"), Some("cap"))
        );
        assert_eq!(p.committees.as_ref().map(|c| c.fields.clone()), None);
        // With no fields table at all, the defaults.
        let p = Plan::parse(MINIMAL, Path::new("plan.toml")).unwrap();
        assert_eq!(p.population.fields, PopulationFields::default());
        assert_eq!(p.facilities.fields, FacilityFields::default());
        assert_eq!(p.facilities.fields.kind.column(), Some("type"));
        assert_eq!(AreaFields::default().parent.column(), Some("subdistrict"));
    }

    #[test]
    fn misspelt_field_keys_name_the_file_section_and_keys() {
        let cases = [
            (
                "[population.fields]\naged60 = \"a\"\n",
                "p.toml: population.fields: unknown field `aged60`, expected one of `id`, \
                 `residents`, `aged_60`, `aged_65`, `aged_80`, `lon`, `lat`, `subdistrict`",
            ),
            (
                "[facilities.fields]\nbed = \"b\"\n",
                "p.toml: facilities.fields: unknown field `bed`, expected one of `id`, `name`, \
                 `kind`, `floor_area_m2`, `beds`, `nursing_beds`, `meals_per_day`, `day_places`, \
                 `basic_beds`, `social_workers`, `subdistrict`, `lon`, `lat`",
            ),
            (
                "[committees]\npath = \"c.geojson\"\n[committees.fields]\nsubdistrict = \"s\"\n",
                "p.toml: committees.fields: unknown field `subdistrict`, expected one of `id`, \
                 `name`, `parent`",
            ),
            (
                "[siting]\nmodel = \"lscp\"\nkind = \"meal_point\"\n\
                 candidates = { path = \"c.csv\", fields = { cap = \"c\" } }\n",
                "p.toml: siting.candidates.fields: unknown field `cap`, expected one of `id`, \
                 `lon`, `lat`, `capacity`",
            ),
        ];
        for (extra, expected) in cases {
            let text = format!("{MINIMAL}{extra}");
            let err = Plan::parse(&text, Path::new("p.toml"))
                .unwrap_err()
                .to_string();
            assert_eq!(err, expected);
        }
    }

    #[test]
    fn age_bands_deserialise_with_the_valid_labels_in_errors() {
        let text = format!(
            "{MINIMAL}[walking_speed_m_per_s]\nall = 1.3\n\"65+\" = 0.9\n\
             [[circles]]\nname = \"a\"\nminutes = 10\nage_band = \"65+\"\nkinds = [\"meal_point\"]\n"
        );
        let p = Plan::parse(&text, Path::new("plan.toml")).unwrap();
        assert_eq!(p.walking_speeds[&AgeBand::Residents].0, 1.3);
        assert_eq!(p.walking_speeds[&AgeBand::Aged65].0, 0.9);
        assert_eq!(p.circles[0].age_band, AgeBand::Aged65);
        assert!((p.circles[0].radius_m() - 540.0).abs() < 1e-9);
        let text = format!(
            "{MINIMAL}[[circles]]\nname = \"a\"\nminutes = 10\nage_band = \"70+\"\nkinds = [\"meal_point\"]\n"
        );
        let err = Plan::parse(&text, Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("p.toml")
                && err.contains("unknown age band '70+'; expected all, 60+, 65+ or 80+"),
            "{err}"
        );
        let text = format!("{MINIMAL}[walking_speed_m_per_s]\n\"80+\" = 0\n");
        let err = Plan::parse(&text, Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("walking_speed_m_per_s: 80+ = 0: expected m/s > 0"),
            "{err}"
        );
        for band in AgeBand::ALL {
            assert_eq!(band.to_string().parse::<AgeBand>(), Ok(band));
        }
    }

    #[test]
    fn siting_quotas_and_force_lists_must_agree() {
        let siting = "[siting]\nmodel = \"mclp\"\nkind = \"day_care\"\np = 2\n";
        let cases = [
            (
                "min_per_subdistrict = 2\nmax_per_subdistrict = 1\n",
                "p.toml: siting.max_per_subdistrict: 1 is below min_per_subdistrict = 2",
            ),
            (
                "force = [\"A\", \"B\"]\nexclude = [\"C\", \"B\"]\n",
                "p.toml: siting.force: 'B' is also in exclude",
            ),
        ];
        for (extra, expected) in cases {
            let text = format!("{MINIMAL}{siting}{extra}");
            let err = Plan::parse(&text, Path::new("p.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(expected), "{err}");
        }
    }

    #[test]
    fn bad_plans_name_the_problem() {
        let cases = [
            (
                "[[circles]]\nname = \"x\"\nkinds = [\"meal_point\"]\n",
                "distance_m or minutes",
            ),
            (
                "[[circles]]\nname = \"x\"\ndistance_m = 100\nkinds = [\"pub\"]\n",
                "unknown facility kind 'pub'",
            ),
            (
                "[[circles]]\nname = \"x y\"\ndistance_m = 100\nkinds = [\"meal_point\"]\n",
                "letters, digits",
            ),
            (
                "[[circles]]\nname = \"x\"\ndistance_m = -5\nkinds = [\"meal_point\"]\n",
                "expected a number > 0",
            ),
            (
                "[standards.overrides]\nfloor_area = 3\n",
                "unknown standard 'floor_area'",
            ),
            (
                "[facilities.kind_labels]\n\"养老顾问点\" = \"advice\"\n",
                "'养老顾问点': unknown facility kind",
            ),
        ];
        for (extra, expected) in cases {
            let text = format!("{MINIMAL}\n{extra}");
            let err = Plan::parse(&text, Path::new("p.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
            assert!(err.starts_with("p.toml"), "{err}");
        }
        let err = Plan::parse("[study]\nname = 1\n", Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.toml") && err.contains("line"), "{err}");
    }
}
