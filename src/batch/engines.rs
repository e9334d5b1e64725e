//! Files for existing distributed engines: a Slurm job array (`sbatch`) and a Kubernetes
//! Indexed Job, each running `lifecircle batch run MANIFEST --shard auto --shards N` once per
//! shard (the index comes from `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`), then
//! `lifecircle batch reduce MANIFEST`. Every shard reads the same manifest and computes the
//! same assignment ([`super::shard_of`]), so the shards need only a shared file system (or
//! the same object-store mount) holding the data and the batch folder.

use std::path::{Path, PathBuf};

use super::manifest::safe_name;
use super::{shard_of, BatchError, Manifest};
use crate::io::atomic::write_atomic;
use crate::io::clean;

/// Resources of one shard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShardResources {
    /// CPUs per shard (the shard's `--threads`).
    pub cpus: usize,
    /// Memory per shard, MB.
    pub mem_mb: u64,
}

/// The engine files written by [`write`].
#[derive(Debug, Clone, PartialEq)]
pub struct EngineFiles {
    /// The Slurm job array, `engines/slurm-array.sbatch`.
    pub slurm_array: PathBuf,
    /// The Slurm reduce job, `engines/slurm-reduce.sbatch`.
    pub slurm_reduce: PathBuf,
    /// The Kubernetes Indexed Job, `engines/k8s-indexed-job.yaml`.
    pub k8s: PathBuf,
    /// Jobs per shard, by shard index.
    pub jobs_per_shard: Vec<usize>,
}

/// Shell single quotes around `s`.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The deepest folder holding every path.
fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for p in paths {
        let p = clean(p);
        common = Some(match common {
            None => p,
            Some(c) => {
                let mut out = PathBuf::new();
                for (a, b) in c.components().zip(p.components()) {
                    if a != b {
                        break;
                    }
                    out.push(a);
                }
                out
            }
        });
    }
    common.unwrap_or_else(|| PathBuf::from("/"))
}

