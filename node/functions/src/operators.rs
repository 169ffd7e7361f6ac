//! KQL's operators with Kusto-specific semantics: arithmetic (type promotion, datetime and
//! timespan algebra, a non-negative `%`), the string operators (`=~`, `has`, `contains`,
//! `startswith`, `matches regex`, ... and their negations) and `has_any` / `has_all`.
//!
//! Owns: the result type of each operator and its null/edge rules. Integer arithmetic wraps on
//! overflow and integer division (or modulo) by zero is null; reals follow IEEE (±inf, NaN).
//! `has` matches whole terms: the needle must not continue an alphanumeric run on either side
//! ("Understanding string terms": terms are maximal runs of ASCII alphanumerics).
//!
//! Does not own: comparisons and boolean logic (DataFusion's own operators already match Kusto
//! there; the planner emits them), `in`/`!in` (planner), term indexes (storage).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array};
use arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, binary_expr, cast, lit};
use regex::Regex;
use tarn_common::KustoType;

use crate::convert::{kusto_strings, parse_json_or_string, source_type};
use crate::scalar::cast_to;
use crate::scalar::udf::{
    DfResult, arg, call, datetime_array, longs, nanos, reals, timespan_array,
};
use crate::{FunctionError, Result, TypedExpr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithmeticOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithmeticOp {
    fn symbol(self) -> &'static str {
        match self {
            ArithmeticOp::Add => "+",
            ArithmeticOp::Sub => "-",
            ArithmeticOp::Mul => "*",
            ArithmeticOp::Div => "/",
            ArithmeticOp::Mod => "%",
        }
    }

    fn code(self) -> i64 {
        match self {
            ArithmeticOp::Add => 0,
            ArithmeticOp::Sub => 1,
            ArithmeticOp::Mul => 2,
            ArithmeticOp::Div => 3,
            ArithmeticOp::Mod => 4,
        }
    }

    fn from_code(code: i64) -> Option<ArithmeticOp> {
        Some(match code {
            0 => ArithmeticOp::Add,
            1 => ArithmeticOp::Sub,
            2 => ArithmeticOp::Mul,
            3 => ArithmeticOp::Div,
            4 => ArithmeticOp::Mod,
            _ => return None,
        })
    }

    fn datafusion(self) -> datafusion::logical_expr::Operator {
        use datafusion::logical_expr::Operator;
        match self {
            ArithmeticOp::Add => Operator::Plus,
            ArithmeticOp::Sub => Operator::Minus,
            ArithmeticOp::Mul => Operator::Multiply,
            ArithmeticOp::Div => Operator::Divide,
            ArithmeticOp::Mod => Operator::Modulo,
        }
    }
}

