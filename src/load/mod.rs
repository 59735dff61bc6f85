//! Load: paths and standard input → documents with the position of every node.
//!
//! Directories are walked with the `ignore` crate (`.gitignore` respected, hidden files and
//! kustomization files skipped, and what is evidently not a manifest: see `walk.rs` and
//! [`parse_found`]), or listed from git's index with `--git` ([`git`]); files are sorted so
//! that every run sees them in one order, and each file is parsed once. [`load_each`] reads
//! every file it can and says why each other one could not be read.

mod document;
pub mod git;
mod limits;
mod position;
pub mod scalar;
mod source;
mod walk;
pub mod yaml;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use document::{Document, Location, Lookup, field, get, lookup};
pub use limits::Limits;
pub use position::{FieldPath, PathSegment, Position, SpanTree};
pub use source::{Origin, Source};
pub use walk::{Exclude, Skipped, is_manifest_file};
use yaml::YamlError;

/// What to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

/// How to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Skip what `.gitignore` and `.ignore` files exclude when walking directories.
    pub respect_ignore_files: bool,
    /// What directory walks leave out besides (`--exclude`, the configuration's `exclude:`).
    pub exclude: Vec<Exclude>,
    /// `--git`: read the files of git's index, with their content from it.
    pub git: Option<Arc<git::GitIndex>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            limits: Limits::default(),
            respect_ignore_files: true,
            exclude: Vec::new(),
            git: None,
        }
    }
}

/// Everything one run read.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Every source read, in the order its documents appear.
    pub sources: Vec<Arc<Source>>,
    pub documents: Vec<Document>,
    /// What the reading has to say that changes what is read (files left out with a
    /// warning).
    pub warnings: Vec<crate::finding::Finding>,
}

/// Why input could not be read. Each message names the file and, where there is one, the line
/// and column; [`LoadError::hint`] says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Returned when a path given on the command line does not exist.
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    /// Returned when a file or directory cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Returned when walking a directory fails (a symlink loop, a permission problem).
    #[error("{path}: {message}")]
    Walk { path: String, message: String },
    /// Returned when `--git` cannot read git's index.
    #[error("git: {message}")]
    Git { message: String },
    /// Returned when a file named with `--git` is not in git's index.
    #[error("{path}: not tracked by git (--git reads what git would commit)")]
    Untracked { path: String },
    /// Returned when an `--exclude` glob (or one of the configuration's `exclude:`) is not a
    /// glob.
    #[error("exclude `{glob}`: {message}")]
    Exclude { glob: String, message: String },
    /// Returned when a file is larger than the limit.
    #[error("{file}: file is {size} bytes, more than the limit of {limit}")]
    TooLarge { file: String, size: u64, limit: u64 },
    /// Returned when a file is not UTF-8 text.
    #[error("{file}:{position}: not UTF-8 text (a binary file?)")]
    NotUtf8 { file: String, position: Position },
    /// Returned when Helm or Go template syntax stands where YAML needs structure: the YAML
    /// next to it cannot be parsed, or a mapping key holds an action. (`{{ }}` inside a
    /// quoted or block string value is data and is read.)
    #[error("{file}:{position}: Helm/Go template syntax (`{snippet}`) is not a manifest: {reason}")]
    Template {
        file: String,
        position: Position,
        snippet: String,
        reason: String,
    },
    /// Returned when the YAML cannot be parsed.
    #[error("{file}:{position}: {source}", position = source.position())]
    Yaml {
        file: String,
        #[source]
        source: YamlError,
    },
    /// Returned when a document (or an item of a `kind: List`) is not a mapping (e.g. a list
    /// of patches).
    #[error("{file}:{position}: document {document}{item} is a {found}, not a Kubernetes object", item = item_text(*.item))]
    NotAnObject {
        file: String,
        document: usize,
        /// 1-based index in the `items` of a `kind: List`.
        item: Option<usize>,
        position: Position,
        found: &'static str,
    },
    /// Returned when a document (or an item of a `kind: List`) has no `kind` or `apiVersion`.
    #[error("{file}:{position}: document {document}{item} has no `{field}`", item = item_text(*.item))]
    MissingField {
        file: String,
        document: usize,
        /// 1-based index in the `items` of a `kind: List`.
        item: Option<usize>,
        position: Position,
        field: &'static str,
    },
}

