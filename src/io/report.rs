//! The HTML report: one self-contained file (maps embedded as PNG data, styles inline, no
//! scripts, nothing fetched) with the assumptions, the inputs' counts, the maps and the
//! indicator tables, for a planner to open or print.

use base64::Engine;
use serde_json::Value;

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

/// Converts the Markdown our tables are written in (headings, pipe tables with an
/// alignment row, paragraphs) to HTML. Heading levels shift down by `shift`.
pub fn markdown_to_html(md: &str, shift: usize) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut k = 0;
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_start_matches('|')
            .trim_end_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    while k < lines.len() {
        let line = lines[k];
        if line.starts_with('#') {
            let level = line.chars().take_while(|&c| c == '#').count();
            let h = (level + shift).min(6);
            out.push_str(&format!("<h{h}>{}</h{h}>\n", escape(line[level..].trim())));
            k += 1;
        } else if line.trim_start().starts_with('|') {
            let header = cells(line);
            let align: Vec<&str> = lines
                .get(k + 1)
                .map(|l| {
                    cells(l)
                        .iter()
                        .map(|a| if a.ends_with(':') { "num" } else { "" })
                        .collect()
                })
                .unwrap_or_default();
            out.push_str("<table>\n<thead><tr>");
            for h in &header {
                out.push_str(&format!("<th>{}</th>", escape(h)));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            k += 2;
            while k < lines.len() && lines[k].trim_start().starts_with('|') {
                out.push_str("<tr>");
                for (i, c) in cells(lines[k]).iter().enumerate() {
                    let class = align.get(i).copied().unwrap_or("");
                    if class.is_empty() {
                        out.push_str(&format!("<td>{}</td>", escape(c)));
                    } else {
                        out.push_str(&format!("<td class=\"{class}\">{}</td>", escape(c)));
                    }
                }
                out.push_str("</tr>\n");
                k += 1;
            }
            out.push_str("</tbody>\n</table>\n");
        } else if line.trim().is_empty() {
            k += 1;
        } else {
            out.push_str(&format!("<p>{}</p>\n", escape(line.trim())));
            k += 1;
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Number(n) if n.as_f64() == Some(0.0) => "0".into(),
        other => other.to_string(),
    }
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
@media print{figure{page-break-inside:avoid}}";

/// The whole report. `summary` is the run's summary.json; `markdown` the indicator tables
/// (indicators.md), `after` those after the proposal when there is one.
pub fn html(summary: &Value, markdown: &str, after: Option<&str>, figures: &[Figure]) -> String {
    let name = text(&summary["plan"]);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(&name)));
    out.push_str(&format!("<style>\n{STYLE}\n</style>\n</head>\n<body>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", escape(&name)));
    out.push_str(&format!(
        "<p>养老服务设施步行圈评估报告 · elderly-care walking-circle assessment, made by lifecircle {}.</p>\n",
        escape(&text(&summary["lifecircle_version"]))
    ));

    out.push_str("<h2>假设 Assumptions</h2>\n<table class=\"kv\">\n");
    let crs = &summary["analysis_crs"];
    row(
        &mut out,
        "analysis CRS (measuring)",
        &format!(
            "EPSG:{} {} ({})",
            text(&crs["epsg"]),
            text(&crs["name"]),
            text(&crs["chosen"])
        ),
    );
    row(
        &mut out,
        "inputs and GeoJSON outputs",
        "WGS84 longitude/latitude (RFC 7946)",
    );
    if let Some(m) = summary["distance_methods"].as_object() {
        for (k, v) in m {
            row(&mut out, &format!("distance: {k}"), &text(v));
        }
    }
    let standards = &summary["standards"];
    row(&mut out, "standards preset", &text(&standards["preset"]));
    let net = &summary["network"];
    if net.is_object() {
        row(
            &mut out,
            "street network",
            &format!(
                "{}: {} nodes, {} segments, {} km walkable; points farther than {} m from a street are not snapped ({} cells, {} people aged 60+ not snapped)",
                text(&net["file"]),
                text(&net["nodes"]),
                text(&net["segments"]),
                text(&net["total_length_km"]),
                text(&net["max_snap_m"]),
                text(&net["cells_not_snapped"]),
                text(&net["aged_60_plus_not_snapped"]),
            ),
        );
    } else {
        row(
            &mut out,
            "street network",
            "none: straight-line distances only",
        );
    }
    out.push_str("</table>\n<h3>步行圈 Walking circles</h3>\n<table>\n<thead><tr><th>circle</th><th>label</th><th>reach (walking speed)</th><th>method</th><th>age band</th><th>facility kinds</th><th>source</th></tr></thead>\n<tbody>\n");
    for c in summary["circles"].as_array().into_iter().flatten() {
        out.push_str("<tr>");
        for key in [
            "name", "label", "reach", "method", "age_band", "kinds", "source",
        ] {
            out.push_str(&format!("<td>{}</td>", escape(&text(&c[key]))));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");

    out.push_str("<h2>输入 Inputs</h2>\n<table class=\"kv\">\n");
    let inputs = &summary["inputs"];
    if let Some(m) = inputs.as_object() {
        for (k, v) in m {
            let value = match v {
                Value::Object(o) => o
                    .iter()
                    .map(|(a, b)| format!("{a}: {}", text(b)))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => text(other),
            };
            row(&mut out, k, &value);
        }
    }
    let totals = &summary["totals"];
    for key in ["residents", "aged_60_plus", "aged_65_plus", "aged_80_plus"] {
        row(&mut out, key, &text(&totals[key]));
    }
    out.push_str("</table>\n");

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
    out.push_str(&markdown_to_html(markdown, 1));

    let siting = &summary["siting"];
    if siting.is_object() {
        out.push_str("<h2>选址建议 Site proposals</h2>\n<table class=\"kv\">\n");
        for key in [
            "model",
            "kind",
            "circle",
            "reach_m",
            "method",
            "candidates",
            "new_sites",
            "objective",
            "bound",
            "gap",
            "solved_by",
            "covered_before",
            "covered_after",
            "capacity_per_site",
            "served_by_new_sites",
            "recheck",
        ] {
            row(&mut out, key, &text(&siting[key]));
        }
        out.push_str("</table>\n");
        if let Some(after) = after {
            out.push_str(&markdown_to_html(after, 2));
        }
    }

    if let Some(w) = summary["warnings"].as_array().filter(|w| !w.is_empty()) {
        out.push_str("<h2>提示 Warnings</h2>\n<ul>\n");
        for x in w {
            out.push_str(&format!("<li class=\"warn\">{}</li>\n", escape(&text(x))));
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
    fn markdown_tables_become_html_tables() {
        let md = "# Title\n\n## Part <1>\n\n| a | b |\n|---|---:|\n| x & y | 1.5 |\n| z | 2 |\n\nA note.\n";
        let h = markdown_to_html(md, 1);
        assert_eq!(
            h,
            "<h2>Title</h2>\n<h3>Part &lt;1&gt;</h3>\n<table>\n<thead><tr><th>a</th><th>b</th></tr></thead>\n<tbody>\n<tr><td>x &amp; y</td><td class=\"num\">1.5</td></tr>\n<tr><td>z</td><td class=\"num\">2</td></tr>\n</tbody>\n</table>\n<p>A note.</p>\n"
        );
    }

    #[test]
    fn report_is_self_contained() {
        let summary = serde_json::json!({"plan": "P <1>", "lifecircle_version": "0.1.0",
            "analysis_crs": {"epsg": 32651, "name": "UTM 51N", "chosen": "auto"}});
        let h = html(
            &summary,
            "| a |\n|---|\n| 1 |\n",
            None,
            &[Figure {
                caption: "map".into(),
                png: vec![137, 80, 78, 71],
            }],
        );
        assert!(h.contains("<title>P &lt;1&gt;</title>"));
        assert!(h.contains("src=\"data:image/png;base64,iVBORw==\""));
        assert!(h.contains("EPSG:32651 UTM 51N (auto)"));
        // Nothing is fetched: no external URLs, scripts or links.
        assert!(!h.contains("http://") && !h.contains("https://") && !h.contains("<script"));
    }
}
