//! Datetime functions: `now`, `ago`, `datetime_add`, `datetime_diff`, `datetime_part` and its
//! shorthands (`getyear`, `getmonth`, `dayofmonth`, `dayofyear`, `hourofday`, `week_of_year`),
//! `dayofweek`, `startof*`/`endof*`, `make_datetime`, `make_timespan`, `unixtime_*_todatetime`,
//! `format_datetime`, `format_timespan`.
//!
//! Owns: the calendar rules as Kusto states them — weeks start on Sunday (`startofweek`,
//! `datetime_diff('week', ...)`), `week_of_year` is ISO 8601, `endof*` is one tick (100 ns)
//! before the next period, months added past a month's end clamp to its last day — and the
//! .NET-style format specifiers of `format_datetime` / `format_timespan`.
//!
//! Does not own: the query's clock (`FunctionContext::now_nanos`, fixed by the caller so every
//! `now()` in a query agrees), datetime arithmetic operators (`crate::operators`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array, Int64Array, StringArray};
use arrow::datatypes::DataType;
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, Timelike};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, lit};
use tarn_common::KustoType;

use super::text::{
    NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MINUTE, NANOS_PER_SECOND, NANOS_PER_TICK,
    datetime_from_nanos,
};
use super::udf::{
    DfResult, arg, call, datetime_array, nanos, reals, str_at, strings, timespan_array,
};
use super::{cast_to, check_count, exact_args, require_type};
use crate::operators::{ArithmeticOp, plan_arithmetic};
use crate::{FunctionContext, FunctionError, Result, TypedExpr};

pub(crate) fn handles(name: &str) -> bool {
    matches!(
        name,
        "now"
            | "ago"
            | "datetime_add"
            | "datetime_diff"
            | "datetime_part"
            | "getyear"
            | "getmonth"
            | "monthofyear"
            | "dayofmonth"
            | "dayofweek"
            | "dayofyear"
            | "hourofday"
            | "week_of_year"
            | "startofday"
            | "startofweek"
            | "startofmonth"
            | "startofyear"
            | "endofday"
            | "endofweek"
            | "endofmonth"
            | "endofyear"
            | "make_datetime"
            | "make_timespan"
            | "unixtime_seconds_todatetime"
            | "unixtime_milliseconds_todatetime"
            | "unixtime_microseconds_todatetime"
            | "unixtime_nanoseconds_todatetime"
            | "format_datetime"
            | "format_timespan"
    )
}

fn datetime_type() -> DataType {
    KustoType::DateTime.arrow_type()
}

fn timespan_type() -> DataType {
    KustoType::TimeSpan.arrow_type()
}

fn now_literal(ctx: &FunctionContext) -> TypedExpr {
    TypedExpr::new(
        Expr::Literal(
            ScalarValue::TimestampNanosecond(Some(ctx.now_nanos), Some("UTC".into())),
            None,
        ),
        datetime_type(),
    )
}

