//! The HTML report: one self-contained file (maps embedded as PNG data, styles inline, no
//! scripts, nothing fetched) with the assumptions, the inputs' counts, the maps and the
//! indicator tables, for a planner to open or print.

use crate::io::tables::{Align, Block};
use crate::summary::Summary;
use base64::Engine;

/// A map to embed: caption and PNG bytes.
pub struct Figure {
    pub caption: String,
    pub png: Vec<u8>,
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders a tables document as HTML (numbers right-aligned). Heading levels shift down by
/// `shift`.
pub fn blocks_to_html(doc: &[Block], shift: usize) -> String {
    let mut out = String::new();
    for b in doc {
        match b {
            Block::Heading(level, text) => {
                let h = (level + shift).min(6);
                out.push_str(&format!("<h{h}>{}</h{h}>\n", escape(text.trim())));
            }
            Block::Table {
                header,
                align,
                rows,
            } => {
                out.push_str("<table>\n<thead><tr>");
                for h in header {
                    out.push_str(&format!("<th>{}</th>", escape(h.trim())));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for (i, c) in r.iter().enumerate() {
                        match align.get(i).copied().unwrap_or(Align::Left) {
                            Align::Left => out.push_str(&format!("<td>{}</td>", escape(c.trim()))),
                            Align::Right | Align::Centre => out
                                .push_str(&format!("<td class=\"num\">{}</td>", escape(c.trim()))),
                        }
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out
}

/// A number as summary.json writes it (serde_json's shortest form, `0` for zero, `–` for a
/// non-finite value, which summary.json writes as null).
fn num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        "–".into()
    } else {
        serde_json::to_string(&x).unwrap_or_default()
    }
}

/// An optional number (`–` when absent).
fn opt_num(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), num)
}

fn row(out: &mut String, key: &str, value: &str) {
    out.push_str(&format!(
        "<tr><th>{}</th><td>{}</td></tr>\n",
        escape(key),
        escape(value)
    ));
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','PingFang SC','Microsoft YaHei',sans-serif;margin:2em auto;max-width:1200px;color:#222;line-height:1.45}
h1{font-size:1.8em;border-bottom:2px solid #2e8b57;padding-bottom:.2em}
h2{margin-top:1.6em;color:#1d5e3a}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
thead th{background:#eef5f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{background:#f6f6f6;width:16em}
figure{margin:1em 0}
figure img{width:100%;border:1px solid #ddd}
figcaption{color:#555;font-size:.9em}
.warn{color:#8a4b00}
iframe.map{width:100%;height:640px;border:1px solid #ccc}
@media print{figure{page-break-inside:avoid}iframe.map,.screen{display:none}}";

/// The whole report, rendered from the run's typed summary; `tables` holds the indicator
/// tables (as in indicators.md), `after` those after the proposal when there is one;
/// `interactive_map` (map.html's page) is embedded as an `<iframe srcdoc>`, so the report
/// stays one file.
pub fn html(
    summary: &Summary,
    tables: &[Block],
    after: Option<&[Block]>,
    figures: &[Figure],
    interactive_map: Option<&str>,
) -> String {
    let name = &summary.plan;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(name)));
    out.push_str(&format!("<style>\n{STYLE}\n</style>\n</head>\n<body>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", escape(name)));
    out.push_str(&format!(
        "<p>养老服务设施步行圈评估报告 · elderly-care walking-circle assessment, made by lifecircle {}.</p>\n",
        escape(summary.lifecircle_version)
    ));

    out.push_str("<h2>假设 Assumptions</h2>\n<table class=\"kv\">\n");
    let crs = &summary.analysis_crs;
    row(
        &mut out,
        "analysis CRS (measuring)",
        &format!("EPSG:{} {} ({})", crs.epsg, crs.name, crs.chosen),
    );
    row(
        &mut out,
        "inputs and GeoJSON outputs",
        "WGS84 longitude/latitude (RFC 7946)",
    );
    let m = &summary.distance_methods;
    row(&mut out, "distance: straight_line", m.straight_line);
    row(&mut out, "distance: network", m.network);
    row(&mut out, "standards preset", &summary.standards.preset);
    match &summary.network {
        Some(net) => row(
            &mut out,
            "street network",
            &format!(
                "{}: {} nodes, {} segments, {} km walkable; points farther than {} m from a street are not snapped ({} cells, {} people aged 60+ not snapped); {} connected pieces, {} street islands ({} nodes, {} km) never snapped to, {} cells and {} facilities moved off them",
                net.file.as_deref().unwrap_or("–"),
                net.nodes,
                net.segments,
                num(net.total_length_km),
                num(net.max_snap_m),
                net.cells_not_snapped,
                num(net.aged_60_plus_not_snapped),
                net.components,
                net.islands,
                net.island_nodes,
                num(net.island_km),
                net.cells_moved_off_islands,
                net.facilities_moved_off_islands.len(),
            ),
        ),
        None => row(
            &mut out,
            "street network",
            "none: straight-line distances only",
        ),
    }
    out.push_str("</table>\n<h3>步行圈 Walking circles</h3>\n<table>\n<thead><tr><th>circle</th><th>label</th><th>reach (walking speed)</th><th>method</th><th>age band</th><th>facility kinds</th><th>source</th></tr></thead>\n<tbody>\n");
    for c in &summary.circles {
        out.push_str("<tr>");
        for v in [
            c.name.clone(),
            c.label.clone(),
            c.reach.clone(),
            c.method.clone(),
            c.age_band.clone(),
            c.kinds.join(", "),
            c.source.clone(),
        ] {
            out.push_str(&format!("<td>{}</td>", escape(&v)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");

    out.push_str("<h2>输入 Inputs</h2>\n<table class=\"kv\">\n");
    let inputs = &summary.inputs;
    let layer = |l: &crate::summary::LayerSummary| format!("file: {}; crs: {}", l.file, l.crs);
    row(&mut out, "population", &layer(&inputs.population));
    row(
        &mut out,
        "population_records",
        &inputs.population_records.to_string(),
    );
    row(
        &mut out,
        "population_cells",
        &inputs.population_cells.to_string(),
    );
    row(
        &mut out,
        "population_spread_onto_grid_m",
        &opt_num(inputs.population_spread_onto_grid_m),
    );
    row(&mut out, "facilities", &layer(&inputs.facilities));
    row(
        &mut out,
        "facilities_by_kind",
        &inputs
            .facilities_by_kind
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect::<Vec<_>>()
            .join("; "),
    );
    row(&mut out, "subdistricts", &inputs.subdistricts.to_string());
    row(&mut out, "committees", &inputs.committees.to_string());
    let totals = &summary.totals;
    for (key, v) in [
        ("residents", totals.residents),
        ("aged_60_plus", totals.aged_60_plus),
        ("aged_65_plus", totals.aged_65_plus),
        ("aged_80_plus", totals.aged_80_plus),
    ] {
        row(&mut out, key, &num(v));
    }
    out.push_str("</table>\n");

    if let Some(page) = interactive_map {
        out.push_str("<h2>交互地图 Interactive map</h2>\n<p class=\"screen\">Pan, zoom, click a cell, an area or a facility for its figures; switch circles and layers top right. The same map opens on its own as <a href=\"map.html\">map.html</a>.</p>\n");
        out.push_str(&format!(
            "<iframe class=\"map\" title=\"interactive map\" srcdoc=\"{}\"></iframe>\n",
            escape(page)
        ));
    }
    if !figures.is_empty() {
        out.push_str("<h2>地图 Maps</h2>\n");
        for f in figures {
            let data = base64::engine::general_purpose::STANDARD.encode(&f.png);
            out.push_str(&format!(
                "<figure><img alt=\"{0}\" src=\"data:image/png;base64,{data}\"><figcaption>{0}</figcaption></figure>\n",
                escape(&f.caption)
            ));
        }
    }

    out.push_str("<h2>指标 Indicators</h2>\n");
    out.push_str(&blocks_to_html(tables, 1));

    if let Some(s) = &summary.siting {
        out.push_str("<h2>选址建议 Site proposals</h2>\n<table class=\"kv\">\n");
        for (key, v) in [
            ("model", s.model.clone()),
            ("kind", s.kind.to_string()),
            ("circle", s.circle.clone()),
            ("reach_m", num(s.reach_m)),
            ("method", s.method.clone()),
            ("candidates", s.candidates.to_string()),
            ("new_sites", s.new_sites.to_string()),
            ("objective", num(s.objective)),
            ("bound", num(s.bound)),
            ("gap", num(s.gap)),
            ("solved_by", s.solved_by.clone()),
            ("covered_before", num(s.covered_before)),
            ("covered_after", num(s.covered_after)),
            ("capacity_per_site", opt_num(s.capacity_per_site)),
            ("served_by_new_sites", opt_num(s.served_by_new_sites)),
            ("recheck", s.recheck.to_string()),
        ] {
            row(&mut out, key, &v);
        }
        out.push_str("</table>\n");
        if !s.priority.is_empty() {
            out.push_str("<h3>建设优先次序 Priority order (build in this order)</h3>\n");
            out.push_str("<p>Each site adds the most people within reach given the existing facilities and every site above it; the share is cumulative.</p>\n");
            out.push_str("<table>\n<tr><th>rank</th><th>site</th><th>街镇 sub-district</th><th>lon, lat (WGS84)</th><th>newly covered</th><th>cumulative share</th></tr>\n");
            for site in &s.priority {
                out.push_str(&format!(
                    "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{:.6}, {:.6}</td><td class=\"num\">{:.0}</td><td class=\"num\">{}</td></tr>\n",
                    site.rank,
                    escape(&site.id),
                    escape(site.subdistrict.as_deref().unwrap_or("–")),
                    site.lon,
                    site.lat,
                    site.newly_covered,
                    site.cumulative_share
                        .map_or("–".to_string(), |x| format!("{:.1} %", x * 100.0)),
                ));
            }
            out.push_str("</table>\n");
        }
        if let Some(after) = after {
            out.push_str(&blocks_to_html(after, 2));
        }
    }

    if !summary.warnings.is_empty() {
        out.push_str("<h2>提示 Warnings</h2>\n<ul>\n");
        for x in &summary.warnings {
            out.push_str(&format!("<li class=\"warn\">{}</li>\n", escape(&x.message)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_become_html_tables() {
        let doc = vec![
            Block::Heading(1, "Title".into()),
            Block::Heading(2, "Part <1>".into()),
            Block::Table {
                header: vec!["a".into(), "b".into()],
                align: vec![Align::Left, Align::Right],
                rows: vec![
                    vec!["x & y | z".into(), "1.5".into()],
                    vec!["z".into(), "2".into()],
                ],
            },
        ];
        assert_eq!(
            blocks_to_html(&doc, 1),
            "<h2>Title</h2>\n<h3>Part &lt;1&gt;</h3>\n<table>\n<thead><tr><th>a</th><th>b</th></tr></thead>\n<tbody>\n<tr><td>x &amp; y | z</td><td class=\"num\">1.5</td></tr>\n<tr><td>z</td><td class=\"num\">2</td></tr>\n</tbody>\n</table>\n"
        );
        // The same document as Markdown: a `|` in a name is escaped, not a new column.
        assert_eq!(
            crate::io::tables::to_markdown(&doc),
            "# Title\n\n## Part <1>\n\n| a | b |\n|---|---:|\n| x & y \\| z | 1.5 |\n| z | 2 |\n"
        );
    }
}
