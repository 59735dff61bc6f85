//! The `rolloutify.io/v1alpha1` `Rolloutify` configuration file: defaults, which Deployments
//! to convert, and per-app overrides.
//!
//! ```yaml
//! apiVersion: rolloutify.io/v1alpha1
//! kind: Rolloutify
//! defaults:
//!   traffic: host
//!   steps: 10,pause,50,5m
//!   analysis: {successRate: 0.99}
//! select:
//!   - namespace: shop
//! apps:
//!   - match: {name: checkout}
//!     traffic: subset
//! ```

use serde_json::{Map, Value};

use crate::load::{
    self, Document, FieldPath, Limits, Location, Lookup as _, PathSegment, Position, SpanTree,
};
use crate::plan::settings::{SettingsError, SettingsPatch};

pub const API_VERSION: &str = "rolloutify.io/v1alpha1";
pub const KIND: &str = "Rolloutify";

/// Which Deployments a rule applies to. Every field given must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppMatch {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Map<String, Value>,
}

impl AppMatch {
    /// Reads `NAME` or `NAMESPACE/NAME` (either part may be `*`).
    pub fn parse_selector(text: &str) -> AppMatch {
        let (namespace, name) = match text.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, text),
        };
        let part = |p: Option<&str>| p.filter(|p| !p.is_empty() && *p != "*").map(str::to_owned);
        AppMatch {
            name: part(Some(name)),
            namespace: part(namespace),
            labels: Map::new(),
        }
    }

    pub fn matches(&self, deployment: &Document) -> bool {
        self.matches_in(deployment, deployment.namespace())
    }

    /// [`AppMatch::matches`], with the Deployment in `namespace` (where `-n` puts a document
    /// that names none).
    pub fn matches_in(&self, deployment: &Document, namespace: Option<&str>) -> bool {
        if self.name.as_deref().is_some_and(|n| n != deployment.name()) {
            return false;
        }
        if self
            .namespace
            .as_deref()
            .is_some_and(|ns| Some(ns) != namespace)
        {
            return false;
        }
        let labels = deployment
            .value
            .lookup("/metadata/labels")
            .and_then(Value::as_object);
        self.labels
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
    }
}

/// Per-app overrides: the settings of the first… every matching entry apply in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppOverride {
    pub matcher: AppMatch,
    pub patch: SettingsPatch,
}

/// A parsed configuration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub defaults: SettingsPatch,
    /// When not empty, only the Deployments matched by one of these are converted.
    pub select: Vec<AppMatch>,
    /// Where each entry of `select` is written, alongside it.
    pub select_locations: Vec<Location>,
    pub apps: Vec<AppOverride>,
    /// `strict`: every conversion warning fails the run. `None` when not written: on for
    /// the plugins, off for `convert` and `diff` ([`Config::strict_or`]).
    pub strict: Option<bool>,
    /// Gitignore-style globs, relative to the file's folder, that directory walks leave out.
    pub exclude: Vec<String>,
}

impl Config {
    /// Whether warnings fail the run, `default` when the file does not say.
    pub fn strict_or(&self, default: bool) -> bool {
        self.strict.unwrap_or(default)
    }
}

/// Why the configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Returned when the file cannot be read or parsed as YAML.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// Returned when the file holds something else than one `Rolloutify` document, or a field
    /// is wrong.
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
}

impl ConfigError {
    fn invalid(document: &Document, path: &FieldPath, message: String) -> Self {
        ConfigError::Invalid {
            location: document.location(path),
            message,
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            ConfigError::Load(error) => error.hint(),
            ConfigError::Invalid { .. } => {
                "see README.md, section Configuration, for the fields of a Rolloutify file"
            }
        }
    }
}

/// The names a configuration file is found by.
pub const FILE_NAMES: [&str; 2] = ["rolloutify.yaml", ".rolloutify.yaml"];

/// The configuration file to read when none is named (`-c`, `ROLLOUTIFY_CONFIG`):
/// `rolloutify.yaml` or `.rolloutify.yaml` at the root of the git work tree the current
/// directory is in, else in the current directory.
pub fn discover() -> Option<std::path::PathBuf> {
    let here = std::env::current_dir().ok()?;
    let root = here
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(std::path::Path::to_path_buf);
    for dir in root.iter().chain(std::iter::once(&here)) {
        for name in FILE_NAMES {
            let path = dir.join(name);
            if path.is_file() {
                // Shown relative to the current directory when it is below it.
                return Some(match path.strip_prefix(&here) {
                    Ok(relative) => relative.to_path_buf(),
                    Err(_) => path,
                });
            }
        }
    }
    None
}

