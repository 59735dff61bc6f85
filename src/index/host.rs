//! Istio destination hosts: which Kubernetes Service a host names, by the Kubernetes DNS
//! rules, and how to write a host for another Service in the same form.
//!
//! A host names a Service only as `svc` (read in the VirtualService's namespace), `svc.ns`,
//! `svc.ns.svc` or `svc.ns.svc.<cluster domain>`. Any other domain (a ServiceEntry host, a
//! federation import such as `svc.ns.svc.west-mesh-imports.local`, `*.global`) never names a
//! Service of the input.

/// The cluster domain when none is given (`--cluster-domain`).
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

/// How names resolve in one run: the cluster domain, and the namespace of documents that
/// name none (`-n`, as `kubectl apply -n` puts them there). Without `-n` their namespace is
/// unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub cluster_domain: String,
    pub namespace: Option<String>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            cluster_domain: DEFAULT_CLUSTER_DOMAIN.to_owned(),
            namespace: None,
        }
    }
}

impl Scope {
    /// The namespace a document is in: the one it names, else `-n`; `None` when unknown.
    pub fn namespace_of<'a>(&'a self, written: Option<&'a str>) -> Option<&'a str> {
        written.or(self.namespace.as_deref())
    }
}

/// Whether a host names a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    Yes,
    No,
    /// It does if the documents without a namespace are in the namespace it needs: the
    /// answer depends on `-n`.
    Depends,
}

/// A destination host that names an in-cluster Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceHost<'h> {
    pub service: &'h str,
    /// The namespace the host names, or `None` for a short host, which Istio reads relative to
    /// the namespace of the VirtualService.
    pub namespace: Option<&'h str>,
    /// Everything after the Service name (`""`, `.ns`, `.ns.svc.cluster.local`).
    pub suffix: &'h str,
}

/// Whether `label` is a DNS label as Kubernetes names Services and namespaces (RFC 1123).
fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

impl<'h> ServiceHost<'h> {
    /// Reads `host` as a Service host of a cluster whose domain is `cluster_domain`; `None`
    /// for any other host (other domains, wildcards, addresses).
    pub fn parse(host: &'h str, cluster_domain: &str) -> Option<ServiceHost<'h>> {
        let mut labels = host.splitn(4, '.');
        let service = labels.next().filter(|l| is_label(l))?;
        let namespace = match labels.next() {
            None => None,
            Some(namespace) if is_label(namespace) => Some(namespace),
            Some(_) => return None,
        };
        match (labels.next(), labels.next()) {
            (None, None) | (Some("svc"), None) => {}
            (Some("svc"), Some(domain)) if domain == cluster_domain.trim_end_matches('.') => {}
            _ => return None,
        }
        Some(ServiceHost {
            service,
            namespace,
            suffix: &host[service.len()..],
        })
    }

    /// The first label of any host: the Service it would name. Over-approximates which
    /// Services a host may refer to (for grouping files, where missing one is the error).
    pub fn service_label(host: &str) -> Option<&str> {
        let first = host.split('.').next()?;
        is_label(first).then_some(first)
    }

    /// `host` (one that names a Service) with another Service name, in the same form.
    pub fn replace_service(host: &str, service: &str) -> String {
        match host.split_once('.') {
            Some((_, rest)) => format!("{service}.{rest}"),
            None => service.to_owned(),
        }
    }

    /// The same host form for another Service name.
    pub fn with_service(&self, service: &str) -> String {
        format!("{service}{}", self.suffix)
    }

    /// Whether this host names `service` in `service_ns`, seen from a VirtualService (or
    /// DestinationRule) in `vs_ns`. Namespaces are those of [`Scope::namespace_of`]: `None`
    /// is unknown. A short host is read in the VirtualService's namespace; wherever the answer
    /// depends on an unknown namespace it is [`Naming::Depends`], except that two documents
    /// without a namespace are in the same one.
    pub fn names(&self, service: &str, service_ns: Option<&str>, vs_ns: Option<&str>) -> Naming {
        if self.service != service {
            return Naming::No;
        }
        let known = |same: bool| if same { Naming::Yes } else { Naming::No };
        match (self.namespace.or(vs_ns), service_ns) {
            (Some(host_ns), Some(ns)) => known(host_ns == ns),
            // Both documents in the run's namespace.
            (None, None) => Naming::Yes,
            _ => Naming::Depends,
        }
    }
}

/// Whether two resources are in the same namespace (as [`Scope::namespace_of`] gives them).
/// `None` is the namespace the run is applied to: the same for every document without one,
/// and not any named namespace.
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = DEFAULT_CLUSTER_DOMAIN;

