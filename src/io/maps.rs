//! Drawing [`Map`]s to PNG and SVG with plotters: the layers in a data frame, and around it,
//! never over data, the title and subtitle (above), the legend, north arrow and scale bar in
//! metres (the side panel on the right) and the credit line (below).
//!
//! Layout rule: the map's extent holds every feature of its layers and is fitted, centred,
//! into the frame inset by 16 px (so symbols at its edge stay inside); labels that would
//! cross the frame's edge are shifted in. [`Placement`] returns the box of every shape and
//! text with its [`Role`], which `tests/map_layout.rs` checks.
//!
//! Text: PNG text is rasterised here from a TrueType/OpenType font (ab_glyph), because the
//! pure-Rust plotters build has no font engine. [`locate_font`] takes the font the user names
//! (`LIFECIRCLE_FONT` or the plan's `[report] font`), else the first CJK font found in the
//! usual places (Noto Sans CJK, WenQuanYi, Droid Sans Fallback, PingFang, Microsoft YaHei).
//! Fallback, documented and reported: with only a Latin font, labels are drawn in English;
//! with no font at all, PNG maps carry no text (the SVG maps always do, in the viewer's
//! fonts). Never empty boxes: a font is only used for Chinese after checking it has the
//! glyphs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontArc, PxScale, ScaleFont};
use geo::Coord;
use plotters::prelude::*;
use plotters_backend::DrawingErrorKind;

use crate::io::atomic::write_atomic;
use crate::map::{scale_bar_m, CellMark, Label, LabelRole, Layer, Map, Rgb, Symbol};

/// A font for map text.
#[derive(Clone)]
pub struct MapFont {
    pub path: PathBuf,
    pub font: FontArc,
    /// Whether it has Chinese glyphs (checked, not assumed).
    pub cjk: bool,
}

impl std::fmt::Debug for MapFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapFont")
            .field("path", &self.path)
            .field("cjk", &self.cjk)
            .finish()
    }
}

/// Why a named font cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("font {path}: {problem}")]
    Unusable { path: PathBuf, problem: String },
}

/// Places CJK fonts are usually found (Debian/Ubuntu, Fedora/Arch, macOS, Windows).
const CJK_FONTS: [&str; 12] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
];
/// Latin fonts, for the English-only fallback.
const LATIN_FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Helvetica.ttc",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Characters a font must have to draw the maps' Chinese.
const CJK_PROBE: &str = "养老服务圈覆盖街镇图例比例尺北";

/// Loads a font file and checks which scripts it can draw.
pub fn load_font(path: &Path) -> Result<MapFont, FontError> {
    let err = |problem: String| FontError::Unusable {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let font = FontArc::try_from_vec(bytes)
        .map_err(|_| err("not a TrueType/OpenType font or collection".into()))?;
    if "Legend0123456789".chars().any(|c| font.glyph_id(c).0 == 0) {
        return Err(err("has no Latin letters or digits".into()));
    }
    let cjk = CJK_PROBE.chars().all(|c| font.glyph_id(c).0 != 0);
    Ok(MapFont {
        path: path.to_path_buf(),
        font,
        cjk,
    })
}

/// The font for map text: `explicit` (from `LIFECIRCLE_FONT` or the plan) must load and
/// have Chinese glyphs; otherwise the first CJK font found, then a Latin one; `None` when
/// the machine has neither.
pub fn locate_font(explicit: Option<&Path>) -> Result<Option<MapFont>, FontError> {
    let env = std::env::var_os("LIFECIRCLE_FONT").map(PathBuf::from);
    if let Some(path) = explicit.map(Path::to_path_buf).or(env) {
        let f = load_font(&path)?;
        if !f.cjk {
            return Err(FontError::Unusable {
                path,
                problem: format!("has no glyphs for some of \"{CJK_PROBE}\"; name a CJK font"),
            });
        }
        return Ok(Some(f));
    }
    for p in CJK_FONTS {
        if let Ok(f) = load_font(Path::new(p)) {
            if f.cjk {
                return Ok(Some(f));
            }
        }
    }
    Ok(LATIN_FONTS
        .iter()
        .find_map(|p| load_font(Path::new(p)).ok()))
}

/// A pixel box, bounds included: the pixels a shape or text may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PxBox {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl PxBox {
    /// The box of `points` (empty input: a box at the origin).
    fn of(points: impl IntoIterator<Item = (i32, i32)>) -> PxBox {
        let mut b: Option<PxBox> = None;
        for (x, y) in points {
            b = Some(match b {
                None => PxBox {
                    x0: x,
                    y0: y,
                    x1: x,
                    y1: y,
                },
                Some(b) => PxBox {
                    x0: b.x0.min(x),
                    y0: b.y0.min(y),
                    x1: b.x1.max(x),
                    y1: b.y1.max(y),
                },
            });
        }
        b.unwrap_or(PxBox {
            x0: 0,
            y0: 0,
            x1: 0,
            y1: 0,
        })
    }

    fn grow(self, d: i32) -> PxBox {
        PxBox {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }

    /// The smallest box holding both.
    pub fn union(self, o: PxBox) -> PxBox {
        PxBox {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    /// Whether the two boxes share a pixel.
    pub fn intersects(&self, o: &PxBox) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }

    /// Whether every pixel of `self` is in `o`.
    pub fn within(&self, o: &PxBox) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
}

/// What a drawn item is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The white canvas.
    Background,
    /// A data feature: a cell, a street, a boundary, a facility or site symbol.
    Data,
    /// A 街镇 name (a data feature).
    AreaLabel,
    /// A proposed site's rank (a data feature).
    RankLabel,
    /// The data frame's outline.
    Frame,
    /// Title and subtitle.
    Title,
    /// The legend: heading, symbols and texts.
    Legend,
    /// The scale bar and its texts.
    ScaleBar,
    /// The north arrow and its text.
    NorthArrow,
    /// The credit line.
    Credit,
}

impl Role {
    /// Whether the item shows data (and must lie in the data frame).
    pub fn is_data(self) -> bool {
        matches!(self, Role::Data | Role::AreaLabel | Role::RankLabel)
    }
}

/// One shape or text as laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub role: Role,
    /// The pixels it may touch (texts: advance width × ascent to descent, halo included).
    pub bbox: PxBox,
    /// The text, for texts.
    pub text: Option<String>,
    /// Font size of a text, px (0 for shapes).
    pub size_px: f32,
    /// Whether a text has a white outline (halo).
    pub halo: bool,
}

