//! What a map shows: layers in the analysis CRS (metres), a legend, a title, the direction of
//! true north. Pure: the maps are drawn by `lifecircle::io::maps` in the I/O crate (PNG and SVG).
//!
//! The maps a planner takes to a meeting, all built by [`run_maps`]:
//!
//! * `coverage_<circle>`: cells with people of the circle's age band, covered or not by the
//!   circle's method; the streets under the symbols (street islands in their own colour);
//!   居委 and 街镇 boundaries; the circle's facilities, one symbol shape per kind;
//! * `network_vs_straight_line_<circle>` (network circles): cells covered along the streets,
//!   covered only in a straight line, or neither;
//! * `choropleth_<circle>_share`: the covered share per 街镇, five classes;
//! * `choropleth_committee_<circle>_share` (with 居委): the covered share per 居委;
//! * `proposed_sites` (with a proposal): today's coverage by the kind, newly covered cells,
//!   the proposed sites numbered by priority.
//!
//! No title, subtitle or legend carries an internal identifier (circle names such as `min15`,
//! kind ids such as `day_care`, `straight_line`): circles are named by their label, kinds by
//! their Chinese and English names, methods as 沿路网步行 along the streets / 直线 straight line.

use geo::{Coord, InteriorPoint, Rect};

use crate::analysis::Analysis;
use crate::coverage::{Coverage, NetworkContext};
use crate::crs::Projection;
use crate::indicators::Indicators;
use crate::model::{AgeBand, Area, FacilityKind, Study};
use crate::standards::{Circle, Method};

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

/// How a point or legend entry is drawn. Facility kinds each have their own shape
/// ([`kind_symbol`]), so the maps read without telling colours apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    /// A filled square (population cells, classes of a choropleth, a facility kind).
    Square,
    /// A filled circle with a white outline.
    Dot,
    /// A five-pointed star.
    Star,
    /// A triangle, point up.
    Triangle,
    /// A triangle, point down.
    TriangleDown,
    /// A square standing on a corner.
    Diamond,
    /// A regular pentagon.
    Pentagon,
    /// A regular hexagon.
    Hexagon,
    /// A plus-shaped cross.
    Cross,
    /// A thick circle outline.
    Ring,
    /// A gold disc with a dark rim and a number inside (proposed sites).
    Badge,
    /// A line `width` pixels wide (boundaries, streets).
    Line(u32),
    /// A dashed line `width` pixels wide (居委 boundaries).
    Dashed(u32),
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

/// How one population cell is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellMark {
    /// A cell with a footprint: its bounding box in the analysis CRS, m.
    Square(Rect<f64>),
    /// A point (a census or building point without a footprint): a dot.
    Point(Coord<f64>),
}

impl CellMark {
    fn bounds(&self) -> (Coord<f64>, Coord<f64>) {
        match self {
            CellMark::Square(r) => (r.min(), r.max()),
            CellMark::Point(p) => (*p, *p),
        }
    }
}

/// What a text layer labels (the drawing checks label sizes by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelRole {
    /// 街镇 names (with the choropleth's value).
    AreaName,
    /// A proposed site's rank, inside its badge.
    Rank,
}

