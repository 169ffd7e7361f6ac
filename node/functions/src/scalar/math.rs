//! Numeric functions: `bin`/`floor`, `bin_at`, `round`, `abs`, `ceiling`, `sqrt`, `pow`, `exp`,
//! `exp2`, `exp10`, `log`, `log2`, `log10`, `sign`, `pi`, `isnan`, `isinf`, `isfinite`.
//!
//! Owns: Kusto's rounding rules — `bin` floors (toward -inf, not toward zero), datetimes bin on
//! ticks counted from 0001-01-01 (so `7d` bins start on Mondays), a non-positive bin size gives
//! null — and the domain rules of the real functions (`sqrt(-1)`, `log(0)` are null, not NaN).
//!
//! Does not own: arithmetic operators (`crate::operators`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array};
use arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, lit};
use tarn_common::KustoType;

use super::text::{NANOS_PER_TICK, TICKS_TO_UNIX_EPOCH};
use super::udf::{DfResult, arg, call, datetime_array, longs, nanos, reals, timespan_array};
use super::{cast_to, check_count, exact_args, require_type, wrong_type};
use crate::{Result, TypedExpr};

const NUMERIC: &[KustoType] = &[
    KustoType::Int,
    KustoType::Long,
    KustoType::Real,
    KustoType::Decimal,
];

pub(crate) fn handles(name: &str) -> bool {
    matches!(
        name,
        "bin"
            | "floor"
            | "bin_at"
            | "round"
            | "abs"
            | "ceiling"
            | "sqrt"
            | "pow"
            | "exp"
            | "exp2"
            | "exp10"
            | "log"
            | "log2"
            | "log10"
            | "sign"
            | "pi"
            | "isnan"
            | "isinf"
            | "isfinite"
    )
}

pub(crate) fn plan(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    match name {
        "bin" | "floor" => {
            let [value, size] = exact_args::<2>(name, args)?;
            plan_bin(name, value, size, None)
        }
        "bin_at" => {
            let [value, size, fixed_point] = exact_args::<3>(name, args)?;
            plan_bin(name, value, size, Some(fixed_point))
        }
        "round" => {
            check_count(name, &args, 1, 2)?;
            let mut args = args.into_iter();
            let Some(value) = args.next() else {
                return Err(count_error(name));
            };
            let value_type = require_type(name, 1, &value, NUMERIC)?;
            let digits = match args.next() {
                Some(digits) => {
                    require_type(name, 2, &digits, &[KustoType::Int, KustoType::Long])?;
                    cast_to(digits, &DataType::Int64)
                }
                None => lit(0_i64),
            };
            let real = call(
                "round",
                DataType::Float64,
                round_kernel,
                vec![cast_to(value, &DataType::Float64), digits],
            );
            Ok(match value_type {
                Some(KustoType::Int | KustoType::Long) => {
                    datafusion::logical_expr::cast(real, DataType::Int64)
                }
                _ => real,
            })
        }
        "abs" | "ceiling" | "sign" => {
            let [value] = exact_args::<1>(name, args)?;
            let value_type = require_type(name, 1, &value, NUMERIC)?;
            let integer = matches!(value_type, Some(KustoType::Int | KustoType::Long));
            if integer {
                let kernel = match name {
                    "abs" => abs_long_kernel as super::udf::Kernel,
                    "sign" => sign_long_kernel,
                    _ => return Ok(cast_to(value, &DataType::Int64)),
                };
                return Ok(call(
                    name,
                    DataType::Int64,
                    kernel,
                    vec![cast_to(value, &DataType::Int64)],
                ));
            }
            let kernel = match name {
                "abs" => abs_kernel as super::udf::Kernel,
                "sign" => sign_kernel,
                _ => ceiling_kernel,
            };
            Ok(call(
                name,
                DataType::Float64,
                kernel,
                vec![cast_to(value, &DataType::Float64)],
            ))
        }
        "sqrt" | "exp" | "exp2" | "exp10" | "log" | "log2" | "log10" => {
            let [value] = exact_args::<1>(name, args)?;
            require_type(name, 1, &value, NUMERIC)?;
            let kernel = match name {
                "sqrt" => sqrt_kernel as super::udf::Kernel,
                "exp" => exp_kernel,
                "exp2" => exp2_kernel,
                "exp10" => exp10_kernel,
                "log" => ln_kernel,
                "log2" => log2_kernel,
                _ => log10_kernel,
            };
            Ok(call(
                name,
                DataType::Float64,
                kernel,
                vec![cast_to(value, &DataType::Float64)],
            ))
        }
        "pow" => {
            let [base, exponent] = exact_args::<2>(name, args)?;
            require_type(name, 1, &base, NUMERIC)?;
            require_type(name, 2, &exponent, NUMERIC)?;
            Ok(call(
                name,
                DataType::Float64,
                pow_kernel,
                vec![
                    cast_to(base, &DataType::Float64),
                    cast_to(exponent, &DataType::Float64),
                ],
            ))
        }
        "pi" => {
            exact_args::<0>(name, args)?;
            Ok(lit(std::f64::consts::PI))
        }
        "isnan" | "isinf" | "isfinite" => {
            let [value] = exact_args::<1>(name, args)?;
            require_type(name, 1, &value, NUMERIC)?;
            let kernel = match name {
                "isnan" => isnan_kernel as super::udf::Kernel,
                "isinf" => isinf_kernel,
                _ => isfinite_kernel,
            };
            Ok(call(
                name,
                DataType::Boolean,
                kernel,
                vec![cast_to(value, &DataType::Float64)],
            ))
        }
        _ => Err(crate::FunctionError::UnknownFunction {
            name: name.to_string(),
        }),
    }
}

