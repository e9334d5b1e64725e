//! The demo district: a deterministic synthetic district modelled on the Xuhui 2020 baseline
//! (shared/docs/standards.md): 54.76 km², 13 sub-districts, 306 residential committees,
//! 932,000 residents of whom 334,800 are aged 60+, 270,000 aged 65+ (so that 5 % of them is
//! the plan's 13,500 meals a day) and 60,900 aged 80+; 16 comprehensive service centres,
//! 32 day-care centres, 112 meal points, 43 institutions with 6,845 beds, 14 care homes,
//! neighbourhood hubs and activity rooms.
//!
//! Geometry, names and per-cell figures are invented (the area names are not Xuhui's); only
//! the district totals follow the baseline. It sits where Xuhui is, so CRS handling is real.
//! The same seed always gives the same district.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::crs::{CrsError, Projection};
use crate::model::{Capacity, Counts, FacilityKind};
use crate::network::{OsmData, OsmWay};
use crate::study::{AreaRecord, FacilityRecord, PopulationRecord};

/// Residents of the district, all ages. This and the totals below are reproduced exactly.
pub const RESIDENTS: u64 = 932_000;
/// Residents aged 60+ (the Xuhui 2020 baseline).
pub const AGED_60: u64 = 334_800;
/// Residents aged 65+ (5 % of them is the plan's 13,500 meals a day).
pub const AGED_65: u64 = 270_000;
/// Residents aged 80+.
pub const AGED_80: u64 = 60_900;
/// Institution beds in the 43 institutions.
pub const INSTITUTION_BEDS: u64 = 6_845;
/// Side of the square district, m (7.4 km × 7.4 km = 54.76 km²).
pub const SIDE_M: f64 = 7_400.0;
/// Population grid cell, m.
pub const CELL_M: f64 = 100.0;
/// WGS84 centre of the district (central Xuhui).
pub const CENTRE_LON_LAT: (f64, f64) = (121.437, 31.180);
/// Seed of the generator.
pub const SEED: u64 = 2020_1231;

/// Invented sub-district names (12 街道 and 1 镇, as in Xuhui).
pub const SUBDISTRICT_NAMES: [&str; 13] = [
    "青松街道",
    "翠竹街道",
    "梅园街道",
    "兰亭街道",
    "桂苑街道",
    "柳岸街道",
    "荷塘街道",
    "枫林湾街道",
    "银杏街道",
    "樱花街道",
    "海棠街道",
    "紫藤街道",
    "芙蓉镇",
];

/// The generated district, every coordinate in WGS84.
#[derive(Debug, Clone)]
pub struct DemoDistrict {
    /// EPSG code of the UTM zone the district was laid out in (32651, zone 51N).
    pub projection_epsg: u32,
    /// The 13 sub-districts, named from [`SUBDISTRICT_NAMES`].
    pub subdistricts: Vec<AreaRecord>,
    /// The 306 residential committees, with their parent sub-district names.
    pub committees: Vec<AreaRecord>,
    /// Population as 100 m square cells ([`CELL_M`]), each with its own counts.
    pub population: Vec<PopulationRecord>,
    /// Facilities of every kind, with capacities.
    pub facilities: Vec<FacilityRecord>,
    /// The street network as OSM data (WGS84), written out as an `.osm` file.
    pub streets: OsmData,
}

