//! Access into `dynamic` values: `d.name`, `d["name"]`, `d[0]`, `d[-1]`, and the element list
//! mv-expand expands.
//!
//! Owns: member and index lookups over the JSON text a dynamic holds (absent member, index out
//! of range, or lookup into a non-container → null; a negative index counts from the end), and
//! [`dynamic_elements_udf`].
//!
//! Does not own: the dynamic functions (`scalar::dynamic_fns`), conversions out of dynamic
//! (`crate::convert`), mv-expand's row multiplication (planner: it unnests the list this UDF
//! returns).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, LargeStringBuilder, ListBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::logical_expr::{Expr, ScalarUDF, lit};
use serde_json::Value;
use tarn_common::KustoType;

use crate::convert::{json_text, kusto_strings, source_type};
use crate::scalar::udf::{DfResult, KqlUdf, arg, call, dynamic_array, dynamics};
use crate::{FunctionError, Result, TypedExpr};

/// Parses a dynamic's JSON text; text that is not JSON (which we never write) reads as null.
pub(crate) fn parse_dynamic(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The JSON values of a dynamic column; Arrow null is JSON null.
pub(crate) fn dynamic_values(array: &ArrayRef) -> DfResult<Vec<Value>> {
    if array.data_type() == &DataType::Null {
        return Ok(vec![Value::Null; array.len()]);
    }
    let texts = dynamics(array)?;
    Ok((0..texts.len())
        .map(|row| {
            if texts.is_null(row) {
                Value::Null
            } else {
                parse_dynamic(texts.value(row))
            }
        })
        .collect())
}

fn require_dynamic(name: &str, base: &TypedExpr) -> Result<()> {
    match source_type(name, 1, &base.data_type)? {
        None | Some(KustoType::Dynamic) => Ok(()),
        Some(other) => Err(FunctionError::WrongArgumentType {
            name: name.to_string(),
            position: 1,
            expected: "dynamic".to_string(),
            actual: other.name().to_string(),
        }),
    }
}

/// `base.name` / `base["name"]`: the member's value, null when absent.
pub fn plan_member(base: TypedExpr, name: &str) -> Result<Expr> {
    require_dynamic("member access", &base)?;
    Ok(call(
        "kql_member",
        DataType::LargeUtf8,
        index_kernel,
        vec![base.expr, lit(name)],
    ))
}

/// `base[index]`: a string index looks up a member, an integer index an array element
/// (negative counts from the end), a dynamic index whichever its value is.
pub fn plan_index(base: TypedExpr, index: TypedExpr) -> Result<Expr> {
    require_dynamic("index access", &base)?;
    match source_type("index access", 2, &index.data_type)? {
        None | Some(KustoType::String | KustoType::Int | KustoType::Long | KustoType::Dynamic) => {}
        Some(other) => {
            return Err(FunctionError::WrongArgumentType {
                name: "index access".to_string(),
                position: 2,
                expected: "string or long".to_string(),
                actual: other.name().to_string(),
            });
        }
    }
    Ok(call(
        "kql_index",
        DataType::LargeUtf8,
        index_kernel,
        vec![base.expr, index.expr],
    ))
}

/// One lookup step: member of an object or element of an array.
pub(crate) fn lookup<'a>(value: &'a Value, key: &Value) -> Option<&'a Value> {
    match (value, key) {
        (Value::Object(members), Value::String(name)) => members.get(name),
        (Value::Array(elements), Value::Number(number)) => {
            let position = number.as_i64()?;
            let resolved = if position < 0 {
                i64::try_from(elements.len()).ok()? + position
            } else {
                position
            };
            elements.get(usize::try_from(resolved).ok()?)
        }
        _ => None,
    }
}

fn index_keys(array: &ArrayRef) -> DfResult<Vec<Value>> {
    match array.data_type() {
        DataType::LargeUtf8 => dynamic_values(array),
        data_type if data_type.is_integer() => {
            let numbers = crate::scalar::udf::longs(array)?;
            Ok(numbers
                .iter()
                .map(|number| number.map_or(Value::Null, Value::from))
                .collect())
        }
        _ => Ok(kusto_strings(array)?
            .into_iter()
            .map(Value::String)
            .collect()),
    }
}

fn index_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    let bases = dynamic_values(arg(args, 0)?)?;
    let keys = index_keys(arg(args, 1)?)?;
    let values = bases
        .iter()
        .zip(keys.iter())
        .map(|(base, key)| lookup(base, key).and_then(json_text))
        .collect();
    Ok(dynamic_array(values))
}

/// The element type of the list [`dynamic_elements_udf`] returns.
pub fn dynamic_elements_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::LargeUtf8, true)))
}