pub(crate) fn plan(name: &str, args: Vec<TypedExpr>, ctx: &FunctionContext) -> Result<Expr> {
    match name {
        "now" => {
            check_count(name, &args, 0, 1)?;
            match args.into_iter().next() {
                None => Ok(now_literal(ctx).expr),
                Some(offset) => {
                    require_type(name, 1, &offset, &[KustoType::TimeSpan])?;
                    plan_arithmetic(ArithmeticOp::Add, now_literal(ctx), offset)
                }
            }
        }
        "ago" => {
            let [span] = exact_args::<1>(name, args)?;
            require_type(name, 1, &span, &[KustoType::TimeSpan])?;
            plan_arithmetic(ArithmeticOp::Sub, now_literal(ctx), span)
        }
        "datetime_add" => {
            let [part, amount, datetime] = exact_args::<3>(name, args)?;
            constant_part(name, &part, ADD_PARTS)?;
            require_type(name, 2, &amount, &[KustoType::Int, KustoType::Long])?;
            require_type(name, 3, &datetime, &[KustoType::DateTime])?;
            Ok(call(
                name,
                datetime_type(),
                datetime_add_kernel,
                vec![
                    part.expr,
                    cast_to(amount, &DataType::Int64),
                    cast_to(datetime, &datetime_type()),
                ],
            ))
        }
        "datetime_diff" => {
            let [part, left, right] = exact_args::<3>(name, args)?;
            constant_part(name, &part, ADD_PARTS)?;
            require_type(name, 2, &left, &[KustoType::DateTime])?;
            require_type(name, 3, &right, &[KustoType::DateTime])?;
            Ok(call(
                name,
                DataType::Int64,
                datetime_diff_kernel,
                vec![
                    part.expr,
                    cast_to(left, &datetime_type()),
                    cast_to(right, &datetime_type()),
                ],
            ))
        }
        "datetime_part" => {
            let [part, datetime] = exact_args::<2>(name, args)?;
            constant_part(name, &part, EXTRACT_PARTS)?;
            require_type(name, 2, &datetime, &[KustoType::DateTime])?;
            Ok(call(
                name,
                DataType::Int32,
                datetime_part_kernel,
                vec![part.expr, cast_to(datetime, &datetime_type())],
            ))
        }
        "getyear" | "getmonth" | "monthofyear" | "dayofmonth" | "dayofyear" | "hourofday"
        | "week_of_year" => {
            let [datetime] = exact_args::<1>(name, args)?;
            require_type(name, 1, &datetime, &[KustoType::DateTime])?;
            let part = match name {
                "getyear" => "year",
                "getmonth" | "monthofyear" => "month",
                "dayofmonth" => "day",
                "dayofyear" => "dayofyear",
                "hourofday" => "hour",
                _ => "week_of_year",
            };
            Ok(call(
                "datetime_part",
                DataType::Int32,
                datetime_part_kernel,
                vec![lit(part), cast_to(datetime, &datetime_type())],
            ))
        }
        "dayofweek" => {
            let [datetime] = exact_args::<1>(name, args)?;
            require_type(name, 1, &datetime, &[KustoType::DateTime])?;
            Ok(call(
                name,
                timespan_type(),
                dayofweek_kernel,
                vec![cast_to(datetime, &datetime_type())],
            ))
        }
        "startofday" | "startofweek" | "startofmonth" | "startofyear" | "endofday"
        | "endofweek" | "endofmonth" | "endofyear" => {
            check_count(name, &args, 1, 2)?;
            let mut args = args.into_iter();
            let Some(datetime) = args.next() else {
                return Err(FunctionError::WrongArgumentCount {
                    name: name.to_string(),
                    expected: "between 1 and 2".to_string(),
                    actual: 0,
                });
            };
            require_type(name, 1, &datetime, &[KustoType::DateTime])?;
            let offset = match args.next() {
                Some(offset) => {
                    require_type(name, 2, &offset, &[KustoType::Int, KustoType::Long])?;
                    cast_to(offset, &DataType::Int64)
                }
                None => lit(0_i64),
            };
            let kernel: super::udf::Kernel = match name {
                "startofday" => start_of_day_kernel,
                "startofweek" => start_of_week_kernel,
                "startofmonth" => start_of_month_kernel,
                "startofyear" => start_of_year_kernel,
                "endofday" => end_of_day_kernel,
                "endofweek" => end_of_week_kernel,
                "endofmonth" => end_of_month_kernel,
                _ => end_of_year_kernel,
            };
            Ok(call(
                name,
                datetime_type(),
                kernel,
                vec![cast_to(datetime, &datetime_type()), offset],
            ))
        }
        "make_datetime" => {
            check_count(name, &args, 3, 7)?;
            let mut planned = Vec::new();
            for (index, value) in args.into_iter().enumerate() {
                require_type(
                    name,
                    index + 1,
                    &value,
                    &[
                        KustoType::Int,
                        KustoType::Long,
                        KustoType::Real,
                        KustoType::Decimal,
                    ],
                )?;
                planned.push(cast_to(value, &DataType::Float64));
            }
            Ok(call(name, datetime_type(), make_datetime_kernel, planned))
        }
        "make_timespan" => {
            check_count(name, &args, 2, 4)?;
            let mut planned = Vec::new();
            for (index, value) in args.into_iter().enumerate() {
                require_type(
                    name,
                    index + 1,
                    &value,
                    &[
                        KustoType::Int,
                        KustoType::Long,
                        KustoType::Real,
                        KustoType::Decimal,
                    ],
                )?;
                planned.push(cast_to(value, &DataType::Float64));
            }
            Ok(call(name, timespan_type(), make_timespan_kernel, planned))
        }
        "unixtime_seconds_todatetime"
        | "unixtime_milliseconds_todatetime"
        | "unixtime_microseconds_todatetime"
        | "unixtime_nanoseconds_todatetime" => {
            let [value] = exact_args::<1>(name, args)?;
            require_type(
                name,
                1,
                &value,
                &[
                    KustoType::Int,
                    KustoType::Long,
                    KustoType::Real,
                    KustoType::Decimal,
                ],
            )?;
            let unit_nanos: f64 = match name {
                "unixtime_seconds_todatetime" => 1e9,
                "unixtime_milliseconds_todatetime" => 1e6,
                "unixtime_microseconds_todatetime" => 1e3,
                _ => 1.0,
            };
            Ok(call(
                name,
                datetime_type(),
                unixtime_kernel,
                vec![cast_to(value, &DataType::Float64), lit(unit_nanos)],
            ))
        }
        "format_datetime" => {
            let [datetime, format] = exact_args::<2>(name, args)?;
            require_type(name, 1, &datetime, &[KustoType::DateTime])?;
            require_type(name, 2, &format, &[KustoType::String])?;
            Ok(call(
                name,
                DataType::Utf8,
                format_datetime_kernel,
                vec![cast_to(datetime, &datetime_type()), format.expr],
            ))
        }
        "format_timespan" => {
            let [span, format] = exact_args::<2>(name, args)?;
            require_type(name, 1, &span, &[KustoType::TimeSpan])?;
            require_type(name, 2, &format, &[KustoType::String])?;
            Ok(call(
                name,
                DataType::Utf8,
                format_timespan_kernel,
                vec![cast_to(span, &timespan_type()), format.expr],
            ))
        }
        _ => Err(FunctionError::UnknownFunction {
            name: name.to_string(),
        }),
    }
}

