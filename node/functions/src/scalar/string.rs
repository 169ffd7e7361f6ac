//! String functions: `strlen`, `substring`, `tolower`, `toupper`, `trim`, `trim_start`,
//! `trim_end`, `strcat`, `strcat_delim`, `split`, `replace_string`, `replace_regex`, `extract`,
//! `extract_all`, `indexof`, `countof`, `reverse`, `strrep`, `url_encode`, `url_decode`,
//! `base64_encode_tostring`, `base64_decode_tostring`, `isascii`.
//!
//! Owns: Kusto's string rules — positions and lengths count characters, a negative
//! `substring`/`indexof` start counts from the end, results are never null ("" instead),
//! non-string arguments are printed with `tostring` rules first, regex replacements use `\1`
//! for groups, and a bad regex computed per row matches nothing instead of failing the query.
//!
//! Does not own: string operators (`has`, `contains`, ...: `crate::operators`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, lit};
use regex::Regex;
use serde_json::Value;
use tarn_common::KustoType;

use super::udf::{DfResult, arg, call, dynamic_array, longs, rows, str_at, string_array, strings};
use super::{
    VARIADIC_ARGUMENTS_MAX, cast_to, check_count, exact_args, kusto_type_of, require_type,
};
use crate::convert::plan_convert;
use crate::operators::RegexCache;
use crate::{FunctionError, Result, TypedExpr};

/// The most repetitions `strrep` performs (Kusto caps the multiplier at 1024).
pub const STRREP_REPEATS_MAX: i64 = 1024;

/// An argument read as a string with tostring rules (a dynamic string prints its contents).
fn as_string(arg: TypedExpr) -> Result<Expr> {
    match arg.data_type {
        DataType::Utf8 | DataType::Utf8View | DataType::Null => Ok(arg.expr),
        _ => plan_convert(arg, KustoType::String),
    }
}

fn as_long(name: &str, position: usize, arg: TypedExpr) -> Result<Expr> {
    require_type(name, position, &arg, &[KustoType::Int, KustoType::Long])?;
    Ok(cast_to(arg, &DataType::Int64))
}

/// A constant regex that does not compile is a semantic error at plan time.
fn check_regex(name: &str, pattern: &TypedExpr) -> Result<Option<Regex>> {
    let text = match &pattern.expr {
        Expr::Literal(ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)), _) => text,
        _ => return Ok(None),
    };
    Regex::new(text)
        .map(Some)
        .map_err(|error| FunctionError::InvalidArgument {
            name: name.to_string(),
            reason: format!("invalid regex '{text}': {error}"),
        })
}

