//! The maps look at pixels: the legend's colours are the cells' colours, covered cells are
//! drawn in the legend's covered colour, the scale bar measures what it says, Chinese text
//! is drawn with real glyphs (not empty boxes), and the report embeds every map.
//!
//! CI sets LIFECIRCLE_FONT to a CJK font, which makes the Chinese checks mandatory there;
//! on a machine without any CJK font the documented English fallback is checked instead.

use lifecircle::demo;
use lifecircle::io::demo_files::write_demo;
use lifecircle::io::maps::{
    locate_font, pixel, place, render_rgb, render_svg, MapFont, Role, HEIGHT, SVG_VECTOR_CELLS_MAX,
    WIDTH,
};
use lifecircle::map::{self, Label, Rgb};
use lifecircle::pipeline::{run, Outcome, Silent};

fn demo_run() -> &'static (tempfile::TempDir, Outcome) {
    static RUN: std::sync::OnceLock<(tempfile::TempDir, Outcome)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let district = demo::generate().unwrap();
        let plan_path = write_demo(&district, &dir.path().join("data"), "../out").unwrap();
        let plan = lifecircle::io::read_plan(&plan_path).unwrap();
        let out = run(&plan, &plan.output_dir, &Silent).unwrap();
        (dir, out)
    })
}

/// The maps' context without a projection or network: cells as squares of their spacing.
fn ctx(out: &Outcome) -> map::MapContext<'_> {
    map::MapContext::new(&out.study, None, None, 0.0, "test")
}

fn font() -> Option<MapFont> {
    locate_font(None).expect("LIFECIRCLE_FONT names a usable CJK font")
}

fn dark_pixels(buf: &[u8], x0: i32, y0: i32, x1: i32, y1: i32) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let Rgb(r, g, b) = pixel(buf, x, y);
            if u32::from(r) + u32::from(g) + u32::from(b) < 200 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn covered_cells_are_drawn_in_the_legends_colours() {
    let (_, out) = demo_run();
    let font = font();
    let m = map::coverage_map(&ctx(out), &out.coverage, 0);
    let (buf, place) = render_rgb(&m, font.as_ref()).unwrap();
    assert_eq!(buf.len(), (WIDTH * HEIGHT * 3) as usize);
    // The legend's first two swatches are the covered / not-covered colours.
    let centre = |b: (i32, i32, i32, i32)| ((b.0 + b.2) / 2, (b.1 + b.3) / 2);
    let (cx, cy) = centre(place.swatches[0]);
    let covered_colour = pixel(&buf, cx, cy);
    let (ux, uy) = centre(place.swatches[1]);
    let uncovered_colour = pixel(&buf, ux, uy);
    assert_eq!(covered_colour, map::COVERED);
    assert_eq!(uncovered_colour, map::NOT_COVERED);
    // Each populated cell's centre pixel has the colour of its verdict (a few are under a
    // facility symbol, a boundary or a label).
    let cc = &out.coverage.circles[0];
    let (mut agree, mut total) = (0, 0);
    for (c, &cov) in out.study.cells.iter().zip(&cc.covered) {
        if c.counts.band(cc.circle.age_band) <= 0.0 {
            continue;
        }
        total += 1;
        let (x, y) = place.to_px(c.location.xy_m);
        let want = if cov {
            covered_colour
        } else {
            uncovered_colour
        };
        if pixel(&buf, x, y) == want {
            agree += 1;
        }
    }
    assert!(total > 5000);
    assert!(agree as f64 > 0.95 * total as f64, "{agree} of {total}");
    // Both colours occur: the demo's min15 circle covers 17 % of people aged 60+.
    let count = |c: Rgb| {
        (0..HEIGHT as i32)
            .flat_map(|y| (0..WIDTH as i32).map(move |x| (x, y)))
            .filter(|&(x, y)| pixel(&buf, x, y) == c)
            .count()
    };
    assert!(count(map::COVERED) > 20_000 && count(map::NOT_COVERED) > 100_000);
    // The scale bar is as long as it says, starting with a black segment.
    let (x0, x1, y, len_m) = place.scale_bar;
    assert!(((x1 - x0) as f64 - len_m * place.px_per_m).abs() <= 1.0);
    assert_eq!(pixel(&buf, x0 + 3, y + 4), Rgb(0, 0, 0));
    assert_eq!(
        pixel(&buf, x0 + (x1 - x0) * 3 / 8, y + 4),
        Rgb(255, 255, 255)
    );
    // The north arrow is drawn (a black half), beside the data frame.
    let north = place.region(Role::NorthArrow).unwrap();
    assert!(!north.intersects(&place.frame));
    assert!(dark_pixels(&buf, north.x0, north.y0, north.x1, north.y1) > 150);
}