impl LoadError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            LoadError::NotFound { .. } => {
                "check the path; give files, directories, or - for standard input"
            }
            LoadError::Read { .. } => "check the file's permissions",
            LoadError::Walk { .. } => "remove the loop, or leave the directory out with --exclude",
            LoadError::Git { .. } => {
                "run inside a git work tree with git installed, or drop --git to read the work tree"
            }
            LoadError::Untracked { .. } => "git add the file, or drop --git to read the work tree",
            LoadError::Exclude { .. } => {
                "give gitignore-style globs, e.g. --exclude 'charts/' or --exclude '*.values.yaml'"
            }
            LoadError::TooLarge { .. } => {
                "raise the limit with --max-file-size if the file is really a manifest"
            }
            LoadError::NotUtf8 { .. } => {
                "manifests are UTF-8 text; leave binary files out with --exclude"
            }
            LoadError::Template { .. } => {
                "render the chart first (helm template … | rolloutify convert -) and convert its output, or leave the file out with --exclude"
            }
            LoadError::Yaml { source, .. } => match source {
                YamlError::DuplicateKey { .. } => {
                    "remove one of the two keys; Kubernetes refuses duplicate keys"
                }
                YamlError::AliasBudget { .. } => {
                    "expand the aliases by hand, or raise --max-alias-nodes"
                }
                YamlError::TooDeep { .. } => {
                    "real manifests nest far less; check the file, or raise --max-depth"
                }
                YamlError::TooManyDocuments { .. } => "split the file, or raise --max-documents",
                _ => "fix the YAML at that position (kubectl apply would refuse it too)",
            },
            LoadError::NotAnObject { .. } | LoadError::MissingField { .. } => {
                "only Kubernetes objects (apiVersion, kind, metadata) can be read: add the missing field, or move the other YAML out of this file (directory walks skip files holding no object; --exclude leaves a file out)"
            }
        }
    }

    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            LoadError::NotFound { path }
            | LoadError::Read { path, .. }
            | LoadError::Walk { path, .. } => path,
            LoadError::Exclude { glob, .. } => glob,
            LoadError::Git { .. } => "git",
            LoadError::Untracked { path } => path,
            LoadError::TooLarge { file, .. }
            | LoadError::NotUtf8 { file, .. }
            | LoadError::Template { file, .. }
            | LoadError::Yaml { file, .. }
            | LoadError::NotAnObject { file, .. }
            | LoadError::MissingField { file, .. } => file,
        }
    }
}

impl LoadError {
    /// Where in its file the error is, when it is at a place.
    pub fn position(&self) -> Option<Position> {
        match self {
            LoadError::NotUtf8 { position, .. }
            | LoadError::Template { position, .. }
            | LoadError::NotAnObject { position, .. }
            | LoadError::MissingField { position, .. } => Some(*position),
            LoadError::Yaml { source, .. } => Some(source.position()),
            _ => None,
        }
    }

    /// The rule id of the error as a finding: `load/<what>`.
    pub fn rule(&self) -> &'static str {
        match self {
            LoadError::NotFound { .. } => "load/not-found",
            LoadError::Read { .. } => "load/read",
            LoadError::Walk { .. } => "load/walk",
            LoadError::Exclude { .. } => "load/exclude",
            LoadError::Git { .. } => "load/git",
            LoadError::Untracked { .. } => "load/untracked",
            LoadError::TooLarge { .. } => "load/too-large",
            LoadError::NotUtf8 { .. } => "load/not-utf8",
            LoadError::Template { .. } => "load/template",
            LoadError::Yaml { source, .. } => match source {
                YamlError::DuplicateKey { .. } => "load/duplicate-key",
                YamlError::AliasBudget { .. }
                | YamlError::TooDeep { .. }
                | YamlError::TooManyDocuments { .. } => "load/limit",
                _ => "load/yaml",
            },
            LoadError::NotAnObject { .. } => "load/not-an-object",
            LoadError::MissingField { .. } => "load/missing-field",
        }
    }

    /// The error as a finding of its file (error level, at its line and column, or at the
    /// file's start), so that reports carry a result for every file that could not be read.
    pub fn finding(&self) -> crate::finding::Finding {
        let file = self.file().to_owned();
        let position = self.position().unwrap_or(Position::new(1, 1));
        let text = self.to_string();
        let message = [format!("{file}:{position}: "), format!("{file}: ")]
            .iter()
            .find_map(|prefix| text.strip_prefix(prefix.as_str()))
            .unwrap_or(&text)
            .to_owned();
        crate::finding::Finding {
            location: Location {
                file: file.clone(),
                position,
            },
            severity: crate::finding::Severity::Error,
            rule: self.rule(),
            resource: file,
            message,
            hint: Some(self.hint().to_owned()),
            field: String::new(),
        }
    }
}

