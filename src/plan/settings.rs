//! Per-app settings: built-in defaults, overlaid by the config file's defaults, its matching
//! app entries, the Deployment's `rolloutify.io/*` annotations, and finally command-line flags.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::steps::{self, Step, StepsError};

/// Template mode moves the pod template into the Rollout; workload-ref mode leaves the
/// Deployment in place and points the Rollout at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    Template,
    WorkloadRef,
}

/// Host mode splits traffic between `<svc>-stable` and `<svc>-canary` Services; subset mode
/// between `stable` and `canary` subsets of one DestinationRule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Traffic {
    Host,
    Subset,
}

/// How the Deployment is scaled down once a workload-ref Rollout takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleDown {
    Never,
    Onsuccess,
    Progressively,
}

impl ScaleDown {
    pub fn as_str(self) -> &'static str {
        match self {
            ScaleDown::Never => "never",
            ScaleDown::Onsuccess => "onsuccess",
            ScaleDown::Progressively => "progressively",
        }
    }
}

/// Where analysis runs: alongside the whole rollout, as steps after each pause, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AnalysisMode {
    Background,
    Step,
    None,
}

/// What a measurement with no data (or NaN) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NoData {
    /// Neither success nor failure: the rollout pauses for a person.
    Inconclusive,
    Pass,
    Fail,
}

/// What to do with a DestinationRule's `trafficPolicy` in host mode, where the new
/// `-stable`/`-canary` hosts would no longer be covered by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DestinationRulePolicy {
    /// Write DestinationRules for the new hosts with the same traffic policy.
    Copy,
    /// Only warn.
    Warn,
}

macro_rules! from_str_via_serde {
    ($($t:ty),*) => {$(
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                serde_json::from_value(Value::String(s.to_owned())).map_err(|e| e.to_string())
            }
        }
    )*};
}
from_str_via_serde!(
    Mode,
    Traffic,
    ScaleDown,
    AnalysisMode,
    NoData,
    DestinationRulePolicy
);

/// The analysis rolloutify writes for an app.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisSettings {
    pub mode: AnalysisMode,
    pub prometheus: String,
    pub interval: String,
    pub failure_limit: u32,
    /// Lowest share of non-5xx responses that passes.
    pub success_rate: f64,
    /// Highest p99 latency in milliseconds that passes; `0` leaves the latency metric out.
    pub latency_p99_ms: u64,
    pub no_data: NoData,
    /// Name of the shared AnalysisTemplate.
    pub template_name: String,
    /// Measurements an analysis step takes before it ends.
    pub step_count: u32,
}

/// Everything that decides how one Deployment is converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    pub traffic: Traffic,
    pub steps: Vec<Step>,
    pub scale_down: ScaleDown,
    pub canary_suffix: String,
    pub stable_suffix: String,
    /// Subset mode: the names of the canary and stable subsets (others are picked when a
    /// DestinationRule already has a subset of that name for other pods).
    pub canary_subset: String,
    pub stable_subset: String,
    /// Name given to managed http routes that have none.
    pub route_name: String,
    pub destination_rule_policy: DestinationRulePolicy,
    pub analysis: AnalysisSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Template,
            traffic: Traffic::Host,
            steps: steps::parse(steps::DEFAULT_STEPS).unwrap_or_default(),
            scale_down: ScaleDown::Progressively,
            canary_suffix: "-canary".to_owned(),
            stable_suffix: "-stable".to_owned(),
            canary_subset: "canary".to_owned(),
            stable_subset: "stable".to_owned(),
            route_name: "primary".to_owned(),
            destination_rule_policy: DestinationRulePolicy::Copy,
            analysis: AnalysisSettings {
                mode: AnalysisMode::Background,
                prometheus: "http://prometheus.istio-system:9090".to_owned(),
                interval: "1m".to_owned(),
                failure_limit: 1,
                success_rate: 0.95,
                latency_p99_ms: 500,
                no_data: NoData::Inconclusive,
                template_name: "istio-canary-health".to_owned(),
                step_count: 5,
            },
        }
    }
}

