//! `rolloutify completions` and `rolloutify man`: shell completions and man pages generated
//! from the argument definitions, so they never drift from the command line.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Outcome, Streams, report_failure};
use crate::emit::atomic;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `rolloutify.1` and one `rolloutify-COMMAND.1` per command into DIR instead of
    /// printing the main page.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run_completions(args: CompletionsArgs, streams: &mut Streams) -> Outcome {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rolloutify", &mut script);
    super::print(streams, &String::from_utf8_lossy(&script))
}

pub fn run_man(args: ManArgs, streams: &mut Streams) -> Outcome {
    let command = Cli::command();
    let Some(dir) = args.dir else {
        return match render(&command) {
            Ok(page) => super::print(streams, &page),
            Err(error) => report_failure(streams.stderr, &error, ""),
        };
    };
    let mut pages = Vec::new();
    let main = match render(&command) {
        Ok(page) => page,
        Err(error) => return report_failure(streams.stderr, &error, ""),
    };
    pages.push((dir.join("rolloutify.1"), main));
    for sub in command.get_subcommands() {
        let name = format!("rolloutify-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .version(command.get_version().unwrap_or_default().to_owned());
        match render(&page) {
            Ok(text) => pages.push((dir.join(format!("{name}.1")), text)),
            Err(error) => return report_failure(streams.stderr, &error, ""),
        }
    }
    if let Err(error) = atomic::write_all(&pages) {
        return report_failure(streams.stderr, &error, error.hint());
    }
    Outcome::Success
}

fn render(command: &clap::Command) -> Result<String, std::io::Error> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}