/// Where things landed on the canvas, for callers and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Pixels per metre of the data frame.
    pub px_per_m: f64,
    /// Map origin: the pixel of the extent's top-left corner.
    pub origin_px: (f64, f64),
    /// Top-left of the extent in metres (min x, max y).
    pub origin_m: (f64, f64),
    /// The data frame: every data feature lies in it, nothing else does.
    pub frame: PxBox,
    /// Each legend row's swatch box (x0, y0, x1, y1), px.
    pub swatches: Vec<(i32, i32, i32, i32)>,
    /// Scale bar: left x, right x, y (px) and its length, m.
    pub scale_bar: (i32, i32, i32, f64),
    /// Title baseline position, px.
    pub title_at: (i32, i32),
    /// Every shape and text, in drawing order.
    pub items: Vec<Drawn>,
}

impl Placement {
    /// The pixel of a point in metres.
    pub fn to_px(&self, c: Coord<f64>) -> (i32, i32) {
        (
            (self.origin_px.0 + (c.x - self.origin_m.0) * self.px_per_m).round() as i32,
            (self.origin_px.1 + (self.origin_m.1 - c.y) * self.px_per_m).round() as i32,
        )
    }

    /// The items of `role`.
    pub fn of(&self, role: Role) -> impl Iterator<Item = &Drawn> {
        self.items.iter().filter(move |d| d.role == role)
    }

    /// The box holding every item of `role`, `None` when there is none.
    pub fn region(&self, role: Role) -> Option<PxBox> {
        self.of(role).map(|d| d.bbox).reduce(PxBox::union)
    }
}

/// Canvas size, px.
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 1200;
/// The data frame: left, top, right, bottom, px. Title and subtitle above it, the credit
/// line below, the side panel (legend, north arrow, scale bar) right of it: nothing but
/// data is drawn inside.
pub const FRAME: (i32, i32, i32, i32) = (20, 90, 1180, 1150);
/// The side panel right of the frame: left, top, right, bottom, px.
pub const SIDE: (i32, i32, i32, i32) = (1200, 90, 1580, 1150);
/// Inset of the extent within the frame, px, so symbols at the extent's edge stay inside.
const PAD_PX: i32 = 16;
/// The legend ends above this y (the north arrow and scale bar are below).
const LEGEND_BOTTOM: i32 = 930;

enum Shape {
    /// A filled cell from `a` to `z` exclusive, so neighbours tile without gaps or overlap
    /// (the bitmap backend fills up to `z` exclusive, SVG rects span `z − a`).
    Tile {
        a: (i32, i32),
        z: (i32, i32),
        colour: Rgb,
    },
    Rect {
        a: (i32, i32),
        b: (i32, i32),
        colour: Rgb,
        filled: bool,
        width: u32,
    },
    Polygon {
        points: Vec<(i32, i32)>,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, u32)>,
    },
    /// A disc, with a rim of `outline` (colour, px) around it.
    Circle {
        centre: (i32, i32),
        radius: u32,
        fill: Rgb,
        outline: Option<(Rgb, u32)>,
    },
    /// Polylines of one colour and width, solid or dashed (on, off px): one `<path>` in SVG.
    Lines {
        lines: Vec<Vec<(i32, i32)>>,
        colour: Rgb,
        width: u32,
        dash: Option<(u32, u32)>,
    },
}

impl Shape {
    fn bbox(&self) -> PxBox {
        let half = |w: u32| (w as i32 + 1) / 2;
        match self {
            Shape::Tile { a, z, .. } => PxBox {
                x0: a.0,
                y0: a.1,
                x1: z.0 - 1,
                y1: z.1 - 1,
            },
            Shape::Rect {
                a,
                b,
                filled,
                width,
                ..
            } => PxBox::of([*a, *b]).grow(if *filled { 0 } else { half(*width) }),
            Shape::Polygon { points, stroke, .. } => {
                PxBox::of(points.iter().copied()).grow(stroke.map_or(0, |s| half(s.1)))
            }
            Shape::Circle {
                centre,
                radius,
                outline,
                ..
            } => PxBox::of([*centre]).grow(*radius as i32 + outline.map_or(0, |o| o.1 as i32)),
            Shape::Lines { lines, width, .. } => {
                PxBox::of(lines.iter().flatten().copied()).grow(half(*width))
            }
        }
    }
}

/// Horizontal anchor of a text.
#[derive(Clone, Copy, PartialEq)]
enum Anchor {
    Left,
    Centre,
}

struct Text {
    /// Baseline start (left) or baseline centre.
    at: (i32, i32),
    text: String,
    size_px: f32,
    colour: Rgb,
    anchor: Anchor,
    /// A white outline so the text reads over the cells.
    halo: bool,
}

/// Halo radius, px.
const HALO_PX: f32 = 2.0;

