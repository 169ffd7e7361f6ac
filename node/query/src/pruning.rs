//! Extent pruning: whether an extent's statistics rule out every row for the pushed-down filters.
//! Only conjunctions of `column <op> literal` (and `between`) are understood; anything else keeps
//! the extent.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};
use tarn_common::{ExtentMeta, StatValue};
use tarn_storage::{CompareOp, may_contain};

pub(crate) fn may_match(extent: &ExtentMeta, filters: &[Expr]) -> bool {
    filters.iter().all(|filter| filter_may_match(extent, filter))
}

fn filter_may_match(extent: &ExtentMeta, filter: &Expr) -> bool {
    match filter {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::And, right }) => {
            filter_may_match(extent, left) && filter_may_match(extent, right)
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (column, value, op) = match (column_name(left), literal(right), column_name(right), literal(left)) {
                (Some(column), Some(value), _, _) => (column, value, *op),
                (_, _, Some(column), Some(value)) => match flip(*op) {
                    Some(flipped) => (column, value, flipped),
                    None => return true,
                },
                _ => return true,
            };
            let compare = match op {
                Operator::Eq => CompareOp::Eq,
                Operator::Lt => CompareOp::Lt,
                Operator::LtEq => CompareOp::Le,
                Operator::Gt => CompareOp::Gt,
                Operator::GtEq => CompareOp::Ge,
                _ => return true,
            };
            may_contain(extent, column, compare, &value)
        }
        Expr::Between(Between { expr, negated: false, low, high }) => {
            let Some(column) = column_name(expr) else { return true };
            let low_ok = literal(low).is_none_or(|value| may_contain(extent, column, CompareOp::Ge, &value));
            let high_ok = literal(high).is_none_or(|value| may_contain(extent, column, CompareOp::Le, &value));
            low_ok && high_ok
        }
        _ => true,
    }
}

fn flip(op: Operator) -> Option<Operator> {
    Some(match op {
        Operator::Eq => Operator::Eq,
        Operator::Lt => Operator::Gt,
        Operator::LtEq => Operator::GtEq,
        Operator::Gt => Operator::Lt,
        Operator::GtEq => Operator::LtEq,
        _ => return None,
    })
}

fn column_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Column(column) => Some(column.name.as_str()),
        _ => None,
    }
}

fn literal(expr: &Expr) -> Option<StatValue> {
    let Expr::Literal(value, _) = expr else { return None };
    Some(match value {
        ScalarValue::Boolean(Some(flag)) => StatValue::Bool(*flag),
        ScalarValue::Int32(Some(number)) => StatValue::Int(i64::from(*number)),
        ScalarValue::Int64(Some(number)) => StatValue::Int(*number),
        ScalarValue::Float64(Some(number)) => StatValue::Real(*number),
        ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)) => StatValue::String(text.clone()),
        ScalarValue::TimestampNanosecond(Some(nanos), _) => StatValue::Int(*nanos),
        ScalarValue::DurationNanosecond(Some(nanos)) => StatValue::Int(*nanos),
        _ => return None,
    })
}