/// One layer, drawn in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Population cells: squares of their footprint, point cells as dots.
    Cells {
        /// Spacing of point cells, m: a dot is this wide, and never under 4 px.
        point_side_m: f64,
        /// Each cell's mark and fill.
        cells: Vec<(CellMark, Rgb)>,
    },
    /// Polygons (rings in metres): filled when `fill` is given, outlined in `stroke`.
    Polygons {
        /// Exterior rings (analysis CRS, m), each with its fill, `None` for outline only.
        rings: Vec<(Vec<Coord<f64>>, Option<Rgb>)>,
        /// Outline colour of every ring.
        stroke: Rgb,
        /// Outline width, pixels.
        width_px: u32,
        /// Dashes of the outline (on, off), pixels; `None` for a solid outline.
        dash_px: Option<(u32, u32)>,
    },
    /// Polylines (streets), in metres.
    Lines {
        /// Each polyline's vertices (analysis CRS, m).
        lines: Vec<Vec<Coord<f64>>>,
        /// Line colour.
        colour: Rgb,
        /// Line width, pixels.
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
    /// and ranks in their badges.
    Labels {
        /// What the texts label.
        role: LabelRole,
        /// Font size, pixels.
        size_px: u32,
        /// Shift of each text from its point, pixels (right, down).
        offset_px: (i32, i32),
        /// A white outline around each glyph, so the text reads over any fill.
        halo: bool,
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
    /// A line under the title (reach, method, age band).
    pub subtitle: Label,
    /// The area shown, in the analysis CRS, metres: every feature of every layer lies in it.
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
/// Fill of cells within reach in a straight line but not along the streets (purple, as on
/// the interactive map).
pub const STRAIGHT_LINE_ONLY: Rgb = Rgb(150, 80, 190);
/// Fill of cells brought within reach by the proposed sites (blue).
pub const NEWLY_COVERED: Rgb = Rgb(65, 105, 225);
/// Light grey for cells without people; the built-in maps leave such cells out.
pub const EMPTY_CELL: Rgb = Rgb(235, 235, 235);
/// Colour of sub-district boundaries (dark grey).
pub const BOUNDARY: Rgb = Rgb(60, 60, 60);
/// Colour of residential-committee boundaries: thin and dashed (the 街镇' are solid and
/// twice as wide, the streets solid and lighter).
pub const COMMITTEE_BOUNDARY: Rgb = Rgb(70, 70, 70);
/// Dashes of the 居委 boundaries (on, off), pixels.
pub const COMMITTEE_DASH_PX: (u32, u32) = (4, 3);
/// Colour of the walkable streets (thin grey).
pub const STREET: Rgb = Rgb(110, 110, 110);
/// Colour of street islands: pieces of the network too small to snap to (magenta).
pub const STREET_ISLAND: Rgb = Rgb(210, 0, 170);
/// Fill of proposed-site badges (gold).
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
    PALETTE[kind_index(kind)]
}

fn kind_index(kind: FacilityKind) -> usize {
    FacilityKind::ALL
        .iter()
        .position(|&x| x == kind)
        .unwrap_or(0)
}

/// The symbol shape of a kind, one per kind, in the interactive map's order (star, square,
/// triangle, diamond, circle, pentagon, hexagon, cross, down-triangle, ring).
pub fn kind_symbol(kind: FacilityKind) -> Symbol {
    const SHAPES: [Symbol; 10] = [
        Symbol::Star,
        Symbol::Square,
        Symbol::Triangle,
        Symbol::Diamond,
        Symbol::Dot,
        Symbol::Pentagon,
        Symbol::Hexagon,
        Symbol::Cross,
        Symbol::TriangleDown,
        Symbol::Ring,
    ];
    SHAPES[kind_index(kind)]
}

/// The English name of a kind (never its identifier).
pub fn kind_english(kind: FacilityKind) -> String {
    match kind {
        FacilityKind::ComprehensiveCentre => "community elderly service centre",
        FacilityKind::DayCare => "day-care centre",
        FacilityKind::MealPoint => "community canteen",
        FacilityKind::NursingHome => "nursing home",
        FacilityKind::CareHome => "community care home",
        FacilityKind::ActivityRoom => "activity room",
        FacilityKind::NeighbourhoodHub => "neighbourhood hub",
        FacilityKind::MutualHelpPoint => "mutual-help point",
        FacilityKind::RehabAidPoint => "rehabilitation-aid rental point",
        FacilityKind::SportsHealthHome => "sports and health home",
    }
    .to_string()
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// A circle's label split into its Chinese and English: `"一站式15分钟养老服务圈 (one-stop
/// 15-minute circle)"` gives both; a label without Chinese is English; a Chinese label
/// without English gets its reach in English (`"900 m circle"`) for fonts without CJK.
pub fn circle_label(circle: &Circle) -> Label {
    let l = circle.label.trim();
    for (open, close) in [(" (", ')'), ("(", ')'), ("（", '）')] {
        if let (Some(at), true) = (l.find(open), l.ends_with(close)) {
            let zh = l[..at].trim();
            let en = l[at + open.len()..l.len() - close.len_utf8()].trim();
            if !en.is_empty() && !en.chars().any(is_cjk) && zh.chars().any(is_cjk) {
                return Label::new(zh, en);
            }
        }
    }
    if !l.chars().any(is_cjk) {
        return Label::new("", l);
    }
    Label::new(l, format!("{:.0} m circle", circle.radius_m()))
}

/// How a circle measures distance, spelled out.
pub fn method_label(method: Method) -> Label {
    match method {
        Method::Network => Label::new("沿路网步行", "along the streets"),
        Method::StraightLine => Label::new("直线", "straight line"),
    }
}

/// Whose people a share counts.
pub fn age_label(band: AgeBand) -> Label {
    match band {
        AgeBand::Residents => Label::new("全体居民", "all residents"),
        AgeBand::Aged60 => Label::new("60岁及以上", "people aged 60+"),
        AgeBand::Aged65 => Label::new("65岁及以上", "people aged 65+"),
        AgeBand::Aged80 => Label::new("80岁及以上", "people aged 80+"),
    }
}

/// The reach, method and age band of a circle, as a subtitle.
fn circle_subtitle(circle: &Circle) -> Label {
    let (m, a) = (method_label(circle.method), age_label(circle.age_band));
    let r = circle.radius_m();
    Label::new(
        format!("{r:.0} 米 · {} · {}", m.zh, a.zh),
        format!("{r:.0} m {}, {}", m.en, a.en),
    )
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

/// A growing bounding box.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lo: Coord<f64>,
    hi: Coord<f64>,
}

impl Bounds {
    fn new() -> Bounds {
        Bounds {
            lo: Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            hi: Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        }
    }

    fn add(&mut self, p: Coord<f64>) {
        if p.x.is_finite() && p.y.is_finite() {
            self.lo.x = self.lo.x.min(p.x);
            self.lo.y = self.lo.y.min(p.y);
            self.hi.x = self.hi.x.max(p.x);
            self.hi.y = self.hi.y.max(p.y);
        }
    }

    /// The box grown by `margin` of its larger side on each side; a unit box when empty.
    fn rect(&self, margin: f64) -> Rect<f64> {
        if !self.lo.x.is_finite() {
            return Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 });
        }
        let m = margin * (self.hi.x - self.lo.x).max(self.hi.y - self.lo.y).max(1.0);
        Rect::new(
            Coord {
                x: self.lo.x - m,
                y: self.lo.y - m,
            },
            Coord {
                x: self.hi.x + m,
                y: self.hi.y + m,
            },
        )
    }
}

