//! Label selectors: Service selectors (a plain map) and `LabelSelector`s (PDBs, Deployments).

use serde_json::{Map, Value};

/// Whether a Service-style selector (every key/value must be present) selects `labels`.
/// An empty selector selects nothing: Kubernetes treats a Service without selector as
/// unmanaged.
pub fn map_selects(selector: &Map<String, Value>, labels: &Map<String, Value>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether a `LabelSelector` (`matchLabels` + `matchExpressions`) selects `labels`.
/// An empty selector selects everything, as it does for PodDisruptionBudgets.
pub fn label_selector_selects(selector: &Value, labels: &Map<String, Value>) -> bool {
    if let Some(match_labels) = selector.get("matchLabels").and_then(Value::as_object)
        && !match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
    {
        return false;
    }
    let expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    expressions.iter().all(|expression| {
        let key = expression
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let values: Vec<&str> = expression
            .get("values")
            .and_then(Value::as_array)
            .map(|vs| vs.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let label = labels.get(key).and_then(Value::as_str);
        match expression.get("operator").and_then(Value::as_str) {
            Some("In") => label.is_some_and(|l| values.contains(&l)),
            Some("NotIn") => !label.is_some_and(|l| values.contains(&l)),
            Some("Exists") => label.is_some(),
            Some("DoesNotExist") => label.is_none(),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn service_selectors() {
        let labels = map(json!({"app": "web", "version": "v1"}));
        assert!(map_selects(&map(json!({"app": "web"})), &labels));
        assert!(!map_selects(&map(json!({"app": "api"})), &labels));
        assert!(!map_selects(&Map::new(), &labels));
    }

    #[test]
    fn label_selectors() {
        let labels = map(json!({"app": "web", "tier": "front"}));
        assert!(label_selector_selects(&json!({}), &labels));
        assert!(label_selector_selects(
            &json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}),
            &labels
        ));
        assert!(!label_selector_selects(
            &json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
            &labels
        ));
    }
}
