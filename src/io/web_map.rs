//! `map.html`: one self-contained interactive map of a run (Leaflet 1.9.4, vendored under its
//! BSD-2 licence and inlined with its images as `data:` URIs), so it opens offline with no
//! network request. No basemap tiles unless the plan names a tile URL in `[report] tiles`
//! (public maps in China need an approved base map).
//!
//! Layers: population cells coloured by each circle's verdict (one base layer per circle, and
//! for network circles one comparing the walk with the straight line), 街镇 and 居委
//! boundaries, streets, facilities by kind (a distinct symbol and colour per kind), proposed
//! sites with their priority number and service areas. A click on a cell, an area or a
//! facility opens its figures. Cells are drawn on a canvas; above [`MAX_CELLS`] they are left
//! out and the 居委 are shaded by their covered share instead.

use geo::{Coord, MultiPolygon};
use serde::Serialize;

use crate::analysis::Analysis;
use crate::map::{
    kind_colour, kind_english, kind_symbol, Rgb, Symbol, BOUNDARY, COVERED, EMPTY_CELL,
    NOT_COVERED, PROPOSED, STRAIGHT_LINE_ONLY,
};
use crate::model::FacilityKind;
use crate::plan::Plan;

/// Above this many cells the map leaves the cells out (the file would pass ≈ 20 MB) and
/// shades the 居委 by their covered share instead.
pub const MAX_CELLS: usize = 100_000;

/// Above this many street segments the streets are left out.
pub const MAX_SEGMENTS: usize = 400_000;

const LEAFLET_JS: &str = include_str!("vendor/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("vendor/leaflet/leaflet.css");
const LAYERS_PNG: &[u8] = include_bytes!("vendor/leaflet/images/layers.png");
const LAYERS_2X_PNG: &[u8] = include_bytes!("vendor/leaflet/images/layers-2x.png");
const MARKER_PNG: &[u8] = include_bytes!("vendor/leaflet/images/marker-icon.png");
const LEAFLET_LICENSE: &str = include_str!("vendor/leaflet/LICENSE");

fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Rounds degrees to 1e-6 (≈ 0.1 m), as the GeoJSON outputs.
fn deg(v: f64) -> f64 {
    (v * 1e6).round() / 1e6 + 0.0
}

fn flat(coords: impl Iterator<Item = Coord<f64>>) -> Vec<f64> {
    coords.flat_map(|c| [deg(c.x), deg(c.y)]).collect()
}

fn rings(m: &MultiPolygon<f64>) -> Vec<Vec<f64>> {
    m.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| flat(r.coords().copied()))
        .collect()
}

#[derive(Serialize)]
struct CircleInfo {
    name: String,
    label: String,
    radius_m: f64,
    method: String,
    age_band: String,
    network: bool,
}

#[derive(Serialize)]
struct Cell {
    id: String,
    /// Flat lon/lat ring of the footprint, or one point.
    g: Vec<f64>,
    sd: Option<String>,
    cm: Option<String>,
    residents: f64,
    aged_60: f64,
    /// Per circle: 0 no people of the band, 1 covered, 2 not covered.
    v: Vec<u8>,
    /// Per circle: straight-line verdict (same codes), network circles only (else 0).
    s: Vec<u8>,
    /// Per kind measured: straight-line and network distance, m (null: beyond the cap).
    d: Vec<(Option<f64>, Option<f64>)>,
}

#[derive(Serialize)]
struct AreaInfo {
    id: String,
    name: String,
    parent: Option<String>,
    rings: Vec<Vec<f64>>,
    /// Per circle: the covered share (0–1) of the band's people.
    share: Vec<Option<f64>>,
    people: Vec<f64>,
    label_at: [f64; 2],
}

#[derive(Serialize)]
struct KindInfo {
    id: &'static str,
    zh: &'static str,
    en: String,
    colour: String,
    shape: &'static str,
}

