//! Analysis metrics: the controller's rules for metrics (Argo Rollouts'
//! `utils/analysis/factory.go` `ValidateMetric`), the checks it makes on the templates of one
//! analysis after merging them (`utils/analysis/helpers.go` `NewAnalysisRunFromTemplates`,
//! `pkg/apis/rollouts/validation/validation_references.go` `ValidateAnalysisTemplatesWithType`),
//! that step analysis terminates, and (in [`super::measure`]) what a measurement would do: the
//! query parses, the conditions compile, and what no data makes of the measurement.
//!
//! A metric the analysis controller refuses ends the AnalysisRun in phase Error, which aborts
//! the rollout: those are errors here, like the controller's own refusals.

use std::collections::HashSet;

use serde_json::Value;

use super::value::go_duration_error;
use super::{at, references};
use crate::finding::{Finding, Severity};
use crate::index::Index;
use crate::load::{Document, FieldPath, Lookup as _};

/// The providers `ValidateMetric` counts (factory.go:220-257); each plugin counts once.
const PROVIDERS: [&str; 11] = [
    "prometheus",
    "job",
    "web",
    "wavefront",
    "kayenta",
    "datadog",
    "newRelic",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
];

/// An `IntOrString` limit as `IntValue()` reads it: a number, or a string holding one (else
/// 0). `None` when absent, or when it is an `{{args.…}}` placeholder only the run resolves.
fn int_value(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s.contains("{{") => None,
        Value::String(s) => Some(s.trim().parse().unwrap_or(0)),
        _ => None,
    }
}

/// Whether a limit is a placeholder the run resolves (its rules cannot be checked offline).
fn is_placeholder(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains("{{"))
}

