//! `parse-kv`: one key's value out of key/value text, in Kusto's three extraction modes.
//!
//! - Specified delimiters (`pair_delimiter` and `kv_delimiter`): the text splits into pairs at the
//!   pair delimiter (not inside quotes), each pair into key and value at its first kv delimiter.
//!   With `greedy=true` a piece without a kv delimiter belongs to the previous value, so values may
//!   contain the pair delimiter (`name=John Doe city=New York`).
//! - Unspecified delimiters: any character that is not alphanumeric (or `_`) separates; a key is a
//!   word, its value the word or quoted text after it (`ThreadId:458745723, Machine:Node001`).
//! - Regex (`regex=`): a pattern with two capture groups, key and value.
//!
//! In every mode keys and values are trimmed, a key or value wrapped in one of the `quote` pairs is
//! unwrapped (an `escape` character inside quotes takes the next character literally), and the
//! first occurrence of a key wins. A key that does not occur gives null; the planner turns that into
//! the column type's empty value and converts the text to the column's type.
//!
//! Does not own: the operator's syntax or which columns it adds (the planner).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::DataFusionError;
use datafusion::logical_expr::{Expr, lit};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::scalar::udf::{DfResult, arg, call, str_at, strings};
use crate::{FunctionError, Result, TypedExpr};

/// The `with (...)` options of one `parse-kv`, validated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParseKvOptions {
    /// Both delimiters, or neither (unspecified-delimiter mode).
    pub delimiters: Option<(String, String)>,
    /// Opening and closing quote characters.
    pub quotes: Vec<(char, char)>,
    pub escapes: Vec<char>,
    pub greedy: bool,
    pub regex: Option<String>,
}

impl ParseKvOptions {
    /// Builds the options from `name = text` pairs as written in the query; errors name the option.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<ParseKvOptions> {
        let invalid = |reason: String| FunctionError::InvalidArgument { name: "parse-kv".to_string(), reason };
        let mut options = ParseKvOptions::default();
        let (mut pair, mut kv) = (None, None);
        for (name, value) in pairs {
            match name.as_str() {
                "pair_delimiter" => pair = Some(value.clone()),
                "kv_delimiter" => kv = Some(value.clone()),
                "quote" => {
                    let chars: Vec<char> = value.chars().collect();
                    match chars.as_slice() {
                        [both] => options.quotes.push((*both, *both)),
                        [open, close] => options.quotes.push((*open, *close)),
                        _ => return Err(invalid(format!("'quote' must be one or two characters, not '{value}'"))),
                    }
                }
                "escape" => {
                    let chars: Vec<char> = value.chars().collect();
                    match chars.as_slice() {
                        [escape] => options.escapes.push(*escape),
                        _ => return Err(invalid(format!("'escape' must be one character, not '{value}'"))),
                    }
                }
                "greedy" => {
                    options.greedy = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(invalid(format!("'greedy' must be true or false, not '{value}'"))),
                    }
                }
                "regex" => {
                    let compiled = Regex::new(value).map_err(|error| invalid(format!("invalid 'regex': {error}")))?;
                    if compiled.captures_len() != 3 {
                        return Err(invalid("'regex' must have exactly two capturing groups (key, value)".to_string()));
                    }
                    options.regex = Some(value.clone());
                }
                other => {
                    return Err(invalid(format!(
                        "unknown option '{other}' (expected pair_delimiter, kv_delimiter, quote, escape, greedy or regex)"
                    )));
                }
            }
        }
        options.delimiters = match (pair, kv) {
            (Some(pair), Some(kv)) if !pair.is_empty() && !kv.is_empty() => Some((pair, kv)),
            (None, None) => None,
            _ => return Err(invalid("'pair_delimiter' and 'kv_delimiter' must both be given, and not empty".to_string())),
        };
        if options.regex.is_some() && (options.delimiters.is_some() || !options.quotes.is_empty() || options.greedy) {
            return Err(invalid("'regex' cannot be combined with delimiters, quotes or greedy".to_string()));
        }
        if options.greedy && options.delimiters.is_none() {
            return Err(invalid("'greedy' needs 'pair_delimiter' and 'kv_delimiter'".to_string()));
        }
        Ok(options)
    }
}

/// The text value of `key` in `text` (a string expression), null where the key does not occur.
pub fn plan_parse_kv_value(text: TypedExpr, key: &str, options: &ParseKvOptions) -> Result<Expr> {
    let encoded = serde_json::to_string(options)
        .map_err(|error| FunctionError::InvalidArgument { name: "parse-kv".to_string(), reason: error.to_string() })?;
    Ok(call("parse_kv_value", DataType::Utf8, parse_kv_kernel, vec![text.expr, lit(key.to_string()), lit(encoded)]))
}

