//! Bad input through the binary: every case exits 2 (cannot read or parse) with one message
//! that names the file and, where there is one, the line and column, plus a hint — and
//! writes nothing. No case may panic or hang.

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;

const GOOD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {rolloutify.io/convert: 'true'}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: web:1}]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n";

/// What a case puts in its directory.
enum Content {
    Text(&'static str),
    Bytes(Vec<u8>),
    Owned(String),
}

struct Case {
    name: &'static str,
    file: &'static str,
    content: Content,
    /// `file:line:col` expected at the start of the message (`None`: only the file).
    position: Option<&'static str>,
    /// A word the message must contain.
    says: &'static str,
}

/// Cases that parse but are invalid: validate reports them as findings (exit 1); convert and
/// diff cannot do their job (exit 2), or leave the app as it was ([`LEFT_AS_IT_WAS`]).
const PARSED_BUT_INVALID: [&str; 3] = [
    "deployment without selector",
    "deployment without name",
    "selector of wrong type",
];

/// Cases where one app cannot be converted: convert and diff leave it as it was, convert the
/// others and exit 1, with an error at the field (issue 13: per-app outcome).
const LEFT_AS_IT_WAS: [&str; 2] = ["deployment without selector", "selector of wrong type"];

/// Cases whose file holds no object with `apiVersion` and `kind`: a directory walk skips
/// them (issue 14), a file named on the command line is refused.
const SKIPPED_IN_WALKS: [&str; 7] = [
    "no kind",
    "no apiVersion",
    "empty kind",
    "document is a list",
    "document is a scalar",
    "JSON without kind",
    "kustomization without kind",
];

impl Case {
    fn bytes(&self) -> Vec<u8> {
        match &self.content {
            Content::Text(text) => text.as_bytes().to_vec(),
            Content::Bytes(bytes) => bytes.clone(),
            Content::Owned(text) => text.as_bytes().to_vec(),
        }
    }
}

fn case(
    name: &'static str,
    content: &'static str,
    position: Option<&'static str>,
    says: &'static str,
) -> Case {
    Case {
        name,
        file: "bad.yaml",
        content: Content::Text(content),
        position,
        says,
    }
}

fn billion_laughs() -> String {
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..12 {
        let previous = format!("*a{}", i - 1);
        let items = [previous.as_str(); 10].join(", ");
        text.push_str(&format!("  a{i}: &a{i} [{items}]\n"));
    }
    text
}

fn deep_nesting() -> String {
    // Block sequences nested on one line (`- - - x`): 10,000 levels in 20 kB.
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata:\n  k:\n    {}x\n",
        "- ".repeat(10_000)
    )
}

