//! `convert -w` on copies of the real repositories in `../shared/corpus` (issue 14): every
//! comment line outside the entries the conversion replaces is still there afterwards, unless
//! a warning named its lines, and yamllint, set to the input's own style, finds nothing new
//! in the edited files (every rule that passed on a file before passes after).
//!
//! yamllint comes from `YAMLLINT`, `target/ci/venv/bin/yamllint` (`.ci/run` installs it) or
//! the `PATH`; without it the yamllint half is skipped, except under `CI=true`, where that is
//! a failure.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rolloutify::convert::{self, Origin};
use rolloutify::load::{self, Document, Input, LoadOptions, SpanTree};
use rolloutify::plan::ConvertOptions;
use serde_json::Value;

/// yamllint as the input's style reads it: the default rules, sequences indented
/// consistently (as the file does), documents starting with `---` or not as they do.
/// `line-length` is off: the PromQL queries of the AnalysisTemplates are longer than 80
/// characters, and that is their content, not their layout.
const YAMLLINT_CONFIG: &str = "\
extends: default
rules:
  indentation:
    spaces: consistent
    indent-sequences: consistent
  line-length: disable
";

fn yamllint() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("YAMLLINT").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci/venv/bin/yamllint")),
        Some(PathBuf::from("yamllint")),
    ];
    let found = candidates.into_iter().flatten().find(|path| {
        std::process::Command::new(path)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "yamllint is missing under CI=true: .ci/run installs it into target/ci/venv"
        );
        eprintln!("note: yamllint is not installed; skipping its half of the test");
    }
    found
}

/// The rules yamllint finds broken in each file under `dir`, by path relative to `dir`.
fn lint(yamllint: &Path, dir: &Path, config: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let output = std::process::Command::new(yamllint)
        .current_dir(dir)
        .args(["-f", "parsable", "-c"])
        .arg(config)
        .arg(".")
        .output()
        .expect("yamllint runs");
    let mut broken: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        // ./path:line:column: [level] message (rule)
        let Some((path, _)) = line.split_once(':') else {
            continue;
        };
        let rule = line
            .rsplit_once('(')
            .and_then(|(_, rule)| rule.strip_suffix(')'))
            .unwrap_or("syntax");
        broken
            .entry(path.trim_start_matches("./").to_owned())
            .or_default()
            .insert(rule.to_owned());
    }
    broken
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::write(&target, std::fs::read(entry.path()).expect("read")).expect("write");
        }
    }
}

/// Lines (1-based) of the entries that change from `before` (written at `spans`, within
/// `lines`) to `after`: the lines whose comments the edit may replace. Entries that stay
/// keep their lines; a changed mapping (or a sequence of the same length) is looked into.
fn changed_lines(
    spans: &SpanTree,
    before: &Value,
    after: &Value,
    lines: (usize, usize),
    out: &mut BTreeSet<usize>,
) {
    if before == after {
        return;
    }
    let (first, last) = lines;
    match (spans, before, after) {
        (SpanTree::Mapping(_, entries), Value::Object(old), Value::Object(new)) => {
            for (i, (key, position, child)) in entries.iter().enumerate() {
                let end = entries
                    .get(i + 1)
                    .map_or(last, |(_, next, _)| next.line.saturating_sub(1));
                let range = (position.line, end.max(position.line));
                match (old.get(key), new.get(key)) {
                    (Some(a), Some(b)) if a == b => {}
                    (Some(a), Some(b)) => {
                        out.insert(position.line);
                        changed_lines(child, a, b, range, out);
                    }
                    _ => out.extend(range.0..=range.1),
                }
            }
        }
        (SpanTree::Sequence(_, items), Value::Array(old), Value::Array(new))
            if old.len() == new.len() =>
        {
            for (i, ((item, a), b)) in items.iter().zip(old).zip(new).enumerate() {
                let start = item.position().line;
                let end = items
                    .get(i + 1)
                    .map_or(last, |next| next.position().line.saturating_sub(1));
                changed_lines(item, a, b, (start, end.max(start)), out);
            }
        }
        _ => out.extend(first..=last),
    }
}

