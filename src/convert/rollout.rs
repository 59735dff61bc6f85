//! The Rollout that takes a Deployment's place (or, in workload-ref mode, points at it).

use serde_json::{Map, Value, json};

use super::ConvertError;
use super::object;
use crate::finding::{Finding, Severity};
use crate::load::{Document, FieldPath, Lookup as _};
use crate::plan::settings::{Mode, Settings};

/// Metadata the API server fills in; it must not be copied into a new object.
const SERVER_METADATA: [&str; 7] = [
    "creationTimestamp",
    "uid",
    "resourceVersion",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
];

/// Annotations written by controllers or kubectl about the old object.
const SERVER_ANNOTATIONS: [&str; 2] = [
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// Fields of a Deployment spec that mean the same in a Rollout spec.
const CARRIED_SPEC_FIELDS: [&str; 4] = [
    "minReadySeconds",
    "revisionHistoryLimit",
    "progressDeadlineSeconds",
    "paused",
];

/// The metadata of a Deployment without what the server populated.
pub fn clean_metadata(metadata: Option<&Value>) -> Value {
    let mut metadata = metadata.cloned().unwrap_or_else(|| json!({}));
    if let Some(map) = metadata.as_object_mut() {
        for key in SERVER_METADATA {
            object::remove(map, key);
        }
        if let Some(annotations) = map.get_mut("annotations").and_then(Value::as_object_mut) {
            for key in SERVER_ANNOTATIONS {
                object::remove(annotations, key);
            }
        }
        if map
            .get("annotations")
            .is_some_and(|a| a.as_object().is_some_and(Map::is_empty))
        {
            object::remove(map, "annotations");
        }
    }
    metadata
}

/// The Rollout spec's `selector`: the Deployment's, or (for the old extensions/v1beta1 and
/// apps/v1beta1 APIs, which defaulted it) one built from the template labels.
fn selector(deployment: &Document, findings: &mut Vec<Finding>) -> Result<Value, ConvertError> {
    match deployment.value.lookup("/spec/selector") {
        Some(selector) if selector.is_object() => return Ok(selector.clone()),
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(ConvertError::WrongType {
                location: deployment.location(&FieldPath::parse("spec.selector")),
                document: deployment.index + 1,
                resource: deployment.resource_id(),
                field: "spec.selector",
                expected: "a mapping (matchLabels, matchExpressions)",
            });
        }
    }
    let labels = deployment.value.lookup("/spec/template/metadata/labels");
    let legacy = matches!(
        deployment.api_version(),
        "extensions/v1beta1" | "apps/v1beta1"
    );
    match labels {
        Some(labels) if legacy && labels.as_object().is_some_and(|l| !l.is_empty()) => {
            findings.push(Finding::at(
                deployment,
                &FieldPath::root().key("spec"),
                Severity::Note,
                "convert/selector-defaulted",
                format!(
                    "{} defaulted the selector to the pod labels; the Rollout states it",
                    deployment.api_version()
                ),
            ));
            Ok(object::object([("matchLabels", labels.clone())]))
        }
        _ => Err(ConvertError::MissingField {
            location: deployment.location(&FieldPath::root().key("spec")),
            document: deployment.index + 1,
            resource: deployment.resource_id(),
            field: "spec.selector",
        }),
    }
}

/// The pod template for a Rollout: the Deployment's, unchanged, except that the Rollout CRD
/// only allows `labels` and `annotations` in its metadata.
fn pod_template(deployment: &Document, findings: &mut Vec<Finding>) -> Result<Value, ConvertError> {
    let Some(template) = deployment
        .value
        .lookup("/spec/template")
        .filter(|t| t.is_object())
    else {
        return Err(ConvertError::MissingField {
            location: deployment.location(&FieldPath::root().key("spec")),
            document: deployment.index + 1,
            resource: deployment.resource_id(),
            field: "spec.template",
        });
    };
    let mut template = template.clone();
    if let Some(metadata) = template.get_mut("metadata").and_then(Value::as_object_mut) {
        let dropped: Vec<String> = metadata
            .keys()
            .filter(|k| !matches!(k.as_str(), "labels" | "annotations"))
            .cloned()
            .collect();
        for key in &dropped {
            let value = object::remove(metadata, key);
            // `creationTimestamp: null` is what `kubectl create --dry-run` writes; not worth a word.
            if !(key == "creationTimestamp" && value.as_ref().is_some_and(Value::is_null)) {
                findings.push(Finding::at(
                    deployment,
                    &FieldPath::parse("spec.template.metadata").key(key),
                    Severity::Note,
                    "convert/template-metadata",
                    format!("spec.template.metadata.{key} dropped: a Rollout's pod template metadata holds only labels and annotations"),
                ));
            }
        }
    }
    Ok(template)
}

