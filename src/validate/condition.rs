//! Analysis conditions as the Argo Rollouts controller runs them: `successCondition` and
//! `failureCondition` are [expr](https://expr-lang.org) programs, compiled against the
//! controller's environment (`utils/evaluate/evaluate.go`: `result`, `asInt`, `asFloat`,
//! `isNaN`, `isInf`, `isNil`, `default`) and run on each measurement.
//!
//! The controller compiles with `expr.Env(env)`, so the expression is type-checked against the
//! environment's Go types before it runs: an unknown name, a call with the wrong arguments or
//! `result > 0.9` on a vector result (`[]float64`) is a compile error, and every measurement of
//! the metric ends in Error. This module parses and type-checks the same way and evaluates the
//! subset of expr that analysis conditions use (literals, arithmetic, comparison, logic,
//! indexing, the ternary and `??`, the environment's functions and the common builtins:
//! `len`, `all`/`any`/`none`/`one`/`filter`/`map`/`count` with predicates, `sum`, `mean`,
//! `median`, `min`, `max`, `abs`, `floor`, `ceil`, `round`, `int`, `float`, `string`,
//! `first`, `last`). Other expr builtins type-check as unknown values and are reported as not
//! evaluated, never guessed.
//!
//! Why not the `expr-lang` crate: it evaluates expr with Go's runtime semantics but has no
//! static type checking (its README says so) and keeps its AST private, so an unknown name in
//! a branch that does not run (`len(result) > 0 && reslt[0] > 1` on no data) evaluates to
//! `false` where the controller refuses to compile, and a compile error has no position.

use std::fmt;

/// The Go type of `result`, as the metric provider hands it to the conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultShape {
    /// Prometheus instant vectors and matrices: `[]float64`.
    Vector,
    /// A Prometheus scalar: `float64`.
    Scalar,
    /// Any other provider: what the provider decodes, unknown offline.
    Unknown,
}

/// A value of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Value>),
}

impl Value {
    /// The Go type name (`%T`) the controller's messages use.
    fn go_type(&self) -> String {
        match self {
            Value::Nil => "<nil>".to_owned(),
            Value::Bool(_) => "bool".to_owned(),
            Value::Int(_) => "int".to_owned(),
            Value::Float(_) => "float64".to_owned(),
            Value::String(_) => "string".to_owned(),
            Value::Array(items) => {
                if !items.is_empty() && items.iter().all(|v| matches!(v, Value::Float(_))) {
                    "[]float64".to_owned()
                } else {
                    "[]interface {}".to_owned()
                }
            }
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// A measurement's `result` parsed from the JSON a user writes (`[]`, `[0.97]`, `0.5`,
/// `NaN`, `[NaN]`): a number is a scalar, a list a vector.
pub fn parse_result(text: &str) -> Result<(Value, ResultShape), String> {
    let text = text.trim();
    let number = |t: &str| -> Result<f64, String> {
        match t.trim() {
            "NaN" | "nan" => Ok(f64::NAN),
            "+Inf" | "Inf" | "inf" => Ok(f64::INFINITY),
            "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
            t => t
                .parse::<f64>()
                .map_err(|_| format!("'{t}' is not a number (write numbers, NaN, +Inf or -Inf)")),
        }
    };
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("'{text}' has no closing ']'"))?;
        let items = if inner.trim().is_empty() {
            Vec::new()
        } else {
            inner
                .split(',')
                .map(|t| number(t).map(Value::Float))
                .collect::<Result<_, _>>()?
        };
        Ok((Value::Array(items), ResultShape::Vector))
    } else {
        Ok((Value::Float(number(text)?), ResultShape::Scalar))
    }
}

/// An error of a condition, at a byte offset in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub message: String,
    pub offset: usize,
    /// The condition uses syntax this module does not parse (`let`, `;`): not an error of
    /// the condition, only not checked.
    pub unsupported: bool,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What one evaluation of a condition gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluated {
    Bool(bool),
    /// The controller would end the measurement in Error, with this message.
    Error(String),
    /// The condition uses a builtin this evaluator does not run.
    NotEvaluated(String),
}

// ---------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Value),
    String(String),
    Ident(String),
    Op(&'static str),
    Eof,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Number(Value::Int(i)) => write!(f, "Number(\"{i}\")"),
            Token::Number(Value::Float(x)) => write!(f, "Number(\"{x}\")"),
            Token::Number(_) => f.write_str("Number"),
            Token::String(s) => write!(f, "String({s:?})"),
            Token::Ident(s) => write!(f, "Identifier(\"{s}\")"),
            Token::Op(o) => write!(f, "Operator(\"{o}\")"),
            Token::Eof => f.write_str("EOF"),
        }
    }
}

const OPERATORS: [&str; 33] = [
    ";", "??", "?.", "...", "..", "**", "==", "!=", ">=", "<=", "&&", "||", "<", ">", "!", "+",
    "-", "*", "/", "%", "^", "(", ")", "[", "]", "{", "}", ",", ":", "?", ".", "|", "=",
];

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ConditionError> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let mut end = i;
            let hex = c == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X'));
            if hex {
                end += 2;
            }
            let mut float = false;
            while end < bytes.len() {
                let b = bytes[end];
                let exponent_sign =
                    (b == b'+' || b == b'-') && !hex && matches!(bytes[end - 1], b'e' | b'E');
                if b.is_ascii_digit()
                    || b == b'_'
                    || (hex && b.is_ascii_hexdigit())
                    || exponent_sign
                    || (!hex && (b == b'e' || b == b'E'))
                {
                    float |= !hex && (b == b'e' || b == b'E');
                    end += 1;
                } else if b == b'.' && !float && bytes.get(end + 1) != Some(&b'.') && !hex {
                    float = true;
                    end += 1;
                } else {
                    break;
                }
            }
            let literal = text[start..end].replace('_', "");
            let value = if hex {
                i64::from_str_radix(&literal[2..], 16).ok().map(Value::Int)
            } else if float {
                literal.parse::<f64>().ok().map(Value::Float)
            } else {
                literal.parse::<i64>().ok().map(Value::Int)
            };
            let value = value.ok_or_else(|| ConditionError {
                message: format!("invalid number literal {}", &text[start..end]),
                offset: start,
                unsupported: false,
            })?;
            tokens.push((Token::Number(value), start));
            i = end;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'#' {
            let mut end = i + 1;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            tokens.push((Token::Ident(text[start..end].to_owned()), start));
            i = end;
            continue;
        }
        if c == b'"' || c == b'\'' || c == b'`' {
            let mut value = String::new();
            let mut chars = text[i + 1..].char_indices();
            let mut closed = None;
            while let Some((j, ch)) = chars.next() {
                if ch as u32 == u32::from(c) {
                    closed = Some(i + 1 + j + 1);
                    break;
                }
                if ch == '\\' && c != b'`' {
                    match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, 't')) => value.push('\t'),
                        Some((_, other)) => value.push(other),
                        None => break,
                    }
                } else {
                    value.push(ch);
                }
            }
            let end = closed.ok_or_else(|| ConditionError {
                message: "literal not terminated".to_owned(),
                offset: start,
                unsupported: false,
            })?;
            tokens.push((Token::String(value), start));
            i = end;
            continue;
        }
        let op = OPERATORS
            .iter()
            .find(|op| text[i..].starts_with(**op))
            .ok_or_else(|| ConditionError {
                message: format!(
                    "unrecognized character: U+{:04X} '{}'",
                    text[i..].chars().next().map_or(0, |c| c as u32),
                    text[i..].chars().next().unwrap_or(' ')
                ),
                offset: start,
                unsupported: false,
            })?;
        tokens.push((Token::Op(op), start));
        i += op.len();
    }
    tokens.push((Token::Eof, text.len()));
    Ok(tokens)
}

