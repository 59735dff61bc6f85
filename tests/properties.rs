//! Properties of conversion on generated apps: the Rollout runs exactly the Deployment's pod
//! template, every value survives the trip through YAML, and converting twice changes nothing.

use proptest::prelude::*;
use serde_json::{Value, json};

use rolloutify::convert;
use rolloutify::emit::{self, Format};
use rolloutify::load::{self, Limits};
use rolloutify::plan::ConvertOptions;

/// Strings that YAML readers like to take for something else.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("yes".to_owned()),
        Just("no".to_owned()),
        Just("on".to_owned()),
        Just("0644".to_owned()),
        Just("1e3".to_owned()),
        Just("~".to_owned()),
        Just("null".to_owned()),
        Just("2024-01-01".to_owned()),
        Just("a: b".to_owned()),
        Just("# not a comment".to_owned()),
        Just("line one\nline two\n".to_owned()),
        Just(" leading space".to_owned()),
        "[a-zA-Z0-9 ./:_-]{0,20}",
    ]
}

/// Tricky strings that Kubernetes accepts as label values (`~`, `a: b` or a leading space
/// are refused by the API server, and by the controller's pod template validation).
fn tricky_label_value() -> impl Strategy<Value = String> {
    tricky_string().prop_filter("a valid label value", |v| {
        v.len() <= 63
            && (v.is_empty()
                || (v.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && v.ends_with(|c: char| c.is_ascii_alphanumeric())
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))))
    })
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{2,8}"
}

prop_compose! {
    fn app()(
        app in name(),
        namespace in proptest::option::of(name()),
        replicas in proptest::option::of(0u32..20),
        extra_label in proptest::option::of((name(), tricky_label_value())),
        env in proptest::collection::vec((name(), tricky_string()), 0..4),
        port in 1u32..65535,
        fqdn in any::<bool>(),
        named_route in any::<bool>(),
        with_match in any::<bool>(),
        creation_null in any::<bool>(),
    ) -> Value {
        let mut labels = serde_json::Map::new();
        labels.insert("app".into(), json!(app));
        if let Some((k, v)) = extra_label {
            labels.insert(format!("x-{k}"), json!(v));
        }
        let env: Vec<Value> = env.into_iter().map(|(k, v)| json!({"name": k.to_uppercase(), "value": v})).collect();
        let mut template_metadata = json!({"labels": labels});
        if creation_null {
            template_metadata["creationTimestamp"] = Value::Null;
        }
        let mut deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app},
            "spec": {
                "selector": {"matchLabels": {"app": app}},
                "template": {"metadata": template_metadata, "spec": {"containers": [{"name": "main", "image": "example/app:1.0", "env": env, "ports": [{"containerPort": port}]}]}}
            }
        });
        if let (Some(r), Some(spec)) = (replicas, deployment["spec"].as_object_mut()) {
            spec.shift_insert(0, "replicas".into(), json!(r));
        }
        let host = match (&namespace, fqdn) {
            (Some(ns), true) => format!("{app}.{ns}.svc.cluster.local"),
            _ => app.clone(),
        };
        let mut route = json!({"route": [{"destination": {"host": host, "port": {"number": port}}}]});
        if named_route {
            route["name"] = json!("main");
        }
        if with_match {
            route["match"] = json!([{"uri": {"prefix": "/"}}]);
        }
        let mut docs = vec![
            deployment,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app},
                   "spec": {"selector": {"app": app}, "ports": [{"port": port}]}}),
            json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService", "metadata": {"name": app},
                   "spec": {"hosts": [app], "http": [route]}}),
        ];
        if let Some(ns) = namespace {
            for doc in &mut docs {
                doc["metadata"]["namespace"] = json!(ns);
            }
        }
        json!(docs)
    }
}

fn to_yaml(docs: &Value) -> String {
    let values: Vec<&Value> = docs
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut out = String::new();
    emit::yaml::write_stream(&mut out, &values);
    out
}

fn convert_text(text: &str) -> (Vec<Value>, String) {
    let loaded = load::load_text("app.yaml", text, &Limits::default()).expect("loads");
    let conversion =
        convert::convert(&loaded.documents, &ConvertOptions::default()).expect("converts");
    let invalid = rolloutify::validate::check_conversion(&loaded.documents, &conversion);
    assert!(
        invalid.is_empty(),
        "the conversion does not validate: {invalid:#?}"
    );
    let values = conversion
        .outputs
        .iter()
        .map(|o| Value::clone(&o.value))
        .collect();
    (
        values,
        emit::render_stream(&conversion.outputs, Format::Yaml),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn rollout_runs_the_deployment_pod_template(docs in app()) {
        let (values, text) = convert_text(&to_yaml(&docs));
        let rollout = values.iter().find(|v| v["kind"] == "Rollout").expect("a Rollout");
        let mut expected = docs[0]["spec"]["template"].clone();
        if let Some(metadata) = expected["metadata"].as_object_mut() {
            metadata.retain(|k, _| k == "labels" || k == "annotations");
        }
        prop_assert_eq!(&rollout["spec"]["template"], &expected);
        prop_assert_eq!(&rollout["spec"]["selector"], &docs[0]["spec"]["selector"]);
        prop_assert_eq!(rollout["spec"].get("replicas"), docs[0]["spec"].get("replicas"));

        // The text means the same to a reader as the values.
        let reread = load::load_text("out.yaml", &text, &Limits::default()).expect("output loads");
        let reread: Vec<Value> = reread.documents.into_iter().map(|d| Value::clone(&d.value)).collect();
        prop_assert_eq!(&reread, &values);

        // Converting the output changes nothing.
        let (_, again) = convert_text(&text);
        prop_assert_eq!(again, text);
    }
}
