//! The flags of every command that converts (`convert`, `diff`), and running a conversion
//! from them: load, plan and convert, with findings printed on standard error.

use std::path::PathBuf;

use clap::Args;

use super::input::InputFlags;
use super::{Outcome, Streams, report_failure};
use crate::config::{self, AppMatch};
use crate::convert::{self, Conversion};
use crate::emit::{self, FileOutput};
use crate::finding::{Finding, Severity};
use crate::load::{self, Input, LoadOptions, Loaded};
use crate::plan::ConvertOptions;
use crate::plan::settings::{AnalysisPatch, Mode, Settings, SettingsPatch};

#[derive(Debug, Args)]
pub struct ConversionFlags {
    #[command(flatten)]
    pub input: InputFlags,

    /// A `Rolloutify` configuration file (defaults, select, per-app overrides).
    #[arg(short, long, value_name = "FILE", env = "ROLLOUTIFY_CONFIG")]
    pub config: Option<PathBuf>,

    /// Convert only these Deployments: NAME or NAMESPACE/NAME (repeatable).
    #[arg(long, value_name = "NAME")]
    pub select: Vec<String>,

    /// Keep the Deployment and point the Rollout at it (`workloadRef`) instead of moving the
    /// pod template.
    #[arg(long)]
    pub workload_ref: bool,

    /// How the Deployment is scaled down in workload-ref mode.
    #[arg(long, value_name = "WHEN", value_parser = ["never", "onsuccess", "progressively"])]
    pub scale_down: Option<String>,

    /// Split traffic between canary/stable Services (host) or DestinationRule subsets (subset).
    #[arg(long, value_name = "HOW", value_parser = ["host", "subset"])]
    pub traffic: Option<String>,

    /// Canary steps, e.g. `10,pause,25,5m,50,5m,100` (weights, `pause`, durations, `analysis`).
    #[arg(long, value_name = "STEPS")]
    pub steps: Option<String>,

    /// Where analysis runs: in the background, as a step after each pause, or not at all.
    #[arg(long, value_name = "MODE", value_parser = ["background", "step", "none"])]
    pub analysis: Option<String>,

    /// Prometheus address for the analysis.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,

    /// What a measurement without data (or NaN) means.
    #[arg(long, value_name = "MEANING", value_parser = ["inconclusive", "pass", "fail"])]
    pub no_data: Option<String>,

    /// Lowest share of non-5xx responses that passes (0–1).
    #[arg(long, value_name = "SHARE")]
    pub success_rate: Option<f64>,

    /// Highest p99 latency in milliseconds that passes (0 leaves latency out).
    #[arg(long, value_name = "MS")]
    pub latency_p99_ms: Option<u64>,

    /// Suffix of the canary Service.
    #[arg(long, value_name = "SUFFIX")]
    pub canary_suffix: Option<String>,

    /// Suffix of the stable Service.
    #[arg(long, value_name = "SUFFIX")]
    pub stable_suffix: Option<String>,

    /// Name given to managed http routes that have none.
    #[arg(long, value_name = "NAME")]
    pub route_name: Option<String>,

    /// In host mode, copy a DestinationRule's trafficPolicy to the new hosts, or only warn.
    #[arg(long, value_name = "POLICY", value_parser = ["copy", "warn"])]
    pub destination_rule_policy: Option<String>,

    /// Also write FILE: the Argo CD Application `ignoreDifferences` for the weights (and
    /// replicas) the Argo Rollouts controller changes at run time. Later runs skip it when it
    /// is among the paths they read.
    #[arg(long, value_name = "FILE")]
    pub argocd: Option<PathBuf>,

    /// Print errors only, not warnings.
    #[arg(short, long)]
    pub quiet: bool,

    /// Also print notes (and the configuration file read, what directory walks skipped).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Whether the notes about the configuration and the walk were printed (a run may ask
    /// for its options twice).
    #[arg(skip)]
    noted: std::cell::Cell<bool>,
}

impl ConversionFlags {
    /// The inputs named on the command line.
    pub fn inputs(&self, stdin_is_terminal: bool) -> Vec<Input> {
        self.input.inputs(stdin_is_terminal)
    }

