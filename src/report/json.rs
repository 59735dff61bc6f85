//! Findings as a JSON document for programs.

use serde_json::{Value, json};

use super::Report;

pub fn render(report: &Report) -> String {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule,
                "severity": f.severity.to_string(),
                "resource": f.resource,
                "file": f.location.file,
                "line": f.location.position.line,
                "column": f.location.position.column,
                "field": f.field,
                "message": f.message,
                "hint": f.hint,
            })
        })
        .collect();
    let document = json!({
        "findings": findings,
        "checked": report.checked.len(),
        "skipped": report.skipped.iter().map(|c| json!({"file": c.file, "resource": c.resource})).collect::<Vec<_>>(),
        "errors": report.count(crate::finding::Severity::Error),
        "warnings": report.count(crate::finding::Severity::Warning),
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
