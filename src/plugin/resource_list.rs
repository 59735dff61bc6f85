//! The KRM function: a `config.kubernetes.io/v1` `ResourceList` in, the same list with its
//! `items` converted and the findings as `results` out (the KRM Functions Specification, as
//! kustomize, kpt and Argo CD config-management plugins run it).
//!
//! Resources keep the `config.kubernetes.io/*` and `internal.config.kubernetes.io/*`
//! annotations the host put on them. A new resource (canary/stable Service,
//! AnalysisTemplate) goes to the file of the resource it was made from: it gets that file's
//! `path` annotations and no `index` or `id`, which the host assigns.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::PluginError;
use crate::config::{self, Config};
use crate::convert::{self, Conversion, Origin};
use crate::emit::yaml;
use crate::finding::{Finding, Severity};
use crate::load::{self, Document, Limits, Lookup as _, Source};
use crate::plan::ConvertOptions;
use crate::validate::{self, ValidateOptions};

pub const API_VERSIONS: &[&str] = &["config.kubernetes.io/v1", "config.kubernetes.io/v1alpha1"];
pub const KIND: &str = "ResourceList";

/// Annotations that say which file and place a resource came from.
const PATH_ANNOTATIONS: &[&str] = &[
    "config.kubernetes.io/path",
    "internal.config.kubernetes.io/path",
];
/// Annotations that identify one resource of the input, which a new resource must not copy.
const IDENTITY_ANNOTATIONS: &[&str] = &[
    "config.kubernetes.io/index",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/id",
    "config.k8s.io/id",
    "kustomize.config.k8s.io/id",
];

/// The `ResourceList` to print, and whether the function failed (its `results` hold errors).
#[derive(Debug, Clone)]
pub struct FunctionOutput {
    pub text: String,
    pub failed: bool,
    /// The errors, to print on standard error too: a host may show only that.
    pub errors: Vec<Finding>,
}

/// Runs the function on the text of a `ResourceList`.
///
/// Errors that leave no list to answer with (unparseable input, a bad `functionConfig`) are
/// `Err`; findings, errors among them, are `results` of the list.
pub fn run(input: Source, limits: &Limits) -> Result<FunctionOutput, PluginError> {
    let source = Arc::new(input);
    let file = source.name();
    let not_a_list = |message: String| PluginError::NotAResourceList {
        file: file.clone(),
        message,
    };
    let mut objects = load::parse_objects(&source, limits)?;
    if objects.len() != 1 {
        return Err(not_a_list(format!(
            "expected one ResourceList document, found {}",
            objects.len()
        )));
    }
    let list = objects.remove(0);
    if list.kind() != KIND || !API_VERSIONS.contains(&list.api_version()) {
        return Err(not_a_list(format!(
            "expected apiVersion config.kubernetes.io/v1 and kind {KIND}, found {} {}",
            list.api_version(),
            list.kind()
        )));
    }
    let config = match list.field_document("functionConfig") {
        Some(document) => config::from_document(&document)?,
        None if list.value.get("functionConfig").is_none_or(Value::is_null) => Config::default(),
        None => return Err(not_a_list("`functionConfig` must be a mapping".to_owned())),
    };
    let items = match list.value.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(_)) => {
            load::check_items(&source, &list)?;
            list.list_items()
        }
        Some(_) => return Err(not_a_list("`items` must be a list".to_owned())),
    };

    let options = ConvertOptions {
        config,
        ..ConvertOptions::default()
    };
    let conversion = convert::outcome::convert_checked(
        &items,
        &options,
        &convert::TemplateMemo::default(),
        |conversion| validate::check_conversion(&items, conversion),
    )?;
    crate::plan::select::check(&items, &options, &conversion.selected)?;
    // What stops the function: the items come back as they were (see `super::gate`).
    let refused = super::gate::blocking(&items, &options.config, &conversion);
    let (out_items, results) = if refused.is_empty() {
        let converted = validate::converted_documents(&items, &conversion);
        let mut findings = conversion.findings.clone();
        findings.extend(validate::validate(&converted, &ValidateOptions::default()).findings);
        findings.sort();
        findings.dedup();
        let values = with_host_annotations(&items, &conversion);
        // Conversion findings name the input resources (the Deployment a Rollout replaced).
        let known: Vec<Document> = converted.into_iter().chain(items.iter().cloned()).collect();
        let results = findings
            .iter()
            .map(|f| result(f, &known))
            .collect::<Vec<_>>();
        (values, results)
    } else {
        let values = items.iter().map(|d| Value::clone(&d.value)).collect();
        let results = refused.iter().map(|f| result(f, &items)).collect();
        (values, results)
    };
    let failed = !refused.is_empty()
        || results
            .iter()
            .any(|r| r.get("severity").and_then(Value::as_str) == Some("error"));
    let errors = refused;

    let mut answer = Map::new();
    answer.insert("apiVersion".into(), json!(list.api_version()));
    answer.insert("kind".into(), json!(KIND));
    answer.insert("items".into(), Value::Array(out_items));
    if let Some(function_config) = list.value.get("functionConfig") {
        answer.insert("functionConfig".into(), function_config.clone());
    }
    if !results.is_empty() {
        answer.insert("results".into(), Value::Array(results));
    }
    let mut text = String::new();
    yaml::write_document(&mut text, &Value::Object(answer));
    Ok(FunctionOutput {
        text,
        failed,
        errors,
    })
}

