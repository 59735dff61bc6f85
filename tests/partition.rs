//! Converting a tree part by part ([`rolloutify::partition`]) prints exactly what converting
//! the whole input at once prints: the same stream in YAML and JSON, the same findings in the
//! same order, the same Deployments converted; the patch `convert --check` and `diff` print
//! is the same, and validating in parts reports the same. Checked on the test data, the seed scenarios
//! and the corpus as they are and with every document moved to a file of its own (so that
//! what ties an app together crosses files), and on trees made to tie parts in every way
//! `partition::links` knows.

use std::fs;
use std::path::{Path, PathBuf};

use rolloutify::config::{self, AppMatch};
use rolloutify::emit::{self, Format, yaml};
use rolloutify::load::{self, Input, LoadOptions};
use rolloutify::plan::ConvertOptions;
use rolloutify::validate::ValidateOptions;
use rolloutify::{convert, diff, partition, report, validate};

/// Stream, findings and conversions.
type Printed = (String, Vec<String>, Vec<String>);

fn whole(inputs: &[Input], options: &ConvertOptions, format: Format) -> Option<Printed> {
    let loaded = load::load(inputs, &LoadOptions::default()).ok()?;
    let conversion = convert::convert(&loaded.documents, options).ok()?;
    if !validate::check_conversion(&loaded.documents, &conversion).is_empty() {
        return None;
    }
    Some((
        emit::render_stream(&conversion.outputs, format),
        conversion
            .findings
            .iter()
            .map(ToString::to_string)
            .collect(),
        conversion.converted,
    ))
}

fn parted(inputs: &[Input], options: &ConvertOptions, format: Format) -> Option<Printed> {
    let printed = partition::convert_printed(inputs, &LoadOptions::default(), options, format)?;
    Some((
        printed.text(),
        printed.findings.iter().map(ToString::to_string).collect(),
        printed.converted,
    ))
}

/// Asserts both ways print the same; whether the parts did it (rather than handing the run
/// back to the whole conversion).
fn assert_same(label: &str, inputs: &[Input], options: &ConvertOptions) -> bool {
    let mut taken = true;
    for format in [Format::Yaml, Format::Json] {
        match parted(inputs, options, format) {
            Some(parts) => {
                let all = whole(inputs, options, format).unwrap_or_else(|| {
                    panic!("{label}: the parts converted what the whole did not")
                });
                assert_eq!(parts.1, all.1, "{label} ({format:?}): findings");
                assert_eq!(parts.2, all.2, "{label} ({format:?}): converted");
                if parts.0 != all.0 {
                    let diff = similar::TextDiff::from_lines(&all.0, &parts.0)
                        .unified_diff()
                        .header("whole", "parts")
                        .to_string();
                    panic!("{label} ({format:?}): streams differ\n{diff}");
                }
            }
            None => taken = false,
        }
    }
    taken
}

/// A copy of the manifests under `path` with each document in a file of its own.
fn one_document_per_file(path: &Path, into: &Path) -> bool {
    let Ok(loaded) = load::load(&[Input::Path(path.to_owned())], &LoadOptions::default()) else {
        return false;
    };
    fs::create_dir_all(into).expect("write the test tree");
    for (i, document) in loaded.documents.iter().enumerate() {
        let mut text = String::new();
        yaml::write_document(&mut text, &document.value);
        fs::write(into.join(format!("doc-{i:04}.yaml")), text).expect("write the test tree");
    }
    true
}

