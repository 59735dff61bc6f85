//! Schema validation against the bundled JSON Schemas (`schemas/`): Kubernetes kinds generated
//! from the API's own definitions, Argo Rollouts and Istio kinds written from their
//! specifications. Each schema is compiled once, on first use; nothing is fetched.

use std::sync::{LazyLock, OnceLock};

use serde_json::{Map, Value};

use crate::finding::{Finding, Severity};
use crate::load::{Document, FieldPath, PathSegment};

static KUBERNETES: &str = include_str!("../../schemas/kubernetes/definitions.json");
static ROLLOUT: &str = include_str!("../../schemas/argoproj/rollout.schema.yaml");
static ANALYSIS_TEMPLATE: &str =
    include_str!("../../schemas/argoproj/analysistemplate.schema.yaml");
static VIRTUAL_SERVICE: &str = include_str!("../../schemas/istio/virtualservice.schema.yaml");
static DESTINATION_RULE: &str = include_str!("../../schemas/istio/destinationrule.schema.yaml");
static GATEWAY: &str = include_str!("../../schemas/istio/gateway.schema.yaml");

/// Where a kind's schema comes from.
enum Source {
    /// A definition of `schemas/kubernetes/definitions.json`.
    Kubernetes(&'static str),
    /// One of this project's schema files (YAML).
    Own(&'static str),
}

struct Entry {
    group: &'static str,
    versions: &'static [&'static str],
    kind: &'static str,
    source: Source,
}

const ISTIO_VERSIONS: &[&str] = &["v1", "v1beta1", "v1alpha3"];

static ENTRIES: &[Entry] = &[
    Entry {
        group: "apps",
        versions: &["v1"],
        kind: "Deployment",
        source: Source::Kubernetes("io.k8s.api.apps.v1.Deployment"),
    },
    Entry {
        group: "",
        versions: &["v1"],
        kind: "Service",
        source: Source::Kubernetes("io.k8s.api.core.v1.Service"),
    },
    Entry {
        group: "autoscaling",
        versions: &["v2"],
        kind: "HorizontalPodAutoscaler",
        source: Source::Kubernetes("io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler"),
    },
    Entry {
        group: "autoscaling",
        versions: &["v1"],
        kind: "HorizontalPodAutoscaler",
        source: Source::Kubernetes("io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler"),
    },
    Entry {
        group: "policy",
        versions: &["v1"],
        kind: "PodDisruptionBudget",
        source: Source::Kubernetes("io.k8s.api.policy.v1.PodDisruptionBudget"),
    },
    Entry {
        group: "argoproj.io",
        versions: &["v1alpha1"],
        kind: "Rollout",
        source: Source::Own(ROLLOUT),
    },
    Entry {
        group: "argoproj.io",
        versions: &["v1alpha1"],
        kind: "AnalysisTemplate",
        source: Source::Own(ANALYSIS_TEMPLATE),
    },
    Entry {
        group: "argoproj.io",
        versions: &["v1alpha1"],
        kind: "ClusterAnalysisTemplate",
        source: Source::Own(ANALYSIS_TEMPLATE),
    },
    Entry {
        group: "networking.istio.io",
        versions: ISTIO_VERSIONS,
        kind: "VirtualService",
        source: Source::Own(VIRTUAL_SERVICE),
    },
    Entry {
        group: "networking.istio.io",
        versions: ISTIO_VERSIONS,
        kind: "DestinationRule",
        source: Source::Own(DESTINATION_RULE),
    },
    Entry {
        group: "networking.istio.io",
        versions: ISTIO_VERSIONS,
        kind: "Gateway",
        source: Source::Own(GATEWAY),
    },
];

static KUBERNETES_DEFINITIONS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    serde_json::from_str::<Value>(KUBERNETES)
        .ok()
        .and_then(|v| v.get("$defs").and_then(Value::as_object).cloned())
        .unwrap_or_default()
});

/// One compiled schema per entry, made on first use.
static COMPILED: LazyLock<Vec<OnceLock<Result<jsonschema::Validator, String>>>> =
    LazyLock::new(|| ENTRIES.iter().map(|_| OnceLock::new()).collect());

fn schema_document(source: &Source) -> Result<Value, String> {
    let mut definitions = KUBERNETES_DEFINITIONS.clone();
    let mut root = match source {
        Source::Kubernetes(name) => serde_json::json!({ "$ref": format!("#/$defs/{name}") }),
        Source::Own(text) => {
            let parsed = crate::load::yaml::parse_stream(text, &crate::load::Limits::default())
                .map_err(|e| format!("bundled schema does not parse: {e}"))?;
            parsed
                .into_iter()
                .next()
                .map(|d| d.value)
                .ok_or("bundled schema is empty")?
        }
    };
    let Some(map) = root.as_object_mut() else {
        return Err("bundled schema is not an object".to_owned());
    };
    if let Some(Value::Object(own)) = map.remove("$defs") {
        definitions.extend(own);
    }
    map.insert(
        "$schema".to_owned(),
        Value::String("https://json-schema.org/draft/2020-12/schema".to_owned()),
    );
    map.insert("$defs".to_owned(), Value::Object(definitions));
    Ok(root)
}

