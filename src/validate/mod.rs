//! Validate: what the Argo Rollouts controller and Istio would refuse or get wrong, found
//! offline — the controller's own rules for Rollouts, the Istio router's rules for the
//! VirtualServices and DestinationRules a Rollout names, references between the resources of
//! the input, analysis metrics, and the migration mistakes rolloutify knows about.
//!
//! Every finding has a stable rule id, the resource, and the `file:line:column` of the field
//! at fault. Messages use the controller's wording where it has one.

mod analysis;
pub mod condition;
mod istio;
mod measure;
mod migration;
pub mod promql;
mod references;
mod rollout;
pub mod schema;
pub mod user_schema;
mod value;

pub use measure::DEFAULT_CONSECUTIVE_ERROR_LIMIT;

use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind};
use crate::load::{Document, FieldPath};
use crate::report::{Checked, Report};

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Kinds (`Kind` or `apiVersion/Kind`) to leave out entirely.
    pub skip: Vec<String>,
    /// Kinds without a schema are errors instead of being skipped.
    pub require_schemas: bool,
    /// Schemas the user gave (`--crd`, `--schema-location`); they win over the bundled ones.
    pub user_schemas: std::sync::Arc<user_schema::UserSchemas>,
    /// The cluster domain and the namespace of documents that name none (`--cluster-domain`,
    /// `-n`).
    pub scope: crate::index::host::Scope,
}

impl ValidateOptions {
    fn skips(&self, document: &Document) -> bool {
        self.skip.iter().any(|s| {
            s == document.kind() || *s == format!("{}/{}", document.api_version(), document.kind())
        })
    }
}

/// Checks every document and the references between them.
pub fn validate(documents: &[Document], options: &ValidateOptions) -> Report {
    validate_selected(documents, options, None)
}

/// Checks the documents `selected` marks (all when `None`), with every document available
/// as a reference.
fn validate_selected(
    documents: &[Document],
    options: &ValidateOptions,
    selected: Option<&[bool]>,
) -> Report {
    let (per_document, findings) = check_selected(documents, options, selected);
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    for (i, has_schema) in per_document {
        let document = &documents[i];
        let entry = Checked {
            file: document.source.name(),
            resource: document.resource_id(),
        };
        if !has_schema && !options.require_schemas {
            skipped.push(entry.clone());
        }
        checked.push(entry);
    }
    checked.sort();
    skipped.sort();
    Report {
        findings,
        checked,
        skipped,
    }
}

/// The findings of the documents `selected` marks (all when `None`), sorted, with every
/// document available as a reference; and which documents were checked, each with whether
/// it had a schema.
fn check_selected(
    documents: &[Document],
    options: &ValidateOptions,
    selected: Option<&[bool]>,
) -> (Vec<(usize, bool)>, Vec<Finding>) {
    let index = Index::new(documents, &options.scope);
    let skips = |i: usize, document: &Document| {
        options.skips(document) || selected.is_some_and(|s| !s.get(i).copied().unwrap_or(false))
    };
    // Every document is checked on its own (the index is shared, read-only): use every core.
    let per_document: Vec<Option<(usize, bool, Vec<Finding>)>> = {
        use rayon::prelude::*;
        documents
            .par_iter()
            // A few documents (a part of a tree) are not worth handing to another thread.
            .with_min_len(32)
            .enumerate()
            .map(|(i, document)| {
                if skips(i, document) {
                    return None;
                }
                let (has_schema, findings) = check_document(&index, i, options);
                Some((i, has_schema, findings))
            })
            .collect()
    };
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    for (i, has_schema, document_findings) in per_document.into_iter().flatten() {
        checked.push((i, has_schema));
        findings.extend(document_findings);
    }
    migration::check(&index, &mut findings);
    // A whole input: the same object twice. (A conversion's output holds what its input
    // held: convert reports the input's.)
    if selected.is_none() {
        findings.extend(
            crate::index::duplicates::find(documents)
                .into_iter()
                .map(|duplicate| crate::index::duplicates::finding(documents, duplicate)),
        );
    }
    // Findings about a skipped document go too (the rules across resources report on it):
    // matched by the resource and its file, since a finding knows its kind but not its
    // apiVersion.
    let skipped: std::collections::HashSet<(String, String)> = documents
        .iter()
        .filter(|d| options.skips(d))
        .map(|d| (d.source.name(), d.resource_id()))
        .collect();
    findings.retain(|f| {
        !options
            .skip
            .iter()
            .any(|s| f.resource.starts_with(&format!("{s}/")))
            && (skipped.is_empty()
                || !skipped.contains(&(f.location.file.clone(), f.resource.clone())))
    });
    findings.sort();
    findings.dedup();
    (checked, findings)
}

