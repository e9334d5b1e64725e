//! One output folder per run, replaced whole: a run writes into a staging folder beside the
//! target and swaps it in at the end, so a reader of the folder sees either the previous
//! complete run or the new complete run, never a mix.
//!
//! - **Lock**: `.<name>.lifecircle-lock` beside the target (an empty file, kept) is locked
//!   with an OS file lock for the whole run; a second run into the same folder is refused.
//!   The OS releases the lock when the process dies, so a killed run never blocks the next.
//! - **Staging**: `.<name>.lifecircle-staging-<random>` beside the target. A run that fails
//!   removes it; one that is killed leaves it, and the next run into the folder removes it
//!   (it holds the lock, so no live run owns it).
//! - **Swap**: on Linux, one `renameat2(RENAME_EXCHANGE)` swaps the two folders atomically;
//!   elsewhere (or on a file system without it) the target is renamed aside to
//!   `.<name>.lifecircle-old-<random>` and the staging folder renamed in; a kill between the
//!   two renames is repaired by the next run (the aside folder is put back first).
//! - **Manifest**: `run.json` lists every file of the run with its size and SHA-256, the
//!   plan's and inputs' hashes and the version. A re-run may replace a folder only when every
//!   entry in it is a file the previous run's manifest lists (or, for folders written before
//!   manifests existed, has the name of a lifecircle output): a file someone else put there is
//!   never deleted silently, the run is refused with its name instead.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why an output folder cannot be prepared or swapped in.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// Another run holds the folder's lock.
    #[error("{target}: another lifecircle run is writing this folder (it holds {lock}); wait for it to finish or write elsewhere (--out)")]
    Busy {
        /// The output folder.
        target: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The target exists and is not a folder.
    #[error("{0}: the output path exists and is not a folder; choose a folder (--out)")]
    NotAFolder(PathBuf),
    /// The folder holds files that no earlier run wrote.
    #[error("{target}: the output folder holds {count} file(s) that lifecircle did not write ({examples}); a run replaces the whole folder, so move them out or write elsewhere (--out)")]
    ForeignFiles {
        /// The output folder.
        target: PathBuf,
        /// How many foreign entries.
        count: usize,
        /// The first few, relative to the folder.
        examples: String,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One file of a run, as `run.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

/// One input of a run (the plan, a layer, the street network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestInput {
    /// What the file is to the plan: `plan`, `population`, `facilities`, `subdistricts`,
    /// `committees`, `network`, `candidates`.
    pub role: String,
    /// The path as the plan gives it.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

/// `run.json`: what a complete run wrote, from which inputs, with which version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The lifecircle version that wrote the run.
    pub lifecircle_version: String,
    /// The build that wrote it: 16 hex digits of a hash of the sources and `Cargo.lock` it
    /// was built from, so that a batch re-runs its jobs after the code changed under the
    /// same version number (a fix changes the figures). Empty in runs of older versions.
    #[serde(default)]
    pub lifecircle_build: String,
    /// The plan file and every input file it reads.
    pub inputs: Vec<ManifestInput>,
    /// Every file of the run but `run.json` itself, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// The build id (see [`Manifest::lifecircle_build`]): the hash of the sources and
/// `Cargo.lock` this program was built from (`build.rs`), the same for the CLI and for a
/// library caller built from the same sources.
pub fn build_id() -> String {
    env!("LIFECIRCLE_SOURCE_HASH")[..16].to_string()
}

/// The manifest's file name.
pub const MANIFEST: &str = "run.json";

/// [`hash_file`], remembered for this process by path, size and modification time (to the
/// nanosecond): the jobs of a batch share their city-wide inputs, which are then hashed once
/// for all the jobs' skip checks and manifests. A file changed in place gets a new time, so
/// it is hashed again.
fn hash_file_memo(path: &Path) -> std::io::Result<(u64, String)> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Memo = Mutex<HashMap<(PathBuf, u64, std::time::SystemTime), String>>;
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let Ok(modified) = meta.modified() else {
        return hash_file(path);
    };
    let key = (std::path::absolute(path)?, meta.len(), modified);
    let memo = MEMO.get_or_init(Default::default);
    if let Some(h) = memo.lock().expect("no hasher panics holding it").get(&key) {
        return Ok((key.1, h.clone()));
    }
    let (bytes, hex) = hash_file(path)?;
    if bytes == key.1 {
        memo.lock()
            .expect("no hasher panics holding it")
            .insert(key, hex.clone());
    }
    Ok((bytes, hex))
}

/// Lower-case hex SHA-256 of a file and its size, read in blocks.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push_str(&format!("{b:02x}"));
    }
    Ok((bytes, hex))
}

/// [`hash_file`] for a file; for a folder input (an Esri File Geodatabase `*.gdb`), the
/// SHA-256 of its listing — one `<sha256>  <relative path>` line per file, sorted, as
/// `sha256sum` prints them — and the files' total size.
pub fn hash_input(path: &Path) -> std::io::Result<(u64, String)> {
    if !path.is_dir() {
        return hash_file_memo(path);
    }
    let mut listing = String::new();
    let mut total = 0u64;
    for rel in walk(path)? {
        let (bytes, sha) = hash_file(&path.join(&rel))?;
        total += bytes;
        listing.push_str(&format!("{sha}  {rel}\n"));
    }
    let digest = Sha256::digest(listing.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok((total, hex))
}

/// Names of the files a run writes at the folder's top level, for folders written before
/// `run.json` existed. Anything under `maps/` with these extensions counts too.
const KNOWN_OUTPUTS: &[&str] = &[
    "cells.geojson",
    "cells.parquet",
    "facilities.geojson",
    "subdistricts.csv",
    "subdistricts.geojson",
    "committees.csv",
    "committees.geojson",
    "indicators.csv",
    "indicators.parquet",
    "indicators.md",
    "indicators_after.csv",
    "indicators_after.md",
    "underserved.csv",
    "service_areas.geojson",
    "network_issues.geojson",
    "proposed_sites.geojson",
    "proposed_sites.csv",
    "siting_before_after.csv",
    "summary.json",
    "report.html",
    "map.html",
    "lifecircle.gpkg",
    MANIFEST,
];

fn known_output(rel: &str) -> bool {
    if KNOWN_OUTPUTS.contains(&rel) {
        return true;
    }
    let (stem, ext) = rel.rsplit_once('.').unwrap_or((rel, ""));
    // An interrupted per-file atomic write of an earlier version.
    if rel
        .rsplit('/')
        .next()
        .is_some_and(|n| n.starts_with(".lifecircle-"))
        && ext == "tmp"
    {
        return true;
    }
    if let Some(map) = rel.strip_prefix("maps/") {
        return !map.contains('/') && matches!(ext, "png" | "svg");
    }
    // GDAL copies of the GeoJSON outputs ([outputs] vector_formats).
    let copy_of_geojson = KNOWN_OUTPUTS
        .iter()
        .filter_map(|k| k.strip_suffix(".geojson"))
        .any(|k| k == stem);
    copy_of_geojson && matches!(ext, "gpkg" | "fgb" | "shp" | "shx" | "dbf" | "prj" | "cpg")
}

/// Every file under `dir`, relative, `/`-separated, sorted; folders are not listed.
fn walk(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if entry.file_type()?.is_dir() {
                stack.push((entry.path(), rel));
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A run's output folder while the run writes it: locked, staged beside the target.
#[derive(Debug)]
pub struct RunFolder {
    target: PathBuf,
    staging: Option<PathBuf>,
    _lock: File,
}

/// `.<name>.lifecircle-<what>` beside `target`.
fn sibling(target: &Path, what: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    target.with_file_name(format!(".{name}.lifecircle-{what}"))
}

fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    format!("{}-{:016x}", std::process::id(), h.finish())
}

impl RunFolder {
    /// Locks `target` against other runs, repairs and removes what killed runs left beside
    /// it, checks that it holds only lifecircle outputs and creates an empty staging folder.
    pub fn open(target: &Path) -> Result<RunFolder, FolderError> {
        let target = std::path::absolute(target).map_err(io_at(target))?;
        let parent = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        std::fs::create_dir_all(&parent).map_err(io_at(&parent))?;
        let lock_path = sibling(&target, "lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_at(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(FolderError::Busy {
                    target,
                    lock: lock_path,
                })
            }
            Err(TryLockError::Error(e)) => return Err(io_at(&lock_path)(e)),
        }
        Self::repair(&target, &parent)?;
        match std::fs::metadata(&target) {
            Ok(m) if !m.is_dir() => return Err(FolderError::NotAFolder(target)),
            Ok(_) => Self::check_contents(&target)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(&target)(e)),
        }
        let staging = sibling(&target, &format!("staging-{}", random_suffix()));
        std::fs::create_dir(&staging).map_err(io_at(&staging))?;
        Ok(RunFolder {
            target,
            staging: Some(staging),
            _lock: lock,
        })
    }

    /// Puts back a target moved aside by a run killed mid-swap, then removes every staging
    /// and aside folder of earlier runs (this run holds the lock: they are dead).
    fn repair(target: &Path, parent: &Path) -> Result<(), FolderError> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staging_prefix = format!(".{name}.lifecircle-staging-");
        let old_prefix = format!(".{name}.lifecircle-old-");
        let mut leftovers = Vec::new();
        for entry in std::fs::read_dir(parent).map_err(io_at(parent))? {
            let entry = entry.map_err(io_at(parent))?;
            let n = entry.file_name().to_string_lossy().into_owned();
            if n.starts_with(&staging_prefix) || n.starts_with(&old_prefix) {
                leftovers.push((n.starts_with(&old_prefix), entry.path()));
            }
        }
        leftovers.sort();
        if !target.exists() {
            if let Some((_, old)) = leftovers.iter().find(|(is_old, _)| *is_old) {
                std::fs::rename(old, target).map_err(io_at(old))?;
            }
        }
        for (_, p) in leftovers {
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(io_at(&p))?;
            }
        }
        Ok(())
    }

    /// Refuses a target holding entries no lifecircle run wrote.
    fn check_contents(target: &Path) -> Result<(), FolderError> {
        let files = walk(target).map_err(io_at(target))?;
        let listed: Option<Vec<String>> = std::fs::read(target.join(MANIFEST))
            .ok()
            .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
            .map(|m| m.files.into_iter().map(|f| f.path).collect());
        let foreign: Vec<&String> = files
            .iter()
            .filter(|f| {
                let in_manifest = listed.as_ref().is_some_and(|l| l.contains(f));
                !(in_manifest || known_output(f))
            })
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        let mut examples: Vec<String> = foreign.iter().take(5).map(|s| s.to_string()).collect();
        if foreign.len() > 5 {
            examples.push("…".into());
        }
        Err(FolderError::ForeignFiles {
            target: target.to_path_buf(),
            count: foreign.len(),
            examples: examples.join(", "),
        })
    }

    /// The staging folder: write every file of the run here.
    pub fn staging(&self) -> &Path {
        self.staging.as_deref().expect("staging until committed")
    }

    /// The output folder the run replaces.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Hashes every staged file, writes `run.json`, syncs and swaps the staging folder in
    /// for the target (the previous run is removed). Returns the manifest.
    pub fn commit(mut self, inputs: Vec<ManifestInput>) -> Result<Manifest, FolderError> {
        use rayon::prelude::*;
        let staging = self.staging.clone().expect("staging until committed");
        let names = walk(&staging).map_err(io_at(&staging))?;
        let files = names
            .par_iter()
            .map(|rel| {
                let p = staging.join(rel);
                let (bytes, sha256) = hash_file(&p).map_err(io_at(&p))?;
                Ok(ManifestFile {
                    path: rel.clone(),
                    bytes,
                    sha256,
                })
            })
            .collect::<Result<Vec<_>, FolderError>>()?;
        let manifest = Manifest {
            lifecircle_version: env!("CARGO_PKG_VERSION").to_string(),
            lifecircle_build: build_id(),
            inputs,
            files,
        };
        let mpath = staging.join(MANIFEST);
        crate::io::output::write_json(&mpath, &manifest).map_err(io_at(&mpath))?;
        sync_dir(&staging);
        if staging.join("maps").is_dir() {
            sync_dir(&staging.join("maps"));
        }
        swap_in(&staging, &self.target)?;
        self.staging = None;
        Ok(manifest)
    }
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        if let Some(s) = self.staging.take() {
            let _ = std::fs::remove_dir_all(s);
        }
    }
}

/// Flushes a folder's entries to disk (best effort: not every platform can open folders).
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Replaces `target` by `staging`: atomically where the OS can exchange two folders.
fn swap_in(staging: &Path, target: &Path) -> Result<(), FolderError> {
    if !target.exists() {
        std::fs::rename(staging, target).map_err(io_at(target))?;
        return sync_parent(target);
    }
    #[cfg(target_os = "linux")]
    if exchange(staging, target).is_ok() {
        // `staging` now holds the previous run.
        let _ = std::fs::remove_dir_all(staging);
        return sync_parent(target);
    }
    let aside = sibling(target, &format!("old-{}", random_suffix()));
    std::fs::rename(target, &aside).map_err(io_at(target))?;
    std::fs::rename(staging, target).map_err(io_at(target))?;
    let _ = std::fs::remove_dir_all(&aside);
    sync_parent(target)
}

fn sync_parent(target: &Path) -> Result<(), FolderError> {
    if let Some(p) = target.parent() {
        sync_dir(p);
    }
    Ok(())
}

/// `renameat2(…, RENAME_EXCHANGE)`: swaps two existing paths in one step.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them as given.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, rel: &str, body: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_run_replaces_the_folder_exactly_and_leaves_only_the_lock_beside_it() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let f = RunFolder::open(&target).unwrap();
        put(f.staging(), "cells.geojson", "one");
        put(f.staging(), "proposed_sites.csv", "p");
        put(f.staging(), "maps/a.png", "png");
        let m = f.commit(Vec::new()).unwrap();
        assert_eq!(
            m.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["cells.geojson", "maps/a.png", "proposed_sites.csv"]
        );
        // sha256("one")
        assert_eq!(
            m.files[0].sha256,
            "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"
        );
        // A second run without a proposal: proposed_sites.csv must not survive.
        let f = RunFolder::open(&target).unwrap();
        put(f.staging(), "cells.geojson", "two");
        f.commit(Vec::new()).unwrap();
        assert_eq!(names(&target), ["cells.geojson", "run.json"]);
        assert_eq!(
            std::fs::read_to_string(target.join("cells.geojson")).unwrap(),
            "two"
        );
        assert_eq!(names(root.path()), [".out.lifecircle-lock", "out"]);
    }

    #[test]
    fn a_failed_run_leaves_the_previous_run_and_no_staging() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let f = RunFolder::open(&target).unwrap();
        put(f.staging(), "cells.geojson", "old");
        f.commit(Vec::new()).unwrap();
        {
            let f = RunFolder::open(&target).unwrap();
            put(f.staging(), "cells.geojson", "half");
            // Dropped without commit: the run failed.
        }
        assert_eq!(
            std::fs::read_to_string(target.join("cells.geojson")).unwrap(),
            "old"
        );
        assert_eq!(names(root.path()), [".out.lifecircle-lock", "out"]);
    }

    #[test]
    fn a_second_concurrent_run_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let first = RunFolder::open(&target).unwrap();
        let err = RunFolder::open(&target).unwrap_err();
        assert!(matches!(err, FolderError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("another lifecircle run"), "{err}");
        drop(first);
        RunFolder::open(&target).unwrap();
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed_and_a_half_swap_repaired() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        // Killed while staging.
        put(
            root.path(),
            ".out.lifecircle-staging-1-aa/cells.geojson",
            "dead",
        );
        // Killed between the two renames of the fallback swap: the target is aside.
        put(
            root.path(),
            ".out.lifecircle-old-1-bb/cells.geojson",
            "previous",
        );
        let f = RunFolder::open(&target).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("cells.geojson")).unwrap(),
            "previous"
        );
        let left = names(root.path());
        assert_eq!(left.len(), 3, "{left:?}"); // the lock, out and this run's staging
        assert!(left[1].starts_with(&format!(".out.lifecircle-staging-{}-", std::process::id())));
        drop(f);
        assert_eq!(names(root.path()), [".out.lifecircle-lock", "out"]);
    }

    #[test]
    fn files_nobody_wrote_are_never_deleted() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        put(&target, "cells.geojson", "from an earlier version");
        put(&target, "maps/min15.png", "png");
        put(&target, "notes.docx", "a planner's notes");
        let err = RunFolder::open(&target).unwrap_err();
        assert!(
            err.to_string()
                .contains("1 file(s) that lifecircle did not write (notes.docx)"),
            "{err}"
        );
        std::fs::remove_file(target.join("notes.docx")).unwrap();
        // Files of an earlier version (no run.json) are recognised by name.
        RunFolder::open(&target).unwrap();
    }

    #[test]
    fn an_output_path_that_is_a_file_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        std::fs::write(&target, "x").unwrap();
        assert!(matches!(
            RunFolder::open(&target).unwrap_err(),
            FolderError::NotAFolder(_)
        ));
    }
}
