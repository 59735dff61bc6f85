//! Emit: the converted documents as one stream (YAML or JSON), or as files that mirror the
//! input, where documents that did not change keep their exact text, comments included.

pub mod argocd;
pub mod atomic;
mod text_edit;
pub mod yaml;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::convert::{Conversion, Origin, Output};
use crate::finding::{Finding, Severity};
use crate::load::{Document, Source};
use yaml::Layout;

/// The output format of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Yaml,
    /// One `kind: List` holding every document, which kubectl applies as is.
    Json,
}

/// The whole converted stream.
pub fn render_stream(outputs: &[Output], format: Format) -> String {
    match format {
        Format::Yaml => {
            let values: Vec<&Value> = outputs.iter().map(|o| &*o.value).collect();
            let mut out = String::new();
            yaml::write_stream(&mut out, &values);
            out
        }
        Format::Json => {
            let items: Vec<&Value> = outputs.iter().map(|o| &*o.value).collect();
            let list = json!({ "apiVersion": "v1", "kind": "List", "items": items });
            let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}

/// The new text of one input file.
#[derive(Debug, Clone)]
pub struct FileOutput {
    pub source: Arc<Source>,
    pub text: String,
    /// Whether `text` differs from the file's text.
    pub changed: bool,
    /// Whether the file does not exist yet (`source.text` is empty).
    pub created: bool,
    /// A warning for each document (or the whole file) written anew instead of edited: the
    /// comments in its lines are lost.
    pub rewritten: Vec<Finding>,
}

impl FileOutput {
    pub fn path(&self) -> Option<PathBuf> {
        self.source.path().map(PathBuf::from)
    }
}

/// A file the run writes besides the inputs (the `--argocd` fragment): `text` compared with
/// what `path` holds now, if anything.
pub fn extra_file(path: &std::path::Path, text: String) -> Result<FileOutput, std::io::Error> {
    let (before, created) = match std::fs::read_to_string(path) {
        Ok(before) => (before, false),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => (String::new(), true),
        Err(error) => return Err(error),
    };
    Ok(FileOutput {
        changed: created || text != before,
        created,
        source: Arc::new(Source {
            origin: crate::load::Origin::File(path.to_path_buf()),
            text: before,
        }),
        text,
        rewritten: Vec::new(),
    })
}

/// The new text of every input file, in input order. New resources go into the file of the
/// document they follow.
pub fn render_files(
    sources: &[Arc<Source>],
    documents: &[Document],
    conversion: &Conversion,
) -> Vec<FileOutput> {
    // The outputs of each source, in output order.
    let mut by_source: std::collections::HashMap<usize, Vec<&Output>> =
        std::collections::HashMap::with_capacity(sources.len());
    for output in &conversion.outputs {
        let index = match output.origin {
            Origin::Input { document, .. } => document,
            Origin::Added { after } => after,
        };
        if let Some(document) = documents.get(index) {
            by_source
                .entry(Arc::as_ptr(&document.source) as usize)
                .or_default()
                .push(output);
        }
    }
    // Files are independent: use every core.
    use rayon::prelude::*;
    sources
        .par_iter()
        .map(|source| {
            let mine: &[&Output] = by_source
                .get(&(Arc::as_ptr(source) as usize))
                .map_or(&[], Vec::as_slice);
            let untouched = mine
                .iter()
                .all(|o| matches!(o.origin, Origin::Input { changed: false, .. }));
            let (text, rewritten) = if untouched {
                (source.text.clone(), Vec::new())
            } else {
                edited_file(source, documents, mine)
            };
            FileOutput {
                changed: text != source.text,
                created: false,
                source: Arc::clone(source),
                text,
                rewritten,
            }
        })
        .collect()
}

/// The new text of a file some of whose documents change, and a warning for each part of it
/// written anew. An edited file must read back as exactly the converted documents. When the
/// line edits do not, the documents whose edited text alone does not are written anew in
/// place; failing that every changed document; when that does not either (or the file
/// cannot be cut into documents), the whole file is written anew.
fn edited_file(
    source: &Source,
    documents: &[Document],
    mine: &[&Output],
) -> (String, Vec<Finding>) {
    let layout = file_layout(source, documents, mine);
    let crlf = ends_lines_with_crlf(&source.text);
    let attempt = |edits| {
        splice(source, documents, mine, edits, layout)
            .map(|spliced| Spliced {
                text: line_ends(spliced.text, crlf),
                ..spliced
            })
            .filter(|spliced| reads_back_as(source, &spliced.text, mine))
    };
    if let Some(spliced) = attempt(Edits::Lines)
        .or_else(|| attempt(Edits::Checked))
        .or_else(|| attempt(Edits::Documents))
    {
        return (spliced.text, spliced.rewritten);
    }
    let values: Vec<&Value> = mine.iter().map(|o| &*o.value).collect();
    let mut text = String::new();
    yaml::write_stream_styled(&mut text, &values, layout);
    (
        line_ends(text, crlf),
        whole_file_rewritten(source, documents, mine),
    )
}

/// Whether a text's first line ends with `\r\n`: then the lines written into it do too.
fn ends_lines_with_crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|end| text[..end].ends_with('\r'))
}

