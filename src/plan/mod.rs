//! Plan: which Deployments to convert, through which Service, with which settings.

pub mod candidates;
pub mod routes;
pub mod select;
pub mod settings;
pub mod steps;

use serde_json::Value;

use crate::config::{AppMatch, Config};
use crate::finding::{Finding, Severity};
use crate::index::host::Scope;
use crate::index::{App, Index, Kind};
use crate::load::{FieldPath, Lookup as _};
use settings::{CONVERT_ANNOTATION, Settings, SettingsError, SettingsPatch};

/// What the user asked for, beyond the input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvertOptions {
    pub config: Config,
    /// Settings given as command-line flags: the last layer.
    pub flags: SettingsPatch,
    /// `--select`: when not empty, only matching Deployments are converted (added to the
    /// config's own `select`).
    pub select: Vec<AppMatch>,
    /// The cluster domain and the namespace of documents that name none (`--cluster-domain`,
    /// `-n`).
    pub scope: Scope,
}

/// One Deployment to convert.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedApp {
    pub app: App,
    /// The Service whose traffic is split (an index into the documents).
    pub service: usize,
    pub settings: Settings,
}

/// The Deployments to convert, and what the user should know about the ones left alone.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub apps: Vec<PlannedApp>,
    pub findings: Vec<Finding>,
    /// The Deployment each finding is about (by document index), alongside `findings`.
    pub finding_deployments: Vec<usize>,
    /// The Deployments left alone by default (no route, or not a candidate), in input order;
    /// a finding per reason lists them ([`candidates::left_alone_findings`]).
    pub left_alone: Vec<(usize, candidates::LeftAlone)>,
    /// For each selector (the config's `select`, then `--select`): whether it matched a
    /// Deployment of the input ([`select`]).
    pub selected: Vec<bool>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Returned when a Deployment has no `metadata.name`.
    #[error("{location}: document {document}: Deployment has no `metadata.name`")]
    MissingName {
        location: crate::load::Location,
        document: usize,
    },
    /// Returned when a Deployment's `rolloutify.io/*` annotation or the flags hold a bad value.
    #[error("{location}: {source}")]
    Settings {
        location: crate::load::Location,
        #[source]
        source: SettingsError,
    },
}

/// Decides what to convert.
pub fn plan(index: &Index, options: &ConvertOptions) -> Result<Plan, PlanError> {
    let documents = index.documents;
    let selectors: Vec<&AppMatch> = options
        .config
        .select
        .iter()
        .chain(&options.select)
        .collect();
    let mut plan = Plan {
        selected: vec![false; selectors.len()],
        ..Plan::default()
    };
    for deployment in index.of_kind(Kind::Deployment) {
        let doc = &documents[deployment];
        if doc.name().is_empty() {
            return Err(PlanError::MissingName {
                location: doc.location(&FieldPath::parse("metadata.name")),
                document: doc.index + 1,
            });
        }
        let namespace = index.namespace(deployment);
        if !selectors.is_empty() && !select::matches(&selectors, doc, namespace, &mut plan.selected)
        {
            continue;
        }
        let annotations = doc
            .value
            .lookup("/metadata/annotations")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let annotation_path = FieldPath::parse("metadata.annotations").key(CONVERT_ANNOTATION);
        let annotated = annotations.get(CONVERT_ANNOTATION).and_then(Value::as_str);
        if annotated == Some("false") {
            plan.finding_deployments.push(deployment);
            plan.findings.push(Finding::at(
                doc,
                &annotation_path,
                Severity::Note,
                "convert/opted-out",
                format!("not converted: {CONVERT_ANNOTATION} is \"false\""),
            ));
            continue;
        }
        // Named by the user: --select or the configuration's select (a Deployment that does
        // not match is skipped above), or the annotation; an `apps` entry that matches it
        // names it too, but only as one to convert without mesh routing.
        let explicitly_selected = !selectors.is_empty();
        let named = explicitly_selected || annotated == Some("true");
        let named_or_configured = named
            || options
                .config
                .apps
                .iter()
                .any(|a| a.matcher.matches_in(doc, namespace));
        if let Some(rollout) = index.rollout_for(deployment) {
            let rollout = &documents[rollout];
            let already = rollout.str_at("/spec/workloadRef/name") == Some(doc.name());
            plan.finding_deployments.push(deployment);
            plan.findings.push(Finding::at(
                doc,
                &FieldPath::root().key("metadata").key("name"),
                Severity::Note,
                "convert/already-converted",
                if already {
                    format!(
                        "not converted: Rollout {} already references it",
                        rollout.name()
                    )
                } else {
                    format!(
                        "not converted: a Rollout named {} already exists",
                        rollout.name()
                    )
                },
            ));
            continue;
        }
        let name_path = FieldPath::root().key("metadata").key("name");
        let app = index.app(deployment);
        let Some(service) = primary_service(index, &app) else {
            plan.finding_deployments.push(deployment);
            plan.findings.push(
                Finding::at(
                    doc,
                    &name_path,
                    if explicitly_selected { Severity::Warning } else { Severity::Note },
                    "convert/no-service",
                    "not converted: no Service selects its pods",
                )
                .with_hint("a canary needs a Service to split traffic; add one or include its file in the paths given"),
            );
            continue;
        };
        let sharing = index.deployments_selected_by(service);
        if sharing.len() > 1 && !explicitly_selected {
            let names: Vec<&str> = sharing.iter().map(|&d| documents[d].name()).collect();
            plan.finding_deployments.push(deployment);
            plan.findings.push(
                Finding::at(
                    doc,
                    &name_path,
                    Severity::Warning,
                    "convert/shared-service",
                    format!(
                        "not converted: Service {} selects the pods of {} Deployments ({})",
                        documents[service].name(),
                        sharing.len(),
                        names.join(", ")
                    ),
                )
                .with_hint(
                    "one Rollout replaces all versions of an app: convert the one to keep with --select NAMESPACE/NAME and delete the others",
                ),
            );
            continue;
        }
        let left_alone = |why| candidates::LeftAlone {
            why,
            location: doc.location(&name_path),
            resource: doc.resource_id(),
            name: match namespace {
                Some(ns) => format!("{ns}/{}", doc.name()),
                None => doc.name().to_owned(),
            },
        };
        if let Some(reason) = candidates::hazard(index, deployment) {
            plan.finding_deployments.push(deployment);
            if !named {
                plan.left_alone
                    .push((deployment, left_alone(candidates::Why::Hazard)));
                plan.findings.push(
                    Finding::at(
                        doc,
                        &name_path,
                        Severity::Note,
                        "convert/not-a-candidate",
                        format!("not converted: {reason}"),
                    )
                    .with_hint("it is converted only when named with --select (or the configuration's select, or the annotation rolloutify.io/convert: \"true\")"),
                );
                continue;
            }
            plan.findings.push(
                Finding::at(
                    doc,
                    &name_path,
                    Severity::Warning,
                    "convert/not-a-candidate",
                    format!("converted because it was selected, although {reason}"),
                )
                .with_hint("check that a canary of it can run beside the stable version before the first rollout"),
            );
        }
        let settings = settings_for(index, deployment, options, &annotations)?;
        let routes = routes::sort_out(index, &app, service, &settings);
        let managed = !routes.managed.is_empty();
        plan.finding_deployments
            .extend(std::iter::repeat_n(deployment, routes.findings.len()));
        plan.findings.extend(routes.findings);
        if !managed {
            if let Some(route) = routes.first_unmanaged {
                plan.finding_deployments.push(deployment);
                plan.findings.push(
                    Finding::at(
                        doc,
                        &name_path,
                        Severity::Warning,
                        "convert/no-managed-route",
                        format!(
                            "not converted: routes reach Service {} but none can be managed (the first is at {route}); the app is left as it was",
                            documents[service].name()
                        ),
                    )
                    .with_hint(if routes.namespace_unknown {
                        "see the warnings about its routes: give -n NAMESPACE, or route the app's traffic to its Service alone"
                    } else {
                        "see the warnings about its routes: route the app's traffic to its Service alone, in a route of its own"
                    }),
                );
                continue;
            }
            if !named_or_configured {
                plan.left_alone
                    .push((deployment, left_alone(candidates::Why::NoRoute)));
                continue;
            }
        }
        let app = App {
            routes: routes.managed,
            ..app
        };
        plan.apps.push(PlannedApp {
            app,
            service,
            settings,
        });
    }
    for (first, finding) in candidates::left_alone_findings(&plan.left_alone) {
        // In the run's order, after the findings about the Deployments up to the first.
        let at = plan
            .finding_deployments
            .iter()
            .position(|&d| d > first)
            .unwrap_or(plan.findings.len());
        plan.findings.insert(at, finding);
        plan.finding_deployments.insert(at, first);
    }
    Ok(plan)
}

