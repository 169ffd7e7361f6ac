//! Functions over `dynamic` values: `bag_pack`/`pack`, `pack_array`, `array_length`, `bag_keys`,
//! `array_concat`, `array_slice`, `array_sort_asc`/`array_sort_desc`, `set_has_element`,
//! `array_index_of`, `bag_has_key`, and the scalar `range(start, stop[, step])` that builds an array.
//!
//! Owns: building and reading the JSON a dynamic holds. Non-dynamic arguments become JSON with
//! the same rules as `todynamic` (datetimes and timespans as their printed strings). A function
//! that expects an array or bag and gets anything else returns null (`array_length(dynamic(1))`
//! is null), never an error at run time.
//!
//! Does not own: member/index access and mv-expand (`crate::dynamic`), `parse_json`
//! (`crate::convert`).

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array};
use arrow::datatypes::DataType;
use datafusion::logical_expr::Expr;
use serde_json::{Map, Value};
use tarn_common::KustoType;

use super::udf::{DfResult, arg, call, dynamic_array, longs, nanos, reals, rows};
use super::{VARIADIC_ARGUMENTS_MAX, cast_to, check_count, exact_args, require_type};
use crate::convert::{json_values, kusto_strings};
use crate::dynamic::dynamic_values;
use crate::{FunctionError, Result, TypedExpr};

/// Dynamic arguments stay JSON text; others are converted in the kernel by `json_values`.
fn value_arg(arg: TypedExpr) -> Expr {
    arg.expr
}

pub(crate) fn plan(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    let dynamic = DataType::LargeUtf8;
    match name {
        "bag_pack" | "pack" => {
            check_count(name, &args, 0, VARIADIC_ARGUMENTS_MAX)?;
            if !args.len().is_multiple_of(2) {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.to_string(),
                    expected: "an even number of".to_string(),
                    actual: args.len(),
                });
            }
            let mut planned = Vec::new();
            for (index, value) in args.into_iter().enumerate() {
                if index % 2 == 0 {
                    require_type(name, index + 1, &value, &[KustoType::String])?;
                }
                planned.push(value_arg(value));
            }
            if planned.is_empty() {
                return Ok(datafusion::logical_expr::lit(
                    datafusion::common::ScalarValue::LargeUtf8(Some("{}".to_string())),
                ));
            }
            Ok(call("bag_pack", dynamic, bag_pack_kernel, planned))
        }
        "pack_array" => {
            check_count(name, &args, 1, VARIADIC_ARGUMENTS_MAX)?;
            Ok(call(
                name,
                dynamic,
                pack_array_kernel,
                args.into_iter().map(value_arg).collect(),
            ))
        }
        "range" => plan_range(args),
        "array_length" | "bag_keys" | "array_sort_asc" | "array_sort_desc" => {
            let [value] = exact_args::<1>(name, args)?;
            require_type(name, 1, &value, &[KustoType::Dynamic])?;
            let (return_type, kernel): (DataType, super::udf::Kernel) = match name {
                "array_length" => (DataType::Int64, array_length_kernel),
                "bag_keys" => (dynamic, bag_keys_kernel),
                "array_sort_asc" => (dynamic, sort_ascending_kernel),
                _ => (dynamic, sort_descending_kernel),
            };
            Ok(call(name, return_type, kernel, vec![value.expr]))
        }
        "array_concat" => {
            check_count(name, &args, 1, VARIADIC_ARGUMENTS_MAX)?;
            for (index, value) in args.iter().enumerate() {
                require_type(name, index + 1, value, &[KustoType::Dynamic])?;
            }
            Ok(call(
                name,
                dynamic,
                array_concat_kernel,
                args.into_iter().map(value_arg).collect(),
            ))
        }
        "array_slice" => {
            let [array, start, end] = exact_args::<3>(name, args)?;
            require_type(name, 1, &array, &[KustoType::Dynamic])?;
            require_type(name, 2, &start, &[KustoType::Int, KustoType::Long])?;
            require_type(name, 3, &end, &[KustoType::Int, KustoType::Long])?;
            Ok(call(
                name,
                dynamic,
                array_slice_kernel,
                vec![
                    array.expr,
                    cast_to(start, &DataType::Int64),
                    cast_to(end, &DataType::Int64),
                ],
            ))
        }
        "set_has_element" | "array_index_of" => {
            let [array, value] = exact_args::<2>(name, args)?;
            require_type(name, 1, &array, &[KustoType::Dynamic])?;
            let (return_type, kernel): (DataType, super::udf::Kernel) = if name == "set_has_element"
            {
                (DataType::Boolean, set_has_element_kernel)
            } else {
                (DataType::Int64, array_index_of_kernel)
            };
            Ok(call(
                name,
                return_type,
                kernel,
                vec![array.expr, value_arg(value)],
            ))
        }
        "bag_has_key" => {
            let [bag, key] = exact_args::<2>(name, args)?;
            require_type(name, 1, &bag, &[KustoType::Dynamic])?;
            require_type(name, 2, &key, &[KustoType::String])?;
            Ok(call(
                name,
                DataType::Boolean,
                bag_has_key_kernel,
                vec![bag.expr, key.expr],
            ))
        }
        _ => Err(FunctionError::UnknownFunction {
            name: name.to_string(),
        }),
    }
}