fn count_error(name: &str) -> crate::FunctionError {
    crate::FunctionError::WrongArgumentCount {
        name: name.to_string(),
        expected: "between 1 and 2".to_string(),
        actual: 0,
    }
}

/// `bin(value, size)` and `bin_at(value, size, fixed_point)` for numbers, datetimes and timespans.
fn plan_bin(
    name: &str,
    value: TypedExpr,
    size: TypedExpr,
    fixed_point: Option<TypedExpr>,
) -> Result<Expr> {
    let value_type = require_type(
        name,
        1,
        &value,
        &[
            KustoType::Int,
            KustoType::Long,
            KustoType::Real,
            KustoType::Decimal,
            KustoType::DateTime,
            KustoType::TimeSpan,
        ],
    )?;
    match value_type {
        Some(KustoType::DateTime | KustoType::TimeSpan) => {
            require_type(name, 2, &size, &[KustoType::TimeSpan])?;
            // Other timestamp units or zones are read as Kusto's one datetime type.
            let return_type = value_type.map_or(KustoType::DateTime, |known| known).arrow_type();
            let mut args = vec![cast_to(value, &return_type), cast_to(size, &KustoType::TimeSpan.arrow_type())];
            if let Some(fixed_point) = fixed_point {
                if super::kusto_type_of(name, 3, &fixed_point)? != value_type
                    && super::kusto_type_of(name, 3, &fixed_point)?.is_some()
                {
                    return Err(wrong_type(
                        name,
                        3,
                        value_type.map_or("datetime", KustoType::name),
                        &fixed_point,
                    ));
                }
                args.push(cast_to(fixed_point, &return_type));
            }
            let kernel = if value_type == Some(KustoType::DateTime) {
                bin_datetime_kernel
            } else {
                bin_timespan_kernel
            };
            Ok(call(name, return_type, kernel, args))
        }
        _ => {
            let size_type = require_type(name, 2, &size, NUMERIC)?;
            let integer = matches!(value_type, Some(KustoType::Int | KustoType::Long) | None)
                && matches!(size_type, Some(KustoType::Int | KustoType::Long) | None);
            let (return_type, kernel): (DataType, super::udf::Kernel) = if integer {
                (DataType::Int64, bin_long_kernel)
            } else {
                (DataType::Float64, bin_real_kernel)
            };
            let mut args = vec![cast_to(value, &return_type), cast_to(size, &return_type)];
            if let Some(fixed_point) = fixed_point {
                require_type(name, 3, &fixed_point, NUMERIC)?;
                args.push(cast_to(fixed_point, &return_type));
            }
            Ok(call(name, return_type, kernel, args))
        }
    }
}

/// floor((value - fixed) / size) * size + fixed over i128, so that the 0001-01-01 origin of
/// datetimes (6.2e19 ns before 1970) cannot overflow; null for a non-positive size or a
/// result outside i64.
fn floor_bin(value: i128, size: i128, fixed: i128) -> Option<i64> {
    if size <= 0 {
        return None;
    }
    let binned = (value - fixed).div_euclid(size) * size + fixed;
    i64::try_from(binned).ok()
}

fn fixed_points(args: &[ArrayRef], default: i64) -> DfResult<Vec<Option<i64>>> {
    match args.get(2) {
        Some(fixed) => {
            let fixed = nanos(fixed)?;
            Ok((0..fixed.len())
                .map(|row| {
                    if fixed.is_null(row) {
                        None
                    } else {
                        Some(fixed.value(row))
                    }
                })
                .collect())
        }
        None => Ok(vec![Some(default); super::udf::rows(args)]),
    }
}