/// The area of interest: the sub-districts (else the cells) with a 3 % margin. Streets are
/// clipped to it.
fn study_frame(study: &Study) -> Rect<f64> {
    let mut b = Bounds::new();
    for a in study.subdistricts.iter().chain(&study.area) {
        for p in &a.boundary_m.0 {
            p.exterior().0.iter().for_each(|&c| b.add(c));
        }
    }
    if !b.lo.x.is_finite() {
        study.cells.iter().for_each(|c| b.add(c.location.xy_m));
    }
    b.rect(0.03)
}

/// The extent of a map: every feature of every layer (cells by their footprint, rings,
/// streets, symbols, label anchors), with a 1 % margin.
pub fn layers_extent(layers: &[Layer]) -> Rect<f64> {
    let mut b = Bounds::new();
    for layer in layers {
        match layer {
            Layer::Cells { cells, .. } => {
                for (m, _) in cells {
                    let (lo, hi) = m.bounds();
                    b.add(lo);
                    b.add(hi);
                }
            }
            Layer::Polygons { rings, .. } => {
                rings.iter().flat_map(|r| &r.0).for_each(|&c| b.add(c));
            }
            Layer::Lines { lines, .. } => lines.iter().flatten().for_each(|&c| b.add(c)),
            Layer::Points { points, .. } => points.iter().for_each(|&c| b.add(c)),
            Layer::Labels { items, .. } => items.iter().for_each(|(c, _)| b.add(*c)),
        }
    }
    b.rect(0.01)
}

/// The part of segment `a`–`b` inside `r` (Liang–Barsky), `None` when it misses `r`.
pub fn clip_segment(
    a: Coord<f64>,
    b: Coord<f64>,
    r: &Rect<f64>,
) -> Option<(Coord<f64>, Coord<f64>)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.x - r.min().x),
        (dx, r.max().x - a.x),
        (-dy, a.y - r.min().y),
        (dy, r.max().y - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((
        Coord {
            x: a.x + t0 * dx,
            y: a.y + t0 * dy,
        },
        Coord {
            x: a.x + t1 * dx,
            y: a.y + t1 * dy,
        },
    ))
}

/// The street network as drawn: polylines clipped to the study frame, the main pieces and
/// the islands apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Streets {
    /// Streets of the pieces points snap to.
    pub main: Vec<Vec<Coord<f64>>>,
    /// Streets of the islands (never snapped to).
    pub islands: Vec<Vec<Coord<f64>>>,
    /// Island pieces with a street in the frame.
    pub island_pieces: usize,
    /// Street drawn, km.
    pub km: f64,
}

impl Streets {
    /// The network's segments inside `frame`, chained into polylines in segment order
    /// (consecutive segments of a way share a node).
    pub fn new(network: &NetworkContext, frame: &Rect<f64>) -> Streets {
        let g = network.graph;
        let mut s = Streets::default();
        let mut pieces = std::collections::BTreeSet::new();
        // The chain being extended: which list, and the node it ends at (unclipped).
        let mut open: Option<(bool, u32)> = None;
        for seg in &g.segments {
            let (a, b) = (g.xy_m[seg.a as usize], g.xy_m[seg.b as usize]);
            let piece = g.component_of(seg.a);
            let island = network
                .islands
                .get(piece as usize)
                .copied()
                .unwrap_or(false);
            let Some((ca, cb)) = clip_segment(a, b, frame) else {
                open = None;
                continue;
            };
            s.km += ((cb.x - ca.x).powi(2) + (cb.y - ca.y).powi(2)).sqrt() / 1000.0;
            if island {
                pieces.insert(piece);
            }
            let list = if island { &mut s.islands } else { &mut s.main };
            let whole = ca == a && cb == b;
            match (open, list.last_mut()) {
                (Some((was_island, end)), Some(line)) if was_island == island && end == seg.a => {
                    line.push(cb)
                }
                _ => list.push(vec![ca, cb]),
            }
            open = whole.then_some((island, seg.b));
        }
        s.island_pieces = pieces.len();
        s
    }
}

/// What every map of a run shares: the study, how cells are drawn, the streets, true north
/// and the credit line.
#[derive(Debug, Clone)]
pub struct MapContext<'a> {
    /// Cells, facilities and areas.
    pub study: &'a Study,
    /// How each cell (study order) is drawn.
    pub cell_marks: Vec<CellMark>,
    /// Spacing of the cells, m (the size of a point cell's dot).
    pub spacing_m: f64,
    /// The streets, when the run has a network.
    pub streets: Option<Streets>,
    /// Direction of true north, degrees clockwise from grid north.
    pub north_deg: f64,
    /// The credit line.
    pub note: String,
}

