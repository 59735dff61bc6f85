//! Index: which resources of the input belong to which Deployment.
//!
//! For each Deployment: the Services that select its pods, the VirtualService routes whose
//! destinations name those Services, the DestinationRules for them, and the autoscalers and
//! disruption budgets that act on it.

pub mod duplicates;
pub mod host;
pub mod selector;

use rustc_hash::FxHashMap as HashMap;

use serde_json::{Map, Value};

use crate::load::{Document, Lookup as _};
use host::{Naming, Scope, ServiceHost, same_namespace};

/// The resource kinds rolloutify reads, recognised by API group and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Deployment,
    Service,
    VirtualService,
    DestinationRule,
    Gateway,
    PersistentVolumeClaim,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    ScaledObject,
    Rollout,
    AnalysisTemplate,
    ClusterAnalysisTemplate,
    Other,
}

impl Kind {
    pub fn of(document: &Document) -> Kind {
        match (document.group(), document.kind()) {
            ("apps" | "extensions", "Deployment") => Kind::Deployment,
            ("", "Service") => Kind::Service,
            ("networking.istio.io", "VirtualService") => Kind::VirtualService,
            ("networking.istio.io", "DestinationRule") => Kind::DestinationRule,
            ("networking.istio.io", "Gateway") => Kind::Gateway,
            ("", "PersistentVolumeClaim") => Kind::PersistentVolumeClaim,
            ("autoscaling", "HorizontalPodAutoscaler") => Kind::HorizontalPodAutoscaler,
            ("policy", "PodDisruptionBudget") => Kind::PodDisruptionBudget,
            ("keda.sh", "ScaledObject") => Kind::ScaledObject,
            ("argoproj.io", "Rollout") => Kind::Rollout,
            ("argoproj.io", "AnalysisTemplate") => Kind::AnalysisTemplate,
            ("argoproj.io", "ClusterAnalysisTemplate") => Kind::ClusterAnalysisTemplate,
            _ => Kind::Other,
        }
    }
}

/// The three kinds of VirtualService route that Argo Rollouts can shift weights on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteKind {
    Http,
    Tls,
    Tcp,
}

impl RouteKind {
    pub const ALL: [RouteKind; 3] = [RouteKind::Http, RouteKind::Tls, RouteKind::Tcp];

    /// The field of the VirtualService spec that holds these routes.
    pub fn field(self) -> &'static str {
        match self {
            RouteKind::Http => "http",
            RouteKind::Tls => "tls",
            RouteKind::Tcp => "tcp",
        }
    }
}

/// One destination of one VirtualService route that names a Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRef {
    /// Index of the VirtualService document.
    pub virtual_service: usize,
    pub kind: RouteKind,
    /// Index of the route in `spec.<kind>`.
    pub route: usize,
    /// Index of the destination in the route's `route` list.
    pub destination: usize,
    /// Index of the Service document the host names.
    pub service: usize,
}

/// What belongs to one Deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct App {
    pub deployment: usize,
    /// Services in the Deployment's namespace whose selector matches its pod labels.
    pub services: Vec<usize>,
    /// Route destinations naming one of `services`.
    pub routes: Vec<RouteRef>,
    /// Route destinations that name one of `services` if the documents without a namespace
    /// are in the namespace they need (see [`Naming::Depends`]).
    pub unsure_routes: Vec<RouteRef>,
    /// DestinationRules whose host names one of `services`.
    pub destination_rules: Vec<usize>,
    /// HorizontalPodAutoscalers and KEDA ScaledObjects targeting the Deployment.
    pub autoscalers: Vec<usize>,
    /// PodDisruptionBudgets that select its pods.
    pub disruption_budgets: Vec<usize>,
}

/// A route destination whose host names a Service, found once when the index is built.
#[derive(Debug, Clone)]
struct Destination<'d> {
    host: ServiceHost<'d>,
    at: RouteRef,
}