fn parse_kv_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let keys = strings(arg(args, 1)?)?;
    let encoded = strings(arg(args, 2)?)?;
    let mut builder = StringBuilder::with_capacity(texts.len(), 0);
    if texts.is_empty() {
        return Ok(Arc::new(builder.finish()));
    }
    let options: ParseKvOptions = serde_json::from_str(str_at(&encoded, 0))
        .map_err(|error| DataFusionError::Internal(format!("parse-kv options: {error}")))?;
    let regex = match &options.regex {
        Some(pattern) => Some(Regex::new(pattern).map_err(|error| DataFusionError::Execution(error.to_string()))?),
        None => None,
    };
    for row in 0..texts.len() {
        if texts.is_null(row) {
            builder.append_null();
            continue;
        }
        let text = texts.value(row);
        let key = str_at(&keys, row);
        let value = match (&regex, &options.delimiters) {
            (Some(regex), _) => regex_value(regex, text, key),
            (None, Some((pair, kv))) => delimited_value(text, key, pair, kv, &options),
            (None, None) => word_value(text, key, &options),
        };
        builder.append_option(value);
    }
    Ok(Arc::new(builder.finish()))
}

fn regex_value(regex: &Regex, text: &str, key: &str) -> Option<String> {
    regex.captures_iter(text).find_map(|captures| {
        let found = captures.get(1)?.as_str().trim();
        (found == key).then(|| captures.get(2).map(|value| value.as_str().trim().to_string()).unwrap_or_default())
    })
}

/// The closing quote for `c` when it opens a quote.
fn closing_quote(options: &ParseKvOptions, c: char) -> Option<char> {
    options.quotes.iter().find(|(open, _)| *open == c).map(|(_, close)| *close)
}

/// Splits `text` at every `delimiter` outside quotes.
fn split_outside_quotes<'a>(text: &'a str, delimiter: &str, options: &ParseKvOptions) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut closing: Option<char> = None;
    let mut escaped = false;
    let mut index = 0;
    while index < text.len() {
        let Some(c) = text[index..].chars().next() else { break };
        match closing {
            Some(close) => {
                if escaped {
                    escaped = false;
                } else if options.escapes.contains(&c) {
                    escaped = true;
                } else if c == close {
                    closing = None;
                }
            }
            None => {
                if text[index..].starts_with(delimiter) {
                    pieces.push(&text[start..index]);
                    index += delimiter.len();
                    start = index;
                    continue;
                }
                closing = closing_quote(options, c);
            }
        }
        index += c.len_utf8();
    }
    pieces.push(&text[start..]);
    pieces
}

/// Trims `text` and, when one of the quote pairs wraps it, unwraps it and resolves escapes.
fn unquote(text: &str, options: &ParseKvOptions) -> String {
    let trimmed = text.trim();
    let mut chars = trimmed.chars();
    if let Some(first) = chars.next()
        && let Some(close) = closing_quote(options, first)
        && trimmed.len() >= first.len_utf8() + close.len_utf8()
        && trimmed.ends_with(close)
    {
        let inner = &trimmed[first.len_utf8()..trimmed.len() - close.len_utf8()];
        let mut out = String::with_capacity(inner.len());
        let mut escaped = false;
        for c in inner.chars() {
            if escaped {
                out.push(c);
                escaped = false;
            } else if options.escapes.contains(&c) {
                escaped = true;
            } else {
                out.push(c);
            }
        }
        return out;
    }
    trimmed.to_string()
}

fn delimited_value(text: &str, key: &str, pair: &str, kv: &str, options: &ParseKvOptions) -> Option<String> {
    // (key, raw value) per pair; greedy mode glues kv-less pieces onto the previous value.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in split_outside_quotes(text, pair, options) {
        let parts = split_outside_quotes(piece, kv, options);
        if parts.len() >= 2 {
            let raw_value = piece[parts[0].len() + kv.len()..].to_string();
            pairs.push((unquote(parts[0], options), raw_value));
        } else if options.greedy
            && let Some((_, value)) = pairs.last_mut()
        {
            value.push_str(pair);
            value.push_str(piece);
        }
    }
    pairs.into_iter().find(|(found, _)| found == key).map(|(_, value)| unquote(&value, options))
}

enum Token {
    Word(String),
    Quoted(String),
}