impl<'a> MapContext<'a> {
    /// Cells with a footprint drawn as its box in the analysis CRS (projected with
    /// `projection`; a square of the cell spacing where that fails or is not given), point
    /// cells as dots; the network's streets clipped to the study's frame.
    pub fn new(
        study: &'a Study,
        projection: Option<&Projection>,
        network: Option<&NetworkContext>,
        north_deg: f64,
        note: &str,
    ) -> MapContext<'a> {
        let spacing_m = cell_spacing_m(study);
        let h = spacing_m / 2.0;
        let cell_marks = study
            .cells
            .iter()
            .map(|c| {
                let p = c.location.xy_m;
                let Some(fp) = &c.footprint else {
                    return CellMark::Point(p);
                };
                let mut b = Bounds::new();
                let projected = projection.is_some_and(|proj| {
                    fp.exterior()
                        .0
                        .iter()
                        .all(|q| match proj.from_wgs84(q.x, q.y) {
                            Ok((x, y)) => {
                                b.add(Coord { x, y });
                                true
                            }
                            Err(_) => false,
                        })
                });
                if projected && b.lo.x < b.hi.x && b.lo.y < b.hi.y {
                    CellMark::Square(Rect::new(b.lo, b.hi))
                } else {
                    CellMark::Square(Rect::new(
                        Coord {
                            x: p.x - h,
                            y: p.y - h,
                        },
                        Coord {
                            x: p.x + h,
                            y: p.y + h,
                        },
                    ))
                }
            })
            .collect();
        let frame = study_frame(study);
        MapContext {
            study,
            cell_marks,
            spacing_m,
            streets: network.map(|n| Streets::new(n, &frame)),
            north_deg,
            note: note.into(),
        }
    }

    /// The cells with people of `band`, each with the fill `colour(i)` gives cell `i`.
    fn cells(&self, band: AgeBand, colour: impl Fn(usize) -> Rgb) -> Layer {
        Layer::Cells {
            point_side_m: self.spacing_m,
            cells: self
                .study
                .cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.counts.band(band) > 0.0)
                .map(|(i, _)| (self.cell_marks[i], colour(i)))
                .collect(),
        }
    }

    /// The street layers and their legend rows.
    fn streets(&self) -> (Vec<Layer>, Vec<LegendEntry>) {
        let Some(s) = &self.streets else {
            return (Vec::new(), Vec::new());
        };
        let mut layers = vec![Layer::Lines {
            lines: s.main.clone(),
            colour: STREET,
            width_px: 1,
        }];
        let mut legend = vec![LegendEntry {
            symbol: Symbol::Line(1),
            colour: STREET,
            label: Label::new("步行道路", format!("walkable streets ({:.0} km)", s.km)),
        }];
        if !s.islands.is_empty() {
            layers.push(Layer::Lines {
                lines: s.islands.clone(),
                colour: STREET_ISLAND,
                width_px: 2,
            });
            legend.push(LegendEntry {
                symbol: Symbol::Line(2),
                colour: STREET_ISLAND,
                label: Label::new(
                    format!("孤立路段 {} 处（不接入）", s.island_pieces),
                    format!("street islands ({}), not snapped to", s.island_pieces),
                ),
            });
        }
        (layers, legend)
    }

    /// The map, its extent taken from its layers.
    fn map(
        &self,
        stem: String,
        title: Label,
        subtitle: Label,
        layers: Vec<Layer>,
        legend_title: Label,
        legend: Vec<LegendEntry>,
    ) -> Map {
        Map {
            stem,
            title,
            subtitle,
            extent: layers_extent(&layers),
            layers,
            legend_title,
            legend,
            north_deg: self.north_deg,
            note: self.note.clone(),
        }
    }
}

/// Exterior rings of `areas`, each with `fill(k)` of its area.
fn rings(
    areas: &[Area],
    fill: impl Fn(usize) -> Option<Rgb>,
) -> Vec<(Vec<Coord<f64>>, Option<Rgb>)> {
    areas
        .iter()
        .enumerate()
        .flat_map(|(k, a)| {
            let f = fill(k);
            a.boundary_m
                .0
                .iter()
                .map(move |p| (p.exterior().0.clone(), f))
        })
        .collect()
}

/// Sub-district outlines (filled with `fills` when given), and the study area's outline
/// (`[study.area]`) over them.
fn subdistrict_outlines(study: &Study, fills: Option<&[Rgb]>) -> Vec<Layer> {
    let mut layers = Vec::new();
    if study.has_subdistrict_polygons() {
        layers.push(Layer::Polygons {
            rings: rings(&study.subdistricts, |k| fills.map(|f| f[k])),
            stroke: BOUNDARY,
            width_px: 2,
            dash_px: None,
        });
    }
    if let Some(a) = &study.area {
        layers.push(Layer::Polygons {
            rings: rings(std::slice::from_ref(a), |_| None),
            stroke: STUDY_AREA,
            width_px: 4,
            dash_px: None,
        });
    }
    layers
}