#[test]
fn chinese_labels_have_real_glyphs() {
    let (_, out) = demo_run();
    let mut m = map::coverage_map(&ctx(out), &out.coverage, 0);
    let title = |m: &mut map::Map, zh: &str| {
        m.title = Label::new(zh, "");
        m.subtitle = Label::new("", "");
    };
    match font() {
        Some(f) if f.cjk => {
            // Two different characters draw different, non-empty shapes: an empty box
            // (.notdef) would be the same for both.
            title(&mut m, "养");
            let (a, place) = render_rgb(&m, Some(&f)).unwrap();
            title(&mut m, "老");
            let (b, _) = render_rgb(&m, Some(&f)).unwrap();
            let (tx, ty) = place.title_at;
            let region = |buf: &[u8]| -> Vec<Rgb> {
                (ty - 30..ty + 8)
                    .flat_map(|y| (tx..tx + 40).map(move |x| (x, y)))
                    .map(|(x, y)| pixel(buf, x, y))
                    .collect()
            };
            assert!(dark_pixels(&a, tx, ty - 30, tx + 40, ty + 8) > 40);
            assert!(dark_pixels(&b, tx, ty - 30, tx + 40, ty + 8) > 40);
            assert_ne!(region(&a), region(&b));
            // And the legend's Chinese rows are drawn too.
            let sw = place.swatches[0];
            assert!(dark_pixels(&a, sw.2 + 10, sw.1 - 6, sw.2 + 120, sw.1 + 16) > 40);
        }
        other => {
            // The fallback: English only, and the Chinese title is not drawn at all.
            assert!(std::env::var_os("LIFECIRCLE_FONT").is_none());
            title(&mut m, "养老");
            let (a, place) = render_rgb(&m, other.as_ref()).unwrap();
            let (tx, ty) = place.title_at;
            assert_eq!(dark_pixels(&a, tx, ty - 30, tx + 60, ty + 8), 0);
        }
    }
}

#[test]
fn svg_maps_carry_the_same_picture_and_text() {
    let (_, out) = demo_run();
    let m = map::coverage_map(&ctx(out), &out.coverage, 0);
    let svg = render_svg(&m, font().as_ref()).unwrap();
    assert!(svg.starts_with("<svg width=\"1600\" height=\"1200\""));
    assert!(svg.contains("fill=\"#2E8B57\""), "covered colour");
    assert!(svg.contains("fill=\"#EF8A62\""), "not-covered colour");
    assert!(svg.contains("已覆盖"), "Chinese legend text");
    assert!(svg.contains("font-size=\"30\""), "title at 30 px");
}

/// A map of more cells than SVG_VECTOR_CELLS_MAX: its SVG holds the cell layer as one
/// embedded PNG (the cells' colours where the cells are), the rest still vector and text.
#[test]
fn svg_maps_of_many_cells_embed_the_cells_as_an_image() {
    use base64::Engine;
    let (_, out) = demo_run();
    let mut m = map::coverage_map(&ctx(out), &out.coverage, 0);
    let map::Layer::Cells { cells, .. } = &mut m.layers[0] else {
        panic!("the cells are the first layer");
    };
    // The same picture from many more marks: every cell drawn repeatedly.
    let once = cells.clone();
    let copies = SVG_VECTOR_CELLS_MAX / once.len() + 1;
    for _ in 0..copies {
        cells.extend(once.iter().cloned());
    }
    let first_colour = once[0].1;
    let svg = render_svg(&m, font().as_ref()).unwrap();
    assert_eq!(svg.matches("<image ").count(), 1, "one image");
    assert!(svg.len() < 1_500_000, "{} bytes", svg.len());
    assert!(svg.contains("已覆盖"), "the legend is still text");
    // The embedded image: the first cell's pixel has the cell's colour.
    let data = svg
        .split("href=\"data:image/png;base64,")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut buf).unwrap();
    let placed = place(&m, font().as_ref());
    let b = placed.items[1].bbox;
    assert_eq!(placed.items[1].role, Role::Data);
    assert_eq!(
        pixel(&buf, (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2),
        first_colour
    );
    // Below the limit the cells stay vector: no image.
    let small = map::coverage_map(&ctx(out), &out.coverage, 0);
    assert!(!render_svg(&small, font().as_ref())
        .unwrap()
        .contains("<image "));
}

#[test]
fn the_run_writes_maps_and_a_self_contained_report() {
    let (_, out) = demo_run();
    let names: Vec<String> = out
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for stem in [
        "coverage_min15",
        "coverage_min5",
        "coverage_day_centre",
        "network_vs_straight_line_min15",
        "network_vs_straight_line_day_centre",
        "choropleth_min15_share",
        "choropleth_committee_min15_share",
        "choropleth_committee_day_centre_share",
        "proposed_sites",
    ] {
        assert!(names.contains(&format!("{stem}.png")), "{stem}");
        assert!(names.contains(&format!("{stem}.svg")), "{stem}");
    }
    let report_path = out
        .files
        .iter()
        .find(|p| p.ends_with("report.html"))
        .unwrap();
    let html = std::fs::read_to_string(report_path).unwrap();
    // 13 maps: 3 coverage, 3 network vs straight line, 3 街镇 and 3 居委 choropleths, sites.
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), 10);
    assert!(html.contains("EPSG:32651"));
    assert!(html.contains("<td class=\"num\">932000</td>"));
    assert!(html.contains("社区综合为老服务中心"));
    // Nothing fetched: no external resource (the embedded interactive map's scripts are
    // inline; its Leaflet code names URLs only as text and links).
    for external in [
        "src=\"http",
        "src=&quot;http",
        "<link",
        "url(http",
        "@import",
        "<script src",
    ] {
        assert!(!html.contains(external), "report.html loads {external}…");
    }
    assert_eq!(html.matches("<iframe class=\"map\"").count(), 1);
    // The PNG files decode to the canvas size.
    let png_path = out
        .files
        .iter()
        .find(|p| p.ends_with("proposed_sites.png"))
        .unwrap();
    let decoder = png::Decoder::new(std::fs::File::open(png_path).unwrap());
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (WIDTH, HEIGHT));
    assert_eq!(out.summary.maps.as_ref().unwrap().files.len(), 26);
}
