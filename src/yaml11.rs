//! How plain (unquoted) YAML scalars resolve: exactly as Kubernetes' reader (go-yaml v2 behind
//! sigs.k8s.io/yaml) does, and whether any other common reader might disagree.

use serde_json::{Number, Value};

/// go-yaml reads these as ±Inf/NaN, which JSON cannot carry (sigs.k8s.io/yaml then fails to
/// marshal), so `resolve_plain` hands them back as text for the emitter to quote.
const SPECIAL_FLOATS: [&str; 12] = [
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
    ".NAN",
];

/// The JSON value Kubernetes' reader (go-yaml v2 via sigs.k8s.io/yaml) gives a plain scalar.
pub fn resolve_plain(text: &str) -> Value {
    let resolved = match text {
        "" | "~" | "null" | "Null" | "NULL" => Some(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(Value::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(Value::Bool(false))
        }
        _ => match text.as_bytes().first() {
            Some(b'.') => go_parse_dotted_float(text).and_then(float_value),
            Some(b'0'..=b'9' | b'+' | b'-') => resolve_numeric(text),
            _ => None,
        },
    };
    resolved.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// Whether *some* common YAML reader (go-yaml v2, YAML 1.1 spec readers such as PyYAML, YAML 1.2
/// core schema) would read this plain scalar as something other than the string itself.
pub fn is_ambiguous_plain(text: &str) -> bool {
    may_be_ambiguous(text) && read_otherwise(text)
}

/// Whether `text` starts as some reader's non-string form can: a digit, sign or dot (numbers,
/// timestamps, `.inf`), `~`, `=`, `<<`, or the first letter of a YAML 1.1 boolean or null
/// word. Any other text is a string to every reader, which most text the emitter writes is.
fn may_be_ambiguous(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        None | Some(
            b'0'..=b'9'
                | b'+'
                | b'-'
                | b'.'
                | b'~'
                | b'='
                | b'<'
                | b'y'
                | b'Y'
                | b'n'
                | b'N'
                | b't'
                | b'T'
                | b'f'
                | b'F'
                | b'o'
                | b'O'
        )
    )
}

/// [`is_ambiguous_plain`], asking every reader.
fn read_otherwise(text: &str) -> bool {
    !resolve_plain(text).is_string()
        || SPECIAL_FLOATS.contains(&text)
        || matches!(text, "=" | "<<")
        || is_yaml11_int(text)
        || is_yaml11_float(text)
        || is_sexagesimal(text)
        || looks_like_timestamp(text)
        || is_core_int(text)
        || is_decimal_float(text)
}

/// go-yaml's branch for scalars starting with a digit or sign. It tries a timestamp first, but
/// every timestamp it accepts has `-` right after four digits, which no number form below
/// accepts, and it keeps timestamps as strings anyway: skipping that step changes nothing.
fn resolve_numeric(text: &str) -> Option<Value> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(int) = go_parse_int(&plain, 0) {
        return Some(int.into());
    }
    if let Some(uint) = go_parse_uint(&plain, 0) {
        return Some(uint.into());
    }
    if is_decimal_float(&plain) {
        // An overflow to ±Inf is an error in Go, so such text stays a string.
        return plain.parse().ok().and_then(float_value);
    }
    // go-yaml's leftover base-2 fallback: it only adds a signed digit string after `0b`.
    if let Some(bits) = plain.strip_prefix("0b") {
        go_parse_int(bits, 2)
            .map(Value::from)
            .or_else(|| go_parse_uint(bits, 2).map(Value::from))
    } else if let Some(bits) = plain.strip_prefix("-0b") {
        go_parse_int(&format!("-{bits}"), 2).map(Value::from)
    } else {
        None
    }
}

fn float_value(value: f64) -> Option<Value> {
    Number::from_f64(value).map(Value::Number)
}

