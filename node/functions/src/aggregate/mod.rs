//! KQL aggregation functions (`summarize` aggregates) as DataFusion aggregate expressions.
//!
//! Owns: the aggregate function table ([`is_aggregate_function`], [`plan_aggregate`]), the
//! multi-output helpers the planner calls per output column ([`plan_arg_extreme`],
//! [`plan_percentile`]), argument checking with Kusto's messages, and the UDAFs where DataFusion's
//! built-ins differ from Kusto:
//! - `finish`: DataFusion's `sum`/`avg` with a final cast and Kusto's empty-group default;
//! - `variance`: `stdev`/`stdevp`/`variance`/`variancep` (0 for one value, 0 for none);
//! - `percentile`: exact nearest-rank percentiles;
//! - `collect`: `make_list`/`make_set`/`make_list_with_nulls` as dynamic JSON arrays;
//! - `bag`: `make_bag`;
//! - `json`: a value as a dynamic element;
//! - `call`: argument counts, constant arguments and accepted types, with Kusto's messages.
//!
//! Every `…if(x, predicate)` form is the plain aggregate with a FILTER clause, so rows whose
//! predicate is false or null are not aggregated.
//!
//! Exact where Kusto estimates: `dcount` counts distinct values exactly (Kusto uses HyperLogLog;
//! the accuracy argument is checked and otherwise ignored) and `percentile` ranks exactly (Kusto
//! uses T-Digest).
//!
//! Does not own: output column naming (`sum_x`, `percentile_x_95`), splitting `arg_max(by, *)` or
//! `percentiles(x, p1, p2)` into one call per output column, or the single row that `summarize`
//! without `by` produces on empty input (tarn-planner).

mod bag;
mod call;
mod collect;
mod finish;
mod json;
mod percentile;
mod variance;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::functions_aggregate::average::avg_udaf;
use datafusion::functions_aggregate::expr_fn::{count, count_distinct, first_value, max, min};
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::logical_expr::{Expr, SortExpr, cast, lit};
use tarn_common::KustoType;
use tarn_common::types::{DECIMAL_PRECISION, DECIMAL_SCALE};

pub use collect::COLLECT_ELEMENTS_MAX;
pub use percentile::{PERCENTILE_DIGEST_CENTROIDS, PERCENTILE_EXACT_VALUES_MAX};

use crate::{FunctionError, Result, TypedExpr};
use bag::BagUdaf;
use call::{
    Call, datetime_type, decimal_type, is_dynamic, is_json_writable, is_orderable, is_string,
    kql_value, timespan_type, wrong_type,
};
use collect::{CollectKind, CollectUdaf};
use finish::{Finish, FinishedAggregate};
use percentile::PercentileUdaf;
use variance::{Dispersion, VarianceUdaf};

/// The deprecated `makelist` / `makeset` / `make_dictionary` keep their old default size.
const DEPRECATED_COLLECT_ELEMENTS_DEFAULT: usize = 128;
/// `dcount`'s accuracy levels, as documented (0 to 4).
const DCOUNT_ACCURACY_MAX: i64 = 4;

/// Every KQL aggregate this module plans, including the multi-output ones the planner splits.
const AGGREGATE_NAMES: &[&str] = &[
    "count",
    "countif",
    "sum",
    "sumif",
    "avg",
    "avgif",
    "min",
    "max",
    "minif",
    "maxif",
    "dcount",
    "dcountif",
    "count_distinct",
    "count_distinctif",
    "percentile",
    "percentiles",
    "arg_max",
    "arg_min",
    "argmax",
    "argmin",
    "make_list",
    "makelist",
    "make_list_if",
    "make_list_with_nulls",
    "make_set",
    "makeset",
    "make_set_if",
    "make_bag",
    "make_bag_if",
    "make_dictionary",
    "take_any",
    "any",
    "take_anyif",
    "anyif",
    "stdev",
    "stdevp",
    "stdevif",
    "variance",
    "variancep",
    "varianceif",
];

pub fn is_aggregate_function(name: &str) -> bool {
    AGGREGATE_NAMES.contains(&name)
}