/// Asserts that the patch `convert --check` prints is the same made in parts; whether the
/// parts made it.
fn assert_same_patch(label: &str, inputs: &[Input], options: &ConvertOptions) -> bool {
    let Some(parts) = partition::patch(inputs, &LoadOptions::default(), options) else {
        return false;
    };
    let loaded = load::load(inputs, &LoadOptions::default())
        .unwrap_or_else(|error| panic!("{label}: the parts patched what does not load: {error}"));
    let conversion = convert::convert(&loaded.documents, options).unwrap_or_else(|error| {
        panic!("{label}: the parts patched what does not convert: {error}")
    });
    assert!(
        validate::check_conversion(&loaded.documents, &conversion).is_empty(),
        "{label}: the parts patched what fails its check"
    );
    let files = emit::render_files(&loaded.sources, &loaded.documents, &conversion);
    let findings: Vec<String> = parts.findings.iter().map(ToString::to_string).collect();
    let all: Vec<String> = conversion
        .findings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(findings, all, "{label} (patch): findings");
    assert_eq!(
        parts.converted, conversion.converted,
        "{label} (patch): converted"
    );
    let rewritten: Vec<&rolloutify::finding::Finding> =
        files.iter().flat_map(|f| &f.rewritten).collect();
    assert_eq!(
        parts.rewritten.iter().collect::<Vec<_>>(),
        rewritten,
        "{label} (patch): warnings about text written anew"
    );
    assert_eq!(
        parts.changed(),
        files.iter().filter(|f| f.changed).count(),
        "{label}: changed files"
    );
    let whole = diff::unified(&files);
    let parted = parts.text();
    if parted != whole {
        let diff = similar::TextDiff::from_lines(&whole, &parted)
            .unified_diff()
            .header("whole", "parts")
            .to_string();
        panic!("{label}: patches differ\n{diff}");
    }
    true
}

/// Asserts that validating in parts reports what validating the whole input reports;
/// whether the parts did it.
fn assert_same_report(label: &str, inputs: &[Input]) -> bool {
    let options = ValidateOptions::default();
    let Some(parts) = partition::validate_report(inputs, &LoadOptions::default(), &options) else {
        return false;
    };
    let loaded = load::load(inputs, &LoadOptions::default())
        .unwrap_or_else(|error| panic!("{label}: the parts validated what does not load: {error}"));
    let all = validate::validate(&loaded.documents, &options);
    for format in [report::Format::Json, report::Format::Sarif] {
        assert_eq!(
            report::render(&parts, format),
            report::render(&all, format),
            "{label}: reports differ"
        );
    }
    true
}

/// Copies the tree at `from` (a directory or one file) to `to`.
fn copy_tree(from: &Path, to: &Path) {
    if from.is_file() {
        fs::copy(from, to.join(from.file_name().expect("a file name"))).expect("copy");
        return;
    }
    for entry in fs::read_dir(from).expect("readable").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::create_dir_all(&target).expect("directory");
            copy_tree(&path, &target);
        } else if entry.file_type().is_ok_and(|t| t.is_file()) {
            fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Every file under `root`, by path relative to it, with its text.
fn tree_texts(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut texts = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("under the root").to_owned();
                texts.push((relative, fs::read(&path).expect("readable")));
            }
        }
    }
    texts.sort();
    texts
}

/// The whole run's `convert --write` (`root`: `-o root`) of `inputs`, as the CLI writes it.
fn write_whole(inputs: &[Input], options: &ConvertOptions, root: Option<&Path>) -> usize {
    let loaded = load::load(inputs, &LoadOptions::default()).expect("loads");
    let conversion = convert::convert(&loaded.documents, options).expect("converts");
    let files = emit::render_files(&loaded.sources, &loaded.documents, &conversion);
    let writes: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|file| {
            let path = file.path()?;
            match root {
                Some(root) => Some((emit::atomic::mirrored(root, &path).ok()?, file.text)),
                None => file.changed.then_some((path, file.text)),
            }
        })
        .collect();
    emit::atomic::write_all(&writes).expect("writes");
    writes.len()
}

/// A temporary directory inside the working directory when the build's is (`-o` writes
/// only what it reads from there).
fn temporary_directory() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory")
}