/// Width of `text` at `size_px`: measured with the font (kerning included), else estimated.
fn text_width(font: Option<&MapFont>, text: &str, size_px: f32) -> f32 {
    match font {
        Some(f) => {
            let s = f.font.as_scaled(PxScale::from(size_px));
            let mut w = 0.0;
            let mut prev = None;
            for c in text.chars() {
                let id = f.font.glyph_id(c);
                if let Some(p) = prev {
                    w += s.kern(p, id);
                }
                w += s.h_advance(id);
                prev = Some(id);
            }
            w
        }
        None => text
            .chars()
            .map(|c| if c.is_ascii() { 0.6 } else { 1.0 } * size_px)
            .sum(),
    }
}

/// The pixels `t` may touch: its advance width, from the font's ascent to its descent,
/// widened by the halo and a pixel for glyphs overhanging their advance.
fn text_box(font: Option<&MapFont>, t: &Text) -> PxBox {
    let w = text_width(font, &t.text, t.size_px);
    let (asc, desc) = match font {
        Some(f) => {
            let s = f.font.as_scaled(PxScale::from(t.size_px));
            (s.ascent(), -s.descent())
        }
        None => (0.9 * t.size_px, 0.25 * t.size_px),
    };
    let x0 = match t.anchor {
        Anchor::Left => t.at.0 as f32,
        Anchor::Centre => t.at.0 as f32 - w / 2.0,
    };
    let m = if t.halo { HALO_PX + 1.0 } else { 1.0 };
    PxBox {
        x0: (x0 - m).floor() as i32,
        y0: (t.at.1 as f32 - asc - m).floor() as i32,
        x1: (x0 + w + m).ceil() as i32,
        y1: (t.at.1 as f32 + desc + m).ceil() as i32,
    }
}

/// `size_px`, or smaller so that `text` is at most `max_w` wide.
fn fit(font: Option<&MapFont>, text: &str, size_px: f32, max_w: f32) -> f32 {
    let w = text_width(font, text, size_px);
    if w > max_w && w > 0.0 {
        (size_px * max_w / w).floor().max(6.0)
    } else {
        size_px
    }
}

/// Shapes and texts with the role each plays, in drawing order.
struct Canvas {
    shapes: Vec<(Role, Shape)>,
    texts: Vec<(Role, Text)>,
}

impl Canvas {
    fn shape(&mut self, role: Role, s: Shape) {
        self.shapes.push((role, s));
    }
    fn text(&mut self, role: Role, t: Text) {
        self.texts.push((role, t));
    }
}

/// Pixels of a ring or line with repeated points dropped.
fn dedup_px(points: impl Iterator<Item = (i32, i32)>) -> Vec<(i32, i32)> {
    let mut v: Vec<(i32, i32)> = Vec::new();
    for p in points {
        if v.last() != Some(&p) {
            v.push(p);
        }
    }
    v
}

