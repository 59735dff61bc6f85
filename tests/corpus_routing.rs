//! Real repositories from `../shared/corpus`, converted as a user would (`rolloutify convert`
//! on each repository and on each of its folders that holds manifests), and the output read
//! independently of the converter's own index and host code: every input route destination
//! is unchanged or replaced by the stable/canary pair of a Service that exists in the input,
//! named in the cluster domain; every subset a Rollout names selects its pods; converting the
//! output again changes nothing.

mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use rolloutify::load::{self, Input, LoadOptions};

const CLUSTER_DOMAIN: &str = "cluster.local";
const ROUTE_KINDS: [&str; 3] = ["http", "tls", "tcp"];

fn convert(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String, String) {
    let mut command = Command::cargo_bin("rolloutify").expect("binary is built");
    command.arg("convert").args(["--format", "json"]).args(args);
    if let Some(text) = stdin {
        command.write_stdin(text.as_bytes().to_vec());
    }
    let output = command.output().expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The repository folder and every folder under it that holds manifests itself.
fn folders(tree: &Path) -> Vec<PathBuf> {
    let mut found = vec![tree.to_path_buf()];
    let mut dirs: Vec<PathBuf> = support::manifest_files(tree)
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .filter(|d| d != tree)
        .collect();
    dirs.sort();
    dirs.dedup();
    found.extend(dirs);
    found
}

fn metadata<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value["metadata"][key].as_str().filter(|s| !s.is_empty())
}

/// The namespace a Service host names, read by the Kubernetes DNS rules: a short host is in
/// the VirtualService's namespace (`Some(None)` when that has none); `svc.ns`, `svc.ns.svc`
/// and `svc.ns.svc.cluster.local` name `ns`; anything else is outside the cluster domain
/// (`None`).
fn host_namespace<'h>(rest: &'h str, vs_namespace: Option<&'h str>) -> Option<Option<&'h str>> {
    let Some(rest) = rest.strip_prefix('.') else {
        return rest.is_empty().then_some(vs_namespace);
    };
    let mut parts = rest.splitn(3, '.');
    let namespace = parts.next().filter(|ns| !ns.is_empty())?;
    match (parts.next(), parts.next()) {
        (None, None) | (Some("svc"), None) => Some(Some(namespace)),
        (Some("svc"), Some(domain)) if domain == CLUSTER_DOMAIN => Some(Some(namespace)),
        _ => None,
    }
}

fn host_of(destination: &Value) -> &str {
    destination["destination"]["host"]
        .as_str()
        .unwrap_or_default()
}

/// `(first label, rest)` of a host.
fn split_host(host: &str) -> (&str, &str) {
    match host.find('.') {
        Some(dot) => (&host[..dot], &host[dot..]),
        None => (host, ""),
    }
}

fn exists(documents: &[&Value], kind: &str, name: &str, namespace: Option<&str>) -> bool {
    documents.iter().any(|d| {
        d["kind"] == kind
            && metadata(d, "name") == Some(name)
            && metadata(d, "namespace") == namespace
    })
}

/// What one converted folder showed.
#[derive(Default)]
struct Tally {
    runs: usize,
    refused: usize,
    /// Runs that left some apps as they were (exit 1) and printed the others converted.
    partial: usize,
    unreadable: usize,
    rollouts: usize,
    rewritten_routes: usize,
    subsets: usize,
}

