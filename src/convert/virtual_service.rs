//! Rewriting VirtualService routes so that Argo Rollouts can shift their weights, and the
//! `trafficRouting.istio` entry that tells the controller which routes are its own.
//!
//! Every route that reaches the app's Service gets exactly two destinations, stable with
//! weight 100 and canary with weight 0, on the same port, with the host written in the form
//! the user wrote it. Everything else in the route and the VirtualService stays as it was.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::object;
use crate::finding::{Finding, Severity};
use crate::index::host::ServiceHost;
use crate::index::{RouteKind, RouteRef};
use crate::load::{Document, FieldPath, Lookup as _};
use crate::plan::routes::route_identity;

/// The annotation that names the Rollout owning a VirtualService's weights.
pub const ROLLOUT_ANNOTATION: &str = "rolloutify.io/rollout";

/// How unnamed http routes are named: `base`, by place among `unnamed` (the unnamed http
/// routes of the VirtualService that the run manages, in route order).
#[derive(Debug, Clone, Copy)]
pub struct RouteNames<'a> {
    pub base: &'a str,
    pub unnamed: &'a [usize],
}

/// Where the two destinations of a managed route point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// Two Services (`<svc>-stable`, `<svc>-canary`).
    Hosts { stable: String, canary: String },
    /// Two subsets of the Service's DestinationRule.
    Subsets { stable: String, canary: String },
}

/// What the Rollout must list for one VirtualService.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManagedRoutes {
    pub http: Vec<String>,
    pub tls: Vec<Value>,
    pub tcp: Vec<Value>,
}

impl ManagedRoutes {
    pub fn is_empty(&self) -> bool {
        self.http.is_empty() && self.tls.is_empty() && self.tcp.is_empty()
    }

    /// The `virtualService` entry of `trafficRouting.istio`.
    pub fn to_reference(&self, name: String) -> Value {
        let mut entry = Map::new();
        entry.insert("name".to_owned(), json!(name));
        if !self.http.is_empty() {
            entry.insert("routes".to_owned(), json!(self.http));
        }
        if !self.tls.is_empty() {
            entry.insert("tlsRoutes".to_owned(), json!(self.tls));
        }
        if !self.tcp.is_empty() {
            entry.insert("tcpRoutes".to_owned(), json!(self.tcp));
        }
        Value::Object(entry)
    }
}

/// Rewrites the routes of one VirtualService (`value`, the working copy of `document`) that
/// `refs` point at. Unnamed http routes are named by their place in `unnamed`, the unnamed
/// http routes of this VirtualService that the run manages. Returns the routes the Rollout
/// must list.
pub fn rewrite(
    document: &Document,
    value: &mut Value,
    refs: &[&RouteRef],
    split: &Split,
    names: RouteNames,
    rollout: &str,
    findings: &mut Vec<Finding>,
) -> ManagedRoutes {
    let mut managed = ManagedRoutes::default();
    let mut by_route: BTreeMap<(RouteKind, usize), Vec<usize>> = BTreeMap::new();
    for r in refs {
        by_route
            .entry((r.kind, r.route))
            .or_default()
            .push(r.destination);
    }
    let mut used_names: Vec<String> = value
        .lookup("/spec/http")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|route| route.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    for ((kind, index), destinations) in by_route {
        let Some(route) = value
            .pointer_mut(&format!("/spec/{}/{index}", kind.field()))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        // The plan hands over whole routes of the app's Service alone
        // (`plan::routes::sort_out`).
        let all = route
            .get("route")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if destinations.len() != all {
            continue;
        }
        let identity = match kind {
            RouteKind::Http => None,
            RouteKind::Tls | RouteKind::Tcp => {
                match route_identity(kind, &Value::Object(route.clone())) {
                    Some(identity) => Some(identity),
                    None => continue,
                }
            }
        };
        let Some(first) = route
            .get("route")
            .and_then(Value::as_array)
            .and_then(|d| d.first())
            .cloned()
        else {
            continue;
        };
        route.insert(
            "route".to_owned(),
            Value::Array(vec![
                destination(&first, split, true),
                destination(&first, split, false),
            ]),
        );
        match kind {
            RouteKind::Http => {
                let name = match route.get("name").and_then(Value::as_str) {
                    Some(name) => name.to_owned(),
                    None => {
                        let name = unique_name(
                            &positional_name(names.unnamed, names.base, index),
                            &used_names,
                        );
                        used_names.push(name.clone());
                        object::insert_first(route, "name", json!(name));
                        name
                    }
                };
                managed.http.push(name);
            }
            RouteKind::Tls => managed.tls.extend(identity),
            RouteKind::Tcp => managed.tcp.extend(identity),
        }
    }
    if !managed.is_empty() {
        check_unmanaged_kinds(document, value, &managed, findings);
    }
    if !managed.is_empty()
        && let Some(metadata) = object::object_at(value, &["metadata"])
    {
        let annotations = match metadata.get_mut("annotations") {
            Some(Value::Object(map)) => map,
            _ => {
                metadata.insert("annotations".to_owned(), json!({}));
                match metadata.get_mut("annotations") {
                    Some(Value::Object(map)) => map,
                    _ => return managed,
                }
            }
        };
        let owners = match annotations.get(ROLLOUT_ANNOTATION).and_then(Value::as_str) {
            Some(existing) if !existing.split(',').any(|o| o == rollout) => {
                format!("{existing},{rollout}")
            }
            Some(existing) => existing.to_owned(),
            None => rollout.to_owned(),
        };
        annotations.insert(ROLLOUT_ANNOTATION.to_owned(), json!(owners));
    }
    managed
}

