//! Argo CD: the `ignoreDifferences` entries an Application needs so that the weights the
//! Argo Rollouts controller sets at run time do not show as drift.
//!
//! For every Rollout with Istio traffic routing, each VirtualService it names gets one entry
//! whose jq path expressions select the `weight` of exactly the routes the controller manages:
//! http routes by name (the only http route when none is named), tls routes by port and SNI
//! hosts, tcp routes by port. Routes the controller leaves alone keep showing drift. In
//! workload-ref mode, the Deployment's `replicas`, which the controller scales down, is
//! ignored too.

use serde_json::{Map, Value, json};

use crate::convert::Output;
use crate::emit::yaml;
use crate::load::Lookup as _;

/// Starts with [`crate::load::GENERATED_FRAGMENT_MARKER`], so that reading skips the file.
const HEADER: &str = "\
# Argo CD Application fields for what Argo Rollouts changes at run time, written by
# `rolloutify convert --argocd`. Merge spec.ignoreDifferences into the Application that
# syncs these manifests. Add the sync option RespectIgnoreDifferences=true so that a sync
# keeps the controller's weights instead of resetting them mid-canary, but only once the
# converted VirtualServices are live: see README.md, section \"With Argo CD\".
";

/// The `ignoreDifferences` entries for the Rollouts among `outputs`, in output order.
pub fn ignore_differences(outputs: &[Output]) -> Vec<Value> {
    let mut entries = Vec::new();
    for value in outputs.iter().map(|o| &o.value) {
        if value.get("kind").and_then(Value::as_str) != Some("Rollout")
            || !value
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with("argoproj.io/"))
        {
            continue;
        }
        let namespace = value.lookup("/metadata/namespace").and_then(Value::as_str);
        if let Some(istio) = value.lookup("/spec/strategy/canary/trafficRouting/istio") {
            let services = istio.get("virtualService").into_iter().chain(
                istio
                    .get("virtualServices")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
            for service in services {
                if let Some(entry) = virtual_service_entry(service, namespace) {
                    entries.push(entry);
                }
            }
        }
        if let Some(entry) = scaled_deployment_entry(value, namespace) {
            entries.push(entry);
        }
    }
    entries.dedup();
    entries
}

/// The file `--argocd` writes: a commented Application fragment.
pub fn render(outputs: &[Output]) -> String {
    let fragment = json!({ "spec": { "ignoreDifferences": ignore_differences(outputs) } });
    let mut text = HEADER.to_owned();
    yaml::write_document(&mut text, &fragment);
    text
}