/// Reads a configuration file.
pub fn read(path: &std::path::Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| load::LoadError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parses the text of a configuration file.
pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
    let loaded = load::load_text(name, text, &Limits::default())?;
    let invalid = |document: Option<&Document>, path: &FieldPath, message: String| {
        let location = match document {
            Some(doc) => doc.location(path),
            None => Location {
                file: name.to_owned(),
                position: Position::new(1, 1),
            },
        };
        ConfigError::Invalid { location, message }
    };
    let [document] = loaded.documents.as_slice() else {
        return Err(invalid(
            loaded.documents.get(1),
            &FieldPath::root(),
            format!(
                "expected one `{KIND}` document, found {}",
                loaded.documents.len()
            ),
        ));
    };
    from_document(document)
}

/// Reads the configuration held by one document (a file's only document, or the
/// `functionConfig` of a KRM function call).
pub fn from_document(document: &Document) -> Result<Config, ConfigError> {
    if document.api_version() != API_VERSION || document.kind() != KIND {
        return Err(ConfigError::invalid(
            document,
            &FieldPath::root().key("kind"),
            format!(
                "expected apiVersion {API_VERSION} and kind {KIND}, found {} {}",
                document.api_version(),
                document.kind()
            ),
        ));
    }
    let mut config = Config::default();
    for (key, value) in document.value.as_object().into_iter().flatten() {
        let path = FieldPath::root().key(key);
        match key.as_str() {
            "apiVersion" | "kind" | "metadata" => {}
            // `defaults:` with nothing under it means no defaults.
            "defaults" | "select" | "apps" | "strict" if value.is_null() => {}
            "strict" => match value {
                Value::Bool(strict) => config.strict = Some(*strict),
                _ => {
                    return Err(ConfigError::invalid(
                        document,
                        &path,
                        "`strict` must be true or false".into(),
                    ));
                }
            },
            "defaults" => config.defaults = patch_at(document, &path, value)?,
            "select" => {
                for (i, item) in as_list(document, &path, value)?.iter().enumerate() {
                    let item_path = path.clone().index(i);
                    config.select.push(matcher_at(document, &item_path, item)?);
                    config.select_locations.push(document.location(&item_path));
                }
            }
            "apps" => {
                for (i, item) in as_list(document, &path, value)?.iter().enumerate() {
                    let item_path = path.clone().index(i);
                    let Some(map) = item.as_object() else {
                        return Err(ConfigError::invalid(
                            document,
                            &item_path,
                            "expected a mapping".into(),
                        ));
                    };
                    let matcher = match map.get("match") {
                        Some(m) => matcher_at(document, &item_path.clone().key("match"), m)?,
                        None => {
                            return Err(ConfigError::invalid(
                                document,
                                &item_path,
                                "an app entry needs `match` (name, namespace and/or labels)".into(),
                            ));
                        }
                    };
                    let mut rest = map.clone();
                    rest.remove("match");
                    let patch = patch_at(document, &item_path, &Value::Object(rest))?;
                    config.apps.push(AppOverride { matcher, patch });
                }
            }
            "exclude" => {
                for (i, item) in as_list(document, &path, value)?.iter().enumerate() {
                    let Some(glob) = item.as_str() else {
                        return Err(ConfigError::invalid(
                            document,
                            &path.clone().index(i),
                            "expected a glob (a string)".into(),
                        ));
                    };
                    config.exclude.push(glob.to_owned());
                }
            }
            other => {
                return Err(ConfigError::invalid(
                    document,
                    &path,
                    format!(
                        "unknown field `{other}` (expected defaults, select, apps, strict or exclude)"
                    ),
                ));
            }
        }
    }
    Ok(config)
}

fn as_list<'v>(
    document: &Document,
    path: &FieldPath,
    value: &'v Value,
) -> Result<&'v Vec<Value>, ConfigError> {
    value.as_array().ok_or_else(|| ConfigError::Invalid {
        location: document.location(path),
        message: "expected a list".to_owned(),
    })
}

