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
    /// An unspecified namespace (`None`) is the run's namespace and matches any other.
    pub fn names(&self, service: &str, service_ns: Option<&str>, vs_ns: Option<&str>) -> bool {
        if self.service != service {
            return false;
        }
        let host_ns = self.namespace.or(vs_ns);
        match (host_ns, service_ns) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

/// Whether two namespaces are the same, where `None` is the run's namespace and fits any.
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
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
        assert!(short.names("web", None, Some("other")));
        let qualified = ServiceHost::parse("web.shop.svc.cluster.local").unwrap();
        assert!(qualified.names("web", Some("shop"), Some("gateways")));
        assert!(qualified.names("web", None, None));
        assert!(!qualified.names("web", Some("other"), None));
    }
}