fn item_text(item: Option<usize>) -> String {
    item.map(|i| format!(", item {i}")).unwrap_or_default()
}

/// The first line of the files rolloutify writes that are not manifests (the Argo CD
/// fragment of `convert --argocd`); reading skips them.
pub const GENERATED_FRAGMENT_MARKER: &str =
    "# Argo CD Application fields for what Argo Rollouts changes at run time, written by";

/// Reads every input, in order, and parses every document; the first error (in input
/// order) stops the run.
pub fn load(inputs: &[Input], options: &LoadOptions) -> Result<Loaded, LoadError> {
    let (loaded, errors) = load_each(inputs, options);
    match errors.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(loaded),
    }
}

/// Reads every input that can be read, and says why each of the others could not be (in
/// input order): one unreadable file does not keep the others from being checked.
pub fn load_each(inputs: &[Input], options: &LoadOptions) -> (Loaded, Vec<LoadError>) {
    let mut errors = Vec::new();
    // Every source with whether it was named on the command line (read as given) or found
    // by walking a directory (skipped when it holds no API resource).
    let mut sources: Vec<(Source, bool)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for input in inputs {
        match input {
            Input::Stdin => match read_stdin(&options.limits) {
                Ok(source) => sources.push((source, true)),
                Err(error) => errors.push(error),
            },
            Input::Path(path) => {
                let walked = match walk::files_under(path, options) {
                    Ok(walked) => walked,
                    Err(error) => {
                        errors.push(error);
                        continue;
                    }
                };
                for file in walked.files {
                    if !seen.insert(file.clone()) {
                        continue;
                    }
                    match read_manifest(&file, options) {
                        Ok(Some(source)) => sources.push((source, walked.named)),
                        Ok(None) => {}
                        Err(error) => errors.push(error),
                    }
                }
            }
        }
    }
    // Files parse independently: use every core, keep input order.
    use rayon::prelude::*;
    let parsed: Vec<(Arc<Source>, Result<Found, LoadError>)> = sources
        .into_par_iter()
        .map(|(source, named)| {
            let source = Arc::new(source);
            let found = if named {
                parse_source(&source, &options.limits).map(Found::Manifests)
            } else {
                parse_found(&source, &options.limits)
            };
            (source, found)
        })
        .collect();
    let mut loaded = Loaded::default();
    for (source, found) in parsed {
        match found {
            Ok(Found::Manifests(documents)) => {
                loaded.sources.push(source);
                loaded.documents.extend(documents);
            }
            Ok(Found::Skipped(_)) => {}
            Ok(Found::Incomplete(error)) => loaded.warnings.push(incomplete_warning(&error)),
            Err(error) => errors.push(error),
        }
    }
    (loaded, errors)
}

/// What a directory walk skipped under `inputs`, and why: folders and files left out by
/// their paths, and files found to hold no API resource (read and parsed again, so this is
/// for `-v`, not for every run).
pub fn skipped_files(inputs: &[Input], options: &LoadOptions) -> Vec<Skipped> {
    let mut out = Vec::new();
    for input in inputs {
        let Input::Path(path) = input else {
            continue;
        };
        let Ok(walked) = walk::files_under(path, options) else {
            continue;
        };
        out.extend(walked.skipped);
        if walked.named {
            continue;
        }
        for file in walked.files {
            let Ok(Some(source)) = read_manifest(&file, options) else {
                continue;
            };
            if let Ok(Found::Skipped(reason)) = parse_found(&Arc::new(source), &options.limits) {
                out.push(Skipped { path: file, reason });
            }
        }
    }
    out
}

/// The files `inputs` name, walked and in the order [`load`] reads them, each once, with
/// whether each was named on the command line (then it is read as given; a file found by
/// walking is read with [`parse_found`]); `None` when standard input is among them.
pub fn manifest_files(
    inputs: &[Input],
    options: &LoadOptions,
) -> Option<Result<Vec<(PathBuf, bool)>, LoadError>> {
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for input in inputs {
        let Input::Path(path) = input else {
            return None;
        };
        match walk::files_under(path, options) {
            Ok(walked) => files.extend(
                walked
                    .files
                    .into_iter()
                    .filter(|f| seen.insert(f.clone()))
                    .map(|f| (f, walked.named)),
            ),
            Err(error) => return Some(Err(error)),
        }
    }
    Some(Ok(files))
}

