//! `rolloutify kustomize-plugin` and `rolloutify krm`: the stream on standard input,
//! converted, on standard output.

use std::path::PathBuf;

use clap::Args;

use super::{Outcome, Streams, report_failure};
use crate::config;
use crate::load::{self, Limits};
use crate::plugin::{self, PluginError, resource_list};

#[derive(Debug, Args)]
pub struct KustomizePluginArgs {
    /// The plugin's configuration: the `Rolloutify` file named in the kustomization's
    /// `transformers` (kustomize passes its path).
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,

    /// Print errors only, not warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct KrmArgs {}

pub fn run_kustomize(args: KustomizePluginArgs, streams: &mut Streams) -> Outcome {
    let limits = Limits::default();
    let done = config::read(&args.config)
        .map_err(PluginError::from)
        .and_then(|config| {
            let input = load::read_stdin(&limits)?;
            plugin::kustomize_transform(input, config, &limits)
        });
    match done {
        Ok(transformed) => {
            if !args.quiet {
                for finding in &transformed.findings {
                    if finding.severity == crate::finding::Severity::Warning {
                        let _ = writeln!(streams.stderr, "{finding}");
                    }
                }
            }
            super::print(streams, &transformed.text)
        }
        Err(error) => {
            let outcome = failure(streams, &error);
            // kustomize re-serializes the transformer's configuration into a temporary file.
            if let (PluginError::Config(_), Some(root)) =
                (&error, std::env::var_os("KUSTOMIZE_PLUGIN_CONFIG_ROOT"))
            {
                let _ = writeln!(
                    streams.stderr,
                    "  note: {} is the copy kustomize made of the transformer configuration listed in {}/kustomization.yaml; its lines are the copy's",
                    args.config.display(),
                    root.to_string_lossy()
                );
            }
            outcome
        }
    }
}

pub fn run_krm(_args: KrmArgs, streams: &mut Streams) -> Outcome {
    let limits = Limits::default();
    let done = load::read_stdin(&limits)
        .map_err(PluginError::from)
        .and_then(|input| resource_list::run(input, &limits));
    match done {
        Ok(output) => match super::print(streams, &output.text) {
            Outcome::Success if output.failed => {
                for finding in &output.errors {
                    let _ = writeln!(streams.stderr, "{finding}");
                }
                if !output.errors.is_empty() {
                    let error = PluginError::Blocked(output.errors);
                    let _ = report_failure(streams.stderr, &error, error.hint());
                }
                Outcome::Problem
            }
            outcome => outcome,
        },
        Err(error) => failure(streams, &error),
    }
}

fn failure(streams: &mut Streams, error: &PluginError) -> Outcome {
    if let PluginError::Invalid(findings) | PluginError::Blocked(findings) = error {
        for finding in findings {
            let _ = writeln!(streams.stderr, "{finding}");
        }
        let _ = report_failure(streams.stderr, error, error.hint());
        return Outcome::Problem;
    }
    report_failure(streams.stderr, error, error.hint())
}
