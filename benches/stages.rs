//! Each stage of a run, on a generated monorepo of 1,000 apps (`benches/generate.py`):
//! load (read and parse), index, convert, check (validate the converted output), validate
//! (the input), emit (the converted stream), files (in-place edits) and diff, beside the
//! floor: parse and re-emit the same files with the same YAML library.
//!
//! `cargo bench --bench stages` (needs python3 for the generator).

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use rolloutify::emit::{self, Format, yaml};
use rolloutify::index::Index;
use rolloutify::load::{Input, LoadOptions, load};
use rolloutify::plan::ConvertOptions;
use rolloutify::validate::{self, ValidateOptions};
use rolloutify::{convert, diff};

const APPS: usize = 1000;

fn generated() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolloutify-bench-{APPS}"));
    if !dir.join("team-0").is_dir() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/generate.py");
        let status = Command::new("python3")
            .arg(script)
            .arg(&dir)
            .arg(APPS.to_string())
            .status()
            .expect("python3 runs benches/generate.py");
        assert!(status.success(), "the generator failed");
    }
    dir
}

fn stages(c: &mut Criterion) {
    let dir = generated();
    let inputs = [Input::Path(dir)];
    let options = LoadOptions::default();
    let loaded = load(&inputs, &options).expect("loads");
    let plan = ConvertOptions::default();
    let conversion = convert::convert(&loaded.documents, &plan).expect("converts");
    let files = emit::render_files(&loaded.sources, &loaded.documents, &conversion);

    let mut group = c.benchmark_group(format!("{APPS} apps"));
    group.sample_size(10);
    group.bench_function("floor (parse + emit)", |b| {
        b.iter(|| {
            let loaded = load(&inputs, &options).expect("loads");
            let values: Vec<&serde_json::Value> =
                loaded.documents.iter().map(|d| &*d.value).collect();
            let mut out = String::new();
            yaml::write_stream(&mut out, &values);
            out.len()
        });
    });
    group.bench_function("load", |b| {
        b.iter(|| load(&inputs, &options).expect("loads").documents.len());
    });
    group.bench_function("index", |b| {
        b.iter(|| {
            Index::new(&loaded.documents, &Default::default())
                .of_kind(rolloutify::index::Kind::Deployment)
                .count()
        });
    });
    group.bench_function("convert", |b| {
        b.iter(|| {
            convert::convert(&loaded.documents, &plan)
                .expect("converts")
                .outputs
                .len()
        });
    });
    group.bench_function("check (validate the output)", |b| {
        b.iter(|| validate::check_conversion(&loaded.documents, &conversion).len());
    });
    group.bench_function("validate (the input)", |b| {
        b.iter(|| {
            validate::validate(&loaded.documents, &ValidateOptions::default())
                .findings
                .len()
        });
    });
    group.bench_function("emit (stream)", |b| {
        b.iter(|| emit::render_stream(&conversion.outputs, Format::Yaml).len());
    });
    group.bench_function("files (in-place edits)", |b| {
        b.iter(|| emit::render_files(&loaded.sources, &loaded.documents, &conversion).len());
    });
    group.bench_function("diff (unified)", |b| {
        b.iter(|| diff::unified(&files).len());
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
