//! What a map shows: layers in the analysis CRS (metres), a legend, a title, the direction of
//! true north. Pure: the maps are drawn by `lifecircle::io::maps` in the I/O crate (PNG and SVG).
//!
//! Three maps a planner takes to a meeting: coverage of a walking circle (cells shaded
//! covered / not covered, facilities by kind), a choropleth of an indicator per sub-district,
//! and the proposed sites over today's coverage.

use geo::{Coord, Rect};

use crate::coverage::Coverage;
use crate::indicators::Indicators;
use crate::model::{FacilityKind, Study};

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Text in Chinese with its English: drawn as both where a CJK font is available, as the
/// English alone otherwise (never as empty boxes).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Chinese text; empty when there is none (then only `en` is drawn).
    pub zh: String,
    /// English text.
    pub en: String,
}

impl Label {
    /// A label from its Chinese and English text (either may be empty).
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Label {
        Label {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The text to draw: `"zh en"` with CJK glyphs, `"en"` without.
    pub fn text(&self, cjk: bool) -> String {
        match (cjk, self.zh.is_empty()) {
            (true, false) if self.en.is_empty() => self.zh.clone(),
            (true, false) => format!("{} {}", self.zh, self.en),
            _ => self.en.clone(),
        }
    }
}

/// How a point or legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    /// A filled square (population cells, classes of a choropleth).
    Square,
    /// A filled circle with a white outline (facilities).
    Dot,
    /// A five-pointed star with a dark outline (proposed sites).
    Star,
    /// A line (boundaries).
    Line,
}

/// One legend row.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// The symbol drawn beside the text.
    pub symbol: Symbol,
    /// Colour of the symbol.
    pub colour: Rgb,
    /// The entry's text.
    pub label: Label,
}

/// One layer, drawn in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Squares of `side_m` centred on each point (population cells).
    Cells {
        /// Side of each square, m (the cells' spacing, see [`cell_spacing_m`]).
        side_m: f64,
        /// Centre of each square (analysis CRS, m) and its fill.
        cells: Vec<(Coord<f64>, Rgb)>,
    },
    /// Polygons (rings in metres): filled when `fill` is given, outlined in `stroke`.
    Polygons {
        /// Exterior rings (analysis CRS, m), each with its fill, `None` for outline only.
        rings: Vec<(Vec<Coord<f64>>, Option<Rgb>)>,
        /// Outline colour of every ring.
        stroke: Rgb,
        /// Outline width, pixels.
        width_px: u32,
    },
    /// Point symbols of `size_px`.
    Points {
        /// The symbol drawn at each point.
        symbol: Symbol,
        /// Fill colour of every symbol.
        colour: Rgb,
        /// Symbol size (diameter), pixels.
        size_px: u32,
        /// Where the symbols go, analysis CRS, m.
        points: Vec<Coord<f64>>,
    },
    /// Text centred at points shifted by `offset_px` (right, down), e.g. sub-district names
    /// and ranks beside their stars.
    Labels {
        /// Font size, pixels.
        size_px: u32,
        /// Shift of each text from its point, pixels (right, down).
        offset_px: (i32, i32),
        /// Anchor point (analysis CRS, m) and text of each label.
        items: Vec<(Coord<f64>, Label)>,
    },
}

/// A map ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// File stem for the outputs (`<stem>.png`, `<stem>.svg`).
    pub stem: String,
    /// Title drawn at the top.
    pub title: Label,
    /// A line under the title (circle, method, CRS).
    pub subtitle: Label,
    /// The area shown, in the analysis CRS, metres.
    pub extent: Rect<f64>,
    /// The layers, drawn first to last (later ones on top).
    pub layers: Vec<Layer>,
    /// Heading of the legend box.
    pub legend_title: Label,
    /// Legend rows, top to bottom.
    pub legend: Vec<LegendEntry>,
    /// Direction of true north, degrees clockwise from the map's up (grid north).
    pub north_deg: f64,
    /// Credit line: analysis CRS, data.
    pub note: String,
}

