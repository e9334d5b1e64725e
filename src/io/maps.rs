//! Drawing [`Map`]s to PNG and SVG with plotters: the layers in a map panel, a legend, a
//! title, a scale bar in metres and a north arrow.
//!
//! Text: PNG text is rasterised here from a TrueType/OpenType font (ab_glyph), because the
//! pure-Rust plotters build has no font engine. [`locate_font`] takes the font the user names
//! (`LIFECIRCLE_FONT` or the plan's `[report] font`), else the first CJK font found in the
//! usual places (Noto Sans CJK, WenQuanYi, Droid Sans Fallback, PingFang, Microsoft YaHei).
//! Fallback, documented and reported: with only a Latin font, labels are drawn in English;
//! with no font at all, PNG maps carry no text (the SVG maps always do, in the viewer's
//! fonts). Never empty boxes: a font is only used for Chinese after checking it has the
//! glyphs.

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontArc, PxScale, ScaleFont};
use geo::Coord;
use plotters::prelude::*;
use plotters_backend::DrawingErrorKind;

use crate::io::atomic::write_atomic;
use crate::map::{scale_bar_m, Label, Layer, Map, Rgb, Symbol};

/// Canvas size, px.
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 1200;
/// The map panel: left, top, right, bottom, px.
pub const PANEL: (i32, i32, i32, i32) = (20, 90, 1180, 1150);
/// The legend's left edge and top, px.
pub const LEGEND: (i32, i32) = (1200, 90);

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

/// Where things landed on the canvas, for callers and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Pixels per metre of the map panel.
    pub px_per_m: f64,
    /// Map origin: the pixel of the extent's top-left corner.
    pub origin_px: (f64, f64),
    /// Top-left of the extent in metres (min x, max y).
    pub origin_m: (f64, f64),
    /// Each legend row's swatch box (x0, y0, x1, y1), px.
    pub swatches: Vec<(i32, i32, i32, i32)>,
    /// Scale bar: left x, right x, y (px) and its length, m.
    pub scale_bar: (i32, i32, i32, f64),
    /// Title baseline position, px.
    pub title_at: (i32, i32),
}

impl Placement {
    /// The pixel of a point in metres.
    pub fn to_px(&self, c: Coord<f64>) -> (i32, i32) {
        (
            (self.origin_px.0 + (c.x - self.origin_m.0) * self.px_per_m).round() as i32,
            (self.origin_px.1 + (self.origin_m.1 - c.y) * self.px_per_m).round() as i32,
        )
    }
}