fn word_value(text: &str, key: &str, options: &ParseKvOptions) -> Option<String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if let Some(close) = closing_quote(options, c) {
            let mut value = String::new();
            let mut escaped = false;
            for (_, inner) in chars.by_ref() {
                if escaped {
                    value.push(inner);
                    escaped = false;
                } else if options.escapes.contains(&inner) {
                    escaped = true;
                } else if inner == close {
                    break;
                } else {
                    value.push(inner);
                }
            }
            tokens.push(Token::Quoted(value));
        } else if c.is_alphanumeric() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(next_start, next)) = chars.peek() {
                if !(next.is_alphanumeric() || next == '_') {
                    break;
                }
                end = next_start + next.len_utf8();
                chars.next();
            }
            tokens.push(Token::Word(text[start..end].to_string()));
        }
    }
    tokens.windows(2).find_map(|window| match window {
        [Token::Word(found) | Token::Quoted(found), Token::Word(value) | Token::Quoted(value)] if found == key => {
            Some(value.trim().to_string())
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> ParseKvOptions {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ParseKvOptions::from_pairs(&pairs).expect("valid options")
    }

    fn value(text: &str, key: &str, options: &ParseKvOptions) -> Option<String> {
        match &options.delimiters {
            Some((pair, kv)) => delimited_value(text, key, pair, kv, options),
            None => word_value(text, key, options),
        }
    }

    /// Proves the specified-delimiter mode splits pairs outside quotes and unwraps quoted keys and values.
    #[test]
    fn delimited_with_quotes() {
        let opts = options(&[("pair_delimiter", " "), ("kv_delimiter", "="), ("quote", "()")]);
        let text = "src=10.1.1.123 bytes=125 failure=(connection aborted) (event time)=(2021-01-01 10:00:54)";
        assert_eq!(value(text, "src", &opts).as_deref(), Some("10.1.1.123"));
        assert_eq!(value(text, "failure", &opts).as_deref(), Some("connection aborted"));
        assert_eq!(value(text, "event time", &opts).as_deref(), Some("2021-01-01 10:00:54"));
        assert_eq!(value(text, "missing", &opts), None);
    }

    /// Proves escapes inside quotes take the next character literally.
    #[test]
    fn escapes_inside_quotes() {
        let opts = options(&[("pair_delimiter", " "), ("kv_delimiter", "="), ("quote", "\""), ("escape", "\\")]);
        let text = r#"a=1 failure="the host sent \"bye!\"" b=2"#;
        assert_eq!(value(text, "failure", &opts).as_deref(), Some(r#"the host sent "bye!""#));
        assert_eq!(value(text, "b", &opts).as_deref(), Some("2"));
    }

    /// Proves greedy values run up to the next key, and non-greedy ones stop at the pair delimiter.
    #[test]
    fn greedy_values() {
        let greedy = options(&[("pair_delimiter", " "), ("kv_delimiter", "="), ("greedy", "true")]);
        let text = "name=John Doe phone=555 5555 city=New York";
        assert_eq!(value(text, "name", &greedy).as_deref(), Some("John Doe"));
        assert_eq!(value(text, "city", &greedy).as_deref(), Some("New York"));
        let plain = options(&[("pair_delimiter", " "), ("kv_delimiter", "=")]);
        assert_eq!(value(text, "name", &plain).as_deref(), Some("John"));
    }

    /// Proves the unspecified-delimiter mode pairs a key word with the word or quoted text after it.
    #[test]
    fn unspecified_delimiters() {
        let opts = options(&[("quote", "'"), ("escape", "\\")]);
        let text = r"2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: 'The service \' is up'";
        assert_eq!(value(text, "ThreadId", &opts).as_deref(), Some("458745723"));
        assert_eq!(value(text, "Machine", &opts).as_deref(), Some("Node001"));
        assert_eq!(value(text, "Text", &opts).as_deref(), Some("The service ' is up"));
    }

    /// Proves regex mode takes the first match whose key group is the key.
    #[test]
    fn regex_mode() {
        let regex = Regex::new(r"(\w+)=(\w+)").expect("valid");
        assert_eq!(regex_value(&regex, "a=1, b=2, a=3", "a").as_deref(), Some("1"));
        assert_eq!(regex_value(&regex, "a=1", "c"), None);
    }

    /// Proves invalid option combinations are errors that name the option.
    #[test]
    fn invalid_options() {
        let check = |pairs: &[(&str, &str)], needle: &str| {
            let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let error = ParseKvOptions::from_pairs(&pairs).expect_err("invalid").to_string();
            assert!(error.contains(needle), "{error} should mention {needle}");
        };
        check(&[("pair_delimiter", ",")], "kv_delimiter");
        check(&[("quote", "abc")], "quote");
        check(&[("regex", "(a)")], "two capturing groups");
        check(&[("greedy", "true")], "greedy");
        check(&[("colour", "x")], "colour");
    }
}
