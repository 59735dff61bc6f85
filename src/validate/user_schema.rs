//! The user's own schemas: CustomResourceDefinitions given with `--crd` (their
//! `openAPIV3Schema`, read with Kubernetes' extensions) and schema folders given with
//! `--schema-location` (kubeconform-style templates, or the CRDs-catalog layout
//! `{group}/{kind}_{version}.json`). They take precedence over the bundled schemas.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use super::schema::findings_for;
use crate::finding::Finding;
use crate::load::{self, Document, Limits, Lookup as _};

/// Why a user schema could not be used.
#[derive(Debug, thiserror::Error)]
pub enum UserSchemaError {
    /// Returned when a `--crd` file cannot be read or parsed.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// Returned when a `--crd` document is not a usable CustomResourceDefinition.
    #[error("{file}: document {document}: {message}")]
    NotACrd {
        file: String,
        document: usize,
        message: String,
    },
    /// Returned when a schema does not compile.
    #[error("{file}: the schema for {kind} does not compile: {message}")]
    Compile {
        file: String,
        kind: String,
        message: String,
    },
}

impl UserSchemaError {
    pub fn hint(&self) -> &'static str {
        match self {
            UserSchemaError::Load(error) => error.hint(),
            UserSchemaError::NotACrd { .. } => {
                "give apiextensions.k8s.io/v1 CustomResourceDefinitions with spec.versions[].schema.openAPIV3Schema"
            }
            UserSchemaError::Compile { .. } => "check the schema; it must be valid JSON Schema",
        }
    }
}

struct Entry {
    group: String,
    version: String,
    kind: String,
    validator: Arc<jsonschema::Validator>,
}

/// The schemas a user gave for this run.
#[derive(Default)]
pub struct UserSchemas {
    entries: Vec<Entry>,
    locations: Vec<String>,
    /// Compiled location schemas by path (`None`: no file there).
    cache: Mutex<HashMap<PathBuf, Option<Arc<jsonschema::Validator>>>>,
}

impl fmt::Debug for UserSchemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSchemas")
            .field(
                "crd_kinds",
                &self
                    .entries
                    .iter()
                    .map(|e| format!("{}/{}/{}", e.group, e.version, e.kind))
                    .collect::<Vec<_>>(),
            )
            .field("locations", &self.locations)
            .finish()
    }
}

fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .offline()
        .should_validate_formats(false)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Allows `apiVersion`, `kind` and `metadata`, which every Kubernetes object carries.
fn add_object_fields(schema: &mut Map<String, Value>) {
    let properties = schema.entry("properties").or_insert_with(|| json!({}));
    if let Some(properties) = properties.as_object_mut() {
        for (field, kind) in [
            ("apiVersion", "string"),
            ("kind", "string"),
            ("metadata", "object"),
        ] {
            properties
                .entry(field)
                .or_insert_with(|| json!({ "type": kind }));
        }
    }
}

/// A CRD's `openAPIV3Schema` as JSON Schema that refuses unknown fields where the API server
/// would (`kubectl --validate=strict`), with Kubernetes' extensions turned into their meaning.
pub fn from_openapi(schema: &Value) -> Value {
    fn convert(value: &Value) -> Value {
        let Value::Object(map) = value else {
            return value.clone();
        };
        let mut out = Map::new();
        for (key, child) in map {
            let converted = match key.as_str() {
                "properties" | "patternProperties" | "$defs" | "definitions" => Value::Object(
                    child
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), convert(v)))
                        .collect(),
                ),
                "items" | "additionalProperties" | "not" if child.is_object() => convert(child),
                "allOf" | "anyOf" | "oneOf" => Value::Array(
                    child
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(convert)
                        .collect(),
                ),
                "nullable" => continue,
                _ => child.clone(),
            };
            out.insert(key.clone(), converted);
        }
        let flag = |name: &str| map.get(name) == Some(&Value::Bool(true));
        if flag("x-kubernetes-int-or-string") {
            out.remove("anyOf");
            out.insert("type".to_owned(), json!(["integer", "string"]));
        }
        if flag("x-kubernetes-embedded-resource") {
            add_object_fields(&mut out);
        }
        let is_object = out.get("type") == Some(&json!("object")) || out.contains_key("properties");
        if is_object
            && out.contains_key("properties")
            && !out.contains_key("additionalProperties")
            && !flag("x-kubernetes-preserve-unknown-fields")
        {
            out.insert("additionalProperties".to_owned(), Value::Bool(false));
        }
        Value::Object(out)
    }
    let mut converted = convert(schema);
    // The API server handles these itself; CRD schemas often leave them out.
    if let Some(map) = converted.as_object_mut() {
        add_object_fields(map);
        if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
            properties.entry("status").or_insert_with(|| json!({}));
        }
    }
    converted
}

