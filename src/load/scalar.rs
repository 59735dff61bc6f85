//! Where a character of a string value was written: the line and column in the file of an
//! offset inside a scalar, for messages about what is inside a value (a condition, a query).
//!
//! The loader keeps where each value starts. From there the scalar's text in the file is
//! walked line by line and matched against the value: block scalars (`|`, `>`, with their
//! indentation and chomping indicators), plain and quoted scalars, folded over several lines
//! or not. A line that cannot be matched (escapes in a double-quoted scalar, `''` in a
//! single-quoted one) leaves the position at the start of the value, which is still the
//! right field.

use super::{Document, FieldPath, Position};

/// The position in the file of byte `offset` of the string value at `path` of `document`;
/// the start of the value when the offset cannot be placed, the field's key when the value
/// has no position.
pub fn position_in_value(document: &Document, path: &FieldPath, offset: usize) -> Position {
    let Some(start) = document.spans.value_position(path) else {
        return document.spans.locate(path);
    };
    let Some(value) = crate::load::lookup(&document.value, &pointer(path)).and_then(|v| v.as_str())
    else {
        return start;
    };
    position_in_scalar(&document.source.text, start, value, offset).unwrap_or(start)
}

fn pointer(path: &FieldPath) -> String {
    use super::PathSegment;
    let mut pointer = String::new();
    for segment in &path.0 {
        pointer.push('/');
        match segment {
            PathSegment::Key(key) => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
            PathSegment::Index(i) => pointer.push_str(&i.to_string()),
        }
    }
    pointer
}

/// The position of byte `offset` of `value`, a scalar written at `start` in `text`.
pub fn position_in_scalar(
    text: &str,
    start: Position,
    value: &str,
    offset: usize,
) -> Option<Position> {
    let lines: Vec<&str> = text.split('\n').collect();
    let first = lines.get(start.line.checked_sub(1)?)?;
    let column0 = start.column.checked_sub(1)?;
    let head: String = first.chars().skip(column0).collect();
    // The loader places a block scalar (`|`, `>`) at its first line of content; the indicator
    // ends the line before.
    let block = first.chars().take(column0).all(|c| c == ' ')
        && start.line >= 2
        && lines.get(start.line - 2).is_some_and(|l| {
            let code = l.split(" #").next().unwrap_or(l).trim_end();
            let indicator =
                code.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
            indicator.ends_with('|') || indicator.ends_with('>')
        });
    // (line, column of the fragment's first character, fragment) in the order written.
    let mut fragments: Vec<(usize, usize, &str)> = Vec::new();
    match head.chars().next()? {
        _ if block => {
            let indent = column0;
            for (i, line) in lines.iter().enumerate().skip(start.line - 1) {
                let line = line.strip_suffix('\r').unwrap_or(line);
                let spaces = line.len() - line.trim_start_matches(' ').len();
                if line.trim().is_empty() {
                    continue;
                }
                if spaces < indent {
                    break;
                }
                fragments.push((i + 1, indent + 1, &line[indent..]));
            }
        }
        quote @ ('"' | '\'') => {
            let mut line_no = start.line;
            let mut column = start.column + 1;
            let mut rest: &str = &first[first.char_indices().nth(column0)?.0 + 1..];
            loop {
                let rest_trimmed = rest.strip_suffix('\r').unwrap_or(rest);
                // Escapes change the text: such a scalar is placed at its start.
                let escaped = if quote == '"' { "\\" } else { "''" };
                if rest_trimmed.contains(escaped) {
                    return None;
                }
                if let Some(end) = rest_trimmed.find(quote) {
                    fragments.push((line_no, column, &rest_trimmed[..end]));
                    break;
                }
                fragments.push((line_no, column, rest_trimmed.trim_end()));
                let next = lines.get(line_no)?;
                let trimmed = next.trim_start();
                column = next.chars().count() - trimmed.chars().count() + 1;
                line_no += 1;
                rest = trimmed;
            }
        }
        _ => {
            let plain = |line: &'_ str| -> usize {
                // A plain scalar ends at ` #` (a comment) or at the end of the line.
                line.find(" #").unwrap_or(line.len())
            };
            let start_byte = first.char_indices().nth(column0)?.0;
            let rest = &first[start_byte..];
            fragments.push((start.line, start.column, rest[..plain(rest)].trim_end()));
            let mut line_no = start.line;
            while let Some(next) = lines.get(line_no) {
                let trimmed = next.trim_start();
                let indent = next.len() - trimmed.len();
                if trimmed.is_empty() || indent <= parent_indent(first) || trimmed.contains(": ") {
                    break;
                }
                fragments.push((
                    line_no + 1,
                    indent + 1,
                    trimmed[..plain(trimmed)].trim_end(),
                ));
                line_no += 1;
            }
        }
    }
    locate(value, offset, &fragments)
}

