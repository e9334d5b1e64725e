//! GDAL formats (cargo feature `gdal`, against the system libgdal): any vector format GDAL
//! opens (GeoPackage, Shapefile with its .cpg and .prj, FlatGeobuf, File GDB…), population
//! rasters (GeoTIFF: a cell per populated pixel), and GeoPackage / FlatGeobuf copies of the
//! GeoJSON outputs.
//!
//! CRS: the file's own (.prj, embedded) is used, never guessed. Coordinates are transformed
//! by GDAL to WGS84 longitude/latitude (traditional GIS axis order). A plan may add that the
//! file's "WGS84" coordinates are really GCJ-02 or BD-09 (web-map exports are labelled
//! WGS84); a plan stating another EPSG code than the file's is an error, and a file without
//! a CRS is an error unless the plan states one.

use std::collections::HashMap;
use std::path::Path;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, LayerAccess, LayerOptions};
use gdal::{Dataset, DatasetOptions, DriverManager, GdalOpenFlags, Metadata};
use geo::{Coord, Geometry, LineString, MapCoords, Polygon};

use crate::crs::InputCrs;
use crate::io::{ReadError, Row, Table};
use crate::plan::{Encoding, Layer};

/// How the geometries of a GDAL table are referenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCrs {
    /// The file has a CRS: geometries are now longitude/latitude on it (WGS84 / CGCS2000,
    /// or GCJ-02 / BD-09 where the plan says so).
    Transformed,
    /// The file has none: geometries are as stored, in the CRS the plan states.
    Unstated,
}