/// Outline colour of the study area (`[study.area]`).
const STUDY_AREA: Rgb = Rgb(20, 20, 20);

/// Committee outlines, thin and light (filled with `fills` when given).
fn committee_outlines(study: &Study, fills: Option<&[Rgb]>) -> Option<Layer> {
    (!study.committees.is_empty()).then(|| Layer::Polygons {
        rings: rings(&study.committees, |k| fills.map(|f| f[k])),
        stroke: if fills.is_some() {
            Rgb(255, 255, 255)
        } else {
            COMMITTEE_BOUNDARY
        },
        width_px: 1,
        dash_px: fills.is_none().then_some(COMMITTEE_DASH_PX),
    })
}

/// Font size of 街镇 names, px (on the 1600 × 1200 canvas).
pub const AREA_LABEL_PX: u32 = 18;

/// Sub-district names (with `values`, when given) at an interior point of each.
fn subdistrict_names(study: &Study, values: Option<&[String]>) -> Option<Layer> {
    if study.subdistricts.is_empty() {
        return None;
    }
    let items = study
        .subdistricts
        .iter()
        .enumerate()
        .filter_map(|(k, a)| {
            let text = match values {
                Some(v) => format!("{} {}", a.name, v[k]),
                None => a.name.clone(),
            };
            a.boundary_m
                .interior_point()
                .map(|c| (c.0, Label::new(text, String::new())))
        })
        .collect();
    Some(Layer::Labels {
        role: LabelRole::AreaName,
        size_px: AREA_LABEL_PX,
        offset_px: (0, 0),
        halo: true,
        items,
    })
}

/// Facilities of `kinds`, one symbol shape, layer and legend entry per kind.
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
            symbol: kind_symbol(kind),
            colour: kind_colour(kind),
            label: Label::new(
                format!("{} ({})", kind.chinese(), points.len()),
                format!("{} ({})", kind_english(kind), points.len()),
            ),
        });
        layers.push(Layer::Points {
            symbol: kind_symbol(kind),
            colour: kind_colour(kind),
            size_px: 12,
            points,
        });
    }
    (layers, legend)
}

fn boundary_legend(study: &Study, committees: bool) -> Vec<LegendEntry> {
    let mut v = Vec::new();
    if let Some(a) = &study.area {
        v.push(LegendEntry {
            symbol: Symbol::Line(4),
            colour: STUDY_AREA,
            label: Label::new(
                format!("研究范围 {}", a.name),
                format!("study area {}", a.name),
            ),
        });
    }
    if study.has_subdistrict_polygons() {
        v.push(LegendEntry {
            symbol: Symbol::Line(2),
            colour: BOUNDARY,
            label: Label::new("街镇界", "sub-district boundary"),
        });
    }
    if committees && !study.committees.is_empty() {
        v.push(LegendEntry {
            symbol: Symbol::Dashed(1),
            colour: COMMITTEE_BOUNDARY,
            label: Label::new("居委界", "residential committee boundary"),
        });
    }
    v
}

/// People of the circle's band `covered`, and all of them.
fn people_share(study: &Study, band: AgeBand, covered: &[bool]) -> (f64, f64) {
    let mut all = 0.0;
    let mut yes = 0.0;
    for (c, &cov) in study.cells.iter().zip(covered) {
        let w = c.counts.band(band);
        all += w;
        if cov {
            yes += w;
        }
    }
    (yes, all)
}

fn pct(x: f64, all: f64) -> f64 {
    if all > 0.0 {
        100.0 * x / all
    } else {
        0.0
    }
}

fn square(colour: Rgb, zh: String, en: String) -> LegendEntry {
    LegendEntry {
        symbol: Symbol::Square,
        colour,
        label: Label::new(zh, en),
    }
}

/// Coverage of circle `k`: cells with people of the circle's age band, covered or not by
/// the circle's method; the streets; 居委 and 街镇 boundaries; the circle's facilities by
/// kind.
pub fn coverage_map(ctx: &MapContext, coverage: &Coverage, k: usize) -> Map {
    let study = ctx.study;
    let cc = &coverage.circles[k];
    let circle = &cc.circle;
    let (yes, all) = people_share(study, circle.age_band, &cc.covered);
    let band = circle.age_band.to_string();
    let mut legend = vec![
        square(
            COVERED,
            format!("已覆盖 {:.1}%", pct(yes, all)),
            format!("covered ({yes:.0} people {band})"),
        ),
        square(
            NOT_COVERED,
            format!("未覆盖 {:.1}%", pct(all - yes, all)),
            format!("not covered ({:.0} people {band})", all - yes),
        ),
    ];
    let mut layers = vec![ctx.cells(circle.age_band, |i| {
        if cc.covered[i] {
            COVERED
        } else {
            NOT_COVERED
        }
    })];
    let (sl, se) = ctx.streets();
    layers.extend(sl);
    layers.extend(committee_outlines(study, None));
    layers.extend(subdistrict_outlines(study, None));
    let (fl, fe) = facilities(study, &circle.kinds);
    layers.extend(fl);
    layers.extend(subdistrict_names(study, None));
    legend.extend(fe);
    legend.extend(se);
    legend.extend(boundary_legend(study, true));
    let name = circle_label(circle);
    ctx.map(
        format!("coverage_{}", circle.name),
        Label::new(
            format!("{} 覆盖", name.zh),
            format!("coverage: {}", name.en),
        ),
        circle_subtitle(circle),
        layers,
        Label::new("图例", "Legend"),
        legend,
    )
}

