//! Turning path arguments into a sorted list of manifest files.

use std::path::{Path, PathBuf};

use super::{LoadError, LoadOptions};

/// Whether a file found while walking a directory is read as manifests: YAML or JSON, and not
/// a kustomization file (kustomize's own configuration, not an object to convert).
pub fn is_manifest_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    ) {
        return false;
    }
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// The files a path argument stands for: the file itself, or the manifests under a directory
/// in sorted order.
pub(super) fn files_under(path: &Path, options: &LoadOptions) -> Result<Vec<PathBuf>, LoadError> {
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
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(path)
        .standard_filters(true)
        .git_ignore(options.respect_ignore_files)
        .git_global(false)
        .git_exclude(options.respect_ignore_files)
        .ignore(options.respect_ignore_files)
        .parents(options.respect_ignore_files)
        .require_git(false)
        .follow_links(true)
        .sort_by_file_path(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = entry.map_err(|error| LoadError::Walk {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        if is_file && is_manifest_file(entry.path()) {
            // `rolloutify convert .` should name `app.yaml`, not `./app.yaml`.
            let path = entry.into_path();
            let path = match path.strip_prefix(".") {
                Ok(relative) if path.starts_with(".") => relative.to_path_buf(),
                _ => path,
            };
            files.push(path);
        }
    }
    Ok(files)
}
