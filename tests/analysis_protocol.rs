//! Analysis by protocol (issue 13, item 4): an app whose managed routes are all tcp/tls gets
//! a TCP-level AnalysisTemplate (Istio's TCP telemetry), never an HTTP one that could only be
//! inconclusive; with subset traffic, no analysis and a warning.

use assert_cmd::Command;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: vault, namespace: sec}
spec:
  selector:
    matchLabels: {app: vault}
  template:
    metadata:
      labels: {app: vault}
    spec:
      containers: [{name: vault, image: example/vault:1}]
---
apiVersion: v1
kind: Service
metadata: {name: vault, namespace: sec}
spec:
  selector: {app: vault}
  ports: [{name: tls, port: 443}]
---
";

const TLS_ONLY: &str = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vault, namespace: sec}
spec:
  hosts: [vault.example.com]
  gateways: [edge]
  tls:
  - match:
    - port: 443
      sniHosts: [vault.example.com]
    route:
    - destination: {host: vault}
";

const HTTP_AND_TCP: &str = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vault, namespace: sec}
spec:
  hosts: [vault]
  http:
  - route:
    - destination: {host: vault}
  tcp:
  - match:
    - port: 8201
    route:
    - destination: {host: vault}
";

fn convert(text: &str, args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.yaml"), text).expect("write");
    let output = rolloutify()
        .current_dir(dir.path())
        .arg("convert")
        .args(args)
        .arg("app.yaml")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn tls_only_routes_get_the_tcp_template() {
    let (stream, _) = convert(&format!("{APP}{TLS_ONLY}"), &[]);
    assert!(
        stream.contains("templateName: istio-canary-health-tcp"),
        "{stream}"
    );
    assert!(stream.contains("istio_tcp_connections_closed_total{reporter=\"source\",destination_service_name=\"{{args.service-name}}\""), "{stream}");
    assert!(stream.contains("response_flags=\"-\""), "{stream}");
    assert!(!stream.contains("istio_requests_total"), "{stream}");
    assert!(!stream.contains("latency-p99"), "{stream}");
}

#[test]
fn a_step_analysis_of_a_tcp_app_is_the_tcp_template_with_a_count() {
    let (stream, _) = convert(
        &format!("{APP}{TLS_ONLY}"),
        &["--analysis", "step", "--steps", "20,5m,analysis"],
    );
    assert!(
        stream.contains("name: istio-canary-health-tcp-step"),
        "{stream}"
    );
    assert!(stream.contains("count: 5"), "{stream}");
    assert!(!stream.contains("istio_requests_total"), "{stream}");
}

#[test]
fn an_http_route_keeps_the_http_template() {
    let (stream, _) = convert(&format!("{APP}{HTTP_AND_TCP}"), &[]);
    assert!(
        stream.contains("templateName: istio-canary-health\n"),
        "{stream}"
    );
    assert!(stream.contains("istio_requests_total"), "{stream}");
    assert!(
        !stream.contains("istio_tcp_connections_closed_total"),
        "{stream}"
    );
}

#[test]
fn subset_traffic_over_tcp_makes_no_analysis_and_says_so() {
    let (stream, stderr) = convert(&format!("{APP}{TLS_ONLY}"), &["--traffic", "subset"]);
    assert!(!stream.contains("kind: AnalysisTemplate"), "{stream}");
    assert!(!stream.contains("analysis:"), "{stream}");
    assert!(
        stderr.contains(
            "app.yaml:3:12: warning: Deployment/sec/vault [convert/no-tcp-analysis] no analysis"
        ),
        "{stderr}"
    );
}
