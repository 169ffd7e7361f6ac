//! Conversions between KQL types: `tostring`, `tolong`, `todatetime`, ... and the implicit
//! conversions the planner inserts (a dynamic compared with a long, `datatable` casts).
//!
//! Owns: [`plan_convert`] and the kernels behind it, which follow Kusto's rules: strings are
//! parsed with Kusto's text forms, a dynamic converts through the JSON value it holds, bool is
//! 1/0, datetimes and timespans convert to numbers as ticks (100 ns; datetimes count from
//! 0001-01-01), and anything that does not convert is null, never an error.
//!
//! Does not own: the text forms themselves (`scalar::text`), or deciding when an implicit
//! conversion is needed (tarn-planner).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, FixedSizeBinaryArray, FixedSizeBinaryBuilder,
    Float64Array, Int32Array, Int64Array,
};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::functions::expr_fn::coalesce;
use datafusion::logical_expr::{Expr, lit};
use serde_json::Value;
use tarn_common::KustoType;

use crate::scalar::text::{
    NANOS_PER_TICK, TICKS_TO_UNIX_EPOCH, format_datetime, format_decimal, format_guid, format_real,
    format_timespan, parse_datetime, parse_guid, parse_timespan,
};
use crate::scalar::udf::{
    DfResult, arg, call, datetime_array, dynamic_array, dynamics, longs, nanos, reals,
    string_array, strings,
};
use crate::{FunctionError, Result, TypedExpr};

/// Converts `expr` to the KQL type `to` the way the `to*()` functions do; null when a value does
/// not convert.
pub fn plan_convert(expr: TypedExpr, to: KustoType) -> Result<Expr> {
    let from = source_type("convert", 1, &expr.data_type)?;
    if from == Some(to) && expr.data_type == to.arrow_type() {
        if to == KustoType::String {
            // A null string reads as "" in KQL; tostring() of it must print "".
            return Ok(coalesce(vec![expr.expr, lit("")]));
        }
        return Ok(expr.expr);
    }
    let kernel: crate::scalar::udf::Kernel = match to {
        KustoType::String => to_string_kernel,
        KustoType::Bool => to_bool_kernel,
        KustoType::Int => to_int_kernel,
        KustoType::Long => to_long_kernel,
        KustoType::Real => to_real_kernel,
        KustoType::Decimal => to_decimal_kernel,
        KustoType::DateTime => to_datetime_kernel,
        KustoType::TimeSpan => to_timespan_kernel,
        KustoType::Guid => to_guid_kernel,
        KustoType::Dynamic => to_dynamic_kernel,
    };
    Ok(call(
        &format!("to{}", to.name()),
        to.arrow_type(),
        kernel,
        vec![expr.expr],
    ))
}

/// The KQL type of an argument; `None` for an untyped null literal. Arrow types with no KQL
/// meaning (lists, structs) are a semantic error naming the function.
pub(crate) fn source_type(
    function: &str,
    position: usize,
    data_type: &DataType,
) -> Result<Option<KustoType>> {
    if data_type == &DataType::Null {
        return Ok(None);
    }
    match KustoType::from_arrow(data_type) {
        Some(kusto_type) => Ok(Some(kusto_type)),
        None => Err(FunctionError::WrongArgumentType {
            name: function.to_string(),
            position,
            expected: "a scalar".to_string(),
            actual: data_type.to_string(),
        }),
    }
}

