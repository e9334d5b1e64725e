//! The static maps' layout, checked on geometry rather than by eye: on every map of the demo
//! run and of a run over the real Huangpu OSM extract, every shape and text lies on the
//! canvas, every data feature (cell, street, boundary, symbol, 街镇 name, site rank) inside the
//! data frame, and none touches the title, legend, scale bar, north arrow or credit line;
//! 街镇 names are ≥ 16 px with a halo; no title, subtitle or legend text carries an internal
//! identifier (circle names such as `min15`, kind ids such as `day_care`, `straight_line`).
//! The real-data test fails, never skips, when the shared data is missing.

use std::path::{Path, PathBuf};

use geo::Coord;
use lifecircle::analysis::{analyse, projection, Analysis, Silent};
use lifecircle::demo;
use lifecircle::io::demo_files::write_demo;
use lifecircle::io::layers::read_inputs;
use lifecircle::io::maps::{locate_font, place, render_rgb, MapFont, PxBox, Role, HEIGHT, WIDTH};
use lifecircle::io::osm::read_osm;
use lifecircle::map::{self, Layer, Map, Symbol};
use lifecircle::model::{Capacity, Counts, FacilityKind};
use lifecircle::network::StreetNetwork;
use lifecircle::plan::Plan;
use lifecircle::study::{FacilityRecord, Inputs, PopulationRecord};

fn font() -> Option<MapFont> {
    locate_font(None).expect("LIFECIRCLE_FONT names a usable CJK font")
}

/// Words that must never reach a reader: the plan's circle names, every kind id, the
/// methods' ids.
fn internal_ids(plan: &Plan) -> Vec<String> {
    let mut ids: Vec<String> = plan.circles.iter().map(|c| c.name.clone()).collect();
    ids.extend(FacilityKind::ALL.iter().map(|k| k.id().to_string()));
    ids.extend(["straight_line", "day_centre", "min15", "min5"].map(String::from));
    ids
}

/// Every layout rule on one map; `what` names it in failures.
fn check_layout(m: &Map, font: Option<&MapFont>, ids: &[String]) {
    let what = &m.stem;
    let p = place(m, font);
    let canvas = PxBox {
        x0: 0,
        y0: 0,
        x1: WIDTH as i32 - 1,
        y1: HEIGHT as i32 - 1,
    };
    assert!(p.frame.within(&canvas), "{what}: frame off the canvas");
    let furniture = [
        Role::Title,
        Role::Legend,
        Role::ScaleBar,
        Role::NorthArrow,
        Role::Credit,
    ];
    let regions: Vec<(Role, PxBox)> = furniture
        .iter()
        .map(|&r| {
            (
                r,
                p.region(r)
                    .unwrap_or_else(|| panic!("{what}: nothing drawn as {r:?}")),
            )
        })
        .collect();
    let mut data = 0;
    for d in &p.items {
        if d.role != Role::Background {
            assert!(
                d.bbox.within(&canvas),
                "{what}: {:?} {:?} {:?} off the canvas",
                d.role,
                d.text,
                d.bbox
            );
        }
        if d.role.is_data() {
            data += 1;
            assert!(
                d.bbox.within(&p.frame),
                "{what}: data {:?} {:?} {:?} outside the frame {:?}",
                d.role,
                d.text,
                d.bbox,
                p.frame
            );
            for (r, b) in &regions {
                assert!(
                    !d.bbox.intersects(b),
                    "{what}: data {:?} {:?} overlaps the {r:?} {b:?}",
                    d.text,
                    d.bbox
                );
            }
        }
        if furniture.contains(&d.role) {
            assert!(
                !d.bbox.intersects(&p.frame),
                "{what}: {:?} {:?} {:?} inside the data frame",
                d.role,
                d.text,
                d.bbox
            );
        }
        if let Some(text) = &d.text {
            for id in ids {
                assert!(
                    !text.contains(id.as_str()),
                    "{what}: internal id {id:?} in {:?} text {text:?}",
                    d.role
                );
            }
        }
        if d.role == Role::AreaLabel {
            assert!(d.size_px >= 16.0, "{what}: 街镇 label at {} px", d.size_px);
            assert!(d.halo, "{what}: 街镇 label without a halo");
        }
    }
    assert!(data > 10, "{what}: {data} data features");
    // The furniture boxes do not overlap one another either.
    for (i, (ra, a)) in regions.iter().enumerate() {
        for (rb, b) in &regions[i + 1..] {
            assert!(
                !a.intersects(b),
                "{what}: {ra:?} {a:?} overlaps {rb:?} {b:?}"
            );
        }
    }
    // Title, subtitle and legend texts: no id, no snake_case.
    let mut texts = vec![m.title.clone(), m.subtitle.clone(), m.legend_title.clone()];
    texts.extend(m.legend.iter().map(|e| e.label.clone()));
    for l in &texts {
        for t in [&l.zh, &l.en] {
            assert!(!t.contains('_'), "{what}: {t:?}");
            for id in ids {
                assert!(!t.contains(id.as_str()), "{what}: {id:?} in {t:?}");
            }
        }
    }
    // One legend shape per facility kind shown.
    let kinds: Vec<&Symbol> = m
        .legend
        .iter()
        .filter(|e| {
            !matches!(
                e.symbol,
                Symbol::Square | Symbol::Line(_) | Symbol::Dashed(_) | Symbol::Badge
            )
        })
        .map(|e| &e.symbol)
        .collect();
    let mut distinct = kinds.clone();
    distinct.sort_by_key(|s| format!("{s:?}"));
    distinct.dedup();
    assert_eq!(distinct.len(), kinds.len(), "{what}: kinds share a shape");
}

