//! YAML text → JSON values with the position of every node, read the way Kubernetes reads it.
//!
//! Kubernetes decodes manifests with go-yaml v2 (YAML 1.1 scalars, merge keys), so plain scalars
//! are resolved by [`crate::yaml11`]. Duplicate keys are refused (kubectl refuses them too), and
//! aliases, nesting and document counts are bounded so that hostile input cannot exhaust memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Value};

use super::limits::Limits;
use super::position::{Position, SpanTree};
use crate::yaml11;

/// One non-empty document of a YAML stream.
#[derive(Debug, Clone)]
pub struct ParsedDocument {
    /// 0-based index of the document in its stream, counting empty documents too.
    pub index: usize,
    /// Line (1-based) where the document starts (its `---`, or its first node).
    pub start_line: usize,
    pub value: Value,
    pub spans: SpanTree,
}

/// Why a YAML stream could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum YamlError {
    /// Returned when the text is not well-formed YAML.
    #[error("{message}")]
    Syntax { position: Position, message: String },
    /// Returned when a mapping has the same key twice.
    #[error("duplicate key `{key}` (first written at line {first})")]
    DuplicateKey {
        position: Position,
        key: String,
        first: usize,
    },
    /// Returned when a mapping key is itself a mapping or a sequence.
    #[error("a mapping key must be a scalar, not a {what}")]
    ComplexKey {
        position: Position,
        what: &'static str,
    },
    /// Returned when aliases would expand to more nodes than allowed (e.g. a "billion laughs").
    #[error("aliases expand to more than {limit} nodes")]
    AliasBudget { position: Position, limit: usize },
    /// Returned when nesting is deeper than allowed.
    #[error("nesting is deeper than {limit} levels")]
    TooDeep { position: Position, limit: usize },
    /// Returned when a stream holds more documents than allowed.
    #[error("more than {limit} documents in one file")]
    TooManyDocuments { position: Position, limit: usize },
    /// Returned when a merge key (`<<`) is given something other than mappings.
    #[error("a merge key (`<<`) takes a mapping or a list of mappings")]
    BadMerge { position: Position },
}

impl YamlError {
    pub fn position(&self) -> Position {
        match self {
            YamlError::Syntax { position, .. }
            | YamlError::DuplicateKey { position, .. }
            | YamlError::ComplexKey { position, .. }
            | YamlError::AliasBudget { position, .. }
            | YamlError::TooDeep { position, .. }
            | YamlError::TooManyDocuments { position, .. }
            | YamlError::BadMerge { position } => *position,
        }
    }
}

fn position_of(span: &Span) -> Position {
    Position::new(span.start.line(), span.start.col() + 1)
}

impl From<ScanError> for YamlError {
    fn from(error: ScanError) -> Self {
        let marker = error.marker();
        YamlError::Syntax {
            position: Position::new(marker.line(), marker.col() + 1),
            message: error.info().to_owned(),
        }
    }
}

/// A finished node: its value, positions, and how many nodes it holds (for the alias budget).
struct Node {
    value: Value,
    spans: SpanTree,
    size: usize,
    /// For scalars: how to read it as a mapping key.
    key: Option<Key>,
    /// A plain (unquoted, untagged) `<<`: a merge key. A quoted `"<<"` is an ordinary key,
    /// as go-yaml reads it.
    merge: bool,
}

/// How a scalar reads as a mapping key. Most scalars are values, never keys: the key's text
/// is made only when one is used as a key.
#[derive(Clone)]
enum Key {
    /// As its value reads: the string itself, or a boolean, integer or null written out.
    OfValue,
    /// As written (a float: `1.50` is the key `1.50`, not `1.5`).
    Text(String),
}

impl Node {
    /// The scalar's text as a mapping key; `None` for a sequence or mapping.
    fn into_key(self) -> Option<String> {
        match self.key? {
            Key::Text(text) => Some(text),
            Key::OfValue => Some(match self.value {
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => "null".to_owned(),
            }),
        }
    }
}

struct PendingKey {
    key: String,
    position: Position,
    merge: bool,
}

enum Frame {
    Sequence {
        anchor: usize,
        position: Position,
        items: Vec<Value>,
        spans: Vec<SpanTree>,
        size: usize,
    },
    Mapping {
        anchor: usize,
        position: Position,
        map: Map<String, Value>,
        spans: Vec<(String, Position, SpanTree)>,
        pending: Option<PendingKey>,
        merges: Vec<MergeSource>,
        size: usize,
    },
}