fn entry_for(api_version: &str, kind: &str) -> Option<usize> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    ENTRIES
        .iter()
        .position(|e| e.group == group && e.kind == kind && e.versions.contains(&version))
}

fn validator(entry: usize) -> Result<&'static jsonschema::Validator, String> {
    COMPILED[entry]
        .get_or_init(|| {
            let schema = schema_document(&ENTRIES[entry].source)?;
            jsonschema::options()
                .offline()
                .should_validate_formats(false)
                .build(&schema)
                .map_err(|e| format!("bundled schema does not compile: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Whether a schema is bundled for this kind.
pub fn has_schema(api_version: &str, kind: &str) -> bool {
    entry_for(api_version, kind).is_some()
}

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.values().any(has_null),
        Value::Array(items) => items.iter().any(has_null),
        _ => false,
    }
}

/// Kubernetes reads `null` for an optional field as "not set"; so does this check.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn field_path(pointer: &str) -> FieldPath {
    FieldPath(
        pointer
            .split('/')
            .skip(1)
            .map(|part| {
                let part = part.replace("~1", "/").replace("~0", "~");
                match part.parse::<usize>() {
                    Ok(i) => PathSegment::Index(i),
                    Err(_) => PathSegment::Key(part),
                }
            })
            .collect(),
    )
}

/// What schema validation found for one document: `None` when no schema is bundled.
pub fn check(document: &Document) -> Option<Vec<Finding>> {
    let entry = entry_for(document.api_version(), document.kind())?;
    Some(match validator(entry) {
        Ok(validator) => findings_for(validator, document),
        Err(message) => vec![Finding::at(
            document,
            &FieldPath::root(),
            Severity::Error,
            "schema/internal",
            message,
        )],
    })
}

/// The findings of `validator` on `document`, located at the fields at fault.
pub fn findings_for(validator: &jsonschema::Validator, document: &Document) -> Vec<Finding> {
    // Most documents are valid: the yes/no check on the document as written is the cheapest
    // test. Dropping `null`s (unset fields) can only remove keys no schema here requires, so
    // a document valid as written is valid without them.
    if validator.is_valid(&document.value) {
        return Vec::new();
    }
    let stripped;
    let instance = if has_null(&document.value) {
        stripped = without_nulls(&document.value);
        if validator.is_valid(&stripped) {
            return Vec::new();
        }
        &stripped
    } else {
        &*document.value
    };
    let mut findings = Vec::new();
    for error in validator.iter_errors(instance) {
        let path = field_path(error.instance_path().as_str());
        match error.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                for field in unexpected {
                    let at = path.clone().key(field);
                    findings.push(
                        Finding::at(
                            document,
                            &at,
                            Severity::Error,
                            "schema/unknown-field",
                            format!("{at}: unknown field {field:?}"),
                        )
                        .with_hint(format!(
                            "{} {} has no such field here; check its spelling and indentation",
                            document.api_version(),
                            document.kind()
                        )),
                    );
                }
            }
            jsonschema::error::ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                findings.push(Finding::at(
                    document,
                    &path,
                    Severity::Error,
                    "schema/required",
                    format!(
                        "{}: missing required field {name:?}",
                        if path.0.is_empty() {
                            "(root)".to_owned()
                        } else {
                            path.to_string()
                        }
                    ),
                ));
            }
            jsonschema::error::ValidationErrorKind::Type { .. } => findings.push(Finding::at(
                document,
                &path,
                Severity::Error,
                "schema/type",
                format!("{path}: {error}"),
            )),
            _ => findings.push(Finding::at(
                document,
                &path,
                Severity::Error,
                "schema/invalid",
                format!("{path}: {error}"),
            )),
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};

    fn check_text(text: &str) -> Option<Vec<Finding>> {
        let loaded = load_text("s.yaml", text, &Limits::default()).unwrap();
        check(&loaded.documents[0])
    }

    #[test]
    fn every_bundled_schema_compiles() {
        for (i, entry) in ENTRIES.iter().enumerate() {
            assert!(
                validator(i).is_ok(),
                "{}: {:?}",
                entry.kind,
                validator(i).err()
            );
        }
    }

    #[test]
    fn unknown_fields_are_refused_where_they_are() {
        let found = check_text("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  strategy:\n    unknown-strategy: {}\n").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "schema/unknown-field");
        assert_eq!(
            found[0].message,
            "spec.strategy.unknown-strategy: unknown field \"unknown-strategy\""
        );
        assert_eq!(found[0].location.position.to_string(), "6:5");
    }

    #[test]
    fn kubernetes_kinds() {
        let ok = check_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, creationTimestamp: null}\nspec:\n  selector: {matchLabels: {app: d}}\n  strategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers:\n        - name: d\n          image: d\n          resources: {requests: {cpu: 0.5, memory: 64Mi}}\n").unwrap();
        assert!(ok.is_empty(), "{ok:?}");
        let bad = check_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n    - port: \"80\"\n      targetPort: http\n      protcol: TCP\n").unwrap();
        let rules: Vec<&str> = bad.iter().map(|f| f.rule).collect();
        assert!(
            rules.contains(&"schema/type") && rules.contains(&"schema/unknown-field"),
            "{bad:?}"
        );
        assert!(
            check_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n").is_none()
        );
    }
}