#[derive(Serialize)]
struct FacilityInfo {
    id: String,
    name: String,
    kind: usize,
    at: [f64; 2],
    sd: Option<String>,
}

#[derive(Serialize)]
struct SiteInfo {
    rank: usize,
    id: String,
    street: Option<String>,
    at: [f64; 2],
    sd: Option<String>,
    newly_covered: f64,
    cumulative_share: Option<f64>,
}

#[derive(Serialize)]
struct ServiceAreaInfo {
    facility: String,
    circle: String,
    ring: Vec<f64>,
}

#[derive(Serialize)]
struct Tiles {
    url: String,
    attribution: String,
}

#[derive(Serialize)]
struct Payload {
    title: String,
    crs: String,
    colours: Colours,
    circles: Vec<CircleInfo>,
    nearest_kinds: Vec<usize>,
    kinds: Vec<KindInfo>,
    cells: Vec<Cell>,
    cells_left_out: usize,
    subdistricts: Vec<AreaInfo>,
    committees: Vec<AreaInfo>,
    study_area: Option<AreaInfo>,
    streets: Vec<f64>,
    streets_left_out: usize,
    facilities: Vec<FacilityInfo>,
    sites: Vec<SiteInfo>,
    siting: Option<String>,
    service_areas: Vec<ServiceAreaInfo>,
    tiles: Option<Tiles>,
    bounds: [f64; 4],
}

#[derive(Serialize)]
struct Colours {
    covered: String,
    not_covered: String,
    empty: String,
    straight_line_only: String,
    boundary: String,
    proposed: String,
}

/// The map's name of a kind's symbol ([`kind_symbol`], as on the static maps), drawn as
/// inline SVG by the page's script.
fn shape_name(kind: FacilityKind) -> &'static str {
    match kind_symbol(kind) {
        Symbol::Star => "star",
        Symbol::Square => "square",
        Symbol::Triangle => "triangle",
        Symbol::Diamond => "diamond",
        Symbol::Pentagon => "pentagon",
        Symbol::Hexagon => "hexagon",
        Symbol::Cross => "cross",
        Symbol::TriangleDown => "down",
        Symbol::Ring => "ring",
        Symbol::Dot | Symbol::Badge | Symbol::Line(_) | Symbol::Dashed(_) => "circle",
    }
}

fn verdict(people: f64, covered: bool) -> u8 {
    if people <= 0.0 {
        0
    } else if covered {
        1
    } else {
        2
    }
}

fn area_infos(
    areas: &[crate::model::Area],
    rows: &[crate::indicators::AreaRow],
    parents: &[crate::model::Area],
) -> Vec<AreaInfo> {
    use geo::InteriorPoint;
    areas
        .iter()
        .zip(rows)
        .map(|(a, row)| {
            let at = a
                .boundary_lon_lat
                .interior_point()
                .map_or([0.0, 0.0], |p| [deg(p.x()), deg(p.y())]);
            AreaInfo {
                id: a.id.clone(),
                name: a.name.clone(),
                parent: a.parent.map(|k| parents[k].name.clone()),
                rings: rings(&a.boundary_lon_lat),
                share: row.circles.iter().map(|c| c.share()).collect(),
                people: row.circles.iter().map(|c| c.people).collect(),
                label_at: at,
            }
        })
        .collect()
}