/// Parses every document of `text`. Empty documents are left out.
pub fn parse_stream(text: &str, limits: &Limits) -> Result<Vec<ParsedDocument>, YamlError> {
    let mut documents = Vec::new();
    let mut builder = Builder {
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
    };
    let mut index = 0usize;
    let mut start_line = 1usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event?;
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                if index >= limits.max_documents {
                    return Err(YamlError::TooManyDocuments {
                        position: position_of(&span),
                        limit: limits.max_documents,
                    });
                }
                start_line = span.start.line();
                builder.anchors.clear();
                builder.alias_nodes = 0;
                builder.root = None;
            }
            Event::DocumentEnd => {
                if let Some(node) = builder.root.take()
                    && !node.value.is_null()
                {
                    documents.push(ParsedDocument {
                        index,
                        start_line,
                        value: node.value,
                        spans: node.spans,
                    });
                }
                index += 1;
            }
            Event::Alias(id) => {
                let position = position_of(&span);
                let node = builder.alias(id, position)?;
                builder.finish(node)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let position = position_of(&span);
                let merge = text == "<<"
                    && match tag.as_deref() {
                        None => style == ScalarStyle::Plain,
                        Some(tag) => {
                            (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!")
                                && tag.suffix == "merge"
                        }
                    };
                let (value, key) = scalar_value(&text, style, tag.as_deref());
                let node = Node {
                    value,
                    spans: SpanTree::Scalar(position),
                    size: 1,
                    key: Some(key),
                    merge,
                };
                builder.remember(anchor, &node);
                builder.finish(node)?;
            }
            Event::SequenceStart(anchor, _) => {
                let position = position_of(&span);
                builder.check_depth(position)?;
                builder.stack.push(Frame::Sequence {
                    anchor,
                    position,
                    items: Vec::new(),
                    spans: Vec::new(),
                    size: 1,
                });
            }
            Event::MappingStart(anchor, _) => {
                let position = position_of(&span);
                builder.check_depth(position)?;
                builder.stack.push(Frame::Mapping {
                    anchor,
                    position,
                    map: Map::new(),
                    spans: Vec::new(),
                    pending: None,
                    merges: Vec::new(),
                    size: 1,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = builder.stack.pop() else {
                    continue;
                };
                let (anchor, node) = close(frame);
                builder.remember(anchor, &node);
                builder.finish(node)?;
            }
        }
    }
    Ok(documents)
}

fn close(frame: Frame) -> (usize, Node) {
    match frame {
        Frame::Sequence {
            anchor,
            position,
            items,
            spans,
            size,
        } => (
            anchor,
            Node {
                value: Value::Array(items),
                spans: SpanTree::Sequence(position, spans),
                size,
                key: None,
                merge: false,
            },
        ),
        Frame::Mapping {
            anchor,
            position,
            mut map,
            mut spans,
            merges,
            size,
            ..
        } => {
            // Explicit keys win over merged ones, and earlier merge sources over later ones.
            for (source, source_spans) in merges {
                for (key, value) in source {
                    if map.contains_key(&key) {
                        continue;
                    }
                    if let Some(entry) = source_spans.iter().find(|(k, _, _)| *k == key) {
                        spans.push(entry.clone());
                    }
                    map.insert(key, value);
                }
            }
            (
                anchor,
                Node {
                    value: Value::Object(map),
                    spans: SpanTree::Mapping(position, spans),
                    size,
                    key: None,
                    merge: false,
                },
            )
        }
    }
}

struct Builder<'l> {
    limits: &'l Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    root: Option<Node>,
}

