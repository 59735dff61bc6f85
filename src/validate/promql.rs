//! Prometheus queries checked offline with `promql-parser` (Apache-2.0, the Prometheus
//! parser's grammar): what Prometheus would answer `bad_data` to, every measurement of the
//! metric then ending in Error.
//!
//! `{{args.*}}` placeholders are replaced before parsing by a value of the same length that
//! fits where they stand (a name inside a string, a duration inside `[…]`, an identifier next
//! to a name, a number elsewhere), so offsets in the parsed text are offsets in the query.
//!
//! `promql-parser` reports grammar errors without a position, so the position is found the
//! way a reader would: the first token after which no completion rolloutify tries (an
//! operand, a label matcher, a duration, closing brackets) makes a query that parses; lexer
//! errors are placed at the shortest prefix that gives the same error.

use lrpar::{Lexeme as _, Lexer as _};
use promql_parser::parser::{self, value::ValueType};

/// What a query's answer is, for the conditions: `result` is `[]float64` for a vector or a
/// matrix, `float64` for a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Vector,
    Scalar,
    /// A string literal: the provider refuses it (`Prometheus metric type not supported`).
    String,
    /// An argument stands for part of the query's structure (a metric, a whole expression):
    /// what it answers depends on its value.
    Unknown,
}

/// A query that does not parse: the parser's message and the byte offset it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub message: String,
    pub offset: usize,
    /// The offset falls on a placeholder: the error may come from the value put there.
    pub in_placeholder: bool,
}

thread_local! {
    /// Queries checked on this thread: the templates of a tree repeat the same few queries
    /// (a shared template per namespace), and the parser decodes its tables on every call.
    static CHECKED: std::cell::RefCell<std::collections::HashMap<String, Result<Answer, QueryError>>> =
        std::cell::RefCell::default();
}

/// At most this many queries are remembered per thread.
const REMEMBERED: usize = 1024;

/// Parses `query` as Prometheus would after the controller substitutes its arguments.
pub fn check(query: &str) -> Result<Answer, QueryError> {
    if let Some(known) = CHECKED.with(|c| c.borrow().get(query).cloned()) {
        return known;
    }
    let checked = check_uncached(query);
    CHECKED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= REMEMBERED {
            c.clear();
        }
        c.insert(query.to_owned(), checked.clone());
    });
    checked
}

fn check_uncached(query: &str) -> Result<Answer, QueryError> {
    let (text, placeholders) = substitute(query);
    // What the placeholders stand for, outside strings (label values) and durations: a name
    // (a metric, or a whole expression) leaves the answer's type open; a number leaves it open
    // only where everything else is a scalar too.
    let stands_for = |r: &std::ops::Range<usize>| {
        let bytes = text.as_bytes();
        match (bytes.get(r.start), bytes.get(r.start + 1)) {
            _ if in_string(&text, r.start) => None,
            (Some(b'x'), _) => Some(true),
            (Some(b'1'), Some(b'm')) => None,
            _ => Some(false),
        }
    };
    let name = placeholders.iter().any(|r| stands_for(r) == Some(true));
    let number = placeholders.iter().any(|r| stands_for(r) == Some(false));
    match parser::parse(&text) {
        Ok(expr) => Ok(match expr.value_type() {
            _ if name => Answer::Unknown,
            ValueType::Scalar if number => Answer::Unknown,
            ValueType::Vector | ValueType::Matrix => Answer::Vector,
            ValueType::Scalar => Answer::Scalar,
            ValueType::String => Answer::String,
        }),
        Err(message) => {
            let offset = error_offset(&text, &message);
            Err(QueryError {
                in_placeholder: placeholders.iter().any(|r| r.contains(&offset)),
                message,
                offset,
            })
        }
    }
}

/// Whether byte `at` of `text` is inside a quoted string.
fn in_string(text: &str, at: usize) -> bool {
    let mut quote = None;
    let mut chars = text[..at].chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), '\\') if q != '`' => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'' | '`') => quote = Some(c),
            _ => {}
        }
    }
    quote.is_some()
}

