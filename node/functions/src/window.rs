//! KQL's window functions over serialized rows: `prev`, `next`, `row_number`, `row_cumsum`,
//! `row_rank_dense`, `row_rank_min`, `row_window_session`.
//!
//! Owns: each function as a DataFusion window function (one [`KqlWindow`] evaluated over the
//! whole partition in row order, with Kusto's `restart` argument), and their argument checks.
//!
//! Does not own: where the window is placed in the plan (the planner adds a `Window` node over the
//! serialized input and refers to its column), or ordering (the rows come as the input orders them).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, UInt64Array, new_null_array};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, take};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{Expr, PartitionEvaluator, Signature, Volatility, WindowUDF, WindowUDFImpl, lit};
use tarn_common::KustoType;

use crate::scalar::udf::DfResult;
use crate::{FunctionError, Result, TypedExpr};

const WINDOW_FUNCTIONS: [&str; 7] = ["prev", "next", "row_number", "row_cumsum", "row_rank_dense", "row_rank_min", "row_window_session"];

pub fn is_window_function(name: &str) -> bool {
    WINDOW_FUNCTIONS.contains(&name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Prev,
    Next,
    RowNumber,
    RowCumsum,
    RankDense,
    RankMin,
    Session,
}

/// One KQL window function; the return type is fixed at plan time.
#[derive(Debug, PartialEq, Eq, Hash)]
struct KqlWindow {
    kind: Kind,
    name: String,
    return_type: DataType,
    signature: Signature,
}

impl WindowUDFImpl for KqlWindow {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(&self, _args: PartitionEvaluatorArgs) -> DfResult<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(Evaluator { kind: self.kind, return_type: self.return_type.clone() }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> DfResult<FieldRef> {
        Ok(Arc::new(Field::new(field_args.name(), self.return_type.clone(), true)))
    }
}

#[derive(Debug)]
struct Evaluator {
    kind: Kind,
    return_type: DataType,
}

impl PartitionEvaluator for Evaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> DfResult<ArrayRef> {
        match self.kind {
            Kind::Prev | Kind::Next => shifted(values, num_rows, self.kind == Kind::Prev, &self.return_type),
            Kind::RowNumber => row_number(values, num_rows),
            Kind::RowCumsum => row_cumsum(values, num_rows, &self.return_type),
            Kind::RankDense | Kind::RankMin => rank(values, num_rows, self.kind == Kind::RankMin),
            Kind::Session => session_starts(values, num_rows, &self.return_type),
        }
    }
}

fn argument(values: &[ArrayRef], index: usize) -> DfResult<&ArrayRef> {
    values.get(index).ok_or_else(|| DataFusionError::Internal(format!("window function argument {index} missing")))
}

/// The first row's value of a constant integer argument.
fn constant_long(values: &[ArrayRef], index: usize, default: i64) -> DfResult<i64> {
    let Some(array) = values.get(index) else { return Ok(default) };
    if array.is_empty() || array.is_null(0) {
        return Ok(default);
    }
    let longs = cast(array, &DataType::Int64)?;
    Ok(longs.as_any().downcast_ref::<Int64Array>().map_or(default, |longs| longs.value(0)))
}

/// Where `restart` (argument `index`, when given) is true; null counts as false.
fn restarts(values: &[ArrayRef], index: usize, num_rows: usize) -> DfResult<Vec<bool>> {
    let Some(array) = values.get(index) else { return Ok(vec![false; num_rows]) };
    let flags = cast(array, &DataType::Boolean)?;
    let flags = flags
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| DataFusionError::Internal("restart is not boolean".to_string()))?;
    Ok((0..num_rows).map(|row| flags.is_valid(row) && flags.value(row)).collect())
}

/// `prev(column, offset = 1, default = null)` / `next(...)`.
fn shifted(values: &[ArrayRef], num_rows: usize, backwards: bool, return_type: &DataType) -> DfResult<ArrayRef> {
    let column = argument(values, 0)?;
    let offset = constant_long(values, 1, 1)?.max(0) as usize;
    let indices: UInt64Array = (0..num_rows)
        .map(|row| {
            let source = if backwards { row.checked_sub(offset) } else { row.checked_add(offset).filter(|source| *source < num_rows) };
            source.map(|source| source as u64)
        })
        .collect();
    let taken = take(column.as_ref(), &indices, None)?;
    let taken = if taken.data_type() == return_type { taken } else { cast(&taken, return_type)? };
    match values.get(2) {
        Some(default) => {
            let default = if default.data_type() == return_type { Arc::clone(default) } else { cast(default, return_type)? };
            let outside: BooleanArray = (0..num_rows).map(|row| Some(indices.is_null(row))).collect();
            Ok(zip(&outside, &default, &taken)?)
        }
        None => Ok(taken),
    }
}

/// `row_number(start = 1, restart = false)`.
fn row_number(values: &[ArrayRef], num_rows: usize) -> DfResult<ArrayRef> {
    let start = constant_long(values, 0, 1)?;
    let restart = restarts(values, 1, num_rows)?;
    let mut current = start;
    let numbers: Int64Array = (0..num_rows)
        .map(|row| {
            if row > 0 {
                current = if restart[row] { start } else { current.saturating_add(1) };
            }
            Some(current)
        })
        .collect();
    Ok(Arc::new(numbers))
}

