//! SARIF 2.1.0, as GitHub code scanning uploads it: one run, the rules that fired, and one
//! result per finding with its file, line and column.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Report;
use crate::finding::Severity;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A URI for a path as written in the input: relative paths stay relative (to the checkout,
/// `%SRCROOT%`), separators become `/`, and characters URIs cannot hold are escaped.
fn artifact_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &report.findings {
        let next = rules.len();
        rules.entry(finding.rule).or_insert(next);
    }
    let mut ordered: Vec<(&str, usize)> = rules.iter().map(|(k, v)| (*k, *v)).collect();
    ordered.sort_by_key(|(_, i)| *i);
    let rule_objects: Vec<Value> = ordered
        .iter()
        .map(|(id, _)| {
            json!({
                "id": id,
                "name": id.replace(['/', '-'], "_"),
                "shortDescription": { "text": id },
                "helpUri": "https://github.com/rolloutify/rolloutify#rules",
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let mut text = format!("{}: {}", f.resource, f.message);
            if let Some(hint) = &f.hint {
                text.push_str(" (");
                text.push_str(hint);
                text.push(')');
            }
            let uri = artifact_uri(&f.location.file);
            let location = if uri.starts_with('/') {
                json!({ "uri": format!("file://{uri}") })
            } else {
                json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
            };
            json!({
                "ruleId": f.rule,
                "ruleIndex": rules.get(f.rule).copied().unwrap_or(0),
                "level": level,
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": location,
                        "region": {
                            "startLine": f.location.position.line.max(1),
                            "startColumn": f.location.position.column.max(1),
                        }
                    }
                }]
            })
        })
        .collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "rolloutify",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/rolloutify/rolloutify",
                    "rules": rule_objects,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(artifact_uri("./apps/my app.yaml"), "apps/my%20app.yaml");
        assert_eq!(artifact_uri("/abs/x.yaml"), "/abs/x.yaml");
    }
}