enum Shape {
    /// A filled cell from `a` to `z` exclusive, so neighbours tile without gaps or overlap
    /// (bitmaps fill both corners, SVG rects span `z − a`).
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
    Circle {
        centre: (i32, i32),
        radius: u32,
        fill: Rgb,
        outline: Rgb,
    },
    Line {
        points: Vec<(i32, i32)>,
        colour: Rgb,
        width: u32,
    },
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

/// Width of `text` at `size_px`: measured with the font, else estimated.
fn text_width(font: Option<&MapFont>, text: &str, size_px: f32) -> f32 {
    match font {
        Some(f) => {
            let s = f.font.as_scaled(PxScale::from(size_px));
            text.chars().map(|c| s.h_advance(f.font.glyph_id(c))).sum()
        }
        None => text
            .chars()
            .map(|c| if c.is_ascii() { 0.55 } else { 1.0 } * size_px)
            .sum(),
    }
}

/// Lays out `map`: shapes first, then texts, both in drawing order.
fn layout(map: &Map, font: Option<&MapFont>) -> (Vec<Shape>, Vec<Text>, Placement) {
    let cjk = font.is_none_or(|f| f.cjk);
    let (l, t, r, b) = PANEL;
    let (pw, ph) = (f64::from(r - l), f64::from(b - t));
    let (ew, eh) = (map.extent.width(), map.extent.height());
    let s = (pw / ew).min(ph / eh);
    let origin_px = (
        f64::from(l) + (pw - ew * s) / 2.0,
        f64::from(t) + (ph - eh * s) / 2.0,
    );
    let mut placement = Placement {
        px_per_m: s,
        origin_px,
        origin_m: (map.extent.min().x, map.extent.max().y),
        swatches: Vec::new(),
        scale_bar: (0, 0, 0, 0.0),
        title_at: (20, 42),
    };
    let mut shapes = Vec::new();
    let mut texts = Vec::new();
    let label = |text: &Label| text.text(cjk);
    shapes.push(Shape::Rect {
        a: (0, 0),
        b: (WIDTH as i32, HEIGHT as i32),
        colour: Rgb(255, 255, 255),
        filled: true,
        width: 1,
    });
    for layer in &map.layers {
        match layer {
            Layer::Cells { side_m, cells } => {
                // Corners rounded to pixels, so neighbouring cells tile without gaps.
                let h = side_m / 2.0;
                for (c, colour) in cells {
                    let a = placement.to_px(Coord {
                        x: c.x - h,
                        y: c.y + h,
                    });
                    let z = placement.to_px(Coord {
                        x: c.x + h,
                        y: c.y - h,
                    });
                    shapes.push(Shape::Tile {
                        a,
                        z: (z.0.max(a.0 + 1), z.1.max(a.1 + 1)),
                        colour: *colour,
                    });
                }
            }
            Layer::Polygons {
                rings,
                stroke,
                width_px,
            } => {
                for (ring, fill) in rings {
                    let points: Vec<(i32, i32)> =
                        ring.iter().map(|c| placement.to_px(*c)).collect();
                    shapes.push(Shape::Polygon {
                        points,
                        fill: *fill,
                        stroke: Some((*stroke, *width_px)),
                    });
                }
            }
            Layer::Points {
                symbol,
                colour,
                size_px,
                points,
            } => {
                for p in points {
                    shapes.push(symbol_shape(
                        *symbol,
                        placement.to_px(*p),
                        *size_px,
                        *colour,
                    ));
                }
            }
            Layer::Labels {
                size_px,
                offset_px,
                items,
            } => {
                for (p, text) in items {
                    let (x, y) = placement.to_px(*p);
                    texts.push(Text {
                        at: (x + offset_px.0, y + offset_px.1 + *size_px as i32 / 3),
                        text: label(text),
                        size_px: *size_px as f32,
                        colour: Rgb(20, 20, 20),
                        anchor: Anchor::Centre,
                        halo: true,
                    });
                }
            }
        }
    }
    // Frame of the map panel.
    shapes.push(Shape::Rect {
        a: (l, t),
        b: (r, b),
        colour: Rgb(120, 120, 120),
        filled: false,
        width: 1,
    });
    // Title, subtitle, note.
    texts.push(Text {
        at: placement.title_at,
        text: label(&map.title),
        size_px: 30.0,
        colour: Rgb(0, 0, 0),
        anchor: Anchor::Left,
        halo: false,
    });
    texts.push(Text {
        at: (20, 74),
        text: label(&map.subtitle),
        size_px: 18.0,
        colour: Rgb(70, 70, 70),
        anchor: Anchor::Left,
        halo: false,
    });
    texts.push(Text {
        at: (20, HEIGHT as i32 - 22),
        text: map.note.clone(),
        size_px: 14.0,
        colour: Rgb(90, 90, 90),
        anchor: Anchor::Left,
        halo: false,
    });
    // Legend.
    let (lx, ly) = LEGEND;
    texts.push(Text {
        at: (lx, ly + 22),
        text: label(&map.legend_title),
        size_px: 22.0,
        colour: Rgb(0, 0, 0),
        anchor: Anchor::Left,
        halo: false,
    });
    let row_h = if cjk { 46 } else { 32 };
    for (k, e) in map.legend.iter().enumerate() {
        let y = ly + 44 + k as i32 * row_h;
        let sw = (lx, y, lx + 24, y + 24);
        placement.swatches.push(sw);
        let centre = (lx + 12, y + 12);
        match e.symbol {
            Symbol::Square => shapes.push(Shape::Rect {
                a: (sw.0, sw.1),
                b: (sw.2, sw.3),
                colour: e.colour,
                filled: true,
                width: 1,
            }),
            Symbol::Line => shapes.push(Shape::Line {
                points: vec![(sw.0, centre.1), (sw.2, centre.1)],
                colour: e.colour,
                width: 3,
            }),
            other => shapes.push(symbol_shape(other, centre, 18, e.colour)),
        }
        if cjk && !e.label.zh.is_empty() {
            texts.push(Text {
                at: (lx + 36, y + 14),
                text: e.label.zh.clone(),
                size_px: 18.0,
                colour: Rgb(0, 0, 0),
                anchor: Anchor::Left,
                halo: false,
            });
            texts.push(Text {
                at: (lx + 36, y + 34),
                text: e.label.en.clone(),
                size_px: 14.0,
                colour: Rgb(80, 80, 80),
                anchor: Anchor::Left,
                halo: false,
            });
        } else {
            texts.push(Text {
                at: (lx + 36, y + 18),
                text: e.label.en.clone(),
                size_px: 16.0,
                colour: Rgb(0, 0, 0),
                anchor: Anchor::Left,
                halo: false,
            });
        }
    }
    // Scale bar: four alternating segments on a white box, bottom left of the panel.
    let len_m = scale_bar_m(ew);
    let len_px = (len_m * s).round() as i32;
    let (x0, y0) = (l + 30, b - 40);
    shapes.push(Shape::Rect {
        a: (x0 - 18, y0 - 26),
        b: (x0 + len_px + 34, y0 + 32),
        colour: Rgb(255, 255, 255),
        filled: true,
        width: 1,
    });
    for k in 0..4 {
        let a = x0 + len_px * k / 4;
        let z = x0 + len_px * (k + 1) / 4;
        shapes.push(Shape::Rect {
            a: (a, y0),
            b: (z, y0 + 8),
            colour: if k % 2 == 0 {
                Rgb(0, 0, 0)
            } else {
                Rgb(255, 255, 255)
            },
            filled: true,
            width: 1,
        });
    }
    shapes.push(Shape::Rect {
        a: (x0, y0),
        b: (x0 + len_px, y0 + 8),
        colour: Rgb(0, 0, 0),
        filled: false,
        width: 1,
    });
    placement.scale_bar = (x0, x0 + len_px, y0, len_m);
    let fmt_m = |m: f64| {
        if m >= 1000.0 {
            format!("{} km", m / 1000.0)
        } else {
            format!("{m} m")
        }
    };
    for (x, t) in [(x0, "0".to_string()), (x0 + len_px, fmt_m(len_m))] {
        texts.push(Text {
            at: (x, y0 - 6),
            text: t,
            size_px: 14.0,
            colour: Rgb(0, 0, 0),
            anchor: Anchor::Centre,
            halo: true,
        });
    }
    texts.push(Text {
        at: (x0 + len_px / 2, y0 + 26),
        text: label(&Label::new("比例尺", "scale")),
        size_px: 14.0,
        colour: Rgb(0, 0, 0),
        anchor: Anchor::Centre,
        halo: true,
    });
    // North arrow, top right of the panel, pointing to true north.
    let (nx, ny) = (r - 50, t + 80);
    let th = map.north_deg.to_radians();
    let (dx, dy) = (th.sin(), -th.cos());
    let (px, py) = (-dy, dx);
    let pt = |along: f64, across: f64| {
        (
            (f64::from(nx) + dx * along + px * across).round() as i32,
            (f64::from(ny) + dy * along + py * across).round() as i32,
        )
    };
    shapes.push(Shape::Polygon {
        points: vec![pt(30.0, 0.0), pt(-20.0, 14.0), pt(-8.0, 0.0)],
        fill: Some(Rgb(0, 0, 0)),
        stroke: None,
    });
    shapes.push(Shape::Polygon {
        points: vec![pt(30.0, 0.0), pt(-8.0, 0.0), pt(-20.0, -14.0)],
        fill: Some(Rgb(255, 255, 255)),
        stroke: Some((Rgb(0, 0, 0), 1)),
    });
    let tip = pt(50.0, 0.0);
    texts.push(Text {
        at: (tip.0, tip.1 + 7),
        text: if cjk { "北 N".into() } else { "N".into() },
        size_px: 20.0,
        colour: Rgb(0, 0, 0),
        anchor: Anchor::Centre,
        halo: true,
    });
    (shapes, texts, placement)
}

/// A point symbol centred at `c`.
fn symbol_shape(symbol: Symbol, c: (i32, i32), size_px: u32, colour: Rgb) -> Shape {
    let r = f64::from(size_px) / 2.0;
    match symbol {
        Symbol::Star => {
            let points = (0..10)
                .map(|k| {
                    let a = std::f64::consts::PI * f64::from(k) / 5.0;
                    let rr = if k % 2 == 0 { r * 1.3 } else { r * 0.55 };
                    (
                        c.0 + (rr * a.sin()).round() as i32,
                        c.1 - (rr * a.cos()).round() as i32,
                    )
                })
                .collect();
            Shape::Polygon {
                points,
                fill: Some(colour),
                stroke: Some((Rgb(0, 0, 0), 1)),
            }
        }
        Symbol::Square => Shape::Rect {
            a: (c.0 - r as i32, c.1 - r as i32),
            b: (c.0 + r as i32, c.1 + r as i32),
            colour,
            filled: true,
            width: 1,
        },
        _ => Shape::Circle {
            centre: c,
            radius: r.round() as u32,
            fill: colour,
            outline: Rgb(255, 255, 255),
        },
    }
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Draws the shapes on any plotters backend; `bitmap` says whether a filled rectangle
/// covers both its corners (bitmaps) or spans their difference (SVG).
fn draw_shapes<DB: DrawingBackend>(
    db: &mut DB,
    shapes: &[Shape],
    bitmap: bool,
) -> Result<(), String> {
    let e = |e: DrawingErrorKind<DB::ErrorType>| e.to_string();
    for shape in shapes {
        match shape {
            Shape::Tile { a, z, colour } => {
                let b = if bitmap { (z.0 - 1, z.1 - 1) } else { *z };
                db.draw_rect(*a, b, &rgb(*colour).filled(), true)
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
                db.draw_circle(*centre, *radius + 1, &rgb(*outline).filled(), true)
                    .map_err(e)?;
                db.draw_circle(*centre, *radius, &rgb(*fill).filled(), true)
                    .map_err(e)?;
            }
            Shape::Line {
                points,
                colour,
                width,
            } => {
                db.draw_path(points.iter().copied(), &rgb(*colour).stroke_width(*width))
                    .map_err(e)?;
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
        for (dx, dy) in [(-1.5, 0.0), (1.5, 0.0), (0.0, -1.5), (0.0, 1.5)] {
            passes.push((dx, dy, Rgb(255, 255, 255)));
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
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let mut db = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT));
        draw_shapes(&mut db, &shapes, true)?;
        db.present().map_err(|e| e.to_string())?;
    }
    if let Some(font) = font {
        for t in &texts {
            draw_text_rgb(&mut buf, font, t);
        }
    }
    Ok((buf, placement))
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Encodes `map` as PNG bytes.
pub fn encode_png(map: &Map, font: Option<&MapFont>) -> std::io::Result<(Vec<u8>, Placement)> {
    let (buf, placement) = render_rgb(map, font).map_err(io_err)?;
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(io_err)?;
        writer.write_image_data(&buf).map_err(io_err)?;
        writer.finish().map_err(io_err)?;
    }
    Ok((bytes, placement))
}

/// The SVG font-family list: the font found, then common CJK fonts, then sans-serif.
const SVG_FONTS: &str =
    "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif";

/// Renders `map` as SVG: the shapes by plotters, the text as `<text>` elements on their
/// baselines (the viewer draws them with its fonts).
pub fn render_svg(map: &Map, font: Option<&MapFont>) -> Result<String, String> {
    // Lay out as with a CJK font: SVG viewers have their own.
    let (shapes, texts, _) = layout(map, font.filter(|f| f.cjk));
    let mut out = String::new();
    {
        let mut db = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT));
        draw_shapes(&mut db, &shapes, false)?;
        db.present().map_err(|e| e.to_string())?;
    }
    let end = out
        .rfind("</svg>")
        .ok_or_else(|| "plotters wrote no closing </svg>".to_string())?;
    out.truncate(end);
    for t in &texts {
        let anchor = match t.anchor {
            Anchor::Left => "start",
            Anchor::Centre => "middle",
        };
        let halo = if t.halo {
            " stroke=\"#FFFFFF\" stroke-width=\"3\" paint-order=\"stroke\""
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