/// `ValidateMetric` (factory.go:149-265): the first rule a metric breaks, as the field at fault
/// and the controller's message.
fn metric_error(metric: &Value) -> Option<(&'static str, String)> {
    let raw = |field: &str| metric.get(field).filter(|v| !v.is_null());
    if [
        "count",
        "failureLimit",
        "consecutiveSuccessLimit",
        "inconclusiveLimit",
    ]
    .into_iter()
    .any(|f| is_placeholder(raw(f)))
    {
        return provider_error(metric);
    }
    let count = int_value(raw("count")).unwrap_or(0);
    let failure_limit = int_value(raw("failureLimit")).unwrap_or(0);
    let success_limit = int_value(raw("consecutiveSuccessLimit")).unwrap_or(0);
    let inconclusive_limit = int_value(raw("inconclusiveLimit")).unwrap_or(0);
    if success_limit < 0 {
        return Some((
            "consecutiveSuccessLimit",
            "consecutiveSuccessLimit must be >= 0".to_owned(),
        ));
    }
    if failure_limit < -1 {
        return Some((
            "failureLimit",
            "failureLimit must be >= 0, or -1 to be disabled".to_owned(),
        ));
    }
    if success_limit == 0 && failure_limit == -1 {
        return Some((
            "failureLimit",
            "failureLimit and consecutiveSuccessLimit cannot both be disabled".to_owned(),
        ));
    }
    if inconclusive_limit < 0 {
        return Some((
            "inconclusiveLimit",
            "inconclusiveLimit must be >= 0".to_owned(),
        ));
    }
    if int_value(raw("consecutiveErrorLimit")).is_some_and(|l| l < 0) {
        return Some((
            "consecutiveErrorLimit",
            "consecutiveErrorLimit must be >= 0".to_owned(),
        ));
    }
    // `count: 0` (or none) is unbounded: no count rule applies (factory.go:191).
    if count > 0 {
        if success_limit >= 0 && failure_limit >= 0 {
            if count < failure_limit + success_limit {
                return Some((
                    "count",
                    format!(
                        "count ({count}) must be >= failureLimit + consecutiveSuccessLimit ({failure_limit} + {success_limit}) if both >= 0"
                    ),
                ));
            }
        } else if success_limit >= 0 && failure_limit < 0 && count < success_limit {
            return Some((
                "count",
                "count must be >= consecutiveSuccessLimit".to_owned(),
            ));
        }
        if count < inconclusive_limit {
            return Some(("count", "count must be >= inconclusiveLimit".to_owned()));
        }
    }
    let text = |field| {
        metric
            .get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if count > 1 && text("interval").is_none() {
        return Some((
            "count",
            "interval must be specified when count > 1".to_owned(),
        ));
    }
    for (field, name) in [("interval", "interval"), ("initialDelay", "startDelay")] {
        if let Some(why) = text(field)
            .filter(|s| !s.contains("{{"))
            .and_then(go_duration_error)
        {
            return Some((field, format!("invalid {name} string: {why}")));
        }
    }
    provider_error(metric)
}

fn provider_error(metric: &Value) -> Option<(&'static str, String)> {
    let providers = metric
        .get("provider")
        .and_then(Value::as_object)
        .map_or(0, |p| {
            let plugins = p
                .get("plugin")
                .and_then(Value::as_object)
                .map_or(0, serde_json::Map::len);
            p.iter()
                .filter(|(k, v)| PROVIDERS.contains(&k.as_str()) && !v.is_null())
                .count()
                + plugins
        });
    match providers {
        0 => Some(("provider", "no provider specified".to_owned())),
        1 => None,
        _ => Some(("provider", "multiple providers specified".to_owned())),
    }
}

/// The controller's rules for the metrics of an AnalysisTemplate (`ValidateMetrics`,
/// factory.go:131-146), which the analysis controller applies to every run.
pub fn check_template(template: &Document, findings: &mut Vec<Finding>) {
    let metrics = template
        .value
        .lookup("/spec/metrics")
        .and_then(Value::as_array);
    if metrics.is_none_or(Vec::is_empty) {
        findings.push(
            Finding::at(
                template,
                &FieldPath::parse("spec.metrics"),
                Severity::Error,
                "analysis/no-metrics",
                "Analysis spec invalid: no metrics specified",
            )
            .with_hint("give the template at least one metric; a run without metrics ends in Error and aborts the rollout"),
        );
    }
    let mut names = HashSet::new();
    for (i, metric) in metrics.into_iter().flatten().enumerate() {
        let path = FieldPath::parse("spec.metrics").index(i);
        let name = metric
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !names.insert(name.to_owned()) {
            findings.push(
                at(
                    template,
                    &path.clone().key("name"),
                    Severity::Error,
                    "analysis/duplicate-metric",
                    format!("two metrics have the same name '{name}'"),
                )
                .with_hint("give each metric its own name"),
            );
        }
        if let Some((field, message)) = metric_error(metric) {
            let rule = match field {
                "provider" => "analysis/provider",
                "count" if message.starts_with("interval") => "analysis/interval",
                "count" => "analysis/count-limits",
                "interval" | "initialDelay" => "analysis/duration",
                _ => "analysis/limits",
            };
            let hint = match rule {
                "analysis/provider" => {
                    "give the metric exactly one provider (prometheus, web, job, …)"
                }
                "analysis/interval" => {
                    "give the metric an interval (e.g. 1m) between its measurements"
                }
                "analysis/duration" => "write a Go duration: 30s, 5m, 1h30m",
                _ => {
                    "set the limits so the controller can run the metric: it ends the AnalysisRun in Error otherwise, which aborts the rollout"
                }
            };
            findings.push(
                Finding::at(
                    template,
                    &path.clone().key(field),
                    Severity::Error,
                    rule,
                    format!("metrics[{i}]: {message}"),
                )
                .with_hint(hint),
            );
        }
        super::measure::check_metric(template, metric, &path, findings);
    }
}

/// One analysis of a Rollout: its templates are merged into one AnalysisRun.
struct Analysis<'v> {
    /// The analysis block (`spec.strategy.canary.analysis`, `…steps[i].analysis`, …).
    path: FieldPath,
    block: &'v Value,
    /// Background analysis is checked less by the controller's validation (but its run is
    /// resolved the same way).
    background: bool,
    /// Step analysis must end.
    step: bool,
}