/// Lays out `map`: shapes first, then texts, both in drawing order, and where each landed.
fn layout(map: &Map, font: Option<&MapFont>) -> (Vec<Shape>, Vec<Text>, Placement) {
    let cjk = font.is_none_or(|f| f.cjk);
    let (l, t, r, b) = FRAME;
    let (il, it, ir, ib) = (l + PAD_PX, t + PAD_PX, r - PAD_PX, b - PAD_PX);
    let (pw, ph) = (f64::from(ir - il), f64::from(ib - it));
    let (ew, eh) = (map.extent.width().max(1e-9), map.extent.height().max(1e-9));
    let s = (pw / ew).min(ph / eh);
    let origin_px = (
        f64::from(il) + (pw - ew * s) / 2.0,
        f64::from(it) + (ph - eh * s) / 2.0,
    );
    let frame = PxBox {
        x0: l,
        y0: t,
        x1: r,
        y1: b,
    };
    let mut placement = Placement {
        px_per_m: s,
        origin_px,
        origin_m: (map.extent.min().x, map.extent.max().y),
        frame,
        swatches: Vec::new(),
        scale_bar: (0, 0, 0, 0.0),
        title_at: (20, 42),
        items: Vec::new(),
    };
    let mut c = Canvas {
        shapes: Vec::new(),
        texts: Vec::new(),
    };
    let label = |text: &Label| text.text(cjk);
    c.shape(
        Role::Background,
        Shape::Rect {
            a: (0, 0),
            b: (WIDTH as i32, HEIGHT as i32),
            colour: Rgb(255, 255, 255),
            filled: true,
            width: 1,
        },
    );
    for layer in &map.layers {
        match layer {
            Layer::Cells {
                point_side_m,
                cells,
            } => {
                // Dots of point cells: as wide as their spacing, never under 4 px.
                let radius = (point_side_m * s * 0.45).round().max(2.0) as u32;
                for (mark, colour) in cells {
                    match mark {
                        CellMark::Square(rect) => {
                            // Corners rounded to pixels, so neighbouring cells tile
                            // without gaps.
                            let a = placement.to_px(Coord {
                                x: rect.min().x,
                                y: rect.max().y,
                            });
                            let z = placement.to_px(Coord {
                                x: rect.max().x,
                                y: rect.min().y,
                            });
                            c.shape(
                                Role::Data,
                                Shape::Tile {
                                    a,
                                    z: (z.0.max(a.0 + 1), z.1.max(a.1 + 1)),
                                    colour: *colour,
                                },
                            );
                        }
                        CellMark::Point(p) => c.shape(
                            Role::Data,
                            Shape::Circle {
                                centre: placement.to_px(*p),
                                radius,
                                fill: *colour,
                                outline: None,
                            },
                        ),
                    }
                }
            }
            Layer::Polygons {
                rings,
                stroke,
                width_px,
                dash_px: Some(dash),
            } if rings.iter().all(|r| r.1.is_none()) => {
                // Dashed outlines: closed polylines.
                let lines: Vec<Vec<(i32, i32)>> = rings
                    .iter()
                    .map(|(ring, _)| dedup_px(ring.iter().map(|p| placement.to_px(*p))))
                    .filter(|l| l.len() >= 2)
                    .collect();
                c.shape(
                    Role::Data,
                    Shape::Lines {
                        lines,
                        colour: *stroke,
                        width: *width_px,
                        dash: Some(*dash),
                    },
                );
            }
            Layer::Polygons {
                rings,
                stroke,
                width_px,
                ..
            } => {
                for (ring, fill) in rings {
                    let points = dedup_px(ring.iter().map(|p| placement.to_px(*p)));
                    if points.len() >= 2 {
                        c.shape(
                            Role::Data,
                            Shape::Polygon {
                                points,
                                fill: *fill,
                                stroke: Some((*stroke, *width_px)),
                            },
                        );
                    }
                }
            }
            Layer::Lines {
                lines,
                colour,
                width_px,
            } => {
                let lines: Vec<Vec<(i32, i32)>> = lines
                    .iter()
                    .map(|line| dedup_px(line.iter().map(|p| placement.to_px(*p))))
                    .filter(|l| l.len() >= 2)
                    .collect();
                if !lines.is_empty() {
                    c.shape(
                        Role::Data,
                        Shape::Lines {
                            lines,
                            colour: *colour,
                            width: *width_px,
                            dash: None,
                        },
                    );
                }
            }
            Layer::Points {
                symbol,
                colour,
                size_px,
                points,
            } => {
                for p in points {
                    for shape in symbol_shapes(*symbol, placement.to_px(*p), *size_px, *colour) {
                        c.shape(Role::Data, shape);
                    }
                }
            }
            Layer::Labels {
                role,
                size_px,
                offset_px,
                halo,
                items,
            } => {
                let role = match role {
                    LabelRole::AreaName => Role::AreaLabel,
                    LabelRole::Rank => Role::RankLabel,
                };
                for (p, text) in items {
                    let (x, y) = placement.to_px(*p);
                    let mut t = Text {
                        at: (x + offset_px.0, y + offset_px.1 + *size_px as i32 / 3),
                        text: label(text),
                        size_px: *size_px as f32,
                        colour: Rgb(20, 20, 20),
                        anchor: Anchor::Centre,
                        halo: *halo,
                    };
                    // Kept inside the frame: shifted in from an edge it would cross.
                    let bx = text_box(font, &t);
                    let inner = frame.grow(-2);
                    let dx = (inner.x0 - bx.x0).max(0) - (bx.x1 - inner.x1).max(0);
                    let dy = (inner.y0 - bx.y0).max(0) - (bx.y1 - inner.y1).max(0);
                    t.at = (t.at.0 + dx, t.at.1 + dy);
                    c.text(role, t);
                }
            }
        }
    }
    c.shape(
        Role::Frame,
        Shape::Rect {
            a: (l, t),
            b: (r, b),
            colour: Rgb(120, 120, 120),
            filled: false,
            width: 1,
        },
    );
    // Title, subtitle, credit: above and below the frame, as wide as the canvas allows.
    let full_w = (WIDTH as i32 - 40) as f32;
    for (text, at, size, colour, role) in [
        (
            label(&map.title),
            placement.title_at,
            30.0,
            Rgb(0, 0, 0),
            Role::Title,
        ),
        (
            label(&map.subtitle),
            (20, 74),
            18.0,
            Rgb(70, 70, 70),
            Role::Title,
        ),
        (
            map.note.clone(),
            (20, HEIGHT as i32 - 24),
            14.0,
            Rgb(90, 90, 90),
            Role::Credit,
        ),
    ] {
        let size_px = fit(font, &text, size, full_w);
        c.text(
            role,
            Text {
                at,
                text,
                size_px,
                colour,
                anchor: Anchor::Left,
                halo: false,
            },
        );
    }
    legend(&mut c, &mut placement, map, font, cjk);
    scale_bar(&mut c, &mut placement, ew, s, cjk);
    north_arrow(&mut c, map.north_deg, cjk);

    let mut shapes = Vec::with_capacity(c.shapes.len());
    let mut texts = Vec::with_capacity(c.texts.len());
    for (role, shape) in c.shapes {
        placement.items.push(Drawn {
            role,
            bbox: shape.bbox(),
            text: None,
            size_px: 0.0,
            halo: false,
        });
        shapes.push(shape);
    }
    for (role, text) in c.texts {
        placement.items.push(Drawn {
            role,
            bbox: text_box(font, &text),
            text: Some(text.text.clone()),
            size_px: text.size_px,
            halo: text.halo,
        });
        texts.push(text);
    }
    (shapes, texts, placement)
}