/// Kusto's arithmetic: real wins over decimal over long (int op int is long, per "Type rules for
/// arithmetic operations"); datetime ± timespan → datetime; datetime − datetime → timespan;
/// timespan ± timespan; timespan × or ÷ number → timespan; timespan ÷ timespan → real.
pub fn plan_arithmetic(op: ArithmeticOp, left: TypedExpr, right: TypedExpr) -> Result<Expr> {
    let name = op.symbol();
    let left_type = source_type(name, 1, &left.data_type)?;
    let right_type = source_type(name, 2, &right.data_type)?;
    use KustoType::{DateTime, Decimal, Int, Long, Real, TimeSpan};
    // An untyped null takes the other side's type, so `x + null` plans like `x + x`.
    let (left_type, right_type) = match (left_type, right_type) {
        (None, None) => (Long, Long),
        (None, Some(known)) => (known, known),
        (Some(known), None) => (known, known),
        (Some(left_known), Some(right_known)) => (left_known, right_known),
    };
    let op_code = lit(op.code());
    match (left_type, right_type, op) {
        (Int | Long, Int | Long, _) => Ok(call(
            "kql_arithmetic",
            DataType::Int64,
            long_arithmetic_kernel,
            vec![
                op_code,
                cast_to(left, &DataType::Int64),
                cast_to(right, &DataType::Int64),
            ],
        )),
        (Int | Long | Real | Decimal, Int | Long | Real | Decimal, _)
            if left_type == Real || right_type == Real =>
        {
            Ok(call(
                "kql_arithmetic",
                DataType::Float64,
                real_arithmetic_kernel,
                vec![
                    op_code,
                    cast_to(left, &DataType::Float64),
                    cast_to(right, &DataType::Float64),
                ],
            ))
        }
        (Int | Long | Decimal, Int | Long | Decimal, _) => {
            let decimal = Decimal.arrow_type();
            let computed = binary_expr(
                cast_to(left, &decimal),
                op.datafusion(),
                cast_to(right, &decimal),
            );
            Ok(cast(computed, decimal))
        }
        (DateTime, TimeSpan, ArithmeticOp::Add | ArithmeticOp::Sub) => Ok(call(
            "kql_arithmetic",
            DateTime.arrow_type(),
            nanos_arithmetic_kernel,
            vec![
                op_code,
                cast_to(left, &DateTime.arrow_type()),
                cast_to(right, &TimeSpan.arrow_type()),
            ],
        )),
        (TimeSpan, DateTime, ArithmeticOp::Add) => Ok(call(
            "kql_arithmetic",
            DateTime.arrow_type(),
            nanos_arithmetic_kernel,
            vec![
                op_code,
                cast_to(right, &DateTime.arrow_type()),
                cast_to(left, &TimeSpan.arrow_type()),
            ],
        )),
        (DateTime, DateTime, ArithmeticOp::Sub)
        | (TimeSpan, TimeSpan, ArithmeticOp::Add | ArithmeticOp::Sub | ArithmeticOp::Mod) => {
            Ok(call(
                "kql_arithmetic",
                TimeSpan.arrow_type(),
                nanos_arithmetic_kernel,
                vec![
                    op_code,
                    cast_to(left, &left_type.arrow_type()),
                    cast_to(right, &right_type.arrow_type()),
                ],
            ))
        }
        (TimeSpan, TimeSpan, ArithmeticOp::Div) => Ok(call(
            "kql_timespan_ratio",
            DataType::Float64,
            timespan_ratio_kernel,
            vec![
                cast_to(left, &TimeSpan.arrow_type()),
                cast_to(right, &TimeSpan.arrow_type()),
            ],
        )),
        (TimeSpan, Int | Long | Real | Decimal, ArithmeticOp::Mul | ArithmeticOp::Div) => Ok(call(
            "kql_timespan_scale",
            TimeSpan.arrow_type(),
            timespan_scale_kernel,
            vec![
                op_code,
                cast_to(left, &TimeSpan.arrow_type()),
                cast_to(right, &DataType::Float64),
            ],
        )),
        (Int | Long | Real | Decimal, TimeSpan, ArithmeticOp::Mul) => Ok(call(
            "kql_timespan_scale",
            TimeSpan.arrow_type(),
            timespan_scale_kernel,
            vec![
                op_code,
                cast_to(right, &TimeSpan.arrow_type()),
                cast_to(left, &DataType::Float64),
            ],
        )),
        _ => Err(FunctionError::WrongArgumentType {
            name: name.to_string(),
            position: 2,
            expected: format!("an operand that {} accepts with {}", name, left_type.name()),
            actual: right_type.name().to_string(),
        }),
    }
}

fn op_of(args: &[ArrayRef]) -> DfResult<Vec<Option<ArithmeticOp>>> {
    let codes = longs(arg(args, 0)?)?;
    Ok(codes
        .iter()
        .map(|code| code.and_then(ArithmeticOp::from_code))
        .collect())
}

fn long_op(op: ArithmeticOp, left: i64, right: i64) -> Option<i64> {
    match op {
        ArithmeticOp::Add => Some(left.wrapping_add(right)),
        ArithmeticOp::Sub => Some(left.wrapping_sub(right)),
        ArithmeticOp::Mul => Some(left.wrapping_mul(right)),
        ArithmeticOp::Div => (right != 0).then(|| left.wrapping_div(right)),
        // "The modulo of two numbers always returns in Kusto a small non-negative number".
        ArithmeticOp::Mod => (right != 0).then(|| {
            left.wrapping_rem(right)
                .rem_euclid(right.wrapping_abs().max(1))
        }),
    }
}

