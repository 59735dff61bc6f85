//! What the Argo Rollouts controller would decide for an AnalysisTemplate, given the
//! measurements a user expects (`rolloutify analysis`): each measurement's phase from the
//! metric's conditions (`utils/evaluate`), each metric's phase from its counters and limits,
//! and the run's phase as the worst of its metrics (`analysis/analysis.go`:
//! `runMeasurements`, `assessMetricStatus`, `assessMetricFailureInconclusiveOrError`,
//! `assessRunStatus`).
//!
//! Measurements are taken in rounds, one per metric still running: the n-th given result is
//! every metric's n-th measurement (intervals and initial delays are not timed). As in the
//! controller, once a metric ends Failed, Error or Inconclusive the run terminates: the
//! metrics still running are assessed as terminating and take no more measurements. Dry-run
//! metrics (`spec.dryRun`) count for nothing in the run's phase.

use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::load::{Document, Lookup as _};
use crate::validate::condition::{self, Condition, Conditions, Phase, ResultShape, parse_result};

/// One measurement as given: the provider's result, or a provider error (Prometheus
/// unreachable, a query it refuses).
#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    Result {
        text: String,
        value: condition::Value,
        shape: ResultShape,
    },
    ProviderError,
}

impl Given {
    /// `[]`, `[0.97]`, `[NaN]`, `0.5` (a scalar), or `error`.
    pub fn parse(text: &str) -> Result<Given, String> {
        if text.trim() == "error" {
            return Ok(Given::ProviderError);
        }
        let (value, shape) = parse_result(text)?;
        Ok(Given::Result {
            text: text.trim().to_owned(),
            value,
            shape,
        })
    }

    fn label(&self) -> &str {
        match self {
            Given::Result { text, .. } => text,
            Given::ProviderError => "error",
        }
    }
}

/// The measurements to run: for every metric, and for single metrics.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub all: Vec<Given>,
    pub by_metric: Vec<(String, Vec<Given>)>,
}

impl Inputs {
    /// Adds `--result` text: `VALUE` for every metric, `METRIC=VALUE` for one.
    pub fn add(&mut self, text: &str) -> Result<(), String> {
        let trimmed = text.trim();
        let global = trimmed.starts_with('[')
            || trimmed == "error"
            || parse_result(trimmed).is_ok()
            || !trimmed.contains('=');
        if global {
            self.all.push(Given::parse(trimmed)?);
            return Ok(());
        }
        let (metric, value) = trimmed.split_once('=').unwrap_or(("", trimmed));
        let given = Given::parse(value)?;
        match self.by_metric.iter_mut().find(|(m, _)| m == metric) {
            Some((_, list)) => list.push(given),
            None => self.by_metric.push((metric.to_owned(), vec![given])),
        }
        Ok(())
    }

    fn for_metric(&self, name: &str) -> &[Given] {
        self.by_metric
            .iter()
            .find(|(m, _)| m == name)
            .map_or(&self.all, |(_, list)| list)
    }
}

/// Why the run could not be worked out.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnalysisError {
    #[error("{file}: no AnalysisTemplate or ClusterAnalysisTemplate in it")]
    NoTemplate { file: String },
    #[error("no measurements given")]
    NoResults,
    #[error("--result {metric}=…: {template} has no metric {metric}")]
    UnknownMetric { template: String, metric: String },
    #[error(
        "{file}: {template} metric {metric}: {field} uses {{{{args.{arg}}}}}, which has no value"
    )]
    MissingArgument {
        file: String,
        template: String,
        metric: String,
        field: String,
        arg: String,
    },
}

impl AnalysisError {
    pub fn hint(&self) -> &'static str {
        match self {
            AnalysisError::NoTemplate { .. } => "give the file that holds the AnalysisTemplate",
            AnalysisError::NoResults => {
                "give the measurements with --result, e.g. --result '[]' --result '[0.97]'"
            }
            AnalysisError::UnknownMetric { .. } => "name a metric of the template, or drop METRIC=",
            AnalysisError::MissingArgument { .. } => {
                "give the argument a value with --arg NAME=VALUE"
            }
        }
    }
}

