use std::io::IsTerminal;
use std::process::ExitCode;

/// Conversion allocates many small maps and strings; mimalloc does that faster than the
/// system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut stdout = stdout.lock();
    let mut stderr = stderr.lock();
    let mut streams = rolloutify::cli::Streams {
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdin_is_terminal: std::io::stdin().is_terminal(),
    };
    rolloutify::cli::run(std::env::args_os(), &mut streams).into()
}