/// A partial set of settings: one layer of the overlay.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsPatch {
    pub mode: Option<Mode>,
    pub traffic: Option<Traffic>,
    /// The compact syntax as one string, or its items as a list.
    pub steps: Option<Value>,
    pub scale_down: Option<ScaleDown>,
    pub canary_suffix: Option<String>,
    pub stable_suffix: Option<String>,
    pub canary_subset: Option<String>,
    pub stable_subset: Option<String>,
    pub route_name: Option<String>,
    pub destination_rule_policy: Option<DestinationRulePolicy>,
    pub analysis: Option<AnalysisPatch>,
}

/// A partial set of analysis settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalysisPatch {
    pub mode: Option<AnalysisMode>,
    pub prometheus: Option<String>,
    pub interval: Option<String>,
    pub failure_limit: Option<u32>,
    pub success_rate: Option<f64>,
    pub latency_p99_ms: Option<u64>,
    pub no_data: Option<NoData>,
    pub template_name: Option<String>,
    pub step_count: Option<u32>,
}

/// Why a settings layer could not be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// Returned when the steps cannot be read.
    #[error("steps: {0}")]
    Steps(#[from] StepsError),
    /// Returned when a value is out of range or of the wrong form.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// Reads steps given as one compact string or as a list of items.
pub fn steps_from_value(value: &Value) -> Result<Vec<Step>, SettingsError> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(","),
        other => {
            return Err(SettingsError::Invalid {
                field: "steps",
                message: format!("expected a string or a list, found {other}"),
            });
        }
    };
    Ok(steps::parse(&text)?)
}

impl Settings {
    /// Applies one layer on top of these settings.
    pub fn apply(&mut self, patch: &SettingsPatch) -> Result<(), SettingsError> {
        if let Some(v) = patch.mode {
            self.mode = v;
        }
        if let Some(v) = patch.traffic {
            self.traffic = v;
        }
        if let Some(v) = &patch.steps {
            self.steps = steps_from_value(v)?;
        }
        if let Some(v) = patch.scale_down {
            self.scale_down = v;
        }
        for (target, value, field) in [
            (
                &mut self.canary_suffix,
                &patch.canary_suffix,
                "canarySuffix",
            ),
            (
                &mut self.stable_suffix,
                &patch.stable_suffix,
                "stableSuffix",
            ),
            (
                &mut self.canary_subset,
                &patch.canary_subset,
                "canarySubset",
            ),
            (
                &mut self.stable_subset,
                &patch.stable_subset,
                "stableSubset",
            ),
            (&mut self.route_name, &patch.route_name, "routeName"),
        ] {
            if let Some(v) = value {
                if v.is_empty() {
                    return Err(SettingsError::Invalid {
                        field,
                        message: "must not be empty".to_owned(),
                    });
                }
                *target = v.clone();
            }
        }
        if self.canary_suffix == self.stable_suffix {
            return Err(SettingsError::Invalid {
                field: "canarySuffix",
                message: "canary and stable suffixes must differ".to_owned(),
            });
        }
        if self.canary_subset == self.stable_subset {
            return Err(SettingsError::Invalid {
                field: "canarySubset",
                message: "canary and stable subsets must differ".to_owned(),
            });
        }
        if let Some(v) = patch.destination_rule_policy {
            self.destination_rule_policy = v;
        }
        if let Some(analysis) = &patch.analysis {
            self.analysis.apply(analysis)?;
        }
        Ok(())
    }
}