fn cases() -> Vec<Case> {
    vec![
        // Found by fuzzing the plugins: a List item without `kind` was passed on, and the
        // printed output could not be read back.
        case(
            "list item without kind",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- apiVersion: v1\n  metadata: {name: b}\n",
            Some("bad.yaml:7:3:"),
            "item 2 has no `kind`",
        ),
        case(
            "list item that is not an object",
            "apiVersion: v1\nkind: List\nitems:\n- just a string\n",
            Some("bad.yaml:4:3:"),
            "item 1 is a scalar",
        ),
        case(
            "bad indentation",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n   labels: {}\n",
            Some("bad.yaml:5:"),
            "mapping",
        ),
        case(
            "unclosed flow mapping",
            "apiVersion: v1\nkind: Service\nmetadata: {name: a\n",
            Some("bad.yaml:4:"),
            "flow",
        ),
        case(
            "unclosed flow sequence",
            "apiVersion: v1\nkind: Service\nspec:\n  ports: [80, 81\n",
            Some("bad.yaml:"),
            "",
        ),
        case(
            "unclosed quote",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"a\n",
            Some("bad.yaml:"),
            "quoted",
        ),
        case(
            "tab indentation",
            "apiVersion: v1\nkind: Service\nmetadata:\n\tname: a\n",
            Some("bad.yaml:4:"),
            "tab",
        ),
        case(
            "duplicate key",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n",
            Some("bad.yaml:5:3"),
            "duplicate key",
        ),
        case(
            "duplicate key at top",
            "apiVersion: v1\nkind: Service\nkind: Pod\nmetadata: {name: a}\n",
            Some("bad.yaml:3:1"),
            "duplicate key",
        ),
        case(
            "no kind",
            "apiVersion: v1\nmetadata: {name: a}\n",
            Some("bad.yaml:1:1"),
            "kind",
        ),
        case(
            "no apiVersion",
            "kind: Service\nmetadata: {name: a}\n",
            Some("bad.yaml:1:1"),
            "apiVersion",
        ),
        case(
            "empty kind",
            "apiVersion: v1\nkind: \"\"\nmetadata: {name: a}\n",
            Some("bad.yaml:2:1"),
            "kind",
        ),
        case(
            "document is a list",
            "- op: replace\n  path: /spec/replicas\n  value: 3\n",
            Some("bad.yaml:1:1"),
            "sequence",
        ),
        case(
            "document is a scalar",
            "just some text\n",
            Some("bad.yaml:1:1"),
            "scalar",
        ),
        case(
            "helm template action",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
            Some("bad.yaml:4:9"),
            "Helm",
        ),
        case(
            "helm control line",
            "{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n",
            Some("bad.yaml:1:1"),
            "Helm",
        ),
        case(
            "helm include",
            "apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\n",
            Some("bad.yaml:5:5"),
            "Helm",
        ),
        case(
            "complex key",
            "apiVersion: v1\nkind: ConfigMap\n? [a, b]\n: c\n",
            Some("bad.yaml:3:"),
            "key",
        ),
        case(
            "alias to unknown anchor",
            "apiVersion: v1\nkind: ConfigMap\ndata: *nope\n",
            Some("bad.yaml:3:"),
            "anchor",
        ),
        case(
            "merge of a scalar",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  <<: 5\n",
            Some("bad.yaml:4:"),
            "merge",
        ),
        case(
            "deployment without selector",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, annotations: {rolloutify.io/convert: 'true'}}\nspec:\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: []}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: api}}\n",
            Some("bad.yaml:4:1"),
            "spec.selector",
        ),
        case(
            "deployment without name",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: []}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: api}}\n",
            Some("bad.yaml:3:1"),
            "metadata.name",
        ),
        case(
            "selector of wrong type",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, annotations: {rolloutify.io/convert: 'true'}}\nspec:\n  selector: [app, api]\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: []}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: api}}\n",
            Some("bad.yaml:5:3"),
            "selector",
        ),
        case(
            "directive then garbage",
            "%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
            Some("bad.yaml:"),
            "",
        ),
        case(
            "stray document end",
            "apiVersion: v1\nkind: Service\n... garbage\n",
            Some("bad.yaml:"),
            "",
        ),
        Case {
            name: "alias bomb",
            file: "bad.yaml",
            content: Content::Owned(billion_laughs()),
            position: Some("bad.yaml:"),
            says: "aliases",
        },
        Case {
            name: "10,000-deep nesting",
            file: "bad.yaml",
            content: Content::Owned(deep_nesting()),
            position: Some("bad.yaml:"),
            says: "nesting",
        },
        Case {
            name: "10,000-deep flow nesting",
            file: "bad.yaml",
            content: Content::Owned(format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000))),
            position: Some("bad.yaml:1:"),
            says: "",
        },
        Case {
            name: "binary file",
            file: "bad.yaml",
            content: Content::Bytes(vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe]),
            position: Some("bad.yaml:1:"),
            says: "UTF-8",
        },
        Case {
            name: "latin-1 text",
            file: "bad.yaml",
            content: Content::Bytes(
                b"apiVersion: v1\nkind: ConfigMap\ndata: {a: caf\xe9}\n".to_vec(),
            ),
            position: Some("bad.yaml:3:"),
            says: "UTF-8",
        },
        Case {
            name: "NUL byte in text",
            file: "bad.yaml",
            content: Content::Bytes(b"apiVersion: v1\nkind: Config\0Map\n".to_vec()),
            position: Some("bad.yaml:2:"),
            says: "UTF-8",
        },
        Case {
            name: "JSON with a trailing comma",
            file: "bad.json",
            content: Content::Text("{\"apiVersion\": \"v1\", \"kind\": \"Service\",}\n"),
            position: Some("bad.json:1:"),
            says: "",
        },
        Case {
            name: "JSON without kind",
            file: "bad.json",
            content: Content::Text("{\"apiVersion\": \"v1\", \"metadata\": {\"name\": \"x\"}}\n"),
            position: Some("bad.json:1:1"),
            says: "kind",
        },
        case(
            "kustomization without kind",
            "resources:\n  - deployment.yaml\n",
            Some("bad.yaml:1:1"),
            "kind",
        ),
    ]
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, Duration) {
    let started = Instant::now();
    let output = Command::cargo_bin("rolloutify")
        .expect("binary is built")
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (
        output.status.code().unwrap_or(-1),
        stderr,
        started.elapsed(),
    )
}