impl Builder<'_> {
    fn check_depth(&self, position: Position) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(YamlError::TooDeep {
                position,
                limit: self.limits.max_depth,
            });
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Node {
                    value: node.value.clone(),
                    spans: node.spans.clone(),
                    size: node.size,
                    key: node.key.clone(),
                    merge: node.merge,
                },
            );
        }
    }

    fn alias(&mut self, id: usize, position: Position) -> Result<Node, YamlError> {
        let Some(anchored) = self.anchors.get(&id) else {
            return Err(YamlError::Syntax {
                position,
                message: "alias to an unknown anchor".to_owned(),
            });
        };
        self.alias_nodes = self.alias_nodes.saturating_add(anchored.size);
        if self.alias_nodes > self.limits.max_alias_nodes {
            return Err(YamlError::AliasBudget {
                position,
                limit: self.limits.max_alias_nodes,
            });
        }
        Ok(Node {
            value: anchored.value.clone(),
            spans: anchored.spans.clone(),
            size: anchored.size,
            key: anchored.key.clone(),
            merge: anchored.merge,
        })
    }

    /// Hands a finished node to its parent (or makes it the document root).
    fn finish(&mut self, node: Node) -> Result<(), YamlError> {
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match parent {
            Frame::Sequence {
                items, spans, size, ..
            } => {
                *size = size.saturating_add(node.size);
                items.push(node.value);
                spans.push(node.spans);
            }
            Frame::Mapping {
                map,
                spans,
                pending,
                merges,
                size,
                ..
            } => {
                *size = size.saturating_add(node.size);
                match pending.take() {
                    None => {
                        let position = node.spans.position();
                        let what = if node.value.is_array() {
                            "sequence"
                        } else {
                            "mapping"
                        };
                        let merge = node.merge;
                        let Some(key) = node.into_key() else {
                            return Err(YamlError::ComplexKey { position, what });
                        };
                        // The keys before this one are all in the map by now (merged keys
                        // join it only when the mapping closes).
                        if !merge && crate::load::field(map, &key).is_some() {
                            let first = spans
                                .iter()
                                .find(|(k, _, _)| *k == key)
                                .map_or(position.line, |(_, first, _)| first.line);
                            return Err(YamlError::DuplicateKey {
                                position,
                                key,
                                first,
                            });
                        }
                        *pending = Some(PendingKey {
                            key,
                            position,
                            merge,
                        });
                    }
                    Some(PendingKey {
                        key,
                        position,
                        merge: true,
                    }) => {
                        merges.extend(merge_sources(node, position)?);
                        let _ = key;
                    }
                    Some(PendingKey { key, position, .. }) => {
                        spans.push((key.clone(), position, node.spans));
                        map.insert(key, node.value);
                    }
                }
            }
        }
        Ok(())
    }
}

type MergeSource = (Map<String, Value>, Vec<(String, Position, SpanTree)>);

fn merge_sources(node: Node, position: Position) -> Result<Vec<MergeSource>, YamlError> {
    match (node.value, node.spans) {
        (Value::Object(map), SpanTree::Mapping(_, spans)) => Ok(vec![(map, spans)]),
        (Value::Array(items), SpanTree::Sequence(_, item_spans)) => items
            .into_iter()
            .zip(item_spans)
            .map(|pair| match pair {
                (Value::Object(map), SpanTree::Mapping(_, spans)) => Ok((map, spans)),
                _ => Err(YamlError::BadMerge { position }),
            })
            .collect(),
        _ => Err(YamlError::BadMerge { position }),
    }
}

/// What ties lines of a document to others: an anchor (`&name`), an alias (`*name`) or a
/// merge key (a plain `<<` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieKind {
    Anchor,
    Alias,
    Merge,
}

/// One anchor, alias or merge key, where the parser met it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tie {
    pub kind: TieKind,
    pub position: Position,
    /// The anchor an anchor or alias stands for: an alias has the id of the anchor it refers
    /// to (0 for a merge key).
    pub id: usize,
}

/// The anchors, aliases and merge keys of `text`, in the order the parser meets them, as the
/// parser's events give them: `&`, `*` and `<<` inside strings and comments are not ties.
/// An anchor's position is that of its `&`.
pub fn ties(text: &str) -> Result<Vec<Tie>, YamlError> {
    let mut ties = Vec::new();
    // For each open collection: whether it is a mapping and its next node a key.
    let mut open: Vec<bool> = Vec::new();
    let mut next_is_key: Vec<bool> = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event?;
        let position = position_of(&span);
        let is_key = open.last() == Some(&true) && next_is_key.last() == Some(&true);
        let mut tie = |kind, id| ties.push(Tie { kind, position, id });
        let done = match event {
            Event::Scalar(value, style, anchor, _) => {
                if anchor != 0 {
                    tie(TieKind::Anchor, anchor);
                }
                if is_key && style == ScalarStyle::Plain && value == "<<" {
                    tie(TieKind::Merge, 0);
                }
                true
            }
            Event::Alias(id) => {
                tie(TieKind::Alias, id);
                true
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if anchor != 0 {
                    tie(TieKind::Anchor, anchor);
                }
                open.push(matches!(event, Event::MappingStart(..)));
                next_is_key.push(true);
                false
            }
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
                next_is_key.pop();
                true
            }
            _ => false,
        };
        // A finished node turns a mapping from key to value and back.
        if done
            && open.last() == Some(&true)
            && let Some(key) = next_is_key.last_mut()
        {
            *key = !*key;
        }
    }
    Ok(ties)
}