    fn settings(&self) -> Result<SettingsPatch, String> {
        fn parse<T: std::str::FromStr<Err = String>>(
            v: &Option<String>,
        ) -> Result<Option<T>, String> {
            v.as_deref().map(str::parse).transpose()
        }
        let analysis = AnalysisPatch {
            mode: parse(&self.analysis)?,
            prometheus: self.prometheus.clone(),
            success_rate: self.success_rate,
            latency_p99_ms: self.latency_p99_ms,
            no_data: parse(&self.no_data)?,
            ..AnalysisPatch::default()
        };
        let patch = SettingsPatch {
            mode: self.workload_ref.then_some(Mode::WorkloadRef),
            traffic: parse(&self.traffic)?,
            steps: self.steps.clone().map(serde_json::Value::String),
            scale_down: parse(&self.scale_down)?,
            canary_suffix: self.canary_suffix.clone(),
            stable_suffix: self.stable_suffix.clone(),
            route_name: self.route_name.clone(),
            destination_rule_policy: parse(&self.destination_rule_policy)?,
            analysis: (analysis != AnalysisPatch::default()).then_some(analysis),
            ..SettingsPatch::default()
        };
        Settings::default()
            .apply(&patch)
            .map_err(|error| error.to_string())?;
        Ok(patch)
    }

    /// The files the run writes besides the inputs (`--argocd`).
    pub fn extra_files(
        &self,
        conversion: &Conversion,
        streams: &mut Streams,
    ) -> Result<Vec<FileOutput>, Outcome> {
        let Some(path) = &self.argocd else {
            return Ok(Vec::new());
        };
        emit::extra_file(path, emit::argocd::render(&conversion.outputs))
            .map(|file| vec![file])
            .map_err(|error| {
                report_failure(
                    streams.stderr,
                    &format!("{}: cannot read: {error}", path.display()),
                    "give --argocd a path that can be read and written",
                )
            })
    }

    /// Loads the inputs and converts them, printing findings, and renders the result with
    /// `render` while the conversion is checked (the two only read it: they run side by
    /// side). `Err` carries the outcome of a failure already reported.
    pub fn run_then<R: Send>(
        &self,
        streams: &mut Streams,
        render: impl Fn(&Loaded, &Conversion) -> R + Sync,
    ) -> Result<(Loaded, Conversion, R), Outcome> {
        let inputs = self.inputs(streams.stdin_is_terminal);
        if inputs.is_empty() {
            return Err(report_failure(
                streams.stderr,
                &"no input",
                "give files or directories, or pipe manifests to standard input (-)",
            ));
        }
        let options = self.options(streams)?;
        let load_options = self.load_options(&options, streams)?;
        let loaded = load::load(&inputs, &load_options)
            .map_err(|error| report_failure(streams.stderr, &error, error.hint()))?;
        self.print_findings(&loaded.warnings, streams);
        // Most runs convert every app: check and render side by side. When an app fails,
        // convert again leaving the apps that cannot be converted safely.
        let first = convert::convert(&loaded.documents, &options);
        if let Ok(conversion) = first {
            let (invalid, rendered) = rayon::join(
                || crate::validate::check_conversion(&loaded.documents, &conversion),
                || render(&loaded, &conversion),
            );
            if invalid.is_empty() {
                check_selection(&loaded, &options, &conversion, streams)?;
                self.print_findings(&conversion.findings, streams);
                strict_refusal(&options, &conversion.findings, streams)?;
                return Ok((loaded, conversion, rendered));
            }
            drop(rendered);
        }
        let conversion = convert::outcome::convert_checked(
            &loaded.documents,
            &options,
            &convert::TemplateMemo::default(),
            |conversion| crate::validate::check_conversion(&loaded.documents, conversion),
        )
        .map_err(|error| report_failure(streams.stderr, &error, error.hint()))?;
        check_selection(&loaded, &options, &conversion, streams)?;
        self.print_findings(&conversion.findings, streams);
        strict_refusal(&options, &conversion.findings, streams)?;
        let rendered = render(&loaded, &conversion);
        Ok((loaded, conversion, rendered))
    }

    /// The conversion options the flags and the configuration file give; `Err` carries the
    /// outcome of a failure already reported.
    pub fn options(&self, streams: &mut Streams) -> Result<ConvertOptions, Outcome> {
        let flags = self.settings().map_err(|message| {
            report_failure(
                streams.stderr,
                &format!("invalid flag: {message}"),
                "see --help",
            )
        })?;
        let config = match self.config_file() {
            Some(path) => {
                if self.verbose && !self.noted.get() {
                    let _ = writeln!(
                        streams.stderr,
                        "note: read configuration {}",
                        path.display()
                    );
                }
                config::read(&path)
                    .map_err(|error| report_failure(streams.stderr, &error, error.hint()))?
            }
            None => config::Config::default(),
        };
        Ok(ConvertOptions {
            config,
            flags,
            select: self
                .select
                .iter()
                .map(|s| AppMatch::parse_selector(s))
                .collect(),
            scope: self.input.scope(),
        })
    }