fn long_arithmetic_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let ops = op_of(args)?;
    let lefts = longs(arg(args, 1)?)?;
    let rights = longs(arg(args, 2)?)?;
    let values: Int64Array = (0..lefts.len())
        .map(|row| {
            let op = (*ops.get(row)?)?;
            if lefts.is_null(row) || rights.is_null(row) {
                return None;
            }
            long_op(op, lefts.value(row), rights.value(row))
        })
        .collect();
    Ok(Arc::new(values))
}

fn real_arithmetic_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let ops = op_of(args)?;
    let lefts = reals(arg(args, 1)?)?;
    let rights = reals(arg(args, 2)?)?;
    let values: Float64Array = (0..lefts.len())
        .map(|row| {
            let op = (*ops.get(row)?)?;
            if lefts.is_null(row) || rights.is_null(row) {
                return None;
            }
            let (left, right) = (lefts.value(row), rights.value(row));
            Some(match op {
                ArithmeticOp::Add => left + right,
                ArithmeticOp::Sub => left - right,
                ArithmeticOp::Mul => left * right,
                ArithmeticOp::Div => left / right,
                ArithmeticOp::Mod => left.rem_euclid(right),
            })
        })
        .collect();
    Ok(Arc::new(values))
}

/// Datetime/timespan arithmetic on nanosecond counts; the result type decides the Arrow type.
fn nanos_arithmetic_kernel(args: &[ArrayRef], return_type: &DataType) -> DfResult<ArrayRef> {
    let ops = op_of(args)?;
    let lefts = nanos(arg(args, 1)?)?;
    let rights = nanos(arg(args, 2)?)?;
    let values: Vec<Option<i64>> = (0..lefts.len())
        .map(|row| {
            let op = (*ops.get(row)?)?;
            if lefts.is_null(row) || rights.is_null(row) {
                return None;
            }
            let (left, right) = (lefts.value(row), rights.value(row));
            match op {
                // Past year 2262 a datetime leaves the nanosecond range: null, not a wrap.
                ArithmeticOp::Add => left.checked_add(right),
                ArithmeticOp::Sub => left.checked_sub(right),
                ArithmeticOp::Mod => (right != 0).then(|| left.rem_euclid(right)),
                ArithmeticOp::Mul | ArithmeticOp::Div => None,
            }
        })
        .collect();
    Ok(if matches!(return_type, DataType::Timestamp(_, _)) {
        datetime_array(values)
    } else {
        timespan_array(values)
    })
}

fn timespan_scale_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let ops = op_of(args)?;
    let spans = nanos(arg(args, 1)?)?;
    let factors = reals(arg(args, 2)?)?;
    let values = (0..spans.len())
        .map(|row| {
            let op = (*ops.get(row)?)?;
            if spans.is_null(row) || factors.is_null(row) {
                return None;
            }
            let span = spans.value(row) as f64;
            let scaled = match op {
                ArithmeticOp::Mul => span * factors.value(row),
                _ => span / factors.value(row),
            };
            (scaled.is_finite() && scaled.abs() < 9.2e18).then(|| scaled.round() as i64)
        })
        .collect();
    Ok(timespan_array(values))
}

fn timespan_ratio_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let lefts = nanos(arg(args, 0)?)?;
    let rights = nanos(arg(args, 1)?)?;
    let values: Float64Array = lefts
        .iter()
        .zip(rights.iter())
        .map(|(left, right)| Some(left? as f64 / right? as f64))
        .collect();
    Ok(Arc::new(values))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringOperator {
    /// `=~` (with `case_sensitive`, `==`).
    Equals,
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    /// `matches regex` (always case-sensitive, as in Kusto).
    MatchesRegex,
}

impl StringOperator {
    fn code(self) -> i64 {
        match self {
            StringOperator::Equals => 0,
            StringOperator::Has => 1,
            StringOperator::HasPrefix => 2,
            StringOperator::HasSuffix => 3,
            StringOperator::Contains => 4,
            StringOperator::StartsWith => 5,
            StringOperator::EndsWith => 6,
            StringOperator::MatchesRegex => 7,
        }
    }

    fn from_code(code: i64) -> Option<StringOperator> {
        Some(match code {
            0 => StringOperator::Equals,
            1 => StringOperator::Has,
            2 => StringOperator::HasPrefix,
            3 => StringOperator::HasSuffix,
            4 => StringOperator::Contains,
            5 => StringOperator::StartsWith,
            6 => StringOperator::EndsWith,
            7 => StringOperator::MatchesRegex,
            _ => return None,
        })
    }
}