/// Splits `total` into integers proportional to `weights`, never above `caps`, summing
/// exactly to `total` (largest remainder). `total` must not exceed the sum of the caps.
pub fn apportion(weights: &[f64], caps: &[u64], total: u64) -> Vec<u64> {
    let n = weights.len();
    let mut share = vec![0.0; n];
    let mut free: Vec<usize> = (0..n)
        .filter(|&i| weights[i] > 0.0 && caps[i] > 0)
        .collect();
    let mut remaining = total as f64;
    // Scale to the total; cells that exceed their cap are fixed at it and the rest
    // rescaled, until nothing exceeds.
    loop {
        let w: f64 = free.iter().map(|&i| weights[i]).sum();
        if w <= 0.0 {
            break;
        }
        let mut capped = false;
        for &i in &free {
            share[i] = weights[i] / w * remaining;
        }
        let mut next = Vec::with_capacity(free.len());
        for &i in &free {
            if share[i] > caps[i] as f64 {
                share[i] = caps[i] as f64;
                remaining -= share[i];
                capped = true;
            } else {
                next.push(i);
            }
        }
        free = next;
        if !capped {
            break;
        }
    }
    let mut out: Vec<u64> = share.iter().map(|s| s.floor() as u64).collect();
    let mut left = total - out.iter().sum::<u64>().min(total);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (share[a] - share[a].floor(), share[b] - share[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    while left > 0 {
        let before = left;
        for &i in &order {
            if left == 0 {
                break;
            }
            if out[i] < caps[i] && (weights[i] > 0.0 || before == left) {
                out[i] += 1;
                left -= 1;
            }
        }
        if left == before {
            break;
        }
    }
    out
}

/// A rectangle in metres (min x, min y, max x, max y).
#[derive(Debug, Clone, Copy)]
struct Block {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Block {
    fn contains(&self, p: Coord<f64>) -> bool {
        p.x >= self.x0 && p.x < self.x1 && p.y >= self.y0 && p.y < self.y1
    }
}

/// Cuts `[a, b]` into `n` pieces of random widths (±25 %) snapped to `step`.
fn cuts(rng: &mut ChaCha8Rng, a: f64, b: f64, n: usize, step: f64) -> Vec<f64> {
    let w: Vec<f64> = (0..n).map(|_| rng.gen_range(0.75..1.25)).collect();
    let total: f64 = w.iter().sum();
    let mut out = vec![a];
    let mut acc = 0.0;
    for wi in &w[..n - 1] {
        acc += wi;
        out.push(a + ((acc / total * (b - a)) / step).round() * step);
    }
    out.push(b);
    out
}

fn to_wgs(p: &Projection, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
    let (x, y) = p.to_wgs84(c.x, c.y)?;
    Ok(Coord { x, y })
}

fn block_polygon(p: &Projection, b: &Block) -> Result<MultiPolygon<f64>, CrsError> {
    // Densify edges every 100 m so the WGS84 polygon follows the projected rectangle.
    let mut ring = Vec::new();
    let corners = [(b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1)];
    for k in 0..4 {
        let (ax, ay) = corners[k];
        let (bx, by) = corners[(k + 1) % 4];
        let steps = (((bx - ax).abs() + (by - ay).abs()) / CELL_M)
            .ceil()
            .max(1.0) as usize;
        for s in 0..steps {
            let t = s as f64 / steps as f64;
            ring.push(to_wgs(
                p,
                Coord {
                    x: ax + (bx - ax) * t,
                    y: ay + (by - ay) * t,
                },
            )?);
        }
    }
    ring.push(ring[0]);
    Ok(MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]))
}

/// Generates the demo district.
pub fn generate() -> Result<DemoDistrict, CrsError> {
    let proj = Projection::utm_for(CENTRE_LON_LAT.0, CENTRE_LON_LAT.1)?;
    let (cx, cy) = proj.from_wgs84(CENTRE_LON_LAT.0, CENTRE_LON_LAT.1)?;
    // Snap the district's corner to the 100 m grid so cells tile it exactly.
    let ox = ((cx - SIDE_M / 2.0) / CELL_M).round() * CELL_M;
    let oy = ((cy - SIDE_M / 2.0) / CELL_M).round() * CELL_M;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);

    // Sub-districts: four bands north to south of 3, 4, 3 and 3 blocks.
    let band_y = cuts(&mut rng, oy, oy + SIDE_M, 4, CELL_M);
    let per_band = [3usize, 3, 4, 3];
    let mut blocks = Vec::new();
    for (bi, &n) in per_band.iter().enumerate() {
        let xs = cuts(&mut rng, ox, ox + SIDE_M, n, CELL_M);
        for k in 0..n {
            blocks.push(Block {
                x0: xs[k],
                y0: band_y[bi],
                x1: xs[k + 1],
                y1: band_y[bi + 1],
            });
        }
    }

    // Density: old, dense and ageing neighbourhoods in the north, newer and sparser towards
    // the south; about 8 % of cells (parks, industry, water) are empty.
    let hotspots: Vec<(f64, f64, f64, f64)> = (0..9)
        .map(|_| {
            (
                ox + rng.gen_range(0.1..0.9) * SIDE_M,
                oy + rng.gen_range(0.25..1.0) * SIDE_M,
                rng.gen_range(500.0..1400.0),
                rng.gen_range(0.6..1.4),
            )
        })
        .collect();
    let n_side = (SIDE_M / CELL_M) as i64;
    let mut cell_xy = Vec::new();
    let mut density = Vec::new();
    let mut age_bias = Vec::new();
    for iy in 0..n_side {
        for ix in 0..n_side {
            let x = ox + (ix as f64 + 0.5) * CELL_M;
            let y = oy + (iy as f64 + 0.5) * CELL_M;
            let north = (y - oy) / SIDE_M;
            let mut d = 0.35 + 0.5 * north;
            for &(hx, hy, r, w) in &hotspots {
                let q = ((x - hx).powi(2) + (y - hy).powi(2)) / (r * r);
                d += w * (-q).exp();
            }
            let empty = rng.gen::<f64>() < 0.08;
            density.push(if empty {
                0.0
            } else {
                d * rng.gen_range(0.6..1.4)
            });
            age_bias.push((0.8 + 0.4 * north) * rng.gen_range(0.85..1.15));
            cell_xy.push(Coord { x, y });
        }
    }
    let n_cells = cell_xy.len();
    let unbounded = vec![u64::MAX; n_cells];
    let residents = apportion(&density, &unbounded, RESIDENTS);
    let w60: Vec<f64> = (0..n_cells)
        .map(|i| residents[i] as f64 * 0.359 * age_bias[i])
        .collect();
    let aged_60 = apportion(&w60, &residents, AGED_60);
    let w65: Vec<f64> = aged_60
        .iter()
        .map(|&a| a as f64 * rng.gen_range(0.7..0.9))
        .collect();
    let aged_65 = apportion(&w65, &aged_60, AGED_65);
    let w80: Vec<f64> = (0..n_cells)
        .map(|i| aged_65[i] as f64 * 0.226 * age_bias[i])
        .collect();
    let aged_80 = apportion(&w80, &aged_65, AGED_80);

    let mut population = Vec::with_capacity(n_cells);
    for i in 0..n_cells {
        let c = cell_xy[i];
        let h = CELL_M / 2.0;
        let ring: Vec<Coord<f64>> = [(-h, -h), (h, -h), (h, h), (-h, h), (-h, -h)]
            .iter()
            .map(|(dx, dy)| {
                to_wgs(
                    &proj,
                    Coord {
                        x: c.x + dx,
                        y: c.y + dy,
                    },
                )
            })
            .collect::<Result<_, _>>()?;
        let id = format!(
            "c{:02}{:02}",
            ((c.x - ox) / CELL_M) as i64,
            ((c.y - oy) / CELL_M) as i64
        );
        population.push(PopulationRecord {
            subdistrict_name: None,
            origin: id.clone(),
            id,
            geometry: geo::Geometry::Polygon(Polygon::new(LineString(ring), vec![])),
            counts: Counts {
                residents: residents[i] as f64,
                aged_60: aged_60[i] as f64,
                aged_65: aged_65[i] as f64,
                aged_80: aged_80[i] as f64,
            },
        });
    }

    let block_of: Vec<usize> = cell_xy
        .iter()
        .map(|c| blocks.iter().position(|b| b.contains(*c)).unwrap_or(0))
        .collect();
    let sub_res: Vec<f64> = (0..blocks.len())
        .map(|b| {
            (0..n_cells)
                .filter(|&i| block_of[i] == b)
                .map(|i| residents[i] as f64)
                .sum()
        })
        .collect();

    let mut subdistricts = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        subdistricts.push(AreaRecord {
            id: format!("S{:02}", b + 1),
            name: SUBDISTRICT_NAMES[b].to_string(),
            parent_name: None,
            boundary: block_polygon(&proj, block)?,
            origin: format!("S{:02}", b + 1),
        });
    }

    // 306 committees, in proportion to residents; each block cut into vertical strips and
    // the strips into committees.
    let committee_counts = apportion(&sub_res, &vec![u64::MAX; blocks.len()], 306);
    let mut committees = Vec::new();
    let mut committee_blocks = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        let n = committee_counts[b].max(1) as usize;
        let aspect = (block.x1 - block.x0) / (block.y1 - block.y0);
        let strips = ((n as f64 * aspect).sqrt().round() as usize).clamp(1, n);
        let xs = cuts(&mut rng, block.x0, block.x1, strips, CELL_M);
        let per_strip = apportion(&vec![1.0; strips], &vec![u64::MAX; strips], n as u64);
        let short = SUBDISTRICT_NAMES[b]
            .trim_end_matches("街道")
            .trim_end_matches('镇');
        let mut k = 0;
        for s in 0..strips {
            let m = per_strip[s].max(1) as usize;
            let ys = cuts(&mut rng, block.y0, block.y1, m, CELL_M);
            for j in 0..m {
                k += 1;
                let cb = Block {
                    x0: xs[s],
                    y0: ys[j],
                    x1: xs[s + 1],
                    y1: ys[j + 1],
                };
                let suffix = if b == 12 { "村委会" } else { "居委会" };
                committees.push(AreaRecord {
                    id: format!("S{:02}K{:02}", b + 1, k),
                    name: format!("{short}第{k}{suffix}"),
                    parent_name: Some(SUBDISTRICT_NAMES[b].to_string()),
                    boundary: block_polygon(&proj, &cb)?,
                    origin: format!("S{:02}K{:02}", b + 1, k),
                });
                committee_blocks.push((b, cb));
            }
        }
    }

    let facilities = facilities(
        &mut rng,
        &proj,
        &blocks,
        &committee_blocks,
        &cell_xy,
        &aged_60,
        &block_of,
    )?;
    let streets = streets(&mut rng, &proj, ox, oy)?;
    Ok(DemoDistrict {
        projection_epsg: proj.epsg(),
        subdistricts,
        committees,
        population,
        facilities,
        streets,
    })
}

