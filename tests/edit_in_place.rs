//! `-w` edits changed documents in place (issue 14): text that only looks like YAML syntax
//! (`"*"`, `&` in a URL) does not force a rewrite, new text follows the file's sequence
//! style, and whatever is written anew is named in a warning at default verbosity.

use std::path::Path;

use assert_cmd::Command;

fn rolloutify() -> Command {
    Command::cargo_bin("rolloutify").expect("binary is built")
}

/// Runs `rolloutify ARGS` in `dir`; exit code, standard output, standard error.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = rolloutify()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Writes `text` as `app.yaml` in a new directory, runs `convert -w app.yaml` there and
/// checks that the file then means what `convert` prints; the new text and standard error.
/// Converts `app.yaml` in place, asking for the app `web` by name (some fixtures have no
/// VirtualService, and an app no route reaches is otherwise left as it was); the written
/// file, which holds no Deployment, is read back without it.
fn write_in_place(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.yaml"), text).expect("write");
    let (code, expected, _) = run(
        dir.path(),
        &[
            "convert", "-q", "--select", "web", "--format", "json", "app.yaml",
        ],
    );
    assert_eq!(code, 0, "convert fails on:\n{text}");
    let (code, _, stderr) = run(
        dir.path(),
        &["convert", "--select", "web", "-w", "app.yaml"],
    );
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(dir.path().join("app.yaml")).expect("read");
    let (_, reread, _) = run(
        dir.path(),
        &["convert", "-q", "--format", "json", "app.yaml"],
    );
    assert_eq!(
        reread, expected,
        "the written file means something else:\n{written}"
    );
    (written, stderr)
}

/// The comment lines of `text`, trimmed.
fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('#') || l.contains(" # "))
        .collect()
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    db: postgres://db/x?sslmode=require&timeout=5 # a & b
    glob: '*.example.com' # any host
    merge: \"<<\" # not a merge key
spec:
  replicas: 3 # morning peak
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: example/web:1 # bumped by CI
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
";