/// Every value of `array` in Kusto's printed form; null prints as "".
pub(crate) fn kusto_strings(array: &ArrayRef) -> DfResult<Vec<String>> {
    let rows = array.len();
    let mut texts = Vec::with_capacity(rows);
    match array.data_type() {
        DataType::Null => texts.resize(rows, String::new()),
        DataType::LargeUtf8 => {
            let values = dynamics(array)?;
            for row in 0..rows {
                texts.push(if values.is_null(row) {
                    String::new()
                } else {
                    dynamic_to_string(values.value(row))
                });
            }
        }
        DataType::Utf8 | DataType::Utf8View => {
            let values = strings(array)?;
            for row in 0..rows {
                texts.push(crate::scalar::udf::str_at(&values, row).to_string());
            }
        }
        DataType::Boolean => {
            let values = cast(array, &DataType::Boolean)?;
            let values = values.as_any().downcast_ref::<BooleanArray>();
            for row in 0..rows {
                texts.push(match values {
                    Some(values) if values.is_valid(row) => values.value(row).to_string(),
                    _ => String::new(),
                });
            }
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let values = reals(array)?;
            for row in 0..rows {
                texts.push(if values.is_null(row) {
                    String::new()
                } else {
                    format_real(values.value(row))
                });
            }
        }
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            let values = array.as_any().downcast_ref::<Decimal128Array>();
            for row in 0..rows {
                texts.push(match values {
                    Some(values) if values.is_valid(row) => {
                        format_decimal(values.value(row), scale)
                    }
                    _ => String::new(),
                });
            }
        }
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            let as_timestamp = cast(array, &KustoType::DateTime.arrow_type())?;
            let values = nanos(&as_timestamp)?;
            for row in 0..rows {
                texts.push(if values.is_null(row) {
                    String::new()
                } else {
                    format_datetime(values.value(row))
                });
            }
        }
        DataType::Duration(_) => {
            let values = nanos(array)?;
            for row in 0..rows {
                texts.push(if values.is_null(row) {
                    String::new()
                } else {
                    format_timespan(values.value(row))
                });
            }
        }
        DataType::FixedSizeBinary(16) => {
            let values = array.as_any().downcast_ref::<FixedSizeBinaryArray>();
            for row in 0..rows {
                texts.push(match values {
                    Some(values) if values.is_valid(row) => format_guid(values.value(row)),
                    _ => String::new(),
                });
            }
        }
        data_type if data_type.is_integer() => {
            let values = longs(array)?;
            for row in 0..rows {
                texts.push(if values.is_null(row) {
                    String::new()
                } else {
                    values.value(row).to_string()
                });
            }
        }
        other => {
            return Err(datafusion::error::DataFusionError::Execution(format!(
                "tostring: unsupported argument type {other}"
            )));
        }
    }
    Ok(texts)
}

/// A dynamic printed by `tostring`: a JSON string prints its contents, anything else its JSON.
pub(crate) fn dynamic_to_string(json_text: &str) -> String {
    match serde_json::from_str::<Value>(json_text) {
        Ok(Value::String(contents)) => contents,
        Ok(Value::Null) => String::new(),
        _ => json_text.to_string(),
    }
}

/// Every value of `array` as a JSON value (what `todynamic` and `pack_array` hold); null stays
/// null. Datetimes, timespans and guids become JSON strings in their printed forms.
pub(crate) fn json_values(array: &ArrayRef) -> DfResult<Vec<Value>> {
    let rows = array.len();
    let mut values = Vec::with_capacity(rows);
    match array.data_type() {
        DataType::LargeUtf8 => {
            let texts = dynamics(array)?;
            for row in 0..rows {
                values.push(if texts.is_null(row) {
                    Value::Null
                } else {
                    parse_json_or_string(texts.value(row))
                });
            }
        }
        DataType::Boolean => {
            let booleans = cast(array, &DataType::Boolean)?;
            if let Some(booleans) = booleans.as_any().downcast_ref::<BooleanArray>() {
                for row in 0..rows {
                    values.push(if booleans.is_null(row) {
                        Value::Null
                    } else {
                        Value::Bool(booleans.value(row))
                    });
                }
            }
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let numbers = reals(array)?;
            for row in 0..rows {
                values.push(if numbers.is_null(row) {
                    Value::Null
                } else {
                    serde_json::Number::from_f64(numbers.value(row))
                        .map_or(Value::Null, Value::Number)
                });
            }
        }
        data_type if data_type.is_integer() => {
            let numbers = longs(array)?;
            for row in 0..rows {
                values.push(if numbers.is_null(row) {
                    Value::Null
                } else {
                    Value::from(numbers.value(row))
                });
            }
        }
        DataType::Decimal128(_, _) => {
            let texts = kusto_strings(array)?;
            for (row, text) in texts.into_iter().enumerate() {
                let number = if array.is_null(row) {
                    None
                } else {
                    text.parse::<serde_json::Number>().ok()
                };
                values.push(number.map_or(Value::Null, Value::Number));
            }
        }
        DataType::Null => values.resize(rows, Value::Null),
        _ => {
            let texts = kusto_strings(array)?;
            for (row, text) in texts.into_iter().enumerate() {
                values.push(if array.is_null(row) {
                    Value::Null
                } else {
                    Value::String(text)
                });
            }
        }
    }
    Ok(values)
}