/// The converted items, with the host's annotations: kept on resources that were in the
/// input, and for new ones the file of the resource they were made from.
fn with_host_annotations(items: &[Document], conversion: &Conversion) -> Vec<Value> {
    conversion
        .outputs
        .iter()
        .map(|output| {
            let mut value = Value::clone(&output.value);
            if let Origin::Added { after } = output.origin {
                let parent = items
                    .get(after)
                    .and_then(|d| d.value.lookup("/metadata/annotations"))
                    .and_then(Value::as_object);
                place_new_resource(&mut value, parent);
            }
            value
        })
        .collect()
}

fn place_new_resource(value: &mut Value, parent: Option<&Map<String, Value>>) {
    let inherited: Vec<(&str, Value)> = PATH_ANNOTATIONS
        .iter()
        .filter_map(|key| Some((*key, parent?.get(*key)?.clone())))
        .collect();
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        for key in IDENTITY_ANNOTATIONS {
            annotations.remove(*key);
        }
    }
    if inherited.is_empty() {
        return;
    }
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(annotations) = annotations.as_object_mut() {
        for (key, path) in inherited {
            annotations.insert(key.to_owned(), path);
        }
    }
}

/// One finding as a KRM `Result`.
fn result(finding: &Finding, documents: &[Document]) -> Value {
    let mut result = Map::new();
    result.insert("message".into(), json!(finding.message));
    result.insert(
        "severity".into(),
        json!(match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "info",
        }),
    );
    let document = documents
        .iter()
        .find(|d| d.resource_id() == finding.resource);
    if let Some(document) = document {
        let mut reference = Map::new();
        reference.insert("apiVersion".into(), json!(document.api_version()));
        reference.insert("kind".into(), json!(document.kind()));
        reference.insert("name".into(), json!(document.name()));
        if let Some(namespace) = document.namespace() {
            reference.insert("namespace".into(), json!(namespace));
        }
        result.insert("resourceRef".into(), Value::Object(reference));
    }
    if !finding.field.is_empty() {
        result.insert("field".into(), json!({ "path": finding.field }));
    }
    if let Some(file) = document.and_then(host_file) {
        result.insert("file".into(), file);
    }
    let mut tags = Map::new();
    tags.insert("rule".into(), json!(finding.rule));
    if let Some(hint) = &finding.hint {
        tags.insert("hint".into(), json!(hint));
    }
    result.insert("tags".into(), Value::Object(tags));
    Value::Object(result)
}