/// `maxSurge`/`maxUnavailable` of a RollingUpdate Deployment, for the canary strategy.
pub fn surge_settings(deployment: &Document, findings: &mut Vec<Finding>) -> Map<String, Value> {
    let mut out = Map::new();
    let strategy = deployment.value.lookup("/spec/strategy");
    let kind = strategy
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate");
    if kind == "Recreate" {
        findings.push(
            Finding::at(
                deployment,
                &FieldPath::parse("spec.strategy.type"),
                Severity::Warning,
                "convert/recreate-strategy",
                "the Deployment uses Recreate; a canary runs old and new pods side by side",
            )
            .with_hint("if the app cannot run two versions at once (e.g. it holds a lock or a volume), do not convert it"),
        );
        return out;
    }
    let rolling = strategy.and_then(|s| s.get("rollingUpdate"));
    for key in ["maxSurge", "maxUnavailable"] {
        if let Some(value) = rolling.and_then(|r| r.get(key)) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    let is_zero = |v: Option<&Value>| {
        v.is_some_and(|v| {
            v.as_i64() == Some(0) || v.as_str() == Some("0%") || v.as_str() == Some("0")
        })
    };
    if is_zero(out.get("maxSurge")) && is_zero(out.get("maxUnavailable")) {
        out.insert("maxSurge".to_owned(), json!(1));
        findings.push(Finding::at(
            deployment,
            &FieldPath::parse("spec.strategy.rollingUpdate.maxSurge"),
            Severity::Warning,
            "convert/surge-zero",
            "maxSurge and maxUnavailable are both zero, which Argo Rollouts refuses; the Rollout uses maxSurge 1",
        ));
    }
    out
}

/// Builds the Rollout for `deployment` with the given canary strategy.
pub fn build(
    deployment: &Document,
    canary: Map<String, Value>,
    settings: &Settings,
    has_autoscaler: bool,
    findings: &mut Vec<Finding>,
) -> Result<Value, ConvertError> {
    let mut selector = Some(selector(deployment, findings)?);
    let uses_template = settings.mode == Mode::Template;
    let mut template = if uses_template {
        Some(pod_template(deployment, findings)?)
    } else {
        // Still required of the Deployment, which keeps running the pods.
        pod_template(deployment, &mut Vec::new())?;
        None
    };
    let mut strategy = Some(object::object([("canary", Value::Object(canary))]));
    let mut workload = (!uses_template).then(|| workload_ref(deployment, settings));
    // Each value moves into the spec once, where the Deployment had its field (or at the
    // end, for fields it lacked).
    let mut spec = Map::new();
    let empty = Map::new();
    let deployment_spec = deployment
        .value
        .get("spec")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, value) in deployment_spec {
        match key.as_str() {
            "replicas" if !has_autoscaler => {
                spec.insert(key.clone(), value.clone());
            }
            "selector" => {
                if let Some(selector) = selector.take() {
                    spec.insert(key.clone(), selector);
                }
            }
            "template" => {
                if let Some(template) = template.take() {
                    spec.insert(key.clone(), template);
                } else if let Some(reference) = workload.take() {
                    spec.insert("workloadRef".to_owned(), reference);
                }
            }
            "strategy" => {
                if let Some(strategy) = strategy.take() {
                    spec.insert(key.clone(), strategy);
                }
            }
            key if CARRIED_SPEC_FIELDS.contains(&key) => {
                spec.insert(key.to_owned(), value.clone());
            }
            _ => {}
        }
    }
    if let Some(selector) = selector {
        spec.insert("selector".to_owned(), selector);
    }
    if let Some(reference) = workload {
        spec.insert("workloadRef".to_owned(), reference);
    }
    if let Some(strategy) = strategy {
        spec.insert("strategy".to_owned(), strategy);
    }
    let mut spec = Some(spec);
    let mut rollout = Map::new();
    for (key, value) in deployment.value.as_object().into_iter().flatten() {
        match key.as_str() {
            "apiVersion" => {
                rollout.insert(key.clone(), json!("argoproj.io/v1alpha1"));
            }
            "kind" => {
                rollout.insert(key.clone(), json!("Rollout"));
            }
            "metadata" => {
                let mut metadata = clean_metadata(Some(value));
                // rolloutify's own annotations instruct the conversion; they are spent.
                if let Some(map) = metadata.as_object_mut() {
                    if let Some(annotations) =
                        map.get_mut("annotations").and_then(Value::as_object_mut)
                    {
                        annotations.retain(|k, _| !k.starts_with("rolloutify.io/"));
                    }
                    if map
                        .get("annotations")
                        .and_then(Value::as_object)
                        .is_some_and(Map::is_empty)
                    {
                        object::remove(map, "annotations");
                    }
                }
                rollout.insert(key.clone(), metadata);
            }
            "spec" => {
                if let Some(spec) = spec.take() {
                    rollout.insert(key.clone(), Value::Object(spec));
                }
            }
            _ => {}
        }
    }
    if let Some(spec) = spec {
        rollout.insert("spec".to_owned(), Value::Object(spec));
    }
    Ok(Value::Object(rollout))
}

fn workload_ref(deployment: &Document, settings: &Settings) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment.name(),
        "scaleDown": settings.scale_down.as_str(),
    })
}
