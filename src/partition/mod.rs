//! Partition: converting and validating a large tree in parts, so that memory follows the
//! largest part, not the whole input or the output.
//!
//! Each file is read once, in parallel: its documents are summarized ([`links`]: what each
//! one is and what it refers to) and converted (or validated) on their own; then the parsed
//! documents are dropped. From the summaries, files that refer to each other are grouped into
//! parts. A part of one file keeps the result it already has; a part of several files is read
//! again and worked on together. Converted parts merge, document by document, in input order
//! into exactly the stream that converting the whole input at once prints, their text waiting
//! in [`staging`] meanwhile; validated parts merge into the report of the whole input.
//! Converted files ([`patch`], [`write()`]) wait there too, as patches or as new texts, until
//! every part is final; [`write()`] then stages them beside their targets, to be renamed into
//! place all or nothing ([`atomic::Batch`]).
//!
//! What this path does not reproduce, it leaves to the whole run: any error, output that
//! would not pass the check, two parts writing different AnalysisTemplates under one name,
//! a selector that matches no Deployment of any part, standard input. [`convert_printed`], [`patch`], [`write()`] and [`validate_report`] then
//! return `None`, having printed and written nothing.

pub mod links;
pub mod staging;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;
use serde_json::Value;

use crate::convert::{self, Origin};
use crate::diff;
use crate::emit::{self, Format, atomic, yaml};
use crate::finding::Finding;
use crate::index::host::Scope;
use crate::load::{self, Document, Input, LoadOptions, Lookup as _};
use crate::plan::{ConvertOptions, candidates};
use crate::report::Report;
use crate::validate::{self, ValidateOptions};
use links::Summary;
use staging::{Span, Staging};

/// A converted stream, as [`crate::convert::convert`] and [`emit::render_stream`] give it
/// for the whole input.
#[derive(Debug)]
pub struct Printed {
    /// The output documents in order, rendered.
    documents: Vec<Body>,
    staging: Staging,
    format: Format,
    pub findings: Vec<Finding>,
    /// `Kind/namespace/name` of each Deployment converted, in input order.
    pub converted: Vec<String>,
}

impl Printed {
    /// Writes the stream, document by document: the whole text is never held at once.
    pub fn write_to(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        if self.format == Format::Json && self.documents.is_empty() {
            out.write_all(emit::render_stream(&[], Format::Json).as_bytes())?;
            return out.flush();
        }
        // The framing `emit::render_stream` gives (JSON: its `List` pretty-printed, items
        // indented as `render` indents them); tests/partition.rs holds the two together.
        let (open, separator, close): (&[u8], &[u8], &[u8]) = match self.format {
            Format::Yaml => (b"", b"---\n", b""),
            Format::Json => (
                b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n",
                b",\n",
                b"\n  ]\n}\n",
            ),
        };
        out.write_all(open)?;
        let mut staged = self.staging.reader();
        for (i, document) in self.documents.iter().enumerate() {
            if i > 0 {
                out.write_all(separator)?;
            }
            match document {
                Body::Staged(span) => staged.copy(*span, &mut out)?,
                Body::Shared(text) => out.write_all(text.as_bytes())?,
            }
        }
        out.write_all(close)?;
        out.flush()
    }

    /// The stream as one text.
    pub fn text(&self) -> String {
        let mut text = Vec::new();
        // Writing to memory cannot fail.
        let _ = self.write_to(&mut text);
        String::from_utf8(text).unwrap_or_default()
    }
}

/// One output document, rendered.
#[derive(Debug)]
struct Chunk {
    /// The input document (index within its part) it replaces or follows.
    document: usize,
    body: Body,
    /// `(namespace, name)` of a new AnalysisTemplate: parts may each make the shared one.
    /// Boxed: most chunks have none, and ten thousand apps make many chunks.
    template: Option<Box<TemplateKey>>,
}

