//! A DataFusion aggregate with a Kusto finishing step: the inner aggregate (DataFusion's own `sum`,
//! `avg`, ...) does the accumulating, partial states and merging unchanged (including its fast
//! `GroupsAccumulator`), and only the final value is cast to the KQL result type and, where Kusto
//! defines one, has its empty-group default (`sum` of nothing is 0, not null) filled in.
//!
//! It exists because the planner hands our aggregates to `LogicalPlanBuilder::aggregate`, which
//! accepts aggregate calls only: `coalesce(sum(x), 0)` cannot be expressed there.
//!
//! Does not own: which inner aggregate or finishing a KQL function needs (see `aggregate::mod`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::is_null;
use arrow::compute::kernels::cast::cast;
use arrow::compute::kernels::zip::zip;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

/// How the inner aggregate's final value becomes the KQL value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Finish {
    /// Casts applied in order (e.g. `Float64 → Int64 → Duration` for the average of a timespan,
    /// because Arrow has no direct float-to-duration cast).
    pub casts: Vec<DataType>,
    /// The value of a group with no (non-null) input, when Kusto defines one other than null.
    pub empty_value: Option<ScalarValue>,
}

impl Finish {
    fn result_type(&self, inner_type: &DataType) -> DataType {
        self.casts
            .last()
            .cloned()
            .unwrap_or_else(|| inner_type.clone())
    }

    fn apply_scalar(&self, value: ScalarValue) -> DfResult<ScalarValue> {
        let array = value.to_array_of_size(1)?;
        let finished = self.apply_array(array)?;
        ScalarValue::try_from_array(&finished, 0)
    }

    fn apply_array(&self, array: ArrayRef) -> DfResult<ArrayRef> {
        let mut current = array;
        for target in &self.casts {
            current = cast(&current, target)?;
        }
        let Some(empty_value) = &self.empty_value else {
            return Ok(current);
        };
        if current.null_count() == 0 {
            return Ok(current);
        }
        let nulls: BooleanArray = is_null(&current)?;
        let defaults = empty_value.to_scalar()?;
        Ok(zip(&nulls, &defaults, &current)?)
    }
}

/// `inner` evaluated, then finished by `finish`, under the KQL function's `name`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct FinishedAggregate {
    name: String,
    inner: Arc<AggregateUDF>,
    finish: Finish,
    signature: Signature,
}

impl FinishedAggregate {
    pub(crate) fn udaf(name: &str, inner: Arc<AggregateUDF>, finish: Finish) -> AggregateUDF {
        let arg_count = 1;
        AggregateUDF::new_from_impl(FinishedAggregate {
            name: name.to_string(),
            inner,
            finish,
            // Arguments arrive already cast to the exact type the inner aggregate accumulates.
            signature: Signature::any(arg_count, Volatility::Immutable),
        })
    }

    fn inner_return_field(&self, input_fields: &[FieldRef]) -> DfResult<FieldRef> {
        self.inner.return_field(input_fields)
    }
}

impl AggregateUDFImpl for FinishedAggregate {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        let inner_type = self.inner.return_type(arg_types)?;
        Ok(self.finish.result_type(&inner_type))
    }

    fn is_nullable(&self) -> bool {
        self.finish.empty_value.is_none()
    }

    fn accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        let inner_field = self.inner_return_field(args.expr_fields)?;
        let inner_args = AccumulatorArgs {
            return_field: inner_field,
            ..args
        };
        let inner = self.inner.accumulator(inner_args)?;
        Ok(Box::new(FinishedAccumulator {
            inner,
            finish: self.finish.clone(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        let inner_field = self.inner_return_field(args.input_fields)?;
        let inner_args = StateFieldsArgs {
            return_field: inner_field,
            ..args
        };
        self.inner.state_fields(inner_args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        let Ok(inner_field) = self.inner_return_field(args.expr_fields) else {
            return false;
        };
        self.inner.groups_accumulator_supported(AccumulatorArgs {
            return_field: inner_field,
            ..args
        })
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> DfResult<Box<dyn GroupsAccumulator>> {
        let inner_field = self.inner_return_field(args.expr_fields)?;
        let inner_args = AccumulatorArgs {
            return_field: inner_field,
            ..args
        };
        let inner = self.inner.create_groups_accumulator(inner_args)?;
        Ok(Box::new(FinishedGroupsAccumulator {
            inner,
            finish: self.finish.clone(),
        }))
    }

    fn default_value(&self, data_type: &DataType) -> DfResult<ScalarValue> {
        match &self.finish.empty_value {
            Some(value) => Ok(value.clone()),
            None => ScalarValue::try_from(data_type),
        }
    }
}

#[derive(Debug)]
struct FinishedAccumulator {
    inner: Box<dyn Accumulator>,
    finish: Finish,
}

impl Accumulator for FinishedAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        self.inner.update_batch(values)
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let value = self.inner.evaluate()?;
        self.finish.apply_scalar(value)
    }

    fn size(&self) -> usize {
        self.inner.size() + std::mem::size_of::<Finish>()
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        self.inner.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        self.inner.merge_batch(states)
    }
}

struct FinishedGroupsAccumulator {
    inner: Box<dyn GroupsAccumulator>,
    finish: Finish,
}

impl GroupsAccumulator for FinishedGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> DfResult<()> {
        self.inner
            .update_batch(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> DfResult<ArrayRef> {
        let values = self.inner.evaluate(emit_to)?;
        self.finish.apply_array(values)
    }

    fn state(&mut self, emit_to: EmitTo) -> DfResult<Vec<ArrayRef>> {
        self.inner.state(emit_to)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> DfResult<()> {
        self.inner
            .merge_batch(values, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> DfResult<Vec<ArrayRef>> {
        self.inner.convert_to_state(values, opt_filter)
    }

    fn size(&self) -> usize {
        self.inner.size() + std::mem::size_of::<Finish>()
    }
}

/// A nullable field for a state or result column; kept here so every UDAF names its fields alike.
pub(crate) fn nullable_field(name: String, data_type: DataType) -> FieldRef {
    Arc::new(Field::new(name, data_type, true))
}
