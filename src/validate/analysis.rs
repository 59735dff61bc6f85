//! Analysis metrics: the controller's rules for metrics (Argo Rollouts'
//! `utils/analysis/factory.go` and helpers), that step analysis terminates, and (in
//! [`super::measure`]) what a measurement would do: the query parses, the conditions compile,
//! and what no data makes of the measurement.

use std::collections::HashSet;

use serde_json::Value;

use super::value::go_duration;
use super::{at, references};
use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind};
use crate::load::{Document, FieldPath, Lookup as _};

const PROVIDERS: [&str; 16] = [
    "prometheus",
    "kayenta",
    "web",
    "datadog",
    "wavefront",
    "newRelic",
    "job",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
    "plugin",
    "apm",
    "honeycomb",
    "dynatrace",
    "sumologic",
];

fn int_or_string(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The controller's rules for the metrics of an AnalysisTemplate.
pub fn check_template(template: &Document, findings: &mut Vec<Finding>) {
    let metrics = template
        .value
        .lookup("/spec/metrics")
        .and_then(Value::as_array);
    let mut names = HashSet::new();
    for (i, metric) in metrics.into_iter().flatten().enumerate() {
        let path = FieldPath::parse("spec.metrics").index(i);
        let error = |field: Option<&str>, rule, message: String| {
            let path = match field {
                Some(field) => path.clone().key(field),
                None => path.clone(),
            };
            Finding::at(
                template,
                &path,
                Severity::Error,
                rule,
                format!("metrics[{i}]: {message}"),
            )
        };
        let name = metric
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !names.insert(name.to_owned()) {
            findings.push(at(
                template,
                &path.clone().key("name"),
                Severity::Error,
                "analysis/duplicate-metric",
                format!("two metrics have the same name '{name}'"),
            ));
        }
        let count = int_or_string(metric.get("count"));
        let failure_limit = metric
            .get("failureLimit")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let inconclusive_limit = metric
            .get("inconclusiveLimit")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if let Some(count) = count {
            if count < failure_limit {
                findings.push(error(
                    Some("count"),
                    "analysis/count-limits",
                    "count must be >= failureLimit".to_owned(),
                ));
            }
            if count < inconclusive_limit {
                findings.push(error(
                    Some("count"),
                    "analysis/count-limits",
                    "count must be >= inconclusiveLimit".to_owned(),
                ));
            }
        }
        let interval = metric
            .get("interval")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        if count.is_some_and(|c| c > 1) && interval.is_none() {
            findings.push(error(
                Some("count"),
                "analysis/interval",
                "interval must be specified when count > 1".to_owned(),
            ));
        }
        for field in ["interval", "initialDelay"] {
            if let Some(text) = metric
                .get(field)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty() && !s.contains("{{"))
                && go_duration(text).is_none()
            {
                findings.push(error(
                    Some(field),
                    "analysis/duration",
                    format!("invalid {field} string: time: invalid duration {text:?}"),
                ));
            }
        }
        for field in ["failureLimit", "inconclusiveLimit", "consecutiveErrorLimit"] {
            if let Some(limit) = metric.get(field).and_then(Value::as_i64)
                && limit < if field == "failureLimit" { -1 } else { 0 }
            {
                findings.push(error(
                    Some(field),
                    "analysis/limits",
                    format!("{field} must be >= 0"),
                ));
            }
        }
        let providers = metric
            .get("provider")
            .and_then(Value::as_object)
            .map_or(0, |p| {
                p.keys().filter(|k| PROVIDERS.contains(&k.as_str())).count()
            });
        match providers {
            0 => findings.push(error(
                Some("provider"),
                "analysis/provider",
                "no provider specified".to_owned(),
            )),
            1 => {}
            _ => findings.push(error(
                Some("provider"),
                "analysis/provider",
                "multiple providers specified".to_owned(),
            )),
        }
        super::measure::check_metric(template, metric, &path, findings);
    }
}

/// Analysis run as a step must end: every metric of its templates needs a count (or no
/// interval).
pub fn check_rollout(index: &Index, rollout_index: usize, findings: &mut Vec<Finding>) {
    let rollout = &index.documents[rollout_index];
    for (path, name, cluster, in_step) in references::template_references(rollout) {
        if !in_step {
            continue;
        }
        let kind = if cluster {
            Kind::ClusterAnalysisTemplate
        } else {
            Kind::AnalysisTemplate
        };
        let found = if cluster {
            index
                .of_kind(kind)
                .find(|&t| index.documents[t].name() == name)
        } else {
            index.find(kind, &name, rollout.namespace())
        };
        let Some(template) = found else { continue };
        let metrics = index.documents[template]
            .value
            .lookup("/spec/metrics")
            .and_then(Value::as_array);
        for metric in metrics.into_iter().flatten() {
            let has_interval = metric
                .get("interval")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            let count = metric.get("count").filter(|c| !c.is_null());
            if has_interval && count.is_none() {
                let metric_name = metric
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                findings.push(
                    at(
                        rollout,
                        &path,
                        Severity::Error,
                        "analysis/step-never-ends",
                        format!("AnalysisTemplate {name} has metric {metric_name} which runs indefinitely. Invalid value for count: <nil>"),
                    )
                    .with_hint("give the metric a count, or run the template as background analysis"),
                );
            }
        }
    }
}