/// The legend at the top of the side panel; rows closer together (and their text smaller)
/// when there are too many to fit above the north arrow.
fn legend(c: &mut Canvas, placement: &mut Placement, map: &Map, font: Option<&MapFont>, cjk: bool) {
    let (lx, ly, rx, _) = SIDE;
    let text_w = (rx - lx - 36) as f32;
    let heading = label_text(&map.legend_title, cjk);
    c.text(
        Role::Legend,
        Text {
            at: (lx, ly + 22),
            size_px: fit(font, &heading, 22.0, (rx - lx) as f32),
            text: heading,
            colour: Rgb(0, 0, 0),
            anchor: Anchor::Left,
            halo: false,
        },
    );
    let base_h = if cjk { 46 } else { 32 };
    let n = map.legend.len().max(1) as i32;
    let row_h = base_h.min((LEGEND_BOTTOM - (ly + 44)) / n).max(12);
    let k = row_h as f32 / base_h as f32;
    let sw_px = 24.min(row_h - 4).max(8);
    for (i, e) in map.legend.iter().enumerate() {
        let y = ly + 44 + i as i32 * row_h;
        let sw = (lx, y, lx + sw_px, y + sw_px);
        placement.swatches.push(sw);
        let centre = (lx + sw_px / 2, y + sw_px / 2);
        match e.symbol {
            Symbol::Square => c.shape(
                Role::Legend,
                Shape::Rect {
                    a: (sw.0, sw.1),
                    b: (sw.2, sw.3),
                    colour: e.colour,
                    filled: true,
                    width: 1,
                },
            ),
            Symbol::Line(w) | Symbol::Dashed(w) => {
                // A light line on a grey ground, so a white line shows.
                if e.colour == Rgb(255, 255, 255) {
                    c.shape(
                        Role::Legend,
                        Shape::Rect {
                            a: (sw.0, sw.1 + sw_px / 4),
                            b: (sw.2, sw.3 - sw_px / 4),
                            colour: Rgb(116, 196, 118),
                            filled: true,
                            width: 1,
                        },
                    );
                }
                c.shape(
                    Role::Legend,
                    Shape::Lines {
                        lines: vec![vec![(sw.0, centre.1), (sw.2, centre.1)]],
                        colour: e.colour,
                        width: w.max(2),
                        dash: match e.symbol {
                            Symbol::Dashed(_) => Some(crate::map::COMMITTEE_DASH_PX),
                            _ => None,
                        },
                    },
                );
            }
            Symbol::Badge => {
                for s in symbol_shapes(Symbol::Badge, centre, 22.min(sw_px as u32), e.colour) {
                    c.shape(Role::Legend, s);
                }
                c.text(
                    Role::Legend,
                    Text {
                        at: (centre.0, centre.1 + 5),
                        text: "1".into(),
                        size_px: 14.0 * k.min(1.0),
                        colour: Rgb(20, 20, 20),
                        anchor: Anchor::Centre,
                        halo: false,
                    },
                );
            }
            other => {
                for s in symbol_shapes(other, centre, (18.0 * k) as u32, e.colour) {
                    c.shape(Role::Legend, s);
                }
            }
        }
        let row = |text: String, dy: f32, size: f32, colour: Rgb| Text {
            at: (lx + 36, y + (dy * k).round() as i32),
            size_px: fit(font, &text, size * k, text_w),
            text,
            colour,
            anchor: Anchor::Left,
            halo: false,
        };
        if cjk && !e.label.zh.is_empty() {
            c.text(
                Role::Legend,
                row(e.label.zh.clone(), 14.0, 18.0, Rgb(0, 0, 0)),
            );
            c.text(
                Role::Legend,
                row(e.label.en.clone(), 34.0, 14.0, Rgb(80, 80, 80)),
            );
        } else {
            c.text(
                Role::Legend,
                row(e.label.en.clone(), 18.0, 16.0, Rgb(0, 0, 0)),
            );
        }
    }
}

fn label_text(l: &Label, cjk: bool) -> String {
    l.text(cjk)
}

/// The scale bar at the bottom of the side panel: four alternating segments.
fn scale_bar(c: &mut Canvas, placement: &mut Placement, width_m: f64, s: f64, cjk: bool) {
    let len_m = scale_bar_m(width_m);
    let len_px = (len_m * s).round() as i32;
    let (x0, y0) = (SIDE.0 + 16, SIDE.3 - 40);
    for k in 0..4 {
        let a = x0 + len_px * k / 4;
        let z = x0 + len_px * (k + 1) / 4;
        c.shape(
            Role::ScaleBar,
            Shape::Rect {
                a: (a, y0),
                b: (z, y0 + 8),
                colour: if k % 2 == 0 {
                    Rgb(0, 0, 0)
                } else {
                    Rgb(255, 255, 255)
                },
                filled: true,
                width: 1,
            },
        );
    }
    c.shape(
        Role::ScaleBar,
        Shape::Rect {
            a: (x0, y0),
            b: (x0 + len_px, y0 + 8),
            colour: Rgb(0, 0, 0),
            filled: false,
            width: 1,
        },
    );
    placement.scale_bar = (x0, x0 + len_px, y0, len_m);
    let fmt_m = |m: f64| {
        if m >= 1000.0 {
            format!("{} km", m / 1000.0)
        } else {
            format!("{m} m")
        }
    };
    for (x, t) in [(x0, "0".to_string()), (x0 + len_px, fmt_m(len_m))] {
        c.text(
            Role::ScaleBar,
            Text {
                at: (x, y0 - 6),
                text: t,
                size_px: 14.0,
                colour: Rgb(0, 0, 0),
                anchor: Anchor::Centre,
                halo: false,
            },
        );
    }
    c.text(
        Role::ScaleBar,
        Text {
            at: (x0 + len_px / 2, y0 + 26),
            text: Label::new("比例尺", "scale").text(cjk),
            size_px: 14.0,
            colour: Rgb(0, 0, 0),
            anchor: Anchor::Centre,
            halo: false,
        },
    );
}

/// The north arrow in the side panel, above the scale bar, pointing to true north.
fn north_arrow(c: &mut Canvas, north_deg: f64, cjk: bool) {
    let (nx, ny) = (SIDE.0 + 50, SIDE.3 - 135);
    let th = north_deg.to_radians();
    let (dx, dy) = (th.sin(), -th.cos());
    let (px, py) = (-dy, dx);
    let pt = |along: f64, across: f64| {
        (
            (f64::from(nx) + dx * along + px * across).round() as i32,
            (f64::from(ny) + dy * along + py * across).round() as i32,
        )
    };
    c.shape(
        Role::NorthArrow,
        Shape::Polygon {
            points: vec![pt(30.0, 0.0), pt(-20.0, 14.0), pt(-8.0, 0.0)],
            fill: Some(Rgb(0, 0, 0)),
            stroke: None,
        },
    );
    c.shape(
        Role::NorthArrow,
        Shape::Polygon {
            points: vec![pt(30.0, 0.0), pt(-8.0, 0.0), pt(-20.0, -14.0)],
            fill: Some(Rgb(255, 255, 255)),
            stroke: Some((Rgb(0, 0, 0), 1)),
        },
    );
    let tip = pt(50.0, 0.0);
    c.text(
        Role::NorthArrow,
        Text {
            at: (tip.0, tip.1 + 7),
            text: if cjk { "北 N".into() } else { "N".into() },
            size_px: 20.0,
            colour: Rgb(0, 0, 0),
            anchor: Anchor::Centre,
            halo: false,
        },
    );
}

