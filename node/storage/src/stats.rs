//! Per-column statistics of an extent (computed once, when it is written) and pruning on them:
//! [`may_contain`] answers "could any row satisfy `column op literal`?" from metadata alone.
//!
//! Does not own: deciding which predicates of a query are prunable (the query layer) or where
//! the statistics are kept (the catalog's `ExtentMeta`, and the extent header).

use std::cmp::Ordering;

use arrow::array::{Array, AsArray};
use arrow::compute::{max, max_boolean, max_string, min, min_boolean, min_string};
use arrow::datatypes::{DurationNanosecondType, Int32Type, Int64Type, TimestampNanosecondType};
use tarn_common::extent::STRING_STAT_BYTES_MAX;
use tarn_common::{ColumnStats, ExtentMeta, KustoType, StatValue};

/// Computes min/max (where the type has an order worth pruning on) and the null count of one
/// column. `None` when `array` is not the Arrow type of `kusto_type`.
///
/// Real NaNs are left out of min/max: no comparison with NaN is true, so a NaN row can never
/// be the reason a range predicate matches. A string bound longer than `STRING_STAT_BYTES_MAX`
/// is dropped (that side becomes unbounded) rather than truncated, which keeps it a true bound.
pub fn column_stats(kusto_type: KustoType, array: &dyn Array) -> Option<ColumnStats> {
    let (min_value, max_value) = match kusto_type {
        KustoType::Bool => {
            let values = array.as_boolean_opt()?;
            (min_boolean(values).map(StatValue::Bool), max_boolean(values).map(StatValue::Bool))
        }
        KustoType::Int => {
            let values = array.as_primitive_opt::<Int32Type>()?;
            (min(values).map(|v| StatValue::Int(v.into())), max(values).map(|v| StatValue::Int(v.into())))
        }
        KustoType::Long => {
            let values = array.as_primitive_opt::<Int64Type>()?;
            (min(values).map(StatValue::Int), max(values).map(StatValue::Int))
        }
        KustoType::DateTime => {
            let values = array.as_primitive_opt::<TimestampNanosecondType>()?;
            (min(values).map(StatValue::Int), max(values).map(StatValue::Int))
        }
        KustoType::TimeSpan => {
            let values = array.as_primitive_opt::<DurationNanosecondType>()?;
            (min(values).map(StatValue::Int), max(values).map(StatValue::Int))
        }
        KustoType::Real => {
            let values = array.as_primitive_opt::<arrow::datatypes::Float64Type>()?;
            let mut bounds: Option<(f64, f64)> = None;
            for value in values.iter().flatten().filter(|value| !value.is_nan()) {
                bounds = Some(match bounds {
                    None => (value, value),
                    Some((low, high)) => (low.min(value), high.max(value)),
                });
            }
            // An infinite bound is kept as no bound: the catalog stores statistics as JSON, which
            // has no infinity, and a missing bound never prunes.
            let finite = |bound: f64| bound.is_finite().then_some(StatValue::Real(bound));
            match bounds {
                Some((low, high)) => (finite(low), finite(high)),
                None => (None, None),
            }
        }
        KustoType::String => {
            let values = array.as_string_opt::<i32>()?;
            let short_enough = |text: &&str| text.len() <= STRING_STAT_BYTES_MAX;
            (
                min_string(values).filter(short_enough).map(|text| StatValue::String(text.to_string())),
                max_string(values).filter(short_enough).map(|text| StatValue::String(text.to_string())),
            )
        }
        KustoType::Decimal => {
            array.as_primitive_opt::<arrow::datatypes::Decimal128Type>()?;
            (None, None)
        }
        KustoType::Guid => {
            array.as_fixed_size_binary_opt()?;
            (None, None)
        }
        KustoType::Dynamic => {
            array.as_string_opt::<i64>()?;
            (None, None)
        }
    };
    Some(ColumnStats { min: min_value, max: max_value, null_count: array.null_count() as u64 })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Could any row of the extent satisfy `column op value`? `false` only when the statistics
/// prove no row can; a missing column, missing bound or incomparable literal answers `true`.
///
/// A column the extent lacks answers `true` because it reads as null, and a null string reads
/// as "" in Kusto, so whether it matches is the query layer's call, not this function's.
pub fn may_contain(meta: &ExtentMeta, column: &str, op: CompareOp, value: &StatValue) -> bool {
    if meta.row_count == 0 {
        return false;
    }
    let Some(stats) = meta.column_index(column).and_then(|index| meta.stats.get(index)) else {
        return true;
    };
    let min_vs_value = stats.min.as_ref().and_then(|min_value| compare_stat(min_value, value));
    let max_vs_value = stats.max.as_ref().and_then(|max_value| compare_stat(max_value, value));
    match op {
        CompareOp::Eq => min_vs_value != Some(Ordering::Greater) && max_vs_value != Some(Ordering::Less),
        CompareOp::Lt => !matches!(min_vs_value, Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::Le => min_vs_value != Some(Ordering::Greater),
        CompareOp::Gt => !matches!(max_vs_value, Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Ge => max_vs_value != Some(Ordering::Less),
    }
}

/// Orders a statistic against a literal; `None` when they do not compare (different kinds,
/// NaN). int/long against real compares exactly, not through a lossy `as f64`.
fn compare_stat(stat: &StatValue, literal: &StatValue) -> Option<Ordering> {
    match (stat, literal) {
        (StatValue::Bool(left), StatValue::Bool(right)) => Some(left.cmp(right)),
        (StatValue::Int(left), StatValue::Int(right)) => Some(left.cmp(right)),
        (StatValue::Real(left), StatValue::Real(right)) => left.partial_cmp(right),
        (StatValue::Int(left), StatValue::Real(right)) => compare_int_real(*left, *right),
        (StatValue::Real(left), StatValue::Int(right)) => compare_int_real(*right, *left).map(Ordering::reverse),
        (StatValue::String(left), StatValue::String(right)) => Some(left.as_str().cmp(right.as_str())),
        _ => None,
    }
}

fn compare_int_real(int: i64, real: f64) -> Option<Ordering> {
    // 2^63 is exact in f64; every i64 is below it and at or above -2^63.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if real.is_nan() {
        return None;
    }
    if real >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if real < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    let whole = real.trunc();
    // In range by the checks above, so the conversion is exact.
    let whole_int = whole as i64;
    match int.cmp(&whole_int) {
        Ordering::Equal => 0.0f64.partial_cmp(&(real - whole)),
        unequal => Some(unequal),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use arrow::array::{
        ArrayRef, BooleanArray, Decimal128Array, DurationNanosecondArray, FixedSizeBinaryArray, Float64Array,
        Int32Array, LargeStringArray, StringArray, TimestampNanosecondArray,
    };
    use tarn_common::{Column, ExtentId};

    fn stats_of(kusto_type: KustoType, array: ArrayRef) -> Option<ColumnStats> {
        column_stats(kusto_type, array.as_ref())
    }

    fn bounded(low: StatValue, high: StatValue, null_count: u64) -> Option<ColumnStats> {
        Some(ColumnStats { min: Some(low), max: Some(high), null_count })
    }

    /// Proves min, max and null count for each ordered type, NaN left out of real bounds, an
    /// infinite bound kept as none (JSON cannot hold it), and
    /// no bounds (but a null count) for decimal, guid and dynamic.
    #[test]
    fn stats_per_type() -> Result<(), arrow::error::ArrowError> {
        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(true)]));
        assert_eq!(stats_of(KustoType::Bool, bools), bounded(StatValue::Bool(true), StatValue::Bool(true), 1));

        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(3), Some(-7), None, Some(i32::MAX)]));
        assert_eq!(
            stats_of(KustoType::Int, ints),
            bounded(StatValue::Int(-7), StatValue::Int(i32::MAX.into()), 1)
        );

        let reals: ArrayRef =
            Arc::new(Float64Array::from(vec![Some(f64::NAN), Some(2.5), None, Some(-1.0), Some(f64::NAN)]));
        assert_eq!(stats_of(KustoType::Real, reals), bounded(StatValue::Real(-1.0), StatValue::Real(2.5), 1));
        let only_nan: ArrayRef = Arc::new(Float64Array::from(vec![f64::NAN]));
        assert_eq!(stats_of(KustoType::Real, only_nan), Some(ColumnStats { min: None, max: None, null_count: 0 }));
        let infinite_max: ArrayRef = Arc::new(Float64Array::from(vec![f64::INFINITY, -3.0]));
        assert_eq!(
            stats_of(KustoType::Real, infinite_max),
            Some(ColumnStats { min: Some(StatValue::Real(-3.0)), max: None, null_count: 0 })
        );

        let times: ArrayRef =
            Arc::new(TimestampNanosecondArray::from(vec![Some(10), Some(5), None]).with_timezone("UTC"));
        assert_eq!(stats_of(KustoType::DateTime, times), bounded(StatValue::Int(5), StatValue::Int(10), 1));

        let spans: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![-4, 9]));
        assert_eq!(stats_of(KustoType::TimeSpan, spans), bounded(StatValue::Int(-4), StatValue::Int(9), 0));

        let decimals: ArrayRef = Arc::new(Decimal128Array::from(vec![Some(1), None]).with_precision_and_scale(38, 18)?);
        assert_eq!(stats_of(KustoType::Decimal, decimals), Some(ColumnStats { min: None, max: None, null_count: 1 }));

        let guids: ArrayRef = Arc::new(FixedSizeBinaryArray::try_from_sparse_iter_with_size(
            vec![Some([7u8; 16]), None, None].into_iter(),
            16,
        )?);
        assert_eq!(stats_of(KustoType::Guid, guids), Some(ColumnStats { min: None, max: None, null_count: 2 }));

        let dynamics: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("{}"), Some("[1]")]));
        assert_eq!(stats_of(KustoType::Dynamic, dynamics), Some(ColumnStats { min: None, max: None, null_count: 0 }));
        Ok(())
    }

    /// Proves a string bound longer than the limit is dropped (only that side), a bound exactly
    /// at the limit is kept, and the comparison is bytewise ("B" < "a").
    #[test]
    fn string_stats_skip_long_bounds() {
        let long = "z".repeat(STRING_STAT_BYTES_MAX + 1);
        let at_limit = "a".repeat(STRING_STAT_BYTES_MAX);
        let strings: ArrayRef = Arc::new(StringArray::from(vec![Some("B"), None, Some(long.as_str()), Some("a")]));
        assert_eq!(
            stats_of(KustoType::String, strings),
            Some(ColumnStats { min: Some(StatValue::String("B".into())), max: None, null_count: 1 })
        );
        let strings: ArrayRef = Arc::new(StringArray::from(vec![at_limit.as_str(), "B"]));
        assert_eq!(
            stats_of(KustoType::String, strings),
            bounded(StatValue::String("B".into()), StatValue::String(at_limit.clone()), 0)
        );
    }

    /// Proves a mismatched Arrow type is reported (None), not misread.
    #[test]
    fn wrong_arrow_type_is_refused() {
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert_eq!(stats_of(KustoType::Long, ints.clone()), None);
        assert_eq!(stats_of(KustoType::String, ints), None);
    }

    fn meta_with(stats: ColumnStats, row_count: u64) -> ExtentMeta {
        ExtentMeta {
            id: ExtentId(1),
            columns: vec![Column::new("x", KustoType::Long)],
            stats: vec![stats],
            row_count,
            size_bytes: 0,
            created_at_nanos: 0,
            tags: vec![],
        }
    }

    /// Proves each operator at, just inside and just outside the [10, 20] range.
    #[test]
    fn may_contain_edges_per_operator() {
        let meta = meta_with(
            ColumnStats { min: Some(StatValue::Int(10)), max: Some(StatValue::Int(20)), null_count: 0 },
            5,
        );
        let check = |op, literal: i64| may_contain(&meta, "x", op, &StatValue::Int(literal));
        assert!(!check(CompareOp::Eq, 9));
        assert!(check(CompareOp::Eq, 10));
        assert!(check(CompareOp::Eq, 20));
        assert!(!check(CompareOp::Eq, 21));
        assert!(!check(CompareOp::Lt, 10));
        assert!(check(CompareOp::Lt, 11));
        assert!(!check(CompareOp::Le, 9));
        assert!(check(CompareOp::Le, 10));
        assert!(!check(CompareOp::Gt, 20));
        assert!(check(CompareOp::Gt, 19));
        assert!(!check(CompareOp::Ge, 21));
        assert!(check(CompareOp::Ge, 20));
    }

    /// Proves the conservative answers: unknown column, missing bound, incomparable literal and
    /// NaN literal all say "may contain"; an empty extent contains nothing.
    #[test]
    fn may_contain_is_conservative_without_stats() {
        let meta = meta_with(ColumnStats { min: None, max: Some(StatValue::Int(20)), null_count: 0 }, 5);
        assert!(may_contain(&meta, "missing", CompareOp::Eq, &StatValue::Int(1)));
        assert!(may_contain(&meta, "x", CompareOp::Lt, &StatValue::Int(-1_000)));
        assert!(!may_contain(&meta, "x", CompareOp::Gt, &StatValue::Int(20)));
        assert!(may_contain(&meta, "x", CompareOp::Gt, &StatValue::String("zzz".into())));
        assert!(may_contain(&meta, "x", CompareOp::Gt, &StatValue::Real(f64::NAN)));
        let empty = meta_with(ColumnStats { min: None, max: None, null_count: 0 }, 0);
        assert!(!may_contain(&empty, "x", CompareOp::Eq, &StatValue::Int(1)));
    }

    /// Proves long statistics compare exactly with real literals, including fractions and values
    /// beyond 2^53 where `as f64` would round.
    #[test]
    fn may_contain_compares_int_with_real_exactly() {
        let meta = meta_with(
            ColumnStats { min: Some(StatValue::Int(10)), max: Some(StatValue::Int(20)), null_count: 0 },
            5,
        );
        assert!(!may_contain(&meta, "x", CompareOp::Gt, &StatValue::Real(20.0)));
        assert!(may_contain(&meta, "x", CompareOp::Gt, &StatValue::Real(19.5)));
        assert!(!may_contain(&meta, "x", CompareOp::Lt, &StatValue::Real(10.0)));
        assert!(may_contain(&meta, "x", CompareOp::Lt, &StatValue::Real(10.5)));
        assert!(!may_contain(&meta, "x", CompareOp::Eq, &StatValue::Real(20.5)));

        let big = (1i64 << 53) + 1;
        let meta = meta_with(
            ColumnStats { min: Some(StatValue::Int(big)), max: Some(StatValue::Int(big)), null_count: 0 },
            1,
        );
        // (2^53 + 1) as f64 rounds to 2^53; exact comparison still sees big > 2^53.
        assert!(may_contain(&meta, "x", CompareOp::Gt, &StatValue::Real((1i64 << 53) as f64)));
        assert!(!may_contain(&meta, "x", CompareOp::Eq, &StatValue::Real((1i64 << 53) as f64)));
        assert!(!may_contain(&meta, "x", CompareOp::Ge, &StatValue::Real(1e19)));

        let real_meta = ExtentMeta {
            stats: vec![ColumnStats { min: Some(StatValue::Real(-0.5)), max: Some(StatValue::Real(0.5)), null_count: 0 }],
            ..meta_with(ColumnStats { min: None, max: None, null_count: 0 }, 3)
        };
        assert!(may_contain(&real_meta, "x", CompareOp::Eq, &StatValue::Int(0)));
        assert!(!may_contain(&real_meta, "x", CompareOp::Ge, &StatValue::Int(1)));
    }
}