/// A metric's settings that decide its phase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricSpec {
    pub name: String,
    pub count: Option<i64>,
    pub interval: bool,
    pub failure_limit: Option<i64>,
    pub inconclusive_limit: i64,
    pub consecutive_error_limit: i64,
    pub consecutive_success_limit: i64,
}

impl MetricSpec {
    /// `Metric.EffectiveCount`: 1 without count and interval, unbounded with only an interval.
    fn effective_count(&self) -> Option<i64> {
        match self.count {
            None | Some(0) if !self.interval => Some(1),
            None | Some(0) => None,
            count => count,
        }
    }
}

/// A metric's counters (`MetricResult`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub count: i64,
    pub successful: i64,
    pub failed: i64,
    pub inconclusive: i64,
    pub error: i64,
    pub consecutive_error: i64,
    pub consecutive_success: i64,
    /// Measurements taken, the last one completed.
    pub measurements: usize,
}

impl Counters {
    /// `runMeasurements`: the counters after a completed measurement.
    pub fn record(&mut self, phase: Phase) {
        self.measurements += 1;
        match phase {
            Phase::Successful => {
                self.successful += 1;
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success += 1;
            }
            Phase::Failed => {
                self.failed += 1;
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success = 0;
            }
            Phase::Inconclusive => {
                self.inconclusive += 1;
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success = 0;
            }
            Phase::Error => {
                self.error += 1;
                self.consecutive_error += 1;
                self.consecutive_success = 0;
            }
            Phase::Running | Phase::Pending => {}
        }
    }
}

/// `assessMetricFailureInconclusiveOrError`: the phase a limit forces, and why.
pub fn limit_reached(spec: &MetricSpec, counters: &Counters) -> Option<(Phase, String)> {
    let mut reached = None;
    let failure_limit = spec.failure_limit.unwrap_or(0);
    if failure_limit >= 0 && counters.failed > failure_limit {
        reached = Some((
            Phase::Failed,
            format!(
                "failed ({}) > failureLimit ({failure_limit})",
                counters.failed
            ),
        ));
    }
    if counters.inconclusive > spec.inconclusive_limit {
        reached = Some((
            Phase::Inconclusive,
            format!(
                "inconclusive ({}) > inconclusiveLimit ({})",
                counters.inconclusive, spec.inconclusive_limit
            ),
        ));
    }
    if counters.consecutive_error > spec.consecutive_error_limit {
        reached = Some((
            Phase::Error,
            format!(
                "consecutiveErrors ({}) > consecutiveErrorLimit ({})",
                counters.consecutive_error, spec.consecutive_error_limit
            ),
        ));
    }
    reached
}

/// `assessMetricStatus`, for a metric whose last measurement completed (or that has none).
pub fn assess_metric(spec: &MetricSpec, counters: &Counters, terminating: bool) -> Phase {
    if counters.measurements == 0 {
        return if terminating {
            Phase::Successful
        } else {
            Phase::Pending
        };
    }
    if let Some((phase, _)) = limit_reached(spec, counters) {
        return phase;
    }
    let success_applicable = spec.consecutive_success_limit > 0;
    if success_applicable && counters.consecutive_success >= spec.consecutive_success_limit {
        return Phase::Successful;
    }
    if let Some(count) = spec.effective_count()
        && counters.count >= count
    {
        let failure_applicable = spec.failure_limit.is_none_or(|l| l >= 0);
        return match (failure_applicable, success_applicable) {
            (true, true) => Phase::Inconclusive,
            (false, true) => Phase::Failed,
            _ => Phase::Successful,
        };
    }
    if terminating {
        Phase::Successful
    } else {
        Phase::Running
    }
}

/// One measurement as the controller would record it.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub given: String,
    pub phase: Phase,
    pub message: Option<String>,
}

/// A metric of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRun {
    pub spec: MetricSpec,
    pub dry_run: bool,
    pub measured: Vec<Measured>,
    pub counters: Counters,
    pub phase: Phase,
    /// Why a limit decided the phase.
    pub reason: Option<String>,
    /// Measurements given but not taken, because the metric or the run had ended.
    pub unused: usize,
    /// The run ended (another metric failed, errored or was inconclusive) while this metric
    /// was still running.
    pub stopped_by_run: bool,
    /// A note on conditions this evaluator could not run.
    pub not_evaluated: Option<String>,
}