/// Picks a cell with probability proportional to `weights` among `eligible`, and a random
/// point inside it.
fn sample_point(
    rng: &mut ChaCha8Rng,
    cells: &[Coord<f64>],
    weights: &[u64],
    eligible: &[usize],
) -> Coord<f64> {
    let total: u64 = eligible.iter().map(|&i| weights[i]).sum();
    let mut t = rng.gen_range(0..total.max(1));
    let mut pick = eligible[0];
    for &i in eligible {
        if t < weights[i] {
            pick = i;
            break;
        }
        t -= weights[i];
    }
    let h = CELL_M / 2.0 * 0.9;
    Coord {
        x: cells[pick].x + rng.gen_range(-h..h),
        y: cells[pick].y + rng.gen_range(-h..h),
    }
}

#[allow(clippy::too_many_arguments)]
fn facilities(
    rng: &mut ChaCha8Rng,
    proj: &Projection,
    blocks: &[Block],
    committee_blocks: &[(usize, Block)],
    cells: &[Coord<f64>],
    aged_60: &[u64],
    block_of: &[usize],
) -> Result<Vec<FacilityRecord>, CrsError> {
    use FacilityKind as F;
    let mut out = Vec::new();
    let all: Vec<usize> = (0..cells.len()).collect();
    let in_block =
        |b: usize| -> Vec<usize> { (0..cells.len()).filter(|&i| block_of[i] == b).collect() };
    let mut push = |rng: &mut ChaCha8Rng,
                    kind: F,
                    xy: Coord<f64>,
                    n: usize,
                    name: String|
     -> Result<(), CrsError> {
        let lon_lat = to_wgs(proj, xy)?;
        let sub = blocks
            .iter()
            .position(|b| b.contains(xy))
            .map(|b| SUBDISTRICT_NAMES[b].to_string());
        let (floor, beds, meals, places) = match kind {
            F::ComprehensiveCentre => (rng.gen_range(500.0..1100.0), None, None, None),
            F::DayCare => (
                rng.gen_range(200.0..420.0),
                None,
                None,
                Some(rng.gen_range(20..60) as f64),
            ),
            F::MealPoint => (
                rng.gen_range(40.0..90.0),
                None,
                Some(rng.gen_range(60..140) as f64),
                None,
            ),
            F::CareHome => {
                let beds = rng.gen_range(20..49) as f64;
                (beds * 12.0, Some(beds), None, None)
            }
            F::ActivityRoom => (rng.gen_range(10.0..25.0), None, None, None),
            F::NeighbourhoodHub => (rng.gen_range(400.0..1200.0), None, None, None),
            _ => (0.0, None, None, None),
        };
        let id = format!("{}-{:03}", kind_code(kind), n);
        out.push(FacilityRecord {
            beyond_study_area: false,
            origin: id.clone(),
            id,
            name,
            label: kind.chinese().to_string(),
            kind,
            lon_lat,
            capacity: Capacity {
                floor_area_m2: Some((floor * 10.0_f64).round() / 10.0),
                beds,
                nursing_beds: beds.map(|b: f64| (b * 0.7).round()),
                meals_per_day: meals,
                day_places: places,
                social_workers: (kind == F::ComprehensiveCentre)
                    .then(|| rng.gen_range(2..6) as f64),
                ..Default::default()
            },
            subdistrict_name: sub,
        });
        Ok(())
    };

    // Comprehensive centres: 16 over 13 sub-districts — three have two, ten have one.
    let mut n = 0;
    for (b, name) in SUBDISTRICT_NAMES.iter().enumerate().take(blocks.len()) {
        let count = if b % 4 == 1 { 2 } else { 1 };
        for _ in 0..count {
            n += 1;
            let xy = sample_point(rng, cells, aged_60, &in_block(b));
            push(
                rng,
                F::ComprehensiveCentre,
                xy,
                n,
                format!(
                    "{name}社区综合为老服务中心{}",
                    if count > 1 {
                        format!("({n})")
                    } else {
                        String::new()
                    }
                ),
            )?;
        }
    }
    for k in 1..=32 {
        let xy = sample_point(rng, cells, aged_60, &all);
        push(rng, F::DayCare, xy, k, format!("第{k}日间照料中心"))?;
    }
    for k in 1..=112 {
        let xy = sample_point(rng, cells, aged_60, &all);
        push(rng, F::MealPoint, xy, k, format!("第{k}社区长者食堂"))?;
    }
    for k in 1..=14 {
        let xy = sample_point(rng, cells, aged_60, &all);
        push(rng, F::CareHome, xy, k, format!("第{k}长者照护之家"))?;
    }
    for (b, name) in SUBDISTRICT_NAMES.iter().enumerate().take(blocks.len()) {
        let xy = sample_point(rng, cells, aged_60, &in_block(b));
        push(rng, F::NeighbourhoodHub, xy, b + 1, format!("{name}邻里汇"))?;
    }
    // An activity room in most committees (about 5 % have none yet).
    let mut k = 0;
    for (_, cb) in committee_blocks {
        if rng.gen::<f64>() < 0.05 {
            continue;
        }
        k += 1;
        let xy = Coord {
            x: rng.gen_range(cb.x0 + 0.2 * (cb.x1 - cb.x0)..cb.x1 - 0.2 * (cb.x1 - cb.x0)),
            y: rng.gen_range(cb.y0 + 0.2 * (cb.y1 - cb.y0)..cb.y1 - 0.2 * (cb.y1 - cb.y0)),
        };
        push(rng, F::ActivityRoom, xy, k, format!("第{k}老年活动室"))?;
    }

    // 43 institutions with 6,845 beds in all; 60 % of them nursing-type on average.
    let sizes: Vec<f64> = (0..43).map(|_| rng.gen_range(40.0..260.0)).collect();
    let beds = apportion(&sizes, &[u64::MAX; 43], INSTITUTION_BEDS);
    for (k, &b) in beds.iter().enumerate() {
        let xy = sample_point(rng, cells, aged_60, &all);
        let lon_lat = to_wgs(proj, xy)?;
        let id = format!("{}-{:03}", kind_code(F::NursingHome), k + 1);
        let nursing = (b as f64 * rng.gen_range(0.4..0.8)).round();
        out.push(FacilityRecord {
            beyond_study_area: false,
            origin: id.clone(),
            id,
            name: format!("第{}养老院", k + 1),
            label: "养老院".to_string(),
            kind: F::NursingHome,
            lon_lat,
            capacity: Capacity {
                floor_area_m2: Some((b as f64 * 25.7).round()),
                beds: Some(b as f64),
                nursing_beds: Some(nursing),
                basic_beds: Some((b as f64 * rng.gen_range(0.3..0.6)).round()),
                social_workers: Some((b as f64 / rng.gen_range(80.0..160.0)).round()),
                meals_per_day: None,
                day_places: None,
            },
            subdistrict_name: blocks
                .iter()
                .position(|bl| bl.contains(xy))
                .map(|i| SUBDISTRICT_NAMES[i].to_string()),
        });
    }
    Ok(out)
}

