//! Issue 13, routing half, through the binary: hosts name Services only by the Kubernetes DNS
//! rules (`-n`, `--cluster-domain`), a route is managed only when all its traffic goes to the
//! app, what is a candidate, subsets that select the Rollout's pods, route names.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

/// What one run printed.
struct Run {
    code: Option<i32>,
    items: Vec<Value>,
    stderr: String,
    stdout: String,
}

/// Writes `files` into a new directory and runs `rolloutify convert --format json ARGS .` there.
fn convert(files: &[(&str, &str)], args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    write_files(dir.path(), files);
    run_in(dir.path(), args)
}

fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = rolloutify()
        .current_dir(dir)
        .arg("convert")
        .args(["--format", "json"])
        .args(args)
        .arg(".")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let items = serde_json::from_str::<Value>(&stdout)
        .ok()
        .and_then(|list| list["items"].as_array().cloned())
        .unwrap_or_default();
    Run {
        code: output.status.code(),
        items,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        stdout,
    }
}

impl Run {
    fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.items
            .iter()
            .find(|v| v["kind"] == kind && v["metadata"]["name"] == name)
    }

    fn get(&self, kind: &str, name: &str) -> &Value {
        self.find(kind, name)
            .unwrap_or_else(|| panic!("no {kind} {name} in\n{}\n{}", self.stdout, self.stderr))
    }

    fn hosts(&self, vs: &str, kind: &str, route: usize) -> Vec<String> {
        self.get("VirtualService", vs)["spec"][kind][route]["route"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let host = d["destination"]["host"].as_str().unwrap_or_default();
                match d["destination"]["subset"].as_str() {
                    Some(subset) => format!("{host}/{subset}"),
                    None => host.to_owned(),
                }
            })
            .collect()
    }

    /// The lines of standard error that carry `rule`.
    fn lines_with(&self, rule: &str) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(&format!("[{rule}]")))
            .collect()
    }
}

/// The input documents of `text`, as JSON, to compare with the output.
fn input_value(text: &str, kind: &str, name: &str) -> Value {
    let loaded = rolloutify::load::load_text("in.yaml", text, &Default::default()).expect("loads");
    loaded
        .documents
        .iter()
        .find(|d| d.kind() == kind && d.name() == name)
        .map(|d| Value::clone(&d.value))
        .expect("in the input")
}

const WEB: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: web:1}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
";

const SHOP_TO_LEGACY: &str = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: shop
spec:
  hosts: [web.example.com]
  http:
    - route:
        - destination:
            host: web.legacy.svc.cluster.local
";

