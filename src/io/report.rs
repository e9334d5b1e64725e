//! The HTML report: one self-contained file (maps embedded as PNG data, the interactive map
//! inline, styles inline, nothing fetched) for a planner to open or print on A4: key findings,
//! warnings and per-街镇 guidance first, then the assumptions, the inputs' counts, the maps,
//! the indicator tables, the proposal in priority order, and the sources expanded.

use crate::indicators::Indicators;
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

/// The documents the presets cite, expanded (their descriptions in the project's standards
/// notes, `shared/docs/standards.md`).
const SOURCES: &str = "<h2 id=\"sources\">资料来源 Sources</h2>\n<ul class=\"sources\">\n<li><b>XH §n</b>, <b>XH 指标 n</b>, <b>XH 主要指标 n</b>: Xuhui District (Shanghai) elderly-services plan for the 14th five-year period (2021–2025) — 徐汇区养老服务发展“十四五”规划, section §n or its table of main indicators (指标 n).</li>\n<li><b>SH §n</b>: Shanghai municipal implementation plan for the basic elderly-care service system, targets for 2025 — 上海市基本养老服务体系建设实施方案, section §n.</li>\n<li><b>plan override</b>: a value the plan file sets in <code>[standards.overrides]</code>.</li>\n</ul>\n";

/// The share as a percentage with one decimal, or "–".
fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.1} %", v * 100.0))
}