/// Compact JSON text of a value; JSON null is a null dynamic.
pub(crate) fn json_text(value: &Value) -> Option<String> {
    if value.is_null() {
        None
    } else {
        Some(value.to_string())
    }
}

/// `parse_json` of a string: its JSON value, or (for text that is not JSON) the string itself.
pub(crate) fn parse_json_or_string(text: &str) -> Value {
    serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn to_string_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    Ok(string_array(kusto_strings(arg(args, 0)?)?))
}

fn to_dynamic_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let input = arg(args, 0)?;
    if matches!(input.data_type(), DataType::Utf8 | DataType::Utf8View) {
        let texts = strings(input)?;
        // The shared parser keeps the text's own number spellings and key order, exactly as
        // ingestion stores a dynamic field.
        let parsed = (0..texts.len())
            .map(|row| {
                if texts.is_null(row) {
                    return None;
                }
                // parse_json("") is null (the isnull/isempty reference tables).
                if texts.value(row).is_empty() {
                    return None;
                }
                let text = tarn_common::text::parse::parse_dynamic(texts.value(row));
                if text == "null" { None } else { Some(text) }
            })
            .collect();
        return Ok(dynamic_array(parsed));
    }
    Ok(dynamic_array(
        json_values(input)?.iter().map(json_text).collect(),
    ))
}

/// A number read from a dynamic or a string, kept as close to its source as possible.
enum Number {
    Integer(i64),
    Real(f64),
}

fn number_from_text(text: &str) -> Option<Number> {
    let trimmed = text.trim();
    if let Ok(integer) = trimmed.parse::<i64>() {
        return Some(Number::Integer(integer));
    }
    parse_real(trimmed).map(Number::Real)
}

fn parse_real(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ if text
            .chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            None
        }
        _ => text.parse::<f64>().ok(),
    }
}

fn number_from_json(value: &Value) -> Option<Number> {
    match value {
        Value::Number(number) => number
            .as_i64()
            .map(Number::Integer)
            .or_else(|| number.as_f64().map(Number::Real)),
        Value::String(text) => number_from_text(text),
        Value::Bool(flag) => Some(Number::Integer(i64::from(*flag))),
        _ => None,
    }
}

/// Each value as a number, for the numeric targets; `None` where it does not convert.
fn numbers(array: &ArrayRef) -> DfResult<Vec<Option<Number>>> {
    let rows = array.len();
    let mut out = Vec::with_capacity(rows);
    match array.data_type() {
        DataType::LargeUtf8 => {
            let texts = dynamics(array)?;
            for row in 0..rows {
                out.push(if texts.is_null(row) {
                    None
                } else {
                    serde_json::from_str::<Value>(texts.value(row))
                        .ok()
                        .as_ref()
                        .and_then(number_from_json)
                });
            }
        }
        DataType::Utf8 | DataType::Utf8View => {
            let texts = strings(array)?;
            for row in 0..rows {
                out.push(if texts.is_null(row) {
                    None
                } else {
                    number_from_text(texts.value(row))
                });
            }
        }
        DataType::Timestamp(_, _) => {
            let values = nanos(array)?;
            for row in 0..rows {
                out.push(if values.is_null(row) {
                    None
                } else {
                    Some(Number::Integer(
                        values.value(row).div_euclid(NANOS_PER_TICK) + TICKS_TO_UNIX_EPOCH,
                    ))
                });
            }
        }
        DataType::Duration(_) => {
            let values = nanos(array)?;
            for row in 0..rows {
                out.push(if values.is_null(row) {
                    None
                } else {
                    Some(Number::Integer(values.value(row) / NANOS_PER_TICK))
                });
            }
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let values = reals(array)?;
            for row in 0..rows {
                out.push(if values.is_null(row) {
                    None
                } else {
                    Some(Number::Real(values.value(row)))
                });
            }
        }
        DataType::Decimal128(_, _) => {
            let values = reals(array)?;
            for row in 0..rows {
                out.push(if values.is_null(row) {
                    None
                } else {
                    Some(Number::Real(values.value(row)))
                });
            }
        }
        DataType::Boolean => {
            let values = longs(array)?;
            for row in 0..rows {
                out.push(if values.is_null(row) {
                    None
                } else {
                    Some(Number::Integer(values.value(row)))
                });
            }
        }
        data_type if data_type.is_integer() => {
            let values = longs(array)?;
            for row in 0..rows {
                out.push(if values.is_null(row) {
                    None
                } else {
                    Some(Number::Integer(values.value(row)))
                });
            }
        }
        _ => out.resize_with(rows, || None),
    }
    Ok(out)
}

