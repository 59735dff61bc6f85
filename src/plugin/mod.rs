//! Plugins: rolloutify as one step of another tool's pipeline. Both take the whole stream of
//! resources on standard input and give the converted stream back:
//!
//! - [`kustomize_transform`]: a legacy exec transformer for `kubectl kustomize
//!   --enable-alpha-plugins` (plain multi-document YAML in and out, the `Rolloutify` file as
//!   the plugin's config);
//! - [`resource_list`]: a KRM function (a `config.kubernetes.io/v1` `ResourceList` in and
//!   out, with the findings as `results`), for kustomize, kpt and Argo CD config-management
//!   plugins.
//!
//! Like `convert`, a plugin refuses to hand on output that would not pass validation; and
//! since kustomize shows a plugin's standard error only when it fails, it fails where
//! `convert` would only warn ([`gate`]).

pub mod gate;
pub mod resource_list;

use std::sync::Arc;

use crate::config::{Config, ConfigError};
use crate::convert::{self, ConvertError};
use crate::emit::{self, Format};
use crate::finding::Finding;
use crate::load::{self, Limits, LoadError, Source};
use crate::plan::ConvertOptions;

/// Why a plugin could not hand on a converted stream.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// Returned when the configuration cannot be read or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Returned when the input cannot be read or parsed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Returned when a resource cannot be converted.
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// Returned when the converted stream would not pass validation; the findings say why.
    #[error("the converted output would not pass validation ({} error(s))", .0.len())]
    Invalid(Vec<Finding>),
    /// Returned when the conversion cannot be handed on safely ([`gate`]); the findings say
    /// why.
    #[error("{} finding(s) stop the build: nothing was handed on", .0.len())]
    Blocked(Vec<Finding>),
    /// Returned when the configuration's `select` matches no Deployment of the input.
    #[error(transparent)]
    Select(#[from] crate::plan::select::SelectError),
    /// Returned when standard input is not a KRM `ResourceList`.
    #[error("{file}: {message}")]
    NotAResourceList { file: String, message: String },
}

impl PluginError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            PluginError::Config(error) => error.hint(),
            PluginError::Load(error) => error.hint(),
            PluginError::Convert(error) => error.hint(),
            PluginError::Invalid(_) => {
                "fix the input or the settings named above; rolloutify validate shows the same checks"
            }
            PluginError::Blocked(_) => {
                "kustomize shows a transformer's messages only when it fails, so rolloutify fails where convert would warn; fix what the findings above name, or silence each as its hint says"
            }
            PluginError::Select(error) => error.hint(),
            PluginError::NotAResourceList { .. } => {
                "a KRM function reads one `config.kubernetes.io/v1` ResourceList (items, functionConfig) on standard input"
            }
        }
    }
}

/// A converted stream and what the user should know about it.
#[derive(Debug, Clone)]
pub struct Transformed {
    pub text: String,
    /// Warnings and notes of the conversion (errors stop it).
    pub findings: Vec<Finding>,
}

/// The legacy exec transformer: the resources kustomize hands over (plain multi-document
/// YAML) converted as `config` says.
pub fn kustomize_transform(
    input: Source,
    config: Config,
    limits: &Limits,
) -> Result<Transformed, PluginError> {
    let documents = load::parse_source(&Arc::new(input), limits)?;
    let options = ConvertOptions {
        config,
        ..ConvertOptions::default()
    };
    let conversion = convert::outcome::convert_checked(
        &documents,
        &options,
        &convert::TemplateMemo::default(),
        |conversion| crate::validate::check_conversion(&documents, conversion),
    )?;
    crate::plan::select::check(&documents, &options, &conversion.selected)?;
    let blocking = gate::blocking(&documents, &options.config, &conversion);
    if !blocking.is_empty() {
        return Err(PluginError::Blocked(blocking));
    }
    Ok(Transformed {
        text: emit::render_stream(&conversion.outputs, Format::Yaml),
        findings: conversion.findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Origin;

    fn stdin(text: &str) -> Source {
        Source {
            origin: Origin::Stdin,
            text: text.to_owned(),
        }
    }

    const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    rolloutify.io/convert: 'true'
    kustomize.config.k8s.io/id: |
      group: apps
      kind: Deployment
      name: web
      version: v1
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
";

    /// The app has no VirtualService: a warning, which passes only when not strict.
    fn relaxed() -> Config {
        Config {
            strict: Some(false),
            ..Config::default()
        }
    }

    #[test]
    fn the_exec_transformer_turns_the_deployment_into_a_rollout() {
        let out = kustomize_transform(stdin(APP), relaxed(), &Limits::default()).expect("converts");
        let loaded = load::load_text("out.yaml", &out.text, &Limits::default()).expect("parses");
        let kinds: Vec<&str> = loaded.documents.iter().map(|d| d.kind()).collect();
        assert!(kinds.contains(&"Rollout"), "{kinds:?}");
        assert!(!kinds.contains(&"Deployment"), "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "Service").count(), 3);
    }

    #[test]
    fn the_exec_transformer_is_strict_by_default() {
        let error = kustomize_transform(stdin(APP), Config::default(), &Limits::default())
            .expect_err("a warning stops it");
        let PluginError::Blocked(findings) = error else {
            panic!("{error}")
        };
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "convert/no-virtual-service");
        assert_eq!(findings[0].severity, crate::finding::Severity::Error);
    }

    #[test]
    fn unparseable_input_names_standard_input() {
        let error = kustomize_transform(
            stdin("apiVersion: v1\nkind: Service\nmetadata: {name: a\n"),
            Config::default(),
            &Limits::default(),
        )
        .expect_err("unparseable");
        assert!(error.to_string().starts_with("<stdin>:"), "{error}");
    }
}
