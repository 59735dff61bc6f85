//! Reading typed fields out of JSON the way the controller's Go types read them.

use serde_json::Value;

/// An `IntOrString` as the controller reads it for maxSurge/maxUnavailable: a number, a
/// percentage (`"25%"` → 25), or a string holding a number; anything else counts as 0.
pub fn int_or_percent(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => {
            let digits = s.strip_suffix('%').unwrap_or(s);
            digits.parse().unwrap_or(0)
        }
        _ => 0,
    }
}

/// `RolloutPause.DurationSeconds()` (Argo Rollouts' `pkg/apis/rollouts/v1alpha1/types.go:863`):
/// an int32, a string holding an int32, or a Go duration truncated to whole seconds and
/// converted to int32. `None` when the controller cannot read it (it returns -1). A value past
/// the int32 range is negative the way Go's conversion makes it (amd64 gives `i32::MIN`), so
/// the controller refuses it.
pub fn pause_seconds(value: &Value) -> Option<i64> {
    let to_i32 = |seconds: f64| -> i64 {
        let truncated = seconds.trunc();
        if truncated >= f64::from(i32::MIN) && truncated <= f64::from(i32::MAX) {
            truncated as i64
        } else {
            i64::from(i32::MIN)
        }
    };
    match value {
        Value::Number(n) => n
            .as_i64()
            .filter(|v| i32::try_from(*v).is_ok())
            .or_else(|| n.as_f64().map(to_i32))
            .map(|v| {
                if i32::try_from(v).is_ok() {
                    v
                } else {
                    i64::from(i32::MIN)
                }
            }),
        Value::String(s) => match s.parse::<i32>() {
            Ok(v) => Some(i64::from(v)),
            Err(_) => go_duration(s).map(to_i32),
        },
        _ => None,
    }
}

/// Why Go's `time.ParseDuration` refuses `text`, in its words (`time: unknown unit "s-typo"
/// in duration "60s-typo"`), or `None` when it reads it.
pub fn go_duration_error(text: &str) -> Option<String> {
    if go_duration(text).is_some() {
        return None;
    }
    let quoted = format!("{text:?}");
    let rest = text.trim_start_matches(['-', '+']);
    let invalid = || Some(format!("time: invalid duration {quoted}"));
    if rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return invalid();
    }
    let mut rest = rest;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_end == 0 || rest[..number_end].parse::<f64>().is_err() {
            return invalid();
        }
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        if unit.is_empty() {
            return Some(format!("time: missing unit in duration {quoted}"));
        }
        if !matches!(unit, "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h") {
            return Some(format!("time: unknown unit {unit:?} in duration {quoted}"));
        }
        rest = &rest[unit_end..];
    }
    invalid()
}

/// Go's `time.ParseDuration`, in seconds.
pub fn go_duration(text: &str) -> Option<f64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * scale;
    }
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations() {
        assert_eq!(go_duration("1h30m"), Some(5400.0));
        assert_eq!(go_duration("-5s"), Some(-5.0));
        assert_eq!(go_duration("5 minutes"), None);
        assert_eq!(go_duration(""), None);
    }

    #[test]
    fn duration_errors_in_go_words() {
        assert_eq!(
            go_duration_error("60s-typo").as_deref(),
            Some("time: unknown unit \"s-typo\" in duration \"60s-typo\"")
        );
        assert_eq!(
            go_duration_error("60").as_deref(),
            Some("time: missing unit in duration \"60\"")
        );
        assert_eq!(
            go_duration_error("soon").as_deref(),
            Some("time: invalid duration \"soon\"")
        );
        assert_eq!(go_duration_error("1m30s"), None);
    }

    #[test]
    fn pause_durations_as_the_controller_reads_them() {
        assert_eq!(pause_seconds(&json!(30)), Some(30));
        assert_eq!(pause_seconds(&json!("30")), Some(30));
        assert_eq!(pause_seconds(&json!("1h")), Some(3600));
        assert_eq!(pause_seconds(&json!("1500ms")), Some(1));
        assert_eq!(pause_seconds(&json!("-1")), Some(-1));
        // 1,000,000 hours is 3.6e9 seconds: past int32, negative after Go's conversion.
        assert!(pause_seconds(&json!("1000000h")).is_some_and(|s| s < 0));
        // Too large for int32 and without a unit: neither reading works.
        assert_eq!(pause_seconds(&json!("9999999999")), None);
        assert!(pause_seconds(&json!(9_999_999_999_i64)).is_some_and(|s| s < 0));
        assert_eq!(pause_seconds(&json!("5 minutes")), None);
    }

    #[test]
    fn surge_values() {
        assert_eq!(int_or_percent(&json!("0%")), 0);
        assert_eq!(int_or_percent(&json!("25%")), 25);
        assert_eq!(int_or_percent(&json!(1)), 1);
    }
}
