//! What a reviewer reads: RFC 6902 operations per resource, and a pull-request comment in
//! Markdown. Both mask the values of Secrets, which must not land in a PR thread.

use std::fmt::Write as _;

use serde_json::{Value, json};
use similar::{Algorithm, TextDiff};

use super::resource;
use crate::convert::{Conversion, Origin};
use crate::emit::yaml;
use crate::load::Document;

/// GitHub refuses comments longer than this.
pub const COMMENT_LIMIT: usize = 65_536;

const MASK: &str = "********";

/// A copy of `value` with the data of a Secret replaced by a mask.
fn masked(value: &Value) -> Value {
    if value.get("kind").and_then(Value::as_str) != Some("Secret") {
        return value.clone();
    }
    let mut copy = value.clone();
    for field in ["data", "stringData"] {
        if let Some(map) = copy.get_mut(field).and_then(Value::as_object_mut) {
            for entry in map.values_mut() {
                *entry = Value::String(MASK.to_owned());
            }
        }
    }
    copy
}

/// Each changed or added resource as `(file, resource, before, after)`; `before` is `None`
/// for new resources.
fn changes<'a>(
    documents: &'a [Document],
    conversion: &'a Conversion,
) -> Vec<(String, String, Option<Value>, Value)> {
    conversion
        .outputs
        .iter()
        .filter_map(|output| match output.origin {
            Origin::Input { changed: false, .. } => None,
            Origin::Input {
                document,
                changed: true,
            } => {
                let doc = &documents[document];
                Some((
                    doc.source.name(),
                    doc.resource_id(),
                    Some(masked(&doc.value)),
                    masked(&output.value),
                ))
            }
            Origin::Added { after } => Some((
                documents[after].source.name(),
                resource(&output.value),
                None,
                masked(&output.value),
            )),
        })
        .collect()
}

/// RFC 6902 operations that turn each resource into its converted form (a new resource is
/// one `add` of the whole object).
pub fn json_patch(documents: &[Document], conversion: &Conversion) -> String {
    let entries: Vec<Value> = changes(documents, conversion)
        .into_iter()
        .map(|(file, resource, before, after)| {
            let operations = match before {
                Some(before) => {
                    serde_json::to_value(json_patch::diff(&before, &after)).unwrap_or_default()
                }
                None => json!([{ "op": "add", "path": "", "value": after }]),
            };
            json!({ "file": file, "resource": resource, "operations": operations })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&entries).unwrap_or_default();
    text.push('\n');
    text
}

fn yaml_text(value: &Value) -> String {
    let mut out = String::new();
    yaml::write_document(&mut out, value);
    out
}

/// A pull-request comment: a summary table, then one collapsed diff per resource. Stays under
/// GitHub's limit and says what it left out.
pub fn markdown(documents: &[Document], conversion: &Conversion) -> String {
    let changes = changes(documents, conversion);
    let mut out = String::from("### rolloutify: Deployments to Argo Rollouts\n\n");
    let _ = writeln!(
        out,
        "{} Deployment(s) converted; {} resource(s) changed or added.\n",
        conversion.converted.len(),
        changes.len()
    );
    out.push_str("| resource | change | file |\n| --- | --- | --- |\n");
    for (row, (file, resource, before, after)) in changes.iter().enumerate() {
        // The table may take half the comment; the diffs get the rest.
        if out.len() > COMMENT_LIMIT / 2 {
            let _ = writeln!(out, "| _{} more_ | | |", changes.len() - row);
            break;
        }
        let change = match before {
            None => "added".to_owned(),
            Some(before) if before["kind"] != after["kind"] => format!(
                "converted to {}",
                after["kind"].as_str().unwrap_or_default()
            ),
            Some(_) => "changed".to_owned(),
        };
        let _ = writeln!(out, "| `{resource}` | {change} | `{file}` |");
    }
    let warnings: Vec<String> = conversion
        .findings
        .iter()
        .filter(|f| f.severity != crate::finding::Severity::Note)
        .map(|f| {
            format!(
                "- **{}** `{}` {}: {}",
                f.severity, f.location, f.resource, f.message
            )
        })
        .collect();
    if !warnings.is_empty() {
        out.push_str("\n#### Findings\n\n");
        for line in &warnings {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    let mut left_out = 0;
    for (i, (_, resource, before, after)) in changes.iter().enumerate() {
        let old = before.as_ref().map(yaml_text).unwrap_or_default();
        let new = yaml_text(after);
        let diff = TextDiff::configure()
            .algorithm(Algorithm::Patience)
            .diff_lines(&old, &new);
        let body = diff.unified_diff().context_radius(3).to_string();
        let section = format!(
            "<details><summary><code>{resource}</code></summary>\n\n```diff\n{body}```\n\n</details>\n\n"
        );
        let note_room = 200;
        if out.len() + section.len() + note_room > COMMENT_LIMIT {
            left_out = changes.len() - i;
            break;
        }
        out.push_str(&section);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "_{left_out} more resource diff(s) left out to stay under GitHub's {COMMENT_LIMIT}-character limit; run `rolloutify diff` locally for all of them._"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let secret = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "t"}});
        let out = masked(&secret);
        assert_eq!(out["data"]["password"], MASK);
        assert_eq!(out["stringData"]["token"], MASK);
        let map = json!({"kind": "ConfigMap", "data": {"a": "b"}});
        assert_eq!(masked(&map), map);
    }
}
