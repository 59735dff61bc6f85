//! `rolloutify convert`: flags → options, then load, convert, and print or write.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Outcome, Streams, report_failure};
use crate::config::{self, AppMatch};
use crate::convert;
use crate::emit::{self, Format, atomic};
use crate::finding::Severity;
use crate::load::{self, Input, Limits, LoadOptions};
use crate::plan::ConvertOptions;
use crate::plan::settings::{AnalysisPatch, Mode, SettingsPatch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Files or directories to read (`-` for standard input; standard input when none given
    /// and it is not a terminal).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

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

    /// Output format of the stream printed on standard output.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,

    /// Write a tree mirroring the input files under DIR instead of printing.
    #[arg(short = 'o', long, value_name = "DIR", conflicts_with = "write")]
    pub output_dir: Option<PathBuf>,

    /// Rewrite the input files in place.
    #[arg(short, long)]
    pub write: bool,

    /// Print warnings only, not notes; with -q nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Also print notes.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

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

impl ConvertArgs {
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            limits: Limits {
                max_file_bytes: self.max_file_size,
                max_alias_nodes: self.max_alias_nodes,
                max_depth: self.max_depth,
                max_documents: self.max_documents,
            },
            respect_ignore_files: !self.no_ignore,
        }
    }

    fn inputs(&self, stdin_is_terminal: bool) -> Vec<Input> {
        if self.paths.is_empty() {
            return if stdin_is_terminal {
                Vec::new()
            } else {
                vec![Input::Stdin]
            };
        }
        self.paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::Path(p.clone())
                }
            })
            .collect()
    }

    fn flags(&self) -> Result<SettingsPatch, String> {
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
        Ok(SettingsPatch {
            mode: self.workload_ref.then_some(Mode::WorkloadRef),
            traffic: parse(&self.traffic)?,
            steps: self.steps.clone().map(serde_json::Value::String),
            scale_down: parse(&self.scale_down)?,
            canary_suffix: self.canary_suffix.clone(),
            stable_suffix: self.stable_suffix.clone(),
            route_name: self.route_name.clone(),
            destination_rule_policy: parse(&self.destination_rule_policy)?,
            analysis: (analysis != AnalysisPatch::default()).then_some(analysis),
        })
    }
}

pub fn run(args: ConvertArgs, streams: &mut Streams) -> Outcome {
    let inputs = args.inputs(streams.stdin_is_terminal);
    if inputs.is_empty() {
        return report_failure(
            streams.stderr,
            &"no input",
            "give files or directories, or pipe manifests to standard input (-)",
        );
    }
    if (args.write || args.output_dir.is_some()) && inputs.contains(&Input::Stdin) {
        return report_failure(
            streams.stderr,
            &"standard input cannot be written back",
            "drop -w/-o to print the result, or give file paths",
        );
    }
    let flags = match args.flags().and_then(|flags| {
        crate::plan::settings::Settings::default()
            .apply(&flags)
            .map(|()| flags)
            .map_err(|error| error.to_string())
    }) {
        Ok(flags) => flags,
        Err(message) => {
            return report_failure(
                streams.stderr,
                &format!("invalid flag: {message}"),
                "see rolloutify convert --help",
            );
        }
    };
    let config = match &args.config {
        Some(path) => match config::read(path) {
            Ok(config) => config,
            Err(error) => return report_failure(streams.stderr, &error, error.hint()),
        },
        None => config::Config::default(),
    };
    let options = ConvertOptions {
        config,
        flags,
        select: args
            .select
            .iter()
            .map(|s| AppMatch::parse_selector(s))
            .collect(),
    };
    let loaded = match load::load(&inputs, &args.load_options()) {
        Ok(loaded) => loaded,
        Err(error) => return report_failure(streams.stderr, &error, error.hint()),
    };
    let conversion = match convert::convert(&loaded.documents, &options) {
        Ok(conversion) => conversion,
        Err(error) => return report_failure(streams.stderr, &error, error.hint()),
    };
    for finding in &conversion.findings {
        let shown = match finding.severity {
            Severity::Error => true,
            Severity::Warning => !args.quiet,
            Severity::Note => args.verbose,
        };
        if shown {
            let _ = writeln!(streams.stderr, "{finding}");
        }
    }
    if args.write || args.output_dir.is_some() {
        let files = emit::render_files(&loaded.sources, &loaded.documents, &conversion);
        let mut writes = Vec::new();
        for file in files {
            let Some(path) = file.path() else { continue };
            let target = match &args.output_dir {
                Some(root) => match atomic::mirrored(root, &path) {
                    Ok(target) => target,
                    Err(error) => return report_failure(streams.stderr, &error, error.hint()),
                },
                None if file.changed => path,
                None => continue,
            };
            writes.push((target, file.text));
        }
        if let Err(error) = atomic::write_all(&writes) {
            return report_failure(streams.stderr, &error, error.hint());
        }
        if !args.quiet {
            let _ = writeln!(
                streams.stderr,
                "converted {} Deployment(s); wrote {} file(s)",
                conversion.converted.len(),
                writes.len()
            );
        }
    } else {
        let format = match args.format {
            OutputFormat::Yaml => Format::Yaml,
            OutputFormat::Json => Format::Json,
        };
        let text = emit::render_stream(&conversion.outputs, format);
        if let Err(error) = streams
            .stdout
            .write_all(text.as_bytes())
            .and_then(|()| streams.stdout.flush())
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            return report_failure(streams.stderr, &format!("cannot write output: {error}"), "");
        }
    }
    Outcome::Success
}