/// Walking against the straight line for network circle `k`: cells covered along the
/// streets, covered only in a straight line, or neither. `None` for straight-line circles.
pub fn network_map(ctx: &MapContext, coverage: &Coverage, k: usize) -> Option<Map> {
    let study = ctx.study;
    let cc = &coverage.circles[k];
    let straight = cc.covered_straight_line.as_ref()?;
    let circle = &cc.circle;
    let class = |i: usize| match (cc.covered[i], straight[i]) {
        (true, _) => COVERED,
        (false, true) => STRAIGHT_LINE_ONLY,
        (false, false) => NOT_COVERED,
    };
    let either: Vec<bool> = cc
        .covered
        .iter()
        .zip(straight)
        .map(|(a, b)| *a || *b)
        .collect();
    let (walk, all) = people_share(study, circle.age_band, &cc.covered);
    let (any, _) = people_share(study, circle.age_band, &either);
    let band = circle.age_band.to_string();
    let mut layers = vec![ctx.cells(circle.age_band, class)];
    let (sl, se) = ctx.streets();
    layers.extend(sl);
    layers.extend(subdistrict_outlines(study, None));
    let (fl, fe) = facilities(study, &circle.kinds);
    layers.extend(fl);
    layers.extend(subdistrict_names(study, None));
    let mut legend = vec![
        square(
            COVERED,
            format!("沿路网步行可达 {:.1}%", pct(walk, all)),
            format!("covered along the streets ({walk:.0} people {band})"),
        ),
        square(
            STRAIGHT_LINE_ONLY,
            format!("仅直线可达 {:.1}%", pct(any - walk, all)),
            format!("covered in a straight line only ({:.0})", any - walk),
        ),
        square(
            NOT_COVERED,
            format!("均不可达 {:.1}%", pct(all - any, all)),
            format!("covered neither way ({:.0})", all - any),
        ),
    ];
    legend.extend(fe);
    legend.extend(se);
    legend.extend(boundary_legend(study, false));
    let name = circle_label(circle);
    let r = circle.radius_m();
    Some(ctx.map(
        format!("network_vs_straight_line_{}", circle.name),
        Label::new(
            format!("{} 沿路网步行与直线对比", name.zh),
            format!("along the streets vs straight line: {}", name.en),
        ),
        Label::new(
            format!("{r:.0} 米 · {}", age_label(circle.age_band).zh),
            format!(
                "{r:.0} m walked along the streets or measured in a straight line, {}",
                age_label(circle.age_band).en
            ),
        ),
        layers,
        Label::new("图例", "Legend"),
        legend,
    ))
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

/// The legend of a share choropleth (with a no-data row when `fills` has one).
fn share_legend(fills: &[Rgb]) -> Vec<LegendEntry> {
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
            square(
                *colour,
                format!("覆盖率 {range}"),
                format!("covered {range}"),
            )
        })
        .collect();
    if fills.contains(&NO_DATA) {
        legend.push(square(NO_DATA, "无人口".into(), "no people".into()));
    }
    legend
}

/// Choropleth per sub-district of circle `k`'s coverage share (people of its band).
pub fn choropleth_map(
    ctx: &MapContext,
    coverage: &Coverage,
    indicators: &Indicators,
    k: usize,
) -> Option<Map> {
    let study = ctx.study;
    // No polygons to shade (none given, or sub-districts named by a field only).
    if !study.has_subdistrict_polygons() {
        return None;
    }
    let row = indicators.district.circles.get(k)?;
    let circle = &coverage.circles.get(k)?.circle;
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
    let layers: Vec<Layer> = subdistrict_outlines(study, Some(&fills))
        .into_iter()
        .chain(subdistrict_names(study, Some(&values)))
        .collect();
    let share = row.share().unwrap_or(0.0);
    let name = circle_label(circle);
    Some(ctx.map(
        format!("choropleth_{}_share", circle.name),
        Label::new(
            format!("各街镇 {} 覆盖率", name.zh),
            format!("share covered per sub-district: {}", name.en),
        ),
        whole_area_subtitle(share, circle),
        layers,
        Label::new("覆盖率", "Share covered"),
        share_legend(&fills),
    ))
}

/// The choropleths' subtitle: the whole study area's share and the circle's reach.
fn whole_area_subtitle(share: f64, circle: &Circle) -> Label {
    let c = circle_subtitle(circle);
    Label::new(
        format!("全区 {:.1}% · {}", 100.0 * share, c.zh),
        format!("whole study area {:.1} %; {}", 100.0 * share, c.en),
    )
}

