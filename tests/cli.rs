//! Golden tests through the binary: every `tests/cmd/*.toml` case runs `rolloutify` in
//! `testdata/` and compares its output with the `.stdout`/`.stderr` files beside it.
//! Regenerate them with `TRYCMD=overwrite cargo test --test cli` and review the diff.

#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
