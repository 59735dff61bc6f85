//! Duplicates: the same object (API group, kind, namespace, name) written in two places.
//! `kubectl apply` keeps the last one, and which one a Rollout or a route means is a guess,
//! so both `validate` and `convert` report each one as an error naming both places.
//! Documents without a namespace compare as being in the same namespace; a document without
//! a namespace and one with a namespace do not (which namespace the first lands in is not
//! known).

use rustc_hash::FxHashMap as HashMap;

use crate::finding::{Finding, Severity};
use crate::load::{Document, FieldPath};

/// A document that repeats an earlier one: the indexes of the first and of the repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicate {
    pub first: usize,
    pub again: usize,
}

/// Every repeat in `documents`, in input order. Documents without a name (or without a
/// kind) are left out: they are reported for that.
pub fn find(documents: &[Document]) -> Vec<Duplicate> {
    let mut seen: HashMap<(&str, &str, Option<&str>, &str), usize> = HashMap::default();
    let mut found = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        if document.name().is_empty() || document.kind().is_empty() {
            continue;
        }
        let key = (
            document.group(),
            document.kind(),
            document.namespace(),
            document.name(),
        );
        match seen.get(&key) {
            Some(&first) => found.push(Duplicate { first, again: i }),
            None => {
                seen.insert(key, i);
            }
        }
    }
    found
}

/// The error about one repeat, at the repeat, naming the first.
pub fn finding(documents: &[Document], duplicate: Duplicate) -> Finding {
    let first = &documents[duplicate.first];
    let again = &documents[duplicate.again];
    let name = FieldPath::root().key("metadata").key("name");
    Finding::at(
        again,
        &name,
        Severity::Error,
        "input/duplicate",
        format!(
            "{} is defined twice: here and at {} (document {}); kubectl keeps only the last",
            again.resource_id(),
            first.location(&name),
            first.index + 1
        ),
    )
    .with_hint("delete one of the two (or rename it); if both are rendered from one source, include only one of the paths")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};

    #[test]
    fn the_same_group_kind_namespace_and_name_is_a_duplicate() {
        let text = "\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: {name: edge}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
---
apiVersion: example.com/v1
kind: Gateway
metadata: {name: edge}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: edge}
";
        let loaded = load_text("a.yaml", text, &Limits::default()).expect("loads");
        let found = find(&loaded.documents);
        // Only the second: same group (another version), no namespace either.
        assert_eq!(found, [Duplicate { first: 0, again: 1 }]);
        let finding = finding(&loaded.documents, found[0]);
        assert_eq!(
            finding.to_string(),
            "a.yaml:7:12: error: Gateway/edge [input/duplicate] Gateway/edge is defined twice: here and at a.yaml:3:12 (document 1); kubectl keeps only the last\n  hint: delete one of the two (or rename it); if both are rendered from one source, include only one of the paths"
        );
    }
}
