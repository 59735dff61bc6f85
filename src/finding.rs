//! Findings: what a conversion or a validation has to tell the user about a resource.

use std::fmt;

use crate::load::{Document, FieldPath, Location};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    /// Worth knowing; nothing to fix.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// One thing to tell the user, tied to a resource and the place it was written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub location: Location,
    pub severity: Severity,
    /// Stable identifier of the rule or situation (`convert/shared-service`).
    pub rule: &'static str,
    /// `Kind/namespace/name`.
    pub resource: String,
    pub message: String,
    pub hint: Option<String>,
    /// The field at fault, dotted (`spec.strategy.canary.steps[0]`); empty for the whole
    /// object.
    pub field: String,
}

impl Finding {
    /// A finding about the node at `path` of `document`.
    pub fn at(
        document: &Document,
        path: &FieldPath,
        severity: Severity,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            location: document.location(path),
            severity,
            rule,
            resource: document.resource_id(),
            message: message.into(),
            hint: None,
            field: path.to_string(),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {} [{}] {}",
            self.location, self.severity, self.resource, self.rule, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}
