//! DestinationRules: in subset mode, the `stable` and `canary` subsets the controller writes
//! pod-template hashes into; in host mode, keeping a traffic policy in force for the new
//! `-stable`/`-canary` hosts, which a DestinationRule for the original host does not cover.

use serde_json::{Map, Value, json};

use super::object;
use super::rollout::clean_metadata;
use crate::index::host::ServiceHost;
use crate::load::Document;

/// Subset names rolloutify uses in subset mode.
pub const STABLE_SUBSET: &str = "stable";
pub const CANARY_SUBSET: &str = "canary";

fn subset(name: &str, labels: &Map<String, Value>) -> Value {
    object::object([
        ("name", json!(name)),
        ("labels", Value::Object(labels.clone())),
    ])
}

/// Adds the `stable` and `canary` subsets to a DestinationRule (a working copy), keeping its
/// other subsets and its traffic policy. Returns whether anything was added.
pub fn add_subsets(rule: &mut Value, labels: &Map<String, Value>) -> bool {
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
    for name in [STABLE_SUBSET, CANARY_SUBSET] {
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
                        subset(STABLE_SUBSET, labels),
                        subset(CANARY_SUBSET, labels),
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