/// A file read and its documents.
pub type SourceDocuments = (Arc<Source>, Vec<Document>);

/// The documents of a file, as [`load`] reads it: `Ok(None)` for a file that is not read
/// (the fragments rolloutify writes; a file found by walking that holds no API resource).
pub fn read_documents(
    path: &Path,
    named: bool,
    options: &LoadOptions,
) -> Result<Option<SourceDocuments>, LoadError> {
    let limits = &options.limits;
    let Some(source) = read_manifest(path, options)? else {
        return Ok(None);
    };
    let source = Arc::new(source);
    let found = if named {
        Found::Manifests(parse_source(&source, limits)?)
    } else {
        parse_found(&source, limits)?
    };
    match found {
        Found::Manifests(documents) => Ok(Some((source, documents))),
        Found::Skipped(_) => Ok(None),
        // Its warning is the whole run's to give.
        Found::Incomplete(error) => Err(error),
    }
}

/// What a file found by walking a directory holds.
#[derive(Debug)]
pub enum Found {
    Manifests(Vec<Document>),
    /// Not manifests, and why: no document has `apiVersion` and `kind` (Helm values,
    /// renovate.json, CI workflows, kustomize patches), or every object is client-side
    /// configuration, not an API resource (a kubeconfig, a kustomization, a Kptfile, this
    /// tool's own configuration).
    Skipped(String),
    /// No document is a complete object, but one looks like a manifest that lost `apiVersion`
    /// or `kind` (it has `metadata`): not read, and said at default verbosity.
    Incomplete(LoadError),
}

/// The warning for a file found by walking that [`Found::Incomplete`] leaves out.
pub fn incomplete_warning(error: &LoadError) -> crate::finding::Finding {
    let mut finding = error.finding();
    finding.severity = crate::finding::Severity::Warning;
    finding.rule = "load/incomplete-object";
    finding.message = format!(
        "{}: the file is not read (none of its documents is a complete object)",
        finding.message
    );
    finding.hint = Some(
        "add the missing field to check and convert it, or leave the file out with --exclude"
            .to_owned(),
    );
    finding
}

/// Client-side objects: they have `apiVersion` and `kind` but no API server serves them.
fn client_side(api_version: &str, kind: &str) -> Option<&'static str> {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    match (group, api_version, kind) {
        (_, "v1", "Config") => Some("a kubeconfig"),
        ("kustomize.config.k8s.io", _, _) => Some("kustomize's configuration"),
        ("kpt.dev", _, "Kptfile") => Some("a Kptfile"),
        ("config.kubernetes.io", _, "ResourceList") => Some("a KRM function's input"),
        ("rolloutify.io", _, _) => Some("rolloutify's configuration"),
        (_, "builtin", _) => Some("a kustomize plugin's configuration"),
        _ => None,
    }
}

/// Parses a file found by walking a directory: its documents, or why it is evidently not a
/// manifest file. A file with some objects and a document without `kind` is still an error,
/// as is one that does not parse.
pub fn parse_found(source: &Arc<Source>, limits: &Limits) -> Result<Found, LoadError> {
    let strict = parse_source(source, limits);
    let documents = match strict {
        Ok(documents) => documents,
        Err(error @ (LoadError::NotAnObject { .. } | LoadError::MissingField { .. })) => {
            // Skipped only when no document at all is an object with both fields; one that
            // looks like a manifest that lost a field (`metadata` and one of them: a docs
            // snippet, a typo) is skipped with a warning.
            let parsed = yaml::parse_stream(&source.text, limits).unwrap_or_default();
            let has = |doc: &yaml::ParsedDocument, field: &str| {
                doc.value
                    .get(field)
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|s| !s.is_empty())
            };
            let has_object = parsed
                .iter()
                .any(|doc| has(doc, "apiVersion") && has(doc, "kind"));
            let looks_incomplete = parsed.iter().any(|doc| {
                doc.value.get("metadata").is_some_and(|m| m.is_object())
                    && (has(doc, "apiVersion") || has(doc, "kind"))
            });
            if has_object || parsed.is_empty() {
                return Err(error);
            }
            if looks_incomplete {
                return Ok(Found::Incomplete(error));
            }
            return Ok(Found::Skipped(
                "no document has apiVersion and kind (not a Kubernetes object: values, a patch, CI or tool configuration)".to_owned(),
            ));
        }
        Err(error) => return Err(error),
    };
    let mut what = None;
    for document in &documents {
        match client_side(document.api_version(), document.kind()) {
            Some(this) => what = what.or(Some(this)),
            None => return Ok(Found::Manifests(documents)),
        }
    }
    Ok(match what {
        Some(what) => Found::Skipped(format!(
            "{what} ({} {}): read by a client, not an API resource",
            documents[0].api_version(),
            documents[0].kind()
        )),
        None => Found::Manifests(documents),
    })
}

