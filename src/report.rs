//! The report stage of a run: the maps (PNG and SVG under `maps/`) and the self-contained
//! `report.html`. Part of the application layer, like [`crate::pipeline`] and
//! [`crate::proposal`].

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::coverage::Coverage;
use crate::crs::Projection;
use crate::indicators::Indicators;
use crate::io::maps::{locate_font, write_svg, MapFont};
use crate::io::report::Figure;
use crate::map::{self, Map};
use crate::model::Study;
use crate::pipeline::RunError;
use crate::plan::Plan;
use crate::proposal::Proposal;

/// What the maps step produced.
#[derive(Debug)]
pub struct Drawn {
    pub font: Option<MapFont>,
    /// Each map's caption and PNG bytes, in drawing order.
    pub figures: Vec<(String, Vec<u8>)>,
    pub files: Vec<PathBuf>,
    /// A warning when the labels fall back (no CJK font, or no font).
    pub warning: Option<String>,
}

impl Drawn {
    /// The summary's `maps` entry.
    pub fn summary(&self) -> Value {
        json!({
            "font": self.font.as_ref().map(|f| f.path.display().to_string()),
            "labels": match &self.font {
                Some(f) if f.cjk => "Chinese and English",
                Some(_) => "English only (no CJK font found)",
                None => "none in PNG (no font found); SVG text uses the viewer's fonts",
            },
            "size_px": [crate::io::maps::WIDTH, crate::io::maps::HEIGHT],
            "files": self.files.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        })
    }
}

/// Direction of true north on the map, degrees clockwise from grid north (meridian
/// convergence at the study's centre).
fn north_deg(study: &Study, projection: &Projection) -> f64 {
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

/// Draws every map of the run into `out_dir/maps`.
pub fn draw_maps(
    plan: &Plan,
    study: &Study,
    coverage: &Coverage,
    indicators: &Indicators,
    proposal: Option<&Proposal>,
    projection: &Projection,
    out_dir: &Path,
) -> Result<Drawn, RunError> {
    let font =
        locate_font(plan.report.font.as_deref()).map_err(|e| RunError::Font(e.to_string()))?;
    let warning = match &font {
        Some(f) if f.cjk => None,
        Some(f) => Some(format!(
            "map labels are in English only: {} has no Chinese glyphs; install a CJK font (Debian: fonts-noto-cjk or fonts-wqy-microhei) or set LIFECIRCLE_FONT",
            f.path.display()
        )),
        None => Some(
            "PNG maps have no text: no font found; install fonts-noto-cjk (Debian) or set LIFECIRCLE_FONT / [report] font".into(),
        ),
    };
    let north = north_deg(study, projection);
    let note = format!(
        "lifecircle · {} · analysis CRS EPSG:{} {} · north arrow: true north",
        plan.name,
        projection.epsg(),
        projection.name()
    );
    let mut maps: Vec<Map> = Vec::new();
    for k in 0..coverage.circles.len() {
        maps.push(map::coverage_map(study, coverage, k, north, &note));
    }
    for k in 0..coverage.circles.len() {
        maps.extend(map::choropleth_map(study, indicators, k, &note, north));
    }
    if let (Some(p), Some(s)) = (proposal, plan.siting.as_ref()) {
        let cc = &coverage.circles[s.circle];
        let before = cc
            .covered_by_kind
            .iter()
            .find(|(k, _)| *k == s.kind)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| cc.covered.clone());
        let sites: Vec<_> = p
            .solution
            .open
            .iter()
            .enumerate()
            .map(|(rank, &j)| (p.candidates[j].location.xy_m, rank + 1))
            .collect();
        maps.push(map::proposal_map(
            study,
            &cc.circle,
            s.kind,
            &before,
            &p.covered_after,
            &sites,
            north,
            &note,
        ));
    }
    let dir = out_dir.join("maps");
    let mut files = Vec::new();
    let mut figures = Vec::new();
    for m in &maps {
        let png_path = dir.join(format!("{}.png", m.stem));
        let (png, _) =
            crate::io::maps::encode_png(m, font.as_ref()).map_err(|source| RunError::Write {
                path: png_path.clone(),
                source,
            })?;
        crate::pipeline::write_step(
            &dir,
            &format!("{}.png", m.stem),
            &|p| crate::io::atomic::write_atomic(p, |w| w.write_all(&png)),
            &mut files,
        )?;
        crate::pipeline::write_step(
            &dir,
            &format!("{}.svg", m.stem),
            &|p| write_svg(m, font.as_ref(), p),
            &mut files,
        )?;
        let caption = format!("{} — {}", m.title.text(true), m.subtitle.en);
        figures.push((caption, png));
    }
    Ok(Drawn {
        font,
        figures,
        files,
        warning,
    })
}

/// Writes `report.html` into `out_dir`.
pub fn write_report(
    summary: &Value,
    markdown: &str,
    proposal: Option<&Proposal>,
    drawn: &Drawn,
    out_dir: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<(), RunError> {
    let figures: Vec<Figure> = drawn
        .figures
        .iter()
        .map(|(caption, png)| Figure {
            caption: caption.clone(),
            png: png.clone(),
        })
        .collect();
    let html = crate::io::report::html(
        summary,
        markdown,
        proposal.map(|p| p.after_markdown.as_str()),
        &figures,
    );
    crate::pipeline::write_step(
        out_dir,
        "report.html",
        &|p| crate::io::tables::write_text(p, &html),
        files,
    )
}
