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

/// Whether `git` runs. Without it a test that needs it skips, except in CI (`CI=true`), where
/// a missing git is a broken setup and fails.
fn have_git() -> bool {
    let found = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "git is not installed, and CI=true: the --git tests need it"
        );
        eprintln!("note: git is not installed; skipping");
    }
    found
}

fn rolloutify(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rolloutify"))
        .args(args)
        .current_dir(dir)
        .env_remove("ROLLOUTIFY_CONFIG")
        .output()
        .expect("rolloutify runs")
}

/// `--git` reads what the commit will hold: tracked files and staged additions, with the
/// index's content; not untracked files, not unstaged edits.
#[test]
fn git_reads_the_index_not_the_work_tree() {
    if !have_git() {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let repo = work.path();
    git(repo, &["init", "-q"]);
    let service =
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n";
    std::fs::create_dir_all(repo.join("apps")).expect("mkdir");
    std::fs::write(repo.join("apps/service.yaml"), service).expect("write");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "service"]);
    // A staged addition, then an unstaged edit that breaks it, and an untracked scratch file.
    std::fs::write(
        repo.join("apps/other.yaml"),
        service.replace("web", "other"),
    )
    .expect("write");
    git(repo, &["add", "apps/other.yaml"]);
    std::fs::write(
        repo.join("apps/other.yaml"),
        service.replace("web", "other").replace("ports", "portz"),
    )
    .expect("write");
    std::fs::write(
        repo.join("scratch.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: a\n",
    )
    .expect("write");

    let work_tree = rolloutify(repo, &["validate", "."]);
    assert_eq!(work_tree.status.code(), Some(2));

    let index = rolloutify(repo, &["validate", "--git", "."]);
    let stdout = String::from_utf8_lossy(&index.stdout);
    assert_eq!(
        index.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&index.stderr)
    );
    assert!(
        stdout.starts_with("2 resource(s) checked: 0 error(s)"),
        "{stdout}"
    );
    // A file named (however written) is read from the index too.
    let named = rolloutify(repo, &["validate", "--git", "./apps/other.yaml"]);
    assert_eq!(
        named.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&named.stdout)
    );
    // --tracked is the same flag; the hook's convert --check reads the index too.
    assert_eq!(
        rolloutify(repo, &["validate", "--tracked", "apps"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        rolloutify(repo, &["convert", "--check", "-q", "--git", "."])
            .status
            .code(),
        Some(0)
    );

    // Staged, the broken edit is what the commit holds: it fails.
    git(repo, &["add", "apps/other.yaml"]);
    let staged = rolloutify(repo, &["validate", "--git", "."]);
    let stdout = String::from_utf8_lossy(&staged.stdout);
    assert_eq!(staged.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("apps/other.yaml:5:3: error"), "{stdout}");
    // A deletion staged is gone from the commit, though the file is still there.
    git(repo, &["rm", "-q", "--cached", "apps/other.yaml"]);
    assert_eq!(
        rolloutify(repo, &["validate", "--git", "."]).status.code(),
        Some(0)
    );

    // From a folder below the root, paths are relative to it.
    let below = rolloutify(
        &repo.join("apps"),
        &["validate", "--git", "-o", "github", "."],
    );
    assert_eq!(below.status.code(), Some(0));

    // An untracked file named is refused; -w cannot write index content back; outside a
    // work tree --git says so.
    let untracked = rolloutify(repo, &["validate", "--git", "scratch.yaml"]);
    assert_eq!(untracked.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&untracked.stderr)
            .contains("error: scratch.yaml: not tracked by git"),
        "{}",
        String::from_utf8_lossy(&untracked.stderr)
    );
    assert_eq!(
        rolloutify(repo, &["convert", "-w", "--git", "."])
            .status
            .code(),
        Some(2)
    );
    let outside = tempfile::tempdir().expect("temp dir");
    let refused = rolloutify(outside.path(), &["validate", "--git", "."]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("error: git: "));
}
