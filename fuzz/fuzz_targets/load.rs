//! Any bytes: loading must return documents or an error, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolloutify::load::{Limits, load_text};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = load_text("fuzz.yaml", text, &Limits::default());
    }
});
