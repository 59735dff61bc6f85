//! What stops a plugin run. kustomize shows a plugin's standard error only when the plugin
//! fails, so a plugin that succeeds with a warning has said nothing: whatever would make
//! `convert` warn must fail the build instead, or nobody learns of it.
//!
//! A plugin run fails (exit 1, the findings on standard error) on:
//! - a kustomize variable `$(NAME)` not substituted yet in what it converts
//!   ([`variables`]): kustomize replaces `vars` after transformers, and only in the kinds it
//!   knows (not `Rollout`), so the Rollout would keep the placeholder and a placeholder host
//!   routes nowhere (`replacements` run before transformers: that is the fix);
//! - an error of the conversion (an app left as it was);
//! - a Deployment the configuration's `select` names that was not converted, or was
//!   converted without traffic routing (a VirtualService host not renamed by `namePrefix`);
//! - in strict mode (`strict: true`, the plugins' default), any conversion warning.

use serde_json::Value;

use crate::config::Config;
use crate::convert::{Conversion, variables};
use crate::finding::{Finding, Severity};
use crate::index::{Index, Kind};
use crate::load::{Document, FieldPath};
use crate::plan::settings::CONVERT_ANNOTATION;

/// How to silence a finding on purpose, said under every one a plugin fails for.
const SILENCE: &str = "to leave an app alone, annotate its Deployment rolloutify.io/convert: \"false\" or narrow the configuration's `select`; `strict: false` in the configuration lets warnings pass";

/// The findings that fail a plugin run, as errors, in input order; empty: the run may hand
/// its output on.
pub fn blocking(documents: &[Document], config: &Config, conversion: &Conversion) -> Vec<Finding> {
    let strict = config.strict_or(true);
    let mut blocking = Vec::new();
    for finding in &conversion.findings {
        match finding.severity {
            Severity::Error => blocking.push(finding.clone()),
            // A placeholder fails the build whatever `strict` says: the output would be wrong.
            Severity::Warning if finding.rule == variables::RULE => {
                let mut finding = finding.clone();
                finding.severity = Severity::Error;
                blocking.push(finding);
            }
            Severity::Warning if strict => {
                let mut finding = finding.clone();
                finding.severity = Severity::Error;
                finding.message.push_str(" (strict)");
                let hint = finding
                    .hint
                    .take()
                    .map(|h| format!("{h}; "))
                    .unwrap_or_default();
                finding.hint = Some(format!("{hint}{SILENCE}"));
                blocking.push(finding);
            }
            _ => {}
        }
    }
    blocking.extend(selected_but_not_converted(documents, config, conversion));
    blocking
}

/// The Deployments `select` names that were not converted, or converted without traffic
/// routing.
fn selected_but_not_converted(
    documents: &[Document],
    config: &Config,
    conversion: &Conversion,
) -> Vec<Finding> {
    if config.select.is_empty() {
        return Vec::new();
    }
    let scope = crate::index::host::Scope::default();
    let index = Index::new(documents, &scope);
    let mut found = Vec::new();
    for deployment in index.of_kind(Kind::Deployment) {
        let doc = &documents[deployment];
        let opted_out = doc
            .value
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(CONVERT_ANNOTATION))
            .and_then(Value::as_str)
            == Some("false");
        if opted_out || !config.select.iter().any(|s| s.matches(doc)) {
            continue;
        }
        let resource = doc.resource_id();
        let about: Vec<&Finding> = conversion
            .findings
            .iter()
            .filter(|f| f.resource == resource)
            .collect();
        let converted = conversion.converted_deployments.contains(&deployment);
        let unrouted = about.iter().any(|f| f.rule == "convert/no-virtual-service");
        if converted && !unrouted {
            continue;
        }
        let why: Vec<&str> = about.iter().map(|f| f.message.as_str()).collect();
        let message = match (converted, why.is_empty()) {
            (true, _) => format!(
                "the configuration selects it, but no VirtualService route sends traffic to its Service, so its canary would follow the replica count: {}",
                why.join("; ")
            ),
            (false, true) => "the configuration selects it, but it was not converted".to_owned(),
            (false, false) => format!(
                "the configuration selects it, but it was not converted: {}",
                why.join("; ")
            ),
        };
        found.push(
            Finding::at(
                doc,
                &FieldPath::root().key("metadata").key("name"),
                Severity::Error,
                "plugin/selected-not-converted",
                message,
            )
            .with_hint(format!(
                "if a transformer renamed the Service (namePrefix, nameSuffix), rename the VirtualService hosts that route to it too (a `replacements` entry, or the hosts in the overlay); {SILENCE}"
            )),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, load_text};
    use crate::plan::ConvertOptions;

    #[test]
    fn a_kustomize_variable_blocks_even_when_not_strict() {
        let text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web}\nspec:\n  hosts: [web]\n  http:\n  - route:\n    - destination: {host: web.$(NS).svc.cluster.local}\n";
        let loaded = load_text("in.yaml", text, &Limits::default()).expect("loads");
        let config = Config {
            strict: Some(false),
            ..Config::default()
        };
        let options = ConvertOptions {
            config: config.clone(),
            ..ConvertOptions::default()
        };
        let conversion = crate::convert::convert(&loaded.documents, &options).expect("converts");
        let blocking = blocking(&loaded.documents, &config, &conversion);
        assert_eq!(blocking.len(), 1);
        assert_eq!(blocking[0].rule, "convert/kustomize-variable");
        assert_eq!(blocking[0].severity, Severity::Error);
    }
}
