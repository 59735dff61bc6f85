//! `rolloutify kustomize-plugin` as the real `kubectl kustomize --enable-alpha-plugins` runs
//! it: installed under `$XDG_CONFIG_HOME/kustomize/plugin/…` behind the two-line wrapper the
//! README shows, on a base and an overlay that moves everything to another namespace.
//! Skipped when kubectl is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rolloutify::load::{self, Document, Limits};

const BASE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
  - name: primary
    route:
    - destination:
        host: web
";

const CONFIG: &str = "\
apiVersion: rolloutify.io/v1alpha1
kind: Rolloutify
metadata:
  name: canary
defaults:
  steps: 20,pause,50,5m,100
";

fn kubectl() -> Option<PathBuf> {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        Some(PathBuf::from("kubectl"))
    } else {
        eprintln!("note: kubectl is not installed; skipping");
        None
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A kustomize plugin home with rolloutify installed as README.md says.
fn plugin_home(root: &Path) -> PathBuf {
    let home = root.join("xdg");
    let plugin = home.join("kustomize/plugin/rolloutify.io/v1alpha1/rolloutify/Rolloutify");
    write(
        &plugin,
        &format!(
            "#!/bin/sh\nexec '{}' kustomize-plugin \"$@\"\n",
            env!("CARGO_BIN_EXE_rolloutify")
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    home
}

fn build(kubectl: &Path, home: &Path, dir: &Path) -> Output {
    Command::new(kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir)
        .env("XDG_CONFIG_HOME", home)
        .output()
        .expect("kubectl runs")
}

fn documents(output: &Output) -> Vec<Document> {
    assert!(
        output.status.success(),
        "kubectl kustomize failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout.clone()).expect("utf-8");
    load::load_text("kustomize-output.yaml", &text, &Limits::default())
        .expect("kustomize prints YAML")
        .documents
}

fn find<'d>(documents: &'d [Document], kind: &str, name: &str) -> &'d Document {
    documents
        .iter()
        .find(|d| d.kind() == kind && d.name() == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in the output"))
}

/// The Rollout replaced the Deployment, in the overlay's namespace, with its Services and a
/// VirtualService split between them.
fn assert_converted(documents: &[Document]) {
    assert!(
        documents.iter().all(|d| d.kind() != "Deployment"),
        "the Deployment is still there"
    );
    for document in documents {
        assert_eq!(
            document.namespace(),
            Some("prod"),
            "{}",
            document.resource_id()
        );
        let annotations = document.value.pointer("/metadata/annotations");
        assert!(
            annotations.is_none_or(|a| a.get("kustomize.config.k8s.io/id").is_none()),
            "kustomize's bookkeeping leaked into {}",
            document.resource_id()
        );
    }
    let rollout = find(documents, "Rollout", "web");
    assert_eq!(rollout.value["spec"]["replicas"], 3);
    assert_eq!(
        rollout.value["spec"]["strategy"]["canary"]["steps"][0]["setWeight"],
        20
    );
    assert_eq!(
        rollout.value["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["virtualService"]["name"],
        "web"
    );
    find(documents, "Service", "web");
    find(documents, "Service", "web-canary");
    find(documents, "Service", "web-stable");
    let route = &find(documents, "VirtualService", "web").value["spec"]["http"][0]["route"];
    assert_eq!(route[0]["destination"]["host"], "web-stable");
    assert_eq!(route[0]["weight"], 100);
    assert_eq!(route[1]["destination"]["host"], "web-canary");
    assert_eq!(route[1]["weight"], 0);
}

#[test]
fn the_plugin_converts_an_overlay_that_changes_the_namespace() {
    let Some(kubectl) = kubectl() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let home = plugin_home(root.path());
    write(&root.path().join("base/app.yaml"), BASE);
    write(
        &root.path().join("base/kustomization.yaml"),
        "resources:\n- app.yaml\n",
    );
    write(&root.path().join("overlay/rolloutify.yaml"), CONFIG);
    write(
        &root.path().join("overlay/kustomization.yaml"),
        "resources:\n- ../base\nnamespace: prod\ntransformers:\n- rolloutify.yaml\n",
    );
    let output = build(&kubectl, &home, &root.path().join("overlay"));
    assert_converted(&documents(&output));
}

#[test]
fn a_base_converted_by_the_plugin_moves_with_its_overlay() {
    let Some(kubectl) = kubectl() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let home = plugin_home(root.path());
    write(&root.path().join("base/app.yaml"), BASE);
    write(&root.path().join("base/rolloutify.yaml"), CONFIG);
    write(
        &root.path().join("base/kustomization.yaml"),
        "resources:\n- app.yaml\ntransformers:\n- rolloutify.yaml\n",
    );
    write(
        &root.path().join("overlay/kustomization.yaml"),
        "resources:\n- ../base\nnamespace: prod\n",
    );
    let output = build(&kubectl, &home, &root.path().join("overlay"));
    assert_converted(&documents(&output));
}

#[test]
fn a_bad_config_fails_the_build_naming_the_field() {
    let Some(kubectl) = kubectl() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let home = plugin_home(root.path());
    write(&root.path().join("app/app.yaml"), BASE);
    write(
        &root.path().join("app/rolloutify.yaml"),
        &CONFIG.replace("steps: 20,pause,50,5m,100", "stepz: 20"),
    );
    write(
        &root.path().join("app/kustomization.yaml"),
        "resources:\n- app.yaml\ntransformers:\n- rolloutify.yaml\n",
    );
    let output = build(&kubectl, &home, &root.path().join("app"));
    assert!(!output.status.success(), "the build should fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown field `stepz`"), "{stderr}");
    assert!(
        stderr.contains("the copy kustomize made of the transformer configuration"),
        "{stderr}"
    );
}

/// The base with a kustomize variable in the Deployment's environment and in the
/// VirtualService's destination host (issue 13, item 5).
const BASE_WITH_VARS: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: params
data:
  prefix: /jupyter
  namespace: default
---
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
      containers:
      - name: web
        image: nginx:1.27
        env:
        - name: APP_PREFIX
          value: $(JWA_PREFIX)
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
  - name: primary
    route:
    - destination:
        host: web.$(WEB_NAMESPACE).svc.cluster.local
";

const VARS: &str = "\
vars:
- name: JWA_PREFIX
  objref: {kind: ConfigMap, name: params, apiVersion: v1}
  fieldref: {fieldPath: data.prefix}
- name: WEB_NAMESPACE
  objref: {kind: ConfigMap, name: params, apiVersion: v1}
  fieldref: {fieldPath: data.namespace}
configurations:
- params.yaml
";

/// Where kustomize substitutes the variables besides its defaults (as Kubeflow's manifests
/// configure it).
const VAR_REFERENCES: &str = "\
varReference:
- path: spec/http/route/destination/host
  kind: VirtualService
";

#[test]
fn kustomize_vars_fail_the_build_and_say_use_replacements() {
    let Some(kubectl) = kubectl() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let home = plugin_home(root.path());
    write(&root.path().join("app/app.yaml"), BASE_WITH_VARS);
    write(&root.path().join("app/params.yaml"), VAR_REFERENCES);
    write(&root.path().join("app/rolloutify.yaml"), CONFIG);
    write(
        &root.path().join("app/kustomization.yaml"),
        &format!("resources:\n- app.yaml\ntransformers:\n- rolloutify.yaml\n{VARS}"),
    );
    let output = build(&kubectl, &home, &root.path().join("app"));
    assert!(!output.status.success(), "the build should fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The placeholder host reaches no Service, so the Deployment is not converted (and its
    // own placeholders are kustomize's to fill in later).
    assert!(
        stderr.contains("error: Deployment/web [convert/not-routed]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: VirtualService/web [convert/kustomize-variable] `$(WEB_NAMESPACE)` at spec.http[0].route[0].destination.host"),
        "{stderr}"
    );
    assert!(
        stderr.contains("replace the kustomization's `vars:` with `replacements:`"),
        "{stderr}"
    );
}

/// The same substitutions as [`VARS`], made by `replacements`, which kustomize applies before
/// transformers.
const REPLACEMENTS: &str = "\
resources:
- app.yaml
namespace: default
transformers:
- rolloutify.yaml
replacements:
- source: {kind: ConfigMap, name: params, fieldPath: data.prefix}
  targets:
  - select: {kind: Deployment, name: web}
    fieldPaths: [spec.template.spec.containers.0.env.0.value]
- source: {kind: ConfigMap, name: params, fieldPath: data.namespace}
  targets:
  - select: {kind: VirtualService, name: web}
    fieldPaths: [spec.http.0.route.0.destination.host]
    options: {delimiter: '.', index: 1}
";

#[test]
fn replacements_instead_of_vars_convert() {
    let Some(kubectl) = kubectl() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let home = plugin_home(root.path());
    write(&root.path().join("app/app.yaml"), BASE_WITH_VARS);
    write(&root.path().join("app/rolloutify.yaml"), CONFIG);
    write(&root.path().join("app/kustomization.yaml"), REPLACEMENTS);
    let output = build(&kubectl, &home, &root.path().join("app"));
    let documents = documents(&output);
    let rollout = find(&documents, "Rollout", "web");
    assert_eq!(
        rollout.value["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
        "/jupyter"
    );
    let route = &find(&documents, "VirtualService", "web").value["spec"]["http"][0]["route"];
    assert_eq!(
        route[1]["destination"]["host"],
        "web-canary.default.svc.cluster.local"
    );
}

/// `namePrefix` renames the Service but not the VirtualService host that routes to it
/// (issue 13, item 6).
#[test]
fn a_name_prefix_that_leaves_the_route_behind_fails_the_build() {
    let Some(kubectl) = kubectl() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let home = plugin_home(root.path());
    write(&root.path().join("base/app.yaml"), BASE);
    write(
        &root.path().join("base/kustomization.yaml"),
        "resources:\n- app.yaml\n",
    );
    let overlay = root.path().join("overlay");
    write(
        &overlay.join("kustomization.yaml"),
        "resources:\n- ../base\nnamePrefix: prod-\ntransformers:\n- rolloutify.yaml\n",
    );
    // Strict by default: the warning fails the build.
    write(&overlay.join("rolloutify.yaml"), CONFIG);
    let output = build(&kubectl, &home, &overlay);
    assert!(!output.status.success(), "the build should fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: Deployment/prod-web [convert/not-routed]")
            && stderr.contains("(strict)")
            && stderr.contains("namePrefix and nameSuffix rename Services, not hosts"),
        "{stderr}"
    );
    assert!(stderr.contains("`strict: false`"), "{stderr}");
    // Not strict, but selected: still a failure.
    write(
        &overlay.join("rolloutify.yaml"),
        &format!("{CONFIG}strict: false\nselect:\n- name: prod-web\n"),
    );
    let output = build(&kubectl, &home, &overlay);
    assert!(!output.status.success(), "the build should fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: Deployment/prod-web [plugin/selected-not-converted] the configuration selects it, but no VirtualService route sends traffic to its Service"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rename the VirtualService hosts"),
        "{stderr}"
    );
    // Not strict, nothing selected: the warning is the user's to read; the build passes.
    write(
        &overlay.join("rolloutify.yaml"),
        &format!("{CONFIG}strict: false\n"),
    );
    let output = build(&kubectl, &home, &overlay);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
