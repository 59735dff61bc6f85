//! What stops a plugin run. kustomize shows a plugin's standard error only when the plugin
//! fails, so a plugin that succeeds with a warning has said nothing: whatever would make
//! `convert` warn must fail the build instead, or nobody learns of it.
//!
//! A plugin run fails (exit 1, the findings on standard error) on:
//! - a kustomize variable `$(NAME)` not substituted yet in what it converts: kustomize
//!   replaces `vars` after transformers, and only in the kinds it knows (not `Rollout`), so
//!   the Rollout would keep the placeholder and a placeholder host routes nowhere
//!   (`replacements` run before transformers: that is the fix);
//! - an error of the conversion (an app left as it was);
//! - a Deployment the configuration's `select` names that was not converted, or was
//!   converted without traffic routing (a VirtualService host not renamed by `namePrefix`);
//! - in strict mode (`strict: true`, the plugins' default), any conversion warning.

use serde_json::Value;

use crate::config::Config;
use crate::convert::Conversion;
use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind};
use crate::load::{Document, FieldPath};
use crate::plan::settings::CONVERT_ANNOTATION;

/// How to silence a finding on purpose, said under every one a plugin fails for.
const SILENCE: &str = "to leave an app alone, annotate its Deployment rolloutify.io/convert: \"false\" or narrow the configuration's `select`; `strict: false` in the configuration lets warnings pass";

/// The findings that fail a plugin run, as errors, in input order; empty: the run may hand
/// its output on.
pub fn blocking(documents: &[Document], config: &Config, conversion: &Conversion) -> Vec<Finding> {
    let strict = config.strict_or(true);
    let mut blocking = unresolved_variables(documents, conversion);
    for finding in &conversion.findings {
        match finding.severity {
            Severity::Error => blocking.push(finding.clone()),
            Severity::Warning if strict => {
                let mut finding = finding.clone();
                finding.severity = Severity::Error;
                finding.message.push_str(" (strict)");
                let hint = finding
                    .hint
                    .take()
                    .map(|h| format!("{h}; "))
                    .unwrap_or_default();
                finding.hint = Some(format!("{hint}{SILENCE}"));
                blocking.push(finding);
            }
            _ => {}
        }
    }
    blocking.extend(selected_but_not_converted(documents, config, conversion));
    blocking
}

/// The Deployments `select` names that were not converted, or converted without traffic
/// routing.
fn selected_but_not_converted(
    documents: &[Document],
    config: &Config,
    conversion: &Conversion,
) -> Vec<Finding> {
    if config.select.is_empty() {
        return Vec::new();
    }
    let scope = crate::index::host::Scope::default();
    let index = Index::new(documents, &scope);
    let mut found = Vec::new();
    for deployment in index.of_kind(Kind::Deployment) {
        let doc = &documents[deployment];
        let opted_out = doc
            .value
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(CONVERT_ANNOTATION))
            .and_then(Value::as_str)
            == Some("false");
        if opted_out || !config.select.iter().any(|s| s.matches(doc)) {
            continue;
        }
        let resource = doc.resource_id();
        let about: Vec<&Finding> = conversion
            .findings
            .iter()
            .filter(|f| f.resource == resource)
            .collect();
        let converted = conversion.converted_deployments.contains(&deployment);
        let unrouted = about.iter().any(|f| f.rule == "convert/no-virtual-service");
        if converted && !unrouted {
            continue;
        }
        let why: Vec<&str> = about.iter().map(|f| f.message.as_str()).collect();
        let message = match (converted, why.is_empty()) {
            (true, _) => format!(
                "the configuration selects it, but no VirtualService route sends traffic to its Service, so its canary would follow the replica count: {}",
                why.join("; ")
            ),
            (false, true) => "the configuration selects it, but it was not converted".to_owned(),
            (false, false) => format!(
                "the configuration selects it, but it was not converted: {}",
                why.join("; ")
            ),
        };
        found.push(
            Finding::at(
                doc,
                &FieldPath::root().key("metadata").key("name"),
                Severity::Error,
                "plugin/selected-not-converted",
                message,
            )
            .with_hint(format!(
                "if a transformer renamed the Service (namePrefix, nameSuffix), rename the VirtualService hosts that route to it too (a `replacements` entry, or the hosts in the overlay); {SILENCE}"
            )),
        );
    }
    found
}