/// The run of one template.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub template: String,
    pub metrics: Vec<MetricRun>,
    pub phase: Phase,
    pub message: Option<String>,
}

fn int(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A condition with the template's arguments put in, as the controller resolves them.
fn resolve(
    text: &str,
    args: &[(String, String)],
    missing: impl Fn(String) -> AnalysisError,
) -> Result<String, AnalysisError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = rest[start + 2..start + end].trim();
        match inner.strip_prefix("args.") {
            Some(name) => match args.iter().find(|(n, _)| n == name) {
                Some((_, value)) => out.push_str(value),
                None => return Err(missing(name.to_owned())),
            },
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Works out the run of `template` (an AnalysisTemplate or ClusterAnalysisTemplate) for
/// `inputs`, with `args` (`NAME=VALUE`, winning over the template's values).
pub fn run(
    template: &Document,
    args: &[(String, String)],
    inputs: &Inputs,
) -> Result<Run, AnalysisError> {
    let resource = template.resource_id();
    let mut values: Vec<(String, String)> = args.to_vec();
    for arg in template
        .value
        .lookup("/spec/args")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(name), Some(value)) = (
            arg.get("name").and_then(Value::as_str),
            arg.get("value").and_then(Value::as_str),
        ) && !values.iter().any(|(n, _)| n == name)
        {
            values.push((name.to_owned(), value.to_owned()));
        }
    }
    let metrics: Vec<&Value> = template
        .value
        .lookup("/spec/metrics")
        .and_then(Value::as_array)
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    for (metric, _) in &inputs.by_metric {
        if !metrics
            .iter()
            .any(|m| m.get("name").and_then(Value::as_str) == Some(metric))
        {
            return Err(AnalysisError::UnknownMetric {
                template: resource.clone(),
                metric: metric.clone(),
            });
        }
    }
    let dry_run: Vec<&str> = template
        .value
        .lookup("/spec/dryRun")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("metricName").and_then(Value::as_str))
        .collect();
    struct State<'a> {
        run: MetricRun,
        success: Option<String>,
        failure: Option<String>,
        given: &'a [Given],
    }
    let mut states = Vec::new();
    for metric in &metrics {
        let name = metric
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut texts = [None, None];
        for (slot, field) in ["successCondition", "failureCondition"].iter().enumerate() {
            if let Some(text) = metric
                .get(*field)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                texts[slot] = Some(resolve(text, &values, |arg| {
                    AnalysisError::MissingArgument {
                        file: template.source.name(),
                        template: resource.clone(),
                        metric: name.clone(),
                        field: (*field).to_owned(),
                        arg,
                    }
                })?);
            }
        }
        let [success, failure] = texts;
        // Limits and counts may be arguments too (`count: "{{args.count}}"`).
        let int = |value: Option<&Value>| match value {
            Some(Value::String(text)) if text.contains("{{") => {
                resolve(text, &values, |_| AnalysisError::NoResults)
                    .ok()
                    .and_then(|t| t.trim().parse().ok())
            }
            other => int(other),
        };
        let spec = MetricSpec {
            count: int(metric.get("count")),
            interval: metric
                .get("interval")
                .and_then(Value::as_str)
                .is_some_and(|i| !i.is_empty()),
            failure_limit: int(metric.get("failureLimit")),
            inconclusive_limit: int(metric.get("inconclusiveLimit")).unwrap_or(0),
            consecutive_error_limit: int(metric.get("consecutiveErrorLimit"))
                .unwrap_or(crate::validate::DEFAULT_CONSECUTIVE_ERROR_LIMIT),
            consecutive_success_limit: int(metric.get("consecutiveSuccessLimit")).unwrap_or(0),
            name: name.clone(),
        };
        states.push(State {
            run: MetricRun {
                dry_run: dry_run.iter().any(|d| *d == name || *d == ".*"),
                spec,
                measured: Vec::new(),
                counters: Counters::default(),
                phase: Phase::Pending,
                reason: None,
                unused: 0,
                stopped_by_run: false,
                not_evaluated: None,
            },
            success,
            failure,
            given: inputs.for_metric(&name),
        });
    }
    if states.iter().all(|s| s.given.is_empty()) {
        return Err(AnalysisError::NoResults);
    }
    let rounds = states.iter().map(|s| s.given.len()).max().unwrap_or(0);
    let mut terminating = false;
    for round in 0..rounds {
        if terminating {
            break;
        }
        for state in &mut states {
            let completed = !matches!(state.run.phase, Phase::Pending | Phase::Running);
            let Some(given) = state.given.get(round) else {
                continue;
            };
            if completed {
                continue;
            }
            let measured = measure(given, state.success.as_deref(), state.failure.as_deref());
            if let Some(note) = measured.1 {
                state.run.not_evaluated.get_or_insert(note);
            }
            state.run.counters.record(measured.0.phase);
            state.run.measured.push(measured.0);
            state.run.phase = assess_metric(&state.run.spec, &state.run.counters, false);
        }
        // `IsTerminating`: a metric (not in dry-run) ended Failed, Error or Inconclusive.
        terminating = states.iter().any(|s| {
            !s.run.dry_run
                && matches!(
                    s.run.phase,
                    Phase::Failed | Phase::Error | Phase::Inconclusive
                )
        });
    }
    let mut worst: Option<Phase> = None;
    let mut message = None;
    let mut everything_completed = true;
    for state in &mut states {
        let run = &mut state.run;
        run.unused = state.given.len().saturating_sub(run.measured.len());
        if terminating && matches!(run.phase, Phase::Pending | Phase::Running) {
            run.stopped_by_run = true;
            run.phase = assess_metric(&run.spec, &run.counters, true);
        }
        run.reason = limit_reached(&run.spec, &run.counters).map(|(_, why)| why);
        if matches!(run.phase, Phase::Pending | Phase::Running) {
            everything_completed = false;
            continue;
        }
        if run.dry_run {
            worst.get_or_insert(Phase::Successful);
            continue;
        }
        if worst.is_none_or(|w| run.phase > w) {
            worst = Some(run.phase);
            if let Some(reason) = &run.reason {
                message = Some(format!(
                    "Metric \"{}\" assessed {} due to {reason}",
                    run.spec.name, run.phase
                ));
            }
        }
    }
    let phase = match worst {
        Some(w) if terminating || everything_completed => w,
        _ => Phase::Running,
    };
    Ok(Run {
        template: resource,
        metrics: states.into_iter().map(|s| s.run).collect(),
        phase,
        message: if phase == Phase::Running {
            None
        } else {
            message
        },
    })
}

