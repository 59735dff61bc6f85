//! What ties files together: every relation that planning, converting or checking follows
//! from one document to another, noted per document in a few bytes, and the files grouped
//! so that no relation crosses from one group to another.
//!
//! The relations are over-approximated, never missed: a group may hold files that did not
//! need each other, which costs memory, never a different result. They are:
//! - the documents of one file;
//! - documents of the kinds rolloutify reads with the same name (in any namespace), and the
//!   names they refer to: destination and DestinationRule hosts, scale targets, and what a
//!   Rollout names (its workload, Services, VirtualServices, DestinationRule, templates);
//! - a name and the names it starts (a Service `web` and `web-canary`: converting looks up
//!   the names it derives);
//! - a Service or PodDisruptionBudget and the workloads whose pods it selects, and Services
//!   with the same selector;
//! - an AnalysisTemplate already in the input and the Deployments of its namespace (apps
//!   reuse the shared template of their namespace);
//! - a DestinationRule with a wildcard host and every Service;
//! - an Istio Gateway and the workloads its selector picks, in every namespace (the mesh's
//!   own workloads are not candidates), and a workload and the claims its pods mount.
//! - documents of other kinds with the same API group, kind and name (the same object twice
//!   is an error, see [`crate::index::duplicates`]).
//!
//! Namespaces are read as the run reads them: a document without one is in `-n`'s.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde_json::{Map, Value};

use crate::index::host::{Scope, ServiceHost};
use crate::index::{Kind, selector};
use crate::load::{Document, Lookup as _};

/// The part of a document that relations are read from.
#[derive(Debug, Clone)]
pub struct Summary {
    kind: Kind,
    namespace: Option<String>,
    name: String,
    /// Names of other resources this one refers to.
    refers_to: Vec<String>,
    /// Pod template labels (Deployments, Rollouts).
    pod_labels: Option<Map<String, Value>>,
    /// A Service's selector, and its text (equal selectors, equal texts).
    service_selector: Option<(Map<String, Value>, String)>,
    /// A PodDisruptionBudget's label selector.
    label_selector: Option<Value>,
    /// A DestinationRule whose host is a wildcard.
    wildcard_rule: bool,
    /// An Istio Gateway's selector: the pods it picks, in every namespace.
    gateway_selector: Option<Map<String, Value>>,
    /// A kind rolloutify does not read: `group/Kind`, to find the same object twice.
    other_kind: Option<Box<str>>,
}

/// Keys under a Rollout's `spec.strategy` and `spec.workloadRef` whose string values name
/// other resources.
const ROLLOUT_REFERENCE_KEYS: [&str; 8] = [
    "name",
    "canaryService",
    "stableService",
    "activeService",
    "previewService",
    "pingService",
    "pongService",
    "templateName",
];

/// Notes what relations can be read from `document`, in the namespace `scope` puts it.
pub fn summarize(document: &Document, scope: &Scope) -> Summary {
    let kind = Kind::of(document);
    let mut summary = Summary {
        kind,
        namespace: scope.namespace_of(document.namespace()).map(str::to_owned),
        name: document.name().to_owned(),
        refers_to: Vec::new(),
        pod_labels: None,
        service_selector: None,
        label_selector: None,
        wildcard_rule: false,
        gateway_selector: None,
        other_kind: (kind == Kind::Other)
            .then(|| format!("{}/{}", document.group(), document.kind()).into_boxed_str()),
    };
    let value = &*document.value;
    match kind {
        Kind::Deployment | Kind::Rollout => {
            summary.pod_labels = value
                .lookup("/spec/template/metadata/labels")
                .and_then(Value::as_object)
                .cloned();
            // The claims its pods mount (a ReadWriteOnce claim keeps it from being a
            // candidate).
            for volume in value
                .lookup("/spec/template/spec/volumes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(claim) = volume
                    .lookup("/persistentVolumeClaim/claimName")
                    .and_then(Value::as_str)
                {
                    summary.refers_to.push(claim.to_owned());
                }
            }
            if kind == Kind::Rollout {
                for pointer in ["/spec/workloadRef", "/spec/strategy"] {
                    if let Some(node) = value.lookup(pointer) {
                        collect_references(node, &mut summary.refers_to);
                    }
                }
            }
        }
        Kind::Service => {
            summary.service_selector = crate::index::service_selector(document).map(|selector| {
                let text = serde_json::to_string(selector).unwrap_or_default();
                (selector.clone(), text)
            })
        }
        Kind::Gateway => {
            summary.gateway_selector = value
                .lookup("/spec/selector")
                .and_then(Value::as_object)
                .cloned();
        }
        Kind::PodDisruptionBudget => {
            summary.label_selector = value.lookup("/spec/selector").cloned();
        }
        Kind::VirtualService => {
            for routes in ["/spec/http", "/spec/tls", "/spec/tcp"] {
                for route in value
                    .lookup(routes)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    for destination in route
                        .get("route")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(host) = destination
                            .lookup("/destination/host")
                            .and_then(Value::as_str)
                            .and_then(ServiceHost::service_label)
                        {
                            summary.refers_to.push(host.to_owned());
                        }
                    }
                }
            }
        }
        Kind::DestinationRule => {
            let host = document.str_at("/spec/host").unwrap_or_default();
            if host.starts_with('*') {
                summary.wildcard_rule = true;
            } else if let Some(service) = ServiceHost::service_label(host) {
                summary.refers_to.push(service.to_owned());
            }
        }
        Kind::HorizontalPodAutoscaler | Kind::ScaledObject => {
            if let Some(name) = document.str_at("/spec/scaleTargetRef/name") {
                summary.refers_to.push(name.to_owned());
            }
        }
        _ => {}
    }
    summary
}

