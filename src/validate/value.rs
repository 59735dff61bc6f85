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

/// Seconds of a pause duration (`30`, `"30"`, `"30s"`, `"1h30m"`), or `None` when the
/// controller could not read it (which it treats as negative).
pub fn duration_seconds(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .parse::<i64>()
            .ok()
            .map(|v| v as f64)
            .or_else(|| go_duration(s)),
        _ => None,
    }
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
        assert_eq!(duration_seconds(&json!(30)), Some(30.0));
        assert_eq!(duration_seconds(&json!("30")), Some(30.0));
        assert_eq!(duration_seconds(&json!("1h30m")), Some(5400.0));
        assert_eq!(duration_seconds(&json!("-5s")), Some(-5.0));
        assert_eq!(duration_seconds(&json!("5 minutes")), None);
        assert_eq!(duration_seconds(&json!("")), None);
    }

    #[test]
    fn surge_values() {
        assert_eq!(int_or_percent(&json!("0%")), 0);
        assert_eq!(int_or_percent(&json!("25%")), 25);
        assert_eq!(int_or_percent(&json!(1)), 1);
    }
}