/// Parts `datetime_add` and `datetime_diff` accept.
const ADD_PARTS: &[&str] = &[
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

/// Parts `datetime_part` accepts.
const EXTRACT_PARTS: &[&str] = &[
    "year",
    "quarter",
    "month",
    "week_of_year",
    "week",
    "day",
    "dayofyear",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

/// The part argument must be a string constant naming one of `allowed` (case-insensitive).
fn constant_part(name: &str, part: &TypedExpr, allowed: &[&str]) -> Result<()> {
    let text = match &part.expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(text))
            | ScalarValue::Utf8View(Some(text))
            | ScalarValue::LargeUtf8(Some(text)),
            _,
        ) => text,
        _ => {
            return Err(FunctionError::InvalidArgument {
                name: name.to_string(),
                reason: "the period argument must be a constant string".to_string(),
            });
        }
    };
    if allowed.contains(&text.to_ascii_lowercase().as_str()) {
        return Ok(());
    }
    Err(FunctionError::InvalidArgument {
        name: name.to_string(),
        reason: format!(
            "unknown period '{text}'; expected one of {}",
            allowed.join(", ")
        ),
    })
}

fn naive(nanos: i64) -> NaiveDateTime {
    datetime_from_nanos(nanos).naive_utc()
}

fn to_nanos(naive: NaiveDateTime) -> Option<i64> {
    naive.and_utc().timestamp_nanos_opt()
}

fn add_months(nanos: i64, months: i64) -> Option<i64> {
    let start = naive(nanos);
    let magnitude = u32::try_from(months.unsigned_abs()).ok()?;
    let moved = if months >= 0 {
        start.checked_add_months(Months::new(magnitude))?
    } else {
        start.checked_sub_months(Months::new(magnitude))?
    };
    to_nanos(moved)
}

fn add_part(part: &str, amount: i64, nanos: i64) -> Option<i64> {
    let unit = match part {
        "year" => return add_months(nanos, amount.checked_mul(12)?),
        "quarter" => return add_months(nanos, amount.checked_mul(3)?),
        "month" => return add_months(nanos, amount),
        "week" => 7 * NANOS_PER_DAY,
        "day" => NANOS_PER_DAY,
        "hour" => NANOS_PER_HOUR,
        "minute" => NANOS_PER_MINUTE,
        "second" => NANOS_PER_SECOND,
        "millisecond" => 1_000_000,
        "microsecond" => 1_000,
        "nanosecond" => 1,
        _ => return None,
    };
    nanos.checked_add(amount.checked_mul(unit)?)
}

fn datetime_add_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let parts = strings(arg(args, 0)?)?;
    let amounts = super::udf::longs(arg(args, 1)?)?;
    let datetimes = nanos(arg(args, 2)?)?;
    let values = (0..datetimes.len())
        .map(|row| {
            if amounts.is_null(row) || datetimes.is_null(row) {
                return None;
            }
            add_part(
                &str_at(&parts, row).to_ascii_lowercase(),
                amounts.value(row),
                datetimes.value(row),
            )
        })
        .collect();
    Ok(datetime_array(values))
}

