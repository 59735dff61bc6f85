//! Findings for people: `file:line:col: severity: resource [rule] message`, a hint below, and
//! a closing count. Colour only when asked (a terminal without `NO_COLOR`).

use std::fmt::Write as _;

use super::Report;
use crate::finding::Severity;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_owned()
    }
}

pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let severity = match finding.severity {
            Severity::Error => paint("error", "1;31", color),
            Severity::Warning => paint("warning", "1;33", color),
            Severity::Note => paint("note", "1;36", color),
        };
        let _ = writeln!(
            out,
            "{}: {severity}: {} [{}] {}",
            paint(&finding.location.to_string(), "1", color),
            finding.resource,
            finding.rule,
            finding.message
        );
        if let Some(hint) = &finding.hint {
            let _ = writeln!(out, "  {}: {hint}", paint("hint", "36", color));
        }
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let _ = write!(
        out,
        "{} resource(s) checked: {errors} error(s), {warnings} warning(s)",
        report.checked.len()
    );
    if !report.skipped.is_empty() {
        let mut kinds: Vec<&str> = report
            .skipped
            .iter()
            .filter_map(|c| c.resource.split('/').next())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        let _ = write!(
            out,
            "; {} without a schema ({})",
            report.skipped.len(),
            kinds.join(", ")
        );
    }
    out.push('\n');
    out
}