pub(crate) fn plan(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    match name {
        "strlen"
        | "tolower"
        | "toupper"
        | "reverse"
        | "url_encode"
        | "url_decode"
        | "base64_encode_tostring"
        | "base64_decode_tostring"
        | "isascii" => {
            let [value] = exact_args::<1>(name, args)?;
            let (return_type, kernel): (DataType, super::udf::Kernel) = match name {
                "strlen" => (DataType::Int64, strlen_kernel),
                "tolower" => (DataType::Utf8, tolower_kernel),
                "toupper" => (DataType::Utf8, toupper_kernel),
                "reverse" => (DataType::Utf8, reverse_kernel),
                "url_encode" => (DataType::Utf8, url_encode_kernel),
                "url_decode" => (DataType::Utf8, url_decode_kernel),
                "base64_encode_tostring" => (DataType::Utf8, base64_encode_kernel),
                "base64_decode_tostring" => (DataType::Utf8, base64_decode_kernel),
                _ => (DataType::Boolean, isascii_kernel),
            };
            Ok(call(name, return_type, kernel, vec![as_string(value)?]))
        }
        "substring" => {
            check_count(name, &args, 2, 3)?;
            let mut planned = Vec::new();
            for (index, value) in args.into_iter().enumerate() {
                planned.push(if index == 0 {
                    as_string(value)?
                } else {
                    as_long(name, index + 1, value)?
                });
            }
            Ok(call(name, DataType::Utf8, substring_kernel, planned))
        }
        "trim" | "trim_start" | "trim_end" => {
            let [pattern, value] = exact_args::<2>(name, args)?;
            require_type(name, 1, &pattern, &[KustoType::String])?;
            check_regex(name, &pattern)?;
            let sides = lit(match name {
                "trim" => 3_i64,
                "trim_start" => 1,
                _ => 2,
            });
            Ok(call(
                "trim",
                DataType::Utf8,
                trim_kernel,
                vec![sides, pattern.expr, as_string(value)?],
            ))
        }
        "strcat" => {
            check_count(name, &args, 1, VARIADIC_ARGUMENTS_MAX)?;
            let planned = args
                .into_iter()
                .map(as_string)
                .collect::<Result<Vec<_>>>()?;
            Ok(call(name, DataType::Utf8, strcat_kernel, planned))
        }
        "strcat_delim" => {
            check_count(name, &args, 3, VARIADIC_ARGUMENTS_MAX)?;
            let planned = args
                .into_iter()
                .map(as_string)
                .collect::<Result<Vec<_>>>()?;
            Ok(call(name, DataType::Utf8, strcat_delim_kernel, planned))
        }
        "split" => {
            check_count(name, &args, 2, 3)?;
            let mut planned = Vec::new();
            for (index, value) in args.into_iter().enumerate() {
                planned.push(if index < 2 {
                    as_string(value)?
                } else {
                    as_long(name, index + 1, value)?
                });
            }
            Ok(call(name, DataType::LargeUtf8, split_kernel, planned))
        }
        "replace_string" => {
            let [text, lookup, rewrite] = exact_args::<3>(name, args)?;
            Ok(call(
                name,
                DataType::Utf8,
                replace_string_kernel,
                vec![as_string(text)?, as_string(lookup)?, as_string(rewrite)?],
            ))
        }
        "replace_regex" => {
            let [text, pattern, rewrite] = exact_args::<3>(name, args)?;
            require_type(name, 2, &pattern, &[KustoType::String])?;
            check_regex(name, &pattern)?;
            Ok(call(
                name,
                DataType::Utf8,
                replace_regex_kernel,
                vec![as_string(text)?, pattern.expr, as_string(rewrite)?],
            ))
        }
        "extract" => plan_extract(name, args),
        "extract_all" => {
            check_count(name, &args, 2, 3)?;
            let mut args = args.into_iter();
            let Some(pattern) = args.next() else {
                return Err(FunctionError::WrongArgumentCount { name: name.to_string(), expected: "between 2 and 3".to_string(), actual: 0 });
            };
            require_type(name, 1, &pattern, &[KustoType::String])?;
            if let Some(regex) = check_regex(name, &pattern)?
                && regex.captures_len() < 2
            {
                return Err(FunctionError::InvalidArgument {
                    name: name.to_string(),
                    reason: "the regex must have at least one capturing group".to_string(),
                });
            }
            let mut planned = vec![pattern.expr];
            let mut rest: Vec<TypedExpr> = args.collect();
            let Some(text) = rest.pop() else {
                return Err(FunctionError::WrongArgumentCount { name: name.to_string(), expected: "between 2 and 3".to_string(), actual: 1 });
            };
            if let Some(groups) = rest.pop() {
                require_type(name, 2, &groups, &[KustoType::Dynamic])?;
                planned.push(groups.expr);
            }
            planned.push(as_string(text)?);
            Ok(call(name, DataType::LargeUtf8, extract_all_kernel, planned))
        }
        "indexof" => {
            check_count(name, &args, 2, 5)?;
            let mut planned = Vec::new();
            for (index, value) in args.into_iter().enumerate() {
                planned.push(if index < 2 {
                    as_string(value)?
                } else {
                    as_long(name, index + 1, value)?
                });
            }
            Ok(call(name, DataType::Int64, indexof_kernel, planned))
        }
        "countof" => {
            check_count(name, &args, 2, 3)?;
            let mut args = args.into_iter();
            let (Some(text), Some(search)) = (args.next(), args.next()) else {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.to_string(),
                    expected: "between 2 and 3".to_string(),
                    actual: 0,
                });
            };
            let kind = match args.next() {
                Some(kind) => {
                    require_type(name, 3, &kind, &[KustoType::String])?;
                    kind.expr
                }
                None => lit("normal"),
            };
            Ok(call(
                name,
                DataType::Int64,
                countof_kernel,
                vec![as_string(text)?, as_string(search)?, kind],
            ))
        }
        "strrep" => {
            check_count(name, &args, 2, 3)?;
            let mut planned = Vec::new();
            for (index, value) in args.into_iter().enumerate() {
                planned.push(if index == 1 {
                    as_long(name, 2, value)?
                } else {
                    as_string(value)?
                });
            }
            Ok(call(name, DataType::Utf8, strrep_kernel, planned))
        }
        _ => Err(FunctionError::UnknownFunction {
            name: name.to_string(),
        }),
    }
}

