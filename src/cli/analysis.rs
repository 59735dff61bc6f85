//! `rolloutify analysis`: what the controller would decide for an AnalysisTemplate, given
//! the measurements a user expects.

use std::path::PathBuf;

use clap::Args;

use super::{Outcome, Streams, report_failure};
use crate::analysis_run::{self, Inputs};
use crate::load::{self, Input, LoadOptions};
use crate::validate::condition::Phase;

#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// The file with the AnalysisTemplate(s) or ClusterAnalysisTemplate(s); `-` for standard
    /// input.
    #[arg(value_name = "TEMPLATE_FILE")]
    pub file: PathBuf,

    /// One measurement, in order (repeatable): `[]` (no data), `[0.97]` (one series),
    /// `[NaN]`, `0.5` (a scalar), or `error` (the provider failed); `METRIC=VALUE` gives a
    /// measurement to one metric only.
    #[arg(long = "result", value_name = "VALUE", required = true)]
    pub results: Vec<String>,

    /// The value of a template argument used in the conditions, `NAME=VALUE` (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub args: Vec<String>,
}

pub fn run(args: AnalysisArgs, streams: &mut Streams) -> Outcome {
    let mut inputs = Inputs::default();
    for result in &args.results {
        if let Err(error) = inputs.add(result) {
            return report_failure(
                streams.stderr,
                &format!("--result {result}: {error}"),
                "write a JSON list of numbers (`[]`, `[0.97]`, `[NaN]`), a number, or `error`",
            );
        }
    }
    let mut values = Vec::new();
    for arg in &args.args {
        let Some((name, value)) = arg.split_once('=') else {
            return report_failure(
                streams.stderr,
                &format!("--arg {arg}: no '='"),
                "write --arg NAME=VALUE",
            );
        };
        values.push((name.to_owned(), value.to_owned()));
    }
    let input = if args.file.as_os_str() == "-" {
        Input::Stdin
    } else {
        Input::Path(args.file.clone())
    };
    let loaded = match load::load(&[input], &LoadOptions::default()) {
        Ok(loaded) => loaded,
        Err(error) => return report_failure(streams.stderr, &error, error.hint()),
    };
    let templates: Vec<_> = analysis_run::templates(&loaded.documents).collect();
    if templates.is_empty() {
        let error = analysis_run::AnalysisError::NoTemplate {
            file: args.file.display().to_string(),
        };
        return report_failure(streams.stderr, &error, error.hint());
    }
    let mut text = String::new();
    let mut aborts = false;
    for template in templates {
        match analysis_run::run(template, &values, &inputs) {
            Ok(run) => {
                aborts |= matches!(run.phase, Phase::Failed | Phase::Error);
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&run.to_string());
            }
            Err(error) => return report_failure(streams.stderr, &error, error.hint()),
        }
    }
    let outcome = super::print(streams, &text);
    if outcome == Outcome::Success && aborts {
        Outcome::Problem
    } else {
        outcome
    }
}