/// Street lines across the district (and 300 m beyond it) at `spacing` with jitter; every
/// fourth is a main road. Returns (position, is_main).
fn street_lines(rng: &mut ChaCha8Rng, from: f64, to: f64, spacing: f64) -> Vec<(f64, bool)> {
    let n = ((to - from) / spacing).round() as usize;
    (0..=n)
        .map(|i| {
            let main = i % 4 == 0;
            let jitter = if main || i == 0 || i == n {
                0.0
            } else {
                rng.gen_range(-0.2..0.2) * spacing
            };
            (from + i as f64 * (to - from) / n as f64 + jitter, main)
        })
        .collect()
}

/// The demo street network: a lattice of main roads (every ~700 m) and minor streets
/// (every ~175 m), with some minor blocks missing (compounds, parks), some lanes tagged as
/// footways, gated private service roads (not walkable), an east–west canal crossed only by
/// the main roads, and an elevated expressway (motorway, not walkable) with no at-grade
/// access.
fn streets(rng: &mut ChaCha8Rng, proj: &Projection, ox: f64, oy: f64) -> Result<OsmData, CrsError> {
    let margin = 300.0;
    let xs = street_lines(rng, ox - margin, ox + SIDE_M + margin, 175.0);
    let ys = street_lines(rng, oy - margin, oy + SIDE_M + margin, 175.0);
    let canal_y = oy + 0.45 * SIDE_M;
    let mut data = OsmData::default();
    let node_id = |i: usize, j: usize| 1 + (i * ys.len() + j) as i64;
    for (i, &(x, _)) in xs.iter().enumerate() {
        for (j, &(y, _)) in ys.iter().enumerate() {
            data.nodes
                .insert(node_id(i, j), to_wgs(proj, Coord { x, y })?);
        }
    }
    let mut way_id = 1;
    let mut ways = Vec::new();
    let mut add_way = |nodes: Vec<i64>, tags: Vec<(&str, String)>| {
        if nodes.len() >= 2 {
            ways.push(OsmWay {
                id: way_id,
                nodes,
                tags: tags.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            });
            way_id += 1;
        }
    };
    let road_tags = |main: bool, name: String, rng: &mut ChaCha8Rng| -> Vec<(&str, String)> {
        if main {
            vec![("highway", "secondary".to_string()), ("name", name)]
        } else {
            let r: f64 = rng.gen();
            let (hw, extra) = if r < 0.10 {
                ("footway", None)
            } else if r < 0.14 {
                ("service", Some(("access", "private".to_string())))
            } else if r < 0.20 {
                ("living_street", None)
            } else {
                ("residential", None)
            };
            let mut t = vec![("highway", hw.to_string()), ("name", name)];
            t.extend(extra);
            t
        }
    };
    // Streets along y (constant y, "路") and along x (constant x, "街"), cut into one way
    // per block so blocks can be missing or tagged differently.
    for (j, &(_, main_y)) in ys.iter().enumerate() {
        for i in 0..xs.len() - 1 {
            if !main_y && rng.gen::<f64>() < 0.12 {
                continue;
            }
            let tags = road_tags(main_y, format!("横{}路", j + 1), rng);
            add_way(vec![node_id(i, j), node_id(i + 1, j)], tags);
        }
    }
    for (i, &(_, main_x)) in xs.iter().enumerate() {
        for j in 0..ys.len() - 1 {
            let crosses_canal = ys[j].0 < canal_y && ys[j + 1].0 >= canal_y;
            if !main_x && (crosses_canal || rng.gen::<f64>() < 0.12) {
                continue;
            }
            let mut tags = road_tags(main_x, format!("纵{}街", i + 1), rng);
            if crosses_canal {
                tags.push(("bridge", "yes".to_string()));
            }
            add_way(vec![node_id(i, j), node_id(i, j + 1)], tags);
        }
    }
    // The canal (no highway tag: not read as a street) and the expressway above the
    // streets, with nodes of its own and no connection to them.
    let mut extra_id = 1_000_000;
    let mut line = |pts: Vec<Coord<f64>>, data: &mut OsmData| -> Result<Vec<i64>, CrsError> {
        let mut ids = Vec::new();
        for p in pts {
            extra_id += 1;
            data.nodes.insert(extra_id, to_wgs(proj, p)?);
            ids.push(extra_id);
        }
        Ok(ids)
    };
    let canal: Vec<Coord<f64>> = (0..=20)
        .map(|k| Coord {
            x: ox - margin + k as f64 * (SIDE_M + 2.0 * margin) / 20.0,
            y: canal_y,
        })
        .collect();
    let canal_nodes = line(canal, &mut data)?;
    let express_x = ox + 0.6 * SIDE_M + 40.0;
    let express: Vec<Coord<f64>> = (0..=20)
        .map(|k| Coord {
            x: express_x,
            y: oy - margin + k as f64 * (SIDE_M + 2.0 * margin) / 20.0,
        })
        .collect();
    let express_nodes = line(express, &mut data)?;
    add_way(
        canal_nodes,
        vec![
            ("waterway", "canal".to_string()),
            ("name", "漕溪浜".to_string()),
        ],
    );
    add_way(
        express_nodes,
        vec![
            ("highway", "motorway".to_string()),
            ("name", "中环高架".to_string()),
            ("layer", "1".to_string()),
        ],
    );
    data.ways = ways;
    Ok(data)
}