/// `row_cumsum(term, restart = false)`: a running sum; null terms add nothing.
fn row_cumsum(values: &[ArrayRef], num_rows: usize, return_type: &DataType) -> DfResult<ArrayRef> {
    let restart = restarts(values, 1, num_rows)?;
    let term = cast(argument(values, 0)?, return_type)?;
    if let Some(longs) = term.as_any().downcast_ref::<Int64Array>() {
        let mut sum = 0i64;
        let sums: Int64Array = (0..num_rows)
            .map(|row| {
                if restart[row] {
                    sum = 0;
                }
                if longs.is_valid(row) {
                    sum = sum.wrapping_add(longs.value(row));
                }
                Some(sum)
            })
            .collect();
        return Ok(Arc::new(sums));
    }
    if let Some(reals) = term.as_any().downcast_ref::<Float64Array>() {
        let mut sum = 0.0f64;
        let sums: Float64Array = (0..num_rows)
            .map(|row| {
                if restart[row] {
                    sum = 0.0;
                }
                if reals.is_valid(row) {
                    sum += reals.value(row);
                }
                Some(sum)
            })
            .collect();
        return Ok(Arc::new(sums));
    }
    Ok(new_null_array(return_type, num_rows))
}

/// `row_rank_dense(term, restart)`: 1 + the number of value changes since the (re)start;
/// `row_rank_min(term, restart)`: the 1-based position of the first row with this value.
fn rank(values: &[ArrayRef], num_rows: usize, min_rank: bool) -> DfResult<ArrayRef> {
    let term = argument(values, 0)?;
    let restart = restarts(values, 1, num_rows)?;
    let mut ranks = Vec::with_capacity(num_rows);
    let mut previous: Option<ScalarValue> = None;
    let (mut rank, mut position) = (0i64, 0i64);
    for row in 0..num_rows {
        let value = ScalarValue::try_from_array(term.as_ref(), row)?;
        if row == 0 || restart[row] {
            rank = 1;
            position = 1;
        } else {
            position += 1;
            if previous.as_ref() != Some(&value) {
                rank = if min_rank { position } else { rank + 1 };
            }
        }
        ranks.push(Some(rank));
        previous = Some(value);
    }
    Ok(Arc::new(Int64Array::from(ranks)))
}

/// `row_window_session(ts, max_from_first, max_between_neighbors[, restart])`: each row's session
/// start; a new session starts on restart, when `ts` is more than `max_from_first` after the
/// session's start, or more than `max_between_neighbors` after the previous row.
fn session_starts(values: &[ArrayRef], num_rows: usize, return_type: &DataType) -> DfResult<ArrayRef> {
    let nanos = |index: usize| -> DfResult<Int64Array> {
        let array = cast(argument(values, index)?, &DataType::Int64)?;
        array.as_any().downcast_ref::<Int64Array>().cloned().ok_or_else(|| DataFusionError::Internal("not an integer column".to_string()))
    };
    let (times, from_first, between) = (nanos(0)?, nanos(1)?, nanos(2)?);
    let restart = restarts(values, 3, num_rows)?;
    let (mut start, mut previous): (Option<i64>, Option<i64>) = (None, None);
    let starts: Int64Array = (0..num_rows)
        .map(|row| {
            if times.is_null(row) {
                return None;
            }
            let time = times.value(row);
            let new_session = match (start, previous) {
                (Some(first), Some(last)) => {
                    restart[row]
                        || time.saturating_sub(first) > from_first.value(row)
                        || time.saturating_sub(last) > between.value(row)
                }
                _ => true,
            };
            if new_session {
                start = Some(time);
            }
            previous = Some(time);
            start
        })
        .collect();
    let starts: ArrayRef = Arc::new(starts);
    Ok(cast(&starts, return_type)?)
}