/// A count of people, whole, with thousands separators.
fn people(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// One unmet indicator as a line: Chinese and English name, value against target, the gap.
fn shortfall(i: &crate::indicators::Indicator) -> String {
    let show = |v: Option<f64>| match v {
        Some(v) if i.unit.is_share() => format!("{:.1} %", v * 100.0),
        Some(v) => format!("{v:.1}"),
        None => "–".into(),
    };
    format!(
        "{} {}: {} against {} — gap {} {}",
        i.name_zh,
        i.name,
        show(i.value),
        show(i.target),
        people(i.gap.unwrap_or(0.0)),
        i.gap_unit_label()
    )
}

/// Key findings, the warnings and the per-街镇 guidance: what a meeting reads first.
fn front_matter(out: &mut String, summary: &Summary, ind: &Indicators) {
    out.push_str("<h2>关键结论 Key findings</h2>\n<ul class=\"findings\">\n");
    for (c, t) in summary.circles.iter().zip(&summary.totals.coverage) {
        let method = if c.method == "network" {
            "along the streets 沿路网步行"
        } else {
            "straight line 直线"
        };
        let line = t
            .straight_line_share
            .map(|x| format!("; in a straight line {}", pct(Some(x))))
            .unwrap_or_default();
        out.push_str(&format!(
            "<li><b>{}</b> ({} m, {}): <b>{}</b> of people aged {} ({} of {}){}</li>\n",
            escape(&c.label),
            c.radius_m,
            method,
            pct(t.share),
            escape(&t.age_band),
            people(t.covered),
            people(t.people),
            line
        ));
    }
    let unmet: Vec<_> = ind
        .district
        .provision
        .iter()
        .filter(|i| i.met == Some(false))
        .collect();
    if unmet.is_empty() {
        out.push_str("<li>Every provision target the data can measure is met.</li>\n");
    } else {
        out.push_str(&format!(
            "<li>{} of {} provision targets not met in the district:<ul>\n",
            unmet.len(),
            ind.district
                .provision
                .iter()
                .filter(|i| i.met.is_some())
                .count()
        ));
        for i in &unmet {
            out.push_str(&format!("<li>{}</li>\n", escape(&shortfall(i))));
        }
        out.push_str("</ul></li>\n");
    }
    if let Some(first) = ind.district.circles.first() {
        let mut lowest: Vec<(&str, f64)> = ind
            .subdistricts
            .iter()
            .filter_map(|r| {
                let c = r.circles.first()?;
                Some((r.name.as_str(), c.share()?))
            })
            .collect();
        lowest.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
        if !lowest.is_empty() {
            let label = summary
                .circles
                .first()
                .map_or(first.circle.as_str(), |c| c.label.as_str());
            out.push_str(&format!(
                "<li>Lowest {} shares: {}</li>\n",
                escape(label),
                lowest
                    .iter()
                    .take(3)
                    .map(|(n, s)| format!("{} {}", escape(n), pct(Some(*s))))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if let Some(s) = &summary.siting {
        let share = |x: f64| pct((s.people > 0.0).then(|| x / s.people));
        let first = s.priority.first().map_or(String::new(), |p| {
            format!(
                "; build first {} in {} (+{} people)",
                escape(&p.id),
                escape(p.subdistrict.as_deref().unwrap_or("–")),
                people(p.newly_covered)
            )
        });
        out.push_str(&format!(
            "<li>The proposal: {} new {} ({}): people aged {} within {} m {} → <b>{}</b>{}{}</li>\n",
            s.new_sites,
            escape(&s.kind.parse::<crate::model::FacilityKind>().map_or(s.kind.to_string(), |k| format!("{} {}", k.chinese(), crate::map::kind_english(k)))),
            escape(&s.model),
            escape(&s.age_band),
            s.reach_m,
            share(s.covered_before),
            share(s.covered_after),
            if s.proven_optimal { ", proven optimal".to_string() } else { format!(", within {:.2} % of the optimum (not proven)", s.gap * 100.0) },
            first
        ));
    }
    out.push_str(&format!(
        "<li>{} warning(s) below: read them before quoting a figure.</li>\n</ul>\n",
        summary.warnings.len()
    ));
    if !summary.warnings.is_empty() {
        out.push_str("<h2 id=\"warnings\">提示 Warnings</h2>\n<ul>\n");
        for x in &summary.warnings {
            out.push_str(&format!(
                "<li class=\"warn\">{} <span class=\"code\">[{}]</span></li>\n",
                escape(&x.message),
                x.code.id()
            ));
        }
        out.push_str("</ul>\n");
    }
    if !ind.subdistricts.is_empty() {
        out.push_str("<h2>街镇指引 Guidance by sub-district</h2>\n<table>\n<thead><tr><th>街镇 sub-district</th>");
        for c in &summary.circles {
            out.push_str(&format!("<th>{}</th>", escape(&c.label)));
        }
        out.push_str("<th>targets not met (gap)</th></tr></thead>\n<tbody>\n");
        for r in &ind.subdistricts {
            out.push_str(&format!("<tr><td>{}</td>", escape(&r.name)));
            for c in &r.circles {
                out.push_str(&format!("<td class=\"num\">{}</td>", pct(c.share())));
            }
            let gaps: Vec<String> = r
                .provision
                .iter()
                .filter(|i| i.met == Some(false))
                .map(|i| {
                    format!(
                        "{} ({} {})",
                        i.name_zh,
                        people(i.gap.unwrap_or(0.0)),
                        i.gap_unit_label()
                    )
                })
                .collect();
            out.push_str(&format!(
                "<td>{}</td></tr>\n",
                if gaps.is_empty() {
                    "all met".to_string()
                } else {
                    escape(&gaps.join("; "))
                }
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
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
.meta{color:#555}
.findings li{margin:.2em 0}
.code{color:#999;font-size:.85em}
@page{size:A4;margin:15mm 12mm}
@media print{body{margin:0;max-width:none;font-size:10.5pt}h2{page-break-after:avoid}table,figure{page-break-inside:avoid}figure img{max-height:230mm;object-fit:contain}iframe.map,.screen{display:none}a{color:inherit;text-decoration:none}}";

/// The whole report, rendered from the run's typed summary; `tables` holds the indicator
/// tables (as in indicators.md), `after` those after the proposal when there is one;
/// `interactive_map` (map.html's page) is embedded as an `<iframe srcdoc>`, so the report
/// stays one file.
pub fn html(
    summary: &Summary,
    indicators: &Indicators,
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
        "<p class=\"meta\">养老服务设施步行圈评估报告 · elderly-care walking-circle assessment<br>日期 date: {} · 数据 data: {} · plan {} · lifecircle {}</p>\n",
        escape(summary.date.as_deref().unwrap_or("– (set [report] date)")),
        escape(summary.data_vintage.as_deref().unwrap_or("– (set [report] data_vintage)")),
        escape(&summary.plan_file),
        escape(summary.lifecircle_version)
    ));
    front_matter(&mut out, summary, indicators);

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
            out.push_str("<table>\n<tr><th>rank</th><th>site</th><th>街镇 sub-district</th><th>nearest street</th><th>lon, lat (WGS84)</th><th>newly covered</th><th>cumulative share</th></tr>\n");
            for site in &s.priority {
                out.push_str(&format!(
                    "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.6}, {:.6}</td><td class=\"num\">{:.0}</td><td class=\"num\">{}</td></tr>\n",
                    site.rank,
                    escape(&site.id),
                    escape(site.subdistrict.as_deref().unwrap_or("–")),
                    escape(site.street.as_deref().unwrap_or("–")),
                    site.lon,
                    site.lat,
                    site.newly_covered,
                    site.cumulative_share
                        .map_or("–".to_string(), |x| format!("{:.1} %", x * 100.0)),
                ));
            }
            out.push_str("</table>\n");
        }
        if !s.before_after.is_empty() {
            out.push_str("<h3>街镇前后对比 Before and after, by sub-district</h3>\n<table>\n<tr><th>街镇 sub-district</th><th>existing</th><th>new</th><th>after</th><th>people</th><th>within reach before</th><th>after</th></tr>\n");
            for r in &s.before_after {
                let share = |x: f64| pct((r.people > 0.0).then(|| x / r.people));
                out.push_str(&format!(
                    "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                    escape(r.subdistrict.as_deref().unwrap_or("全区 whole study area")),
                    r.existing,
                    r.new,
                    r.existing + r.new,
                    people(r.people),
                    share(r.covered_before),
                    share(r.covered_after),
                ));
            }
            out.push_str("</table>\n");
        }
        if let Some(after) = after {
            out.push_str(&blocks_to_html(after, 2));
        }
    }

    out.push_str(SOURCES);
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