/// A string operator; either side may be any scalar type (converted with tostring rules, so a
/// null reads as ""). The result is never null, so a negated operator is exactly the NOT.
pub fn plan_string_operator(
    op: StringOperator,
    negated: bool,
    case_sensitive: bool,
    left: TypedExpr,
    right: TypedExpr,
) -> Result<Expr> {
    let name = format!("{op:?}").to_lowercase();
    source_type(&name, 1, &left.data_type)?;
    source_type(&name, 2, &right.data_type)?;
    if op == StringOperator::MatchesRegex {
        check_constant_regex(&name, &right)?;
    }
    let matched = call(
        "kql_string_operator",
        DataType::Boolean,
        string_operator_kernel,
        vec![lit(op.code()), lit(case_sensitive), left.expr, right.expr],
    );
    Ok(if negated {
        Expr::Not(Box::new(matched))
    } else {
        matched
    })
}

/// A constant pattern that does not compile is a semantic error; patterns computed per row that
/// do not compile match nothing.
fn check_constant_regex(name: &str, pattern: &TypedExpr) -> Result<()> {
    if let Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(text)), _) = &pattern.expr
        && let Err(error) = Regex::new(text)
    {
        return Err(FunctionError::InvalidArgument {
            name: name.to_string(),
            reason: format!("invalid regex '{text}': {error}"),
        });
    }
    Ok(())
}

fn is_term_char(character: char) -> bool {
    character.is_ascii_alphanumeric()
}

/// Whether `needle` occurs in `haystack` as whole terms: when the needle starts (ends) with a
/// term character, the match must not continue a term on that side. `start_bounded` /
/// `end_bounded` select has (both), hasprefix (start) and hassuffix (end).
pub(crate) fn has_term(
    haystack: &str,
    needle: &str,
    start_bounded: bool,
    end_bounded: bool,
) -> bool {
    if needle.is_empty() {
        return true;
    }
    let needle_starts_term = needle.chars().next().is_some_and(is_term_char);
    let needle_ends_term = needle.chars().next_back().is_some_and(is_term_char);
    let mut search_from = 0;
    while let Some(found) = haystack
        .get(search_from..)
        .and_then(|rest| rest.find(needle))
    {
        let start = search_from + found;
        let end = start + needle.len();
        let before = haystack
            .get(..start)
            .and_then(|head| head.chars().next_back());
        let after = haystack.get(end..).and_then(|tail| tail.chars().next());
        let before_ok = !start_bounded || !needle_starts_term || !before.is_some_and(is_term_char);
        let after_ok = !end_bounded || !needle_ends_term || !after.is_some_and(is_term_char);
        if before_ok && after_ok {
            return true;
        }
        // Step one character past this match's start to try overlapping occurrences.
        let first = haystack.get(start..).and_then(|rest| rest.chars().next());
        search_from = start + first.map_or(1, char::len_utf8);
    }
    false
}

/// A cache of the last compiled pattern: patterns are nearly always constants, so each batch
/// compiles once.
pub(crate) struct RegexCache {
    last: Option<(String, Option<Regex>)>,
}

impl RegexCache {
    pub(crate) fn new() -> RegexCache {
        RegexCache { last: None }
    }

    pub(crate) fn get(&mut self, pattern: &str) -> Option<&Regex> {
        let stale = self
            .last
            .as_ref()
            .is_none_or(|(cached, _)| cached != pattern);
        if stale {
            self.last = Some((pattern.to_string(), Regex::new(pattern).ok()));
        }
        self.last.as_ref().and_then(|(_, regex)| regex.as_ref())
    }
}

pub(crate) fn string_operator_matches(
    op: StringOperator,
    case_sensitive: bool,
    left: &str,
    right: &str,
    regexes: &mut RegexCache,
) -> bool {
    if op == StringOperator::MatchesRegex {
        return regexes.get(right).is_some_and(|regex| regex.is_match(left));
    }
    let (left, right) = if case_sensitive {
        (
            std::borrow::Cow::Borrowed(left),
            std::borrow::Cow::Borrowed(right),
        )
    } else {
        (
            std::borrow::Cow::Owned(left.to_lowercase()),
            std::borrow::Cow::Owned(right.to_lowercase()),
        )
    };
    match op {
        StringOperator::Equals => left == right,
        StringOperator::Has => has_term(&left, &right, true, true),
        StringOperator::HasPrefix => has_term(&left, &right, true, false),
        StringOperator::HasSuffix => has_term(&left, &right, false, true),
        StringOperator::Contains => left.contains(right.as_ref()),
        StringOperator::StartsWith => left.starts_with(right.as_ref()),
        StringOperator::EndsWith => left.ends_with(right.as_ref()),
        StringOperator::MatchesRegex => false,
    }
}