/// `text` with every line feed that follows no carriage return given one, when `crlf`.
fn line_ends(text: String, crlf: bool) -> String {
    if !crlf {
        return text;
    }
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut previous = '\0';
    for c in text.chars() {
        if c == '\n' && previous != '\r' {
            out.push('\r');
        }
        out.push(c);
        previous = c;
    }
    out
}

/// The warning for a file written anew as a whole.
fn whole_file_rewritten(source: &Source, documents: &[Document], mine: &[&Output]) -> Vec<Finding> {
    let lines = source.text.lines().count().max(1);
    let resource = mine
        .iter()
        .find_map(|o| match o.origin {
            Origin::Input {
                document,
                changed: true,
            } => documents.get(document).map(Document::resource_id),
            _ => None,
        })
        .unwrap_or_default();
    vec![Finding {
        location: crate::load::Location {
            file: source.name(),
            position: crate::load::Position::new(1, 1),
        },
        severity: Severity::Warning,
        rule: REWRITTEN,
        resource,
        message: format!(
            "the whole file (lines 1-{lines}) is written anew instead of edited: it cannot \
             be cut into one piece per document (a `%` directive, a `...` marker, a `kind: \
             List`, a document that starts on its `---` line, or a lone carriage return), or \
             its edited text did not read back as the converted documents; every comment in \
             it is lost"
        ),
        hint: Some(
            "review the change (rolloutify diff) and put back the comments you need; splitting \
             the file into plain `---`-separated documents lets the editor keep them"
                .to_owned(),
        ),
        field: String::new(),
    }]
}

/// The rule of the warnings about text written anew.
pub const REWRITTEN: &str = "emit/rewritten";

/// The warning for a document written anew: `lines` (1-based, inclusive) lose their comments.
fn document_rewritten(document: &Document, lines: (usize, usize), why: &str) -> Finding {
    let (first, last) = lines;
    Finding::at(
        document,
        &crate::load::FieldPath::root(),
        Severity::Warning,
        REWRITTEN,
        format!(
            "document {} (lines {first}-{last}) is written anew instead of edited: {why}; \
             the comments in those lines are lost",
            document.index + 1
        ),
    )
    .with_hint(
        "review the change (rolloutify diff) and put back the comments you need; without what \
         this names, the document is edited in place and keeps them",
    )
}

/// The indentation new text in `source` follows: that of the first of its documents that
/// shows one (for mappings and for sequences apart), else this writer's own.
fn file_layout(source: &Source, documents: &[Document], mine: &[&Output]) -> Layout {
    let lines: Vec<&str> = source.text.split('\n').collect();
    let mut found = (None, None);
    for document in mine.iter().filter_map(|o| match o.origin {
        Origin::Input { document, .. } => documents.get(document),
        Origin::Added { .. } => None,
    }) {
        let (mapping, sequence) = text_edit::layout_of(&lines, &document.spans);
        found = (found.0.or(mapping), found.1.or(sequence));
        if found.0.is_some() && found.1.is_some() {
            break;
        }
    }
    with_defaults(found, Layout::DEFAULT)
}

/// `found` where it says something, `defaults` where not.
fn with_defaults(found: (Option<usize>, Option<usize>), defaults: Layout) -> Layout {
    Layout {
        mapping: found.0.unwrap_or(defaults.mapping),
        sequence: found.1.unwrap_or(defaults.sequence),
    }
}

/// Whether `text`, read as the file `source` is, gives exactly the `outputs`' values, keys in
/// the same order.
fn reads_back_as(source: &Source, text: &str, outputs: &[&Output]) -> bool {
    let edited = Arc::new(Source {
        origin: source.origin.clone(),
        text: text.to_owned(),
    });
    match crate::load::parse_source(&edited, &crate::load::Limits::default()) {
        Ok(documents) => {
            documents.len() == outputs.len()
                && documents
                    .iter()
                    .zip(outputs)
                    .all(|(document, output)| in_order(&document.value, &output.value))
        }
        Err(_) => false,
    }
}