// ---------------------------------------------------------------------------------------
// Parser

#[derive(Debug, Clone)]
struct Node {
    kind: NodeKind,
    at: usize,
}

#[derive(Debug, Clone)]
enum NodeKind {
    Literal(Value),
    Ident(String),
    /// `#` inside a predicate.
    Pointer,
    Array(Vec<Node>),
    Unary(&'static str, Box<Node>),
    Binary(&'static str, Box<Node>, Box<Node>),
    /// `base[index]` or `base.name` (`name` as a string literal).
    Member(Box<Node>, Box<Node>),
    Slice(Box<Node>, Option<Box<Node>>, Option<Box<Node>>),
    Call(String, Vec<Node>),
    /// `base.name(args)`: a method of a Go value.
    Method(Box<Node>, String, Vec<Node>),
    /// `{ ... }` passed to a builtin.
    Predicate(Box<Node>),
    Conditional(Box<Node>, Box<Node>, Box<Node>),
}

fn binary_precedence(token: &Token) -> Option<(&'static str, u8, bool)> {
    let (op, precedence, right) = match token {
        Token::Op(op) => match *op {
            "||" => ("||", 10, false),
            "&&" => ("&&", 15, false),
            "==" | "!=" | "<" | ">" | ">=" | "<=" => (*op, 20, false),
            ".." => ("..", 25, false),
            "+" | "-" => (*op, 30, false),
            "*" | "/" | "%" => (*op, 60, false),
            "**" | "^" => ("**", 100, true),
            "??" => ("??", 200, false),
            _ => return None,
        },
        Token::Ident(word) => match word.as_str() {
            "or" => ("||", 10, false),
            "and" => ("&&", 15, false),
            "in" => ("in", 20, false),
            "matches" => ("matches", 20, false),
            "contains" => ("contains", 20, false),
            "startsWith" => ("startsWith", 20, false),
            "endsWith" => ("endsWith", 20, false),
            _ => return None,
        },
        _ => return None,
    };
    Some((op, precedence, right))
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    position: usize,
    depth: usize,
}

type Parsed<T> = Result<T, ConditionError>;

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.position.min(self.tokens.len() - 1)].0
    }

    fn at(&self) -> usize {
        self.tokens[self.position.min(self.tokens.len() - 1)].1
    }

    fn next(&mut self) -> (Token, usize) {
        let token = self.tokens[self.position.min(self.tokens.len() - 1)].clone();
        self.position += 1;
        token
    }

    fn unexpected<T>(&self) -> Parsed<T> {
        Err(ConditionError {
            message: format!("unexpected token {}", self.peek()),
            offset: self.at(),
            unsupported: false,
        })
    }

    fn expect(&mut self, op: &str) -> Parsed<()> {
        if matches!(self.peek(), Token::Op(o) if *o == op) {
            self.position += 1;
            Ok(())
        } else {
            self.unexpected()
        }
    }

    fn expression(&mut self, min_precedence: u8) -> Parsed<Node> {
        self.depth += 1;
        if self.depth > 200 {
            return Err(ConditionError {
                message: "expression nested too deeply".to_owned(),
                offset: self.at(),
                unsupported: false,
            });
        }
        let mut left = self.unary()?;
        loop {
            let token = self.peek().clone();
            let at = self.at();
            // `not in`, `not matches`, …
            if token == Token::Ident("not".to_owned()) {
                if let Some((Token::Ident(_), _)) = self.tokens.get(self.position + 1)
                    && let Some((op, 20, _)) = binary_precedence(&self.tokens[self.position + 1].0)
                    && min_precedence <= 20
                {
                    self.position += 2;
                    let right = self.expression(21)?;
                    let inner = Node {
                        kind: NodeKind::Binary(op, Box::new(left), Box::new(right)),
                        at,
                    };
                    left = Node {
                        kind: NodeKind::Unary("!", Box::new(inner)),
                        at,
                    };
                    continue;
                }
                break;
            }
            // `a | f(b)` is `f(a, b)`.
            if token == Token::Op("|") && min_precedence == 0 {
                self.position += 1;
                let (name, name_at) = self.next();
                let Token::Ident(name) = name else {
                    self.position -= 1;
                    return self.unexpected();
                };
                if *self.peek() != Token::Op("(") {
                    return self.unexpected();
                }
                let mut args = vec![left];
                args.extend(self.arguments()?);
                left = Node {
                    kind: NodeKind::Call(name, args),
                    at: name_at,
                };
                continue;
            }
            let Some((op, precedence, right_assoc)) = binary_precedence(&token) else {
                break;
            };
            if precedence < min_precedence {
                break;
            }
            self.position += 1;
            let right = self.expression(if right_assoc {
                precedence
            } else {
                precedence + 1
            })?;
            left = Node {
                kind: NodeKind::Binary(op, Box::new(left), Box::new(right)),
                at,
            };
        }
        if min_precedence == 0 && *self.peek() == Token::Op("?") {
            let at = self.at();
            self.position += 1;
            let consequent = self.expression(0)?;
            self.expect(":")?;
            let alternative = self.expression(0)?;
            left = Node {
                kind: NodeKind::Conditional(
                    Box::new(left),
                    Box::new(consequent),
                    Box::new(alternative),
                ),
                at,
            };
        }
        self.depth -= 1;
        Ok(left)
    }

    fn unary(&mut self) -> Parsed<Node> {
        let at = self.at();
        let op = match self.peek() {
            Token::Op("!") => Some(("!", 50)),
            Token::Ident(w) if w == "not" => Some(("!", 50)),
            Token::Op("-") => Some(("-", 90)),
            Token::Op("+") => Some(("+", 90)),
            _ => None,
        };
        if let Some((op, precedence)) = op {
            self.position += 1;
            let node = self.expression(precedence)?;
            return Ok(Node {
                kind: NodeKind::Unary(op, Box::new(node)),
                at,
            });
        }
        let primary = self.primary()?;
        self.postfix(primary)
    }

    fn primary(&mut self) -> Parsed<Node> {
        let (token, at) = self.next();
        let kind = match token {
            Token::Number(v) => NodeKind::Literal(v),
            Token::String(s) => NodeKind::Literal(Value::String(s)),
            Token::Ident(word) => match word.as_str() {
                "true" => NodeKind::Literal(Value::Bool(true)),
                "false" => NodeKind::Literal(Value::Bool(false)),
                "nil" => NodeKind::Literal(Value::Nil),
                "#" => NodeKind::Pointer,
                _ if *self.peek() == Token::Op("(") => NodeKind::Call(word, self.arguments()?),
                _ => NodeKind::Ident(word),
            },
            // `.name` inside a predicate is `#.name`.
            Token::Op(".") if matches!(self.peek(), Token::Ident(_)) => {
                let (Token::Ident(name), name_at) = self.next() else {
                    return self.unexpected();
                };
                NodeKind::Member(
                    Box::new(Node {
                        kind: NodeKind::Pointer,
                        at,
                    }),
                    Box::new(Node {
                        kind: NodeKind::Literal(Value::String(name)),
                        at: name_at,
                    }),
                )
            }
            Token::Op("(") => {
                let inner = self.expression(0)?;
                self.expect(")")?;
                return Ok(inner);
            }
            Token::Op("[") => {
                let mut items = Vec::new();
                while *self.peek() != Token::Op("]") {
                    items.push(self.expression(0)?);
                    if *self.peek() == Token::Op(",") {
                        self.position += 1;
                    } else if *self.peek() != Token::Op("]") {
                        return self.unexpected();
                    }
                }
                self.position += 1;
                NodeKind::Array(items)
            }
            _ => {
                self.position -= 1;
                return self.unexpected();
            }
        };
        Ok(Node { kind, at })
    }

    /// `(a, {predicate}, …)`, the opening parenthesis next.
    fn arguments(&mut self) -> Parsed<Vec<Node>> {
        self.expect("(")?;
        let mut args = Vec::new();
        while *self.peek() != Token::Op(")") {
            if *self.peek() == Token::Op("{") {
                let brace = self.at();
                self.position += 1;
                let body = self.expression(0)?;
                self.expect("}")?;
                args.push(Node {
                    kind: NodeKind::Predicate(Box::new(body)),
                    at: brace,
                });
            } else {
                args.push(self.expression(0)?);
            }
            if *self.peek() == Token::Op(",") {
                self.position += 1;
            } else if *self.peek() != Token::Op(")") {
                return self.unexpected();
            }
        }
        self.position += 1;
        Ok(args)
    }

    fn postfix(&mut self, mut node: Node) -> Parsed<Node> {
        loop {
            let at = self.at();
            match self.peek() {
                Token::Op("." | "?.") => {
                    self.position += 1;
                    let (name, name_at) = self.next();
                    let Token::Ident(name) = name else {
                        self.position -= 1;
                        return self.unexpected();
                    };
                    if *self.peek() == Token::Op("(") {
                        let args = self.arguments()?;
                        node = Node {
                            kind: NodeKind::Method(Box::new(node), name, args),
                            at: name_at,
                        };
                        continue;
                    }
                    let property = Node {
                        kind: NodeKind::Literal(Value::String(name)),
                        at: name_at,
                    };
                    node = Node {
                        kind: NodeKind::Member(Box::new(node), Box::new(property)),
                        at,
                    };
                }
                Token::Op("[") => {
                    self.position += 1;
                    let from = if *self.peek() == Token::Op(":") {
                        None
                    } else {
                        Some(Box::new(self.expression(0)?))
                    };
                    if *self.peek() == Token::Op(":") {
                        self.position += 1;
                        let to = if *self.peek() == Token::Op("]") {
                            None
                        } else {
                            Some(Box::new(self.expression(0)?))
                        };
                        self.expect("]")?;
                        node = Node {
                            kind: NodeKind::Slice(Box::new(node), from, to),
                            at,
                        };
                    } else {
                        self.expect("]")?;
                        let Some(index) = from else {
                            return self.unexpected();
                        };
                        node = Node {
                            kind: NodeKind::Member(Box::new(node), index),
                            at,
                        };
                    }
                }
                _ => return Ok(node),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Types

#[derive(Debug, Clone, PartialEq)]
enum Type {
    Unknown,
    Nil,
    Bool,
    Int,
    Float,
    String,
    Array(Box<Type>),
}

impl Type {
    fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }

    fn unknown(&self) -> bool {
        *self == Type::Unknown
    }

    fn go(&self) -> String {
        match self {
            Type::Unknown => "interface {}".to_owned(),
            Type::Nil => "nil".to_owned(),
            Type::Bool => "bool".to_owned(),
            Type::Int => "int".to_owned(),
            Type::Float => "float64".to_owned(),
            Type::String => "string".to_owned(),
            Type::Array(elem) => format!("[]{}", elem.go()),
        }
    }

    fn comparable(&self, other: &Type) -> bool {
        self.unknown()
            || other.unknown()
            || *self == Type::Nil
            || *other == Type::Nil
            || (self.is_number() && other.is_number())
            || self == other
    }
}

/// The environment's functions: Go parameter types and the result type.
fn environment_function(name: &str) -> Option<(&'static [Type], Type)> {
    const ANY: &[Type] = &[Type::Unknown];
    const FLOAT: &[Type] = &[Type::Float];
    const TWO: &[Type] = &[Type::Unknown, Type::Unknown];
    Some(match name {
        "asInt" => (ANY, Type::Int),
        "asFloat" => (ANY, Type::Float),
        "isNaN" | "isInf" => (FLOAT, Type::Bool),
        "isNil" => (ANY, Type::Bool),
        "default" => (TWO, Type::Unknown),
        _ => return None,
    })
}

/// expr's builtins this module does not evaluate: they type-check as unknown values.
const OTHER_BUILTINS: [&str; 39] = [
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "groupBy",
    "sortBy",
    "reduce",
    "type",
    "trim",
    "trimPrefix",
    "trimSuffix",
    "upper",
    "lower",
    "split",
    "splitAfter",
    "replace",
    "repeat",
    "join",
    "indexOf",
    "lastIndexOf",
    "hasPrefix",
    "hasSuffix",
    "toJSON",
    "fromJSON",
    "toBase64",
    "fromBase64",
    "now",
    "duration",
    "date",
    "timezone",
    "get",
    "take",
    "keys",
    "values",
    "toPairs",
    "fromPairs",
    "reverse",
    "uniq",
    "concat",
];

const PREDICATE_BUILTINS: [&str; 7] = ["all", "any", "none", "one", "filter", "map", "count"];

const NUMERIC_BUILTINS: [&str; 15] = [
    "len", "sum", "mean", "median", "min", "max", "abs", "floor", "ceil", "round", "int", "float",
    "string", "first", "last",
];

struct Checker {
    result: Type,
}

impl Checker {
    fn error<T>(at: usize, message: String) -> Result<T, ConditionError> {
        Err(ConditionError {
            message,
            offset: at,
            unsupported: false,
        })
    }

    fn check(&self, node: &Node, pointer: Option<&Type>) -> Result<Type, ConditionError> {
        match &node.kind {
            NodeKind::Literal(v) => Ok(match v {
                Value::Nil => Type::Nil,
                Value::Bool(_) => Type::Bool,
                Value::Int(_) => Type::Int,
                Value::Float(_) => Type::Float,
                Value::String(_) => Type::String,
                Value::Array(_) => Type::Array(Box::new(Type::Unknown)),
            }),
            NodeKind::Ident(name) => match name.as_str() {
                "result" => Ok(self.result.clone()),
                _ if environment_function(name).is_some() => {
                    Self::error(node.at, format!("{name} is a function; call it: {name}(…)"))
                }
                _ => Self::error(node.at, format!("unknown name {name}")),
            },
            NodeKind::Pointer => match pointer {
                Some(t) => Ok(t.clone()),
                None => Self::error(
                    node.at,
                    "cannot use pointer accessor outside predicate".to_owned(),
                ),
            },
            NodeKind::Array(items) => {
                let mut elem = None;
                for item in items {
                    let t = self.check(item, pointer)?;
                    elem = match elem {
                        None => Some(t),
                        Some(e) if e == t => Some(e),
                        Some(_) => Some(Type::Unknown),
                    };
                }
                Ok(Type::Array(Box::new(elem.unwrap_or(Type::Unknown))))
            }
            NodeKind::Unary(op, inner) => {
                let t = self.check(inner, pointer)?;
                match *op {
                    "!" if t == Type::Bool || t.unknown() => Ok(Type::Bool),
                    "-" | "+" if t.is_number() || t.unknown() => Ok(t),
                    _ => Self::error(
                        node.at,
                        format!("invalid operation: {op} (mismatched type {})", t.go()),
                    ),
                }
            }
            NodeKind::Binary(op, left, right) => {
                let l = self.check(left, pointer)?;
                let r = self.check(right, pointer)?;
                let any = l.unknown() || r.unknown();
                let numbers = l.is_number() && r.is_number();
                let ok = match *op {
                    "==" | "!=" => l.comparable(&r),
                    "||" | "&&" => {
                        (l == Type::Bool || l.unknown()) && (r == Type::Bool || r.unknown())
                    }
                    "<" | ">" | "<=" | ">=" => {
                        numbers
                            || (l == Type::String && r == Type::String)
                            || (any
                                && [&l, &r]
                                    .iter()
                                    .all(|t| t.unknown() || t.is_number() || **t == Type::String))
                    }
                    "+" => numbers || (l == Type::String && r == Type::String) || any,
                    "-" | "*" | "/" | "**" => {
                        numbers || (any && [&l, &r].iter().all(|t| t.unknown() || t.is_number()))
                    }
                    "%" | ".." => {
                        (l == Type::Int || l.unknown()) && (r == Type::Int || r.unknown())
                    }
                    "in" => match &r {
                        Type::Array(elem) => l.comparable(elem),
                        Type::Unknown => true,
                        _ => false,
                    },
                    "matches" | "contains" | "startsWith" | "endsWith" => {
                        (l == Type::String || l.unknown()) && (r == Type::String || r.unknown())
                    }
                    "??" => true,
                    _ => false,
                };
                if !ok {
                    if *op == "in" && matches!(r, Type::Array(_)) {
                        let Type::Array(elem) = &r else {
                            unreachable!()
                        };
                        return Self::error(
                            node.at,
                            format!("cannot use {} as type {} in array", l.go(), elem.go()),
                        );
                    }
                    return Self::error(
                        node.at,
                        format!(
                            "invalid operation: {op} (mismatched types {} and {})",
                            l.go(),
                            r.go()
                        ),
                    );
                }
                Ok(match *op {
                    "==" | "!=" | "||" | "&&" | "<" | ">" | "<=" | ">=" | "in" | "matches"
                    | "contains" | "startsWith" | "endsWith" => Type::Bool,
                    "/" | "**" => Type::Float,
                    "%" => Type::Int,
                    ".." => Type::Array(Box::new(Type::Int)),
                    "??" => {
                        if l == Type::Nil {
                            r
                        } else {
                            l
                        }
                    }
                    _ if any => Type::Unknown,
                    _ if l == Type::String => Type::String,
                    _ if l == Type::Float || r == Type::Float => Type::Float,
                    _ => Type::Int,
                })
            }
            NodeKind::Member(base, index) => {
                let b = self.check(base, pointer)?;
                let i = self.check(index, pointer)?;
                match &b {
                    Type::Unknown => Ok(Type::Unknown),
                    Type::Nil => Self::error(node.at, "type nil has no field".to_owned()),
                    Type::Array(elem) => match (&index.kind, &i) {
                        (_, Type::Int | Type::Unknown) => Ok((**elem).clone()),
                        (NodeKind::Literal(Value::String(name)), _) => {
                            Self::error(node.at, format!("type {} has no field {name}", b.go()))
                        }
                        _ => Self::error(
                            index.at,
                            format!(
                                "array elements can only be selected using an integer (got {})",
                                i.go()
                            ),
                        ),
                    },
                    Type::String if matches!(i, Type::Int | Type::Unknown) => Ok(Type::String),
                    _ => Self::error(
                        node.at,
                        format!("type {} does not support indexing", b.go()),
                    ),
                }
            }
            NodeKind::Slice(base, from, to) => {
                let b = self.check(base, pointer)?;
                for bound in [from, to].into_iter().flatten() {
                    let t = self.check(bound, pointer)?;
                    if !(t == Type::Int || t.unknown()) {
                        return Self::error(
                            bound.at,
                            format!("non-integer slice index {}", t.go()),
                        );
                    }
                }
                match b {
                    Type::Array(_) | Type::String | Type::Unknown => Ok(b),
                    _ => Self::error(node.at, format!("cannot slice {}", b.go())),
                }
            }
            NodeKind::Predicate(body) => self.check(body, pointer),
            NodeKind::Conditional(condition, consequent, alternative) => {
                let c = self.check(condition, pointer)?;
                if !(c == Type::Bool || c.unknown()) {
                    return Self::error(
                        condition.at,
                        format!("non-bool expression (type {}) used as condition", c.go()),
                    );
                }
                let a = self.check(consequent, pointer)?;
                let b = self.check(alternative, pointer)?;
                Ok(if a == b { a } else { Type::Unknown })
            }
            NodeKind::Call(name, args) => self.check_call(node, name, args, pointer),
            NodeKind::Method(base, name, args) => {
                let b = self.check(base, pointer)?;
                for arg in args {
                    self.check(arg, pointer)?;
                }
                if b.unknown() {
                    Ok(Type::Unknown)
                } else {
                    Self::error(node.at, format!("type {} has no method {name}", b.go()))
                }
            }
        }
    }

    fn check_call(
        &self,
        node: &Node,
        name: &str,
        args: &[Node],
        pointer: Option<&Type>,
    ) -> Result<Type, ConditionError> {
        if let Some((params, out)) = environment_function(name) {
            if args.len() < params.len() {
                return Self::error(node.at, format!("not enough arguments to call {name}"));
            }
            if args.len() > params.len() {
                return Self::error(node.at, format!("too many arguments to call {name}"));
            }
            for (arg, param) in args.iter().zip(params) {
                let t = self.check(arg, pointer)?;
                let fits = param.unknown()
                    || t.unknown()
                    || (param.is_number() && t.is_number())
                    || t == *param;
                if !fits {
                    return Self::error(
                        arg.at,
                        format!(
                            "cannot use {} as argument (type {}) to call {name} ",
                            t.go(),
                            param.go()
                        ),
                    );
                }
            }
            return Ok(out);
        }
        if PREDICATE_BUILTINS.contains(&name) {
            let [collection, predicate] = args else {
                return Self::error(
                    node.at,
                    format!(
                        "invalid number of arguments (expected 2, got {})",
                        args.len()
                    ),
                );
            };
            let c = self.check(collection, pointer)?;
            let elem = match &c {
                Type::Array(elem) => (**elem).clone(),
                Type::Unknown => Type::Unknown,
                _ => {
                    return Self::error(
                        collection.at,
                        format!("builtin {name} takes only array (got {})", c.go()),
                    );
                }
            };
            let p = self.check(predicate, Some(&elem))?;
            if name != "map" && !(p == Type::Bool || p.unknown()) {
                return Self::error(
                    predicate.at,
                    format!("predicate should return boolean (got {})", p.go()),
                );
            }
            return Ok(match name {
                "filter" => c,
                "map" => Type::Array(Box::new(p)),
                "count" => Type::Int,
                _ => Type::Bool,
            });
        }
        if NUMERIC_BUILTINS.contains(&name) {
            let types = args
                .iter()
                .map(|a| self.check(a, pointer))
                .collect::<Result<Vec<_>, _>>()?;
            let one = |types: &[Type]| -> Result<Type, ConditionError> {
                match types {
                    [t] => Ok(t.clone()),
                    _ => Self::error(
                        node.at,
                        format!(
                            "invalid number of arguments (expected 1, got {})",
                            types.len()
                        ),
                    ),
                }
            };
            return match name {
                "len" => match one(&types)? {
                    Type::Array(_) | Type::String | Type::Unknown => Ok(Type::Int),
                    t => Self::error(
                        node.at,
                        format!("invalid argument for len (type {})", t.go()),
                    ),
                },
                "int" => one(&types).map(|_| Type::Int),
                "float" => one(&types).map(|_| Type::Float),
                "string" => one(&types).map(|_| Type::String),
                "abs" => one(&types),
                "floor" | "ceil" | "round" => one(&types).map(|_| Type::Float),
                "mean" | "median" => one(&types).map(|_| Type::Float),
                "first" | "last" => match one(&types)? {
                    Type::Array(elem) => Ok(*elem),
                    _ => Ok(Type::Unknown),
                },
                // sum, min, max: the element type of one array, or of the numbers given.
                _ => match types.as_slice() {
                    [Type::Array(elem)] => Ok((**elem).clone()),
                    [] => Self::error(node.at, format!("not enough arguments to call {name}")),
                    _ if types.iter().all(|t| *t == Type::Int) => Ok(Type::Int),
                    _ => Ok(Type::Unknown),
                },
            };
        }
        if OTHER_BUILTINS.contains(&name) {
            for arg in args {
                self.check(arg, pointer)?;
            }
            return Ok(Type::Unknown);
        }
        if name == "result" {
            return Self::error(node.at, format!("{} is not callable", self.result.go()));
        }
        Self::error(node.at, format!("unknown name {name}"))
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation

enum Stop {
    Error(String),
    NotEvaluated(String),
}

type Run<T> = Result<T, Stop>;

fn runtime<T>(message: String) -> Run<T> {
    Err(Stop::Error(message))
}

struct Machine<'a> {
    result: &'a Value,
}

impl Machine<'_> {
    fn run(&self, node: &Node, pointer: Option<&Value>) -> Run<Value> {
        match &node.kind {
            NodeKind::Literal(v) => Ok(v.clone()),
            NodeKind::Ident(_) => Ok(self.result.clone()),
            NodeKind::Pointer => Ok(pointer.cloned().unwrap_or(Value::Nil)),
            NodeKind::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|i| self.run(i, pointer))
                    .collect::<Run<_>>()?,
            )),
            NodeKind::Unary(op, inner) => {
                let v = self.run(inner, pointer)?;
                match (*op, v) {
                    ("!", Value::Bool(b)) => Ok(Value::Bool(!b)),
                    ("-", Value::Int(i)) => Ok(Value::Int(i.wrapping_neg())),
                    ("-", Value::Float(f)) => Ok(Value::Float(-f)),
                    ("+", v @ (Value::Int(_) | Value::Float(_))) => Ok(v),
                    (op, v) => runtime(format!("invalid operation: {op}{}", v.go_type())),
                }
            }
            NodeKind::Binary(op, left, right) => self.binary(op, left, right, pointer),
            NodeKind::Member(base, index) => {
                let b = self.run(base, pointer)?;
                let i = self.run(index, pointer)?;
                match (&b, &i) {
                    (Value::Array(items), Value::Int(i)) => {
                        let len = items.len() as i64;
                        let at = if *i < 0 { i + len } else { *i };
                        if at < 0 || at >= len {
                            return runtime(format!(
                                "index out of range: {i} (array length is {len})"
                            ));
                        }
                        Ok(items[at as usize].clone())
                    }
                    (Value::Nil, _) => runtime(format!(
                        "cannot fetch {} from <nil>",
                        match &i {
                            Value::String(s) => s.clone(),
                            other => format!("{other:?}"),
                        }
                    )),
                    _ => runtime(format!("cannot fetch {:?} from {}", i, b.go_type())),
                }
            }
            NodeKind::Slice(base, from, to) => {
                let b = self.run(base, pointer)?;
                let Value::Array(items) = b else {
                    return Err(Stop::NotEvaluated("slicing a non-array".to_owned()));
                };
                let len = items.len() as i64;
                let bound = |n: &Option<Box<Node>>, default: i64| -> Run<i64> {
                    match n {
                        None => Ok(default),
                        Some(n) => match self.run(n, pointer)? {
                            Value::Int(i) => Ok((if i < 0 { i + len } else { i }).clamp(0, len)),
                            v => runtime(format!("non-integer slice index {}", v.go_type())),
                        },
                    }
                };
                let (a, z) = (bound(from, 0)?, bound(to, len)?);
                Ok(Value::Array(if a < z {
                    items[a as usize..z as usize].to_vec()
                } else {
                    Vec::new()
                }))
            }
            NodeKind::Predicate(body) => self.run(body, pointer),
            NodeKind::Conditional(c, a, b) => match self.run(c, pointer)? {
                Value::Bool(true) => self.run(a, pointer),
                Value::Bool(false) => self.run(b, pointer),
                v => runtime(format!("non-bool value {} used as condition", v.go_type())),
            },
            NodeKind::Call(name, args) => self.call(name, args, pointer),
            NodeKind::Method(_, name, _) => Err(Stop::NotEvaluated(format!("the method {name}"))),
        }
    }

    fn binary(&self, op: &str, left: &Node, right: &Node, pointer: Option<&Value>) -> Run<Value> {
        let l = self.run(left, pointer)?;
        match op {
            "&&" | "||" => {
                let Value::Bool(lb) = l else {
                    return runtime(format!(
                        "interface conversion: interface {{}} is {}, not bool",
                        l.go_type()
                    ));
                };
                if (op == "&&" && !lb) || (op == "||" && lb) {
                    return Ok(Value::Bool(lb));
                }
                return match self.run(right, pointer)? {
                    Value::Bool(rb) => Ok(Value::Bool(rb)),
                    r => runtime(format!(
                        "interface conversion: interface {{}} is {}, not bool",
                        r.go_type()
                    )),
                };
            }
            "??" => {
                if l != Value::Nil {
                    return Ok(l);
                }
                return self.run(right, pointer);
            }
            _ => {}
        }
        let r = self.run(right, pointer)?;
        let mismatch = || {
            runtime(format!(
                "invalid operation: {} {op} {}",
                l.go_type(),
                r.go_type()
            ))
        };
        match op {
            "==" | "!=" => {
                let equal = match (l.number(), r.number()) {
                    (Some(a), Some(b)) => a == b,
                    _ => l == r,
                };
                Ok(Value::Bool(equal == (op == "==")))
            }
            "<" | ">" | "<=" | ">=" => {
                let ordering = match (&l, &r) {
                    (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                    _ => match (l.number(), r.number()) {
                        (Some(a), Some(b)) => a.partial_cmp(&b),
                        _ => return mismatch(),
                    },
                };
                Ok(Value::Bool(match ordering {
                    None => false, // NaN compares false
                    Some(o) => match op {
                        "<" => o.is_lt(),
                        ">" => o.is_gt(),
                        "<=" => o.is_le(),
                        _ => o.is_ge(),
                    },
                }))
            }
            "+" | "-" | "*" | "/" | "%" | "**" => match (&l, &r) {
                (Value::String(a), Value::String(b)) if op == "+" => {
                    Ok(Value::String(format!("{a}{b}")))
                }
                (Value::Int(a), Value::Int(b)) if !matches!(op, "/" | "**") => match op {
                    "+" => Ok(Value::Int(a.wrapping_add(*b))),
                    "-" => Ok(Value::Int(a.wrapping_sub(*b))),
                    "*" => Ok(Value::Int(a.wrapping_mul(*b))),
                    _ if *b == 0 => runtime("integer divide by zero".to_owned()),
                    _ => Ok(Value::Int(a.wrapping_rem(*b))),
                },
                _ => match (l.number(), r.number()) {
                    (Some(a), Some(b)) if op != "%" => Ok(Value::Float(match op {
                        "+" => a + b,
                        "-" => a - b,
                        "*" => a * b,
                        "/" => a / b,
                        _ => a.powf(b),
                    })),
                    _ => mismatch(),
                },
            },
            "in" => match &r {
                Value::Array(items) => Ok(Value::Bool(items.iter().any(|i| {
                    match (i.number(), l.number()) {
                        (Some(a), Some(b)) => a == b,
                        _ => *i == l,
                    }
                }))),
                _ => mismatch(),
            },
            "contains" | "startsWith" | "endsWith" => match (&l, &r) {
                (Value::String(a), Value::String(b)) => Ok(Value::Bool(match op {
                    "contains" => a.contains(b.as_str()),
                    "startsWith" => a.starts_with(b.as_str()),
                    _ => a.ends_with(b.as_str()),
                })),
                _ => mismatch(),
            },
            _ => Err(Stop::NotEvaluated(format!("the {op} operator"))),
        }
    }

    fn call(&self, name: &str, args: &[Node], pointer: Option<&Value>) -> Run<Value> {
        if PREDICATE_BUILTINS.contains(&name) {
            let [collection, predicate] = args else {
                return runtime(format!("invalid number of arguments to {name}"));
            };
            let Value::Array(items) = self.run(collection, pointer)? else {
                return runtime(format!("builtin {name} takes only array"));
            };
            let mut kept = Vec::new();
            let mut hits = 0;
            for item in &items {
                let out = self.run(predicate, Some(item))?;
                if name == "map" {
                    kept.push(out);
                    continue;
                }
                let Value::Bool(hit) = out else {
                    return runtime("predicate should return boolean".to_owned());
                };
                if hit {
                    hits += 1;
                    if name == "filter" {
                        kept.push(item.clone());
                    }
                }
            }
            let n = items.len();
            return Ok(match name {
                "all" => Value::Bool(hits == n),
                "any" => Value::Bool(hits > 0),
                "none" => Value::Bool(hits == 0),
                "one" => Value::Bool(hits == 1),
                "count" => Value::Int(hits as i64),
                _ => Value::Array(kept),
            });
        }
        let values = args
            .iter()
            .map(|a| self.run(a, pointer))
            .collect::<Run<Vec<_>>>()?;
        let first = values.first().cloned().unwrap_or(Value::Nil);
        let float_arg = |v: &Value| -> Run<f64> {
            v.number().map_or_else(
                || {
                    runtime(format!(
                        "reflect: Call using {} as type float64",
                        v.go_type()
                    ))
                },
                Ok,
            )
        };
        let numbers = |v: &Value| -> Run<Vec<f64>> {
            match v {
                Value::Array(items) => items.iter().map(float_arg).collect(),
                other => runtime(format!("invalid argument (type {})", other.go_type())),
            }
        };
        match name {
            "isNaN" => Ok(Value::Bool(float_arg(&first)?.is_nan())),
            "isInf" => Ok(Value::Bool(float_arg(&first)?.is_infinite())),
            "isNil" => Ok(Value::Bool(*self.result == Value::Nil)),
            "default" => Ok(if *self.result == Value::Nil {
                values.get(1).cloned().unwrap_or(Value::Nil)
            } else {
                self.result.clone()
            }),
            "asFloat" | "asInt" => {
                let f = match &first {
                    Value::String(s) => s.parse::<f64>().or_else(|_| {
                        runtime(format!("strconv.ParseFloat: parsing {s:?}: invalid syntax"))
                    })?,
                    v => v.number().map_or_else(
                        || runtime(format!("{name}() not supported on {} {v:?}", v.go_type())),
                        Ok,
                    )?,
                };
                Ok(if name == "asInt" {
                    Value::Int(f as i64)
                } else {
                    Value::Float(f)
                })
            }
            "len" => match &first {
                Value::Array(items) => Ok(Value::Int(items.len() as i64)),
                Value::String(s) => Ok(Value::Int(s.chars().count() as i64)),
                v => runtime(format!("invalid argument for len (type {})", v.go_type())),
            },
            "abs" => match first {
                Value::Int(i) => Ok(Value::Int(i.wrapping_abs())),
                v => Ok(Value::Float(float_arg(&v)?.abs())),
            },
            "floor" => Ok(Value::Float(float_arg(&first)?.floor())),
            "ceil" => Ok(Value::Float(float_arg(&first)?.ceil())),
            "round" => Ok(Value::Float(float_arg(&first)?.round())),
            "int" => Ok(Value::Int(float_arg(&first)? as i64)),
            "float" => Ok(Value::Float(float_arg(&first)?)),
            "first" | "last" => match first {
                Value::Array(items) => Ok(if name == "first" {
                    items.first().cloned()
                } else {
                    items.last().cloned()
                }
                .unwrap_or(Value::Nil)),
                _ => Ok(Value::Nil),
            },
            "sum" | "mean" | "median" | "min" | "max" => {
                let list = if values.len() == 1 {
                    numbers(&first)?
                } else {
                    values.iter().map(float_arg).collect::<Run<_>>()?
                };
                let n = list.len() as f64;
                Ok(Value::Float(match name {
                    "sum" => list.iter().sum(),
                    "mean" => {
                        if list.is_empty() {
                            0.0
                        } else {
                            list.iter().sum::<f64>() / n
                        }
                    }
                    "median" => {
                        let mut sorted = list.clone();
                        sorted.sort_by(f64::total_cmp);
                        match sorted.len() {
                            0 => 0.0,
                            k if k % 2 == 1 => sorted[k / 2],
                            k => (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0,
                        }
                    }
                    _ if list.is_empty() => {
                        return runtime(format!("not enough arguments to call {name}"));
                    }
                    "min" => list.iter().copied().fold(f64::INFINITY, f64::min),
                    _ => list.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                }))
            }
            other => Err(Stop::NotEvaluated(format!("the builtin {other}"))),
        }
    }
}

// ---------------------------------------------------------------------------------------
// API

/// A condition, parsed and type-checked against a result shape.
#[derive(Debug, Clone)]
pub struct Condition {
    root: Node,
}

impl Condition {
    /// Compiles `text` as the controller does for a result of `shape`.
    pub fn compile(text: &str, shape: ResultShape) -> Result<Condition, ConditionError> {
        let tokens = lex(text)?;
        if let Some((_, at)) = tokens
            .iter()
            .find(|(t, _)| *t == Token::Ident("let".to_owned()) || *t == Token::Op(";"))
        {
            return Err(ConditionError {
                message: "variables and sequences (`let`, `;`) are not checked by rolloutify"
                    .to_owned(),
                offset: *at,
                unsupported: true,
            });
        }
        let mut parser = Parser {
            tokens,
            position: 0,
            depth: 0,
        };
        let root = parser.expression(0)?;
        if *parser.peek() != Token::Eof {
            return parser.unexpected();
        }
        let result = match shape {
            ResultShape::Vector => Type::Array(Box::new(Type::Float)),
            ResultShape::Scalar => Type::Float,
            ResultShape::Unknown => Type::Unknown,
        };
        let out = Checker { result }.check(&root, None)?;
        if !matches!(out, Type::Bool | Type::Unknown) {
            // The controller only finds out when it runs, on every measurement.
            return Err(ConditionError {
                message: format!("expected bool, but got {}", out.go()),
                offset: 0,
                unsupported: false,
            });
        }
        Ok(Condition { root })
    }

    /// Runs the condition on `result`.
    pub fn evaluate(&self, result: &Value) -> Evaluated {
        match (Machine { result }).run(&self.root, None) {
            Ok(Value::Bool(b)) => Evaluated::Bool(b),
            Ok(other) => Evaluated::Error(format!("expected bool, but got {}", other.go_type())),
            Err(Stop::Error(message)) => Evaluated::Error(message),
            Err(Stop::NotEvaluated(what)) => {
                Evaluated::NotEvaluated(format!("rolloutify does not evaluate {what}"))
            }
        }
    }
}

/// A measurement's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Successful,
    Running,
    Pending,
    Inconclusive,
    Error,
    Failed,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Successful => "Successful",
            Phase::Running => "Running",
            Phase::Pending => "Pending",
            Phase::Inconclusive => "Inconclusive",
            Phase::Error => "Error",
            Phase::Failed => "Failed",
        })
    }
}

