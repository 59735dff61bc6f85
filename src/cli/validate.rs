//! `rolloutify validate`: check manifests offline and report what the controller and Istio
//! would refuse, in the format the consumer reads.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Outcome, Streams, report_failure};
use crate::finding::Severity;
use crate::load::{self, Input, Limits, LoadOptions};
use crate::report::{self, Format};
use crate::validate::{self, ValidateOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Junit,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files or directories to read (`-` for standard input).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Exit 1 on warnings too.
    #[arg(long)]
    pub warnings_as_errors: bool,

    /// Fail on kinds that have no schema instead of skipping their schema check.
    #[arg(long)]
    pub require_schemas: bool,

    /// Leave out a kind (`Kind` or `apiVersion/Kind`); repeatable.
    #[arg(long, value_name = "KIND")]
    pub skip: Vec<String>,

    /// Read files that .gitignore/.ignore exclude.
    #[arg(long)]
    pub no_ignore: bool,

    /// Largest file read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_bytes)]
    pub max_file_size: u64,

    /// Most nodes aliases may add to one document.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_alias_nodes)]
    pub max_alias_nodes: usize,

    /// Deepest nesting of a document.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,

    /// Most documents in one file.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_documents)]
    pub max_documents: usize,
}

pub fn run(args: ValidateArgs, streams: &mut Streams) -> Outcome {
    let inputs: Vec<Input> = if args.paths.is_empty() {
        if streams.stdin_is_terminal {
            Vec::new()
        } else {
            vec![Input::Stdin]
        }
    } else {
        args.paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::Path(p.clone())
                }
            })
            .collect()
    };
    if inputs.is_empty() {
        return report_failure(
            streams.stderr,
            &"no input",
            "give files or directories, or pipe manifests to standard input (-)",
        );
    }
    let options = LoadOptions {
        limits: Limits {
            max_file_bytes: args.max_file_size,
            max_alias_nodes: args.max_alias_nodes,
            max_depth: args.max_depth,
            max_documents: args.max_documents,
        },
        respect_ignore_files: !args.no_ignore,
    };
    let loaded = match load::load(&inputs, &options) {
        Ok(loaded) => loaded,
        Err(error) => return report_failure(streams.stderr, &error, error.hint()),
    };
    let report = validate::validate(
        &loaded.documents,
        &ValidateOptions {
            skip: args.skip.clone(),
            require_schemas: args.require_schemas,
        },
    );
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let format = match args.output {
        OutputFormat::Text => Format::Text { color },
        OutputFormat::Json => Format::Json,
        OutputFormat::Junit => Format::Junit,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Github => Format::Github,
    };
    let outcome = super::print(streams, &report::render(&report, format));
    if outcome != Outcome::Success {
        return outcome;
    }
    let failing = report.count(Severity::Error) > 0
        || (args.warnings_as_errors && report.count(Severity::Warning) > 0);
    if failing {
        Outcome::Problem
    } else {
        Outcome::Success
    }
}
