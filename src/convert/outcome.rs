//! Per-app outcome: an app that cannot be converted safely is left as it was, and the rest
//! of the input is converted.
//!
//! An app is left when converting it fails ([`ConvertError`]) or when its converted output
//! would not pass the check the caller gives (the controller's and Istio's rules, see
//! `validate::check_conversion`). The documents a failing finding is about lead to the apps
//! that wrote them: a Rollout or a new resource to the app it was made for, a rewritten
//! VirtualService, DestinationRule or autoscaler to every app that uses it (the reading that
//! cannot misroute traffic: a shared document that fails leaves all its apps). The input is
//! converted again without those apps, until the output passes; each round leaves at least
//! one more app, so it ends.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::{Conversion, ConvertError, Origin, TemplateMemo, attempt};
use crate::finding::{Finding, Severity};
use crate::index::Index;
use crate::load::{Document, FieldPath};
use crate::plan::{self, ConvertOptions};

/// A Deployment planned for conversion and left as it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Left {
    /// Its document index.
    pub deployment: usize,
    /// `Deployment/namespace/name`.
    pub resource: String,
    /// Why, in a few words (for the summary line).
    pub reason: &'static str,
    /// Error: the run exits 1 (after writing the others).
    pub severity: Severity,
}

/// Why an app was left, as collected over the rounds.
struct Refusal {
    reason: &'static str,
    /// What to print about it: the app's own findings of the round that refused it, the
    /// failing checks, and the refusal itself.
    findings: Vec<Finding>,
}

/// Converts `documents` as [`super::convert_with`] does, leaving each app that fails to
/// convert or whose output `check` refuses (it returns the errors) as it was. The findings
/// of the result end with those about the apps left, app by app; [`Conversion::left`] lists
/// them. `Err` only when no plan can be made (a setting, a Deployment without a name).
pub fn convert_checked(
    documents: &[Document],
    options: &ConvertOptions,
    memo: &TemplateMemo,
    check: impl Fn(&Conversion) -> Vec<Finding>,
) -> Result<Conversion, ConvertError> {
    let mut refused: BTreeMap<usize, Refusal> = BTreeMap::new();
    // Each failing check is printed once, under the first app it leaves.
    let mut reported: HashSet<String> = HashSet::new();
    loop {
        let left: BTreeSet<usize> = refused.keys().copied().collect();
        match attempt(documents, options, memo, &left)? {
            Err(errors) => {
                for (deployment, error) in errors {
                    refused.insert(deployment, cannot_convert(&documents[deployment], &error));
                }
            }
            Ok(mut conversion) => {
                let invalid = check(&conversion);
                if invalid.is_empty() {
                    finish(&mut conversion, documents, refused);
                    return Ok(conversion);
                }
                let mut culprits = culprits(documents, options, &left, &conversion, &invalid);
                if culprits.is_empty() {
                    // Nothing leads to an app: leave every app converted in this round.
                    culprits = conversion
                        .converted_deployments
                        .iter()
                        .map(|&d| (d, invalid.clone()))
                        .collect();
                }
                for (deployment, failing) in culprits {
                    let mut findings: Vec<Finding> = conversion
                        .finding_order
                        .iter()
                        .zip(&conversion.findings)
                        .filter(|(order, _)| **order == (1, deployment))
                        .map(|(_, finding)| finding.clone())
                        .collect();
                    let count = failing.len();
                    findings.extend(
                        failing
                            .into_iter()
                            .filter(|f| reported.insert(f.to_string())),
                    );
                    findings.push(invalid_output(&documents[deployment], count));
                    refused.insert(
                        deployment,
                        Refusal {
                            reason: "its output would not pass validation",
                            findings,
                        },
                    );
                }
            }
        }
    }
}