fn wgs84() -> Result<SpatialRef, gdal::errors::GdalError> {
    let mut srs = SpatialRef::from_epsg(4326)?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// The EPSG code GDAL identifies for `srs`, if any.
fn epsg_of(srs: &SpatialRef) -> Option<u32> {
    let mut s = srs.clone();
    if s.auth_code().is_err() {
        let _ = s.auto_identify_epsg();
    }
    s.auth_code().ok().and_then(|c| u32::try_from(c).ok())
}

/// Checks the plan's `crs` against the file's CRS.
fn check_stated(layer: &Layer, srs: &SpatialRef) -> Result<(), ReadError> {
    if !layer.crs_stated {
        return Ok(());
    }
    let file = epsg_of(srs);
    let geographic_wgs84 = matches!(file, Some(4326) | Some(4490) | Some(4979));
    let conflict = match layer.crs {
        InputCrs::Wgs84 | InputCrs::Gcj02 | InputCrs::Bd09 => file.is_some() && !geographic_wgs84,
        InputCrs::Epsg(code) => file.is_some_and(|f| f != code),
    };
    if conflict {
        return Err(ReadError::file(
            &layer.path,
            format!(
                "the plan states crs {:?} but the file's CRS is EPSG:{} ({}); remove crs from \
                 the plan to use the file's, or fix the file",
                layer.crs,
                file.unwrap_or(0),
                srs.name().unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

fn gdal_err<'a>(path: &'a Path, what: &str) -> impl Fn(gdal::errors::GdalError) -> ReadError + 'a {
    let what = what.to_string();
    move |e| ReadError::file(path, format!("{what}: {e}"))
}

/// The transformation from the file's CRS to WGS84 lon/lat; `None` when the file has no
/// CRS and the plan states one; an error when neither says.
fn transform_from(
    layer: &Layer,
    srs: Option<&SpatialRef>,
) -> Result<Option<CoordTransform>, ReadError> {
    let path = &layer.path;
    match srs {
        Some(srs) => {
            check_stated(layer, srs)?;
            let mut from = srs.clone();
            from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
            let to = wgs84().map_err(gdal_err(path, "WGS84"))?;
            CoordTransform::new(&from, &to)
                .map(Some)
                .map_err(gdal_err(path, "CRS transformation"))
        }
        None if layer.crs_stated => Ok(None),
        None => Err(ReadError::file(
            path,
            "the file has no CRS (no .prj / embedded CRS); state it in the plan, e.g. \
             crs = \"EPSG:4326\" or crs = \"EPSG:32651\"",
        )),
    }
}

fn field_text(v: FieldValue) -> String {
    match v {
        FieldValue::StringValue(s) => s,
        FieldValue::IntegerValue(i) => i.to_string(),
        FieldValue::Integer64Value(i) => i.to_string(),
        FieldValue::RealValue(x) => x.to_string(),
        FieldValue::DateValue(d) => d.to_string(),
        FieldValue::DateTimeValue(d) => d.to_rfc3339(),
        FieldValue::StringListValue(l) => l.join(";"),
        FieldValue::IntegerListValue(l) => join(&l),
        FieldValue::Integer64ListValue(l) => join(&l),
        FieldValue::RealListValue(l) => join(&l),
    }
}

fn join<T: ToString>(l: &[T]) -> String {
    l.iter().map(T::to_string).collect::<Vec<_>>().join(";")
}

/// Reads a vector layer: attribute values as text, geometries as described by the
/// returned [`FileCrs`].
pub fn read_vector(layer: &Layer) -> Result<(Table, FileCrs), ReadError> {
    let path = &layer.path;
    let mut open_options = Vec::new();
    let is_shp = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    let cpg = path.with_extension("cpg");
    if is_shp && layer.encoding == Encoding::Gbk && !cpg.exists() {
        // A GBK .dbf without a .cpg: tell GDAL so it recodes to UTF-8.
        open_options.push("ENCODING=CP936");
    }
    let ds = Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            open_options: (!open_options.is_empty()).then_some(&open_options[..]),
            ..Default::default()
        },
    )
    .map_err(gdal_err(path, "GDAL cannot open it"))?;
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let mut source = match &layer.layer_name {
        Some(name) => ds.layer_by_name(name).map_err(|_| {
            ReadError::file(
                path,
                format!("no layer '{name}'; the layers are: {}", names.join(", ")),
            )
        })?,
        None if names.len() == 1 => ds.layer(0).map_err(gdal_err(path, "layer 0"))?,
        None => {
            return Err(ReadError::file(
                path,
                format!(
                    "the file has {} layers ({}); name one with layer = \"...\" in the plan",
                    names.len(),
                    names.join(", ")
                ),
            ))
        }
    };
    let columns: Vec<String> = source.defn().fields().map(|f| f.name()).collect();
    let transform = transform_from(layer, source.spatial_ref().as_ref())?;
    let mut rows = Vec::new();
    for (k, feature) in source.features().enumerate() {
        let location = format!("feature {k}");
        let mut values = HashMap::new();
        for (name, value) in feature.fields() {
            if let Some(v) = value {
                values.insert(name, field_text(v));
            }
        }
        let geometry =
            match feature.geometry() {
                None => None,
                Some(g) => {
                    let g = match &transform {
                        Some(t) => {
                            let mut g = g.clone();
                            g.transform_inplace(t).map_err(|e| {
                                ReadError::at(path, &location, Some("geometry"), e.to_string())
                            })?;
                            g
                        }
                        None => g.clone(),
                    };
                    Some(g.to_geo().map_err(|e| {
                        ReadError::at(path, &location, Some("geometry"), e.to_string())
                    })?)
                }
            };
        rows.push(Row::new(
            crate::io::Location::Text(location),
            values,
            geometry,
        ));
    }
    Ok((
        Table {
            file: path.clone(),
            columns: Some(columns),
            rows,
        },
        if transform.is_some() {
            FileCrs::Transformed
        } else {
            FileCrs::Unstated
        },
    ))
}

/// Reads a population raster: one row per pixel whose residents band (the band described
/// `residents_band`, the plan's residents field; else the first) is positive and not
/// no-data, with each band's value under the band's description (else `band_<n>`), an `id`
/// of `r<row>c<col>`, and the pixel's outline as geometry.
pub fn read_raster(layer: &Layer, residents_band: &str) -> Result<(Table, FileCrs), ReadError> {
    let path = &layer.path;
    let ds = Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_RASTER | GdalOpenFlags::GDAL_OF_READONLY,
            ..Default::default()
        },
    )
    .map_err(gdal_err(path, "GDAL cannot open it"))?;
    let gt = ds
        .geo_transform()
        .map_err(gdal_err(path, "no geotransform (pixel positions)"))?;
    let (w, h) = ds.raster_size();
    let mut names = Vec::new();
    let mut bands = Vec::new();
    for b in 1..=ds.raster_count() {
        let band = ds.rasterband(b).map_err(gdal_err(path, "band"))?;
        let name = band
            .description()
            .ok()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| format!("band_{b}"));
        let data = band
            .read_as::<f64>((0, 0), (w, h), (w, h), None)
            .map_err(gdal_err(path, "reading pixels"))?;
        names.push(name);
        bands.push((data.data().to_vec(), band.no_data_value()));
    }
    if bands.is_empty() {
        return Err(ReadError::file(path, "the raster has no bands"));
    }
    let first = names.iter().position(|n| n == residents_band).unwrap_or(0);
    let transform = transform_from(layer, ds.spatial_ref().ok().as_ref())?;
    let at = |c: f64, r: f64| Coord {
        x: gt[0] + c * gt[1] + r * gt[2],
        y: gt[3] + c * gt[4] + r * gt[5],
    };
    let mut rows = Vec::new();
    for r in 0..h {
        for c in 0..w {
            let k = r * w + c;
            let valid = |(data, nodata): &(Vec<f64>, Option<f64>)| {
                let v = data[k];
                v.is_finite() && nodata.is_none_or(|n| v != n)
            };
            if !valid(&bands[first]) || bands[first].0[k] <= 0.0 {
                continue;
            }
            let mut values = HashMap::new();
            values.insert("id".to_string(), format!("r{r}c{c}"));
            for (name, band) in names.iter().zip(&bands) {
                if valid(band) {
                    values.insert(name.clone(), band.0[k].to_string());
                }
            }
            let (cf, rf) = (c as f64, r as f64);
            let ring = vec![
                at(cf, rf),
                at(cf + 1.0, rf),
                at(cf + 1.0, rf + 1.0),
                at(cf, rf + 1.0),
                at(cf, rf),
            ];
            let mut g = Geometry::Polygon(Polygon::new(LineString::from(ring), vec![]));
            if let Some(t) = &transform {
                let location = format!("pixel row {r}, column {c}");
                g = g.try_map_coords(|p| {
                    let (mut x, mut y, mut z) = ([p.x], [p.y], [0.0]);
                    t.transform_coords(&mut x, &mut y, &mut z)
                        .map(|()| Coord { x: x[0], y: y[0] })
                        .map_err(|e| ReadError::at(path, &location, None, e.to_string()))
                })?;
            }
            rows.push(Row::new(
                crate::io::Location::Text(format!("pixel row {r}, column {c}")),
                values,
                Some(g),
            ));
        }
    }
    let mut columns = vec!["id".to_string()];
    columns.extend(names);
    Ok((
        Table {
            file: path.clone(),
            columns: Some(columns),
            rows,
        },
        if transform.is_some() {
            FileCrs::Transformed
        } else {
            FileCrs::Unstated
        },
    ))
}