#[test]
fn a_host_naming_another_namespace_is_not_the_service_of_a_document_without_one() {
    let files = [("app.yaml", WEB), ("vs.yaml", SHOP_TO_LEGACY)];
    // Without -n the Service's namespace is unknown: the route is left alone, the app too.
    let unknown = convert(&files, &[]);
    assert_eq!(unknown.code, Some(0), "{}", unknown.stderr);
    assert!(
        unknown.find("Rollout", "web").is_none(),
        "{}",
        unknown.stdout
    );
    assert_eq!(
        unknown.hosts("web", "http", 0),
        ["web.legacy.svc.cluster.local"]
    );
    let warning = unknown.lines_with("convert/namespace-unknown");
    assert_eq!(warning.len(), 1, "{}", unknown.stderr);
    assert!(
        warning[0].starts_with("vs.yaml:9:7: warning:"),
        "{}",
        warning[0]
    );
    assert!(
        unknown.stderr.contains("-n NAMESPACE"),
        "{}",
        unknown.stderr
    );
    assert_eq!(unknown.lines_with("convert/no-managed-route").len(), 1);

    // -n legacy puts the Service where the host says: converted, in the host's form.
    let legacy = convert(&files, &["-n", "legacy"]);
    assert_eq!(legacy.code, Some(0), "{}", legacy.stderr);
    legacy.get("Rollout", "web");
    assert_eq!(
        legacy.hosts("web", "http", 0),
        [
            "web-stable.legacy.svc.cluster.local",
            "web-canary.legacy.svc.cluster.local"
        ]
    );
    assert_eq!(
        legacy.get("Rollout", "web")["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["virtualService"]
            ["name"],
        "web.shop"
    );

    // --select NS/NAME reads the namespace -n gives.
    let selected = convert(&files, &["-n", "legacy", "--select", "legacy/web"]);
    selected.get("Rollout", "web");

    // -n shop puts it elsewhere: no route reaches it, one line says so.
    let shop = convert(&files, &["--namespace", "shop"]);
    assert!(shop.find("Rollout", "web").is_none());
    let line = shop.lines_with("convert/not-routed");
    assert_eq!(line.len(), 1, "{}", shop.stderr);
    assert!(line[0].ends_with(": shop/web"), "{}", line[0]);
    assert_eq!(
        shop.hosts("web", "http", 0),
        ["web.legacy.svc.cluster.local"]
    );
}

const DISCOUNTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: discounts
spec:
  selector:
    matchLabels: {app: discounts}
  template:
    metadata:
      labels: {app: discounts}
    spec:
      containers: [{name: discounts, image: discounts:1}]
---
apiVersion: v1
kind: Service
metadata:
  name: discounts
spec:
  selector: {app: discounts}
  ports: [{port: 80}]
";

const TRAVEL_AGENCY: &str = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: discounts
  namespace: east-travel-agency
spec:
  hosts: [discounts.east-travel-agency.svc.cluster.local]
  http:
    - route:
        - destination:
            host: discounts.travel-agency.svc.west-mesh-imports.local
          weight: 50
        - destination:
            host: discounts.east-travel-agency.svc.cluster.local
          weight: 50
";

#[test]
fn a_federated_import_is_never_the_apps_service_and_is_never_dropped() {
    let files = [("app.yaml", DISCOUNTS), ("vs.yaml", TRAVEL_AGENCY)];
    let original = input_value(TRAVEL_AGENCY, "VirtualService", "discounts");
    for args in [&[][..], &["-n", "east-travel-agency"][..]] {
        let run = convert(&files, args);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(run.find("Rollout", "discounts").is_none(), "{args:?}");
        assert_eq!(
            run.get("VirtualService", "discounts"),
            &original,
            "{args:?}: the VirtualService must stay exactly as it was"
        );
        let warning = run.lines_with("convert/route-not-managed");
        assert_eq!(warning.len(), 1, "{args:?}: {}", run.stderr);
        assert!(
            warning[0].starts_with("vs.yaml:9:7: warning:"),
            "{}",
            warning[0]
        );
        assert!(
            warning[0].contains(
                "discounts.travel-agency.svc.west-mesh-imports.local (not a Service of cluster domain cluster.local)"
            ),
            "{}",
            warning[0]
        );
        let app = run.lines_with("convert/no-managed-route");
        assert_eq!(app.len(), 1, "{args:?}: {}", run.stderr);
        assert!(app[0].contains("vs.yaml:9:7"), "{}", app[0]);
    }
}

#[test]
fn the_cluster_domain_decides_which_fully_qualified_hosts_are_services() {
    let app = WEB.replace("  name: web\n", "  name: web\n  namespace: shop\n");
    let vs = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.example.com]
  http:
    - route:
        - destination: {host: web.shop.svc.corp.internal}
";
    let files = [("app.yaml", app.as_str()), ("vs.yaml", vs)];
    let default = convert(&files, &[]);
    assert!(default.find("Rollout", "web").is_none());
    assert_eq!(default.lines_with("convert/not-routed").len(), 1);
    let corp = convert(&files, &["--cluster-domain", "corp.internal"]);
    corp.get("Rollout", "web");
    assert_eq!(
        corp.hosts("web", "http", 0),
        [
            "web-stable.shop.svc.corp.internal",
            "web-canary.shop.svc.corp.internal"
        ]
    );
    let bad = convert(&files, &["--cluster-domain", "Corp..internal"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("not a DNS domain"), "{}", bad.stderr);
}

#[test]
fn routes_that_also_send_traffic_elsewhere_are_left_exactly_as_they_were() {
    let other = "\
---
apiVersion: v1
kind: Service
metadata: {name: other}
spec:
  selector: {app: other}
  ports: [{port: 80}]
";
    let vs = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
    - match: [{uri: {prefix: /split}}]
      route:
        - {destination: {host: web}, weight: 90}
        - {destination: {host: other}, weight: 10}
    - match: [{uri: {prefix: /mirrored}}]
      route:
        - destination: {host: web}
      mirror: {host: other}
    - match: [{uri: {prefix: /ports}}]
      route:
        - {destination: {host: web, port: {number: 80}}, weight: 50}
        - {destination: {host: web, port: {number: 8080}}, weight: 50}
    - route:
        - destination: {host: web}
";
    let app = format!("{WEB}{other}");
    let run = convert(&[("app.yaml", app.as_str()), ("vs.yaml", vs)], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let original = input_value(vs, "VirtualService", "web");
    let out = run.get("VirtualService", "web");
    for route in 0..3 {
        assert_eq!(
            out["spec"]["http"][route], original["spec"]["http"][route],
            "route {route} changed"
        );
    }
    assert_eq!(run.hosts("web", "http", 3), ["web-stable", "web-canary"]);
    assert_eq!(out["spec"]["http"][3]["name"], "primary");
    let routing = &run.get("Rollout", "web")["spec"]["strategy"]["canary"]["trafficRouting"];
    assert_eq!(
        routing["istio"]["virtualService"]["routes"],
        serde_json::json!(["primary"])
    );
    let warnings = run.lines_with("convert/route-not-managed");
    assert_eq!(warnings.len(), 3, "{}", run.stderr);
    assert!(
        warnings[0].contains("also sends traffic to other"),
        "{}",
        warnings[0]
    );
    assert!(warnings[1].contains("other (mirror)"), "{}", warnings[1]);
    assert!(warnings[2].contains("different ports"), "{}", warnings[2]);
}

#[test]
fn replacing_a_split_of_the_apps_own_pods_is_a_warning_that_says_what_it_was() {
    let pair = "\
---
apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec:
  selector: {app: web}
  ports: [{port: 80}]
";
    let vs = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
    - name: main
      route:
        - {destination: {host: web-stable}, weight: 99}
        - {destination: {host: web-canary}, weight: 1}
";
    let app = format!("{WEB}{pair}");
    let run = convert(&[("app.yaml", app.as_str()), ("vs.yaml", vs)], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.hosts("web", "http", 0), ["web-stable", "web-canary"]);
    let route = &run.get("VirtualService", "web")["spec"]["http"][0]["route"];
    assert_eq!(
        (route[0]["weight"].as_u64(), route[1]["weight"].as_u64()),
        (Some(100), Some(0))
    );
    let canary = &run.get("Rollout", "web")["spec"]["strategy"]["canary"];
    assert_eq!(canary["stableService"], "web-stable");
    let warning = run.lines_with("convert/split-replaced");
    assert_eq!(warning.len(), 1, "{}", run.stderr);
    assert!(
        warning[0].contains("web-stable 99, web-canary 1"),
        "{}",
        warning[0]
    );
    assert!(
        warning[0].starts_with("vs.yaml:8:7: warning:"),
        "{}",
        warning[0]
    );
}

const PAYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: payment}
spec:
  selector:
    matchLabels: {app: payment, stage: prod}
  template:
    metadata:
      labels: {app: payment, stage: prod}
    spec:
      containers: [{name: payment, image: payment:2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: payment-test}
spec:
  selector:
    matchLabels: {app: payment, stage: test}
  template:
    metadata:
      labels: {app: payment, stage: test}
    spec:
      containers: [{name: payment, image: payment:3}]
---
apiVersion: v1
kind: Service
metadata: {name: payment}
spec:
  selector: {app: payment}
  ports: [{port: 80}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payment}
spec:
  host: payment
  subsets:
    - name: stable
      labels: {stage: prod}
    - name: canary
      labels: {stage: test}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: payment}
spec:
  hosts: [payment]
  http:
    - name: main
      route:
        - {destination: {host: payment, subset: stable}, weight: 99}
        - {destination: {host: payment, subset: canary}, weight: 1}
";

/// Every subset a Rollout names selects its pods: the subset's labels, but for the hash the
/// controller adds, are all on the pod template. Read from the output alone.
fn subsets_select_the_rollouts_pods(run: &Run) -> usize {
    let mut checked = 0;
    for rollout in run.items.iter().filter(|v| v["kind"] == "Rollout") {
        let rule =
            &rollout["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["destinationRule"];
        let Some(name) = rule["name"].as_str() else {
            continue;
        };
        let labels = &rollout["spec"]["template"]["metadata"]["labels"];
        let dr = run.get("DestinationRule", name);
        for key in ["stableSubsetName", "canarySubsetName"] {
            let subset_name = rule[key].as_str().expect("subset name");
            let subset = dr["spec"]["subsets"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["name"] == subset_name)
                .unwrap_or_else(|| panic!("{name} has no subset {subset_name}"));
            for (k, v) in subset["labels"].as_object().into_iter().flatten() {
                if k != "rollouts-pod-template-hash" {
                    assert_eq!(&labels[k], v, "subset {subset_name} label {k}");
                }
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn a_hand_made_canary_subset_of_other_pods_is_not_reused() {
    let run = convert(
        &[("payment.yaml", PAYMENT)],
        &["--select", "payment", "--traffic", "subset"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let rule = &run.get("Rollout", "payment")["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]
        ["destinationRule"];
    assert_eq!(rule["stableSubsetName"], "stable");
    assert_eq!(rule["canarySubsetName"], "canary-rollout");
    assert_eq!(
        run.hosts("payment", "http", 0),
        ["payment/stable", "payment/canary-rollout"]
    );
    let subsets = &run.get("DestinationRule", "payment")["spec"]["subsets"];
    assert_eq!(
        subsets[1],
        serde_json::json!({"name": "canary", "labels": {"stage": "test"}})
    );
    assert_eq!(
        subsets[2],
        serde_json::json!({"name": "canary-rollout", "labels": {"app": "payment"}})
    );
    assert_eq!(subsets_select_the_rollouts_pods(&run), 2);
    let renamed = run.lines_with("convert/subset-renamed");
    assert_eq!(renamed.len(), 1, "{}", run.stderr);
    assert!(
        renamed[0].contains("subset canary selects stage: test"),
        "{}",
        renamed[0]
    );
    let split = run.lines_with("convert/split-replaced");
    assert_eq!(split.len(), 1, "{}", run.stderr);
    assert!(
        split[0].contains("payment (subset stable) 99, payment (subset canary) 1"),
        "{}",
        split[0]
    );
    // Both warnings show at default verbosity.
    assert!(run.stderr.lines().all(|l| !l.contains(": note:")));
}

const MESH: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  selector:
    matchLabels: {app: istiod, istio: pilot}
  template:
    metadata:
      labels: {app: istiod, istio: pilot, istio.io/rev: default}
    spec:
      containers: [{name: discovery, image: istio/pilot:1.24.0}]
---
apiVersion: v1
kind: Service
metadata: {name: istiod, namespace: istio-system}
spec:
  selector: {app: istiod, istio: pilot}
  ports: [{name: grpc-xds, port: 15010}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector:
    matchLabels: {app: istio-ingressgateway, istio: ingressgateway}
  template:
    metadata:
      labels: {app: istio-ingressgateway, istio: ingressgateway}
    spec:
      containers: [{name: istio-proxy, image: istio/proxyv2:1.24.0}]
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  type: LoadBalancer
  selector: {app: istio-ingressgateway, istio: ingressgateway}
  ports: [{name: http2, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: gateways}
spec:
  selector:
    matchLabels: {gateway: edge}
  template:
    metadata:
      labels: {gateway: edge}
    spec:
      containers: [{name: istio-proxy, image: auto}]
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: gateways}
spec:
  selector: {gateway: edge}
  ports: [{port: 443}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  selector: {gateway: edge}
  servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*']}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: gateways}
spec:
  hosts: [edge.example.com]
  http:
    - route: [{destination: {host: edge}}]
";

const DATABASE: &str = "\
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: mysql-data, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: mysql, namespace: shop}
spec:
  selector:
    matchLabels: {app: mysql}
  template:
    metadata:
      labels: {app: mysql}
    spec:
      containers: [{name: mysql, image: mysql:8}]
      volumes:
        - name: data
          persistentVolumeClaim: {claimName: mysql-data}
---
apiVersion: v1
kind: Service
metadata: {name: mysql, namespace: shop}
spec:
  selector: {app: mysql}
  ports: [{port: 3306}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mysql, namespace: shop}
spec:
  hosts: [mysql]
  tcp:
    - match: [{port: 3306}]
      route: [{destination: {host: mysql}}]
";

#[test]
fn the_mesh_and_read_write_once_volumes_are_converted_only_when_named() {
    let files = [
        ("mesh.yaml", MESH),
        ("db.yaml", DATABASE),
        ("web.yaml", WEB),
    ];
    let default = convert(&files, &[]);
    assert_eq!(default.code, Some(0), "{}", default.stderr);
    assert!(
        default.items.iter().all(|v| v["kind"] != "Rollout"),
        "{}",
        default.stdout
    );
    // One warning line (and its hint) for the mesh and the database, one for the Deployment
    // without routes; only the latter is suggested for --select.
    let listed = default.lines_with("convert/not-candidates");
    assert_eq!(listed.len(), 1, "{}", default.stderr);
    assert!(
        listed[0].starts_with("db.yaml:")
            && listed[0].ends_with(
                "4 Deployment(s) of the mesh itself or whose pods mount a ReadWriteOnce volume: shop/mysql, istio-system/istiod, istio-system/istio-ingressgateway, gateways/edge"
            ),
        "{}",
        listed[0]
    );
    let unrouted = default.lines_with("convert/not-routed");
    assert_eq!(unrouted.len(), 1, "{}", default.stderr);
    assert!(unrouted[0].ends_with(": web"), "{}", unrouted[0]);
    assert_eq!(default.stderr.lines().count(), 4, "{}", default.stderr);
    let verbose = convert(&files, &["-v"]);
    let notes = verbose.lines_with("convert/not-a-candidate");
    assert_eq!(notes.len(), 4, "{}", verbose.stderr);
    assert!(notes.iter().any(|l| l.contains("label istio: pilot")));
    assert!(
        notes
            .iter()
            .any(|l| l.contains("label istio: ingressgateway"))
    );
    assert!(
        notes
            .iter()
            .any(|l| l.contains("Gateway shop/public selects them"))
    );
    assert!(
        notes
            .iter()
            .any(|l| l.contains("mysql-data, which is ReadWriteOnce"))
    );

    let named = convert(&files, &["--select", "shop/mysql"]);
    named.get("Rollout", "mysql");
    let warning = named.lines_with("convert/not-a-candidate");
    assert_eq!(warning.len(), 1, "{}", named.stderr);
    assert!(warning[0].contains(": warning:"), "{}", warning[0]);
}

#[test]
fn deployments_without_routes_are_listed_once_across_files() {
    let app = |name: &str| WEB.replace("web", name);
    let (a, b, c) = (app("alpha"), app("bravo"), app("charlie"));
    let files = [
        ("1.yaml", a.as_str()),
        ("2.yaml", b.as_str()),
        ("3.yaml", c.as_str()),
    ];
    let run = convert(&files, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines = run.lines_with("convert/not-routed");
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(lines[0].starts_with("1.yaml:4:3: warning:"), "{}", lines[0]);
    assert!(lines[0].ends_with("3 Deployment(s) with a Service that no VirtualService route reaches: alpha, bravo, charlie"), "{}", lines[0]);
    // Named by annotation, one converts as a replica-weighted canary.
    let annotated = b.replace(
        "  name: bravo\nspec",
        "  name: bravo\n  annotations: {rolloutify.io/convert: 'true'}\nspec",
    );
    let run = convert(
        &[
            ("1.yaml", a.as_str()),
            ("2.yaml", annotated.as_str()),
            ("3.yaml", c.as_str()),
        ],
        &[],
    );
    run.get("Rollout", "bravo");
    assert!(run.lines_with("convert/not-routed")[0].ends_with(": alpha, charlie"));
    assert_eq!(run.lines_with("convert/no-virtual-service").len(), 1);
}

#[test]
fn route_names_follow_route_order_and_a_second_run_changes_nothing() {
    let app = |name: &str| {
        WEB.replace("web", name).replace(
            "metadata:\n  name: ",
            "metadata:\n  namespace: shop\n  name: ",
        )
    };
    let vs = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: shop}
spec:
  hosts: [shop.example.com]
  http:
    - match: [{uri: {prefix: /b}}]
      route: [{destination: {host: bravo}}]
    - match: [{uri: {prefix: /a}}]
      route: [{destination: {host: alpha}}]
    - route: [{destination: {host: bravo.shop.svc.cluster.local}}]
";
    let apps = format!("{}---\n{}", app("alpha"), app("bravo"));
    let dir = tempfile::tempdir().expect("temp dir");
    write_files(dir.path(), &[("apps.yaml", apps.as_str()), ("vs.yaml", vs)]);
    let first = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "."])
        .output()
        .expect("runs");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let converted = std::fs::read_to_string(dir.path().join("vs.yaml")).expect("vs");
    let names: Vec<&str> = converted
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- name: "))
        .collect();
    assert_eq!(names, ["primary", "primary-2", "primary-3"], "{converted}");
    let again = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "--check", "."])
        .output()
        .expect("runs");
    assert_eq!(
        again.status.code(),
        Some(0),
        "converting again changes nothing: {}",
        String::from_utf8_lossy(&again.stdout)
    );
}

#[test]
fn validate_and_diff_take_the_namespace_and_the_cluster_domain() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_files(
        dir.path(),
        &[("app.yaml", WEB), ("vs.yaml", SHOP_TO_LEGACY)],
    );
    let run = |args: &[&str]| {
        rolloutify()
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("runs")
    };
    let ok = run(&[
        "validate",
        "-n",
        "legacy",
        "--cluster-domain",
        "cluster.local",
        ".",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for bad in [
        &["validate", "-n", "Legacy", "."][..],
        &["validate", "--cluster-domain", "a..b", "."][..],
        &["diff", "--namespace", "-x-", "."][..],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    // diff shows the conversion -n makes possible, and nothing without it.
    let with = run(&["diff", "-n", "legacy", "."]);
    assert!(
        String::from_utf8_lossy(&with.stdout)
            .contains("+            host: web-stable.legacy.svc.cluster.local")
    );
    let without = run(&["diff", "."]);
    assert!(
        without.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&without.stdout)
    );
}

#[test]
fn an_apps_entry_converts_a_deployment_without_routes_but_not_the_mesh() {
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = config_dir.path().join("rolloutify.yaml");
    std::fs::write(
        &config,
        "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\napps:\n  - match: {name: web}\n    steps: 20,pause\n  - match: {name: istiod}\n    steps: 20,pause\n",
    )
    .expect("write");
    let config = config.display().to_string();
    let run = convert(&[("web.yaml", WEB), ("mesh.yaml", MESH)], &["-c", &config]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.get("Rollout", "web");
    assert!(run.find("Rollout", "istiod").is_none(), "{}", run.stdout);
    assert_eq!(
        run.lines_with("convert/no-virtual-service").len(),
        1,
        "{}",
        run.stderr
    );
}