#[test]
fn bad_input_is_refused_clearly_and_nothing_is_written() {
    let cases = cases();
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("good.yaml"), GOOD).expect("write");
        let bytes = case.bytes();
        std::fs::write(dir.path().join(case.file), &bytes).expect("write");
        // A directory walk skips a file that holds no Kubernetes object at all (values,
        // patches): those cases name the file, which is then checked as given.
        let walked = if SKIPPED_IN_WALKS.contains(&case.name) {
            vec!["good.yaml", case.file]
        } else {
            vec!["."]
        };
        for args in [
            vec!["convert", "good.yaml", case.file],
            [vec!["convert", "-w"], walked.clone()].concat(),
            [vec!["diff"], walked.clone()].concat(),
            [vec!["validate"], walked.clone()].concat(),
        ] {
            let (code, stderr, elapsed) = run(dir.path(), &args);
            let mut problems = Vec::new();
            if args[0] == "validate" && PARSED_BUT_INVALID.contains(&case.name) {
                let output = Command::cargo_bin("rolloutify")
                    .expect("binary")
                    .current_dir(dir.path())
                    .args(&args)
                    .output()
                    .expect("runs");
                let stdout = String::from_utf8_lossy(&output.stdout);
                let located = case.position.is_none_or(|p| {
                    stdout
                        .lines()
                        .any(|l| l.starts_with(p) && l.contains(": error: "))
                });
                if output.status.code() != Some(1) || !located || stdout.contains("panicked") {
                    failures.push(format!(
                        "{} ({}): expected exit 1 with an error at {:?}\n{stdout}",
                        case.name,
                        args.join(" "),
                        case.position
                    ));
                }
                continue;
            }
            if LEFT_AS_IT_WAS.contains(&case.name) {
                let located = stderr.lines().any(|l| {
                    case.position.is_none_or(|p| l.starts_with(p))
                        && l.contains(": error: ")
                        && l.contains("left as it was")
                        && l.contains(case.says)
                });
                let good =
                    std::fs::read_to_string(dir.path().join("good.yaml")).unwrap_or_default();
                let good_written = good.contains("kind: Rollout");
                if code != 1
                    || !located
                    // `diff` runs after `convert -w` converted it.
                    || good_written != (args[1] == "-w" || args[0] == "diff")
                    || std::fs::read(dir.path().join(case.file)).ok() != Some(bytes.clone())
                {
                    failures.push(format!(
                        "{} ({}): expected exit 1, an error at {:?}, the app left and the other converted only with -w; got exit {code}\n{stderr}",
                        case.name,
                        args.join(" "),
                        case.position
                    ));
                }
                continue;
            }
            if code != 2 {
                problems.push(format!("exit {code}, expected 2"));
            }
            if stderr.contains("panicked") {
                problems.push("panicked".to_owned());
            }
            let message = stderr
                .lines()
                .find(|l| l.starts_with("error: "))
                .unwrap_or_default();
            if let Some(position) = case.position
                && !message.trim_start_matches("error: ").starts_with(position)
            {
                problems.push(format!("message does not start with {position}"));
            }
            if !message.contains(case.says) {
                problems.push(format!("message does not say {:?}", case.says));
            }
            if !stderr.contains("  hint: ") {
                problems.push("no hint".to_owned());
            }
            if stderr.lines().filter(|l| l.starts_with("error: ")).count() != 1 {
                problems.push("not exactly one error".to_owned());
            }
            if elapsed > Duration::from_secs(5) {
                problems.push(format!("took {elapsed:?}"));
            }
            if std::fs::read_to_string(dir.path().join("good.yaml"))
                .ok()
                .as_deref()
                != Some(GOOD)
                || std::fs::read(dir.path().join(case.file)).ok() != Some(bytes.clone())
            {
                problems.push("a file was written".to_owned());
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{} ({}): {}\n{stderr}",
                    case.name,
                    args.join(" "),
                    problems.join("; ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The same bad input on standard input, as kustomize and KRM hosts hand it to the plugins:
/// exit 2, one error naming `<stdin>` (and, for the exec plugin, the position), a hint, no
/// panic, nothing on standard output (exit 1 for an app that cannot be converted).
#[test]
fn plugins_refuse_bad_input_on_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("rolloutify.yaml"),
        "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\nmetadata: {name: r}\n",
    )
    .expect("write");
    let mut failures = Vec::new();
    for case in cases() {
        let bytes = case.bytes();
        for args in [vec!["kustomize-plugin", "rolloutify.yaml"], vec!["krm"]] {
            let output = Command::cargo_bin("rolloutify")
                .expect("binary is built")
                .current_dir(dir.path())
                .args(&args)
                .write_stdin(bytes.clone())
                .timeout(Duration::from_secs(20))
                .output()
                .expect("runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let mut problems = Vec::new();
            // One app that cannot be converted: the exec plugin refuses the build as for
            // any error it finds (exit 1), naming the field; nothing is handed on.
            if args[0] == "kustomize-plugin" && LEFT_AS_IT_WAS.contains(&case.name) {
                let position = case.position.map(|p| p.replacen(case.file, "<stdin>", 1));
                let located = stderr.lines().any(|l| {
                    position.as_deref().is_none_or(|p| l.starts_with(p))
                        && l.contains(": error: ")
                        && l.contains(case.says)
                });
                if output.status.code() != Some(1) || !located || !output.stdout.is_empty() {
                    failures.push(format!(
                        "{} ({}): expected exit 1, an error at {position:?} and nothing on standard output\n{stderr}",
                        case.name,
                        args.join(" "),
                    ));
                }
                continue;
            }
            if output.status.code() != Some(2) {
                problems.push(format!("exit {:?}, expected 2", output.status.code()));
            }
            if stderr.contains("panicked") {
                problems.push("panicked".to_owned());
            }
            if !output.stdout.is_empty() {
                problems.push("printed output".to_owned());
            }
            let message = stderr
                .lines()
                .find(|l| l.starts_with("error: "))
                .unwrap_or_default();
            if !message.starts_with("error: <stdin>") {
                problems.push("the message does not name <stdin>".to_owned());
            }
            // Positions of parse errors are the same as in a file.
            let position = case.position.map(|p| p.replacen(case.file, "<stdin>", 1));
            if let Some(position) = &position
                && args[0] == "kustomize-plugin"
                && !PARSED_BUT_INVALID.contains(&case.name)
                && !message
                    .trim_start_matches("error: ")
                    .starts_with(position.as_str())
            {
                problems.push(format!("message does not start with {position}"));
            }
            if !stderr.contains("  hint: ") {
                problems.push("no hint".to_owned());
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{} ({}): {}\n{stderr}",
                    case.name,
                    args.join(" "),
                    problems.join("; ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Odd but valid input converts (exit 0) and means what kubectl reads.
#[test]
fn odd_but_valid_input_is_accepted() {
    let with_bom = format!("\u{feff}{GOOD}");
    let crlf = GOOD.replace('\n', "\r\n");
    let json = r#"{"apiVersion": "v1", "kind": "List", "items": [
      {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "annotations": {"rolloutify.io/convert": "true"}},
       "spec": {"selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}},
      {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    ]}"#;
    let cases: Vec<(&str, &str, String)> = vec![
        ("BOM", "app.yaml", with_bom),
        ("CRLF line ends", "app.yaml", crlf),
        ("JSON List", "app.json", json.to_owned()),
        ("empty file", "empty.yaml", String::new()),
        ("only a separator", "sep.yaml", "---\n".to_owned()),
        (
            "only comments",
            "comments.yaml",
            "# nothing here\n---\n# nor here\n".to_owned(),
        ),
        (
            "unknown kind",
            "crd.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n"
                .to_owned(),
        ),
    ];
    for (name, file, content) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(file), &content).expect("write");
        let output = Command::cargo_bin("rolloutify")
            .expect("binary")
            .current_dir(dir.path())
            .args(["convert", "-q", file])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        if content.contains("Deployment") {
            assert!(stdout.contains("kind: Rollout"), "{name}: {stdout}");
            assert!(
                !stdout.contains('\r') && !stdout.contains('\u{feff}'),
                "{name}"
            );
        }
    }
}

/// Failures of the file system: each exits 2 with the path named, and writes nothing.
#[test]
fn file_system_failures_are_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join("app.yaml"), GOOD).expect("write");
    let expect_failure = |args: &[&str], says: &str| {
        let started = Instant::now();
        let output = Command::cargo_bin("rolloutify")
            .expect("binary")
            .current_dir(root)
            .args(args)
            .timeout(Duration::from_secs(20))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stderr.contains("  hint: "), "{args:?}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} took {:?}",
            started.elapsed()
        );
        assert_eq!(
            std::fs::read_to_string(root.join("app.yaml")).expect("read"),
            GOOD
        );
    };

    expect_failure(
        &["convert", "missing.yaml"],
        "missing.yaml: no such file or directory",
    );
    expect_failure(&["convert", "-w", "-"], "standard input");

    // A 100 MB file is refused by size before it is read.
    let big = root.join("big");
    std::fs::create_dir(&big).expect("mkdir");
    let file = std::fs::File::create(big.join("huge.yaml")).expect("create");
    file.set_len(100 * 1024 * 1024).expect("sparse file");
    expect_failure(&["convert", "big"], "huge.yaml: file is 104857600 bytes");

    // A symlink loop inside a walked directory.
    #[cfg(unix)]
    {
        let looped = root.join("loop");
        std::fs::create_dir(&looped).expect("mkdir");
        std::os::unix::fs::symlink("..", looped.join("up")).expect("symlink");
        expect_failure(&["convert", "loop"], "loop");
    }

    // An output directory that cannot be created.
    std::fs::write(root.join("blocked"), "a file, not a directory").expect("write");
    expect_failure(
        &["convert", "-o", "blocked/out", "app.yaml"],
        "cannot write",
    );

    // Output that would land outside the output tree.
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("other.yaml"), GOOD).expect("write");
    let outside_path = outside.path().join("other.yaml");
    expect_failure(
        &[
            "convert",
            "-o",
            "out",
            outside_path.to_str().expect("utf-8"),
        ],
        "outside",
    );
    assert!(!root.join("out").exists());
}

/// Writing through a symbolic link could leave the tree: refused.
#[cfg(unix)]
#[test]
fn symlinked_files_are_not_written_through() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = tempfile::tempdir().expect("temp dir");
    std::fs::write(target.path().join("real.yaml"), GOOD).expect("write");
    std::os::unix::fs::symlink(target.path().join("real.yaml"), dir.path().join("app.yaml"))
        .expect("symlink");
    let output = Command::cargo_bin("rolloutify")
        .expect("binary")
        .current_dir(dir.path())
        .args(["convert", "-w", "app.yaml"])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("symbolic link"));
    assert_eq!(
        std::fs::read_to_string(target.path().join("real.yaml")).expect("read"),
        GOOD
    );
}
