//! The KQL scalar function table: which names exist, how many arguments each takes, and which
//! family module plans it.
//!
//! Owns: [`plan_scalar`] / [`is_scalar_function`], the shared argument checks (count, KQL type,
//! type unification for `iff`, `case`, `max_of`, ...) and the family modules:
//! [`conditional`], [`math`], [`datetime`], [`string`], [`dynamic_fns`], plus the UDF plumbing
//! ([`udf`]) and Kusto's text forms ([`text`]).
//!
//! Does not own: operators (`crate::operators`), conversions (`crate::convert`), dynamic member
//! access (`crate::dynamic`), aggregates.

pub(crate) mod conditional;
pub(crate) mod datetime;
pub(crate) mod dynamic_fns;
pub(crate) mod math;
pub(crate) mod string;
pub(crate) mod text;
pub(crate) mod udf;

use arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, cast};
use tarn_common::KustoType;

use crate::convert::plan_convert;
use crate::{FunctionContext, FunctionError, Result, TypedExpr};

/// Every scalar function name `plan_scalar` accepts (KQL names are case-sensitive).
const SCALAR_FUNCTION_NAMES: &[&str] = &[
    // conditional and null
    "iff",
    "iif",
    "case",
    "coalesce",
    "isnull",
    "isnotnull",
    "isempty",
    "isnotempty",
    "not",
    "max_of",
    "min_of",
    "gettype",
    // conversion
    "tostring",
    "toint",
    "tolong",
    "toreal",
    "todouble",
    "tobool",
    "toboolean",
    "todatetime",
    "totimespan",
    "totime",
    "todecimal",
    "toguid",
    "todynamic",
    "parse_json",
    "int",
    "long",
    "real",
    "double",
    "bool",
    "boolean",
    "datetime",
    "timespan",
    "time",
    "decimal",
    "guid",
    "dynamic",
    // math
    "bin",
    "floor",
    "bin_at",
    "round",
    "abs",
    "ceiling",
    "sqrt",
    "pow",
    "exp",
    "exp2",
    "exp10",
    "log",
    "log2",
    "log10",
    "sign",
    "pi",
    "isnan",
    "isinf",
    "isfinite",
    // datetime
    "now",
    "ago",
    "datetime_add",
    "datetime_diff",
    "datetime_part",
    "getyear",
    "getmonth",
    "monthofyear",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "hourofday",
    "week_of_year",
    "startofday",
    "startofweek",
    "startofmonth",
    "startofyear",
    "endofday",
    "endofweek",
    "endofmonth",
    "endofyear",
    "make_datetime",
    "make_timespan",
    "unixtime_seconds_todatetime",
    "unixtime_milliseconds_todatetime",
    "unixtime_microseconds_todatetime",
    "unixtime_nanoseconds_todatetime",
    "format_datetime",
    "format_timespan",
    // string
    "strlen",
    "substring",
    "tolower",
    "toupper",
    "trim",
    "trim_start",
    "trim_end",
    "strcat",
    "strcat_delim",
    "split",
    "replace_string",
    "replace_regex",
    "extract",
    "extract_all",
    "indexof",
    "countof",
    "reverse",
    "strrep",
    "url_encode",
    "url_decode",
    "base64_encode_tostring",
    "base64_decode_tostring",
    "isascii",
    // dynamic
    "bag_pack",
    "pack",
    "pack_array",
    "array_length",
    "bag_keys",
    "array_concat",
    "array_slice",
    "array_sort_asc",
    "array_sort_desc",
    "set_has_element",
    "array_index_of",
    "bag_has_key",
    "range",
];

/// The most arguments a variadic function (strcat, coalesce, max_of, case, pack_array, ...)
/// takes; Kusto documents 64 for most of them.
pub const VARIADIC_ARGUMENTS_MAX: usize = 64;

pub fn is_scalar_function(name: &str) -> bool {
    SCALAR_FUNCTION_NAMES.contains(&name)
}

/// Plans the KQL scalar function `name` (as written; names are case-sensitive) over arguments
/// the planner has already planned and typed.
pub fn plan_scalar(name: &str, args: Vec<TypedExpr>, ctx: &FunctionContext) -> Result<Expr> {
    if !is_scalar_function(name) {
        return Err(FunctionError::UnknownFunction {
            name: name.to_string(),
        });
    }
    match name {
        "tostring" | "toint" | "tolong" | "toreal" | "todouble" | "tobool" | "toboolean"
        | "todatetime" | "totimespan" | "totime" | "todecimal" | "toguid" | "todynamic"
        | "parse_json" | "int" | "long" | "real" | "double" | "bool" | "boolean" | "datetime"
        | "timespan" | "time" | "decimal" | "guid" | "dynamic" => {
            plan_conversion_function(name, args)
        }
        "iff" | "iif" | "case" | "coalesce" | "isnull" | "isnotnull" | "isempty" | "isnotempty"
        | "not" | "max_of" | "min_of" | "gettype" => conditional::plan(name, args),
        "bag_pack" | "pack" | "pack_array" | "array_length" | "bag_keys" | "array_concat"
        | "array_slice" | "array_sort_asc" | "array_sort_desc" | "set_has_element"
        | "array_index_of" | "bag_has_key" | "range" => dynamic_fns::plan(name, args),
        _ if math::handles(name) => math::plan(name, args),
        _ if datetime::handles(name) => datetime::plan(name, args, ctx),
        _ => string::plan(name, args),
    }
}