/// The value of a scalar and the string it stands for as a mapping key.
fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> (Value, Key) {
    if let Some(tag) = tag.filter(|t| t.handle == "tag:yaml.org,2002:" || t.handle == "!!") {
        match tag.suffix.as_str() {
            "str" => return (Value::String(text.to_owned()), Key::OfValue),
            "null" => return (Value::Null, Key::OfValue),
            _ => {}
        }
    }
    if style != ScalarStyle::Plain {
        return (Value::String(text.to_owned()), Key::OfValue);
    }
    let value = yaml11::resolve_plain(text);
    let key = match &value {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => Key::Text(text.to_owned()),
        _ => Key::OfValue,
    };
    (value, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Vec<ParsedDocument>, YamlError> {
        parse_stream(text, &Limits::default())
    }

    #[test]
    fn reads_documents_with_positions() {
        let docs = parse("a: 1\n---\n# only a comment\n---\nb:\n  - x\n  - z: no\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert_eq!(docs[1].index, 2);
        assert_eq!(docs[1].value, json!({"b": ["x", {"z": false}]}));
        let path = crate::load::FieldPath::parse("b[1].z");
        assert_eq!(docs[1].spans.locate(&path), Position::new(7, 5));
    }

    #[test]
    fn kubernetes_scalars() {
        let docs = parse("mode: 0644\nport: \"80\"\non: yes\nv: 1.10\n").unwrap();
        assert_eq!(
            docs[0].value,
            json!({"mode": 420, "port": "80", "true": true, "v": 1.1})
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let error = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(
            error,
            YamlError::DuplicateKey {
                position: Position::new(3, 1),
                key: "a".into(),
                first: 1
            }
        );
    }

    #[test]
    fn merge_keys_and_aliases() {
        let docs = parse("base: &b {x: 1, w: 2}\nderived:\n  <<: *b\n  w: 3\n").unwrap();
        assert_eq!(docs[0].value["derived"], json!({"w": 3, "x": 1}));
    }

    #[test]
    fn only_a_plain_merge_key_merges() {
        let docs = parse("base: &b {x: 1}\nquoted:\n  \"<<\": *b\nsingle:\n  '<<': v\nplain:\n  <<: *b\ntagged:\n  !!merge <<: *b\n").unwrap();
        assert_eq!(docs[0].value["quoted"], json!({"<<": {"x": 1}}));
        assert_eq!(docs[0].value["single"], json!({"<<": "v"}));
        assert_eq!(docs[0].value["plain"], json!({"x": 1}));
        assert_eq!(docs[0].value["tagged"], json!({"x": 1}));
        // A quoted `<<` twice is a duplicate key like any other.
        assert!(matches!(
            parse("a:\n  \"<<\": 1\n  \"<<\": 2\n").unwrap_err(),
            YamlError::DuplicateKey { .. }
        ));
    }

    #[test]
    fn ties_are_read_from_events_not_from_characters() {
        let text = "\
url: postgres://db/x?sslmode=require&timeout=5 # a & b
hosts: [\"*\"]
glob: '*.example.com'
note: \"<<\"
\"<<\": quoted
labels: &labels
  app: web
selector: *labels
derived:
  <<: *labels
  w: 3
list: [&one 1, *one]
";
        let found = ties(text).unwrap();
        // Each alias has the id of its anchor.
        assert_eq!(found[1].id, found[0].id);
        assert_eq!(found[3].id, found[0].id);
        assert_eq!(found[5].id, found[4].id);
        assert_ne!(found[4].id, found[0].id);
        let found: Vec<(TieKind, usize)> = found
            .into_iter()
            .map(|t| (t.kind, t.position.line))
            .collect();
        assert_eq!(
            found,
            [
                (TieKind::Anchor, 6),
                (TieKind::Alias, 8),
                (TieKind::Merge, 10),
                (TieKind::Alias, 10),
                (TieKind::Anchor, 12),
                (TieKind::Alias, 12),
            ]
        );
        assert!(ties("a: [\n").is_err());
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(matches!(
            parse(&text).unwrap_err(),
            YamlError::AliasBudget { .. }
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut block = String::new();
        for depth in 0..300 {
            block.push_str(&" ".repeat(depth));
            block.push_str("k:\n");
        }
        assert!(matches!(
            parse(&block).unwrap_err(),
            YamlError::TooDeep { limit: 256, .. }
        ));
        let flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&flow).is_err());
    }

    #[test]
    fn complex_keys_are_refused() {
        assert!(matches!(
            parse("{a: 1}: x\n").unwrap_err(),
            YamlError::ComplexKey { .. }
        ));
    }
}