/// Days since 1970-01-01 (floor), and the index of the Sunday-started week holding that day.
fn day_index(nanos: i64) -> i64 {
    nanos.div_euclid(NANOS_PER_DAY)
}

fn sunday_week_index(nanos: i64) -> i64 {
    // 1970-01-01 was a Thursday: shifting by 4 days puts Sundays on multiples of 7.
    (day_index(nanos) + 4).div_euclid(7)
}

/// `datetime_diff(part, left, right)`: how many `part` boundaries lie between right and left
/// (the reference: `datetime_diff('year', 2017-01-01, 2000-12-31)` = 17, `'week'` counts
/// Sunday-started weeks).
fn diff_part(part: &str, left: i64, right: i64) -> Option<i64> {
    let (left_civil, right_civil) = (naive(left), naive(right));
    let months = |civil: &NaiveDateTime| i64::from(civil.year()) * 12 + i64::from(civil.month0());
    let floor_diff = |unit: i64| left.div_euclid(unit) - right.div_euclid(unit);
    Some(match part {
        "year" => i64::from(left_civil.year()) - i64::from(right_civil.year()),
        "quarter" => months(&left_civil).div_euclid(3) - months(&right_civil).div_euclid(3),
        "month" => months(&left_civil) - months(&right_civil),
        "week" => sunday_week_index(left) - sunday_week_index(right),
        "day" => floor_diff(NANOS_PER_DAY),
        "hour" => floor_diff(NANOS_PER_HOUR),
        "minute" => floor_diff(NANOS_PER_MINUTE),
        "second" => floor_diff(NANOS_PER_SECOND),
        "millisecond" => floor_diff(1_000_000),
        "microsecond" => floor_diff(1_000),
        "nanosecond" => left.checked_sub(right)?,
        _ => return None,
    })
}

fn datetime_diff_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let parts = strings(arg(args, 0)?)?;
    let lefts = nanos(arg(args, 1)?)?;
    let rights = nanos(arg(args, 2)?)?;
    let values: Int64Array = (0..lefts.len())
        .map(|row| {
            if lefts.is_null(row) || rights.is_null(row) {
                return None;
            }
            diff_part(
                &str_at(&parts, row).to_ascii_lowercase(),
                lefts.value(row),
                rights.value(row),
            )
        })
        .collect();
    Ok(Arc::new(values))
}

fn extract_part(part: &str, nanos: i64) -> Option<i32> {
    let civil = naive(nanos);
    let sub_second = nanos.rem_euclid(NANOS_PER_SECOND);
    Some(match part {
        "year" => civil.year(),
        "quarter" => i32::try_from(civil.month0() / 3 + 1).ok()?,
        "month" => i32::try_from(civil.month()).ok()?,
        "week_of_year" | "week" => i32::try_from(civil.iso_week().week()).ok()?,
        "day" => i32::try_from(civil.day()).ok()?,
        "dayofyear" => i32::try_from(civil.ordinal()).ok()?,
        "hour" => i32::try_from(civil.hour()).ok()?,
        "minute" => i32::try_from(civil.minute()).ok()?,
        "second" => i32::try_from(civil.second()).ok()?,
        "millisecond" => i32::try_from(sub_second / 1_000_000).ok()?,
        "microsecond" => i32::try_from(sub_second / 1_000).ok()?,
        "nanosecond" => i32::try_from(sub_second).ok()?,
        _ => return None,
    })
}

fn datetime_part_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let parts = strings(arg(args, 0)?)?;
    let datetimes = nanos(arg(args, 1)?)?;
    let values: Int32Array = (0..datetimes.len())
        .map(|row| {
            if datetimes.is_null(row) {
                return None;
            }
            extract_part(
                &str_at(&parts, row).to_ascii_lowercase(),
                datetimes.value(row),
            )
        })
        .collect();
    Ok(Arc::new(values))
}

/// `dayofweek`: the time since the preceding Sunday, as a whole number of days.
fn dayofweek_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let datetimes = nanos(arg(args, 0)?)?;
    let values = datetimes
        .iter()
        .map(|value| value.map(|nanos| (day_index(nanos) + 4).rem_euclid(7) * NANOS_PER_DAY))
        .collect();
    Ok(timespan_array(values))
}