fn kind_code(kind: FacilityKind) -> &'static str {
    match kind {
        FacilityKind::ComprehensiveCentre => "ZH",
        FacilityKind::DayCare => "RZ",
        FacilityKind::MealPoint => "ST",
        FacilityKind::NursingHome => "YL",
        FacilityKind::CareHome => "ZZ",
        FacilityKind::ActivityRoom => "HD",
        FacilityKind::NeighbourhoodHub => "LL",
        FacilityKind::MutualHelpPoint => "MP",
        FacilityKind::RehabAidPoint => "KF",
        FacilityKind::SportsHealthHome => "YD",
    }
}

/// The plan written beside the demo data; `output_dir` is relative to it.
pub fn plan_text(output_dir: &str) -> String {
    format!(
        r#"# lifecircle plan for the synthetic demo district (made by `lifecircle demo`).
[study]
name = "Demo district (synthetic, modelled on the Xuhui 2020 baseline)"
analysis_crs = "auto"          # the UTM zone of the study area: EPSG:32651 here
output_dir = "{output_dir}"

[standards]
preset = "xuhui-2025"          # 40 m² per 1,000 residents, 2 centres per sub-district, ...

[population]
path = "population.geojson"    # 100 m cells with counts
crs = "WGS84"
[population.fields]
id = "id"
residents = "residents"
aged_60 = "aged_60_plus"
aged_65 = "aged_65_plus"
aged_80 = "aged_80_plus"

[facilities]
path = "facilities.csv"
crs = "GCJ02"                  # Amap coordinates, converted to WGS84 on read
encoding = "utf-8"
[facilities.fields]
id = "id"
name = "name"
kind = "type"                  # Chinese labels: 社区综合为老服务中心, 日间照料中心, ...
lon = "lon"
lat = "lat"
subdistrict = "subdistrict"

[subdistricts]
path = "subdistricts.geojson"
[subdistricts.fields]
id = "id"
name = "name"

[committees]
path = "committees.geojson"
[committees.fields]
id = "id"
name = "name"
parent = "subdistrict"

[network]
path = "streets.osm"           # OSM XML (or .osm.pbf): circles are walked along its streets
max_snap_m = 300

# Proposals for the plan's ≥ 10 new comprehensive service centres, reaching 2 per 街镇:
# maximal covering of people aged 60+ within the 15-minute walk (900 m along the streets),
# candidates generated on the street network every 250 m.
[siting]
model = "mclp"
kind = "comprehensive_centre"
circle = "min15"
p = 10
min_per_subdistrict = 2
candidate_spacing_m = 250

# Circles: the preset's one-stop 15-minute circle (15 min × 1.0 m/s = 900 m), the doorstep
# 5-minute circle (300 m) and the 1000 m day-service radius, walked along the network, are
# used when none are listed.
"#
    )
}

