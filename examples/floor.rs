//! The performance floor: read every manifest with the same loader and write it back with
//! the same YAML writer, converting nothing. Like `convert` on a tree, it reads the files in
//! parallel, one at a time per thread, keeps only the text it will print and prints it in
//! input order. `benches/e2e.sh` compares the real commands with this.

use std::io::Write as _;
use std::path::PathBuf;

use rayon::prelude::*;
use rolloutify::emit::yaml;
use rolloutify::load::{self, Input, LoadOptions};

/// The same allocator as the binary, so that the comparison is of the work alone.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // As the binary does.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let inputs: Vec<Input> = std::env::args_os()
        .skip(1)
        .map(|a| Input::Path(PathBuf::from(a)))
        .collect();
    let options = LoadOptions::default();
    let files = match load::manifest_files(&inputs, &options) {
        Some(Ok(files)) => files,
        Some(Err(error)) => return fail(&error),
        None => return fail(&"give paths, not standard input"),
    };
    let texts: Result<Vec<Vec<String>>, load::LoadError> = files
        .par_iter()
        .map(|(path, named)| {
            let Some((_, documents)) = load::read_documents(path, *named, &options)? else {
                return Ok(Vec::new());
            };
            Ok(documents
                .iter()
                .map(|document| {
                    let mut text = String::new();
                    yaml::write_document(&mut text, &document.value);
                    text
                })
                .collect())
        })
        .collect();
    let texts = match texts {
        Ok(texts) => texts,
        Err(error) => return fail(&error),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for (i, text) in texts.iter().flatten().enumerate() {
        if i > 0 {
            let _ = out.write_all(b"---\n");
        }
        let _ = out.write_all(text.as_bytes());
    }
    let _ = out.flush();
    std::process::ExitCode::SUCCESS
}

fn fail(error: &dyn std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {error}");
    std::process::ExitCode::from(2)
}