fn bin_integers(args: &[ArrayRef], origin: i128) -> DfResult<Vec<Option<i64>>> {
    let values = nanos(arg(args, 0)?)?;
    let sizes = nanos(arg(args, 1)?)?;
    let fixed = fixed_points(args, 0)?;
    Ok((0..values.len())
        .map(|row| {
            if values.is_null(row) || sizes.is_null(row) {
                return None;
            }
            let fixed = match args.get(2) {
                Some(_) => i128::from((*fixed.get(row)?)?),
                None => origin,
            };
            floor_bin(
                i128::from(values.value(row)),
                i128::from(sizes.value(row)),
                fixed,
            )
        })
        .collect())
}

fn bin_datetime_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let origin = -i128::from(TICKS_TO_UNIX_EPOCH) * i128::from(NANOS_PER_TICK);
    Ok(datetime_array(bin_integers(args, origin)?))
}

fn bin_timespan_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    Ok(timespan_array(bin_integers(args, 0)?))
}

fn bin_long_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values: Int64Array = bin_integers(args, 0)?.into_iter().collect();
    Ok(Arc::new(values))
}

fn bin_real_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = reals(arg(args, 0)?)?;
    let sizes = reals(arg(args, 1)?)?;
    let fixed = match args.get(2) {
        Some(fixed) => Some(reals(fixed)?),
        None => None,
    };
    let binned: Float64Array = (0..values.len())
        .map(|row| {
            if values.is_null(row) || sizes.is_null(row) || sizes.value(row) <= 0.0 {
                return None;
            }
            let fixed_point = match &fixed {
                Some(fixed) if fixed.is_null(row) => return None,
                Some(fixed) => fixed.value(row),
                None => 0.0,
            };
            let size = sizes.value(row);
            Some(((values.value(row) - fixed_point) / size).floor() * size + fixed_point)
        })
        .collect();
    Ok(Arc::new(binned))
}

/// Kusto's round: half away from zero at `digits` decimal places (negative digits round to
/// tens, hundreds, ...): the reference's `round(2.15, 1)` = 2.2, `round(-50.55, -2)` = -100,
/// `round(21.5, -1)` = 20.
fn round_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = reals(arg(args, 0)?)?;
    let digits = longs(arg(args, 1)?)?;
    let rounded: Float64Array = (0..values.len())
        .map(|row| {
            if values.is_null(row) || digits.is_null(row) {
                return None;
            }
            let places = i32::try_from(digits.value(row).clamp(-308, 308)).unwrap_or(0);
            let scale = 10_f64.powi(places);
            Some((values.value(row) * scale).round() / scale)
        })
        .collect();
    Ok(Arc::new(rounded))
}

/// A kernel applying `$body` (f64 → Option<f64>) to every non-null real.
macro_rules! real_unary_kernel {
    ($kernel:ident, $value:ident => $body:expr) => {
        fn $kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
            let values = reals(arg(args, 0)?)?;
            let results: Float64Array = values
                .iter()
                .map(|value| value.and_then(|$value: f64| $body))
                .collect();
            Ok(Arc::new(results))
        }
    };
}

real_unary_kernel!(abs_kernel, value => Some(value.abs()));
real_unary_kernel!(ceiling_kernel, value => Some(value.ceil()));
real_unary_kernel!(sign_kernel, value => Some(if value > 0.0 { 1.0 } else if value < 0.0 { -1.0 } else { 0.0 }));
real_unary_kernel!(sqrt_kernel, value => (value >= 0.0).then(|| value.sqrt()));
real_unary_kernel!(exp_kernel, value => Some(value.exp()));
real_unary_kernel!(exp2_kernel, value => Some(value.exp2()));
real_unary_kernel!(exp10_kernel, value => Some(10_f64.powf(value)));
real_unary_kernel!(ln_kernel, value => (value > 0.0).then(|| value.ln()));
real_unary_kernel!(log2_kernel, value => (value > 0.0).then(|| value.log2()));
real_unary_kernel!(log10_kernel, value => (value > 0.0).then(|| value.log10()));

fn abs_long_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    // i64::MIN has no absolute value; it wraps like Kusto's long arithmetic.
    let results: Int64Array = longs(arg(args, 0)?)?
        .iter()
        .map(|value| value.map(i64::wrapping_abs))
        .collect();
    Ok(Arc::new(results))
}

fn sign_long_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let results: Int64Array = longs(arg(args, 0)?)?
        .iter()
        .map(|value| value.map(i64::signum))
        .collect();
    Ok(Arc::new(results))
}

fn pow_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let bases = reals(arg(args, 0)?)?;
    let exponents = reals(arg(args, 1)?)?;
    let results: Float64Array = bases
        .iter()
        .zip(exponents.iter())
        .map(|(base, exponent)| Some(base?.powf(exponent?)))
        .collect();
    Ok(Arc::new(results))
}