/// Choropleth per residential committee of circle `k`'s coverage share, under the 街镇
/// boundaries and names. `None` without committees.
pub fn committee_choropleth_map(
    ctx: &MapContext,
    coverage: &Coverage,
    indicators: &Indicators,
    k: usize,
) -> Option<Map> {
    let study = ctx.study;
    if study.committees.is_empty() || indicators.committees.len() != study.committees.len() {
        return None;
    }
    let row = indicators.district.circles.get(k)?;
    let circle = &coverage.circles.get(k)?.circle;
    let fills: Vec<Rgb> = indicators
        .committees
        .iter()
        .map(|row| share_colour(row.circles.get(k).and_then(|c| c.share())))
        .collect();
    let mut layers: Vec<Layer> = committee_outlines(study, Some(&fills))
        .into_iter()
        .collect();
    layers.extend(subdistrict_outlines(study, None));
    layers.extend(subdistrict_names(study, None));
    let mut legend = share_legend(&fills);
    legend.extend(boundary_legend(study, false));
    legend.push(LegendEntry {
        symbol: Symbol::Line(1),
        colour: Rgb(255, 255, 255),
        label: Label::new(
            format!("居委界（{} 个）", study.committees.len()),
            format!(
                "residential committee boundary ({})",
                study.committees.len()
            ),
        ),
    });
    let share = row.share().unwrap_or(0.0);
    let name = circle_label(circle);
    Some(ctx.map(
        format!("choropleth_committee_{}_share", circle.name),
        Label::new(
            format!("各居委 {} 覆盖率", name.zh),
            format!("share covered per residential committee: {}", name.en),
        ),
        whole_area_subtitle(share, circle),
        layers,
        Label::new("覆盖率", "Share covered"),
        legend,
    ))
}

/// Proposed sites over today's coverage by the kind: cells within `circle`'s reach of the
/// kind today (`before`), newly within reach with the proposal (`after`), still not; the
/// streets; the existing facilities of the kind; the new sites as gold badges numbered by
/// rank.
pub fn proposal_map(
    ctx: &MapContext,
    circle: &Circle,
    kind: FacilityKind,
    before: &[bool],
    after: &[bool],
    sites: &[(Coord<f64>, usize)],
) -> Map {
    let study = ctx.study;
    let colour = |i: usize| match (before[i], after[i]) {
        (true, _) => COVERED,
        (false, true) => NEWLY_COVERED,
        (false, false) => NOT_COVERED,
    };
    let either: Vec<bool> = before.iter().zip(after).map(|(a, b)| *a || *b).collect();
    let (after_n, _) = people_share(study, circle.age_band, &either);
    let (before_n, all) = people_share(study, circle.age_band, before);
    let mut layers = vec![ctx.cells(circle.age_band, colour)];
    let (sl, se) = ctx.streets();
    layers.extend(sl);
    layers.extend(subdistrict_outlines(study, None));
    let (fl, fe) = facilities(study, &[kind]);
    layers.extend(fl);
    layers.extend(subdistrict_names(study, None));
    layers.push(Layer::Points {
        symbol: Symbol::Badge,
        colour: PROPOSED,
        size_px: 22,
        points: sites.iter().map(|s| s.0).collect(),
    });
    layers.push(Layer::Labels {
        role: LabelRole::Rank,
        size_px: 14,
        offset_px: (0, 0),
        halo: false,
        items: sites
            .iter()
            .map(|&(p, rank)| (p, Label::new(String::new(), format!("{rank}"))))
            .collect(),
    });
    let mut legend = vec![
        square(
            COVERED,
            "现状已覆盖".into(),
            format!("covered today ({before_n:.0})"),
        ),
        square(
            NEWLY_COVERED,
            "新增覆盖".into(),
            format!("newly covered ({:.0})", after_n - before_n),
        ),
        square(
            NOT_COVERED,
            "仍未覆盖".into(),
            format!("still not covered ({:.0})", all - after_n),
        ),
    ];
    legend.extend(fe);
    legend.push(LegendEntry {
        symbol: Symbol::Badge,
        colour: PROPOSED,
        label: Label::new(
            format!("规划新增 {} 处（按优先序编号）", sites.len()),
            format!("proposed ({}), numbered by priority", sites.len()),
        ),
    });
    legend.extend(se);
    legend.extend(boundary_legend(study, false));
    let name = circle_label(circle);
    let (m, a) = (method_label(circle.method), age_label(circle.age_band));
    let r = circle.radius_m();
    ctx.map(
        "proposed_sites".into(),
        Label::new(
            format!("规划新增{}选址", kind.chinese()),
            format!("proposed {} sites", kind_english(kind)),
        ),
        Label::new(
            format!("{} · {r:.0} 米{}可达 · {}", name.zh, m.zh, a.zh),
            format!(
                "{} within {r:.0} m ({}) of a {}; {}",
                a.en,
                m.en,
                kind_english(kind),
                name.en
            ),
        ),
        layers,
        Label::new("图例", "Legend"),
        legend,
    )
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
pub fn north_deg(study: &Study, projection: &Projection) -> f64 {
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

/// The shared context of a run's maps: footprints projected with the analysis CRS, the
/// analysis's streets, true north, the credit line.
pub fn run_context<'a>(plan: &crate::plan::Plan, a: &'a Analysis) -> MapContext<'a> {
    let note = format!(
        "lifecircle · {} · analysis CRS EPSG:{} {} · north arrow: true north",
        plan.name,
        a.projection.epsg(),
        a.projection.name()
    );
    MapContext::new(
        &a.study,
        Some(&a.projection),
        a.network.as_ref(),
        north_deg(&a.study, &a.projection),
        &note,
    )
}

