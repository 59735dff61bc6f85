//! The Istio router's checks (Argo Rollouts' `rollout/trafficrouting/istio/istio.go`): the
//! VirtualServices and DestinationRule a Rollout names must exist, every route kind they
//! hold must be resolvable to routes whose destinations are the stable and canary hosts (or
//! subsets), and no other destination may carry weight in those routes. Plus Istio's own
//! rule that weighted destinations add up to 100.

use serde_json::Value;

use super::at;
use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind, RouteKind};
use crate::load::{Document, FieldPath, Lookup as _};

/// What the destinations of a managed route must name.
struct Targets<'a> {
    stable_service: &'a str,
    canary_service: &'a str,
    /// `(stable subset, canary subset)` in subset mode.
    subsets: Option<(&'a str, &'a str)>,
    /// Routes the controller adds itself for header and mirror steps.
    managed_routes: Vec<&'a str>,
}

impl Targets<'_> {
    /// The controller cuts the destination host at its first dot and compares the rest with
    /// the Service name (`web-canary.shop.svc.cluster.local` names `web-canary`).
    fn host_is(host: &str, service: &str) -> bool {
        host.split('.').next() == Some(service)
    }

    fn is_stable(&self, destination: &Value) -> bool {
        match self.subsets {
            Some((stable, _)) => {
                destination
                    .lookup("/destination/subset")
                    .and_then(Value::as_str)
                    == Some(stable)
            }
            None => destination
                .lookup("/destination/host")
                .and_then(Value::as_str)
                .is_some_and(|h| Self::host_is(h, self.stable_service)),
        }
    }

    fn is_canary(&self, destination: &Value) -> bool {
        match self.subsets {
            Some((_, canary)) => {
                destination
                    .lookup("/destination/subset")
                    .and_then(Value::as_str)
                    == Some(canary)
            }
            None => destination
                .lookup("/destination/host")
                .and_then(Value::as_str)
                .is_some_and(|h| Self::host_is(h, self.canary_service)),
        }
    }
}

pub fn check_rollout(index: &Index, rollout_index: usize, findings: &mut Vec<Finding>) {
    let rollout = &index.documents[rollout_index];
    let Some(istio) = rollout
        .value
        .lookup("/spec/strategy/canary/trafficRouting/istio")
        .filter(|v| !v.is_null())
    else {
        return;
    };
    let base = FieldPath::parse("spec.strategy.canary.trafficRouting.istio");
    let single = istio.get("virtualService").filter(|v| !v.is_null());
    let multiple = istio.get("virtualServices").and_then(Value::as_array);
    let references: Vec<(FieldPath, &Value)> = match (single, multiple) {
        (Some(_), Some(_)) => {
            findings.push(at(
                rollout,
                &base,
                Severity::Error,
                "istio/virtual-service-config",
                "Invalid value: either VirtualService or VirtualServices must be configured, not both",
            ).with_hint("keep virtualService (one) or virtualServices (a list), not both"));
            return;
        }
        (Some(single), None) => vec![(base.clone().key("virtualService"), single)],
        (None, Some(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (base.clone().key("virtualServices").index(i), v))
            .collect(),
        (None, None) => {
            findings.push(
                at(
                    rollout,
                    &base,
                    Severity::Error,
                    "istio/virtual-service-config",
                    "Required value: either VirtualService or VirtualServices must be configured",
                )
                .with_hint(
                    "name the VirtualService whose routes the Rollout splits: virtualService.name",
                ),
            );
            return;
        }
    };
    let canary = &rollout.value["spec"]["strategy"]["canary"];
    let rule = istio.get("destinationRule").filter(|v| !v.is_null());
    let (stable_service, canary_service) = stable_and_canary_services(canary);
    let targets = Targets {
        stable_service,
        canary_service,
        subsets: rule.map(|r| {
            (
                r["stableSubsetName"].as_str().unwrap_or_default(),
                r["canarySubsetName"].as_str().unwrap_or_default(),
            )
        }),
        managed_routes: canary
            .lookup("/trafficRouting/managedRoutes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").and_then(Value::as_str))
            .collect(),
    };
    if let Some(rule) = rule {
        check_destination_rule(
            index,
            rollout,
            rule,
            &base.clone().key("destinationRule"),
            findings,
        );
    }
    for (path, reference) in references {
        let full_name = reference
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (name, namespace) = match full_name.split_once('.') {
            Some((name, ns)) => (name, Some(ns)),
            None => (full_name, rollout.namespace()),
        };
        let Some(vs) = index.find(Kind::VirtualService, name, namespace) else {
            findings.push(
                at(
                    rollout,
                    &path.clone().key("name"),
                    Severity::Warning,
                    "istio/virtual-service-not-found",
                    format!("VirtualService {full_name:?} is not in the input"),
                )
                .with_hint("include the VirtualService's file to have its routes checked"),
            );
            continue;
        };
        let vs = &index.documents[vs];
        check_virtual_service(rollout, &path, reference, vs, &targets, findings);
    }
}