/// A real truncated toward zero, null when it does not fit (NaN, ±inf, out of range).
fn truncate_to_long(value: f64) -> Option<i64> {
    // i64::MAX as f64 rounds up to 2^63, which itself does not fit: the range excludes it.
    if !(i64::MIN as f64..i64::MAX as f64).contains(&value) {
        return None;
    }
    Some(value.trunc() as i64)
}

fn to_long_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values: Int64Array = numbers(arg(args, 0)?)?
        .into_iter()
        .map(|number| match number? {
            Number::Integer(integer) => Some(integer),
            Number::Real(real) => truncate_to_long(real),
        })
        .collect();
    Ok(Arc::new(values))
}

fn to_int_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values: Int32Array = numbers(arg(args, 0)?)?
        .into_iter()
        .map(|number| {
            let long = match number? {
                Number::Integer(integer) => integer,
                Number::Real(real) => truncate_to_long(real)?,
            };
            i32::try_from(long).ok()
        })
        .collect();
    Ok(Arc::new(values))
}

fn to_real_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values: Float64Array = numbers(arg(args, 0)?)?
        .into_iter()
        .map(|number| match number? {
            Number::Integer(integer) => Some(integer as f64),
            Number::Real(real) => Some(real),
        })
        .collect();
    Ok(Arc::new(values))
}

fn to_decimal_kernel(args: &[ArrayRef], return_type: &DataType) -> DfResult<ArrayRef> {
    let input = arg(args, 0)?;
    match input.data_type() {
        data_type if data_type.is_numeric() => Ok(cast(input, return_type)?),
        DataType::Boolean => Ok(cast(&cast(input, &DataType::Int64)?, return_type)?),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
            let texts = kusto_strings(input)?;
            let trimmed: Vec<Option<String>> = texts
                .into_iter()
                .map(|text| {
                    let text = text.trim().to_string();
                    if text.is_empty() { None } else { Some(text) }
                })
                .collect();
            let as_strings: ArrayRef = Arc::new(arrow::array::StringArray::from(trimmed));
            Ok(cast(&as_strings, return_type)?)
        }
        _ => Ok(arrow::array::new_null_array(return_type, input.len())),
    }
}