/// Applies `start(datetime, offset)` to each row of a `startof*`/`endof*` call; `end` moves to
/// one tick before the next period's start.
fn period_kernel(
    args: &[ArrayRef],
    start: fn(i64, i64) -> Option<i64>,
    end: bool,
) -> DfResult<ArrayRef> {
    let datetimes = nanos(arg(args, 0)?)?;
    let offsets = super::udf::longs(arg(args, 1)?)?;
    let values = (0..datetimes.len())
        .map(|row| {
            if datetimes.is_null(row) || offsets.is_null(row) {
                return None;
            }
            let offset = offsets.value(row);
            if end {
                start(datetimes.value(row), offset.checked_add(1)?)?.checked_sub(NANOS_PER_TICK)
            } else {
                start(datetimes.value(row), offset)
            }
        })
        .collect();
    Ok(datetime_array(values))
}

fn start_of_day(nanos: i64, offset: i64) -> Option<i64> {
    day_index(nanos)
        .checked_add(offset)?
        .checked_mul(NANOS_PER_DAY)
}

fn start_of_week(nanos: i64, offset: i64) -> Option<i64> {
    let sunday = day_index(nanos) - (day_index(nanos) + 4).rem_euclid(7);
    sunday
        .checked_add(offset.checked_mul(7)?)?
        .checked_mul(NANOS_PER_DAY)
}

fn start_of_month(nanos: i64, offset: i64) -> Option<i64> {
    let civil = naive(nanos);
    let first = NaiveDate::from_ymd_opt(civil.year(), civil.month(), 1)?.and_hms_opt(0, 0, 0)?;
    add_months(to_nanos(first)?, offset)
}

fn start_of_year(nanos: i64, offset: i64) -> Option<i64> {
    let year = i64::from(naive(nanos).year()).checked_add(offset)?;
    to_nanos(NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, 1, 1)?.and_hms_opt(0, 0, 0)?)
}

fn start_of_day_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_day, false)
}
fn start_of_week_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_week, false)
}
fn start_of_month_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_month, false)
}
fn start_of_year_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_year, false)
}
fn end_of_day_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_day, true)
}
fn end_of_week_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_week, true)
}
fn end_of_month_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_month, true)
}
fn end_of_year_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    period_kernel(args, start_of_year, true)
}

/// Reads row `row` of every argument as f64; `None` if any is null.
fn row_reals(columns: &[arrow::array::Float64Array], row: usize) -> Option<Vec<f64>> {
    columns
        .iter()
        .map(|column| {
            if column.is_null(row) {
                None
            } else {
                Some(column.value(row))
            }
        })
        .collect()
}

fn whole(value: f64) -> Option<i64> {
    if value.fract() != 0.0 || !value.is_finite() || value.abs() > 1e15 {
        return None;
    }
    Some(value as i64)
}

/// `make_datetime(year, month, day[, hour, minute, second])`, the second possibly fractional;
/// null for a date that does not exist.
fn make_datetime_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let columns = args.iter().map(reals).collect::<DfResult<Vec<_>>>()?;
    let values = (0..super::udf::rows(args))
        .map(|row| {
            let parts = row_reals(&columns, row)?;
            let component = |index: usize| parts.get(index).copied().unwrap_or(0.0);
            let date = NaiveDate::from_ymd_opt(
                i32::try_from(whole(component(0))?).ok()?,
                u32::try_from(whole(component(1))?).ok()?,
                u32::try_from(whole(component(2))?).ok()?,
            )?;
            let seconds = component(5);
            if !(0.0..60.0).contains(&seconds) {
                return None;
            }
            let time = date.and_hms_opt(
                u32::try_from(whole(component(3))?).ok()?,
                u32::try_from(whole(component(4))?).ok()?,
                0,
            )?;
            to_nanos(time)?.checked_add((seconds * NANOS_PER_SECOND as f64).round() as i64)
        })
        .collect();
    Ok(datetime_array(values))
}

/// `make_timespan(hour, minute[, second])` or `make_timespan(day, hour, minute, second)`.
fn make_timespan_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let columns = args.iter().map(reals).collect::<DfResult<Vec<_>>>()?;
    let values = (0..super::udf::rows(args))
        .map(|row| {
            let parts = row_reals(&columns, row)?;
            let (days, hours, minutes, seconds) = match parts.as_slice() {
                [hours, minutes] => (0.0, *hours, *minutes, 0.0),
                [hours, minutes, seconds] => (0.0, *hours, *minutes, *seconds),
                [days, hours, minutes, seconds] => (*days, *hours, *minutes, *seconds),
                _ => return None,
            };
            let total = days * NANOS_PER_DAY as f64
                + hours * NANOS_PER_HOUR as f64
                + minutes * NANOS_PER_MINUTE as f64
                + seconds * NANOS_PER_SECOND as f64;
            (total.is_finite() && total.abs() < 9.2e18).then(|| total.round() as i64)
        })
        .collect();
    Ok(timespan_array(values))
}

