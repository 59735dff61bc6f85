//! A Kubernetes object as read from a file, with where each of its fields was written.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::position::{FieldPath, Position, SpanTree};
use super::source::Source;

/// One object of the input.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: Arc<Source>,
    /// 0-based index of the document in its file, counting empty documents.
    pub index: usize,
    /// Index in the `items` of a `kind: List` document, for objects that came from one.
    pub item: Option<usize>,
    /// Line where the document starts in its file.
    pub start_line: usize,
    /// Shared, so that converted outputs and checks that keep a document as it is cost no
    /// copy of it.
    pub value: Arc<Value>,
    /// Shared, so that copies of a document (converted outputs, checks) cost no copy of it.
    pub spans: Arc<SpanTree>,
}

/// A place in the input: file, line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: String,
    pub position: Position,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.position)
    }
}

/// Objects with at most this many keys are searched key by key: for the few keys of a
/// Kubernetes object or its metadata that is faster than hashing the key.
const SCAN_KEYS: usize = 8;

/// `map.get(key)`, searching small objects key by key instead of hashing `key` (serde_json
/// hashes with SipHash, which costs more than comparing a handful of short keys).
pub fn field<'v>(map: &'v serde_json::Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() <= SCAN_KEYS {
        map.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        map.get(key)
    }
}

/// `value.get(key)` for an object, as [`field`] reads it; `None` for anything else.
pub fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => field(map, key),
        _ => None,
    }
}

/// `value.pointer(pointer)` without the allocation serde_json makes for every segment (most
/// pointers have no `~` escapes); lookups like `/metadata/name` run for every document many
/// times over.
pub fn lookup<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    // Pointers are short: a plain byte loop beats a searcher set up for each segment.
    if pointer.bytes().any(|b| b == b'~') {
        return value.pointer(pointer);
    }
    if pointer.is_empty() {
        return Some(value);
    }
    let mut node = value;
    let mut rest = pointer.strip_prefix('/')?;
    loop {
        let end = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
        let segment = &rest[..end];
        node = match node {
            Value::Object(map) => field(map, segment)?,
            Value::Array(items) => {
                if segment.starts_with('+') || (segment.len() > 1 && segment.starts_with('0')) {
                    return None;
                }
                items.get(segment.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
        match rest.get(end + 1..) {
            Some(next) => rest = next,
            None => return Some(node),
        }
    }
}

/// [`lookup`] as a method: `value.lookup("/spec/template")`.
pub trait Lookup {
    fn lookup(&self, pointer: &str) -> Option<&Value>;
}

impl Lookup for Value {
    fn lookup(&self, pointer: &str) -> Option<&Value> {
        lookup(self, pointer)
    }
}

impl Document {
    pub fn str_at(&self, pointer: &str) -> Option<&str> {
        lookup(&self.value, pointer).and_then(Value::as_str)
    }

    pub fn api_version(&self) -> &str {
        get(&self.value, "apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn kind(&self) -> &str {
        get(&self.value, "kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn metadata_str(&self, key: &str) -> Option<&str> {
        get(get(&self.value, "metadata")?, key)?.as_str()
    }

    /// The API group (`apps`, `networking.istio.io`; empty for the core group).
    pub fn group(&self) -> &str {
        match self.api_version().rsplit_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    pub fn name(&self) -> &str {
        self.metadata_str("name").unwrap_or_default()
    }

    /// The namespace written in the document; `None` means "the namespace of the run".
    pub fn namespace(&self) -> Option<&str> {
        self.metadata_str("namespace").filter(|ns| !ns.is_empty())
    }

    /// Where the node at `path` was written (or its nearest written ancestor).
    pub fn location(&self, path: &FieldPath) -> Location {
        let relative = self.spans.locate(path);
        Location {
            file: self.source.name(),
            position: relative,
        }
    }

    /// `Kind/namespace/name`, or `Kind/name` without a namespace.
    pub fn resource_id(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{}/{}/{}", self.kind(), ns, self.name()),
            None => format!("{}/{}", self.kind(), self.name()),
        }
    }

    /// `file (document N)`, for messages about a whole document.
    pub fn describe(&self) -> String {
        match self.item {
            Some(item) => format!(
                "{} (document {}, item {})",
                self.source.name(),
                self.index + 1,
                item + 1
            ),
            None => format!("{} (document {})", self.source.name(), self.index + 1),
        }
    }

    pub fn is_list(&self) -> bool {
        self.kind().ends_with("List") && self.value.get("items").is_some_and(Value::is_array)
    }

    /// The mapping under the top-level field `key` as a document of its own, with the
    /// positions of its subtree (the `functionConfig` of a KRM `ResourceList`).
    pub fn field_document(&self, key: &str) -> Option<Document> {
        let value = self.value.get(key).filter(|v| v.is_object())?;
        let SpanTree::Mapping(_, entries) = &*self.spans else {
            return None;
        };
        let (_, _, spans) = entries.iter().find(|(k, _, _)| k == key)?;
        Some(Document {
            source: Arc::clone(&self.source),
            index: self.index,
            item: None,
            start_line: spans.position().line,
            value: Arc::new(value.clone()),
            spans: Arc::new(spans.clone()),
        })
    }

    /// The objects of a `kind: List`, each with the positions of its own subtree.
    pub fn list_items(&self) -> Vec<Document> {
        let SpanTree::Mapping(_, entries) = &*self.spans else {
            return Vec::new();
        };
        let Some((_, _, SpanTree::Sequence(_, item_spans))) =
            entries.iter().find(|(k, _, _)| k == "items")
        else {
            return Vec::new();
        };
        let Some(items) = self.value.get("items").and_then(Value::as_array) else {
            return Vec::new();
        };
        items
            .iter()
            .zip(item_spans)
            .enumerate()
            .filter(|(_, (value, _))| value.is_object())
            .map(|(i, (value, spans))| Document {
                source: Arc::clone(&self.source),
                index: self.index,
                item: Some(i),
                start_line: spans.position().line,
                value: Arc::new(value.clone()),
                spans: Arc::new(spans.clone()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_agrees_with_get_on_small_and_large_objects() {
        for size in [0, 1, SCAN_KEYS, SCAN_KEYS + 1, 40] {
            let map: serde_json::Map<String, Value> =
                (0..size).map(|i| (format!("k{i}"), json!(i))).collect();
            let value = Value::Object(map.clone());
            for key in ["k0", "k7", "k8", "k39", "missing", ""] {
                assert_eq!(field(&map, key), map.get(key), "{size} keys, {key:?}");
                assert_eq!(get(&value, key), value.get(key), "{size} keys, {key:?}");
            }
        }
        assert_eq!(get(&json!(["k0"]), "k0"), None);
    }

    #[test]
    fn lookup_agrees_with_json_pointer() {
        let value = json!({
            "a": {"b": [10, {"c": "d"}], "": 1, "x/y": 2, "m~n": 3},
            "0": "zero"
        });
        for pointer in [
            "",
            "/",
            "/a",
            "/a/b",
            "/a/b/0",
            "/a/b/1/c",
            "/a/b/2",
            "/a/b/01",
            "/a/b/+1",
            "/a/b/-1",
            "/a/",
            "/a/x~1y",
            "/a/m~0n",
            "/0",
            "/a/b/1/c/d",
            "a",
            "/missing",
        ] {
            assert_eq!(
                lookup(&value, pointer),
                value.pointer(pointer),
                "{pointer:?}"
            );
        }
    }
}