/// A rendered document: staged, or (an AnalysisTemplate) shared between parts.
#[derive(Debug, Clone)]
enum Body {
    Staged(Span),
    Shared(Arc<str>),
}

type TemplateKey = (Option<String>, String);

/// The AnalysisTemplates parts have made so far, as made and rendered: a part that makes
/// the same one again shares the text, so that the thousand apps of a namespace render and
/// hold their template once.
type Templates = Mutex<HashMap<TemplateKey, (Arc<Value>, Arc<str>)>>;

/// What the parts of one run share.
#[derive(Default)]
struct Shared {
    staging: Staging,
    templates: Templates,
    memo: convert::TemplateMemo,
}

/// What converting one part gave.
#[derive(Debug, Default)]
struct Part {
    chunks: Vec<Chunk>,
    reported: Reported,
}

/// A part's findings and conversions, each with what orders it in the whole run.
#[derive(Debug, Default)]
struct Reported {
    /// (phase, the Deployment's document index within the part), finding.
    findings: Vec<((u8, usize), Finding)>,
    /// The Deployment's document index within the part, `Kind/namespace/name`.
    converted: Vec<(usize, String)>,
    /// Deployments left alone by default, by document index within the part: the whole run
    /// lists them in a finding per reason, made again from every part's.
    left_alone: Vec<(usize, candidates::LeftAlone)>,
    /// Which selectors matched a Deployment of the part.
    selected: Vec<bool>,
}

impl Reported {
    fn of(conversion: convert::Conversion) -> Reported {
        Reported {
            findings: conversion
                .finding_order
                .into_iter()
                .zip(conversion.findings)
                .filter(|(_, finding)| !candidates::is_left_alone_list(finding))
                .collect(),
            left_alone: conversion.left_alone,
            converted: conversion
                .converted_deployments
                .into_iter()
                .zip(conversion.converted)
                .collect(),
            selected: conversion.selected,
        }
    }
}

/// Converts one part's documents; `None` if converting fails or the output would not pass
/// the check (the whole conversion reports either). A new AnalysisTemplate that `checked`
/// accepts (an earlier part made the same, and its check passed) is not checked again: a
/// template's own checks depend on it alone, and a namespace's thousand apps share one.
fn checked_conversion(
    documents: &[Document],
    options: &ConvertOptions,
    memo: &convert::TemplateMemo,
    checked: &dyn Fn(&TemplateKey, &Arc<Value>) -> bool,
) -> Option<convert::Conversion> {
    let conversion = convert::convert_with(documents, options, memo).ok()?;
    let known = |output: &convert::Output| {
        new_template(output) && checked(&template_key(&output.value), &output.value)
    };
    validate::check_conversion_except(documents, &conversion, known)
        .is_empty()
        .then_some(conversion)
}

