//! Shared pieces of the integration tests: finding `../shared`, reading its manifests
//! leniently, and the upstream CRD schemas used as oracles.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rolloutify::load::{self, Document, Input, LoadOptions};

/// `../shared` beside the checkout (or where `ROLLOUTIFY_SHARED` says, for a checkout
/// elsewhere), when it is there. Tests that need it skip without it.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ROLLOUTIFY_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: ../shared is absent; skipping");
        None
    }
}

/// Every manifest file under `dir`, sorted.
pub fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if load::is_manifest_file(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The documents of every file under `dir` that loads; files the loader refuses (kustomize
/// patches, non-Kubernetes YAML) are counted and left out.
pub fn load_leniently(dir: &Path) -> (Vec<Document>, usize) {
    let mut documents = Vec::new();
    let mut refused = 0;
    for file in manifest_files(dir) {
        match load::load(&[Input::Path(file)], &LoadOptions::default()) {
            Ok(loaded) => documents.extend(loaded.documents),
            Err(_) => refused += 1,
        }
    }
    (documents, refused)
}

/// The upstream CRD schema (datree CRDs-catalog) for an Argo Rollouts or Istio kind.
pub fn oracle_schema(
    shared: &Path,
    api_version: &str,
    kind: &str,
) -> Option<jsonschema::Validator> {
    let (group, version) = api_version.split_once('/')?;
    let path = shared
        .join("reference/crds-catalog")
        .join(group)
        .join(format!("{}_{version}.json", kind.to_lowercase()));
    let text = std::fs::read_to_string(path).ok()?;
    let schema: serde_json::Value = serde_json::from_str(&text).ok()?;
    jsonschema::validator_for(&schema).ok()
}
