//! Convert: the planned apps → Rollouts, canary/stable Services, AnalysisTemplates, and the
//! rewritten VirtualServices, DestinationRules and autoscalers.
//!
//! Every input document comes out in input order, changed or not; new resources come right
//! after the one they derive from (the Rollout, which takes the Deployment's place).

pub mod analysis;
pub mod autoscaler;
pub mod destination_rule;
pub mod object;
pub mod outcome;
pub mod rollout;
pub mod services;
pub mod variables;
pub mod virtual_service;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind, RouteKind, RouteRef};
use crate::load::{Document, FieldPath, Location, Lookup as _};
use crate::plan::settings::{AnalysisMode, Mode, Traffic};
use crate::plan::{self, ConvertOptions, PlanError, PlannedApp, steps};
use analysis::Selection;
pub use analysis::TemplateMemo;
use virtual_service::Split;

/// Where an output document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An input document; `changed` tells whether its value differs from the input.
    Input { document: usize, changed: bool },
    /// A new resource, placed after the input document `after`.
    Added { after: usize },
}

/// One document of the converted stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Shared with the input document when the conversion leaves it as it is.
    pub value: Arc<Value>,
    pub origin: Origin,
}

/// The converted stream and what the user should know about it.
#[derive(Debug, Clone, Default)]
pub struct Conversion {
    pub outputs: Vec<Output>,
    pub findings: Vec<Finding>,
    /// `Kind/namespace/name` of each Deployment converted.
    pub converted: Vec<String>,
    /// Where each finding falls in the order of a run: (0 for planning, 1 for converting,
    /// the index of the Deployment it is about), alongside `findings`. A run split into
    /// parts merges their findings by it (see [`crate::partition`]).
    pub finding_order: Vec<(u8, usize)>,
    /// The document index of each Deployment converted, alongside `converted`.
    pub converted_deployments: Vec<usize>,
    /// The Deployments left alone by default (a finding per reason lists them), by document
    /// index.
    pub left_alone: Vec<(usize, plan::candidates::LeftAlone)>,
    /// Deployments planned for conversion but left as they were ([`outcome`]), in input
    /// order.
    pub left: Vec<outcome::Left>,
    /// For each selector of the options, whether it matched a Deployment
    /// ([`plan::select`]).
    pub selected: Vec<bool>,
}

/// Why a conversion could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// Returned when a Deployment lacks a field a Rollout cannot do without.
    #[error("{location}: document {document}: {resource} has no `{field}`")]
    MissingField {
        location: Location,
        document: usize,
        resource: String,
        field: &'static str,
    },
    /// Returned when a field a Rollout is built from has the wrong type.
    #[error("{location}: document {document}: {resource}: `{field}` must be {expected}")]
    WrongType {
        location: Location,
        document: usize,
        resource: String,
        field: &'static str,
        expected: &'static str,
    },
    /// Returned when settings (config, annotations, flags) are invalid for an app.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Returned when an object the app is converted with (its Deployment, a Service, a
    /// VirtualService, DestinationRule or autoscaler) is defined twice in the input.
    #[error("{location}: {resource} uses {duplicate}, which is defined twice in the input")]
    Duplicate {
        location: Location,
        resource: String,
        duplicate: String,
    },
}

impl ConvertError {
    pub fn hint(&self) -> &'static str {
        match self {
            ConvertError::MissingField { .. } | ConvertError::WrongType { .. } => {
                "a Deployment needs spec.selector and a pod template with labels; kubectl would refuse it as well"
            }
            ConvertError::Plan(PlanError::MissingName { .. }) => {
                "every object needs metadata.name; kubectl would refuse it as well"
            }
            ConvertError::Plan(_) => {
                "fix the value; see README.md, section Configuration, for what each setting takes"
            }
            ConvertError::Duplicate { .. } => {
                "delete one of the two copies (the input/duplicate error names both); which one the cluster keeps is the last one applied"
            }
        }
    }
}

