//! The performance floor: read every manifest with the same loader and write it back with
//! the same YAML writer, converting nothing. `benches/e2e.sh` compares the real commands
//! with this.

use std::path::PathBuf;

use rolloutify::emit::yaml;
use rolloutify::load::{Input, LoadOptions, load};

/// The same allocator as the binary, so that the comparison is of the work alone.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let inputs: Vec<Input> = std::env::args_os()
        .skip(1)
        .map(|a| Input::Path(PathBuf::from(a)))
        .collect();
    let loaded = match load(&inputs, &LoadOptions::default()) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let values: Vec<&serde_json::Value> = loaded.documents.iter().map(|d| &*d.value).collect();
    let mut out = String::new();
    yaml::write_stream(&mut out, &values);
    print!("{out}");
    std::process::ExitCode::SUCCESS
}
