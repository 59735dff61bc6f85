//! What must not become a canary unless the user asks for it by name: workloads of the mesh
//! itself (Istio's control plane and gateways), and pods that mount a ReadWriteOnce volume
//! (two versions cannot run side by side); and the lines that list the Deployments left
//! alone by default.

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

/// Why a Deployment with a Service is left alone by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// No VirtualService route reaches its Service.
    NoRoute,
    /// It is part of the mesh, or mounts a ReadWriteOnce claim ([`hazard`]).
    Hazard,
}

/// A Deployment left alone by default, to be listed in one line with the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftAlone {
    pub why: Why,
    /// Where its name is written.
    pub location: Location,
    /// `Deployment/namespace/name`.
    pub resource: String,
    /// `namespace/name`, or the name alone.
    pub name: String,
}

/// The rule of the one line that lists the Deployments left alone for want of a route.
pub const UNROUTED_RULE: &str = "convert/not-routed";
/// The rule of the one line that lists the mesh's workloads and single-writer pods.
pub const NOT_CANDIDATES_RULE: &str = "convert/not-candidates";

/// Whether a finding is one of the lines that list Deployments left alone (made again from
/// every part of a tree).
pub fn is_left_alone_list(finding: &Finding) -> bool {
    finding.rule == UNROUTED_RULE || finding.rule == NOT_CANDIDATES_RULE
}

/// One warning per reason, listing every Deployment of `left` (by document index, in input
/// order) left alone for it, at the first; with that first Deployment's index.
pub fn left_alone_findings(left: &[(usize, LeftAlone)]) -> Vec<(usize, Finding)> {
    let mut findings = Vec::new();
    for why in [Why::NoRoute, Why::Hazard] {
        let listed: Vec<&(usize, LeftAlone)> = left.iter().filter(|(_, l)| l.why == why).collect();
        let Some((first, at)) = listed.first() else {
            continue;
        };
        let names: Vec<&str> = listed.iter().map(|(_, l)| l.name.as_str()).collect();
        let (rule, message, hint) = match why {
            Why::NoRoute => (
                UNROUTED_RULE,
                format!(
                    "not converted: {} Deployment(s) with a Service that no VirtualService route reaches: {}",
                    names.len(),
                    names.join(", ")
                ),
                format!(
                    "without mesh routing a canary gets traffic by its share of replicas; to convert one anyway, name it with --select NAME (or the configuration's select or apps), or annotate it {CONVERT_ANNOTATION}: \"true\"; if a VirtualService should reach it, check that its hosts name the Service as it is called now (kustomize's namePrefix and nameSuffix rename Services, not hosts)"
                ),
            ),
            Why::Hazard => (
                NOT_CANDIDATES_RULE,
                format!(
                    "not converted: {} Deployment(s) of the mesh itself or whose pods mount a ReadWriteOnce volume: {}",
                    names.len(),
                    names.join(", ")
                ),
                "two versions of these must not run side by side by default; -v says why for each, and --select NAME converts one anyway".to_owned(),
            ),
        };
        findings.push((
            *first,
            Finding {
                location: at.location.clone(),
                severity: Severity::Warning,
                rule,
                resource: at.resource.clone(),
                message,
                hint: Some(hint),
                field: "metadata.name".to_owned(),
            },
        ));
    }
    findings.sort_by_key(|(first, _)| *first);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::host::Scope;
    use crate::load::{Limits, load_text};

    fn deployment(name: &str, labels: &str, volumes: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {labels}}}\n  template:\n    metadata: {{labels: {labels}}}\n    spec: {{containers: [{{name: c, image: i}}]{volumes}}}\n---\n"
        )
    }

    fn hazards(text: &str) -> Vec<Option<String>> {
        let loaded = load_text("in.yaml", text, &Limits::default()).expect("loads");
        let scope = Scope::default();
        let index = Index::new(&loaded.documents, &scope);
        index
            .of_kind(Kind::Deployment)
            .map(|d| hazard(&index, d))
            .collect()
    }

    #[test]
    fn the_mesh_and_single_writer_volumes_are_no_candidates() {
        let text = [
            deployment("istiod", "{app: istiod, istio: pilot}", ""),
            deployment("gw", "{istio: ingressgateway}", ""),
            deployment("east-west", "{app: istio-eastwestgateway}", ""),
            deployment("picked", "{edge: 'yes'}", ""),
            deployment("web", "{app: web, istio.io/rev: canary}", ""),
            deployment(
                "db",
                "{app: db}",
                ", volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]",
            ),
            deployment(
                "shared",
                "{app: shared}",
                ", volumes: [{name: d, persistentVolumeClaim: {claimName: many}}]",
            ),
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: other}\nspec: {selector: {edge: 'yes'}}\n---\n".to_owned(),
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: shop}\nspec: {accessModes: [ReadWriteOncePod]}\n---\n".to_owned(),
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: many, namespace: shop}\nspec: {accessModes: [ReadWriteMany]}\n".to_owned(),
        ]
        .concat();
        let found = hazards(&text);
        assert!(
            found[0]
                .as_deref()
                .is_some_and(|r| r.contains("istio: pilot"))
        );
        assert!(
            found[1]
                .as_deref()
                .is_some_and(|r| r.contains("istio: ingressgateway"))
        );
        assert!(
            found[2]
                .as_deref()
                .is_some_and(|r| r.contains("app: istio-eastwestgateway"))
        );
        assert!(
            found[3]
                .as_deref()
                .is_some_and(|r| r.contains("Gateway other/edge"))
        );
        // A revision label marks the mesh's clients too, not only its control plane.
        assert_eq!(found[4], None);
        assert!(
            found[5]
                .as_deref()
                .is_some_and(|r| r.contains("ReadWriteOncePod"))
        );
        assert_eq!(found[6], None);
    }

    #[test]
    fn one_line_per_reason_lists_every_deployment_left_alone() {
        let at = |document: usize, name: &str, why: Why| {
            (
                document,
                LeftAlone {
                    why,
                    location: Location {
                        file: "a.yaml".to_owned(),
                        position: Default::default(),
                    },
                    resource: format!("Deployment/{name}"),
                    name: name.to_owned(),
                },
            )
        };
        assert!(left_alone_findings(&[]).is_empty());
        let findings = left_alone_findings(&[
            at(3, "istiod", Why::Hazard),
            at(5, "a", Why::NoRoute),
            at(7, "b", Why::NoRoute),
        ]);
        assert_eq!(findings.len(), 2);
        let (first, hazards) = &findings[0];
        assert_eq!((*first, hazards.rule), (3, NOT_CANDIDATES_RULE));
        assert!(
            hazards.message.ends_with("volume: istiod"),
            "{}",
            hazards.message
        );
        let (first, unrouted) = &findings[1];
        assert_eq!(*first, 5);
        assert_eq!(unrouted.severity, Severity::Warning);
        assert_eq!(unrouted.resource, "Deployment/a");
        assert!(unrouted.message.ends_with(
            "2 Deployment(s) with a Service that no VirtualService route reaches: a, b"
        ));
    }
}