/// The file (and document index in it) the host says a resource came from.
fn host_file(document: &Document) -> Option<Value> {
    let annotations = document
        .value
        .lookup("/metadata/annotations")
        .and_then(Value::as_object)?;
    let path = PATH_ANNOTATIONS
        .iter()
        .find_map(|key| annotations.get(*key)?.as_str())?;
    let index = [
        "internal.config.kubernetes.io/index",
        "config.kubernetes.io/index",
    ]
    .iter()
    .find_map(|key| annotations.get(*key)?.as_str()?.parse::<u64>().ok());
    let mut file = Map::new();
    file.insert("path".into(), json!(path));
    if let Some(index) = index {
        file.insert("index".into(), json!(index));
    }
    Some(Value::Object(file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Origin as SourceOrigin;

    fn run_on(text: &str) -> Result<FunctionOutput, PluginError> {
        run(
            Source {
                origin: SourceOrigin::Stdin,
                text: text.to_owned(),
            },
            &Limits::default(),
        )
    }

    const LIST: &str = "\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
functionConfig:
  apiVersion: rolloutify.io/v1alpha1
  kind: Rolloutify
  metadata: {name: canary}
  # The app has no VirtualService: the warning says so, and passes.
  strict: false
  defaults:
    steps: 20,pause,100
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    annotations:
      rolloutify.io/convert: 'true'
      config.kubernetes.io/path: web/app.yaml
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: web/app.yaml
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/id: '1'
  spec:
    selector:
      matchLabels: {app: web}
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: web
          image: nginx:1.27
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    annotations:
      config.kubernetes.io/path: web/app.yaml
      config.kubernetes.io/index: '1'
      internal.config.kubernetes.io/id: '2'
  spec:
    selector: {app: web}
    ports:
    - port: 80
";

    fn items(output: &FunctionOutput) -> Vec<Value> {
        let loaded = load::load_text("out.yaml", &output.text, &Limits::default()).expect("yaml");
        loaded
            .documents
            .iter()
            .map(|d| Value::clone(&d.value))
            .collect()
    }

    #[test]
    fn converts_the_items_and_keeps_the_hosts_annotations() {
        let output = run_on(LIST).expect("runs");
        assert!(!output.failed, "{}", output.text);
        let items = items(&output);
        let rollout = items
            .iter()
            .find(|v| v["kind"] == "Rollout")
            .expect("a Rollout");
        assert_eq!(
            rollout["metadata"]["annotations"]["internal.config.kubernetes.io/id"],
            "1"
        );
        assert_eq!(
            rollout["spec"]["strategy"]["canary"]["steps"][0],
            json!({"setWeight": 20})
        );
        assert!(items.iter().all(|v| v["kind"] != "Deployment"));
        let canary = items
            .iter()
            .find(|v| v["metadata"]["name"] == "web-canary")
            .expect("a canary Service");
        let annotations = &canary["metadata"]["annotations"];
        assert_eq!(annotations["config.kubernetes.io/path"], "web/app.yaml");
        assert!(annotations.get("config.kubernetes.io/index").is_none());
        assert!(
            annotations
                .get("internal.config.kubernetes.io/id")
                .is_none()
        );
        assert!(output.text.contains("functionConfig:"));
    }

    #[test]
    fn findings_become_results_with_resource_field_and_file() {
        let text = LIST.replace("    steps: 20,pause,100\n", "");
        let bad = format!(
            "{text}- apiVersion: argoproj.io/v1alpha1\n  kind: Rollout\n  metadata:\n    name: other\n    annotations: {{config.kubernetes.io/path: other.yaml, config.kubernetes.io/index: '3'}}\n  spec:\n    selector: {{matchLabels: {{app: other}}}}\n    template:\n      metadata: {{labels: {{app: other}}}}\n      spec: {{containers: [{{name: a, image: a}}]}}\n    strategy:\n      canary:\n        steps:\n        - setWeight: 120\n"
        );
        let output = run_on(&bad).expect("runs");
        assert!(output.failed, "{}", output.text);
        let list = load::parse_objects(
            &Arc::new(Source {
                origin: SourceOrigin::Stdin,
                text: output.text.clone(),
            }),
            &Limits::default(),
        )
        .expect("yaml");
        let results = list[0].value["results"].as_array().expect("results");
        let weight = results
            .iter()
            .find(|r| r["resourceRef"]["name"] == "other" && r["severity"] == "error")
            .expect("the bad weight");
        assert_eq!(weight["resourceRef"]["kind"], "Rollout");
        assert_eq!(weight["file"], json!({"path": "other.yaml", "index": 3}));
        assert!(
            weight["field"]["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("spec.strategy.canary.steps[0]")),
            "{weight}"
        );
    }

    #[test]
    fn refuses_what_is_not_a_resource_list() {
        let error = run_on("apiVersion: v1\nkind: List\nitems: []\n").expect_err("not a list");
        assert!(error.to_string().contains("ResourceList"), "{error}");
        let error = run_on(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {apiVersion: v1, kind: ConfigMap}\n",
        )
        .expect_err("not a Rolloutify config");
        assert!(error.to_string().contains("Rolloutify"), "{error}");
        let empty = run_on("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
            .expect("an empty list is fine");
        assert!(!empty.failed);
    }
}
