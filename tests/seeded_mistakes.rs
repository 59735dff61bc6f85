//! Mistakes seeded into converted real apps (from `../shared/corpus`, not in `testdata/`):
//! `validate` catches each one, with the right rule, at the line of the mistake.

mod support;

use rolloutify::convert::convert;
use rolloutify::emit::{Format, render_stream};
use rolloutify::load::{self, Input, Limits, LoadOptions};
use rolloutify::plan::ConvertOptions;
use rolloutify::validate::{ValidateOptions, validate};

/// A mistake: replace the first line containing `find` (after `after`, if given) by the same
/// line with `find` replaced by `replace`; `rule` must fire on that line.
struct Mistake {
    find: &'static str,
    replace: &'static str,
    after: Option<&'static str>,
    rule: &'static str,
    /// Where the finding belongs when not on the changed line: the last line before it that
    /// contains this text (the route that lost its canary), or, with a leading `^`, the first
    /// line of the file that does (the Rollout's list of routes).
    at: Option<&'static str>,
}

const MISTAKES: &[Mistake] = &[
    Mistake {
        find: "-canary\n          weight: 0",
        replace: "-preview\n          weight: 0",
        after: Some("kind: VirtualService"),
        rule: "istio/route-destinations",
        at: Some("route:"),
    },
    Mistake {
        find: "- setWeight: 10",
        replace: "- setWeight: 150",
        after: None,
        rule: "rollout/set-weight-range",
        at: None,
    },
    Mistake {
        find: "- name: primary",
        replace: "- name: main",
        after: Some("kind: VirtualService"),
        rule: "istio/route-not-found",
        at: Some("^routes:"),
    },
    Mistake {
        find: "successCondition: len(result) > 0 && !isNaN(result[0]) && ",
        replace: "successCondition: ",
        after: None,
        rule: "analysis/unguarded-result",
        at: None,
    },
    Mistake {
        find: "stableService:",
        replace: "stableServices:",
        after: None,
        rule: "schema/unknown-field",
        at: None,
    },
    Mistake {
        find: "duration: 2m",
        replace: "duration: two minutes",
        after: None,
        rule: "rollout/pause-duration",
        at: None,
    },
    Mistake {
        find: "maxReplicas:",
        replace: "maxReplica:",
        after: Some("kind: HorizontalPodAutoscaler"),
        rule: "schema/unknown-field",
        at: None,
    },
];

fn converted(paths: &[std::path::PathBuf]) -> String {
    let inputs: Vec<Input> = paths.iter().cloned().map(Input::Path).collect();
    let loaded = load::load(&inputs, &LoadOptions::default()).expect("corpus files load");
    // Each app named, as `--select '*'`: the flagger tester has no VirtualService, and would
    // be left alone otherwise.
    let options = ConvertOptions {
        select: vec![rolloutify::config::AppMatch::parse_selector("*")],
        ..ConvertOptions::default()
    };
    let conversion = convert(&loaded.documents, &options).expect("converts");
    assert!(
        !conversion.converted.is_empty(),
        "{paths:?}: nothing converted"
    );
    render_stream(&conversion.outputs, Format::Yaml)
}

#[test]
fn seeded_mistakes_are_caught_at_their_line() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let corpus = shared.join("corpus");
    let apps: Vec<Vec<std::path::PathBuf>> = vec![
        vec![corpus.join("GoogleCloudPlatform__anthos-service-mesh-samples/demos/bank-of-anthos-asm-manifests/deployment-manifests/balance-reader.yaml")],
        vec![corpus.join("istio__istio/samples/httpbin/httpbin.yaml"), corpus.join("istio__istio/samples/httpbin/httpbin-gateway.yaml")],
        vec![corpus.join("fluxcd__flagger/kustomize/tester/deployment.yaml"), corpus.join("fluxcd__flagger/kustomize/tester/service.yaml"), corpus.join("fluxcd__flagger/kustomize/podinfo/hpa.yaml")],
    ];
    let mut caught = 0;
    let mut failures = Vec::new();
    for app in &apps {
        if app.iter().any(|p| !p.exists()) {
            continue;
        }
        let text = converted(app);
        let clean = load::load_text("app.yaml", &text, &Limits::default()).expect("loads");
        let baseline = validate(&clean.documents, &ValidateOptions::default());
        assert_eq!(
            baseline.count(rolloutify::finding::Severity::Error),
            0,
            "{app:?}: converted output is not clean: {:?}",
            baseline.findings
        );
        for mistake in MISTAKES {
            let start = mistake.after.and_then(|a| text.find(a)).unwrap_or(0);
            let Some(offset) = text[start..].find(mistake.find).map(|o| o + start) else {
                continue;
            };
            let line_of = |at: usize| text[..at].matches('\n').count() + 1;
            let line = match mistake.at {
                None => line_of(offset),
                Some(anchor) => match anchor.strip_prefix('^') {
                    Some(first) => line_of(text.find(first).unwrap_or(offset)),
                    None => line_of(text[..offset].rfind(anchor).unwrap_or(offset)),
                },
            };
            let seeded = format!(
                "{}{}{}",
                &text[..offset],
                mistake.replace,
                &text[offset + mistake.find.len()..]
            );
            let loaded = load::load_text("app.yaml", &seeded, &Limits::default())
                .expect("seeded text loads");
            let report = validate(&loaded.documents, &ValidateOptions::default());
            let hit = report.findings.iter().find(|f| f.rule == mistake.rule);
            match hit {
                Some(f) if f.location.position.line == line => caught += 1,
                Some(f) => failures.push(format!(
                    "{app:?}: {} at line {}, expected line {line}: {}",
                    mistake.rule, f.location.position.line, f.message
                )),
                None => failures.push(format!(
                    "{app:?}: {} not caught; found {:?}",
                    mistake.rule,
                    report.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(caught >= 12, "only {caught} seeded mistakes tried");
    eprintln!("seeded mistakes caught: {caught}");
}