/// Reads one file as [`load`] does: `None` for the fragments rolloutify writes that are not
/// manifests.
pub fn read_manifest(path: &Path, options: &LoadOptions) -> Result<Option<Source>, LoadError> {
    let source = match &options.git {
        // With --git, the content git would commit.
        Some(index) => match index.blob(path) {
            Some(bytes) => source_from_bytes(
                Origin::File(path.to_path_buf()),
                bytes.to_vec(),
                &options.limits,
            )?,
            // Never the work tree's copy of a file the index does not hold.
            None => {
                return Err(LoadError::Untracked {
                    path: path.display().to_string(),
                });
            }
        },
        None => read_file(path, &options.limits)?,
    };
    Ok((!source.text.starts_with(GENERATED_FRAGMENT_MARKER)).then_some(source))
}

/// Reads standard input whole, within the limits.
pub fn read_stdin(limits: &Limits) -> Result<Source, LoadError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Read {
            path: "<stdin>".to_owned(),
            source,
        })?;
    source_from_bytes(Origin::Stdin, bytes, limits)
}

/// Parses text that did not come from a file (tests, plugins reading standard input).
pub fn load_text(name: &str, text: &str, limits: &Limits) -> Result<Loaded, LoadError> {
    let source = Arc::new(Source {
        origin: Origin::File(PathBuf::from(name)),
        text: text.to_owned(),
    });
    let documents = parse_source(&source, limits)?;
    Ok(Loaded {
        sources: vec![source],
        documents,
        warnings: Vec::new(),
    })
}