/// What `convert -w` may replace in each file of `documents` converted together: the lines
/// of changed entries, by file name as the loader gives it.
fn replaceable(
    documents: &[Document],
    texts: &HashMap<String, String>,
) -> HashMap<String, BTreeSet<usize>> {
    let conversion = match convert::convert(documents, &ConvertOptions::default()) {
        Ok(conversion) => conversion,
        Err(_) => return HashMap::new(),
    };
    let mut out: HashMap<String, BTreeSet<usize>> = HashMap::new();
    for output in &conversion.outputs {
        let Origin::Input {
            document,
            changed: true,
        } = output.origin
        else {
            continue;
        };
        let doc = &documents[document];
        let name = doc.source.name();
        let total = texts.get(&name).map_or(0, |t| t.lines().count());
        // The document runs to the line before the next one of its file.
        let end = documents
            .iter()
            .filter(|d| d.source.name() == name && d.start_line > doc.start_line)
            .map(|d| d.start_line - 1)
            .min()
            .unwrap_or(total);
        let lines = out.entry(name).or_default();
        if doc.item.is_some() {
            lines.extend(1..=total);
            continue;
        }
        changed_lines(
            &doc.spans,
            &doc.value,
            &output.value,
            (doc.spans.position().line, end),
            lines,
        );
    }
    out
}

/// The lines each `emit/rewritten` warning on `stderr` says lose their comments, by file.
fn warned(stderr: &str) -> HashMap<String, BTreeSet<usize>> {
    let mut out: HashMap<String, BTreeSet<usize>> = HashMap::new();
    for line in stderr.lines().filter(|l| l.contains("[emit/rewritten]")) {
        let file = line.split(':').next().unwrap_or_default().to_owned();
        let range = line
            .split_once("(lines ")
            .and_then(|(_, rest)| rest.split_once(')'))
            .and_then(|(range, _)| range.split_once('-'))
            .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
        let (first, last) = range.unwrap_or_else(|| panic!("no line range in {line}"));
        out.entry(file).or_default().extend(first..=last);
    }
    out
}

/// Lines that hold a comment (a whole-line comment, or ` #` after content), as written.
fn comment_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with('#') || l.contains(" #"))
        .map(|(i, l)| (i + 1, l))
        .collect()
}