impl AnalysisSettings {
    fn apply(&mut self, patch: &AnalysisPatch) -> Result<(), SettingsError> {
        if let Some(v) = patch.mode {
            self.mode = v;
        }
        if let Some(v) = &patch.prometheus {
            self.prometheus = v.clone();
        }
        if let Some(v) = &patch.interval {
            if !steps::is_duration(v) {
                return Err(SettingsError::Invalid {
                    field: "analysis.interval",
                    message: format!("`{v}` is not a duration such as 30s, 1m, 5m"),
                });
            }
            self.interval = v.clone();
        }
        if let Some(v) = patch.failure_limit {
            self.failure_limit = v;
        }
        if let Some(v) = patch.success_rate {
            if !(0.0..=1.0).contains(&v) {
                return Err(SettingsError::Invalid {
                    field: "analysis.successRate",
                    message: format!("{v} is not a share between 0 and 1"),
                });
            }
            self.success_rate = v;
        }
        if let Some(v) = patch.latency_p99_ms {
            self.latency_p99_ms = v;
        }
        if let Some(v) = patch.no_data {
            self.no_data = v;
        }
        if let Some(v) = &patch.template_name {
            self.template_name = v.clone();
        }
        if let Some(v) = patch.step_count {
            if v == 0 {
                return Err(SettingsError::Invalid {
                    field: "analysis.stepCount",
                    message: "an analysis step needs at least one measurement".to_owned(),
                });
            }
            self.step_count = v;
        }
        Ok(())
    }
}

/// The annotation that opts a Deployment out of conversion when set to `"false"`.
pub const CONVERT_ANNOTATION: &str = "rolloutify.io/convert";

/// Reads the `rolloutify.io/*` annotations of a Deployment as a settings layer.
pub fn patch_from_annotations(
    annotations: &Map<String, Value>,
) -> Result<SettingsPatch, SettingsError> {
    let get = |key: &str| {
        annotations
            .get(&format!("rolloutify.io/{key}"))
            .and_then(Value::as_str)
    };
    fn parse<T: std::str::FromStr<Err = String>>(
        field: &'static str,
        value: Option<&str>,
    ) -> Result<Option<T>, SettingsError> {
        value
            .map(|v| {
                v.parse()
                    .map_err(|message| SettingsError::Invalid { field, message })
            })
            .transpose()
    }
    let mut analysis = AnalysisPatch {
        prometheus: get("prometheus").map(str::to_owned),
        no_data: parse("rolloutify.io/no-data", get("no-data"))?,
        ..AnalysisPatch::default()
    };
    analysis.mode = parse("rolloutify.io/analysis", get("analysis"))?;
    Ok(SettingsPatch {
        mode: parse("rolloutify.io/mode", get("mode"))?,
        traffic: parse("rolloutify.io/traffic", get("traffic"))?,
        steps: get("steps").map(|s| Value::String(s.to_owned())),
        route_name: get("route-name").map(str::to_owned),
        analysis: (analysis != AnalysisPatch::default()).then_some(analysis),
        ..SettingsPatch::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layers_apply_in_order() {
        let mut settings = Settings::default();
        let patch: SettingsPatch = serde_json::from_value(json!({
            "traffic": "subset",
            "steps": [20, "pause", "5m"],
            "analysis": {"successRate": 0.99, "noData": "pass"}
        }))
        .unwrap();
        settings.apply(&patch).unwrap();
        assert_eq!(settings.traffic, Traffic::Subset);
        assert_eq!(settings.steps.len(), 3);
        assert_eq!(settings.analysis.success_rate, 0.99);
        assert_eq!(settings.analysis.no_data, NoData::Pass);
        assert_eq!(settings.mode, Mode::Template);
    }

    #[test]
    fn annotations() {
        let annotations = json!({
            "rolloutify.io/mode": "workloadRef",
            "rolloutify.io/steps": "5,pause",
            "rolloutify.io/analysis": "none"
        });
        let patch = patch_from_annotations(annotations.as_object().unwrap()).unwrap();
        let mut settings = Settings::default();
        settings.apply(&patch).unwrap();
        assert_eq!(settings.mode, Mode::WorkloadRef);
        assert_eq!(settings.analysis.mode, AnalysisMode::None);
        let bad = json!({"rolloutify.io/traffic": "mesh"});
        assert!(patch_from_annotations(bad.as_object().unwrap()).is_err());
    }
}
