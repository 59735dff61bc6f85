//! `--select` and the configuration's `select` that match nothing (issue 13, item 8): an
//! error (exit 2, nothing written) that names near Deployments; on a tree too, where the
//! conversion runs part by part.

use assert_cmd::Command;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

fn app(name: &str, namespace: Option<&str>) -> String {
    let metadata = match namespace {
        Some(ns) => format!("{{name: {name}, namespace: {ns}}}"),
        None => format!("{{name: {name}}}"),
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {metadata}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {metadata}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80}}]\n"
    )
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("checkout.yaml"),
        app("checkout", Some("shop")),
    )
    .expect("write");
    std::fs::write(dir.path().join("cart.yaml"), app("cart", Some("shop"))).expect("write");
    std::fs::write(dir.path().join("web.yaml"), app("web", None)).expect("write");
    dir
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| {
            format!(
                "{}:{}",
                e.file_name().to_string_lossy(),
                std::fs::read_to_string(e.path()).unwrap_or_default()
            )
        })
        .collect();
    names.sort();
    names
}

#[test]
fn a_typo_is_an_error_with_near_names_and_nothing_is_written() {
    let dir = tree();
    let before = files(dir.path());
    for args in [
        &["convert", "-w", "--select", "chekout", "."][..],
        &["convert", "--check", "--select", "chekout", "."][..],
        &["convert", "--select", "chekout", "."][..],
        &["diff", "--select", "chekout", "."][..],
    ] {
        let assert = rolloutify()
            .current_dir(dir.path())
            .args(args)
            .assert()
            .code(2);
        let output = assert.get_output();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(
                "error: --select `chekout` matches no Deployment of the input; did you mean shop/checkout?"
            ),
            "{args:?}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?}");
        assert_eq!(files(dir.path()), before, "{args:?}");
    }
}

#[test]
fn a_namespace_the_manifests_do_not_write_is_named() {
    let dir = tree();
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "--select", "default/web", "."])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("Deployment web in web.yaml (document 1) has no metadata.namespace, so `default/web` cannot match it; select it as `web`"),
        "{stderr}"
    );
}

#[test]
fn one_selector_that_matches_nothing_is_enough_to_stop() {
    let dir = tree();
    let config = "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\nselect:\n  - name: checkout\n  - name: carts\n";
    std::fs::write(dir.path().join("rolloutify.yml.txt"), config).expect("write");
    let before = files(dir.path());
    let assert = rolloutify()
        .current_dir(dir.path())
        .args(["convert", "-w", "-c", "rolloutify.yml.txt", "."])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with("error: rolloutify.yml.txt:5:5: the configuration's select[1] `carts` matches no Deployment of the input; did you mean shop/cart?"),
        "{stderr}"
    );
    assert_eq!(files(dir.path()), before);
    // Selectors that match convert as before.
    rolloutify()
        .current_dir(dir.path())
        .args([
            "convert",
            "-q",
            "--select",
            "shop/checkout",
            "--select",
            "web",
            ".",
        ])
        .assert()
        .success();
}
