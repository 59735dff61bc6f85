//! HorizontalPodAutoscalers and KEDA ScaledObjects: point them at the Rollout, which now owns
//! the replica count.

use serde_json::{Value, json};

use super::object;

/// Retargets the `scaleTargetRef` of an autoscaler (a working copy) to the Rollout `name`.
pub fn retarget(autoscaler: &mut Value, name: &str) {
    let Some(target) = object::object_at(autoscaler, &["spec", "scaleTargetRef"]) else {
        return;
    };
    object::insert_first(target, "apiVersion", json!("argoproj.io/v1alpha1"));
    object::insert_after(target, "apiVersion", "kind", json!("Rollout"));
    target.insert("name".to_owned(), json!(name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_and_keda() {
        let mut hpa = json!({"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 2}});
        retarget(&mut hpa, "web");
        assert_eq!(
            hpa["spec"]["scaleTargetRef"],
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "web"})
        );
        let mut keda = json!({"spec": {"scaleTargetRef": {"name": "web"}}});
        retarget(&mut keda, "web");
        let keys: Vec<&String> = keda["spec"]["scaleTargetRef"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["apiVersion", "kind", "name"]);
    }
}