/// Asserts that `convert --write` in parts writes what the whole run writes, on two copies
/// of the tree at `path`, and `-o` the same; whether the parts wrote it.
fn assert_same_written(label: &str, path: &Path, options: &ConvertOptions) -> bool {
    let (parts, whole) = (temporary_directory(), temporary_directory());
    copy_tree(path, parts.path());
    copy_tree(path, whole.path());
    let inputs = |root: &Path| [Input::Path(root.to_owned())];
    let Some(written) = partition::write(
        &inputs(parts.path()),
        &LoadOptions::default(),
        options,
        None,
    ) else {
        return false;
    };
    let files = written.commit().expect("the parts write");
    let count = write_whole(&inputs(whole.path()), options, None);
    assert_eq!(files, count, "{label} (-w): files written");
    assert_eq!(
        tree_texts(parts.path()),
        tree_texts(whole.path()),
        "{label} (-w): trees"
    );
    // `-o` of a copy as it was, by its path from here.
    let source = temporary_directory();
    copy_tree(path, source.path());
    let here = std::env::current_dir().expect("working directory");
    let Ok(relative) = source.path().strip_prefix(&here) else {
        eprintln!("{label}: -o not checked: the build directory is outside the working directory");
        return true;
    };
    let (parts, whole) = (temporary_directory(), temporary_directory());
    let inputs = [Input::Path(relative.to_owned())];
    let written = partition::write(
        &inputs,
        &LoadOptions::default(),
        options,
        Some(parts.path()),
    )
    .unwrap_or_else(|| panic!("{label} (-o): the parts wrote with -w, not with -o"));
    let files = written.commit().expect("the parts write");
    let count = write_whole(&inputs, options, Some(whole.path()));
    assert_eq!(files, count, "{label} (-o): files written");
    assert_eq!(
        tree_texts(parts.path()),
        tree_texts(whole.path()),
        "{label} (-o): trees"
    );
    true
}

fn check_tree(label: &str, path: &Path) {
    let inputs = [Input::Path(path.to_owned())];
    assert_same(label, &inputs, &ConvertOptions::default());
    assert_same_patch(label, &inputs, &ConvertOptions::default());
    assert_same_report(label, &inputs);
    assert_same_written(label, path, &ConvertOptions::default());
    let split = tempfile::tempdir().expect("temporary directory");
    if one_document_per_file(path, split.path()) {
        let label = format!("{label}, a document per file");
        let inputs = [Input::Path(split.path().to_owned())];
        assert_same(&label, &inputs, &ConvertOptions::default());
        assert_same_patch(&label, &inputs, &ConvertOptions::default());
        assert_same_written(&label, split.path(), &ConvertOptions::default());
        // One file is one part: the whole run does it.
        let several = fs::read_dir(split.path()).map_or(0, Iterator::count) > 1;
        assert_eq!(
            assert_same_report(&label, &inputs),
            several,
            "{label}: parts"
        );
    }
}

fn subdirectories(path: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn test_data_converts_the_same_in_parts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    for dir in subdirectories(&root) {
        check_tree(&dir.display().to_string(), &dir);
    }
}

#[test]
fn seed_scenarios_and_corpus_convert_the_same_in_parts() {
    let shared = std::env::var_os("ROLLOUTIFY_SHARED_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    if !shared.is_dir() {
        eprintln!("skipped: ../shared is absent");
        return;
    }
    for scenario in subdirectories(&shared.join("seeds/scenarios")) {
        let before = scenario.join("before.yaml");
        check_tree(&before.display().to_string(), &before);
    }
    for repository in subdirectories(&shared.join("corpus")) {
        check_tree(&repository.display().to_string(), &repository);
    }
}

/// One app: Deployment, Service, VirtualService, optionally HPA and DestinationRule.
fn app(namespace: &str, name: &str, autoscaled: bool, rule: bool) -> Vec<String> {
    let mut documents = vec![
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
             spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n\
             \x20   spec:\n      containers:\n        - name: app\n          image: registry.example.com/{name}:1.0.0\n          ports:\n            - containerPort: 8080\n"
        ),
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
             spec:\n  selector:\n    app: {name}\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n"
        ),
        format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
             spec:\n  hosts:\n    - {name}\n  http:\n    - route:\n        - destination:\n            host: {name}\n"
        ),
    ];
    if autoscaled {
        documents.push(format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
             spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {name}\n  minReplicas: 2\n  maxReplicas: 5\n"
        ));
    }
    if rule {
        documents.push(format!(
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
             spec:\n  host: {name}\n  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: 100\n"
        ));
    }
    documents
}

