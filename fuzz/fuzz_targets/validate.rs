//! Any manifests that load: validation and every report format never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolloutify::load::{Limits, load_text};
use rolloutify::report::{Format, render};
use rolloutify::validate::{ValidateOptions, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(loaded) = load_text("fuzz.yaml", text, &Limits::default()) else { return };
    let report = validate(&loaded.documents, &ValidateOptions::default());
    for format in [Format::Text { color: false }, Format::Json, Format::Junit, Format::Sarif, Format::Github] {
        let _ = render(&report, format);
    }
});