const VIRTUAL_SERVICE: &str = "\
# the front door
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [\"*\"] # every host
  gateways:
  - gw # the public gateway
  http:
  - match:
    - uri:
        prefix: /api # api traffic
    route:
    - destination:
        host: web
  - route: # legacy
    - destination:
        host: legacy # the old app
";

/// Issue 14, item 6: quoted `"*"`, `&` and `*` inside strings and a quoted `"<<"` are text,
/// not anchors, aliases or merge keys: the documents are edited and keep every comment.
#[test]
fn characters_in_strings_do_not_force_a_rewrite() {
    let input = format!("{DEPLOYMENT}---\n{VIRTUAL_SERVICE}");
    let (written, stderr) = write_in_place(&input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    for comment in comments(&input) {
        assert!(written.contains(comment), "lost {comment:?}:\n{written}");
    }
    for kept in [
        "    db: postgres://db/x?sslmode=require&timeout=5 # a & b\n",
        "    glob: '*.example.com' # any host\n",
        "  hosts: [\"*\"] # every host\n",
    ] {
        assert!(written.contains(kept), "lost {kept:?}:\n{written}");
    }
    assert!(written.starts_with("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"));
}

/// Issue 14, item 7: in a file whose sequences stand at their key's column (kustomize's
/// style), the replaced route and every new block and document follow that style, and the
/// unchanged sibling route keeps its lines.
#[test]
fn new_text_follows_the_files_sequence_style() {
    let input = format!("{DEPLOYMENT}---\n{VIRTUAL_SERVICE}");
    let (written, _) = write_in_place(&input);
    assert!(
        written.contains(
            "  http:
  - name: primary
    match:
    - uri:
        prefix: /api # api traffic
    route:
    - destination:
        host: web-stable
      weight: 100
    - destination:
        host: web-canary
      weight: 0
  - route: # legacy
    - destination:
        host: legacy # the old app
"
        ),
        "{written}"
    );
    assert_flush(&written);
    // A file with indented sequences gets indented ones.
    let indented = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: example/web:1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: web
spec:
  hosts:
    - web
  http:
    - route:
        - destination:
            host: web
";
    let (written, _) = write_in_place(indented);
    for new in [
        "            routes:\n              - primary\n",
        "      steps:\n        - setWeight: 10\n",
        "  ports:\n    - port: 80\n---\napiVersion: v1\nkind: Service\n",
        "    - name: primary\n      route:\n        - destination:\n            host: web-stable\n",
    ] {
        assert!(written.contains(new), "{new:?} not in:\n{written}");
    }
}

/// Every block sequence item's dash stands at the column of the key above it.
fn assert_flush(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(key) = line.trim_end().strip_suffix(':') else {
            continue;
        };
        let Some(next) = lines.get(i + 1) else {
            continue;
        };
        let column = |l: &str| l.len() - l.trim_start().len();
        if next.trim_start().starts_with("- ") && !key.trim_start().starts_with("- ") {
            assert_eq!(
                column(next),
                column(line),
                "line {}: {next:?} is indented under {line:?}:\n{text}",
                i + 2
            );
        }
    }
}

/// The app with an anchor in the Deployment's `strategy`, which the conversion replaces, and
/// an alias to it in the pod template, which it keeps.
fn anchored_in_a_replaced_entry() -> String {
    let deployment = DEPLOYMENT
        .replace(
            "  replicas: 3 # morning peak\n",
            "  replicas: 3 # morning peak\n  strategy:\n    rollingUpdate:\n      maxSurge: &surge 25%\n",
        )
        .replace(
            "        image: example/web:1 # bumped by CI\n",
            "        image: example/web:1 # bumped by CI\n        env:\n        - name: SURGE\n          value: *surge\n",
        );
    format!("{deployment}---\n{VIRTUAL_SERVICE}")
}

/// An anchor in an entry the conversion replaces, with an alias left elsewhere: the document
/// is written anew, and a warning at default verbosity names the file, the document, its
/// lines, why, and the loss.
#[test]
fn a_document_written_anew_is_named_in_a_warning() {
    let input = anchored_in_a_replaced_entry();
    let (written, stderr) = write_in_place(&input);
    assert!(
        stderr.contains(
            "app.yaml:1:1: warning: Deployment/web [emit/rewritten] document 1 (lines 1-29) \
             is written anew instead of edited: line 13 holds an anchor (`&`) in an entry the \
             conversion replaces, and the alias (`*`) at line 27 refers to it; the comments \
             in those lines are lost"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("hint: review the change"), "{stderr}");
    // The other documents are still edited, and keep their comments.
    assert!(written.contains("---\n# the front door\n"), "{written}");
    assert!(
        written.contains("  hosts: [\"*\"] # every host\n"),
        "{written}"
    );
    // -q silences it, as every warning.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.yaml"), &input).expect("write");
    let (code, _, quiet) = run(dir.path(), &["convert", "-q", "-w", "app.yaml"]);
    assert_eq!(code, 0);
    assert!(!quiet.contains("emit/rewritten"), "{quiet}");
}

/// An anchor and its alias both in entries the conversion replaces: the new text expands the
/// alias, and the document is still edited.
#[test]
fn aliases_in_replaced_entries_are_expanded() {
    let input = format!("{DEPLOYMENT}---\n{VIRTUAL_SERVICE}").replace(
        "    route:
    - destination:
        host: web
  - route: # legacy
    - destination:
        host: legacy # the old app
",
        "    route: &to-web
    - destination:
        host: web
  - match:
    - uri:
        prefix: /v2 # the next api
    route: *to-web # the same
",
    );
    let (written, stderr) = write_in_place(&input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    assert!(
        written.contains("  - name: primary-2\n    match:\n    - uri:\n        prefix: /v2 # the next api\n    route:\n    - destination:\n        host: web-stable\n"),
        "{written}"
    );
    for kept in [
        "  hosts: [\"*\"] # every host\n",
        "  - gw # the public gateway\n",
        "        prefix: /api # api traffic\n",
    ] {
        assert!(written.contains(kept), "lost {kept:?}:\n{written}");
    }
    assert!(
        !written.contains('&') || written.contains("sslmode=require&"),
        "{written}"
    );
}

/// Anchors and aliases outside the entries the conversion replaces do not stop the edit.
#[test]
fn anchors_outside_the_replaced_entries_are_kept() {
    let input = DEPLOYMENT
        .replace(
            "  selector:\n    matchLabels:\n      app: web\n",
            "  selector:\n    matchLabels: &labels # shared\n      app: web\n",
        )
        .replace(
            "    metadata:\n      labels:\n        app: web\n",
            "    metadata:\n      labels: *labels\n",
        );
    let input = format!("{input}---\n{VIRTUAL_SERVICE}");
    let (written, stderr) = write_in_place(&input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    assert!(
        written.contains("    matchLabels: &labels # shared\n      app: web\n"),
        "{written}"
    );
    assert!(written.contains("      labels: *labels\n"), "{written}");
}

/// A file the editor cannot cut into documents (a `kind: List`) is written anew as a whole,
/// with a warning naming its lines.
#[test]
fn a_file_written_anew_is_named_in_a_warning() {
    let input = "\
# every object of the app
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec: {containers: [{name: web, image: web:1}]}
- apiVersion: v1
  kind: Service
  metadata: {name: web}
  spec: {selector: {app: web}, ports: [{port: 80}]}
";
    let (_, stderr) = write_in_place(input);
    assert!(
        stderr.contains(
            "app.yaml:1:1: warning: Deployment/web [emit/rewritten] the whole file (lines \
             1-16) is written anew instead of edited"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("every comment in it is lost"), "{stderr}");
}

/// `diff` and `--check` say the same before anything is written, whole or in parts.
#[test]
fn diff_and_check_warn_too_in_parts_as_in_the_whole_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = anchored_in_a_replaced_entry();
    std::fs::write(dir.path().join("app.yaml"), &input).expect("write");
    std::fs::write(
        dir.path().join("other.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n",
    )
    .expect("write");
    let warnings = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| l.contains("[emit/rewritten]"))
            .map(str::to_owned)
            .collect()
    };
    let (code, _, parts) = run(dir.path(), &["convert", "--check", "."]);
    assert_eq!(code, 1, "{parts}");
    let (_, _, whole) = run(
        dir.path(),
        &["convert", "--check", "--argocd", "argocd.yaml", "."],
    );
    let (_, _, diff) = run(dir.path(), &["diff", "."]);
    assert_eq!(warnings(&parts).len(), 1, "{parts}");
    assert_eq!(warnings(&parts), warnings(&whole));
    assert_eq!(warnings(&parts), warnings(&diff));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).expect("read"),
        input,
        "--check wrote"
    );
}

/// A file without a line break after its last line: new keys go on lines of their own and
/// the document is still edited (found on the corpus: it was written anew).
#[test]
fn a_last_line_without_a_line_break_is_edited() {
    let input = "\
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: web # the app
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: web:1";
    let (written, stderr) = write_in_place(input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    assert!(written.contains("  name: web # the app\n"), "{written}");
    assert!(written.contains("          image: web:1\n"), "{written}");
    assert!(written.contains("\nkind: Rollout\n"), "{written}");
}

/// A file with `\r\n` line ends gets them on the lines written into it too.
#[test]
fn new_lines_end_as_the_files_do() {
    let input = format!("{DEPLOYMENT}---\n{VIRTUAL_SERVICE}").replace('\n', "\r\n");
    let (written, stderr) = write_in_place(&input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    assert!(written.contains("kind: Rollout\r\n"), "{written:?}");
    let bare = written
        .match_indices('\n')
        .filter(|(i, _)| !written[..*i].ends_with('\r'))
        .count();
    assert_eq!(
        bare, 0,
        "line feeds without a carriage return in {written:?}"
    );
    assert!(
        written.contains("  replicas: 3 # morning peak\r\n"),
        "{written:?}"
    );
}

/// Tabs in values and before comments do not force a rewrite; one before a line's content
/// (where columns count) does, and says so.
#[test]
fn tabs_force_a_rewrite_only_before_content() {
    let input = format!("{DEPLOYMENT}---\n{VIRTUAL_SERVICE}")
        .replace(
            "        image: example/web:1 # bumped by CI\n",
            "        image: example/web:1\t# bumped by CI\n",
        )
        .replace(
            "    merge: \"<<\" # not a merge key\n",
            "    merge: \"<<\" # not a merge key\n    tabbed: \"a\tb\"\n",
        );
    let (written, stderr) = write_in_place(&input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    assert!(
        written.contains("        image: example/web:1\t# bumped by CI\n"),
        "{written}"
    );
    assert!(written.contains("    tabbed: \"a\tb\"\n"), "{written}");
    // A block scalar's line may start with a tab after its indentation.
    let input = input.replace(
        "metadata:\n  name: web\nspec:\n  hosts:",
        "metadata:\n  name: web\n  annotations:\n    note: |\n      first\n      \tsecond\nspec:\n  hosts:",
    );
    let (_, stderr) = write_in_place(&input);
    assert!(
        stderr.contains("[emit/rewritten] document 3 ")
            && stderr.contains("has a tab before its content"),
        "{stderr}"
    );
}

/// A file indented by four columns gets new blocks indented by four.
#[test]
fn new_blocks_follow_the_files_indentation_width() {
    let input = "\
apiVersion: apps/v1
kind: Deployment
metadata:
    name: web # the app
spec:
    selector:
        matchLabels:
            app: web
    template:
        metadata:
            labels:
                app: web
        spec:
            containers:
                -   name: web
                    image: example/web:1
---
apiVersion: v1
kind: Service
metadata:
    name: web
spec:
    selector:
        app: web
    ports:
        -   port: 80
";
    let (written, stderr) = write_in_place(input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    for new in [
        "    strategy:\n        canary:\n            canaryService: web-canary\n",
        "    ports:\n        - port: 80\n---\napiVersion: argoproj.io/v1alpha1\n",
        "metadata:\n    name: web-canary\nspec:\n    selector:\n        app: web\n",
    ] {
        assert!(written.contains(new), "{new:?} not in:\n{written}");
    }
}

/// Lines of a block scalar that look like comments or blank lines belong to it: a new key
/// goes after them, and the document is still edited.
#[test]
fn block_scalar_lines_that_look_like_comments_stay_in_their_scalar() {
    let input = format!("{DEPLOYMENT}---\n{VIRTUAL_SERVICE}").replace(
        "kind: VirtualService\nmetadata:\n  name: web\n",
        "kind: VirtualService\nmetadata:\n  name: web\n  annotations:\n    note: |+\n      first\n      # not a comment\n\n",
    );
    let (written, stderr) = write_in_place(&input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    assert!(
        written.contains(
            "    note: |+\n      first\n      # not a comment\n\n    rolloutify.io/rollout: web\n"
        ),
        "{written}"
    );
    assert!(
        written.contains("  hosts: [\"*\"] # every host\n"),
        "{written}"
    );
}

/// Issue 14, item 7: the common route that starts with `route:` gets its name and new
/// destinations; the other routes of `http` keep their lines (the whole list was written
/// anew, in the writer's style, when a route's first key changed).
#[test]
fn a_route_whose_first_key_changes_leaves_its_siblings_alone() {
    let input = format!(
        "{DEPLOYMENT}---\n{}",
        VIRTUAL_SERVICE.replace(
            "  - match:\n    - uri:\n        prefix: /api # api traffic\n    route:\n",
            "  - route: # to the app\n",
        )
    )
    .replace(
        "  - route: # legacy\n",
        "  - match: [{uri: {prefix: /old}}] # legacy\n    route:\n",
    );
    let (written, stderr) = write_in_place(&input);
    assert!(!stderr.contains("emit/rewritten"), "{stderr}");
    assert!(
        written.contains(
            "  http:
  - name: primary
    route:
    - destination:
        host: web-stable
      weight: 100
    - destination:
        host: web-canary
      weight: 0
  - match: [{uri: {prefix: /old}}] # legacy
    route:
    - destination:
        host: legacy # the old app
"
        ),
        "{written}"
    );
}
