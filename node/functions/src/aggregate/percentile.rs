//! `percentile(x, p)` (and each p of `percentiles`): the nearest-rank percentile, computed exactly
//! over the group's values. Kusto estimates with T-Digest and documents the result as "an
//! estimate for the specified nearest-rank percentile"; the exact nearest rank is what that
//! estimate approximates, and equals it for small groups.
//!
//! Nearest rank: with the n non-null values sorted ascending, the p-th percentile is the value at
//! 1-based rank ceil(p / 100 × n), and the smallest value for p = 0.
//!
//! The values are collected (as long or real; the planner casts ints, datetimes and timespans to
//! long and back), bounded by [`PERCENTILE_VALUES_MAX`] per group: past it the query fails rather
//! than exhausting memory. State between partial and final aggregation is the list of values.
//!
//! Does not own: argument checking and the casts around the UDAF (`aggregate::mod`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility,
};

/// Values one group may hold for a percentile before the query fails (8 bytes each: 32 MiB).
pub const PERCENTILE_VALUES_MAX: usize = 4 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct PercentileUdaf {
    name: String,
    /// The percentile in [0, 100], as bits so the UDAF can be `Eq + Hash`.
    percentile_bits: u64,
    values_max: usize,
    signature: Signature,
}

impl PercentileUdaf {
    pub(crate) fn udaf(name: &str, percentile: f64, values_max: usize) -> AggregateUDF {
        let one_of = vec![
            TypeSignature::Exact(vec![DataType::Int64]),
            TypeSignature::Exact(vec![DataType::Float64]),
        ];
        AggregateUDF::new_from_impl(PercentileUdaf {
            name: name.to_string(),
            percentile_bits: percentile.to_bits(),
            values_max,
            signature: Signature::one_of(one_of, Volatility::Immutable),
        })
    }
}

impl AggregateUDFImpl for PercentileUdaf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        match arg_types.first() {
            Some(DataType::Float64) => Ok(DataType::Float64),
            Some(DataType::Int64) => Ok(DataType::Int64),
            other => Err(DataFusionError::Plan(format!(
                "percentile accumulates long or real values, got {other:?}"
            ))),
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        let values = match args.return_type() {
            DataType::Float64 => Values::Real(Vec::new()),
            _ => Values::Long(Vec::new()),
        };
        Ok(Box::new(PercentileAccumulator {
            name: self.name.clone(),
            percentile: f64::from_bits(self.percentile_bits),
            values_max: self.values_max,
            values,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        let element = Field::new_list_field(args.return_type().clone(), true);
        Ok(vec![Arc::new(Field::new_list(
            format_state_name(args.name, "values"),
            element,
            true,
        ))])
    }
}

#[derive(Debug)]
enum Values {
    Long(Vec<i64>),
    Real(Vec<f64>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Long(values) => values.len(),
            Values::Real(values) => values.len(),
        }
    }
}

#[derive(Debug)]
struct PercentileAccumulator {
    name: String,
    percentile: f64,
    values_max: usize,
    values: Values,
}

impl PercentileAccumulator {
    fn check_limit(&self, adding: usize) -> DfResult<()> {
        if self.values.len().saturating_add(adding) > self.values_max {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "{}: a group holds more than {} values (percentile_values_max)",
                self.name, self.values_max
            )));
        }
        Ok(())
    }

    /// Appends the non-null values of a long or real column; real NaNs are skipped like nulls,
    /// since they have no rank.
    fn extend(&mut self, column: &dyn Array) -> DfResult<()> {
        self.check_limit(column.len() - column.null_count())?;
        match &mut self.values {
            Values::Long(values) => {
                let column = column.as_primitive_opt::<Int64Type>().ok_or_else(|| {
                    DataFusionError::Internal(format!("percentile input is {}", column.data_type()))
                })?;
                values.extend(column.iter().flatten());
            }
            Values::Real(values) => {
                let column = column.as_primitive_opt::<Float64Type>().ok_or_else(|| {
                    DataFusionError::Internal(format!("percentile input is {}", column.data_type()))
                })?;
                values.extend(column.iter().flatten().filter(|value| !value.is_nan()));
            }
        }
        Ok(())
    }

    /// 0-based index of the nearest-rank percentile among `count` sorted values (`count` > 0).
    fn nearest_rank_index(&self, count: usize) -> usize {
        let rank = (self.percentile / 100.0 * count as f64).ceil();
        // `as` saturates; the clamp keeps p = 0 on the first value and rounding inside the slice.
        let rank = (rank as usize).clamp(1, count);
        rank - 1
    }
}

impl Accumulator for PercentileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let Some(input) = values.first() else {
            return Err(DataFusionError::Internal(
                "percentile called without its argument".into(),
            ));
        };
        self.extend(input.as_ref())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let count = self.values.len();
        let index = self.nearest_rank_index(count.max(1));
        Ok(match &mut self.values {
            Values::Long(values) => {
                values.sort_unstable();
                ScalarValue::Int64(values.get(index).copied())
            }
            Values::Real(values) => {
                values.sort_unstable_by(f64::total_cmp);
                ScalarValue::Float64(values.get(index).copied())
            }
        })
    }

    fn size(&self) -> usize {
        let values_bytes = match &self.values {
            Values::Long(values) => values.capacity() * std::mem::size_of::<i64>(),
            Values::Real(values) => values.capacity() * std::mem::size_of::<f64>(),
        };
        std::mem::size_of_val(self) + self.name.capacity() + values_bytes
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let values: ArrayRef = match &self.values {
            Values::Long(values) => Arc::new(Int64Array::from(values.clone())),
            Values::Real(values) => Arc::new(Float64Array::from(values.clone())),
        };
        let list = SingleRowListArrayBuilder::new(values).build_list_array();
        Ok(vec![ScalarValue::List(Arc::new(list))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let Some(state) = states.first() else {
            return Err(DataFusionError::Internal(
                "percentile merged without its state".into(),
            ));
        };
        let lists = state.as_list_opt::<i32>().ok_or_else(|| {
            DataFusionError::Internal(format!(
                "percentile state is {}, not a list",
                state.data_type()
            ))
        })?;
        for list in lists.iter().flatten() {
            self.extend(list.as_ref())?;
        }
        Ok(())
    }
}
