//! The run summary: every assumption, input count, district total, warning and output of a
//! run, as typed values. `summary.json`, the CLI printout and the HTML report are all
//! rendered from a [`Summary`]; its field order is the order of `summary.json`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Serialize, Serializer};

use crate::analysis::Analysis;
pub use crate::checks::{Checks, Warning, WarningCode};
use crate::crs::AnalysisCrs;
use crate::model::{FacilityKind, Study};
use crate::plan::{Layer, Plan};
use crate::proposal::Proposal;
use crate::study::{BuildReport, Skipped};

/// Serialises a list of pairs as a JSON object, keeping the list's order.
fn ordered<S: Serializer, V: Serialize>(v: &[(String, V)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(k, v)| (k, v)))
}

/// Rounds to `digits` decimals, as the summary reports figures (never `-0`).
fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f + 0.0
}

/// The whole summary (`summary.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Version of lifecircle that made the run.
    pub lifecircle_version: &'static str,
    /// `[study] name`.
    pub plan: String,
    /// The plan's file name.
    pub plan_file: String,
    /// `[report] date`: the report's date as printed (`null`: not set; no clock is read).
    pub date: Option<String>,
    /// `[report] data_vintage`: where and when the data come from.
    pub data_vintage: Option<String>,
    /// The metric CRS of every measurement.
    pub analysis_crs: CrsSummary,
    /// How each distance method measures.
    pub distance_methods: DistanceMethods,
    /// The street network, when the plan has one.
    pub network: Option<NetworkSummary>,
    /// Every circle measured.
    pub circles: Vec<CircleSummary>,
    /// The standards preset and every target with its source.
    pub standards: StandardsSummary,
    /// What was read.
    pub inputs: InputsSummary,
    /// `[study.area]`: the polygon every layer was clipped to and what clipping kept
    /// (`null`: no study area; every record read was analysed).
    pub study_area: Option<crate::study_area::ClipReport>,
    /// District totals and coverage.
    pub totals: Totals,
    /// What the checks before the analysis decided: outliers left out, layer extents.
    pub checks: Checks,
    /// Everything the user should know about the figures, each with its code.
    pub warnings: Vec<Warning>,
    /// Data files of the run (GeoJSON, tables), in writing order.
    pub outputs: Vec<String>,
    /// How the population cells were written (`[outputs] cells`, or by the cell count).
    pub cells_output: CellsOutput,
    /// The siting stage, when the plan has `[siting]` (`null` otherwise).
    pub siting: Option<SitingSummary>,
    /// The maps, when drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maps: Option<MapsSummary>,
    /// The HTML report's file name, when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

/// The format of the population cells' file, and why.
#[derive(Debug, Clone, Serialize)]
pub struct CellsOutput {
    /// `geojson`, `geoparquet` or `both`.
    pub format: &'static str,
    /// The files: `cells.geojson` and/or `cells.parquet`.
    pub files: Vec<&'static str>,
    /// Why: set in the plan, or the cell count against the threshold.
    pub chosen: String,
}

impl CellsOutput {
    /// The summary of writing `cells` cells as `format`; `stated`: set in the plan.
    pub fn new(format: crate::plan::CellsFormat, cells: usize, stated: bool) -> CellsOutput {
        use crate::plan::{CellsFormat as F, GEOPARQUET_ABOVE_CELLS};
        let (name, files) = match format {
            F::Geojson => ("geojson", vec!["cells.geojson"]),
            F::Geoparquet => ("geoparquet", vec!["cells.parquet"]),
            F::Both => ("both", vec!["cells.geojson", "cells.parquet"]),
        };
        let chosen = if stated {
            "set in the plan ([outputs] cells)".to_string()
        } else if cells > GEOPARQUET_ABOVE_CELLS {
            format!("{cells} cells, more than {GEOPARQUET_ABOVE_CELLS}: GeoParquet (set [outputs] cells = \"geojson\" or \"both\" for GeoJSON)")
        } else {
            format!("{cells} cells, at most {GEOPARQUET_ABOVE_CELLS}: GeoJSON")
        };
        CellsOutput {
            format: name,
            files,
            chosen,
        }
    }
}

/// The analysis CRS.
#[derive(Debug, Clone, Serialize)]
pub struct CrsSummary {
    /// EPSG code.
    pub epsg: u32,
    /// Its name, e.g. "WGS 84 / UTM zone 51N".
    pub name: String,
    /// How it was chosen.
    pub chosen: &'static str,
}

/// What each distance method means.
#[derive(Debug, Clone, Serialize)]
pub struct DistanceMethods {
    /// The straight-line method.
    pub straight_line: &'static str,
    /// The network method.
    pub network: &'static str,
}