/// The demo run's analysis, as `pipeline::run` makes it (with its street network).
fn with_demo_analysis<T>(f: impl FnOnce(&Plan, &Analysis) -> T) -> T {
    let dir = tempfile::tempdir().unwrap();
    let district = demo::generate().unwrap();
    let plan_path = write_demo(&district, &dir.path().join("data"), "../out").unwrap();
    let plan = lifecircle::io::read_plan(&plan_path).unwrap();
    let inputs = read_inputs(&plan).unwrap();
    let proj = projection(&plan, &inputs).unwrap();
    let osm = read_osm(&plan.network.as_ref().unwrap().path).unwrap();
    let streets = StreetNetwork::from_osm(&osm, &proj).unwrap();
    let a = analyse(&plan, inputs, Some(&streets), &Silent).unwrap();
    f(&plan, &a)
}

#[test]
fn every_demo_map_keeps_data_furniture_and_text_apart() {
    let font = font();
    with_demo_analysis(|plan, a| {
        let maps = map::run_maps(plan, a);
        let stems: Vec<&str> = maps.iter().map(|m| m.stem.as_str()).collect();
        let mut want = Vec::new();
        for prefix in [
            "coverage_",
            "network_vs_straight_line_",
            "choropleth_",
            "choropleth_committee_",
        ] {
            for c in ["min15", "min5", "day_centre"] {
                let suffix = if prefix.starts_with("choropleth") {
                    "_share"
                } else {
                    ""
                };
                want.push(format!("{prefix}{c}{suffix}"));
            }
        }
        want.push("proposed_sites".into());
        assert_eq!(stems, want);
        let ids = internal_ids(plan);
        for m in &maps {
            check_layout(m, font.as_ref(), &ids);
            // English-only and text-less layouts follow the same rules.
            check_layout(m, None, &ids);
        }
        // The coverage maps show streets (grey) and dashed 居委 boundaries, in the legend too.
        let cov = &maps[0];
        assert!(cov.layers.iter().any(
            |l| matches!(l, Layer::Lines { colour, lines, .. } if *colour == map::STREET && lines.len() > 100)
        ));
        assert!(cov.layers.iter().any(
            |l| matches!(l, Layer::Polygons { dash_px: Some(_), rings, .. } if rings.len() == a.study.committees.len())
        ));
        for (symbol, colour) in [
            (Symbol::Line(1), map::STREET),
            (Symbol::Dashed(1), map::COMMITTEE_BOUNDARY),
            (Symbol::Line(2), map::BOUNDARY),
        ] {
            assert!(
                cov.legend
                    .iter()
                    .any(|e| e.symbol == symbol && e.colour == colour),
                "{symbol:?}"
            );
        }
        assert!(
            cov.title.en.contains("one-stop 15-minute circle"),
            "{:?}",
            cov.title
        );
        assert!(
            cov.subtitle.en.contains("along the streets"),
            "{:?}",
            cov.subtitle
        );
        // The walk against the straight line, in the interactive map's colours.
        let net = &maps[3];
        let fills: Vec<map::Rgb> = net.legend.iter().take(3).map(|e| e.colour).collect();
        assert_eq!(
            fills,
            [map::COVERED, map::STRAIGHT_LINE_ONLY, map::NOT_COVERED]
        );
        assert_eq!(map::STRAIGHT_LINE_ONLY, map::Rgb(0x96, 0x50, 0xbe));
        assert_eq!(map::COVERED, map::Rgb(0x2e, 0x8b, 0x57));
        assert_eq!(map::NOT_COVERED, map::Rgb(0xef, 0x8a, 0x62));
        // 街镇 names are drawn once each on every map that has them.
        let p = place(&maps[0], font.as_ref());
        assert_eq!(p.of(Role::AreaLabel).count(), a.study.subdistricts.len());
        // Each proposed site is a badge in the frame with its rank.
        let prop = maps.last().unwrap();
        let p = place(prop, font.as_ref());
        let ranks: Vec<String> = p
            .of(Role::RankLabel)
            .filter_map(|d| d.text.clone())
            .collect();
        let n = a.proposal.as_ref().unwrap().ranked.len();
        assert_eq!(ranks, (1..=n).map(|k| k.to_string()).collect::<Vec<_>>());
    });
}

