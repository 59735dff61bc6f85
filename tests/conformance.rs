//! The controller's verdict, case for case: every folder of `testdata/conformance` holds
//! manifests written from one test case (or code path) of the Argo Rollouts controller or of
//! Istio's admission validation, and `expect.yaml` with the verdict that source gives. A
//! `validate` run through the binary must agree: `invalid` cases exit 1 with an error of the
//! expected rule and the controller's message (and no error of another rule, unless the
//! case lists it under `also`); `valid` cases exit 0 without errors. A disagreement fails
//! the test unless the suite's README lists it as a known gap — and a listed gap that now
//! agrees fails too, so the list stays true. Every error of the controller's rules carries a
//! hint (what to do).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

#[derive(Debug)]
struct Expect {
    valid: bool,
    rule: String,
    message: String,
    also: Vec<String>,
    source: String,
}

/// Reads `expect.yaml` (the suite's own flat format: `key: value` lines, strings as JSON).
fn read_expect(path: &Path) -> Expect {
    let text = std::fs::read_to_string(path).expect("expect.yaml");
    let field = |key: &str| -> Option<String> {
        text.lines()
            .find_map(|l| l.trim_start().strip_prefix(&format!("{key}: ")))
            .map(|v| {
                if v.starts_with('"') {
                    serde_json::from_str::<String>(v).expect("a JSON string")
                } else {
                    v.to_owned()
                }
            })
    };
    let verdict = field("verdict").expect("verdict");
    assert!(
        verdict == "valid" || verdict == "invalid",
        "{}: verdict is valid or invalid",
        path.display()
    );
    let also = field("also")
        .map(|v| {
            v.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let source = format!(
        "{} {}:{} ({})",
        field("repo").expect("source repo"),
        field("path").expect("source path"),
        field("line").expect("source line"),
        field("test").expect("source test"),
    );
    Expect {
        valid: verdict == "valid",
        rule: field("rule").unwrap_or_default(),
        message: field("message").unwrap_or_default(),
        also,
        source,
    }
}

/// The cases the README lists under "Known gaps" (`- \`case\`: why`).
fn known_gaps(readme: &str) -> Vec<String> {
    let Some(section) = readme.split("## Known gaps").nth(1) else {
        return Vec::new();
    };
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

fn cases(root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("testdata/conformance")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expect.yaml").is_file())
        .collect();
    found.sort();
    found
}

/// Why `validate` disagrees with the expected verdict on one case, if it does.
fn disagreement(dir: &Path, expect: &Expect) -> Option<String> {
    let output = Command::cargo_bin("rolloutify")
        .expect("binary")
        .current_dir(dir)
        .args(["validate", "-o", "json", "manifests.yaml"])
        .output()
        .expect("runs");
    let code = output.status.code();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let findings = report["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Every error says what to do (schema errors are the schema module's own).
    if let Some(bare) = findings.iter().find(|f| {
        f["severity"] == "error"
            && f["hint"].as_str().is_none_or(str::is_empty)
            && !f["rule"]
                .as_str()
                .unwrap_or_default()
                .starts_with("schema/")
    }) {
        return Some(format!("an error without a hint: {bare}"));
    }
    let errors: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if expect.valid {
        if code == Some(0) && errors.is_empty() {
            return None;
        }
        return Some(format!(
            "expected valid, got exit {code:?} with errors {errors:?} {stderr}"
        ));
    }
    if code != Some(1) {
        return Some(format!(
            "expected invalid (exit 1), got exit {code:?} with errors {errors:?} {stderr}"
        ));
    }
    if !errors
        .iter()
        .any(|(rule, message)| *rule == expect.rule && message.contains(&expect.message))
    {
        return Some(format!(
            "expected an error {} containing {:?}, got {errors:?}",
            expect.rule, expect.message
        ));
    }
    let stray: Vec<&(String, String)> = errors
        .iter()
        .filter(|(rule, _)| *rule != expect.rule && !expect.also.contains(rule))
        .collect();
    if !stray.is_empty() {
        return Some(format!("errors the controller does not raise: {stray:?}"));
    }
    None
}

#[test]
fn validate_gives_the_controllers_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/conformance");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("suite README");
    let gaps = known_gaps(&readme);
    let cases = cases(&root);
    assert!(
        cases.len() >= 150,
        "the suite has {} cases, fewer than 150",
        cases.len()
    );
    let mut agree = [0usize; 2];
    let mut total = [0usize; 2];
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    // Each case is a process of its own: run them on every core.
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = cases.len().div_ceil(workers).max(1);
    let verdicts: Vec<(String, Expect, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|dirs| {
                scope.spawn(move || {
                    dirs.iter()
                        .map(|dir| {
                            let name = dir
                                .file_name()
                                .and_then(|n| n.to_str())
                                .unwrap_or_default()
                                .to_owned();
                            let expect = read_expect(&dir.join("expect.yaml"));
                            let why = disagreement(dir, &expect);
                            (name, expect, why)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker"))
            .collect()
    });
    for (name, expect, why) in verdicts {
        let kind = usize::from(expect.valid);
        total[kind] += 1;
        match why {
            None => {
                agree[kind] += 1;
                if gaps.contains(&name) {
                    stale.push(name);
                }
            }
            Some(why) if !gaps.contains(&name) => {
                unexpected.push(format!("{name} [{}]: {why}", expect.source));
            }
            Some(_) => {}
        }
    }
    eprintln!(
        "conformance: {}/{} cases agree with the controller (invalid {}/{}, valid {}/{}); {} known gaps",
        agree[0] + agree[1],
        total[0] + total[1],
        agree[0],
        total[0],
        agree[1],
        total[1],
        gaps.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} cases disagree with the controller:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed as known gaps but now agree (remove them from the README): {stale:?}"
    );
}

#[test]
fn known_gaps_are_read_from_the_readme() {
    let readme = "# x\n\n## Known gaps\n\n- `case-a`: why\n- `case-b`: why\n\n## Skipped\n\n- `TestX`: live\n";
    assert_eq!(known_gaps(readme), ["case-a", "case-b"]);
    assert!(known_gaps("# nothing\n").is_empty());
}

/// rolloutify's own migration rule follows the controller's choice of hosts: with ping-pong
/// and no canary/stable Services, the routes split between the ping and pong Services, so a
/// traffic policy left on the app's Service no longer applies to either.
#[test]
fn ping_pong_hosts_need_the_traffic_policy_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = "\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: web:1}]
  strategy:
    canary:
      pingPong: {pingService: web-ping, pongService: web-pong}
      trafficRouting:
        istio:
          virtualService: {name: web, routes: [primary]}
      steps: [{setWeight: 10}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
---
apiVersion: v1
kind: Service
metadata: {name: web-ping}
spec:
  selector: {app: web}
---
apiVersion: v1
kind: Service
metadata: {name: web-pong}
spec:
  selector: {app: web}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
    - name: primary
      route:
        - destination: {host: web-pong}
          weight: 100
        - destination: {host: web-ping}
          weight: 0
";
    std::fs::write(dir.path().join("app.yaml"), app).expect("write");
    let output = Command::cargo_bin("rolloutify")
        .expect("binary")
        .current_dir(dir.path())
        .args(["validate", "-o", "json", "app.yaml"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "warnings only");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let warning = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == "migration/traffic-policy-not-applied")
        .unwrap_or_else(|| panic!("no traffic-policy warning: {report}"));
    let message = warning["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("web-ping and web-pong"),
        "names the ping and pong hosts: {message}"
    );
}