/// `extract(regex, group, text[, typeof(T)])`: the group's text in the first match, converted to
/// T when given (the planner passes the type name as a string literal: "long", "datetime", ...).
fn plan_extract(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    check_count(name, &args, 3, 4)?;
    let mut args = args.into_iter();
    let (Some(pattern), Some(group), Some(text)) = (args.next(), args.next(), args.next()) else {
        return Err(FunctionError::WrongArgumentCount {
            name: name.to_string(),
            expected: "between 3 and 4".to_string(),
            actual: 0,
        });
    };
    require_type(name, 1, &pattern, &[KustoType::String])?;
    check_regex(name, &pattern)?;
    let group = as_long(name, 2, group)?;
    let extracted = call(
        name,
        DataType::Utf8,
        extract_kernel,
        vec![pattern.expr, group, as_string(text)?],
    );
    let Some(target) = args.next() else {
        return Ok(extracted);
    };
    let target_type = match &target.expr {
        Expr::Literal(ScalarValue::Utf8(Some(type_name)), _) => KustoType::parse(type_name),
        _ => None,
    };
    let Some(target_type) = target_type else {
        return Err(FunctionError::InvalidArgument {
            name: name.to_string(),
            reason: "the fourth argument must be typeof(<type>)".to_string(),
        });
    };
    if kusto_type_of(name, 4, &target)? != Some(KustoType::String) {
        return Err(super::wrong_type(name, 4, "typeof(<type>)", &target));
    }
    plan_convert(TypedExpr::new(extracted, DataType::Utf8), target_type)
}

/// A kernel mapping each string to a string with `$body`.
macro_rules! string_map_kernel {
    ($kernel:ident, $text:ident => $body:expr) => {
        fn $kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
            let texts = strings(arg(args, 0)?)?;
            let mapped: Vec<String> = (0..texts.len())
                .map(|row| {
                    let $text: &str = str_at(&texts, row);
                    $body
                })
                .collect();
            Ok(string_array(mapped))
        }
    };
}

string_map_kernel!(tolower_kernel, text => text.to_lowercase());
string_map_kernel!(toupper_kernel, text => text.to_uppercase());
string_map_kernel!(reverse_kernel, text => text.chars().rev().collect());
string_map_kernel!(url_encode_kernel, text => url_encode(text));
string_map_kernel!(url_decode_kernel, text => url_decode(text).unwrap_or_default());
string_map_kernel!(base64_encode_kernel, text => base64_encode(text.as_bytes()));
string_map_kernel!(base64_decode_kernel, text => base64_decode(text).and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default());

fn strlen_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let lengths: Int64Array = (0..texts.len())
        .map(|row| i64::try_from(str_at(&texts, row).chars().count()).ok())
        .collect();
    Ok(Arc::new(lengths))
}

fn isascii_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let flags: BooleanArray = (0..texts.len())
        .map(|row| Some(str_at(&texts, row).is_ascii()))
        .collect();
    Ok(Arc::new(flags))
}

/// A character position from a possibly negative KQL index (negative counts from the end),
/// clamped to `0..=length`.
fn resolve_start(start: i64, length: usize) -> usize {
    let length_signed = i64::try_from(length).unwrap_or(i64::MAX);
    let resolved = if start < 0 {
        length_signed.saturating_add(start)
    } else {
        start
    };
    usize::try_from(resolved.clamp(0, length_signed)).unwrap_or(length)
}

fn substring_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let starts = longs(arg(args, 1)?)?;
    let lengths = match args.get(2) {
        Some(lengths) => Some(longs(lengths)?),
        None => None,
    };
    let pieces: Vec<String> = (0..texts.len())
        .map(|row| {
            let text = str_at(&texts, row);
            if starts.is_null(row) {
                return String::new();
            }
            let characters = text.chars().count();
            let start = resolve_start(starts.value(row), characters);
            let take = match &lengths {
                Some(lengths) if lengths.is_null(row) => return String::new(),
                Some(lengths) => usize::try_from(lengths.value(row).max(0)).unwrap_or(usize::MAX),
                None => usize::MAX,
            };
            text.chars().skip(start).take(take).collect()
        })
        .collect();
    Ok(string_array(pieces))
}