fn write(root: &Path, file: &str, documents: &[String]) {
    let path = root.join(file);
    fs::create_dir_all(path.parent().expect("a file in a directory")).expect("write the test tree");
    fs::write(path, documents.join("---\n")).expect("write the test tree");
}

/// A monorepo of independent apps, a file each: every file is a part of its own, and the
/// namespaces' shared AnalysisTemplates come out once, where the whole conversion puts them.
#[test]
fn independent_apps_convert_in_parts() {
    let root = tempfile::tempdir().expect("temporary directory");
    for i in 0..60 {
        let namespace = format!("team-{}", i % 4);
        let name = format!("app-{i:03}");
        write(
            root.path(),
            &format!("{namespace}/{name}.yaml"),
            &app(&namespace, &name, i % 3 == 0, i % 5 == 0),
        );
    }
    let inputs = [Input::Path(root.path().to_owned())];
    assert!(assert_same("60 apps", &inputs, &ConvertOptions::default()));
    assert!(assert_same_report("60 apps", &inputs));
    assert!(assert_same_patch(
        "60 apps",
        &inputs,
        &ConvertOptions::default()
    ));
    let patch = partition::patch(&inputs, &LoadOptions::default(), &ConvertOptions::default())
        .expect("the parts patch")
        .text();
    assert_eq!(patch.matches("+kind: AnalysisTemplate").count(), 4);
    let (text, _, converted) =
        parted(&inputs, &ConvertOptions::default(), Format::Yaml).expect("the parts convert");
    assert_eq!(converted.len(), 60);
    assert_eq!(text.matches("kind: AnalysisTemplate").count(), 4);
    // Selecting some apps: the others stay as they are.
    let selected = ConvertOptions {
        select: vec![AppMatch::parse_selector("team-1/app-005")],
        ..ConvertOptions::default()
    };
    assert!(assert_same("60 apps, one selected", &inputs, &selected));
    assert!(assert_same_patch(
        "60 apps, one selected",
        &inputs,
        &selected
    ));
    let (_, _, converted) = parted(&inputs, &selected, Format::Yaml).expect("the parts convert");
    assert_eq!(converted, ["Deployment/team-1/app-005"]);
}