/// Fill of cells within the circle's reach (green).
pub const COVERED: Rgb = Rgb(46, 139, 87);
/// Fill of cells outside the circle's reach (orange).
pub const NOT_COVERED: Rgb = Rgb(239, 138, 98);
/// Fill of cells brought within reach by the proposed sites (blue).
pub const NEWLY_COVERED: Rgb = Rgb(65, 105, 225);
/// Light grey for cells without people; the built-in maps leave such cells out.
pub const EMPTY_CELL: Rgb = Rgb(235, 235, 235);
/// Colour of sub-district boundaries (dark grey).
pub const BOUNDARY: Rgb = Rgb(60, 60, 60);
/// Fill of proposed-site stars (gold).
pub const PROPOSED: Rgb = Rgb(255, 215, 0);

/// The facility colour of a kind (a qualitative palette, one colour per kind).
pub fn kind_colour(kind: FacilityKind) -> Rgb {
    const PALETTE: [Rgb; 10] = [
        Rgb(128, 0, 128),
        Rgb(31, 119, 180),
        Rgb(214, 39, 40),
        Rgb(140, 86, 75),
        Rgb(227, 119, 194),
        Rgb(23, 190, 207),
        Rgb(188, 189, 34),
        Rgb(127, 127, 127),
        Rgb(44, 160, 44),
        Rgb(255, 127, 14),
    ];
    let k = FacilityKind::ALL
        .iter()
        .position(|&x| x == kind)
        .unwrap_or(0);
    PALETTE[k]
}

/// English name of a kind, from its id.
pub fn kind_english(kind: FacilityKind) -> String {
    kind.id().replace('_', " ")
}

/// The centre-to-centre spacing of the cells, m: the median distance to the nearest other
/// cell (the grid size for grids; a fair symbol size for points).
pub fn cell_spacing_m(study: &Study) -> f64 {
    use rstar::{primitives::GeomWithData, RTree};
    let pts: Vec<GeomWithData<[f64; 2], usize>> = study
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| GeomWithData::new([c.location.xy_m.x, c.location.xy_m.y], i))
        .collect();
    if pts.len() < 2 {
        return 100.0;
    }
    let tree = RTree::bulk_load(pts.clone());
    let mut d: Vec<f64> = pts
        .iter()
        .filter_map(|p| {
            tree.nearest_neighbor_iter(p.geom())
                .find(|q| q.data != p.data)
                .map(|q| {
                    let (dx, dy) = (q.geom()[0] - p.geom()[0], q.geom()[1] - p.geom()[1]);
                    (dx * dx + dy * dy).sqrt()
                })
        })
        .filter(|&d| d > 0.0)
        .collect();
    if d.is_empty() {
        return 100.0;
    }
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

/// The bounding box of the sub-districts, or of the cells, with a 3 % margin.
fn extent(study: &Study) -> Rect<f64> {
    let mut pts: Vec<Coord<f64>> = study
        .subdistricts
        .iter()
        .flat_map(|a| a.boundary_m.0.iter().flat_map(|p| p.exterior().0.clone()))
        .collect();
    if pts.is_empty() {
        pts = study.cells.iter().map(|c| c.location.xy_m).collect();
    }
    let (mut lo, mut hi) = (
        Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    for p in &pts {
        lo.x = lo.x.min(p.x);
        lo.y = lo.y.min(p.y);
        hi.x = hi.x.max(p.x);
        hi.y = hi.y.max(p.y);
    }
    if !lo.x.is_finite() {
        return Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 });
    }
    let m = 0.03 * (hi.x - lo.x).max(hi.y - lo.y).max(1.0);
    Rect::new(
        Coord {
            x: lo.x - m,
            y: lo.y - m,
        },
        Coord {
            x: hi.x + m,
            y: hi.y + m,
        },
    )
}