/// Whether two resources are equal: the same one shared (templates from one
/// [`convert::TemplateMemo`]), or equal values.
fn same(a: &Arc<Value>, b: &Arc<Value>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// Whether `output` is an AnalysisTemplate the conversion adds.
fn new_template(output: &convert::Output) -> bool {
    matches!(output.origin, Origin::Added { .. })
        && output.value.lookup("/kind").and_then(Value::as_str) == Some("AnalysisTemplate")
}

/// One file after the first reading.
struct FileRead<T> {
    summaries: Vec<Summary>,
    documents: usize,
    /// The file's result on its own; `None` if that failed (then it matters only if the
    /// file is a part by itself).
    alone: Option<T>,
}

/// The results of a run over parts: each part's files and result, and how many documents
/// each file holds.
struct ByParts<T> {
    parts: Vec<(Vec<usize>, T)>,
    documents_per_file: Vec<usize>,
}

/// Runs `work` on the documents of every part of `files`: each file first on its own,
/// in parallel, keeping the result if the file turns out to be a part by itself; parts of
/// several files are read again and worked on together. `None` if a file cannot be read
/// or parsed, or `work` fails on a part, and for a single file (one part: the whole run
/// does the same).
fn by_parts<T: Send>(
    files: &[(PathBuf, bool)],
    load_options: &LoadOptions,
    scope: &Scope,
    work: impl Fn(&[Document]) -> Option<T> + Sync,
) -> Option<ByParts<T>> {
    if files.len() < 2 {
        return None;
    }
    let read: Vec<Option<FileRead<T>>> = files
        .par_iter()
        .map(|path| {
            let documents = read_documents(std::slice::from_ref(path), load_options)?;
            Some(FileRead {
                summaries: documents
                    .iter()
                    .map(|d| links::summarize(d, scope))
                    .collect(),
                documents: documents.len(),
                alone: work(&documents),
            })
        })
        .collect();
    let mut read: Vec<FileRead<T>> = read.into_iter().collect::<Option<_>>()?;
    let documents_per_file: Vec<usize> = read.iter().map(|file| file.documents).collect();
    let summaries: Vec<Vec<Summary>> = read
        .iter_mut()
        .map(|file| std::mem::take(&mut file.summaries))
        .collect();
    let parts = links::parts(&summaries);
    drop(summaries);
    let mut alone: Vec<Option<T>> = read.into_iter().map(|file| file.alone).collect();
    let pending: Vec<(Vec<usize>, Option<T>)> = parts
        .into_iter()
        .map(|part_files| {
            let done = match part_files[..] {
                [file] => alone[file].take(),
                _ => None,
            };
            (part_files, done)
        })
        .collect();
    drop(alone);
    let done: Vec<Option<(Vec<usize>, T)>> = pending
        .into_par_iter()
        .map(|(part_files, result)| {
            let result = match result {
                Some(result) => result,
                None if part_files.len() == 1 => return None,
                None => {
                    let paths: Vec<(PathBuf, bool)> =
                        part_files.iter().map(|&f| files[f].clone()).collect();
                    work(&read_documents(&paths, load_options)?)?
                }
            };
            Some((part_files, result))
        })
        .collect();
    Some(ByParts {
        parts: done.into_iter().collect::<Option<_>>()?,
        documents_per_file,
    })
}

/// Converts `inputs` part by part and renders the stream in `format`; `None` when the
/// whole conversion must run instead (see the module documentation).
pub fn convert_printed(
    inputs: &[Input],
    load_options: &LoadOptions,
    options: &ConvertOptions,
    format: Format,
) -> Option<Printed> {
    let files = load::manifest_files(inputs, load_options)?.ok()?;
    let shared = Shared::default();
    let done = by_parts(&files, load_options, &options.scope, |documents| {
        convert_part(documents, options, format, &shared)
    })?;
    merge(done, shared.staging, format)
}

/// What `convert --write` would change, as the patch [`diff::unified`] gives for the whole
/// input, made part by part.
#[derive(Debug)]
pub struct Patched {
    /// Each changed file's patch, in input order.
    patches: Vec<Span>,
    staging: Staging,
    pub findings: Vec<Finding>,
    /// The warnings for documents and files written anew instead of edited, in input order.
    pub rewritten: Vec<Finding>,
    pub converted: Vec<String>,
}

impl Patched {
    /// How many files would change.
    pub fn changed(&self) -> usize {
        self.patches.len()
    }

    /// Writes the patch, file by file; `paint` colours it for a terminal.
    pub fn write_to(&self, out: &mut dyn Write, paint: bool) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        let mut staged = self.staging.reader();
        let mut patch = Vec::new();
        for &span in &self.patches {
            if paint {
                patch.clear();
                staged.copy(span, &mut patch)?;
                out.write_all(diff::colored(&String::from_utf8_lossy(&patch)).as_bytes())?;
            } else {
                staged.copy(span, &mut out)?;
            }
        }
        out.flush()
    }

    /// The patch as one text.
    pub fn text(&self) -> String {
        let mut text = Vec::new();
        // Writing to memory cannot fail.
        let _ = self.write_to(&mut text, false);
        String::from_utf8(text).unwrap_or_default()
    }
}

