//! Analysis conditions and queries through the binary: the AnalysisTemplates `convert`
//! writes pass `validate`'s condition and PromQL checks, and `rolloutify analysis` shows
//! that their no-data behaviour is the configured `--no-data`; conditions and queries with
//! errors are reported at their line and column, block scalars included.

use std::path::Path;

use assert_cmd::Command;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

fn testdata(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The phase of the first measurement of each metric, in order.
fn first_phases(report: &str) -> Vec<String> {
    report
        .lines()
        .filter(|l| l.trim_start().starts_with("1  "))
        .map(|l| {
            l.split_whitespace()
                .nth(2)
                .unwrap_or_default()
                .trim_end_matches(':')
                .to_owned()
        })
        .collect()
}

#[test]
fn converted_templates_pass_the_checks_and_no_data_does_what_was_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (no_data, on_empty, run_on_empty) in [
        ("inconclusive", "Inconclusive", "run: Inconclusive"),
        ("pass", "Successful", "run: Running"),
        ("fail", "Failed", "run: Running"),
    ] {
        let converted = rolloutify()
            // Its documents have no namespace; its VirtualService names `default`.
            .args(["convert", "-n", "default", "--no-data", no_data])
            .arg(testdata("seed-000-nginx"))
            .output()
            .expect("runs");
        assert!(converted.status.success(), "{}", text(&converted.stderr));
        let file = dir.path().join(format!("{no_data}.yaml"));
        std::fs::write(&file, &converted.stdout).expect("write");

        let validated = rolloutify()
            .arg("validate")
            .arg(&file)
            .output()
            .expect("runs");
        let report = text(&validated.stdout);
        assert!(validated.status.success(), "{no_data}: {report}");
        for rule in [
            "analysis/condition",
            "analysis/promql",
            "analysis/unguarded-result",
            "analysis/condition-errors",
        ] {
            assert!(!report.contains(rule), "{no_data}: {rule} in {report}");
        }
        // Failing on no data is what `fail` asks for: no warning about it.
        assert!(!report.contains(": warning: "), "{no_data}: {report}");

        let empty = rolloutify()
            .args(["analysis", "--result", "[]"])
            .arg(&file)
            .output()
            .expect("runs");
        let decided = text(&empty.stdout);
        assert_eq!(
            first_phases(&decided),
            [on_empty, on_empty],
            "{no_data}: {decided}"
        );
        // `fail` with failureLimit 1: one empty answer is not yet the end.
        assert!(decided.contains(run_on_empty), "{no_data}: {decided}");
        let nan = rolloutify()
            .args(["analysis", "--result", "[NaN]"])
            .arg(&file)
            .output()
            .expect("runs");
        assert_eq!(
            first_phases(&text(&nan.stdout)),
            [on_empty, on_empty],
            "{no_data} on NaN"
        );
        // With data the thresholds decide, whatever the policy.
        let data = rolloutify()
            .args(["analysis", "--result", "success-rate=[0.5]"])
            .args(["--result", "latency-p99=[120]"])
            .arg(&file)
            .output()
            .expect("runs");
        let decided = text(&data.stdout);
        assert_eq!(
            first_phases(&decided),
            ["Failed", "Successful"],
            "{decided}"
        );
        // Two failures (failureLimit 1) abort: exit 1.
        let aborted = rolloutify()
            .args(["analysis", "--result", "[0.5]", "--result", "[0.4]"])
            .arg(&file)
            .output()
            .expect("runs");
        assert_eq!(aborted.status.code(), Some(1), "{}", text(&aborted.stdout));
        assert!(text(&aborted.stdout).contains("run: Failed"));
    }
}

const TEMPLATE_HEAD: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: t
spec:
  metrics:
    - name: m
      interval: 1m
      count: 3
";

fn validate(dir: &Path, body: &str) -> (Option<i32>, String) {
    let file = dir.join("template.yaml");
    std::fs::write(&file, format!("{TEMPLATE_HEAD}{body}")).expect("write");
    let out = rolloutify()
        .current_dir(dir)
        .args(["validate", "template.yaml"])
        .output()
        .expect("runs");
    (out.status.code(), text(&out.stdout))
}

