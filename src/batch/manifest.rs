//! The batch manifest (`batch.toml`): one base plan × areas × scenarios, and the jobs it
//! expands to, each with its own plan file and output folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Value;

use crate::crs::InputCrs;
use crate::io::clean;
use crate::io::layers::read_areas;
use crate::io::ReadError;
use crate::plan::{AreaFields, AreaLayer, Encoding, Layer};

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The manifest or base plan file cannot be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML or not the manifest's shape.
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: PathBuf,
        /// The parser's message, with the line.
        message: String,
    },
    /// A value is wrong; `key` names it.
    #[error("{file}: [{key}]: {message}")]
    Invalid {
        /// The manifest.
        file: PathBuf,
        /// The key at fault.
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An area layer cannot be read.
    #[error(transparent)]
    Areas(#[from] ReadError),
    /// A job's plan is refused (the base plan with a scenario's overrides).
    #[error("job {job}: {source}")]
    Plan {
        /// The job: `<area>/<scenario>`.
        job: String,
        /// The plan error, naming the job's plan file.
        source: crate::plan::PlanError,
    },
}

/// `batch.toml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    batch: BatchSection,
    areas: AreasSection,
    #[serde(default)]
    scenarios: Vec<ScenarioSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchSection {
    name: String,
    plan: PathBuf,
    #[serde(default = "default_out")]
    output_dir: PathBuf,
    jobs: Option<usize>,
    memory_budget_mb: Option<u64>,
}

fn default_out() -> PathBuf {
    PathBuf::from("batch")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreasSection {
    #[serde(default)]
    paths: Vec<PathBuf>,
    path: Option<PathBuf>,
    crs: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default)]
    ids: Vec<String>,
    buffer_m: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioSection {
    name: String,
    #[serde(default)]
    set: BTreeMap<String, Value>,
}

/// One area of the batch: a polygon of an area layer.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchArea {
    /// Its id in the layer.
    pub id: String,
    /// Its name (the id when the layer has none).
    pub name: String,
    /// The layer file holding it, absolute.
    pub file: PathBuf,
    /// Its boundary, WGS84.
    pub boundary: geo::MultiPolygon<f64>,
}

/// One scenario: overrides of plan values by dotted key (`siting.p`,
/// `walking_speed_m_per_s.60+`, `circles.0.minutes`).
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name: letters, digits, `_` and `-`.
    pub name: String,
    /// Dotted key → the value to set.
    pub set: BTreeMap<String, Value>,
}

/// A checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file.
    pub file: PathBuf,
    /// `[batch] name`.
    pub name: String,
    /// The base plan, absolute.
    pub plan: PathBuf,
    /// The batch folder, absolute: `plans/`, `jobs/<area>/<scenario>/`, `reduced/`.
    pub output_dir: PathBuf,
    /// Jobs run at once in-process (`None`: by cores and the memory budget).
    pub jobs: Option<usize>,
    /// Memory the in-process batch may use, MB (`None`: half the machine's available).
    pub memory_budget_mb: Option<u64>,
    /// The areas, in the order listed (`ids`) or of the layers.
    pub areas: Vec<BatchArea>,
    /// The area layer's CRS and fields, as given to each job's `[study.area]`.
    area_crs: Option<String>,
    area_fields: BTreeMap<String, String>,
    buffer_m: Option<f64>,
    /// The scenarios (one named `base` without overrides when none are listed).
    pub scenarios: Vec<Scenario>,
    /// The base plan as TOML.
    base: toml::Table,
}

/// One job: an area × a scenario.
#[derive(Debug, Clone)]
pub struct Job {
    /// Index in the manifest's order (areas, then scenarios within an area).
    pub index: usize,
    /// The area.
    pub area: usize,
    /// The scenario.
    pub scenario: usize,
    /// `<area id>/<scenario>`, for messages.
    pub key: String,
    /// The job's plan file: `plans/<area>__<scenario>.toml` in the batch folder.
    pub plan_file: PathBuf,
    /// The plan's text.
    pub plan_text: String,
    /// The job's output folder: `jobs/<area>/<scenario>`.
    pub out_dir: PathBuf,
}

