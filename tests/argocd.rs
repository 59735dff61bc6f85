//! `convert --argocd`: the jq path expressions of every `ignoreDifferences` entry, run by the
//! real `jq` on the converted VirtualServices, select exactly the weights the Argo Rollouts
//! controller changes (the stable and canary destinations of managed routes), nothing else.
//! Skipped when jq is not installed.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use rolloutify::convert;
use rolloutify::emit::argocd;
use rolloutify::load::{self, Input, LoadOptions};
use rolloutify::plan::ConvertOptions;
use serde_json::Value;

fn jq_available() -> bool {
    let found = Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("note: jq is not installed; skipping");
    }
    found
}

/// The paths `expression` selects in `value`, as jq reports them.
fn jq_paths(expression: &str, value: &Value) -> BTreeSet<String> {
    let mut child = Command::new("jq")
        .args(["-c", &format!("path({expression})")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jq runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(value.to_string().as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("jq finishes");
    assert!(
        output.status.success(),
        "jq refused `{expression}`: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The weights of destinations that name the Rollout's canary or stable Service (or subset),
/// as jq paths.
fn managed_weights(service: &Value, hosts: &[String], subsets: &[String]) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for kind in ["http", "tls", "tcp"] {
        let routes = service["spec"][kind]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, route) in routes.iter().enumerate() {
            let destinations = route["route"].as_array().cloned().unwrap_or_default();
            for (j, destination) in destinations.iter().enumerate() {
                let host = destination["destination"]["host"].as_str().unwrap_or("");
                let subset = destination["destination"]["subset"].as_str();
                let ours = hosts
                    .iter()
                    .any(|h| host == h || host.starts_with(&format!("{h}.")))
                    || subset.is_some_and(|s| subsets.iter().any(|x| x == s));
                if ours && destination.get("weight").is_some() {
                    paths.insert(format!(
                        "[\"spec\",\"{kind}\",{i},\"route\",{j},\"weight\"]"
                    ));
                }
            }
        }
    }
    paths
}

#[test]
fn jq_paths_select_exactly_the_managed_weights() {
    if !jq_available() {
        return;
    }
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut checked = 0;
    for case in [
        "seed-000-nginx",
        "seed-002-subsets",
        "seed-004-http-and-tls",
        "mixed-route-kinds",
        "several-routes",
        "tcp-route",
        "cross-namespace",
        "shared-service",
    ] {
        let loaded = load::load(&[Input::Path(testdata.join(case))], &LoadOptions::default())
            .expect("loads");
        // seed-000 names its Service in `default`; its documents name no namespace.
        let options = ConvertOptions {
            scope: rolloutify::index::host::Scope {
                namespace: (case == "seed-000-nginx").then(|| "default".to_owned()),
                ..Default::default()
            },
            ..ConvertOptions::default()
        };
        let conversion = convert::convert(&loaded.documents, &options).expect("converts");
        let outputs: Vec<&Value> = conversion.outputs.iter().map(|o| &*o.value).collect();
        let rollouts: Vec<&Value> = outputs
            .iter()
            .copied()
            .filter(|v| v["kind"] == "Rollout")
            .collect();
        for entry in argocd::ignore_differences(&conversion.outputs) {
            if entry["kind"] != "VirtualService" {
                continue;
            }
            let service = outputs
                .iter()
                .find(|v| {
                    v["kind"] == "VirtualService"
                        && v["metadata"]["name"] == entry["name"]
                        && v["metadata"]["namespace"]
                            == entry.get("namespace").cloned().unwrap_or(Value::Null)
                })
                .unwrap_or_else(|| panic!("{case}: no VirtualService for {entry}"));
            let canary = |key: &str| -> Vec<String> {
                rollouts
                    .iter()
                    .filter_map(|r| r["spec"]["strategy"]["canary"][key].as_str())
                    .map(str::to_owned)
                    .collect()
            };
            let mut hosts = canary("canaryService");
            hosts.extend(canary("stableService"));
            let mut subsets = Vec::new();
            for rollout in &rollouts {
                let rule = &rollout["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["destinationRule"];
                for key in ["canarySubsetName", "stableSubsetName"] {
                    if let Some(s) = rule[key].as_str() {
                        subsets.push(s.to_owned());
                    }
                }
            }
            let selected: BTreeSet<String> = entry["jqPathExpressions"]
                .as_array()
                .expect("jq paths")
                .iter()
                .flat_map(|e| jq_paths(e.as_str().expect("a string"), service))
                .collect();
            let expected = managed_weights(service, &hosts, &subsets);
            assert!(!expected.is_empty(), "{case}: nothing managed in {service}");
            assert_eq!(selected, expected, "{case}: {entry}");
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} VirtualServices checked");
}