/// What converting one part gave, in files.
#[derive(Debug)]
struct PatchPart {
    /// Each file the part hands on, by path, with its staged text and the warnings for
    /// what of it is written anew.
    files: Vec<(PathBuf, Span, Vec<Finding>)>,
    /// The part's new AnalysisTemplates: key and the document (within the part) each
    /// follows.
    templates: Vec<(TemplateKey, usize)>,
    reported: Reported,
}

/// What a part stages of the files it converts.
#[derive(Clone, Copy)]
enum FileSink {
    /// The patch of each file that changes.
    Patch,
    /// The new text of each file that changes, or of `every` file.
    Text { every: bool },
}

/// What a run in files gave: the files staged, in input order; the findings and
/// conversions; and the files read, with how many documents each holds.
struct InFiles {
    files: Vec<(PathBuf, Span)>,
    findings: Vec<Finding>,
    rewritten: Vec<Finding>,
    converted: Vec<String>,
    read: Vec<(PathBuf, bool)>,
    documents_per_file: Vec<usize>,
}

/// Converts `inputs` part by part into the patch `convert --write` would apply; `None` when
/// the whole conversion must run instead (see the module documentation).
pub fn patch(
    inputs: &[Input],
    load_options: &LoadOptions,
    options: &ConvertOptions,
) -> Option<Patched> {
    let staging = Staging::new();
    let done = in_files(inputs, load_options, options, FileSink::Patch, &staging)?;
    Some(Patched {
        patches: done.files.into_iter().map(|(_, span)| span).collect(),
        staging,
        findings: done.findings,
        rewritten: done.rewritten,
        converted: done.converted,
    })
}

/// What `convert --write` (or `-o`) would write, converted part by part and staged: nothing
/// is changed until [`Written::commit`].
#[derive(Debug)]
pub struct Written {
    batch: atomic::Batch,
    pub findings: Vec<Finding>,
    /// The warnings for documents and files written anew instead of edited, in input order.
    pub rewritten: Vec<Finding>,
    pub converted: Vec<String>,
}

impl Written {
    /// Puts every file in place, or none; how many.
    pub fn commit(self) -> Result<usize, atomic::WriteError> {
        let files = self.batch.len();
        self.batch.commit()?;
        Ok(files)
    }
}

/// Converts `inputs` part by part and stages the files `convert --write` writes (`root`:
/// every file under that directory, as `-o` writes them); `None` when the whole conversion
/// must run instead (see the module documentation), which then also reports a file that
/// cannot be written.
pub fn write(
    inputs: &[Input],
    load_options: &LoadOptions,
    options: &ConvertOptions,
    root: Option<&Path>,
) -> Option<Written> {
    let staging = Staging::new();
    let every = root.is_some();
    let done = in_files(
        inputs,
        load_options,
        options,
        FileSink::Text { every },
        &staging,
    )?;
    // Only now is it known which parts' files are final: stage them to be written.
    let batch = atomic::Batch::default();
    let staged: Option<()> = done
        .files
        .par_chunks(64)
        .map(|files| {
            let mut reader = staging.reader();
            for (path, span) in files {
                let mut text = Vec::with_capacity(span.len as usize);
                reader.copy(*span, &mut text).ok()?;
                let text = String::from_utf8(text).ok()?;
                let target = match root {
                    Some(root) => atomic::mirrored(root, path).ok()?,
                    None => path.clone(),
                };
                batch.stage(&target, &text).ok()?;
            }
            Some(())
        })
        .collect();
    staged?;
    drop(staging);
    // Files without documents are no part's: `-o` copies them as the whole run does.
    if let Some(root) = root {
        for ((path, named), _) in done
            .read
            .iter()
            .zip(&done.documents_per_file)
            .filter(|(_, documents)| **documents == 0)
        {
            if let Some((source, _)) = load::read_documents(path, *named, load_options).ok()? {
                let target = atomic::mirrored(root, path).ok()?;
                batch.stage(&target, &source.text).ok()?;
            }
        }
    }
    Some(Written {
        batch,
        findings: done.findings,
        rewritten: done.rewritten,
        converted: done.converted,
    })
}

