//! The same object in two places (issue 13, item 7): an error naming both files and lines,
//! in `validate` (exit 1) and in `convert` (the apps that use it are left as they were, the
//! others converted, exit 1); also when the tree is converted part by part.

use std::path::Path;

use assert_cmd::Command;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

fn copy_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    for entry in std::fs::read_dir(from).expect("fixture").flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read")
}

#[test]
fn convert_leaves_the_app_whose_virtual_service_is_defined_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_fixture("duplicates", dir.path());
    let catalogue = read(&dir.path().join("catalogue.yaml"));
    let copy = read(&dir.path().join("routing-copy.yaml"));
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "."])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("routing-copy.yaml:16:3: error: VirtualService/sock-shop/catalogue [input/duplicate] VirtualService/sock-shop/catalogue is defined twice: here and at catalogue.yaml:43:3 (document 4)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("left 1 as it was (Deployment/sock-shop/catalogue: an object it uses is defined twice); wrote 1 file(s)"),
        "{stderr}"
    );
    // Never "selects the pods of 2 Deployments" nor a Rollout listing one VirtualService twice.
    assert!(!stderr.contains("2 Deployments"), "{stderr}");
    assert_eq!(read(&dir.path().join("catalogue.yaml")), catalogue);
    assert_eq!(read(&dir.path().join("routing-copy.yaml")), copy);
    assert!(read(&dir.path().join("carts.yaml")).contains("kind: Rollout"));
}

const APP: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, annotations: {rolloutify.io/convert: \"true\"}}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web:1}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n";

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n";

/// A duplicate no app uses, in files of their own (parts of their own, but for the
/// duplicate): reported, the app converted, exit 1; validate says the same.
#[test]
fn a_duplicate_no_app_uses_is_an_error_and_the_app_is_converted() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.yaml"), APP).expect("write");
    std::fs::write(dir.path().join("one.yaml"), CONFIG_MAP).expect("write");
    std::fs::write(dir.path().join("two.yaml"), CONFIG_MAP).expect("write");
    let expected = "two.yaml:3:12: error: ConfigMap/settings [input/duplicate] ConfigMap/settings is defined twice: here and at one.yaml:3:12 (document 1); kubectl keeps only the last";
    for args in [
        &["convert", "."][..],
        &["convert", "--check", "."][..],
        &["diff", "."][..],
    ] {
        let assert = rolloutify()
            .current_dir(dir.path())
            .args(args)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "."])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains(expected), "{stderr}");
    assert!(read(&dir.path().join("app.yaml")).contains("kind: Rollout"));
    assert_eq!(read(&dir.path().join("two.yaml")), CONFIG_MAP);
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["validate", "."])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains(expected), "{stdout}");
}

/// The same, all in one file (the conversion of the whole input at once).
#[test]
fn a_duplicate_in_one_file_is_an_error_when_writing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!("{APP}---\n{CONFIG_MAP}---\n{CONFIG_MAP}");
    std::fs::write(dir.path().join("all.yaml"), &text).expect("write");
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "all.yaml"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("[input/duplicate] ConfigMap/settings is defined twice"),
        "{stderr}"
    );
    assert!(read(&dir.path().join("all.yaml")).contains("kind: Rollout"));
}

/// Namespace-less documents compare as one namespace; another namespace is another object.
#[test]
fn only_the_same_namespace_is_a_duplicate() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("one.yaml"), CONFIG_MAP).expect("write");
    let other = CONFIG_MAP.replace("{name: settings}", "{name: settings, namespace: shop}");
    std::fs::write(dir.path().join("two.yaml"), other).expect("write");
    rolloutify()
        .current_dir(dir.path())
        .args(["validate", "."])
        .assert()
        .success();
}
