//! What a measurement of a metric would do, checked offline: its Prometheus query parses
//! ([`promql`]), its conditions compile against the controller's environment
//! ([`condition`]), and what an empty answer (`[]`: no traffic yet, a label typo), a `NaN`
//! (`0/0` of a rate with no requests) and an ordinary value make of the measurement, found by
//! running the conditions on them.

use serde_json::Value;

use super::condition::{self, Condition, Conditions, Phase, ResultShape};
use super::promql::{self, Answer};
use crate::finding::{Finding, Severity};
use crate::load::{Document, FieldPath, scalar};

/// The controller's default `consecutiveErrorLimit` (`utils/defaults`).
pub const DEFAULT_CONSECUTIVE_ERROR_LIMIT: i64 = 4;

/// `{{…}}` placeholders replaced by a value of the same length: letters inside a string, a
/// number elsewhere (the controller substitutes the arguments' text before compiling).
fn substitute(text: &str) -> (String, Vec<std::ops::Range<usize>>) {
    let mut out = String::with_capacity(text.len());
    let mut ranges = Vec::new();
    let mut quote = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("{{")
            && let Some(end) = after.find("}}")
        {
            let len = end + 4;
            ranges.push(out.len()..out.len() + len);
            if quote.is_some() {
                out.push_str(&"x".repeat(len));
            } else {
                out.push('1');
                out.push_str(&" ".repeat(len - 1));
            }
            rest = &rest[len..];
            continue;
        }
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'' | '`') => quote = Some(c),
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (out, ranges)
}