/// The apps (by Deployment document index) behind the failing findings, each with the
/// findings that lead to it.
fn culprits(
    documents: &[Document],
    options: &ConvertOptions,
    left: &BTreeSet<usize>,
    conversion: &Conversion,
    invalid: &[Finding],
) -> BTreeMap<usize, Vec<Finding>> {
    // Which apps each input document is written by.
    let index = Index::new(documents, &options.scope);
    let mut writers: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    if let Ok(plan) = plan::plan(&index, options) {
        for planned in plan
            .apps
            .iter()
            .filter(|a| !left.contains(&a.app.deployment))
        {
            let app = &planned.app;
            let deployment = app.deployment;
            let touched = std::iter::once(deployment)
                .chain(app.routes.iter().map(|r| r.virtual_service))
                .chain(app.destination_rules.iter().copied())
                .chain(app.autoscalers.iter().copied());
            for document in touched {
                let apps = writers.entry(document).or_default();
                if !apps.contains(&deployment) {
                    apps.push(deployment);
                }
            }
        }
    }
    let mut found: BTreeMap<usize, Vec<Finding>> = BTreeMap::new();
    for finding in invalid {
        for output in &conversion.outputs {
            if matches!(output.origin, Origin::Input { changed: false, .. })
                || resource_id(&output.value) != finding.resource
            {
                continue;
            }
            let (Origin::Input { document, .. } | Origin::Added { after: document }) =
                output.origin;
            for &app in writers.get(&document).into_iter().flatten() {
                let findings = found.entry(app).or_default();
                if !findings.contains(finding) {
                    findings.push(finding.clone());
                }
            }
        }
    }
    found
}

