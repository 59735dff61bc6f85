//! Per-app outcome (issue 13, item 9): an app that cannot be converted safely is left as it
//! was and reported; the rest of the tree is converted and written, and the run exits 1.

use std::path::Path;

use assert_cmd::Command;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

/// An app whose output fails its check (its VirtualService has a tls route the Rollout
/// cannot list).
fn bad() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/mixed-route-kinds/app.yaml");
    std::fs::read_to_string(path).expect("fixture")
}

/// An app that converts.
const GOOD: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers: [{name: api, image: example/api:1}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api]
  http:
  - route:
    - destination: {host: api}
";

/// A Deployment kubectl would refuse: no selector.
const NO_SELECTOR: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: shop, annotations: {rolloutify.io/convert: \"true\"}}
spec:
  template:
    metadata:
      labels: {app: broken}
    spec:
      containers: [{name: broken, image: example/broken:1}]
---
apiVersion: v1
kind: Service
metadata: {name: broken, namespace: shop}
spec:
  selector: {app: broken}
  ports: [{port: 80}]
";

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("bad.yaml"), bad()).expect("write");
    std::fs::write(dir.path().join("good.yaml"), GOOD).expect("write");
    dir
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn write_converts_the_others_and_leaves_the_app_that_fails_its_check() {
    let dir = tree();
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "."])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(
            "error: Deployment/web [convert/invalid-output] not converted, left as it was"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: converted 1 Deployment(s), left 1 as it was (Deployment/web: its output would not pass validation); wrote 1 file(s)"
        ),
        "{stderr}"
    );
    // The failing check is shown, at its line.
    assert!(
        stderr.contains("bad.yaml:49:7: error: VirtualService/edge [istio/route-destinations]"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad.yaml")).expect("read"),
        bad()
    );
    let good = std::fs::read_to_string(dir.path().join("good.yaml")).expect("read");
    assert!(good.contains("kind: Rollout"), "{good}");
    // Converting again: the good app is done, the bad one is still left.
    let again = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "--check", "."])
        .assert()
        .code(1);
    assert_eq!(stdout_of(&again), "");
    assert!(stderr_of(&again).contains("converted 0 Deployment(s), left 1 as it was"));
}

#[test]
fn output_dir_mirrors_the_app_left_unchanged() {
    let dir = tree();
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-o", "out", "."])
        .assert()
        .code(1);
    assert!(stderr_of(&assert).contains("left 1 as it was"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/bad.yaml")).expect("read"),
        bad()
    );
    let good = std::fs::read_to_string(dir.path().join("out/good.yaml")).expect("read");
    assert!(good.contains("kind: Rollout"), "{good}");
}

#[test]
fn check_and_diff_show_the_others_and_exit_1() {
    let dir = tree();
    for args in [
        &["convert", "--check", "."][..],
        &["diff", "."][..],
        &["diff", "--exit-code", "."][..],
    ] {
        let assert = rolloutify()
            .current_dir(dir.path())
            .args(args)
            .assert()
            .code(1);
        let patch = stdout_of(&assert);
        assert!(
            patch.contains("diff --git a/good.yaml b/good.yaml"),
            "{args:?}: {patch}"
        );
        assert!(!patch.contains("bad.yaml"), "{args:?}: {patch}");
        assert!(stderr_of(&assert).contains("left 1 as it was"), "{args:?}");
    }
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("good.yaml")).expect("read"),
        GOOD
    );
}

#[test]
fn printing_gives_the_stream_with_the_app_as_it_was() {
    let dir = tree();
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "."])
        .assert()
        .code(1);
    let stream = stdout_of(&assert);
    assert!(
        stream.contains("kind: Rollout\nmetadata:\n  name: api"),
        "{stream}"
    );
    assert!(
        stream.contains("kind: Deployment\nmetadata:\n  name: web"),
        "{stream}"
    );
}

#[test]
fn a_deployment_that_cannot_be_converted_is_left_and_the_others_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("broken.yaml"), NO_SELECTOR).expect("write");
    std::fs::write(dir.path().join("good.yaml"), GOOD).expect("write");
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "."])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("broken.yaml:4:1: error: Deployment/shop/broken [convert/cannot-convert] not converted, left as it was: has no `spec.selector`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "left 1 as it was (Deployment/shop/broken: it cannot be converted); wrote 1 file(s)"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.yaml")).expect("read"),
        NO_SELECTOR
    );
    assert!(
        std::fs::read_to_string(dir.path().join("good.yaml"))
            .expect("read")
            .contains("kind: Rollout")
    );
}

/// All or nothing still holds for a write that fails: the app converted is not written
/// either, and the run exits 2.
#[test]
fn a_write_that_fails_writes_nothing() {
    let dir = tree();
    // `out` is a file: nothing can be written under it.
    std::fs::write(dir.path().join("out"), "").expect("write");
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-o", "out/tree", "bad.yaml", "good.yaml"])
        .assert()
        .code(2);
    assert!(!stderr_of(&assert).contains("wrote"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out")).expect("read"),
        ""
    );
}
