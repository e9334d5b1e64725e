//! Readers and writers at the edge of the flow: CSV (UTF-8/GBK) and GeoJSON in, GeoJSON and
//! CSV tables out, every write atomic (temporary file + rename).

pub mod atomic;
pub mod csv_table;
pub mod demo_files;
#[cfg(feature = "gdal")]
pub mod gdal_io;
pub mod geojson_table;
pub mod layers;
pub mod maps;
pub mod osm;
pub mod output;
pub mod report;
pub mod run_folder;
pub mod run_output;
pub mod tables;
pub mod web_map;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use geo::Geometry;

/// An input that cannot be read, naming the file, where in it, the field and what was
/// expected.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub file: PathBuf,
    /// "row 12" (CSV data row, 1-based, header excluded), "line 5", "feature 3" (0-based).
    pub location: Option<String>,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = &self.location {
            write!(f, ": {l}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field '{field}'")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    /// An error about the file as a whole.
    pub fn file(file: &Path, problem: impl Into<String>) -> ReadError {
        ReadError {
            file: file.to_path_buf(),
            location: None,
            field: None,
            problem: problem.into(),
        }
    }

    /// An error at a location in the file, optionally about one field.
    pub fn at(
        file: &Path,
        location: impl Into<String>,
        field: Option<&str>,
        problem: impl Into<String>,
    ) -> ReadError {
        ReadError {
            file: file.to_path_buf(),
            location: Some(location.into()),
            field: field.map(str::to_string),
            problem: problem.into(),
        }
    }
}

/// Where a record is in its file, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A CSV data row (1-based, header excluded) and its line: "row 12 (line 13)".
    Row {
        /// The data row.
        row: usize,
        /// The line it starts on.
        line: usize,
    },
    /// A feature (0-based): "feature 3".
    Feature(usize),
    /// Any other place ("pixel row 2, column 5").
    Text(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Row { row, line } => write!(f, "row {row} (line {line})"),
            Location::Feature(i) => write!(f, "feature {i}"),
            Location::Text(t) => f.write_str(t),
        }
    }
}

impl From<&Location> for String {
    fn from(l: &Location) -> String {
        l.to_string()
    }
}

/// One value of a row: the range of its text in the row's buffer, and the number when the
/// file holds one (a JSON number: parsed once).
#[derive(Debug, Clone, Copy)]
struct Value {
    name: u32,
    start: u32,
    end: u32,
    number: Option<f64>,
}

/// One record of an input table: its attribute values as text (and numbers where the format
/// types them) and its geometry, if the format carries one. The values share one buffer.
#[derive(Debug, Clone)]
pub struct Row {
    /// "row 12 (line 13)" or "feature 3".
    pub location: Location,
    /// Geometry as written in the file (its CRS is the layer's).
    pub geometry: Option<Geometry<f64>>,
    names: Arc<[String]>,
    values: Vec<Value>,
    text: String,
}

impl Row {
    /// A row of `values` (name, text) at `location`.
    pub fn new(
        location: Location,
        values: impl IntoIterator<Item = (String, String)>,
        geometry: Option<Geometry<f64>>,
    ) -> Row {
        let mut names = Vec::new();
        let mut row = Row::empty(location);
        for (k, v) in values {
            let name = names.len() as u32;
            names.push(k);
            row.push(name, &v, None);
        }
        row.names = names.into();
        row.geometry = geometry;
        row
    }

    /// A row without values; names come with [`Row::set_names`].
    fn empty(location: Location) -> Row {
        Row {
            location,
            geometry: None,
            names: Arc::from(Vec::new()),
            values: Vec::new(),
            text: String::new(),
        }
    }

    /// Adds (or replaces) the value of name `name` (an index into the names).
    fn push(&mut self, name: u32, text: &str, number: Option<f64>) {
        let start = self.text.len() as u32;
        self.text.push_str(text);
        self.value_from(name, start, number);
    }

    /// [`Row::push`] of a value's `Display` text, written straight into the row's buffer.
    fn push_display(&mut self, name: u32, value: &dyn fmt::Display, number: Option<f64>) {
        use std::fmt::Write;
        let start = self.text.len() as u32;
        let _ = write!(self.text, "{value}");
        self.value_from(name, start, number);
    }

    /// Records the text from `start` to the buffer's end as the value of `name`.
    fn value_from(&mut self, name: u32, start: u32, number: Option<f64>) {
        let v = Value {
            name,
            start,
            end: self.text.len() as u32,
            number,
        };
        match self.values.iter_mut().find(|x| x.name == name) {
            Some(old) => *old = v,
            None => self.values.push(v),
        }
    }

    fn set_names(&mut self, names: Arc<[String]>) {
        self.names = names;
    }