fn bag_pack_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let mut columns = Vec::new();
    for pair in args.chunks(2) {
        let (Some(keys), Some(values)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        columns.push((kusto_strings(keys)?, json_values(values)?));
    }
    let bags = (0..rows(args))
        .map(|row| {
            let mut bag = Map::new();
            for (keys, values) in &columns {
                if let (Some(key), Some(value)) = (keys.get(row), values.get(row)) {
                    bag.insert(key.clone(), value.clone());
                }
            }
            Some(Value::Object(bag).to_string())
        })
        .collect();
    Ok(dynamic_array(bags))
}

fn pack_array_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let columns = args.iter().map(json_values).collect::<DfResult<Vec<_>>>()?;
    let arrays = (0..rows(args))
        .map(|row| {
            Some(
                Value::Array(
                    columns
                        .iter()
                        .map(|column| column.get(row).cloned().unwrap_or(Value::Null))
                        .collect(),
                )
                .to_string(),
            )
        })
        .collect();
    Ok(dynamic_array(arrays))
}

fn array_length_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = dynamic_values(arg(args, 0)?)?;
    let lengths: Int64Array = values
        .iter()
        .map(|value| match value {
            Value::Array(elements) => i64::try_from(elements.len()).ok(),
            _ => None,
        })
        .collect();
    Ok(Arc::new(lengths))
}

fn bag_keys_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = dynamic_values(arg(args, 0)?)?;
    let keys = values
        .iter()
        .map(|value| match value {
            Value::Object(members) => {
                Some(Value::Array(members.keys().cloned().map(Value::String).collect()).to_string())
            }
            _ => None,
        })
        .collect();
    Ok(dynamic_array(keys))
}

fn array_concat_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let columns = args
        .iter()
        .map(dynamic_values)
        .collect::<DfResult<Vec<_>>>()?;
    let arrays = (0..rows(args))
        .map(|row| {
            let mut joined = Vec::new();
            for column in &columns {
                // Any argument that is not an array makes the whole result null.
                match column.get(row)? {
                    Value::Array(elements) => joined.extend(elements.iter().cloned()),
                    _ => return None,
                }
            }
            Some(Value::Array(joined).to_string())
        })
        .collect();
    Ok(dynamic_array(arrays))
}

/// `array_slice(array, start, end)`: elements start..=end, negative indexes from the end; an
/// empty array when the range is empty.
fn array_slice_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = dynamic_values(arg(args, 0)?)?;
    let starts = super::udf::longs(arg(args, 1)?)?;
    let ends = super::udf::longs(arg(args, 2)?)?;
    let slices = values
        .iter()
        .zip(starts.iter().zip(ends.iter()))
        .map(|(value, (start, end))| {
            let Value::Array(elements) = value else {
                return None;
            };
            let length = i64::try_from(elements.len()).ok()?;
            let resolve = |index: i64| if index < 0 { length + index } else { index };
            let first = resolve(start?).max(0);
            let last = resolve(end?).min(length - 1);
            if first > last {
                return Some("[]".to_string());
            }
            let range = usize::try_from(first).ok()?..=usize::try_from(last).ok()?;
            Some(Value::Array(elements.get(range)?.to_vec()).to_string())
        })
        .collect();
    Ok(dynamic_array(slices))
}

/// Order for array_sort: numbers, then strings, then booleans, then everything else; nulls last.
fn compare_json(left: &Value, right: &Value) -> Ordering {
    fn rank(value: &Value) -> u8 {
        match value {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) | Value::Object(_) => 3,
            Value::Null => 4,
        }
    }
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        _ => rank(left).cmp(&rank(right)),
    }
}

