//! What must not become a canary unless the user asks for it by name: workloads of the mesh
//! itself (Istio's control plane and gateways), and pods that mount a ReadWriteOnce volume
//! (two versions cannot run side by side); and the one line that lists the Deployments left
//! alone because no route reaches them.

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind, pod_labels, selector};
use crate::load::{Location, Lookup as _};

use super::settings::CONVERT_ANNOTATION;

/// Values of the `istio` pod label that Istio's own workloads carry.
const MESH_ISTIO_LABELS: [&str; 6] = [
    "pilot",
    "istiod",
    "ingressgateway",
    "egressgateway",
    "eastwestgateway",
    "citadel",
];

/// Pod labels that only workloads Istio deploys for itself carry.
const MESH_LABEL_KEYS: [&str; 3] = [
    "operator.istio.io/component",
    "gateway.networking.k8s.io/gateway-name",
    "istio.io/gateway-name",
];

/// Why a Deployment must not become a canary by default, if it must not.
pub fn hazard(index: &Index, deployment: usize) -> Option<String> {
    let doc = &index.documents[deployment];
    let labels = pod_labels(doc);
    let label = |key: &str| labels.get(key).and_then(Value::as_str);
    if let Some(value) = label("istio")
        && (MESH_ISTIO_LABELS.contains(&value) || value.ends_with("gateway"))
    {
        return Some(format!(
            "its pods are part of the Istio mesh itself (label istio: {value})"
        ));
    }
    if let Some(value) = label("app")
        && (value == "istiod"
            || value.starts_with("istiod-")
            || (value.starts_with("istio-") && value.ends_with("gateway")))
    {
        return Some(format!(
            "its pods are part of the Istio mesh itself (label app: {value})"
        ));
    }
    if let Some(key) = MESH_LABEL_KEYS.iter().find(|k| labels.contains_key(**k)) {
        return Some(format!(
            "its pods are part of the Istio mesh itself (label {key})"
        ));
    }
    for gateway in index.of_kind(Kind::Gateway) {
        let gw = &index.documents[gateway];
        // Istio applies a Gateway's selector to pods of every namespace.
        if let Some(selector) = gw.value.lookup("/spec/selector").and_then(Value::as_object)
            && selector::map_selects(selector, &labels)
        {
            let name = match index.namespace(gateway) {
                Some(ns) => format!("{ns}/{}", gw.name()),
                None => gw.name().to_owned(),
            };
            return Some(format!(
                "its pods are an Istio gateway: Gateway {name} selects them"
            ));
        }
    }
    let namespace = index.namespace(deployment);
    let claims = doc
        .value
        .lookup("/spec/template/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            v.lookup("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
        });
    for claim in claims {
        let Some(pvc) = index.find(Kind::PersistentVolumeClaim, claim, namespace) else {
            continue;
        };
        let modes = index.documents[pvc]
            .value
            .lookup("/spec/accessModes")
            .and_then(Value::as_array);
        if let Some(mode) = modes
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find(|m| matches!(*m, "ReadWriteOnce" | "ReadWriteOncePod"))
        {
            return Some(format!(
                "its pods mount PersistentVolumeClaim {claim}, which is {mode}: a canary's pods could not run beside the stable ones"
            ));
        }
    }
    None
}

/// A Deployment left alone because no route reaches its Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrouted {
    /// Where its name is written.
    pub location: Location,
    /// `Deployment/namespace/name`.
    pub resource: String,
    /// `namespace/name`, or the name alone.
    pub name: String,
}

/// The rule of the one line that lists the Deployments left alone for want of a route.
pub const UNROUTED_RULE: &str = "convert/not-routed";

/// The one warning that lists every Deployment in `unrouted` (in input order), at the first.
pub fn unrouted_finding(unrouted: &[Unrouted]) -> Option<Finding> {
    let first = unrouted.first()?;
    let names: Vec<&str> = unrouted.iter().map(|u| u.name.as_str()).collect();
    Some(Finding {
        location: first.location.clone(),
        severity: Severity::Warning,
        rule: UNROUTED_RULE,
        resource: first.resource.clone(),
        message: format!(
            "not converted: {} Deployment(s) with a Service that no VirtualService route reaches: {}",
            names.len(),
            names.join(", ")
        ),
        hint: Some(format!(
            "without mesh routing a canary gets traffic by its share of replicas; to convert one anyway, name it with --select NAME (or the configuration's select or apps), or annotate it {CONVERT_ANNOTATION}: \"true\""
        )),
        field: "metadata.name".to_owned(),
    })
}
