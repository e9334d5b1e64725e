//! A uniform grid over street segments for snapping points to the nearest segment.
//!
//! Each segment is listed in every grid cell its bounding box touches; a query scans rings
//! of cells around the point, nearest first, and stops as soon as no unvisited cell can
//! hold a nearer segment. Building is linear and a query touches a handful of cells, which
//! makes snapping a million points several times faster than an R-tree of lines (see
//! `benches/network.rs`). Ties go to the lowest segment index, so results are deterministic.

use geo::Coord;

/// The nearest point of segment `a`–`b` to `p`: (fraction along from `a`, distance²).
pub fn project(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.x + t * dx, a.y + t * dy);
    (t, (p.x - qx).powi(2) + (p.y - qy).powi(2))
}

/// Segments bucketed by grid cell (compressed rows).
pub struct SegmentGrid {
    origin: Coord<f64>,
    cell_m: f64,
    nx: usize,
    ny: usize,
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl SegmentGrid {
    /// Indexes segments given by their end points (metres).
    pub fn new(ends: &[(Coord<f64>, Coord<f64>)]) -> SegmentGrid {
        let (mut min, mut max) = (
            Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        );
        let mut lengths: Vec<f64> = Vec::with_capacity(ends.len());
        for (a, b) in ends {
            for c in [a, b] {
                min.x = min.x.min(c.x);
                min.y = min.y.min(c.y);
                max.x = max.x.max(c.x);
                max.y = max.y.max(c.y);
            }
            lengths.push(((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt());
        }
        if ends.is_empty() {
            return SegmentGrid {
                origin: Coord { x: 0.0, y: 0.0 },
                cell_m: 1.0,
                nx: 0,
                ny: 0,
                offsets: vec![0],
                items: Vec::new(),
            };
        }
        // Cell size: the median segment, but never so small that the grid has more than ~4
        // cells per segment.
        let mid = lengths.len() / 2;
        let median = *lengths.select_nth_unstable_by(mid, f64::total_cmp).1;
        let area = ((max.x - min.x) * (max.y - min.y)).max(1.0);
        let floor = (area / (4.0 * ends.len() as f64)).sqrt();
        let cell_m = median.max(floor).max(1.0);
        let nx = ((max.x - min.x) / cell_m).floor() as usize + 1;
        let ny = ((max.y - min.y) / cell_m).floor() as usize + 1;
        let cell_range = |a: &Coord<f64>, b: &Coord<f64>| {
            let i0 = ((a.x.min(b.x) - min.x) / cell_m).floor() as usize;
            let i1 = ((a.x.max(b.x) - min.x) / cell_m).floor() as usize;
            let j0 = ((a.y.min(b.y) - min.y) / cell_m).floor() as usize;
            let j1 = ((a.y.max(b.y) - min.y) / cell_m).floor() as usize;
            (
                i0.min(nx - 1),
                i1.min(nx - 1),
                j0.min(ny - 1),
                j1.min(ny - 1),
            )
        };
        let mut counts = vec![0u32; nx * ny + 1];
        for (a, b) in ends {
            let (i0, i1, j0, j1) = cell_range(a, b);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    counts[j * nx + i + 1] += 1;
                }
            }
        }
        for k in 1..counts.len() {
            counts[k] += counts[k - 1];
        }
        let offsets = counts;
        let mut fill: Vec<u32> = offsets[..nx * ny].to_vec();
        let mut items = vec![0u32; offsets[nx * ny] as usize];
        for (s, (a, b)) in ends.iter().enumerate() {
            let (i0, i1, j0, j1) = cell_range(a, b);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let c = j * nx + i;
                    items[fill[c] as usize] = s as u32;
                    fill[c] += 1;
                }
            }
        }
        SegmentGrid {
            origin: min,
            cell_m,
            nx,
            ny,
            offsets,
            items,
        }
    }

    /// The nearest segment to `p` within `max_m`: (segment, fraction along, distance m).
    /// `ends(s)` gives segment `s`'s end points.
    pub fn nearest(
        &self,
        p: Coord<f64>,
        max_m: f64,
        ends: impl Fn(u32) -> (Coord<f64>, Coord<f64>),
    ) -> Option<(u32, f64, f64)> {
        self.nearest_allowed(p, max_m, ends, |_| true).0
    }

    /// The nearest segment to `p` within `max_m` among those `allowed`, as
    /// [`SegmentGrid::nearest`], and the distance (m) of the nearest segment that is not
    /// allowed when it is nearer than the one returned (or when none allowed is in reach).
    /// One search: the rings scanned are those the allowed answer needs.
    pub fn nearest_allowed(
        &self,
        p: Coord<f64>,
        max_m: f64,
        ends: impl Fn(u32) -> (Coord<f64>, Coord<f64>),
        allowed: impl Fn(u32) -> bool,
    ) -> (Option<(u32, f64, f64)>, Option<f64>) {
        if self.nx == 0 {
            return (None, None);
        }
        let mut refused_d2 = f64::INFINITY;
        let fi = (p.x - self.origin.x) / self.cell_m;
        let fj = (p.y - self.origin.y) / self.cell_m;
        let ci = fi.floor() as i64;
        let cj = fj.floor() as i64;
        let mut best: Option<(u32, f64, f64)> = None;
        let mut visit = |i: i64, j: i64, best: &mut Option<(u32, f64, f64)>| {
            if i < 0 || j < 0 || i >= self.nx as i64 || j >= self.ny as i64 {
                return;
            }
            let c = j as usize * self.nx + i as usize;
            for &s in &self.items[self.offsets[c] as usize..self.offsets[c + 1] as usize] {
                let (a, b) = ends(s);
                let (t, d2) = project(p, a, b);
                if !allowed(s) {
                    refused_d2 = refused_d2.min(d2);
                    continue;
                }
                let better = match *best {
                    None => true,
                    Some((bs, _, bd2)) => d2 < bd2 || (d2 == bd2 && s < bs),
                };
                if better {
                    *best = Some((s, t, d2));
                }
            }
        };
        let max_ring = (self.nx.max(self.ny) as i64) + ci.abs().max(cj.abs()) + 1;
        for r in 0..=max_ring {
            // Cells of ring r and beyond lie outside the square of rings < r; nothing in them
            // is nearer than p's distance to that square's edge.
            let ring_floor_m = if r == 0 {
                0.0
            } else {
                let lo_i = (ci - r + 1) as f64;
                let hi_i = (ci + r) as f64;
                let lo_j = (cj - r + 1) as f64;
                let hi_j = (cj + r) as f64;
                (fi - lo_i).min(hi_i - fi).min(fj - lo_j).min(hi_j - fj) * self.cell_m
            };
            if ring_floor_m > max_m {
                break;
            }
            if let Some((_, _, d2)) = best {
                if d2 <= ring_floor_m * ring_floor_m {
                    break;
                }
            }
            if r == 0 {
                visit(ci, cj, &mut best);
                continue;
            }
            for i in ci - r..=ci + r {
                visit(i, cj - r, &mut best);
                visit(i, cj + r, &mut best);
            }
            for j in cj - r + 1..cj + r {
                visit(ci - r, j, &mut best);
                visit(ci + r, j, &mut best);
            }
        }
        let best = best
            .map(|(s, t, d2)| (s, t, d2.sqrt()))
            .filter(|&(_, _, d)| d <= max_m);
        let refused = refused_d2.sqrt();
        let nearer_refused = match best {
            Some((_, _, d)) => refused < d,
            None => refused <= max_m,
        };
        (best, nearer_refused.then_some(refused))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_brute_force() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let ends: Vec<(Coord<f64>, Coord<f64>)> = (0..400)
            .map(|_| {
                let a = Coord {
                    x: rng.gen_range(0.0..2000.0),
                    y: rng.gen_range(0.0..2000.0),
                };
                let len = rng.gen_range(5.0..300.0);
                let ang: f64 = rng.gen_range(0.0..6.3);
                (
                    a,
                    Coord {
                        x: a.x + len * ang.cos(),
                        y: a.y + len * ang.sin(),
                    },
                )
            })
            .collect();
        let grid = SegmentGrid::new(&ends);
        for _ in 0..2000 {
            let p = Coord {
                x: rng.gen_range(-500.0..2500.0),
                y: rng.gen_range(-500.0..2500.0),
            };
            let max_m = rng.gen_range(10.0..400.0);
            let brute = ends
                .iter()
                .enumerate()
                .map(|(s, (a, b))| (s as u32, project(p, *a, *b)))
                .min_by(|x, y| x.1 .1.total_cmp(&y.1 .1).then(x.0.cmp(&y.0)))
                .map(|(s, (t, d2))| (s, t, d2.sqrt()))
                .filter(|x| x.2 <= max_m);
            let got = grid.nearest(p, max_m, |s| ends[s as usize]);
            assert_eq!(got, brute, "at {p:?} within {max_m}");
        }
    }
}
