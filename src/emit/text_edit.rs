//! Edits the text of a changed document in place, so that the lines a conversion does not
//! touch keep their comments and formatting, and a reviewer's diff shows only what changed.
//!
//! The change is found key by key: an unchanged entry keeps its lines, a changed mapping is
//! edited recursively, anything else (a changed scalar or sequence, an added or removed key)
//! has its lines replaced by freshly written YAML at the same indentation. The result is
//! parsed again and must equal the intended value; when it does not, or when the document is
//! written in a style this cannot follow (flow collections, several keys on a line), the
//! caller writes the whole document anew and says why ([`Refusal`]).
//!
//! New text follows the file's indentation ([`Layout`]). Anchors, aliases and merge
//! keys are found with the parser's events, so `&`, `*` and `<<` inside strings and comments
//! change nothing; new text expands the aliases and merge keys of an entry it replaces, and a
//! real anchor stops the edit only when an entry it replaces holds it and an alias elsewhere
//! refers to it.

use std::fmt;

use serde_json::{Map, Value};

use super::yaml::{self, Layout};
use crate::load::SpanTree;
use crate::load::yaml::{Tie, TieKind};

/// Why a changed document cannot be edited in place and is written anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A layout the editor does not follow: a flow mapping, several keys on a line, keys out
    /// of the order they are read in, entries brought in by a merge key.
    Layout,
    /// A tab before the content of this line (1-based), which the column arithmetic cannot
    /// follow.
    Tab { line: usize },
    /// An anchor on this line (1-based), in an entry the conversion replaces or removes,
    /// that an alias on a line it keeps refers to.
    Tie { line: usize, alias: usize },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Layout => f.write_str(
                "its layout is one the editor does not follow (a flow mapping, several keys \
                 on one line, or keys brought in by a merge key)",
            ),
            Refusal::Tab { line } => write!(f, "line {line} has a tab before its content"),
            Refusal::Tie { line, alias } => write!(
                f,
                "line {line} holds an anchor (`&`) in an entry the conversion replaces, and \
                 the alias (`*`) at line {alias} refers to it"
            ),
        }
    }
}

/// One replacement of whole lines: `lines[start..end]` (0-based) becomes `text`.
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// The lines of the file and the range the document's content occupies.
struct Text<'a> {
    lines: &'a [&'a str],
    /// One past the last line of the document (0-based).
    end: usize,
    /// How new blocks under keys are indented.
    layout: Layout,
}

impl Text<'_> {
    /// The last line of a block that starts at `start` and runs until `limit`, `tail` as
    /// [`content_end`] takes it.
    fn block_end(&self, start: usize, limit: usize, tail: Option<usize>) -> usize {
        content_end(self.lines, start + 1, limit.min(self.end), tail)
    }
}

/// One past the last line of `lines[start..limit]` that belongs to the block there: trailing
/// blank and comment lines belong to what follows (a comment above a key stays with it),
/// except when the block ends with a block scalar (`tail`: the indentation of its content),
/// whose lines may look blank or like comments: then only comments indented less than its
/// content are left out.
pub fn content_end(lines: &[&str], start: usize, limit: usize, tail: Option<usize>) -> usize {
    let mut end = limit;
    while end > start {
        let line = lines[end - 1];
        let text = line.trim();
        let comment_or_blank = text.is_empty() || text.starts_with('#');
        let outside = match tail {
            None => comment_or_blank,
            Some(indent) => text.starts_with('#') && line.len() - line.trim_start().len() < indent,
        };
        if outside {
            end -= 1;
        } else {
            break;
        }
    }
    end
}

/// The indentation of the content of the last node written in `tree` when that is a block
/// scalar (`|` or `>`); `None` otherwise.
pub fn block_scalar_tail(lines: &[&str], tree: &SpanTree) -> Option<usize> {
    let mut node = tree;
    loop {
        node = match node {
            SpanTree::Mapping(_, entries) => &entries.iter().max_by_key(|(_, p, _)| *p)?.2,
            SpanTree::Sequence(_, items) => items.iter().max_by_key(|i| i.position())?,
            SpanTree::Scalar(position) => return block_scalar_indent(lines, *position),
        };
    }
}

