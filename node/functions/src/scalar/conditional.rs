//! Conditional and null functions: `iff`/`iif`, `case`, `coalesce`, `isnull`, `isnotnull`,
//! `isempty`, `isnotempty`, `not`, `max_of`, `min_of`, `gettype`.
//!
//! Owns: their Kusto semantics on top of DataFusion's CASE, COALESCE, GREATEST and LEAST:
//! a null predicate picks the else branch, a string is never null (so `isnull("")` is false and
//! `coalesce` skips empty strings), `max_of`/`min_of` ignore nulls.
//!
//! Does not own: the type rules shared with other families (`super::unify`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringArray};
use arrow::datatypes::DataType;
use datafusion::functions::expr_fn::{coalesce, greatest, least, nullif};
use datafusion::logical_expr::{Expr, lit, when};
use serde_json::Value;
use tarn_common::KustoType;

use super::udf::{DfResult, arg, call, dynamics};
use super::{
    VARIADIC_ARGUMENTS_MAX, cast_to, check_count, exact_args, kusto_type_of, require_type, unify,
};
use crate::{Result, TypedExpr};

pub(crate) fn plan(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    match name {
        "iff" | "iif" => {
            let [predicate, then_value, else_value] = exact_args::<3>(name, args)?;
            plan_case(name, vec![(predicate, then_value)], else_value)
        }
        "case" => {
            check_count(name, &args, 3, VARIADIC_ARGUMENTS_MAX)?;
            if args.len().is_multiple_of(2) {
                return Err(crate::FunctionError::WrongArgumentCount {
                    name: name.to_string(),
                    expected: "an odd number of".to_string(),
                    actual: args.len(),
                });
            }
            let mut remaining = args.into_iter();
            let mut branches = Vec::new();
            let mut else_value = None;
            while let Some(first) = remaining.next() {
                match remaining.next() {
                    Some(value) => branches.push((first, value)),
                    None => else_value = Some(first),
                }
            }
            let Some(else_value) = else_value else {
                return Err(crate::FunctionError::WrongArgumentCount {
                    name: name.to_string(),
                    expected: "an odd number of".to_string(),
                    actual: branches.len() * 2,
                });
            };
            plan_case(name, branches, else_value)
        }
        "coalesce" => plan_coalesce(name, args),
        "isnull" | "isnotnull" => {
            let [value] = exact_args::<1>(name, args)?;
            let is_null = if kusto_type_of(name, 1, &value)? == Some(KustoType::String) {
                // KQL strings are never null: a null in storage reads as "".
                lit(false)
            } else {
                value.expr.is_null()
            };
            Ok(if name == "isnull" {
                is_null
            } else {
                Expr::Not(Box::new(is_null))
            })
        }
        "isempty" | "isnotempty" => {
            let [value] = exact_args::<1>(name, args)?;
            let is_empty = match kusto_type_of(name, 1, &value)? {
                Some(KustoType::String) => coalesce(vec![value.expr, lit("")]).eq(lit("")),
                _ => value.expr.is_null(),
            };
            Ok(if name == "isempty" {
                is_empty
            } else {
                Expr::Not(Box::new(is_empty))
            })
        }
        "not" => {
            let [value] = exact_args::<1>(name, args)?;
            require_type(name, 1, &value, &[KustoType::Bool])?;
            Ok(Expr::Not(Box::new(cast_to(value, &DataType::Boolean))))
        }
        "max_of" | "min_of" => {
            check_count(name, &args, 2, VARIADIC_ARGUMENTS_MAX)?;
            let common = unify(name, &args.iter().collect::<Vec<_>>(), 1)?;
            let values: Vec<Expr> = args
                .into_iter()
                .map(|value| cast_to(value, &common))
                .collect();
            // DataFusion's GREATEST/LEAST skip nulls, as max_of's "non-null values take
            // precedence to null values" requires.
            Ok(if name == "max_of" {
                greatest(values)
            } else {
                least(values)
            })
        }
        "gettype" => {
            let [value] = exact_args::<1>(name, args)?;
            match kusto_type_of(name, 1, &value)? {
                Some(KustoType::Dynamic) => Ok(call(
                    "gettype",
                    DataType::Utf8,
                    dynamic_type_kernel,
                    vec![value.expr],
                )),
                Some(kusto_type) => Ok(lit(kusto_type.name())),
                None => Ok(lit("null")),
            }
        }
        _ => Err(crate::FunctionError::UnknownFunction {
            name: name.to_string(),
        }),
    }
}

/// `case(p1, v1, p2, v2, ..., else)`; a null predicate counts as false, like Kusto's.
fn plan_case(
    name: &str,
    branches: Vec<(TypedExpr, TypedExpr)>,
    else_value: TypedExpr,
) -> Result<Expr> {
    let mut values: Vec<&TypedExpr> = branches.iter().map(|(_, value)| value).collect();
    values.push(&else_value);
    let common = unify(name, &values, 2)?;
    let mut builder: Option<datafusion::logical_expr::conditional_expressions::CaseBuilder> = None;
    for (index, (predicate, value)) in branches.into_iter().enumerate() {
        require_type(name, index * 2 + 1, &predicate, &[KustoType::Bool])?;
        let predicate = cast_to(predicate, &DataType::Boolean);
        let value = cast_to(value, &common);
        builder = Some(match builder {
            None => when(predicate, value),
            Some(mut partial) => {
                partial.when(predicate, value);
                partial
            }
        });
    }
    let Some(mut builder) = builder else {
        return Ok(cast_to(else_value, &common));
    };
    let mut else_expr = cast_to(else_value, &common);
    if common == DataType::Utf8 {
        else_expr = coalesce(vec![else_expr, lit("")]);
    }
    Ok(builder.otherwise(else_expr)?)
}

