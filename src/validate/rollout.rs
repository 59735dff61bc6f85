//! The controller's checks of a Rollout spec on its own (Argo Rollouts'
//! `pkg/apis/rollouts/validation/validation.go`), with its messages.

use serde_json::Value;

use super::at;
use super::value::{int_or_percent, pause_seconds};
use crate::finding::{Finding, Severity};
use crate::index::selector::label_selector_selects;
use crate::load::{Document, FieldPath, Lookup as _};

const MISSING_FIELD: &str = "Rollout has missing field";
/// `InvalidStepMessage` (validation.go:52).
const INVALID_STEP: &str = "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause";
/// The step types the controller knows (validation.go:315-316); `plugin` is one of them.
const STEP_KINDS: [&str; 8] = [
    "experiment",
    "pause",
    "setWeight",
    "analysis",
    "setCanaryScale",
    "setHeaderRoute",
    "setMirrorRoute",
    "plugin",
];

/// The controller names canary fields `spec.strategy.<field>` (without `canary`); messages keep
/// its wording, the location points at the field as written.
fn written_path(path: &FieldPath) -> FieldPath {
    use crate::load::PathSegment::Key;
    match path.0.as_slice() {
        [Key(spec), Key(strategy), Key(next), ..]
            if spec == "spec"
                && strategy == "strategy"
                && next != "canary"
                && next != "blueGreen" =>
        {
            let mut segments = path.0.clone();
            segments.insert(2, Key("canary".to_owned()));
            FieldPath(segments)
        }
        _ => path.clone(),
    }
}

fn error(
    document: &Document,
    path: &FieldPath,
    rule: &'static str,
    message: impl std::fmt::Display,
) -> Finding {
    let mut finding = at(document, path, Severity::Error, rule, message);
    let written = written_path(path);
    finding.location = document.location(&written);
    finding.field = written.to_string();
    finding
}

fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    crate::load::get(value, key).filter(|v| !v.is_null())
}

/// What to do about a finding of `rule` that carries no more specific hint.
fn default_hint(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "rollout/pod-template" => {
            "the controller validates the pod template as Kubernetes validates a ReplicaSet's: fix the field named"
        }
        "rollout/invalid-selector" => {
            "label names are [prefix/]name (63 characters, alphanumerics, '-', '_', '.'); In and NotIn take values, Exists and DoesNotExist take none"
        }
        "rollout/ping-pong" => {
            "name two different ping and pong Services, with the ALB (and its rootService), Istio or a traffic-router plugin"
        }
        "rollout/string-match" => {
            "give the match exactly one of exact, regex or prefix (exact only with ALB)"
        }
        "rollout/header-route" | "rollout/mirror-route" => {
            "use a traffic router that supports the step (Istio; ALB, Apisix or plugins for header routes; plugins for mirror routes), or remove the step"
        }
        "rollout/max-traffic-weight" => "remove maxTrafficWeight, or route with Nginx or a plugin",
        "rollout/experiment-weight" => {
            "remove the template weight, or route traffic with SMI, ALB, Istio or a plugin"
        }
        "rollout/set-weight-range" => {
            "write a weight from 0 to 100 (or to trafficRouting.maxTrafficWeight)"
        }
        "rollout/anti-affinity" => {
            "list exactly one of preferredDuringSchedulingIgnoredDuringExecution (weight 1-100) or requiredDuringSchedulingIgnoredDuringExecution"
        }
        "rollout/managed-routes" => {
            "list the route of each setHeaderRoute and setMirrorRoute step under trafficRouting.managedRoutes"
        }
        "rollout/selector-mismatch" => {
            "make the pod template carry every label the selector asks for"
        }
        "rollout/analysis-args" => {
            "use a downward API path: metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'] or metadata.annotations['k']"
        }
        "rollout/duplicate-services" => "name two different Services",
        "rollout/scale-down-revision-limit" => {
            "raise revisionHistoryLimit to at least scaleDownDelayRevisionLimit, or lower the latter"
        }
        "rollout/dynamic-stable-scale"
        | "rollout/scale-down-delay"
        | "rollout/set-canary-scale" => {
            "configure trafficRouting, or remove the field (dynamicStableScale and scaleDownDelaySeconds exclude each other)"
        }
        "rollout/progress-deadline" => {
            "make progressDeadlineSeconds (default 600) larger than minReadySeconds"
        }
        "rollout/negative-field" => "write 0 or more",
        "rollout/empty-selector" | "rollout/missing-selector" => {
            "give spec.selector the matchLabels of the pod template (or use workloadRef)"
        }
        "rollout/multiple-strategies" | "rollout/missing-strategy" => {
            "give spec.strategy exactly one of canary or blueGreen"
        }
        "rollout/workload-ref-with-template" => {
            "remove spec.template: the Rollout runs the pod template of the workload it references"
        }
        "rollout/step-kind" => {
            "write one action per step: setWeight, pause, analysis, experiment, setCanaryScale, setHeaderRoute, setMirrorRoute or plugin"
        }
        _ => return None,
    })
}