fn virtual_service_entry(reference: &Value, namespace: Option<&str>) -> Option<Value> {
    let full = reference.get("name").and_then(Value::as_str)?;
    // `name.namespace` names a VirtualService in another namespace.
    let (name, namespace) = match full.split_once('.') {
        Some((name, namespace)) => (name, Some(namespace)),
        None => (full, namespace),
    };
    let names = |key: &str| -> Vec<&Value> {
        reference
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    let (http, tls, tcp) = (names("routes"), names("tlsRoutes"), names("tcpRoutes"));
    let mut paths = Vec::new();
    if http.is_empty() && tls.is_empty() && tcp.is_empty() {
        // The controller manages the only http route when no route is named.
        paths.push(".spec.http[0].route[].weight".to_owned());
    }
    for route in http.iter().filter_map(|r| r.as_str()) {
        paths.push(format!(
            ".spec.http[] | select(.name == {}) | .route[].weight",
            jq_string(route)
        ));
    }
    for route in &tls {
        let mut conditions = Vec::new();
        if let Some(port) = route.get("port").and_then(Value::as_i64) {
            conditions.push(format!(".port == {port}"));
        }
        for host in route
            .get("sniHosts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            conditions.push(format!("any(.sniHosts[]?; . == {})", jq_string(host)));
        }
        paths.push(route_weights("tls", &conditions));
    }
    for route in &tcp {
        let conditions: Vec<String> = route
            .get("port")
            .and_then(Value::as_i64)
            .map(|port| format!(".port == {port}"))
            .into_iter()
            .collect();
        paths.push(route_weights("tcp", &conditions));
    }
    Some(entry(
        "networking.istio.io",
        "VirtualService",
        name,
        namespace,
        "jqPathExpressions",
        paths,
    ))
}

/// The weights of the `kind` routes with a match that meets every condition.
fn route_weights(kind: &str, conditions: &[String]) -> String {
    if conditions.is_empty() {
        return format!(".spec.{kind}[].route[].weight");
    }
    format!(
        ".spec.{kind}[] | select(any(.match[]?; {})) | .route[].weight",
        conditions.join(" and ")
    )
}

/// In workload-ref mode the controller scales the referenced Deployment.
fn scaled_deployment_entry(rollout: &Value, namespace: Option<&str>) -> Option<Value> {
    let reference = rollout.lookup("/spec/workloadRef")?;
    if reference.get("kind").and_then(Value::as_str) != Some("Deployment") {
        return None;
    }
    let name = reference.get("name").and_then(Value::as_str)?;
    Some(entry(
        "apps",
        "Deployment",
        name,
        namespace,
        "jsonPointers",
        vec!["/spec/replicas".to_owned()],
    ))
}

fn entry(
    group: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    paths_key: &str,
    paths: Vec<String>,
) -> Value {
    let mut entry = Map::new();
    entry.insert("group".into(), json!(group));
    entry.insert("kind".into(), json!(kind));
    entry.insert("name".into(), json!(name));
    if let Some(namespace) = namespace {
        entry.insert("namespace".into(), json!(namespace));
    }
    entry.insert(paths_key.into(), json!(paths));
    Value::Object(entry)
}

/// A jq string literal (jq strings are JSON strings).
fn jq_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::Origin;

    fn output(value: Value) -> Output {
        Output {
            value: std::sync::Arc::new(value),
            origin: Origin::Added { after: 0 },
        }
    }

    #[test]
    fn managed_routes_only() {
        let rollout = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"strategy": {"canary": {"trafficRouting": {"istio": {
                "virtualServices": [
                    {"name": "web", "routes": ["primary", "say \"hi\""]},
                    {"name": "edge.gateways", "tlsRoutes": [{"port": 443, "sniHosts": ["shop.example.com"]}], "tcpRoutes": [{"port": 31400}]}
                ]
            }}}}}
        });
        let entries = ignore_differences(&[output(rollout)]);
        assert_eq!(
            entries,
            vec![
                json!({"group": "networking.istio.io", "kind": "VirtualService", "name": "web", "namespace": "shop",
                "jqPathExpressions": [
                    ".spec.http[] | select(.name == \"primary\") | .route[].weight",
                    ".spec.http[] | select(.name == \"say \\\"hi\\\"\") | .route[].weight"
                ]}),
                json!({"group": "networking.istio.io", "kind": "VirtualService", "name": "edge", "namespace": "gateways",
                "jqPathExpressions": [
                    ".spec.tls[] | select(any(.match[]?; .port == 443 and any(.sniHosts[]?; . == \"shop.example.com\"))) | .route[].weight",
                    ".spec.tcp[] | select(any(.match[]?; .port == 31400)) | .route[].weight"
                ]}),
            ]
        );
    }

    #[test]
    fn the_only_route_and_the_scaled_deployment() {
        let rollout = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "web"},
            "spec": {
                "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "strategy": {"canary": {"trafficRouting": {"istio": {"virtualService": {"name": "web"}}}}}
            }
        });
        let text = render(&[output(rollout)]);
        assert!(
            text.starts_with(crate::load::GENERATED_FRAGMENT_MARKER),
            "{text}"
        );
        assert!(text.contains("- .spec.http[0].route[].weight\n"), "{text}");
        assert!(
            text.contains("      jsonPointers:\n        - /spec/replicas\n"),
            "{text}"
        );
    }
}