fn plan_conversion_function(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    let target = match name {
        "tostring" => KustoType::String,
        "toint" | "int" => KustoType::Int,
        "tolong" | "long" => KustoType::Long,
        "toreal" | "todouble" | "real" | "double" => KustoType::Real,
        "tobool" | "toboolean" | "bool" | "boolean" => KustoType::Bool,
        "todatetime" | "datetime" => KustoType::DateTime,
        "totimespan" | "totime" | "timespan" | "time" => KustoType::TimeSpan,
        "todecimal" | "decimal" => KustoType::Decimal,
        "toguid" | "guid" => KustoType::Guid,
        _ => KustoType::Dynamic,
    };
    let [value] = exact_args::<1>(name, args)?;
    plan_convert(value, target)
}

/// The arguments as an array of exactly `N`, or Kusto's argument-count error.
pub(crate) fn exact_args<const N: usize>(
    name: &str,
    args: Vec<TypedExpr>,
) -> Result<[TypedExpr; N]> {
    let actual = args.len();
    args.try_into()
        .map_err(|_| FunctionError::WrongArgumentCount {
            name: name.to_string(),
            expected: N.to_string(),
            actual,
        })
}

/// Checks `min..=max` arguments.
pub(crate) fn check_count(name: &str, args: &[TypedExpr], min: usize, max: usize) -> Result<()> {
    if (min..=max).contains(&args.len()) {
        return Ok(());
    }
    let expected = if min == max {
        min.to_string()
    } else if max >= VARIADIC_ARGUMENTS_MAX {
        format!("at least {min}")
    } else {
        format!("between {min} and {max}")
    };
    Err(FunctionError::WrongArgumentCount {
        name: name.to_string(),
        expected,
        actual: args.len(),
    })
}

/// The KQL type of argument `position` (1-based); `None` for an untyped null literal.
pub(crate) fn kusto_type_of(
    name: &str,
    position: usize,
    arg: &TypedExpr,
) -> Result<Option<KustoType>> {
    crate::convert::source_type(name, position, &arg.data_type)
}

pub(crate) fn wrong_type(
    name: &str,
    position: usize,
    expected: &str,
    arg: &TypedExpr,
) -> FunctionError {
    let actual = KustoType::from_arrow(&arg.data_type).map_or_else(
        || arg.data_type.to_string(),
        |kusto_type| kusto_type.name().to_string(),
    );
    FunctionError::WrongArgumentType {
        name: name.to_string(),
        position,
        expected: expected.to_string(),
        actual,
    }
}

/// Requires argument `position` to be one of `allowed` (an untyped null passes).
pub(crate) fn require_type(
    name: &str,
    position: usize,
    arg: &TypedExpr,
    allowed: &[KustoType],
) -> Result<Option<KustoType>> {
    let kusto_type = kusto_type_of(name, position, arg)?;
    match kusto_type {
        Some(found) if !allowed.contains(&found) => {
            let expected = allowed
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(" or ");
            Err(wrong_type(name, position, &expected, arg))
        }
        _ => Ok(kusto_type),
    }
}

/// The type two numeric values share when they must be one type (`iff` branches, `max_of`):
/// real wins, then decimal, then long; two ints stay int. (Arithmetic widens int op int to long
/// and lives in `crate::operators`.)
pub(crate) fn promote_numeric(left: KustoType, right: KustoType) -> KustoType {
    use KustoType::{Decimal, Int, Long, Real};
    match (left, right) {
        (Real, _) | (_, Real) => Real,
        (Decimal, _) | (_, Decimal) => Decimal,
        (Int, Int) => Int,
        _ => Long,
    }
}

