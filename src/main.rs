use std::io::IsTerminal;
use std::process::ExitCode;

/// Conversion allocates many small maps and strings; mimalloc does that faster than the
/// system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A run is short and touches its memory once: with transparent huge pages the kernel
    // zeroes 2 MiB at every first touch, which costs both time and resident memory.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
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