/// A UDF for mv-expand: a dynamic array → the JSON text of each element; a property bag → one
/// single-key bag `{"k": v}` per key when `bag_expansion_bag`, else one `[k, v]` array per key; a
/// scalar → itself as the one element; null → one null element (the reference: "if the dynamic
/// value is null, a single record is produced for that value"; an empty array or bag gives none).
pub fn dynamic_elements_udf(bag_expansion_bag: bool) -> Arc<ScalarUDF> {
    if bag_expansion_bag {
        KqlUdf::udf(
            "mv_expand_elements_bag",
            dynamic_elements_type(),
            elements_bag_kernel,
        )
    } else {
        KqlUdf::udf(
            "mv_expand_elements_array",
            dynamic_elements_type(),
            elements_array_kernel,
        )
    }
}

fn elements_kernel(args: &[ArrayRef], bag_expansion_bag: bool) -> DfResult<ArrayRef> {
    let values = dynamic_values(arg(args, 0)?)?;
    let mut builder = ListBuilder::new(LargeStringBuilder::new());
    for value in &values {
        match value {
            Value::Null => builder.values().append_null(),
            Value::Array(elements) => {
                for element in elements {
                    builder.values().append_option(json_text(element));
                }
            }
            Value::Object(members) => {
                for (key, member) in members {
                    let expanded = if bag_expansion_bag {
                        let mut single = serde_json::Map::new();
                        single.insert(key.clone(), member.clone());
                        Value::Object(single)
                    } else {
                        Value::Array(vec![Value::String(key.clone()), member.clone()])
                    };
                    builder.values().append_value(expanded.to_string());
                }
            }
            scalar => builder.values().append_option(json_text(scalar)),
        }
        builder.append(true);
    }
    Ok(Arc::new(builder.finish()))
}

fn elements_bag_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    elements_kernel(args, true)
}

fn elements_array_kernel(args: &[ArrayRef], _return_type: &DataType) -> DfResult<ArrayRef> {
    elements_kernel(args, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::test_support::{eval, eval_many, strings_of};
    use arrow::array::{Int64Array, LargeStringArray, ListArray};
    use datafusion::logical_expr::expr::ScalarFunction;

    fn dynamic_column(values: Vec<Option<&str>>) -> ArrayRef {
        Arc::new(LargeStringArray::from(values))
    }

    /// Proves member access returns the member's JSON and null when absent or not a bag.
    #[tokio::test]
    async fn member_access() {
        let column = dynamic_column(vec![
            Some("{\"a\":{\"b\":1}}"),
            Some("{\"c\":2}"),
            Some("[1]"),
            None,
        ]);
        let result = eval(column, |base| plan_member(base, "a")).await;
        assert_eq!(
            strings_of(&result),
            vec!["{\"b\":1}", "<null>", "<null>", "<null>"]
        );
    }

    /// Proves array indexing counts negative indexes from the end (d[-1] is the last element)
    /// and gives null out of range.
    #[tokio::test]
    async fn index_access() {
        let column = dynamic_column(vec![
            Some("[10,20,30]"),
            Some("[10,20,30]"),
            Some("[10,20,30]"),
        ]);
        let indexes: ArrayRef = Arc::new(Int64Array::from(vec![0, -1, 3]));
        let result = eval_many(vec![column, indexes], |mut args| {
            let index = args.remove(1);
            plan_index(args.remove(0), index)
        })
        .await;
        assert_eq!(strings_of(&result), vec!["10", "30", "<null>"]);
    }

    /// Proves mv-expand's element list: arrays give their elements, bags give single-key bags
    /// (bagexpansion=bag) or [key, value] pairs (bagexpansion=array), null gives one null element
    /// (one output record), an empty array none.
    #[tokio::test]
    async fn elements_for_mv_expand() {
        let column = dynamic_column(vec![Some("[1,\"a\"]"), Some("{\"k\":1}"), None, Some("[]")]);
        for (bag, expected) in [(true, "{\"k\":1}"), (false, "[\"k\",1]")] {
            let result = eval(column.clone(), |base| {
                Ok(Expr::ScalarFunction(ScalarFunction::new_udf(
                    dynamic_elements_udf(bag),
                    vec![base.expr],
                )))
            })
            .await;
            let lists = result.as_any().downcast_ref::<ListArray>().cloned();
            let lengths: Option<Vec<usize>> = lists
                .as_ref()
                .map(|lists| (0..lists.len()).map(|row| lists.value(row).len()).collect());
            assert_eq!(lengths, Some(vec![2, 1, 1, 0]));
            let second = lists.map(|lists| strings_of(&lists.value(1)));
            assert_eq!(second, Some(vec![expected.to_string()]));
        }
    }
}