    fn value(&self, field: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|v| self.names[v.name as usize] == field)
    }

    /// The trimmed value of `field`, `None` when absent or blank.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.value(field)
            .map(|v| self.text[v.start as usize..v.end as usize].trim())
            .filter(|s| !s.is_empty())
    }

    /// The value of `field` as a number: the file's own number (JSON), else the text parsed.
    fn number(&self, field: &str) -> Option<Result<f64, &str>> {
        let v = self.value(field)?;
        if let Some(x) = v.number {
            return Some(Ok(x));
        }
        let text = self.text[v.start as usize..v.end as usize].trim();
        if text.is_empty() {
            return None;
        }
        Some(text.parse().map_err(|_| text))
    }

    /// Every (name, text) of the row, untrimmed.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|v| {
            (
                self.names[v.name as usize].as_str(),
                &self.text[v.start as usize..v.end as usize],
            )
        })
    }
}

/// An input table: rows plus, for formats with a header, the column names.
#[derive(Debug, Clone)]
pub struct Table {
    pub file: PathBuf,
    /// Column names (CSV); `None` for GeoJSON, whose properties vary per feature.
    pub columns: Option<Vec<String>>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Fails when a CSV table lacks a column the plan names.
    pub fn require_column(&self, field: &str, logical: &str) -> Result<(), ReadError> {
        match &self.columns {
            Some(cols) if !cols.iter().any(|c| c == field) => Err(ReadError::file(
                &self.file,
                format!(
                    "column '{field}' (for {logical}) not found; the columns are: {}. \
                     Name the right column in the plan's fields table \
                     ({logical} = \"...\", or \"\" if the data has none)",
                    cols.join(", ")
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Whether the table has column `field` (always true for GeoJSON, whose properties vary
    /// per feature).
    pub fn has_column(&self, field: &str) -> bool {
        self.columns
            .as_ref()
            .is_none_or(|cols| cols.iter().any(|c| c == field))
    }

    /// The required text of `field` in `row`.
    pub fn text<'r>(&self, row: &'r Row, field: &str) -> Result<&'r str, ReadError> {
        row.text(field)
            .ok_or_else(|| ReadError::at(&self.file, &row.location, Some(field), "missing value"))
    }

    /// A count or size in `field`: a finite number ≥ 0. `Ok(None)` when blank and not
    /// required.
    pub fn number(&self, row: &Row, field: &str, required: bool) -> Result<Option<f64>, ReadError> {
        let err = |p: String| ReadError::at(&self.file, &row.location, Some(field), p);
        let v = match row.number(field) {
            None if required => return Err(err("missing value; expected a number ≥ 0".into())),
            None => return Ok(None),
            Some(Err(text)) => {
                return Err(err(format!(
                    "'{text}' is not a number; expected a number ≥ 0"
                )))
            }
            Some(Ok(v)) => v,
        };
        if !v.is_finite() {
            let text = row.text(field).unwrap_or_default();
            return Err(err(format!("'{text}' is not a finite number")));
        }
        if v < 0.0 {
            return Err(err(format!("{v} is negative; expected a number ≥ 0")));
        }
        Ok(Some(v))
    }
}

/// Input formats, from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    GeoJson,
    /// A vector format read through GDAL (feature `gdal`).
    GdalVector,
    /// A raster read through GDAL (feature `gdal`): population counts per pixel.
    GdalRaster,
}

/// Extensions of the GDAL vector formats read with the `gdal` feature.
pub const GDAL_VECTOR_EXTENSIONS: [&str; 8] =
    ["gpkg", "shp", "fgb", "gdb", "tab", "gml", "kml", "sqlite"];
/// Extensions of the GDAL rasters read with the `gdal` feature.
pub const GDAL_RASTER_EXTENSIONS: [&str; 3] = ["tif", "tiff", "img"];

impl Format {
    /// The format of `path` by extension.
    pub fn of(path: &Path) -> Result<Format, ReadError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let gdal = |format: Format| {
            if cfg!(feature = "gdal") {
                Ok(format)
            } else {
                Err(ReadError::file(
                    path,
                    format!(
                        ".{ext} files are read through GDAL: build lifecircle with \
                         --features gdal (needs libgdal-dev), or convert the file to GeoJSON \
                         (ogr2ogr -f GeoJSON out.geojson in.{ext})"
                    ),
                ))
            }
        };
        match ext.as_str() {
            "csv" | "txt" => Ok(Format::Csv),
            "geojson" | "json" => Ok(Format::GeoJson),
            e if GDAL_VECTOR_EXTENSIONS.contains(&e) => gdal(Format::GdalVector),
            e if GDAL_RASTER_EXTENSIONS.contains(&e) => gdal(Format::GdalRaster),
            _ => Err(ReadError::file(
                path,
                "unknown file type; expected .csv, .geojson or .json, or with the gdal \
                 feature .gpkg, .shp, .fgb, .gdb or a .tif population raster",
            )),
        }
    }
}

/// Reads and resolves a plan file (relative paths inside it are relative to its folder).
pub fn read_plan(path: &Path) -> Result<crate::plan::Plan, crate::plan::PlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::plan::PlanError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    crate::plan::Plan::parse(&text, path)
}

/// `p` made absolute and cleaned of `.` and `..`, without touching the file system.
pub fn clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