/// Sub-district outlines and their names (with `values`, when given) at their centroids.
fn boundaries(study: &Study, fills: Option<&[Rgb]>, values: Option<&[String]>) -> Vec<Layer> {
    use geo::Centroid;
    if study.subdistricts.is_empty() {
        return Vec::new();
    }
    let rings = study
        .subdistricts
        .iter()
        .enumerate()
        .flat_map(|(k, a)| {
            a.boundary_m
                .0
                .iter()
                .map(move |p| (p.exterior().0.clone(), fills.map(|f| f[k])))
        })
        .collect();
    let labels = study
        .subdistricts
        .iter()
        .enumerate()
        .filter_map(|(k, a)| {
            let text = match values {
                Some(v) => format!("{} {}", a.name, v[k]),
                None => a.name.clone(),
            };
            a.boundary_m
                .centroid()
                .map(|c| (c.0, Label::new(text, String::new())))
        })
        .collect();
    vec![
        Layer::Polygons {
            rings,
            stroke: BOUNDARY,
            width_px: 2,
        },
        Layer::Labels {
            size_px: 15,
            offset_px: (0, 0),
            items: labels,
        },
    ]
}

/// Facilities of `kinds` as dots, one layer and legend entry per kind.
fn facilities(study: &Study, kinds: &[FacilityKind]) -> (Vec<Layer>, Vec<LegendEntry>) {
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    for &kind in kinds {
        let points: Vec<Coord<f64>> = study
            .facilities
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.location.xy_m)
            .collect();
        legend.push(LegendEntry {
            symbol: Symbol::Dot,
            colour: kind_colour(kind),
            label: Label::new(
                format!("{} ({})", kind.chinese(), points.len()),
                format!("{} ({})", kind_english(kind), points.len()),
            ),
        });
        layers.push(Layer::Points {
            symbol: Symbol::Dot,
            colour: kind_colour(kind),
            size_px: 7,
            points,
        });
    }
    (layers, legend)
}

fn boundary_legend(study: &Study) -> Option<LegendEntry> {
    (!study.subdistricts.is_empty()).then(|| LegendEntry {
        symbol: Symbol::Line,
        colour: BOUNDARY,
        label: Label::new("街镇界", "sub-district boundary"),
    })
}

/// Shares `covered` of the cells' people of the circle's band, for the legend.
fn people_share(study: &Study, circle: &crate::standards::Circle, covered: &[bool]) -> (f64, f64) {
    let mut all = 0.0;
    let mut yes = 0.0;
    for (c, &cov) in study.cells.iter().zip(covered) {
        let w = c.counts.band(circle.age_band);
        all += w;
        if cov {
            yes += w;
        }
    }
    (yes, all)
}

/// Coverage of circle `k`: cells with people of the circle's age band, covered or not by
/// the circle's method; the circle's facilities by kind.
pub fn coverage_map(
    study: &Study,
    coverage: &Coverage,
    k: usize,
    north_deg: f64,
    note: &str,
) -> Map {
    let cc = &coverage.circles[k];
    let circle = &cc.circle;
    let side_m = cell_spacing_m(study);
    let cells = study
        .cells
        .iter()
        .zip(&cc.covered)
        .filter(|(c, _)| c.counts.band(circle.age_band) > 0.0)
        .map(|(c, &cov)| (c.location.xy_m, if cov { COVERED } else { NOT_COVERED }))
        .collect();
    let (yes, all) = people_share(study, circle, &cc.covered);
    let pct = |x: f64| if all > 0.0 { 100.0 * x / all } else { 0.0 };
    let mut legend = vec![
        LegendEntry {
            symbol: Symbol::Square,
            colour: COVERED,
            label: Label::new(
                format!("已覆盖 {:.1}%", pct(yes)),
                format!("covered ({:.0} people {})", yes, circle.age_band),
            ),
        },
        LegendEntry {
            symbol: Symbol::Square,
            colour: NOT_COVERED,
            label: Label::new(
                format!("未覆盖 {:.1}%", pct(all - yes)),
                format!("not covered ({:.0} people {})", all - yes, circle.age_band),
            ),
        },
    ];
    let mut layers = vec![Layer::Cells { side_m, cells }];
    layers.extend(boundaries(study, None, None));
    let (fl, fe) = facilities(study, &circle.kinds);
    layers.extend(fl);
    legend.extend(fe);
    legend.extend(boundary_legend(study));
    Map {
        stem: format!("coverage_{}", circle.name),
        title: Label::new(
            format!("{} 覆盖", circle.label),
            format!("coverage of circle {}", circle.name),
        ),
        subtitle: Label::new(
            String::new(),
            format!(
                "{:.0} m {}, people aged {}",
                circle.radius_m(),
                circle.method,
                circle.age_band
            ),
        ),
        extent: extent(study),
        layers,
        legend_title: Label::new("图例", "Legend"),
        legend,
        north_deg,
        note: note.into(),
    }
}

