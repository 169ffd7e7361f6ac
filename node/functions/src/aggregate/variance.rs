//! `variance`, `variancep`, `stdev`, `stdevp` (and their `if` forms, planned as a FILTER) as one
//! UDAF: Welford's running mean and squared-deviation sum, merged across partitions with Chan's
//! parallel formula, so partial/final results agree with a single pass.
//!
//! Kusto's edge cases, which DataFusion's `var_samp`/`stddev` do not share: the sample forms
//! return 0 (not null) for a group of one value or of none (the summarize reference's table of
//! aggregation defaults lists variance() and stdev() as 0); the population forms return null for
//! an empty group and 0 for one value.
//!
//! Does not own: argument checking and the cast of the input to real (`aggregate::mod`).

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, FieldRef, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

use super::finish::nullable_field;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Dispersion {
    /// Bessel's correction (divide by n - 1): `variance` / `stdev`.
    pub sample: bool,
    /// The square root of the variance: `stdev` / `stdevp`.
    pub deviation: bool,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct VarianceUdaf {
    name: String,
    dispersion: Dispersion,
    signature: Signature,
}

impl VarianceUdaf {
    pub(crate) fn udaf(name: &str, dispersion: Dispersion) -> AggregateUDF {
        AggregateUDF::new_from_impl(VarianceUdaf {
            name: name.to_string(),
            dispersion,
            signature: Signature::exact(vec![DataType::Float64], Volatility::Immutable),
        })
    }
}

impl AggregateUDFImpl for VarianceUdaf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(VarianceAccumulator {
            dispersion: self.dispersion,
            moments: Moments::default(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        Ok(vec![
            nullable_field(format_state_name(args.name, "count"), DataType::Int64),
            nullable_field(format_state_name(args.name, "mean"), DataType::Float64),
            nullable_field(format_state_name(args.name, "m2"), DataType::Float64),
        ])
    }

    fn default_value(&self, _data_type: &DataType) -> DfResult<ScalarValue> {
        Ok(Moments::default().finish(self.dispersion))
    }
}

/// Count, mean and sum of squared deviations from the mean of the values seen so far.
#[derive(Debug, Default, Clone, Copy)]
struct Moments {
    count: i64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn add(&mut self, value: f64) {
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
    }

    fn merge(&mut self, other: Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other;
            return;
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        let self_weight = self.count as f64;
        let other_weight = other.count as f64;
        self.mean += delta * other_weight / count as f64;
        self.m2 += other.m2 + delta * delta * self_weight * other_weight / count as f64;
        self.count = count;
    }

    fn finish(self, dispersion: Dispersion) -> ScalarValue {
        let variance = match (self.count, dispersion.sample) {
            (0, true) => 0.0,
            (0, false) => return ScalarValue::Float64(None),
            (1, _) => 0.0,
            (count, true) => self.m2 / (count - 1) as f64,
            (count, false) => self.m2 / count as f64,
        };
        let value = if dispersion.deviation {
            variance.sqrt()
        } else {
            variance
        };
        ScalarValue::Float64(Some(value))
    }
}

#[derive(Debug)]
struct VarianceAccumulator {
    dispersion: Dispersion,
    moments: Moments,
}

fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("variance accumulator: {what}"))
}

impl Accumulator for VarianceAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let input = values
            .first()
            .ok_or_else(|| internal("called without its argument"))?;
        let input = input
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| internal("input is not real"))?;
        for value in input.iter().flatten() {
            self.moments.add(value);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        Ok(self.moments.finish(self.dispersion))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Int64(Some(self.moments.count)),
            ScalarValue::Float64(Some(self.moments.mean)),
            ScalarValue::Float64(Some(self.moments.m2)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let [counts, means, m2s] = states else {
            return Err(internal(
                "merged with a state that is not (count, mean, m2)",
            ));
        };
        let counts = counts
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| internal("count is not long"))?;
        let means = means
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| internal("mean is not real"))?;
        let m2s = m2s
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| internal("m2 is not real"))?;
        for row in 0..counts.len() {
            if counts.is_null(row) || means.is_null(row) || m2s.is_null(row) {
                continue;
            }
            self.moments.merge(Moments {
                count: counts.value(row),
                mean: means.value(row),
                m2: m2s.value(row),
            });
        }
        Ok(())
    }
}