/// Plans a KQL aggregate call as a DataFusion aggregate Expr (to be used in
/// `LogicalPlanBuilder::aggregate`). Multi-output aggregates (`arg_max`, `arg_min`,
/// `percentiles`) are planned through [`plan_arg_extreme`] and [`plan_percentile`].
pub fn plan_aggregate(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    let call = Call { name, args };
    match name {
        "count" => {
            // `count()` counts rows. Kusto also accepts `count(x)` (named `count_x`) and counts every
            // row there too, nulls included, as the summarize reference's example shows.
            call.expect_count(0, 1)?;
            Ok(count(lit(1i64)))
        }
        "countif" => {
            call.expect_count(1, 1)?;
            let predicate = call.predicate(0)?;
            filtered(count(lit(1i64)), Some(predicate))
        }
        "sum" | "sumif" => plan_sum(&call, name == "sumif"),
        "avg" | "avgif" => plan_avg(&call, name == "avgif"),
        "min" | "max" | "minif" | "maxif" => plan_min_max(&call),
        "dcount" | "dcountif" | "count_distinct" | "count_distinctif" => plan_dcount(&call),
        "percentile" => {
            call.expect_count(2, 2)?;
            let percentile = call.literal_f64(1)?;
            let value = call.arg(0)?.clone();
            plan_percentile(value, percentile)
        }
        "make_list" | "makelist" | "make_list_if" => plan_collect(&call, CollectKind::List),
        "make_list_with_nulls" => plan_collect(&call, CollectKind::ListWithNulls),
        "make_set" | "makeset" | "make_set_if" => plan_collect(&call, CollectKind::Set),
        "make_bag" | "make_bag_if" | "make_dictionary" => plan_bag(&call),
        "take_any" | "any" | "take_anyif" | "anyif" => plan_take_any(&call),
        "stdev" | "stdevif" => plan_dispersion(
            &call,
            Dispersion {
                sample: true,
                deviation: true,
            },
        ),
        "stdevp" => plan_dispersion(
            &call,
            Dispersion {
                sample: false,
                deviation: true,
            },
        ),
        "variance" | "varianceif" => plan_dispersion(
            &call,
            Dispersion {
                sample: true,
                deviation: false,
            },
        ),
        "variancep" => plan_dispersion(
            &call,
            Dispersion {
                sample: false,
                deviation: false,
            },
        ),
        "percentiles" | "arg_max" | "arg_min" | "argmax" | "argmin" => {
            Err(FunctionError::InvalidArgument {
                name: name.to_string(),
                reason: "this aggregate returns several columns; the planner plans each through \
                         plan_percentile / plan_arg_extreme"
                    .to_string(),
            })
        }
        _ => Err(FunctionError::UnknownFunction {
            name: name.to_string(),
        }),
    }
}

/// `arg_max(by, value)` / `arg_min`: the value of `value` in the row where `by` is max/min (nulls
/// in `by` ignored; among ties an arbitrary row, as in Kusto). The planner calls this once per
/// output column (`arg_max(ts, *)` → every column), including once with `value` = `by`.
pub fn plan_arg_extreme(max: bool, by: TypedExpr, value: TypedExpr) -> Result<Expr> {
    let name = if max { "arg_max" } else { "arg_min" };
    if !is_orderable(&by.data_type) {
        return Err(wrong_type(
            name,
            1,
            "an orderable scalar (not dynamic)",
            &by.data_type,
        ));
    }
    let ascending = !max;
    let order = vec![SortExpr::new(by.expr.clone(), ascending, false)];
    let aggregate = first_value(value.expr, order);
    filtered(aggregate, Some(by.expr.is_not_null()))
}

/// `percentile(x, p)` and each p of `percentiles(x, p1, p2, ...)`: the nearest-rank percentile
/// of `x`, typed like `x` (ints become long). `percentile` is in [0, 100].
pub fn plan_percentile(value: TypedExpr, percentile: f64) -> Result<Expr> {
    let name = "percentile";
    if !(0.0..=100.0).contains(&percentile) {
        return Err(FunctionError::InvalidArgument {
            name: name.to_string(),
            reason: format!("the percentile must be between 0 and 100, got {percentile}"),
        });
    }
    // Each percentile gets its own UDAF name so that several in one summarize do not collide
    // in the aggregate's schema before the planner aliases them.
    let udaf_name = format!("percentile_{percentile}");
    let (accumulated, finish) = match KustoType::from_arrow(&value.data_type) {
        Some(KustoType::Int | KustoType::Long) => (DataType::Int64, None),
        Some(KustoType::Real) => (DataType::Float64, None),
        Some(KustoType::Decimal) => (DataType::Float64, Some(decimal_type())),
        Some(KustoType::DateTime) => (DataType::Int64, Some(datetime_type())),
        Some(KustoType::TimeSpan) => (DataType::Int64, Some(timespan_type())),
        _ => {
            return Err(wrong_type(
                name,
                1,
                "a number, datetime or timespan",
                &value.data_type,
            ));
        }
    };
    let input = cast(value.expr, accumulated);
    let inner = PercentileUdaf::udaf(&udaf_name, percentile, PERCENTILE_EXACT_VALUES_MAX);
    let Some(result_type) = finish else {
        return Ok(inner.call(vec![input]));
    };
    let finish = Finish {
        casts: vec![result_type],
        empty_value: None,
    };
    Ok(FinishedAggregate::udaf(&udaf_name, Arc::new(inner), finish).call(vec![input]))
}