/// Class breaks of a share choropleth (upper bounds, %), with their colours (light to dark).
pub const SHARE_CLASSES: [(f64, Rgb); 5] = [
    (20.0, Rgb(237, 248, 233)),
    (40.0, Rgb(186, 228, 179)),
    (60.0, Rgb(116, 196, 118)),
    (80.0, Rgb(49, 163, 84)),
    (100.0, Rgb(0, 109, 44)),
];
/// Colour of areas with no value.
pub const NO_DATA: Rgb = Rgb(200, 200, 200);

/// The class colour of a share in 0–1.
pub fn share_colour(share: Option<f64>) -> Rgb {
    match share {
        None => NO_DATA,
        Some(s) => {
            let pct = s * 100.0;
            SHARE_CLASSES
                .iter()
                .find(|(hi, _)| pct < *hi)
                .map_or(SHARE_CLASSES[4].1, |c| c.1)
        }
    }
}

/// Choropleth per sub-district of circle `k`'s coverage share (people of its band).
pub fn choropleth_map(
    study: &Study,
    indicators: &Indicators,
    k: usize,
    note: &str,
    north_deg: f64,
) -> Option<Map> {
    if study.subdistricts.is_empty() {
        return None;
    }
    let name = &indicators.district.circles.get(k)?.circle;
    let shares: Vec<Option<f64>> = indicators
        .subdistricts
        .iter()
        .map(|row| row.circles.get(k).and_then(|c| c.share()))
        .collect();
    let fills: Vec<Rgb> = shares.iter().map(|&s| share_colour(s)).collect();
    let values: Vec<String> = shares
        .iter()
        .map(|s| s.map_or("–".into(), |s| format!("{:.1}%", 100.0 * s)))
        .collect();
    let mut legend: Vec<LegendEntry> = SHARE_CLASSES
        .iter()
        .enumerate()
        .map(|(i, (hi, colour))| {
            let lo = if i == 0 { 0.0 } else { SHARE_CLASSES[i - 1].0 };
            let range = if i == SHARE_CLASSES.len() - 1 {
                format!("{lo:.0}–{hi:.0} %")
            } else {
                format!("{lo:.0}–<{hi:.0} %")
            };
            LegendEntry {
                symbol: Symbol::Square,
                colour: *colour,
                label: Label::new(format!("覆盖率 {range}"), format!("covered {range}")),
            }
        })
        .collect();
    if fills.contains(&NO_DATA) {
        legend.push(LegendEntry {
            symbol: Symbol::Square,
            colour: NO_DATA,
            label: Label::new("无人口", "no people"),
        });
    }
    let share = indicators.district.circles[k].share().unwrap_or(0.0);
    Some(Map {
        stem: format!("choropleth_{name}_share"),
        title: Label::new(
            format!("各街镇 {name} 圈覆盖率"),
            format!("share covered by circle {name}, per sub-district"),
        ),
        subtitle: Label::new(
            String::new(),
            format!("whole study area: {:.1} %", 100.0 * share),
        ),
        extent: extent(study),
        layers: boundaries(study, Some(&fills), Some(&values)),
        legend_title: Label::new("覆盖率", "Share covered"),
        legend,
        north_deg,
        note: note.into(),
    })
}

