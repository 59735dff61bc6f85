//! `rolloutify diff`: what `convert --write` would change, as a patch `git apply` accepts or
//! as a one-line-per-resource summary.

use clap::{Args, ValueEnum};

use super::conversion::ConversionFlags;
use super::{Color, Outcome, Streams, report_failure};
use crate::diff;
use crate::emit;
use crate::load::Input;
use crate::partition;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A unified diff with git headers.
    Patch,
    /// One line per resource.
    Summary,
    /// A pull-request comment: summary table and collapsed diffs (Secrets masked).
    Markdown,
    /// RFC 6902 operations per resource (Secrets masked).
    JsonPatch,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub flags: ConversionFlags,

    /// What to print.
    #[arg(long, value_enum, default_value_t = DiffFormat::Patch)]
    pub format: DiffFormat,

    /// Exit 1 when there are changes.
    #[arg(long)]
    pub exit_code: bool,

    /// Colour the patch (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

pub fn run(args: DiffArgs, streams: &mut Streams) -> Outcome {
    if args
        .flags
        .inputs(streams.stdin_is_terminal)
        .contains(&Input::Stdin)
    {
        return report_failure(
            streams.stderr,
            &"a diff needs files to compare with",
            "give file paths; use convert to transform standard input",
        );
    }
    // A patch of a tree is made part by part, unless that path hands it back.
    let inputs = args.flags.inputs(streams.stdin_is_terminal);
    if args.format == DiffFormat::Patch && args.flags.argocd.is_none() && !inputs.is_empty() {
        let options = match args.flags.options(streams) {
            Ok(options) => options,
            Err(outcome) => return outcome,
        };
        let load_options = match args.flags.load_options(&options, streams) {
            Ok(load_options) => load_options,
            Err(outcome) => return outcome,
        };
        if let Some(patched) = partition::patch(&inputs, &load_options, &options) {
            args.flags.print_findings(&patched.findings, streams);
            args.flags.print_findings(&patched.rewritten, streams);
            if let Err(outcome) =
                super::conversion::strict_refusal(&options, &patched.findings, streams)
            {
                return outcome;
            }
            let paint = args.color.enabled();
            let outcome = super::print_with(streams, |out| patched.write_to(out, paint));
            if outcome == Outcome::Success
                && ((patched.changed() > 0 && args.exit_code)
                    || super::conversion::errors_found(&patched.findings) != Outcome::Success)
            {
                return Outcome::Problem;
            }
            return outcome;
        }
    }
    let rendered = args.flags.run_then(streams, |loaded, conversion| {
        emit::render_files(&loaded.sources, &loaded.documents, conversion)
    });
    let (loaded, conversion, mut files) = match rendered {
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
    // The summary names the extra files (`--argocd`) that would change.
    let extra_lines: String = extra
        .iter()
        .filter(|f| f.changed)
        .filter_map(|f| {
            let verb = if f.created { "added  " } else { "changed" };
            Some(format!(
                "{verb}  {}: Argo CD ignoreDifferences\n",
                f.path()?.display()
            ))
        })
        .collect();
    files.extend(extra);
    let changed = files.iter().any(|f| f.changed);
    let color = args.color.enabled();
    let text = match args.format {
        DiffFormat::Patch if color => diff::colored(&diff::unified(&files)),
        DiffFormat::Patch => diff::unified(&files),
        DiffFormat::Summary => extra_lines + &diff::summary(&loaded.documents, &conversion),
        DiffFormat::Markdown => diff::review::markdown(&loaded.documents, &conversion),
        DiffFormat::JsonPatch => diff::review::json_patch(&loaded.documents, &conversion),
    };
    let outcome = super::print(streams, &text);
    if outcome != Outcome::Success {
        return outcome;
    }
    // An app left for an error fails the run whatever --exit-code says.
    let left = super::conversion::ConversionFlags::report_left(&conversion, "", streams);
    if left != Outcome::Success || (changed && args.exit_code) {
        return Outcome::Problem;
    }
    Outcome::Success
}
