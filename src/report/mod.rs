//! Reports: findings in the formats their consumers read — people (text), programs (json),
//! CI test views (junit), code scanning (sarif), and GitHub Actions annotations (github).

mod github;
mod json;
mod junit;
mod sarif;
mod text;

use crate::finding::{Finding, Severity};

/// A resource that was checked, so that clean resources show up in test reports too.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Checked {
    pub file: String,
    pub resource: String,
}

/// What a run found, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub checked: Vec<Checked>,
    /// Resources of kinds without a schema: their rules ran, their fields were not checked.
    pub skipped: Vec<Checked>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Makes every warning an error (`--warnings-as-errors`), keeping the findings sorted.
    pub fn promote_warnings(&mut self) {
        for finding in &mut self.findings {
            if finding.severity == Severity::Warning {
                finding.severity = Severity::Error;
            }
        }
        self.findings.sort();
        self.findings.dedup();
    }
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text { color: bool },
    Json,
    Junit,
    Sarif,
    Github,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text { color } => text::render(report, color),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
    }
}