/// The street network part of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkSummary {
    /// The OSM file's name.
    pub file: Option<String>,
    /// How segment lengths are measured.
    pub edge_lengths: &'static str,
    /// Ways with a `highway` tag read from the file.
    pub ways_with_highway_tag: usize,
    /// Of them, walkable.
    pub ways_walkable: usize,
    /// Ways left out, by rule.
    pub ways_excluded: BTreeMap<&'static str, usize>,
    /// Node references of walkable ways with no node in the file (each reference counts).
    pub missing_node_refs: usize,
    /// Graph nodes.
    pub nodes: usize,
    /// Graph segments (each node pair once).
    pub segments: usize,
    /// Walkable street, km (2 decimals): each stretch once, links across squares left out.
    pub total_length_km: f64,
    /// Connected pieces of the network.
    pub components: usize,
    /// Of them, street islands: never snap targets (see `min_component_nodes`).
    pub islands: usize,
    /// Graph nodes on islands.
    pub island_nodes: usize,
    /// Street on islands, km (2 decimals).
    pub island_km: f64,
    /// A piece other than the largest with fewer nodes than this is an island.
    pub min_component_nodes: usize,
    /// A piece other than the largest with less street than this, m, is an island.
    pub min_component_m: f64,
    /// Cells nearer a street island than any connected street, snapped to the connected
    /// street instead.
    pub cells_moved_off_islands: usize,
    /// Residents in them.
    pub residents_moved_off_islands: f64,
    /// Ids of facilities moved off islands the same way.
    pub facilities_moved_off_islands: Vec<String>,
    /// Share of the walkable length on footways, paths, pedestrian streets, steps, living
    /// streets, tracks, cycleways and service ways (4 decimals); below 0.05 the network
    /// looks drive-only.
    pub pedestrian_length_share: Option<f64>,
    /// Share of walkable way-node references missing from the file (4 decimals).
    pub missing_node_ref_share: Option<f64>,
    /// Walkable ways with missing node references.
    pub ways_with_missing_nodes: usize,
    /// Network distances are measured up to this, m (coverage still by each reach).
    pub distance_cap_m: Option<f64>,
    /// Walks longer than this × the straight line (and 250 m more) are detours.
    pub detour_factor: f64,
    /// Cells with a detour to the nearest facility of some kind.
    pub cells_with_detours: usize,
    /// Residents in them.
    pub residents_with_detours: f64,
    /// Cells with detours per sub-district (those with any), in sub-district order.
    #[serde(serialize_with = "ordered")]
    pub detours_by_subdistrict: Vec<(String, usize)>,
    /// Snapping distance, m.
    pub max_snap_m: f64,
    /// Cells farther than `max_snap_m` from a street.
    pub cells_not_snapped: usize,
    /// Residents in them.
    pub residents_not_snapped: f64,
    /// People aged 60+ in them.
    pub aged_60_plus_not_snapped: f64,
    /// Ids of facilities farther than `max_snap_m` from a street.
    pub facilities_not_snapped: Vec<String>,
}

/// One circle as measured.
#[derive(Debug, Clone, Serialize)]
pub struct CircleSummary {
    /// Identifier used in column names.
    pub name: String,
    /// Human label.
    pub label: String,
    /// Reach as written, e.g. "15 min at 1.0 m/s".
    pub reach: String,
    /// Reach, m.
    pub radius_m: f64,
    /// Facility kinds (ids).
    pub kinds: Vec<&'static str>,
    /// "all" or "any".
    pub require: String,
    /// Age band of the people counted.
    pub age_band: String,
    /// "network" or "straight_line".
    pub method: String,
    /// Where the circle comes from.
    pub source: String,
}

/// A target of the standards.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    /// The target value.
    pub value: f64,
    /// Preset and section.
    pub source: String,
    /// What it measures.
    pub description: &'static str,
}

/// The standards in force.
#[derive(Debug, Clone, Serialize)]
pub struct StandardsSummary {
    /// Preset name.
    pub preset: String,
    /// Every target by its key, in key order.
    #[serde(serialize_with = "ordered")]
    pub targets: Vec<(String, TargetSummary)>,
}

/// An input layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    /// File name.
    pub file: String,
    /// Its CRS as declared.
    pub crs: String,
}