impl UserSchemas {
    /// Reads CRD files and remembers schema locations.
    pub fn new(crds: &[PathBuf], locations: &[String]) -> Result<UserSchemas, UserSchemaError> {
        let mut entries = Vec::new();
        for path in crds {
            let loaded = load::load(
                &[load::Input::Path(path.clone())],
                &load::LoadOptions::default(),
            )?;
            for document in &loaded.documents {
                entries.extend(crd_entries(document)?);
            }
        }
        Ok(UserSchemas {
            entries,
            locations: locations.to_vec(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.locations.is_empty()
    }

    /// What the user's schemas say about `document`: `None` when none covers its kind.
    pub fn check(&self, document: &Document) -> Option<Vec<Finding>> {
        let (group, version) = document
            .api_version()
            .rsplit_once('/')
            .unwrap_or(("", document.api_version()));
        if let Some(entry) = self
            .entries
            .iter()
            .find(|e| e.group == group && e.version == version && e.kind == document.kind())
        {
            return Some(findings_for(&entry.validator, document));
        }
        for location in &self.locations {
            let path = expand(location, group, version, document.kind());
            let validator = {
                let mut cache = self
                    .cache
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                cache
                    .entry(path.clone())
                    .or_insert_with(|| read_schema(&path))
                    .clone()
            };
            if let Some(validator) = validator {
                return Some(findings_for(&validator, document));
            }
        }
        None
    }
}

fn crd_entries(document: &Document) -> Result<Vec<Entry>, UserSchemaError> {
    let not_a_crd = |message: String| UserSchemaError::NotACrd {
        file: document.source.name(),
        document: document.index + 1,
        message,
    };
    if document.kind() != "CustomResourceDefinition" {
        return Err(not_a_crd(format!(
            "is a {}, not a CustomResourceDefinition",
            document.kind()
        )));
    }
    let group = document
        .str_at("/spec/group")
        .unwrap_or_default()
        .to_owned();
    let kind = document
        .str_at("/spec/names/kind")
        .ok_or_else(|| not_a_crd("has no spec.names.kind".to_owned()))?
        .to_owned();
    let versions = document
        .value
        .lookup("/spec/versions")
        .and_then(Value::as_array);
    let mut entries = Vec::new();
    for version in versions.into_iter().flatten() {
        let name = version
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(openapi) = version
            .lookup("/schema/openAPIV3Schema")
            .or_else(|| document.value.lookup("/spec/validation/openAPIV3Schema"))
        else {
            continue;
        };
        let validator =
            compile(&from_openapi(openapi)).map_err(|message| UserSchemaError::Compile {
                file: document.source.name(),
                kind: format!("{group}/{name} {kind}"),
                message,
            })?;
        entries.push(Entry {
            group: group.clone(),
            version: name,
            kind: kind.clone(),
            validator: Arc::new(validator),
        });
    }
    if entries.is_empty() {
        return Err(not_a_crd(
            "has no version with an openAPIV3Schema".to_owned(),
        ));
    }
    Ok(entries)
}

/// The file a location names for a kind. A location without `{{` is a folder in the
/// CRDs-catalog layout.
pub fn expand(location: &str, group: &str, version: &str, kind: &str) -> PathBuf {
    if !location.contains("{{") {
        return Path::new(location)
            .join(if group.is_empty() { "core" } else { group })
            .join(format!("{}_{version}.json", kind.to_lowercase()));
    }
    let kind_suffix = match group.split('.').next().filter(|g| !g.is_empty()) {
        Some(first) => format!("-{first}-{version}"),
        None => format!("-{version}"),
    };
    let mut out = location.to_owned();
    for (names, value) in [
        (&["Group"][..], group.to_owned()),
        (&["ResourceKind"][..], kind.to_lowercase()),
        (&["ResourceAPIVersion"][..], version.to_owned()),
        (&["KindSuffix"][..], kind_suffix),
        (&["NormalizedKubernetesVersion"][..], "master".to_owned()),
        (&["StrictSuffix"][..], "-strict".to_owned()),
    ] {
        for name in names {
            for spelling in [format!("{{{{.{name}}}}}"), format!("{{{{ .{name} }}}}")] {
                out = out.replace(&spelling, &value);
            }
        }
    }
    PathBuf::from(out)
}

fn read_schema(path: &Path) -> Option<Arc<jsonschema::Validator>> {
    let text = std::fs::read_to_string(path).ok()?;
    let schema: Value = match serde_json::from_str(&text) {
        Ok(schema) => schema,
        Err(_) => {
            load::yaml::parse_stream(&text, &Limits::default())
                .ok()?
                .into_iter()
                .next()?
                .value
        }
    };
    compile(&schema).ok().map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_extensions() {
        let schema = from_openapi(&json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                        "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"a": {"type": "string"}}},
                        "template": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object"}}},
                    }
                }
            }
        }));
        let validator = compile(&schema).unwrap();
        assert!(validator.is_valid(&json!({"apiVersion": "x/v1", "kind": "X", "spec": {"port": "http", "config": {"b": 1}, "template": {"apiVersion": "v1", "kind": "Pod", "spec": {}}}})));
        assert!(validator.is_valid(&json!({"spec": {"port": 80}})));
        assert!(!validator.is_valid(&json!({"spec": {"unknown": 1}})));
        assert!(!validator.is_valid(&json!({"spec": {"port": true}})));
    }

    #[test]
    fn locations() {
        assert_eq!(
            expand("/s", "argoproj.io", "v1alpha1", "Rollout"),
            PathBuf::from("/s/argoproj.io/rollout_v1alpha1.json")
        );
        assert_eq!(
            expand(
                "/k/{{ .ResourceKind }}{{ .KindSuffix }}.json",
                "apps",
                "v1",
                "Deployment"
            ),
            PathBuf::from("/k/deployment-apps-v1.json")
        );
        assert_eq!(
            expand(
                "/k/{{.ResourceKind}}{{.KindSuffix}}.json",
                "",
                "v1",
                "Service"
            ),
            PathBuf::from("/k/service-v1.json")
        );
    }
}
