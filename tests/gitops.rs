//! Whole GitOps repositories through the binary (issue 14): template syntax in string values,
//! what a directory walk skips, `--exclude`, configuration discovery, committed content for
//! hooks, a result for every file, reports that agree with the exit code, and the small
//! readings of item 8.

mod support;

use std::path::Path;

use assert_cmd::Command;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: web:1}]\n";

/// Writes `files` (path, text) under a new temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("rolloutify")
        .expect("binary")
        .current_dir(dir)
        .env_remove("ROLLOUTIFY_CONFIG")
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

// Item 8.

#[test]
fn a_quoted_merge_key_is_an_ordinary_key() {
    let dir = tree(&[(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  \"<<\": literal\n",
    )]);
    let out = run(dir.path(), &["convert", "cm.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("\"<<\": literal"), "{}", out.stdout);
    // The plain one still merges (and a scalar is no mapping to merge).
    let dir = tree(&[(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  <<: literal\n",
    )]);
    assert_eq!(run(dir.path(), &["convert", "cm.yaml"]).code, 2);
}

#[test]
fn json_with_surrogate_pair_escapes_is_read() {
    // What Python's json.dump writes for "🚀".
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"c\", \"annotations\": {\"launch\": \"\\ud83d\\ude80\"}}, \"bad\": 1}\n";
    let dir = tree(&[("cm.json", text)]);
    let out = run(dir.path(), &["validate", "cm.json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    // The unknown field is located where it is written, after the escapes.
    let column = text.find("\"bad\"").expect("bad") + 1;
    assert!(
        out.stdout.contains(&format!("cm.json:1:{column}: error")),
        "{}",
        out.stdout
    );
    let out = run(dir.path(), &["convert", "--format", "json", "cm.json"]);
    assert!(out.stdout.contains("🚀"), "{}{}", out.stdout, out.stderr);
}

#[test]
fn skip_with_api_version_skips_the_findings_about_that_kind() {
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 3\n";
    let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: x}]}\n  strategy: {canary: {steps: [{setWeight: 10}]}}\n";
    let dir = tree(&[("hpa.yaml", hpa), ("rollout.yaml", rollout)]);
    let all = run(dir.path(), &["validate", "."]);
    assert_eq!(all.code, 1, "{}", all.stdout);
    assert!(
        all.stdout
            .contains("HorizontalPodAutoscaler/web [migration/")
    );
    for skip in [
        "HorizontalPodAutoscaler",
        "autoscaling/v2/HorizontalPodAutoscaler",
    ] {
        let out = run(dir.path(), &["validate", "--skip", skip, "."]);
        assert_eq!(out.code, 0, "--skip {skip}: {}", out.stdout);
        assert!(!out.stdout.contains("HorizontalPodAutoscaler/web"));
    }
    // Another apiVersion of the kind is not skipped.
    let out = run(
        dir.path(),
        &[
            "validate",
            "--skip",
            "autoscaling/v1/HorizontalPodAutoscaler",
            ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
}

// Reports agree with the exit code.

#[test]
fn warnings_as_errors_are_errors_in_every_report() {
    // A Service whose selector no pod carries is a warning (the pods may be elsewhere)…
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n";
    let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: x}]}\n  strategy:\n    canary:\n      canaryService: web-canary\n      stableService: web\n      steps: [{setWeight: 10}]\n";
    let dir = tree(&[("app.yaml", &format!("{rollout}---\n{service}"))]);
    let plain = run(dir.path(), &["validate", "-o", "github", "app.yaml"]);
    assert_eq!(plain.code, 0, "{}", plain.stdout);
    assert!(plain.stdout.contains("::warning "), "{}", plain.stdout);
    for (format, says_error, says_warning) in [
        ("github", "::error ", "::warning "),
        ("sarif", "\"level\": \"error\"", "\"level\": \"warning\""),
        ("junit", "<failure ", "failures=\"0\""),
        (
            "json",
            "\"severity\": \"error\"",
            "\"severity\": \"warning\"",
        ),
        ("text", ": error: ", ": warning: "),
    ] {
        let out = run(
            dir.path(),
            &["validate", "--warnings-as-errors", "-o", format, "app.yaml"],
        );
        assert_eq!(out.code, 1, "{format}: {}", out.stdout);
        assert!(out.stdout.contains(says_error), "{format}: {}", out.stdout);
        assert!(
            !out.stdout.contains(says_warning),
            "{format}: {}",
            out.stdout
        );
    }
}

// Item 1: template syntax.

const PROMETHEUS_RULE: &str = r#"apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: web-alerts
spec:
  groups:
    - name: web
      rules:
        - alert: InstanceDown
          expr: up{job="web"} == 0
          annotations:
            summary: "{{ $labels.instance }} is down"
            description: Pod {{ $labels.namespace }}/{{ $labels.pod }} has been down for 5m
"#;

const ALERTMANAGER_CONFIG: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: alertmanager-templates
data:
  slack.tmpl: |
    {{ define "slack.title" }}[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}{{ end }}
    {{ define "slack.text" }}
    {{- range .Alerts }}
    *{{ .Annotations.summary }}*
    {{- end }}
    {{ end }}
"#;

/// The shape of Istio's rendered install: the sidecar injector's templates in a ConfigMap.
const ISTIO_INJECTOR: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector
  namespace: istio-system
data:
  config: |-
    defaultTemplates: [sidecar]
    templates:
      sidecar: |
        {{- define "resources" }}
          {{- if or (isset .ObjectMeta.Annotations `sidecar.istio.io/proxyCPU`) }}
          requests:
            cpu: "{{ index .ObjectMeta.Annotations `sidecar.istio.io/proxyCPU` }}"
          {{- end }}
        {{- end }}
  values: |-
    {"global": {"proxy": {"image": "proxyv2"}}}
"#;

#[test]
fn template_syntax_in_string_values_is_read_as_data() {
    let dir = tree(&[
        ("alerts/rules.yaml", PROMETHEUS_RULE),
        ("alerts/alertmanager.yaml", ALERTMANAGER_CONFIG),
        ("istio/injector.yaml", ISTIO_INJECTOR),
        ("app.yaml", DEPLOYMENT),
    ]);
    let out = run(dir.path(), &["validate", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("4 resource(s) checked"),
        "{}",
        out.stdout
    );
    let out = run(dir.path(), &["convert", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for text in [
        "summary: \"{{ $labels.instance }} is down\"",
        "{{- define \"resources\" }}",
        "{{ define \"slack.text\" }}",
    ] {
        assert!(out.stdout.contains(text), "{text}: {}", out.stdout);
    }
}

#[test]
fn template_syntax_where_yaml_needs_structure_is_refused_saying_so() {
    let dir = tree(&[(
        "chart-free/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicas }}\n",
    )]);
    let out = run(dir.path(), &["validate", "chart-free/deployment.yaml"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("chart-free/deployment.yaml:6:13: Helm/Go template syntax (`{{ .Values.replicas }}`) is not a manifest: the YAML next to it cannot be parsed"),
        "{all}"
    );
    // A template action in a key.
    let dir = tree(&[(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  {{ .Values.key }}-name: v\n",
    )]);
    let out = run(dir.path(), &["convert", "cm.yaml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("cm.yaml:5:3: Helm/Go template"),
        "{}",
        out.stderr
    );
}