/// Converts `inputs` part by part, handing the files each part changes to `sink`.
///
/// A namespace's shared AnalysisTemplate goes into one file, beside the first app that
/// uses it, and which part holds that app is known only when all are done. So every part
/// is first made without the templates it adds; then, for each template, the part with the
/// first app that adds it (the whole conversion's place for it) is made again with it, and
/// hands its files to the sink again.
fn in_files(
    inputs: &[Input],
    load_options: &LoadOptions,
    options: &ConvertOptions,
    sink: FileSink,
    staging: &Staging,
) -> Option<InFiles> {
    let files = load::manifest_files(inputs, load_options)?.ok()?;
    let made = Mutex::new(HashMap::new());
    let memo = convert::TemplateMemo::default();
    let done = by_parts(&files, load_options, &options.scope, |documents| {
        patch_part(documents, options, &memo, sink, staging, &made, &|_| false)
    })?;
    let first_document = first_documents(&done.documents_per_file);
    let globals: Vec<Vec<usize>> = done
        .parts
        .iter()
        .map(|(files, _)| part_documents(files, &first_document, &done.documents_per_file))
        .collect();
    // Where each template goes: (document, part).
    let mut placed: HashMap<&TemplateKey, (usize, usize)> = HashMap::new();
    for (number, (_, part)) in done.parts.iter().enumerate() {
        for (key, document) in &part.templates {
            let here = (at(&globals[number], *document), number);
            if placed.get(key).is_none_or(|first| here < *first) {
                placed.insert(key, here);
            }
        }
    }
    let mut holding: HashMap<usize, Vec<TemplateKey>> = HashMap::new();
    for (key, (_, number)) in placed {
        holding.entry(number).or_default().push(key.clone());
    }
    let parts: Vec<Option<(usize, PatchPart)>> = done
        .parts
        .into_par_iter()
        .enumerate()
        .map(|(number, (part_files, part))| {
            let Some(keys) = holding.get(&number) else {
                return Some((number, part));
            };
            let paths: Vec<(PathBuf, bool)> =
                part_files.iter().map(|&f| files[f].clone()).collect();
            let documents = read_documents(&paths, load_options)?;
            let keep = |key: &TemplateKey| keys.contains(key);
            Some((
                number,
                patch_part(&documents, options, &memo, sink, staging, &made, &keep)?,
            ))
        })
        .collect();
    let order: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, (path, _))| (path.as_path(), i))
        .collect();
    let mut reported = InRunOrder::default();
    let mut staged: Vec<(usize, PathBuf, Span, Vec<Finding>)> = Vec::new();
    for found in parts {
        let (number, part) = found?;
        reported.add(&globals[number], part.reported);
        staged.extend(part.files.into_iter().map(|(path, span, rewritten)| {
            let file = order.get(path.as_path()).copied().unwrap_or(usize::MAX);
            (file, path, span, rewritten)
        }));
    }
    staged.sort_by_key(|(file, _, _, _)| *file);
    let (findings, converted, selected) = reported.finish();
    // A selector that matched nothing anywhere: the whole run says so.
    if selected.contains(&false) {
        return None;
    }
    let mut rewritten = Vec::new();
    let mut written = Vec::with_capacity(staged.len());
    for (_, path, span, warnings) in staged {
        rewritten.extend(warnings);
        written.push((path, span));
    }
    Some(InFiles {
        files: written,
        findings,
        rewritten,
        converted,
        documents_per_file: done.documents_per_file,
        read: files,
    })
}

