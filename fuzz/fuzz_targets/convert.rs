//! Any manifests that load: conversion, emission (as a stream and as files edited in place)
//! and re-conversion never panic, edited files still load, and converting the output again
//! changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolloutify::convert::convert;
use rolloutify::emit::{Format, render_files, render_stream};
use rolloutify::load::{Limits, load_text};
use rolloutify::plan::ConvertOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(loaded) = load_text("fuzz.yaml", text, &Limits::default()) else { return };
    let Ok(conversion) = convert(&loaded.documents, &ConvertOptions::default()) else { return };
    // Files edited in place must still parse.
    for file in render_files(&loaded.sources, &loaded.documents, &conversion) {
        load_text("file.yaml", &file.text, &Limits::default()).expect("an edited file loads");
    }
    let first = render_stream(&conversion.outputs, Format::Yaml);
    let reloaded = load_text("out.yaml", &first, &Limits::default()).expect("output loads");
    let again = convert(&reloaded.documents, &ConvertOptions::default()).expect("output converts");
    assert_eq!(render_stream(&again.outputs, Format::Yaml), first, "not idempotent");
});