/// The plan keys that are paths, relative to the plan file.
const PATH_KEYS: &[&str] = &[
    "study.output_dir",
    "study.area.path",
    "population.path",
    "facilities.path",
    "subdistricts.path",
    "committees.path",
    "network.path",
    "siting.candidates.path",
    "report.font",
];

/// `path` relative to the folder `base` (both absolute and clean), with `..` where needed.
pub fn relative(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Nothing in common but the root: the absolute path says more than `../../../..`.
    if common <= 1 {
        return path.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

/// A file or folder name for an area id or scenario name: characters that are unsafe in
/// paths become `_`.
pub fn safe_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

/// The value at a dotted key of a TOML table (numbers index arrays).
fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut v = table.get(parts.next()?)?;
    for part in parts {
        v = match v {
            Value::Table(t) => t.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Sets a dotted key of a TOML table, creating tables on the way; an array element must
/// exist. `Err` says why the key cannot be set (the table is then unchanged).
fn set(table: &mut toml::Table, key: &str, value: Value) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err("empty part in the dotted key".into());
    }
    let mut copy = table.clone();
    set_in(&mut copy, &parts, value)?;
    *table = copy;
    Ok(())
}

/// [`set`] below one table: `parts` is the rest of the key.
fn set_in(table: &mut toml::Table, parts: &[&str], value: Value) -> Result<(), String> {
    let (first, rest) = parts.split_first().ok_or("empty key")?;
    if rest.is_empty() {
        table.insert(first.to_string(), value);
        return Ok(());
    }
    let next = table
        .entry(first.to_string())
        .or_insert_with(|| Value::Table(toml::Table::new()));
    set_value(next, rest, value)
}

/// [`set`] below a value, a table or an array (indexed by number).
fn set_value(v: &mut Value, parts: &[&str], value: Value) -> Result<(), String> {
    let (first, rest) = parts.split_first().ok_or("empty key")?;
    match v {
        Value::Table(t) => set_in(t, parts, value),
        Value::Array(a) => {
            let i: usize = first
                .parse()
                .map_err(|_| format!("'{first}' indexes an array: expected a number"))?;
            let n = a.len();
            let slot = a
                .get_mut(i)
                .ok_or_else(|| format!("index {i} is past the array's {n} elements"))?;
            if rest.is_empty() {
                *slot = value;
                Ok(())
            } else {
                set_value(slot, rest, value)
            }
        }
        _ => Err(format!("'{first}' is inside a value that is not a table")),
    }
}

impl Manifest {
    /// Reads and checks a manifest: the base plan is read, the area layers are read and the
    /// areas chosen, the scenarios checked. Jobs come from [`Manifest::jobs`].
    pub fn load(file: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(file).map_err(|source| ManifestError::Read {
            file: file.to_path_buf(),
            source,
        })?;
        let m: ManifestFile = toml::from_str(&text).map_err(|e| ManifestError::Syntax {
            file: file.to_path_buf(),
            message: e.to_string(),
        })?;
        let invalid = |key: &str, message: String| ManifestError::Invalid {
            file: file.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let base_dir = clean(file.parent().unwrap_or(Path::new(".")));
        let plan = clean(&base_dir.join(&m.batch.plan));
        let plan_text = std::fs::read_to_string(&plan).map_err(|source| ManifestError::Read {
            file: plan.clone(),
            source,
        })?;
        let mut base: toml::Table =
            toml::from_str(&plan_text).map_err(|e| ManifestError::Syntax {
                file: plan.clone(),
                message: e.to_string(),
            })?;
        // Every path of the base plan made absolute, so that job plans can live elsewhere.
        let plan_dir = plan.parent().unwrap_or(Path::new("/")).to_path_buf();
        for key in PATH_KEYS {
            if let Some(Value::String(p)) = lookup(&base, key) {
                let abs = clean(&plan_dir.join(p));
                set(
                    &mut base,
                    key,
                    Value::String(abs.to_string_lossy().into_owned()),
                )
                .map_err(|e| invalid("batch.plan", format!("{key}: {e}")))?;
            }
        }
        if lookup(&base, "study.area").is_some() {
            return Err(invalid(
                "batch.plan",
                format!(
                    "{}: the base plan has a [study.area]; the batch sets one per area, so remove it",
                    plan.display()
                ),
            ));
        }
        if m.batch.jobs == Some(0) {
            return Err(invalid("batch.jobs", "0: expected at least 1".into()));
        }
        if let Some(b) = m.areas.buffer_m {
            if !(b.is_finite() && b >= 0.0) {
                return Err(invalid(
                    "areas.buffer_m",
                    format!("{b}: expected metres ≥ 0"),
                ));
            }
        }

        let mut files: Vec<PathBuf> = m.areas.paths.iter().map(|p| base_dir.join(p)).collect();
        files.extend(m.areas.path.iter().map(|p| base_dir.join(p)));
        if files.is_empty() {
            return Err(invalid(
                "areas",
                "no area layer: give path = \"districts.geojson\" or paths = [\"310101.geojson\", …]".into(),
            ));
        }
        let crs = m
            .areas
            .crs
            .as_deref()
            .unwrap_or("WGS84")
            .parse::<InputCrs>()
            .map_err(|e| invalid("areas.crs", e.to_string()))?;
        let fields: AreaFields = {
            use serde::de::value::{Error as ValueError, MapDeserializer};
            AreaFields::deserialize(MapDeserializer::<_, ValueError>::new(
                m.areas.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ))
            .map_err(|e| invalid("areas.fields", e.to_string()))?
        };
        let mut all: Vec<BatchArea> = Vec::new();
        for f in &files {
            let f = clean(f);
            let spec = AreaLayer {
                layer: Layer {
                    path: f.clone(),
                    crs,
                    crs_stated: m.areas.crs.is_some(),
                    layer_name: None,
                    encoding: Encoding::default(),
                    delimiter: b',',
                },
                fields: fields.clone(),
            };
            for a in read_areas(&spec)? {
                if let Some(prev) = all.iter().find(|b| b.id == a.id) {
                    return Err(invalid(
                        "areas",
                        format!(
                            "area id '{}' is in {} and in {}: ids must be unique",
                            a.id,
                            prev.file.display(),
                            f.display()
                        ),
                    ));
                }
                all.push(BatchArea {
                    id: a.id,
                    name: a.name,
                    file: f.clone(),
                    boundary: a.boundary,
                });
            }
        }
        let areas = if m.areas.ids.is_empty() {
            all
        } else {
            let mut chosen = Vec::new();
            for id in &m.areas.ids {
                match all.iter().find(|a| &a.id == id || &a.name == id) {
                    Some(a) if chosen.iter().any(|c: &BatchArea| c.id == a.id) => {
                        return Err(invalid("areas.ids", format!("'{id}' is listed twice")))
                    }
                    Some(a) => chosen.push(a.clone()),
                    None => {
                        let have: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
                        return Err(invalid(
                            "areas.ids",
                            format!(
                                "no area has id or name '{id}'; the layers have {}",
                                have.join(", ")
                            ),
                        ));
                    }
                }
            }
            chosen
        };
        if areas.is_empty() {
            return Err(invalid("areas", "the area layers have no polygons".into()));
        }
        let mut safe = BTreeSet::new();
        for a in &areas {
            if a.id.contains("__") {
                return Err(invalid(
                    "areas",
                    format!("area id '{}' holds \"__\", which separates area and scenario in the plan files' names", a.id),
                ));
            }
            if !safe.insert(safe_name(&a.id)) {
                return Err(invalid(
                    "areas",
                    format!("area id '{}' gives the same folder name as another", a.id),
                ));
            }
        }

        let mut scenarios = Vec::new();
        for (i, s) in m.scenarios.iter().enumerate() {
            let ok = !s.name.is_empty()
                && !s.name.contains("__")
                && s.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(invalid(
                    &format!("scenarios[{i}].name"),
                    format!(
                        "'{}': expected letters, digits, _ and - without \"__\" (it names folders, plan files and columns)",
                        s.name
                    ),
                ));
            }
            if scenarios.iter().any(|x: &Scenario| x.name == s.name) {
                return Err(invalid(
                    &format!("scenarios[{i}].name"),
                    format!("'{}' is used twice", s.name),
                ));
            }
            for key in s.set.keys() {
                if key == "study.area"
                    || key.starts_with("study.area.")
                    || key == "study.output_dir"
                {
                    return Err(invalid(
                        &format!("scenarios[{i}].set"),
                        format!("'{key}' is set by the batch for each job"),
                    ));
                }
            }
            scenarios.push(Scenario {
                name: s.name.clone(),
                set: s.set.clone(),
            });
        }
        if scenarios.is_empty() {
            scenarios.push(Scenario {
                name: "base".into(),
                set: BTreeMap::new(),
            });
        }
        Ok(Manifest {
            file: file.to_path_buf(),
            name: m.batch.name,
            plan,
            output_dir: clean(&base_dir.join(&m.batch.output_dir)),
            jobs: m.batch.jobs,
            memory_budget_mb: m.batch.memory_budget_mb,
            areas,
            area_crs: m.areas.crs,
            area_fields: m.areas.fields,
            buffer_m: m.areas.buffer_m,
            scenarios,
            base,
        })
    }

    /// Every job, areas in order and scenarios within each, with its plan text (paths
    /// relative to the plan's own folder, so the batch folder and the data can move together)
    /// and output folder. A scenario's path values are relative to the manifest's folder.
    pub fn jobs(&self) -> Result<Vec<Job>, ManifestError> {
        let plans_dir = self.output_dir.join("plans");
        let manifest_dir = clean(self.file.parent().unwrap_or(Path::new(".")));
        let mut jobs = Vec::new();
        for (ai, area) in self.areas.iter().enumerate() {
            for (si, scenario) in self.scenarios.iter().enumerate() {
                let key = format!("{}/{}", area.id, scenario.name);
                let invalid = |message: String| ManifestError::Invalid {
                    file: self.file.clone(),
                    key: format!("scenarios.{}", scenario.name),
                    message,
                };
                let mut t = self.base.clone();
                for (k, v) in &scenario.set {
                    let v = match (PATH_KEYS.contains(&k.as_str()), v) {
                        (true, Value::String(p)) => Value::String(
                            clean(&manifest_dir.join(p)).to_string_lossy().into_owned(),
                        ),
                        _ => v.clone(),
                    };
                    set(&mut t, k, v).map_err(|e| invalid(format!("set '{k}': {e}")))?;
                }
                let out_dir = self
                    .output_dir
                    .join("jobs")
                    .join(safe_name(&area.id))
                    .join(&scenario.name);
                let name = lookup(&t, "study.name")
                    .and_then(Value::as_str)
                    .unwrap_or("lifecircle")
                    .to_string();
                let mut study_area = toml::Table::new();
                study_area.insert(
                    "path".into(),
                    Value::String(area.file.to_string_lossy().into_owned()),
                );
                if let Some(c) = &self.area_crs {
                    study_area.insert("crs".into(), Value::String(c.clone()));
                }
                if !self.area_fields.is_empty() {
                    study_area.insert(
                        "fields".into(),
                        Value::Table(
                            self.area_fields
                                .iter()
                                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                                .collect(),
                        ),
                    );
                }
                study_area.insert("id".into(), Value::String(area.id.clone()));
                if let Some(b) = self.buffer_m {
                    study_area.insert("buffer_m".into(), Value::Float(b));
                }
                let sets = [
                    (
                        "study.name",
                        Value::String(format!(
                            "{name} — {} ({}) — {}",
                            area.name, area.id, scenario.name
                        )),
                    ),
                    (
                        "study.output_dir",
                        Value::String(out_dir.to_string_lossy().into_owned()),
                    ),
                    ("study.area", Value::Table(study_area)),
                ];
                for (k, v) in sets {
                    set(&mut t, k, v).map_err(|e| invalid(format!("{k}: {e}")))?;
                }
                for k in PATH_KEYS {
                    if let Some(Value::String(p)) = lookup(&t, k) {
                        let rel = relative(Path::new(p), &plans_dir);
                        set(
                            &mut t,
                            k,
                            Value::String(rel.to_string_lossy().replace('\\', "/")),
                        )
                        .map_err(|e| invalid(format!("{k}: {e}")))?;
                    }
                }
                let plan_text = format!(
                    "# Made by `lifecircle batch` from {} for area {} ({}), scenario {}.\n# Run it alone with `lifecircle run` (paths are relative to this file).\n{}",
                    self.file.display(),
                    area.id,
                    area.name,
                    scenario.name,
                    toml::to_string(&t).map_err(|e| invalid(e.to_string()))?
                );
                let plan_file =
                    plans_dir.join(format!("{}__{}.toml", safe_name(&area.id), scenario.name));
                // Checked now, so that a bad override fails the batch before any job runs.
                crate::plan::Plan::parse(&plan_text, &plan_file).map_err(|source| {
                    ManifestError::Plan {
                        job: key.clone(),
                        source,
                    }
                })?;
                jobs.push(Job {
                    index: jobs.len(),
                    area: ai,
                    scenario: si,
                    key,
                    plan_file,
                    plan_text,
                    out_dir,
                });
            }
        }
        Ok(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_keys_set_tables_and_array_elements() {
        let mut t: toml::Table =
            toml::from_str("[siting]\np = 10\n[[circles]]\nname = \"a\"\nminutes = 15\n").unwrap();
        set(&mut t, "siting.p", Value::Integer(15)).unwrap();
        set(&mut t, "walking_speed_m_per_s.60+", Value::Float(0.8)).unwrap();
        set(&mut t, "circles.0.minutes", Value::Integer(10)).unwrap();
        assert_eq!(lookup(&t, "siting.p"), Some(&Value::Integer(15)));
        assert_eq!(
            lookup(&t, "walking_speed_m_per_s.60+"),
            Some(&Value::Float(0.8))
        );
        assert_eq!(lookup(&t, "circles.0.minutes"), Some(&Value::Integer(10)));
        assert_eq!(
            lookup(&t, "circles.0.name"),
            Some(&Value::String("a".into()))
        );
        let e = set(&mut t, "circles.3.minutes", Value::Integer(1)).unwrap_err();
        assert!(e.contains("index 3 is past the array's 1 elements"), "{e}");
        let e = set(&mut t, "siting.p.x", Value::Integer(1)).unwrap_err();
        assert!(e.contains("not a table"), "{e}");
        // The table survives a failed set.
        assert_eq!(lookup(&t, "siting.p"), Some(&Value::Integer(15)));
    }

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        assert_eq!(
            relative(Path::new("/a/b/data/pop.csv"), Path::new("/a/b/out/plans")),
            PathBuf::from("../../data/pop.csv")
        );
        assert_eq!(
            relative(Path::new("/a/b/out/jobs/x"), Path::new("/a/b/out/plans")),
            PathBuf::from("../jobs/x")
        );
        assert_eq!(safe_name("310104"), "310104");
        assert_eq!(safe_name("a/b"), "a_b");
        assert_eq!(safe_name(".."), "_..");
        assert_eq!(safe_name("徐汇区"), "徐汇区");
    }
}