/// Every string under one of [`ROLLOUT_REFERENCE_KEYS`], and for `name.namespace` forms the
/// name alone as well.
fn collect_references(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            for (key, child) in map {
                if let (true, Some(name)) = (
                    ROLLOUT_REFERENCE_KEYS.contains(&key.as_str()),
                    child.as_str(),
                ) {
                    out.push(name.to_owned());
                    if let Some((short, _)) = name.split_once('.') {
                        out.push(short.to_owned());
                    }
                } else {
                    collect_references(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_references(item, out)),
        _ => {}
    }
}

/// A workload's file and pod labels.
type Workload<'a> = (usize, &'a Map<String, Value>);

/// Union-find over files.
struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

/// The files (by index in `files`) grouped so that no relation crosses groups; each group
/// in file order, groups ordered by their first file.
pub fn parts(files: &[Vec<Summary>]) -> Vec<Vec<usize>> {
    let mut groups = Groups {
        parent: (0..files.len()).collect(),
    };
    let documents: Vec<(usize, &Summary)> = files
        .iter()
        .enumerate()
        .flat_map(|(f, summaries)| summaries.iter().map(move |s| (f, s)))
        .collect();
    let read = |s: &Summary| s.kind != Kind::Other;

    // Names and the names they refer to.
    let mut by_name: HashMap<&str, usize> = HashMap::default();
    for &(file, summary) in documents.iter().filter(|(_, s)| read(s)) {
        let names = std::iter::once(summary.name.as_str())
            .chain(summary.refers_to.iter().map(String::as_str));
        for name in names {
            let first = *by_name.entry(name).or_insert(file);
            groups.join(first, file);
        }
    }
    // Objects of other kinds with the same kind and name.
    let mut others: HashMap<(&str, &str), usize> = HashMap::default();
    for &(file, summary) in &documents {
        if let Some(kind) = &summary.other_kind {
            let first = *others.entry((kind, summary.name.as_str())).or_insert(file);
            groups.join(first, file);
        }
    }
    // A name and the names it starts: in sorted order, those follow it.
    let mut names: Vec<(&str, usize)> = documents
        .iter()
        .filter(|(_, s)| read(s))
        .map(|&(file, s)| (s.name.as_str(), file))
        .collect();
    names.sort_unstable();
    for (i, &(name, file)) in names.iter().enumerate() {
        for &(longer, other) in &names[i + 1..] {
            if !longer.starts_with(name) {
                break;
            }
            groups.join(file, other);
        }
    }
    // Selection, within a namespace.
    let mut workloads: HashMap<(Option<&str>, &str, &Value), Vec<Workload>> = HashMap::default();
    let mut workloads_in: HashMap<Option<&str>, Vec<Workload>> = HashMap::default();
    let mut deployments_in: HashMap<Option<&str>, usize> = HashMap::default();
    for &(file, summary) in &documents {
        let namespace = summary.namespace.as_deref();
        if summary.kind == Kind::Deployment {
            deployments_in.entry(namespace).or_insert(file);
        }
        if let Some(labels) = &summary.pod_labels {
            workloads_in
                .entry(namespace)
                .or_default()
                .push((file, labels));
            for (label, value) in labels {
                workloads
                    .entry((namespace, label.as_str(), value))
                    .or_default()
                    .push((file, labels));
            }
        }
    }
    let mut same_selector: HashMap<(Option<&str>, &str), usize> = HashMap::default();
    let mut wildcard: Option<usize> = None;
    for &(file, summary) in &documents {
        let namespace = summary.namespace.as_deref();
        if let Some((selector, text)) = &summary.service_selector {
            let first = *same_selector.entry((namespace, text)).or_insert(file);
            groups.join(first, file);
            if let Some((label, value)) = selector.iter().next() {
                for &(workload, labels) in workloads
                    .get(&(namespace, label.as_str(), value))
                    .into_iter()
                    .flatten()
                {
                    if selector::map_selects(selector, labels) {
                        groups.join(file, workload);
                    }
                }
            }
        }
        if let Some(selector) = &summary.label_selector {
            for &(workload, labels) in workloads_in.get(&namespace).into_iter().flatten() {
                if selector::label_selector_selects(selector, labels) {
                    groups.join(file, workload);
                }
            }
        }
        if let Some(selector) = &summary.gateway_selector {
            for &(workload, labels) in workloads_in.values().flatten() {
                if selector::map_selects(selector, labels) {
                    groups.join(file, workload);
                }
            }
        }
        if summary.wildcard_rule {
            let first = *wildcard.get_or_insert(file);
            groups.join(first, file);
        }
    }
    // Templates of the input and the Deployments of their namespace; wildcard hosts and
    // every Service.
    for &(file, summary) in &documents {
        let namespace = summary.namespace.as_deref();
        if summary.kind == Kind::AnalysisTemplate
            && let Some(&deployments) = deployments_in.get(&namespace)
        {
            groups.join(file, deployments);
        }
        if let (Some(first), Kind::Service) = (wildcard, summary.kind) {
            groups.join(first, file);
        }
    }
    if !deployments_in.is_empty() {
        // Every Deployment of a namespace with a template joins it.
        let templated: HashSet<Option<&str>> = documents
            .iter()
            .filter(|(_, s)| s.kind == Kind::AnalysisTemplate)
            .map(|(_, s)| s.namespace.as_deref())
            .collect();
        for &(file, summary) in &documents {
            let namespace = summary.namespace.as_deref();
            if summary.kind == Kind::Deployment && templated.contains(&namespace) {
                groups.join(file, deployments_in[&namespace]);
            }
        }
    }
    let mut parts: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for file in 0..files.len() {
        let root = groups.root(file);
        parts.entry(root).or_default().push(file);
    }
    parts.into_values().collect()
}
