//! References from a Rollout to other resources of the input: its Services must select only
//! labels its pods carry and not be managed by another Rollout, and the AnalysisTemplates it
//! names must exist (their arguments are checked with the templates merged, in
//! `analysis.rs`). Resources that are not in the input may live in the cluster: those are
//! warnings, not errors.

use serde_json::{Map, Value};

use super::at;
use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind};
use crate::load::{Document, FieldPath, Lookup as _};

/// The pod labels of a Rollout: its template's, or those of the Deployment it references.
pub fn pod_labels<'d>(
    index: &Index<'d>,
    rollout: &'d Document,
) -> Option<std::borrow::Cow<'d, Map<String, Value>>> {
    if let Some(name) = rollout.str_at("/spec/workloadRef/name") {
        let deployment = index.find(Kind::Deployment, name, rollout.namespace())?;
        return Some(crate::index::pod_labels(&index.documents[deployment]));
    }
    rollout
        .value
        .lookup("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .map(std::borrow::Cow::Borrowed)
}

/// Where a Rollout names Services.
const SERVICE_FIELDS: [&str; 6] = [
    "/spec/strategy/canary/canaryService",
    "/spec/strategy/canary/stableService",
    "/spec/strategy/canary/pingPong/pingService",
    "/spec/strategy/canary/pingPong/pongService",
    "/spec/strategy/blueGreen/activeService",
    "/spec/strategy/blueGreen/previewService",
];

/// Every Service field of a Rollout, with its path.
fn service_fields(rollout: &Document) -> Vec<(FieldPath, String)> {
    SERVICE_FIELDS
        .iter()
        .filter_map(|pointer| {
            let name = rollout.str_at(pointer).filter(|n| !n.is_empty())?;
            let path = pointer
                .split('/')
                .skip(1)
                .fold(FieldPath::root(), FieldPath::key);
            Some((path, name.to_owned()))
        })
        .collect()
}

/// The AnalysisTemplates a Rollout names: (path of the reference, name, cluster scope).
fn template_references(rollout: &Document) -> Vec<(FieldPath, String, bool)> {
    let mut found = Vec::new();
    // Paths are made only for the analyses that name templates: most steps name none.
    let mut add = |base: &dyn Fn() -> FieldPath, analysis: Option<&Value>| {
        let templates = analysis
            .and_then(|a| a.get("templates"))
            .and_then(Value::as_array);
        for (i, template) in templates.into_iter().flatten().enumerate() {
            if let Some(name) = template.get("templateName").and_then(Value::as_str) {
                let cluster = template
                    .get("clusterScope")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                found.push((
                    base().key("templates").index(i).key("templateName"),
                    name.to_owned(),
                    cluster,
                ));
            }
        }
    };
    let spec = &rollout.value["spec"]["strategy"];
    add(
        &|| FieldPath::parse("spec.strategy.canary.analysis"),
        spec.lookup("/canary/analysis"),
    );
    for (i, step) in spec
        .lookup("/canary/steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        add(
            &|| {
                FieldPath::parse("spec.strategy.canary.steps")
                    .index(i)
                    .key("analysis")
            },
            step.get("analysis"),
        );
    }
    for key in ["prePromotionAnalysis", "postPromotionAnalysis"] {
        add(
            &|| FieldPath::parse("spec.strategy.blueGreen").key(key),
            spec.get("blueGreen").and_then(|b| b.get(key)),
        );
    }
    found
}

pub fn check_rollout(index: &Index, rollout_index: usize, findings: &mut Vec<Finding>) {
    let rollout = &index.documents[rollout_index];
    let labels = pod_labels(index, rollout);
    for (path, name) in service_fields(rollout) {
        let Some(service) = index.find(Kind::Service, &name, rollout.namespace()) else {
            findings.push(
                at(rollout, &path, Severity::Warning, "reference/service-not-found", format!("Service {name:?} is not in the input"))
                    .with_hint("the Service must exist in the cluster before the Rollout; include its file to have it checked"),
            );
            continue;
        };
        let service_document = &index.documents[service];
        // `ValidateService` (validation_references.go:114-118): a Service another Rollout
        // manages cannot be taken over.
        if let Some(owner) = service_document
            .str_at("/metadata/annotations/argo-rollouts.argoproj.io~1managed-by-rollouts")
            && owner != rollout.name()
        {
            findings.push(
                at(
                    rollout,
                    &path,
                    Severity::Error,
                    "reference/service-managed-by-another-rollout",
                    format!("Invalid value: {name:?}: Service {name:?} is managed by another Rollout"),
                )
                .with_hint(format!("Rollout {owner} manages this Service (annotation argo-rollouts.argoproj.io/managed-by-rollouts); give this Rollout Services of its own")),
            );
        }
        let Some(labels) = &labels else { continue };
        let selector = crate::index::service_selector(service_document);
        // The controller skips `rollouts-pod-template-hash`, which it sets on the pods itself
        // (validation_references.go:103-107).
        if let Some((key, _)) = selector
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "rollouts-pod-template-hash")
            .find(|(k, v)| labels.get(*k) != Some(*v))
        {
            findings.push(
                at(
                    rollout,
                    &path,
                    Severity::Error,
                    "reference/service-unmatched-label",
                    format!("Invalid value: {name:?}: Service {name:?} has unmatch label {key:?} in rollout"),
                )
                .with_hint(format!("the Service selects `{key}`, which the Rollout's pod template does not carry with that value; fix the Service's selector or the pod labels")),
            );
        }
    }
    for (path, name, cluster) in template_references(rollout) {
        if find_template(index, rollout, &name, cluster).is_none() {
            findings.push(
                at(
                    rollout,
                    &path,
                    Severity::Warning,
                    "reference/analysis-template-not-found",
                    format!("{} {name:?} is not in the input", if cluster { "ClusterAnalysisTemplate" } else { "AnalysisTemplate" }),
                )
                .with_hint("the template must exist in the cluster before the rollout starts; include its file to have it checked"),
            );
        }
    }
}

/// The AnalysisTemplate (or, with `cluster`, the ClusterAnalysisTemplate) a Rollout names.
pub fn find_template(
    index: &Index,
    rollout: &Document,
    name: &str,
    cluster: bool,
) -> Option<usize> {
    if cluster {
        index
            .of_kind(Kind::ClusterAnalysisTemplate)
            .find(|&t| index.documents[t].name() == name)
    } else {
        index.find(Kind::AnalysisTemplate, name, rollout.namespace())
    }
}
