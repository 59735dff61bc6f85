//! `rolloutify diff` against the real git: the patch applies from the repository root and
//! yields exactly what `convert --write` writes (the `--argocd` fragment, a new file, included);
//! `convert --check` fails before and passes after.

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;

mod support;

fn rolloutify(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("rolloutify").expect("binary is built");
    command.current_dir(dir);
    command
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Process::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success())
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn read_tree(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir").flatten() {
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                files.push((relative, std::fs::read_to_string(&path).expect("text")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn patch_applies_with_git_and_equals_write() {
    if !git(Path::new("."), &["--version"]) {
        eprintln!("note: git is not installed; skipping");
        return;
    }
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let root = tempfile::tempdir().expect("temp dir");
    let patched = root.path().join("patched");
    let written = root.path().join("written");
    for case in [
        "seed-003-failure-count",
        "seed-004-http-and-tls",
        "several-routes",
        "anchors",
        "autoscaling",
        "workload-ref",
    ] {
        copy_tree(&testdata.join(case), &patched.join("apps").join(case));
    }
    // A file without a final newline and one with CRLF line ends, untouched by conversion.
    std::fs::write(
        patched.join("apps/no-newline.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}",
    )
    .expect("write");
    std::fs::write(
        patched.join("apps/crlf.yaml"),
        "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: b}\r\n",
    )
    .expect("write");
    copy_tree(&patched, &written);
    assert!(git(&patched, &["init", "-q"]));

    rolloutify(&written)
        .args([
            "convert",
            "-q",
            "--check",
            "--argocd",
            "apps/argocd.yaml",
            "apps",
        ])
        .assert()
        .code(1);

    let output = rolloutify(&patched)
        .args([
            "diff",
            "-q",
            "--exit-code",
            "--argocd",
            "apps/argocd.yaml",
            "apps",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let patch = root.path().join("change.patch");
    std::fs::write(&patch, &output).expect("write patch");
    assert!(
        git(
            &patched,
            &["apply", "--check", patch.to_str().expect("utf-8 path")]
        ),
        "git apply --check refused:\n{}",
        String::from_utf8_lossy(&output)
    );
    assert!(git(
        &patched,
        &["apply", patch.to_str().expect("utf-8 path")]
    ));
    let fragment = std::fs::read_to_string(patched.join("apps/argocd.yaml")).expect("created");
    assert!(fragment.contains("kind: VirtualService"), "{fragment}");
    assert!(fragment.contains("- /spec/replicas"), "{fragment}");

    rolloutify(&written)
        .args([
            "convert",
            "-q",
            "-w",
            "--argocd",
            "apps/argocd.yaml",
            "apps",
        ])
        .assert()
        .success();
    assert_eq!(read_tree(&patched), read_tree(&written));

    rolloutify(&written)
        .args([
            "convert",
            "-q",
            "--check",
            "--argocd",
            "apps/argocd.yaml",
            "apps",
        ])
        .assert()
        .success();
    rolloutify(&written)
        .args([
            "diff",
            "-q",
            "--exit-code",
            "--argocd",
            "apps/argocd.yaml",
            "apps",
        ])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn markdown_comment_stays_under_githubs_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..200 {
        let app = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/seed-003-failure-count/app.yaml"),
        )
        .expect("fixture")
        .replace("rollouts-demo", &format!("app-{i}"));
        std::fs::write(dir.path().join(format!("app-{i:03}.yaml")), app).expect("write");
    }
    let output = rolloutify(dir.path())
        .args(["diff", "-q", "--format", "markdown", "."])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).expect("utf-8");
    assert!(text.len() <= 65_536, "{} characters", text.len());
    assert!(text.contains("left out to stay under GitHub's 65536-character limit"));
    assert!(text.contains("| `Deployment/kubota-test/app-0` | converted to Rollout |"));
}

/// Apps the tool has never seen: every folder of `../shared/corpus` (the files that load),
/// each converted on its own as a user converts one app's folder. `diff` applies with git
/// and yields exactly what `convert --write` writes; `--check` fails before and passes after.
#[test]
fn corpus_folders_diff_applies_and_equals_write() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    if !git(Path::new("."), &["--version"]) {
        eprintln!("note: git is not installed; skipping");
        return;
    }
    let corpus = shared.join("corpus");
    let root = tempfile::tempdir().expect("temp dir");
    let patched = root.path().join("patched");
    let written = root.path().join("written");
    let mut folders = std::collections::BTreeSet::new();
    for file in support::manifest_files(&corpus) {
        let loads = rolloutify::load::load(
            &[rolloutify::load::Input::Path(file.clone())],
            &rolloutify::load::LoadOptions::default(),
        )
        .is_ok();
        if !loads {
            continue;
        }
        let relative = file.strip_prefix(&corpus).expect("inside");
        for tree in [&patched, &written] {
            let target = tree.join("apps").join(relative);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&file, &target).expect("copy");
        }
        folders.insert(Path::new("apps").join(relative.parent().expect("a folder")));
    }
    assert!(git(&patched, &["init", "-q"]));
    let mut exercised = 0;
    for folder in &folders {
        let folder = folder.to_str().expect("utf-8 path");
        let check = rolloutify(&written)
            .args(["convert", "-q", "--check", folder])
            .output()
            .expect("runs");
        if check.status.code() != Some(1) {
            // Nothing to convert (0), or the folder cannot be converted on its own (2, or 1
            // with the output refused, which prints no diff).
            assert!(
                matches!(check.status.code(), Some(0..=2)),
                "{folder}: {check:?}"
            );
            continue;
        }
        if check.stdout.is_empty() {
            continue;
        }
        let patch = rolloutify(&patched)
            .args(["diff", "-q", "--exit-code", folder])
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let file = root.path().join("change.patch");
        std::fs::write(&file, &patch).expect("write patch");
        assert!(
            git(&patched, &["apply", file.to_str().expect("utf-8 path")]),
            "{folder}: git apply refused:\n{}",
            String::from_utf8_lossy(&patch)
        );
        // Exit 1 after writing when the input holds an error of its own (the same object in
        // two files): then converting again reports it again, and changes nothing more.
        let write = rolloutify(&written)
            .args(["convert", "-q", "-w", folder])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&write.stderr);
        let input_error = stderr.contains("[input/duplicate]") || stderr.contains("left");
        assert!(
            write.status.code() == Some(0) || (write.status.code() == Some(1) && input_error),
            "{folder}: {write:?}"
        );
        let again = rolloutify(&written)
            .args(["convert", "-q", "--check", folder])
            .output()
            .expect("runs");
        assert_eq!(
            again.status.code(),
            write.status.code(),
            "{folder}: {again:?}"
        );
        assert!(
            again.stdout.is_empty(),
            "{folder}: converting again changes more"
        );
        exercised += 1;
    }
    assert_eq!(
        read_tree(&patched.join("apps")),
        read_tree(&written.join("apps")),
        "git apply of the diffs and convert --write disagree"
    );
    eprintln!("corpus: {exercised} folders diffed, applied and written");
    // Only Deployments a VirtualService route reaches convert by default (issue 13): most
    // corpus folders hold none.
    assert!(exercised >= 4, "only {exercised} folders exercised");
}
