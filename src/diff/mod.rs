//! Diff: what a conversion changes, as a patch that `git apply` accepts and as a summary a
//! reviewer reads in one glance.

pub mod review;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use similar::{Algorithm, TextDiff};

use crate::convert::{Conversion, Origin};
use crate::emit::FileOutput;
use crate::index::RouteKind;
use crate::load::Document;

/// The path as git shows it: relative to the current directory, with `/` separators.
fn display_path(path: &Path) -> String {
    let relative: PathBuf = match std::env::current_dir() {
        Ok(cwd) if path.is_absolute() => path
            .strip_prefix(&cwd)
            .map_or_else(|_| path.to_path_buf(), Path::to_path_buf),
        _ => path.to_path_buf(),
    };
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map_or(text.clone(), str::to_owned)
}

/// A unified diff, with `diff --git` headers, of every file whose text changes.
pub fn unified(files: &[FileOutput]) -> String {
    let mut out = String::new();
    for file in files.iter().filter(|f| f.changed) {
        let Some(path) = file.path() else { continue };
        let path = display_path(&path);
        let diff = TextDiff::configure()
            .algorithm(Algorithm::Patience)
            .diff_lines(file.source.text.as_str(), file.text.as_str());
        let _ = writeln!(out, "diff --git a/{path} b/{path}");
        let old = if file.created {
            let _ = writeln!(out, "new file mode 100644");
            "/dev/null".to_owned()
        } else {
            format!("a/{path}")
        };
        let _ = write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&old, &format!("b/{path}"))
        );
    }
    out
}

/// The patch with ANSI colours for a terminal: headers bold, hunks cyan, removals red,
/// additions green.
pub fn colored(patch: &str) -> String {
    let mut out = String::with_capacity(patch.len() + patch.len() / 4);
    for line in patch.split_inclusive('\n') {
        let code = if line.starts_with("diff --git")
            || line.starts_with("--- ")
            || line.starts_with("+++ ")
        {
            "1"
        } else if line.starts_with("@@") {
            "36"
        } else if line.starts_with('-') {
            "31"
        } else if line.starts_with('+') {
            "32"
        } else {
            out.push_str(line);
            continue;
        };
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let _ = write!(out, "\u{1b}[{code}m{body}\u{1b}[0m{end}");
    }
    out
}

/// `Kind/namespace/name` of a value, as findings name resources.
pub(crate) fn resource(value: &Value) -> String {
    let kind = value["kind"].as_str().unwrap_or_default();
    let name = value["metadata"]["name"].as_str().unwrap_or_default();
    match value["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// What changed in a rewritten resource, in words.
fn describe_change(before: &Value, after: &Value) -> Vec<String> {
    let mut changes = Vec::new();
    if before["kind"] != after["kind"] {
        changes.push(format!(
            "converted to {}",
            after["kind"].as_str().unwrap_or_default()
        ));
        return changes;
    }
    for kind in RouteKind::ALL {
        let field = kind.field();
        let (Some(old), Some(new)) = (
            before["spec"][field].as_array(),
            after["spec"][field].as_array(),
        ) else {
            continue;
        };
        for (i, (old, new)) in old.iter().zip(new).enumerate() {
            if old != new {
                let name = new["name"]
                    .as_str()
                    .map_or_else(|| format!("#{i}"), |n| format!("`{n}`"));
                changes.push(format!("{field} route {name} split stable/canary"));
            }
        }
    }
    if before["spec"]["subsets"] != after["spec"]["subsets"] {
        changes.push("subsets stable and canary added".to_owned());
    }
    if before["spec"]["scaleTargetRef"] != after["spec"]["scaleTargetRef"] {
        changes.push("now scales the Rollout".to_owned());
    }
    if changes.is_empty() {
        changes.push("changed".to_owned());
    }
    changes
}

/// One line per resource that the conversion adds or changes.
pub fn summary(documents: &[Document], conversion: &Conversion) -> String {
    let mut out = String::new();
    for output in &conversion.outputs {
        match output.origin {
            Origin::Input { changed: false, .. } => {}
            Origin::Input {
                document,
                changed: true,
            } => {
                let before = &documents[document];
                for change in describe_change(&before.value, &output.value) {
                    let _ = writeln!(out, "changed  {}: {change}", before.resource_id());
                }
            }
            Origin::Added { .. } => {
                let _ = writeln!(out, "added    {}", resource(&output.value));
            }
        }
    }
    let _ = writeln!(
        out,
        "{} Deployment(s) converted, {} finding(s)",
        conversion.converted.len(),
        conversion.findings.len()
    );
    out
}
