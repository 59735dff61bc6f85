//! Source positions: where in which file a node of a document was written.

use std::fmt;

/// A 1-based line and column in a source file (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn new(line: usize, column: usize) -> Self {
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One step of a path into a document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

impl From<&str> for PathSegment {
    fn from(key: &str) -> Self {
        PathSegment::Key(key.to_owned())
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        PathSegment::Index(index)
    }
}

/// A path into a document, written like `spec.template.spec.containers[0].image`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldPath(pub Vec<PathSegment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// Parses the dotted form (`spec.http[0].route`); keys with dots cannot be written this way,
    /// so callers that need them build the path from segments.
    pub fn parse(dotted: &str) -> Self {
        let mut segments = Vec::new();
        for part in dotted.split('.').filter(|p| !p.is_empty()) {
            let mut rest = part;
            if let Some(open) = rest.find('[') {
                let key = &rest[..open];
                if !key.is_empty() {
                    segments.push(PathSegment::Key(key.to_owned()));
                }
                rest = &rest[open..];
                while let Some(stripped) = rest.strip_prefix('[') {
                    let Some(close) = stripped.find(']') else {
                        break;
                    };
                    if let Ok(index) = stripped[..close].parse() {
                        segments.push(PathSegment::Index(index));
                    }
                    rest = &stripped[close + 1..];
                }
            } else {
                segments.push(PathSegment::Key(rest.to_owned()));
            }
        }
        FieldPath(segments)
    }

    pub fn key(mut self, key: &str) -> Self {
        self.0.push(PathSegment::Key(key.to_owned()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathSegment::Index(index));
        self
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.0 {
            match segment {
                PathSegment::Key(key) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// Positions of every node of one document, shaped like the document itself.
#[derive(Debug, Clone, PartialEq)]
pub enum SpanTree {
    Scalar(Position),
    Sequence(Position, Vec<SpanTree>),
    /// Entries in document order: key, where the key was written, and the value's tree.
    Mapping(Position, Vec<(String, Position, SpanTree)>),
}

impl SpanTree {
    /// Moves every position of the tree with `map` (text read through a rewrite that
    /// changed columns).
    pub fn map_positions(&mut self, map: &impl Fn(Position) -> Position) {
        match self {
            SpanTree::Scalar(p) => *p = map(*p),
            SpanTree::Sequence(p, items) => {
                *p = map(*p);
                for item in items {
                    item.map_positions(map);
                }
            }
            SpanTree::Mapping(p, entries) => {
                *p = map(*p);
                for (_, key, value) in entries {
                    *key = map(*key);
                    value.map_positions(map);
                }
            }
        }
    }

    pub fn position(&self) -> Position {
        match self {
            SpanTree::Scalar(p) | SpanTree::Sequence(p, _) | SpanTree::Mapping(p, _) => *p,
        }
    }

    /// The position of the node at `path`, or of the deepest ancestor that exists. For a mapping
    /// entry this is where its key was written, which is where a reader looks for the field.
    pub fn locate(&self, path: &FieldPath) -> Position {
        let mut node = self;
        let mut found = self.position();
        for segment in &path.0 {
            match (node, segment) {
                (SpanTree::Mapping(_, entries), PathSegment::Key(key)) => {
                    match entries.iter().find(|(k, _, _)| k == key) {
                        Some((_, key_pos, child)) => {
                            found = *key_pos;
                            node = child;
                        }
                        None => return found,
                    }
                }
                (SpanTree::Sequence(_, items), PathSegment::Index(i)) => match items.get(*i) {
                    Some(child) => {
                        found = child.position();
                        node = child;
                    }
                    None => return found,
                },
                _ => return found,
            }
        }
        found
    }

    /// The position of the value (not the key) at `path`, when it exists.
    pub fn value_position(&self, path: &FieldPath) -> Option<Position> {
        let mut node = self;
        for segment in &path.0 {
            node = match (node, segment) {
                (SpanTree::Mapping(_, entries), PathSegment::Key(key)) => {
                    &entries.iter().find(|(k, _, _)| k == key)?.2
                }
                (SpanTree::Sequence(_, items), PathSegment::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node.position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_round_trip() {
        for text in ["spec.http[0].route[1].destination", "metadata", "a[2][3].b"] {
            assert_eq!(FieldPath::parse(text).to_string(), text);
        }
    }
}