/// Proposed sites over today's coverage by the kind: cells within `circle`'s reach of the
/// kind today (`before`), newly within reach with the proposal (`after`), still not; the
/// existing facilities of the kind; the new sites as stars with their rank.
#[allow(clippy::too_many_arguments)]
pub fn proposal_map(
    study: &Study,
    circle: &crate::standards::Circle,
    kind: FacilityKind,
    before: &[bool],
    after: &[bool],
    sites: &[(Coord<f64>, usize)],
    north_deg: f64,
    note: &str,
) -> Map {
    let cells = study
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.counts.band(circle.age_band) > 0.0)
        .map(|(i, c)| {
            let colour = match (before[i], after[i]) {
                (true, _) => COVERED,
                (false, true) => NEWLY_COVERED,
                (false, false) => NOT_COVERED,
            };
            (c.location.xy_m, colour)
        })
        .collect();
    let either: Vec<bool> = before.iter().zip(after).map(|(a, b)| *a || *b).collect();
    let (after, _) = people_share(study, circle, &either);
    let (before, all) = people_share(study, circle, before);
    let mut layers = vec![Layer::Cells {
        side_m: cell_spacing_m(study),
        cells,
    }];
    layers.extend(boundaries(study, None, None));
    let (fl, fe) = facilities(study, &[kind]);
    layers.extend(fl);
    layers.push(Layer::Points {
        symbol: Symbol::Star,
        colour: PROPOSED,
        size_px: 13,
        points: sites.iter().map(|s| s.0).collect(),
    });
    layers.push(Layer::Labels {
        size_px: 16,
        offset_px: (16, -12),
        items: sites
            .iter()
            .map(|&(p, rank)| {
                (
                    Coord { x: p.x, y: p.y },
                    Label::new(String::new(), format!("{rank}")),
                )
            })
            .collect(),
    });
    let mut legend = vec![
        LegendEntry {
            symbol: Symbol::Square,
            colour: COVERED,
            label: Label::new("现状已覆盖", format!("covered today ({before:.0})")),
        },
        LegendEntry {
            symbol: Symbol::Square,
            colour: NEWLY_COVERED,
            label: Label::new("新增覆盖", format!("newly covered ({:.0})", after - before)),
        },
        LegendEntry {
            symbol: Symbol::Square,
            colour: NOT_COVERED,
            label: Label::new(
                "仍未覆盖",
                format!("still not covered ({:.0})", all - after),
            ),
        },
    ];
    legend.extend(fe);
    legend.push(LegendEntry {
        symbol: Symbol::Star,
        colour: PROPOSED,
        label: Label::new(
            format!("规划新增 {} 处", sites.len()),
            format!("proposed ({}), numbered by rank", sites.len()),
        ),
    });
    legend.extend(boundary_legend(study));
    Map {
        stem: "proposed_sites".into(),
        title: Label::new(
            format!("规划新增{}选址", kind.chinese()),
            format!("proposed {} sites", kind_english(kind)),
        ),
        subtitle: Label::new(
            String::new(),
            format!(
                "people aged {3} within {1:.0} m ({2}) of a {4}, circle {0}",
                circle.name,
                circle.radius_m(),
                circle.method,
                circle.age_band,
                kind_english(kind)
            ),
        ),
        extent: extent(study),
        layers,
        legend_title: Label::new("图例", "Legend"),
        legend,
        north_deg,
        note: note.into(),
    }
}