/// Working state of one conversion.
struct Work<'d> {
    index: &'d Index<'d>,
    replaced: HashMap<usize, Value>,
    modified: HashMap<usize, Value>,
    added: BTreeMap<usize, Vec<Arc<Value>>>,
    findings: Vec<Finding>,
    /// The app each finding is about (by position in the plan), to merge in app order.
    finding_apps: Vec<usize>,
    /// AnalysisTemplates written in this run: (namespace, name) → what it was made from, and
    /// the template.
    templates: HashMap<(Option<String>, String), (TemplateInputs, Arc<Value>)>,
    /// Templates made by this conversion and those it shares them with.
    memo: &'d TemplateMemo,
    /// VirtualService → its unnamed http routes that the run manages, in route order.
    unnamed_routes: &'d HashMap<usize, Vec<usize>>,
}

/// What an AnalysisTemplate is made from: equal inputs make equal templates.
type TemplateInputs = (
    crate::plan::settings::AnalysisSettings,
    Selection,
    analysis::Run,
);

/// Converts the documents as planned by `options`.
pub fn convert(
    documents: &[Document],
    options: &ConvertOptions,
) -> Result<Conversion, ConvertError> {
    convert_with(documents, options, &TemplateMemo::default())
}

/// [`convert`], sharing the AnalysisTemplates it makes with other conversions through
/// `memo`: converting a tree part by part, each namespace's template is built once, and the
/// parts' outputs hold the same one.
pub fn convert_with(
    documents: &[Document],
    options: &ConvertOptions,
    memo: &TemplateMemo,
) -> Result<Conversion, ConvertError> {
    attempt(documents, options, memo, &std::collections::BTreeSet::new())?.map_err(|errors| {
        // The first app's error: the one a single pass in app order meets first.
        errors
            .into_iter()
            .next()
            .map(|(_, error)| error)
            .expect("an attempt fails with at least one error")
    })
}

/// The apps' errors of one [`attempt`]: (the Deployment's document index, the error), in
/// input order, at least one.
type AppErrors = Vec<(usize, ConvertError)>;

