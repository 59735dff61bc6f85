//! Turning path arguments into a sorted list of manifest files.
//!
//! A directory walk reads manifests and skips what is evidently not one: Helm chart folders
//! (a folder with `Chart.yaml` holds templates that are not YAML until rendered, and values
//! files), the files a `kustomization.yaml` names as patches, generator inputs or plugin
//! configurations, and what `--exclude` or the configuration's `exclude:` name. A file named
//! on the command line is read as given. (Files whose documents are not API resources are
//! skipped when they are read: see [`super::parse_found`].)

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{LoadError, LoadOptions};

/// Whether a file found while walking a directory is read as manifests: YAML or JSON, and not
/// a kustomization file (kustomize's own configuration, not an object to convert).
pub fn is_manifest_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if KUSTOMIZATION_FILES.contains(&name) {
        return false;
    }
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Globs (gitignore-style) that leave files out of directory walks, relative to `root`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exclude {
    /// The folder the globs are relative to: the current directory for `--exclude`, the
    /// configuration file's folder for its `exclude:`.
    pub root: PathBuf,
    pub globs: Vec<String>,
}

/// A file or folder a walk left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// What one path argument stands for.
pub(super) struct Walked {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
    /// The argument is a file, named on the command line: it is read as given.
    pub named: bool,
}

/// Builds the matchers of `excludes`, each rooted at its folder (made absolute, so that the
/// absolute paths matched against them strip it).
fn exclude_matchers(excludes: &[Exclude]) -> Result<Vec<ignore::overrides::Override>, LoadError> {
    excludes
        .iter()
        .filter(|e| !e.globs.is_empty())
        .map(|exclude| {
            let root = std::path::absolute(&exclude.root).unwrap_or_else(|_| exclude.root.clone());
            let mut builder = ignore::overrides::OverrideBuilder::new(&root);
            for glob in &exclude.globs {
                builder
                    .add(&format!("!{glob}"))
                    .map_err(|error| LoadError::Exclude {
                        glob: glob.clone(),
                        message: error.to_string(),
                    })?;
            }
            builder.build().map_err(|error| LoadError::Exclude {
                glob: exclude.globs.join(", "),
                message: error.to_string(),
            })
        })
        .collect()
}

/// The files a path argument stands for: the file itself, or the manifests under a directory
/// in sorted order, with what the walk skipped.
pub(super) fn files_under(path: &Path, options: &LoadOptions) -> Result<Walked, LoadError> {
    if let Some(index) = &options.git {
        return git_files_under(path, options, index);
    }
    let shown = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            LoadError::NotFound {
                path: shown.clone(),
            }
        } else {
            LoadError::Read {
                path: shown.clone(),
                source,
            }
        }
    })?;
    if !metadata.is_dir() && options.git.is_none() {
        return Ok(Walked {
            files: vec![path.to_path_buf()],
            skipped: Vec::new(),
            named: true,
        });
    }
    let excludes = exclude_matchers(&options.exclude)?;
    let skipped = Arc::new(Mutex::new(Vec::new()));
    let mut files = Vec::new();
    let mut kustomizations = Vec::new();
    let mut walker = ignore::WalkBuilder::new(path);
    walker
        .standard_filters(true)
        .git_ignore(options.respect_ignore_files)
        .git_global(false)
        .git_exclude(options.respect_ignore_files)
        .ignore(options.respect_ignore_files)
        .parents(options.respect_ignore_files)
        .require_git(false)
        .follow_links(true)
        .sort_by_file_path(|a, b| a.cmp(b));
    {
        let skipped = Arc::clone(&skipped);
        walker.filter_entry(move |entry| {
            if entry.depth() == 0 {
                return true;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let excluded = !excludes.is_empty() && {
                // Made absolute (which asks for the current directory) only when there are
                // globs to match.
                let absolute = std::path::absolute(entry.path());
                let absolute = absolute.as_deref().unwrap_or(entry.path());
                excludes
                    .iter()
                    .any(|e| e.matched(absolute, is_dir).is_ignore())
            };
            let reason = if excluded {
                Some("excluded (--exclude or the configuration's exclude:)".to_owned())
            } else if is_dir && entry.path().join("Chart.yaml").is_file() {
                Some("a Helm chart (it has Chart.yaml): its templates are not YAML until rendered; render it (helm template) and check the output".to_owned())
            } else {
                None
            };
            if let Some(reason) = reason {
                if let Ok(mut skipped) = skipped.lock() {
                    skipped.push(Skipped {
                        path: relative(entry.path().to_path_buf()),
                        reason,
                    });
                }
                return false;
            }
            true
        });
    }
    for entry in walker.build() {
        let entry = entry.map_err(|error| LoadError::Walk {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let is_kustomization = entry
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n));
        if is_kustomization {
            kustomizations.push(entry.path().to_path_buf());
        } else if is_manifest_file(entry.path()) {
            files.push(relative(entry.into_path()));
        }
    }
    let mut skipped = std::mem::take(&mut *skipped.lock().unwrap_or_else(|e| e.into_inner()));
    let kustomizations: Vec<(PathBuf, String)> = kustomizations
        .into_iter()
        .filter_map(|path| Some((relative(path.clone()), std::fs::read_to_string(path).ok()?)))
        .collect();
    skip_kustomization_inputs(&mut files, &kustomizations, &mut skipped);
    skipped.sort();
    Ok(Walked {
        files,
        skipped,
        named: false,
    })
}