/// `1 failed measurement`, `2 failed measurements`.
fn plural(n: i64, what: &str) -> String {
    if n == 1 {
        format!("{n} {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn limit(metric: &Value, field: &str, default: i64) -> i64 {
    match metric.get(field) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(default),
        Some(Value::String(s)) => s.parse().unwrap_or(default),
        _ => default,
    }
}

/// The checks of one metric (at `path`, `spec.metrics[i]`).
pub fn check_metric(
    template: &Document,
    metric: &Value,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    let name = metric
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let prometheus = metric
        .get("provider")
        .and_then(|p| p.get("prometheus"))
        .filter(|p| p.is_object());
    let mut shape = if prometheus.is_some() {
        ResultShape::Vector
    } else {
        ResultShape::Unknown
    };
    if let Some(query) = prometheus
        .and_then(|p| p.get("query"))
        .and_then(Value::as_str)
    {
        let query_path = path.clone().key("provider").key("prometheus").key("query");
        match promql::check(query) {
            Ok(Answer::Vector) => {}
            Ok(Answer::Scalar) => shape = ResultShape::Scalar,
            Ok(Answer::Unknown) => shape = ResultShape::Unknown,
            Ok(Answer::String) => findings.push(
                Finding::at(
                    template,
                    &query_path,
                    Severity::Error,
                    "analysis/promql",
                    format!("metric {name}: the query returns a string, and the controller's Prometheus provider takes vectors, matrices and scalars only (\"Prometheus metric type not supported\"): every measurement ends in Error"),
                )
                .with_hint("query a vector or a scalar"),
            ),
            Err(error) => {
                let mut finding = Finding::at(
                    template,
                    &query_path,
                    if error.in_placeholder {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                    "analysis/promql",
                    if error.in_placeholder {
                        format!("metric {name}: the query does not parse with a placeholder in place of an argument: {}; check that the argument's value makes a valid query", error.message)
                    } else {
                        format!("metric {name}: the query does not parse: {}; Prometheus answers bad_data and every measurement ends in Error", error.message)
                    },
                )
                .with_hint("fix the query (try it in the Prometheus UI with the arguments filled in)");
                finding.location.position =
                    scalar::position_in_value(template, &query_path, error.offset);
                findings.push(finding);
            }
        }
    }
    let mut conditions = Conditions::default();
    let mut compiled = true;
    for field in ["successCondition", "failureCondition"] {
        let Some(text) = metric
            .get(field)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let (substituted, placeholders) = substitute(text);
        if placeholders.len() == 1 && placeholders[0].len() == text.trim().len() {
            // The whole condition is an argument: nothing to check before it has a value.
            compiled = false;
            continue;
        }
        match Condition::compile(&substituted, shape) {
            Ok(condition) => {
                let slot = (text.to_owned(), condition);
                if field == "successCondition" {
                    conditions.success = Some(slot);
                } else {
                    conditions.failure = Some(slot);
                }
            }
            Err(error) if error.unsupported => {
                compiled = false;
                findings.push(Finding::at(
                    template,
                    &path.clone().key(field),
                    Severity::Note,
                    "analysis/condition",
                    format!("metric {name}: {field} not checked: {}", error.message),
                ));
            }
            Err(error) => {
                compiled = false;
                let in_placeholder = placeholders.iter().any(|r| r.contains(&error.offset));
                let field_path = path.clone().key(field);
                let result_type = match shape {
                    ResultShape::Vector => "result is []float64 (the query returns a vector)",
                    ResultShape::Scalar => "result is float64 (the query returns a scalar)",
                    ResultShape::Unknown => "result is what the provider returns",
                };
                let mut finding = Finding::at(
                    template,
                    &field_path,
                    if in_placeholder { Severity::Warning } else { Severity::Error },
                    "analysis/condition",
                    format!("metric {name}: {field} does not compile: {}; the controller compiles it for every measurement, which then ends in Error ({result_type})", error.message),
                )
                .with_hint("conditions are expr (expr-lang.org) over `result` and asInt, asFloat, isNaN, isInf, isNil, default; e.g. `len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.95`");
                finding.location.position =
                    scalar::position_in_value(template, &field_path, error.offset);
                findings.push(finding);
            }
        }
    }
    if prometheus.is_some() && compiled {
        check_no_data(template, metric, path, name, shape, &conditions, findings);
    }
}

/// Runs the conditions on no data, NaN and an ordinary value, and says when the measurement
/// would fail or error.
fn check_no_data(
    template: &Document,
    metric: &Value,
    path: &FieldPath,
    name: &str,
    shape: ResultShape,
    conditions: &Conditions,
    findings: &mut Vec<Finding>,
) {
    let inputs: &[(&str, condition::Value)] = match shape {
        ResultShape::Scalar => &[("NaN", condition::Value::Float(f64::NAN))],
        _ => &[
            ("[] (no data)", condition::Value::Array(Vec::new())),
            (
                "[NaN]",
                condition::Value::Array(vec![condition::Value::Float(f64::NAN)]),
            ),
        ],
    };
    let error_limit = limit(
        metric,
        "consecutiveErrorLimit",
        DEFAULT_CONSECUTIVE_ERROR_LIMIT,
    );
    let failure_limit = limit(metric, "failureLimit", 0);
    let explicit_failure = |result: &condition::Value| {
        conditions
            .failure
            .as_ref()
            .is_some_and(|(_, c)| c.evaluate(result) == condition::Evaluated::Bool(true))
    };
    let mut errors = Vec::new();
    let mut failures = Vec::new();
    let mut intended = Vec::new();
    for (label, input) in inputs {
        let outcome = conditions.evaluate(input);
        if let Some(what) = outcome.not_evaluated {
            findings.push(Finding::at(
                template,
                &path
                    .clone()
                    .key(outcome.condition.unwrap_or("successCondition")),
                Severity::Note,
                "analysis/no-data",
                format!("metric {name}: what no data does is not checked: {what}"),
            ));
            return;
        }
        match outcome.phase {
            Phase::Error => errors.push((
                *label,
                outcome.condition.unwrap_or("successCondition"),
                outcome.message.unwrap_or_default(),
            )),
            Phase::Failed if explicit_failure(input) => intended.push(*label),
            Phase::Failed => failures.push(*label),
            _ => {}
        }
    }
    // An ordinary value: one series. A condition that errors on it errors on every answer of
    // this shape.
    let ordinary = match shape {
        ResultShape::Scalar => condition::Value::Float(1.0),
        _ => condition::Value::Array(vec![condition::Value::Float(1.0)]),
    };
    let on_data = conditions.evaluate(&ordinary);
    if on_data.phase == Phase::Error && on_data.not_evaluated.is_none() {
        findings.push(
            Finding::at(
                template,
                &path
                    .clone()
                    .key(on_data.condition.unwrap_or("successCondition")),
                Severity::Warning,
                "analysis/condition-errors",
                format!(
                    "metric {name}: with one series of value 1 the measurement ends in Error: {}",
                    on_data.message.unwrap_or_default()
                ),
            )
            .with_hint(
                "a query that returns one series gives `result` one element: read result[0]",
            ),
        );
    }
    if let Some((_, field, message)) = errors.first() {
        let labels: Vec<&str> = errors.iter().map(|(l, _, _)| *l).collect();
        findings.push(
            Finding::at(
                template,
                &path.clone().key(field),
                Severity::Warning,
                "analysis/unguarded-result",
                format!("metric {name}: on {} the measurement ends in Error ({message}); after {} (consecutiveErrorLimit {error_limit}) the AnalysisRun ends in Error and the rollout aborts", labels.join(" and "), plural(error_limit + 1, "consecutive error")),
            )
            .with_hint("guard it, e.g. `len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.95`, and give the opposite guarded failureCondition so no data is inconclusive; `rolloutify analysis FILE --result '[]'` shows what the run decides"),
        );
    }
    if !failures.is_empty() {
        findings.push(
            Finding::at(
                template,
                &path.clone().key("successCondition"),
                Severity::Warning,
                "analysis/no-data-fails",
                format!("metric {name}: on {} the measurement is Failed (the successCondition is false and there is no failureCondition); after {} (failureLimit {failure_limit}) the AnalysisRun fails and the rollout aborts", failures.join(" and "), plural(failure_limit + 1, "failed measurement")),
            )
            .with_hint("give a failureCondition that is false on no data, so no data is Inconclusive and the rollout pauses instead"),
        );
    }
    if !intended.is_empty() {
        findings.push(Finding::at(
            template,
            &path.clone().key("failureCondition"),
            Severity::Note,
            "analysis/no-data-fails",
            format!(
                "metric {name}: the failureCondition holds on {}: no data fails the measurement, as written",
                intended.join(" and ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_conditions_keep_their_length() {
        let (text, ranges) = substitute("result[0] >= {{args.threshold}} && 'a' == '{{args.x}}'");
        assert_eq!(
            text.len(),
            "result[0] >= {{args.threshold}} && 'a' == '{{args.x}}'".len()
        );
        assert_eq!(ranges.len(), 2);
        assert!(
            Condition::compile(&text, ResultShape::Vector).is_ok(),
            "{text}"
        );
    }
}