#[test]
fn a_site_far_outside_the_district_widens_the_frame_and_stays_off_the_subtitle() {
    let font = font();
    with_demo_analysis(|plan, a| {
        let ctx = map::run_context(plan, a);
        let p = a.proposal.as_ref().unwrap();
        let cc = &a.coverage.circles[p.circle];
        let mut sites: Vec<(Coord<f64>, usize)> = p
            .ranked
            .iter()
            .map(|r| (p.candidates[r.candidate].location.xy_m, r.rank))
            .collect();
        // One site 2 km north-west of the study's corner: above where the frame's top was.
        let e = map::run_maps(plan, a).pop().unwrap().extent;
        let far = Coord {
            x: e.min().x - 2_000.0,
            y: e.max().y + 2_000.0,
        };
        sites.push((far, sites.len() + 1));
        let m = map::proposal_map(
            &ctx,
            &cc.circle,
            p.kind,
            &cc.covered,
            &p.covered_after,
            &sites,
        );
        assert!(m.extent.min().x < far.x && m.extent.max().y > far.y);
        check_layout(&m, font.as_ref(), &internal_ids(plan));
        let place = place(&m, font.as_ref());
        let (x, y) = place.to_px(far);
        assert!(place.frame.x0 < x && place.frame.y0 < y, "({x}, {y})");
    });
}

#[test]
fn the_legend_swatches_hold_the_colours_they_name() {
    let font = font();
    with_demo_analysis(|plan, a| {
        for m in map::run_maps(plan, a) {
            let (buf, p) = render_rgb(&m, font.as_ref()).unwrap();
            for (e, sw) in m.legend.iter().zip(&p.swatches) {
                if e.symbol == Symbol::Square {
                    let c = lifecircle::io::maps::pixel(&buf, (sw.0 + sw.2) / 2, (sw.1 + sw.3) / 2);
                    assert_eq!(c, e.colour, "{}: {:?}", m.stem, e.label);
                }
            }
        }
    });
}

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(p.exists(), "shared data set missing: {}", p.display());
    p
}