/// The indentation of the line the value's key is on.
fn parent_indent(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '-']).len()
}

/// Matches the fragments in order against `value` (separated by what folding leaves: spaces
/// and line breaks) and places `offset`.
fn locate(value: &str, offset: usize, fragments: &[(usize, usize, &str)]) -> Option<Position> {
    let mut cursor = 0;
    for &(line, column, fragment) in fragments {
        if fragment.is_empty() {
            continue;
        }
        while !value[cursor..].starts_with(fragment) {
            let c = value[cursor..].chars().next()?;
            if c != ' ' && c != '\n' {
                return None;
            }
            cursor += c.len_utf8();
        }
        let end = cursor + fragment.len();
        if offset < end || (offset == end && value[end..].trim().is_empty()) {
            let chars = value.get(cursor..offset.max(cursor))?.chars().count();
            return Some(Position::new(line, column + chars));
        }
        cursor = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};

    /// The position of `needle` in the string at `path` of the first document of `body`.
    fn at(body: &str, path: &str, needle: &str) -> Position {
        let text = format!("apiVersion: v1\nkind: X\n{body}");
        let loaded = load_text("t.yaml", &text, &Limits::default()).expect("loads");
        let document = &loaded.documents[0];
        let path = FieldPath::parse(path);
        let value = document
            .value
            .pointer(&pointer(&path))
            .and_then(|v| v.as_str())
            .expect("a string");
        position_in_value(document, &path, value.find(needle).expect("needle"))
    }

    #[test]
    fn literal_block_lines_map_to_their_lines() {
        let body = "spec:\n  query: |\n    sum(rate(x[5m]))\n    /\n    sum(y)\n  next: 1\n";
        assert_eq!(at(body, "spec.query", "sum(y)"), Position::new(7, 5));
        assert_eq!(at(body, "spec.query", "x[5m]"), Position::new(5, 14));
        // Keep and strip indicators, a comment after the indicator, a blank line inside.
        let body = "spec:\n  query: |+ # a comment\n    a\n\n    b c\n";
        assert_eq!(at(body, "spec.query", "c"), Position::new(7, 7));
    }

    #[test]
    fn folded_block_with_blank_lines_and_more_indented_lines() {
        let body = "q: >-\n  sum(a)\n  by (le)\n\n    + b\n";
        assert_eq!(at(body, "q", "by"), Position::new(5, 3));
        assert_eq!(at(body, "q", "+ b"), Position::new(7, 5));
    }

    #[test]
    fn plain_and_quoted_scalars() {
        let body = "m:\n- successCondition: result[0] >= 0.95 # comment\n";
        assert_eq!(
            at(body, "m[0].successCondition", ">="),
            Position::new(4, 31)
        );
        let body = "c: \"len(result) > 0 &&\n    result[0] > 1\"\n";
        assert_eq!(at(body, "c", "result[0]"), Position::new(4, 5));
        let body = "c: plain that\n  goes on\n";
        assert_eq!(at(body, "c", "goes"), Position::new(4, 3));
        // An escape: placed at the start of the value.
        let body = "c: 'it''s'\n";
        assert_eq!(at(body, "c", "s"), Position::new(3, 4));
    }

    #[test]
    fn offset_at_the_end_is_after_the_last_character() {
        assert_eq!(
            position_in_scalar("c: a &&\n", Position::new(1, 4), "a &&", 4),
            Some(Position::new(1, 8))
        );
    }
}
