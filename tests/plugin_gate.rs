//! Plugins cannot fail silently (issue 13, items 5 and 6): kustomize shows a plugin's
//! standard error only when it fails, so `kustomize-plugin` and `krm` fail (exit 1, the
//! findings on standard error) on kustomize variables not substituted yet, on a selected
//! Deployment that is not converted, and in strict mode (their default) on any warning.
//! `strict: true` makes `convert` fail on warnings too.

use assert_cmd::Command;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

const CONFIG: &str =
    "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\nmetadata: {name: canary}\n";

/// An app with a VirtualService route: converting it gives no warning.
fn app(env_value: &str, host: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env:
        - {{name: PORT, value: \"8080\"}}
        - {{name: SETTING, value: \"{env_value}\"}}
        args: [\"--listen=:$(PORT)\", \"--cache=$(REDIS_SERVICE_HOST)\"]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: web}}
  ports: [{{name: http, port: 80}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: web}}
spec:
  hosts: [web]
  http:
  - name: primary
    route:
    - destination: {{host: \"{host}\"}}
"
    )
}

fn plugin(config: &str, input: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("rolloutify.yaml"), config).expect("write");
    let output = rolloutify()
        .current_dir(dir.path())
        .args(["kustomize-plugin", "rolloutify.yaml"])
        .write_stdin(input)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn krm(config: &str, input: &str) -> (Option<i32>, String, String) {
    let config: String = config.lines().map(|l| format!("  {l}\n")).collect();
    let items: String = input
        .split("---\n")
        .map(|doc| {
            let mut lines = doc.lines();
            let first = lines.next().unwrap_or_default();
            let rest: String = lines.map(|l| format!("\n  {l}")).collect();
            format!("- {first}{rest}\n")
        })
        .collect();
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n{config}items:\n{items}"
    );
    let output = rolloutify()
        .arg("krm")
        .write_stdin(list)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn kubernetes_expansions_are_not_kustomize_variables() {
    let (code, stdout, stderr) = plugin(CONFIG, &app("plain", "web"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("kind: Rollout"), "{stdout}");
}

#[test]
fn a_variable_in_the_deployment_fails_both_plugins() {
    let input = app("$(JWA_PREFIX)", "web");
    let (code, stdout, stderr) = plugin(CONFIG, &input);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("<stdin>:16:27: error: Deployment/web [convert/kustomize-variable] `$(JWA_PREFIX)` at spec.template.spec.containers[0].env[1].value is a kustomize variable not substituted yet"),
        "{stderr}"
    );
    assert!(stderr.contains("with `replacements:`"), "{stderr}");
    let (code, stdout, stderr) = krm(CONFIG, &input);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("[convert/kustomize-variable] `$(JWA_PREFIX)`"),
        "{stderr}"
    );
    // The items come back as they were, the error among the results.
    assert!(
        stdout.contains("kind: Deployment") && !stdout.contains("kind: Rollout\n"),
        "{stdout}"
    );
    assert!(stdout.contains("severity: error"), "{stdout}");
}

#[test]
fn a_variable_in_a_route_host_fails_the_plugin() {
    let (code, _, stderr) = plugin(CONFIG, &app("plain", "web.$(NS).svc.$(DOMAIN)"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: VirtualService/web [convert/kustomize-variable] `$(NS)` at spec.http[0].route[0].destination.host is a kustomize variable not substituted yet (and 1 more in this document)"),
        "{stderr}"
    );
}

#[test]
fn warnings_fail_the_plugins_unless_strict_is_off() {
    // No route: left alone, with a warning that says how to convert it anyway.
    let input = app("plain", "elsewhere");
    let (code, stdout, stderr) = plugin(CONFIG, &input);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("[convert/not-routed]") && stderr.contains("(strict)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rolloutify.io/convert: \"false\""),
        "{stderr}"
    );
    let relaxed = format!("{CONFIG}strict: false\n");
    let (code, stdout, stderr) = plugin(&relaxed, &input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("kind: Deployment") && !stdout.contains("kind: Rollout"));
    assert!(
        stderr.contains("warning: Deployment/web [convert/not-routed]"),
        "{stderr}"
    );
    let (code, _, stderr) = krm(&relaxed, &input);
    assert_eq!(code, Some(0), "{stderr}");
    // Selected, not strict: still a failure.
    let (code, _, stderr) = plugin(&format!("{relaxed}select:\n- name: web\n"), &input);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("[plugin/selected-not-converted]"),
        "{stderr}"
    );
    // Opted out: silenced on purpose.
    let opted_out = input.replace(
        "metadata: {name: web}\nspec:\n  selector",
        "metadata:\n  name: web\n  annotations: {rolloutify.io/convert: \"false\"}\nspec:\n  selector",
    );
    let (code, stdout, stderr) = plugin(CONFIG, &opted_out);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("kind: Deployment"), "{stdout}");
}

#[test]
fn a_select_that_matches_nothing_fails_the_plugin() {
    let (code, stdout, stderr) = plugin(
        &format!("{CONFIG}select:\n- name: wbe\n"),
        &app("plain", "web"),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("rolloutify.yaml:5:3: the configuration's select[0] `wbe` matches no Deployment of the input; did you mean web?"),
        "{stderr}"
    );
}

#[test]
fn strict_makes_convert_fail_on_warnings_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = app("plain", "elsewhere");
    std::fs::write(dir.path().join("app.yaml"), &input).expect("write");
    std::fs::write(
        dir.path().join("other.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("strict.txt"),
        format!("{CONFIG}strict: true\n"),
    )
    .expect("write");
    for args in [
        &["convert", "-w", "-c", "strict.txt", "."][..],
        &["convert", "-c", "strict.txt", "app.yaml"][..],
        &["diff", "-c", "strict.txt", "."][..],
    ] {
        let output = rolloutify()
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            stderr.contains(
                "error: 1 warning(s) and the configuration says `strict: true`; nothing was written"
            ),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).expect("read"),
        input
    );
    // Not strict by default.
    rolloutify()
        .current_dir(dir.path())
        .args(["convert", "app.yaml"])
        .assert()
        .success();
}

/// `convert` on files that still hold kustomize variables (a base read directly): a warning
/// at default verbosity, naming the place; the run goes on.
#[test]
fn convert_warns_about_kustomize_variables() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.yaml"), app("$(JWA_PREFIX)", "web")).expect("write");
    let output = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "app.yaml"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "app.yaml:16:27: warning: Deployment/web [convert/kustomize-variable] `$(JWA_PREFIX)`"
        ),
        "{stderr}"
    );
}