/// `coalesce`: the first non-null value; for strings the first non-empty one.
fn plan_coalesce(name: &str, args: Vec<TypedExpr>) -> Result<Expr> {
    check_count(name, &args, 2, VARIADIC_ARGUMENTS_MAX)?;
    let common = unify(name, &args.iter().collect::<Vec<_>>(), 1)?;
    let is_string = common == DataType::Utf8;
    let mut values: Vec<Expr> = args
        .into_iter()
        .map(|value| {
            let value = cast_to(value, &common);
            if is_string {
                nullif(value, lit(""))
            } else {
                value
            }
        })
        .collect();
    if is_string {
        values.push(lit(""));
    }
    Ok(coalesce(values))
}

/// `gettype` of a dynamic: the runtime type of the JSON value it holds (the reference's
/// examples: `parse_json('1')` → "int", `{...}` → "dictionary", `[...]` → "array", `''` → "null").
fn dynamic_type_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let values = dynamics(arg(args, 0)?)?;
    let names: StringArray = (0..values.len())
        .map(|row| {
            if values.is_null(row) {
                return Some("null");
            }
            Some(match serde_json::from_str::<Value>(values.value(row)) {
                Ok(Value::Null) | Err(_) => "null",
                Ok(Value::Bool(_)) => "bool",
                Ok(Value::Number(number)) => match number.as_i64() {
                    Some(integer) if i32::try_from(integer).is_ok() => "int",
                    Some(_) => "long",
                    None => "real",
                },
                Ok(Value::String(_)) => "string",
                Ok(Value::Array(_)) => "array",
                Ok(Value::Object(_)) => "dictionary",
            })
        })
        .collect();
    Ok(Arc::new(names))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Int32Array, Int64Array, LargeStringArray, StringArray,
    };

    use crate::FunctionContext;
    use crate::scalar::plan_scalar;
    use crate::scalar::test_support::{eval, eval_many, strings_of};

    const CTX: FunctionContext = FunctionContext { now_nanos: 0 };

    /// Proves max_of follows the reference's datatable example: non-null values take
    /// precedence, and two nulls give null (rows 6, 8, 2, 1, null).
    #[tokio::test]
    async fn max_of_ignores_nulls() {
        let a: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(1),
            Some(8),
            None,
            Some(1),
            None,
        ]));
        let b: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(6),
            Some(1),
            Some(2),
            None,
            None,
        ]));
        let result = eval_many(vec![a, b], |args| plan_scalar("max_of", args, &CTX)).await;
        assert_eq!(strings_of(&result), vec!["6", "8", "2", "1", "<null>"]);
    }

    /// Proves iff picks the else branch for false and null predicates and unifies int with long.
    #[tokio::test]
    async fn iff_treats_null_as_false() {
        let predicate: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
        let then_values: ArrayRef = Arc::new(Int32Array::from(vec![1, 1, 1]));
        let else_values: ArrayRef = Arc::new(Int64Array::from(vec![2, 2, 2]));
        let result = eval_many(vec![predicate, then_values, else_values], |args| {
            plan_scalar("iff", args, &CTX)
        })
        .await;
        assert_eq!(result.data_type(), &arrow::datatypes::DataType::Int64);
        assert_eq!(strings_of(&result), vec!["1", "2", "2"]);
    }

    /// Proves coalesce skips empty strings (reference: "returns the first non-null (or
    /// non-empty for string) expression") and that isempty/isnull follow KQL's string rule.
    #[tokio::test]
    async fn string_emptiness_rules() {
        let first: ArrayRef = Arc::new(StringArray::from(vec![Some(""), None, Some("x")]));
        let second: ArrayRef = Arc::new(StringArray::from(vec![Some("b"), Some(""), Some("y")]));
        let result = eval_many(vec![first.clone(), second], |args| {
            plan_scalar("coalesce", args, &CTX)
        })
        .await;
        assert_eq!(strings_of(&result), vec!["b", "", "x"]);
        let result = eval(first.clone(), |arg| plan_scalar("isempty", vec![arg], &CTX)).await;
        assert_eq!(strings_of(&result), vec!["true", "true", "false"]);
        let result = eval(first, |arg| plan_scalar("isnull", vec![arg], &CTX)).await;
        assert_eq!(strings_of(&result), vec!["false", "false", "false"]);
    }

    /// Proves gettype follows the reference table: parse_json('1') → int, ' {"abc":1} ' →
    /// dictionary, '[1, 2, 3]' → array, '"abc"' → string; a long column → long.
    #[tokio::test]
    async fn gettype_reports_runtime_types() {
        let dynamic: ArrayRef = Arc::new(LargeStringArray::from(vec![
            Some("1"),
            Some("{\"abc\":1}"),
            Some("[1,2,3]"),
            Some("\"abc\""),
            None,
        ]));
        let result = eval(dynamic, |arg| plan_scalar("gettype", vec![arg], &CTX)).await;
        assert_eq!(
            strings_of(&result),
            vec!["int", "dictionary", "array", "string", "null"]
        );
        let longs: ArrayRef = Arc::new(Int64Array::from(vec![111]));
        let result = eval(longs, |arg| plan_scalar("gettype", vec![arg], &CTX)).await;
        assert_eq!(strings_of(&result), vec!["long"]);
    }
}
