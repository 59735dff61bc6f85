//! Selection: `--select` and the configuration's `select`. A selector that matches no
//! Deployment of the input is an error (a typo, or `NS/NAME` against manifests written
//! without a namespace), which names the Deployments it comes close to.

use crate::config::AppMatch;
use crate::index::{Index, Kind};
use crate::load::Document;

use super::ConvertOptions;

/// Whether one of `selectors` matches `deployment`; marks in `selected` every one that does.
/// `namespace` is the Deployment's namespace as the run reads it (`-n` for documents without
/// one).
pub fn matches(
    selectors: &[&AppMatch],
    deployment: &Document,
    namespace: Option<&str>,
    selected: &mut [bool],
) -> bool {
    let mut any = false;
    for (selector, selected) in selectors.iter().zip(selected.iter_mut()) {
        if selector.matches_in(deployment, namespace) {
            *selected = true;
            any = true;
        }
    }
    any
}

/// Why a selection cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{origin} {selector} matches no Deployment of the input{detail}")]
pub struct SelectError {
    /// `--select` or `the configuration's select[2]`.
    pub origin: String,
    /// The selector as written.
    pub selector: String,
    /// What is near it: the namespace the input lacks, near names.
    pub detail: String,
}

impl SelectError {
    pub fn hint(&self) -> &'static str {
        "select Deployments by the name (and namespace) written in their metadata; nothing was converted"
    }
}

/// The first selector of `options` that `selected` (from the plan of the whole input) says
/// matched nothing, as an error.
pub fn check(
    documents: &[Document],
    options: &ConvertOptions,
    selected: &[bool],
) -> Result<(), SelectError> {
    let selectors: Vec<(String, &AppMatch)> = options
        .config
        .select
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let origin = format!("the configuration's select[{i}]");
            match options.config.select_locations.get(i) {
                Some(location) => (format!("{location}: {origin}"), s),
                None => (origin, s),
            }
        })
        .chain(options.select.iter().map(|s| ("--select".to_owned(), s)))
        .collect();
    let Some((origin, selector)) = selectors
        .iter()
        .zip(selected)
        .find(|(_, selected)| !**selected)
        .map(|(selector, _)| selector)
    else {
        return Ok(());
    };
    let index = Index::new(documents, &options.scope);
    let deployments: Vec<&Document> = index
        .of_kind(Kind::Deployment)
        .map(|d| &documents[d])
        .collect();
    Err(SelectError {
        origin: origin.clone(),
        selector: describe(selector),
        detail: detail(selector, &deployments),
    })
}

/// A selector as the user wrote it: `NS/NAME`, `NAME`, or the fields of a config entry.
fn describe(selector: &AppMatch) -> String {
    let mut parts = Vec::new();
    if let Some(namespace) = &selector.namespace {
        parts.push(format!("namespace: {namespace}"));
    }
    if let Some(name) = &selector.name {
        parts.push(format!("name: {name}"));
    }
    if !selector.labels.is_empty() {
        parts.push(format!(
            "labels: {}",
            serde_json::Value::Object(selector.labels.clone())
        ));
    }
    match (
        &selector.namespace,
        &selector.name,
        selector.labels.is_empty(),
    ) {
        (Some(namespace), Some(name), true) => format!("`{namespace}/{name}`"),
        (None, Some(name), true) => format!("`{name}`"),
        _ => format!("{{{}}}", parts.join(", ")),
    }
}

/// What the input has near `selector`.
fn detail(selector: &AppMatch, deployments: &[&Document]) -> String {
    if deployments.is_empty() {
        return " (it has none)".to_owned();
    }
    // `NS/NAME` where the Deployment of that name has no namespace.
    if let (Some(namespace), Some(name)) = (&selector.namespace, &selector.name) {
        let bare: Vec<&&Document> = deployments
            .iter()
            .filter(|d| d.name() == name && d.namespace().is_none())
            .collect();
        if let Some(first) = bare.first() {
            return format!(
                ": Deployment {name} in {} has no metadata.namespace, so `{namespace}/{name}` cannot match it; select it as `{name}`",
                first.describe()
            );
        }
    }
    let Some(name) = &selector.name else {
        return String::new();
    };
    let mut near: Vec<(usize, String)> = deployments
        .iter()
        .filter_map(|d| {
            let distance = near_name(name, d.name())?;
            let id = match d.namespace() {
                Some(ns) => format!("{ns}/{}", d.name()),
                None => d.name().to_owned(),
            };
            Some((distance, id))
        })
        .collect();
    near.sort();
    near.dedup();
    if near.is_empty() {
        return String::new();
    }
    let names: Vec<String> = near.into_iter().take(5).map(|(_, id)| id).collect();
    format!("; did you mean {}?", names.join(", "))
}

/// How far `candidate` is from `wanted`, when it is near: within a few edits, or one holds
/// the other (case aside).
fn near_name(wanted: &str, candidate: &str) -> Option<usize> {
    let (a, b) = (wanted.to_lowercase(), candidate.to_lowercase());
    let distance = edit_distance(&a, &b);
    let close = distance <= (a.chars().count() / 3).max(2);
    (close || a.contains(&b) || b.contains(&a)).then_some(distance)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("checkout", "checkout"), 0);
        assert_eq!(edit_distance("chekout", "checkout"), 1);
        assert_eq!(edit_distance("web", "api"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn near_names_are_close_or_contained() {
        assert!(near_name("chekout", "checkout").is_some());
        assert!(near_name("front", "front-api").is_some());
        assert!(near_name("Web", "web").is_some());
        assert!(near_name("web", "payments").is_none());
    }

    fn deployments(text: &str) -> Vec<Document> {
        load_text("apps.yaml", text, &Limits::default())
            .expect("loads")
            .documents
    }

    fn options(select: &str) -> ConvertOptions {
        ConvertOptions {
            select: vec![AppMatch::parse_selector(select)],
            ..ConvertOptions::default()
        }
    }

    #[test]
    fn a_typo_lists_near_names() {
        let documents = deployments(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: shop}\n",
        );
        let error = check(&documents, &options("chekout"), &[false]).expect_err("no match");
        assert_eq!(
            error.to_string(),
            "--select `chekout` matches no Deployment of the input; did you mean shop/checkout?"
        );
        assert!(check(&documents, &options("checkout"), &[true]).is_ok());
    }

    #[test]
    fn a_namespace_the_input_does_not_write_is_named() {
        let documents =
            deployments("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
        let error = check(&documents, &options("default/web"), &[false]).expect_err("no match");
        let message = error.to_string();
        assert!(
            message.contains("has no metadata.namespace") && message.contains("select it as `web`"),
            "{message}"
        );
    }
}