/// Every map of a run, in drawing order: per circle its coverage map; per network circle
/// the walk against the straight line; per circle the 街镇 choropleth (with sub-districts)
/// and the 居委 choropleth (with committees); the proposed sites (with a proposal).
pub fn run_maps(plan: &crate::plan::Plan, a: &Analysis) -> Vec<Map> {
    let ctx = run_context(plan, a);
    let (coverage, indicators) = (&a.coverage, &a.indicators);
    let n = coverage.circles.len();
    let mut maps: Vec<Map> = (0..n).map(|k| coverage_map(&ctx, coverage, k)).collect();
    maps.extend((0..n).filter_map(|k| network_map(&ctx, coverage, k)));
    maps.extend((0..n).filter_map(|k| choropleth_map(&ctx, coverage, indicators, k)));
    maps.extend((0..n).filter_map(|k| committee_choropleth_map(&ctx, coverage, indicators, k)));
    if let Some(p) = &a.proposal {
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
            &ctx,
            &cc.circle,
            p.kind,
            &before,
            &p.covered_after,
            &sites,
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

    #[test]
    fn every_kind_has_its_own_shape_and_a_spelled_out_name() {
        let shapes: std::collections::BTreeSet<String> = FacilityKind::ALL
            .iter()
            .map(|&k| format!("{:?}", kind_symbol(k)))
            .collect();
        assert_eq!(shapes.len(), FacilityKind::ALL.len());
        for k in FacilityKind::ALL {
            let en = kind_english(k);
            assert!(!en.contains('_') && en != k.id(), "{en}");
        }
    }

    #[test]
    fn circle_labels_split_into_chinese_and_english() {
        let mut c = crate::standards::Standards::preset("xuhui-2025")
            .unwrap()
            .circles[0]
            .clone();
        c.label = "一站式15分钟养老服务圈 (one-stop 15-minute circle)".into();
        let l = circle_label(&c);
        assert_eq!(l.zh, "一站式15分钟养老服务圈");
        assert_eq!(l.en, "one-stop 15-minute circle");
        c.label = "家门口生活圈（doorstep circle）".into();
        assert_eq!(circle_label(&c).en, "doorstep circle");
        c.label = "walk circle".into();
        assert_eq!(circle_label(&c), Label::new("", "walk circle"));
        c.label = "养老服务圈".into();
        let l = circle_label(&c);
        assert_eq!(l.zh, "养老服务圈");
        assert!(l.en.ends_with(" m circle"), "{}", l.en);
        assert_eq!(method_label(Method::StraightLine).en, "straight line");
        assert_eq!(method_label(Method::Network).zh, "沿路网步行");
    }

    #[test]
    fn segments_are_clipped_to_the_frame() {
        let r = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 10.0, y: 10.0 });
        let c = |x, y| Coord { x, y };
        assert_eq!(
            clip_segment(c(-5.0, 5.0), c(15.0, 5.0), &r),
            Some((c(0.0, 5.0), c(10.0, 5.0)))
        );
        assert_eq!(clip_segment(c(-5.0, -5.0), c(-1.0, 20.0), &r), None);
        assert_eq!(
            clip_segment(c(2.0, 2.0), c(3.0, 4.0), &r),
            Some((c(2.0, 2.0), c(3.0, 4.0)))
        );
        assert_eq!(
            clip_segment(c(5.0, 5.0), c(5.0, 30.0), &r),
            Some((c(5.0, 5.0), c(5.0, 10.0)))
        );
    }

    #[test]
    fn the_extent_holds_every_feature() {
        let layers = vec![
            Layer::Cells {
                point_side_m: 10.0,
                cells: vec![(
                    CellMark::Square(Rect::new(
                        Coord { x: 0.0, y: 0.0 },
                        Coord { x: 100.0, y: 100.0 },
                    )),
                    COVERED,
                )],
            },
            Layer::Points {
                symbol: Symbol::Badge,
                colour: PROPOSED,
                size_px: 22,
                points: vec![Coord {
                    x: 500.0,
                    y: -300.0,
                }],
            },
        ];
        let e = layers_extent(&layers);
        assert!(e.min().x < 0.0 && e.min().y < -300.0);
        assert!(e.max().x > 500.0 && e.max().y > 100.0);
    }
}
