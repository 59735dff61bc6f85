//! `rolloutify convert`: print the converted stream, write a mirrored tree, rewrite files in
//! place, or check that they are up to date.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::conversion::{ConversionFlags, errors_found, strict_refusal};
use super::{Outcome, Streams, report_failure};
use crate::diff;
use crate::emit::{self, Format, atomic};
use crate::load::Input;
use crate::partition;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub flags: ConversionFlags,

    /// Output format of the stream printed on standard output.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,

    /// Write a tree mirroring the input files under DIR instead of printing.
    #[arg(short = 'o', long, value_name = "DIR", conflicts_with_all = ["write", "check"])]
    pub output_dir: Option<PathBuf>,

    /// Rewrite the input files in place.
    #[arg(short, long, conflicts_with = "check")]
    pub write: bool,

    /// Write nothing; print what --write would change as a diff and exit 1 if anything would.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: ConvertArgs, streams: &mut Streams) -> Outcome {
    let writes_files = args.write || args.output_dir.is_some() || args.check;
    if writes_files
        && args
            .flags
            .inputs(streams.stdin_is_terminal)
            .contains(&Input::Stdin)
    {
        return report_failure(
            streams.stderr,
            &"standard input cannot be written back or checked",
            "drop -w/-o/--check to print the result, or give file paths",
        );
    }
    if args.write && args.flags.input.git {
        return report_failure(
            streams.stderr,
            &"--git reads the content of git's index; writing it back with -w would overwrite changes in the work tree",
            "drop --git to rewrite the work tree's files, or use --check or -o DIR",
        );
    }
    let format = match args.format {
        OutputFormat::Yaml => Format::Yaml,
        OutputFormat::Json => Format::Json,
    };
    // A tree printed, checked or written converts part by part, unless that path hands it
    // back.
    let inputs = args.flags.inputs(streams.stdin_is_terminal);
    if args.flags.argocd.is_none() && !inputs.is_empty() {
        let options = match args.flags.options(streams) {
            Ok(options) => options,
            Err(outcome) => return outcome,
        };
        let load_options = match args.flags.load_options(&options, streams) {
            Ok(load_options) => load_options,
            Err(outcome) => return outcome,
        };
        if (args.write || args.output_dir.is_some()) && !args.check {
            if let Some(written) =
                partition::write(&inputs, &load_options, &options, args.output_dir.as_deref())
            {
                args.flags.print_findings(&written.findings, streams);
                args.flags.print_findings(&written.rewritten, streams);
                if let Err(outcome) = strict_refusal(&options, &written.findings, streams) {
                    return outcome;
                }
                let converted = written.converted.len();
                let found = errors_found(&written.findings);
                return match written.commit() {
                    Ok(files) => {
                        report_written(converted, files, args.flags.quiet, streams);
                        found
                    }
                    Err(error) => report_failure(streams.stderr, &error, error.hint()),
                };
            }
        } else if args.check {
            if let Some(patched) = partition::patch(&inputs, &load_options, &options) {
                args.flags.print_findings(&patched.findings, streams);
                args.flags.print_findings(&patched.rewritten, streams);
                if let Err(outcome) = strict_refusal(&options, &patched.findings, streams) {
                    return outcome;
                }
                if patched.changed() == 0 {
                    return errors_found(&patched.findings);
                }
                let outcome = super::print_with(streams, |out| patched.write_to(out, false));
                if outcome != Outcome::Success {
                    return outcome;
                }
                report_stale(patched.changed(), args.flags.quiet, streams);
                return Outcome::Problem;
            }
        } else if let Some(printed) =
            partition::convert_printed(&inputs, &load_options, &options, format)
        {
            args.flags.print_findings(&printed.findings, streams);
            if let Err(outcome) = strict_refusal(&options, &printed.findings, streams) {
                return outcome;
            }
            return match super::print_with(streams, |out| printed.write_to(out)) {
                Outcome::Success => errors_found(&printed.findings),
                outcome => outcome,
            };
        }
    }
    // Printed: the stream; written or checked: the files.
    let rendered = args.flags.run_then(streams, |loaded, conversion| {
        if writes_files {
            (
                String::new(),
                emit::render_files(&loaded.sources, &loaded.documents, conversion),
            )
        } else {
            (emit::render_stream(&conversion.outputs, format), Vec::new())
        }
    });
    let (loaded, conversion, (text, mut files)) = match rendered {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    for file in &files {
        args.flags.print_findings(&file.rewritten, streams);
    }
    let extra = match args.flags.extra_files(&conversion, streams) {
        Ok(extra) => extra,
        Err(outcome) => return outcome,
    };
    if !writes_files {
        if let Err(error) = atomic::write_all(&changed_extra_files(extra)) {
            return report_failure(streams.stderr, &error, error.hint());
        }
        let printed = super::print(streams, &text);
        if printed != Outcome::Success {
            return printed;
        }
        let outcome = ConversionFlags::report_left(&conversion, "", streams);
        super::release((loaded, conversion));
        return outcome;
    }
    if args.check {
        files.extend(extra);
        let patch = diff::unified(&files);
        if patch.is_empty() {
            return ConversionFlags::report_left(&conversion, "", streams);
        }
        let outcome = super::print(streams, &patch);
        if outcome != Outcome::Success {
            return outcome;
        }
        ConversionFlags::report_left(&conversion, "", streams);
        report_stale(
            files.iter().filter(|f| f.changed).count(),
            args.flags.quiet,
            streams,
        );
        return Outcome::Problem;
    }
    // Extra files (--argocd) go where they were asked for, also with -o.
    let mut writes = changed_extra_files(extra);
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
    if !conversion.left.is_empty() {
        let done = format!("; wrote {} file(s)", writes.len());
        return ConversionFlags::report_left(&conversion, &done, streams);
    }
    report_written(
        conversion.converted.len(),
        writes.len(),
        args.flags.quiet,
        streams,
    );
    errors_found(&conversion.findings)
}

/// Says how many Deployments were converted and files written.
fn report_written(converted: usize, files: usize, quiet: bool, streams: &mut Streams) {
    if !quiet {
        let _ = writeln!(
            streams.stderr,
            "converted {converted} Deployment(s); wrote {files} file(s)"
        );
    }
}

/// The extra files (`--argocd`) whose text changes, with their paths.
fn changed_extra_files(extra: Vec<emit::FileOutput>) -> Vec<(PathBuf, String)> {
    extra
        .into_iter()
        .filter(|f| f.changed)
        .filter_map(|f| Some((f.path()?, f.text)))
        .collect()
}

/// Says how many files `--check` found out of date.
fn report_stale(stale: usize, quiet: bool, streams: &mut Streams) {
    if !quiet {
        let _ = writeln!(
            streams.stderr,
            "{stale} file(s) would change; run rolloutify convert --write"
        );
    }
}
