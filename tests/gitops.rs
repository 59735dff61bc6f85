//! Whole GitOps repositories through the binary (issue 14): template syntax in string values,
//! what a directory walk skips, `--exclude`, configuration discovery, committed content for
//! hooks, a result for every file, reports that agree with the exit code, and the small
//! readings of item 8.

mod support;

use std::path::Path;

use assert_cmd::Command;

/// Asks for conversion: no VirtualService routes it in these trees (issue 13 leaves such apps).
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {rolloutify.io/convert: \"true\"}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: web:1}]\n";

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

// Item 2: what a directory walk skips.

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n";

/// A GitOps repository with everything around the manifests that is not one.
fn gitops_repository() -> tempfile::TempDir {
    tree(&[
        ("apps/web/deployment.yaml", DEPLOYMENT),
        ("apps/web/service.yaml", SERVICE),
        (
            "charts/api/Chart.yaml",
            "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        ),
        (
            "charts/api/values.yaml",
            "replicaCount: 2\nimage: {repository: api}\n",
        ),
        (
            "charts/api/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"api.fullname\" . }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n",
        ),
        (
            "overlays/prod/kustomization.yaml",
            "resources: [../../apps/web]\npatches:\n  - path: replicas-patch.yaml\n    target: {kind: Deployment, name: web}\npatchesStrategicMerge:\n  - memory.yaml\nconfigMapGenerator:\n  - name: settings\n    files: [settings.yaml]\n    envs: [prod.env]\n",
        ),
        (
            "overlays/prod/replicas-patch.yaml",
            "- op: replace\n  path: /spec/replicas\n  value: 3\n",
        ),
        (
            "overlays/prod/memory.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers: [{name: web, resources: {limits: {memory: 1Gi}}}]\n",
        ),
        (
            "overlays/prod/settings.yaml",
            "apiVersion: 1\nlevel: debug\n",
        ),
        ("overlays/prod/prod.env", "LEVEL=info\n"),
        ("renovate.json", "{\"extends\": [\"config:recommended\"]}\n"),
        (
            "ci/workflow.yaml",
            "name: ci\non: [push]\njobs:\n  test: {runs-on: ubuntu-latest}\n",
        ),
        (
            "kubeconfig.yaml",
            "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
        ),
        (
            "components/istio/component.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [vs.yaml]\n",
        ),
        ("alerts/rules.yaml", PROMETHEUS_RULE),
    ])
}

#[test]
fn a_walk_reads_the_manifests_and_skips_what_is_not_one() {
    let dir = gitops_repository();
    let out = run(dir.path(), &["validate", "-v", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("3 resource(s) checked: 0 error(s)"),
        "{}",
        out.stdout
    );
    for (path, why) in [
        ("charts/api", "a Helm chart (it has Chart.yaml)"),
        (
            "overlays/prod/replicas-patch.yaml",
            "named by a kustomization's `patches`",
        ),
        (
            "overlays/prod/memory.yaml",
            "named by a kustomization's `patchesStrategicMerge`",
        ),
        (
            "overlays/prod/settings.yaml",
            "named by a kustomization's `configMapGenerator`",
        ),
        ("renovate.json", "no document has apiVersion and kind"),
        ("ci/workflow.yaml", "no document has apiVersion and kind"),
        ("kubeconfig.yaml", "a kubeconfig (v1 Config)"),
        (
            "components/istio/component.yaml",
            "kustomize's configuration",
        ),
    ] {
        assert!(
            out.stderr.contains(&format!("note: skipped {path}: {why}")),
            "{path}: {}",
            out.stderr
        );
    }
    // Without -v, nothing is said; convert reads the same files.
    let quiet = run(dir.path(), &["validate", "."]);
    assert_eq!(quiet.stderr, "");
    let converted = run(dir.path(), &["convert", "."]);
    assert_eq!(converted.code, 0, "{}", converted.stderr);
    assert!(converted.stdout.contains("kind: Rollout"));
    assert!(!converted.stdout.contains("kind: Config"));
}

#[test]
fn a_file_named_on_the_command_line_is_checked_as_given() {
    let dir = gitops_repository();
    for file in [
        "charts/api/values.yaml",
        "overlays/prod/replicas-patch.yaml",
        "charts/api/templates/deployment.yaml",
    ] {
        let out = run(dir.path(), &["validate", file]);
        assert_eq!(out.code, 2, "{file}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(&format!("error: {file}:")),
            "{}",
            out.stderr
        );
    }
    // A client-side object named is checked as an object.
    let out = run(dir.path(), &["validate", "kubeconfig.yaml"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("[object/missing-name]"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_file_with_some_objects_and_a_document_without_kind_is_still_an_error() {
    let dir = tree(&[
        ("app.yaml", DEPLOYMENT),
        ("mixed.yaml", &format!("{SERVICE}---\nreplicas: 3\n")),
    ]);
    let out = run(dir.path(), &["validate", "."]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("error: mixed.yaml:9:1: document 2 has no `kind`"),
        "{}",
        out.stderr
    );
}

// Item 3: --exclude and exclude: in the configuration.

#[test]
fn exclude_leaves_files_out_of_walks() {
    let dir = tree(&[
        ("apps/web.yaml", DEPLOYMENT),
        (
            "apps/legacy/broken.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: a\n",
        ),
        (
            "scratch/notes.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: [\n",
        ),
    ]);
    assert_eq!(run(dir.path(), &["validate", "."]).code, 2);
    let out = run(
        dir.path(),
        &[
            "validate",
            "-v",
            "--exclude",
            "apps/legacy/",
            "--exclude",
            "scratch",
            ".",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("note: skipped apps/legacy: excluded"),
        "{}",
        out.stderr
    );
    // Anchored globs are relative to the current directory, wherever the walk starts.
    let out = run(
        dir.path(),
        &["validate", "--exclude", "/apps/legacy", "apps"],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // A folder named is walked even when a glob matches it (as a file named is read).
    let out = run(dir.path(), &["validate", "--exclude", "scratch", "scratch"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // A file named is read even when a glob matches it.
    let out = run(
        dir.path(),
        &["validate", "--exclude", "scratch", "scratch/notes.yaml"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    // A glob that is not one is an error.
    let out = run(dir.path(), &["validate", "--exclude", "a[", "."]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("error: exclude `a[`"), "{}", out.stderr);
    // convert honours it too.
    let out = run(
        dir.path(),
        &[
            "convert",
            "--exclude",
            "apps/legacy",
            "--exclude",
            "scratch",
            ".",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

// Item 4: configuration discovery.

#[test]
fn the_configuration_at_the_git_root_is_found_and_its_exclude_used() {
    let config = "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\ndefaults:\n  steps: 20,pause\nexclude:\n  - team/legacy/\n";
    let dir = tree(&[
        ("rolloutify.yaml", config),
        ("team/web.yaml", &format!("{DEPLOYMENT}---\n{SERVICE}")),
        (
            "team/legacy/broken.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: a\n",
        ),
    ]);
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    // From the root: found in the current directory, which is the git root.
    let out = run(dir.path(), &["validate", "-v", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("note: read configuration rolloutify.yaml"),
        "{}",
        out.stderr
    );
    // The configuration itself is not an object to check.
    assert!(
        out.stdout.starts_with("2 resource(s) checked"),
        "{}",
        out.stdout
    );
    // From a folder below: the git root's file, its globs relative to its folder.
    let team = dir.path().join("team");
    let out = run(&team, &["convert", "-v", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("note: read configuration "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("rolloutify.yaml"), "{}", out.stderr);
    assert!(out.stdout.contains("setWeight: 20"), "{}", out.stdout);
    let out = run(&team, &["diff", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("+        - setWeight: 20"),
        "{}",
        out.stdout
    );
    // -c wins; a hidden .rolloutify.yaml is found too.
    std::fs::rename(
        dir.path().join("rolloutify.yaml"),
        dir.path().join(".rolloutify.yaml"),
    )
    .expect("rename");
    let out = run(&team, &["convert", "."]);
    assert!(out.stdout.contains("setWeight: 20"), "{}", out.stdout);
    std::fs::write(
        dir.path().join("other.yaml"),
        "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\ndefaults: {steps: '30,pause'}\n",
    )
    .expect("write");
    let out = run(&team, &["convert", "-c", "../other.yaml", "web.yaml"]);
    assert!(out.stdout.contains("setWeight: 30"), "{}", out.stdout);
}

// Item 6: every file gets a result.

#[test]
fn a_file_that_cannot_be_read_is_a_finding_in_every_format_and_the_others_are_checked() {
    let bad_rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: x}]}\n  strategy: {canary: {maxSurge: 0, maxUnavailable: 0, steps: [{setWeight: 10}]}}\n";
    let dir = tree(&[
        ("a-rollout.yaml", bad_rollout),
        (
            "b-broken.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n   labels: {}\n",
        ),
    ]);
    for (format, broken, other) in [
        (
            "text",
            "b-broken.yaml:5:",
            "MaxSurge and MaxUnavailable both can not be zero",
        ),
        (
            "json",
            "\"load/yaml\"",
            "MaxSurge and MaxUnavailable both can not be zero",
        ),
        (
            "junit",
            "classname=\"b-broken.yaml\"",
            "classname=\"a-rollout.yaml\"",
        ),
        (
            "sarif",
            "\"ruleId\": \"load/yaml\"",
            "\"uri\": \"a-rollout.yaml\"",
        ),
        (
            "github",
            "::error file=b-broken.yaml,line=5,",
            "::error file=a-rollout.yaml,",
        ),
    ] {
        let out = run(dir.path(), &["validate", "-o", format, "."]);
        assert_eq!(out.code, 2, "{format}: {}", out.stdout);
        assert!(out.stdout.contains(broken), "{format}: {}", out.stdout);
        assert!(out.stdout.contains(other), "{format}: {}", out.stdout);
        assert!(
            out.stderr.contains("error: b-broken.yaml:5:"),
            "{format}: {}",
            out.stderr
        );
    }
    let junit = run(dir.path(), &["validate", "-o", "junit", "."]).stdout;
    assert!(junit.contains("failures=\"2\""), "{junit}");
}

// Whole repositories of the corpus: never "could not do the job".

#[test]
fn validate_on_every_corpus_repository_exits_0_or_1_in_every_format() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let mut repositories: Vec<_> = std::fs::read_dir(shared.join("corpus"))
        .expect("corpus folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    repositories.sort();
    assert!(repositories.len() >= 9, "{repositories:?}");
    let mut checked = 0;
    for repository in &repositories {
        for format in ["text", "json", "junit", "sarif", "github"] {
            let out = run(repository, &["validate", "-o", format, "."]);
            assert!(
                matches!(out.code, 0 | 1),
                "{} ({format}): exit {}\n{}{}",
                repository.display(),
                out.code,
                out.stdout,
                out.stderr
            );
            if format == "text" {
                let count = out
                    .stdout
                    .lines()
                    .last()
                    .and_then(|l| l.split(' ').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0);
                assert!(count > 0, "{}: nothing checked", repository.display());
                checked += count;
            }
        }
        let out = run(repository, &["convert", "-q", "."]);
        assert!(
            matches!(out.code, 0 | 1),
            "{} (convert): exit {}\n{}",
            repository.display(),
            out.code,
            out.stderr
        );
    }
    eprintln!(
        "corpus: {checked} resources checked over {} repositories",
        repositories.len()
    );
    // kubeflow: patch files, generator inputs and catalog data are skipped, the manifests read.
    let kubeflow = shared.join("corpus/kubeflow__model-registry");
    let out = run(&kubeflow, &["validate", "-v", "."]);
    for skipped in [
        "note: skipped manifests/kustomize/options/controller/default/manager_metrics_patch.yaml: named by a kustomization's `patches`",
        "note: skipped manifests/kustomize/options/catalog/overlays/demo/dev-sources.yaml: named by a kustomization's `configMapGenerator`",
        "note: skipped manifests/kustomize/options/catalog/base/hf-sources-example.yaml: no document has apiVersion and kind",
    ] {
        assert!(out.stderr.contains(skipped), "{skipped}\n{}", out.stderr);
    }
}

#[test]
fn a_walked_file_that_looks_like_a_manifest_missing_a_field_is_left_out_with_a_warning() {
    let dir = tree(&[
        ("app.yaml", DEPLOYMENT),
        (
            "docs/snippet.yaml",
            "# from the docs\nkind: Service\nmetadata:\n  name: myservice\n",
        ),
    ]);
    let out = run(dir.path(), &["validate", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("docs/snippet.yaml:2:1: warning: docs/snippet.yaml [load/incomplete-object] document 1 has no `apiVersion`"),
        "{}",
        out.stdout
    );
    assert_eq!(
        run(dir.path(), &["validate", "--warnings-as-errors", "."]).code,
        1
    );
    let out = run(dir.path(), &["convert", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("[load/incomplete-object]"),
        "{}",
        out.stderr
    );
    assert!(
        !run(dir.path(), &["convert", "-q", "."])
            .stderr
            .contains("incomplete")
    );
    // Named, it is an error.
    assert_eq!(run(dir.path(), &["validate", "docs/snippet.yaml"]).code, 2);
}