fn string_operator_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let ops = longs(arg(args, 0)?)?;
    let case_flags = crate::scalar::udf::bools(arg(args, 1)?)?;
    let lefts = kusto_strings(arg(args, 2)?)?;
    let rights = kusto_strings(arg(args, 3)?)?;
    let mut regexes = RegexCache::new();
    let values: BooleanArray = (0..lefts.len())
        .map(|row| {
            let op = if ops.is_null(row) {
                None
            } else {
                StringOperator::from_code(ops.value(row))
            }?;
            let case_sensitive = case_flags.is_valid(row) && case_flags.value(row);
            let (left, right) = (lefts.get(row)?, rights.get(row)?);
            Some(string_operator_matches(
                op,
                case_sensitive,
                left,
                right,
                &mut regexes,
            ))
        })
        .collect();
    Ok(Arc::new(values))
}

/// `expr has_any (needles...)` / `has_all`: case-insensitive term matches; a dynamic needle
/// argument contributes each element of its array.
pub fn plan_has_any(expr: TypedExpr, list: Vec<TypedExpr>, all: bool) -> Result<Expr> {
    let name = if all { "has_all" } else { "has_any" };
    source_type(name, 1, &expr.data_type)?;
    if list.is_empty() {
        return Err(FunctionError::WrongArgumentCount {
            name: name.to_string(),
            expected: "at least 1".to_string(),
            actual: 0,
        });
    }
    let mut args = vec![lit(all), expr.expr];
    for (index, needle) in list.into_iter().enumerate() {
        if source_type(name, index + 2, &needle.data_type)?.is_none() {
            continue;
        }
        if !matches!(
            KustoType::from_arrow(&needle.data_type),
            Some(KustoType::String | KustoType::Dynamic)
        ) {
            // Numbers and other scalars match by their printed form.
            args.push(crate::convert::plan_convert(needle, KustoType::String)?);
            continue;
        }
        args.push(needle.expr);
    }
    Ok(call(name, DataType::Boolean, has_any_kernel, args))
}