macro_rules! real_predicate_kernel {
    ($kernel:ident, $value:ident => $body:expr) => {
        fn $kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
            let values = reals(arg(args, 0)?)?;
            let results: BooleanArray = values
                .iter()
                .map(|value| value.map(|$value: f64| $body))
                .collect();
            Ok(Arc::new(results))
        }
    };
}

real_predicate_kernel!(isnan_kernel, value => value.is_nan());
real_predicate_kernel!(isinf_kernel, value => value.is_infinite());
real_predicate_kernel!(isfinite_kernel, value => value.is_finite());

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, DurationNanosecondArray, Float64Array, Int64Array, TimestampNanosecondArray,
    };

    use crate::FunctionContext;
    use crate::scalar::plan_scalar;
    use crate::scalar::test_support::{eval_many, strings_of};
    use crate::scalar::text::{NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_SECOND};

    const CTX: FunctionContext = FunctionContext { now_nanos: 0 };

    /// Proves bin floors numbers as the reference's examples do: bin(4.5, 1) = 4,
    /// bin(-4.5, 1) = -5 (floor, not truncation), bin(long 7, 5) = 5; a zero size gives null.
    #[tokio::test]
    async fn bin_floors_numbers() {
        let values: ArrayRef = Arc::new(Float64Array::from(vec![4.5, -4.5, 4.5]));
        let sizes: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 1.0, 0.0]));
        let result = eval_many(vec![values, sizes], |args| plan_scalar("bin", args, &CTX)).await;
        assert_eq!(strings_of(&result), vec!["4.0", "-5.0", "<null>"]);
        let values: ArrayRef = Arc::new(Int64Array::from(vec![7, -1]));
        let sizes: ArrayRef = Arc::new(Int64Array::from(vec![5, 5]));
        let result = eval_many(vec![values, sizes], |args| plan_scalar("bin", args, &CTX)).await;
        assert_eq!(strings_of(&result), vec!["5", "-5"]);
    }

    /// Proves datetime bins follow the reference: bin(datetime(1970-05-11 13:45:07), 1d) =
    /// 1970-05-11, bin(timespan 4d+1h, 1d) = 4d; and 7d bins start on a Monday (0001-01-01
    /// origin), so 1970-01-01 (a Thursday) bins to 1969-12-29.
    #[tokio::test]
    async fn bin_datetimes_on_ticks_since_year_one() {
        let moment = (130 * 86_400 + 13 * 3600 + 45 * 60 + 7) * NANOS_PER_SECOND;
        let values: ArrayRef =
            Arc::new(TimestampNanosecondArray::from(vec![moment, 0]).with_timezone("UTC"));
        let sizes: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![
            NANOS_PER_DAY,
            7 * NANOS_PER_DAY,
        ]));
        let result = eval_many(vec![values, sizes], |args| plan_scalar("bin", args, &CTX)).await;
        assert_eq!(
            strings_of(&result),
            vec!["1970-05-11T00:00:00Z", "1969-12-29T00:00:00Z"]
        );
        let spans: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![
            4 * NANOS_PER_DAY + NANOS_PER_HOUR,
        ]));
        let sizes: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![NANOS_PER_DAY]));
        let result = eval_many(vec![spans, sizes], |args| plan_scalar("bin", args, &CTX)).await;
        let result = crate::scalar::udf::nanos(&result)
            .ok()
            .map(|values| values.value(0));
        assert_eq!(result, Some(4 * NANOS_PER_DAY));
    }

    /// Proves round follows the reference's examples: round(2.98765, 3) = 2.988,
    /// round(2.15, 1) = 2.2, round(2.15) = 2, round(-50.55, -2) = -100, round(21.5, -1) = 20.
    #[tokio::test]
    async fn round_matches_reference() {
        let values: ArrayRef =
            Arc::new(Float64Array::from(vec![2.98765, 2.15, 2.15, -50.55, 21.5]));
        let digits: ArrayRef = Arc::new(Int64Array::from(vec![3, 1, 0, -2, -1]));
        let result = eval_many(vec![values, digits], |args| {
            plan_scalar("round", args, &CTX)
        })
        .await;
        assert_eq!(
            strings_of(&result),
            vec!["2.988", "2.2", "2.0", "-100.0", "20.0"]
        );
    }

    /// Proves the real functions return null outside their domain instead of NaN.
    #[tokio::test]
    async fn domain_errors_are_null() {
        let values: ArrayRef = Arc::new(Float64Array::from(vec![-1.0, 0.0, 100.0]));
        let result = eval_many(vec![values.clone()], |args| plan_scalar("sqrt", args, &CTX)).await;
        assert_eq!(strings_of(&result), vec!["<null>", "0.0", "10.0"]);
        let result = eval_many(vec![values], |args| plan_scalar("log10", args, &CTX)).await;
        assert_eq!(strings_of(&result), vec!["<null>", "<null>", "2.0"]);
    }
}
