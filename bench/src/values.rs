//! Query result cells as JSON values, in the form the answer checker compares across engines:
//! strings as strings, numbers as numbers (NaN and infinities as the strings "NaN", "Infinity",
//! "-Infinity", which JSON cannot hold), bool as bool, datetime as ISO 8601 UTC text with `Z`
//! and fractional seconds only when non-zero, timespan as seconds, null as null, dynamic as its
//! JSON.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Decimal128Type, DurationMicrosecondType, DurationMillisecondType,
    DurationNanosecondType, DurationSecondType, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use serde_json::Value;

use crate::iso::{Fraction, timestamp_text};

/// A float as JSON: a number, or the name of a value JSON has no number for.
pub fn float_value(value: f64) -> Value {
    if value.is_nan() {
        Value::from("NaN")
    } else if value == f64::INFINITY {
        Value::from("Infinity")
    } else if value == f64::NEG_INFINITY {
        Value::from("-Infinity")
    } else {
        Value::from(value)
    }
}

fn timestamp_value(nanos: Option<i64>) -> Value {
    match nanos {
        Some(nanos) => Value::from(timestamp_text(nanos, Fraction::Trimmed)),
        None => Value::Null,
    }
}

/// Cell `row` of `array` as JSON; types outside Kusto's ten (which Tarn never sends) become
/// their display text.
pub fn cell_value(array: &dyn Array, row: usize) -> Value {
    if row >= array.len() || array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::from(array.as_boolean().value(row)),
        DataType::Int8 => Value::from(array.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => Value::from(array.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => Value::from(array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => Value::from(array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => Value::from(array.as_primitive::<UInt8Type>().value(row)),
        DataType::UInt16 => Value::from(array.as_primitive::<UInt16Type>().value(row)),
        DataType::UInt32 => Value::from(array.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => Value::from(array.as_primitive::<UInt64Type>().value(row)),
        DataType::Float32 => float_value(f64::from(array.as_primitive::<Float32Type>().value(row))),
        DataType::Float64 => float_value(array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => Value::from(array.as_string::<i32>().value(row)),
        DataType::Utf8View => Value::from(array.as_string_view().value(row)),
        // Kusto dynamic: JSON text.
        DataType::LargeUtf8 => {
            let text = array.as_string::<i64>().value(row);
            serde_json::from_str(text).unwrap_or_else(|_| Value::from(text))
        }
        DataType::Timestamp(unit, _) => timestamp_value(match unit {
            TimeUnit::Second => array
                .as_primitive::<TimestampSecondType>()
                .value(row)
                .checked_mul(1_000_000_000),
            TimeUnit::Millisecond => array
                .as_primitive::<TimestampMillisecondType>()
                .value(row)
                .checked_mul(1_000_000),
            TimeUnit::Microsecond => array
                .as_primitive::<TimestampMicrosecondType>()
                .value(row)
                .checked_mul(1_000),
            TimeUnit::Nanosecond => {
                Some(array.as_primitive::<TimestampNanosecondType>().value(row))
            }
        }),
        DataType::Duration(unit) => {
            let seconds = match unit {
                TimeUnit::Second => array.as_primitive::<DurationSecondType>().value(row) as f64,
                TimeUnit::Millisecond => {
                    array.as_primitive::<DurationMillisecondType>().value(row) as f64 / 1e3
                }
                TimeUnit::Microsecond => {
                    array.as_primitive::<DurationMicrosecondType>().value(row) as f64 / 1e6
                }
                TimeUnit::Nanosecond => {
                    array.as_primitive::<DurationNanosecondType>().value(row) as f64 / 1e9
                }
            };
            float_value(seconds)
        }
        // Kusto decimal: a number (the checker compares numbers with a tolerance).
        DataType::Decimal128(_, scale) => {
            let raw = array.as_primitive::<Decimal128Type>().value(row);
            float_value(raw as f64 / 10f64.powi(i32::from(*scale)))
        }
        // Kusto guid.
        DataType::FixedSizeBinary(16) => {
            let bytes = array.as_fixed_size_binary().value(row);
            let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            let part =
                |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default().to_string();
            Value::from(format!(
                "{}-{}-{}-{}-{}",
                part(0..8),
                part(8..12),
                part(12..16),
                part(16..20),
                part(20..32)
            ))
        }
        _ => match arrow::util::display::array_value_to_string(array, row) {
            Ok(text) => Value::from(text),
            Err(_) => Value::Null,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, DurationNanosecondArray, FixedSizeBinaryArray, Float64Array,
        Int64Array, LargeStringArray, StringArray, TimestampNanosecondArray,
    };
    use serde_json::json;

    use super::*;

    fn first(array: ArrayRef) -> Value {
        cell_value(array.as_ref(), 0)
    }

    // Proves each Kusto type's JSON form, nulls and the special floats.
    #[test]
    fn kusto_types_as_json() {
        assert_eq!(first(Arc::new(StringArray::from(vec!["a"]))), json!("a"));
        assert_eq!(first(Arc::new(Int64Array::from(vec![-3]))), json!(-3));
        assert_eq!(first(Arc::new(Float64Array::from(vec![1.5]))), json!(1.5));
        assert_eq!(
            first(Arc::new(Float64Array::from(vec![f64::NAN]))),
            json!("NaN")
        );
        assert_eq!(
            first(Arc::new(Float64Array::from(vec![f64::INFINITY]))),
            json!("Infinity")
        );
        assert_eq!(
            first(Arc::new(Float64Array::from(vec![f64::NEG_INFINITY]))),
            json!("-Infinity")
        );
        assert_eq!(first(Arc::new(BooleanArray::from(vec![true]))), json!(true));
        assert_eq!(
            first(Arc::new(Int64Array::from(vec![None::<i64>]))),
            Value::Null
        );
        let ts = TimestampNanosecondArray::from(vec![
            1_704_067_200_000_000_000,
            1_704_067_200_250_000_000,
        ])
        .with_timezone("UTC");
        assert_eq!(cell_value(&ts, 0), json!("2024-01-01T00:00:00Z"));
        assert_eq!(cell_value(&ts, 1), json!("2024-01-01T00:00:00.25Z"));
        assert_eq!(
            first(Arc::new(DurationNanosecondArray::from(vec![
                90_500_000_000
            ]))),
            json!(90.5)
        );
        assert_eq!(
            first(Arc::new(LargeStringArray::from(vec![r#"{"a":[1,2]}"#]))),
            json!({"a": [1, 2]})
        );
        let guid = FixedSizeBinaryArray::try_from_iter(vec![[0x12u8; 16]].into_iter()).ok();
        assert_eq!(
            guid.map(|array| cell_value(&array, 0)),
            Some(json!("12121212-1212-1212-1212-121212121212"))
        );
    }
}