/// The Service to split: the one VirtualService routes name (the first, in input order), else
/// the one named like the Deployment, else the first that selects its pods. A stable or canary
/// Service of another of the app's Services (`web-stable` beside `web`, with the default
/// suffixes) stands for that one.
fn primary_service(index: &Index, app: &App) -> Option<usize> {
    let defaults = Settings::default();
    let base = |service: usize| {
        let name = index.documents[service].name();
        [&defaults.stable_suffix, &defaults.canary_suffix]
            .iter()
            .filter_map(|suffix| name.strip_suffix(suffix.as_str()))
            .find_map(|base| {
                app.services
                    .iter()
                    .copied()
                    .find(|&s| index.documents[s].name() == base)
            })
            .unwrap_or(service)
    };
    if let Some(route) = app.routes.first() {
        return Some(base(route.service));
    }
    let name = index.documents[app.deployment].name();
    app.services
        .iter()
        .copied()
        .find(|&s| index.documents[s].name() == name)
        .or_else(|| app.services.first().copied())
}

fn settings_for(
    index: &Index,
    deployment: usize,
    options: &ConvertOptions,
    annotations: &serde_json::Map<String, Value>,
) -> Result<Settings, PlanError> {
    let doc = &index.documents[deployment];
    let at = |path: FieldPath| doc.location(&path);
    let mut settings = Settings::default();
    let config_error = |source| PlanError::Settings {
        location: at(FieldPath::root()),
        source,
    };
    settings
        .apply(&options.config.defaults)
        .map_err(config_error)?;
    for app in &options.config.apps {
        if app.matcher.matches_in(doc, index.namespace(deployment)) {
            settings.apply(&app.patch).map_err(config_error)?;
        }
    }
    let from_annotations =
        settings::patch_from_annotations(annotations).map_err(|source| PlanError::Settings {
            location: at(FieldPath::parse("metadata.annotations")),
            source,
        })?;
    settings
        .apply(&from_annotations)
        .map_err(|source| PlanError::Settings {
            location: at(FieldPath::parse("metadata.annotations")),
            source,
        })?;
    settings
        .apply(&options.flags)
        .map_err(|source| PlanError::Settings {
            location: at(FieldPath::root()),
            source,
        })?;
    Ok(settings)
}