/// Runs every spec check on one Rollout.
pub fn check(document: &Document, findings: &mut Vec<Finding>) {
    let first = findings.len();
    check_spec(document, findings);
    for finding in &mut findings[first..] {
        if finding.hint.is_none()
            && let Some(hint) = default_hint(finding.rule)
        {
            finding.hint = Some(hint.to_owned());
        }
    }
}

fn check_spec(document: &Document, findings: &mut Vec<Finding>) {
    // The controller reads a missing spec as an empty one and reports what that lacks.
    let empty = Value::Object(serde_json::Map::new());
    let spec = get(&document.value, "spec").unwrap_or(&empty);
    let path = FieldPath::root().key("spec");
    for field in [
        "replicas",
        "minReadySeconds",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
    ] {
        if let Some(value) = get(spec, field).and_then(Value::as_i64)
            && value < 0
        {
            findings.push(error(
                document,
                &path.clone().key(field),
                "rollout/negative-field",
                format!("Invalid value: {value}: must be greater than or equal to 0"),
            ));
        }
    }
    let workload_ref = get(spec, "workloadRef");
    check_selector(document, spec, workload_ref.is_some(), findings);
    if workload_ref.is_some()
        && get(spec, "template").is_some_and(|t| t.as_object().is_some_and(|m| !m.is_empty()))
    {
        findings.push(error(
            document,
            &path.clone().key("template"),
            "rollout/workload-ref-with-template",
            "template must be empty for workload reference rollout",
        ));
    }
    let min_ready = get(spec, "minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let deadline = get(spec, "progressDeadlineSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(600);
    if deadline <= min_ready {
        findings.push(error(
            document,
            &path.clone().key("progressDeadlineSeconds"),
            "rollout/progress-deadline",
            format!("Invalid value: {deadline}: must be greater than minReadySeconds"),
        ));
    }
    if workload_ref.is_none() {
        check_pod_template(document, spec, findings);
    }
    check_strategy(document, spec, findings);
}

/// Kubernetes' `ValidateLabelSelector` (apimachinery `meta/v1/validation`), which the
/// controller runs on the selector (validation.go:120): label names and values, and operators
/// with the values they take. Returns whether the selector is unreadable
/// (`LabelSelectorAsSelector` fails, validation.go:134-136), which stops the template checks.
fn check_label_selector(
    document: &Document,
    selector: &Value,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) -> bool {
    let mut unreadable = false;
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        check_labels(
            document,
            labels,
            &path.clone().key("matchLabels"),
            "rollout/invalid-selector",
            findings,
        );
    }
    let expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, requirement) in expressions.iter().enumerate() {
        let at = path.clone().key("matchExpressions").index(i);
        let values = requirement
            .get("values")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let operator = requirement
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let problem = match operator {
            "In" | "NotIn" if values == 0 => Some((
                at.clone().key("values"),
                "Required value: must be specified when `operator` is 'In' or 'NotIn'".to_owned(),
            )),
            "Exists" | "DoesNotExist" if values > 0 => Some((
                at.clone().key("values"),
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    .to_owned(),
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => None,
            other => {
                unreadable = true;
                Some((
                    at.clone().key("operator"),
                    format!("Invalid value: {other:?}: not a valid selector operator"),
                ))
            }
        };
        if let Some((field, message)) = problem {
            findings.push(error(document, &field, "rollout/invalid-selector", message));
        }
        if let Some(key) = requirement.get("key").and_then(Value::as_str)
            && let Some(why) = label_name_error(key)
        {
            unreadable = true;
            findings.push(error(
                document,
                &at.clone().key("key"),
                "rollout/invalid-selector",
                format!("Invalid value: {key:?}: {why}"),
            ));
        }
    }
    unreadable
}

/// Kubernetes' `ValidateLabels`: every key a qualified name, every value a label value.
fn check_labels(
    document: &Document,
    labels: &serde_json::Map<String, Value>,
    path: &FieldPath,
    rule: &'static str,
    findings: &mut Vec<Finding>,
) {
    for (key, value) in labels {
        if let Some(why) = label_name_error(key) {
            findings.push(error(
                document,
                path,
                rule,
                format!("Invalid value: {key:?}: {why}"),
            ));
        }
        let Some(value) = value.as_str() else {
            continue;
        };
        if let Some(why) = label_value_error(value) {
            findings.push(error(
                document,
                &path.clone().key(key),
                rule,
                format!("Invalid value: {value:?}: {why}"),
            ));
        }
    }
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: a label name (or value) part.
fn is_label_part(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A DNS-1123 subdomain: lowercase labels of `[a-z0-9]([-a-z0-9]*[a-z0-9])?` joined by dots,
/// at most 253 characters.
fn is_dns_subdomain(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        })
}

/// Why a label key is not a qualified name (apimachinery `IsQualifiedName`), in its words.
fn label_name_error(key: &str) -> Option<String> {
    const NAME: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.contains('/') {
        return Some("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".to_owned());
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some("prefix part must be non-empty".to_owned());
        }
        if !is_dns_subdomain(prefix) {
            return Some("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_owned());
        }
    }
    if name.is_empty() {
        return Some("name part must be non-empty".to_owned());
    }
    if name.len() > 63 {
        return Some("name part must be no more than 63 characters".to_owned());
    }
    (!is_label_part(name)).then(|| NAME.to_owned())
}

/// Why a label value is not one (apimachinery `IsValidLabelValue`), in its words.
fn label_value_error(value: &str) -> Option<String> {
    if value.len() > 63 {
        return Some("must be no more than 63 characters".to_owned());
    }
    (!value.is_empty() && !is_label_part(value)).then(|| "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_owned())
}

/// A DNS-1123 label (container names): `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63.
fn is_dns_label(text: &str) -> bool {
    text.len() <= 63 && !text.contains('.') && is_dns_subdomain(text)
}

/// The rules of Kubernetes' `ValidatePodTemplateSpecForReplicaSet` that the controller runs
/// on the pod template (validation.go:163-164, after defaulting `restartPolicy` to `Always`):
/// a ReplicaSet's pods restart always and have no active deadline, and a pod has at least one
/// container, each with its own name.
fn check_pod_template(document: &Document, spec: &Value, findings: &mut Vec<Finding>) {
    if let Some(labels) = spec
        .lookup("/template/metadata/labels")
        .and_then(Value::as_object)
    {
        check_labels(
            document,
            labels,
            &FieldPath::parse("spec.template.metadata.labels"),
            "rollout/pod-template",
            findings,
        );
    }
    let path = FieldPath::parse("spec.template.spec");
    let pod = spec.lookup("/template/spec");
    // Defaulting makes an empty policy `Always`.
    if let Some(policy) = pod.and_then(|p| get(p, "restartPolicy"))
        && !matches!(policy.as_str(), Some("Always" | ""))
    {
        let shown = policy
            .as_str()
            .map_or_else(|| policy.to_string(), |s| format!("{s:?}"));
        findings.push(
            error(
                document,
                &path.clone().key("restartPolicy"),
                "rollout/pod-template",
                format!("Unsupported value: {shown}: supported values: \"Always\""),
            )
            .with_hint("a Rollout's pods run in ReplicaSets, which restart them always: remove restartPolicy or set it to Always"),
        );
    }
    if pod.and_then(|p| get(p, "activeDeadlineSeconds")).is_some() {
        findings.push(error(
            document,
            &path.clone().key("activeDeadlineSeconds"),
            "rollout/pod-template",
            "Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
        ));
    }
    let containers = pod
        .and_then(|p| get(p, "containers"))
        .and_then(Value::as_array);
    if containers.is_none_or(Vec::is_empty) {
        let at = if pod.is_some() {
            path.clone().key("containers")
        } else {
            FieldPath::parse("spec.template")
        };
        let mut finding = error(document, &at, "rollout/pod-template", "Required value");
        // The controller names the field even where it is not written.
        finding.message = "spec.template.spec.containers: Required value".to_owned();
        findings.push(finding);
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for (i, container) in containers.into_iter().flatten().enumerate() {
        let at = path.clone().key("containers").index(i);
        if container
            .get("image")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            findings.push(error(
                document,
                &at.clone().key("image"),
                "rollout/pod-template",
                "Required value",
            ));
        }
        let Some(name) = container.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !is_dns_label(name) {
            findings.push(error(
                document,
                &at.clone().key("name"),
                "rollout/pod-template",
                format!("Invalid value: {name:?}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
            ));
        }
        if !seen.insert(name) {
            findings.push(error(
                document,
                &path.clone().key("containers").index(i).key("name"),
                "rollout/pod-template",
                format!("Duplicate value: {name:?}"),
            ));
        }
    }
}

fn check_selector(
    document: &Document,
    spec: &Value,
    workload_ref: bool,
    findings: &mut Vec<Finding>,
) {
    let path = FieldPath::root().key("spec").key("selector");
    if workload_ref {
        return;
    }
    let Some(selector) = get(spec, "selector") else {
        findings.push(error(
            document,
            &path,
            "rollout/missing-selector",
            format!("Required value: {MISSING_FIELD} '.spec.selector'"),
        ));
        return;
    };
    let labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map_or(0, |m| m.len());
    let expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if check_label_selector(document, selector, &path, findings) {
        return;
    }
    if labels + expressions == 0 {
        findings.push(error(
            document,
            &path,
            "rollout/empty-selector",
            "Invalid value: empty selector is invalid for deployment",
        ));
        return;
    }
    let template_labels = spec
        .lookup("/template/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if !label_selector_selects(selector, &template_labels) {
        findings.push(error(
            document,
            &FieldPath::parse("spec.template.metadata.labels"),
            "rollout/selector-mismatch",
            "Invalid value: `selector` does not match template `labels`",
        ));
    }
}

fn check_strategy(document: &Document, spec: &Value, findings: &mut Vec<Finding>) {
    let path = FieldPath::root().key("spec").key("strategy");
    let strategy = get(spec, "strategy");
    let canary = strategy.and_then(|s| get(s, "canary"));
    let blue_green = strategy.and_then(|s| get(s, "blueGreen"));
    match (canary, blue_green) {
        (None, None) => findings.push(error(
            document,
            &path,
            "rollout/missing-strategy",
            format!("Required value: {MISSING_FIELD} '.spec.strategy.canary or .spec.strategy.blueGreen'"),
        )),
        (Some(_), Some(_)) => findings.push(error(
            document,
            &path,
            "rollout/multiple-strategies",
            "Invalid value: Multiple Strategies can not be listed",
        )),
        (None, Some(blue_green)) => check_blue_green(document, spec, blue_green, findings),
        (Some(canary), None) => check_canary(document, spec, canary, findings),
    }
}

fn check_blue_green(
    document: &Document,
    spec: &Value,
    blue_green: &Value,
    findings: &mut Vec<Finding>,
) {
    let path = FieldPath::parse("spec.strategy.blueGreen");
    let active = blue_green
        .get("activeService")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let preview = blue_green
        .get("previewService")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if active == preview {
        findings.push(error(
            document,
            &path.clone().key("activeService"),
            "rollout/duplicate-services",
            format!("Invalid value: {active:?}: This rollout uses the same service for the active and preview services, but two different services are required."),
        ));
    }
    let history = get(spec, "revisionHistoryLimit")
        .and_then(Value::as_i64)
        .unwrap_or(10);
    if let Some(limit) = blue_green
        .get("scaleDownDelayRevisionLimit")
        .and_then(Value::as_i64)
        && history < limit
    {
        findings.push(error(
            document,
            &path.clone().key("scaleDownDelayRevisionLimit"),
            "rollout/scale-down-revision-limit",
            format!("Invalid value: {limit}: This rollout's revision history limit can not be smaller than the rollout's scale down limit"),
        ));
    }
    check_anti_affinity(document, blue_green, &path, findings);
}

/// Which traffic providers need both canaryService and stableService
/// (`requireCanaryStableServices`, validation.go:238-258): ALB and Istio host-level splitting
/// do not when ping-pong Services are given, Istio subset-level splitting never does, and
/// traffic-router plugins alone do not.
fn requires_services(canary: &Value) -> bool {
    let Some(routing) = get(canary, "trafficRouting") else {
        return false;
    };
    let has = |key| get(routing, key).is_some();
    let ping_pong = get(canary, "pingPong").is_some();
    (has("alb") && !ping_pong)
        || (has("istio")
            && routing
                .lookup("/istio/destinationRule")
                .is_none_or(Value::is_null)
            && !ping_pong)
        || ["smi", "apisix", "ambassador", "nginx", "appMesh", "traefik"]
            .iter()
            .any(|k| has(k))
}

fn check_canary(document: &Document, spec: &Value, canary: &Value, findings: &mut Vec<Finding>) {
    let path = FieldPath::parse("spec.strategy");
    let canary_path = FieldPath::parse("spec.strategy.canary");
    let surge = get(canary, "maxSurge").map_or(25, int_or_percent);
    let unavailable = get(canary, "maxUnavailable").map_or(25, int_or_percent);
    if surge == 0 && unavailable == 0 {
        let shown = get(canary, "maxSurge").map_or_else(
            || "0".to_owned(),
            |v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        );
        findings.push(
            error(
                document,
                &path.clone().key("maxSurge"),
                "rollout/max-surge-unavailable-zero",
                format!("Invalid value: {shown}: MaxSurge and MaxUnavailable both can not be zero"),
            )
            .with_hint("set maxSurge to at least 1 (or 25%) so new pods can start"),
        );
    }
    let canary_service = canary
        .get("canaryService")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let stable_service = canary
        .get("stableService")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !canary_service.is_empty() && canary_service == stable_service {
        findings.push(error(
            document,
            &path.clone().key("stableService"),
            "rollout/duplicate-services",
            format!("Invalid value: {stable_service:?}: This rollout uses the same service for the stable and canary services, but two different services are required."),
        ));
    }
    // Ping-pong (validation.go:267-283): the ALB, Istio and plugin routers support it.
    if let Some(ping_pong) = get(canary, "pingPong") {
        let routing = get(canary, "trafficRouting");
        if let Some(routing) = routing
            && get(routing, "alb").is_none()
            && get(routing, "istio").is_none()
            && routing
                .get("plugins")
                .and_then(Value::as_object)
                .is_none_or(|p| p.is_empty())
        {
            findings.push(error(
                document,
                &path.clone().key("trafficRouting").key("alb"),
                "rollout/ping-pong",
                "Invalid value: null: Ping-pong feature works with the ALB, Istio, and plugin-based traffic routers only",
            ));
        }
        let ping = ping_pong
            .get("pingService")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let pong = ping_pong
            .get("pongService")
            .and_then(Value::as_str)
            .unwrap_or_default();
        for (field, service) in [("pingService", ping), ("pongService", pong)] {
            if service.is_empty() {
                findings.push(error(
                    document,
                    &path.clone().key("pingPong").key(field),
                    "rollout/ping-pong",
                    "Invalid value: \"\": Ping service and Pong service must to be set to use Ping-Pong feature",
                ));
            }
        }
        if ping == pong {
            findings.push(error(
                document,
                &path.clone().key("pingPong").key("pingService"),
                "rollout/ping-pong",
                format!("Invalid value: {ping:?}: This rollout uses the same service for the ping and pong services, but two different services are required."),
            ));
        }
        if let Some(alb) = routing.and_then(|r| get(r, "alb"))
            && alb
                .get("rootService")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            findings.push(error(
                document,
                &path.clone().key("trafficRouting").key("alb").key("rootService"),
                "rollout/ping-pong",
                "Invalid value: \"\": Root service field is required for the configuration with ALB and ping-pong feature enabled",
            ));
        }
    }
    if requires_services(canary) {
        for (field, service) in [
            ("stableService", stable_service),
            ("canaryService", canary_service),
        ] {
            if service.is_empty() {
                findings.push(
                    error(
                        document,
                        &canary_path.clone().key("trafficRouting"),
                        "rollout/traffic-routing-services",
                        format!("{}: Invalid value: \"\": Canary service and Stable service must to be set to use Traffic Routing", path.clone().key(field)),
                    )
                    .with_hint("with Istio host-level splitting, name both Services; subset-level splitting uses trafficRouting.istio.destinationRule instead"),
                );
            }
        }
    }
    let routing = get(canary, "trafficRouting");
    let scale_down_delay = get(canary, "scaleDownDelaySeconds");
    let dynamic = canary
        .get("dynamicStableScale")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match routing {
        None => {
            if let Some(delay) = scale_down_delay {
                findings.push(error(
                    document,
                    &path.clone().key("scaleDownDelaySeconds"),
                    "rollout/scale-down-delay",
                    format!("Invalid value: {delay}: Canary scaleDownDelaySeconds can only be used with traffic routing"),
                ));
            }
            if dynamic {
                findings.push(error(
                    document,
                    &path.clone().key("dynamicStableScale"),
                    "rollout/dynamic-stable-scale",
                    "Invalid value: true: Canary dynamicStableScale can only be used with traffic routing",
                ));
            }
        }
        Some(routing) => {
            if scale_down_delay.is_some() && dynamic {
                findings.push(error(
                    document,
                    &path.clone().key("dynamicStableScale"),
                    "rollout/dynamic-stable-scale",
                    "Invalid value: true: Canary dynamicStableScale cannot be used with scaleDownDelaySeconds",
                ));
            }
            if let Some(max) = get(routing, "maxTrafficWeight")
                && get(routing, "nginx").is_none()
                && routing
                    .get("plugins")
                    .and_then(Value::as_object)
                    .is_none_or(|p| p.is_empty())
            {
                findings.push(error(
                    document,
                    &path.clone().key("trafficRouting").key("maxTrafficWeight"),
                    "rollout/max-traffic-weight",
                    format!("Invalid value: {max}: Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins"),
                ));
            }
        }
    }
    let max_weight = routing
        .and_then(|r| get(r, "maxTrafficWeight"))
        .and_then(Value::as_i64)
        .unwrap_or(100);
    let steps = canary
        .get("steps")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, step) in steps.iter().enumerate() {
        check_step(document, spec, canary, step, i, max_weight, findings);
    }
    check_anti_affinity(document, canary, &path, findings);
}

fn check_step(
    document: &Document,
    spec: &Value,
    canary: &Value,
    step: &Value,
    i: usize,
    max_weight: i64,
    findings: &mut Vec<Finding>,
) {
    let _ = spec;
    // Made only for a finding: most steps have none.
    let path = || FieldPath::parse("spec.strategy").key("steps").index(i);
    let present: Vec<&str> = STEP_KINDS
        .iter()
        .copied()
        .filter(|k| get(step, k).is_some())
        .collect();
    let exclusive = present
        .iter()
        .filter(|k| matches!(**k, "setWeight" | "pause" | "experiment" | "analysis"))
        .count();
    if present.is_empty() || exclusive > 1 {
        findings.push(
            error(document, &path(), "rollout/step-kind", format!("Invalid value: {}: {INVALID_STEP}", present.join(", ")))
                .with_hint("write one action per step: setWeight, pause, analysis, experiment, setCanaryScale, setHeaderRoute or setMirrorRoute"),
        );
    }
    if let Some(weight) = get(step, "setWeight").and_then(Value::as_i64)
        && !(0..=max_weight).contains(&weight)
    {
        findings.push(error(
            document,
            &path().key("setWeight"),
            "rollout/set-weight-range",
            format!("Invalid value: {weight}: SetWeight needs to be between 0 and {max_weight}"),
        ));
    }
    if let Some(duration) = step.lookup("/pause/duration").filter(|d| !d.is_null())
        && pause_seconds(duration).is_none_or(|s| s < 0)
    {
        findings.push(
            error(
                document,
                &path().key("pause").key("duration"),
                "rollout/pause-duration",
                format!("Invalid value: {duration}: Duration needs to be greater than 0"),
            )
            .with_hint("write seconds (30) or a duration with a unit (30s, 5m, 1h)"),
        );
    }
    let routing = get(canary, "trafficRouting");
    if get(step, "setCanaryScale").is_some() && routing.is_none() {
        findings.push(error(
            document,
            &FieldPath::parse("spec.strategy.trafficRouting"),
            "rollout/set-canary-scale",
            "Required value: SetCanaryScale requires TrafficRouting to be set",
        ));
    }
    let has = |key: &str| routing.is_some_and(|r| get(r, key).is_some());
    let plugins = routing
        .and_then(|r| r.get("plugins"))
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    // validation.go:334-349: without a router that supports header routes only that is
    // reported; with ALB only `exact` values work.
    let header_routing = has("istio") || has("alb") || has("apisix") || plugins;
    if get(step, "setHeaderRoute").is_some() && !header_routing {
        findings.push(error(
            document,
            &path().key("setHeaderRoute"),
            "rollout/header-route",
            "Invalid value: SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix",
        ));
    }
    // validation.go:351-355.
    if get(step, "setMirrorRoute").is_some() && !(has("istio") || plugins) {
        findings.push(error(
            document,
            &path().key("setMirrorRoute"),
            "rollout/mirror-route",
            "Invalid value: SetMirrorRoute requires TrafficRouting, supports Istio and Plugins",
        ));
    }
    if routing.is_some()
        && (get(step, "setHeaderRoute").is_some() || get(step, "setMirrorRoute").is_some())
    {
        match routing.and_then(|r| r.get("managedRoutes")).and_then(Value::as_array) {
            None => findings.push(error(
                document,
                &FieldPath::parse("spec.strategy.trafficRouting.managedRoutes"),
                "rollout/managed-routes",
                format!("Required value: {MISSING_FIELD} 'spec.strategy.canary.trafficRouting.managedRoutes'"),
            )),
            Some(managed) => {
                for key in ["setHeaderRoute", "setMirrorRoute"] {
                    let Some(route) = get(step, key) else {
                        continue;
                    };
                    // An unnamed route is looked up as "" (validation.go:428-440).
                    let name = route.get("name").and_then(Value::as_str).unwrap_or_default();
                    if !managed.iter().any(|m| m.get("name").and_then(Value::as_str) == Some(name)) {
                        findings.push(error(
                            document,
                            &path().key(key),
                            "rollout/managed-routes",
                            format!("Invalid value: {name:?}: Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes"),
                        ));
                    }
                }
            }
        }
    }
    for key in ["setHeaderRoute", "setMirrorRoute"] {
        if key == "setHeaderRoute" && !header_routing {
            continue;
        }
        let matches = step
            .get(key)
            .and_then(|route| route.get("match"))
            .and_then(Value::as_array);
        for (j, m) in matches.into_iter().flatten().enumerate() {
            let values: Vec<&Value> = if key == "setHeaderRoute" {
                vec![m.get("headerValue").unwrap_or(&Value::Null)]
            } else {
                ["method", "path"]
                    .iter()
                    .filter_map(|f| m.get(*f).filter(|v| !v.is_null()))
                    .collect()
            };
            for value in values {
                let is_set = |k: &str| {
                    value
                        .get(k)
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty())
                };
                let set = ["exact", "regex", "prefix"]
                    .iter()
                    .filter(|k| is_set(k))
                    .count();
                let message = if key == "setHeaderRoute" && has("alb") {
                    // hasALBInvalidValues (validation.go:509-520).
                    if value.is_null() {
                        "StringMatch value missed, match value must have one of the following: exact, regex, prefix"
                    } else if !is_set("exact") || is_set("regex") || is_set("prefix") {
                        "SetHeaderRoute match value invalid. ALB supports 'exact' value only"
                    } else {
                        continue;
                    }
                } else {
                    match set {
                        0 => {
                            "StringMatch value missed, match value must have one of the following: exact, regex, prefix"
                        }
                        1 => continue,
                        _ => {
                            "StringMatch match value must have exactly one of the following: exact, regex, prefix"
                        }
                    }
                };
                findings.push(error(
                    document,
                    &path().key(key).key("match").index(j),
                    "rollout/string-match",
                    format!("Invalid value: {message}"),
                ));
            }
        }
    }
    let templates = step
        .lookup("/experiment/templates")
        .and_then(Value::as_array);
    for (t, template) in templates.into_iter().flatten().enumerate() {
        let Some(weight) = get(template, "weight") else {
            continue;
        };
        let message = match routing {
            None => "Experiment template weight cannot be set unless TrafficRouting is enabled",
            Some(_) if has("alb") || has("smi") || has("istio") || plugins => continue,
            Some(_) => {
                "Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time"
            }
        };
        // The controller writes this path without `canary`; keep its wording.
        findings.push(error(
            document,
            &path()
                .key("experiment")
                .key("templates")
                .index(t)
                .key("weight"),
            "rollout/experiment-weight",
            format!("Invalid value: {weight}: {message}"),
        ));
    }
    let mut args: Vec<&Value> = Vec::new();
    args.extend(
        step.lookup("/analysis/args")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    for analysis in step
        .lookup("/experiment/analyses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        args.extend(
            analysis
                .get("args")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    for arg in args {
        let Some(field) = arg
            .lookup("/valueFrom/fieldRef/fieldPath")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if field.starts_with("metadata") && !is_downward_metadata(field) {
            findings.push(error(
                document,
                &path().key("analyses"),
                "rollout/analysis-args",
                format!("Invalid value: {field:?}: Analyses arguments must refer to valid object metadata supported by downwardAPI"),
            ));
        }
    }
}

/// The metadata field paths Kubernetes' downward API resolves.
fn is_downward_metadata(field: &str) -> bool {
    if matches!(
        field,
        "metadata.name"
            | "metadata.namespace"
            | "metadata.uid"
            | "metadata.labels"
            | "metadata.annotations"
    ) {
        return true;
    }
    ["metadata.labels['", "metadata.annotations['"]
        .iter()
        .any(|prefix| {
            field.starts_with(prefix) && field.ends_with("']") && field.len() > prefix.len() + 2
        })
}

fn check_anti_affinity(
    document: &Document,
    strategy: &Value,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    let Some(anti) = get(strategy, "antiAffinity") else {
        return;
    };
    let path = path.clone().key("antiAffinity");
    let preferred = get(anti, "preferredDuringSchedulingIgnoredDuringExecution");
    let required = get(anti, "requiredDuringSchedulingIgnoredDuringExecution");
    if preferred.is_some() == required.is_some() {
        findings.push(error(
            document,
            &path,
            "rollout/anti-affinity",
            "Invalid value: AntiAffinity must have exactly one strategy listed",
        ));
    }
    if let Some(weight) = preferred
        .and_then(|p| p.get("weight"))
        .and_then(Value::as_i64)
        && !(1..=100).contains(&weight)
    {
        findings.push(error(
            document,
            &path.key("weight"),
            "rollout/anti-affinity",
            format!("Invalid value: {weight}: AntiAffinity weight must be between 1-100"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};

    fn findings(text: &str) -> Vec<Finding> {
        let loaded = load_text("r.yaml", text, &Limits::default()).unwrap();
        let mut out = Vec::new();
        check(&loaded.documents[0], &mut out);
        out
    }

    const BASE: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  selector: {matchLabels: {app: r}}\n  template:\n    metadata: {labels: {app: r}}\n    spec: {containers: [{name: r, image: r}]}\n  strategy:\n    canary:\n";

    #[test]
    fn surge_and_unavailable_zero() {
        let found = findings(&format!(
            "{BASE}      maxSurge: 0\n      maxUnavailable: 0\n"
        ));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero"
        );
        assert_eq!(found[0].location.position.to_string(), "11:7");
    }

    #[test]
    fn steps() {
        let found = findings(&format!(
            "{BASE}      steps:\n        - setWeight: 120\n        - pause: {{duration: 5 minutes}}\n        - {{setWeight: 5, pause: {{}}}}\n        - {{}}\n"
        ));
        let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [
                "rollout/set-weight-range",
                "rollout/pause-duration",
                "rollout/step-kind",
                "rollout/step-kind"
            ]
        );
        assert_eq!(found[0].location.position.to_string(), "12:11");
        assert_eq!(found[1].location.position.to_string(), "13:19");
    }

    #[test]
    fn selector_and_template() {
        let text = BASE.replace("{matchLabels: {app: r}}", "{matchLabels: {app: other}}");
        let found = findings(&format!("{text}      steps: [{{setWeight: 5}}]\n"));
        assert_eq!(found[0].rule, "rollout/selector-mismatch");
        let text = BASE.replace("  selector: {matchLabels: {app: r}}\n", "");
        let found = findings(&text);
        assert_eq!(
            found[0].message,
            "spec.selector: Required value: Rollout has missing field '.spec.selector'"
        );
    }

    #[test]
    fn traffic_routing_needs_both_services() {
        let found = findings(&format!(
            "{BASE}      canaryService: c\n      trafficRouting:\n        istio:\n          virtualService: {{name: vs}}\n"
        ));
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .contains("Canary service and Stable service must to be set")
        );
        let subsets = findings(&format!(
            "{BASE}      trafficRouting:\n        istio:\n          virtualService: {{name: vs}}\n          destinationRule: {{name: d, canarySubsetName: c, stableSubsetName: s}}\n"
        ));
        assert!(subsets.is_empty(), "{subsets:?}");
    }

    #[test]
    fn pod_template_rules_of_a_replica_set() {
        let text = BASE.replace(
            "    spec: {containers: [{name: r, image: r}]}\n",
            "    spec:\n      restartPolicy: OnFailure\n      activeDeadlineSeconds: 5\n      containers: [{name: r, image: r}, {name: r, image: s}]\n",
        );
        let found = findings(&format!("{text}      steps: [{{setWeight: 5}}]\n"));
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
                "spec.template.spec.containers[1].name: Duplicate value: \"r\"",
            ]
        );
    }

    #[test]
    fn ping_pong_routers_and_plugin_steps() {
        let istio = findings(&format!(
            "{BASE}      pingPong: {{pingService: a, pongService: b}}\n      trafficRouting:\n        istio:\n          virtualService: {{name: vs}}\n      steps: [{{plugin: {{name: x/y}}}}]\n"
        ));
        assert!(istio.is_empty(), "{istio:?}");
        let nginx = findings(&format!(
            "{BASE}      canaryService: c\n      stableService: s\n      pingPong: {{pingService: a, pongService: b}}\n      trafficRouting:\n        nginx: {{stableIngress: i}}\n"
        ));
        assert_eq!(nginx.len(), 1, "{nginx:?}");
        assert!(nginx[0].message.ends_with(
            "Ping-pong feature works with the ALB, Istio, and plugin-based traffic routers only"
        ));
    }

    #[test]
    fn label_names_and_values() {
        assert_eq!(label_name_error("app"), None);
        assert_eq!(label_name_error("app.kubernetes.io/name"), None);
        assert!(label_name_error("Example.com/x").is_some_and(|e| e.starts_with("prefix part")));
        assert!(label_name_error("-app").is_some());
        assert!(label_name_error("/app").is_some());
        assert!(label_name_error("a/b/c").is_some());
        assert!(label_name_error(&"a".repeat(64)).is_some());
        assert_eq!(label_value_error(""), None);
        assert_eq!(label_value_error("v1.2_x-y"), None);
        assert!(label_value_error("a b").is_some());
        assert!(is_dns_label("web-1"));
        assert!(!is_dns_label("Web"));
        assert!(!is_dns_label("web.1"));
    }

    #[test]
    fn downward_api_fields() {
        assert!(is_downward_metadata("metadata.labels['app']"));
        assert!(is_downward_metadata("metadata.namespace"));
        assert!(!is_downward_metadata("metadata.generation"));
    }
}
