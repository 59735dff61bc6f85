//! DestinationRules: in subset mode, the stable and canary subsets the controller writes
//! pod-template hashes into, each selecting the Rollout's pods (a subset of the same name
//! that selects other pods is left alone, and other names are used); in host mode, keeping a traffic policy in force for the new
//! `-stable`/`-canary` hosts, which a DestinationRule for the original host does not cover.

use serde_json::{Map, Value, json};

use super::object;
use super::rollout::clean_metadata;
use crate::index::host::ServiceHost;
use crate::load::Document;

fn subset(name: &str, labels: &Map<String, Value>) -> Value {
    object::object([
        ("name", json!(name)),
        ("labels", Value::Object(labels.clone())),
    ])
}

/// The stable and canary subset names to use in an existing DestinationRule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubsetNames {
    pub stable: String,
    pub canary: String,
    /// Subsets of the wanted names that select other pods, each with the name used instead:
    /// (wanted, its labels as written, used).
    pub renamed: Vec<(String, String, String)>,
}

/// Picks the subset names for `rule` (the input DestinationRule, or `None` for a new one):
/// the wanted name when the rule has no subset of that name or its subset selects the
/// Rollout's pods (whose labels are `pod_labels`; the controller's pod-template hash left
/// out), else the first of `<name>-rollout`, `<name>-rollout-2`… the rule does not use.
pub fn subset_names(
    rule: Option<&Value>,
    stable: &str,
    canary: &str,
    pod_labels: &Map<String, Value>,
) -> SubsetNames {
    let subsets: &[Value] = rule
        .and_then(|r| r.pointer("/spec/subsets"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let labels_of = |name: &str| {
        subsets
            .iter()
            .find(|s| s.get("name").and_then(Value::as_str) == Some(name))
            .map(|s| {
                s.get("labels")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default()
            })
    };
    let mut taken: Vec<String> = subsets
        .iter()
        .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut renamed = Vec::new();
    let mut pick = |wanted: &str| -> String {
        match labels_of(wanted) {
            Some(labels) if !crate::plan::routes::carried_by(&labels, pod_labels) => {
                let base = format!("{wanted}-rollout");
                let used = (1..)
                    .map(|n| {
                        if n == 1 {
                            base.clone()
                        } else {
                            format!("{base}-{n}")
                        }
                    })
                    .find(|candidate| !taken.contains(candidate))
                    .unwrap_or(base);
                taken.push(used.clone());
                let written = labels
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{k}: {}",
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                renamed.push((wanted.to_owned(), written, used.clone()));
                used
            }
            _ => wanted.to_owned(),
        }
    };
    let stable = pick(stable);
    let canary = pick(canary);
    SubsetNames {
        stable,
        canary,
        renamed,
    }
}

/// Adds the stable and canary subsets to a DestinationRule (a working copy), keeping its
/// other subsets and its traffic policy. A subset of that name already there is kept (the
/// names come from [`subset_names`]: it selects the Rollout's pods). Returns whether
/// anything was added.
pub fn add_subsets(rule: &mut Value, names: &SubsetNames, labels: &Map<String, Value>) -> bool {
    let Some(spec) = object::object_at(rule, &["spec"]) else {
        return false;
    };
    if !matches!(spec.get("subsets"), Some(Value::Array(_))) {
        spec.insert("subsets".to_owned(), json!([]));
    }
    let Some(subsets) = spec.get_mut("subsets").and_then(Value::as_array_mut) else {
        return false;
    };
    let mut changed = false;
    for name in [&names.stable, &names.canary] {
        if !subsets
            .iter()
            .any(|s| s.get("name").and_then(Value::as_str) == Some(name))
        {
            subsets.push(subset(name, labels));
            changed = true;
        }
    }
    changed
}

/// A new DestinationRule `name` for `host` with only the two subsets, in the Istio API
/// version the user's VirtualServices use.
pub fn with_subsets(
    api_version: &str,
    name: &str,
    namespace: Option<&str>,
    host: &str,
    names: &SubsetNames,
    labels: &Map<String, Value>,
) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".to_owned(), json!(name));
    if let Some(namespace) = namespace {
        metadata.insert("namespace".to_owned(), json!(namespace));
    }
    object::object([
        ("apiVersion", json!(api_version)),
        ("kind", json!("DestinationRule")),
        ("metadata", Value::Object(metadata)),
        (
            "spec",
            object::object([
                ("host", json!(host)),
                (
                    "subsets",
                    Value::Array(vec![
                        subset(&names.stable, labels),
                        subset(&names.canary, labels),
                    ]),
                ),
            ]),
        ),
    ])
}

/// A copy of `rule` for the Service `service` (same host form), with the traffic policy and
/// everything else but its subsets, which select pods by labels that no longer tell the
/// versions apart.
pub fn copy_for_service(rule: &Document, name: &str, service: &str) -> Value {
    let mut out = rule.value.as_object().cloned().unwrap_or_default();
    let mut metadata = clean_metadata(rule.value.get("metadata"));
    if let Some(map) = metadata.as_object_mut() {
        map.insert("name".to_owned(), json!(name));
    }
    out.insert("metadata".to_owned(), metadata);
    if let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) {
        let host = spec.get("host").and_then(Value::as_str).unwrap_or_default();
        let new_host = ServiceHost::replace_service(host, service);
        spec.insert("host".to_owned(), json!(new_host));
        object::remove(spec, "subsets");
    }
    object::remove(&mut out, "status");
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_of_other_pods_are_not_reused() {
        let rule = json!({"spec": {"host": "payment", "subsets": [
            {"name": "stable", "labels": {"stage": "prod"}},
            {"name": "canary", "labels": {"stage": "test"}},
            {"name": "canary-rollout", "labels": {"stage": "old"}}
        ]}});
        let pods = json!({"app": "payment", "stage": "prod"});
        let names = subset_names(Some(&rule), "stable", "canary", pods.as_object().unwrap());
        assert_eq!(names.stable, "stable");
        assert_eq!(names.canary, "canary-rollout-2");
        assert_eq!(
            names.renamed,
            [(
                "canary".to_owned(),
                "stage: test".to_owned(),
                "canary-rollout-2".to_owned()
            )]
        );
        let mut copy = rule.clone();
        let selector = json!({"app": "payment"});
        assert!(add_subsets(
            &mut copy,
            &names,
            selector.as_object().unwrap()
        ));
        let subsets = copy["spec"]["subsets"].as_array().unwrap();
        assert_eq!(subsets.len(), 4);
        assert_eq!(
            subsets[3],
            json!({"name": "canary-rollout-2", "labels": {"app": "payment"}})
        );
        // A second run finds its own subsets and keeps them.
        let again = subset_names(
            Some(&copy),
            "stable",
            "canary-rollout-2",
            pods.as_object().unwrap(),
        );
        assert!(again.renamed.is_empty());
    }

    #[test]
    fn a_subset_with_the_hash_selects_the_rollouts_pods() {
        let rule = json!({"spec": {"subsets": [
            {"name": "canary", "labels": {"app": "web", "rollouts-pod-template-hash": "5d8f"}}
        ]}});
        let pods = json!({"app": "web"});
        let names = subset_names(Some(&rule), "stable", "canary", pods.as_object().unwrap());
        assert_eq!(
            (names.stable.as_str(), names.canary.as_str()),
            ("stable", "canary")
        );
        assert!(names.renamed.is_empty());
    }
}
