//! Real public manifests from `../shared/corpus`: every repository's apps convert, the output
//! is accepted by the upstream CRD schemas (unknown fields rejected), and converting the
//! output again changes nothing.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rolloutify::convert::{self, Origin};
use rolloutify::emit::{self, Format};
use rolloutify::load::{self, Document, Limits};
use rolloutify::plan::ConvertOptions;

fn convert_text(name: &str, text: &str) -> String {
    let loaded = load::load_text(name, text, &Limits::default()).expect("converted output loads");
    let conversion =
        convert::convert(&loaded.documents, &ConvertOptions::default()).expect("converts again");
    emit::render_stream(&conversion.outputs, Format::Yaml)
}

/// Converts one group of documents and checks the output: accepted by the upstream schemas,
/// and unchanged by a second conversion. Returns how many Deployments were converted.
fn check_group(
    shared: &Path,
    name: &str,
    documents: &[Document],
    validators: &mut HashMap<(String, String), Option<jsonschema::Validator>>,
) -> usize {
    let conversion = match convert::convert(documents, &ConvertOptions::default()) {
        Ok(conversion) => conversion,
        Err(error) => panic!("{name}: {error}"),
    };
    if std::env::var_os("CORPUS_DEBUG").is_some() {
        eprintln!("== {name}: converted {:?}", conversion.converted);
        for finding in &conversion.findings {
            eprintln!("{finding}");
        }
    }
    for output in &conversion.outputs {
        let changed = !matches!(output.origin, Origin::Input { changed: false, .. });
        let api_version = output.value["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let kind = output.value["kind"].as_str().unwrap_or_default().to_owned();
        if !changed
            || !(api_version.starts_with("argoproj.io/")
                || api_version.starts_with("networking.istio.io/"))
        {
            continue;
        }
        let validator = validators
            .entry((api_version.clone(), kind.clone()))
            .or_insert_with(|| support::oracle_schema(shared, &api_version, &kind));
        let Some(validator) = validator else {
            panic!("no upstream schema for {api_version} {kind}");
        };
        let errors: Vec<String> = validator
            .iter_errors(&output.value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: {kind} {} rejected by the upstream schema: {errors:#?}",
            output.value["metadata"]["name"]
        );
    }
    let invalid = rolloutify::validate::check_conversion(documents, &conversion);
    assert!(
        invalid.is_empty(),
        "{name}: the conversion does not validate: {invalid:#?}"
    );
    let first = emit::render_stream(&conversion.outputs, Format::Yaml);
    let second = convert_text("first.yaml", &first);
    assert_eq!(first, second, "{name}: converting the output changed it");
    conversion.converted.len()
}

#[test]
fn corpus_apps_convert_validly_and_idempotently() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let mut repositories: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus"))
        .expect("corpus folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    repositories.sort();
    let mut validators = HashMap::new();
    let mut per_directory = 0;
    let mut per_repository = 0;
    for repository in &repositories {
        let (documents, _refused) = support::load_leniently(repository);
        // Each directory on its own: how a user converts one app's folder.
        let mut by_directory: BTreeMap<PathBuf, Vec<Document>> = BTreeMap::new();
        for document in &documents {
            let directory = document
                .source
                .path()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            by_directory
                .entry(directory)
                .or_default()
                .push(document.clone());
        }
        for (directory, group) in &by_directory {
            per_directory += check_group(
                &shared,
                &directory.display().to_string(),
                group,
                &mut validators,
            );
        }
        // The whole repository, each object once (bases and overlays repeat objects), so
        // that apps spread over folders (Deployments here, VirtualServices there) meet.
        let mut seen = HashSet::new();
        let unique: Vec<Document> = documents
            .into_iter()
            .filter(|d| seen.insert(d.resource_id() + "@" + d.api_version()))
            .collect();
        per_repository += check_group(
            &shared,
            &repository.display().to_string(),
            &unique,
            &mut validators,
        );
    }
    eprintln!(
        "corpus: {per_directory} Deployments converted folder by folder, {per_repository} repository by repository"
    );
    // Only Deployments that a VirtualService route reaches convert by default (issue 13):
    // most corpus folders hold Deployments without one, or Services shared by versions.
    assert!(
        per_directory >= 10,
        "only {per_directory} Deployments converted"
    );
    assert!(
        per_repository >= 10,
        "only {per_repository} Deployments converted"
    );
}