fn to_bool_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let input = arg(args, 0)?;
    let from_text = |text: &str| -> Option<bool> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("true") {
            return Some(true);
        }
        if trimmed.eq_ignore_ascii_case("false") {
            return Some(false);
        }
        trimmed.parse::<i64>().ok().map(|integer| integer != 0)
    };
    let rows = input.len();
    let values: BooleanArray = match input.data_type() {
        DataType::Boolean => return Ok(Arc::clone(input)),
        DataType::Utf8 | DataType::Utf8View => {
            let texts = strings(input)?;
            (0..rows)
                .map(|row| {
                    if texts.is_null(row) {
                        None
                    } else {
                        from_text(texts.value(row))
                    }
                })
                .collect()
        }
        DataType::LargeUtf8 => {
            let texts = dynamics(input)?;
            (0..rows)
                .map(|row| {
                    if texts.is_null(row) {
                        return None;
                    }
                    match serde_json::from_str::<Value>(texts.value(row)).ok()? {
                        Value::Bool(flag) => Some(flag),
                        Value::Number(number) => number.as_f64().map(|real| real != 0.0),
                        Value::String(text) => from_text(&text),
                        _ => None,
                    }
                })
                .collect()
        }
        data_type if data_type.is_numeric() => {
            let numbers = reals(input)?;
            (0..rows)
                .map(|row| {
                    if numbers.is_null(row) {
                        None
                    } else {
                        Some(numbers.value(row) != 0.0)
                    }
                })
                .collect()
        }
        _ => (0..rows).map(|_| None).collect(),
    };
    Ok(Arc::new(values))
}

fn to_datetime_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let input = arg(args, 0)?;
    match input.data_type() {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            Ok(cast(input, &KustoType::DateTime.arrow_type())?)
        }
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
            let texts = kusto_strings(input)?;
            Ok(datetime_array(
                texts.iter().map(|text| parse_datetime(text)).collect(),
            ))
        }
        _ => Ok(datetime_array(vec![None; input.len()])),
    }
}

fn to_timespan_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let input = arg(args, 0)?;
    let ticks_to_nanos = |number: Number| -> Option<i64> {
        match number {
            Number::Integer(ticks) => ticks.checked_mul(NANOS_PER_TICK),
            Number::Real(ticks) => truncate_to_long(ticks * NANOS_PER_TICK as f64),
        }
    };
    match input.data_type() {
        DataType::Duration(_) => Ok(cast(input, &KustoType::TimeSpan.arrow_type())?),
        DataType::Utf8 | DataType::Utf8View => {
            let texts = kusto_strings(input)?;
            Ok(crate::scalar::udf::timespan_array(
                texts.iter().map(|text| parse_timespan(text)).collect(),
            ))
        }
        DataType::LargeUtf8 => {
            let texts = dynamics(input)?;
            let values = (0..input.len())
                .map(|row| {
                    if texts.is_null(row) {
                        return None;
                    }
                    match serde_json::from_str::<Value>(texts.value(row)).ok()? {
                        Value::String(text) => parse_timespan(&text),
                        other => ticks_to_nanos(number_from_json(&other)?),
                    }
                })
                .collect();
            Ok(crate::scalar::udf::timespan_array(values))
        }
        data_type if data_type.is_numeric() => {
            let values = numbers(input)?
                .into_iter()
                .map(|number| ticks_to_nanos(number?))
                .collect();
            Ok(crate::scalar::udf::timespan_array(values))
        }
        _ => Ok(crate::scalar::udf::timespan_array(vec![None; input.len()])),
    }
}