/// Converts the documents as planned by `options`, leaving the Deployments in `left` (by
/// document index) as they are. `Ok(Err)`: apps that could not be converted (the first of
/// each group of apps that convert together); `Err`: the plan itself could not be made.
pub(crate) fn attempt(
    documents: &[Document],
    options: &ConvertOptions,
    memo: &TemplateMemo,
    left: &std::collections::BTreeSet<usize>,
) -> Result<Result<Conversion, AppErrors>, ConvertError> {
    let index = Index::new(documents, &options.scope);
    let mut plan = plan::plan(&index, options)?;
    // Kustomize placeholders in what the plan reads: a warning each (before apps are left,
    // so that every round says the same).
    let planned: Vec<usize> = plan.apps.iter().map(|app| app.app.deployment).collect();
    let mut extra = variables::findings(&index, &planned);
    plan.apps.retain(|app| !left.contains(&app.app.deployment));
    // The same object twice: an error, and the apps that use it are not converted.
    let duplicates = crate::index::duplicates::find(documents);
    extra.extend(duplicates.iter().map(|duplicate| {
        (
            duplicate.again,
            crate::index::duplicates::finding(documents, *duplicate),
        )
    }));
    if !extra.is_empty() {
        plan.finding_deployments
            .extend(extra.iter().map(|(document, _)| *document));
        plan.findings
            .extend(extra.into_iter().map(|(_, finding)| finding));
        // In document order, as the parts of a tree merge them.
        let mut ordered: Vec<(usize, Finding)> = std::mem::take(&mut plan.finding_deployments)
            .into_iter()
            .zip(std::mem::take(&mut plan.findings))
            .collect();
        ordered.sort_by_key(|(document, _)| *document);
        (plan.finding_deployments, plan.findings) = ordered.into_iter().unzip();
    }
    if !duplicates.is_empty() {
        let mut twice: std::collections::HashSet<usize> = std::collections::HashSet::new();
        for duplicate in &duplicates {
            twice.extend([duplicate.first, duplicate.again]);
        }
        let errors: AppErrors = plan
            .apps
            .iter()
            .filter_map(|planned| {
                let app = &planned.app;
                let used = std::iter::once(app.deployment)
                    .chain(app.services.iter().copied())
                    .chain(app.routes.iter().map(|r| r.virtual_service))
                    .chain(app.destination_rules.iter().copied())
                    .chain(app.autoscalers.iter().copied())
                    .find(|document| twice.contains(document))?;
                let deployment = &documents[app.deployment];
                Some((
                    app.deployment,
                    ConvertError::Duplicate {
                        location: deployment
                            .location(&FieldPath::root().key("metadata").key("name")),
                        resource: deployment.resource_id(),
                        duplicate: documents[used].resource_id(),
                    },
                ))
            })
            .collect();
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
    }
    // Apps that share nothing the conversion writes (a VirtualService, DestinationRule or
    // autoscaler they both use, their namespace's AnalysisTemplates) convert independently:
    // use every core, then merge in app order, so that the result is the one a single pass
    // in app order gives.
    let groups = independent_groups(&index, &plan.apps);
    let unnamed_routes = unnamed_routes(&index, &plan.apps);
    let done: Vec<Result<Work, (usize, ConvertError)>> = {
        use rayon::prelude::*;
        groups
            .par_iter()
            // A few apps (a part of a tree, already converted beside others) are not worth
            // handing to another thread.
            .with_min_len(8)
            .map(|group| {
                let mut work = Work::new(&index, memo, &unnamed_routes);
                for &app in group {
                    let before = work.findings.len();
                    work.convert_app(&plan.apps[app])
                        .map_err(|error| (app, error))?;
                    work.finding_apps
                        .extend(std::iter::repeat_n(app, work.findings.len() - before));
                }
                Ok(work)
            })
            .collect()
    };
    let mut works = Vec::with_capacity(done.len());
    let mut errors: AppErrors = Vec::new();
    for result in done {
        match result {
            Ok(work) => works.push(work),
            Err((app, error)) => errors.push((plan.apps[app].app.deployment, error)),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|(deployment, _)| *deployment);
        return Ok(Err(errors));
    }
    let mut work = Work::new(&index, memo, &unnamed_routes);
    let mut app_findings: Vec<(usize, Finding)> = Vec::new();
    for part in works {
        work.replaced.extend(part.replaced);
        work.modified.extend(part.modified);
        for (after, values) in part.added {
            work.added.entry(after).or_default().extend(values);
        }
        app_findings.extend(part.finding_apps.into_iter().zip(part.findings));
    }
    // Stable: an app's findings keep their order.
    app_findings.sort_by_key(|(app, _)| *app);
    let mut finding_order: Vec<(u8, usize)> = plan
        .finding_deployments
        .iter()
        .map(|&deployment| (0, deployment))
        .collect();
    finding_order.extend(
        app_findings
            .iter()
            .map(|(app, _)| (1, plan.apps[*app].app.deployment)),
    );
    work.findings = plan.findings;
    let left_alone = plan.left_alone;
    work.findings
        .extend(app_findings.into_iter().map(|(_, finding)| finding));
    let converted = plan
        .apps
        .iter()
        .map(|app| documents[app.app.deployment].resource_id())
        .collect();
    let converted_deployments = plan.apps.iter().map(|app| app.app.deployment).collect();
    let mut outputs = Vec::with_capacity(documents.len());
    for (i, document) in documents.iter().enumerate() {
        if let Some(value) = work.replaced.remove(&i) {
            outputs.push(Output {
                value: Arc::new(value),
                origin: Origin::Input {
                    document: i,
                    changed: true,
                },
            });
        } else {
            let (value, changed) = match work.modified.remove(&i) {
                Some(value) => {
                    let changed = value != *document.value;
                    (Arc::new(value), changed)
                }
                None => (Arc::clone(&document.value), false),
            };
            outputs.push(Output {
                value,
                origin: Origin::Input {
                    document: i,
                    changed,
                },
            });
        }
        for value in work.added.remove(&i).unwrap_or_default() {
            outputs.push(Output {
                value,
                origin: Origin::Added { after: i },
            });
        }
    }
    Ok(Ok(Conversion {
        outputs,
        findings: work.findings,
        converted,
        finding_order,
        converted_deployments,
        left_alone,
        left: Vec::new(),
        selected: plan.selected,
    }))
}