/// Go's `strconv.ParseUint(s, base, 64)`; base 0 reads `0x`/`0o`/`0b` prefixes and a bare
/// leading `0` as octal. Callers have already removed `_`, so it is never a digit here.
fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    let bytes = s.as_bytes();
    let (radix, digits): (u32, &[u8]) = match (base, bytes) {
        (_, []) => return None,
        (0, [b'0', prefix, rest @ ..]) if !rest.is_empty() && prefix | 0x20 == b'b' => (2, rest),
        (0, [b'0', prefix, rest @ ..]) if !rest.is_empty() && prefix | 0x20 == b'o' => (8, rest),
        (0, [b'0', prefix, rest @ ..]) if !rest.is_empty() && prefix | 0x20 == b'x' => (16, rest),
        (0, [b'0', rest @ ..]) => (8, rest),
        (0, _) => (10, bytes),
        (radix, _) => (radix, bytes),
    };
    digits.iter().try_fold(0u64, |acc, &byte| {
        let digit = char::from(byte).to_digit(36).filter(|&d| d < radix)?;
        acc.checked_mul(u64::from(radix))?
            .checked_add(u64::from(digit))
    })
}

/// Go's `strconv.ParseInt(s, base, 64)`: one optional sign, then `go_parse_uint`.
fn go_parse_int(s: &str, base: u32) -> Option<i64> {
    if let Some(magnitude) = s.strip_prefix('-') {
        0i64.checked_sub_unsigned(go_parse_uint(magnitude, base)?)
    } else {
        let magnitude = s.strip_prefix('+').unwrap_or(s);
        i64::try_from(go_parse_uint(magnitude, base)?).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for text starting with `.`, the only shape go-yaml hands it
/// unmodified: Go allows `_` here, but only between two digits.
fn go_parse_dotted_float(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let separators_ok = bytes.iter().enumerate().all(|(i, &byte)| {
        let digit_at =
            |j: Option<usize>| j.and_then(|j| bytes.get(j)).is_some_and(u8::is_ascii_digit);
        byte != b'_' || (digit_at(i.checked_sub(1)) && digit_at(i.checked_add(1)))
    });
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    if separators_ok && is_decimal_float(&digits) {
        digits.parse().ok()
    } else {
        None
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`: go-yaml's float pattern, which is
/// also the YAML 1.2 core schema's finite float.
fn is_decimal_float(text: &str) -> bool {
    let mut scan = Scan::new(text);
    scan.sign();
    let mantissa = if scan.byte(b'.') {
        scan.run(u8::is_ascii_digit) > 0
    } else {
        let whole = scan.run(u8::is_ascii_digit) > 0;
        if scan.byte(b'.') {
            scan.run(u8::is_ascii_digit);
        }
        whole
    };
    mantissa && scan.optional_exponent() && scan.at_end()
}

/// YAML 1.1 `!!int`: `[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)`.
fn is_yaml11_int(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let all_of = |digits: &[u8], allowed: fn(&u8) -> bool| {
        !digits.is_empty() && digits.iter().all(|b| *b == b'_' || allowed(b))
    };
    match unsigned.as_bytes() {
        [b'0', b'b', digits @ ..] => all_of(digits, |b| matches!(b, b'0' | b'1')),
        [b'0', b'x', digits @ ..] => all_of(digits, u8::is_ascii_hexdigit),
        [b'0', digits @ ..] => digits.iter().all(|b| matches!(b, b'0'..=b'7' | b'_')),
        [b'1'..=b'9', digits @ ..] => digits.iter().all(|b| b.is_ascii_digit() || *b == b'_'),
        _ => false,
    }
}

/// YAML 1.1 `!!float` in base 10, loosened to cover both the spec's pattern (optional whole
/// part) and PyYAML's (`_` after the dot, optional exponent sign):
/// `[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?`. The spec's `[0-9.]*` would also take
/// `1.2.3`, which no real reader treats as a number, so version strings stay plain.
fn is_yaml11_float(text: &str) -> bool {
    let mut scan = Scan::new(text);
    scan.sign();
    if scan.run(u8::is_ascii_digit) > 0 {
        scan.run(|b| b.is_ascii_digit() || *b == b'_');
    }
    if !scan.byte(b'.') {
        return false;
    }
    scan.run(|b| b.is_ascii_digit() || *b == b'_');
    scan.optional_exponent() && scan.at_end()
}

/// YAML 1.1 base-60 int or float: `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`.
fn is_sexagesimal(text: &str) -> bool {
    let mut scan = Scan::new(text);
    scan.sign();
    if scan.run(u8::is_ascii_digit) == 0 {
        return false;
    }
    scan.run(|b| b.is_ascii_digit() || *b == b'_');
    let mut groups = 0;
    while scan.byte(b':') {
        let start = scan.rest();
        match scan.run(u8::is_ascii_digit) {
            1 => {}
            2 if matches!(start.first(), Some(b'0'..=b'5')) => {}
            _ => return false,
        }
        groups += 1;
    }
    if scan.byte(b'.') {
        scan.run(|b| b.is_ascii_digit() || *b == b'_');
    }
    groups > 0 && scan.at_end()
}

/// YAML 1.1 timestamps (and go-yaml's looser one-digit month/day dates), matched generously:
/// `YYYY-M-D` alone or followed by a time separator, whatever comes after it.
fn looks_like_timestamp(text: &str) -> bool {
    let mut scan = Scan::new(text);
    let date = scan.run(u8::is_ascii_digit) == 4
        && scan.byte(b'-')
        && matches!(scan.run(u8::is_ascii_digit), 1 | 2)
        && scan.byte(b'-')
        && matches!(scan.run(u8::is_ascii_digit), 1 | 2);
    date && matches!(scan.rest().first(), None | Some(b'T' | b't' | b' ' | b'\t'))
}

/// YAML 1.2 core `!!int`: `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`, of any size.
fn is_core_int(text: &str) -> bool {
    let all_of = |digits: &str, accept: fn(&u8) -> bool| {
        !digits.is_empty() && digits.bytes().all(|b| accept(&b))
    };
    if let Some(octal) = text.strip_prefix("0o") {
        all_of(octal, |b| matches!(b, b'0'..=b'7'))
    } else if let Some(hex) = text.strip_prefix("0x") {
        all_of(hex, u8::is_ascii_hexdigit)
    } else {
        all_of(
            text.strip_prefix(['+', '-']).unwrap_or(text),
            u8::is_ascii_digit,
        )
    }
}

/// A forward-only cursor for the fixed patterns above; none of them needs backtracking.
struct Scan<'a> {
    rest: &'a [u8],
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Self {
        Scan {
            rest: text.as_bytes(),
        }
    }

    fn rest(&self) -> &'a [u8] {
        self.rest
    }

    fn at_end(&self) -> bool {
        self.rest.is_empty()
    }

    fn byte(&mut self, wanted: u8) -> bool {
        self.run_at_most(1, |b| *b == wanted) == 1
    }

    fn sign(&mut self) -> bool {
        self.run_at_most(1, |b| matches!(b, b'+' | b'-')) == 1
    }

    fn run(&mut self, accept: impl Fn(&u8) -> bool) -> usize {
        self.run_at_most(usize::MAX, accept)
    }

    fn run_at_most(&mut self, limit: usize, accept: impl Fn(&u8) -> bool) -> usize {
        let taken = self
            .rest
            .iter()
            .take(limit)
            .take_while(|b| accept(b))
            .count();
        self.rest = self.rest.get(taken..).unwrap_or_default();
        taken
    }

    /// `([eE][-+]?[0-9]+)?`; false on an exponent marker without digits.
    fn optional_exponent(&mut self) -> bool {
        if !self.byte(b'e') && !self.byte(b'E') {
            return true;
        }
        self.sign();
        self.run(u8::is_ascii_digit) > 0
    }
}

/// Every string of `alphabet`'s characters up to `longest` characters long, the empty one
/// first: for checking a fast path against the full one exhaustively over the characters
/// that matter.
#[cfg(test)]
pub(crate) fn every_string(alphabet: &[char], longest: usize) -> Vec<String> {
    let mut texts = vec![String::new()];
    let mut last = 0;
    for _ in 0..longest {
        let longer: Vec<String> = texts[last..]
            .iter()
            .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
            .collect();
        last = texts.len();
        texts.extend(longer);
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_that_starts_otherwise_is_a_string_to_every_reader() {
        // Every string of up to three characters over an alphabet of what the forms are made of
        // (digits, signs, dots, exponents, base prefixes, separators, the words' letters).
        let alphabet: Vec<char> = "0159+-._eExXbo:~=<yYnNtTfFOlLuUrsaAiI T".chars().collect();
        let mut texts = every_string(&alphabet, 3);
        texts.extend(
            [
                "null",
                "NULL",
                "true",
                "False",
                "yes",
                "off",
                "On",
                ".inf",
                "-.Inf",
                ".NaN",
                "0o17",
                "0x1F",
                "1e3",
                "1_000",
                "1:20",
                "2001-12-14",
                "2001-12-14t21:59:43.10-05:00",
                "<<",
                "=",
                "~",
                "nulls",
                "truey",
                "value",
                "web-canary",
                "Deployment",
                "ClusterIP",
            ]
            .map(str::to_owned),
        );
        for text in &texts {
            if !may_be_ambiguous(text) {
                assert!(!read_otherwise(text), "{text:?} is read as something else");
            }
        }
        assert!(texts.len() > 50_000);
    }

    fn float(value: f64) -> Value {
        float_value(value).expect("finite")
    }

    #[test]
    fn nulls_and_bools_follow_go_yaml_v2() {
        for text in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(text), Value::Null, "{text:?}");
        }
        for text in [
            "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        ] {
            assert_eq!(resolve_plain(text), json!(true), "{text:?}");
        }
        for text in [
            "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        ] {
            assert_eq!(resolve_plain(text), json!(false), "{text:?}");
        }
        for text in ["yES", "nULL", "tRUE", "oN", "Nope", "~~"] {
            assert_eq!(resolve_plain(text), json!(text), "{text:?}");
        }
    }

    #[test]
    fn integers_use_go_parse_int_with_base_prefixes() {
        let cases = [
            ("0", json!(0)),
            ("-0", json!(0)),
            ("42", json!(42)),
            ("+12", json!(12)),
            ("0644", json!(420)),
            ("-017", json!(-15)),
            ("0755", json!(493)),
            ("0x1F", json!(31)),
            ("0X1f", json!(31)),
            ("-0x1F", json!(-31)),
            ("0o17", json!(15)),
            ("0O17", json!(15)),
            ("0b101", json!(5)),
            ("-0b101", json!(-5)),
            ("1_000", json!(1000)),
            ("0x_1F", json!(31)),
            ("1__0_", json!(10)),
            ("9223372036854775807", json!(i64::MAX)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("9223372036854775808", json!(9_223_372_036_854_775_808_u64)),
            ("18446744073709551615", json!(u64::MAX)),
            ("0xFFFFFFFFFFFFFFFF", json!(u64::MAX)),
            // go-yaml's base-2 fallback re-parses what follows `0b`, sign included.
            ("0b-1", json!(-1)),
            ("0b+1", json!(1)),
        ];
        for (text, expected) in cases {
            let got = resolve_plain(text);
            assert_eq!(got, expected, "{text:?}");
            assert!(!got.as_number().is_some_and(Number::is_f64), "{text:?}");
        }
    }

    #[test]
    fn floats_follow_go_yaml_pattern() {
        let cases = [
            ("08", 8.0),
            ("09", 9.0),
            ("0128", 128.0),
            ("1e3", 1000.0),
            ("12e3", 12000.0),
            ("1.5", 1.5),
            ("1.", 1.0),
            ("-1.5e-3", -0.0015),
            ("+.5", 0.5),
            ("1_0.5", 10.5),
            (".5", 0.5),
            (".5e3", 500.0),
            (".5_5", 0.55),
            ("18446744073709551616", 18_446_744_073_709_551_616.0),
            ("-9223372036854775809", -9_223_372_036_854_775_809.0),
            ("1e-400", 0.0),
        ];
        for (text, expected) in cases {
            let got = resolve_plain(text);
            assert_eq!(got, float(expected), "{text:?}");
            assert!(got.as_number().is_some_and(Number::is_f64), "{text:?}");
        }
    }

    #[test]
    fn other_text_stays_a_string() {
        for text in [
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "1e400",
            ".5e999",
            "._5",
            ".5_",
            ".",
            "..5",
            "0x",
            "0b",
            "0o",
            "0b2",
            "0x1G",
            "1.2.3",
            "1:30",
            "2001-12-14",
            "2001-12-14t21:59:43Z",
            "1,000",
            "+",
            "-",
            "--1",
            "+-1",
            "1 ",
            " 1",
            "1e",
            "1e+",
            "0b-",
            "-0b-1",
            "<<",
            "=",
            "0o18",
            "0.0.0.0",
            "v1",
            "nginx:1.25",
            "_1",
            "1_000.5.1",
            "+.nan",
        ] {
            assert_eq!(resolve_plain(text), json!(text), "{text:?}");
        }
    }

    #[test]
    fn ambiguous_for_go_yaml() {
        for text in [
            "yes", "no", "on", "off", "y", "n", "~", "null", "true", "False", "0755", "0x1F",
            "1e3", "1_000", ".inf", "-.inf", ".NaN", "08", "0o17", "", "+12", ".5", "1.", "-0b101",
            "0",
        ] {
            assert!(is_ambiguous_plain(text), "{text:?}");
        }
    }

    #[test]
    fn ambiguous_for_yaml_1_1_readers() {
        for text in [
            "1:30",
            "190:20:30",
            "-1:30.5",
            "1:05:59",
            "2001-12-14",
            "2001-1-1",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-14T21:59:43Z",
            "=",
            "<<",
            "0x_",
            "0b_",
            ".",
            "-.",
            "1._5",
            "1_000.5_5e+3",
        ] {
            assert!(is_ambiguous_plain(text), "{text:?}");
        }
    }

    #[test]
    fn ambiguous_for_yaml_1_2_core() {
        for text in [
            "0o7777777777777777777777777",
            "0x10000000000000000",
            "99999999999999999999999",
            "-99999999999999999999999",
            "1e400",
            "+.Inf",
        ] {
            assert!(is_ambiguous_plain(text), "{text:?}");
        }
    }

    #[test]
    fn ordinary_text_is_not_ambiguous() {
        for text in [
            "nginx",
            "1.2.3",
            "v1.2",
            "1:60",
            "12:345",
            "2001-12-145",
            "2001-123-1",
            "app-1",
            "10.0.0.1",
            "1,000",
            "1e",
            "0x",
            "0b",
            "0o",
            "0o8",
            "Yess",
            "ONE",
            "+",
            "-",
            "_",
            "<",
            "==",
            "500m",
            "128Mi",
            "1h30m",
            "a:b",
        ] {
            assert!(!is_ambiguous_plain(text), "{text:?}");
        }
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for text in [
            "\u{0}",
            "0\u{e9}",
            "-\u{1F600}",
            ".\u{300}",
            "0b\u{e9}",
            "0x\u{FFFF}",
        ] {
            let _ = resolve_plain(text);
            let _ = is_ambiguous_plain(text);
        }
    }
}
