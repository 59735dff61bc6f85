//! Istio destination hosts: which Kubernetes Service a host names, and how to write a host for
//! another Service in the same form (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`).

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

impl<'h> ServiceHost<'h> {
    /// Reads `host` as a Service host; `None` for external hosts and wildcards.
    pub fn parse(host: &'h str) -> Option<ServiceHost<'h>> {
        if host.is_empty() || host.contains('*') || host.contains('/') || host.contains(':') {
            return None;
        }
        let labels: Vec<&str> = host.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return None;
        }
        let (service, namespace) = match labels.as_slice() {
            [service] => (*service, None),
            [service, namespace] => (*service, Some(*namespace)),
            [service, namespace, "svc", ..] => (*service, Some(*namespace)),
            _ => return None,
        };
        Some(ServiceHost {
            service,
            namespace,
            suffix: &host[service.len()..],
        })
    }

    /// The same host form for another Service name.
    pub fn with_service(&self, service: &str) -> String {
        format!("{service}{}", self.suffix)
    }

    /// Whether this host names `service` in `service_ns`, seen from a VirtualService in `vs_ns`.
    /// A short host is read in the VirtualService's namespace. A qualified host names its
    /// namespace explicitly, which a Service written without namespace (applied to whatever
    /// namespace the run targets) may well be in.
    pub fn names(&self, service: &str, service_ns: Option<&str>, vs_ns: Option<&str>) -> bool {
        if self.service != service {
            return false;
        }
        match self.namespace {
            Some(host_ns) => service_ns.is_none_or(|ns| ns == host_ns),
            None => same_namespace(vs_ns, service_ns),
        }
    }
}

/// Whether two resources are in the same namespace. `None` is the namespace the run is
/// applied to: the same for every document without one, and not any named namespace.
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_forms() {
        let short = ServiceHost::parse("reviews").unwrap();
        assert_eq!((short.service, short.namespace), ("reviews", None));
        assert_eq!(short.with_service("reviews-canary"), "reviews-canary");
        let fqdn = ServiceHost::parse("nginx.default.svc.cluster.local").unwrap();
        assert_eq!(fqdn.namespace, Some("default"));
        assert_eq!(
            fqdn.with_service("nginx-stable"),
            "nginx-stable.default.svc.cluster.local"
        );
        assert_eq!(ServiceHost::parse("a.b").unwrap().namespace, Some("b"));
        assert!(ServiceHost::parse("www.example.com").is_none());
        assert!(ServiceHost::parse("*.local").is_none());
        assert!(ServiceHost::parse("a.b.c").is_none());
    }

    #[test]
    fn namespace_rules() {
        let short = ServiceHost::parse("web").unwrap();
        assert!(short.names("web", Some("shop"), Some("shop")));
        assert!(!short.names("web", Some("shop"), Some("other")));
        assert!(!short.names("web", None, Some("other")));
        assert!(short.names("web", None, None));
        let qualified = ServiceHost::parse("web.shop.svc.cluster.local").unwrap();
        assert!(qualified.names("web", Some("shop"), Some("gateways")));
        assert!(qualified.names("web", None, None));
        assert!(!qualified.names("web", Some("other"), None));
    }
}
