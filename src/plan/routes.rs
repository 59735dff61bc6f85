//! Which routes of an app rolloutify can manage.
//!
//! A route is managed only when every destination in it is the app's Service (in any host
//! form, all on one port) or already its stable/canary pair, and nothing else receives its
//! traffic (no mirror elsewhere, no subset of other pods). A route that also sends traffic
//! elsewhere is left exactly as it was: rewriting it would drop or redirect that traffic,
//! and the controller deletes every destination that is neither stable nor canary.

use serde_json::{Map, Value};

use crate::finding::{Finding, Severity};
use crate::index::host::Naming;
use crate::index::{Index, RouteKind, RouteRef, pod_labels};
use crate::load::{FieldPath, Lookup as _};

use super::settings::Settings;

/// The label the controller adds to the pods (and subsets) of each revision.
pub const POD_TEMPLATE_HASH: &str = "rollouts-pod-template-hash";

/// The routes of one app, sorted out.
#[derive(Debug, Default)]
pub struct Routes {
    /// Every destination of the routes rolloutify manages, each pointing at the app's
    /// Service, in input order.
    pub managed: Vec<RouteRef>,
    /// Routes that reach the app but are left as they are, and splits that are replaced.
    pub findings: Vec<Finding>,
    /// Where the first route left alone is, for the message saying the app is not converted.
    pub first_unmanaged: Option<crate::load::Location>,
    /// Whether a route was left alone because the namespace of documents without one is
    /// unknown (`-n` would decide).
    pub namespace_unknown: bool,
}

/// What one destination of a route is, seen from the app.
enum Target {
    /// The app's Service; `own` is false for a subset that selects other pods.
    Service { own: bool },
    /// Its stable or canary Service.
    Pair,
    /// Whether it is the app's Service depends on the unknown namespace.
    Unsure(String),
    /// Anything else.
    Elsewhere(String),
}

/// Sorts out the routes that reach `service` (the app's Service) or one of the app's other
/// Services, as `app` lists them.
pub fn sort_out(
    index: &Index,
    app: &crate::index::App,
    service: usize,
    settings: &Settings,
) -> Routes {
    let mut routes = Routes::default();
    let mut touched: Vec<(usize, RouteKind, usize)> = app
        .routes
        .iter()
        .chain(&app.unsure_routes)
        .map(|r| (r.virtual_service, r.kind, r.route))
        .collect();
    touched.sort_unstable();
    touched.dedup();
    let deployment = &index.documents[app.deployment];
    let labels = pod_labels(deployment);
    for (vs, kind, route) in touched {
        let document = &index.documents[vs];
        let route_path = FieldPath::root().key("spec").key(kind.field()).index(route);
        let Some(value) = document
            .value
            .lookup(&format!("/spec/{}/{route}", kind.field()))
        else {
            continue;
        };
        let destinations = index.route_destinations(vs, kind, route);
        let targets: Vec<Target> = destinations
            .iter()
            .map(|d| target(index, service, vs, d, &labels, settings))
            .collect();
        let name = route_label(kind, route, value);
        let mut not_managed = |message: String, hint: &str, rule: &'static str| {
            let finding = Finding::at(document, &route_path, Severity::Warning, rule, message)
                .with_hint(hint.to_owned());
            if routes.first_unmanaged.is_none() {
                routes.first_unmanaged = Some(finding.location.clone());
            }
            routes.findings.push(finding);
        };
        let mirrors = mirrors_elsewhere(index, service, vs, value);
        let elsewhere: Vec<&str> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Elsewhere(what) => Some(what.as_str()),
                _ => None,
            })
            .chain(mirrors.iter().map(String::as_str))
            .collect();
        let service_name = index.documents[service].name();
        let deployment_name = deployment.name();
        if !elsewhere.is_empty() {
            let only_elsewhere = targets
                .iter()
                .all(|t| matches!(t, Target::Elsewhere(_) | Target::Unsure(_)));
            not_managed(
                format!(
                    "{name} {} {}; it is left as it is and not managed by the Rollout of {deployment_name}",
                    if only_elsewhere {
                        "sends traffic to"
                    } else {
                        "also sends traffic to"
                    },
                    elsewhere.join(", ")
                ),
                if only_elsewhere {
                    "this route reaches pods of the app through another Service or subset; its traffic goes to canary pods by their share of replicas: route to the app's Service instead"
                } else {
                    "Argo Rollouts deletes destinations that are neither stable nor canary; split this route in two (one for the app's Service, one for the rest) to have the app's part managed"
                },
                "convert/route-not-managed",
            );
            continue;
        }
        if let Some(host) = targets.iter().find_map(|t| match t {
            Target::Unsure(host) => Some(host),
            _ => None,
        }) {
            not_managed(
                format!(
                    "{name}: whether {host} is Service {service_name} depends on the namespace of the documents that name none; it is left as it is and not managed by the Rollout of {deployment_name}"
                ),
                "give the namespace those documents are applied to with -n NAMESPACE (as with kubectl apply -n), or write metadata.namespace in them",
                "convert/namespace-unknown",
            );
            routes.namespace_unknown = true;
            continue;
        }
        let ports: Vec<Option<&Value>> = destinations
            .iter()
            .map(|d| d.lookup("/destination/port"))
            .collect();
        if ports.windows(2).any(|w| w[0] != w[1]) {
            not_managed(
                format!(
                    "{name} sends traffic to Service {service_name} on different ports; it is left as it is and not managed by the Rollout of {deployment_name}"
                ),
                "a managed route has one stable and one canary destination on one port: give each port a route of its own",
                "convert/route-not-managed",
            );
            continue;
        }
        let own = targets
            .iter()
            .any(|t| matches!(t, Target::Service { own: true } | Target::Pair));
        if !own {
            not_managed(
                format!(
                    "{name} sends traffic only to subsets of Service {service_name} that do not select the pods of Deployment {deployment_name}; it is left as it is"
                ),
                "managing it would send that traffic to this Deployment's pods; convert the Deployment those subsets select instead",
                "convert/route-not-managed",
            );
            continue;
        }
        if kind != RouteKind::Http && route_identity(kind, value).is_none() {
            not_managed(
                format!(
                    "{name} has no match with a port{}; Argo Rollouts cannot refer to it, so it is not managed",
                    if kind == RouteKind::Tls {
                        " and sniHosts"
                    } else {
                        ""
                    }
                ),
                "add a `match` with `port` (and `sniHosts` for tls) to the route",
                "convert/unmatchable-route",
            );
            continue;
        }
        if let Some(split) = replaced_split(destinations, settings, service_name) {
            routes.findings.push(
                Finding::at(
                    document,
                    &route_path.clone().key("route"),
                    Severity::Warning,
                    "convert/split-replaced",
                    format!(
                        "{name} splits the app's traffic as {split}; it becomes stable (100) and canary (0) for the Rollout of {deployment_name}, and that split is gone"
                    ),
                )
                .with_hint("the Rollout's steps set the canary weight from now on; if the split was a canary in progress, finish it before converting"),
            );
        }
        routes
            .managed
            .extend((0..destinations.len()).map(|d| RouteRef {
                virtual_service: vs,
                kind,
                route,
                destination: d,
                service,
            }));
    }
    routes
}