fn trim_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let sides = longs(arg(args, 0)?)?;
    let patterns = strings(arg(args, 1)?)?;
    let texts = strings(arg(args, 2)?)?;
    let mut cache: Option<(String, Option<(Regex, Regex)>)> = None;
    let trimmed: Vec<String> = (0..texts.len())
        .map(|row| {
            let text = str_at(&texts, row);
            let pattern = str_at(&patterns, row);
            let stale = cache.as_ref().is_none_or(|(cached, _)| cached != pattern);
            if stale {
                let compiled = Regex::new(&format!("^(?:{pattern})+"))
                    .ok()
                    .zip(Regex::new(&format!("(?:{pattern})+$")).ok());
                cache = Some((pattern.to_string(), compiled));
            }
            let Some((_, Some((leading, trailing)))) = &cache else {
                return text.to_string();
            };
            let side = if sides.is_null(row) {
                3
            } else {
                sides.value(row)
            };
            let mut result = text;
            if side & 1 != 0
                && let Some(found) = leading.find(result)
            {
                result = result.get(found.end()..).unwrap_or(result);
            }
            if side & 2 != 0
                && let Some(found) = trailing.find(result)
            {
                result = result.get(..found.start()).unwrap_or(result);
            }
            result.to_string()
        })
        .collect();
    Ok(string_array(trimmed))
}

fn strcat_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let columns = args.iter().map(strings).collect::<DfResult<Vec<_>>>()?;
    let joined: Vec<String> = (0..rows(args))
        .map(|row| columns.iter().map(|column| str_at(column, row)).collect())
        .collect();
    Ok(string_array(joined))
}

fn strcat_delim_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let columns = args.iter().map(strings).collect::<DfResult<Vec<_>>>()?;
    let joined: Vec<String> = (0..rows(args))
        .map(|row| {
            let Some((delimiter, values)) = columns.split_first() else {
                return String::new();
            };
            let parts: Vec<&str> = values.iter().map(|column| str_at(column, row)).collect();
            parts.join(str_at(delimiter, row))
        })
        .collect();
    Ok(string_array(joined))
}

/// `split(s, delimiter[, index])` → a dynamic array of strings (with an index, the array holding
/// just that element, or an empty array when it is out of range).
fn split_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let delimiters = strings(arg(args, 1)?)?;
    let indexes = match args.get(2) {
        Some(indexes) => Some(longs(indexes)?),
        None => None,
    };
    let arrays = (0..texts.len())
        .map(|row| {
            let text = str_at(&texts, row);
            let delimiter = str_at(&delimiters, row);
            let parts: Vec<Value> = if delimiter.is_empty() {
                vec![Value::String(text.to_string())]
            } else {
                text.split(delimiter)
                    .map(|part| Value::String(part.to_string()))
                    .collect()
            };
            let selected = match &indexes {
                None => parts,
                Some(indexes) if indexes.is_null(row) => Vec::new(),
                Some(indexes) => usize::try_from(indexes.value(row))
                    .ok()
                    .and_then(|index| parts.get(index).cloned())
                    .into_iter()
                    .collect(),
            };
            Some(Value::Array(selected).to_string())
        })
        .collect();
    Ok(dynamic_array(arrays))
}

fn replace_string_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let lookups = strings(arg(args, 1)?)?;
    let rewrites = strings(arg(args, 2)?)?;
    let replaced: Vec<String> = (0..texts.len())
        .map(|row| {
            let lookup = str_at(&lookups, row);
            if lookup.is_empty() {
                return str_at(&texts, row).to_string();
            }
            str_at(&texts, row).replace(lookup, str_at(&rewrites, row))
        })
        .collect();
    Ok(string_array(replaced))
}

/// Kusto's rewrite syntax (`\1` for a group) in the regex crate's (`${1}`), with `$` escaped.
fn rewrite_template(rewrite: &str) -> String {
    let mut template = String::with_capacity(rewrite.len());
    let mut characters = rewrite.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '$' => template.push_str("$$"),
            '\\' if characters.peek().is_some_and(char::is_ascii_digit) => {
                let mut group = String::new();
                while let Some(digit) = characters.peek().copied().filter(char::is_ascii_digit) {
                    group.push(digit);
                    characters.next();
                }
                template.push_str(&format!("${{{group}}}"));
            }
            other => template.push(other),
        }
    }
    template
}

fn replace_regex_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let patterns = strings(arg(args, 1)?)?;
    let rewrites = strings(arg(args, 2)?)?;
    let mut cache = RegexCache::new();
    let replaced: Vec<String> = (0..texts.len())
        .map(|row| {
            let text = str_at(&texts, row);
            match cache.get(str_at(&patterns, row)) {
                Some(regex) => regex
                    .replace_all(text, rewrite_template(str_at(&rewrites, row)).as_str())
                    .into_owned(),
                None => text.to_string(),
            }
        })
        .collect();
    Ok(string_array(replaced))
}

