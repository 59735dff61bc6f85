//! Index: which resources of the input belong to which Deployment.
//!
//! For each Deployment: the Services that select its pods, the VirtualService routes whose
//! destinations name those Services, the DestinationRules for them, and the autoscalers and
//! disruption budgets that act on it.

pub mod host;
pub mod selector;

use serde_json::{Map, Value};

use crate::load::Document;
use host::{ServiceHost, same_namespace};

/// The resource kinds rolloutify reads, recognised by API group and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Deployment,
    Service,
    VirtualService,
    DestinationRule,
    Gateway,
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
    /// DestinationRules whose host names one of `services`.
    pub destination_rules: Vec<usize>,
    /// HorizontalPodAutoscalers and KEDA ScaledObjects targeting the Deployment.
    pub autoscalers: Vec<usize>,
    /// PodDisruptionBudgets that select its pods.
    pub disruption_budgets: Vec<usize>,
}

/// The resources of one run, by kind, with their relations.
#[derive(Debug)]
pub struct Index<'d> {
    pub documents: &'d [Document],
    kinds: Vec<Kind>,
}

/// The pod labels of a Deployment's template.
pub fn pod_labels(deployment: &Document) -> Map<String, Value> {
    deployment
        .value
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// A Service's selector, when it has one.
pub fn service_selector(service: &Document) -> Option<&Map<String, Value>> {
    service
        .value
        .pointer("/spec/selector")
        .and_then(Value::as_object)
}

impl<'d> Index<'d> {
    pub fn new(documents: &'d [Document]) -> Self {
        Index {
            documents,
            kinds: documents.iter().map(Kind::of).collect(),
        }
    }

    pub fn kind(&self, index: usize) -> Kind {
        self.kinds.get(index).copied().unwrap_or(Kind::Other)
    }

    /// Indexes of the documents of one kind, in input order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = usize> + '_ {
        self.kinds
            .iter()
            .enumerate()
            .filter(move |(_, k)| **k == kind)
            .map(|(i, _)| i)
    }

    /// The document of `kind` called `name` in `namespace`.
    pub fn find(&self, kind: Kind, name: &str, namespace: Option<&str>) -> Option<usize> {
        self.of_kind(kind).find(|&i| {
            let doc = &self.documents[i];
            doc.name() == name && same_namespace(doc.namespace(), namespace)
        })
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
            .pointer("/spec/scaleTargetRef")?;
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
        self.of_kind(Kind::Deployment)
            .filter(|&d| {
                let deployment = &self.documents[d];
                same_namespace(deployment.namespace(), svc.namespace())
                    && selector::map_selects(selector, &pod_labels(deployment))
            })
            .collect()
    }

    /// Everything that belongs to the Deployment at `deployment`.
    pub fn app(&self, deployment: usize) -> App {
        let doc = &self.documents[deployment];
        let namespace = doc.namespace();
        let labels = pod_labels(doc);
        let services: Vec<usize> = self
            .of_kind(Kind::Service)
            .filter(|&s| {
                let svc = &self.documents[s];
                same_namespace(svc.namespace(), namespace)
                    && service_selector(svc).is_some_and(|sel| selector::map_selects(sel, &labels))
            })
            .collect();
        let routes = self.routes_to(&services);
        let destination_rules = self
            .of_kind(Kind::DestinationRule)
            .filter(|&r| {
                let rule = &self.documents[r];
                rule.str_at("/spec/host")
                    .and_then(ServiceHost::parse)
                    .is_some_and(|host| {
                        services.iter().any(|&s| {
                            let svc = &self.documents[s];
                            host.names(svc.name(), svc.namespace(), rule.namespace())
                        })
                    })
            })
            .collect();
        let autoscalers = self
            .autoscalers()
            .filter(|&a| {
                self.scale_target(a) == Some(("Deployment", doc.name()))
                    && same_namespace(self.documents[a].namespace(), namespace)
            })
            .collect();
        let disruption_budgets = self
            .of_kind(Kind::PodDisruptionBudget)
            .filter(|&p| {
                let pdb = &self.documents[p];
                same_namespace(pdb.namespace(), namespace)
                    && pdb
                        .value
                        .pointer("/spec/selector")
                        .is_some_and(|sel| selector::label_selector_selects(sel, &labels))
            })
            .collect();
        App {
            deployment,
            services,
            routes,
            destination_rules,
            autoscalers,
            disruption_budgets,
        }
    }

    /// Every route destination, in any VirtualService, whose host names one of `services`.
    pub fn routes_to(&self, services: &[usize]) -> Vec<RouteRef> {
        let mut found = Vec::new();
        for vs in self.of_kind(Kind::VirtualService) {
            let doc = &self.documents[vs];
            for kind in RouteKind::ALL {
                let Some(routes) = doc
                    .value
                    .pointer(&format!("/spec/{}", kind.field()))
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
                            .pointer("/destination/host")
                            .and_then(Value::as_str)
                            .and_then(ServiceHost::parse)
                        else {
                            continue;
                        };
                        if let Some(&service) = services.iter().find(|&&s| {
                            let svc = &self.documents[s];
                            host.names(svc.name(), svc.namespace(), doc.namespace())
                        }) {
                            found.push(RouteRef {
                                virtual_service: vs,
                                kind,
                                route: r,
                                destination: d,
                                service,
                            });
                        }
                    }
                }
            }
        }
        found
    }
}