/// `http route 0 (name)`, for messages.
fn route_label(kind: RouteKind, index: usize, route: &Value) -> String {
    match route.get("name").and_then(Value::as_str) {
        Some(name) => format!("{} route {index} ({name})", kind.field()),
        None => format!("{} route {index}", kind.field()),
    }
}

/// What a destination is, seen from the app whose Service is `service`.
fn target(
    index: &Index,
    service: usize,
    vs: usize,
    destination: &Value,
    labels: &Map<String, Value>,
    settings: &Settings,
) -> Target {
    let host = destination
        .lookup("/destination/host")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(parsed) = index.service_host(host) else {
        return Target::Elsewhere(if host.is_empty() {
            "a destination without host".to_owned()
        } else {
            format!(
                "{host} (not a Service of cluster domain {})",
                index.scope().cluster_domain
            )
        });
    };
    let svc = &index.documents[service];
    match index.host_names(host, service, vs) {
        Naming::Yes => {
            let subset = destination
                .lookup("/destination/subset")
                .and_then(Value::as_str);
            match subset {
                None => Target::Service { own: true },
                Some(subset) => match subset_labels(index, service, subset) {
                    Some(subset_labels) => Target::Service {
                        own: carried_by(&subset_labels, labels),
                    },
                    None => Target::Elsewhere(format!(
                        "{host} subset {subset}, which no DestinationRule of the input defines"
                    )),
                },
            }
        }
        Naming::Depends => Target::Unsure(host.to_owned()),
        Naming::No => {
            let namespace = index.namespace(service);
            let pair = [&settings.stable_suffix, &settings.canary_suffix]
                .iter()
                .map(|suffix| {
                    parsed.names(
                        &format!("{}{suffix}", svc.name()),
                        namespace,
                        index.namespace(vs),
                    )
                })
                .find(|n| *n != Naming::No);
            match pair {
                Some(Naming::Yes) => Target::Pair,
                Some(_) => Target::Unsure(host.to_owned()),
                None => Target::Elsewhere(host.to_owned()),
            }
        }
    }
}