fn sort_kernel(args: &[ArrayRef], descending: bool) -> DfResult<ArrayRef> {
    let values = dynamic_values(arg(args, 0)?)?;
    let sorted = values
        .into_iter()
        .map(|value| {
            let Value::Array(mut elements) = value else {
                return None;
            };
            elements.sort_by(|left, right| {
                // Nulls stay last in both directions.
                match (left.is_null(), right.is_null()) {
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ if descending => compare_json(right, left),
                    _ => compare_json(left, right),
                }
            });
            Some(Value::Array(elements).to_string())
        })
        .collect();
    Ok(dynamic_array(sorted))
}

fn sort_ascending_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    sort_kernel(args, false)
}

fn sort_descending_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    sort_kernel(args, true)
}

/// JSON equality with numbers compared by value (1 equals 1.0).
fn json_equals(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => left == right,
    }
}

fn position_in(array: &Value, needle: &Value) -> Option<i64> {
    let Value::Array(elements) = array else {
        return None;
    };
    Some(
        elements
            .iter()
            .position(|element| json_equals(element, needle))
            .map_or(-1, |index| i64::try_from(index).unwrap_or(-1)),
    )
}

fn set_has_element_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let arrays = dynamic_values(arg(args, 0)?)?;
    let needles = json_values(arg(args, 1)?)?;
    let flags: BooleanArray = arrays
        .iter()
        .zip(needles.iter())
        .map(|(array, needle)| position_in(array, needle).map(|index| index >= 0))
        .collect();
    Ok(Arc::new(flags))
}

fn array_index_of_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let arrays = dynamic_values(arg(args, 0)?)?;
    let needles = json_values(arg(args, 1)?)?;
    let positions: Int64Array = arrays
        .iter()
        .zip(needles.iter())
        .map(|(array, needle)| position_in(array, needle))
        .collect();
    Ok(Arc::new(positions))
}

