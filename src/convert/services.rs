//! The `<svc>-canary` and `<svc>-stable` Services that host-level traffic splitting needs.
//!
//! Each is a ClusterIP copy of the original Service: same ports and selector (the controller
//! adds `rollouts-pod-template-hash` to the selector at run time), without anything that
//! allocates external resources or is filled in by the server.

use serde_json::{Map, Value, json};

use super::object;
use super::rollout::clean_metadata;
use crate::load::Document;

/// Spec fields that belong to NodePort/LoadBalancer/external Services or are allocated by the
/// server; a second Service with them would clash with the first or create cloud resources.
const DROPPED_SPEC_FIELDS: [&str; 11] = [
    "clusterIP",
    "clusterIPs",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "loadBalancerClass",
    "healthCheckNodePort",
    "externalTrafficPolicy",
    "externalIPs",
    "externalName",
    "allocateLoadBalancerNodePorts",
    "sessionAffinityConfig",
];

/// A copy of `service` named `name`, reduced to an internal ClusterIP Service.
pub fn derived(service: &Document, name: &str) -> Value {
    let mut metadata = clean_metadata(service.value.get("metadata"));
    if let Some(map) = metadata.as_object_mut() {
        map.insert("name".to_owned(), json!(name));
        // Annotations on the original mostly configure load balancers and DNS; they do not
        // belong on an internal copy.
        object::remove(map, "annotations");
        object::remove(map, "ownerReferences");
        object::remove(map, "finalizers");
    }
    let mut spec = service
        .value
        .get("spec")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let keeps_affinity_config =
        spec.get("sessionAffinity").and_then(Value::as_str) == Some("ClientIP");
    let affinity_config = spec.get("sessionAffinityConfig").cloned();
    for key in DROPPED_SPEC_FIELDS {
        object::remove(&mut spec, key);
    }
    if keeps_affinity_config && let Some(config) = affinity_config {
        spec.insert("sessionAffinityConfig".to_owned(), config);
    }
    if spec.contains_key("type") {
        spec.insert("type".to_owned(), json!("ClusterIP"));
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            object::remove(port, "nodePort");
        }
    }
    let mut out = Map::new();
    out.insert("apiVersion".to_owned(), json!("v1"));
    out.insert("kind".to_owned(), json!("Service"));
    out.insert("metadata".to_owned(), metadata);
    out.insert("spec".to_owned(), Value::Object(spec));
    Value::Object(out)
}