fn to_guid_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let input = arg(args, 0)?;
    if input.data_type() == &DataType::FixedSizeBinary(16) {
        return Ok(Arc::clone(input));
    }
    let mut builder = FixedSizeBinaryBuilder::with_capacity(input.len(), 16);
    let texts = match input.data_type() {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => kusto_strings(input)?,
        _ => vec![String::new(); input.len()],
    };
    for text in &texts {
        match parse_guid(text) {
            Some(bytes) => builder.append_value(bytes)?,
            None => builder.append_null(),
        }
    }
    Ok(Arc::new(builder.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::test_support::{eval, eval_strings};
    use arrow::array::StringArray;

    /// Proves tostring prints each type in Kusto's form and null as "" (tostring reference:
    /// "If value is null, the result is an empty string"; `print tostring(123)` → "123").
    #[tokio::test]
    async fn tostring_prints_kusto_forms() {
        let column: ArrayRef = Arc::new(Int64Array::from(vec![Some(123), None]));
        let texts = eval_strings(column, |typed| plan_convert(typed, KustoType::String)).await;
        assert_eq!(texts, vec!["123".to_string(), String::new()]);
        let dynamic: ArrayRef = Arc::new(arrow::array::LargeStringArray::from(vec![
            Some("\"abc\""),
            Some("{\"a\":1}"),
        ]));
        let texts = eval_strings(dynamic, |typed| plan_convert(typed, KustoType::String)).await;
        assert_eq!(texts, vec!["abc".to_string(), "{\"a\":1}".to_string()]);
    }

    /// Proves tobool follows the reference examples: tobool("true") == true, tobool("false") ==
    /// false, tobool(1) == true, tobool(123) == true; and that garbage is null.
    #[tokio::test]
    async fn tobool_follows_reference_examples() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["true", "false", "maybe"]));
        let result = eval(texts, |typed| plan_convert(typed, KustoType::Bool)).await;
        let result = result.as_any().downcast_ref::<BooleanArray>().cloned();
        assert_eq!(
            result,
            Some(BooleanArray::from(vec![Some(true), Some(false), None]))
        );
        let numbers: ArrayRef = Arc::new(Int64Array::from(vec![1, 123, 0]));
        let result = eval(numbers, |typed| plan_convert(typed, KustoType::Bool)).await;
        let result = result.as_any().downcast_ref::<BooleanArray>().cloned();
        assert_eq!(result, Some(BooleanArray::from(vec![true, true, false])));
    }

    /// Proves tolong parses strings, truncates reals, reads dynamic numbers and gives null for
    /// what does not convert (tolong reference: `tolong("123")` == 123).
    #[tokio::test]
    async fn tolong_converts_or_nulls() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["123", " 7 ", "abc"]));
        let result = eval(texts, |typed| plan_convert(typed, KustoType::Long)).await;
        assert_eq!(
            result.as_any().downcast_ref::<Int64Array>().cloned(),
            Some(Int64Array::from(vec![Some(123), Some(7), None]))
        );
        let reals: ArrayRef = Arc::new(Float64Array::from(vec![2.9, -2.9, f64::NAN]));
        let result = eval(reals, |typed| plan_convert(typed, KustoType::Long)).await;
        assert_eq!(
            result.as_any().downcast_ref::<Int64Array>().cloned(),
            Some(Int64Array::from(vec![Some(2), Some(-2), None]))
        );
        let dynamic: ArrayRef = Arc::new(arrow::array::LargeStringArray::from(vec![
            Some("5"),
            Some("\"6\""),
            Some("[1]"),
            None,
        ]));
        let result = eval(dynamic, |typed| plan_convert(typed, KustoType::Long)).await;
        assert_eq!(
            result.as_any().downcast_ref::<Int64Array>().cloned(),
            Some(Int64Array::from(vec![Some(5), Some(6), None, None]))
        );
    }

    /// Proves todatetime and totimespan parse Kusto's text forms (todatetime reference:
    /// `todatetime("2015-12-24")` == datetime(2015-12-24)).
    #[tokio::test]
    async fn parses_datetime_and_timespan_text() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["2015-12-24", "garbage"]));
        let result = eval(texts, |typed| plan_convert(typed, KustoType::DateTime)).await;
        let result = nanos(&result).ok();
        assert_eq!(
            result,
            Some(Int64Array::from(vec![
                Some(1_450_915_200_000_000_000),
                None
            ]))
        );
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["0.00:01:00", "1d"]));
        let result = eval(texts, |typed| plan_convert(typed, KustoType::TimeSpan)).await;
        assert_eq!(
            nanos(&result).ok(),
            Some(Int64Array::from(vec![60_000_000_000, 86_400_000_000_000]))
        );
    }

    /// Proves todynamic/parse_json keeps JSON as compact text, turns non-JSON text into a JSON
    /// string, and reads the empty string as null (reference: isnull(parse_json("")) is true).
    #[tokio::test]
    async fn parse_json_compacts() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["{ \"a\" : [1, 2] }", "plain", ""]));
        let result = eval(texts, |typed| plan_convert(typed, KustoType::Dynamic)).await;
        let result = dynamics(&result).ok();
        assert_eq!(
            result,
            Some(arrow::array::LargeStringArray::from(vec![
                Some("{\"a\":[1,2]}"),
                Some("\"plain\""),
                None
            ]))
        );
    }
}