fn bag_has_key_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let bags = dynamic_values(arg(args, 0)?)?;
    let keys = kusto_strings(arg(args, 1)?)?;
    let flags: BooleanArray = bags
        .iter()
        .zip(keys.iter())
        .map(|(bag, key)| match bag {
            Value::Object(members) => Some(members.contains_key(key)),
            _ => None,
        })
        .collect();
    Ok(Arc::new(flags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FunctionContext;
    use crate::scalar::plan_scalar;
    use crate::scalar::test_support::{eval_many, strings_of};
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::lit;

    const CTX: FunctionContext = FunctionContext { now_nanos: 0 };

    fn dynamic(json: &str) -> TypedExpr {
        TypedExpr::new(
            lit(ScalarValue::LargeUtf8(Some(json.to_string()))),
            DataType::LargeUtf8,
        )
    }

    fn long(value: i64) -> TypedExpr {
        TypedExpr::new(lit(value), DataType::Int64)
    }

    async fn run(name: &str, args: Vec<TypedExpr>) -> Vec<String> {
        let dummy: ArrayRef = Arc::new(Int64Array::from(vec![0]));
        let result = eval_many(vec![dummy], |_| plan_scalar(name, args, &CTX)).await;
        strings_of(&result)
    }

    /// Proves bag_pack builds JSON from mixed KQL types and keeps key order, as the reference's
    /// bag_pack("Level", "Information", "ProcessID", 1234, "Data", bag_pack("url", "www.bing.com"))
    /// = {"Level":"Information","ProcessID":1234,"Data":{"url":"www.bing.com"}} shows (not sorted).
    #[tokio::test]
    async fn packing() {
        let args = vec![
            TypedExpr::new(lit("Level"), DataType::Utf8),
            TypedExpr::new(lit("Information"), DataType::Utf8),
            TypedExpr::new(lit("ProcessID"), DataType::Utf8),
            long(1234),
            TypedExpr::new(lit("Data"), DataType::Utf8),
            dynamic("{\"url\":\"www.bing.com\"}"),
        ];
        let expected =
            "{\"Level\":\"Information\",\"ProcessID\":1234,\"Data\":{\"url\":\"www.bing.com\"}}";
        assert_eq!(run("bag_pack", args).await, vec![expected]);
        assert_eq!(
            run(
                "pack_array",
                vec![long(1), TypedExpr::new(lit("a"), DataType::Utf8)]
            )
            .await,
            vec!["[1,\"a\"]"]
        );
    }

    /// Proves the array readers: array_length (reference: array_length(dynamic([1, 2, 3, "four"]))
    /// = 4, of a non-array null), array_slice (reference: array_slice(dynamic([1,2,3]), 1, 2) =
    /// [2,3], array_slice(dynamic([1,2,3,4,5]), -3, -2) = [3,4]), array_index_of (-1 when absent).
    #[tokio::test]
    async fn array_readers() {
        assert_eq!(
            run("array_length", vec![dynamic("[1,2,3,\"four\"]")]).await,
            vec!["4"]
        );
        assert_eq!(
            run("array_length", vec![dynamic("{\"a\":1}")]).await,
            vec!["<null>"]
        );
        assert_eq!(
            run("array_slice", vec![dynamic("[1,2,3]"), long(1), long(2)]).await,
            vec!["[2,3]"]
        );
        assert_eq!(
            run(
                "array_slice",
                vec![dynamic("[1,2,3,4,5]"), long(-3), long(-2)]
            )
            .await,
            vec!["[3,4]"]
        );
        assert_eq!(
            run(
                "array_index_of",
                vec![
                    dynamic("[\"a\",\"b\"]"),
                    TypedExpr::new(lit("b"), DataType::Utf8)
                ]
            )
            .await,
            vec!["1"]
        );
        assert_eq!(
            run("array_index_of", vec![dynamic("[1,2]"), long(3)]).await,
            vec!["-1"]
        );
        assert_eq!(
            run("set_has_element", vec![dynamic("[1,2]"), long(2)]).await,
            vec!["true"]
        );
        assert_eq!(
            run("array_sort_asc", vec![dynamic("[3,null,1,2]")]).await,
            vec!["[1,2,3,null]"]
        );
        assert_eq!(
            run("array_sort_desc", vec![dynamic("[3,null,1,2]")]).await,
            vec!["[3,2,1,null]"]
        );
        assert_eq!(
            run("array_concat", vec![dynamic("[1]"), dynamic("[2,3]")]).await,
            vec!["[1,2,3]"]
        );
    }

    /// Proves the bag readers: bag_keys lists keys, bag_has_key tests one.
    #[tokio::test]
    async fn bag_readers() {
        assert_eq!(
            run("bag_keys", vec![dynamic("{\"a\":1,\"b\":2}")]).await,
            vec!["[\"a\",\"b\"]"]
        );
        let key = TypedExpr::new(lit("b"), DataType::Utf8);
        assert_eq!(
            run("bag_has_key", vec![dynamic("{\"a\":1,\"b\":2}"), key]).await,
            vec!["true"]
        );
    }
}

/// The most values `range()` returns, as in Kusto; a longer range is null.
pub const RANGE_VALUES_MAX: i64 = 1_048_576;

#[derive(Clone, Copy, PartialEq)]
enum RangeKind {
    Long,
    Real,
    DateTime,
    TimeSpan,
}

/// `range(start, stop[, step])`: the values from `start` up to `stop` inclusive as a dynamic array;
/// numbers (step defaults to 1), or datetimes/timespans with a timespan step.
fn plan_range(args: Vec<TypedExpr>) -> Result<Expr> {
    let name = "range";
    check_count(name, &args, 2, 3)?;
    let kinds: Vec<Option<KustoType>> = args.iter().map(|arg| KustoType::from_arrow(&arg.data_type)).collect();
    let numeric = |kind: Option<KustoType>| matches!(kind, Some(KustoType::Int | KustoType::Long | KustoType::Real | KustoType::Decimal));
    let kind = match kinds[0] {
        Some(KustoType::DateTime) => RangeKind::DateTime,
        Some(KustoType::TimeSpan) => RangeKind::TimeSpan,
        _ if kinds.iter().all(|kind| numeric(*kind)) => {
            if kinds.iter().any(|kind| matches!(kind, Some(KustoType::Real | KustoType::Decimal))) { RangeKind::Real } else { RangeKind::Long }
        }
        _ => {
            return Err(FunctionError::InvalidArgument {
                name: name.to_string(),
                reason: "expects numbers, or datetimes or timespans with a timespan step".to_string(),
            });
        }
    };
    let nanos_type = |kusto: KustoType| kusto.arrow_type();
    let (endpoint, step_type) = match kind {
        RangeKind::Long => (DataType::Int64, DataType::Int64),
        RangeKind::Real => (DataType::Float64, DataType::Float64),
        RangeKind::DateTime => (nanos_type(KustoType::DateTime), nanos_type(KustoType::TimeSpan)),
        RangeKind::TimeSpan => (nanos_type(KustoType::TimeSpan), nanos_type(KustoType::TimeSpan)),
    };
    if matches!(kind, RangeKind::DateTime | RangeKind::TimeSpan) {
        let endpoint_kind = if kind == RangeKind::DateTime { KustoType::DateTime } else { KustoType::TimeSpan };
        if kinds[1] != Some(endpoint_kind) || kinds.get(2).copied().flatten() != Some(KustoType::TimeSpan) {
            return Err(FunctionError::InvalidArgument {
                name: name.to_string(),
                reason: format!("a {} range needs a {} stop and a timespan step", endpoint_kind.name(), endpoint_kind.name()),
            });
        }
    }
    let mut exprs = Vec::with_capacity(3);
    let mut args = args.into_iter();
    for (index, target) in [&endpoint, &endpoint, &step_type].into_iter().enumerate() {
        match args.next() {
            Some(arg) => exprs.push(cast_to(arg, target)),
            None if index == 2 => exprs.push(match kind {
                RangeKind::Real => datafusion::logical_expr::lit(1.0f64),
                _ => datafusion::logical_expr::lit(1i64),
            }),
            None => {
                unreachable_argument()?;
            }
        }
    }
    let kernel: super::udf::Kernel = match kind {
        RangeKind::Long => range_long_kernel,
        RangeKind::Real => range_real_kernel,
        RangeKind::DateTime => range_datetime_kernel,
        RangeKind::TimeSpan => range_timespan_kernel,
    };
    Ok(call(name, DataType::LargeUtf8, kernel, exprs))
}

fn unreachable_argument() -> Result<()> {
    Err(FunctionError::InvalidArgument { name: "range".to_string(), reason: "expects a start and a stop".to_string() })
}

/// The values of one range as JSON, or None when the step is zero, points away from `stop`
/// by more than nothing, or the range is longer than [`RANGE_VALUES_MAX`].
fn range_values<T: Copy>(start: T, stop: T, step: T, count: impl Fn(T, T, T) -> Option<i64>, nth: impl Fn(T, T, i64) -> Value) -> Option<String> {
    let values = count(start, stop, step)?;
    if values > RANGE_VALUES_MAX {
        return None;
    }
    Some(Value::Array((0..values).map(|index| nth(start, step, index)).collect()).to_string())
}

fn integer_count(start: i64, stop: i64, step: i64) -> Option<i64> {
    if step == 0 {
        return None;
    }
    let span = i128::from(stop) - i128::from(start);
    if span != 0 && (span > 0) != (step > 0) {
        return Some(0);
    }
    i64::try_from(span / i128::from(step) + 1).ok()
}

fn range_over_longs(args: &[ArrayRef], nth: fn(i64, i64, i64) -> Value, read: fn(&ArrayRef) -> DfResult<Int64Array>) -> DfResult<ArrayRef> {
    let (starts, stops, steps) = (read(arg(args, 0)?)?, read(arg(args, 1)?)?, read(arg(args, 2)?)?);
    let values = (0..rows(args))
        .map(|row| {
            if starts.is_null(row) || stops.is_null(row) || steps.is_null(row) {
                return None;
            }
            range_values(starts.value(row), stops.value(row), steps.value(row), integer_count, nth)
        })
        .collect();
    Ok(dynamic_array(values))
}

fn range_long_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    range_over_longs(args, |start, step, index| Value::from(start.saturating_add(step.saturating_mul(index))), longs)
}