fn has_any_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let all_flags = crate::scalar::udf::bools(arg(args, 0)?)?;
    let haystacks = kusto_strings(arg(args, 1)?)?;
    let mut needle_columns: Vec<(bool, Vec<String>)> = Vec::new();
    for needle_array in args.iter().skip(2) {
        let is_dynamic = needle_array.data_type() == &DataType::LargeUtf8;
        let texts = if is_dynamic {
            let raw = crate::scalar::udf::dynamics(needle_array)?;
            (0..raw.len())
                .map(|row| {
                    if raw.is_null(row) {
                        String::new()
                    } else {
                        raw.value(row).to_string()
                    }
                })
                .collect()
        } else {
            kusto_strings(needle_array)?
        };
        needle_columns.push((is_dynamic, texts));
    }
    let values: BooleanArray = (0..haystacks.len())
        .map(|row| {
            let all = all_flags.is_valid(row) && all_flags.value(row);
            let haystack = haystacks.get(row)?.to_lowercase();
            let mut needles: Vec<String> = Vec::new();
            for (is_dynamic, texts) in &needle_columns {
                let text = texts.get(row)?;
                if *is_dynamic {
                    match parse_json_or_string(text) {
                        serde_json::Value::Array(elements) => {
                            needles.extend(elements.iter().map(|element| match element {
                                serde_json::Value::String(contents) => contents.clone(),
                                other => other.to_string(),
                            }))
                        }
                        serde_json::Value::Null => {}
                        serde_json::Value::String(contents) => needles.push(contents),
                        other => needles.push(other.to_string()),
                    }
                } else {
                    needles.push(text.clone());
                }
            }
            let mut matches = needles
                .iter()
                .map(|needle| has_term(&haystack, &needle.to_lowercase(), true, true));
            Some(if all {
                !needles.is_empty() && matches.all(|found| found)
            } else {
                matches.any(|found| found)
            })
        })
        .collect();
    Ok(Arc::new(values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::test_support::{eval_many, strings_of};
    use arrow::array::{DurationNanosecondArray, StringArray, TimestampNanosecondArray};

    /// Proves the term rule with the reference's example string: its terms are Kusto,
    /// KustoExplorerQueryRun, ad67d136, c1db, 4f9f, 88ef, d94f3b6b0b5a; "North America" has
    /// "america" (case-insensitive, from the operator table).
    #[test]
    fn has_matches_whole_terms() {
        let text = "kusto: ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;kustoexplorerqueryrun";
        assert!(has_term(text, "c1db", true, true));
        assert!(has_term(text, "kustoexplorerqueryrun", true, true));
        assert!(!has_term(text, "c1d", true, true));
        assert!(!has_term(text, "explorer", true, true));
        assert!(
            has_term(text, "kustoexp", true, false),
            "hasprefix matches the start of a term"
        );
        assert!(
            has_term(text, "queryrun", false, true),
            "hassuffix matches the end of a term"
        );
        assert!(
            has_term(text, "c1db-4f9f", true, true),
            "a needle spanning terms matches in place"
        );
        assert!(has_term("north america", "america", true, true));
    }

    /// Proves the operator table's examples through DataFusion: "North America" has
    /// "america", "FabriKam" contains "BRik", "Fabrikam" !contains_cs "Kam" (i.e. contains_cs
    /// "Kam" is false), "abc" =~ "ABC", "Fabrikam" endswith "Kam"; null left reads as "".
    #[tokio::test]
    async fn string_operators_follow_reference_table() {
        let lefts: ArrayRef = Arc::new(StringArray::from(vec![
            Some("North America"),
            Some("FabriKam"),
            Some("Fabrikam"),
            Some("abc"),
            Some("Fabrikam"),
            None,
        ]));
        let rights: ArrayRef = Arc::new(StringArray::from(vec![
            "america", "BRik", "Kam", "ABC", "Kam", "x",
        ]));
        let cases = [
            (StringOperator::Has, false, "true"),
            (StringOperator::Contains, false, "true"),
            (StringOperator::Contains, true, "false"),
            (StringOperator::Equals, false, "true"),
            (StringOperator::EndsWith, false, "true"),
            (StringOperator::Contains, false, "false"),
        ];
        for (row, (op, case_sensitive, expected)) in cases.into_iter().enumerate() {
            let result = eval_many(
                vec![lefts.slice(row, 1), rights.slice(row, 1)],
                |mut args| {
                    let right = args.remove(1);
                    let left = args.remove(0);
                    plan_string_operator(op, false, case_sensitive, left, right)
                },
            )
            .await;
            assert_eq!(
                strings_of(&result),
                vec![expected.to_string()],
                "row {row}: {op:?}"
            );
        }
    }

    /// Proves the arithmetic rules of "Numerical operators": 1 / 2 = 0 (long), 1.0 / 2 = 0.5,
    /// -14 % 12 = 10 and 14 % -12 = 2 (non-negative modulo), integer division by zero is null.
    #[tokio::test]
    async fn arithmetic_follows_reference() {
        let lefts: ArrayRef = Arc::new(Int64Array::from(vec![1, -14, 14, 5]));
        let rights: ArrayRef = Arc::new(Int64Array::from(vec![2, 12, -12, 0]));
        for (op, expected) in [
            (ArithmeticOp::Div, ["0", "-1", "-1", "<null>"]),
            (ArithmeticOp::Mod, ["1", "10", "2", "<null>"]),
        ] {
            let result = eval_many(vec![lefts.clone(), rights.clone()], |mut args| {
                let right = args.remove(1);
                let left = args.remove(0);
                plan_arithmetic(op, left, right)
            })
            .await;
            assert_eq!(result.data_type(), &DataType::Int64);
            assert_eq!(strings_of(&result), expected.to_vec());
        }
        let reals: ArrayRef = Arc::new(Float64Array::from(vec![1.0]));
        let twos: ArrayRef = Arc::new(arrow::array::Int32Array::from(vec![2]));
        let result = eval_many(vec![reals, twos], |mut args| {
            let right = args.remove(1);
            plan_arithmetic(ArithmeticOp::Div, args.remove(0), right)
        })
        .await;
        assert_eq!(strings_of(&result), vec!["0.5"]);
    }

    /// Proves decimal arithmetic stays decimal(38, 18): 1.5 + 2 = 3.5 and 1.5 * 2 = 3.
    #[tokio::test]
    async fn decimal_arithmetic_stays_decimal() {
        let decimals: ArrayRef = Arc::new(
            arrow::array::Decimal128Array::from(vec![1_500_000_000_000_000_000_i128])
                .with_precision_and_scale(38, 18)
                .expect("38, 18 is a valid decimal type"),
        );
        let twos: ArrayRef = Arc::new(Int64Array::from(vec![2]));
        for (op, expected) in [(ArithmeticOp::Add, "3.5"), (ArithmeticOp::Mul, "3")] {
            let result = eval_many(vec![decimals.clone(), twos.clone()], |mut args| {
                let right = args.remove(1);
                plan_arithmetic(op, args.remove(0), right)
            })
            .await;
            assert_eq!(result.data_type(), &KustoType::Decimal.arrow_type());
            assert_eq!(
                kusto_strings(&result).ok(),
                Some(vec![expected.to_string()])
            );
        }
    }

    /// Proves datetime/timespan algebra: datetime + 1d, datetime - datetime = timespan,
    /// 10m / 1s = 600.0 (the reference's `10m / 1s` example), 1s * 5 = 5s.
    #[tokio::test]
    async fn datetime_timespan_algebra() {
        let day = 86_400_000_000_000_i64;
        let datetimes: ArrayRef =
            Arc::new(TimestampNanosecondArray::from(vec![day]).with_timezone("UTC"));
        let spans: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![day]));
        let result = eval_many(vec![datetimes.clone(), spans], |mut args| {
            let right = args.remove(1);
            plan_arithmetic(ArithmeticOp::Add, args.remove(0), right)
        })
        .await;
        assert_eq!(
            nanos(&result).ok().map(|values| values.value(0)),
            Some(2 * day)
        );
        let result = eval_many(vec![datetimes.clone(), datetimes], |mut args| {
            let right = args.remove(1);
            plan_arithmetic(ArithmeticOp::Sub, args.remove(0), right)
        })
        .await;
        assert_eq!(result.data_type(), &KustoType::TimeSpan.arrow_type());
        let ten_minutes: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![600_000_000_000]));
        let one_second: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![1_000_000_000]));
        let result = eval_many(vec![ten_minutes, one_second.clone()], |mut args| {
            let right = args.remove(1);
            plan_arithmetic(ArithmeticOp::Div, args.remove(0), right)
        })
        .await;
        assert_eq!(strings_of(&result), vec!["600.0"]);
        let fives: ArrayRef = Arc::new(Int64Array::from(vec![5]));
        let result = eval_many(vec![one_second, fives], |mut args| {
            let right = args.remove(1);
            plan_arithmetic(ArithmeticOp::Mul, args.remove(0), right)
        })
        .await;
        assert_eq!(
            nanos(&result).ok().map(|values| values.value(0)),
            Some(5_000_000_000)
        );
    }

    /// Proves has_any matches any listed term and reads needles out of a dynamic array;
    /// has_all needs every one.
    #[tokio::test]
    async fn has_any_and_has_all() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["Alabama is hot", "Texas is big"]));
        let result = eval_many(vec![texts.clone()], |mut args| {
            let needles = vec![
                TypedExpr::new(lit("alabama"), DataType::Utf8),
                TypedExpr::new(lit("ohio"), DataType::Utf8),
            ];
            plan_has_any(args.remove(0), needles, false)
        })
        .await;
        assert_eq!(strings_of(&result), vec!["true", "false"]);
        let result = eval_many(vec![texts], |mut args| {
            let needles = vec![TypedExpr::new(
                lit(datafusion::common::ScalarValue::LargeUtf8(Some(
                    "[\"texas\",\"big\"]".to_string(),
                ))),
                DataType::LargeUtf8,
            )];
            plan_has_any(args.remove(0), needles, true)
        })
        .await;
        assert_eq!(strings_of(&result), vec!["false", "true"]);
    }
}