fn read_file(path: &Path, limits: &Limits) -> Result<Source, LoadError> {
    let name = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|source| LoadError::Read {
        path: name.clone(),
        source,
    })?;
    if metadata.len() > limits.max_file_bytes {
        return Err(LoadError::TooLarge {
            file: name,
            size: metadata.len(),
            limit: limits.max_file_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read { path: name, source })?;
    source_from_bytes(Origin::File(path.to_path_buf()), bytes, limits)
}

fn source_from_bytes(origin: Origin, bytes: Vec<u8>, limits: &Limits) -> Result<Source, LoadError> {
    let name = Source {
        origin: origin.clone(),
        text: String::new(),
    }
    .name();
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(LoadError::TooLarge {
            file: name,
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.as_bytes();
            let before = String::from_utf8_lossy(&bytes[..valid]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return Err(LoadError::NotUtf8 {
                file: name,
                position: Position::new(line, column),
            });
        }
    };
    if text.contains('\0') {
        let before = &text[..text.find('\0').unwrap_or(0)];
        let line = before.matches('\n').count() + 1;
        return Err(LoadError::NotUtf8 {
            file: name,
            position: Position::new(line, 1),
        });
    }
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    Ok(Source { origin, text })
}

/// Parses one source into documents, expanding `kind: List`.
pub fn parse_source(source: &Arc<Source>, limits: &Limits) -> Result<Vec<Document>, LoadError> {
    let mut documents = Vec::new();
    for document in parse_objects(source, limits)? {
        if document.is_list() {
            check_items(source, &document)?;
            documents.extend(document.list_items());
        } else {
            documents.push(document);
        }
    }
    Ok(documents)
}

/// Every item of a `kind: List` must be an object with `kind` and `apiVersion`, as kubectl
/// requires.
pub fn check_items(source: &Source, list: &Document) -> Result<(), LoadError> {
    let Some(items) = list
        .value
        .get("items")
        .and_then(serde_json::Value::as_array)
    else {
        return Ok(());
    };
    for (i, item) in items.iter().enumerate() {
        let path = FieldPath::root().key("items").index(i);
        if !item.is_object() {
            return Err(LoadError::NotAnObject {
                file: source.name(),
                document: list.index + 1,
                item: Some(i + 1),
                position: list.spans.locate(&path),
                found: if item.is_array() {
                    "sequence"
                } else {
                    "scalar"
                },
            });
        }
        for field in ["kind", "apiVersion"] {
            if item
                .get(field)
                .and_then(serde_json::Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(LoadError::MissingField {
                    file: source.name(),
                    document: list.index + 1,
                    item: Some(i + 1),
                    position: list.spans.locate(&path.clone().key(field)),
                    field,
                });
            }
        }
    }
    Ok(())
}

/// Parses one source into its top-level objects, each with `kind` and `apiVersion`; lists
/// stay whole.
pub fn parse_objects(source: &Arc<Source>, limits: &Limits) -> Result<Vec<Document>, LoadError> {
    let file = source.name();
    // A parse failure next to `{{` is most likely a template (`name: {{ .Values.x }}` reads
    // as a mapping used as a key; `{{- if }}` lines break the block structure).
    let unparsed = |error: YamlError| match template_near(&source.text, error.position()) {
        Some((position, snippet)) => LoadError::Template {
            file: file.clone(),
            position,
            snippet,
            reason: format!(
                "the YAML next to it cannot be parsed ({}: {error})",
                error.position()
            ),
        },
        None => LoadError::Yaml {
            file: file.clone(),
            source: error,
        },
    };
    let mut surrogates = None;
    if looks_like_json(source) {
        check_json(&source.text).map_err(unparsed)?;
        surrogates = JsonSurrogates::rewrite(&source.text);
    }
    let text = surrogates
        .as_ref()
        .map_or(source.text.as_str(), |s| &s.text);
    let mut parsed = yaml::parse_stream(text, limits).map_err(unparsed)?;
    if let Some(surrogates) = &surrogates {
        let map = |p| surrogates.original(p);
        for doc in &mut parsed {
            doc.spans.map_positions(&map);
        }
    }
    let mut documents = Vec::with_capacity(parsed.len());
    for doc in parsed {
        if text.contains("{{")
            && let Some((position, snippet)) = template_in_keys(&doc.spans)
        {
            return Err(LoadError::Template {
                file,
                position,
                snippet,
                reason: "a mapping key holds a template action".to_owned(),
            });
        }
        let position = doc.spans.position();
        let found = match &doc.value {
            serde_json::Value::Object(_) => None,
            serde_json::Value::Array(_) => Some("sequence"),
            _ => Some("scalar"),
        };
        if let Some(found) = found {
            return Err(LoadError::NotAnObject {
                file,
                document: doc.index + 1,
                item: None,
                position,
                found,
            });
        }
        let document = Document {
            source: Arc::clone(source),
            index: doc.index,
            item: None,
            start_line: doc.start_line,
            value: Arc::new(doc.value),
            spans: Arc::new(doc.spans),
        };
        for field in ["kind", "apiVersion"] {
            if document
                .value
                .get(field)
                .and_then(serde_json::Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(LoadError::MissingField {
                    file,
                    document: doc.index + 1,
                    item: None,
                    position: document.spans.locate(&FieldPath::root().key(field)),
                    field,
                });
            }
        }
        documents.push(document);
    }
    Ok(documents)
}

/// kubectl decodes a stream that starts with `{` (and so any `.json` file) as JSON, which is
/// stricter than YAML's flow style: no trailing commas, no unquoted keys, no comments.
fn looks_like_json(source: &Source) -> bool {
    source
        .path()
        .and_then(|p| p.extension())
        .is_some_and(|e| e == "json")
        || source.text.trim_start().starts_with('{')
}

fn check_json(text: &str) -> Result<(), YamlError> {
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    for value in stream {
        if let Err(error) = value {
            return Err(YamlError::Syntax {
                position: Position::new(error.line().max(1), error.column().max(1)),
                message: format!("invalid JSON: {error}"),
            });
        }
    }
    Ok(())
}

/// JSON writes a character outside the Basic Multilingual Plane as a UTF-16 surrogate pair
/// (`"\ud83d\ude80"`, as Python's `json.dump` does); YAML's `\u` takes one code point and
/// refuses surrogates. The pair is handed to the YAML reader as one `\U0001F680` escape, two
/// characters shorter, and positions after it on its line are moved back.
struct JsonSurrogates {
    text: String,
    /// Where each rewrite ends in the rewritten text: line, column.
    rewrites: Vec<Position>,
}

impl JsonSurrogates {
    /// The text with every surrogate pair escape inside a string rewritten; `None` when it
    /// has none. The text is valid JSON (`check_json` passed).
    fn rewrite(text: &str) -> Option<JsonSurrogates> {
        if !text.contains("\\u") && !text.contains("\\U") {
            return None;
        }
        fn unit(text: &str) -> Option<u32> {
            let hex = text
                .strip_prefix("\\u")
                .or_else(|| text.strip_prefix("\\U"))?;
            u32::from_str_radix(hex.get(..4)?, 16).ok()
        }
        let mut out = String::with_capacity(text.len());
        let mut rewrites = Vec::new();
        let (mut line, mut column) = (1, 1);
        let (mut in_string, mut escaped) = (false, false);
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if in_string && !escaped && c == '\\' {
                let high = unit(rest).filter(|u| (0xD800..0xDC00).contains(u));
                let low = rest
                    .get(6..)
                    .and_then(unit)
                    .filter(|u| (0xDC00..0xE000).contains(u));
                if let (Some(high), Some(low)) = (high, low) {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    out.push_str(&format!("\\U{code:08X}"));
                    column += 10;
                    rewrites.push(Position::new(line, column));
                    rest = &rest[12..];
                    continue;
                }
            }
            match c {
                '"' if !escaped => in_string = !in_string,
                '\n' => {
                    line += 1;
                    column = 0;
                }
                _ => {}
            }
            escaped = in_string && !escaped && c == '\\';
            out.push(c);
            column += 1;
            rest = &rest[c.len_utf8()..];
        }
        (!rewrites.is_empty()).then_some(JsonSurrogates {
            text: out,
            rewrites,
        })
    }

    /// Where a position of the rewritten text is in the original.
    fn original(&self, position: Position) -> Position {
        let before = self
            .rewrites
            .iter()
            .filter(|r| r.line == position.line && r.column <= position.column)
            .count();
        Position::new(position.line, position.column + 2 * before)
    }
}

/// Where Go template actions (`{{ .Values.x }}`, `{{- if … }}`, `{{ $labels.x }}`) start in
/// `text`, as byte offsets. Argo Rollouts' own `{{args.name}}` placeholders are not actions.
fn template_actions(text: &str) -> impl Iterator<Item = usize> + '_ {
    const WORDS: &[&str] = &[
        "include", "template", "if", "else", "end", "range", "with", "define", "toYaml", "tpl",
        "quote", "default", "required", "printf", "block", "nindent", "indent",
    ];
    text.match_indices("{{").filter_map(move |(at, _)| {
        let after = text[at + 2..].trim_start_matches('-').trim_start();
        let is_action = after.starts_with('.')
            || after.starts_with('$')
            || after.starts_with("/*")
            || WORDS.iter().any(|w| {
                after.starts_with(w)
                    && !after[w.len()..]
                        .starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.')
            });
        is_action.then_some(at)
    })
}