/// The resources of one run, by kind, with their relations. Lookups go through tables built
/// once, so that relating every Deployment to its resources stays linear in the input.
#[derive(Debug)]
pub struct Index<'d> {
    pub documents: &'d [Document],
    /// The cluster domain, and the namespace of documents that name none.
    scope: &'d Scope,
    kinds: Vec<Kind>,
    /// Each document's namespace as the run reads it ([`Scope::namespace_of`]).
    namespaces: Vec<Option<&'d str>>,
    by_kind: HashMap<Kind, Vec<usize>>,
    /// (kind, namespace, name) → documents, in input order.
    by_name: HashMap<(Kind, Option<&'d str>, &'d str), Vec<usize>>,
    /// Service name → route destinations whose host names a Service of that name.
    destinations: HashMap<&'d str, Vec<Destination<'d>>>,
    /// (namespace, label, value) → Deployments whose pods carry that label.
    deployments_by_label: HashMap<(Option<&'d str>, &'d str, &'d Value), Vec<usize>>,
    /// (namespace, label, value) → Services whose selector asks for that label.
    services_by_label: HashMap<(Option<&'d str>, &'d str, &'d Value), Vec<usize>>,
    /// Service name → DestinationRules whose host names a Service of that name.
    rules_by_service: HashMap<&'d str, Vec<usize>>,
    /// DestinationRules whose host is a wildcard (`*`, `*.ns.svc.cluster.local`).
    wildcard_rules: Vec<usize>,
    /// Deployment name → autoscalers targeting a Deployment of that name.
    scalers_by_target: HashMap<&'d str, Vec<usize>>,
    /// (namespace, Deployment name) → the Rollout whose workloadRef names it.
    workload_refs: HashMap<(Option<&'d str>, &'d str), usize>,
}

/// The pod labels of a Deployment's template.
pub fn pod_labels(deployment: &Document) -> std::borrow::Cow<'_, Map<String, Value>> {
    template_labels(deployment).map_or_else(Default::default, std::borrow::Cow::Borrowed)
}

fn template_labels(deployment: &Document) -> Option<&Map<String, Value>> {
    deployment
        .value
        .lookup("/spec/template/metadata/labels")
        .and_then(Value::as_object)
}

/// A Service's selector, when it has one.
pub fn service_selector(service: &Document) -> Option<&Map<String, Value>> {
    service
        .value
        .lookup("/spec/selector")
        .and_then(Value::as_object)
}

impl<'d> Index<'d> {
    pub fn new(documents: &'d [Document], scope: &'d Scope) -> Self {
        let kinds: Vec<Kind> = documents.iter().map(Kind::of).collect();
        let namespaces = documents
            .iter()
            .map(|d| scope.namespace_of(d.namespace()))
            .collect();
        let mut index = Index {
            documents,
            scope,
            kinds,
            namespaces,
            by_kind: HashMap::default(),
            by_name: HashMap::default(),
            destinations: HashMap::default(),
            deployments_by_label: HashMap::default(),
            services_by_label: HashMap::default(),
            rules_by_service: HashMap::default(),
            wildcard_rules: Vec::new(),
            scalers_by_target: HashMap::default(),
            workload_refs: HashMap::default(),
        };
        for (i, document) in documents.iter().enumerate() {
            let kind = index.kinds[i];
            let namespace = index.namespaces[i];
            index.by_kind.entry(kind).or_default().push(i);
            index
                .by_name
                .entry((kind, namespace, document.name()))
                .or_default()
                .push(i);
            match kind {
                Kind::Deployment => {
                    for (label, value) in template_labels(document).into_iter().flatten() {
                        index
                            .deployments_by_label
                            .entry((namespace, label.as_str(), value))
                            .or_default()
                            .push(i);
                    }
                }
                Kind::Service => {
                    // One entry of the selector is enough to find candidates.
                    if let Some((label, value)) =
                        service_selector(document).and_then(|s| s.iter().next())
                    {
                        index
                            .services_by_label
                            .entry((namespace, label.as_str(), value))
                            .or_default()
                            .push(i);
                    }
                }
                Kind::VirtualService => index.add_destinations(i),
                Kind::DestinationRule => {
                    let host = document.str_at("/spec/host").unwrap_or_default();
                    if let Some(host) = ServiceHost::parse(host, &scope.cluster_domain) {
                        index
                            .rules_by_service
                            .entry(host.service)
                            .or_default()
                            .push(i);
                    } else if host.starts_with('*') {
                        index.wildcard_rules.push(i);
                    }
                }
                Kind::Rollout => {
                    if let Some(name) = document.str_at("/spec/workloadRef/name") {
                        index.workload_refs.entry((namespace, name)).or_insert(i);
                    }
                }
                Kind::HorizontalPodAutoscaler | Kind::ScaledObject => {
                    if let Some(("Deployment", name)) = index.scale_target(i) {
                        index.scalers_by_target.entry(name).or_default().push(i);
                    }
                }
                _ => {}
            }
        }
        index
    }