/// What was read.
#[derive(Debug, Clone, Serialize)]
pub struct InputsSummary {
    /// The population layer.
    pub population: LayerSummary,
    /// Records read from it.
    pub population_records: usize,
    /// Cells analysed (after spreading polygons).
    pub population_cells: usize,
    /// Grid size census polygons were spread onto, m.
    pub population_spread_onto_grid_m: Option<f64>,
    /// The facility layer.
    pub facilities: LayerSummary,
    /// Facilities per kind (kinds present only), in kind order; with `[study.area]`, those
    /// inside it.
    #[serde(serialize_with = "ordered")]
    pub facilities_by_kind: Vec<(String, usize)>,
    /// With `[study.area]`: facilities beyond its edge, within its buffer (they serve its
    /// residents; not counted above or as provision).
    pub facilities_beyond_study_area: usize,
    /// Sub-districts read (or named by the population layer's `subdistrict` field).
    pub subdistricts: usize,
    /// The sub-districts are the names in the population layer's `subdistrict` field, with
    /// no polygons (no `[subdistricts]` layer).
    pub subdistricts_from_field: bool,
    /// Committees read.
    pub committees: usize,
}

/// One circle's district total.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageTotal {
    /// Circle name.
    pub circle: String,
    /// Age band counted.
    pub age_band: String,
    /// People of the band.
    pub people: f64,
    /// Of them covered, by the circle's method.
    pub covered: f64,
    /// Covered share (4 decimals).
    pub share: Option<f64>,
    /// Straight-line share for network circles.
    pub straight_line_share: Option<f64>,
}

/// District totals.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Residents.
    pub residents: f64,
    /// People aged 60+.
    pub aged_60_plus: f64,
    /// People aged 65+.
    pub aged_65_plus: f64,
    /// People aged 80+.
    pub aged_80_plus: f64,
    /// Per circle.
    pub coverage: Vec<CoverageTotal>,
}

/// A district figure after the proposal.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum AfterFigure {
    /// A provision indicator.
    Indicator {
        /// Indicator key.
        indicator: String,
        /// Value after.
        value: Option<f64>,
        /// Target.
        target: Option<f64>,
        /// Gap after.
        gap: Option<f64>,
        /// Met after.
        met: Option<bool>,
    },
    /// A circle's covered share.
    Coverage {
        /// `coverage_<circle>`.
        indicator: String,
        /// Share after.
        value: Option<f64>,
    },
}

/// The siting stage.
#[derive(Debug, Clone, Serialize)]
pub struct SitingSummary {
    /// "MCLP", "LSCP", "p-median" with its parameter.
    pub model: String,
    /// Sited kind (id).
    pub kind: &'static str,
    /// Circle whose reach is used.
    pub circle: String,
    /// Reach, m.
    pub reach_m: f64,
    /// Method of the circle.
    pub method: String,
    /// Age band of the circle.
    pub age_band: String,
    /// Candidate sites.
    pub candidates: usize,
    /// "layer" or "generated".
    pub candidates_from: &'static str,
    /// (cell, candidate) pairs within reach.
    pub pairs_within_reach: usize,
    /// Sites opened.
    pub new_sites: usize,
    /// Objective value.
    pub objective: f64,
    /// Best proven bound.
    pub bound: f64,
    /// Relative gap (`null` when infinite).
    pub gap: f64,
    /// How it was found and proven.
    pub solved_by: String,
    /// Whether the answer is proven optimal (gap 0); when not, `gap` bounds how far from
    /// the optimum it can be.
    pub proven_optimal: bool,
    /// The wall-clock limit the solver had, s.
    pub time_limit_s: f64,
    /// People within reach before.
    pub covered_before: f64,
    /// People within reach after, re-measured.
    pub covered_after: f64,
    /// People of the band in the study.
    pub people: f64,
    /// What the re-check verified.
    pub recheck: &'static str,
    /// Capacity of each new site.
    pub capacity_per_site: Option<f64>,
    /// People the new sites serve (capacitated).
    pub served_by_new_sites: Option<f64>,
    /// Quota per sub-district (existing included).
    pub min_per_subdistrict: usize,
    /// Maximum per sub-district.
    pub max_per_subdistrict: Option<usize>,
    /// District figures after the proposal.
    pub district_after: Vec<AfterFigure>,
    /// The new sites in priority order (the order in which to build them: each adds the
    /// most given the existing facilities and every higher rank).
    pub priority: Vec<PrioritySite>,
    /// Per 街镇 and for the district (last, `subdistrict` null): facilities of the sited kind
    /// and people within reach before and after the proposal.
    pub before_after: Vec<BeforeAfter>,
}

/// One row of the before/after table.
#[derive(Debug, Clone, Serialize)]
pub struct BeforeAfter {
    /// The 街镇's name (`None`: the district).
    pub subdistrict: Option<String>,
    /// Facilities of the kind today.
    pub existing: usize,
    /// New sites proposed there.
    pub new: usize,
    /// People of the circle's band.
    pub people: f64,
    /// Of them within reach before.
    pub covered_before: f64,
    /// Of them within reach after.
    pub covered_after: f64,
}

