//! Writes the demo district as input files and a plan, as a user's own data would come:
//! population cells and areas as GeoJSON (WGS84), facilities as a CSV in GCJ-02 with
//! Chinese type labels (as exported from Amap).

use std::path::{Path, PathBuf};

use crate::crs::wgs84_to_gcj02;
use crate::demo::DemoDistrict;
use crate::io::atomic::write_atomic;
use crate::io::output::{
    capacity_record, multipolygon_json, polygon_json, write_csv, write_feature_collection, Field,
    Record,
};

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

fn err(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Writes the demo data and its plan into `dir`; returns the plan's path.
pub fn write_demo(d: &DemoDistrict, dir: &Path, output_dir: &str) -> std::io::Result<PathBuf> {
    let population = dir.join("population.geojson");
    write_feature_collection(
        &population,
        d.population.iter().map(|p| {
            let geometry = match &p.geometry {
                geo::Geometry::Polygon(pg) => polygon_json(pg),
                _ => serde_json::Value::Null,
            };
            let r: Record = vec![
                ("id".into(), Field::Text(p.id.clone())),
                ("residents".into(), Field::Num(p.counts.residents, 0)),
                ("aged_60_plus".into(), Field::Num(p.counts.aged_60, 0)),
                ("aged_65_plus".into(), Field::Num(p.counts.aged_65, 0)),
                ("aged_80_plus".into(), Field::Num(p.counts.aged_80, 0)),
            ];
            (geometry, r)
        }),
    )
    .map_err(|e| err(&population, e))?;

    let facilities = dir.join("facilities.csv");
    let rows: Vec<Record> = d
        .facilities
        .iter()
        .map(|f| {
            let (glon, glat) = wgs84_to_gcj02(f.lon_lat.x, f.lon_lat.y);
            let mut r: Record = vec![
                ("id".into(), Field::Text(f.id.clone())),
                ("name".into(), Field::Text(f.name.clone())),
                ("type".into(), Field::Text(f.label.clone())),
                ("lon".into(), Field::Num(glon, 6)),
                ("lat".into(), Field::Num(glat, 6)),
            ];
            r.extend(capacity_record(&f.capacity));
            r.push((
                "subdistrict".into(),
                f.subdistrict_name.clone().map_or(Field::Null, Field::Text),
            ));
            r
        })
        .collect();
    write_csv(&facilities, &rows).map_err(|e| err(&facilities, e))?;

    for (name, areas) in [
        ("subdistricts.geojson", &d.subdistricts),
        ("committees.geojson", &d.committees),
    ] {
        let path = dir.join(name);
        write_feature_collection(
            &path,
            areas.iter().map(|a| {
                let mut r: Record = vec![
                    ("id".into(), Field::Text(a.id.clone())),
                    ("name".into(), Field::Text(a.name.clone())),
                ];
                if let Some(p) = &a.parent_name {
                    r.push(("subdistrict".into(), Field::Text(p.clone())));
                }
                (multipolygon_json(&a.boundary), r)
            }),
        )
        .map_err(|e| err(&path, e))?;
    }

    let streets = dir.join("streets.osm");
    crate::io::osm::write_xml(&streets, &d.streets, "lifecircle demo")
        .map_err(|e| err(&streets, e))?;

    let plan = dir.join("plan.toml");
    let text = plan_text(output_dir);
    write_atomic(&plan, |w| w.write_all(text.as_bytes())).map_err(|e| err(&plan, e))?;
    Ok(plan)
}