/// Converts and checks one part and stages, as `sink` asks, each file it changes, with the
/// new AnalysisTemplates `keep` accepts and without the others; `None` if converting fails,
/// the output would not pass the check, staging fails, or a new template differs from one
/// of the same name another part made (`made`: the whole conversion names them).
fn patch_part(
    documents: &[Document],
    options: &ConvertOptions,
    memo: &convert::TemplateMemo,
    sink: FileSink,
    staging: &Staging,
    made: &Mutex<HashMap<TemplateKey, Arc<Value>>>,
    keep: &(dyn Fn(&TemplateKey) -> bool + Sync),
) -> Option<PatchPart> {
    let checked = |key: &TemplateKey, value: &Arc<Value>| {
        let made = made.lock().unwrap_or_else(PoisonError::into_inner);
        made.get(key).is_some_and(|first| same(first, value))
    };
    let conversion = checked_conversion(documents, options, memo, &checked)?;
    let mut templates = Vec::new();
    let mut written = convert::Conversion::default();
    for output in &conversion.outputs {
        if let Origin::Added { after } = output.origin
            && new_template(output)
        {
            let key = template_key(&output.value);
            {
                let mut made = made.lock().unwrap_or_else(PoisonError::into_inner);
                match made.get(&key) {
                    Some(first) if !same(first, &output.value) => return None,
                    Some(_) => {}
                    None => {
                        made.insert(key.clone(), Arc::clone(&output.value));
                    }
                }
            }
            let kept = keep(&key);
            templates.push((key, after));
            if !kept {
                continue;
            }
        }
        written.outputs.push(output.clone());
    }
    // The part's files, in order: those its documents come from (a file without documents
    // has nothing to change).
    let mut sources: Vec<Arc<load::Source>> = Vec::new();
    for document in documents {
        if sources
            .last()
            .is_none_or(|last| !Arc::ptr_eq(last, &document.source))
        {
            sources.push(Arc::clone(&document.source));
        }
    }
    let mut files = Vec::new();
    for file in emit::render_files(&sources, documents, &written) {
        let Some(path) = file.path() else {
            continue;
        };
        let staged = match sink {
            FileSink::Patch | FileSink::Text { every: false } if !file.changed => continue,
            FileSink::Patch => {
                let text = diff::unified(std::slice::from_ref(&file));
                staging
                    .append(text.as_bytes())
                    .map(|start| (start, text.len()))
            }
            FileSink::Text { .. } => staging
                .append(file.text.as_bytes())
                .map(|start| (start, file.text.len())),
        };
        let (start, len) = staged.ok()?;
        files.push((
            path,
            Span {
                start,
                len: len as u64,
            },
            file.rewritten,
        ));
    }
    Some(PatchPart {
        files,
        templates,
        reported: Reported::of(conversion),
    })
}

/// Validates `inputs` part by part: the report [`validate::validate`] gives for the whole
/// input, with memory for one part at a time. `None` when a file cannot be read or parsed
/// (the whole run reports it) or the input is standard input.
pub fn validate_report(
    inputs: &[Input],
    load_options: &LoadOptions,
    options: &ValidateOptions,
) -> Option<Report> {
    let files = load::manifest_files(inputs, load_options)?.ok()?;
    let done = by_parts(&files, load_options, &options.scope, |documents| {
        Some(validate::validate(documents, options))
    })?;
    // Each list is sorted over the whole input, as the whole run sorts it.
    let mut report = Report::default();
    for (_, part) in done.parts {
        report.findings.extend(part.findings);
        report.checked.extend(part.checked);
        report.skipped.extend(part.skipped);
    }
    report.findings.sort();
    report.findings.dedup();
    report.checked.sort();
    report.skipped.sort();
    Some(report)
}