/// For each VirtualService, the unnamed http routes that some app manages, in route order:
/// names are given by place among them. (A VirtualService and every Service it routes to are
/// in one part of a tree, so a part sees all of them.)
fn unnamed_routes(index: &Index, apps: &[PlannedApp]) -> HashMap<usize, Vec<usize>> {
    let mut unnamed: HashMap<usize, Vec<usize>> = HashMap::new();
    for app in apps {
        for r in app.app.routes.iter().filter(|r| r.kind == RouteKind::Http) {
            let named = index.documents[r.virtual_service]
                .value
                .lookup(&format!("/spec/http/{}/name", r.route))
                .is_some();
            if !named {
                unnamed.entry(r.virtual_service).or_default().push(r.route);
            }
        }
    }
    for routes in unnamed.values_mut() {
        routes.sort_unstable();
        routes.dedup();
    }
    unnamed
}

/// The apps, as groups that convert independently, each in app order; groups are ordered by
/// their first app.
fn independent_groups(index: &Index, apps: &[PlannedApp]) -> Vec<Vec<usize>> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    #[derive(PartialEq, Eq, Hash)]
    enum Shared<'a> {
        Namespace(Option<&'a str>),
        Document(usize),
    }
    let mut parent: Vec<usize> = (0..apps.len()).collect();
    let mut owner: HashMap<Shared, usize> = HashMap::new();
    for (i, planned) in apps.iter().enumerate() {
        let app = &planned.app;
        let namespace = index.documents[app.deployment].namespace();
        let shared = std::iter::once(Shared::Namespace(namespace))
            .chain(
                app.routes
                    .iter()
                    .map(|r| Shared::Document(r.virtual_service)),
            )
            .chain(app.destination_rules.iter().map(|&r| Shared::Document(r)))
            .chain(app.autoscalers.iter().map(|&s| Shared::Document(s)))
            .chain(std::iter::once(Shared::Document(app.deployment)));
        for key in shared {
            let first = *owner.entry(key).or_insert(i);
            let (a, b) = (root(&mut parent, first), root(&mut parent, i));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..apps.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

impl<'d> Work<'d> {
    fn new(
        index: &'d Index<'d>,
        memo: &'d TemplateMemo,
        unnamed_routes: &'d HashMap<usize, Vec<usize>>,
    ) -> Self {
        Work {
            memo,
            unnamed_routes,
            index,
            replaced: HashMap::new(),
            modified: HashMap::new(),
            added: BTreeMap::new(),
            findings: Vec::new(),
            finding_apps: Vec::new(),
            templates: HashMap::new(),
        }
    }

    fn document(&self, index: usize) -> &'d Document {
        &self.index.documents[index]
    }

    /// The working copy of an input document.
    fn working_copy(&mut self, index: usize) -> &mut Value {
        let original = &self.index.documents[index].value;
        self.modified
            .entry(index)
            .or_insert_with(|| Value::clone(original))
    }

    fn convert_app(&mut self, planned: &PlannedApp) -> Result<(), ConvertError> {
        let deployment = planned.app.deployment;
        let doc = self.document(deployment);
        let settings = &planned.settings;
        let name = doc.name().to_owned();
        let namespace = doc.namespace().map(str::to_owned);
        let service_doc = self.document(planned.service);
        let service = service_doc.name().to_owned();
        let service_selector = crate::index::service_selector(service_doc)
            .cloned()
            .unwrap_or_default();
        let canary_service = format!("{service}{}", settings.canary_suffix);
        let stable_service = format!("{service}{}", settings.stable_suffix);
        let mut new_resources: Vec<Arc<Value>> = Vec::new();

        // Traffic: which routes, split how.
        let routes: Vec<&RouteRef> = planned
            .app
            .routes
            .iter()
            .filter(|r| r.service == planned.service)
            .collect();
        // DestinationRules for the Service, and in subset mode the subsets to split by.
        let rules: Vec<usize> = planned
            .app
            .destination_rules
            .iter()
            .copied()
            .filter(|&r| {
                let rule = self.document(r);
                self.index.host_names(
                    rule.str_at("/spec/host").unwrap_or_default(),
                    planned.service,
                    r,
                ) == crate::index::host::Naming::Yes
            })
            .collect();
        let pod_labels = crate::index::pod_labels(doc);
        let subset_names = destination_rule::subset_names(
            rules.first().map(|&r| &*self.document(r).value),
            &settings.stable_subset,
            &settings.canary_subset,
            &pod_labels,
        );
        let mut subset_rule: Option<(String, usize)> = None;
        let split = match settings.traffic {
            Traffic::Host => Split::Hosts {
                stable: stable_service.clone(),
                canary: canary_service.clone(),
            },
            Traffic::Subset => Split::Subsets {
                stable: subset_names.stable.clone(),
                canary: subset_names.canary.clone(),
            },
        };
        let mut references = Vec::new();
        // Whether a managed route is an http one: else all are tcp/tls, and HTTP telemetry
        // never has data for the app.
        let mut http_routes = false;
        let mut by_vs: BTreeMap<usize, Vec<&RouteRef>> = BTreeMap::new();
        for r in &routes {
            by_vs.entry(r.virtual_service).or_default().push(r);
        }
        for (vs, refs) in by_vs {
            let vs_doc = &self.index.documents[vs];
            let owner = match &namespace {
                Some(ns) => format!("{ns}/{name}"),
                None => name.clone(),
            };
            let mut findings = Vec::new();
            // Rewrite a copy: a VirtualService none of whose routes can be managed stays as
            // it was.
            let mut copy = match self.modified.get(&vs) {
                Some(working) => working.clone(),
                None => Value::clone(&vs_doc.value),
            };
            let managed = virtual_service::rewrite(
                vs_doc,
                &mut copy,
                &refs,
                &split,
                virtual_service::RouteNames {
                    base: &settings.route_name,
                    unnamed: self.unnamed_routes.get(&vs).map_or(&[], Vec::as_slice),
                },
                &owner,
                &mut findings,
            );
            self.findings.extend(findings);
            if managed.is_empty() {
                continue;
            }
            http_routes |= !managed.http.is_empty();
            self.modified.insert(vs, copy);
            let reference_name = match (vs_doc.namespace(), namespace.as_deref()) {
                (Some(vs_ns), rollout_ns) if Some(vs_ns) != rollout_ns => {
                    format!("{}.{vs_ns}", vs_doc.name())
                }
                _ => vs_doc.name().to_owned(),
            };
            references.push(managed.to_reference(reference_name));
        }
        let routed = !references.is_empty();
        let doc = self.document(deployment);
        if !routed {
            self.findings.push(
                Finding::at(
                    doc,
                    &FieldPath::root().key("metadata").key("name"),
                    Severity::Warning,
                    "convert/no-virtual-service",
                    format!(
                        "no VirtualService route sends traffic to Service {service}; the canary share follows the replica count"
                    ),
                )
                .with_hint("add a VirtualService routing to the Service (and include its file) for weight-based traffic shifting"),
            );
        }

        // Canary and stable Services.
        if settings.traffic == Traffic::Host {
            for derived in [&canary_service, &stable_service] {
                if self
                    .index
                    .find(Kind::Service, derived, namespace.as_deref())
                    .is_none()
                {
                    new_resources.push(Arc::new(services::derived(
                        self.document(planned.service),
                        derived,
                    )));
                }
            }
        }

        match settings.traffic {
            Traffic::Subset if routed => {
                if let Some(&rule) = rules.first() {
                    let rule_name = self.document(rule).name().to_owned();
                    for (wanted, labels, used) in &subset_names.renamed {
                        self.findings.push(
                            Finding::at(
                                self.document(rule),
                                &FieldPath::parse("spec.subsets"),
                                Severity::Warning,
                                "convert/subset-renamed",
                                format!(
                                    "subset {wanted} selects {labels}, which the pods of Rollout {name} do not carry; it is left as it is and the Rollout uses a new subset {used}"
                                ),
                            )
                            .with_hint(format!(
                                "a subset the controller manages must select the Rollout's pods (it adds rollouts-pod-template-hash to its labels); remove subset {wanted} once nothing routes to it, or set canarySubset/stableSubset"
                            )),
                        );
                    }
                    let copy = self.working_copy(rule);
                    destination_rule::add_subsets(copy, &subset_names, &service_selector);
                    subset_rule = Some((rule_name, rule));
                } else {
                    let taken = self
                        .index
                        .find(Kind::DestinationRule, &service, namespace.as_deref())
                        .is_some();
                    let rule_name = if taken {
                        format!("{service}-rollout")
                    } else {
                        service.clone()
                    };
                    let api_version = routes
                        .first()
                        .map(|r| self.document(r.virtual_service).api_version())
                        .unwrap_or("networking.istio.io/v1beta1");
                    new_resources.push(Arc::new(destination_rule::with_subsets(
                        api_version,
                        &rule_name,
                        namespace.as_deref(),
                        &service,
                        &subset_names,
                        &service_selector,
                    )));
                    subset_rule = Some((rule_name, deployment));
                }
            }
            Traffic::Subset => {
                self.findings.push(Finding::at(
                    doc,
                    &FieldPath::root().key("metadata").key("name"),
                    Severity::Note,
                    "convert/subset-without-routes",
                    "subset traffic needs a VirtualService route to the Service; the Rollout uses a basic canary",
                ));
            }
            Traffic::Host => {
                for rule in rules {
                    self.carry_traffic_policy(rule, settings, &service, &mut new_resources);
                }
            }
        }

        // Analysis.
        let tcp_only = routed && !http_routes;
        let selection = match (settings.traffic == Traffic::Host && routed, tcp_only) {
            (true, true) => Selection::TcpByService,
            (true, false) => Selection::ByService,
            (false, _) => Selection::ByRevision,
        };
        let measured = match selection {
            Selection::ByService | Selection::TcpByService => canary_service.clone(),
            Selection::ByRevision => service.clone(),
        };
        let mut mode = settings.analysis.mode;
        if tcp_only && selection == Selection::ByRevision && mode != AnalysisMode::None {
            // Subset traffic over tcp/tls routes: the canary shares the app's Service, and a
            // connection the canary fails is reported without the canary's revision (the
            // client's proxy never learnt it). No template could judge it: none is made.
            self.findings.push(
                Finding::at(
                    self.document(deployment),
                    &FieldPath::root().key("metadata").key("name"),
                    Severity::Warning,
                    "convert/no-tcp-analysis",
                    "no analysis: its managed routes are tcp/tls only, which have no HTTP telemetry, and with subset traffic Istio's TCP telemetry cannot tell the canary's failed connections from the stable's; the canary steps run without measurement",
                )
                .with_hint("use --traffic host (traffic: host) for a TCP analysis of the canary Service's connections, or add an analysis of your own to the Rollout"),
            );
            mode = AnalysisMode::None;
        }
        let wants_steps = mode == AnalysisMode::Step
            || (mode != AnalysisMode::None && settings.steps.contains(&steps::Step::Analysis));
        let mut background_ref = None;
        let mut step_ref = None;
        for (wanted, run, slot) in [
            (
                mode == AnalysisMode::Background,
                analysis::Run::Background,
                &mut background_ref,
            ),
            (wants_steps, analysis::Run::Step, &mut step_ref),
        ] {
            if wanted {
                let template_name = self.analysis_template(
                    &name,
                    namespace.as_deref(),
                    planned,
                    selection,
                    run,
                    &mut new_resources,
                );
                *slot = Some(analysis::reference(&template_name, &measured));
            }
        }
        let analysis_ref = background_ref.clone().or_else(|| step_ref.clone());

        // The canary strategy.
        let mut canary = Map::new();
        if settings.traffic == Traffic::Host {
            canary.insert("canaryService".to_owned(), json!(canary_service));
            canary.insert("stableService".to_owned(), json!(stable_service));
        }
        if selection == Selection::ByRevision && analysis_ref.is_some() {
            canary.insert(
                "canaryMetadata".to_owned(),
                json!({ "labels": { analysis::REVISION_LABEL: "canary" } }),
            );
            canary.insert(
                "stableMetadata".to_owned(),
                json!({ "labels": { analysis::REVISION_LABEL: "stable" } }),
            );
        }
        let doc = self.document(deployment);
        canary.extend(rollout::surge_settings(doc, &mut self.findings));
        if routed {
            let mut istio = Map::new();
            if let [single] = references.as_slice() {
                istio.insert("virtualService".to_owned(), single.clone());
            } else {
                istio.insert("virtualServices".to_owned(), Value::Array(references));
            }
            if let Some((rule_name, _)) = &subset_rule {
                istio.insert(
                    "destinationRule".to_owned(),
                    json!({
                        "name": rule_name,
                        "canarySubsetName": subset_names.canary,
                        "stableSubsetName": subset_names.stable,
                    }),
                );
            }
            canary.insert(
                "trafficRouting".to_owned(),
                object::object([("istio", Value::Object(istio))]),
            );
        }
        let step_analysis = mode == AnalysisMode::Step;
        let argo_steps = steps::to_argo(&settings.steps, step_ref.as_ref(), step_analysis);
        if let Some(Value::Object(mut reference)) = background_ref {
            if let Some(start) = steps::first_step_with_traffic(&argo_steps) {
                reference.insert("startingStep".to_owned(), json!(start));
            }
            canary.insert("analysis".to_owned(), Value::Object(reference));
        }
        canary.insert("steps".to_owned(), Value::Array(argo_steps));

        // Autoscalers.
        let has_autoscaler = !planned.app.autoscalers.is_empty();
        for &scaler in &planned.app.autoscalers {
            autoscaler::retarget(self.working_copy(scaler), &name);
        }

        let doc = self.document(deployment);
        let rollout = rollout::build(doc, canary, settings, has_autoscaler, &mut self.findings)?;
        match settings.mode {
            Mode::Template => {
                self.replaced.insert(deployment, rollout);
            }
            Mode::WorkloadRef => new_resources.insert(0, Arc::new(rollout)),
        }
        self.added
            .entry(deployment)
            .or_default()
            .extend(new_resources);
        Ok(())
    }

    /// In host mode a DestinationRule for the original host no longer applies to the new
    /// hosts: copy its traffic policy to rules for them, or warn.
    fn carry_traffic_policy(
        &mut self,
        rule: usize,
        settings: &crate::plan::settings::Settings,
        service: &str,
        new_resources: &mut Vec<Arc<Value>>,
    ) {
        let doc = self.document(rule);
        if doc.value.lookup("/spec/trafficPolicy").is_none() {
            return;
        }
        let policy_path = FieldPath::parse("spec.trafficPolicy");
        match settings.destination_rule_policy {
            crate::plan::settings::DestinationRulePolicy::Warn => {
                self.findings.push(
                    Finding::at(
                        doc,
                        &policy_path,
                        Severity::Warning,
                        "convert/traffic-policy-not-applied",
                        format!(
                            "this trafficPolicy applies to host {service} only, not to {service}{} and {service}{}",
                            settings.stable_suffix, settings.canary_suffix
                        ),
                    )
                    .with_hint("copy it to DestinationRules for the new hosts (destinationRulePolicy: copy)"),
                );
            }
            crate::plan::settings::DestinationRulePolicy::Copy => {
                let rule_name = doc.name().to_owned();
                let namespace = doc.namespace().map(str::to_owned);
                for suffix in [&settings.stable_suffix, &settings.canary_suffix] {
                    let name = format!("{rule_name}{suffix}");
                    if self
                        .index
                        .find(Kind::DestinationRule, &name, namespace.as_deref())
                        .is_none()
                    {
                        new_resources.push(Arc::new(destination_rule::copy_for_service(
                            self.document(rule),
                            &name,
                            &format!("{service}{suffix}"),
                        )));
                    }
                }
                self.findings.push(Finding::at(
                    self.document(rule),
                    &policy_path,
                    Severity::Note,
                    "convert/traffic-policy-copied",
                    format!(
                        "trafficPolicy copied to {rule_name}{} and {rule_name}{} for the new hosts",
                        settings.stable_suffix, settings.canary_suffix
                    ),
                ));
            }
        }
    }

    /// The name of the AnalysisTemplate for this app, adding it to `new_resources` when this
    /// run has not written it yet and the input does not have it. Apps of a namespace share a
    /// template when their analysis settings agree.
    fn analysis_template(
        &mut self,
        rollout: &str,
        namespace: Option<&str>,
        planned: &PlannedApp,
        selection: Selection,
        run: analysis::Run,
        new_resources: &mut Vec<Arc<Value>>,
    ) -> String {
        let shared = analysis::template_name(&planned.settings.analysis, selection, run);
        if self
            .index
            .find(Kind::AnalysisTemplate, &shared, namespace)
            .is_some()
        {
            return shared;
        }
        let key = (namespace.map(str::to_owned), shared.clone());
        let inputs = (planned.settings.analysis.clone(), selection, run);
        // Most apps of a namespace share their settings: no need to build the template again.
        if self
            .templates
            .get(&key)
            .is_some_and(|(made_from, _)| *made_from == inputs)
        {
            return shared;
        }
        let template = self.memo.template(
            &shared,
            namespace,
            &planned.settings.analysis,
            selection,
            run,
        );
        match self.templates.get(&key) {
            Some((_, existing)) if Arc::ptr_eq(existing, &template) || *existing == template => {
                shared
            }
            Some(_) => {
                let own = format!("{rollout}-{shared}");
                new_resources.push(Arc::new(analysis::template(
                    &own,
                    namespace,
                    &planned.settings.analysis,
                    selection,
                    run,
                )));
                own
            }
            None => {
                self.templates.insert(key, (inputs, Arc::clone(&template)));
                new_resources.push(template);
                shared
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};

    fn app(name: &str, namespace: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80}}]\n---\n"
        )
    }

    #[test]
    fn apps_that_share_a_virtual_service_or_a_namespace_convert_together() {
        let text = format!(
            "{}{}{}{}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: edge, namespace: gateways}}\nspec:\n  hosts: [edge]\n  http:\n  - name: a\n    match: [{{uri: {{prefix: /a}}}}]\n    route: [{{destination: {{host: a.one.svc.cluster.local}}}}]\n  - name: b\n    route: [{{destination: {{host: b.two.svc.cluster.local}}}}]\n",
            app("a", "one"),
            app("b", "two"),
            app("c", "three"),
            app("d", "three"),
        );
        let loaded = load_text("apps.yaml", &text, &Limits::default()).expect("loads");
        let scope = crate::index::host::Scope::default();
        let index = Index::new(&loaded.documents, &scope);
        // c and d have no route: named, they convert as replica-weighted canaries.
        let options = ConvertOptions {
            select: vec![crate::config::AppMatch::parse_selector("*")],
            ..ConvertOptions::default()
        };
        let plan = plan::plan(&index, &options).expect("plans");
        let names: Vec<&str> = plan
            .apps
            .iter()
            .map(|a| loaded.documents[a.app.deployment].name())
            .collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        // a and b share the VirtualService; c and d their namespace.
        assert_eq!(
            independent_groups(&index, &plan.apps),
            [vec![0, 1], vec![2, 3]]
        );
        let conversion = convert(&loaded.documents, &options).expect("converts");
        let edge = conversion
            .outputs
            .iter()
            .find(|o| o.value["metadata"]["name"] == "edge")
            .expect("the VirtualService");
        // Both apps' routes were split in the one shared copy.
        assert_eq!(
            edge.value["spec"]["http"][0]["route"][1]["destination"]["host"],
            "a-canary.one.svc.cluster.local"
        );
        assert_eq!(
            edge.value["spec"]["http"][1]["route"][1]["destination"]["host"],
            "b-canary.two.svc.cluster.local"
        );
    }
}