    /// Says which apps were left as they were, and why, after how many were converted and
    /// what was `done` (`wrote 3 file(s)`); `Problem` when one was left for an error (the run
    /// exits 1, after writing the others). Nothing left: nothing printed, `Success`.
    /// An error among the findings (the same object twice) makes it `Problem` as well.
    pub fn report_left(conversion: &Conversion, done: &str, streams: &mut Streams) -> Outcome {
        if conversion.left.is_empty() {
            return errors_found(&conversion.findings);
        }
        let why: Vec<String> = conversion
            .left
            .iter()
            .map(|left| format!("{}: {}", left.resource, left.reason))
            .collect();
        let severity = if conversion
            .left
            .iter()
            .any(|l| l.severity == Severity::Error)
        {
            Severity::Error
        } else {
            Severity::Warning
        };
        let _ = writeln!(
            streams.stderr,
            "{severity}: converted {} Deployment(s), left {} as it was ({}){done}",
            conversion.converted.len(),
            conversion.left.len(),
            why.join("; ")
        );
        if severity == Severity::Error {
            Outcome::Problem
        } else {
            Outcome::Success
        }
    }

    /// The configuration file: the one named (`-c`, `ROLLOUTIFY_CONFIG`), else the one found
    /// at the root of the git work tree or in the current directory.
    fn config_file(&self) -> Option<PathBuf> {
        self.config.clone().or_else(config::discover)
    }

    /// How to read the inputs (the configuration's `exclude:` with the flags); under `-v`,
    /// says what directory walks skip.
    pub fn load_options(
        &self,
        options: &ConvertOptions,
        streams: &mut Streams,
    ) -> Result<LoadOptions, Outcome> {
        let path = self.config_file();
        let load_options = self
            .input
            .load_options(path.as_deref().map(|path| (path, &options.config)))
            .map_err(|error| report_failure(streams.stderr, &error, error.hint()))?;
        if self.verbose && !self.noted.replace(true) {
            super::input::print_skipped(
                &self.inputs(streams.stdin_is_terminal),
                &load_options,
                streams.stderr,
            );
        }
        Ok(load_options)
    }

    /// Prints the findings of a conversion that `--quiet` and `--verbose` let through.
    pub fn print_findings(&self, findings: &[Finding], streams: &mut Streams) {
        for finding in findings {
            let shown = match finding.severity {
                Severity::Error => true,
                Severity::Warning => !self.quiet,
                Severity::Note => self.verbose,
            };
            if shown {
                let _ = writeln!(streams.stderr, "{finding}");
            }
        }
    }
}

/// A selector (`--select`, the config's `select`) that matched no Deployment stops the run:
/// exit 2, nothing written.
fn check_selection(
    loaded: &Loaded,
    options: &ConvertOptions,
    conversion: &Conversion,
    streams: &mut Streams,
) -> Result<(), Outcome> {
    crate::plan::select::check(&loaded.documents, options, &conversion.selected)
        .map_err(|error| report_failure(streams.stderr, &error, error.hint()))
}

/// `Problem` when a finding of the conversion is an error (the run did its job and found a
/// problem), else `Success`.
pub fn errors_found(findings: &[Finding]) -> Outcome {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        Outcome::Problem
    } else {
        Outcome::Success
    }
}

/// With `strict: true` in the configuration, a conversion warning fails the run: exit 1,
/// nothing printed or written. Call after printing the findings.
pub fn strict_refusal(
    options: &ConvertOptions,
    findings: &[Finding],
    streams: &mut Streams,
) -> Result<(), Outcome> {
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    if warnings == 0 || !options.config.strict_or(false) {
        return Ok(());
    }
    let _ = writeln!(
        streams.stderr,
        "error: {warnings} warning(s) and the configuration says `strict: true`; nothing was written"
    );
    let _ = writeln!(
        streams.stderr,
        "  hint: fix what the warnings name, leave an app alone with the annotation rolloutify.io/convert: \"false\" or the configuration's `select`, or set `strict: false`"
    );
    Err(Outcome::Problem)
}
