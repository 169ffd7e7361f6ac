//! `make_bag` (and `make_bag_if`, planned as a FILTER): the property bags of a group merged into
//! one `dynamic` bag of at most `keys_max` keys. Values that are not bags are skipped; a key seen
//! twice keeps its first value (Kusto picks an arbitrary one).
//!
//! State between partial and final aggregation is the merged bag as JSON text.
//!
//! Does not own: argument checking (`aggregate::mod`).

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use serde_json::{Map, Value};

use super::finish::nullable_field;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct BagUdaf {
    name: String,
    keys_max: usize,
    signature: Signature,
}

impl BagUdaf {
    pub(crate) fn udaf(name: &str, keys_max: usize) -> AggregateUDF {
        AggregateUDF::new_from_impl(BagUdaf {
            name: name.to_string(),
            keys_max,
            signature: Signature::exact(vec![DataType::LargeUtf8], Volatility::Immutable),
        })
    }
}

impl AggregateUDFImpl for BagUdaf {
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
        Ok(Box::new(BagAccumulator {
            keys_max: self.keys_max,
            bag: Map::new(),
            text_bytes: 0,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        Ok(vec![nullable_field(
            format_state_name(args.name, "bag"),
            DataType::LargeUtf8,
        )])
    }

    fn default_value(&self, _data_type: &DataType) -> DfResult<ScalarValue> {
        Ok(ScalarValue::LargeUtf8(Some("{}".to_string())))
    }
}

#[derive(Debug)]
struct BagAccumulator {
    keys_max: usize,
    bag: Map<String, Value>,
    /// Bytes of JSON text merged so far: an upper bound on the bag's heap size, for `size()`.
    text_bytes: usize,
}

impl BagAccumulator {
    /// Merges every bag in a LargeUtf8 column of JSON texts.
    fn merge_texts(&mut self, texts: &ArrayRef) -> DfResult<()> {
        let texts = texts.as_string_opt::<i64>().ok_or_else(|| {
            DataFusionError::Internal(format!(
                "make_bag input is {}, not dynamic",
                texts.data_type()
            ))
        })?;
        for text in texts.iter().flatten() {
            if self.bag.len() >= self.keys_max {
                break;
            }
            let Ok(Value::Object(entries)) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            self.text_bytes += text.len();
            for (key, value) in entries {
                if self.bag.len() >= self.keys_max {
                    break;
                }
                self.bag.entry(key).or_insert(value);
            }
        }
        Ok(())
    }

    fn bag_text(&self) -> String {
        Value::Object(self.bag.clone()).to_string()
    }
}

impl Accumulator for BagAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let Some(input) = values.first() else {
            return Err(DataFusionError::Internal(
                "make_bag called without its argument".into(),
            ));
        };
        self.merge_texts(input)
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        Ok(ScalarValue::LargeUtf8(Some(self.bag_text())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.text_bytes
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::LargeUtf8(Some(self.bag_text()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let Some(state) = states.first() else {
            return Err(DataFusionError::Internal(
                "make_bag merged without its state".into(),
            ));
        };
        self.merge_texts(state)
    }
}
