//! Shell completions and man pages come from the argument definitions: every command and
//! flag is in them, bash accepts the script, and groff renders every page without warnings.

use std::process::Command as Process;

use assert_cmd::Command;

fn rolloutify(args: &[&str]) -> String {
    let output = Command::cargo_bin("rolloutify")
        .expect("binary is built")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).expect("utf-8")
}

#[test]
fn completions_know_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = rolloutify(&["completions", shell]);
        // fish names long flags without their dashes (`-l argocd`).
        for word in ["kustomize-plugin", "krm", "argocd", "warnings-as-errors"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let bash = rolloutify(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rolloutify.bash");
    std::fs::write(&file, bash).expect("write");
    match Process::new("bash").arg("-n").arg(&file).status() {
        Ok(status) => assert!(status.success(), "bash refuses the completion script"),
        Err(_) => eprintln!("note: bash is not installed; syntax not checked"),
    }
}

#[test]
fn man_pages_for_every_command_render_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    rolloutify(&["man", dir.path().to_str().expect("utf-8 path")]);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "rolloutify-analysis.1",
            "rolloutify-completions.1",
            "rolloutify-convert.1",
            "rolloutify-diff.1",
            "rolloutify-krm.1",
            "rolloutify-kustomize-plugin.1",
            "rolloutify-man.1",
            "rolloutify-validate.1",
            "rolloutify.1",
        ]
    );
    let convert = std::fs::read_to_string(dir.path().join("rolloutify-convert.1")).expect("page");
    assert!(
        convert.contains(".TH rolloutify\\-convert 1")
            || convert.contains(".TH rolloutify-convert 1"),
        "{convert}"
    );
    assert!(convert.contains("argocd"));
    assert_eq!(
        rolloutify(&["man"]),
        std::fs::read_to_string(dir.path().join("rolloutify.1")).expect("page")
    );
    for page in &pages {
        let Ok(output) = Process::new("groff")
            // -k: UTF-8 input through preconv, as man does.
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(dir.path().join(page))
            .output()
        else {
            eprintln!("note: groff is not installed; pages not rendered");
            return;
        };
        assert!(output.status.success(), "groff fails on {page}");
        assert!(
            output.stderr.is_empty(),
            "groff warns on {page}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