/// Writes the Slurm and Kubernetes files for `shards` shards of `manifest` into
/// `engines/` of the batch folder, running `binary`.
pub fn write(
    manifest: &Manifest,
    shards: usize,
    binary: &Path,
    res: ShardResources,
) -> Result<EngineFiles, BatchError> {
    if shards == 0 {
        return Err(BatchError::Shard("--shards 0: expected at least 1".into()));
    }
    let jobs = manifest.jobs()?;
    let assignment = shard_of(manifest, &jobs, shards);
    let mut jobs_per_shard = vec![0; shards];
    for &k in &assignment {
        jobs_per_shard[k] += 1;
    }
    let dir = manifest.output_dir.join("engines");
    let logs = manifest.output_dir.join("shards");
    std::fs::create_dir_all(&logs).map_err(|source| BatchError::Write {
        path: logs.clone(),
        source,
    })?;
    let exe = binary.to_string_lossy();
    let file = clean(&manifest.file);
    let file_s = file.to_string_lossy();
    // A Kubernetes name (RFC 1123: lower-case letters, digits and '-'), also the Slurm
    // job name.
    let name: String = {
        let raw: String = safe_name(&manifest.name)
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let trimmed: String = raw.trim_matches('-').chars().take(40).collect();
        if trimmed.is_empty() {
            "batch".into()
        } else {
            trimmed.trim_end_matches('-').to_string()
        }
    };

    let array = format!(
        "#!/bin/bash
# lifecircle batch '{title}': {n_jobs} jobs ({areas} areas × {scenarios} scenarios) in {shards} shards.
# Made by `lifecircle batch plan`. Submit the array, then the reduce step after it:
#   jobid=$(sbatch --parsable {array_path})
#   sbatch --dependency=afterany:$jobid {reduce_path}
# Each array task runs its shard's jobs (a job whose folder is up to date is skipped, so a
# resubmitted array only does what is missing). A task exits 1 when one of its jobs failed;
# the reduce step still runs (afterany) and lists the failures in reduced/batch.md.
#SBATCH --job-name=lifecircle-{name}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={cpus}
#SBATCH --mem={mem}M
#SBATCH --output={logs}/slurm-%A_%a.out
set -euo pipefail
exec {exe} --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" -q batch run {manifest} --shard auto --shards {shards}
",
        title = manifest.name,
        n_jobs = jobs.len(),
        areas = manifest.areas.len(),
        scenarios = manifest.scenarios.len(),
        array_path = dir.join("slurm-array.sbatch").display(),
        reduce_path = dir.join("slurm-reduce.sbatch").display(),
        last = shards - 1,
        cpus = res.cpus,
        mem = res.mem_mb,
        logs = logs.display(),
        exe = sh(&exe),
        manifest = sh(&file_s),
    );
    let reduce = format!(
        "#!/bin/bash
# The reduce step of lifecircle batch '{title}': merges every job folder into reduced/.
# Submit after the array: sbatch --dependency=afterany:<array job id> {reduce_path}
#SBATCH --job-name=lifecircle-{name}-reduce
#SBATCH --cpus-per-task=1
#SBATCH --mem=1024M
#SBATCH --output={logs}/slurm-reduce-%j.out
set -euo pipefail
exec {exe} -q batch reduce {manifest}
",
        title = manifest.name,
        reduce_path = dir.join("slurm-reduce.sbatch").display(),
        logs = logs.display(),
        exe = sh(&exe),
        manifest = sh(&file_s),
    );
    // Everything the shards read or write, for the volume mount.
    let mut paths = vec![
        file.parent().unwrap_or(Path::new("/")).to_path_buf(),
        manifest.output_dir.clone(),
        manifest.plan.clone(),
    ];
    paths.extend(manifest.areas.iter().map(|a| a.file.clone()));
    if let Some(job) = jobs.first() {
        if let Ok(plan) = crate::io::read_plan(&job.plan_file) {
            paths.extend(
                crate::pipeline::input_files(&plan)
                    .into_iter()
                    .filter(|(role, _)| *role != "plan")
                    .map(|(_, p)| clean(&job.plan_file.parent().unwrap_or(Path::new("/")).join(p))),
            );
        }
    }
    let mount = common_folder(&paths);
    let k8s = format!(
        "# lifecircle batch '{title}' as a Kubernetes Indexed Job: {shards} shards, {n_jobs} jobs.
# Made by `lifecircle batch plan`. The image must hold the lifecircle binary on its PATH
# (e.g. built from the repository with `cargo build --release`), and the volume
# `lifecircle-data` must hold {mount} at the same path, as a shared file system
# (NFS, CephFS) or an object-store mount (s3fs, gcsfuse) does. Then:
#   kubectl apply -f {k8s_path}
#   kubectl wait --for=condition=complete --timeout=24h job/lifecircle-{name}
# then the reduce step where the volume is mounted too (a one-pod Job like this one, with
# completions: 1 and the command lifecircle -q batch reduce {manifest}).
# Each pod gets its shard index from JOB_COMPLETION_INDEX (completionMode: Indexed).{root_note}
apiVersion: batch/v1
kind: Job
metadata:
  name: lifecircle-{name}
  labels:
    app: lifecircle
spec:
  completionMode: Indexed
  completions: {shards}
  parallelism: {shards}
  backoffLimit: {shards}
  template:
    metadata:
      labels:
        app: lifecircle
    spec:
      restartPolicy: Never
      containers:
        - name: shard
          image: lifecircle:{version}
          command: [\"lifecircle\", \"--threads\", \"{cpus}\", \"-q\", \"batch\", \"run\", {manifest_json}, \"--shard\", \"auto\", \"--shards\", \"{shards}\"]
          resources:
            requests:
              cpu: \"{cpus}\"
              memory: \"{mem}Mi\"
            limits:
              memory: \"{mem}Mi\"
          volumeMounts:
            - name: data
              mountPath: {mount_json}
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: lifecircle-data
",
        title = manifest.name,
        n_jobs = jobs.len(),
        mount = mount.display(),
        root_note = if mount == Path::new("/") {
            "\n# CAUTION: the manifest, the data and the batch folder share no folder but /, and a volume\n# mounted at / hides the image's own files: put them under one folder (e.g. /data) first."
        } else {
            ""
        },
        k8s_path = dir.join("k8s-indexed-job.yaml").display(),
        version = env!("CARGO_PKG_VERSION"),
        manifest = sh(&file_s),
        manifest_json = serde_json::to_string(&*file_s).expect("a string"),
        mount_json = serde_json::to_string(&*mount.to_string_lossy()).expect("a string"),
        cpus = res.cpus,
        mem = res.mem_mb,
    );
    let out = EngineFiles {
        slurm_array: dir.join("slurm-array.sbatch"),
        slurm_reduce: dir.join("slurm-reduce.sbatch"),
        k8s: dir.join("k8s-indexed-job.yaml"),
        jobs_per_shard,
    };
    for (path, text) in [
        (&out.slurm_array, array),
        (&out.slurm_reduce, reduce),
        (&out.k8s, k8s),
    ] {
        write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(|source| {
            BatchError::Write {
                path: path.clone(),
                source,
            }
        })?;
        #[cfg(unix)]
        if path.extension().is_some_and(|e| e == "sbatch") {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
        }
    }
    Ok(out)
}