/// A polygon of `n` corners on a circle of `radius` around `c`, the first at `start`
/// radians clockwise from up.
fn regular(c: (i32, i32), n: usize, radius: f64, start: f64) -> Vec<(i32, i32)> {
    (0..n)
        .map(|k| {
            let a = start + std::f64::consts::TAU * k as f64 / n as f64;
            (
                c.0 + (radius * a.sin()).round() as i32,
                c.1 - (radius * a.cos()).round() as i32,
            )
        })
        .collect()
}

/// The shapes of a point symbol `size_px` across, centred at `c`. Facility symbols have a
/// white rim so they stand out from the cells.
fn symbol_shapes(symbol: Symbol, c: (i32, i32), size_px: u32, colour: Rgb) -> Vec<Shape> {
    let r = f64::from(size_px) / 2.0;
    let white = Rgb(255, 255, 255);
    let poly = |points: Vec<(i32, i32)>| Shape::Polygon {
        points,
        fill: Some(colour),
        stroke: Some((white, 1)),
    };
    let off = |pts: &[(f64, f64)]| -> Vec<(i32, i32)> {
        pts.iter()
            .map(|(x, y)| (c.0 + (x * r).round() as i32, c.1 + (y * r).round() as i32))
            .collect()
    };
    match symbol {
        Symbol::Star => {
            let points = (0..10)
                .map(|k| {
                    let a = std::f64::consts::PI * f64::from(k) / 5.0;
                    let rr = if k % 2 == 0 { r * 1.35 } else { r * 0.6 };
                    (
                        c.0 + (rr * a.sin()).round() as i32,
                        c.1 - (rr * a.cos()).round() as i32,
                    )
                })
                .collect();
            vec![poly(points)]
        }
        Symbol::Square => vec![poly(off(&[
            (-0.85, -0.85),
            (0.85, -0.85),
            (0.85, 0.85),
            (-0.85, 0.85),
        ]))],
        Symbol::Triangle => vec![poly(off(&[(0.0, -1.2), (1.1, 0.85), (-1.1, 0.85)]))],
        Symbol::TriangleDown => vec![poly(off(&[(-1.1, -0.85), (1.1, -0.85), (0.0, 1.2)]))],
        Symbol::Diamond => vec![poly(off(&[
            (0.0, -1.2),
            (1.2, 0.0),
            (0.0, 1.2),
            (-1.2, 0.0),
        ]))],
        Symbol::Pentagon => vec![poly(regular(c, 5, r * 1.1, 0.0))],
        Symbol::Hexagon => vec![poly(regular(c, 6, r * 1.05, std::f64::consts::FRAC_PI_6))],
        Symbol::Cross => {
            let (a, w) = (1.1, 0.42);
            vec![poly(off(&[
                (-w, -a),
                (w, -a),
                (w, -w),
                (a, -w),
                (a, w),
                (w, w),
                (w, a),
                (-w, a),
                (-w, w),
                (-a, w),
                (-a, -w),
                (-w, -w),
            ]))]
        }
        Symbol::Ring => vec![
            Shape::Circle {
                centre: c,
                radius: (r + 0.5).round() as u32,
                fill: colour,
                outline: Some((white, 1)),
            },
            Shape::Circle {
                centre: c,
                radius: (r - 2.5).round().max(1.0) as u32,
                fill: white,
                outline: None,
            },
        ],
        Symbol::Badge => vec![Shape::Circle {
            centre: c,
            radius: r.round() as u32,
            fill: colour,
            outline: Some((Rgb(40, 40, 40), 2)),
        }],
        Symbol::Line(w) | Symbol::Dashed(w) => vec![Shape::Lines {
            lines: vec![vec![(c.0 - r as i32, c.1), (c.0 + r as i32, c.1)]],
            colour,
            width: w,
            dash: matches!(symbol, Symbol::Dashed(_)).then_some(crate::map::COMMITTEE_DASH_PX),
        }],
        Symbol::Dot => vec![Shape::Circle {
            centre: c,
            radius: r.round() as u32,
            fill: colour,
            outline: Some((white, 1)),
        }],
    }
}