/// The files of the git index under a path argument, skipped as a directory walk skips
/// (hidden files, chart folders, excludes, kustomize inputs); a file the index holds,
/// named, is read as given.
fn git_files_under(
    path: &Path,
    options: &LoadOptions,
    index: &super::git::GitIndex,
) -> Result<Walked, LoadError> {
    let root = normalize(path);
    if index.contains(&root) {
        return Ok(Walked {
            files: vec![path.to_path_buf()],
            skipped: Vec::new(),
            named: true,
        });
    }
    let entries: Vec<&PathBuf> = index.under(path).collect();
    if entries.is_empty() && path.is_file() {
        return Err(LoadError::Untracked {
            path: path.display().to_string(),
        });
    }
    if entries.is_empty() && !path.exists() {
        return Err(LoadError::NotFound {
            path: path.display().to_string(),
        });
    }
    let excludes = exclude_matchers(&options.exclude)?;
    let charts: std::collections::HashSet<PathBuf> = entries
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "Chart.yaml"))
        .filter_map(|f| f.parent().map(normalize))
        .filter(|dir| dir.starts_with(&root) && *dir != root)
        .collect();
    let mut skipped_dirs = std::collections::BTreeMap::new();
    let mut files = Vec::new();
    let mut kustomizations = Vec::new();
    'entries: for entry in entries {
        let file = normalize(entry);
        let below = file.strip_prefix(&root).unwrap_or(&file);
        // Hidden files and folders, as the directory walk hides them.
        if below
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        {
            continue;
        }
        // The file and each folder above it, up to the argument.
        let mut here = PathBuf::from(&root);
        let mut steps: Vec<(PathBuf, bool)> = Vec::new();
        let count = below.components().count();
        for (i, component) in below.components().enumerate() {
            here.push(component);
            steps.push((here.clone(), i + 1 < count));
        }
        for (step, is_dir) in &steps {
            let absolute = std::path::absolute(step).unwrap_or_else(|_| step.clone());
            let reason = if excludes
                .iter()
                .any(|e| e.matched(&absolute, *is_dir).is_ignore())
            {
                Some("excluded (--exclude or the configuration's exclude:)")
            } else if *is_dir && charts.contains(step) {
                Some(
                    "a Helm chart (it has Chart.yaml): its templates are not YAML until rendered; render it (helm template) and check the output",
                )
            } else {
                None
            };
            if let Some(reason) = reason {
                skipped_dirs
                    .entry(step.clone())
                    .or_insert_with(|| reason.to_owned());
                continue 'entries;
            }
        }
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if KUSTOMIZATION_FILES.contains(&name) {
            if let Some(text) = index.blob(entry).and_then(|b| std::str::from_utf8(b).ok()) {
                kustomizations.push((file.clone(), text.to_owned()));
            }
        } else if is_manifest_file(&file) {
            files.push(file);
        }
    }
    let mut skipped: Vec<Skipped> = skipped_dirs
        .into_iter()
        .map(|(path, reason)| Skipped { path, reason })
        .collect();
    skip_kustomization_inputs(&mut files, &kustomizations, &mut skipped);
    skipped.sort();
    Ok(Walked {
        files,
        skipped,
        named: false,
    })
}

