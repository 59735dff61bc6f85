//! JUnit XML: one test case per checked resource, failing with its error findings (warnings
//! are reported in `system-out`), as CI systems' test views expect.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Report;
use crate::finding::{Finding, Severity};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry other control characters, even escaped.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut cases: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
    for checked in &report.checked {
        cases
            .entry((checked.file.clone(), checked.resource.clone()))
            .or_default();
    }
    for finding in &report.findings {
        cases
            .entry((finding.location.file.clone(), finding.resource.clone()))
            .or_default()
            .push(finding);
    }
    let failures = cases
        .values()
        .filter(|f| f.iter().any(|f| f.severity == Severity::Error))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rolloutify\" tests=\"{}\" failures=\"{failures}\">",
        cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"rolloutify validate\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        cases.len()
    );
    for ((file, resource), findings) in &cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(file),
            escape(resource)
        );
        if findings.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let errors: Vec<&&Finding> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        if let Some(first) = errors.first() {
            let body: Vec<String> = errors.iter().map(|f| f.to_string()).collect();
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&first.message),
                escape(first.rule),
                escape(&body.join("\n"))
            );
        }
        let others: Vec<String> = findings
            .iter()
            .filter(|f| f.severity != Severity::Error)
            .map(|f| f.to_string())
            .collect();
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                escape(&others.join("\n"))
            );
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