#[test]
fn errors_in_conditions_and_queries_are_reported_where_they_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prometheus = "      provider:\n        prometheus:\n          address: http://p:9090\n";
    // A folded condition over two lines: the unknown name on the second line (line 12).
    let (code, report) = validate(
        dir.path(),
        &format!(
            "      successCondition: >-\n        len(result) > 0 &&\n          isNan(result[0]) == false\n{prometheus}          query: up\n"
        ),
    );
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("template.yaml:12:11: error: AnalysisTemplate/t [analysis/condition] metric m: successCondition does not compile: unknown name isNan"),
        "{report}"
    );
    // A vector compared as a number: a type error, at the operator.
    let (_, report) = validate(
        dir.path(),
        &format!("      successCondition: result >= 0.95\n{prometheus}          query: up\n"),
    );
    assert!(
        report.contains("template.yaml:10:32: error: AnalysisTemplate/t [analysis/condition] metric m: successCondition does not compile: invalid operation: >= (mismatched types []float64 and float64)"),
        "{report}"
    );
    // A scalar query makes `result` a number: `result >= 0.95` is right for it.
    let (code, report) = validate(
        dir.path(),
        &format!(
            "      successCondition: result >= 0.95\n{prometheus}          query: scalar(up)\n"
        ),
    );
    assert_eq!(code, Some(0), "{report}");
    // A literal block query with a trailing operator: at the end of its last line.
    let (code, report) = validate(
        dir.path(),
        &format!(
            "      successCondition: len(result) > 0 && result[0] > 1\n      failureCondition: len(result) > 0 && result[0] <= 1\n{prometheus}          query: |\n            sum(rate(a[5m]))\n            /\n"
        ),
    );
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("template.yaml:17:14: error: AnalysisTemplate/t [analysis/promql] metric m: the query does not parse: invalid promql query"),
        "{report}"
    );
    // A placeholder standing where the query needs something else: a warning, not an error.
    let (code, report) = validate(
        dir.path(),
        &format!(
            "      successCondition: len(result) > 0 && result[0] > 1\n      failureCondition: len(result) > 0 && result[0] <= 1\n{prometheus}          query: sum by ({{{{args.label}}}}) (up)\n"
        ),
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("warning: AnalysisTemplate/t [analysis/promql]"),
        "{report}"
    );
}

#[test]
fn no_data_that_fails_or_errors_the_rollout_is_reported_with_its_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prometheus = "      provider:\n        prometheus:\n          address: http://p:9090\n          query: up\n";
    let (code, report) = validate(
        dir.path(),
        &format!("      successCondition: result[0] >= 0.95\n{prometheus}"),
    );
    assert_eq!(code, Some(0), "warnings only: {report}");
    assert!(
        report.contains("template.yaml:10:7: warning: AnalysisTemplate/t [analysis/unguarded-result] metric m: on [] (no data) the measurement ends in Error (could not evaluate successCondition \"result[0] >= 0.95\": metric result is nil or empty: no data returned from the metric provider); after 5 consecutive errors (consecutiveErrorLimit 4) the AnalysisRun ends in Error and the rollout aborts"),
        "{report}"
    );
    assert!(
        report.contains("[analysis/no-data-fails] metric m: on [NaN] the measurement is Failed"),
        "{report}"
    );
    // Guarded on length but not on NaN, with no failure condition: NaN fails it.
    let (_, report) = validate(
        dir.path(),
        &format!("      successCondition: len(result) > 0 && result[0] >= 0.95\n{prometheus}"),
    );
    assert!(!report.contains("unguarded-result"), "{report}");
    assert!(
        report.contains("on [] (no data) and [NaN] the measurement is Failed"),
        "{report}"
    );
    // Reading a second series that one series does not have.
    let (_, report) = validate(
        dir.path(),
        &format!(
            "      successCondition: len(result) > 1 && result[1] >= 0.95\n      failureCondition: result[1] < 0.5\n{prometheus}"
        ),
    );
    assert!(
        report.contains("[analysis/condition-errors] metric m: with one series of value 1 the measurement ends in Error"),
        "{report}"
    );
}

#[test]
fn what_is_not_evaluated_is_said_not_guessed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prometheus = "      provider:\n        prometheus:\n          address: http://p:9090\n          query: up\n";
    let (code, report) = validate(
        dir.path(),
        &format!("      successCondition: len(result) > 0 && upper(\"a\") == \"A\"\n{prometheus}"),
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("template.yaml:10:7: note: AnalysisTemplate/t [analysis/no-data] metric m: what no data does is not checked: rolloutify does not evaluate the builtin upper"),
        "{report}"
    );
    let (code, report) = validate(
        dir.path(),
        &format!("      successCondition: let x = 1; x > 2\n{prometheus}"),
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains(
            "note: AnalysisTemplate/t [analysis/condition] metric m: successCondition not checked"
        ),
        "{report}"
    );
}