/// The Services the routes must name (`GetStableAndCanaryServices(ro, false)`,
/// rollout/trafficrouting/service_helper.go:16-30): the canary and stable Services, or with
/// ping-pong and neither of them, the pong and ping Services (before the first promotion the
/// stable side is pong).
pub(super) fn stable_and_canary_services(canary: &Value) -> (&str, &str) {
    let text = |pointer: &str| {
        canary
            .lookup(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let (stable, canary_service) = (text("/stableService"), text("/canaryService"));
    if canary.get("pingPong").is_some_and(|p| !p.is_null())
        && stable.is_empty()
        && canary_service.is_empty()
    {
        return (text("/pingPong/pongService"), text("/pingPong/pingService"));
    }
    (stable, canary_service)
}

fn check_destination_rule(
    index: &Index,
    rollout: &Document,
    rule: &Value,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    let name = rule["name"].as_str().unwrap_or_default();
    let Some(found) = index.find(Kind::DestinationRule, name, rollout.namespace()) else {
        findings.push(at(
            rollout,
            &path.clone().key("name"),
            Severity::Warning,
            "istio/destination-rule-not-found",
            format!("DestinationRule {name:?} is not in the input"),
        ));
        return;
    };
    let subsets: Vec<&str> = index.documents[found]
        .value
        .lookup("/spec/subsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .collect();
    for field in ["canarySubsetName", "stableSubsetName"] {
        let subset = rule[field].as_str().unwrap_or_default();
        if !subsets.contains(&subset) {
            findings.push(
                at(
                    rollout,
                    &path.clone().key(field),
                    // The controller does not refuse the Rollout: it fails when it first
                    // updates the subsets' pod-template hashes (istio.go UpdateHash).
                    Severity::Warning,
                    "istio/subset-not-found",
                    format!("Invalid value: {subset:?}: subset {subset:?} not found in DestinationRule {name:?}; the controller accepts the Rollout but fails when it sets the subsets' pod-template hashes"),
                )
                .with_hint("add the subset (labels may be the app's selector; the controller adds the pod-template hash)"),
            );
        }
    }
}

/// Which routes of one kind the controller patches, or why it cannot find them.
fn routes_to_patch(
    kind: RouteKind,
    listed: Option<&Vec<Value>>,
    routes: &[Value],
) -> Result<Vec<usize>, String> {
    let listed = listed.map(Vec::as_slice).unwrap_or_default();
    match kind {
        RouteKind::Http => {
            if listed.is_empty() {
                return Ok(routes
                    .iter()
                    .position(|r| r.get("name").is_none_or(|n| n.as_str() == Some("")))
                    .into_iter()
                    .collect());
            }
            listed
                .iter()
                .map(|name| {
                    let name = name.as_str().unwrap_or_default();
                    routes
                        .iter()
                        .position(|r| r.get("name").and_then(Value::as_str) == Some(name))
                        .ok_or_else(|| {
                            format!(
                                "HTTP Route '{name}' is not found in the defined Virtual Service."
                            )
                        })
                })
                .collect()
        }
        RouteKind::Tls | RouteKind::Tcp => {
            if listed.is_empty() {
                return Ok(vec![0]);
            }
            let mut indexes = Vec::new();
            for wanted in listed {
                let port = wanted.get("port").and_then(Value::as_i64).unwrap_or(0);
                let mut wanted_hosts: Vec<&str> = wanted
                    .get("sniHosts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                wanted_hosts.sort_unstable();
                let found: Vec<usize> = routes
                    .iter()
                    .enumerate()
                    .filter(|(_, route)| {
                        let matches = route
                            .get("match")
                            .and_then(Value::as_array)
                            .map(Vec::as_slice)
                            .unwrap_or_default();
                        let mut ports: Vec<i64> = matches
                            .iter()
                            .map(|m| m.get("port").and_then(Value::as_i64).unwrap_or(0))
                            .collect();
                        ports.sort_unstable();
                        ports.dedup();
                        if ports.len() > 1 || ports.first().copied().unwrap_or(0) != port {
                            return false;
                        }
                        if kind == RouteKind::Tcp {
                            return true;
                        }
                        let mut hosts: Vec<&str> = matches
                            .iter()
                            .flat_map(|m| {
                                m.get("sniHosts")
                                    .and_then(Value::as_array)
                                    .into_iter()
                                    .flatten()
                            })
                            .filter_map(Value::as_str)
                            .collect();
                        hosts.sort_unstable();
                        hosts.dedup();
                        hosts == wanted_hosts
                    })
                    .map(|(i, _)| i)
                    .collect();
                if found.is_empty() {
                    let kind = if kind == RouteKind::Tls { "TLS" } else { "TCP" };
                    return Err(format!(
                        "No matching {kind} routes found in the defined Virtual Service."
                    ));
                }
                indexes.extend(found);
            }
            Ok(indexes)
        }
    }
}

fn check_virtual_service(
    rollout: &Document,
    path: &FieldPath,
    reference: &Value,
    vs: &Document,
    targets: &Targets,
    findings: &mut Vec<Finding>,
) {
    // validation_references.go:399-406: the VirtualService must hold http, tls or tcp routes.
    if RouteKind::ALL.iter().all(|kind| {
        vs.value
            .lookup(&format!("/spec/{}", kind.field()))
            .is_none_or(Value::is_null)
    }) {
        findings.push(
            at(
                rollout,
                &path.clone().key("name"),
                Severity::Error,
                "istio/no-routes",
                format!("Invalid value: {:?}: Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService", vs.name()),
            )
            .with_hint(format!("give VirtualService {} the http (or tls, tcp) route the Rollout splits", vs.name())),
        );
        return;
    }
    for kind in RouteKind::ALL {
        let Some(routes) = vs
            .value
            .lookup(&format!("/spec/{}", kind.field()))
            .and_then(Value::as_array)
        else {
            continue;
        };
        let list_field = match kind {
            RouteKind::Http => "routes",
            RouteKind::Tls => "tlsRoutes",
            RouteKind::Tcp => "tcpRoutes",
        };
        let listed = reference.get(list_field).and_then(Value::as_array);
        // The controller's wrapping (validation_references.go:414-446).
        let invalid = format!(
            "Istio VirtualService has invalid {} routes. Error:",
            kind.field().to_uppercase()
        );
        let patched = match routes_to_patch(kind, listed, routes) {
            Ok(patched) => patched,
            Err(message) => {
                findings.push(
                    at(
                        rollout,
                        &path.clone().key(list_field),
                        Severity::Error,
                        "istio/route-not-found",
                        format!("{invalid} {message}"),
                    )
                    .with_hint(format!(
                        "name the route in VirtualService {} or fix the list",
                        vs.name()
                    )),
                );
                continue;
            }
        };
        for route in patched {
            let Some(destinations) = routes
                .get(route)
                .and_then(|r| r.get("route"))
                .and_then(Value::as_array)
            else {
                continue;
            };
            let route_path = FieldPath::root().key("spec").key(kind.field()).index(route);
            let has_stable = destinations.iter().any(|d| targets.is_stable(d));
            let has_canary = destinations.iter().any(|d| targets.is_canary(d));
            let missing = match (targets.subsets, has_canary, has_stable) {
                (Some((_, canary)), false, _) => Some(format!(
                    "Canary DestinationRule subset '{canary}' not found in route"
                )),
                (Some((stable, _)), true, false) => Some(format!(
                    "Stable DestinationRule subset '{stable}' not found in route"
                )),
                (None, false, _) => Some(format!(
                    "Canary Service '{}' not found in route",
                    targets.canary_service
                )),
                (None, true, false) => Some(format!(
                    "Stable Service '{}' not found in route",
                    targets.stable_service
                )),
                _ => None,
            };
            if let Some(message) = missing.map(|m| format!("{invalid} {m}")) {
                findings.push(
                    super::at(vs, &route_path.clone().key("route"), Severity::Error, "istio/route-destinations", message)
                        .with_hint(format!("Rollout {} manages this route: give it one destination to the stable and one to the canary", rollout.name())),
                );
            }
            for (d, destination) in destinations.iter().enumerate() {
                let weight = destination
                    .get("weight")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if weight != 0 && !targets.is_stable(destination) && !targets.is_canary(destination)
                {
                    let host = destination
                        .lookup("/destination/host")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    findings.push(super::at(
                        vs,
                        &route_path.clone().key("route").index(d),
                        Severity::Warning,
                        "istio/foreign-destination",
                        format!("destination {host:?} with weight {weight} is neither stable nor canary; the controller deletes it when it sets weights"),
                    ));
                }
            }
        }
        if listed.is_none_or(Vec::is_empty) {
            let candidates = routes
                .iter()
                .filter(|r| {
                    kind != RouteKind::Http
                        || !r
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| targets.managed_routes.contains(&n))
                })
                .count();
            if candidates > 1 {
                findings.push(
                    at(
                        rollout,
                        path,
                        Severity::Error,
                        "istio/route-ambiguous",
                        format!(
                            "{invalid} spec.{}[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.{list_field}",
                            kind.field()
                        ),
                    )
                    .with_hint(format!("list the {} routes the Rollout manages in {list_field}", kind.field())),
                );
            }
        }
    }
}

/// Istio's admission rules for the destinations of a VirtualService's routes
/// (`pkg/config/validation/validation.go`): the VirtualService has http, tcp or tls routes
/// (validation.go:1828-1830), no weight is negative (`validateWeight`, :339-342), and the
/// weights of a route with several destinations are not all zero
/// (`validateHTTPRouteDestinations`, :2444-2446). Istio does not require the weights to add
/// up to 100 (it splits in proportion); a total other than 100 is only a warning here.
pub fn check_weights(vs: &Document, findings: &mut Vec<Finding>) {
    let has_hosts = vs
        .value
        .lookup("/spec/hosts")
        .and_then(Value::as_array)
        .is_some_and(|h| !h.is_empty());
    let empty = |kind: &RouteKind| {
        vs.value
            .lookup(&format!("/spec/{}", kind.field()))
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    };
    if has_hosts && RouteKind::ALL.iter().all(empty) {
        findings.push(
            Finding::at(
                vs,
                &FieldPath::root().key("spec"),
                Severity::Error,
                "istio/no-routes",
                "http, tcp or tls must be provided in virtual service",
            )
            .with_hint("Istio refuses the VirtualService; give it at least one route"),
        );
    }
    for kind in RouteKind::ALL {
        let routes = vs
            .value
            .lookup(&format!("/spec/{}", kind.field()))
            .and_then(Value::as_array);
        for (r, route) in routes.into_iter().flatten().enumerate() {
            let destinations = route
                .get("route")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let route_path = FieldPath::root()
                .key("spec")
                .key(kind.field())
                .index(r)
                .key("route");
            let weight = |d: &Value| d.get("weight").and_then(Value::as_i64).unwrap_or(0);
            for (d, destination) in destinations.iter().enumerate() {
                let w = weight(destination);
                if w < 0 {
                    findings.push(
                        super::at(
                            vs,
                            &route_path.clone().index(d).key("weight"),
                            Severity::Error,
                            "istio/weights",
                            format!("weight {w} < 0"),
                        )
                        .with_hint("Istio refuses the VirtualService; weights are 0 or more"),
                    );
                }
            }
            if destinations.len() < 2 {
                continue;
            }
            let total: i64 = destinations.iter().map(weight).sum();
            if total == 0 {
                findings.push(
                    super::at(
                        vs,
                        &route_path,
                        Severity::Error,
                        "istio/weights",
                        "total destination weight = 0",
                    )
                    .with_hint(
                        "Istio refuses the VirtualService; give the stable destination weight 100",
                    ),
                );
            } else if total != 100 && destinations.iter().all(|d| weight(d) >= 0) {
                findings.push(
                    Finding::at(
                        vs,
                        &route_path,
                        Severity::Warning,
                        "istio/weights-sum",
                        format!(
                            "spec.{}[{r}].route: destination weights add up to {total}, not 100; Istio accepts this and splits traffic in proportion to the weights",
                            kind.field()
                        ),
                    )
                    .with_hint("write weights that add up to 100 so they read as percentages; the Rollout controller sets them so"),
                );
            }
        }
    }
}

/// Istio's admission rule for the subsets of a DestinationRule (`validateDestinationRule`,
/// istio/istio `pkg/config/validation/validation.go:648-655`): subset names are unique.
pub fn check_destination_rule_subsets(rule: &Document, findings: &mut Vec<Finding>) {
    let subsets = rule.value.lookup("/spec/subsets").and_then(Value::as_array);
    let mut seen = std::collections::HashSet::new();
    for (i, subset) in subsets.into_iter().flatten().enumerate() {
        let Some(name) = subset.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !seen.insert(name) {
            findings.push(
                super::at(
                    rule,
                    &FieldPath::parse("spec.subsets").index(i).key("name"),
                    Severity::Error,
                    "istio/destination-rule",
                    format!("duplicate subset names: {name}"),
                )
                .with_hint("Istio refuses the DestinationRule; give each subset its own name"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ping_pong_services_stand_for_stable_and_canary() {
        let ping_pong = json!({"pingPong": {"pingService": "ping", "pongService": "pong"}});
        assert_eq!(stable_and_canary_services(&ping_pong), ("pong", "ping"));
        let both = json!({"canaryService": "c", "stableService": "s", "pingPong": {"pingService": "ping", "pongService": "pong"}});
        assert_eq!(stable_and_canary_services(&both), ("s", "c"));
    }
}
