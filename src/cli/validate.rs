//! `rolloutify validate`: check manifests offline and report what the controller and Istio
//! would refuse, in the format the consumer reads.

use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::input::InputFlags;
use super::{Color, Outcome, Streams, report_failure};
use crate::config;
use crate::finding::Severity;
use crate::load;
use crate::partition;
use crate::report::{self, Format};
use crate::validate::user_schema::UserSchemas;
use crate::validate::{self, ValidateOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Junit,
    Sarif,
    Github,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputFlags,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Exit 1 on warnings too; reports then show them as errors.
    #[arg(long)]
    pub warnings_as_errors: bool,

    /// A CustomResourceDefinition file whose schemas to use (repeatable).
    #[arg(long, value_name = "FILE")]
    pub crd: Vec<std::path::PathBuf>,

    /// A folder of JSON Schemas: a kubeconform-style template
    /// (`{{.Group}}`, `{{.ResourceKind}}`, `{{.ResourceAPIVersion}}`, `{{.KindSuffix}}`) or a
    /// folder in the CRDs-catalog layout (`{group}/{kind}_{version}.json`); repeatable.
    #[arg(long, value_name = "LOCATION")]
    pub schema_location: Vec<String>,

    /// Fail on kinds that have no schema instead of skipping their schema check.
    #[arg(long)]
    pub require_schemas: bool,

    /// Leave out a kind (`Kind` or `apiVersion/Kind`); repeatable.
    #[arg(long, value_name = "KIND")]
    pub skip: Vec<String>,

    /// A `Rolloutify` configuration file, for its `exclude:` (found at the root of the git
    /// work tree or in the current directory when not given).
    #[arg(short, long, value_name = "FILE", env = "ROLLOUTIFY_CONFIG")]
    pub config: Option<std::path::PathBuf>,

    /// Also print notes: the configuration file read, what directory walks skipped.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn run(args: ValidateArgs, streams: &mut Streams) -> Outcome {
    let inputs = args.input.inputs(streams.stdin_is_terminal);
    if inputs.is_empty() {
        return report_failure(
            streams.stderr,
            &"no input",
            "give files or directories, or pipe manifests to standard input (-)",
        );
    }
    let config_path = args.config.clone().or_else(config::discover);
    let config = match &config_path {
        Some(path) => {
            if args.verbose {
                let _ = writeln!(
                    streams.stderr,
                    "note: read configuration {}",
                    path.display()
                );
            }
            match config::read(path) {
                Ok(config) => Some(config),
                Err(error) => return report_failure(streams.stderr, &error, error.hint()),
            }
        }
        None => None,
    };
    let load_options = match args
        .input
        .load_options(config_path.as_deref().zip(config.as_ref()))
    {
        Ok(load_options) => load_options,
        Err(error) => return report_failure(streams.stderr, &error, error.hint()),
    };
    if args.verbose {
        super::input::print_skipped(&inputs, &load_options, streams.stderr);
    }
    let user_schemas = UserSchemas::new(&args.crd, &args.schema_location).map(Arc::new);
    let options = |user_schemas| ValidateOptions {
        skip: args.skip.clone(),
        require_schemas: args.require_schemas,
        user_schemas,
        scope: args.input.scope(),
    };
    // A tree validates part by part; errors (and standard input) go the whole way, which
    // reports them in order.
    let parted = match &user_schemas {
        Ok(schemas) => {
            partition::validate_report(&inputs, &load_options, &options(Arc::clone(schemas)))
        }
        Err(_) => None,
    };
    // Files that cannot be read are findings of their own (every format carries a result
    // for every file); the others are still checked, and the run exits 2.
    let mut unreadable = Vec::new();
    let report = match parted {
        Some(report) => report,
        None => {
            let user_schemas = match user_schemas {
                Ok(schemas) => schemas,
                Err(error) => return report_failure(streams.stderr, &error, error.hint()),
            };
            let (loaded, errors) = load::load_each(&inputs, &load_options);
            unreadable = errors;
            let mut report = validate::validate(&loaded.documents, &options(user_schemas));
            report.findings.extend(loaded.warnings.iter().cloned());
            super::release(loaded);
            report
                .findings
                .extend(unreadable.iter().map(load::LoadError::finding));
            report.findings.sort();
            report
        }
    };
    // Reports say what the exit code says: with --warnings-as-errors a warning fails the run,
    // so it is an error in every format (a JUnit failure, SARIF level error, `::error`).
    let mut report = report;
    if args.warnings_as_errors {
        report.promote_warnings();
    }
    let color = args.color.enabled();
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
    if !unreadable.is_empty() {
        for error in &unreadable {
            let _ = writeln!(streams.stderr, "error: {error}");
            let _ = writeln!(streams.stderr, "  hint: {}", error.hint());
        }
        return Outcome::Failure;
    }
    if report.count(Severity::Error) > 0 {
        Outcome::Problem
    } else {
        Outcome::Success
    }
}