fn analyses(rollout: &Document) -> Vec<Analysis<'_>> {
    let strategy = &rollout.value["spec"]["strategy"];
    let mut found = Vec::new();
    if let Some(block) = strategy
        .lookup("/canary/analysis")
        .filter(|v| v.is_object())
    {
        found.push(Analysis {
            path: FieldPath::parse("spec.strategy.canary.analysis"),
            block,
            background: true,
            step: false,
        });
    }
    let steps = strategy.lookup("/canary/steps").and_then(Value::as_array);
    for (i, step) in steps.into_iter().flatten().enumerate() {
        if let Some(block) = step.get("analysis").filter(|v| v.is_object()) {
            found.push(Analysis {
                path: FieldPath::parse("spec.strategy.canary.steps")
                    .index(i)
                    .key("analysis"),
                block,
                background: false,
                step: true,
            });
        }
    }
    for key in ["prePromotionAnalysis", "postPromotionAnalysis"] {
        if let Some(block) = strategy
            .get("blueGreen")
            .and_then(|b| b.get(key))
            .filter(|v| v.is_object())
        {
            found.push(Analysis {
                path: FieldPath::parse("spec.strategy.blueGreen").key(key),
                block,
                background: false,
                step: false,
            });
        }
    }
    found
}

fn list<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn name_of(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// An argument's value as the controller compares them: `None` when it has none.
fn arg_value(arg: &Value) -> Option<String> {
    match arg.get("value")? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Every `{{tag}}` in the strings of a metric (fasttemplate's tags, trimmed), with the
/// metric's JSON as the controller marshals it.
fn placeholders(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("{{") {
                let after = &rest[start + 2..];
                let Some(end) = after.find("}}") else { break };
                out.push(after[..end].trim().to_owned());
                rest = &after[end + 2..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| placeholders(v, out)),
        Value::Object(map) => map.values().for_each(|v| placeholders(v, out)),
        _ => {}
    }
}

/// The first `{{tag}}` of a metric that is not one of `args`: the controller fails with
/// `failed to resolve {{tag}}` (utils/template/template.go `resolve`).
fn unresolved_placeholder(metric: &Value, args: &[String]) -> Option<String> {
    let mut tags = Vec::new();
    placeholders(metric, &mut tags);
    tags.into_iter().find(|tag| {
        tag.strip_prefix("args.")
            .is_none_or(|name| !args.iter().any(|a| a == name))
    })
}

/// Whether a dryRun or measurementRetention rule (a Go regexp, unanchored) matches a metric
/// name (`GetDryRunMetrics`, helpers.go:126-145).
fn rule_matches(pattern: &str, name: &str) -> bool {
    regex::Regex::new(pattern).is_ok_and(|r| r.is_match(name))
}

/// The checks of one analysis, on its templates merged as the controller merges them; the
/// first failure, as the controller stops at the first.
fn check_analysis(
    index: &Index,
    rollout: &Document,
    analysis: &Analysis,
    all: &[Analysis],
    findings: &mut Vec<Finding>,
) {
    let templates_path = analysis.path.clone().key("templates");
    let mut templates: Vec<(FieldPath, &Document)> = Vec::new();
    for (i, reference) in list(analysis.block, "templates").iter().enumerate() {
        let Some(name) = reference.get("templateName").and_then(Value::as_str) else {
            return;
        };
        let cluster = reference
            .get("clusterScope")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // A template that is not in the input may be in the cluster: nothing merged is known.
        let Some(found) = references::find_template(index, rollout, name, cluster) else {
            return;
        };
        templates.push((
            templates_path.clone().index(i).key("templateName"),
            &index.documents[found],
        ));
    }
    if templates.is_empty() {
        return;
    }
    // AnalysisTemplates first, then ClusterAnalysisTemplates (FlattenTemplates).
    templates.sort_by_key(|(_, t)| t.kind() == "ClusterAnalysisTemplate");
    let names: Vec<&str> = templates.iter().map(|(_, t)| t.name()).collect();
    let value = format!("templateNames: [{}]", names.join(" "));
    let refuse = |rule: &'static str, message: String, hint: &str| {
        at(
            rollout,
            &templates_path,
            Severity::Error,
            rule,
            format!("Invalid value: {value:?}: {message}"),
        )
        .with_hint(hint.to_owned())
    };
    let spec = |t: &Document| t.value.get("spec").cloned().unwrap_or(Value::Null);
    let specs: Vec<Value> = templates.iter().map(|(_, t)| spec(t)).collect();
    // flattenMetrics (helpers.go:396-414): unique names across the merged templates.
    let mut metric_names: Vec<String> = Vec::new();
    for (t, spec) in specs.iter().enumerate() {
        for metric in list(spec, "metrics") {
            let name = name_of(metric, "name");
            let earlier = specs[..t]
                .iter()
                .flat_map(|s| list(s, "metrics"))
                .any(|m| name_of(m, "name") == name);
            if earlier {
                findings.push(refuse(
                    "analysis/duplicate-metric",
                    format!("two metrics have the same name '{name}'"),
                    "metric names must be unique across the templates of one analysis: rename one",
                ));
                return;
            }
            metric_names.push(name);
        }
    }
    // flattenDryRunMetrics / flattenMeasurementRetentionMetrics (helpers.go:440-494).
    for (key, what) in [
        ("dryRun", "Dry-Run"),
        ("measurementRetention", "Measurement Retention"),
    ] {
        let mut seen = HashSet::new();
        for rule in specs.iter().flat_map(|s| list(s, key)) {
            let name = name_of(rule, "metricName");
            if !seen.insert(name.clone()) {
                findings.push(refuse(
                    "analysis/dry-run",
                    format!("two {what} metric rules have the same name '{name}'"),
                    "name each metric once in the rules of the merged templates",
                ));
                return;
            }
        }
    }
    // flattenArgs (helpers.go:357-394): one name, one value.
    let mut merged: Vec<(String, Value)> = Vec::new();
    for arg in specs.iter().flat_map(|s| list(s, "args")) {
        let name = name_of(arg, "name");
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, previous)) => {
                if let (Some(a), Some(b)) = (arg_value(previous), arg_value(arg))
                    && a != b
                {
                    findings.push(refuse(
                        "analysis/args",
                        format!("Argument `{name}` specified multiple times with different values: '{a}', '{b}'"),
                        "give the argument one value, or leave it without one in all but one template",
                    ));
                    return;
                }
                if arg_value(previous).is_none() {
                    *previous = arg.clone();
                }
            }
            None => merged.push((name, arg.clone())),
        }
    }
    // MergeArgs (helpers.go:236-253): what the Rollout passes fills the rest; every argument
    // passed resolves (with "" when it has no value: buildAnalysisArgs).
    let passed: Vec<String> = list(analysis.block, "args")
        .iter()
        .map(|a| name_of(a, "name"))
        .collect();
    for (name, arg) in &merged {
        let resolved = arg.get("value").is_some_and(|v| !v.is_null())
            || arg.get("valueFrom").is_some_and(|v| !v.is_null())
            || passed.contains(name);
        if !resolved {
            findings.push(refuse(
                "reference/analysis-arg-missing",
                format!("args.{name} was not resolved"),
                &format!("add `- name: {name}` with a value or valueFrom to the args of this analysis, or give the template argument a value"),
            ));
            return;
        }
    }
    // mergeDryRunMetrics / mergeMeasurementRetentionMetrics with each step's own rules
    // (validation_references.go:137-147 checks every analysis step against these templates).
    for step in all.iter().filter(|a| a.step) {
        for (key, what) in [
            ("dryRun", "Dry-Run"),
            ("measurementRetention", "Measurement Retention"),
        ] {
            let mut seen = HashSet::new();
            for rule in list(step.block, key)
                .iter()
                .chain(specs.iter().flat_map(|s| list(s, key)))
            {
                let name = name_of(rule, "metricName");
                if !seen.insert(name.clone()) {
                    findings.push(refuse(
                        "analysis/dry-run",
                        format!("two {what} metric rules have the same name '{name}'"),
                        "a step's rules must not name a metric the templates' rules already name",
                    ));
                    return;
                }
            }
        }
    }
    // The run's rules must each match a metric (GetDryRunMetrics, helpers.go:126-145; the
    // analysis controller ends the run in Error otherwise, analysis/analysis.go:79-97).
    for (key, field) in [
        ("dryRun", "dryRun"),
        ("measurementRetention", "measurementRetention"),
    ] {
        let rules: Vec<&Value> = list(analysis.block, key)
            .iter()
            .chain(specs.iter().flat_map(|s| list(s, key)))
            .collect();
        for (i, rule) in rules.iter().enumerate() {
            let pattern = name_of(rule, "metricName");
            if !metric_names.iter().any(|m| rule_matches(&pattern, m)) {
                findings.push(refuse(
                    "analysis/dry-run",
                    format!("Analysis spec invalid: {field}[{i}]: Rule didn't match any metric name(s)"),
                    "the metricName of a rule is a regular expression that must match a metric of the merged templates",
                ));
                return;
            }
        }
    }
    let merged_names: Vec<String> = merged.iter().map(|(n, _)| n.clone()).collect();
    for ((path, template), spec) in templates.iter().zip(&specs) {
        let args = list(spec, "args");
        let declared: Vec<String> = args.iter().map(|a| name_of(a, "name")).collect();
        if !analysis.background {
            // validateAnalysisMetrics (validation_references.go:588-607), per template.
            if let Some(arg) = args.iter().find(|a| {
                a.get("valueFrom").is_some_and(|v| !v.is_null())
                    && a.get("value").is_some_and(|v| !v.is_null())
            }) {
                findings.push(at(
                    rollout,
                    &templates_path,
                    Severity::Error,
                    "analysis/args",
                    format!("Invalid value: {:?}: AnalysisTemplate {}: arg '{}' has both Value and ValueFrom fields", template.name(), template.name(), name_of(arg, "name")),
                ).with_hint("keep either value or valueFrom"));
                continue;
            }
        }
        // Placeholders resolve against the template's own arguments in validation, against
        // the merged ones in the run.
        let known = if analysis.background {
            &merged_names
        } else {
            &declared
        };
        let metrics = list(spec, "metrics");
        if let Some(tag) = metrics
            .iter()
            .find_map(|m| unresolved_placeholder(m, known))
        {
            findings.push(
                at(
                    rollout,
                    &templates_path,
                    Severity::Error,
                    "analysis/args",
                    format!("Invalid value: {:?}: AnalysisTemplate {}: failed to resolve {{{{{tag}}}}}", template.name(), template.name()),
                )
                .with_hint(format!("declare the argument in the args of AnalysisTemplate {}, or fix the placeholder", template.name())),
            );
            continue;
        }
        if analysis.background {
            continue;
        }
        // EffectiveCount (analysis_types.go:159-169): a metric with an interval and no count
        // (or count 0) runs until stopped, so the step (or promotion) never completes. Args
        // without a value stand for "dummy-value" here, which counts as 0.
        for metric in metrics {
            let has_interval = metric
                .get("interval")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            let count = metric.get("count").filter(|c| !c.is_null());
            let resolved_count = count.map(|c| match c {
                Value::String(s) if s.contains("{{") => {
                    let mut tags = Vec::new();
                    placeholders(c, &mut tags);
                    let value = tags
                        .first()
                        .and_then(|t| t.strip_prefix("args."))
                        .and_then(|n| args.iter().find(|a| name_of(a, "name") == n))
                        .and_then(arg_value)
                        .unwrap_or_else(|| "dummy-value".to_owned());
                    Value::String(value)
                }
                other => other.clone(),
            });
            let zero = resolved_count
                .as_ref()
                .is_none_or(|c| int_value(Some(c)).unwrap_or(0) == 0);
            if has_interval && zero {
                let shown = match &resolved_count {
                    None => "<nil>".to_owned(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                findings.push(
                    at(
                        rollout,
                        path,
                        Severity::Error,
                        "analysis/step-never-ends",
                        format!("AnalysisTemplate {} has metric {} which runs indefinitely. Invalid value for count: {shown}", template.name(), name_of(metric, "name")),
                    )
                    .with_hint("give the metric a count above 0, or run the template as background analysis"),
                );
            }
        }
    }
}

/// The checks the controller makes on each analysis of a Rollout, with its templates merged.
pub fn check_rollout(index: &Index, rollout_index: usize, findings: &mut Vec<Finding>) {
    let rollout = &index.documents[rollout_index];
    let all = analyses(rollout);
    for analysis in &all {
        check_analysis(index, rollout, analysis, &all, findings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prometheus(extra: Value) -> Value {
        let mut metric = json!({"name": "m", "provider": {"prometheus": {"query": "up"}}});
        if let (Some(m), Some(e)) = (metric.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        metric
    }

    fn message(extra: Value) -> Option<String> {
        metric_error(&prometheus(extra)).map(|(_, m)| m)
    }

    #[test]
    fn count_zero_is_unbounded() {
        assert_eq!(message(json!({"count": 0, "failureLimit": 2})), None);
        assert_eq!(
            message(json!({"count": 1, "failureLimit": 2})).as_deref(),
            Some(
                "count (1) must be >= failureLimit + consecutiveSuccessLimit (2 + 0) if both >= 0"
            )
        );
    }

    #[test]
    fn success_and_failure_limits() {
        assert_eq!(
            message(json!({"consecutiveSuccessLimit": 0, "failureLimit": -1})).as_deref(),
            Some("failureLimit and consecutiveSuccessLimit cannot both be disabled")
        );
        assert_eq!(
            message(
                json!({"count": 3, "interval": "1m", "consecutiveSuccessLimit": 2, "failureLimit": -1})
            ),
            None
        );
        assert_eq!(
            message(json!({"count": 2, "interval": "1m", "consecutiveSuccessLimit": 3, "failureLimit": -1}))
                .as_deref(),
            Some("count must be >= consecutiveSuccessLimit")
        );
        // Placeholders are resolved by the run: nothing to check offline.
        assert_eq!(
            message(json!({"count": "{{args.count}}", "failureLimit": 5})),
            None
        );
    }

    #[test]
    fn providers_are_counted_with_each_plugin() {
        let plugins = json!({"name": "m", "provider": {"plugin": {"a/one": {}, "a/two": {}}}});
        assert_eq!(
            metric_error(&plugins).map(|(_, m)| m).as_deref(),
            Some("multiple providers specified")
        );
        let one = json!({"name": "m", "provider": {"plugin": {"a/one": {}}}});
        assert_eq!(metric_error(&one), None);
    }

    #[test]
    fn placeholders_resolve_to_declared_arguments() {
        let metric = json!({"provider": {"prometheus": {"query": "up{job=\"{{ args.job }}\", x=\"{{args.x}}\"}"}}});
        assert_eq!(
            unresolved_placeholder(&metric, &["job".to_owned()]).as_deref(),
            Some("args.x")
        );
        assert_eq!(
            unresolved_placeholder(&metric, &["job".to_owned(), "x".to_owned()]),
            None
        );
        let other = json!({"successCondition": "{{templates.x.podTemplateHash}}"});
        assert_eq!(
            unresolved_placeholder(&other, &[]).as_deref(),
            Some("templates.x.podTemplateHash")
        );
    }

    #[test]
    fn rules_are_unanchored_regular_expressions() {
        assert!(rule_matches(".*", "success-rate"));
        assert!(rule_matches("success", "success-rate"));
        assert!(!rule_matches("^error", "success-rate"));
        assert!(!rule_matches("(", "success-rate"));
    }
}