/// The query with its placeholders replaced, and where they were.
fn substitute(query: &str) -> (String, Vec<std::ops::Range<usize>>) {
    let mut out = String::with_capacity(query.len());
    let mut ranges = Vec::new();
    let mut quote: Option<char> = None;
    let mut brackets = 0usize;
    let mut rest = query;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{")
            && let Some(end) = after.find("}}")
        {
            let len = end + 4;
            let start = out.len();
            let before = out.trim_end().chars().last();
            let next = rest[len..].chars().next();
            let name_char =
                |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let duration = brackets > 0 || out.trim_end().ends_with("offset");
            let value = if quote.is_some()
                || (!duration && (name_char(before) || name_char(next) || next == Some('{')))
            {
                "x".repeat(len)
            } else if duration {
                format!("1m{}", " ".repeat(len - 2))
            } else {
                format!("1{}", " ".repeat(len - 1))
            };
            out.push_str(&value);
            ranges.push(start..start + len);
            rest = &rest[len..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        match (quote, c) {
            (Some(q), '\\') if q != '`' => {
                out.push(c);
                rest = &rest[1..];
                if let Some(escaped) = rest.chars().next() {
                    out.push(escaped);
                    rest = &rest[escaped.len_utf8()..];
                }
                continue;
            }
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '[') => brackets += 1,
            (None, ']') => brackets = brackets.saturating_sub(1),
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (out, ranges)
}

/// Where in `text` the parser's `message` is about.
fn error_offset(text: &str, message: &str) -> usize {
    match parser::lexer(text) {
        Err(lex_message) => lex_error_offset(text, &lex_message),
        Ok(lexer) => {
            // A name the message quotes, if it is in the text once: an unknown function.
            if let Some(name) = message.split('\'').nth(1)
                && !name.is_empty()
                && text.matches(name).count() == 1
                && let Some(at) = text.find(name)
            {
                return at;
            }
            let spans: Vec<(usize, usize)> = lexer
                .iter()
                .filter_map(Result::ok)
                .map(|l| (l.span().start(), l.span().end()))
                .filter(|(start, end)| start < end)
                .collect();
            // The last prefix that some completion makes valid: the error is at the token
            // after it (or at the end of the query, when nothing is wrong but what is
            // missing).
            let after = |k: usize| spans.get(k + 1).map_or(spans[k].1, |s| s.0);
            if spans.len() <= SCANNED_TOKENS {
                for k in (0..spans.len()).rev() {
                    if viable(&text[..spans[k].1]) {
                        return after(k);
                    }
                }
                return spans.first().map_or(0, |s| s.0);
            }
            // A long query: bisect (the prefixes that can still be completed come first).
            let (mut good, mut bad) = (None, spans.len());
            let mut low = 0;
            while low < bad {
                let middle = low + (bad - low) / 2;
                if viable(&text[..spans[middle].1]) {
                    good = Some(middle);
                    low = middle + 1;
                } else {
                    bad = middle;
                }
            }
            good.map_or(0, after)
        }
    }
}

/// The shortest prefix of `text` that the lexer refuses with the same message ends at the
/// character at fault.
fn lex_error_offset(text: &str, message: &str) -> usize {
    if text.len() > LEXED_BYTES {
        return 0;
    }
    let mut boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    boundaries.push(text.len());
    for &end in boundaries.iter().skip(1) {
        if let Err(m) = parser::lexer(&text[..end])
            && m == message
        {
            let last = text[..end].char_indices().last().map_or(0, |(i, _)| i);
            return last;
        }
    }
    text.len().saturating_sub(1)
}

/// Up to this many tokens, every prefix is tried from the end; longer queries are bisected.
const SCANNED_TOKENS: usize = 64;

/// Lexer errors in longer queries are placed at the query's start (finding the prefix lexes
/// the query once per character).
const LEXED_BYTES: usize = 4096;

/// Whether some completion of `prefix` parses.
fn viable(prefix: &str) -> bool {
    const MIDDLE: [&str; 16] = [
        "", " x", " 1", " 1, x", ", x", " x[5m]", "[5m]", "\"x\"", "=\"x\"", " x=\"x\"", "5m",
        " 5m", " (x)", " (x) (x)", " x)", " x[5m])",
    ];
    const TAIL: [&str; 3] = ["", " x", " (x)"];
    let closers = closers(prefix);
    MIDDLE.iter().any(|middle| {
        TAIL.iter().any(|tail| {
            let candidate = format!("{prefix}{middle}{closers}{tail}");
            parser::parse(&candidate).is_ok()
        })
    })
}

/// The brackets `prefix` leaves open, closed in order.
fn closers(prefix: &str) -> String {
    let mut open = Vec::new();
    let mut quote = None;
    let mut chars = prefix.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), '\\') if q != '`' => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '(') => open.push(')'),
            (None, '{') => open.push('}'),
            (None, '[') => open.push(']'),
            (None, ')' | '}' | ']') => {
                open.pop();
            }
            _ => {}
        }
    }
    let mut out: String = quote.map(String::from).unwrap_or_default();
    out.extend(open.iter().rev());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_at(query: &str) -> (String, usize) {
        let e = check(query).unwrap_err();
        (e.message, e.offset)
    }

    #[test]
    fn valid_queries_and_their_answers() {
        assert_eq!(
            check(
                "sum(rate(istio_requests_total{reporter=\"source\",destination_service_name=\"{{args.service-name}}\",response_code!~\"5.*\"}[2m]))\n/\nsum(rate(istio_requests_total{reporter=\"source\"}[2m]))\n"
            ),
            Ok(Answer::Vector)
        );
        assert_eq!(check("scalar(sum(up))"), Ok(Answer::Scalar));
        // An argument that is the whole query: what it answers is not known.
        assert_eq!(check("{{args.query}}"), Ok(Answer::Unknown));
        assert_eq!(check("{{args.a}} + 1"), Ok(Answer::Unknown));
        assert_eq!(check("sum(up{job=\"{{args.job}}\"})"), Ok(Answer::Vector));
        assert_eq!(check("1 + 2"), Ok(Answer::Scalar));
        assert_eq!(
            check(
                "histogram_quantile(0.99, sum(rate(x_bucket[{{args.window}}])) by (le)) > {{args.threshold}}"
            ),
            Ok(Answer::Vector)
        );
        assert_eq!(check("{{args.metric}}{job=\"a\"}"), Ok(Answer::Unknown));
        assert_eq!(
            check("rate(x[5m] offset {{args.offset}})"),
            Ok(Answer::Vector)
        );
    }

    #[test]
    fn syntax_errors_point_at_their_token() {
        // Missing comma: the second argument starts where the parser gave up.
        let q = "histogram_quantile(0.99 sum(rate(x[5m])) by (le))";
        assert_eq!(error_at(q).1, q.find("sum").unwrap());
        // A trailing operator.
        let q = "sum(rate(x[5m])) /\n";
        assert_eq!(
            error_at(q),
            ("invalid promql query".to_owned(), q.len() - 1)
        );
        // A range vector where an instant vector belongs: at the operator.
        let q = "up[1m] > 1";
        assert_eq!(error_at(q).1, q.find('>').unwrap());
        // An unclosed parenthesis: the lexer's message, at the parenthesis left open.
        let (message, at) = error_at("sum(rate(x[5m])");
        assert_eq!((message.as_str(), at), ("unclosed left parenthesis", 3));
        // A stray character.
        let q = "sum(x) # comment\nsum(y) $";
        assert_eq!(error_at(q).1, q.find('$').unwrap());
        // An unknown function, by name.
        let q = "sum(rat(x[5m]))";
        assert_eq!(error_at(q).1, 4);
        // A label value without quotes.
        let q = "up{job=api}";
        assert_eq!(error_at(q).1, q.find("api").unwrap());
    }

    #[test]
    fn long_queries_are_placed_by_bisection() {
        let terms: Vec<String> = (0..80).map(|i| format!("sum(rate(m{i}[5m]))")).collect();
        let good = terms.join(" + ");
        assert_eq!(check(&good), Ok(Answer::Vector));
        let bad = format!(
            "{} + * {}",
            terms[..40].join(" + "),
            terms[40..].join(" + ")
        );
        let at = bad.find("+ *").unwrap() + 2;
        assert_eq!(error_at(&bad).1, at);
    }

    #[test]
    fn placeholders_keep_offsets() {
        let query = "rate(up{a=\"{{args.x}}\"}[{{args.w}}]) > {{args.t}}";
        let (text, ranges) = substitute(query);
        assert_eq!(text.len(), query.len());
        assert_eq!(ranges.len(), 3);
        assert!(text.contains("\"xxxxxxxxxx\""));
        assert!(text.contains("[1m        ]"));
        assert!(parser::parse(&text).is_ok(), "{text}");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Any text: an answer or an error inside the text, never a panic.
        #[test]
        fn any_query_gets_an_answer_or_an_error_inside_it(
            query in r#"[a-z_(){}\[\]"'=!~<>+*/%^, 0-9.:@\n-]{0,40}|\{\{args\.[a-z]{1,5}\}\}"#
        ) {
            if let Err(e) = super::check(&query) {
                prop_assert!(e.offset <= query.len());
                prop_assert!(query.is_char_boundary(e.offset));
            }
        }
    }
}
