//! Canary steps: the compact `--steps` syntax and the default plan.
//!
//! `10,pause,25,5m,50,5m,100` reads: set the canary weight to 10%, wait for a person
//! (`kubectl argo rollouts promote`), 25%, wait five minutes, 50%, wait five minutes, 100%.
//! An item is a weight (`0`–`100`, `%` allowed), `pause` (indefinite), a duration (`30s`, `5m`,
//! `1h`, `1h30m`), or `analysis` (run the analysis templates as a step).

use serde_json::{Value, json};

/// The plan used when nothing else is configured: small, then growing slices of traffic, each
/// held long enough for the analysis to see several measurements.
pub const DEFAULT_STEPS: &str = "10,2m,25,5m,50,5m,75,5m";

/// One step of a canary, as rolloutify plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    SetWeight(u32),
    /// `None` waits until the rollout is promoted.
    Pause(Option<String>),
    /// Runs the app's analysis templates and waits for their verdict.
    Analysis,
}

/// Why a step list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step {position} `{item}`: {reason}")]
pub struct StepsError {
    /// 1-based position of the item in the list.
    pub position: usize,
    pub item: String,
    pub reason: &'static str,
}

/// Parses the compact syntax.
pub fn parse(text: &str) -> Result<Vec<Step>, StepsError> {
    let mut steps = Vec::new();
    for (i, raw) in text.split(',').enumerate() {
        let item = raw.trim();
        let error = |reason| StepsError {
            position: i + 1,
            item: item.to_owned(),
            reason,
        };
        let step = if item.eq_ignore_ascii_case("pause") {
            Step::Pause(None)
        } else if item.eq_ignore_ascii_case("analysis") {
            Step::Analysis
        } else if let Ok(weight) = item.trim_end_matches('%').parse::<u32>() {
            if weight > 100 {
                return Err(error("a weight is a percentage from 0 to 100"));
            }
            Step::SetWeight(weight)
        } else if is_duration(item) {
            Step::Pause(Some(item.to_owned()))
        } else if item.is_empty() {
            return Err(error("empty item; separate steps with single commas"));
        } else {
            return Err(error(
                "expected a weight (0-100), `pause`, `analysis`, or a duration such as 30s, 5m, 1h",
            ));
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Whether `text` is a duration Argo Rollouts accepts for a pause: Go duration syntax with at
/// least one unit (`30s`, `1m30s`, `1.5h`).
pub fn is_duration(text: &str) -> bool {
    const UNITS: [&str; 7] = ["ns", "us", "µs", "ms", "s", "m", "h"];
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 || rest[..digits].parse::<f64>().is_err() {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = UNITS.iter().find(|u| rest.starts_with(*u)) else {
            return false;
        };
        // `m` must not swallow the `m` of `ms`.
        let unit = if *unit == "m" && rest.starts_with("ms") {
            "ms"
        } else {
            unit
        };
        rest = &rest[unit.len()..];
    }
    true
}

/// The steps as Argo Rollouts `spec.strategy.canary.steps` entries. `analysis` is the value
/// of an analysis step (templates and args); it is also inserted after every pause when
/// `analysis_after_pauses` is set, unless the steps place analysis themselves.
pub fn to_argo(
    steps: &[Step],
    analysis: Option<&Value>,
    analysis_after_pauses: bool,
) -> Vec<Value> {
    let analysis_after_pauses = analysis_after_pauses && !steps.contains(&Step::Analysis);
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::SetWeight(weight) => out.push(json!({ "setWeight": weight })),
            Step::Pause(None) => out.push(json!({ "pause": {} })),
            Step::Pause(Some(duration)) => out.push(json!({ "pause": { "duration": duration } })),
            Step::Analysis => {
                if let Some(analysis) = analysis {
                    out.push(json!({ "analysis": analysis }));
                }
            }
        }
        if analysis_after_pauses
            && matches!(step, Step::Pause(_))
            && let Some(analysis) = analysis
        {
            out.push(json!({ "analysis": analysis }));
        }
    }
    out
}

/// Index of the first step after the first non-zero weight: where background analysis starts,
/// so that it does not measure a canary that has no traffic yet.
pub fn first_step_with_traffic(steps: &[Value]) -> Option<usize> {
    steps
        .iter()
        .position(|s| {
            s.get("setWeight")
                .and_then(Value::as_u64)
                .is_some_and(|w| w > 0)
        })
        .map(|i| i + 1)
        .filter(|&i| i < steps.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_syntax() {
        assert_eq!(
            parse("10, pause ,25%,5m,analysis,1h30m").unwrap(),
            vec![
                Step::SetWeight(10),
                Step::Pause(None),
                Step::SetWeight(25),
                Step::Pause(Some("5m".into())),
                Step::Analysis,
                Step::Pause(Some("1h30m".into())),
            ]
        );
        assert!(parse(DEFAULT_STEPS).is_ok());
    }

    #[test]
    fn bad_items_are_named() {
        let error = parse("10,150").unwrap_err();
        assert_eq!(error.position, 2);
        assert_eq!(
            parse("10,,20").unwrap_err().to_string(),
            "step 2 ``: empty item; separate steps with single commas"
        );
        assert!(parse("10,5x").is_err());
        assert!(parse("10,30").is_ok());
    }

    #[test]
    fn durations() {
        for ok in ["30s", "5m", "1h", "1h30m", "1.5h", "100ms"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "30", "m", "5 m", "5d", "1h-"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn argo_steps_and_analysis() {
        let analysis = json!({"templates": [{"templateName": "t"}]});
        let steps = to_argo(&parse("20,pause,40").unwrap(), Some(&analysis), true);
        assert_eq!(
            steps,
            vec![
                json!({"setWeight": 20}),
                json!({"pause": {}}),
                json!({"analysis": analysis}),
                json!({"setWeight": 40}),
            ]
        );
        assert_eq!(first_step_with_traffic(&steps), Some(1));
        let placed = to_argo(&parse("20,pause,analysis").unwrap(), Some(&analysis), true);
        assert_eq!(placed.len(), 3);
    }
}