/// The "on" pieces of `line` dashed `on`, `off` pixels (the pattern runs on across
/// vertices, as SVG's `stroke-dasharray` does).
fn dashes(line: &[(i32, i32)], (on, off): (u32, u32)) -> Vec<Vec<(i32, i32)>> {
    let (on, period) = (f64::from(on), f64::from(on + off));
    let mut out: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut pos = 0.0f64; // distance along the line
    let px = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
    for w in line.windows(2) {
        let (a, b) = (
            (f64::from(w[0].0), f64::from(w[0].1)),
            (f64::from(w[1].0), f64::from(w[1].1)),
        );
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        if len == 0.0 {
            continue;
        }
        let at = |d: f64| {
            let t = ((d - pos) / len).clamp(0.0, 1.0);
            px(a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        };
        let mut d = pos;
        while d < pos + len {
            let phase = d.rem_euclid(period);
            if phase < on {
                let end = (d + on - phase).min(pos + len);
                let (p, q) = (at(d), at(end));
                match out.last_mut() {
                    // The same dash, carried on across a vertex.
                    Some(last) if phase > 0.0 && last.last() == Some(&p) => last.push(q),
                    _ => out.push(vec![p, q]),
                }
                d = end;
            } else {
                d += period - phase;
            }
        }
        pos += len;
    }
    out
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Draws the shapes on any plotters backend.
fn draw_shapes<DB: DrawingBackend>(db: &mut DB, shapes: &[Shape]) -> Result<(), String> {
    let e = |e: DrawingErrorKind<DB::ErrorType>| e.to_string();
    for shape in shapes {
        match shape {
            Shape::Tile { a, z, colour } => {
                // Both backends fill from `a` up to `z` exclusive.
                db.draw_rect(*a, *z, &rgb(*colour).filled(), true)
                    .map_err(e)?;
            }
            Shape::Rect {
                a,
                b,
                colour,
                filled,
                width,
            } => {
                let style = ShapeStyle {
                    color: rgb(*colour).to_rgba(),
                    filled: *filled,
                    stroke_width: *width,
                };
                db.draw_rect(*a, *b, &style, *filled).map_err(e)?;
            }
            Shape::Polygon {
                points,
                fill,
                stroke,
            } => {
                if let Some(f) = fill {
                    db.fill_polygon(points.iter().copied(), &rgb(*f).filled())
                        .map_err(e)?;
                }
                if let Some((c, w)) = stroke {
                    let mut ring = points.clone();
                    if let Some(&first) = points.first() {
                        ring.push(first);
                    }
                    db.draw_path(ring, &rgb(*c).stroke_width(*w)).map_err(e)?;
                }
            }
            Shape::Circle {
                centre,
                radius,
                fill,
                outline,
            } => {
                if let Some((o, w)) = outline {
                    db.draw_circle(*centre, *radius + *w, &rgb(*o).filled(), true)
                        .map_err(e)?;
                }
                db.draw_circle(*centre, *radius, &rgb(*fill).filled(), true)
                    .map_err(e)?;
            }
            Shape::Lines {
                lines,
                colour,
                width,
                dash,
            } => {
                let style = rgb(*colour).stroke_width(*width);
                for line in lines {
                    match dash {
                        None => db.draw_path(line.iter().copied(), &style).map_err(e)?,
                        Some(d) => {
                            for piece in dashes(line, *d) {
                                db.draw_path(piece, &style).map_err(e)?;
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Rasterises `text` into an RGB buffer `WIDTH` px wide.
fn draw_text_rgb(buf: &mut [u8], font: &MapFont, t: &Text) {
    let scale = PxScale::from(t.size_px);
    let scaled = font.font.as_scaled(scale);
    let width = text_width(Some(font), &t.text, t.size_px);
    let x0 = match t.anchor {
        Anchor::Left => t.at.0 as f32,
        Anchor::Centre => t.at.0 as f32 - width / 2.0,
    };
    let mut passes = Vec::new();
    if t.halo {
        for k in 0..8 {
            let a = std::f32::consts::FRAC_PI_4 * k as f32;
            passes.push((HALO_PX * a.cos(), HALO_PX * a.sin(), Rgb(255, 255, 255)));
        }
    }
    passes.push((0.0, 0.0, t.colour));
    for (dx, dy, colour) in passes {
        let mut x = x0 + dx;
        let mut prev = None;
        for ch in t.text.chars() {
            let id = font.font.glyph_id(ch);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, ab_glyph::point(x, t.at.1 as f32 + dy));
            x += scaled.h_advance(id);
            prev = Some(id);
            let Some(outline) = font.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                let px = bounds.min.x as i32 + gx as i32;
                let py = bounds.min.y as i32 + gy as i32;
                if px < 0 || py < 0 || px >= WIDTH as i32 || py >= HEIGHT as i32 {
                    return;
                }
                let k = 3 * (py as usize * WIDTH as usize + px as usize);
                let a = cov.clamp(0.0, 1.0);
                for (ch, v) in [colour.0, colour.1, colour.2].into_iter().enumerate() {
                    let old = f32::from(buf[k + ch]);
                    buf[k + ch] = (old + (f32::from(v) - old) * a).round() as u8;
                }
            });
        }
    }
}

/// Renders `map` into an RGB buffer (`WIDTH` × `HEIGHT` × 3).
pub fn render_rgb(map: &Map, font: Option<&MapFont>) -> Result<(Vec<u8>, Placement), String> {
    let (shapes, texts, placement) = layout(map, font);
    let mut buf = rgb_of(&shapes)?;
    if let Some(font) = font {
        for t in &texts {
            draw_text_rgb(&mut buf, font, t);
        }
    }
    Ok((buf, placement))
}

/// `shapes` drawn on a white `WIDTH` × `HEIGHT` RGB buffer (no text).
fn rgb_of(shapes: &[Shape]) -> Result<Vec<u8>, String> {
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let mut db = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT));
        draw_shapes(&mut db, shapes)?;
        db.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Encodes `map` as PNG bytes.
pub fn encode_png(map: &Map, font: Option<&MapFont>) -> std::io::Result<(Vec<u8>, Placement)> {
    let (buf, placement) = render_rgb(map, font).map_err(io_err)?;
    Ok((rgb_png(&buf)?, placement))
}

/// PNG bytes of a `WIDTH` × `HEIGHT` RGB buffer.
fn rgb_png(buf: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(io_err)?;
        writer.write_image_data(buf).map_err(io_err)?;
        writer.finish().map_err(io_err)?;
    }
    Ok(bytes)
}

/// Above this many cells a map's SVG has its cell layer as an embedded image
/// ([`render_svg`]).
pub const SVG_VECTOR_CELLS_MAX: usize = 50_000;

/// The SVG font-family list: the font found, then common CJK fonts, then sans-serif.
const SVG_FONTS: &str =
    "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif";

/// Renders `map` as SVG: the shapes by plotters, the text as `<text>` elements on their
/// baselines (the viewer draws them with its fonts).
///
/// A map of more than [`SVG_VECTOR_CELLS_MAX`] cells has its cell layer (with the white
/// background under it) drawn as one embedded PNG image, everything above it (streets,
/// boundaries, facilities, legend, text) still vector: at a million cells the SVG stays a
/// few hundred kB instead of ~80 MB of circles no editor opens.
pub fn render_svg(map: &Map, font: Option<&MapFont>) -> Result<String, String> {
    // Lay out as with a CJK font: SVG viewers have their own.
    let (shapes, texts, _) = layout(map, font.filter(|f| f.cjk));
    let mut out = format!(
        "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    // The cells are the first layer, one shape each after the background.
    let rastered = match map.layers.first() {
        Some(Layer::Cells { cells, .. }) if cells.len() > SVG_VECTOR_CELLS_MAX => {
            (1 + cells.len()).min(shapes.len())
        }
        _ => 0,
    };
    if rastered > 0 {
        use base64::Engine;
        let png = rgb_png(&rgb_of(&shapes[..rastered])?).map_err(|e| e.to_string())?;
        let _ = writeln!(
            out,
            "<image x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{HEIGHT}\" href=\"data:image/png;base64,{}\"/>",
            base64::engine::general_purpose::STANDARD.encode(png)
        );
    }
    svg_shapes(&mut out, &shapes[rastered..]);
    for t in &texts {
        let anchor = match t.anchor {
            Anchor::Left => "start",
            Anchor::Centre => "middle",
        };
        let halo = if t.halo {
            " stroke=\"#FFFFFF\" stroke-width=\"4\" stroke-linejoin=\"round\" paint-order=\"stroke\""
        } else {
            ""
        };
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-family=\"{SVG_FONTS}\" font-size=\"{}\" fill=\"#{:02X}{:02X}{:02X}\"{halo}>{}</text>\n",
            t.at.0,
            t.at.1,
            t.size_px,
            t.colour.0,
            t.colour.1,
            t.colour.2,
            crate::io::report::escape(&t.text)
        ));
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// `#RRGGBB`.
fn hex(c: Rgb) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The shapes as SVG elements, in drawing order (the same geometry as the PNG: tiles span
/// `z − a`, outlines are centred on their path, polylines of a layer share one `<path>`).
fn svg_shapes(out: &mut String, shapes: &[Shape]) {
    use std::fmt::Write;
    let pts = |points: &[(i32, i32)]| {
        points
            .iter()
            .map(|(x, y)| format!("{x},{y}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for shape in shapes {
        let _ = match shape {
            Shape::Tile { a, z, colour } => writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
                a.0,
                a.1,
                z.0 - a.0,
                z.1 - a.1,
                hex(*colour)
            ),
            Shape::Rect {
                a,
                b,
                colour,
                filled: true,
                ..
            } => writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
                a.0,
                a.1,
                b.0 - a.0,
                b.1 - a.1,
                hex(*colour)
            ),
            Shape::Rect {
                a,
                b,
                colour,
                width,
                ..
            } => writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\"/>",
                a.0,
                a.1,
                b.0 - a.0,
                b.1 - a.1,
                hex(*colour)
            ),
            Shape::Polygon {
                points,
                fill,
                stroke,
            } => {
                let fill = fill.map_or("none".to_string(), hex);
                let stroke = stroke.map_or(String::new(), |(c, w)| {
                    format!(" stroke=\"{}\" stroke-width=\"{w}\" stroke-linejoin=\"round\"", hex(c))
                });
                writeln!(
                    out,
                    "<polygon points=\"{}\" fill=\"{fill}\"{stroke}/>",
                    pts(points)
                )
            }
            Shape::Circle {
                centre,
                radius,
                fill,
                outline,
            } => {
                if let Some((o, w)) = outline {
                    let _ = writeln!(
                        out,
                        "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>",
                        centre.0,
                        centre.1,
                        radius + w,
                        hex(*o)
                    );
                }
                writeln!(
                    out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{radius}\" fill=\"{}\"/>",
                    centre.0,
                    centre.1,
                    hex(*fill)
                )
            }
            Shape::Lines {
                lines,
                colour,
                width,
                dash,
            } => {
                let mut d = String::new();
                for line in lines {
                    for (k, (x, y)) in line.iter().enumerate() {
                        let _ = write!(d, "{}{x} {y}", if k == 0 { "M" } else { "L" });
                    }
                }
                let dash = dash.map_or(String::new(), |(on, off)| {
                    format!(" stroke-dasharray=\"{on} {off}\"")
                });
                writeln!(
                    out,
                    "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"{dash}/>",
                    hex(*colour)
                )
            }
        };
    }
}

/// Writes `map` as SVG at `path` (atomically).
pub fn write_svg(map: &Map, font: Option<&MapFont>, path: &Path) -> std::io::Result<()> {
    let svg = render_svg(map, font).map_err(io_err)?;
    write_atomic(path, |w| w.write_all(svg.as_bytes()))
}

/// Colour of a backend pixel, for tests and checks.
pub fn pixel(buf: &[u8], x: i32, y: i32) -> Rgb {
    let k = 3 * (y as usize * WIDTH as usize + x as usize);
    Rgb(buf[k], buf[k + 1], buf[k + 2])
}

/// Where everything of `map` lands (the PNG's layout; the SVG's with a CJK font).
pub fn place(map: &Map, font: Option<&MapFont>) -> Placement {
    layout(map, font).2
}