fn range_datetime_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    range_over_longs(
        args,
        |start, step, index| Value::String(tarn_common::text::format::format_datetime(start.saturating_add(step.saturating_mul(index)))),
        nanos,
    )
}

fn range_timespan_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    range_over_longs(
        args,
        |start, step, index| Value::String(tarn_common::text::format::format_timespan(start.saturating_add(step.saturating_mul(index)))),
        nanos,
    )
}

fn range_real_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let (starts, stops, steps) = (reals(arg(args, 0)?)?, reals(arg(args, 1)?)?, reals(arg(args, 2)?)?);
    let count = |start: f64, stop: f64, step: f64| -> Option<i64> {
        if step == 0.0 || !start.is_finite() || !stop.is_finite() || !step.is_finite() {
            return None;
        }
        let steps = ((stop - start) / step).floor();
        if steps < 0.0 {
            return Some(0);
        }
        // Within the limit check below; beyond it the range is null anyway.
        if steps >= RANGE_VALUES_MAX as f64 { Some(RANGE_VALUES_MAX + 1) } else { Some(steps as i64 + 1) }
    };
    let values = (0..rows(args))
        .map(|row| {
            if starts.is_null(row) || stops.is_null(row) || steps.is_null(row) {
                return None;
            }
            range_values(starts.value(row), stops.value(row), steps.value(row), count, |start, step, index| {
                serde_json::Number::from_f64(start + step * index as f64).map(Value::Number).unwrap_or(Value::Null)
            })
        })
        .collect();
    Ok(dynamic_array(values))
}
