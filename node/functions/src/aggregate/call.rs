//! Argument checking for aggregate calls, with Kusto's messages: counts, constant arguments
//! (`maxSize`, `accuracy`, the percentile), predicates, and which KQL types an aggregate accepts.
//!
//! Does not own: what each aggregate plans into (`aggregate::mod`).

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, lit, when};
use tarn_common::KustoType;
use tarn_common::types::{DECIMAL_PRECISION, DECIMAL_SCALE};

use super::collect::COLLECT_ELEMENTS_MAX;
use crate::{FunctionError, Result, TypedExpr};

/// A KQL call being planned: its name (for messages) and its typed arguments.
pub(crate) struct Call<'a> {
    pub name: &'a str,
    pub args: Vec<TypedExpr>,
}

impl Call<'_> {
    pub(crate) fn expect_count(&self, min_count: usize, max_count: usize) -> Result<()> {
        let actual = self.args.len();
        if (min_count..=max_count).contains(&actual) {
            return Ok(());
        }
        let expected = if min_count == max_count {
            min_count.to_string()
        } else {
            format!("between {min_count} and {max_count}")
        };
        Err(FunctionError::WrongArgumentCount {
            name: self.name.to_string(),
            expected,
            actual,
        })
    }

    /// The argument at 0-based `index`; errors are reported with 1-based positions.
    pub(crate) fn arg(&self, index: usize) -> Result<&TypedExpr> {
        self.args
            .get(index)
            .ok_or_else(|| FunctionError::WrongArgumentCount {
                name: self.name.to_string(),
                expected: format!("at least {}", index + 1),
                actual: self.args.len(),
            })
    }

    pub(crate) fn predicate(&self, index: usize) -> Result<Expr> {
        let predicate = self.arg(index)?;
        if predicate.data_type != DataType::Boolean {
            return Err(wrong_type(
                self.name,
                index + 1,
                "bool",
                &predicate.data_type,
            ));
        }
        Ok(predicate.expr.clone())
    }

    pub(crate) fn optional_predicate(&self, is_if: bool, index: usize) -> Result<Option<Expr>> {
        if is_if {
            self.predicate(index).map(Some)
        } else {
            Ok(None)
        }
    }

    fn literal(&self, index: usize) -> Result<ScalarValue> {
        let arg = self.arg(index)?;
        literal_value(&arg.expr).ok_or_else(|| FunctionError::InvalidArgument {
            name: self.name.to_string(),
            reason: format!("argument {} must be a constant", index + 1),
        })
    }

    pub(crate) fn literal_i64(&self, index: usize) -> Result<i64> {
        let value = self.literal(index)?;
        let as_long = match &value {
            ScalarValue::Int8(Some(v)) => Some(i64::from(*v)),
            ScalarValue::Int16(Some(v)) => Some(i64::from(*v)),
            ScalarValue::Int32(Some(v)) => Some(i64::from(*v)),
            ScalarValue::Int64(Some(v)) => Some(*v),
            ScalarValue::UInt8(Some(v)) => Some(i64::from(*v)),
            ScalarValue::UInt16(Some(v)) => Some(i64::from(*v)),
            ScalarValue::UInt32(Some(v)) => Some(i64::from(*v)),
            ScalarValue::UInt64(Some(v)) => i64::try_from(*v).ok(),
            _ => None,
        };
        as_long.ok_or_else(|| wrong_type(self.name, index + 1, "int", &value.data_type()))
    }

    pub(crate) fn literal_f64(&self, index: usize) -> Result<f64> {
        let value = self.literal(index)?;
        match &value {
            ScalarValue::Float64(Some(v)) => Ok(*v),
            ScalarValue::Float32(Some(v)) => Ok(f64::from(*v)),
            _ => self.literal_i64(index).map(|v| v as f64),
        }
    }

    /// The optional `maxSize` of make_list / make_set / make_bag at `index`.
    pub(crate) fn elements_max(&self, index: usize, default: usize) -> Result<usize> {
        if self.args.len() <= index {
            return Ok(default);
        }
        let requested = self.literal_i64(index)?;
        match usize::try_from(requested) {
            Ok(size) if (1..=COLLECT_ELEMENTS_MAX).contains(&size) => Ok(size),
            _ => Err(FunctionError::InvalidArgument {
                name: self.name.to_string(),
                reason: format!(
                    "maxSize must be between 1 and {COLLECT_ELEMENTS_MAX}, got {requested}"
                ),
            }),
        }
    }
}

/// The value as KQL sees it: a null string is the empty string (KQL strings are never null), so
/// `dcount`, `make_list` and `make_set` count and collect it as `""`.
pub(crate) fn kql_value(value: &TypedExpr) -> Result<Expr> {
    if !is_string(&value.data_type) {
        return Ok(value.expr.clone());
    }
    Ok(when(value.expr.clone().is_null(), lit("")).otherwise(value.expr.clone())?)
}

/// Reads a constant argument: a literal, possibly under an alias or a cast the planner added.
fn literal_value(expr: &Expr) -> Option<ScalarValue> {
    match expr {
        Expr::Literal(value, _) => Some(value.clone()),
        Expr::Alias(alias) => literal_value(&alias.expr),
        Expr::Cast(cast) => {
            let value = literal_value(&cast.expr)?;
            value.cast_to(cast.field.data_type()).ok()
        }
        Expr::Negative(inner) => {
            let value = literal_value(inner)?;
            value.arithmetic_negate().ok()
        }
        _ => None,
    }
}

pub(crate) fn wrong_type(
    name: &str,
    position: usize,
    expected: &str,
    actual: &DataType,
) -> FunctionError {
    FunctionError::WrongArgumentType {
        name: name.to_string(),
        position,
        expected: expected.to_string(),
        actual: kql_type_name(actual),
    }
}

fn kql_type_name(data_type: &DataType) -> String {
    match KustoType::from_arrow(data_type) {
        Some(kusto_type) => kusto_type.name().to_string(),
        None => data_type.to_string(),
    }
}

pub(crate) fn is_string(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Utf8 | DataType::Utf8View)
}

pub(crate) fn is_dynamic(data_type: &DataType) -> bool {
    matches!(KustoType::from_arrow(data_type), Some(KustoType::Dynamic))
}

pub(crate) fn is_orderable(data_type: &DataType) -> bool {
    KustoType::from_arrow(data_type).is_some_and(|kusto_type| kusto_type != KustoType::Dynamic)
}

/// Types `json::element_json` can write.
pub(crate) fn is_json_writable(data_type: &DataType) -> bool {
    match data_type {
        DataType::Duration(unit) => *unit == TimeUnit::Nanosecond,
        DataType::FixedSizeBinary(width) => *width == 16,
        DataType::Decimal128(_, _)
        | DataType::Timestamp(_, _)
        | DataType::Boolean
        | DataType::Utf8
        | DataType::Utf8View
        | DataType::LargeUtf8 => true,
        other => other.is_integer() || matches!(other, DataType::Float32 | DataType::Float64),
    }
}

pub(crate) fn decimal_type() -> DataType {
    DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
}

pub(crate) fn datetime_type() -> DataType {
    KustoType::DateTime.arrow_type()
}

pub(crate) fn timespan_type() -> DataType {
    DataType::Duration(TimeUnit::Nanosecond)
}