/// Leaves out the files the kustomizations (path, text) name as patches or generator
/// inputs: they are kustomize's own input, not objects (a kustomization may name files of
/// other folders, so all of them are read before any file is left out).
fn skip_kustomization_inputs(
    files: &mut Vec<PathBuf>,
    kustomizations: &[(PathBuf, String)],
    skipped: &mut Vec<Skipped>,
) {
    let mut named = HashMap::new();
    for (kustomization, text) in kustomizations {
        let folder = kustomization.parent().unwrap_or(Path::new(""));
        for (field, file) in kustomization_inputs(text) {
            named.insert(normalize(&folder.join(file)), field);
        }
    }
    if !named.is_empty() {
        files.retain(|file| match named.get(&normalize(file)) {
            Some(field) => {
                skipped.push(Skipped {
                    path: file.clone(),
                    reason: format!(
                        "named by a kustomization's `{field}`: kustomize's input, not an object"
                    ),
                });
                false
            }
            None => true,
        });
    }
}

/// `rolloutify convert .` should name `app.yaml`, not `./app.yaml`.
fn relative(path: PathBuf) -> PathBuf {
    match path.strip_prefix(".") {
        Ok(relative) if path.starts_with(".") => relative.to_path_buf(),
        _ => path,
    }
}

/// `a/./b/../c` as `a/c`, without asking the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The files a kustomization names that are not resources: patches, generator inputs,
/// replacement sources, plugin and transformer configurations, Helm values; each with the
/// field that names it. A kustomization that cannot be read names none.
fn kustomization_inputs(text: &str) -> Vec<(&'static str, String)> {
    let Ok(documents) = super::yaml::parse_stream(text, &super::Limits::default()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for document in documents {
        collect_kustomization_inputs(&document.value, &mut out);
    }
    out
}

fn collect_kustomization_inputs(value: &serde_json::Value, out: &mut Vec<(&'static str, String)>) {
    use serde_json::Value;
    let strings = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    // Inline patches hold YAML text, not a path.
    let is_path = |s: &String| !s.contains('\n') && !s.trim_start().starts_with(['{', '[']);
    for field in [
        "patchesStrategicMerge",
        "configurations",
        "transformers",
        "generators",
        "validators",
    ] {
        for file in strings(value.get(field)).into_iter().filter(is_path) {
            out.push((field, file));
        }
    }
    for field in ["patches", "patchesJson6902", "replacements"] {
        for item in value
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(file) = item.get("path").and_then(Value::as_str) {
                out.push((field, file.to_owned()));
            }
        }
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        for item in value
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for key in ["files", "envs", "env"] {
                for file in strings(item.get(key)) {
                    // `files` entries may be `key=path`.
                    let file = file
                        .split_once('=')
                        .map_or(file.clone(), |(_, p)| p.to_owned());
                    out.push((field, file));
                }
            }
        }
    }
    for item in value
        .get("helmCharts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for file in strings(item.get("valuesFile"))
            .into_iter()
            .chain(strings(item.get("additionalValuesFiles")))
        {
            out.push(("helmCharts", file));
        }
    }
    if let Some(file) = value.pointer("/openapi/path").and_then(Value::as_str) {
        out.push(("openapi", file.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.yaml")),
            PathBuf::from("a/c.yaml")
        );
        assert_eq!(
            normalize(Path::new("../x.yaml")),
            PathBuf::from("../x.yaml")
        );
    }

    #[test]
    fn kustomization_inputs_are_found() {
        let value = serde_json::json!({
            "resources": ["deployment.yaml"],
            "patchesStrategicMerge": ["replicas.yaml", "apiVersion: v1\nkind: X\n"],
            "patches": [{"path": "p.yaml", "target": {"kind": "Deployment"}}, {"patch": "- op: add"}],
            "patchesJson6902": [{"path": "j.yaml"}],
            "replacements": [{"path": "r.yaml"}],
            "configMapGenerator": [{"name": "c", "files": ["cfg.yaml", "k=data/v.json"], "envs": ["a.env"]}],
            "secretGenerator": [{"name": "s", "env": "s.env"}],
            "helmCharts": [{"name": "x", "valuesFile": "values-prod.yaml"}],
            "transformers": ["rolloutify.yaml"],
        });
        let mut out = Vec::new();
        collect_kustomization_inputs(&value, &mut out);
        let files: Vec<&str> = out.iter().map(|(_, f)| f.as_str()).collect();
        assert_eq!(
            files,
            [
                "replicas.yaml",
                "rolloutify.yaml",
                "p.yaml",
                "j.yaml",
                "r.yaml",
                "cfg.yaml",
                "data/v.json",
                "a.env",
                "s.env",
                "values-prod.yaml"
            ]
        );
    }
}