/// One measurement: the phase `EvaluateResult` gives, and a note when a condition could not
/// be run here.
fn measure(
    given: &Given,
    success: Option<&str>,
    failure: Option<&str>,
) -> (Measured, Option<String>) {
    let Given::Result {
        text, value, shape, ..
    } = given
    else {
        return (
            Measured {
                given: given.label().to_owned(),
                phase: Phase::Error,
                message: Some("the metric provider failed".to_owned()),
            },
            None,
        );
    };
    let mut conditions = Conditions::default();
    for (field, text_of, slot) in [
        ("successCondition", success, &mut conditions.success),
        ("failureCondition", failure, &mut conditions.failure),
    ] {
        let Some(condition_text) = text_of else {
            continue;
        };
        match Condition::compile(condition_text, *shape) {
            Ok(compiled) => *slot = Some((condition_text.to_owned(), compiled)),
            Err(error) => {
                return (
                    Measured {
                        given: text.clone(),
                        phase: Phase::Error,
                        message: Some(format!(
                            "could not evaluate {field} \"{condition_text}\": {error}"
                        )),
                    },
                    None,
                );
            }
        }
    }
    let outcome = conditions.evaluate(value);
    let note = outcome.not_evaluated.clone();
    (
        Measured {
            given: text.clone(),
            phase: if note.is_some() {
                Phase::Pending
            } else {
                outcome.phase
            },
            message: outcome.message,
        },
        note,
    )
}