/// The indentation of a block scalar's content when the scalar at `position` is one: the
/// parser puts it at its indicator, or at its first line of content when the indicator ends
/// the line before (`key: |`, `- >-`, `note: |2 # comment`).
fn block_scalar_indent(lines: &[&str], position: crate::load::Position) -> Option<usize> {
    let indent = |line: &str| line.len() - line.trim_start_matches(' ').len();
    let index = position.line.checked_sub(1)?;
    let line = lines.get(index)?;
    let mut before = line.chars().take(position.column.saturating_sub(1));
    match line.chars().nth(position.column.saturating_sub(1)) {
        // The content starts on the first line after the indicator that is not blank.
        Some('|' | '>') => {
            return lines[index + 1..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .map(|l| indent(l));
        }
        _ if !before.all(|c| c == ' ') => return None,
        _ => {}
    }
    let indicator_line = lines[..index].iter().rev().find(|l| !l.trim().is_empty())?;
    let text = indicator_line
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim_end();
    let last = text.rsplit(' ').next()?;
    let indicator = last.starts_with(['|', '>'])
        && last[1..]
            .chars()
            .all(|c| matches!(c, '+' | '-' | '1'..='9'));
    indicator.then(|| indent(line))
}

/// `key: value` written at `indent` columns, the first line starting with `first_prefix`
/// instead of spaces (a sequence item's `- `).
fn entry_text(
    key: &str,
    value: &Value,
    indent: usize,
    first_prefix: Option<&str>,
    layout: Layout,
) -> String {
    let mut map = Map::new();
    map.insert(key.to_owned(), value.clone());
    let mut body = String::new();
    yaml::write_document_styled(&mut body, &Value::Object(map), layout);
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for (i, line) in body.split_inclusive('\n').enumerate() {
        match (i, first_prefix) {
            (0, Some(prefix)) => out.push_str(prefix),
            _ if line.trim().is_empty() => {}
            _ => out.push_str(&pad),
        }
        out.push_str(line);
    }
    out
}

/// Edits for turning the mapping `before` (written at `spans`, ending before line `limit`)
/// into `after`. `None` when the text cannot be edited this way.
fn edit_mapping(
    text: &Text,
    spans: &[(String, crate::load::Position, SpanTree)],
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    limit: usize,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    // Every key must open its own line, at one column, in the order of the value.
    let column = spans.first()?.1.column;
    let keys: Vec<&str> = before.keys().map(String::as_str).collect();
    let written: Vec<&str> = spans.iter().map(|(k, _, _)| k.as_str()).collect();
    if keys != written {
        return None;
    }
    let mut starts = Vec::with_capacity(spans.len());
    for (i, (_, position, _)) in spans.iter().enumerate() {
        let line = position.line.checked_sub(1)?;
        let prefix: String = text
            .lines
            .get(line)?
            .chars()
            .take(position.column - 1)
            .collect();
        let first_of_item = i == 0 && prefix.trim_end().ends_with('-');
        if position.column != column || !(prefix.trim().is_empty() || first_of_item) {
            return None;
        }
        if i > 0 && starts.last().is_some_and(|&last| last >= line) {
            return None;
        }
        starts.push(line);
    }
    let block = |i: usize| {
        let next = starts.get(i + 1).copied().unwrap_or(limit);
        let tail = block_scalar_tail(text.lines, &spans[i].2);
        (starts[i], text.block_end(starts[i], next, tail))
    };
    let prefix_of = |i: usize| -> Option<String> {
        let line = text.lines[starts[i]];
        let prefix: String = line.chars().take(column - 1).collect();
        (!prefix.trim().is_empty()).then_some(prefix)
    };
    // Keys that stay keep their relative order; new keys go after their predecessor.
    let kept: Vec<&str> = after
        .keys()
        .filter(|k| before.contains_key(*k))
        .map(String::as_str)
        .collect();
    let old_order: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| after.contains_key(*k))
        .collect();
    if kept != old_order {
        return None;
    }
    // A new first key of a sequence item takes over its `- `.
    let prefix_taken =
        prefix_of(0).is_some() && after.keys().next().is_some_and(|k| !before.contains_key(k));
    let mut first_replaced = false;
    for (i, (key, _, child_spans)) in spans.iter().enumerate() {
        let (start, end) = block(i);
        match after.get(key) {
            None => {
                // Removing the first entry of a sequence item would lose its `- `.
                if prefix_of(i).is_some() {
                    return None;
                }
                edits.push(Edit {
                    start,
                    end,
                    text: String::new(),
                });
            }
            Some(new) if Some(new) == before.get(key) => {}
            Some(new) => {
                let old = before.get(key)?;
                let nested = match (old, new, child_spans) {
                    (Value::Object(old), Value::Object(new), SpanTree::Mapping(_, entries))
                        if !entries.is_empty() && entries[0].1.line > start + 1 =>
                    {
                        let next = starts.get(i + 1).copied().unwrap_or(limit);
                        let mut nested = Vec::new();
                        edit_mapping(text, entries, old, new, next, &mut nested).map(|()| nested)
                    }
                    (Value::Array(old), Value::Array(new), SpanTree::Sequence(_, items))
                        if old.len() == new.len()
                            && items.first().is_some_and(|f| f.position().line > start + 1) =>
                    {
                        let next = starts.get(i + 1).copied().unwrap_or(limit);
                        edit_sequence(text, items, old, new, next)
                    }
                    _ => None,
                };
                match nested {
                    Some(nested) => edits.extend(nested),
                    None => {
                        let prefix = prefix_of(i).filter(|_| !(i == 0 && prefix_taken));
                        first_replaced |= i == 0;
                        edits.push(Edit {
                            start,
                            end,
                            text: entry_text(key, new, column - 1, prefix.as_deref(), text.layout),
                        });
                    }
                }
            }
        }
    }
    // New keys, each after the block of the entry before it in `after` (after the new key
    // before it, when that is new too: inserts at one line keep their order).
    let mut at: Option<usize> = None;
    let mut took_prefix = false;
    for (key, value) in after {
        if let Some(i) = keys.iter().position(|k| k == key) {
            at = Some(block(i).1);
            continue;
        }
        let line = match at {
            Some(line) => line,
            None if took_prefix => return None,
            None => match prefix_of(0) {
                // A new first key of a sequence item takes over its `- `; the old first line
                // keeps its text, indented like the other keys.
                Some(prefix) if first_replaced => {
                    // Before the new text of the old first entry, written without it.
                    edits.push(Edit {
                        start: starts[0],
                        end: starts[0],
                        text: entry_text(key, value, column - 1, Some(&prefix), text.layout),
                    });
                    took_prefix = true;
                    continue;
                }
                Some(prefix) => {
                    // The old first line (kept, or edited below it) loses the `- `.
                    let line = text.lines[starts[0]];
                    let rest: String = line.chars().skip(column - 1).collect();
                    let mut replaced =
                        entry_text(key, value, column - 1, Some(&prefix), text.layout);
                    replaced.push_str(&" ".repeat(column - 1));
                    replaced.push_str(&rest);
                    edits.push(Edit {
                        start: starts[0],
                        end: starts[0] + 1,
                        text: replaced,
                    });
                    took_prefix = true;
                    continue;
                }
                None => starts[0],
            },
        };
        edits.push(Edit {
            start: line,
            end: line,
            text: entry_text(key, value, column - 1, None, text.layout),
        });
        at = Some(line);
    }
    Some(())
}