/// The first 40 characters of the action at `at`.
fn snippet_at(text: &str, at: usize) -> String {
    let snippet: String = text[at..].chars().take(40).collect();
    snippet
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

/// The template syntax (`{{`, outside comments) closest before a parse failure at `error`,
/// on its line or the two before it: the failure is then the template's doing.
fn template_near(text: &str, error: Position) -> Option<(Position, String)> {
    if !text.contains("{{") {
        return None;
    }
    let first = error.line.saturating_sub(2).max(1);
    let mut found = None;
    for (number, line) in text
        .lines()
        .enumerate()
        .skip(first - 1)
        .take(error.line + 1 - first)
    {
        let number = number + 1;
        let code = match line.find(" #") {
            _ if line.trim_start().starts_with('#') => continue,
            Some(comment) => &line[..comment],
            None => line,
        };
        for (at, _) in code.match_indices("{{") {
            let column = line[..at].chars().count() + 1;
            if number < error.line || column <= error.column.max(1) || found.is_none() {
                found = Some((Position::new(number, column), snippet_at(line, at)));
            }
        }
    }
    found
}

/// A mapping key that holds a template action (`{{ .Values.key }}: x` or `name-{{ .x }}:`),
/// with where it is written.
fn template_in_keys(spans: &SpanTree) -> Option<(Position, String)> {
    match spans {
        SpanTree::Scalar(_) => None,
        SpanTree::Sequence(_, items) => items.iter().find_map(template_in_keys),
        SpanTree::Mapping(_, entries) => {
            entries.iter().find_map(
                |(key, position, value)| match template_actions(key).next() {
                    Some(at) => Some((*position, snippet_at(key, at))),
                    None => template_in_keys(value),
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template_error(text: &str) -> Option<(Position, String)> {
        match load_text("t.yaml", text, &Limits::default()) {
            Err(LoadError::Template {
                position, snippet, ..
            }) => Some((position, snippet)),
            _ => None,
        }
    }

    #[test]
    fn template_syntax_where_yaml_needs_structure_is_refused() {
        let (position, snippet) = template_error(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"app.name\" . }}\n",
        )
        .unwrap();
        assert_eq!(position, Position::new(4, 9));
        assert!(snippet.starts_with("{{ include"));
        let (position, _) = template_error(
            "{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n",
        )
        .unwrap();
        assert_eq!(position, Position::new(1, 1));
        let (position, _) = template_error(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  key-{{ .Values.k }}: v\n",
        )
        .unwrap();
        assert_eq!(position, Position::new(5, 3));
    }

    #[test]
    fn template_syntax_in_string_values_is_data() {
        for text in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  summary: \"{{ $labels.instance }} is down\"\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  t: |\n    {{- define \"resources\" }}\n    {{ end }}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  d: Pod {{ $labels.pod }} restarts\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  q: 'sum(x{service=\"{{args.service-name}}\"})'\n",
            "# {{ .Values.x }} in a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        ] {
            let loaded = load_text("t.yaml", text, &Limits::default());
            assert!(loaded.is_ok(), "{text}: {:?}", loaded.err());
        }
    }

    #[test]
    fn parse_failures_away_from_templates_are_yaml_errors() {
        let error = load_text(
            "t.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  a: \"{{ .x }}\"\n  b: c\n  d: e\n  f: g\n   h: i\n",
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(error, LoadError::Yaml { .. }), "{error}");
    }

    #[test]
    fn json_surrogate_pairs_are_read_and_positions_kept() {
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}, \"data\": {\"rocket\": \"\\ud83d\\ude80 \\\\ud83d\", \"after\": \"x\"}}\n";
        let loaded = load_text("a.json", text, &Limits::default()).unwrap();
        let doc = &loaded.documents[0];
        // An escaped backslash before `u` is not an escape.
        assert_eq!(doc.value["data"]["rocket"], "\u{1F680} \\ud83d");
        // Fields are located at their keys.
        let column = text.find("\"after\"").unwrap() + 1;
        assert_eq!(
            doc.spans.locate(&FieldPath::parse("data.after")),
            Position::new(1, column)
        );
        // A lone surrogate is refused, as JSON readers refuse it.
        assert!(load_text("b.json", "{\"kind\": \"\\ud83d\"}", &Limits::default()).is_err());
    }

    #[test]
    fn walked_files_without_objects_are_skipped_but_broken_manifests_are_not() {
        let found = |text: &str| {
            let source = Arc::new(Source {
                origin: Origin::File(PathBuf::from("f.yaml")),
                text: text.to_owned(),
            });
            parse_found(&source, &Limits::default())
        };
        for text in [
            "replicaCount: 2\nkind: DaemonSet\n",
            "- op: add\n  path: /x\n",
            "{\"extends\": [\"config:base\"]}\n",
            "apiVersion: v1\nkind: Config\nclusters: []\n",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
        ] {
            assert!(matches!(found(text), Ok(Found::Skipped(_))), "{text}");
        }
        // A manifest that lost a field is left out with a warning.
        assert!(matches!(
            found("kind: Deployment\nmetadata: {name: web}\n"),
            Ok(Found::Incomplete(LoadError::MissingField { .. }))
        ));
        assert!(
            found("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nreplicas: 3\n")
                .is_err()
        );
        assert!(matches!(
            found("apiVersion: v1\nkind: Config\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n"),
            Ok(Found::Manifests(documents)) if documents.len() == 2
        ));
    }

    #[test]
    fn documents_without_kind_are_refused() {
        let error = load_text(
            "x.yaml",
            "apiVersion: v1\nmetadata: {}\n",
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "x.yaml:1:1: document 1 has no `kind`");
    }

    #[test]
    fn lists_are_expanded() {
        let loaded = load_text(
            "l.yaml",
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: a}\n",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(loaded.documents.len(), 1);
        assert_eq!(loaded.documents[0].kind(), "Service");
        assert_eq!(loaded.documents[0].item, Some(0));
    }
}