/// Plans a window function call (its arguments already planned against the serialized input) as
/// the expression to put in a `Window` node.
pub fn plan_window(name: &str, args: Vec<TypedExpr>) -> Result<(Expr, DataType)> {
    let wrong_count = |expected: &str| FunctionError::WrongArgumentCount { name: name.to_string(), expected: expected.to_string(), actual: args.len() };
    let kusto = |typed: &TypedExpr| KustoType::from_arrow(&typed.data_type);
    let invalid = |reason: &str| FunctionError::InvalidArgument { name: name.to_string(), reason: reason.to_string() };
    let (kind, return_type, exprs) = match name {
        "prev" | "next" => {
            if !(1..=3).contains(&args.len()) {
                return Err(wrong_count("between 1 and 3"));
            }
            if let Some(offset) = args.get(1)
                && !matches!(kusto(offset), Some(KustoType::Int | KustoType::Long))
            {
                return Err(invalid("the offset must be an integer constant"));
            }
            let return_type = args[0].data_type.clone();
            let kind = if name == "prev" { Kind::Prev } else { Kind::Next };
            let mut exprs: Vec<Expr> = args.iter().map(|arg| arg.expr.clone()).collect();
            if exprs.len() == 1 {
                exprs.push(lit(1i64));
            }
            (kind, return_type, exprs)
        }
        "row_number" => {
            if args.len() > 2 {
                return Err(wrong_count("between 0 and 2"));
            }
            if let Some(start) = args.first()
                && !matches!(kusto(start), Some(KustoType::Int | KustoType::Long))
            {
                return Err(invalid("the start must be an integer"));
            }
            let mut exprs: Vec<Expr> = args.iter().map(|arg| arg.expr.clone()).collect();
            if exprs.is_empty() {
                // A window function needs an argument to learn the partition's length.
                exprs.push(lit(1i64));
            }
            (Kind::RowNumber, DataType::Int64, exprs)
        }
        "row_cumsum" => {
            if !(1..=2).contains(&args.len()) {
                return Err(wrong_count("between 1 and 2"));
            }
            let return_type = match kusto(&args[0]) {
                Some(KustoType::Int | KustoType::Long) => DataType::Int64,
                Some(KustoType::Real | KustoType::Decimal) => DataType::Float64,
                _ => return Err(invalid("the term must be a number")),
            };
            (Kind::RowCumsum, return_type, args.iter().map(|arg| arg.expr.clone()).collect())
        }
        "row_window_session" => {
            if !(3..=4).contains(&args.len()) {
                return Err(wrong_count("between 3 and 4"));
            }
            if kusto(&args[0]) != Some(KustoType::DateTime)
                || kusto(&args[1]) != Some(KustoType::TimeSpan)
                || kusto(&args[2]) != Some(KustoType::TimeSpan)
            {
                return Err(invalid("expects a datetime and two timespans"));
            }
            (Kind::Session, args[0].data_type.clone(), args.iter().map(|arg| arg.expr.clone()).collect())
        }
        _ => {
            if !(1..=2).contains(&args.len()) {
                return Err(wrong_count("between 1 and 2"));
            }
            let kind = if name == "row_rank_min" { Kind::RankMin } else { Kind::RankDense };
            (kind, DataType::Int64, args.iter().map(|arg| arg.expr.clone()).collect())
        }
    };
    let udwf = WindowUDF::new_from_impl(KqlWindow {
        kind,
        name: name.to_string(),
        return_type: return_type.clone(),
        signature: Signature::variadic_any(Volatility::Immutable),
    });
    Ok((udwf.call(exprs), return_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longs(values: &[Option<i64>]) -> ArrayRef {
        Arc::new(Int64Array::from(values.to_vec()))
    }

    fn flags(values: &[bool]) -> ArrayRef {
        Arc::new(BooleanArray::from(values.to_vec()))
    }

    fn as_longs(array: &ArrayRef) -> Vec<Option<i64>> {
        let longs = array.as_any().downcast_ref::<Int64Array>().expect("int64 result");
        (0..longs.len()).map(|row| longs.is_valid(row).then(|| longs.value(row))).collect()
    }

    /// Proves prev/next shift by the offset and use the default outside the rows.
    #[test]
    fn prev_and_next() {
        let column = longs(&[Some(1), Some(2), Some(3)]);
        let offset = longs(&[Some(1), Some(1), Some(1)]);
        let prev = shifted(&[Arc::clone(&column), Arc::clone(&offset)], 3, true, &DataType::Int64).expect("prev");
        assert_eq!(as_longs(&prev), vec![None, Some(1), Some(2)]);
        let default = longs(&[Some(0), Some(0), Some(0)]);
        let next = shifted(&[column, offset, default], 3, false, &DataType::Int64).expect("next");
        assert_eq!(as_longs(&next), vec![Some(2), Some(3), Some(0)]);
    }

    /// Proves row_number and row_cumsum restart where the restart flag is true.
    #[test]
    fn numbering_and_sums_restart() {
        let restart = flags(&[false, false, true, false]);
        let numbers = row_number(&[longs(&[Some(1); 4]), Arc::clone(&restart)], 4).expect("row_number");
        assert_eq!(as_longs(&numbers), vec![Some(1), Some(2), Some(1), Some(2)]);
        let sums = row_cumsum(&[longs(&[Some(1), None, Some(3), Some(4)]), restart], 4, &DataType::Int64).expect("row_cumsum");
        assert_eq!(as_longs(&sums), vec![Some(1), Some(1), Some(3), Some(7)]);
    }

    /// Proves dense and min ranks over ties, as the row_rank_* reference examples rank them.
    #[test]
    fn ranks() {
        let values = longs(&[Some(5), Some(10), Some(10), Some(20)]);
        let no_restart = flags(&[false; 4]);
        let dense = rank(&[Arc::clone(&values), Arc::clone(&no_restart)], 4, false).expect("dense");
        assert_eq!(as_longs(&dense), vec![Some(1), Some(2), Some(2), Some(3)]);
        let min = rank(&[values, no_restart], 4, true).expect("min");
        assert_eq!(as_longs(&min), vec![Some(1), Some(2), Some(2), Some(4)]);
    }
}
