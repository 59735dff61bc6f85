//! The bundled Kubernetes schemas are generated from `k8s-openapi`'s types (the API's own
//! OpenAPI definitions), made strict (unknown fields refused) and compact (no descriptions).
//! This test regenerates them and fails when the committed file differs; run it with
//! `ROLLOUTIFY_REGENERATE_SCHEMAS=1` to rewrite `schemas/kubernetes/definitions.json`.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler as HorizontalPodAutoscalerV1;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler as HorizontalPodAutoscalerV2;
use k8s_openapi::api::core::v1::{PodTemplateSpec, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// Refuses unknown fields, accepts what Kubernetes' decoders accept for int-or-string and
/// quantities, and drops prose.
fn tighten(name: &str, value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("description");
            if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
                && !map.contains_key("type")
            {
                let types = if name.ends_with(".Quantity") {
                    json!(["number", "string"])
                } else {
                    json!(["integer", "string"])
                };
                map.insert("type".to_owned(), types);
            }
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            for child in map.values_mut() {
                tighten(name, child);
            }
        }
        Value::Array(items) => {
            for item in items {
                tighten(name, item);
            }
        }
        _ => {}
    }
}

fn generate() -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let _ = generator.subschema_for::<Deployment>();
    let _ = generator.subschema_for::<Service>();
    let _ = generator.subschema_for::<HorizontalPodAutoscalerV1>();
    let _ = generator.subschema_for::<HorizontalPodAutoscalerV2>();
    let _ = generator.subschema_for::<PodDisruptionBudget>();
    let _ = generator.subschema_for::<PodTemplateSpec>();
    let _ = generator.subschema_for::<ObjectMeta>();
    let mut definitions: Map<String, Value> = generator.take_definitions(true);
    for (name, schema) in definitions.iter_mut() {
        tighten(name, schema);
    }
    definitions.sort_keys();
    json!({
        "$comment": "Generated from k8s-openapi (Kubernetes 1.37 API) by tests/schema_generation.rs; do not edit.",
        "$defs": definitions,
    })
}

#[test]
fn bundled_kubernetes_definitions_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/kubernetes/definitions.json");
    let mut text = serde_json::to_string(&generate()).expect("serializes");
    text.push('\n');
    if std::env::var_os("ROLLOUTIFY_REGENERATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).expect("writes");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "schemas/kubernetes/definitions.json is stale; regenerate with ROLLOUTIFY_REGENERATE_SCHEMAS=1 cargo test --test schema_generation"
    );
}
