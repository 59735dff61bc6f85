//! Kustomize variables: `$(NAME)` placeholders that kustomize substitutes for its legacy
//! `vars` *after* transformers have run, and only in the kinds it knows (not `Rollout`).
//! Converting them as they are leaves the placeholder in the Rollout for good, and a
//! placeholder host names no Service, so the app's route is missed. Each is a warning of the
//! conversion; the plugins, which run inside kustomize, fail on it (`plugin::gate`).

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind};
use crate::load::FieldPath;

/// The rule of these warnings.
pub const RULE: &str = "convert/kustomize-variable";

/// The warnings about `$(NAME)` placeholders in the documents a conversion reads: the
/// Deployments it plans (`planned`, document indexes) and every Service, VirtualService and
/// DestinationRule (a placeholder host names no Service yet), each with its document index.
pub fn findings(index: &Index, planned: &[usize]) -> Vec<(usize, Finding)> {
    let documents = index.documents;
    let planned: std::collections::HashSet<usize> = planned.iter().copied().collect();
    // Whether each file (documents share their source) holds a placeholder at all: most hold
    // none, and their documents need no walk. Once per file: a stream of ten thousand
    // documents is one file.
    let mut has_placeholder: std::collections::HashMap<*const crate::load::Source, bool> =
        std::collections::HashMap::new();
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
        let source = std::sync::Arc::as_ptr(&document.source);
        if !*has_placeholder
            .entry(source)
            .or_insert_with(|| document.source.text.contains("$("))
        {
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
            found.push((
                i,
                Finding::at(
                    document,
                    path,
                    Severity::Warning,
                    RULE,
                    format!(
                        "`$({name})` at {path} is a kustomize variable not substituted yet{more}: kustomize replaces `vars` after transformers, and only in the kinds it knows (not Rollout), so the converted output would keep the placeholder"
                    ),
                )
                .with_hint(
                    "replace the kustomization's `vars:` with `replacements:`, which kustomize applies before transformers (kustomize edit fix does it); or convert what kustomize builds",
                ),
            ));
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