/// `$(NAME)` placeholders in the documents a conversion reads: the Deployments it planned
/// and every Service, VirtualService and DestinationRule (a placeholder host is one that
/// names no Service yet).
pub fn unresolved_variables(documents: &[Document], conversion: &Conversion) -> Vec<Finding> {
    let scope = crate::index::host::Scope::default();
    let index = Index::new(documents, &scope);
    let planned: Vec<usize> = conversion
        .converted_deployments
        .iter()
        .copied()
        .chain(conversion.left.iter().map(|l| l.deployment))
        .collect();
    let mut found = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        let kind = index.kind(i);
        let read = matches!(
            kind,
            Kind::Service | Kind::VirtualService | Kind::DestinationRule
        ) || (kind == Kind::Deployment && planned.contains(&i));
        if !read {
            continue;
        }
        let mut at = Vec::new();
        walk(&document.value, &FieldPath::root(), &mut at);
        // One finding per document: the first placeholder, and how many more.
        if let Some((path, name)) = at.first() {
            let more = match at.len() - 1 {
                0 => String::new(),
                n => format!(" (and {n} more in this document)"),
            };
            found.push(
                Finding::at(
                    document,
                    path,
                    Severity::Error,
                    "plugin/unresolved-variable",
                    format!(
                        "`$({name})` at {path} is a kustomize variable not substituted yet{more}: kustomize replaces `vars` after transformers, and only in the kinds it knows (not Rollout), so the converted output would keep the placeholder"
                    ),
                )
                .with_hint(
                    "replace the kustomization's `vars:` with `replacements:`, which kustomize applies before transformers (kustomize edit fix does it)",
                ),
            );
        }
    }
    found
}

/// Collects `(path, name)` of every `$(NAME)` under `value`, except where Kubernetes itself
/// expands it: a container's `command`, `args` and `env[].value` naming one of the
/// container's own variables or a Service variable (`*_SERVICE_HOST`, `*_PORT…`), or any
/// name in a container that takes variables from `envFrom` (which names it holds is not
/// known here).
fn walk(value: &Value, path: &FieldPath, out: &mut Vec<(FieldPath, String)>) {
    match value {
        Value::Object(map) => {
            let container_env = container_variables(map);
            for (key, child) in map {
                let child_path = path.clone().key(key);
                match (&container_env, key.as_str()) {
                    (Some(env), "command" | "args" | "env") => {
                        let mut names = Vec::new();
                        walk(child, &child_path, &mut names);
                        out.extend(names.into_iter().filter(|(_, name)| match env {
                            ContainerEnv::Unknown => false,
                            ContainerEnv::Names(names) => {
                                !names.contains(name) && !service_variable(name)
                            }
                        }));
                    }
                    _ => walk(child, &child_path, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &path.clone().index(i), out);
            }
        }
        Value::String(text) => {
            for name in placeholders(text) {
                out.push((path.clone(), name.to_owned()));
            }
        }
        _ => {}
    }
}

/// The variables a container defines, when `map` is a container (it has `image` or
/// `name` and `env`/`envFrom`/`command`/`args`).
enum ContainerEnv {
    /// `envFrom`: any name may be defined.
    Unknown,
    Names(Vec<String>),
}

fn container_variables(map: &serde_json::Map<String, Value>) -> Option<ContainerEnv> {
    if !map.contains_key("image") {
        return None;
    }
    if map.contains_key("envFrom") {
        return Some(ContainerEnv::Unknown);
    }
    let names = map
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    Some(ContainerEnv::Names(names))
}

/// A variable Kubernetes sets for a Service (`REDIS_SERVICE_HOST`, `REDIS_PORT_6379_TCP`…).
fn service_variable(name: &str) -> bool {
    name.ends_with("_SERVICE_HOST") || name.contains("_SERVICE_PORT") || name.contains("_PORT")
}

/// The names of the `$(NAME)` references in `text`; `$$(NAME)` is an escaped literal.
fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = text[i..].find("$(") {
        let start = i + found;
        let escaped = start > 0 && bytes[start - 1] == b'$';
        let rest = &text[start + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        let closed = rest[end..].starts_with(')');
        if !escaped
            && closed
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            names.push(name);
        }
        i = start + 2;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_escapes_are_not() {
        assert_eq!(placeholders("svc.$(NS).svc.$(DOMAIN)"), ["NS", "DOMAIN"]);
        assert_eq!(placeholders("$(JWA_PREFIX)"), ["JWA_PREFIX"]);
        assert!(placeholders("$$(LITERAL)").is_empty());
        assert!(placeholders("$(unclosed").is_empty());
        assert!(placeholders("$(1X)").is_empty());
        assert!(placeholders("no variables").is_empty());
    }

    #[test]
    fn kubernetes_expansions_in_containers_are_not_placeholders() {
        let container = serde_json::json!({
            "spec": {"template": {"spec": {"containers": [{
                "name": "c",
                "image": "i",
                "env": [
                    {"name": "PORT", "value": "8080"},
                    {"name": "URL", "value": "http://localhost:$(PORT)"},
                    {"name": "PREFIX", "value": "$(JWA_PREFIX)"}
                ],
                "args": ["--redis=$(REDIS_SERVICE_HOST)", "--port=$(PORT)"]
            }]}}}
        });
        let mut out = Vec::new();
        walk(&container, &FieldPath::root(), &mut out);
        let names: Vec<&str> = out.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["JWA_PREFIX"]);
        assert_eq!(
            out[0].0.to_string(),
            "spec.template.spec.containers[0].env[2].value"
        );
    }
}
