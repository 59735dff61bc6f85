//! Times each stage of `convert` on the paths given (load, convert, check, render files,
//! render stream, validate), for finding where the time goes. `cargo run --release
//! --example stages -- DIR`.

use std::path::PathBuf;
use std::time::Instant;

use rolloutify::load::{Input, LoadOptions, load};
use rolloutify::plan::ConvertOptions;
use rolloutify::{convert, emit, validate};

fn main() {
    let inputs: Vec<Input> = std::env::args_os()
        .skip(1)
        .map(|a| Input::Path(PathBuf::from(a)))
        .collect();
    let mut clock = Instant::now();
    let mut lap = |label: &str| {
        eprintln!(
            "{label:>14}: {:>7.0} ms",
            clock.elapsed().as_secs_f64() * 1000.0
        );
        clock = Instant::now();
    };
    let Ok(loaded) = load(&inputs, &LoadOptions::default()) else {
        eprintln!("cannot load");
        return;
    };
    lap("load");
    if std::env::var_os("STAGES_CONVERT_LOOP").is_some() {
        for _ in 0..20 {
            let _ = convert::convert(&loaded.documents, &ConvertOptions::default());
        }
        lap("convert x20");
    }
    if std::env::var_os("STAGES_VALIDATE_ONLY").is_some() {
        // For comparison with python-jsonschema (best of five): the schema checks alone (the
        // same work: compile once, validate every document), and the whole of `validate`
        // (schemas, the controller's rules, references).
        use rayon::prelude::*;
        let best = |run: &dyn Fn() -> usize| {
            (0..5)
                .map(|_| {
                    let start = Instant::now();
                    std::hint::black_box(run());
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .fold(f64::MAX, f64::min)
        };
        let schemas = best(&|| {
            loaded
                .documents
                .par_iter()
                .filter_map(validate::schema::check)
                .map(|findings| findings.len())
                .sum()
        });
        let all = best(&|| {
            validate::validate(&loaded.documents, &validate::ValidateOptions::default())
                .findings
                .len()
        });
        println!("{schemas:.1} {all:.1}");
        return;
    }
    let Ok(conversion) = convert::convert(&loaded.documents, &ConvertOptions::default()) else {
        eprintln!("cannot convert");
        return;
    };
    lap("convert");
    let invalid = validate::check_conversion(&loaded.documents, &conversion);
    lap("check");
    let files = emit::render_files(&loaded.sources, &loaded.documents, &conversion);
    lap("render files");
    let stream = emit::render_stream(&conversion.outputs, emit::Format::Yaml);
    lap("render stream");
    let report = validate::validate(&loaded.documents, &validate::ValidateOptions::default());
    lap("validate input");
    eprintln!(
        "{} documents, {} outputs, {} invalid, {} files, {} bytes, {} findings",
        loaded.documents.len(),
        conversion.outputs.len(),
        invalid.len(),
        files.len(),
        stream.len(),
        report.findings.len()
    );
}
