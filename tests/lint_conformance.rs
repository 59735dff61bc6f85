//! `rolloutify validate` agrees with `kubectl argo rollouts lint` on its own test data: the
//! verdicts of upstream's lint_test.go, as listed in the reference's SOURCE.md, with the
//! same message for every invalid file.

mod support;

use assert_cmd::Command;

/// (file, expected message) for invalid files, and the valid files, read from SOURCE.md.
fn expectations(source: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut invalid = Vec::new();
    let mut valid = Vec::new();
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("Valid (exit 0, no output):") {
            valid.extend(
                rest.split(',')
                    .map(|f| f.trim().trim_matches(|c| c == '`' || c == '.').to_owned())
                    .filter(|f| !f.is_empty()),
            );
        } else if line.starts_with("`valid") && !valid.is_empty() {
            valid.extend(
                line.split(',')
                    .map(|f| f.trim().trim_matches(|c| c == '`' || c == '.').to_owned())
                    .filter(|f| !f.is_empty()),
            );
        } else if let Some(row) = line.strip_prefix("| `") {
            let cells: Vec<&str> = row.split(" | ").collect();
            if let [file, message, ..] = cells.as_slice() {
                let file = file.trim_end_matches('`');
                let message = message
                    .trim()
                    .trim_end_matches('|')
                    .trim()
                    .trim_matches('`');
                if let Some(message) = message.strip_prefix("Error: ") {
                    invalid.push((file.to_owned(), message.to_owned()));
                }
            }
        }
    }
    (invalid, valid)
}

#[test]
fn verdicts_agree_with_kubectl_argo_rollouts_lint() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let reference = shared.join("reference/argo-rollouts");
    let source = std::fs::read_to_string(reference.join("SOURCE.md")).expect("SOURCE.md");
    let (invalid, valid) = expectations(&source);
    assert_eq!(
        invalid.len() + valid.len(),
        23,
        "SOURCE.md lists 23 verdicts"
    );
    let testdata = reference.join("pkg/kubectl-argo-rollouts/cmd/lint/testdata");
    let run = |file: &str| {
        let output = Command::cargo_bin("rolloutify")
            .expect("binary")
            .current_dir(&testdata)
            .args(["validate", "-o", "json", file])
            .output()
            .expect("runs");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
        (
            output.status.code(),
            report,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let mut disagreements = Vec::new();
    for file in &valid {
        let (code, report, stderr) = run(file);
        if code != Some(0) {
            disagreements.push(format!(
                "{file}: exit {code:?}, expected 0: {report} {stderr}"
            ));
        }
    }
    for (file, expected) in &invalid {
        let (code, report, stderr) = run(file);
        let errors: Vec<&str> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["severity"] == "error")
            .filter_map(|f| f["message"].as_str())
            .collect();
        // Go's JSON decoder names unknown fields in its own words; the meaning is the field.
        let same_meaning = |message: &&str| {
            *message == expected
                || expected
                    .split_once("unknown field ")
                    .is_some_and(|(_, field)| {
                        message.contains("unknown field")
                            && message.contains(field.trim_matches('"'))
                    })
        };
        if code != Some(1) || !errors.iter().any(same_meaning) {
            disagreements.push(format!(
                "{file}: exit {code:?}, expected 1 with {expected:?}; got {errors:#?} {stderr}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