/// Item-wise edits of a block sequence of mappings with the same length before and after.
fn edit_sequence(
    text: &Text,
    items: &[SpanTree],
    before: &[Value],
    after: &[Value],
    limit: usize,
) -> Option<Vec<Edit>> {
    let mut edits = Vec::new();
    for (i, ((item, old), new)) in items.iter().zip(before).zip(after).enumerate() {
        if old == new {
            continue;
        }
        let (SpanTree::Mapping(_, entries), Value::Object(old), Value::Object(new)) =
            (item, old, new)
        else {
            return None;
        };
        let next = items.get(i + 1).map_or(limit, |n| n.position().line - 1);
        edit_mapping(text, entries, old, new, next, &mut edits)?;
    }
    Some(edits)
}

/// The new text of the lines `lines[start..end]` holding a document whose value was
/// `before` (at `spans`) and must become `after`, new blocks indented as `layout` says;
/// `Err` when it must be written anew, saying why.
pub fn edit(
    lines: &[&str],
    start: usize,
    end: usize,
    spans: &SpanTree,
    before: &Value,
    after: &Value,
    layout: Layout,
) -> Result<String, Refusal> {
    let (SpanTree::Mapping(_, entries), Value::Object(old), Value::Object(new)) =
        (spans, before, after)
    else {
        return Err(Refusal::Layout);
    };
    let body = &lines[start..end];
    // A tab before a line's content breaks the column arithmetic; one in a value or a
    // comment does not.
    let leading_tab = |l: &&str| {
        l.chars()
            .take_while(|c| matches!(c, ' ' | '\t' | '-'))
            .any(|c| c == '\t')
    };
    if let Some(at) = body.iter().position(leading_tab) {
        return Err(Refusal::Tab {
            line: start + at + 1,
        });
    }
    // Anchors, aliases and merge keys tie distant lines together: where the parser sees one
    // (not where the text merely holds `&`, `*` or `<<`, as URLs and globs do).
    let ties = if body
        .iter()
        .any(|l| l.contains('&') || l.contains('*') || l.contains("<<"))
    {
        crate::load::yaml::ties(&body.concat()).map_err(|_| Refusal::Layout)?
    } else {
        Vec::new()
    };
    let text = Text { lines, end, layout };
    let mut edits = Vec::new();
    edit_mapping(&text, entries, old, new, end, &mut edits).ok_or(Refusal::Layout)?;
    edits.sort_by_key(|e| (e.start, e.end));
    // New text expands the aliases and merge keys of the entries it replaces; an anchor it
    // removes must leave no alias behind.
    let line_of = |tie: &Tie| start + tie.position.line - 1;
    let replaced = |tie: &Tie| {
        let line = line_of(tie);
        edits.iter().any(|e| (e.start..e.end).contains(&line))
    };
    for anchor in ties
        .iter()
        .filter(|t| t.kind == TieKind::Anchor && replaced(t))
    {
        if let Some(alias) = ties
            .iter()
            .find(|t| t.kind == TieKind::Alias && t.id == anchor.id && !replaced(t))
        {
            return Err(Refusal::Tie {
                line: line_of(anchor) + 1,
                alias: line_of(alias) + 1,
            });
        }
    }
    let mut out = String::new();
    let mut at = start;
    for edit in &edits {
        if edit.start < at || edit.end < edit.start {
            return Err(Refusal::Layout);
        }
        out.push_str(&lines[at..edit.start].concat());
        // The file's last line may have no line break; text after it needs one.
        if !out.is_empty() && !out.ends_with('\n') && !edit.text.is_empty() {
            out.push('\n');
        }
        out.push_str(&edit.text);
        at = edit.end;
    }
    out.push_str(&lines[at..end].concat());
    if !out.ends_with('\n') {
        out.push('\n');
    }
    // The caller parses the whole edited file again and checks that it means exactly what
    // was intended.
    Ok(out)
}