/// A round scale-bar length for a map `width_m` wide: 1, 2 or 5 × 10ⁿ metres, at most a
/// quarter of the width.
pub fn scale_bar_m(width_m: f64) -> f64 {
    let target = (width_m / 4.0).max(1.0);
    let mag = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .iter()
        .map(|f| f * mag)
        .find(|&v| v <= target)
        .unwrap_or(mag)
}

/// Direction of true north on the map, degrees clockwise from grid north (meridian
/// convergence at the study's centre).
fn north_deg(study: &Study, projection: &crate::crs::Projection) -> f64 {
    let n = study.cells.len().max(1) as f64;
    let (lon, lat) = study.cells.iter().fold((0.0, 0.0), |a, c| {
        (
            a.0 + c.location.lon_lat.x / n,
            a.1 + c.location.lon_lat.y / n,
        )
    });
    match (
        projection.from_wgs84(lon, lat),
        projection.from_wgs84(lon, lat + 0.01),
    ) {
        (Ok(a), Ok(b)) => (b.0 - a.0).atan2(b.1 - a.1).to_degrees(),
        _ => 0.0,
    }
}

/// Every map of a run, in drawing order: a coverage map per circle, a choropleth per circle
/// (with sub-districts), and the proposed sites (with a proposal).
pub fn run_maps(
    plan: &crate::plan::Plan,
    study: &Study,
    coverage: &crate::coverage::Coverage,
    indicators: &crate::indicators::Indicators,
    proposal: Option<&crate::proposal::Proposal>,
    projection: &crate::crs::Projection,
) -> Vec<Map> {
    let north = north_deg(study, projection);
    let note = format!(
        "lifecircle · {} · analysis CRS EPSG:{} {} · north arrow: true north",
        plan.name,
        projection.epsg(),
        projection.name()
    );
    let mut maps: Vec<Map> = Vec::new();
    for k in 0..coverage.circles.len() {
        maps.push(coverage_map(study, coverage, k, north, &note));
    }
    for k in 0..coverage.circles.len() {
        maps.extend(choropleth_map(study, indicators, k, &note, north));
    }
    if let Some(p) = proposal {
        let cc = &coverage.circles[p.circle];
        let before = cc
            .covered_by_kind
            .iter()
            .find(|(k, _)| *k == p.kind)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| cc.covered.clone());
        let sites: Vec<_> = p
            .ranked
            .iter()
            .map(|r| (p.candidates[r.candidate].location.xy_m, r.rank))
            .collect();
        maps.push(proposal_map(
            study,
            &cc.circle,
            p.kind,
            &before,
            &p.covered_after,
            &sites,
            north,
            &note,
        ));
    }
    maps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bars_are_round_and_at_most_a_quarter() {
        assert_eq!(scale_bar_m(10_000.0), 2000.0);
        assert_eq!(scale_bar_m(4_000.0), 1000.0);
        assert_eq!(scale_bar_m(30_000.0), 5000.0);
        assert_eq!(scale_bar_m(1_000.0), 200.0);
        for w in [123.0, 9_999.0, 55_555.0] {
            let s = scale_bar_m(w);
            assert!(s <= w / 4.0 && s > w / 4.0 / 2.6, "{w}: {s}");
        }
    }

    #[test]
    fn share_classes() {
        assert_eq!(share_colour(Some(0.0)), SHARE_CLASSES[0].1);
        assert_eq!(share_colour(Some(0.2)), SHARE_CLASSES[1].1);
        assert_eq!(share_colour(Some(0.999)), SHARE_CLASSES[4].1);
        assert_eq!(share_colour(Some(1.0)), SHARE_CLASSES[4].1);
        assert_eq!(share_colour(None), NO_DATA);
    }

    #[test]
    fn labels_fall_back_to_english() {
        let l = Label::new("已覆盖", "covered");
        assert_eq!(l.text(true), "已覆盖 covered");
        assert_eq!(l.text(false), "covered");
        assert_eq!(Label::new("", "N").text(true), "N");
    }
}