fn extract_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let patterns = strings(arg(args, 0)?)?;
    let groups = longs(arg(args, 1)?)?;
    let texts = strings(arg(args, 2)?)?;
    let mut cache = RegexCache::new();
    let extracted: Vec<String> = (0..texts.len())
        .map(|row| {
            let Some(regex) = cache.get(str_at(&patterns, row)) else {
                return String::new();
            };
            let Some(group) = (!groups.is_null(row))
                .then(|| usize::try_from(groups.value(row)).ok())
                .flatten()
            else {
                return String::new();
            };
            regex
                .captures(str_at(&texts, row))
                .and_then(|captures| captures.get(group))
                .map(|found| found.as_str().to_string())
                .unwrap_or_default()
        })
        .collect();
    Ok(string_array(extracted))
}

/// `extract_all(regex, [groups,] text)`: every match's single group (one group) or array of
/// groups (more, or when `groups` — a dynamic array of group numbers or names — selects them),
/// as a dynamic array; null when nothing matches.
fn extract_all_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let patterns = strings(arg(args, 0)?)?;
    let (selections, texts) = match args {
        [_, groups, text] => (Some(crate::dynamic::dynamic_values(groups)?), strings(text)?),
        _ => (None, strings(arg(args, 1)?)?),
    };
    let mut cache = RegexCache::new();
    let arrays = (0..texts.len())
        .map(|row| {
            let regex = cache.get(str_at(&patterns, row))?;
            let group_count = regex.captures_len().saturating_sub(1);
            if group_count == 0 {
                return None;
            }
            let selected: Option<Vec<Value>> = match &selections {
                Some(selections) => match selections.get(row)? {
                    Value::Array(groups) => Some(groups.clone()),
                    _ => return None,
                },
                None => None,
            };
            let group_text = |captures: &regex::Captures<'_>, group: &Value| {
                let found = match group {
                    Value::Number(number) => number
                        .as_u64()
                        .and_then(|index| usize::try_from(index).ok())
                        .and_then(|index| captures.get(index)),
                    Value::String(group_name) => captures.name(group_name),
                    _ => None,
                };
                found.map_or(Value::Null, |found| Value::String(found.as_str().to_string()))
            };
            let matches: Vec<Value> = regex
                .captures_iter(str_at(&texts, row))
                .map(|captures| match selected.as_deref() {
                    // "If number of captureGroups is 1: the returned array has a single dimension".
                    Some([group]) => group_text(&captures, group),
                    Some(groups) => Value::Array(groups.iter().map(|group| group_text(&captures, group)).collect()),
                    None if group_count == 1 => group_text(&captures, &Value::from(1)),
                    None => Value::Array(
                        (1..=group_count).map(|group| group_text(&captures, &Value::from(group))).collect(),
                    ),
                })
                .collect();
            (!matches.is_empty()).then(|| Value::Array(matches).to_string())
        })
        .collect();
    Ok(dynamic_array(arrays))
}

/// `indexof(source, lookup[, start[, length[, occurrence]]])`: the character index of the n-th
/// occurrence that lies wholly inside the searched range, -1 when there is none (the
/// reference: indexof("abcdefg","cde") = 2, ("abcdefg","cde",1,4) = 2, ("abcdefg","cde",1,2) = -1,
/// ("abcdefgabcdefg","cde",1,10,2) = 9, ("abcdefg","cde",-5) = 2). Null for occurrence < 1 or
/// length < -1.
fn index_of(source: &str, lookup: &str, start: i64, length: i64, occurrence: i64) -> Option<i64> {
    let characters: Vec<char> = source.chars().collect();
    let needle: Vec<char> = lookup.chars().collect();
    if occurrence <= 0 || length < -1 {
        return None;
    }
    let mut window_start = resolve_start(start, characters.len());
    let mut remaining = occurrence;
    // Each further occurrence is searched in a fresh window of `length` characters starting just
    // after the previous match; that is how the reference's idx8 example finds 9.
    loop {
        let window_end = if length == -1 {
            characters.len()
        } else {
            window_start
                .saturating_add(usize::try_from(length).unwrap_or(usize::MAX))
                .min(characters.len())
        };
        let found = (window_start..=window_end.saturating_sub(needle.len()))
            .filter(|position| position + needle.len() <= window_end)
            .find(|&position| {
                characters.get(position..position + needle.len()) == Some(needle.as_slice())
            });
        let Some(position) = found else { break };
        remaining -= 1;
        if remaining == 0 {
            return i64::try_from(position).ok();
        }
        window_start = position + 1;
    }
    Some(-1)
}