/// Apps whose resources lie in several files, tied in each way links follow.
#[test]
fn apps_spread_over_files_convert_in_parts() {
    let root = tempfile::tempdir().expect("temporary directory");
    let root = root.path();
    // Each resource of an app in a file of its own, in different directories.
    let split = app("shop", "cart", true, true);
    for (i, document) in split.iter().enumerate() {
        write(
            root,
            &format!("by-kind/{i}/cart.yaml"),
            std::slice::from_ref(document),
        );
    }
    // One VirtualService routing to two apps, in a file of neither.
    write(
        root,
        "shop/checkout.yaml",
        &app("shop", "checkout", false, false)[..2],
    );
    write(
        root,
        "shop/payment.yaml",
        &app("shop", "payment", false, false)[..2],
    );
    write(
        root,
        "shop/routes.yaml",
        &["apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: shop\n  namespace: shop\n\
           spec:\n  hosts:\n    - shop.example.com\n  http:\n    - name: checkout\n      match:\n        - uri:\n            prefix: /checkout\n\
           \x20     route:\n        - destination:\n            host: checkout\n    - name: payment\n      route:\n        - destination:\n            host: payment.shop.svc.cluster.local\n"
            .to_owned()],
    );
    // A Service in one file selecting the pods of a Deployment in another, under another name.
    let mut web = app("media", "web", false, false);
    web[1] = web[1].replace("name: web\n", "name: frontend\n");
    web[2] = web[2].replace("web", "frontend");
    write(root, "media/deployment.yaml", &web[..1]);
    write(root, "media/service.yaml", &web[1..]);
    // An AnalysisTemplate already in the input, for the apps of its namespace.
    write(
        root,
        "billing/a.yaml",
        &app("billing", "invoices", false, false),
    );
    write(
        root,
        "billing/b.yaml",
        &app("billing", "ledger", false, false),
    );
    write(
        root,
        "billing/analysis.yaml",
        &["apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: istio-canary-health\n  namespace: billing\n\
           spec:\n  args:\n    - name: service-name\n  metrics:\n    - name: success-rate\n      interval: 1m\n      successCondition: result[0] >= 0.99\n\
           \x20     provider:\n        prometheus:\n          address: http://prometheus.istio-system:9090\n          query: up{service=\"{{args.service-name}}\"}\n"
            .to_owned()],
    );
    // A DestinationRule for every host of a namespace.
    write(
        root,
        "edge/a.yaml",
        &app("edge", "gateway-api", false, false),
    );
    write(
        root,
        "edge/rule.yaml",
        &["apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: all\n  namespace: edge\n\
           spec:\n  host: \"*.edge.svc.cluster.local\"\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n"
            .to_owned()],
    );
    // Files with nothing to convert, and an empty one.
    write(
        root,
        "misc/config.yaml",
        &["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart\n  namespace: shop\ndata:\n  a: \"1\"\n".to_owned()],
    );
    fs::write(root.join("misc/empty.yaml"), "").expect("write the test tree");
    let inputs = [Input::Path(root.to_owned())];
    assert!(assert_same(
        "spread apps",
        &inputs,
        &ConvertOptions::default()
    ));
    assert!(assert_same_report("spread apps", &inputs));
    assert!(assert_same_patch(
        "spread apps",
        &inputs,
        &ConvertOptions::default()
    ));
    let (text, _, converted) =
        parted(&inputs, &ConvertOptions::default(), Format::Yaml).expect("the parts convert");
    assert_eq!(converted.len(), 7, "{converted:?}");
    // The apps of `billing` use the template of the input; the other namespaces get one each.
    assert_eq!(text.matches("kind: AnalysisTemplate").count(), 4);
}

/// Apps of one namespace given different analysis settings: if the parts make different
/// AnalysisTemplates under one name, the whole conversion decides; either way the same.
#[test]
fn differing_templates_in_one_namespace_print_the_same() {
    let root = tempfile::tempdir().expect("temporary directory");
    write(root.path(), "a.yaml", &app("shop", "cart", false, false));
    write(root.path(), "b.yaml", &app("shop", "orders", false, false));
    let config = config::parse(
        "rolloutify.yaml",
        "apiVersion: rolloutify.io/v1alpha1\nkind: Rolloutify\napps:\n  - match: {name: orders}\n    analysis: {successRate: 0.5}\n",
    )
    .expect("the configuration parses");
    let options = ConvertOptions {
        config,
        ..ConvertOptions::default()
    };
    let inputs = [Input::Path(root.path().to_owned())];
    assert_same("differing templates", &inputs, &options);
    assert_same_patch("differing templates", &inputs, &options);
    let (text, _, _) = whole(&inputs, &options, Format::Yaml).expect("the whole converts");
    assert!(text.contains("name: orders-istio-canary-health"), "{text}");
}