    fn add_destinations(&mut self, vs: usize) {
        let doc = &self.documents[vs];
        for kind in RouteKind::ALL {
            let Some(routes) = doc
                .value
                .get("spec")
                .and_then(|s| s.get(kind.field()))
                .and_then(Value::as_array)
            else {
                continue;
            };
            for (r, route) in routes.iter().enumerate() {
                let destinations = route
                    .get("route")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for (d, destination) in destinations.iter().enumerate() {
                    let Some(host) = destination
                        .lookup("/destination/host")
                        .and_then(Value::as_str)
                        .and_then(|h| ServiceHost::parse(h, &self.scope.cluster_domain))
                    else {
                        continue;
                    };
                    self.destinations
                        .entry(host.service)
                        .or_default()
                        .push(Destination {
                            host,
                            at: RouteRef {
                                virtual_service: vs,
                                kind,
                                route: r,
                                destination: d,
                                service: usize::MAX,
                            },
                        });
                }
            }
        }
    }

    pub fn kind(&self, index: usize) -> Kind {
        self.kinds.get(index).copied().unwrap_or(Kind::Other)
    }

    /// The cluster domain and default namespace of this run.
    pub fn scope(&self) -> &'d Scope {
        self.scope
    }

    /// The namespace of document `index` as the run reads it: the one it names, else `-n`;
    /// `None` when unknown.
    pub fn namespace(&self, index: usize) -> Option<&'d str> {
        self.namespaces.get(index).copied().flatten()
    }

    /// Reads `host` as a Service host of this run's cluster domain.
    pub fn service_host<'h>(&self, host: &'h str) -> Option<ServiceHost<'h>> {
        ServiceHost::parse(host, &self.scope.cluster_domain)
    }

    /// Whether `host`, written in document `at` (a VirtualService or DestinationRule), names
    /// the Service `service`.
    pub fn host_names(&self, host: &str, service: usize, at: usize) -> Naming {
        self.service_host(host).map_or(Naming::No, |h| {
            h.names(
                self.documents[service].name(),
                self.namespace(service),
                self.namespace(at),
            )
        })
    }

    /// The destinations (`route` list) of one route of a VirtualService.
    pub fn route_destinations(&self, vs: usize, kind: RouteKind, route: usize) -> &'d [Value] {
        self.documents[vs]
            .value
            .get("spec")
            .and_then(|s| s.get(kind.field()))
            .and_then(|routes| routes.get(route))
            .and_then(|r| r.get("route"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Indexes of the documents of one kind, in input order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = usize> + '_ {
        self.by_kind.get(&kind).into_iter().flatten().copied()
    }

    /// The document of `kind` called `name` in `namespace` (as written: a document without
    /// one is looked for in `-n`), the first if several.
    pub fn find(&self, kind: Kind, name: &str, namespace: Option<&str>) -> Option<usize> {
        let namespace = namespace.or(self.scope.namespace.as_deref());
        self.by_name
            .get(&(kind, namespace, name))
            .and_then(|found| found.first())
            .copied()
    }

    /// DestinationRules whose host names a Service called `service` (in any namespace), and
    /// those with a wildcard host.
    pub fn destination_rules_for(&self, service: &str) -> impl Iterator<Item = usize> + '_ {
        self.rules_by_service
            .get(service)
            .into_iter()
            .flatten()
            .chain(&self.wildcard_rules)
            .copied()
    }

    /// Services in the namespace of `service` with exactly its selector (itself included).
    pub fn services_with_selector_of(&self, service: usize) -> Vec<usize> {
        let svc = &self.documents[service];
        let Some(selector) = service_selector(svc) else {
            return Vec::new();
        };
        let Some((label, value)) = selector.iter().next() else {
            return Vec::new();
        };
        self.services_by_label
            .get(&(self.namespace(service), label.as_str(), value))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&s| service_selector(&self.documents[s]) == Some(selector))
            .collect()
    }

    /// The Rollout that already stands for a Deployment: one of the same name, or one whose
    /// workloadRef names it.
    pub fn rollout_for(&self, deployment: usize) -> Option<usize> {
        let doc = &self.documents[deployment];
        let namespace = self.namespace(deployment);
        let key = (namespace, doc.name());
        self.find(Kind::Rollout, doc.name(), namespace)
            .into_iter()
            .chain(self.workload_refs.get(&key).copied())
            .min()
    }

    /// HorizontalPodAutoscalers and KEDA ScaledObjects, in input order.
    pub fn autoscalers(&self) -> impl Iterator<Item = usize> + '_ {
        self.kinds
            .iter()
            .enumerate()
            .filter(|(_, k)| matches!(k, Kind::HorizontalPodAutoscaler | Kind::ScaledObject))
            .map(|(i, _)| i)
    }

    /// The kind and name an autoscaler scales (KEDA defaults the kind to Deployment).
    pub fn scale_target(&self, autoscaler: usize) -> Option<(&'d str, &'d str)> {
        let target = self.documents[autoscaler]
            .value
            .lookup("/spec/scaleTargetRef")?;
        let default = if self.kind(autoscaler) == Kind::ScaledObject {
            "Deployment"
        } else {
            ""
        };
        let kind = target
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or(default);
        let name = target.get("name").and_then(Value::as_str)?;
        Some((kind, name))
    }

    /// Deployments whose pods `service` selects.
    pub fn deployments_selected_by(&self, service: usize) -> Vec<usize> {
        let svc = &self.documents[service];
        let Some(selector) = service_selector(svc) else {
            return Vec::new();
        };
        let Some((label, value)) = selector.iter().next() else {
            return Vec::new();
        };
        self.deployments_by_label
            .get(&(self.namespace(service), label.as_str(), value))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&d| {
                template_labels(&self.documents[d])
                    .is_some_and(|labels| selector::map_selects(selector, labels))
            })
            .collect()
    }

    /// Everything that belongs to the Deployment at `deployment`.
    pub fn app(&self, deployment: usize) -> App {
        let doc = &self.documents[deployment];
        let namespace = self.namespace(deployment);
        let labels = pod_labels(doc);
        let mut services: Vec<usize> = labels
            .iter()
            .flat_map(|(label, value)| {
                self.services_by_label
                    .get(&(namespace, label.as_str(), value))
                    .into_iter()
                    .flatten()
                    .copied()
            })
            .filter(|&s| {
                service_selector(&self.documents[s])
                    .is_some_and(|sel| selector::map_selects(sel, &labels))
            })
            .collect();
        services.sort_unstable();
        services.dedup();
        let routes = self.routes_to(&services, Naming::Yes);
        let unsure_routes = self.routes_to(&services, Naming::Depends);
        let mut destination_rules: Vec<usize> = services
            .iter()
            .flat_map(|&s| {
                let svc = &self.documents[s];
                self.rules_by_service
                    .get(svc.name())
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(move |&r| {
                        let host = self.documents[r].str_at("/spec/host").unwrap_or_default();
                        self.host_names(host, s, r) == Naming::Yes
                    })
            })
            .collect();
        destination_rules.sort_unstable();
        destination_rules.dedup();
        let autoscalers = self
            .scalers_by_target
            .get(doc.name())
            .into_iter()
            .flatten()
            .copied()
            .filter(|&a| same_namespace(self.namespace(a), namespace))
            .collect();
        let disruption_budgets = self
            .of_kind(Kind::PodDisruptionBudget)
            .filter(|&p| {
                let pdb = &self.documents[p];
                same_namespace(self.namespace(p), namespace)
                    && pdb
                        .value
                        .lookup("/spec/selector")
                        .is_some_and(|sel| selector::label_selector_selects(sel, &labels))
            })
            .collect();
        App {
            deployment,
            services,
            routes,
            unsure_routes,
            destination_rules,
            autoscalers,
            disruption_budgets,
        }
    }

    /// Every route destination, in any VirtualService, whose host names one of `services`
    /// as `naming` says, in input order.
    pub fn routes_to(&self, services: &[usize], naming: Naming) -> Vec<RouteRef> {
        let mut found = Vec::new();
        for &service in services {
            let svc = &self.documents[service];
            for destination in self.destinations.get(svc.name()).into_iter().flatten() {
                let at = &destination.at;
                let already = found.iter().any(|r: &RouteRef| {
                    (r.virtual_service, r.kind, r.route, r.destination)
                        == (at.virtual_service, at.kind, at.route, at.destination)
                });
                if !already
                    && destination.host.names(
                        svc.name(),
                        self.namespace(service),
                        self.namespace(at.virtual_service),
                    ) == naming
                {
                    found.push(RouteRef {
                        service,
                        ..at.clone()
                    });
                }
            }
        }
        found.sort_by_key(|r| (r.virtual_service, r.kind, r.route, r.destination));
        found
    }
}
