//! `-w` and `-o`: files are rewritten (or mirrored) with untouched documents byte for byte,
//! new resources in the Deployment's file, and nothing written when the run fails.

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

const APP: &str = "\
# The shop's web app. Owned by team storefront.
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
          image: example/web:1 # bumped by CI
---
# Kept exactly as written.
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]   # flow style stays
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
    - route:
        - destination: {host: web}
";

#[test]
fn write_in_place_keeps_untouched_documents_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = dir.path().join("app.yaml");
    let config = dir.path().join("configmap.yaml");
    std::fs::write(&app, APP).expect("write");
    let unrelated = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}   # untouched file\n";
    std::fs::write(&config, unrelated).expect("write");
    rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "-q", "."])
        .assert()
        .success();
    let text = std::fs::read_to_string(&app).expect("read");
    assert!(text.starts_with("# The shop's web app. Owned by team storefront.\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"), "{text}");
    assert!(
        text.contains("---\n# Kept exactly as written.\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]   # flow style stays\n---\n"),
        "{text}"
    );
    let rollout_end = text.find("# Kept exactly").expect("service follows");
    assert!(
        text[..rollout_end].contains("name: web-canary"),
        "new Services follow the Rollout: {text}"
    );
    assert!(text.contains("host: web-stable"));
    assert_eq!(std::fs::read_to_string(&config).expect("read"), unrelated);

    // A second run finds nothing to change.
    rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "-q", "."])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&app).expect("read"), text);
}

#[test]
fn output_dir_mirrors_the_input_tree() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("apps/shop");
    std::fs::create_dir_all(&input).expect("mkdir");
    copy_fixture("seed-003-failure-count", &input);
    rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-q", "-o", "out", "apps"])
        .assert()
        .success();
    let written =
        std::fs::read_to_string(dir.path().join("out/apps/shop/app.yaml")).expect("mirrored file");
    assert!(written.contains("kind: Rollout"));
    let original = std::fs::read_to_string(input.join("app.yaml")).expect("read");
    assert!(
        original.contains("kind: Deployment"),
        "the input is left alone"
    );
}

#[test]
fn nothing_is_written_when_the_input_is_broken() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.yaml"), APP).expect("write");
    std::fs::write(
        dir.path().join("b.yaml"),
        "kind: Service\nmetadata: {name: x\n",
    )
    .expect("write");
    rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "."])
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.yaml")).expect("read"),
        APP
    );
}

#[test]
fn reads_standard_input() {
    let output = rolloutify()
        .args(["convert", "-q", "-"])
        .write_stdin(APP)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).expect("utf-8");
    assert!(
        text.starts_with("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"),
        "{text}"
    );
    rolloutify()
        .args(["convert", "-w", "-"])
        .write_stdin(APP)
        .assert()
        .code(2);
}

#[test]
fn same_input_same_bytes_whatever_the_order_of_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_fixture("autoscaling", dir.path());
    std::fs::write(dir.path().join("extra.yaml"), APP).expect("write");
    let run = |args: &[&str]| {
        rolloutify()
            .current_dir(dir.path())
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let whole = run(&["convert", "-q", "."]);
    assert_eq!(whole, run(&["convert", "-q", "."]));
    assert_eq!(whole, run(&["convert", "-q", "app.yaml", "extra.yaml"]));
}

/// Changed documents are edited, not rewritten: lines the conversion does not touch keep
/// their comments and style, so the reviewer's diff shows only what changed.
#[test]
fn changed_documents_keep_their_untouched_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let original = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3 # morning peak
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1 # bumped by CI
          env:
            # feature flags
            - {name: MODE, value: \"on\"}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
    - retries: {attempts: 3} # retry twice
      route:
        - destination:
            host: web
    - route: # legacy
        - destination: {host: legacy}
";
    let app = dir.path().join("app.yaml");
    std::fs::write(&app, original).expect("write");
    let printed = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-q", "app.yaml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-q", "-w", "app.yaml"])
        .assert()
        .success();
    let text = std::fs::read_to_string(&app).expect("read");
    for kept in [
        "  replicas: 3 # morning peak\n",
        "    matchLabels: {app: web}\n",
        "          image: example/web:1 # bumped by CI\n",
        "            # feature flags\n            - {name: MODE, value: \"on\"}\n",
        "    - name: primary\n      retries: {attempts: 3} # retry twice\n",
        "    - route: # legacy\n        - destination: {host: legacy}\n",
    ] {
        assert!(text.contains(kept), "lost {kept:?} in:\n{text}");
    }
    assert!(
        text.starts_with("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"),
        "{text}"
    );
    // What was written means what `convert` prints, value for value (converting converted
    // output only normalises it).
    let reread = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-q", "app.yaml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&printed),
        String::from_utf8_lossy(&reread)
    );
}

/// Found by fuzzing: a carriage return alone (a line break for YAML readers) inside a comment
/// shifted the in-place edit by a line and `-w` wrote a duplicate key. An edited file must
/// read back as exactly the converted stream, whatever the line breaks.
#[test]
fn edited_files_read_back_as_the_converted_stream() {
    for (name, text) in [
        (
            "lone carriage return",
            APP.replacen(" Owned by", "\r# Owned by", 1),
        ),
        ("crlf", APP.replace('\n', "\r\n")),
        ("plain", APP.to_owned()),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("app.yaml"), &text).expect("write");
        let converted = || {
            let output = rolloutify()
                .current_dir(dir.path())
                .args(["convert", "-q", "--format", "json", "app.yaml"])
                .assert()
                .success();
            String::from_utf8_lossy(&output.get_output().stdout).into_owned()
        };
        let expected = converted();
        rolloutify()
            .current_dir(dir.path())
            .args(["convert", "-q", "-w", "app.yaml"])
            .assert()
            .success();
        assert_eq!(
            converted(),
            expected,
            "{name}: the written file does not read back as the conversion"
        );
    }
}

/// Every entry of `dir` (sorted), with its text; a directory reads as empty.
fn files_in(dir: &Path) -> Vec<(std::ffi::OsString, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            (e.file_name(), text)
        })
        .collect();
    files.sort();
    files
}

/// A tree whose only app's converted output would fail its check: in parts too, the app is
/// left as it was (exit 1): `-w` changes nothing, `-o` mirrors the files as they are, and
/// nothing else is left behind.
#[test]
fn nothing_is_written_when_the_output_would_not_pass() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_fixture("mixed-route-kinds", dir.path());
    let unrelated = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    std::fs::write(dir.path().join("configmap.yaml"), unrelated).expect("write");
    let before = files_in(dir.path());
    assert_eq!(before.len(), 2);
    for flags in [&["-w"][..], &["-o", "out"][..]] {
        let assert = rolloutify()
            .current_dir(dir.path())
            .args(["convert"])
            .args(flags)
            .arg(".")
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains("converted 0 Deployment(s), left 1 as it was"),
            "{stderr}"
        );
        if flags == ["-o", "out"] {
            assert_eq!(files_in(&dir.path().join("out")), before, "{flags:?}");
            std::fs::remove_dir_all(dir.path().join("out")).expect("remove out");
        }
        assert_eq!(files_in(dir.path()), before, "{flags:?}");
    }
}