/// Argo Rollouts validates every route kind a VirtualService has, not only the kinds the
/// Rollout lists: with no tls (tcp) routes listed it checks the first tls (tcp) route, and with
/// no http routes listed the first unnamed http route, for the stable and canary hosts. A kind
/// the app has no route of makes the controller refuse the Rollout.
fn check_unmanaged_kinds(
    document: &Document,
    value: &Value,
    managed: &ManagedRoutes,
    findings: &mut Vec<Finding>,
) {
    for (kind, none_managed) in [
        (RouteKind::Http, managed.http.is_empty()),
        (RouteKind::Tls, managed.tls.is_empty()),
        (RouteKind::Tcp, managed.tcp.is_empty()),
    ] {
        let routes = value
            .lookup(&format!("/spec/{}", kind.field()))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if !none_managed || routes == 0 {
            continue;
        }
        // All-named http routes are left alone when the Rollout lists none, as long as there is
        // only one of them.
        if kind == RouteKind::Http {
            let all_named = value
                .lookup("/spec/http")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().all(|route| route.get("name").is_some()));
            if all_named && routes <= 1 {
                continue;
            }
        }
        findings.push(
            Finding::at(
                document,
                &FieldPath::root().key("spec").key(kind.field()),
                Severity::Warning,
                "convert/unmanaged-route-kind",
                format!(
                    "the app has no {} route here, but Argo Rollouts checks this VirtualService's {} routes for the stable and canary hosts and will refuse the Rollout",
                    kind.field(),
                    kind.field()
                ),
            )
            .with_hint(format!(
                "move the {} routes of other services to a VirtualService of their own",
                kind.field()
            )),
        );
    }
}

/// The name for the unnamed http route at `index`, from its place among the unnamed http
/// routes of the VirtualService that this run manages (`unnamed`, in route order): `base` for
/// the first, `base-2` for the second… So names follow route order whichever app's route is
/// named first, and a second run (its routes all named) names nothing.
fn positional_name(unnamed: &[usize], base: &str, index: usize) -> String {
    match unnamed.iter().position(|&r| r == index).unwrap_or(0) {
        0 => base.to_owned(),
        place => format!("{base}-{}", place + 1),
    }
}

/// `name`, or `name-2`, `name-3`… whichever is not taken.
fn unique_name(base: &str, used: &[String]) -> String {
    if !used.iter().any(|u| u == base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !used.contains(candidate))
        .unwrap_or_else(|| base.to_owned())
}

/// One of the two destinations, shaped like the route's first destination so that `port`,
/// `headers` and key order carry over.
fn destination(template: &Value, split: &Split, stable: bool) -> Value {
    let mut out = template.as_object().cloned().unwrap_or_default();
    let mut destination = out
        .get("destination")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let host = destination
        .get("host")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match split {
        Split::Hosts {
            stable: s,
            canary: c,
        } => {
            let service = if stable { s } else { c };
            let new_host = ServiceHost::replace_service(&host, service);
            destination.insert("host".to_owned(), json!(new_host));
            object::remove(&mut destination, "subset");
        }
        Split::Subsets {
            stable: s,
            canary: c,
        } => {
            let subset = if stable { s } else { c };
            object::insert_after(&mut destination, "host", "subset", json!(subset));
        }
    }
    out.insert("destination".to_owned(), Value::Object(destination));
    let weight = json!(if stable { 100 } else { 0 });
    object::insert_after(&mut out, "destination", "weight", weight);
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_keep_form_and_port() {
        let first = json!({"destination": {"host": "web.shop.svc.cluster.local", "subset": "v1", "port": {"number": 80}}, "headers": {"request": {"set": {"x": "1"}}}});
        let split = Split::Hosts {
            stable: "web-stable".into(),
            canary: "web-canary".into(),
        };
        assert_eq!(
            destination(&first, &split, true),
            json!({"destination": {"host": "web-stable.shop.svc.cluster.local", "port": {"number": 80}}, "weight": 100, "headers": {"request": {"set": {"x": "1"}}}})
        );
        let subsets = Split::Subsets {
            stable: "stable".into(),
            canary: "canary".into(),
        };
        assert_eq!(
            destination(
                &json!({"destination": {"host": "web", "port": {"number": 80}}}),
                &subsets,
                false
            ),
            json!({"destination": {"host": "web", "subset": "canary", "port": {"number": 80}}, "weight": 0})
        );
    }

    #[test]
    fn names_are_unique() {
        let used = vec!["primary".to_owned(), "primary-2".to_owned()];
        assert_eq!(unique_name("primary", &used), "primary-3");
        assert_eq!(unique_name("main", &used), "main");
    }
}
