//! Any bytes on standard input of the plugins: the kustomize exec transformer and the KRM
//! function never panic; what they print loads, and running them again on their own output
//! changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolloutify::config::Config;
use rolloutify::load::{Limits, Origin, Source, load_text};
use rolloutify::plugin::{kustomize_transform, resource_list};

fn stdin(text: &str) -> Source {
    Source {
        origin: Origin::Stdin,
        text: text.to_owned(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits::default();
    if let Ok(first) = kustomize_transform(stdin(text), Config::default(), &limits) {
        load_text("out.yaml", &first.text, &limits).expect("the transformer's output loads");
        let again = kustomize_transform(stdin(&first.text), Config::default(), &limits)
            .expect("the transformer's output converts");
        assert_eq!(again.text, first.text, "the transformer is not idempotent");
    }
    if let Ok(first) = resource_list::run(stdin(text), &limits) {
        load_text("out.yaml", &first.text, &limits).expect("the function's output loads");
        if !first.failed {
            let again = resource_list::run(stdin(&first.text), &limits)
                .expect("the function's output is a ResourceList");
            // Results are findings about the input; the items must not change again.
            let items = |t: &str| {
                let loaded = load_text("list.yaml", t, &limits).expect("loads");
                loaded
                    .documents
                    .iter()
                    .map(|d| serde_json::Value::clone(&d.value))
                    .collect::<Vec<_>>()
            };
            assert_eq!(items(&again.text), items(&first.text), "the function is not idempotent");
        }
    }
});