/// People on a 60 m grid of points over the Huangpu drive extract, two centres, a
/// 10-minute walk, three proposed sites: point cells, a real street network with islands.
#[test]
fn maps_over_the_real_huangpu_network_follow_the_same_rules() {
    let data = read_osm(&shared("osm-shanghai-huangpu-drive/shanghai.osm")).unwrap();
    let plan = Plan::parse(
        r#"
[study]
name = "Huangpu grid"
[population]
path = "cells.csv"
[facilities]
path = "facilities.csv"
[network]
path = "streets.osm"
max_snap_m = 100
[[circles]]
name = "walk10"
label = "十分钟步行圈 (10-minute walk)"
minutes = 10
kinds = ["comprehensive_centre", "day_care"]
require = "any"
age_band = "60+"
[siting]
model = "mclp"
kind = "comprehensive_centre"
circle = "walk10"
p = 3
candidate_spacing_m = 150
"#,
        Path::new("/study/plan.toml"),
    )
    .unwrap();
    let proj = lifecircle::crs::Projection::utm_for(121.47, 31.23).unwrap();
    let (g, _) = lifecircle::network::WalkGraph::from_osm(&data, &proj).unwrap();
    let (mut lo, mut hi) = (g.xy_m[0], g.xy_m[0]);
    for p in &g.xy_m {
        lo = Coord {
            x: lo.x.min(p.x),
            y: lo.y.min(p.y),
        };
        hi = Coord {
            x: hi.x.max(p.x),
            y: hi.y.max(p.y),
        };
    }
    let mut population = Vec::new();
    let mut y = lo.y;
    while y <= hi.y {
        let mut x = lo.x;
        while x <= hi.x {
            let (lon, lat) = proj.to_wgs84(x, y).unwrap();
            let i = population.len();
            population.push(PopulationRecord {
                subdistrict_name: None,
                id: format!("c{i}"),
                geometry: geo::Geometry::Point(geo::Point::new(lon, lat)),
                counts: Counts {
                    residents: 10.0,
                    aged_60: 3.0,
                    aged_65: 2.0,
                    aged_80: 1.0,
                },
                origin: format!("cell {i}"),
            });
            x += 60.0;
        }
        y += 60.0;
    }
    let facility = |id: &str, kind, label: &str, (lon, lat): (f64, f64)| FacilityRecord {
        id: id.into(),
        name: id.into(),
        label: label.into(),
        kind,
        lon_lat: Coord { x: lon, y: lat },
        capacity: Capacity::default(),
        subdistrict_name: None,
        origin: id.into(),
        beyond_study_area: false,
    };
    let inputs = Inputs {
        population,
        facilities: vec![
            facility(
                "F1",
                FacilityKind::ComprehensiveCentre,
                "社区综合为老服务中心",
                (121.475, 31.230),
            ),
            facility(
                "F2",
                FacilityKind::ComprehensiveCentre,
                "社区综合为老服务中心",
                (121.468, 31.222),
            ),
            facility(
                "D1",
                FacilityKind::DayCare,
                "日间照料中心",
                (121.480, 31.226),
            ),
        ],
        ..Inputs::default()
    };
    let streets = StreetNetwork::from_osm(&data, &projection(&plan, &inputs).unwrap()).unwrap();
    let a = analyse(&plan, inputs, Some(&streets), &Silent).unwrap();
    let maps = map::run_maps(&plan, &a);
    let stems: Vec<&str> = maps.iter().map(|m| m.stem.as_str()).collect();
    assert_eq!(
        stems,
        [
            "coverage_walk10",
            "network_vs_straight_line_walk10",
            "proposed_sites"
        ]
    );
    let font = font();
    let ids = internal_ids(&plan);
    let dump = std::env::var_os("LIFECIRCLE_MAPS_DUMP").map(PathBuf::from);
    for m in &maps {
        check_layout(m, font.as_ref(), &ids);
        if let Some(dir) = &dump {
            let (png, _) = lifecircle::io::maps::encode_png(m, font.as_ref()).unwrap();
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("huangpu_{}.png", m.stem)), png).unwrap();
            lifecircle::io::maps::write_svg(
                m,
                font.as_ref(),
                &dir.join(format!("huangpu_{}.svg", m.stem)),
            )
            .unwrap();
        }
    }
    let cov = &maps[0];
    // The extract has street islands: drawn in their own colour and counted in the legend.
    assert!(cov.layers.iter().any(
        |l| matches!(l, Layer::Lines { colour, lines, .. } if *colour == map::STREET_ISLAND && !lines.is_empty())
    ));
    let island_row = cov
        .legend
        .iter()
        .find(|e| e.colour == map::STREET_ISLAND)
        .expect("a street-island legend row");
    assert!(
        island_row.label.en.starts_with("street islands ("),
        "{:?}",
        island_row.label
    );
    // Point cells are dots at least 4 px across (the cells are the first data items).
    let p = place(cov, font.as_ref());
    let n_cells = match &cov.layers[0] {
        Layer::Cells { cells, .. } => cells.len(),
        other => panic!("first layer {other:?}"),
    };
    assert!(n_cells > 1000);
    for d in p
        .items
        .iter()
        .filter(|d| d.role == Role::Data)
        .take(n_cells)
    {
        assert!(
            d.bbox.x1 - d.bbox.x0 + 1 >= 4 && d.bbox.y1 - d.bbox.y0 + 1 >= 4,
            "{:?}",
            d.bbox
        );
    }
}