fn plan_sum(call: &Call, is_if: bool) -> Result<Expr> {
    let arg_count = if is_if { 2 } else { 1 };
    call.expect_count(arg_count, arg_count)?;
    let value = call.arg(0)?;
    let predicate = call.optional_predicate(is_if, 1)?;
    let (accumulated, finish) = match KustoType::from_arrow(&value.data_type) {
        Some(KustoType::Int | KustoType::Long) => (
            DataType::Int64,
            Finish {
                casts: vec![],
                empty_value: Some(ScalarValue::Int64(Some(0))),
            },
        ),
        Some(KustoType::Real) => (
            DataType::Float64,
            Finish {
                casts: vec![],
                empty_value: Some(ScalarValue::Float64(Some(0.0))),
            },
        ),
        Some(KustoType::Decimal) => (
            decimal_type(),
            Finish {
                casts: vec![decimal_type()],
                empty_value: Some(ScalarValue::Decimal128(
                    Some(0),
                    DECIMAL_PRECISION,
                    DECIMAL_SCALE,
                )),
            },
        ),
        Some(KustoType::TimeSpan) => (
            DataType::Int64,
            Finish {
                casts: vec![timespan_type()],
                empty_value: Some(ScalarValue::DurationNanosecond(Some(0))),
            },
        ),
        _ => {
            return Err(wrong_type(
                call.name,
                1,
                "a number or timespan",
                &value.data_type,
            ));
        }
    };
    let input = cast(value.expr.clone(), accumulated);
    let aggregate = FinishedAggregate::udaf(call.name, sum_udaf(), finish).call(vec![input]);
    filtered(aggregate, predicate)
}

fn plan_avg(call: &Call, is_if: bool) -> Result<Expr> {
    let arg_count = if is_if { 2 } else { 1 };
    call.expect_count(arg_count, arg_count)?;
    let value = call.arg(0)?;
    let predicate = call.optional_predicate(is_if, 1)?;
    let (accumulated, casts) = match KustoType::from_arrow(&value.data_type) {
        Some(KustoType::Int | KustoType::Long | KustoType::Real) => (DataType::Float64, vec![]),
        // DataFusion's decimal average widens the scale; Kusto's decimal keeps (38, 18).
        Some(KustoType::Decimal) => (decimal_type(), vec![decimal_type()]),
        // Arrow has no float-to-duration cast: the mean goes through long nanoseconds.
        Some(KustoType::TimeSpan) => (DataType::Float64, vec![DataType::Int64, timespan_type()]),
        _ => {
            return Err(wrong_type(
                call.name,
                1,
                "a number or timespan",
                &value.data_type,
            ));
        }
    };
    let input = cast(value.expr.clone(), accumulated);
    let finish = Finish {
        casts,
        empty_value: None,
    };
    let aggregate = FinishedAggregate::udaf(call.name, avg_udaf(), finish).call(vec![input]);
    filtered(aggregate, predicate)
}

fn plan_min_max(call: &Call) -> Result<Expr> {
    let is_if = call.name.ends_with("if");
    let arg_count = if is_if { 2 } else { 1 };
    call.expect_count(arg_count, arg_count)?;
    let value = call.arg(0)?;
    if !is_orderable(&value.data_type) {
        return Err(wrong_type(
            call.name,
            1,
            "an orderable scalar (not dynamic)",
            &value.data_type,
        ));
    }
    let predicate = call.optional_predicate(is_if, 1)?;
    let aggregate = if call.name.starts_with("min") {
        min(value.expr.clone())
    } else {
        max(value.expr.clone())
    };
    filtered(aggregate, predicate)
}

fn plan_dcount(call: &Call) -> Result<Expr> {
    let is_if = call.name.ends_with("if");
    let takes_accuracy = call.name.starts_with("dcount");
    let required = if is_if { 2 } else { 1 };
    let allowed = if takes_accuracy {
        required + 1
    } else {
        required
    };
    call.expect_count(required, allowed)?;
    let value = call.arg(0)?;
    if is_dynamic(&value.data_type) {
        return Err(wrong_type(
            call.name,
            1,
            "a scalar (not dynamic)",
            &value.data_type,
        ));
    }
    let predicate = call.optional_predicate(is_if, 1)?;
    if call.args.len() > required {
        let accuracy = call.literal_i64(required)?;
        if !(0..=DCOUNT_ACCURACY_MAX).contains(&accuracy) {
            return Err(FunctionError::InvalidArgument {
                name: call.name.to_string(),
                reason: format!(
                    "accuracy must be between 0 and {DCOUNT_ACCURACY_MAX}, got {accuracy}"
                ),
            });
        }
    }
    filtered(count_distinct(kql_value(value)?), predicate)
}

