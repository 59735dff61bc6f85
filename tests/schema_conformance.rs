//! The bundled schemas agree with the upstream ones: every example in `../shared/reference`
//! and every corpus document of a kind we have a schema for is accepted by ours exactly when
//! the upstream CRD schema (CRDs-catalog) or the strict Kubernetes schema accepts it.

mod support;

use std::collections::HashMap;
use std::path::Path;

use rolloutify::validate::schema;

fn oracle(shared: &Path, api_version: &str, kind: &str) -> Option<jsonschema::Validator> {
    let kubernetes = match (api_version, kind) {
        ("apps/v1", "Deployment") => Some("deployment-apps-v1.json"),
        ("v1", "Service") => Some("service-v1.json"),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            Some("horizontalpodautoscaler-autoscaling-v2.json")
        }
        ("policy/v1", "PodDisruptionBudget") => Some("poddisruptionbudget-policy-v1.json"),
        _ => None,
    };
    match kubernetes {
        Some(file) => {
            let path = shared
                .join("reference/k8s-json-schema/v1.32.2-standalone-strict")
                .join(file);
            let schema: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
            jsonschema::options()
                .should_validate_formats(false)
                .build(&schema)
                .ok()
        }
        None => support::oracle_schema(shared, api_version, kind),
    }
}

#[test]
fn bundled_schemas_agree_with_upstream() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let mut oracles: HashMap<(String, String), Option<jsonschema::Validator>> = HashMap::new();
    let mut agreed = 0;
    let mut disagreements = Vec::new();
    for root in ["reference/argo-rollouts", "corpus"] {
        let (documents, _) = support::load_leniently(&shared.join(root));
        for document in documents {
            let (api_version, kind) = (
                document.api_version().to_owned(),
                document.kind().to_owned(),
            );
            let Some(ours) = schema::check(&document) else {
                continue;
            };
            let Some(Some(upstream)) = oracles
                .entry((api_version.clone(), kind.clone()))
                .or_insert_with(|| oracle(&shared, &api_version, &kind))
                .as_ref()
                .map(Some)
            else {
                continue;
            };
            // The strict Kubernetes schemas refuse explicit nulls, which kubectl accepts.
            if !document.value.to_string().contains(":null") || api_version.contains('.') {
                let theirs = upstream.is_valid(&document.value);
                if theirs == ours.is_empty() {
                    agreed += 1;
                } else {
                    disagreements.push(format!(
                        "{} ({}): upstream {}, ours {:?}",
                        document.describe(),
                        document.resource_id(),
                        if theirs { "accepts" } else { "rejects" },
                        ours.iter().map(|f| f.message.clone()).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    eprintln!(
        "schemas: {agreed} agreements, {} disagreements",
        disagreements.len()
    );
    assert!(agreed > 200, "only {agreed} documents compared");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Istio's own CRD-validation fixtures for DestinationRules: the valid ones pass, each invalid
/// one (its `_err` line removed) fails at the field the fixture names.
#[test]
fn istio_destination_rule_fixtures() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let dir = shared.join("reference/istio-crds/pkg/config/validation/testdata/crds");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("fixture");
    let valid = rolloutify::load::load_text(
        "destinationrule-valid.yaml",
        &read("destinationrule-valid.yaml"),
        &Default::default(),
    )
    .expect("loads");
    assert!(!valid.documents.is_empty());
    for document in &valid.documents {
        let findings = schema::check(document).expect("a DestinationRule schema");
        assert!(findings.is_empty(), "{}: {findings:?}", document.describe());
    }
    let invalid_text = read("destinationrule-invalid.yaml");
    let mut expected = Vec::new();
    let mut stripped = String::new();
    for line in invalid_text.lines() {
        match line.strip_prefix("_err: ") {
            Some(error) => expected.push(
                error
                    .trim_matches('\'')
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            None => {
                stripped.push_str(line);
                stripped.push('\n');
            }
        }
    }
    let invalid = rolloutify::load::load_text(
        "destinationrule-invalid.yaml",
        &stripped,
        &Default::default(),
    )
    .expect("loads");
    assert_eq!(invalid.documents.len(), expected.len());
    for (document, field) in invalid.documents.iter().zip(&expected) {
        let findings = schema::check(document).expect("a DestinationRule schema");
        // `warmup.duration: Required value` is reported at the object that lacks it.
        let parent = field.rsplit_once('.').map_or(field.as_str(), |(p, _)| p);
        assert!(
            findings
                .iter()
                .any(|f| f.message.starts_with(field.as_str())
                    || f.message
                        .starts_with(&format!("{parent}: missing required field"))),
            "{}: expected a finding at {field}, got {findings:?}",
            document.describe()
        );
    }
}

/// The user's schemas: upstream CRDs given with `--crd` and the CRDs-catalog given with
/// `--schema-location` take over the schema check and give the same verdicts on lint's data.
#[test]
fn user_schemas_from_crds_and_locations() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let reference = shared.join("reference");
    let lint = reference.join("argo-rollouts/pkg/kubectl-argo-rollouts/cmd/lint/testdata");
    let crd = reference.join("argo-rollouts/manifests/crds/rollout-crd.yaml");
    let istio = reference.join("istio-crds/manifests/charts/base/files/crd-all.gen.yaml");
    let catalog = reference.join("crds-catalog");
    let kubernetes = format!(
        "{}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        reference
            .join("k8s-json-schema/v1.32.2-standalone-strict")
            .display()
    );
    let run = |args: &[&str]| {
        let output = assert_cmd::Command::cargo_bin("rolloutify")
            .expect("binary")
            .current_dir(&lint)
            .args(args)
            .output()
            .expect("runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    for schemas in [
        vec![
            "--crd",
            crd.to_str().expect("utf-8"),
            "--crd",
            istio.to_str().expect("utf-8"),
        ],
        vec![
            "--schema-location",
            catalog.to_str().expect("utf-8"),
            "--schema-location",
            &kubernetes,
        ],
    ] {
        let mut args = vec!["validate"];
        args.extend(schemas.iter().copied());
        let (code, stdout) = run(&[&args[..], &["invalid-unknown-field.yml"]].concat());
        assert_eq!(code, Some(1), "{stdout}");
        assert!(
            stdout.contains("unknown field \"unknown-strategy\""),
            "{stdout}"
        );
        for valid in [
            "valid.yml",
            "valid-istio-v1beta1.yml",
            "valid-istio-v1beta1-mulitiple-virtualsvcs.yml",
            "valid-workload-ref.yaml",
        ] {
            let (code, stdout) = run(&[&args[..], &[valid]].concat());
            assert_eq!(code, Some(0), "{valid}: {stdout}");
        }
    }
}