/// `Kind/namespace/name` of a value, as [`Document::resource_id`] gives it.
fn resource_id(value: &Value) -> String {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str);
    let kind = text("/kind").unwrap_or_default();
    let name = text("/metadata/name").unwrap_or_default();
    match text("/metadata/namespace").filter(|ns| !ns.is_empty()) {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// The findings about an app whose conversion failed.
fn cannot_convert(deployment: &Document, error: &ConvertError) -> Refusal {
    let location = match error {
        ConvertError::MissingField { location, .. } | ConvertError::WrongType { location, .. } => {
            location.clone()
        }
        ConvertError::Plan(_) => deployment.location(&FieldPath::root()),
        ConvertError::Duplicate { location, .. } => location.clone(),
    };
    let message = match error {
        ConvertError::MissingField { field, .. } => format!("has no `{field}`"),
        ConvertError::WrongType {
            field, expected, ..
        } => format!("`{field}` must be {expected}"),
        ConvertError::Plan(error) => error.to_string(),
        ConvertError::Duplicate { duplicate, .. } => {
            format!("it uses {duplicate}, which is defined twice in the input")
        }
    };
    let finding = Finding {
        location,
        severity: Severity::Error,
        rule: "convert/cannot-convert",
        resource: deployment.resource_id(),
        message: format!("not converted, left as it was: {message}"),
        hint: Some(format!(
            "{}; or leave the app out with the annotation rolloutify.io/convert: \"false\"",
            error.hint()
        )),
        field: String::new(),
    };
    Refusal {
        reason: match error {
            ConvertError::Duplicate { .. } => "an object it uses is defined twice",
            _ => "it cannot be converted",
        },
        findings: vec![finding],
    }
}

/// The finding that says an app was left because its output would not pass.
fn invalid_output(deployment: &Document, errors: usize) -> Finding {
    Finding::at(
        deployment,
        &FieldPath::root().key("metadata").key("name"),
        Severity::Error,
        "convert/invalid-output",
        format!(
            "not converted, left as it was: its converted output would not pass validation ({errors} error(s) above)"
        ),
    )
    .with_hint(
        "fix the input or the settings named above (rolloutify validate shows the same checks), or leave the app out with the annotation rolloutify.io/convert: \"false\"",
    )
}

/// Adds the apps left, and what to say about them, to the final round's conversion.
fn finish(conversion: &mut Conversion, documents: &[Document], refused: BTreeMap<usize, Refusal>) {
    for (deployment, refusal) in refused {
        let findings = refusal.findings.len();
        conversion.findings.extend(refusal.findings);
        conversion
            .finding_order
            .extend(std::iter::repeat_n((1, deployment), findings));
        conversion.left.push(Left {
            deployment,
            resource: documents[deployment].resource_id(),
            reason: refusal.reason,
            severity: Severity::Error,
        });
    }
}

/// Where a finding about the whole of `deployment` points, for tests.
#[cfg(test)]
fn at_name(deployment: &Document) -> crate::load::Location {
    deployment.location(&FieldPath::root().key("metadata").key("name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};

    const GOOD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: good, annotations: {rolloutify.io/convert: \"true\"}}\nspec:\n  selector: {matchLabels: {app: good}}\n  template:\n    metadata: {labels: {app: good}}\n    spec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: good}\nspec:\n  selector: {app: good}\n  ports: [{port: 80}]\n";

    const NO_SELECTOR: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad, annotations: {rolloutify.io/convert: \"true\"}}\nspec:\n  template:\n    metadata: {labels: {app: bad}}\n    spec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  selector: {app: bad}\n  ports: [{port: 80}]\n";

    // Neither app has a VirtualService: the annotation makes them candidates.
    fn converted(text: &str, check: impl Fn(&Conversion) -> Vec<Finding>) -> Conversion {
        let loaded = load_text("apps.yaml", text, &Limits::default()).expect("loads");
        convert_checked(
            &loaded.documents,
            &ConvertOptions::default(),
            &TemplateMemo::default(),
            check,
        )
        .expect("plans")
    }

    #[test]
    fn an_app_that_cannot_be_converted_is_left_and_the_others_are_converted() {
        let conversion = converted(&format!("{GOOD}{NO_SELECTOR}"), |_| Vec::new());
        assert_eq!(conversion.converted, ["Deployment/good"]);
        let left: Vec<&str> = conversion
            .left
            .iter()
            .map(|l| l.resource.as_str())
            .collect();
        assert_eq!(left, ["Deployment/bad"]);
        let last = conversion.findings.last().expect("a finding");
        assert_eq!(last.rule, "convert/cannot-convert");
        assert_eq!(last.severity, Severity::Error);
        assert!(last.message.contains("spec.selector"), "{last}");
        // The bad Deployment comes out as it went in.
        assert!(
            conversion
                .outputs
                .iter()
                .any(|o| o.value["kind"] == "Deployment" && o.value["metadata"]["name"] == "bad")
        );
    }

    #[test]
    fn an_app_whose_output_fails_the_check_is_left_with_the_failing_findings() {
        // A check that refuses any Rollout named `good`, pointing at the Rollout.
        let loaded = load_text("apps.yaml", GOOD, &Limits::default()).expect("loads");
        let failing = Finding {
            location: at_name(&loaded.documents[0]),
            severity: Severity::Error,
            rule: "rollout/test",
            resource: "Rollout/good".to_owned(),
            message: "refused".to_owned(),
            hint: None,
            field: String::new(),
        };
        let conversion = converted(GOOD, |conversion| {
            if conversion.converted.is_empty() {
                Vec::new()
            } else {
                vec![failing.clone()]
            }
        });
        assert!(conversion.converted.is_empty());
        assert_eq!(conversion.left.len(), 1);
        let rules: Vec<&str> = conversion.findings.iter().map(|f| f.rule).collect();
        assert!(
            rules.ends_with(&["rollout/test", "convert/invalid-output"]),
            "{rules:?}"
        );
        assert!(
            conversion
                .outputs
                .iter()
                .all(|o| matches!(o.origin, Origin::Input { changed: false, .. }))
        );
    }

    #[test]
    fn the_resource_id_of_a_value_is_the_one_of_its_document() {
        let loaded = load_text("apps.yaml", GOOD, &Limits::default()).expect("loads");
        for document in &loaded.documents {
            assert_eq!(resource_id(&document.value), document.resource_id());
        }
    }
}