#[test]
fn write_in_place_keeps_comments_and_lint_on_the_corpus() {
    // `ROLLOUTIFY_SHARED_DIR` points elsewhere than `../shared` (a work tree beside the checkout).
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let corpus = shared.join("corpus");
    let yamllint = yamllint();
    let scratch = tempfile::tempdir().expect("temp dir");
    let config = scratch.path().join("yamllint.yaml");
    std::fs::write(&config, YAMLLINT_CONFIG).expect("write config");
    let mut repos: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    let (mut edited_files, mut kept_comments, mut warnings) = (0, 0, 0);
    let (mut comments_before, mut comments_after) = (0, 0);
    for repo in &repos {
        let name = repo.file_name().unwrap_or_default().to_string_lossy();
        let dir = scratch.path().join(&*name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        copy_tree(repo, &dir);
        // Files the loader refuses on their own (kustomize patches, values files) would stop
        // the run: leave them out.
        let mut files = Vec::new();
        for file in support::manifest_files(&dir) {
            if load::load(&[Input::Path(file.clone())], &LoadOptions::default()).is_ok() {
                files.push(file);
            } else {
                std::fs::remove_file(&file).expect("remove");
            }
        }
        let relative = |file: &Path| file.strip_prefix(&dir).unwrap_or(file).to_path_buf();
        let before: HashMap<PathBuf, String> = files
            .iter()
            .map(|f| (relative(f), std::fs::read_to_string(f).expect("read")))
            .collect();
        let lint_before = yamllint.as_ref().map(|y| lint(y, &dir, &config));
        // The whole repository at once, as a hook runs it; where it cannot run (exit 2,
        // nothing is written), each file on its own. Exit 1 writes the apps it could convert.
        let groups: Vec<Vec<PathBuf>> = {
            let whole = Command::cargo_bin("rolloutify")
                .expect("binary")
                .current_dir(&dir)
                .args(["convert", "--check", "-q", "."])
                .output()
                .expect("runs");
            if whole.status.code() == Some(2) {
                files.iter().map(|f| vec![relative(f)]).collect()
            } else {
                vec![vec![PathBuf::from(".")]]
            }
        };
        let mut allowed: HashMap<String, BTreeSet<usize>> = HashMap::new();
        for group in &groups {
            // What the binary is about to read, read first.
            let inputs: Vec<Input> = group.iter().map(|p| Input::Path(dir.join(p))).collect();
            let Ok(loaded) = load::load(&inputs, &LoadOptions::default()) else {
                continue;
            };
            let output = Command::cargo_bin("rolloutify")
                .expect("binary")
                .current_dir(&dir)
                .arg("convert")
                .arg("-w")
                .args(group)
                .output()
                .expect("runs");
            if !matches!(output.status.code(), Some(0 | 1)) {
                // Refused (nothing written); `tests/corpus.rs` covers what converts.
                continue;
            }
            let texts: HashMap<String, String> = loaded
                .sources
                .iter()
                .map(|s| (s.name(), s.text.clone()))
                .collect();
            // The binary names files relative to its working directory, the library as given.
            for (file, lines) in replaceable(&loaded.documents, &texts) {
                let file = relative(Path::new(&file)).display().to_string();
                allowed.entry(file).or_default().extend(lines);
            }
            for (file, lines) in warned(&String::from_utf8_lossy(&output.stderr)) {
                warnings += 1;
                allowed.entry(file).or_default().extend(lines);
            }
        }
        for (file, text) in &before {
            let after = std::fs::read_to_string(dir.join(file)).expect("read");
            if after == *text {
                continue;
            }
            edited_files += 1;
            comments_before += comment_lines(text).len();
            comments_after += comment_lines(&after).len();
            let name = file.display().to_string();
            let may_go = allowed.get(&name).cloned().unwrap_or_default();
            let mut remaining: HashMap<&str, usize> = HashMap::new();
            for line in after.lines() {
                *remaining.entry(line).or_default() += 1;
            }
            for (number, line) in comment_lines(text) {
                if may_go.contains(&number) {
                    continue;
                }
                match remaining.get_mut(line) {
                    Some(count) if *count > 0 => {
                        *count -= 1;
                        kept_comments += 1;
                    }
                    _ => panic!(
                        "{}/{name}: line {number} ({line:?}) lies outside every replaced entry \
                         and no warning names it, but -w lost it:\n{after}",
                        repo.display()
                    ),
                }
            }
        }
        if let (Some(yamllint), Some(lint_before)) = (&yamllint, &lint_before) {
            let lint_after = lint(yamllint, &dir, &config);
            for (file, text) in &before {
                let after = std::fs::read_to_string(dir.join(file)).expect("read");
                if after == *text {
                    continue;
                }
                let name = file.display().to_string();
                let was = lint_before.get(&name).cloned().unwrap_or_default();
                let now = lint_after.get(&name).cloned().unwrap_or_default();
                let new: Vec<&String> = now.difference(&was).collect();
                assert!(
                    new.is_empty(),
                    "{}/{name}: yamllint rules that passed before fail after -w: {new:?}\n{after}",
                    repo.display()
                );
            }
        }
    }
    eprintln!(
        "corpus: {edited_files} file(s) edited, {kept_comments} comment line(s) outside the \
         replaced entries kept, {warnings} warning(s) about text written anew; comment lines \
         in the edited files: {comments_before} before, {comments_after} after"
    );
    assert!(
        edited_files > 10,
        "the corpus edits too few files to say anything"
    );
}
