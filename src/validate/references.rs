//! References from a Rollout to other resources of the input: its Services must select only
//! labels its pods carry, and the AnalysisTemplates it names must exist and get their
//! arguments. Resources that are not in the input may live in the cluster: those are
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
pub fn template_references(rollout: &Document) -> Vec<(FieldPath, String, bool, bool)> {
    let mut found = Vec::new();
    // Paths are made only for the analyses that name templates: most steps name none.
    let mut add = |base: &dyn Fn() -> FieldPath, analysis: Option<&Value>, in_step: bool| {
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
                    in_step,
                ));
            }
        }
    };
    let spec = &rollout.value["spec"]["strategy"];
    add(
        &|| FieldPath::parse("spec.strategy.canary.analysis"),
        spec.lookup("/canary/analysis"),
        false,
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
            true,
        );
    }
    for key in ["prePromotionAnalysis", "postPromotionAnalysis"] {
        add(
            &|| FieldPath::parse("spec.strategy.blueGreen").key(key),
            spec.get("blueGreen").and_then(|b| b.get(key)),
            true,
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
        let Some(labels) = &labels else { continue };
        let selector = crate::index::service_selector(&index.documents[service]);
        if let Some((key, _)) = selector
            .into_iter()
            .flatten()
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
    for (path, name, cluster, _) in template_references(rollout) {
        let kind = if cluster {
            Kind::ClusterAnalysisTemplate
        } else {
            Kind::AnalysisTemplate
        };
        let namespace = if cluster { None } else { rollout.namespace() };
        let found = if cluster {
            index
                .of_kind(kind)
                .find(|&t| index.documents[t].name() == name)
        } else {
            index.find(kind, &name, namespace)
        };
        let Some(template) = found else {
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
            continue;
        };
        check_arguments(rollout, &path, &index.documents[template], findings);
    }
}

/// Template arguments without a default must be passed by the Rollout.
fn check_arguments(
    rollout: &Document,
    reference: &FieldPath,
    template: &Document,
    findings: &mut Vec<Finding>,
) {
    // The args sit next to `templates` in the same analysis block.
    let mut analysis_path = reference.clone();
    analysis_path
        .0
        .truncate(analysis_path.0.len().saturating_sub(3));
    let pointer: String = analysis_path
        .0
        .iter()
        .map(|s| match s {
            crate::load::PathSegment::Key(k) => format!("/{k}"),
            crate::load::PathSegment::Index(i) => format!("/{i}"),
        })
        .collect();
    let passed: Vec<&str> = rollout
        .value
        .lookup(&format!("{pointer}/args"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("name").and_then(Value::as_str))
        .collect();
    let declared = template
        .value
        .lookup("/spec/args")
        .and_then(Value::as_array);
    for arg in declared.into_iter().flatten() {
        let Some(name) = arg.get("name").and_then(Value::as_str) else {
            continue;
        };
        let has_default = arg.get("value").is_some_and(|v| !v.is_null())
            || arg.get("valueFrom").is_some_and(|v| !v.is_null());
        if !has_default && !passed.contains(&name) {
            findings.push(
                at(
                    rollout,
                    &analysis_path,
                    Severity::Error,
                    "reference/analysis-arg-missing",
                    format!("args.{name} was not resolved: AnalysisTemplate {:?} needs it and the Rollout does not pass it", template.name()),
                )
                .with_hint(format!("add `- name: {name}` with a value or valueFrom to the args of this analysis")),
            );
        }
    }
}