    #[test]
    fn host_forms() {
        let short = ServiceHost::parse("reviews", DOMAIN).unwrap();
        assert_eq!((short.service, short.namespace), ("reviews", None));
        assert_eq!(short.with_service("reviews-canary"), "reviews-canary");
        let fqdn = ServiceHost::parse("nginx.default.svc.cluster.local", DOMAIN).unwrap();
        assert_eq!(fqdn.namespace, Some("default"));
        assert_eq!(
            fqdn.with_service("nginx-stable"),
            "nginx-stable.default.svc.cluster.local"
        );
        assert_eq!(
            ServiceHost::parse("a.b", DOMAIN).unwrap().namespace,
            Some("b")
        );
        assert_eq!(
            ServiceHost::parse("a.b.svc", DOMAIN).unwrap().suffix,
            ".b.svc"
        );
        assert!(ServiceHost::parse("www.example.com", DOMAIN).is_none());
        assert!(ServiceHost::parse("*.local", DOMAIN).is_none());
        assert!(ServiceHost::parse("a.b.c", DOMAIN).is_none());
        assert!(ServiceHost::parse("10.0.0.1", DOMAIN).is_none());
        assert!(ServiceHost::parse("Web", DOMAIN).is_none());
        assert!(ServiceHost::parse("a.b.svc.cluster.local.", DOMAIN).is_none());
    }

    #[test]
    fn other_domains_never_name_a_service() {
        for host in [
            "discounts.travel-agency.svc.west-mesh-imports.local",
            "web.shop.svc.cluster.local.example.com",
            "web.shop.global",
            "web.shop.svc.corp.internal",
        ] {
            assert!(ServiceHost::parse(host, DOMAIN).is_none(), "{host}");
        }
        let corp = ServiceHost::parse("web.shop.svc.corp.internal", "corp.internal").unwrap();
        assert_eq!(corp.namespace, Some("shop"));
        assert!(ServiceHost::parse("web.shop.svc.cluster.local", "corp.internal").is_none());
        assert_eq!(
            ServiceHost::service_label("discounts.travel-agency.svc.west-mesh-imports.local"),
            Some("discounts")
        );
    }

    #[test]
    fn namespace_rules() {
        let short = ServiceHost::parse("web", DOMAIN).unwrap();
        assert_eq!(short.names("web", Some("shop"), Some("shop")), Naming::Yes);
        assert_eq!(short.names("web", Some("shop"), Some("other")), Naming::No);
        assert_eq!(short.names("web", None, Some("other")), Naming::Depends);
        assert_eq!(short.names("web", Some("shop"), None), Naming::Depends);
        assert_eq!(short.names("web", None, None), Naming::Yes);
        assert_eq!(short.names("api", None, None), Naming::No);
        let qualified = ServiceHost::parse("web.shop.svc.cluster.local", DOMAIN).unwrap();
        assert_eq!(
            qualified.names("web", Some("shop"), Some("gateways")),
            Naming::Yes
        );
        assert_eq!(qualified.names("web", None, None), Naming::Depends);
        assert_eq!(qualified.names("web", None, Some("shop")), Naming::Depends);
        assert_eq!(qualified.names("web", Some("other"), None), Naming::No);
    }

    #[test]
    fn scope_places_documents_without_namespace() {
        let scope = Scope {
            namespace: Some("legacy".to_owned()),
            ..Scope::default()
        };
        assert_eq!(scope.namespace_of(None), Some("legacy"));
        assert_eq!(scope.namespace_of(Some("shop")), Some("shop"));
        assert_eq!(Scope::default().namespace_of(None), None);
    }
}