/// Checks one rewritten route against the input: `before` and `after` are its destinations.
#[allow(clippy::too_many_arguments)]
fn check_rewritten(
    what: &str,
    before: &[Value],
    after: &[Value],
    vs_namespace: Option<&str>,
    input: &[&Value],
    output: &[&Value],
    rollouts: &[&Value],
) {
    assert_eq!(
        after.len(),
        2,
        "{what}: a managed route has two destinations"
    );
    assert_eq!(after[0]["weight"], 100, "{what}: stable weight");
    assert_eq!(
        after[1]["weight"].as_u64().unwrap_or(0),
        0,
        "{what}: canary weight"
    );
    let (stable_label, stable_rest) = split_host(host_of(&after[0]));
    let (canary_label, canary_rest) = split_host(host_of(&after[1]));
    assert_eq!(stable_rest, canary_rest, "{what}: one host form");
    let namespace = host_namespace(stable_rest, vs_namespace).unwrap_or_else(|| {
        panic!(
            "{what}: {} is not in the cluster domain",
            host_of(&after[0])
        )
    });
    let subsets = (
        after[0]["destination"]["subset"].as_str(),
        after[1]["destination"]["subset"].as_str(),
    );
    let service = match subsets {
        (Some(stable), Some(canary)) => {
            assert_eq!(stable_label, canary_label, "{what}: subsets of one host");
            // A Rollout splits this route by these subsets.
            assert!(
                rollouts.iter().any(|r| {
                    let rule =
                        &r["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["destinationRule"];
                    rule["stableSubsetName"] == stable && rule["canarySubsetName"] == canary
                }),
                "{what}: no Rollout splits by subsets {stable}/{canary}"
            );
            stable_label.to_owned()
        }
        (None, None) => {
            let service = stable_label
                .strip_suffix("-stable")
                .unwrap_or_else(|| panic!("{what}: stable host {stable_label}"));
            assert_eq!(
                canary_label,
                format!("{service}-canary"),
                "{what}: canary host"
            );
            for derived in [stable_label, canary_label] {
                assert!(
                    exists(input, "Service", derived, namespace)
                        || exists(output, "Service", derived, namespace),
                    "{what}: Service {derived} in {namespace:?} is neither in the input nor the output"
                );
            }
            service.to_owned()
        }
        _ => panic!("{what}: one destination with a subset, one without"),
    };
    assert!(
        exists(input, "Service", &service, namespace),
        "{what}: Service {service} in {namespace:?} is not in the input"
    );
    for destination in before {
        let (label, rest) = split_host(host_of(destination));
        assert!(
            [
                service.clone(),
                format!("{service}-stable"),
                format!("{service}-canary")
            ]
            .contains(&label.to_owned()),
            "{what}: destination {} was replaced by {service}'s pair",
            host_of(destination)
        );
        assert_eq!(
            host_namespace(rest, vs_namespace),
            Some(namespace),
            "{what}: destination {} is not Service {service} in {namespace:?}",
            host_of(destination)
        );
        assert_eq!(
            destination["destination"]["port"], after[0]["destination"]["port"],
            "{what}: port"
        );
    }
}

/// Every subset a Rollout names selects its pods: all the subset's labels but the hash the
/// controller adds are on the pod template.
fn check_subsets(what: &str, output: &[&Value], tally: &mut Tally) {
    for rollout in output.iter().filter(|v| v["kind"] == "Rollout") {
        let rule =
            &rollout["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["destinationRule"];
        let Some(name) = rule["name"].as_str() else {
            continue;
        };
        let namespace = metadata(rollout, "namespace");
        let labels = &rollout["spec"]["template"]["metadata"]["labels"];
        let dr = output
            .iter()
            .find(|d| {
                d["kind"] == "DestinationRule"
                    && metadata(d, "name") == Some(name)
                    && metadata(d, "namespace") == namespace
            })
            .unwrap_or_else(|| panic!("{what}: no DestinationRule {name}"));
        for key in ["stableSubsetName", "canarySubsetName"] {
            let subset_name = rule[key].as_str().expect("subset name");
            let subset = dr["spec"]["subsets"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["name"] == subset_name)
                .unwrap_or_else(|| panic!("{what}: {name} has no subset {subset_name}"));
            for (label, value) in subset["labels"].as_object().into_iter().flatten() {
                if label != "rollouts-pod-template-hash" {
                    assert_eq!(
                        &labels[label], value,
                        "{what}: subset {subset_name} asks for {label}, which Rollout {} pods do not carry",
                        rollout["metadata"]["name"]
                    );
                }
            }
            tally.subsets += 1;
        }
    }
}

fn check_folder(folder: &Path, tally: &mut Tally) {
    let what = folder.display().to_string();
    tally.runs += 1;
    let (code, stdout, stderr) = convert(&[&what], None);
    match code {
        Some(0) => {}
        // Apps left as they were, for an error, and the others converted: what is printed
        // must hold up like any other output.
        Some(1) if !stdout.is_empty() => {
            assert!(
                stderr.contains("error: "),
                "{what}: exit 1 without an error: {stderr}"
            );
            tally.partial += 1;
        }
        Some(1) => {
            assert!(stderr.contains("nothing was written"), "{what}: {stderr}");
            tally.refused += 1;
            return;
        }
        Some(2) => {
            assert!(stdout.is_empty(), "{what}: printed after a failure");
            let first = stderr.lines().next().unwrap_or_default();
            assert!(
                first.starts_with("error: ") && first.contains(':'),
                "{what}: {stderr}"
            );
            tally.unreadable += 1;
            return;
        }
        other => panic!("{what}: exit {other:?}: {stderr}"),
    }
    let list: Value = serde_json::from_str(&stdout).expect("JSON output");
    let output: Vec<&Value> = list["items"].as_array().expect("items").iter().collect();
    let loaded = load::load(
        &[Input::Path(folder.to_path_buf())],
        &LoadOptions::default(),
    )
    .expect("what convert read loads");
    let input_values: Vec<Value> = loaded
        .documents
        .iter()
        .map(|d| Value::clone(&d.value))
        .collect();
    let input: Vec<&Value> = input_values.iter().collect();
    let rollouts: Vec<&Value> = output
        .iter()
        .copied()
        .filter(|v| v["kind"] == "Rollout")
        .collect();
    tally.rollouts += rollouts.len();
    let virtual_services = |documents: &[&Value]| -> Vec<Value> {
        documents
            .iter()
            .filter(|d| d["kind"] == "VirtualService")
            .map(|d| Value::clone(d))
            .collect()
    };
    let (before, after) = (virtual_services(&input), virtual_services(&output));
    assert_eq!(before.len(), after.len(), "{what}: VirtualServices kept");
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            old["metadata"]["name"], new["metadata"]["name"],
            "{what}: order kept"
        );
        let vs_namespace = metadata(old, "namespace");
        for kind in ROUTE_KINDS {
            let old_routes = old["spec"][kind].as_array().cloned().unwrap_or_default();
            let new_routes = new["spec"][kind].as_array().cloned().unwrap_or_default();
            assert_eq!(
                old_routes.len(),
                new_routes.len(),
                "{what}: {kind} routes kept"
            );
            for (i, (old_route, new_route)) in old_routes.iter().zip(&new_routes).enumerate() {
                let old_destinations = old_route["route"].as_array().cloned().unwrap_or_default();
                let new_destinations = new_route["route"].as_array().cloned().unwrap_or_default();
                if old_destinations == new_destinations {
                    continue;
                }
                let route_what = format!(
                    "{what}: VirtualService {} {kind} route {i}",
                    old["metadata"]["name"]
                );
                check_rewritten(
                    &route_what,
                    &old_destinations,
                    &new_destinations,
                    vs_namespace,
                    &input,
                    &output,
                    &rollouts,
                );
                tally.rewritten_routes += 1;
            }
        }
    }
    check_subsets(&what, &output, tally);
    // Converting the output again changes nothing.
    // (An input error such as a duplicate stays, and so does its exit code.)
    let (again_code, again, again_stderr) = convert(&["-"], Some(&stdout));
    assert_eq!(again_code, code, "{what}: second run: {again_stderr}");
    let again: Value = serde_json::from_str(&again).expect("JSON output");
    assert_eq!(
        again["items"], list["items"],
        "{what}: converting the output changed it"
    );
}

#[test]
fn corpus_routes_are_kept_or_split_for_a_service_of_the_input() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let corpus = shared.join("corpus");
    let mut trees: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    trees.sort();
    let mut tally = Tally::default();
    for tree in &trees {
        for folder in folders(tree) {
            check_folder(&folder, &mut tally);
        }
    }
    eprintln!(
        "corpus: {} trees, {} runs ({} refused, {} partly converted, {} unreadable), {} Rollouts, {} routes rewritten, {} subsets checked",
        trees.len(),
        tally.runs,
        tally.refused,
        tally.partial,
        tally.unreadable,
        tally.rollouts,
        tally.rewritten_routes,
        tally.subsets
    );
    if !trees.is_empty() {
        assert!(tally.rollouts > 0, "nothing was converted");
        assert!(tally.rewritten_routes > 0, "no route was rewritten");
    }
}