/// The outcome of one measurement: its phase, and the controller's message for an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub phase: Phase,
    pub message: Option<String>,
    /// The condition that errored (`successCondition`, `failureCondition`).
    pub condition: Option<&'static str>,
    /// Set when the conditions use something this evaluator does not run: the phase is then
    /// not known (reported as Error only if the other condition already errors).
    pub not_evaluated: Option<String>,
}

/// A metric's two conditions, compiled.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub success: Option<(String, Condition)>,
    pub failure: Option<(String, Condition)>,
}

fn is_nil_or_empty(result: &Value) -> bool {
    matches!(result, Value::Nil) || matches!(result, Value::Array(a) if a.is_empty())
}

impl Conditions {
    /// What the controller's `EvaluateResult` decides for `result`.
    pub fn evaluate(&self, result: &Value) -> Outcome {
        let mut verdicts = [None, None];
        for (slot, (kind, condition)) in [
            ("successCondition", &self.success),
            ("failureCondition", &self.failure),
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(i, (k, c))| c.as_ref().map(|c| (i, (k, c))))
        {
            let (text, compiled) = condition;
            match compiled.evaluate(result) {
                Evaluated::Bool(b) => verdicts[slot] = Some(b),
                Evaluated::Error(message) => {
                    let message = if is_nil_or_empty(result) {
                        format!(
                            "could not evaluate {kind} \"{text}\": metric result is nil or empty: no data returned from the metric provider"
                        )
                    } else {
                        format!("could not evaluate {kind} \"{text}\": {message}")
                    };
                    return Outcome {
                        phase: Phase::Error,
                        message: Some(message),
                        condition: Some(kind),
                        not_evaluated: None,
                    };
                }
                Evaluated::NotEvaluated(what) => {
                    return Outcome {
                        phase: Phase::Error,
                        message: None,
                        condition: Some(kind),
                        not_evaluated: Some(what),
                    };
                }
            }
        }
        let phase = match verdicts {
            [None, None] => Phase::Successful,
            [Some(s), None] => {
                if s {
                    Phase::Successful
                } else {
                    Phase::Failed
                }
            }
            [None, Some(f)] => {
                if f {
                    Phase::Failed
                } else {
                    Phase::Successful
                }
            }
            [Some(s), Some(f)] => {
                if f {
                    Phase::Failed
                } else if s {
                    Phase::Successful
                } else {
                    Phase::Inconclusive
                }
            }
        };
        Outcome {
            phase,
            message: None,
            condition: None,
            not_evaluated: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(values: &[f64]) -> Value {
        Value::Array(values.iter().map(|v| Value::Float(*v)).collect())
    }

    fn eval(text: &str, result: &Value, shape: ResultShape) -> Evaluated {
        match Condition::compile(text, shape) {
            Ok(c) => c.evaluate(result),
            Err(e) => Evaluated::Error(format!("compile: {e} at {}", e.offset)),
        }
    }

    // Cases from the controller's utils/evaluate/evaluate_test.go (test names in comments).
    #[test]
    fn the_controllers_evaluate_tests() {
        use Evaluated::Bool;
        let scalar = ResultShape::Scalar;
        let vec = ResultShape::Vector;
        let pair = |success: &str, failure: &str| Conditions {
            success: (!success.is_empty()).then(|| {
                (
                    success.to_owned(),
                    Condition::compile(success, scalar).unwrap(),
                )
            }),
            failure: (!failure.is_empty()).then(|| {
                (
                    failure.to_owned(),
                    Condition::compile(failure, scalar).unwrap(),
                )
            }),
        };
        let one = Value::Float(1.0);
        // TestEvaluateResultWithSuccess, …WithFailure, …Inconclusive,
        // …NoSuccessConditionAndNotFailing, …NoFailureConditionAndNotSuccessful,
        // …NoFailureConditionAndNoSuccessCondition
        for (success, failure, phase) in [
            ("true", "false", Phase::Successful),
            ("true", "true", Phase::Failed),
            ("false", "false", Phase::Inconclusive),
            ("", "false", Phase::Successful),
            ("false", "", Phase::Failed),
            ("", "", Phase::Successful),
        ] {
            assert_eq!(
                pair(success, failure).evaluate(&one).phase,
                phase,
                "{success} / {failure}"
            );
        }
        // TestErrorWithNonBoolReturn, TestErrorWithInvalidReference
        let e = Condition::compile("1", scalar).unwrap_err();
        assert_eq!(e.message, "expected bool, but got int");
        let e = Condition::compile("invalidVariable", scalar).unwrap_err();
        assert_eq!(e.message, "unknown name invalidVariable");
        // TestEvaluateInOperator: 2 in result, result []float64{2, 2}
        assert_eq!(eval("2 in result", &vector(&[2.0, 2.0]), vec), Bool(true));
        // TestEvaluateFloat64: result > 1 on float64(5)
        assert_eq!(eval("result > 1", &Value::Float(5.0), scalar), Bool(true));
        // TestEvaluateAsInt / TestEvaluateAsFloat: asInt(result) == 1, asFloat(result) == 1.1
        assert_eq!(
            eval("asInt(result) == 1", &Value::Float(1.0), scalar),
            Bool(true)
        );
        assert_eq!(
            eval("asFloat(result) == 1.1", &Value::Float(1.1), scalar),
            Bool(true)
        );
        // TestIsInf; isNaN on NaN
        assert_eq!(
            eval("isInf(result)", &Value::Float(f64::INFINITY), scalar),
            Bool(true)
        );
        assert_eq!(
            eval("isNaN(result)", &Value::Float(f64::NAN), scalar),
            Bool(true)
        );
        assert_eq!(
            eval("result > 0.5", &Value::Float(f64::NAN), scalar),
            Bool(false)
        );
        // TestDefaultFunc / TestIsNilFunc on a value that is not nil
        assert_eq!(
            eval("default(result, 0) > 1", &Value::Float(2.0), scalar),
            Bool(true)
        );
        assert_eq!(eval("isNil(result)", &vector(&[]), vec), Bool(false));
        // TestEvaluateResultErrorMessageWithEmptySlice
        let unguarded = Conditions {
            success: Some((
                "result[0] >= 0.95".to_owned(),
                Condition::compile("result[0] >= 0.95", vec).unwrap(),
            )),
            failure: None,
        };
        let outcome = unguarded.evaluate(&vector(&[]));
        assert_eq!(outcome.phase, Phase::Error);
        assert!(
            outcome
                .message
                .unwrap()
                .contains("metric result is nil or empty")
        );
        // all() over a vector
        assert_eq!(
            eval("all(result, {# > 1})", &vector(&[2.0, 3.0]), vec),
            Bool(true)
        );
        assert_eq!(
            eval("all(result, {# > 1})", &vector(&[1.0, 3.0]), vec),
            Bool(false)
        );
    }

    #[test]
    fn compile_errors_name_what_and_where() {
        let err = |text: &str, shape| Condition::compile(text, shape).unwrap_err();
        let e = err("len(result) > 0 && reslt[0] >= 0.95", ResultShape::Vector);
        assert_eq!((e.message.as_str(), e.offset), ("unknown name reslt", 19));
        let e = err("result >= 0.95", ResultShape::Vector);
        assert_eq!(
            e.message,
            "invalid operation: >= (mismatched types []float64 and float64)"
        );
        let e = err("result[0] >= 0.95 &&", ResultShape::Vector);
        assert_eq!((e.message.as_str(), e.offset), ("unexpected token EOF", 20));
        let e = err("isNaN(result)", ResultShape::Vector);
        assert_eq!(
            e.message,
            "cannot use []float64 as argument (type float64) to call isNaN "
        );
        let e = err("isNaN()", ResultShape::Vector);
        assert_eq!(e.message, "not enough arguments to call isNaN");
        let e = err("result[0]", ResultShape::Vector);
        assert_eq!(e.message, "expected bool, but got float64");
        // A scalar result is indexed by nothing.
        let e = err("result[0] > 1", ResultShape::Scalar);
        assert_eq!(e.message, "type float64 does not support indexing");
        // Another provider: the shape is unknown, names still are checked.
        assert!(Condition::compile("result.ok == true", ResultShape::Unknown).is_ok());
        assert_eq!(
            err("foo == true", ResultShape::Unknown).message,
            "unknown name foo"
        );
    }

    #[test]
    fn no_data_outcomes_as_the_controller_measures_them() {
        let compile = |t: &str| {
            Some((
                t.to_owned(),
                Condition::compile(t, ResultShape::Vector).unwrap(),
            ))
        };
        let unguarded = Conditions {
            success: compile("result[0] >= 0.95"),
            failure: None,
        };
        let outcome = unguarded.evaluate(&vector(&[]));
        assert_eq!(outcome.phase, Phase::Error);
        assert_eq!(
            outcome.message.as_deref(),
            Some(
                "could not evaluate successCondition \"result[0] >= 0.95\": metric result is nil or empty: no data returned from the metric provider"
            )
        );
        // NaN compares false: no failure condition, so it fails.
        assert_eq!(
            unguarded.evaluate(&vector(&[f64::NAN])).phase,
            Phase::Failed
        );
        assert_eq!(
            unguarded.evaluate(&vector(&[0.97])).phase,
            Phase::Successful
        );
        let guarded = Conditions {
            success: compile("len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.95"),
            failure: compile("len(result) > 0 && !isNaN(result[0]) && result[0] < 0.95"),
        };
        assert_eq!(guarded.evaluate(&vector(&[])).phase, Phase::Inconclusive);
        assert_eq!(
            guarded.evaluate(&vector(&[f64::NAN])).phase,
            Phase::Inconclusive
        );
        assert_eq!(guarded.evaluate(&vector(&[0.5])).phase, Phase::Failed);
        // Out of range on data too.
        let second = Conditions {
            success: compile("result[1] > 0"),
            failure: None,
        };
        let outcome = second.evaluate(&vector(&[1.0]));
        assert_eq!(outcome.phase, Phase::Error);
        assert!(
            outcome
                .message
                .unwrap()
                .ends_with("index out of range: 1 (array length is 1)")
        );
    }

    #[test]
    fn precedence_and_operators() {
        let v = vector(&[0.9, 0.8]);
        let t = |s: &str| eval(s, &v, ResultShape::Vector);
        assert_eq!(
            t("!isNaN(result[0]) && result[0] > 0.5"),
            Evaluated::Bool(true)
        );
        assert_eq!(
            t("not (result[0] > 0.5) or result[1] < 0.85"),
            Evaluated::Bool(true)
        );
        assert_eq!(t("result[-1] == 0.8"), Evaluated::Bool(true));
        assert_eq!(
            t("2 ** 3 == 8 and 7 % 4 == 3 and -2 ** 2 == -4"),
            Evaluated::Bool(true)
        );
        assert_eq!(
            t("len(result) > 1 ? result[1] < 1 : false"),
            Evaluated::Bool(true)
        );
        assert_eq!(
            t("sum(result) > 1.6 && mean(result) >= 0.85"),
            Evaluated::Bool(true)
        );
        assert_eq!(t("count(result, {# > 0.85}) == 1"), Evaluated::Bool(true));
        assert_eq!(t("0.9 not in result"), Evaluated::Bool(false));
        assert_eq!(t("len(result[1:]) == 1"), Evaluated::Bool(true));
        assert!(matches!(t("upper('a') == 'A'"), Evaluated::NotEvaluated(_)));
        // The skywalking example of the controller's docs: `.value` is `#.value`.
        assert!(
            Condition::compile(
                "all(result.service_apdex.values.values, {asFloat(.value) >= 9900})",
                ResultShape::Unknown
            )
            .is_ok()
        );
        assert!(Condition::compile("all(result, {.value > 1})", ResultShape::Vector).is_err());
        // Pipes, predicates without braces, methods of an unknown result.
        assert_eq!(t("result | all(# > 0.5)"), Evaluated::Bool(true));
        assert_eq!(
            t("filter(result, # > 0.85) | len() == 1"),
            Evaluated::Bool(true)
        );
        assert!(Condition::compile("result.Name() == 'hi'", ResultShape::Unknown).is_ok());
        assert_eq!(
            Condition::compile("result.Name() == 'hi'", ResultShape::Scalar)
                .unwrap_err()
                .message,
            "type float64 has no method Name"
        );
        assert!(
            Condition::compile("let x = result[0]; x > 1", ResultShape::Vector)
                .unwrap_err()
                .unsupported
        );
    }

    #[test]
    fn results_are_read_as_a_user_writes_them() {
        assert_eq!(
            parse_result("[]").unwrap(),
            (vector(&[]), ResultShape::Vector)
        );
        let (v, _) = parse_result("[NaN, 0.5]").unwrap();
        assert_eq!(v.go_type(), "[]float64");
        assert_eq!(
            parse_result("0.5").unwrap(),
            (Value::Float(0.5), ResultShape::Scalar)
        );
        assert!(parse_result("[x]").is_err());
        assert!(parse_result("[1").is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Any text compiles or is an error inside it, and what compiles evaluates on no data,
        /// NaN and a value without a panic.
        #[test]
        fn any_condition_compiles_or_errs_and_evaluates(
            text in r#"[a-zA-Z_#(){}\[\]"'=!<>&|?:+*/%^,. 0-9-]{0,40}|(result|len|isNaN|default|all|asInt)[(\[0-9\]), ><=&|!.#{}a-z]{0,30}"#
        ) {
            for shape in [ResultShape::Vector, ResultShape::Scalar, ResultShape::Unknown] {
                match Condition::compile(&text, shape) {
                    Ok(condition) => {
                        for value in [
                            Value::Array(Vec::new()),
                            Value::Array(vec![Value::Float(f64::NAN)]),
                            Value::Float(1.0),
                        ] {
                            let _ = condition.evaluate(&value);
                        }
                    }
                    Err(e) => prop_assert!(e.offset <= text.len()),
                }
            }
        }
    }
}