/// Mirror hosts of a route that are not the app's Service.
fn mirrors_elsewhere(index: &Index, service: usize, vs: usize, route: &Value) -> Vec<String> {
    let single = route.lookup("/mirror/host").and_then(Value::as_str);
    let many = route
        .get("mirrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.lookup("/destination/host").and_then(Value::as_str));
    single
        .into_iter()
        .chain(many)
        .filter(|host| index.host_names(host, service, vs) != Naming::Yes)
        .map(|host| format!("{host} (mirror)"))
        .collect()
}

/// The labels of subset `subset` in a DestinationRule of the input for `service`.
pub fn subset_labels(index: &Index, service: usize, subset: &str) -> Option<Map<String, Value>> {
    let name = index.documents[service].name();
    index.destination_rules_for(name).find_map(|r| {
        let rule = &index.documents[r];
        let host = rule.str_at("/spec/host").unwrap_or_default();
        if index.host_names(host, service, r) != Naming::Yes {
            return None;
        }
        rule.value
            .lookup("/spec/subsets")
            .and_then(Value::as_array)?
            .iter()
            .find(|s| s.get("name").and_then(Value::as_str) == Some(subset))
            .map(|s| {
                s.get("labels")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default()
            })
    })
}

/// Whether pods with `labels` carry every label of a subset, leaving out the pod-template
/// hash the controller adds to the subsets it manages.
pub fn carried_by(subset: &Map<String, Value>, labels: &Map<String, Value>) -> bool {
    subset
        .iter()
        .filter(|(k, _)| k.as_str() != POD_TEMPLATE_HASH)
        .all(|(k, v)| labels.get(k) == Some(v))
}

/// How a Rollout names a tls route (`port` + `sniHosts`) or a tcp route (`port`): from the
/// route's first match that has a port. `None` when it has none.
pub fn route_identity(kind: RouteKind, route: &Value) -> Option<Value> {
    let matches = route.get("match")?.as_array()?;
    matches.iter().find_map(|m| {
        let port = m.get("port")?.as_u64()?;
        match kind {
            RouteKind::Tls => {
                let hosts = m.get("sniHosts")?.as_array()?;
                (!hosts.is_empty()).then(|| {
                    crate::convert::object::object([
                        ("port", serde_json::json!(port)),
                        ("sniHosts", Value::Array(hosts.clone())),
                    ])
                })
            }
            _ => Some(serde_json::json!({ "port": port })),
        }
    })
}

/// The split a route already has between several destinations of the app, written out, when
/// it is not the stable 100 / canary 0 that rolloutify writes.
fn replaced_split(destinations: &[Value], settings: &Settings, service: &str) -> Option<String> {
    if destinations.len() < 2 {
        return None;
    }
    let weight = |d: &Value| d.get("weight").and_then(Value::as_u64);
    let host = |d: &Value| {
        d.lookup("/destination/host")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split('.')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let subset = |d: &Value| {
        d.lookup("/destination/subset")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let stable = format!("{service}{}", settings.stable_suffix);
    let canary = format!("{service}{}", settings.canary_suffix);
    if let [first, second] = destinations {
        let ours_by_host = host(first) == stable && host(second) == canary;
        let ours_by_subset = subset(first).is_some() && subset(second).is_some();
        if (ours_by_host || ours_by_subset)
            && weight(first) == Some(100)
            && weight(second).unwrap_or(0) == 0
        {
            return None;
        }
    }
    let parts: Vec<String> = destinations
        .iter()
        .map(|d| {
            let mut text = host(d);
            if let Some(subset) = subset(d) {
                text.push_str(&format!(" (subset {subset})"));
            }
            match weight(d) {
                Some(w) => text.push_str(&format!(" {w}")),
                None => text.push_str(" (no weight)"),
            }
            text
        })
        .collect();
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subsets_are_read_without_the_hash() {
        let labels = json!({"app": "web", "stage": "prod"});
        let labels = labels.as_object().unwrap();
        let own = json!({"app": "web", POD_TEMPLATE_HASH: "abc"});
        let other = json!({"stage": "test"});
        assert!(carried_by(own.as_object().unwrap(), labels));
        assert!(!carried_by(other.as_object().unwrap(), labels));
    }

    #[test]
    fn splits_are_written_out() {
        let settings = Settings::default();
        let split = |d: Value| replaced_split(d.as_array().unwrap(), &settings, "web");
        assert_eq!(
            split(json!([
                {"destination": {"host": "web", "subset": "v1"}, "weight": 99},
                {"destination": {"host": "web.shop.svc.cluster.local", "subset": "v2"}, "weight": 1}
            ]))
            .as_deref(),
            Some("web (subset v1) 99, web (subset v2) 1")
        );
        assert_eq!(
            split(json!([
                {"destination": {"host": "web-stable"}, "weight": 100},
                {"destination": {"host": "web-canary"}, "weight": 0}
            ])),
            None
        );
        assert_eq!(split(json!([{"destination": {"host": "web"}}])), None);
    }
}
