//! The command line: argument definitions, and the mapping of results to output and exit
//! codes. Behaviour lives in the library; this layer only parses and prints.
//!
//! Exit codes: 0 done; 1 done, and found a problem (invalid manifests, stale output, changes
//! with `--exit-code`); 2 could not do the job (bad flags, unreadable or unparseable input),
//! in which case nothing was written.

mod analysis;
mod conversion;
mod convert;
mod diff;
mod docs;
mod input;
mod plugin;
mod validate;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Moves Kubernetes Deployments behind Istio to Argo Rollouts canaries, offline.
#[derive(Debug, Parser)]
#[command(name = "rolloutify", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert Deployments (+ Service, VirtualService, …) into Rollouts with canary analysis.
    Convert(convert::ConvertArgs),
    /// Show what `convert --write` would change.
    Diff(diff::DiffArgs),
    /// Check manifests offline against the Argo Rollouts controller's and Istio's rules.
    Validate(validate::ValidateArgs),
    /// Show what the controller would decide for an AnalysisTemplate, given measurements
    /// (`--result '[]' --result '[0.97]'`).
    Analysis(analysis::AnalysisArgs),
    /// Run as a kustomize exec transformer: YAML on standard input, converted on standard
    /// output.
    KustomizePlugin(plugin::KustomizePluginArgs),
    /// Run as a KRM function: a ResourceList on standard input and output, findings as its
    /// results.
    Krm(plugin::KrmArgs),
    /// Print shell completions.
    Completions(docs::CompletionsArgs),
    /// Print the man page, or write one per command into a directory.
    Man(docs::ManArgs),
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())
            }
        }
    }
}

/// The outcome of a command, mapped to an exit code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The job is done.
    Success,
    /// The job is done and found a problem.
    Problem,
    /// The job could not be done.
    Failure,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(match outcome {
            Outcome::Success => 0,
            Outcome::Problem => 1,
            Outcome::Failure => 2,
        })
    }
}

/// Where a command prints.
pub struct Streams<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// Whether standard input is a terminal (then no input means "no input", not stdin).
    pub stdin_is_terminal: bool,
}

/// Runs the command line `args` (with the program name first).
pub fn run<I, T>(args: I, streams: &mut Streams) -> Outcome
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let outcome = if error.use_stderr() {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            let text = error.render().to_string();
            let target: &mut dyn Write = if error.use_stderr() {
                streams.stderr
            } else {
                streams.stdout
            };
            let _ = target.write_all(text.as_bytes());
            return outcome;
        }
    };
    match cli.command {
        Command::Convert(args) => convert::run(args, streams),
        Command::Diff(args) => diff::run(args, streams),
        Command::Validate(args) => validate::run(args, streams),
        Command::Analysis(args) => analysis::run(args, streams),
        Command::KustomizePlugin(args) => plugin::run_kustomize(args, streams),
        Command::Krm(args) => plugin::run_krm(args, streams),
        Command::Completions(args) => docs::run_completions(args, streams),
        Command::Man(args) => docs::run_man(args, streams),
    }
}

/// Frees a large result on another thread, so that printing and exiting need not wait for
/// tens of thousands of documents to be dropped one by one.
fn release<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// Prints an error that stopped the job, with its hint.
fn report_failure(stderr: &mut dyn Write, message: &dyn std::fmt::Display, hint: &str) -> Outcome {
    let _ = writeln!(stderr, "error: {message}");
    if !hint.is_empty() {
        let _ = writeln!(stderr, "  hint: {hint}");
    }
    Outcome::Failure
}

/// Prints command output; a closed pipe (`| head`) is not an error.
fn print(streams: &mut Streams, text: &str) -> Outcome {
    print_with(streams, |out| out.write_all(text.as_bytes()))
}

/// Prints what `write` writes on standard output; a closed pipe is no failure.
fn print_with(
    streams: &mut Streams,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Outcome {
    match write(&mut *streams.stdout).and_then(|()| streams.stdout.flush()) {
        Ok(()) => Outcome::Success,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Success,
        Err(error) => report_failure(streams.stderr, &format!("cannot write output: {error}"), ""),
    }
}
