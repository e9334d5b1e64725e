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

pub use crate::demo::plan_text;

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
                _ => crate::io::output::JsonGeometry::null(),
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