/// Whether the text of one document reads as `value`, keys in order.
fn reads_alone_as(text: &str, value: &Value) -> bool {
    match crate::load::yaml::parse_stream(text, &crate::load::Limits::default()) {
        Ok(documents) => match documents.as_slice() {
            [document] => in_order(&document.value, value),
            _ => false,
        },
        Err(_) => false,
    }
}

/// Equal values whose mappings also hold their keys in one order (`==` ignores the order).
fn in_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && in_order(va, vb))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| in_order(a, b))
        }
        (a, b) => a == b,
    }
}

/// How [`splice`] rewrites a changed document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edits {
    /// Only the entries that changed, keeping the document's other lines.
    Lines,
    /// As `Lines`, but a document whose edited text alone does not read back as its
    /// converted value is written anew (when the file as a whole did not read back).
    Checked,
    /// The whole document, written anew.
    Documents,
}

/// A file's new text, with a warning for each document written anew in it.
struct Spliced {
    text: String,
    rewritten: Vec<Finding>,
}

/// Rebuilds a file's text keeping the exact text of unchanged documents, new text indented as
/// `layout` says. `None` when the file cannot be cut into one chunk per document
/// (directives, `...` markers, `kind: List` items, documents that start on their `---` line,
/// a carriage return that is not part of a line end), in which case the caller writes it anew.
fn splice(
    source: &Source,
    documents: &[Document],
    outputs: &[&Output],
    edits: Edits,
    layout: Layout,
) -> Option<Spliced> {
    // A carriage return not followed by a line feed ends a line for YAML readers, not for
    // the line arithmetic below.
    if source
        .text
        .match_indices('\r')
        .any(|(i, _)| !source.text[i + 1..].starts_with('\n'))
    {
        return None;
    }
    let lines: Vec<&str> = source.text.split_inclusive('\n').collect();
    if lines
        .iter()
        .any(|l| l.starts_with("...") || l.starts_with('%'))
    {
        return None;
    }
    let is_marker = |line: &str| {
        let line = line.trim_end();
        line == "---" || line.starts_with("--- ") || line.starts_with("---\t")
    };
    // A chunk starts at the first line and at every `---` line after it.
    let mut starts: Vec<usize> = vec![0];
    starts.extend((1..lines.len()).filter(|&i| is_marker(lines[i])));
    let chunk_of = |line_index: usize| starts.iter().rposition(|&s| s <= line_index).unwrap_or(0);

    // What replaces each chunk's document, and what follows it.
    let mut replacement: Vec<Option<(usize, &Document, &Value)>> = vec![None; starts.len()];
    let mut following: Vec<Vec<&Value>> = vec![Vec::new(); starts.len()];
    let mut seen = vec![false; starts.len()];
    let mut last_chunk = 0;
    for output in outputs {
        match output.origin {
            Origin::Input { document, changed } => {
                let doc = &documents[document];
                let content = doc.spans.position().line.checked_sub(1)?;
                let chunk = chunk_of(content);
                if doc.item.is_some()
                    || seen[chunk]
                    || (content == starts[chunk] && is_marker(lines[content]))
                {
                    return None;
                }
                seen[chunk] = true;
                last_chunk = chunk;
                if changed {
                    replacement[chunk] = Some((content, doc, &output.value));
                }
            }
            Origin::Added { .. } => following[last_chunk].push(&output.value),
        }
    }
    let mut out = String::with_capacity(source.text.len());
    let mut rewritten = Vec::new();
    for (chunk, &start) in starts.iter().enumerate() {
        let end = starts.get(chunk + 1).copied().unwrap_or(lines.len());
        match replacement[chunk] {
            Some((content, document, value)) => {
                out.push_str(&lines[start..content].concat());
                // Keep the document's own lines where the conversion leaves them alone.
                let tail = text_edit::block_scalar_tail(&lines, &document.spans);
                let body_end = text_edit::content_end(&lines, content, end, tail);
                let edited = match edits {
                    Edits::Lines | Edits::Checked => text_edit::edit(
                        &lines,
                        content,
                        body_end,
                        &document.spans,
                        &document.value,
                        value,
                        with_defaults(text_edit::layout_of(&lines, &document.spans), layout),
                    )
                    .map_err(|refusal| refusal.to_string())
                    .and_then(|edited| {
                        if edits == Edits::Checked && !reads_alone_as(&edited, value) {
                            return Err("its edited text did not read back as the converted \
                                        document"
                                .to_owned());
                        }
                        Ok(edited)
                    }),
                    Edits::Documents => Err("the file's line edits did not read back as the \
                                             converted documents"
                        .to_owned()),
                };
                match edited {
                    Ok(edited) => {
                        out.push_str(&edited);
                        out.push_str(&lines[body_end..end].concat());
                    }
                    Err(why) => {
                        rewritten.push(document_rewritten(
                            document,
                            (content + 1, body_end.max(content + 1)),
                            &why,
                        ));
                        yaml::write_document_styled(&mut out, value, layout);
                        // The comments after the document's last line stay.
                        out.push_str(&lines[body_end..end].concat());
                    }
                }
            }
            None => out.push_str(&lines[start..end].concat()),
        }
        for value in &following[chunk] {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("---\n");
            yaml::write_document_styled(&mut out, value, layout);
        }
    }
    Some(Spliced {
        text: out,
        rewritten,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_back_compares_key_order_too() {
        let a = json!({"spec": {"template": 1, "strategy": {"canary": [1, {"x": 1, "y": 2}]}}});
        let b = json!({"spec": {"strategy": {"canary": [1, {"x": 1, "y": 2}]}, "template": 1}});
        let c = json!({"spec": {"template": 1, "strategy": {"canary": [1, {"y": 2, "x": 1}]}}});
        assert_eq!(a, b, "serde_json's == ignores the order");
        assert!(in_order(&a, &a.clone()));
        assert!(!in_order(&a, &b));
        assert!(!in_order(&a, &c));
        assert!(!in_order(&json!([1, 2]), &json!([1, 2, 3])));
    }

    #[test]
    fn the_layout_is_that_of_the_first_blocks_under_keys() {
        let lines = |text: &'static str| text.split('\n').collect::<Vec<_>>();
        let spans = |text: &str| {
            crate::load::yaml::parse_stream(text, &crate::load::Limits::default()).unwrap()[0]
                .spans
                .clone()
        };
        for (text, layout) in [
            ("a: [x]\nb:\n- y\n", (None, Some(0))),
            ("a:\n  b:\n    - y\nc:\n- z\n", (Some(2), Some(2))),
            ("- a:\n  - y\n", (None, Some(0))),
            ("a:\n    b:\n        - y\n", (Some(4), Some(4))),
            ("a:\n    b:\n    - y\n", (Some(4), Some(0))),
            ("a: {b: [x]}\nc: |\n  - text\n", (None, None)),
        ] {
            assert_eq!(
                text_edit::layout_of(&lines(text), &spans(text)),
                layout,
                "{text}"
            );
        }
    }

    #[test]
    fn block_scalars_keep_their_lines_that_look_like_comments() {
        let text = "\
a:
  script: |
    run
    # part of the script

  # about b
b:
  - x
  - >-
    folded
    # folded too
# about c
c: 1
";
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let docs = crate::load::yaml::parse_stream(text, &crate::load::Limits::default()).unwrap();
        let crate::load::SpanTree::Mapping(_, entries) = &docs[0].spans else {
            panic!("a mapping");
        };
        let tail = |i: usize| text_edit::block_scalar_tail(&lines, &entries[i].2);
        assert_eq!(tail(0), Some(4));
        assert_eq!(tail(1), Some(4));
        assert_eq!(tail(2), None);
        // `a` runs through its script's last line, not the comment about `b`.
        assert_eq!(text_edit::content_end(&lines, 1, 6, tail(0)), 5);
        assert_eq!(text_edit::content_end(&lines, 1, 6, None), 3);
        assert_eq!(text_edit::content_end(&lines, 7, 12, tail(1)), 11);
    }

    #[test]
    fn a_document_alone_reads_back_in_order() {
        assert!(reads_alone_as(
            "a: 1\nb: [x]\n",
            &json!({"a": 1, "b": ["x"]})
        ));
        assert!(!reads_alone_as(
            "b: [x]\na: 1\n",
            &json!({"a": 1, "b": ["x"]})
        ));
        assert!(!reads_alone_as("a: 1\n---\nb: 2\n", &json!({"a": 1})));
        assert!(!reads_alone_as("a: [\n", &json!({"a": 1})));
    }
}