fn plan_collect(call: &Call, kind: CollectKind) -> Result<Expr> {
    let is_if = call.name.ends_with("_if");
    let deprecated = matches!(call.name, "makelist" | "makeset");
    let size_index = if is_if { 2 } else { 1 };
    let max_args = if kind == CollectKind::ListWithNulls {
        1
    } else {
        size_index + 1
    };
    call.expect_count(size_index, max_args)?;
    let value = call.arg(0)?;
    if !is_json_writable(&value.data_type) {
        return Err(wrong_type(
            call.name,
            1,
            "a scalar or dynamic value",
            &value.data_type,
        ));
    }
    let predicate = call.optional_predicate(is_if, 1)?;
    let default_size = if deprecated {
        DEPRECATED_COLLECT_ELEMENTS_DEFAULT
    } else {
        COLLECT_ELEMENTS_MAX
    };
    let elements_max = call.elements_max(size_index, default_size)?;
    let udaf_name = format!("{}_{elements_max}", call.name);
    let aggregate = CollectUdaf::udaf(&udaf_name, kind, elements_max).call(vec![kql_value(value)?]);
    filtered(aggregate, predicate)
}

fn plan_bag(call: &Call) -> Result<Expr> {
    let is_if = call.name.ends_with("_if");
    let size_index = if is_if { 2 } else { 1 };
    call.expect_count(size_index, size_index + 1)?;
    let value = call.arg(0)?;
    if !is_dynamic(&value.data_type) {
        return Err(wrong_type(call.name, 1, "dynamic", &value.data_type));
    }
    let predicate = call.optional_predicate(is_if, 1)?;
    let default_size = if call.name == "make_dictionary" {
        DEPRECATED_COLLECT_ELEMENTS_DEFAULT
    } else {
        COLLECT_ELEMENTS_MAX
    };
    let keys_max = call.elements_max(size_index, default_size)?;
    let udaf_name = format!("{}_{keys_max}", call.name);
    let aggregate = BagUdaf::udaf(&udaf_name, keys_max).call(vec![value.expr.clone()]);
    filtered(aggregate, predicate)
}

/// `take_any(x)`: any value of the group, preferring a non-null (and, for strings, non-empty)
/// one as the reference says the single-column form does.
fn plan_take_any(call: &Call) -> Result<Expr> {
    let is_if = call.name.ends_with("if");
    let arg_count = if is_if { 2 } else { 1 };
    call.expect_count(arg_count, arg_count)?;
    let value = call.arg(0)?;
    let mut present = value.expr.clone().is_not_null();
    if is_string(&value.data_type) {
        present = present.and(value.expr.clone().not_eq(lit("")));
    }
    let condition = match call.optional_predicate(is_if, 1)? {
        Some(predicate) => predicate.and(present),
        None => present,
    };
    filtered(first_value(value.expr.clone(), vec![]), Some(condition))
}

fn plan_dispersion(call: &Call, dispersion: Dispersion) -> Result<Expr> {
    let is_if = call.name.ends_with("if");
    let arg_count = if is_if { 2 } else { 1 };
    call.expect_count(arg_count, arg_count)?;
    let value = call.arg(0)?;
    if !matches!(
        KustoType::from_arrow(&value.data_type),
        Some(KustoType::Int | KustoType::Long | KustoType::Real | KustoType::Decimal)
    ) {
        return Err(wrong_type(call.name, 1, "a number", &value.data_type));
    }
    let predicate = call.optional_predicate(is_if, 1)?;
    let input = cast(value.expr.clone(), DataType::Float64);
    let aggregate = VarianceUdaf::udaf(call.name, dispersion).call(vec![input]);
    filtered(aggregate, predicate)
}

/// Adds a FILTER clause to an aggregate call when there is a predicate. The parameters are set in
/// place because `ExprFunctionExt::build` resets every parameter it was not given (ORDER BY,
/// DISTINCT), which would silently turn `arg_max` into "any row" and `dcountif` into `countif`.
fn filtered(aggregate: Expr, predicate: Option<Expr>) -> Result<Expr> {
    let Some(predicate) = predicate else {
        return Ok(aggregate);
    };
    let Expr::AggregateFunction(mut function) = aggregate else {
        return Err(FunctionError::DataFusion(DataFusionError::Internal(
            format!("a FILTER can only be added to an aggregate call, not to {aggregate}"),
        )));
    };
    let combined = match function.params.filter.take() {
        Some(existing) => existing.and(predicate),
        None => predicate,
    };
    function.params.filter = Some(Box::new(combined));
    Ok(Expr::AggregateFunction(function))
}
