//! Showing a decoded cell: as Kusto prints it (for tables and CSV) or as the JSON value Kusto
//! sends (for JSON output).
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{ArrayRef, Float64Array};
//! use tarn_client::value::display::{cell_json, cell_text};
//!
//! let reals: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.5), Some(f64::NAN), None]));
//! assert_eq!(cell_text(&reals, 0), "1.5");
//! assert_eq!(cell_text(&reals, 1), "NaN");
//! assert_eq!(cell_text(&reals, 2), "");
//! assert_eq!(cell_json(&reals, 1), serde_json::json!("NaN"));
//! ```

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Decimal128Type, DurationNanosecondType, Float64Type, Int32Type, Int64Type, TimeUnit,
    TimestampNanosecondType,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::Value;

use super::text::{format_datetime, format_decimal, format_guid, format_real, format_timespan};

/// The cell as Kusto prints it: datetimes with 7 digits and `Z`, timespans as
/// `[-][d.]hh:mm:ss[.fffffff]`, `NaN`/`Infinity` reals, decimals without trailing zeros, dynamic
/// as its JSON text; a null is empty. Columns of other Arrow types print with Arrow's formatter.
/// A row past the end is empty too.
pub fn cell_text(array: &ArrayRef, row: usize) -> String {
    if row >= array.len() || array.is_null(row) {
        return String::new();
    }
    match array.data_type() {
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float64 => format_real(array.as_primitive::<Float64Type>().value(row)),
        DataType::Decimal128(_, scale) => {
            format_decimal(array.as_primitive::<Decimal128Type>().value(row), *scale)
        }
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            format_datetime(array.as_primitive::<TimestampNanosecondType>().value(row))
        }
        DataType::Duration(TimeUnit::Nanosecond) => {
            format_timespan(array.as_primitive::<DurationNanosecondType>().value(row))
        }
        DataType::FixedSizeBinary(16) => {
            let bytes: Option<[u8; 16]> = array.as_fixed_size_binary().value(row).try_into().ok();
            bytes.map(format_guid).unwrap_or_default()
        }
        _ => ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
            .map(|formatter| formatter.value(row).to_string())
            .unwrap_or_default(),
    }
}

/// The cell as a JSON value, as Kusto sends it: numbers for bool/int/long/finite reals, strings
/// for non-finite reals, decimals, datetimes, timespans and guids, the value itself for dynamic.
pub fn cell_json(array: &ArrayRef, row: usize) -> Value {
    if row >= array.len() || array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int32 => Value::from(array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => Value::from(array.as_primitive::<Int64Type>().value(row)),
        DataType::Float64 => {
            let value = array.as_primitive::<Float64Type>().value(row);
            serde_json::Number::from_f64(value)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(format_real(value)))
        }
        DataType::LargeUtf8 => {
            let text = array.as_string::<i64>().value(row);
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
        }
        _ => Value::String(cell_text(array, row)),
    }
}