impl DemoDistrict {
    /// The district as the readers would hand it to [`crate::analyse`]: points, areas and
    /// facilities in WGS84 (the street network is [`DemoDistrict::streets`]).
    pub fn inputs(&self) -> crate::study::Inputs {
        crate::study::Inputs {
            population: self.population.clone(),
            spread_grid_m: None,
            facilities: self.facilities.clone(),
            subdistricts: self.subdistricts.clone(),
            committees: self.committees.clone(),
            skipped: Default::default(),
            candidates: None,
            study_area: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact_and_respects_caps() {
        let a = apportion(&[1.0, 1.0, 1.0], &[u64::MAX; 3], 10);
        assert_eq!(a.iter().sum::<u64>(), 10);
        assert_eq!(a, vec![4, 3, 3]);
        let b = apportion(&[10.0, 1.0, 1.0], &[2, 100, 100], 12);
        assert_eq!(b, vec![2, 5, 5]);
        let c = apportion(&[0.0, 1.0], &[5, 5], 3);
        assert_eq!(c, vec![0, 3]);
    }

    #[test]
    fn demo_matches_the_baseline_totals() {
        let d = generate().unwrap();
        assert_eq!(d.subdistricts.len(), 13);
        assert_eq!(d.committees.len(), 306);
        let sum = |f: fn(&Counts) -> f64| d.population.iter().map(|p| f(&p.counts)).sum::<f64>();
        assert_eq!(sum(|c| c.residents), RESIDENTS as f64);
        assert_eq!(sum(|c| c.aged_60), AGED_60 as f64);
        assert_eq!(sum(|c| c.aged_65), AGED_65 as f64);
        assert_eq!(sum(|c| c.aged_80), AGED_80 as f64);
        for p in &d.population {
            let c = p.counts;
            assert!(c.aged_80 <= c.aged_65 && c.aged_65 <= c.aged_60 && c.aged_60 <= c.residents);
        }
        let count = |k: FacilityKind| d.facilities.iter().filter(|f| f.kind == k).count();
        assert_eq!(count(FacilityKind::ComprehensiveCentre), 16);
        assert_eq!(count(FacilityKind::DayCare), 32);
        assert_eq!(count(FacilityKind::MealPoint), 112);
        assert_eq!(count(FacilityKind::NursingHome), 43);
        let beds: f64 = d
            .facilities
            .iter()
            .filter(|f| f.kind == FacilityKind::NursingHome)
            .filter_map(|f| f.capacity.beds)
            .sum();
        assert_eq!(beds, INSTITUTION_BEDS as f64);
    }

    #[test]
    fn demo_is_deterministic() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(format!("{:?}", a.facilities), format!("{:?}", b.facilities));
        assert_eq!(
            format!("{:?}", a.population[1234]),
            format!("{:?}", b.population[1234])
        );
    }
}