/// The indentation a document's text shows: how far the first block mapping under a key is
/// indented from it, and the dashes of the first block sequence under a key (`None` where
/// the document has no such block).
pub fn layout_of(lines: &[&str], spans: &SpanTree) -> (Option<usize>, Option<usize>) {
    let mut found = (None, None);
    find_layout(lines, spans, &mut found);
    found
}

fn find_layout(lines: &[&str], spans: &SpanTree, found: &mut (Option<usize>, Option<usize>)) {
    if found.0.is_some() && found.1.is_some() {
        return;
    }
    let entries = match spans {
        SpanTree::Mapping(_, entries) => entries,
        SpanTree::Sequence(_, items) => {
            for item in items {
                find_layout(lines, item, found);
            }
            return;
        }
        SpanTree::Scalar(_) => return,
    };
    for (_, key, value) in entries {
        let first = match value {
            SpanTree::Mapping(_, children) => children.first().map(|(_, p, _)| *p),
            SpanTree::Sequence(_, items) => items.first().map(SpanTree::position),
            SpanTree::Scalar(_) => None,
        };
        // Only blocks that start on a line of their own, at or right of the key.
        if let Some(first) = first.filter(|f| f.line > key.line)
            && let Some(line) = lines.get(first.line - 1)
        {
            let lead = line.len() - line.trim_start_matches(' ').len();
            match value {
                SpanTree::Mapping(..) if found.0.is_none() && first.column > key.column => {
                    let offset = first.column - key.column;
                    if lead + 1 == first.column && (1..=9).contains(&offset) {
                        found.0 = Some(offset);
                    }
                }
                SpanTree::Sequence(..)
                    if found.1.is_none()
                        && line[lead..].starts_with('-')
                        && lead + 1 >= key.column =>
                {
                    let offset = lead + 1 - key.column;
                    if offset <= 9 {
                        found.1 = Some(offset);
                    }
                }
                _ => {}
            }
        }
        find_layout(lines, value, found);
    }
}