/// A vector format GDAL writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    GeoPackage,
    FlatGeobuf,
    /// ESRI Shapefile (attributes in the given code page, e.g. "UTF-8" or "CP936" for GBK).
    Shapefile(&'static str),
    /// Esri File Geodatabase (a `.gdb` folder; GDAL ≥ 3.6 writes it).
    FileGdb,
}

impl Writer {
    fn driver(self) -> &'static str {
        match self {
            Writer::GeoPackage => "GPKG",
            Writer::FlatGeobuf => "FlatGeobuf",
            Writer::Shapefile(_) => "ESRI Shapefile",
            Writer::FileGdb => "OpenFileGDB",
        }
    }
}

fn write_err(e: gdal::errors::GdalError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Copies the layers of the GeoJSON files `sources` (layer name = file stem) into a new
/// file `dest` of `format`: fields with their types, geometries, WGS84. For FlatGeobuf and
/// Shapefile, one source per file.
pub fn copy_layers(sources: &[&Path], dest: &Path, format: Writer) -> std::io::Result<()> {
    let driver = DriverManager::get_driver_by_name(format.driver()).map_err(write_err)?;
    let mut out = driver.create_vector_only(dest).map_err(write_err)?;
    let srs = wgs84().map_err(write_err)?;
    for src in sources {
        let ds = Dataset::open(src).map_err(write_err)?;
        let mut layer = ds.layer(0).map_err(write_err)?;
        let name = src
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let encoding;
        let options: Vec<&str> = match format {
            Writer::Shapefile(cp) => {
                encoding = format!("ENCODING={cp}");
                vec![encoding.as_str()]
            }
            Writer::FlatGeobuf => vec!["SPATIAL_INDEX=YES"],
            Writer::GeoPackage | Writer::FileGdb => vec![],
        };
        let geometry_type = layer
            .features()
            .find_map(|f| f.geometry().map(|g| g.geometry_type()))
            .unwrap_or(gdal::vector::OGRwkbGeometryType::wkbUnknown);
        layer.reset_feature_reading();
        let target = out
            .create_layer(LayerOptions {
                name: &name,
                srs: Some(&srs),
                ty: geometry_type,
                options: Some(&options),
            })
            .map_err(write_err)?;
        let fields: Vec<(String, u32)> = layer
            .defn()
            .fields()
            .map(|f| (f.name(), f.field_type()))
            .collect();
        for (n, t) in &fields {
            gdal::vector::FieldDefn::new(n, *t)
                .and_then(|d| d.add_to_layer(&target))
                .map_err(write_err)?;
        }
        let defn = target.defn();
        for f in layer.features() {
            let mut g = gdal::vector::Feature::new(defn).map_err(write_err)?;
            for (k, (_, value)) in f.fields().enumerate() {
                if let Some(v) = value {
                    g.set_field(k, &v).map_err(write_err)?;
                }
            }
            if let Some(geom) = f.geometry() {
                g.set_geometry(geom.clone()).map_err(write_err)?;
            }
            g.create(&target).map_err(write_err)?;
        }
    }
    out.flush_cache().map_err(write_err)?;
    Ok(())
}

/// Writes `dest` through a temporary file beside it (same extension), renamed when done.
fn write_via_temp(
    dest: &Path,
    fill: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let ext = dest
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(".lifecircle-")
        .suffix(&ext)
        .tempfile_in(dir)?
        .into_temp_path();
    // GDAL creates the file itself.
    std::fs::remove_file(&tmp)?;
    fill(&tmp)?;
    std::fs::rename(&tmp, dest)?;
    let _ = tmp.keep();
    Ok(())
}

/// Writes the GeoJSON outputs `geojsons` again in `formats`: one GeoPackage
/// (`lifecircle.gpkg`, a layer per output) and/or a FlatGeobuf file per output. Returns the
/// files written.
pub fn write_vector_copies(
    geojsons: &[&Path],
    out_dir: &Path,
    formats: &[crate::plan::VectorFormat],
) -> std::io::Result<Vec<std::path::PathBuf>> {
    use crate::plan::VectorFormat;
    let mut written = Vec::new();
    for format in formats {
        match format {
            VectorFormat::GeoPackage => {
                let dest = out_dir.join("lifecircle.gpkg");
                write_via_temp(&dest, |tmp| copy_layers(geojsons, tmp, Writer::GeoPackage))?;
                written.push(dest);
            }
            VectorFormat::FlatGeobuf => {
                for src in geojsons {
                    let dest =
                        out_dir.join(src.with_extension("fgb").file_name().unwrap_or_default());
                    write_via_temp(&dest, |tmp| copy_layers(&[src], tmp, Writer::FlatGeobuf))?;
                    written.push(dest);
                }
            }
        }
    }
    Ok(written)
}