fn matcher_at(
    document: &Document,
    path: &FieldPath,
    value: &Value,
) -> Result<AppMatch, ConfigError> {
    let invalid = |path: &FieldPath, message: String| ConfigError::Invalid {
        location: document.location(path),
        message,
    };
    let Some(map) = value.as_object() else {
        return Err(invalid(
            path,
            "expected a mapping with name, namespace and/or labels".into(),
        ));
    };
    let mut matcher = AppMatch::default();
    for (key, value) in map {
        let field = path.clone().key(key);
        match (key.as_str(), value) {
            ("name", Value::String(s)) => matcher.name = Some(s.clone()),
            ("namespace", Value::String(s)) => matcher.namespace = Some(s.clone()),
            ("labels", Value::Object(labels)) => matcher.labels = labels.clone(),
            ("name" | "namespace" | "labels", _) => {
                return Err(invalid(&field, format!("`{key}` has the wrong type")));
            }
            _ => {
                return Err(invalid(
                    &field,
                    format!("unknown field `{key}` (expected name, namespace or labels)"),
                ));
            }
        }
    }
    Ok(matcher)
}

fn patch_at(
    document: &Document,
    path: &FieldPath,
    value: &Value,
) -> Result<SettingsPatch, ConfigError> {
    let patch: SettingsPatch = serde_json::from_value(value.clone()).map_err(|error| {
        let message = error.to_string();
        // serde names the offending field in backticks; point at it when it is there.
        let field = message
            .split('`')
            .nth(1)
            .and_then(|name| find_key(&document.spans, path, name));
        ConfigError::Invalid {
            location: document.location(field.as_ref().unwrap_or(path)),
            message,
        }
    })?;
    // Check the values too (steps, ranges), not only their types.
    let mut probe = crate::plan::settings::Settings::default();
    probe.apply(&patch).map_err(|error: SettingsError| {
        let field = match &error {
            SettingsError::Steps(_) => "steps",
            SettingsError::Invalid { field, .. } => field.rsplit('.').next().unwrap_or(field),
        };
        ConfigError::Invalid {
            location: document
                .location(&find_key(&document.spans, path, field).unwrap_or_else(|| path.clone())),
            message: error.to_string(),
        }
    })?;
    Ok(patch)
}

/// The path of the first key called `name` at or below `path`.
fn find_key(spans: &SpanTree, path: &FieldPath, name: &str) -> Option<FieldPath> {
    fn walk(node: &SpanTree, here: FieldPath, name: &str) -> Option<FieldPath> {
        match node {
            SpanTree::Mapping(_, entries) => {
                for (key, _, child) in entries {
                    let path = here.clone().key(key);
                    if key == name {
                        return Some(path);
                    }
                    if let Some(found) = walk(child, path, name) {
                        return Some(found);
                    }
                }
                None
            }
            SpanTree::Sequence(_, items) => items
                .iter()
                .enumerate()
                .find_map(|(i, child)| walk(child, here.clone().index(i), name)),
            SpanTree::Scalar(_) => None,
        }
    }
    let mut node = spans;
    for segment in &path.0 {
        node = match (node, segment) {
            (SpanTree::Mapping(_, entries), PathSegment::Key(k)) => {
                &entries.iter().find(|(key, _, _)| key == k)?.2
            }
            (SpanTree::Sequence(_, items), PathSegment::Index(i)) => items.get(*i)?,
            _ => return None,
        };
    }
    walk(node, path.clone(), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_config() {
        let config = parse(
            "rolloutify.yaml",
            "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\ndefaults:\n  traffic: subset\nselect:\n  - namespace: shop\napps:\n  - match: {name: web}\n    steps: 5,pause\n",
        )
        .unwrap();
        assert_eq!(config.select.len(), 1);
        assert_eq!(config.apps[0].matcher.name.as_deref(), Some("web"));
        assert!(config.apps[0].patch.steps.is_some());
    }

    #[test]
    fn errors_point_at_the_field() {
        let error = parse(
            "c.yaml",
            "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\ndefaults:\n  analysis:\n    sucessRate: 0.9\n",
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("c.yaml:5:5: unknown field `sucessRate`"),
            "{text}"
        );
        let error = parse(
            "c.yaml",
            "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\ndefaults:\n  steps: 10,900\n",
        )
        .unwrap_err();
        assert!(
            error.to_string().starts_with("c.yaml:4:3: steps: step 2"),
            "{error}"
        );
    }

    #[test]
    fn selectors() {
        assert_eq!(
            AppMatch::parse_selector("shop/web").namespace.as_deref(),
            Some("shop")
        );
        assert_eq!(AppMatch::parse_selector("*/web").namespace, None);
    }
}