/// Reads and parses files as [`load::load`] does; `None` on any error (the whole
/// conversion reports it).
fn read_documents(paths: &[(PathBuf, bool)], options: &LoadOptions) -> Option<Vec<Document>> {
    let mut documents = Vec::new();
    for (path, named) in paths {
        if let Some((_, read)) = load::read_documents(path, *named, options).ok()? {
            documents.extend(read);
        }
    }
    Some(documents)
}

/// Converts, checks and renders the documents of one part, staging the text; `None` if
/// converting fails, the output would not pass the check or the text cannot be staged.
fn convert_part(
    documents: &[Document],
    options: &ConvertOptions,
    format: Format,
    shared: &Shared,
) -> Option<Part> {
    let checked = |key: &TemplateKey, value: &Arc<Value>| {
        let made = shared
            .templates
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        made.get(key).is_some_and(|(first, _)| same(first, value))
    };
    let conversion = checked_conversion(documents, options, &shared.memo, &checked)?;
    // The part's documents are rendered into one text, staged at once: spans are first
    // within the text, then within the staging.
    let mut text = String::new();
    let mut chunks: Vec<Chunk> = Vec::with_capacity(conversion.outputs.len());
    for output in &conversion.outputs {
        let (document, added) = match output.origin {
            Origin::Input { document, .. } => (document, false),
            Origin::Added { after } => (after, true),
        };
        if added && new_template(output) {
            let key = template_key(&output.value);
            let body = Body::Shared(shared_template(shared, &key, &output.value, format));
            chunks.push(Chunk {
                document,
                body,
                template: Some(Box::new(key)),
            });
            continue;
        }
        let start = text.len();
        render(&mut text, &output.value, format);
        chunks.push(Chunk {
            document,
            body: Body::Staged(Span {
                start: start as u64,
                len: (text.len() - start) as u64,
            }),
            template: None,
        });
    }
    let base = shared.staging.append(text.as_bytes()).ok()?;
    for chunk in &mut chunks {
        if let Body::Staged(span) = &mut chunk.body {
            span.start += base;
        }
    }
    Some(Part {
        chunks,
        reported: Reported::of(conversion),
    })
}