/// The findings of one document: its schema (and whether it has one), its name, and the
/// rules of its kind.
fn check_document(index: &Index, i: usize, options: &ValidateOptions) -> (bool, Vec<Finding>) {
    let document = &index.documents[i];
    let mut findings = Vec::new();
    let schema_findings = options
        .user_schemas
        .check(document)
        .or_else(|| schema::check(document));
    let has_schema = schema_findings.is_some();
    match schema_findings {
        Some(schema_findings) => findings.extend(schema_findings),
        None if options.require_schemas => findings.push(
            Finding::at(
                document,
                &FieldPath::root().key("kind"),
                Severity::Error,
                "schema/missing",
                format!(
                    "no schema for {} {}",
                    document.api_version(),
                    document.kind()
                ),
            )
            .with_hint("skip the kind with --skip, or drop --require-schemas"),
        ),
        None => {}
    }
    if document.name().is_empty()
        && document
            .str_at("/metadata/generateName")
            .is_none_or(str::is_empty)
    {
        findings.push(
            Finding::at(
                document,
                &FieldPath::parse("metadata.name"),
                Severity::Error,
                "object/missing-name",
                "metadata.name: Required value: name or generateName is required",
            )
            .with_hint("give the object a name; kubectl refuses objects without one"),
        );
    }
    match index.kind(i) {
        Kind::Rollout => {
            rollout::check(document, &mut findings);
            references::check_rollout(index, i, &mut findings);
            istio::check_rollout(index, i, &mut findings);
            analysis::check_rollout(index, i, &mut findings);
        }
        Kind::AnalysisTemplate | Kind::ClusterAnalysisTemplate => {
            analysis::check_template(document, &mut findings);
        }
        Kind::VirtualService => istio::check_weights(document, &mut findings),
        Kind::DestinationRule => istio::check_destination_rule_subsets(document, &mut findings),
        _ => {}
    }
    (has_schema, findings)
}

/// A finding in the controller's form: `path: message`, located at `path`.
fn at(
    document: &Document,
    path: &FieldPath,
    severity: Severity,
    rule: &'static str,
    message: impl std::fmt::Display,
) -> Finding {
    Finding::at(document, path, severity, rule, format!("{path}: {message}"))
}

/// Validates what a conversion would write, and returns the errors on the resources it adds
/// or changes (problems the input already had are the input's). Convert refuses to write
/// output with errors. Findings point into the input: at the same field of the document a
/// resource came from, or at the Deployment a new resource was made for.
pub fn check_conversion(
    documents: &[Document],
    conversion: &crate::convert::Conversion,
) -> Vec<Finding> {
    check_conversion_except(documents, conversion, |_| false)
}

/// [`check_conversion`], taking the resources `known` accepts as checked already: they are
/// not checked on their own again, though the others are checked against them. For
/// resources whose own checks depend on them alone (an AnalysisTemplate): the same template,
/// made again for another part of a tree, passes as it did the first time.
pub fn check_conversion_except(
    documents: &[Document],
    conversion: &crate::convert::Conversion,
    known: impl Fn(&crate::convert::Output) -> bool,
) -> Vec<Finding> {
    use crate::convert::Origin;
    let converted = converted_documents(documents, conversion);
    let changed: Vec<bool> = conversion
        .outputs
        .iter()
        .map(|output| !matches!(output.origin, Origin::Input { changed: false, .. }))
        .collect();
    let selected: Vec<bool> = conversion
        .outputs
        .iter()
        .zip(&changed)
        .map(|(output, changed)| *changed && !known(output))
        .collect();
    let mut errors: Vec<Finding> =
        check_selected(&converted, &ValidateOptions::default(), Some(&selected))
            .1
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
    if errors.is_empty() {
        return errors;
    }
    let touched: std::collections::HashSet<String> = converted
        .iter()
        .zip(&changed)
        .filter(|(_, changed)| **changed)
        .map(|(document, _)| document.resource_id())
        .collect();
    errors.retain(|f| touched.contains(&f.resource));
    errors
}

/// The outputs of a conversion as documents that point into the input: at the document a
/// resource came from, or at the Deployment a new resource was made for.
pub fn converted_documents(
    documents: &[Document],
    conversion: &crate::convert::Conversion,
) -> Vec<Document> {
    use crate::convert::Origin;
    conversion
        .outputs
        .iter()
        .filter_map(|output| {
            let (from, spans) = match output.origin {
                Origin::Input { document, .. } => {
                    let from = documents.get(document)?;
                    (from, std::sync::Arc::clone(&from.spans))
                }
                Origin::Added { after } => {
                    let from = documents.get(after)?;
                    (
                        from,
                        std::sync::Arc::new(crate::load::SpanTree::Scalar(from.spans.position())),
                    )
                }
            };
            Some(Document {
                source: std::sync::Arc::clone(&from.source),
                index: from.index,
                item: from.item,
                start_line: from.start_line,
                value: output.value.clone(),
                spans,
            })
        })
        .collect()
}
