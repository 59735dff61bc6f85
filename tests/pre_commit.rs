//! The hooks in `.pre-commit-hooks.yaml`, run by the real `pre-commit try-repo` (skipped when
//! `pre-commit` is not installed; `.ci/run` installs it from PyPI and points PRE_COMMIT at it).
//! The hook passes on good manifests and fails naming the bad file.
//!
//! `language: rust` makes pre-commit build rolloutify with `cargo install` (13 minutes on a
//! 2-core machine), too slow for every CI run: by default the copy of the hooks under test
//! runs the binary this test suite built (`language: system`), which checks everything but
//! the install. `ROLLOUTIFY_PRE_COMMIT_RUST=1` runs the real `language: rust` hooks.

use std::path::{Path, PathBuf};
use std::process::Command;

fn pre_commit() -> Option<PathBuf> {
    let candidate =
        std::env::var_os("PRE_COMMIT").map_or_else(|| PathBuf::from("pre-commit"), PathBuf::from);
    Command::new(&candidate)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| candidate)
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn hooks_pass_good_manifests_and_fail_bad_ones() {
    let Some(pre_commit) = pre_commit() else {
        eprintln!("note: pre-commit is not installed; skipping");
        return;
    };
    // try-repo needs a git repository of the hooks: a clone of this checkout's committed state
    // would miss uncommitted work, so copy the sources into a fresh repository.
    let work = tempfile::tempdir().expect("temp dir");
    let hooks = work.path().join("hooks");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&hooks).expect("mkdir");
    for entry in [
        ".pre-commit-hooks.yaml",
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "src",
        "schemas",
    ] {
        let status = Command::new("cp")
            .arg("-r")
            .arg(root.join(entry))
            .arg(&hooks)
            .status()
            .expect("cp");
        assert!(status.success());
    }
    if std::env::var_os("ROLLOUTIFY_PRE_COMMIT_RUST").is_none() {
        let definitions = hooks.join(".pre-commit-hooks.yaml");
        let text = std::fs::read_to_string(&definitions).expect("hooks file");
        assert_eq!(text.matches("language: rust").count(), 2);
        let text = text.replace("language: rust", "language: system").replace(
            "entry: rolloutify ",
            &format!("entry: {} ", env!("CARGO_BIN_EXE_rolloutify")),
        );
        std::fs::write(&definitions, text).expect("write");
    }
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "-A"]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);

    let repo = work.path().join("app");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"]);
    let good = std::fs::read_to_string(root.join("testdata/seed-003-failure-count/app.yaml"))
        .expect("fixture");
    let converted = Command::new(env!("CARGO_BIN_EXE_rolloutify"))
        .args(["convert", "-q", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(good.as_bytes())?;
            child.wait_with_output()
        })
        .expect("converts");
    std::fs::write(repo.join("app.yaml"), &converted.stdout).expect("write");
    git(&repo, &["add", "-A"]);
    let home = work.path().join("cache");
    let run = |hook: &str| {
        Command::new(&pre_commit)
            .args([
                "try-repo",
                hooks.to_str().expect("utf-8"),
                hook,
                "--all-files",
            ])
            .env("PRE_COMMIT_HOME", &home)
            .current_dir(&repo)
            .output()
            .expect("pre-commit runs")
    };
    let passed = run("rolloutify-validate");
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stdout)
    );
    let checked = run("rolloutify-check");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stdout)
    );

    // A mistake: maxSurge and maxUnavailable both zero.
    let bad = String::from_utf8_lossy(&converted.stdout).replacen(
        "    canary:\n",
        "    canary:\n      maxSurge: 0\n      maxUnavailable: 0\n",
        1,
    );
    std::fs::write(
        repo.join("broken.yaml"),
        bad.replace("name: rollouts-demo\n", "name: other-demo\n"),
    )
    .expect("write");
    git(&repo, &["add", "-A"]);
    let failed = run("rolloutify-validate");
    let output = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success(), "{output}");
    assert!(output.contains("broken.yaml:"), "{output}");
    assert!(
        output.contains("MaxSurge and MaxUnavailable both can not be zero"),
        "{output}"
    );
}
