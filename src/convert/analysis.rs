//! AnalysisTemplates that judge the canary from Istio's telemetry in Prometheus, and the
//! Rollout's reference to them.
//!
//! Only canary traffic is measured: by the canary Service's name in host mode, or by the
//! canonical revision Istio reads from the pod label that the Rollout's `canaryMetadata` sets,
//! when stable and canary pods sit behind one Service. A query that returns no data (no
//! traffic yet) or NaN is inconclusive by default, so the rollout pauses for a person instead
//! of aborting.
//!
//! An app whose managed routes are all `tcp` or `tls` (passthrough: Envoy proxies it as TCP)
//! never has HTTP telemetry: `istio_requests_total` stays empty and an HTTP template could
//! only be inconclusive. It gets a TCP template ([`Selection::TcpByService`]) instead: the
//! share of the canary Service's connections that closed without an Envoy response flag, from
//! `istio_tcp_connections_closed_total` as the client proxies report it (`reporter="source"`:
//! the client's proxy knows the Service it connected to from its cluster, also when the
//! connection failed). A connection the canary refuses or cannot be reached on closes at once
//! with a flag (`UF`, `UH`, `URX`…), so failures always give data; connections that stay open
//! longer than the window give none (inconclusive, by default a pause).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value, json};

use super::object;
use crate::plan::settings::{AnalysisSettings, NoData};

/// The pod label Istio reads a workload's canonical revision from.
pub const REVISION_LABEL: &str = "service.istio.io/canonical-revision";

/// How canary traffic is told apart in the telemetry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Selection {
    /// Requests to the canary Service (`destination_service_name`).
    ByService,
    /// Requests to the app's Service served by pods of the canary revision.
    ByRevision,
    /// TCP connections to the canary Service (an app routed by tcp/tls routes only).
    TcpByService,
}

impl Selection {
    fn name_suffix(self) -> &'static str {
        match self {
            Selection::ByService => "",
            Selection::ByRevision => "-by-revision",
            Selection::TcpByService => "-tcp",
        }
    }
}

/// Where a template runs: alongside the rollout until it ends, or as a step that must end
/// by itself, so its metrics take a fixed number of measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    Background,
    Step,
}

/// The name of the shared template for these settings.
pub fn template_name(settings: &AnalysisSettings, selection: Selection, run: Run) -> String {
    let run = match run {
        Run::Background => "",
        Run::Step => "-step",
    };
    format!("{}{}{run}", settings.template_name, selection.name_suffix())
}