/// The map as one HTML page.
pub fn html(plan: &Plan, a: &Analysis) -> String {
    let study = &a.study;
    let cov = &a.coverage;
    let circles: Vec<CircleInfo> = cov
        .circles
        .iter()
        .map(|c| CircleInfo {
            name: c.circle.name.clone(),
            label: c.circle.label.clone(),
            radius_m: c.circle.radius_m(),
            method: match c.circle.method {
                crate::standards::Method::Network => "沿路网步行 along the streets",
                crate::standards::Method::StraightLine => "直线 straight line",
            }
            .to_string(),
            age_band: c.circle.age_band.to_string(),
            network: c.covered_straight_line.is_some(),
        })
        .collect();
    let kind_index = |k: FacilityKind| FacilityKind::ALL.iter().position(|&x| x == k).unwrap_or(0);
    let kinds: Vec<KindInfo> = FacilityKind::ALL
        .iter()
        .map(|&k| KindInfo {
            id: k.id(),
            zh: k.chinese(),
            en: kind_english(k),
            colour: hex(kind_colour(k)),
            shape: shape_name(k),
        })
        .collect();
    let name_of = |areas: &[crate::model::Area], k: Option<usize>| k.map(|k| areas[k].name.clone());
    let draw_cells = study.cells.len() <= MAX_CELLS;
    let cells: Vec<Cell> = if draw_cells {
        study
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| Cell {
                id: c.id.clone(),
                g: match &c.footprint {
                    Some(p) => {
                        let ring = p.exterior();
                        let n = ring.0.len().saturating_sub(1).max(1);
                        flat(ring.coords().take(n).copied())
                    }
                    None => flat(std::iter::once(c.location.lon_lat)),
                },
                sd: name_of(&study.subdistricts, c.subdistrict),
                cm: name_of(&study.committees, c.committee),
                residents: c.counts.residents,
                aged_60: c.counts.aged_60,
                v: cov
                    .circles
                    .iter()
                    .map(|k| verdict(c.counts.band(k.circle.age_band), k.covered[i]))
                    .collect(),
                s: cov
                    .circles
                    .iter()
                    .map(|k| match &k.covered_straight_line {
                        Some(s) => verdict(c.counts.band(k.circle.age_band), s[i]),
                        None => 0,
                    })
                    .collect(),
                d: cov
                    .nearest
                    .iter()
                    .map(|n| {
                        let fin = |v: f64| v.is_finite().then(|| v.round());
                        (
                            fin(n.straight_line_m[i]),
                            n.network_m.as_ref().and_then(|m| fin(m[i])),
                        )
                    })
                    .collect(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let ind = &a.indicators;
    let subdistricts = area_infos(&study.subdistricts, &ind.subdistricts, &[]);
    let committees = area_infos(&study.committees, &ind.committees, &study.subdistricts);
    let (streets, streets_left_out) = match &a.network {
        Some(ctx) if ctx.graph.segments.len() <= MAX_SEGMENTS => {
            let g = ctx.graph;
            let mut v = Vec::with_capacity(g.segments.len() * 4);
            for s in &g.segments {
                let (p, q) = (g.lon_lat[s.a as usize], g.lon_lat[s.b as usize]);
                v.extend([deg(p.x), deg(p.y), deg(q.x), deg(q.y)]);
            }
            (v, 0)
        }
        Some(ctx) => (Vec::new(), ctx.graph.segments.len()),
        None => (Vec::new(), 0),
    };
    let facilities = study
        .facilities
        .iter()
        .map(|f| FacilityInfo {
            id: f.id.clone(),
            name: f.name.clone(),
            kind: kind_index(f.kind),
            at: [deg(f.location.lon_lat.x), deg(f.location.lon_lat.y)],
            sd: name_of(&study.subdistricts, f.subdistrict),
        })
        .collect();
    let (sites, siting) = match &a.proposal {
        Some(p) => {
            let people = p.solution.evaluation.total_weight;
            let sites = p
                .ranked
                .iter()
                .map(|r| {
                    let c = &p.candidates[r.candidate];
                    SiteInfo {
                        rank: r.rank,
                        id: c.id.clone(),
                        street: r.street.clone(),
                        at: [deg(c.location.lon_lat.x), deg(c.location.lon_lat.y)],
                        sd: name_of(&study.subdistricts, c.subdistrict),
                        newly_covered: r.newly_covered.round(),
                        cumulative_share: (people > 0.0).then(|| r.cumulative_covered / people),
                    }
                })
                .collect();
            let label = format!(
                "{} new {} ({} {}), {}",
                p.ranked.len(),
                p.kind.chinese(),
                kind_english(p.kind),
                p.solution.model,
                plan.circles[p.circle].label
            );
            (sites, Some(label))
        }
        None => (Vec::new(), None),
    };
    let service_areas = a
        .service_areas
        .iter()
        .filter_map(|s| {
            let ring = s.polygon_m.exterior();
            let pts: Option<Vec<Coord<f64>>> = ring
                .coords()
                .map(|c| {
                    a.projection
                        .to_wgs84(c.x, c.y)
                        .ok()
                        .map(|(x, y)| Coord { x, y })
                })
                .collect();
            Some(ServiceAreaInfo {
                facility: study.facilities[s.facility].id.clone(),
                circle: plan.circles[s.circle].name.clone(),
                ring: flat(pts?.into_iter()),
            })
        })
        .collect();
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut grow = |c: Coord<f64>| {
        bounds[0] = bounds[0].min(c.x);
        bounds[1] = bounds[1].min(c.y);
        bounds[2] = bounds[2].max(c.x);
        bounds[3] = bounds[3].max(c.y);
    };
    study.cells.iter().for_each(|c| grow(c.location.lon_lat));
    study
        .facilities
        .iter()
        .for_each(|f| grow(f.location.lon_lat));
    for s in study.subdistricts.iter().chain(&study.area) {
        s.boundary_lon_lat
            .0
            .iter()
            .flat_map(|p| p.exterior().coords())
            .for_each(|c| grow(*c));
    }
    if !bounds.iter().all(|b| b.is_finite()) {
        bounds = [0.0, 0.0, 0.0, 0.0];
    }
    let payload = Payload {
        title: plan.name.clone(),
        crs: format!(
            "measured in EPSG:{} {}; drawn in WGS84",
            a.projection.epsg(),
            a.projection.name()
        ),
        colours: Colours {
            covered: hex(COVERED),
            not_covered: hex(NOT_COVERED),
            empty: hex(EMPTY_CELL),
            straight_line_only: hex(STRAIGHT_LINE_ONLY),
            boundary: hex(BOUNDARY),
            proposed: hex(PROPOSED),
        },
        circles,
        nearest_kinds: cov.nearest.iter().map(|n| kind_index(n.kind)).collect(),
        kinds,
        cells_left_out: if draw_cells { 0 } else { study.cells.len() },
        cells,
        subdistricts,
        committees,
        study_area: study.area.as_ref().and_then(|area| {
            area_infos(
                std::slice::from_ref(area),
                std::slice::from_ref(&a.indicators.district),
                &[],
            )
            .pop()
        }),
        streets,
        streets_left_out,
        facilities,
        sites,
        siting,
        service_areas,
        tiles: plan.report.tiles.as_ref().map(|t| Tiles {
            url: t.url.clone(),
            attribution: t.attribution.clone(),
        }),
        bounds: bounds.map(deg),
    };
    // `</` would end the script element early.
    let data = serde_json::to_string(&payload)
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/");
    let b64 = |png: &[u8]| {
        use base64::Engine;
        format!(
            "url(data:image/png;base64,{})",
            base64::engine::general_purpose::STANDARD.encode(png)
        )
    };
    let css = LEAFLET_CSS
        .replace("url(images/layers-2x.png)", &b64(LAYERS_2X_PNG))
        .replace("url(images/layers.png)", &b64(LAYERS_PNG))
        .replace("url(images/marker-icon.png)", &b64(MARKER_PNG));
    let title = crate::io::report::escape(&plan.name);
    let licence = LEAFLET_LICENSE.replace("*/", "* /");
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title} — 交互地图 interactive map</title>\n<style>\n{css}\n{MAP_CSS}</style>\n</head>\n<body>\n\
<div id=\"map\"></div>\n<script type=\"application/json\" id=\"lifecircle-data\">{data}</script>\n\
<script>\n/* Leaflet 1.9.4, https://leafletjs.com\n{licence}*/\n{LEAFLET_JS}\n</script>\n<script>\n{MAP_JS}\n</script>\n</body>\n</html>\n"
    )
}

const MAP_CSS: &str = r#"html,body{margin:0;height:100%;font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif}
#map{position:absolute;inset:0;background:#f4f4f0}
.lc-panel{background:rgba(255,255,255,.94);padding:8px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px;line-height:1.45;max-width:330px}
.lc-panel h1{font-size:15px;margin:0 0 2px}
.lc-panel .sub{color:#555}
.lc-key{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-2px;border:1px solid #555}
.lc-sym{display:inline-block;width:14px;height:14px;margin-right:5px;vertical-align:-3px}
.lc-label{font-size:13px;font-weight:600;color:#222;white-space:nowrap;text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,1px 1px 0 #fff,0 0 3px #fff}
.lc-site{background:#ffd700;border:2px solid #333;border-radius:50%;width:20px!important;height:20px!important;margin:-12px 0 0 -12px!important;font:bold 12px/20px sans-serif;text-align:center;color:#000}
.lc-popup td{padding:0 6px 0 0}.lc-popup td.n{text-align:right}
.leaflet-div-icon.lc-fac{background:none;border:none}
"#;

const MAP_JS: &str = r##"(function () {
"use strict";
var D = JSON.parse(document.getElementById("lifecircle-data").textContent);
var canvas = L.canvas({ padding: 0.3 });
var map = L.map("map", { preferCanvas: true, zoomSnap: 0.25, renderer: canvas });
window.lifecircle = { map: map, data: D, circle: 0, mode: "verdict", layers: {}, cellRenderer: canvas };
if (D.tiles) { L.tileLayer(D.tiles.url, { attribution: D.tiles.attribution, maxZoom: 19 }).addTo(map); }
var b = D.bounds;
map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [20, 20] });
function ll(flat) { var out = []; for (var i = 0; i + 1 < flat.length; i += 2) out.push([flat[i + 1], flat[i]]); return out; }
function esc(s) { return String(s == null ? "–" : s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
function num(x) { return x == null ? "–" : Math.round(x).toLocaleString("en"); }
function pct(x) { return x == null ? "–" : (x * 100).toFixed(1) + " %"; }
var C = D.colours;
function cellColour(cell, k, mode) {
  var v = cell.v[k];
  if (v === 0) return C.empty;
  if (mode === "compare") {
    if (v === 1) return C.covered;
    return cell.s[k] === 1 ? C.straight_line_only : C.not_covered;
  }
  return v === 1 ? C.covered : C.not_covered;
}
// One canvas for cells, streets and boundaries, drawn in that order (streets and boundaries
// over the cells' fills), so a click reaches the topmost interactive shape.
map.createPane("labels"); map.getPane("labels").style.zIndex = 640; map.getPane("labels").style.pointerEvents = "none";
var cellLayer = L.layerGroup();
var cellShapes = [];
D.cells.forEach(function (c, i) {
  var shape;
  var style = { renderer: canvas, stroke: false, fillOpacity: 0.62, fillColor: cellColour(c, 0, "verdict") };
  if (c.g.length > 2) shape = L.polygon(ll(c.g), style);
  else { style.radius = 3; shape = L.circleMarker([c.g[1], c.g[0]], style); }
  shape.on("click", function (e) { L.popup({ maxWidth: 380 }).setLatLng(e.latlng).setContent(cellPopup(i)).openOn(map); });
  cellShapes.push(shape); cellLayer.addLayer(shape);
});
function cellPopup(i) {
  var c = D.cells[i], h = "<div class=\"lc-popup\" data-cell=\"" + esc(c.id) + "\"><b>cell " + esc(c.id) + "</b><br>街镇 " + esc(c.sd) + " · 居委 " + esc(c.cm) +
    "<br>residents " + num(c.residents) + " · aged 60+ " + num(c.aged_60) + "<table>";
  D.circles.forEach(function (k, j) {
    var v = c.v[j], t = v === 0 ? "no people of the band" : (v === 1 ? "✓ covered" : "✗ not covered");
    if (k.network && v !== 0) t += " (straight line: " + (c.s[j] === 1 ? "✓" : "✗") + ")";
    h += "<tr><td>" + esc(k.label) + " (" + k.radius_m + " m, " + esc(k.method) + ")</td><td>" + t + "</td></tr>";
  });
  h += "</table><table><tr><th>nearest</th><th>straight line</th><th>walk</th></tr>";
  D.nearest_kinds.forEach(function (kind, j) {
    var d = c.d[j];
    h += "<tr><td>" + esc(D.kinds[kind].zh) + " " + esc(D.kinds[kind].en) + "</td><td class=\"n\">" + (d[0] == null ? "–" : num(d[0]) + " m") + "</td><td class=\"n\">" + (d[1] == null ? "–" : num(d[1]) + " m") + "</td></tr>";
  });
  return h + "</table></div>";
}
cellLayer.addTo(map);
window.lifecircle.cellShapes = cellShapes;
function restyle() {
  var k = window.lifecircle.circle, mode = window.lifecircle.mode;
  cellShapes.forEach(function (s, i) { s.setStyle({ fillColor: cellColour(D.cells[i], k, mode) }); });
  committeeLayer.eachLayer(function (l) { if (l.restyle) l.restyle(); });
  legend.update();
}
if (D.streets.length) {
  var segs = [];
  for (var i = 0; i + 3 < D.streets.length; i += 4) segs.push([[D.streets[i + 1], D.streets[i]], [D.streets[i + 3], D.streets[i + 2]]]);
  window.lifecircle.layers.streets = L.polyline(segs, { renderer: canvas, color: "#555", weight: 0.8, opacity: 0.7, interactive: false }).addTo(map);
}
function areaPopup(a, level) {
  var h = "<div class=\"lc-popup\"><b>" + esc(a.name) + "</b> " + level + (a.parent ? " · " + esc(a.parent) : "") + "<table>";
  D.circles.forEach(function (k, j) { h += "<tr><td>" + esc(k.label) + "</td><td class=\"n\">" + pct(a.share[j]) + "</td><td class=\"n\">of " + num(a.people[j]) + "</td></tr>"; });
  return h + "</table></div>";
}
var subLayer = L.layerGroup(), subLabels = L.layerGroup();
D.subdistricts.forEach(function (a) {
  if (!a.rings.length) return;  // named by a population field only: no polygon to draw
  L.polygon(a.rings.map(ll), { renderer: canvas, color: C.boundary, weight: 2.2, fill: false }).bindPopup(areaPopup(a, "街镇 sub-district")).addTo(subLayer);
  L.marker([a.label_at[1], a.label_at[0]], { pane: "labels", interactive: false, icon: L.divIcon({ className: "lc-label", html: esc(a.name), iconSize: null }) }).addTo(subLabels);
});
subLayer.addTo(map); subLabels.addTo(map);
var studyAreaLayer = L.layerGroup();
if (D.study_area) {
  L.polygon(D.study_area.rings.map(ll), { renderer: canvas, color: "#141414", weight: 3.5, fill: false }).bindPopup(areaPopup(D.study_area, "研究范围 study area")).addTo(studyAreaLayer);
  studyAreaLayer.addTo(map);
}
var committeeLayer = L.layerGroup();
var shadeCommittees = D.cells.length === 0;
D.committees.forEach(function (a) {
  var p = L.polygon(a.rings.map(ll), { renderer: canvas, color: "#777", weight: 0.8, dashArray: "3 3", fill: shadeCommittees, fillOpacity: 0.6 }).bindPopup(areaPopup(a, "居委 committee"));
  p.restyle = function () {
    if (!shadeCommittees) return;
    var s = a.share[window.lifecircle.circle];
    p.setStyle({ fillColor: s == null ? C.empty : (s >= 0.999 ? C.covered : (s >= 0.5 ? "#a6d96a" : C.not_covered)) });
  };
  p.restyle(); p.addTo(committeeLayer);
});
if (D.committees.length) committeeLayer.addTo(map);
function symbol(shape, colour, size) {
  var s = size || 14, h = s / 2, path;
  switch (shape) {
    case "square": path = "<rect x=\"2\" y=\"2\" width=\"" + (s - 4) + "\" height=\"" + (s - 4) + "\"/>"; break;
    case "triangle": path = "<polygon points=\"" + h + ",1 " + (s - 1) + "," + (s - 1) + " 1," + (s - 1) + "\"/>"; break;
    case "down": path = "<polygon points=\"1,1 " + (s - 1) + ",1 " + h + "," + (s - 1) + "\"/>"; break;
    case "diamond": path = "<polygon points=\"" + h + ",1 " + (s - 1) + "," + h + " " + h + "," + (s - 1) + " 1," + h + "\"/>"; break;
    case "star": path = "<polygon points=\"7,0.5 8.8,5 13.5,5.2 9.8,8.2 11.1,13 7,10.3 2.9,13 4.2,8.2 0.5,5.2 5.2,5\"/>"; break;
    case "pentagon": path = "<polygon points=\"7,1 13,5.5 10.7,13 3.3,13 1,5.5\"/>"; break;
    case "hexagon": path = "<polygon points=\"4,1 10,1 13,7 10,13 4,13 1,7\"/>"; break;
    case "cross": path = "<polygon points=\"5,1 9,1 9,5 13,5 13,9 9,9 9,13 5,13 5,9 1,9 1,5 5,5\"/>"; break;
    case "ring": path = "<circle cx=\"7\" cy=\"7\" r=\"5\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"3\"/>"; break;
    default: path = "<circle cx=\"" + h + "\" cy=\"" + h + "\" r=\"" + (h - 1) + "\"/>";
  }
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + s + "\" height=\"" + s + "\" viewBox=\"0 0 14 14\" fill=\"" + colour + "\" stroke=\"#fff\" stroke-width=\"1\">" + path + "</svg>";
}
var facilityLayers = {};
D.facilities.forEach(function (f) {
  var k = D.kinds[f.kind];
  if (!facilityLayers[f.kind]) facilityLayers[f.kind] = L.layerGroup();
  L.marker([f.at[1], f.at[0]], { icon: L.divIcon({ className: "lc-fac", html: symbol(k.shape, k.colour), iconSize: [14, 14], iconAnchor: [7, 7] }), title: f.name })
    .bindPopup("<div class=\"lc-popup\"><b>" + esc(f.name) + "</b><br>" + esc(k.zh) + " " + esc(k.en) + "<br>id " + esc(f.id) + " · 街镇 " + esc(f.sd) + "</div>")
    .addTo(facilityLayers[f.kind]);
});
var siteLayer = L.layerGroup();
D.sites.forEach(function (s) {
  L.marker([s.at[1], s.at[0]], { zIndexOffset: 1000, icon: L.divIcon({ className: "lc-site", html: String(s.rank), iconSize: [20, 20] }) })
    .bindPopup("<div class=\"lc-popup\"><b>proposed site " + s.rank + "</b> (build in this order)<br>" + esc(s.id) + " · 街镇 " + esc(s.sd) + (s.street ? " · " + esc(s.street) : "") + "<br>newly covered " + num(s.newly_covered) + "<br>cumulative share " + pct(s.cumulative_share) + "<br>" + s.at[0].toFixed(6) + ", " + s.at[1].toFixed(6) + "</div>")
    .addTo(siteLayer);
});
if (D.sites.length) siteLayer.addTo(map);
var areaLayer = L.layerGroup();
D.service_areas.forEach(function (s) {
  L.polygon(ll(s.ring), { renderer: canvas, color: "#2b6cb0", weight: 1, fill: false }).bindPopup("service area of " + esc(s.facility) + " · " + esc(s.circle)).addTo(areaLayer);
});
// Base layers: one per circle (and the walk-vs-straight-line comparison of network circles).
var bases = {};
D.circles.forEach(function (k, j) {
  var g = L.layerGroup(); g.lcCircle = j; g.lcMode = "verdict";
  bases[esc(k.label) + " — " + k.radius_m + " m " + esc(k.method)] = g;
  if (j === 0) g.addTo(map);
  if (k.network) { var c = L.layerGroup(); c.lcCircle = j; c.lcMode = "compare"; bases[esc(k.label) + " — walk vs straight line"] = c; }
});
map.on("baselayerchange", function (e) { window.lifecircle.circle = e.layer.lcCircle; window.lifecircle.mode = e.layer.lcMode; restyle(); });
var overlays = {};
if (D.cells.length) overlays["人口网格 population cells"] = cellLayer;
if (D.study_area) overlays["研究范围 study area"] = studyAreaLayer;
if (D.subdistricts.some(function (a) { return a.rings.length; })) {
  overlays["街镇 sub-districts"] = subLayer;
  overlays["街镇名称 names"] = subLabels;
}
if (D.committees.length) overlays["居委 committees"] = committeeLayer;
if (window.lifecircle.layers.streets) overlays["道路 streets"] = window.lifecircle.layers.streets;
Object.keys(facilityLayers).sort(function (a, b) { return a - b; }).forEach(function (k) {
  var kind = D.kinds[k]; facilityLayers[k].addTo(map);
  overlays[symbol(kind.shape, kind.colour) + " " + esc(kind.zh) + " " + esc(kind.en)] = facilityLayers[k];
});
if (D.sites.length) overlays["<span class=\"lc-key\" style=\"background:" + C.proposed + ";border-radius:50%\"></span>选址建议 proposed sites"] = siteLayer;
if (D.service_areas.length) overlays["服务范围 service areas"] = areaLayer;
window.lifecircle.control = L.control.layers(bases, overlays, { collapsed: false, position: "topright" }).addTo(map);
var title = L.control({ position: "topleft" });
title.onAdd = function () {
  var d = L.DomUtil.create("div", "lc-panel");
  d.innerHTML = "<h1>" + esc(D.title) + "</h1><div class=\"sub\">" + esc(D.crs) + (D.siting ? "<br>" + esc(D.siting) : "") + "</div>";
  return d;
};
title.addTo(map);
var legend = L.control({ position: "bottomleft" });
legend.onAdd = function () { this.div = L.DomUtil.create("div", "lc-panel lc-legend"); this.update(); return this.div; };
legend.update = function () {
  if (!this.div) return;
  var k = D.circles[window.lifecircle.circle], mode = window.lifecircle.mode;
  var h = "<b>" + esc(k ? k.label : "") + "</b><br>";
  if (D.cells.length === 0 && D.cells_left_out) h += D.cells_left_out.toLocaleString("en") + " cells not drawn (above " + (100000).toLocaleString("en") + "): 居委 shaded by covered share<br>";
  h += "<span class=\"lc-key\" style=\"background:" + C.covered + "\"></span>covered 覆盖<br>";
  if (mode === "compare") h += "<span class=\"lc-key\" style=\"background:" + C.straight_line_only + "\"></span>straight line only 仅直线覆盖<br>";
  h += "<span class=\"lc-key\" style=\"background:" + C.not_covered + "\"></span>not covered 未覆盖<br><span class=\"lc-key\" style=\"background:" + C.empty + "\"></span>no people of the band<br>";
  if (D.streets_left_out) h += D.streets_left_out.toLocaleString("en") + " street segments not drawn<br>";
  this.div.innerHTML = h;
};
legend.addTo(map);
L.control.scale({ metric: true, imperial: false, position: "bottomright" }).addTo(map);
window.lifecircle.ready = true;
})();
"##;
