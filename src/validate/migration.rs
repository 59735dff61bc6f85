//! Mistakes of a migration from Deployments to Rollouts that no other tool catches: an
//! autoscaler still pointing at a Deployment a Rollout replaced, and a DestinationRule whose
//! traffic policy does not reach the new canary and stable hosts.

use crate::finding::{Finding, Severity};
use crate::index::host::Naming;
use crate::index::{Index, Kind};
use crate::load::{FieldPath, Lookup as _};

pub fn check(index: &Index, findings: &mut Vec<Finding>) {
    check_autoscalers(index, findings);
    check_traffic_policies(index, findings);
}

fn check_autoscalers(index: &Index, findings: &mut Vec<Finding>) {
    let documents = index.documents;
    for scaler in index.autoscalers() {
        let doc = &documents[scaler];
        let Some((kind, name)) = index.scale_target(scaler) else {
            continue;
        };
        if kind != "Deployment" {
            continue;
        }
        let rollout = index.find(Kind::Rollout, name, doc.namespace());
        let referencing = index.of_kind(Kind::Rollout).find(|&r| {
            let rollout = &documents[r];
            rollout.namespace() == doc.namespace()
                && rollout.str_at("/spec/workloadRef/name") == Some(name)
        });
        let deployment = index.find(Kind::Deployment, name, doc.namespace());
        let path = FieldPath::parse("spec.scaleTargetRef.kind");
        if let Some(r) = referencing {
            findings.push(
                Finding::at(
                    doc,
                    &path,
                    Severity::Warning,
                    "migration/autoscaler-targets-deployment",
                    format!("scales Deployment {name}, which Rollout {} scales down; the two fight over its replicas", documents[r].name()),
                )
                .with_hint(format!("point scaleTargetRef at the Rollout: apiVersion argoproj.io/v1alpha1, kind Rollout, name {}", documents[r].name())),
            );
        } else if let (Some(_), None) = (rollout, deployment) {
            findings.push(
                Finding::at(
                    doc,
                    &path,
                    Severity::Error,
                    "migration/autoscaler-targets-deployment",
                    format!("scales Deployment {name}, which a Rollout of the same name replaced; nothing is autoscaled"),
                )
                .with_hint(format!("point scaleTargetRef at the Rollout: apiVersion argoproj.io/v1alpha1, kind Rollout, name {name}")),
            );
        }
    }
}

/// Whether some DestinationRule of the input covers `host` (a Service name) in `namespace`.
fn covered(index: &Index, service: &str, namespace: Option<&str>) -> bool {
    index.destination_rules_for(service).any(|r| {
        let rule = &index.documents[r];
        let host = rule.str_at("/spec/host").unwrap_or_default();
        host == "*"
            || host.starts_with("*.")
            || index
                .service_host(host)
                .is_some_and(|h| h.names(service, namespace, index.namespace(r)) == Naming::Yes)
    })
}

fn check_traffic_policies(index: &Index, findings: &mut Vec<Finding>) {
    let documents = index.documents;
    for r in index.of_kind(Kind::Rollout) {
        let rollout = &documents[r];
        let canary = &rollout.value["spec"]["strategy"]["canary"];
        if canary.lookup("/trafficRouting/istio").is_none()
            || canary
                .lookup("/trafficRouting/istio/destinationRule")
                .is_some()
        {
            continue;
        }
        // The hosts the routes split between: canary and stable, or ping and pong.
        let (stable_service, canary_service) = super::istio::stable_and_canary_services(canary);
        let new_hosts: Vec<&str> = [canary_service, stable_service]
            .into_iter()
            .filter(|s| !s.is_empty())
            .filter(|s| !covered(index, s, index.namespace(r)))
            .collect();
        if new_hosts.is_empty() || canary_service.is_empty() {
            continue;
        }
        // A policy for a Service that selects the same pods no longer applies to the split.
        let Some(canary_index) = index.find(Kind::Service, canary_service, rollout.namespace())
        else {
            continue;
        };
        for service in index.services_with_selector_of(canary_index) {
            let svc = &documents[service];
            if service == canary_index || new_hosts.contains(&svc.name()) {
                continue;
            }
            for rule in index.destination_rules_for(svc.name()) {
                let doc = &documents[rule];
                let names_service =
                    index.host_names(doc.str_at("/spec/host").unwrap_or_default(), service, rule)
                        == Naming::Yes;
                if names_service && doc.value.lookup("/spec/trafficPolicy").is_some() {
                    findings.push(
                        Finding::at(
                            doc,
                            &FieldPath::parse("spec.trafficPolicy"),
                            Severity::Warning,
                            "migration/traffic-policy-not-applied",
                            format!(
                                "this trafficPolicy applies to host {}, but Rollout {} routes traffic to {}, which no DestinationRule covers",
                                svc.name(),
                                rollout.name(),
                                new_hosts.join(" and ")
                            ),
                        )
                        .with_hint("add DestinationRules for the canary and stable hosts with the same trafficPolicy (rolloutify convert writes them)"),
                    );
                }
            }
        }
    }
}
