//! GeoJSON input (RFC 7946): a FeatureCollection, a single Feature, or — as real files
//! often are — a bare geometry object carrying a `properties` member.

use std::collections::HashMap;
use std::path::Path;

use geo::Geometry;
use serde_json::Value;

use crate::io::{ReadError, Row, Table};

/// Text of a property value: strings as they are, numbers and booleans printed, null blank.
fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn position(v: &Value) -> Option<(f64, f64)> {
    let a = v.as_array()?;
    Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))
}

/// Checks that every linear ring of a Polygon/MultiPolygon geometry object has at least four
/// positions and ends where it starts (RFC 7946 §3.1.6).
fn check_rings(geometry: &Value) -> Result<(), String> {
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = geometry.get("coordinates");
    let polygons: Vec<&Value> = match (kind, coords) {
        ("Polygon", Some(c)) => vec![c],
        ("MultiPolygon", Some(Value::Array(ps))) => ps.iter().collect(),
        ("GeometryCollection", _) => {
            for g in geometry
                .get("geometries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                check_rings(g)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    for (pi, poly) in polygons.iter().enumerate() {
        for (ri, ring) in poly.as_array().into_iter().flatten().enumerate() {
            let pts = ring.as_array().map(Vec::as_slice).unwrap_or(&[]);
            let what = if kind == "MultiPolygon" {
                format!("polygon {pi}, ring {ri}")
            } else {
                format!("ring {ri}")
            };
            if pts.len() < 4 {
                return Err(format!(
                    "{what} has {} positions; a closed ring needs at least 4",
                    pts.len()
                ));
            }
            let (first, last) = (position(&pts[0]), position(&pts[pts.len() - 1]));
            if first != last {
                return Err(format!(
                    "{what} does not close: first position {:?} ≠ last {:?}",
                    first.unwrap_or_default(),
                    last.unwrap_or_default()
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every position of a geometry object has at least two numbers (RFC 7946
/// §3.1.1; the geojson crate indexes them unchecked, found by fuzzing).
fn check_positions(geometry: &Value) -> Result<(), String> {
    fn walk(v: &Value) -> Result<(), String> {
        let Some(items) = v.as_array() else {
            return Ok(());
        };
        if items.iter().any(Value::is_number) && items.len() < 2 {
            return Err(format!(
                "position {v} has {} number; a position needs longitude and latitude",
                items.len()
            ));
        }
        items.iter().try_for_each(walk)
    }
    if let Some(c) = geometry.get("coordinates") {
        walk(c)?;
    }
    for g in geometry
        .get("geometries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check_positions(g)?;
    }
    Ok(())
}

fn parse_geometry(v: &Value) -> Result<Geometry<f64>, String> {
    check_positions(v)?;
    check_rings(v)?;
    let g: geojson::Geometry = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Geometry::<f64>::try_from(&g.value).map_err(|e| e.to_string())
}

/// Reads a GeoJSON file into rows (one per feature; "feature N" is 0-based).
pub fn read(path: &Path) -> Result<Table, ReadError> {
    let bytes =
        std::fs::read(path).map_err(|e| ReadError::file(path, format!("cannot read: {e}")))?;
    parse(path, &bytes)
}

/// Parses the bytes of a GeoJSON file into rows; `path` names the file in errors and in the
/// table (nothing is read from it).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Table, ReadError> {
    let text = crate::io::csv_table::decode(path, bytes, crate::plan::Encoding::Utf8)?;
    if text.trim().is_empty() {
        return Err(ReadError::file(path, "the file is empty; expected GeoJSON"));
    }
    let root: Value = serde_json::from_str(&text).map_err(|e| {
        ReadError::at(
            path,
            format!("line {}, column {}", e.line(), e.column()),
            None,
            format!("not valid JSON: {e}"),
        )
    })?;
    let kind = root.get("type").and_then(Value::as_str).unwrap_or("");
    let features: Vec<(Option<&Value>, Option<&Value>)> = match kind {
        "FeatureCollection" => root
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| ReadError::file(path, "FeatureCollection without a 'features' array"))?
            .iter()
            .map(|f| (f.get("geometry"), f.get("properties")))
            .collect(),
        "Feature" => vec![(root.get("geometry"), root.get("properties"))],
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
        | "GeometryCollection" => vec![(Some(&root), root.get("properties"))],
        other => {
            return Err(ReadError::file(
                path,
                format!("top-level \"type\" is '{other}'; expected FeatureCollection, Feature or a geometry"),
            ))
        }
    };
    if features.is_empty() {
        return Err(ReadError::file(
            path,
            "the FeatureCollection has no features",
        ));
    }
    let mut rows = Vec::with_capacity(features.len());
    for (i, (geometry, properties)) in features.into_iter().enumerate() {
        let location = format!("feature {i}");
        let geometry = match geometry {
            None | Some(Value::Null) => None,
            Some(g) => Some(
                parse_geometry(g)
                    .map_err(|p| ReadError::at(path, &location, Some("geometry"), p))?,
            ),
        };
        let values: HashMap<String, String> = match properties {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), value_text(v))).collect(),
            None | Some(Value::Null) => HashMap::new(),
            Some(_) => {
                return Err(ReadError::at(
                    path,
                    &location,
                    Some("properties"),
                    "expected an object",
                ))
            }
        };
        rows.push(Row {
            location,
            values,
            geometry,
        });
    }
    Ok(Table {
        file: path.to_path_buf(),
        columns: None,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unclosed_rings_are_found() {
        let open = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]});
        let err = check_rings(&open).unwrap_err();
        assert!(err.contains("does not close"), "{err}");
        let short = json!({"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[0,0]]]]});
        assert!(check_rings(&short)
            .unwrap_err()
            .contains("polygon 0, ring 0 has 3"));
        let ok = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]});
        assert!(check_rings(&ok).is_ok());
    }
}
