//! `make_list`, `make_list_with_nulls` and `make_set` (and their `_if` forms, planned as a FILTER):
//! the values of a group as a `dynamic` array (LargeUtf8 JSON text), at most `elements_max` long.
//!
//! State between partial and final aggregation is a `List<LargeUtf8>` of element JSON texts, so
//! merging never re-parses values. `make_set` de-duplicates on that JSON text.
//!
//! Does not own: how one value is written as JSON (`json`), argument checking (`aggregate::mod`).

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, LargeStringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

use super::json::element_json;

/// Kusto's default and largest `maxSize` for make_list / make_set / make_bag.
pub const COLLECT_ELEMENTS_MAX: usize = 1_048_576;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CollectKind {
    /// `make_list`: every non-null value.
    List,
    /// `make_list_with_nulls`: every value, nulls as JSON `null`.
    ListWithNulls,
    /// `make_set`: distinct non-null values; elements of array values are added one by one.
    Set,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct CollectUdaf {
    name: String,
    kind: CollectKind,
    elements_max: usize,
    signature: Signature,
}

impl CollectUdaf {
    pub(crate) fn udaf(name: &str, kind: CollectKind, elements_max: usize) -> AggregateUDF {
        AggregateUDF::new_from_impl(CollectUdaf {
            name: name.to_string(),
            kind,
            elements_max,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

impl AggregateUDFImpl for CollectUdaf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::LargeUtf8)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(CollectAccumulator::new(
            self.kind,
            self.elements_max,
        )))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        let element = Field::new_list_field(DataType::LargeUtf8, true);
        Ok(vec![Arc::new(Field::new_list(
            format_state_name(args.name, "elements"),
            element,
            true,
        ))])
    }

    fn default_value(&self, _data_type: &DataType) -> DfResult<ScalarValue> {
        Ok(ScalarValue::LargeUtf8(Some("[]".to_string())))
    }
}

#[derive(Debug)]
pub(crate) struct CollectAccumulator {
    kind: CollectKind,
    elements_max: usize,
    elements: Vec<String>,
    seen: HashSet<String>,
    element_bytes: usize,
}

impl CollectAccumulator {
    pub(crate) fn new(kind: CollectKind, elements_max: usize) -> CollectAccumulator {
        CollectAccumulator {
            kind,
            elements_max,
            elements: Vec::new(),
            seen: HashSet::new(),
            element_bytes: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.elements.len() >= self.elements_max
    }

    /// Adds one element's JSON text, honouring the size cap and set semantics.
    fn push(&mut self, element: String) {
        if self.is_full() {
            return;
        }
        if self.kind == CollectKind::Set {
            if self.seen.contains(&element) {
                return;
            }
            self.element_bytes += element.len();
            self.seen.insert(element.clone());
        }
        self.element_bytes += element.len();
        self.elements.push(element);
    }

    /// Adds one input value; `make_set` spreads a dynamic array into its elements, as in the
    /// reference's "set from array column" example.
    fn push_value(&mut self, element: Option<String>, from_dynamic: bool) {
        let Some(element) = element else {
            if self.kind == CollectKind::ListWithNulls {
                self.push("null".to_string());
            }
            return;
        };
        if self.kind == CollectKind::Set
            && from_dynamic
            && element.starts_with('[')
            && let Ok(serde_json::Value::Array(items)) = serde_json::from_str(&element)
        {
            for item in items {
                self.push(item.to_string());
            }
            return;
        }
        self.push(element);
    }
}

impl Accumulator for CollectAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let Some(input) = values.first() else {
            return Err(DataFusionError::Internal(
                "make_list called without its argument".into(),
            ));
        };
        let from_dynamic = matches!(input.data_type(), DataType::LargeUtf8);
        for row in 0..input.len() {
            if self.is_full() {
                break;
            }
            let element = element_json(input.as_ref(), row)?;
            self.push_value(element, from_dynamic);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        Ok(ScalarValue::LargeUtf8(Some(format!(
            "[{}]",
            self.elements.join(",")
        ))))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.elements.capacity() * std::mem::size_of::<String>()
            + self.seen.capacity() * std::mem::size_of::<String>()
            + self.element_bytes
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let elements: Vec<ScalarValue> = self
            .elements
            .iter()
            .map(|element| ScalarValue::LargeUtf8(Some(element.clone())))
            .collect();
        let list = ScalarValue::new_list_nullable(&elements, &DataType::LargeUtf8);
        Ok(vec![ScalarValue::List(list)])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let Some(state) = states.first() else {
            return Err(DataFusionError::Internal(
                "make_list merged without its state".into(),
            ));
        };
        let lists = state.as_list_opt::<i32>().ok_or_else(|| {
            DataFusionError::Internal(format!(
                "make_list state is {}, not a list",
                state.data_type()
            ))
        })?;
        for list in lists.iter().flatten() {
            let elements: &LargeStringArray = list.as_string_opt::<i64>().ok_or_else(|| {
                DataFusionError::Internal("make_list state elements are not LargeUtf8".into())
            })?;
            for element in elements.iter().flatten() {
                if self.is_full() {
                    return Ok(());
                }
                self.push(element.to_string());
            }
        }
        Ok(())
    }
}