fn indexof_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let sources = strings(arg(args, 0)?)?;
    let lookups = strings(arg(args, 1)?)?;
    let optional = |position: usize| -> DfResult<Option<Int64Array>> {
        match args.get(position) {
            Some(values) => Ok(Some(longs(values)?)),
            None => Ok(None),
        }
    };
    let (starts, lengths, occurrences) = (optional(2)?, optional(3)?, optional(4)?);
    let read = |column: &Option<Int64Array>, row: usize, default: i64| -> Option<i64> {
        match column {
            Some(values) if values.is_null(row) => None,
            Some(values) => Some(values.value(row)),
            None => Some(default),
        }
    };
    let positions: Int64Array = (0..sources.len())
        .map(|row| {
            index_of(
                str_at(&sources, row),
                str_at(&lookups, row),
                read(&starts, row, 0)?,
                read(&lengths, row, -1)?,
                read(&occurrences, row, 1)?,
            )
        })
        .collect();
    Ok(Arc::new(positions))
}

fn countof_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let texts = strings(arg(args, 0)?)?;
    let searches = strings(arg(args, 1)?)?;
    let kinds = strings(arg(args, 2)?)?;
    let mut cache = RegexCache::new();
    let counts: Int64Array = (0..texts.len())
        .map(|row| {
            let (text, search) = (str_at(&texts, row), str_at(&searches, row));
            let count = if str_at(&kinds, row).eq_ignore_ascii_case("regex") {
                cache.get(search)?.find_iter(text).count()
            } else {
                overlapping_matches(text, search)
            };
            i64::try_from(count).ok()
        })
        .collect();
    Ok(Arc::new(counts))
}

/// How many times `search` occurs in `text`, overlapping occurrences included: countof's "normal"
/// kind (the reference: countof("aaaa", "aa") = 3, countof("ababa", "aba") = 2). An empty search
/// occurs nowhere.
fn overlapping_matches(text: &str, search: &str) -> usize {
    let Some(first) = search.chars().next() else {
        return 0;
    };
    let mut count = 0;
    let mut rest = text;
    while let Some(position) = rest.find(search) {
        count += 1;
        // Resume one character after the start of this occurrence, so the next may overlap it.
        rest = &rest[position + first.len_utf8()..];
    }
    count
}

fn strrep_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = strings(arg(args, 0)?)?;
    let multipliers = longs(arg(args, 1)?)?;
    let delimiters = match args.get(2) {
        Some(delimiters) => Some(strings(delimiters)?),
        None => None,
    };
    let repeated: Vec<String> = (0..values.len())
        .map(|row| {
            if multipliers.is_null(row) {
                return String::new();
            }
            let times =
                usize::try_from(multipliers.value(row).clamp(0, STRREP_REPEATS_MAX)).unwrap_or(0);
            let delimiter = delimiters
                .as_ref()
                .map_or("", |delimiters| str_at(delimiters, row));
            vec![str_at(&values, row); times].join(delimiter)
        })
        .collect();
    Ok(string_array(repeated))
}

/// .NET's HttpUtility.UrlEncode, which Kusto's url_encode follows: unreserved characters stay,
/// space becomes `+`, everything else is `%xx` of its UTF-8 bytes in lowercase hex.
fn url_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => {
                encoded.push(char::from(byte));
            }
            b' ' => encoded.push('+'),
            other => encoded.push_str(&format!("%{other:02x}")),
        }
    }
    encoded
}

fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let hex = text.get(index + 1..index + 3);
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(value) => {
                        decoded.push(value);
                        index += 3;
                        continue;
                    }
                    None => decoded.push(b'%'),
                }
            }
            b'+' => decoded.push(b' '),
            other => decoded.push(other),
        }
        index += 1;
    }
    String::from_utf8(decoded).ok()
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let first = chunk.first().copied().unwrap_or(0);
        let second = chunk.get(1).copied().unwrap_or(0);
        let third = chunk.get(2).copied().unwrap_or(0);
        let group = (u32::from(first) << 16) | (u32::from(second) << 8) | u32::from(third);
        let symbols = [
            (group >> 18) & 63,
            (group >> 12) & 63,
            (group >> 6) & 63,
            group & 63,
        ];
        for (position, symbol) in symbols.iter().enumerate() {
            if position <= chunk.len() {
                let symbol_index = usize::try_from(*symbol).unwrap_or(0);
                encoded.push(char::from(
                    BASE64_ALPHABET.get(symbol_index).copied().unwrap_or(b'A'),
                ));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    let mut decoded = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in trimmed.bytes() {
        let value =
            u32::try_from(BASE64_ALPHABET.iter().position(|&symbol| symbol == byte)?).ok()?;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            decoded.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FunctionContext;
    use crate::scalar::plan_scalar;
    use crate::scalar::test_support::{eval_many, strings_of};

    const CTX: FunctionContext = FunctionContext { now_nanos: 0 };

    fn text(value: &str) -> TypedExpr {
        TypedExpr::new(lit(value), DataType::Utf8)
    }

    fn long(value: i64) -> TypedExpr {
        TypedExpr::new(lit(value), DataType::Int64)
    }

    async fn run(name: &str, args: Vec<TypedExpr>) -> Vec<String> {
        // One dummy row so the constant expression is evaluated once.
        let dummy: ArrayRef = Arc::new(Int64Array::from(vec![0]));
        let result = eval_many(vec![dummy], |_| plan_scalar(name, args, &CTX)).await;
        strings_of(&result)
    }

    /// Proves substring follows the reference's examples: ("123456", 1) = 23456,
    /// ("123456", 2, 2) = 34, ("ABCD", 0, 2) = AB, ("123456", -2, 2) = 56.
    #[tokio::test]
    async fn substring_matches_reference() {
        assert_eq!(
            run("substring", vec![text("123456"), long(1)]).await,
            vec!["23456"]
        );
        assert_eq!(
            run("substring", vec![text("123456"), long(2), long(2)]).await,
            vec!["34"]
        );
        assert_eq!(
            run("substring", vec![text("ABCD"), long(0), long(2)]).await,
            vec!["AB"]
        );
        assert_eq!(
            run("substring", vec![text("123456"), long(-2), long(2)]).await,
            vec!["56"]
        );
    }

    /// Proves indexof follows the reference's idx1..idx9 examples, including a non-string
    /// source: indexof(1234567, 5, 1, 4) = 4.
    #[tokio::test]
    async fn indexof_matches_reference() {
        assert_eq!(index_of("abcdefg", "cde", 0, -1, 1), Some(2));
        assert_eq!(index_of("abcdefg", "cde", 1, 4, 1), Some(2));
        assert_eq!(index_of("abcdefg", "cde", 1, 2, 1), Some(-1));
        assert_eq!(index_of("abcdefg", "cde", 3, 4, 1), Some(-1));
        assert_eq!(index_of("abcdefg", "cde", -5, -1, 1), Some(2));
        assert_eq!(index_of("abcdefg", "cde", 2, -1, 1), Some(2));
        assert_eq!(index_of("abcdefgabcdefg", "cde", 1, 10, 2), Some(9));
        assert_eq!(index_of("abcdefgabcdefg", "cde", 1, -1, 3), Some(-1));
        assert_eq!(
            run("indexof", vec![long(1234567), long(5), long(1), long(4)]).await,
            vec!["4"]
        );
    }

    /// Proves the regex functions: trim("--", "--https://bing.com--") = "https://bing.com" (trim
    /// reference), replace_regex with a `\1` back-reference, extract's group and its "" when
    /// nothing matches, extract_all's array, countof normal (overlapping) vs regex
    /// (non-overlapping) (reference: countof("aaaa", "aa") = 3, countof("ababa", "aba") = 2,
    /// countof("ababa", "aba", "regex") = 1, countof("abcabc", "a.c", "regex") = 2).
    #[tokio::test]
    async fn regex_functions() {
        assert_eq!(
            run("trim", vec![text("--"), text("--https://bing.com--")]).await,
            vec!["https://bing.com"]
        );
        assert_eq!(
            run(
                "replace_regex",
                vec![text("abc123"), text("([a-z]+)(\\d+)"), text("\\2-\\1")]
            )
            .await,
            vec!["123-abc"]
        );
        assert_eq!(
            run(
                "extract",
                vec![text("x=([0-9.]+)"), long(1), text("a x=3.14 b")]
            )
            .await,
            vec!["3.14"]
        );
        assert_eq!(
            run(
                "extract",
                vec![text("x=([0-9.]+)"), long(1), text("nothing")]
            )
            .await,
            vec![""]
        );
        assert_eq!(
            run("extract_all", vec![text("(\\d+)"), text("a1b22c333")]).await,
            vec!["[\"1\",\"22\",\"333\"]"]
        );
        // The reference: extract_all(@"(\w)(\w+)(\w)", Id) over the guid text
        // 82b8be2d-dfa7-4bd1-8f63-24ad26d31449 gives one [first, middle, last] per part; selecting
        // dynamic([1,3]) keeps first and last; selecting one group gives a flat array.
        let guid = "82b8be2d-dfa7-4bd1-8f63-24ad26d31449";
        let pattern = r"(\w)(\w+)(\w)";
        let all = run("extract_all", vec![text(pattern), text(guid)]).await;
        let expected = r#"[["8","2b8be2","d"],["d","fa","7"],["4","bd","1"],["8","f6","3"],["2","4ad26d3144","9"]]"#;
        assert_eq!(all, vec![expected]);
        let groups = |json: &str| TypedExpr::new(lit(ScalarValue::LargeUtf8(Some(json.to_string()))), DataType::LargeUtf8);
        let subset = run("extract_all", vec![text(pattern), groups("[1,3]"), text(guid)]).await;
        assert_eq!(subset, vec![r#"[["8","d"],["d","7"],["4","1"],["8","3"],["2","9"]]"#]);
        let single = run("extract_all", vec![text(pattern), groups("[1]"), text(guid)]).await;
        assert_eq!(single, vec![r#"["8","d","4","8","2"]"#]);
        assert_eq!(
            run("countof", vec![text("aaaa"), text("aa")]).await,
            vec!["3"]
        );
        assert_eq!(
            run("countof", vec![text("ababa"), text("aba")]).await,
            vec!["2"]
        );
        assert_eq!(
            run("countof", vec![text("ababa"), text("aba"), text("regex")]).await,
            vec!["1"]
        );
        assert_eq!(
            run("countof", vec![text("abc"), text("")]).await,
            vec!["0"]
        );
        assert_eq!(
            run("countof", vec![text("abcabc"), text("a.c"), text("regex")]).await,
            vec!["2"]
        );
        let bad = plan_scalar("extract", vec![text("("), long(1), text("x")], &CTX);
        assert!(matches!(bad, Err(FunctionError::InvalidArgument { .. })));
    }

    /// Proves strcat prints non-strings with tostring rules, split returns a dynamic array
    /// (reference: split("aa_bb", "_") = ["aa","bb"], split("aaa_bbb_ccc", "_", 1) = ["bbb"]),
    /// and strlen counts characters.
    #[tokio::test]
    async fn concatenation_and_split() {
        assert_eq!(
            run(
                "strcat",
                vec![
                    text("a"),
                    long(1),
                    TypedExpr::new(lit(true), DataType::Boolean)
                ]
            )
            .await,
            vec!["a1true"]
        );
        assert_eq!(
            run("strcat_delim", vec![text("-"), text("a"), text("b")]).await,
            vec!["a-b"]
        );
        assert_eq!(
            run("split", vec![text("aa_bb"), text("_")]).await,
            vec!["[\"aa\",\"bb\"]"]
        );
        assert_eq!(
            run("split", vec![text("aaa_bbb_ccc"), text("_"), long(1)]).await,
            vec!["[\"bbb\"]"]
        );
        assert_eq!(run("strlen", vec![text("héllo")]).await, vec!["5"]);
        assert_eq!(
            run("strrep", vec![text("ABC"), long(2), text(",")]).await,
            vec!["ABC,ABC"]
        );
    }

    /// Proves url_encode matches the reference (url_encode(@'https://www.bing.com/hello world')
    /// = "https%3a%2f%2fwww.bing.com%2fhello+world": lowercase hex, space as '+'), url_decode
    /// inverts it, and base64 round-trips ("Kusto" is "S3VzdG8=" in RFC 4648 base64).
    #[tokio::test]
    async fn encodings() {
        assert_eq!(
            run("url_encode", vec![text("https://www.bing.com/hello world")]).await,
            vec!["https%3a%2f%2fwww.bing.com%2fhello+world"]
        );
        assert_eq!(
            run("url_decode", vec![text("https%3a%2f%2fwww.bing.com%2fhello+world")]).await,
            vec!["https://www.bing.com/hello world"]
        );
        assert_eq!(
            run("base64_encode_tostring", vec![text("Kusto")]).await,
            vec!["S3VzdG8="]
        );
        assert_eq!(
            run("base64_decode_tostring", vec![text("S3VzdG8=")]).await,
            vec!["Kusto"]
        );
    }
}