fn unixtime_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = reals(arg(args, 0)?)?;
    let units = reals(arg(args, 1)?)?;
    let datetimes = (0..values.len())
        .map(|row| {
            if values.is_null(row) || units.is_null(row) {
                return None;
            }
            let total = values.value(row) * units.value(row);
            (total.is_finite() && total.abs() < 9.2e18).then(|| total.round() as i64)
        })
        .collect();
    Ok(datetime_array(datetimes))
}

/// Splits a .NET-style format into runs of one repeated specifier letter and literal text.
fn format_runs(format: &str) -> Vec<(char, usize)> {
    let mut runs: Vec<(char, usize)> = Vec::new();
    for character in format.chars() {
        match runs.last_mut() {
            Some((last, count)) if *last == character && character.is_ascii_alphabetic() => {
                *count += 1
            }
            _ => runs.push((character, 1)),
        }
    }
    runs
}

/// The first `digits` of a seven-digit tick fraction; `trim` drops trailing zeros (`F`).
fn fraction(ticks_in_second: i64, digits: usize, trim: bool) -> String {
    let full = format!("{ticks_in_second:07}");
    let kept = full.get(..digits.min(7)).unwrap_or("");
    if trim {
        kept.trim_end_matches('0').to_string()
    } else {
        kept.to_string()
    }
}

/// `format_datetime`: d, dd, f…fffffff, F…FFFFFFF, h, hh, H, HH, m, mm, M, MM, s, ss, y, yy,
/// yyyy, tt; other characters are copied.
pub(crate) fn format_datetime_text(nanos: i64, format: &str) -> String {
    let civil = naive(nanos);
    let ticks = nanos.rem_euclid(NANOS_PER_SECOND) / NANOS_PER_TICK;
    let hour12 = match civil.hour() % 12 {
        0 => 12,
        hour => hour,
    };
    let mut text = String::new();
    for (specifier, count) in format_runs(format) {
        let piece = match (specifier, count) {
            ('d', 1) => civil.day().to_string(),
            ('d', _) => format!("{:02}", civil.day()),
            ('f', digits) => fraction(ticks, digits, false),
            ('F', digits) => fraction(ticks, digits, true),
            ('h', 1) => hour12.to_string(),
            ('h', _) => format!("{hour12:02}"),
            ('H', 1) => civil.hour().to_string(),
            ('H', _) => format!("{:02}", civil.hour()),
            ('m', 1) => civil.minute().to_string(),
            ('m', _) => format!("{:02}", civil.minute()),
            ('M', 1) => civil.month().to_string(),
            ('M', _) => format!("{:02}", civil.month()),
            ('s', 1) => civil.second().to_string(),
            ('s', _) => format!("{:02}", civil.second()),
            ('y', 1) => (civil.year() % 100).to_string(),
            ('y', 2) => format!("{:02}", civil.year() % 100),
            ('y', digits) => format!("{:0width$}", civil.year(), width = digits),
            ('t', _) => (if civil.hour() < 12 { "AM" } else { "PM" }).to_string(),
            (literal, count) => literal.to_string().repeat(count),
        };
        text.push_str(&piece);
    }
    text
}

/// `format_timespan`: d…dddddddd (days, zero-padded to the count), h/hh and H/HH (hours of the
/// day), m/mm, s/ss, f…/F… fractions; other characters are copied.
pub(crate) fn format_timespan_text(nanos: i64, format: &str) -> String {
    let magnitude = nanos.unsigned_abs();
    let day = NANOS_PER_DAY.unsigned_abs();
    let days = magnitude / day;
    let hours = magnitude % day / NANOS_PER_HOUR.unsigned_abs();
    let minutes = magnitude % NANOS_PER_HOUR.unsigned_abs() / NANOS_PER_MINUTE.unsigned_abs();
    let seconds = magnitude % NANOS_PER_MINUTE.unsigned_abs() / NANOS_PER_SECOND.unsigned_abs();
    let ticks =
        i64::try_from(magnitude % NANOS_PER_SECOND.unsigned_abs() / NANOS_PER_TICK.unsigned_abs())
            .unwrap_or(0);
    let mut text = String::from(if nanos < 0 { "-" } else { "" });
    for (specifier, count) in format_runs(format) {
        let piece = match (specifier, count) {
            ('d', width) => format!("{days:0width$}"),
            ('h' | 'H', 1) => hours.to_string(),
            ('h' | 'H', _) => format!("{hours:02}"),
            ('m', 1) => minutes.to_string(),
            ('m', _) => format!("{minutes:02}"),
            ('s', 1) => seconds.to_string(),
            ('s', _) => format!("{seconds:02}"),
            ('f', digits) => fraction(ticks, digits, false),
            ('F', digits) => fraction(ticks, digits, true),
            (literal, count) => literal.to_string().repeat(count),
        };
        text.push_str(&piece);
    }
    text
}