fn selector(selection: Selection) -> String {
    let mut labels = String::from(
        r#"reporter="source",destination_service_name="{{args.service-name}}",destination_service_namespace="{{args.namespace}}""#,
    );
    if selection == Selection::ByRevision {
        labels.push_str(r#",destination_canonical_revision="canary""#);
    }
    labels
}

/// `successCondition` and `failureCondition` for "value `op` threshold passes", with the
/// no-data policy applied to an empty or NaN result.
fn conditions(pass: &str, fail: &str, no_data: NoData) -> (String, String) {
    const HAS_DATA: &str = "len(result) > 0 && !isNaN(result[0])";
    const NO_DATA: &str = "len(result) == 0 || isNaN(result[0])";
    match no_data {
        NoData::Inconclusive => (
            format!("{HAS_DATA} && result[0] {pass}"),
            format!("{HAS_DATA} && result[0] {fail}"),
        ),
        NoData::Pass => (
            format!("{NO_DATA} || result[0] {pass}"),
            format!("{HAS_DATA} && result[0] {fail}"),
        ),
        NoData::Fail => (
            format!("{HAS_DATA} && result[0] {pass}"),
            format!("{NO_DATA} || result[0] {fail}"),
        ),
    }
}

fn metric(
    name: &str,
    settings: &AnalysisSettings,
    run: Run,
    pass: &str,
    fail: &str,
    query: String,
) -> Value {
    let (success, failure) = conditions(pass, fail, settings.no_data);
    let mut metric = json!({
        "name": name,
        "interval": settings.interval,
        "failureLimit": settings.failure_limit,
        "successCondition": success,
        "failureCondition": failure,
        "provider": {
            "prometheus": {
                "address": settings.prometheus,
                "query": query,
            }
        }
    });
    if run == Run::Step
        && let Some(map) = metric.as_object_mut()
    {
        map.shift_insert(
            2,
            "count".to_owned(),
            json!(settings.step_count.max(settings.failure_limit + 1)),
        );
    }
    metric
}

/// AnalysisTemplates made so far, by what they were made from. Conversions that share it
/// (the parts of one tree, the groups of apps of one input) build each template once and
/// hand out the same one, which also makes equal templates cheap to tell equal
/// ([`Arc::ptr_eq`]).
#[derive(Debug, Default)]
pub struct TemplateMemo {
    /// `(namespace, name)` → what each template of that name was made from, and it.
    made: Mutex<HashMap<(Option<String>, String), Variants>>,
}

/// The templates of one name: what each was made from besides its name and namespace, and it.
type Variants = Vec<((AnalysisSettings, Selection, Run), Arc<Value>)>;

impl TemplateMemo {
    /// [`template`], made once per memo for the same arguments.
    pub fn template(
        &self,
        name: &str,
        namespace: Option<&str>,
        settings: &AnalysisSettings,
        selection: Selection,
        run: Run,
    ) -> Arc<Value> {
        let key = (namespace.map(str::to_owned), name.to_owned());
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        let variants = made.entry(key).or_default();
        if let Some((_, template)) = variants
            .iter()
            .find(|((s, sel, r), _)| s == settings && *sel == selection && *r == run)
        {
            return Arc::clone(template);
        }
        let template = Arc::new(template(name, namespace, settings, selection, run));
        variants.push(((settings.clone(), selection, run), Arc::clone(&template)));
        template
    }
}

/// The AnalysisTemplate, named `name`, in `namespace`.
pub fn template(
    name: &str,
    namespace: Option<&str>,
    settings: &AnalysisSettings,
    selection: Selection,
    run: Run,
) -> Value {
    let labels = selector(selection);
    let metrics = if selection == Selection::TcpByService {
        vec![metric(
            "connection-success-rate",
            settings,
            run,
            &format!(">= {}", settings.success_rate),
            &format!("< {}", settings.success_rate),
            format!(
                "sum(rate(istio_tcp_connections_closed_total{{{labels},response_flags=\"-\"}}[2m]))\n/\nsum(rate(istio_tcp_connections_closed_total{{{labels}}}[2m]))\n"
            ),
        )]
    } else {
        http_metrics(settings, run, &labels)
    };
    let mut metadata = Map::new();
    metadata.insert("name".to_owned(), json!(name));
    if let Some(namespace) = namespace {
        metadata.insert("namespace".to_owned(), json!(namespace));
    }
    metadata.insert(
        "labels".to_owned(),
        json!({ "app.kubernetes.io/managed-by": "rolloutify" }),
    );
    object::object([
        ("apiVersion", json!("argoproj.io/v1alpha1")),
        ("kind", json!("AnalysisTemplate")),
        ("metadata", Value::Object(metadata)),
        (
            "spec",
            object::object([
                (
                    "args",
                    json!([
                        { "name": "service-name" },
                        { "name": "namespace" },
                    ]),
                ),
                ("metrics", Value::Array(metrics)),
            ]),
        ),
    ])
}

/// Success rate and, unless turned off, p99 latency of the HTTP requests `labels` select.
fn http_metrics(settings: &AnalysisSettings, run: Run, labels: &str) -> Vec<Value> {
    let mut metrics = vec![metric(
        "success-rate",
        settings,
        run,
        &format!(">= {}", settings.success_rate),
        &format!("< {}", settings.success_rate),
        format!(
            "sum(rate(istio_requests_total{{{labels},response_code!~\"5.*\"}}[2m]))\n/\nsum(rate(istio_requests_total{{{labels}}}[2m]))\n"
        ),
    )];
    if settings.latency_p99_ms > 0 {
        metrics.push(metric(
            "latency-p99",
            settings,
            run,
            &format!("<= {}", settings.latency_p99_ms),
            &format!("> {}", settings.latency_p99_ms),
            format!(
                "histogram_quantile(0.99,\n  sum(rate(istio_request_duration_milliseconds_bucket{{{labels}}}[2m])) by (le)\n)\n"
            ),
        ));
    }
    metrics
}

/// The `templates` and `args` a Rollout passes to the template, for `service` (the canary
/// Service in host mode, the app's Service otherwise).
pub fn reference(template: &str, service: &str) -> Value {
    json!({
        "templates": [ { "templateName": template } ],
        "args": [
            { "name": "service-name", "value": service },
            { "name": "namespace", "valueFrom": { "fieldRef": { "fieldPath": "metadata.namespace" } } },
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Lookup as _;
    use crate::plan::settings::Settings;

    #[test]
    fn the_memo_makes_each_template_once_and_as_template_makes_it() {
        let memo = TemplateMemo::default();
        let settings = Settings::default().analysis;
        let make = |name, namespace, settings: &AnalysisSettings, run| {
            memo.template(name, namespace, settings, Selection::ByService, run)
        };
        let first = make("t", Some("shop"), &settings, Run::Background);
        assert_eq!(
            *first,
            template(
                "t",
                Some("shop"),
                &settings,
                Selection::ByService,
                Run::Background
            )
        );
        assert!(Arc::ptr_eq(
            &first,
            &make("t", Some("shop"), &settings, Run::Background)
        ));
        // Anything it is made from differs: another template.
        let stricter = AnalysisSettings {
            success_rate: 0.99,
            ..settings.clone()
        };
        for other in [
            make("t", Some("shop"), &stricter, Run::Background),
            make("t", Some("shop"), &settings, Run::Step),
            make("t", Some("cart"), &settings, Run::Background),
            make("u", Some("shop"), &settings, Run::Background),
            memo.template(
                "t",
                Some("shop"),
                &settings,
                Selection::ByRevision,
                Run::Background,
            ),
        ] {
            assert_ne!(*other, *first);
        }
    }

    #[test]
    fn tcp_templates_measure_connections_of_the_canary_service() {
        let settings = Settings::default().analysis;
        assert_eq!(
            template_name(&settings, Selection::TcpByService, Run::Step),
            "istio-canary-health-tcp-step"
        );
        let template = template(
            "t",
            Some("shop"),
            &settings,
            Selection::TcpByService,
            Run::Background,
        );
        let metrics = template
            .lookup("/spec/metrics")
            .and_then(Value::as_array)
            .unwrap();
        assert_eq!(metrics.len(), 1);
        let query = metrics[0]
            .lookup("/provider/prometheus/query")
            .and_then(Value::as_str)
            .unwrap();
        assert_eq!(
            query,
            "sum(rate(istio_tcp_connections_closed_total{reporter=\"source\",destination_service_name=\"{{args.service-name}}\",destination_service_namespace=\"{{args.namespace}}\",response_flags=\"-\"}[2m]))\n/\nsum(rate(istio_tcp_connections_closed_total{reporter=\"source\",destination_service_name=\"{{args.service-name}}\",destination_service_namespace=\"{{args.namespace}}\"}[2m]))\n"
        );
    }

    #[test]
    fn no_data_is_inconclusive_by_default() {
        let (success, failure) = conditions(">= 0.95", "< 0.95", NoData::Inconclusive);
        assert_eq!(
            success,
            "len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.95"
        );
        assert_eq!(
            failure,
            "len(result) > 0 && !isNaN(result[0]) && result[0] < 0.95"
        );
        let (success, _) = conditions(">= 0.95", "< 0.95", NoData::Pass);
        assert!(success.starts_with("len(result) == 0 ||"));
    }

    #[test]
    fn revision_queries_isolate_the_canary() {
        let settings = Settings::default().analysis;
        let template = template(
            "t",
            Some("shop"),
            &settings,
            Selection::ByRevision,
            Run::Step,
        );
        let query = template
            .lookup("/spec/metrics/0/provider/prometheus/query")
            .and_then(Value::as_str)
            .unwrap();
        assert!(query.contains(r#"destination_canonical_revision="canary""#));
        assert_eq!(
            template.lookup("/spec/metrics/1/name"),
            Some(&json!("latency-p99"))
        );
        assert_eq!(template.lookup("/spec/metrics/0/count"), Some(&json!(5)));
    }
}