/// The AnalysisTemplates of `documents`.
pub fn templates(documents: &[Document]) -> impl Iterator<Item = &Document> {
    documents
        .iter()
        .filter(|d| matches!(d.kind(), "AnalysisTemplate" | "ClusterAnalysisTemplate"))
}

/// What the rollout does with an analysis that ends in `phase`.
fn consequence(phase: Phase) -> &'static str {
    match phase {
        Phase::Successful => "the analysis passes: the rollout goes on",
        Phase::Failed | Phase::Error => {
            "the rollout aborts: traffic goes back to the stable version"
        }
        Phase::Inconclusive => "the rollout pauses until a person promotes or aborts it",
        Phase::Running | Phase::Pending => "the analysis goes on: more measurements decide it",
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.template)?;
        for metric in &self.metrics {
            let spec = &metric.spec;
            let mut settings = String::new();
            match spec.effective_count() {
                Some(count) => write!(settings, "count {count}")?,
                None => settings.push_str("count unbounded"),
            }
            write!(
                settings,
                ", failureLimit {}, inconclusiveLimit {}, consecutiveErrorLimit {}",
                spec.failure_limit.unwrap_or(0),
                spec.inconclusive_limit,
                spec.consecutive_error_limit
            )?;
            if spec.consecutive_success_limit > 0 {
                write!(
                    settings,
                    ", consecutiveSuccessLimit {}",
                    spec.consecutive_success_limit
                )?;
            }
            let dry = if metric.dry_run { " (dry run)" } else { "" };
            writeln!(f, "  metric {}{dry} ({settings})", spec.name)?;
            let width = metric
                .measured
                .iter()
                .map(|m| m.given.chars().count())
                .max()
                .unwrap_or(0);
            for (i, m) in metric.measured.iter().enumerate() {
                let phase = if m.phase == Phase::Pending {
                    "not evaluated".to_owned()
                } else {
                    m.phase.to_string()
                };
                write!(f, "    {:>2}  {:<width$}  {phase}", i + 1, m.given)?;
                match &m.message {
                    Some(message) => writeln!(f, ": {message}")?,
                    None => writeln!(f)?,
                }
            }
            if let Some(note) = &metric.not_evaluated {
                writeln!(f, "    ({note}: the phase is not known)")?;
            }
            let c = &metric.counters;
            write!(
                f,
                "    => {}: {} successful, {} failed, {} inconclusive, {} error",
                metric.phase, c.successful, c.failed, c.inconclusive, c.error
            )?;
            if c.consecutive_error > 0 {
                write!(f, " ({} consecutive)", c.consecutive_error)?;
            }
            if let Some(reason) = &metric.reason {
                write!(f, "; {reason}")?;
            } else if metric.phase == Phase::Running
                && let Some(count) = spec.effective_count()
            {
                write!(f, "; {} more measurements to take", count - c.count)?;
            }
            if metric.stopped_by_run {
                write!(f, "; assessed when the run ended")?;
            }
            if metric.unused > 0 {
                write!(
                    f,
                    "; {} given result{} not measured (the {} had ended)",
                    metric.unused,
                    if metric.unused == 1 { "" } else { "s" },
                    if metric.stopped_by_run {
                        "run"
                    } else {
                        "metric"
                    }
                )?;
            }
            writeln!(f)?;
        }
        write!(f, "  run: {}", self.phase)?;
        if let Some(message) = &self.message {
            write!(f, " ({message})")?;
        }
        writeln!(f, ": {}", consequence(self.phase))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(failure_limit: Option<i64>, interval: bool) -> MetricSpec {
        MetricSpec {
            name: "success-rate".to_owned(),
            interval,
            failure_limit,
            consecutive_error_limit: 4,
            ..MetricSpec::default()
        }
    }

    fn counters(failed: i64, successful: i64, count: i64, consecutive_success: i64) -> Counters {
        Counters {
            count,
            failed,
            successful,
            consecutive_success,
            measurements: 1,
            ..Counters::default()
        }
    }

    // analysis/analysis_test.go: TestAssessMetricStatusNoMeasurements
    #[test]
    fn no_measurements() {
        let s = spec(None, false);
        let c = Counters::default();
        assert_eq!(assess_metric(&s, &c, false), Phase::Pending);
        assert_eq!(assess_metric(&s, &c, true), Phase::Successful);
    }

    // TestAssessMetricStatusFailureLimit
    #[test]
    fn failure_limit() {
        let mut s = spec(Some(2), true);
        let c = counters(3, 0, 3, 0);
        assert_eq!(assess_metric(&s, &c, false), Phase::Failed);
        assert_eq!(assess_metric(&s, &c, true), Phase::Failed);
        s.failure_limit = Some(3);
        assert_eq!(assess_metric(&s, &c, false), Phase::Running);
        assert_eq!(assess_metric(&s, &c, true), Phase::Successful);
    }

    // TestAssessMetricStatusConsecutiveSuccessLimit
    #[test]
    fn consecutive_success_limit() {
        let mut s = spec(Some(-1), true);
        s.consecutive_success_limit = 3;
        let c = counters(3, 4, 7, 3);
        assert_eq!(assess_metric(&s, &c, false), Phase::Successful);
        s.consecutive_success_limit = 5;
        assert_eq!(assess_metric(&s, &c, false), Phase::Running);
        assert_eq!(assess_metric(&s, &c, true), Phase::Successful);
        s.count = Some(7);
        assert_eq!(assess_metric(&s, &c, false), Phase::Failed);
        s.consecutive_success_limit = 3;
        assert_eq!(assess_metric(&s, &c, false), Phase::Successful);
        s.count = Some(9);
        assert_eq!(assess_metric(&s, &c, true), Phase::Successful);
        s.consecutive_success_limit = 5;
        assert_eq!(assess_metric(&s, &c, false), Phase::Running);
        assert_eq!(assess_metric(&s, &c, true), Phase::Successful);
    }

    // TestAssessMetricStatusFailureLimitAndConsecutiveSuccessLimit (limited analysis)
    #[test]
    fn failure_limit_and_consecutive_success_limit() {
        let mut s = spec(Some(4), true);
        s.consecutive_success_limit = 4;
        assert_eq!(
            assess_metric(&s, &counters(3, 4, 7, 3), false),
            Phase::Running
        );
        assert_eq!(
            assess_metric(&s, &counters(5, 9, 9, 0), false),
            Phase::Failed
        );
        assert_eq!(
            assess_metric(&s, &counters(3, 5, 8, 4), false),
            Phase::Successful
        );
        s.count = Some(10);
        assert_eq!(
            assess_metric(&s, &counters(4, 6, 10, 3), false),
            Phase::Inconclusive
        );
        assert_eq!(
            assess_metric(&s, &counters(5, 5, 10, 3), true),
            Phase::Failed
        );
        assert_eq!(
            assess_metric(&s, &counters(4, 6, 10, 4), false),
            Phase::Successful
        );
        assert_eq!(
            assess_metric(&s, &counters(3, 5, 8, 3), true),
            Phase::Successful
        );
    }

    // TestAssessMetricStatusInconclusiveLimit, TestAssessMetricStatusConsecutiveErrors,
    // TestAssessMetricStatusCountReached
    #[test]
    fn inconclusive_error_and_count() {
        let mut s = spec(None, true);
        s.inconclusive_limit = 2;
        let c = Counters {
            inconclusive: 3,
            count: 3,
            measurements: 1,
            ..Counters::default()
        };
        assert_eq!(assess_metric(&s, &c, false), Phase::Inconclusive);
        s.inconclusive_limit = 3;
        assert_eq!(assess_metric(&s, &c, false), Phase::Running);
        assert_eq!(assess_metric(&s, &c, true), Phase::Successful);
        let s = spec(None, true);
        let mut c = Counters {
            consecutive_error: 5,
            count: 5,
            measurements: 1,
            ..Counters::default()
        };
        assert_eq!(assess_metric(&s, &c, false), Phase::Error);
        c.consecutive_error = 4;
        assert_eq!(assess_metric(&s, &c, true), Phase::Successful);
        assert_eq!(assess_metric(&s, &c, false), Phase::Running);
        let mut s = spec(None, false);
        s.count = Some(10);
        let mut c = counters(0, 10, 10, 10);
        assert_eq!(assess_metric(&s, &c, false), Phase::Successful);
        c.successful = 5;
        c.inconclusive = 5;
        assert_eq!(assess_metric(&s, &c, false), Phase::Inconclusive);
    }

    // TestAssessMetricFailureInconclusiveOrError: the messages.
    #[test]
    fn limit_messages() {
        let s = spec(Some(2), true);
        let c = counters(3, 0, 3, 0);
        assert_eq!(
            limit_reached(&s, &c),
            Some((Phase::Failed, "failed (3) > failureLimit (2)".to_owned()))
        );
        let c = Counters {
            consecutive_error: 5,
            ..Counters::default()
        };
        assert_eq!(
            limit_reached(&s, &c),
            Some((
                Phase::Error,
                "consecutiveErrors (5) > consecutiveErrorLimit (4)".to_owned()
            ))
        );
    }

    // TestRunMeasurementsResetConsecutiveErrorCounter
    #[test]
    fn a_success_resets_the_consecutive_errors() {
        let mut c = Counters::default();
        for phase in [Phase::Error, Phase::Error, Phase::Successful] {
            c.record(phase);
        }
        assert_eq!((c.error, c.consecutive_error, c.count), (2, 0, 1));
    }

    fn template(body: &str) -> Document {
        let text = format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n{body}"
        );
        let loaded = crate::load::load_text("t.yaml", &text, &crate::load::Limits::default())
            .expect("loads");
        loaded.documents[0].clone()
    }

    const TWO: &str = "  metrics:\n    - name: a\n      interval: 1m\n      count: 2\n      successCondition: result[0] > 0.5\n    - name: b\n      interval: 1m\n      count: 2\n      successCondition: result[0] > 0.9\n";

    // TestReconcileAnalysisRunTerminateSiblingAfterFail: a failed metric ends the run, and
    // the sibling still running is assessed as terminating.
    #[test]
    fn a_failure_terminates_the_siblings() {
        let mut inputs = Inputs::default();
        inputs.add("[0.7]").unwrap();
        inputs.add("[0.7]").unwrap();
        let run = run(&template(TWO), &[], &inputs).unwrap();
        assert_eq!(run.phase, Phase::Failed);
        assert_eq!(run.metrics[0].phase, Phase::Successful);
        assert!(run.metrics[0].stopped_by_run);
        assert_eq!(run.metrics[0].measured.len(), 1);
        assert_eq!(run.metrics[1].phase, Phase::Failed);
        assert_eq!(run.metrics[1].unused, 1);
        assert_eq!(
            run.message.as_deref(),
            Some("Metric \"b\" assessed Failed due to failed (1) > failureLimit (0)")
        );
    }

    // TestAssessRunStatusWithMixedMetrics: a dry-run metric's failure decides nothing.
    #[test]
    fn dry_run_metrics_do_not_decide_the_run() {
        let mut inputs = Inputs::default();
        inputs.add("[0.7]").unwrap();
        inputs.add("[0.7]").unwrap();
        let body = format!("  dryRun:\n    - metricName: b\n{TWO}");
        let run = run(&template(&body), &[], &inputs).unwrap();
        assert_eq!(run.metrics[1].phase, Phase::Failed);
        assert_eq!(run.metrics[0].phase, Phase::Successful);
        assert_eq!(run.metrics[0].measured.len(), 2);
        assert_eq!(run.phase, Phase::Successful);
    }

    #[test]
    fn results_for_all_metrics_or_one() {
        let mut inputs = Inputs::default();
        inputs.add("[]").unwrap();
        inputs.add("0.5").unwrap();
        inputs.add("error").unwrap();
        inputs.add("latency=[250]").unwrap();
        assert_eq!(inputs.all.len(), 3);
        assert_eq!(inputs.for_metric("latency").len(), 1);
        assert_eq!(inputs.for_metric("other").len(), 3);
        assert!(inputs.add("[x]").is_err());
    }
}