/// One proposed site in priority order.
#[derive(Debug, Clone, Serialize)]
pub struct PrioritySite {
    /// 1 = build first.
    pub rank: usize,
    /// Candidate id.
    pub id: String,
    /// The 街镇 it lies in (name), if any.
    pub subdistrict: Option<String>,
    /// The OSM name of the nearest street within 100 m, where the network has one.
    pub street: Option<String>,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// People of the circle's band newly within reach when it is built after the higher ranks.
    pub newly_covered: f64,
    /// People within reach of the kind once it and every higher rank are built.
    pub cumulative_covered: f64,
    /// `cumulative_covered` as a share of the band's people, 0–1.
    pub cumulative_share: Option<f64>,
}

/// The maps drawn.
#[derive(Debug, Clone, Serialize)]
pub struct MapsSummary {
    /// Path of the font used for labels.
    pub font: Option<String>,
    /// Which labels the maps carry.
    pub labels: &'static str,
    /// PNG size, px.
    pub size_px: [u32; 2],
    /// Map file names.
    pub files: Vec<String>,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Warnings from building the study and reading facilities.
pub fn warnings(report: &BuildReport, skipped: &Skipped) -> Vec<Warning> {
    use WarningCode as W;
    let mut w = Vec::new();
    if report.cells_outside_subdistricts > 0 {
        w.push(Warning::new(W::CellsOutsideSubdistricts, format!(
            "{} population cells ({:.0} residents) lie in no sub-district polygon; they count in the district totals only",
            report.cells_outside_subdistricts, report.residents_outside_subdistricts
        )));
    }
    if report.cells_outside_committees > 0 {
        w.push(Warning::new(
            W::CellsOutsideCommittees,
            format!(
                "{} population cells lie in no residential-committee polygon",
                report.cells_outside_committees
            ),
        ));
    }
    if !report.facilities_outside_subdistricts.is_empty() {
        w.push(Warning::new(
            W::FacilitiesOutsideSubdistricts,
            format!(
                "{} facilities lie in no sub-district{}: {}",
                report.facilities_outside_subdistricts.len(),
                if report.subdistricts_from_field {
                    " (the sub-districts are the population layer's subdistrict names, without polygons: give the facilities a subdistrict field with the same names to count them per 街镇; they count in the district totals)"
                } else {
                    ""
                },
                report.facilities_outside_subdistricts.join(", ")
            ),
        ));
    }
    for (id, given, found) in &report.facilities_subdistrict_mismatch {
        w.push(Warning::new(W::FacilitySubdistrictMismatch, format!(
            "facility {id}: sub-district given as '{given}' but it lies in '{found}' (the polygon is used)"
        )));
    }
    for (label, rows) in &skipped.unknown_labels {
        w.push(Warning::new(
            W::SkippedFacilities,
            format!(
                "skipped {} facilities with unknown label '{label}' ({})",
                rows.len(),
                rows.join(", ")
            ),
        ));
    }
    w
}

/// A number as summary.json writes it (shortest round-trip form, `.0` on whole numbers), so
/// that a warning quoting a figure reads as the JSON does.
fn json_num(x: f64) -> String {
    format!("{x:?}")
}

/// What clipping to the study area means for the figures, and what it found.
fn study_area_warnings(plan: &Plan, a: &Analysis) -> Vec<Warning> {
    use WarningCode as W;
    let mut out = Vec::new();
    if let (Some(c), Some(layer)) = (&a.clip, &plan.study_area) {
        if !layer.layer.layer.crs_stated {
            out.push(Warning::new(W::StudyAreaCrsAssumed, format!(
                "[study.area] {}: no crs stated, so its coordinates were taken as WGS84; Amap, Tencent and most Chinese web-map boundaries are GCJ-02 (crs = \"GCJ02\"), offset by several hundred metres, which moves records across the edge",
                layer.layer.layer.path.display()
            )));
        }
        if c.facilities_in_buffer > 0 {
            out.push(Warning::new(W::StudyAreaEdge, format!(
                "study area {} ({}): {} facilities beyond its edge (within {} m) serve its residents, but the residents beyond the edge who also use them are not in this run, so 2SFCA accessibility (access_*_per_1000) near the edge is too high; and a nearest distance longer than {} m may be longer than the true one (facilities farther beyond the edge were left out). Coverage of circles up to {} m is exact",
                c.id,
                c.name,
                c.facilities_in_buffer,
                json_num(c.buffer_m),
                json_num(c.buffer_m),
                json_num(c.buffer_m)
            )));
        }
    }
    if a.build.subdistricts_from_field {
        let study = &a.study;
        let mut cells = vec![0usize; study.subdistricts.len()];
        for c in &study.cells {
            if let Some(s) = c.subdistrict {
                cells[s] += 1;
            }
        }
        let few: Vec<String> = study
            .subdistricts
            .iter()
            .zip(&cells)
            .filter(|(_, &n)| n < 10 && (n as f64) < 0.01 * study.cells.len() as f64)
            .map(|(s, n)| format!("{} ({n})", s.name))
            .collect();
        if !few.is_empty() {
            out.push(Warning::new(W::FewRecordsSubdistrict, format!(
                "{} sub-district names of the population layer's subdistrict field hold fewer than 10 records and under 1 % of them here: {}; a geocoding error or a record just across a boundary? Each still gets a row and verdicts in subdistricts.csv",
                few.len(),
                few.join(", ")
            )));
        }
    }
    out
}

fn network_summary(plan: &Plan, a: &Analysis) -> Option<NetworkSummary> {
    let (ctx, stats) = a.network.as_ref().zip(a.network_stats)?;
    let study = &a.study;
    let unsnapped: Vec<usize> = (0..study.cells.len())
        .filter(|&i| ctx.cell_snaps[i].is_none())
        .collect();
    let residents: f64 = unsnapped
        .iter()
        .map(|&i| study.cells[i].counts.residents)
        .sum();
    let aged_60: f64 = unsnapped
        .iter()
        .map(|&i| study.cells[i].counts.aged_60)
        .sum();
    let islands: Vec<usize> = (0..ctx.islands.len()).filter(|&k| ctx.islands[k]).collect();
    let comps = ctx.graph.components();
    let island_m: f64 = islands.iter().map(|&k| comps[k].length_m).sum();
    let moved: Vec<usize> = (0..study.cells.len())
        .filter(|&i| ctx.cell_near_island[i] && ctx.cell_snaps[i].is_some())
        .collect();
    let mut detour_cells: Vec<usize> = a.detours.iter().map(|d| d.cell).collect();
    detour_cells.dedup();
    Some(NetworkSummary {
        file: plan
            .network
            .as_ref()
            .and_then(|n| n.path.file_name().map(|n| n.to_string_lossy().into_owned())),
        edge_lengths: "geodesic on the WGS84 ellipsoid",
        ways_with_highway_tag: stats.ways_read,
        ways_walkable: stats.ways_walkable,
        ways_excluded: stats.ways_excluded.clone(),
        missing_node_refs: stats.missing_node_refs,
        nodes: stats.nodes,
        segments: stats.segments,
        total_length_km: (stats.total_length_m / 10.0).round() / 100.0,
        components: comps.len(),
        islands: islands.len(),
        island_nodes: islands.iter().map(|&k| comps[k].nodes).sum(),
        island_km: (island_m / 10.0).round() / 100.0 + 0.0,
        min_component_nodes: ctx.rule.min_component_nodes,
        min_component_m: ctx.rule.min_component_m,
        cells_moved_off_islands: moved.len(),
        residents_moved_off_islands: round(
            moved.iter().map(|&i| study.cells[i].counts.residents).sum(),
            1,
        ),
        facilities_moved_off_islands: study
            .facilities
            .iter()
            .enumerate()
            .filter(|&(j, _)| ctx.facility_near_island[j] && ctx.facility_snaps[j].is_some())
            .map(|(_, f)| f.id.clone())
            .collect(),
        pedestrian_length_share: stats.pedestrian_share().map(|x| round(x, 4)),
        missing_node_ref_share: stats.missing_share().map(|x| round(x, 4)),
        ways_with_missing_nodes: stats.ways_with_missing_nodes.len(),
        distance_cap_m: ctx.distance_cap_m,
        detour_factor: a.detour_factor,
        cells_with_detours: detour_cells.len(),
        residents_with_detours: round(
            detour_cells
                .iter()
                .map(|&i| study.cells[i].counts.residents)
                .sum(),
            1,
        ),
        detours_by_subdistrict: {
            let mut per = vec![0usize; study.subdistricts.len()];
            for &i in &detour_cells {
                if let Some(k) = study.cells[i].subdistrict {
                    per[k] += 1;
                }
            }
            study
                .subdistricts
                .iter()
                .zip(per)
                .filter(|(_, n)| *n > 0)
                .map(|(a, n)| (a.name.clone(), n))
                .collect()
        },
        max_snap_m: ctx.max_snap_m,
        cells_not_snapped: unsnapped.len(),
        residents_not_snapped: round(residents, 1),
        aged_60_plus_not_snapped: round(aged_60, 1),
        facilities_not_snapped: study
            .facilities
            .iter()
            .zip(&ctx.facility_snaps)
            .filter(|(_, s)| s.is_none())
            .map(|(f, _)| f.id.clone())
            .collect(),
    })
}

fn siting_summary(plan: &Plan, study: &Study, p: &Proposal) -> SitingSummary {
    let s = plan
        .siting
        .as_ref()
        .expect("a proposal comes from [siting]");
    let circle = &plan.circles[p.circle];
    let e = &p.solution.evaluation;
    let after = &p.after.indicators.district;
    SitingSummary {
        model: p.solution.model.to_string(),
        kind: p.kind.id(),
        circle: circle.name.clone(),
        reach_m: p.reach_m,
        method: p.method.to_string(),
        age_band: p.age_band.to_string(),
        candidates: p.candidates.len(),
        candidates_from: p.candidates_from.id(),
        pairs_within_reach: p.pairs_within_reach,
        new_sites: p.solution.open.len(),
        objective: p.solution.objective,
        bound: p.solution.bound,
        gap: p.solution.gap,
        solved_by: p.solution.method.clone(),
        proven_optimal: p.solution.gap <= 1e-9,
        time_limit_s: s.time_limit_s,
        covered_before: p.covered_before,
        covered_after: p.recheck.covered_weight,
        people: e.total_weight,
        recheck: if p.capacitated {
            "coverage measured again with the new sites added: agrees; allocation within capacities checked flow by flow"
        } else {
            "coverage measured again with the new sites added: agrees"
        },
        capacity_per_site: s.capacity_per_site,
        served_by_new_sites: p.solution.served.as_ref().map(|v| v.iter().sum::<f64>()),
        min_per_subdistrict: s.min_per_subdistrict,
        max_per_subdistrict: s.max_per_subdistrict,
        priority: p
            .ranked
            .iter()
            .map(|r| {
                let c = &p.candidates[r.candidate];
                PrioritySite {
                    rank: r.rank,
                    id: c.id.clone(),
                    subdistrict: c.subdistrict.map(|k| study.subdistricts[k].name.clone()),
                    street: r.street.clone(),
                    lon: (c.location.lon_lat.x * 1e6).round() / 1e6,
                    lat: (c.location.lon_lat.y * 1e6).round() / 1e6,
                    newly_covered: r.newly_covered,
                    cumulative_covered: r.cumulative_covered,
                    cumulative_share: (e.total_weight > 0.0)
                        .then(|| r.cumulative_covered / e.total_weight),
                }
            })
            .collect(),
        before_after: p
            .before_after
            .iter()
            .map(|r| BeforeAfter {
                subdistrict: r.subdistrict.map(|k| study.subdistricts[k].name.clone()),
                existing: r.existing,
                new: r.new,
                people: r.people,
                covered_before: r.covered_before,
                covered_after: r.covered_after,
            })
            .collect(),
        district_after: after
            .provision
            .iter()
            .map(|i| AfterFigure::Indicator {
                indicator: i.key.clone(),
                value: i.value,
                target: i.target,
                gap: i.gap,
                met: i.met,
            })
            .chain(after.circles.iter().map(|c| AfterFigure::Coverage {
                indicator: format!("coverage_{}", c.circle),
                value: c.share(),
            }))
            .collect(),
    }
}

/// Circles of at least this reach, m, are compared kind by kind along the network and in a
/// straight line (shorter reaches lose more to ordinary street circuity).
pub const COMPARE_REACH_FROM_M: f64 = 500.0;

/// A warning for each network circle of at least [`COMPARE_REACH_FROM_M`] and each of its
/// kinds where fewer than half the people covered in a straight line are covered along the
/// network: a sign of a network that is not a walking network, or does not cover the area.
fn network_vs_straight_line(a: &Analysis) -> Vec<Warning> {
    let mut out = Vec::new();
    let cells = &a.study.cells;
    for c in &a.coverage.circles {
        let r = c.circle.radius_m();
        if c.covered_straight_line.is_none() || r < COMPARE_REACH_FROM_M {
            continue;
        }
        for &kind in &c.circle.kinds {
            let Some(n) = a.coverage.nearest_for(kind) else {
                continue;
            };
            let Some(net) = &n.network_m else { continue };
            let (mut people, mut by_net, mut by_line) = (0.0, 0.0, 0.0);
            for (i, cell) in cells.iter().enumerate() {
                let w = cell.counts.band(c.circle.age_band);
                people += w;
                if net[i] <= r {
                    by_net += w;
                }
                if n.straight_line_m[i] <= r {
                    by_line += w;
                }
            }
            if people > 0.0 && by_line > 0.0 && by_net < 0.5 * by_line {
                out.push(Warning::new(WarningCode::NetworkFarBelowStraightLine, format!(
                    "circle {} ({} m): {:.1} % of people aged {} reach a {} along the network against {:.1} % in a straight line, less than half: check that the street network is a walking network and covers the study area",
                    c.circle.name,
                    r,
                    100.0 * by_net / people,
                    c.circle.age_band,
                    kind.id(),
                    100.0 * by_line / people
                )));
            }
        }
    }
    out
}

/// Every warning about an analysis, before anything is written: the checks of the inputs,
/// building the study, the street network and the comparison of the two methods. The writer
/// adds its own (the maps' font) after these; a `--strict` run refuses any.
pub fn analysis_warnings(plan: &Plan, a: &Analysis) -> Vec<Warning> {
    use WarningCode as W;
    let mut all_warnings = a.input_warnings.clone();
    all_warnings.extend(warnings(&a.build, &a.skipped));
    if let Some(n) = &network_summary(plan, a) {
        if n.cells_not_snapped > 0 {
            all_warnings.push(Warning::new(W::FarFromStreet, format!(
                "{} population cells ({} residents) lie farther than {} m from any walkable street: no network circle covers them",
                n.cells_not_snapped,
                json_num(n.residents_not_snapped),
                json_num(n.max_snap_m)
            )));
        }
        let islands = format!(
            "{} pieces of street cut off from the main network, {} nodes, {} km",
            n.islands,
            n.island_nodes,
            json_num(n.island_km)
        );
        if n.cells_moved_off_islands > 0 {
            all_warnings.push(Warning::new(W::StreetIslands, format!(
                "{} population cells ({} residents) lie nearer a street island ({islands}) than any connected street: they are walked from the nearest connected street instead, up to {} m away",
                n.cells_moved_off_islands,
                json_num(n.residents_moved_off_islands),
                json_num(n.max_snap_m)
            )));
        }
        if !n.facilities_moved_off_islands.is_empty() {
            all_warnings.push(Warning::new(W::StreetIslands, format!(
                "{} facilities lie nearer a street island ({islands}) than any connected street and are walked from the nearest connected street: {}",
                n.facilities_moved_off_islands.len(),
                n.facilities_moved_off_islands.join(", ")
            )));
        }
        if n.pedestrian_length_share
            .is_some_and(|x| x < crate::network::diagnostics::DRIVE_ONLY_BELOW_SHARE)
        {
            all_warnings.push(Warning::new(W::DriveOnlyNetwork, format!(
                "the street network looks drive-only: footways, paths, pedestrian streets, steps, living streets and service ways make {:.1} % of its walkable length (a walking network has far more); walking distances along it are too long and coverage too low. Export a walk network (OSMnx network_type=\"walk\" or all ways) instead",
                100.0 * n.pedestrian_length_share.unwrap_or(0.0)
            )));
        }
        if n.missing_node_ref_share
            .is_some_and(|x| x > crate::network::diagnostics::MISSING_REFS_ABOVE_SHARE)
        {
            all_warnings.push(Warning::new(W::ClippedNetwork, format!(
                "{:.1} % of the node references of walkable ways are missing from the OSM file ({} ways cut): the extract is clipped or broken, and walks across the cuts are not found; see network_issues.geojson",
                100.0 * n.missing_node_ref_share.unwrap_or(0.0),
                n.ways_with_missing_nodes
            )));
        }
        if n.cells_with_detours > 0 {
            all_warnings.push(Warning::new(W::Detour, format!(
                "{} population cells ({} residents) walk more than {}× the straight line (and 250 m more) to a nearest facility: a river, rail line, fenced block or missing footway lies between; see network_issues.geojson",
                n.cells_with_detours,
                json_num(n.residents_with_detours),
                n.detour_factor
            )));
        }
        if !n.facilities_not_snapped.is_empty() {
            all_warnings.push(Warning::new(W::FarFromStreet, format!(
                "{} facilities lie farther than {} m from any walkable street and serve no network circle: {}",
                n.facilities_not_snapped.len(),
                json_num(n.max_snap_m),
                n.facilities_not_snapped.join(", ")
            )));
        }
    }
    all_warnings.extend(network_vs_straight_line(a));
    all_warnings.extend(study_area_warnings(plan, a));
    all_warnings
}

impl Summary {
    /// The summary of `analysis` of `plan`. `outputs` are the data files' names; `maps` and
    /// `report` are set when the maps and the report are drawn; `extra_warnings` come from
    /// the edge (e.g. the maps' font fallback) and follow the analysis' own.
    pub fn new(
        plan: &Plan,
        analysis: &Analysis,
        outputs: Vec<String>,
        maps: Option<MapsSummary>,
        report: Option<String>,
        extra_warnings: Vec<Warning>,
    ) -> Summary {
        let a = analysis;
        let study = &a.study;
        let ind = &a.indicators;
        let projection = &a.projection;
        let network = network_summary(plan, a);
        let layer = |l: &Layer| LayerSummary {
            file: file_name(&l.path),
            crs: l.crs.to_string(),
        };
        let mut all_warnings = analysis_warnings(plan, a);
        all_warnings.extend(extra_warnings);
        Summary {
            lifecircle_version: env!("CARGO_PKG_VERSION"),
            plan: plan.name.clone(),
            plan_file: file_name(&plan.file),
            date: plan.report.date.clone(),
            data_vintage: plan.report.data_vintage.clone(),
            analysis_crs: CrsSummary {
                epsg: projection.epsg(),
                name: projection.name().to_string(),
                chosen: match plan.analysis_crs {
                    AnalysisCrs::Auto => "auto: the UTM zone holding the median population point",
                    AnalysisCrs::Epsg(_) => "set in the plan",
                },
            },
            distance_methods: DistanceMethods {
                straight_line: "Euclidean distance in the analysis CRS",
                network:
                    "walking along the street network: snap offsets plus geodesic street lengths",
            },
            network,
            circles: plan
                .circles
                .iter()
                .map(|c| CircleSummary {
                    name: c.name.clone(),
                    label: c.label.clone(),
                    reach: c.reach.to_string(),
                    radius_m: c.radius_m(),
                    kinds: c.kinds.iter().map(|k| k.id()).collect(),
                    require: c.require.to_string(),
                    age_band: c.age_band.to_string(),
                    method: c.method.to_string(),
                    source: c.source.clone(),
                })
                .collect(),
            standards: StandardsSummary {
                preset: plan.standards.preset.clone(),
                targets: plan
                    .standards
                    .targets
                    .iter()
                    .map(|(k, t)| {
                        (
                            k.id().to_string(),
                            TargetSummary {
                                value: t.value,
                                source: t.source.clone(),
                                description: k.description(),
                            },
                        )
                    })
                    .collect(),
            },
            study_area: a.clip.clone(),
            inputs: InputsSummary {
                population: layer(&plan.population.layer),
                population_records: a.population_records,
                population_cells: study.cells.len(),
                population_spread_onto_grid_m: (a.build.polygons_spread > 0)
                    .then_some(plan.population.grid_cell_m),
                facilities: layer(&plan.facilities.layer),
                facilities_by_kind: FacilityKind::ALL
                    .iter()
                    .map(|&k| {
                        let n = study
                            .facilities
                            .iter()
                            .filter(|f| f.kind == k && !f.beyond_study_area)
                            .count();
                        (k.id().to_string(), n)
                    })
                    .filter(|(_, n)| *n > 0)
                    .collect(),
                facilities_beyond_study_area: study
                    .facilities
                    .iter()
                    .filter(|f| f.beyond_study_area)
                    .count(),
                subdistricts: study.subdistricts.len(),
                subdistricts_from_field: a.build.subdistricts_from_field,
                committees: study.committees.len(),
            },
            totals: Totals {
                residents: round(ind.district.counts.residents, 1),
                aged_60_plus: round(ind.district.counts.aged_60, 1),
                aged_65_plus: round(ind.district.counts.aged_65, 1),
                aged_80_plus: round(ind.district.counts.aged_80, 1),
                coverage: ind
                    .district
                    .circles
                    .iter()
                    .map(|c| CoverageTotal {
                        circle: c.circle.clone(),
                        age_band: c.age_band.to_string(),
                        people: round(c.people, 1),
                        covered: round(c.covered, 1),
                        share: c.share().map(|s| round(s, 4)),
                        straight_line_share: c.straight_line_share().map(|s| round(s, 4)),
                    })
                    .collect(),
            },
            checks: a.checks.clone(),
            warnings: all_warnings,
            outputs,
            cells_output: CellsOutput::new(
                crate::plan::CellsFormat::resolve(plan.cells_format, study.cells.len()),
                study.cells.len(),
                plan.cells_format.is_some(),
            ),
            siting: a
                .proposal
                .as_ref()
                .map(|p| siting_summary(plan, &a.study, p)),
            maps,
            report,
        }
    }
}