fn format_kernel(args: &[ArrayRef], format_one: fn(i64, &str) -> String) -> DfResult<ArrayRef> {
    let values = nanos(arg(args, 0)?)?;
    let formats = strings(arg(args, 1)?)?;
    let texts: StringArray = (0..values.len())
        .map(|row| {
            // KQL strings are never null: a null datetime formats as "".
            if values.is_null(row) {
                Some(String::new())
            } else {
                Some(format_one(values.value(row), str_at(&formats, row)))
            }
        })
        .collect();
    Ok(Arc::new(texts))
}

fn format_datetime_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    format_kernel(args, format_datetime_text)
}

fn format_timespan_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    format_kernel(args, format_timespan_text)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, TimestampNanosecondArray};
    use datafusion::logical_expr::lit;

    use super::*;
    use crate::scalar::plan_scalar;
    use crate::scalar::test_support::{eval, eval_many, strings_of};
    use crate::scalar::text::{format_datetime, parse_datetime};

    const CTX: FunctionContext = FunctionContext {
        now_nanos: 1_000 * NANOS_PER_SECOND,
    };

    fn at(text: &str) -> i64 {
        parse_datetime(text).expect("test datetimes are valid")
    }

    fn text_arg(text: &str) -> TypedExpr {
        TypedExpr::new(lit(text), DataType::Utf8)
    }

    /// Proves datetime_diff follows the reference's examples: year 2017-01-01 vs 2000-12-31 =
    /// 17, quarter 2017-07-01 vs 2017-03-30 = 2, month 2017-01-01 vs 2015-12-30 = 13, week
    /// 2017-10-29 00:00 vs 2017-09-30 23:59 = 5, day (same pair) = 29, hour 2017-10-31 01:00 vs
    /// 2017-10-30 23:59 = 2, minute 23:05:01 vs 23:00:59 = 5, second 23:00:10.100 vs
    /// 23:00:00.900 = 10.
    #[test]
    fn datetime_diff_matches_reference() {
        assert_eq!(
            diff_part("year", at("2017-01-01"), at("2000-12-31")),
            Some(17)
        );
        assert_eq!(
            diff_part("quarter", at("2017-07-01"), at("2017-03-30")),
            Some(2)
        );
        assert_eq!(
            diff_part("month", at("2017-01-01"), at("2015-12-30")),
            Some(13)
        );
        assert_eq!(
            diff_part("week", at("2017-10-29 00:00"), at("2017-09-30 23:59")),
            Some(5)
        );
        assert_eq!(
            diff_part("day", at("2017-10-29 00:00"), at("2017-09-30 23:59")),
            Some(29)
        );
        assert_eq!(
            diff_part("hour", at("2017-10-31 01:00"), at("2017-10-30 23:59")),
            Some(2)
        );
        assert_eq!(
            diff_part(
                "minute",
                at("2017-10-30 23:05:01"),
                at("2017-10-30 23:00:59")
            ),
            Some(5)
        );
        assert_eq!(
            diff_part(
                "second",
                at("2017-10-30 23:00:10.100"),
                at("2017-10-30 23:00:00.900")
            ),
            Some(10)
        );
    }

    /// Proves the period functions: startofweek goes back to Sunday, startofmonth with offset,
    /// endofday is one tick before midnight (reference: endofday(datetime(2017-01-01 10:10:17))
    /// = 2017-01-01 23:59:59.9999999), and dayofweek(1947-11-30, a Sunday) = 0.
    #[test]
    fn period_boundaries() {
        assert_eq!(
            start_of_week(at("2017-01-04 10:10:17"), 0),
            Some(at("2017-01-01"))
        );
        assert_eq!(
            start_of_month(at("2017-01-04 10:10:17"), -1),
            Some(at("2016-12-01"))
        );
        assert_eq!(start_of_year(at("2017-05-04"), 1), Some(at("2018-01-01")));
        let end = start_of_day(at("2017-01-01 10:10:17"), 1).map(|next| next - NANOS_PER_TICK);
        assert_eq!(
            end.map(format_datetime),
            Some("2017-01-01T23:59:59.9999999Z".to_string())
        );
        assert_eq!((day_index(at("1947-11-30 10:00:05")) + 4).rem_euclid(7), 0);
    }

    /// Proves format_datetime follows the reference's examples: 'yy-MM-dd [HH:mm:ss]' of
    /// 2017-01-29 09:00:05 → "17-01-29 [09:00:05]", 'yyyy-M-dd [H:mm:ss]' →
    /// "2017-1-29 [9:00:05]", 'yy-MM-dd [hh:mm:ss tt]' → "17-01-29 [09:00:05 AM]"; and
    /// format_timespan's: time(29.09:00:05.12345) with 'dd.hh:mm:ss:FF' → "29.09:00:05:12",
    /// 'ddddd.HH:mm:ss' → "00029.09:00:05".
    #[test]
    fn formats_match_reference() {
        let moment = at("2017-01-29 09:00:05");
        assert_eq!(
            format_datetime_text(moment, "yy-MM-dd [HH:mm:ss]"),
            "17-01-29 [09:00:05]"
        );
        assert_eq!(
            format_datetime_text(moment, "yyyy-M-dd [H:mm:ss]"),
            "2017-1-29 [9:00:05]"
        );
        assert_eq!(
            format_datetime_text(moment, "yy-MM-dd [hh:mm:ss tt]"),
            "17-01-29 [09:00:05 AM]"
        );
        let span = 29 * NANOS_PER_DAY + 9 * NANOS_PER_HOUR + 5 * NANOS_PER_SECOND + 123_450_000;
        assert_eq!(
            format_timespan_text(span, "dd.hh:mm:ss:FF"),
            "29.09:00:05:12"
        );
        assert_eq!(
            format_timespan_text(span, "ddddd.HH:mm:ss"),
            "00029.09:00:05"
        );
    }

    /// Proves ago() and now() use the query's fixed clock, and datetime_add clamps months
    /// (2017-01-31 + 1 month = 2017-02-28, as .NET's AddMonths does).
    #[tokio::test]
    async fn clock_and_datetime_add() {
        let spans: ArrayRef = Arc::new(arrow::array::DurationNanosecondArray::from(vec![
            NANOS_PER_SECOND,
        ]));
        let result = eval(spans, |span| plan_scalar("ago", vec![span], &CTX)).await;
        assert_eq!(
            nanos(&result).ok().map(|values| values.value(0)),
            Some(999 * NANOS_PER_SECOND)
        );
        let datetimes: ArrayRef =
            Arc::new(TimestampNanosecondArray::from(vec![at("2017-01-31")]).with_timezone("UTC"));
        let amounts: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let result = eval_many(vec![amounts, datetimes], |mut args| {
            let datetime = args.remove(1);
            let amount = args.remove(0);
            plan_scalar(
                "datetime_add",
                vec![text_arg("month"), amount, datetime],
                &CTX,
            )
        })
        .await;
        assert_eq!(
            nanos(&result).ok().map(|values| values.value(0)),
            Some(at("2017-02-28"))
        );
        let bad = plan_scalar(
            "datetime_add",
            vec![
                text_arg("fortnight"),
                TypedExpr::new(lit(1_i64), DataType::Int64),
                now_literal(&CTX),
            ],
            &CTX,
        );
        assert!(matches!(bad, Err(FunctionError::InvalidArgument { .. })));
    }

    /// Proves getyear/week_of_year through the planner: week_of_year is ISO 8601
    /// (reference: week_of_year(datetime(2020-12-31)) = 53, (2021-01-01) = 53).
    #[tokio::test]
    async fn parts_through_planner() {
        let datetimes: ArrayRef = Arc::new(
            TimestampNanosecondArray::from(vec![at("2020-12-31"), at("2021-01-01")])
                .with_timezone("UTC"),
        );
        let result = eval(datetimes.clone(), |value| {
            plan_scalar("week_of_year", vec![value], &CTX)
        })
        .await;
        assert_eq!(strings_of(&result), vec!["53", "53"]);
        let result = eval(datetimes, |value| plan_scalar("getyear", vec![value], &CTX)).await;
        assert_eq!(strings_of(&result), vec!["2020", "2021"]);
    }
}