/// `(namespace, name)` of a resource.
fn template_key(value: &Value) -> TemplateKey {
    (
        value
            .lookup("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_owned),
        value
            .lookup("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    )
}

/// The rendered text of a new AnalysisTemplate: the one another part rendered if it made
/// the same, else rendered here (and kept for the parts after, if it is the first).
fn shared_template(
    shared: &Shared,
    key: &TemplateKey,
    value: &Arc<Value>,
    format: Format,
) -> Arc<str> {
    let mut made = shared
        .templates
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some((first, text)) = made.get(key) {
        if same(first, value) {
            return Arc::clone(text);
        }
        // Different: merging hands the run to the whole conversion.
        let mut text = String::new();
        render(&mut text, value, format);
        return text.into();
    }
    let mut text = String::new();
    render(&mut text, value, format);
    let text: Arc<str> = text.into();
    made.insert(key.clone(), (Arc::clone(value), Arc::clone(&text)));
    text
}

/// Appends one document as it appears in the stream: YAML as is, JSON as an item of the
/// `List`.
fn render(text: &mut String, value: &Value, format: Format) {
    match format {
        Format::Yaml => yaml::write_document(text, value),
        Format::Json => {
            let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
            for (i, line) in pretty.lines().enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                text.push_str("    ");
                text.push_str(line);
            }
        }
    }
}

/// The parts' results in input order: documents, findings and conversions ordered as the
/// whole conversion orders them, AnalysisTemplates made by several parts kept once (where
/// the first app that needs it is); `None` if two parts made different ones of one name.
fn merge(done: ByParts<Part>, staging: Staging, format: Format) -> Option<Printed> {
    let ByParts {
        parts,
        documents_per_file,
    } = done;
    let first_document = first_documents(&documents_per_file);
    let mut chunks: Vec<((usize, usize, usize), Chunk)> = Vec::new();
    let mut reported = InRunOrder::default();
    for (number, (files, part)) in parts.into_iter().enumerate() {
        let global = part_documents(&files, &first_document, &documents_per_file);
        chunks.extend(
            part.chunks
                .into_iter()
                .enumerate()
                .map(|(i, chunk)| ((at(&global, chunk.document), number, i), chunk)),
        );
        reported.add(&global, part.reported);
    }
    chunks.sort_unstable_by_key(|(key, _)| *key);
    let mut templates: HashMap<Box<TemplateKey>, Body> = HashMap::new();
    let mut documents: Vec<Body> = Vec::with_capacity(chunks.len());
    for (_, chunk) in chunks {
        if let (Some(key), Body::Shared(text)) = (chunk.template, &chunk.body) {
            match templates.get(&key) {
                Some(Body::Shared(first)) if **first == **text => continue,
                Some(_) => return None,
                None => {
                    templates.insert(key, chunk.body.clone());
                }
            }
        }
        documents.push(chunk.body);
    }
    let (findings, converted, selected) = reported.finish();
    // A selector that matched nothing anywhere: the whole run says so.
    if selected.contains(&false) {
        return None;
    }
    Some(Printed {
        documents,
        staging,
        format,
        findings,
        converted,
    })
}

/// The index of each file's first document among all documents.
fn first_documents(documents_per_file: &[usize]) -> Vec<usize> {
    documents_per_file
        .iter()
        .scan(0, |total, &documents| {
            let first = *total;
            *total += documents;
            Some(first)
        })
        .collect()
}

/// The index among all documents of each document of a part: a part's documents are its
/// files' documents, in file order.
fn part_documents(
    files: &[usize],
    first_document: &[usize],
    documents_per_file: &[usize],
) -> Vec<usize> {
    files
        .iter()
        .flat_map(|&file| first_document[file]..first_document[file] + documents_per_file[file])
        .collect()
}

/// The index among all documents of a part's `document`.
fn at(global: &[usize], document: usize) -> usize {
    global.get(document).copied().unwrap_or(usize::MAX)
}

/// Findings and conversions of parts, put in the order of the whole run: planning's first,
/// then converting's, each by the Deployment they are about, a part's own order kept.
#[derive(Default)]
struct InRunOrder {
    findings: Vec<((u8, usize), usize, Finding)>,
    converted: Vec<(usize, String)>,
    left_alone: Vec<(usize, candidates::LeftAlone)>,
    /// Which selectors matched in some part.
    selected: Vec<bool>,
}

impl InRunOrder {
    fn add(&mut self, global: &[usize], part: Reported) {
        self.findings
            .extend(part.findings.into_iter().enumerate().map(
                |(i, ((phase, deployment), finding))| ((phase, at(global, deployment)), i, finding),
            ));
        self.converted.extend(
            part.converted
                .into_iter()
                .map(|(deployment, id)| (at(global, deployment), id)),
        );
        self.left_alone.extend(
            part.left_alone
                .into_iter()
                .map(|(deployment, left)| (at(global, deployment), left)),
        );
        self.selected
            .resize(part.selected.len().max(self.selected.len()), false);
        for (all, part) in self.selected.iter_mut().zip(part.selected) {
            *all |= part;
        }
    }

    fn finish(mut self) -> (Vec<Finding>, Vec<String>, Vec<bool>) {
        self.left_alone.sort_by_key(|(deployment, _)| *deployment);
        for (first, finding) in candidates::left_alone_findings(&self.left_alone) {
            // Where the whole run puts it: after the findings about the Deployments up to the
            // first it lists.
            self.findings.push(((0, first), usize::MAX, finding));
        }
        self.findings.sort_by_key(|(key, i, _)| (*key, *i));
        self.converted.sort_by_key(|(deployment, _)| *deployment);
        (
            self.findings.into_iter().map(|(_, _, f)| f).collect(),
            self.converted.into_iter().map(|(_, id)| id).collect(),
            self.selected,
        )
    }
}