/// What decides whether a Deployment is a candidate, across files: a Gateway whose selector
/// picks its pods (in another namespace), a ReadWriteOnce claim its pods mount, the one line
/// that lists Deployments without routes, and `-n` placing documents without a namespace.
#[test]
fn candidates_decided_across_files_convert_in_parts() {
    let root = tempfile::tempdir().expect("temporary directory");
    let root = root.path();
    // Routed, but its pods are a gateway: the Gateway lies in another file and namespace.
    let mut edge = app("gateways", "edge", false, false);
    edge[0] = edge[0].replace(
        "        app: edge\n",
        "        app: edge\n        gateway: public\n",
    );
    write(root, "gateways/edge.yaml", &edge);
    write(
        root,
        "shop/gateway.yaml",
        &["apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: public\n  namespace: shop\n\
           spec:\n  selector:\n    gateway: public\n  servers:\n    - port: {number: 80, name: http, protocol: HTTP}\n      hosts: [\"*\"]\n"
            .to_owned()],
    );
    // Routed, but it mounts a ReadWriteOnce claim written in another file.
    let mut db = app("data", "mysql", false, false);
    db[0] = db[0].replace(
        "            - containerPort: 8080\n",
        "            - containerPort: 8080\n      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: mysql-data\n",
    );
    write(root, "data/mysql.yaml", &db);
    write(
        root,
        "data/claim.yaml",
        &["apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: mysql-data\n  namespace: data\n\
           spec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"
            .to_owned()],
    );
    // Without routes, in three files: listed once.
    for name in ["alpha", "bravo", "charlie"] {
        write(
            root,
            &format!("plain/{name}.yaml"),
            &app("plain", name, false, false)[..2],
        );
    }
    // No namespace written: -n says where it is, and the VirtualService names it there.
    let legacy: Vec<String> = app("legacy", "web", false, false)
        .iter()
        .map(|d| d.replace("  namespace: legacy\n", ""))
        .collect();
    write(root, "legacy/app.yaml", &legacy[..2]);
    write(
        root,
        "legacy/routes.yaml",
        &["apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: web\n  namespace: shop\n\
           spec:\n  hosts: [web.example.com]\n  http:\n    - route:\n        - destination:\n            host: web.legacy.svc.cluster.local\n"
            .to_owned()],
    );
    let inputs = [Input::Path(root.to_owned())];
    let placed = ConvertOptions {
        scope: rolloutify::index::host::Scope {
            namespace: Some("legacy".to_owned()),
            ..Default::default()
        },
        ..ConvertOptions::default()
    };
    for (label, options) in [
        ("candidates", ConvertOptions::default()),
        ("candidates -n", placed),
    ] {
        assert!(assert_same(label, &inputs, &options), "{label}: in parts");
        assert!(
            assert_same_patch(label, &inputs, &options),
            "{label}: patch in parts"
        );
        let (_, findings, converted) = parted(&inputs, &options, Format::Yaml).expect("converts");
        let listed: Vec<&String> = findings
            .iter()
            .filter(|f| f.contains("[convert/not-routed]"))
            .collect();
        assert_eq!(listed.len(), 1, "{label}: {findings:#?}");
        assert!(
            listed[0].contains(": plain/alpha, plain/bravo, plain/charlie"),
            "{}",
            listed[0]
        );
        let expected: &[&str] = if options.scope.namespace.is_some() {
            &["Deployment/web"]
        } else {
            &[]
        };
        assert_eq!(converted, expected, "{label}: {findings:#?}");
    }
}

/// The same object in two files that nothing else ties (issue 13, item 7): the parts join
/// them, and report the duplicate as the whole run does.
#[test]
fn the_same_object_in_two_files_reports_the_same_in_parts() {
    let root = tempfile::tempdir().expect("temporary directory");
    write(
        root.path(),
        "a/app.yaml",
        &app("shop", "cart", false, false),
    );
    write(
        root.path(),
        "b/app.yaml",
        &app("shop", "orders", false, false),
    );
    let config_map =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: \"1\"\n"
            .to_owned();
    write(
        root.path(),
        "c/settings.yaml",
        std::slice::from_ref(&config_map),
    );
    write(
        root.path(),
        "d/settings.yaml",
        std::slice::from_ref(&config_map),
    );
    let inputs = [Input::Path(root.path().to_owned())];
    let options = ConvertOptions::default();
    assert!(assert_same("duplicates", &inputs, &options));
    assert!(assert_same_report("duplicates", &inputs));
    assert!(assert_same_patch("duplicates", &inputs, &options));
    let (_, findings, converted) =
        parted(&inputs, &options, Format::Yaml).expect("the parts convert");
    assert_eq!(converted.len(), 2, "{converted:?}");
    assert!(
        findings
            .iter()
            .any(|f| f.contains("[input/duplicate] ConfigMap/shop/settings is defined twice")),
        "{findings:?}"
    );
}