/// The common type of several branches (`iff`, `case`, `coalesce`, `max_of`): all the same KQL
/// type, or all numeric (promoted); untyped nulls take the others' type.
pub(crate) fn unify(name: &str, args: &[&TypedExpr], first_position: usize) -> Result<DataType> {
    let mut common: Option<KustoType> = None;
    for (offset, arg) in args.iter().enumerate() {
        let Some(kusto_type) = kusto_type_of(name, first_position + offset, arg)? else {
            continue;
        };
        common = Some(match common {
            None => kusto_type,
            Some(seen) if seen == kusto_type => seen,
            Some(seen) if seen.is_numeric() && kusto_type.is_numeric() => {
                promote_numeric(seen, kusto_type)
            }
            Some(seen) => return Err(wrong_type(name, first_position + offset, seen.name(), arg)),
        });
    }
    Ok(common.map_or(DataType::Utf8, KustoType::arrow_type))
}

/// `arg` as `to` (no-op when it already is).
pub(crate) fn cast_to(arg: TypedExpr, to: &DataType) -> Expr {
    if &arg.data_type == to {
        arg.expr
    } else {
        cast(arg.expr, to.clone())
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Runs planned expressions through a real DataFusion session over a one-column batch.

    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
    use arrow::datatypes::{Field, Schema};
    use datafusion::logical_expr::col;
    use datafusion::prelude::SessionContext;

    use crate::{Result, TypedExpr};

    /// Evaluates `plan(column x)` over a batch holding `column`; panics (test only) on failure.
    pub(crate) async fn eval(
        column: ArrayRef,
        plan: impl FnOnce(TypedExpr) -> Result<datafusion::logical_expr::Expr>,
    ) -> ArrayRef {
        eval_many(vec![column], |mut typed| plan(typed.remove(0))).await
    }

    /// Evaluates `plan(columns c0, c1, ...)` over a batch holding `columns`.
    pub(crate) async fn eval_many(
        columns: Vec<ArrayRef>,
        plan: impl FnOnce(Vec<TypedExpr>) -> Result<datafusion::logical_expr::Expr>,
    ) -> ArrayRef {
        let fields: Vec<Field> = columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                Field::new(format!("c{index}"), column.data_type().clone(), true)
            })
            .collect();
        let typed: Vec<TypedExpr> = fields
            .iter()
            .map(|field| TypedExpr::new(col(field.name()), field.data_type().clone()))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .expect("test batch columns have equal lengths");
        let ctx = SessionContext::new();
        let expr = plan(typed).expect("planning succeeds in this test");
        let batches = ctx
            .read_batch(batch)
            .expect("batch registers")
            .select(vec![expr.alias("result")])
            .expect("projection plans")
            .collect()
            .await
            .expect("query runs");
        let arrays: Vec<ArrayRef> = batches
            .iter()
            .map(|batch| Arc::clone(batch.column(0)))
            .collect();
        let refs: Vec<&dyn Array> = arrays.iter().map(|array| array.as_ref()).collect();
        arrow::compute::concat(&refs).expect("result batches concatenate")
    }

    pub(crate) async fn eval_strings(
        column: ArrayRef,
        plan: impl FnOnce(TypedExpr) -> Result<datafusion::logical_expr::Expr>,
    ) -> Vec<String> {
        let result = eval(column, plan).await;
        strings_of(&result)
    }

    pub(crate) fn strings_of(array: &ArrayRef) -> Vec<String> {
        let as_utf8 = arrow::compute::cast(array, &arrow::datatypes::DataType::Utf8)
            .expect("result casts to Utf8");
        let texts = as_utf8
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast produced Utf8");
        (0..texts.len())
            .map(|row| {
                if texts.is_null(row) {
                    "<null>".to_string()
                } else {
                    texts.value(row).to_string()
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::lit;

    use super::*;

    const CTX: FunctionContext = FunctionContext { now_nanos: 0 };

    /// Proves planning errors read like Kusto's semantic errors: "Unknown function: 'foo'",
    /// "The function 'strlen' expects 1 argument(s).", and a wrong type names the function.
    #[test]
    fn planning_errors_read_like_kusto() {
        let text = || TypedExpr::new(lit("a"), DataType::Utf8);
        let unknown = plan_scalar("foo", vec![], &CTX).map(|_| ());
        assert_eq!(
            unknown.map_err(|error| error.to_string()),
            Err("Unknown function: 'foo'".to_string())
        );
        let count = plan_scalar("strlen", vec![text(), text()], &CTX).map(|_| ());
        assert_eq!(
            count.map_err(|error| error.to_string()),
            Err("The function 'strlen' expects 1 argument(s).".to_string())
        );
        let wrong_type = plan_scalar("sqrt", vec![text()], &CTX).map(|_| ());
        assert!(matches!(
            wrong_type,
            Err(FunctionError::WrongArgumentType { position: 1, .. })
        ));
        assert!(
            is_scalar_function("strcat") && !is_scalar_function("StrCat"),
            "names are case-sensitive"
        );
    }
}
