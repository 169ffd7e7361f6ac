//! One Arrow cell → one JSON value, as Kusto encodes result cells (protocol reference §3.4).
//!
//! Owns: the per-type encoding (string never null, long as a full 64-bit number, real with
//! `"NaN"`/`"Infinity"`/`"-Infinity"` strings, datetime/timespan/guid/decimal as strings, dynamic
//! as the JSON value itself), JSON string escaping, and the mapping of the non-canonical Arrow types
//! DataFusion produces (Int8, UInt64, Float32, Utf8View, other time units, dictionaries, ...) onto
//! the Kusto type they stand for.
//!
//! Does not own: frames or tables around the cells (`v1`, `v2`), or the printed text forms
//! themselves (`tarn_common::text::format`).
//!
//! Cells are written straight into a `Vec<u8>`: no `serde_json::Value` per cell, except for a
//! dynamic value whose text must be re-serialized (it contains line breaks, which would break the
//! one-frame-per-line framing Go relies on).

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Date64Array, Decimal32Array,
    Decimal64Array, Decimal128Array, Decimal256Array, DurationMicrosecondArray,
    DurationMillisecondArray, DurationNanosecondArray, DurationSecondArray, FixedSizeBinaryArray,
    Float16Array, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array,
    LargeStringArray, RecordBatch, StringArray, StringViewArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array,
    UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType,
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use std::io::Write as _;
use tarn_common::KustoType;
use tarn_common::text::format::{
    format_datetime, format_datetime_parts, format_decimal, format_decimal_digits, format_guid,
    format_real, format_timespan, format_timespan_ticks,
};

use crate::{Result, WireError};

const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_MILLISECOND: i64 = 10_000;
const TICKS_PER_MICROSECOND: i64 = 10;

/// The Kusto type an Arrow column is reported as. Dictionary-encoded columns report their value
/// type; everything else goes through [`KustoType::from_arrow`].
pub fn kusto_type_of(data_type: &DataType) -> Option<KustoType> {
    match data_type {
        DataType::Dictionary(_, value_type) => kusto_type_of(value_type),
        other => KustoType::from_arrow(other),
    }
}

/// Writes `text` as a JSON string (quotes included). Control characters are escaped, so the output
/// never contains a raw line break.
pub fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (position, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..position]);
        if escape.is_empty() {
            const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX_DIGITS[usize::from(byte >> 4)]);
            out.push(HEX_DIGITS[usize::from(byte & 0x0f)]);
        } else {
            out.extend_from_slice(escape);
        }
        run_start = position + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// A real as a JSON value: a number for finite values, printed like Kusto (Newtonsoft appends
/// `.0` to integral values, so clients such as Python decode a float, not an int); non-finite
/// values as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn write_real(out: &mut Vec<u8>, value: f64) {
    let text = format_real(value);
    if !value.is_finite() {
        write_json_string(out, &text);
        return;
    }
    out.extend_from_slice(text.as_bytes());
    if !text.contains(['.', 'E']) {
        out.extend_from_slice(b".0");
    }
}

fn write_integer(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    // Writing into a Vec<u8> cannot fail.
    let _ = write!(out, "{value}");
}

/// A dynamic cell: the JSON text itself when it is valid JSON, else the text as a JSON string (so a
/// malformed stored value still reaches the client).
fn write_dynamic(out: &mut Vec<u8>, text: &str) {
    let is_valid_json = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    if !is_valid_json {
        write_json_string(out, text);
        return;
    }
    if !text.contains(['\n', '\r']) {
        out.extend_from_slice(text.trim().as_bytes());
        return;
    }
    // Line breaks between tokens would split a frame across lines; re-serialize compactly.
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            if serde_json::to_writer(&mut *out, &value).is_err() {
                write_json_string(out, text);
            }
        }
        Err(_) => write_json_string(out, text),
    }
}

/// The typed view of one column, cloned from the batch (Arrow arrays share their buffers, so a
/// clone is a few reference counts).
enum Cells {
    Null,
    Bool(BooleanArray),
    Int8(Int8Array),
    Int16(Int16Array),
    Int32(Int32Array),
    Int64(Int64Array),
    UInt8(UInt8Array),
    UInt16(UInt16Array),
    UInt32(UInt32Array),
    UInt64(UInt64Array),
    Float16(Float16Array),
    Float32(Float32Array),
    Float64(Float64Array),
    Decimal32(Decimal32Array, i8),
    Decimal64(Decimal64Array, i8),
    Decimal128(Decimal128Array, i8),
    Decimal256(Decimal256Array, i8),
    Utf8(StringArray),
    Utf8View(StringViewArray),
    Dynamic(LargeStringArray),
    TimestampSecond(TimestampSecondArray),
    TimestampMillisecond(TimestampMillisecondArray),
    TimestampMicrosecond(TimestampMicrosecondArray),
    TimestampNanosecond(TimestampNanosecondArray),
    Date32(Date32Array),
    Date64(Date64Array),
    DurationSecond(DurationSecondArray),
    DurationMillisecond(DurationMillisecondArray),
    DurationMicrosecond(DurationMicrosecondArray),
    DurationNanosecond(DurationNanosecondArray),
    Guid(FixedSizeBinaryArray),
}

/// Writes the cells of one Arrow column as JSON values.
pub struct CellEncoder {
    column: String,
    kusto_type: KustoType,
    array: ArrayRef,
    cells: Cells,
}

impl CellEncoder {
    /// Prepares a column for encoding. Fails when the Arrow type has no Kusto type (lists, structs,
    /// binary of other widths, ...): a plan that produces one is a Tarn bug.
    pub fn new(column: &str, array: &ArrayRef) -> Result<CellEncoder> {
        let unsupported = || WireError::UnsupportedArrowType {
            column: column.to_string(),
            data_type: array.data_type().clone(),
        };
        let kusto_type = kusto_type_of(array.data_type()).ok_or_else(unsupported)?;

        // Dictionaries are rare in results (DataFusion keeps them for partition columns); unpacking
        // them once per batch keeps the per-cell path free of key lookups.
        let array = match array.data_type() {
            DataType::Dictionary(_, value_type) => arrow::compute::cast(array, value_type)
                .map_err(|source| WireError::ArrowCast {
                    column: column.to_string(),
                    source,
                })?,
            _ => array.clone(),
        };

        macro_rules! primitive {
            ($variant:ident, $arrow_type:ty) => {
                Cells::$variant(
                    array
                        .as_primitive_opt::<$arrow_type>()
                        .ok_or_else(unsupported)?
                        .clone(),
                )
            };
            ($variant:ident, $arrow_type:ty, $scale:expr) => {
                Cells::$variant(
                    array
                        .as_primitive_opt::<$arrow_type>()
                        .ok_or_else(unsupported)?
                        .clone(),
                    $scale,
                )
            };
        }

        let cells = match array.data_type() {
            DataType::Null => Cells::Null,
            DataType::Boolean => {
                Cells::Bool(array.as_boolean_opt().ok_or_else(unsupported)?.clone())
            }
            DataType::Int8 => primitive!(Int8, Int8Type),
            DataType::Int16 => primitive!(Int16, Int16Type),
            DataType::Int32 => primitive!(Int32, Int32Type),
            DataType::Int64 => primitive!(Int64, Int64Type),
            DataType::UInt8 => primitive!(UInt8, UInt8Type),
            DataType::UInt16 => primitive!(UInt16, UInt16Type),
            DataType::UInt32 => primitive!(UInt32, UInt32Type),
            DataType::UInt64 => primitive!(UInt64, UInt64Type),
            DataType::Float16 => primitive!(Float16, Float16Type),
            DataType::Float32 => primitive!(Float32, Float32Type),
            DataType::Float64 => primitive!(Float64, Float64Type),
            DataType::Decimal32(_, scale) => primitive!(Decimal32, Decimal32Type, *scale),
            DataType::Decimal64(_, scale) => primitive!(Decimal64, Decimal64Type, *scale),
            DataType::Decimal128(_, scale) => primitive!(Decimal128, Decimal128Type, *scale),
            DataType::Decimal256(_, scale) => primitive!(Decimal256, Decimal256Type, *scale),
            DataType::Utf8 => Cells::Utf8(
                array
                    .as_string_opt::<i32>()
                    .ok_or_else(unsupported)?
                    .clone(),
            ),
            DataType::Utf8View => {
                Cells::Utf8View(array.as_string_view_opt().ok_or_else(unsupported)?.clone())
            }
            DataType::LargeUtf8 => Cells::Dynamic(
                array
                    .as_string_opt::<i64>()
                    .ok_or_else(unsupported)?
                    .clone(),
            ),
            DataType::Timestamp(TimeUnit::Second, _) => {
                primitive!(TimestampSecond, TimestampSecondType)
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                primitive!(TimestampMillisecond, TimestampMillisecondType)
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                primitive!(TimestampMicrosecond, TimestampMicrosecondType)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                primitive!(TimestampNanosecond, TimestampNanosecondType)
            }
            DataType::Date32 => primitive!(Date32, Date32Type),
            DataType::Date64 => primitive!(Date64, Date64Type),
            DataType::Duration(TimeUnit::Second) => primitive!(DurationSecond, DurationSecondType),
            DataType::Duration(TimeUnit::Millisecond) => {
                primitive!(DurationMillisecond, DurationMillisecondType)
            }
            DataType::Duration(TimeUnit::Microsecond) => {
                primitive!(DurationMicrosecond, DurationMicrosecondType)
            }
            DataType::Duration(TimeUnit::Nanosecond) => {
                primitive!(DurationNanosecond, DurationNanosecondType)
            }
            DataType::FixedSizeBinary(16) => Cells::Guid(
                array
                    .as_fixed_size_binary_opt()
                    .ok_or_else(unsupported)?
                    .clone(),
            ),
            _ => return Err(unsupported()),
        };
        Ok(CellEncoder {
            column: column.to_string(),
            kusto_type,
            array,
            cells,
        })
    }

    /// The Kusto type this column is reported as (`ColumnType`).
    pub fn kusto_type(&self) -> KustoType {
        self.kusto_type
    }

    pub fn len(&self) -> usize {
        self.array.len()
    }

    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    /// Appends the JSON value of cell `row` to `out`.
    pub fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<()> {
        if row >= self.array.len() {
            return Err(WireError::RowOutOfBounds {
                column: self.column.clone(),
                row,
                len: self.array.len(),
            });
        }
        if self.array.is_null(row) {
            // Kusto has no null string: clients expect "" (deft.json).
            let null_text: &[u8] = match self.cells {
                Cells::Utf8(_) | Cells::Utf8View(_) => b"\"\"",
                _ => b"null",
            };
            out.extend_from_slice(null_text);
            return Ok(());
        }
        let out_of_range = |kusto_type: &'static str| WireError::ValueOutOfRange {
            column: self.column.clone(),
            row,
            kusto_type,
        };
        match &self.cells {
            Cells::Null => out.extend_from_slice(b"null"),
            Cells::Bool(cells) => {
                out.extend_from_slice(if cells.value(row) { b"true" } else { b"false" });
            }
            Cells::Int8(cells) => write_integer(out, cells.value(row)),
            Cells::Int16(cells) => write_integer(out, cells.value(row)),
            Cells::Int32(cells) => write_integer(out, cells.value(row)),
            Cells::Int64(cells) => write_integer(out, cells.value(row)),
            Cells::UInt8(cells) => write_integer(out, cells.value(row)),
            Cells::UInt16(cells) => write_integer(out, cells.value(row)),
            Cells::UInt32(cells) => write_integer(out, cells.value(row)),
            Cells::UInt64(cells) => write_integer(out, cells.value(row)),
            Cells::Float16(cells) => write_real(out, cells.value(row).to_f64()),
            Cells::Float32(cells) => {
                // Widening 0.1f32 gives 0.10000000149011612; go through the shortest f32 text so
                // the client sees the value that was stored.
                let shortest = cells.value(row).to_string();
                write_real(
                    out,
                    shortest
                        .parse::<f64>()
                        .unwrap_or(f64::from(cells.value(row))),
                );
            }
            Cells::Float64(cells) => write_real(out, cells.value(row)),
            Cells::Decimal32(cells, scale) => {
                write_json_string(out, &format_decimal(i128::from(cells.value(row)), *scale));
            }
            Cells::Decimal64(cells, scale) => {
                write_json_string(out, &format_decimal(i128::from(cells.value(row)), *scale));
            }
            Cells::Decimal128(cells, scale) => {
                write_json_string(out, &format_decimal(cells.value(row), *scale))
            }
            Cells::Decimal256(cells, scale) => {
                let unscaled = cells.value(row);
                let text = match unscaled.to_i128() {
                    Some(narrow) => format_decimal(narrow, *scale),
                    None => {
                        let digits = unscaled.to_string();
                        let negative = digits.starts_with('-');
                        format_decimal_digits(negative, digits.trim_start_matches('-'), *scale)
                    }
                };
                write_json_string(out, &text);
            }
            Cells::Utf8(cells) => write_json_string(out, cells.value(row)),
            Cells::Utf8View(cells) => write_json_string(out, cells.value(row)),
            Cells::Dynamic(cells) => write_dynamic(out, cells.value(row)),
            Cells::TimestampSecond(cells) => {
                let text = format_datetime_parts(cells.value(row), 0)
                    .ok_or_else(|| out_of_range("datetime"))?;
                write_json_string(out, &text);
            }
            Cells::TimestampMillisecond(cells) => {
                let text = datetime_from_subunits(cells.value(row), 1_000)
                    .ok_or_else(|| out_of_range("datetime"))?;
                write_json_string(out, &text);
            }
            Cells::TimestampMicrosecond(cells) => {
                let text = datetime_from_subunits(cells.value(row), 1_000_000)
                    .ok_or_else(|| out_of_range("datetime"))?;
                write_json_string(out, &text);
            }
            Cells::TimestampNanosecond(cells) => {
                write_json_string(out, &format_datetime(cells.value(row)))
            }
            Cells::Date32(cells) => {
                let seconds = i64::from(cells.value(row)) * 86_400;
                let text =
                    format_datetime_parts(seconds, 0).ok_or_else(|| out_of_range("datetime"))?;
                write_json_string(out, &text);
            }
            Cells::Date64(cells) => {
                let text = datetime_from_subunits(cells.value(row), 1_000)
                    .ok_or_else(|| out_of_range("datetime"))?;
                write_json_string(out, &text);
            }
            Cells::DurationSecond(cells) => {
                let ticks = cells
                    .value(row)
                    .checked_mul(TICKS_PER_SECOND)
                    .ok_or_else(|| out_of_range("timespan"))?;
                write_json_string(out, &format_timespan_ticks(ticks));
            }
            Cells::DurationMillisecond(cells) => {
                let ticks = cells
                    .value(row)
                    .checked_mul(TICKS_PER_MILLISECOND)
                    .ok_or_else(|| out_of_range("timespan"))?;
                write_json_string(out, &format_timespan_ticks(ticks));
            }
            Cells::DurationMicrosecond(cells) => {
                let ticks = cells
                    .value(row)
                    .checked_mul(TICKS_PER_MICROSECOND)
                    .ok_or_else(|| out_of_range("timespan"))?;
                write_json_string(out, &format_timespan_ticks(ticks));
            }
            Cells::DurationNanosecond(cells) => {
                write_json_string(out, &format_timespan(cells.value(row)))
            }
            Cells::Guid(cells) => {
                let bytes: &[u8; 16] = cells
                    .value(row)
                    .try_into()
                    .map_err(|_| out_of_range("guid"))?;
                write_json_string(out, &format_guid(bytes));
            }
        }
        Ok(())
    }
}

/// A datetime from a count of `units_per_second` sub-second units since the epoch.
fn datetime_from_subunits(value: i64, units_per_second: i64) -> Option<String> {
    let seconds = value.div_euclid(units_per_second);
    let remainder = value.rem_euclid(units_per_second);
    let subsecond_nanos = u32::try_from(remainder * (1_000_000_000 / units_per_second)).ok()?;
    format_datetime_parts(seconds, subsecond_nanos)
}

/// Writes whole rows (`[cell,cell,...]`) of one record batch.
pub struct BatchEncoder {
    columns: Vec<CellEncoder>,
    num_rows: usize,
}

impl BatchEncoder {
    pub fn new(batch: &RecordBatch) -> Result<BatchEncoder> {
        let schema = batch.schema();
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            columns.push(CellEncoder::new(field.name(), array)?);
        }
        Ok(BatchEncoder {
            columns,
            num_rows: batch.num_rows(),
        })
    }

    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// Appends row `row` as a JSON array.
    pub fn write_row(&self, row: usize, out: &mut Vec<u8>) -> Result<()> {
        out.push(b'[');
        for (position, column) in self.columns.iter().enumerate() {
            if position > 0 {
                out.push(b',');
            }
            column.write(row, out)?;
        }
        out.push(b']');
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        DictionaryArray, LargeStringArray, NullArray, StringArray, StringViewArray,
    };
    use arrow::datatypes::{Int32Type as DictKey, i256};

    use super::*;

    fn encode_all(array: ArrayRef) -> Vec<String> {
        let encoder = match CellEncoder::new("c", &array) {
            Ok(encoder) => encoder,
            Err(error) => panic!("encoder for {}: {error}", array.data_type()),
        };
        (0..array.len())
            .map(|row| {
                let mut out = Vec::new();
                if let Err(error) = encoder.write(row, &mut out) {
                    panic!("row {row}: {error}");
                }
                String::from_utf8(out).unwrap_or_default()
            })
            .collect()
    }

    fn nanos(seconds: i64) -> i64 {
        seconds * 1_000_000_000
    }

    // Proves strings are escaped JSON and a null string is "" (Kusto strings are never null).
    #[test]
    fn string_cells() {
        let array: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a\"b\\c\nd\u{1}"),
            None,
            Some("é"),
        ]));
        assert_eq!(
            encode_all(array),
            vec![r#""a\"b\\c\nd\u0001""#, r#""""#, "\"é\""]
        );
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("long enough to be out of line"),
            None,
        ]));
        assert_eq!(
            encode_all(view),
            vec!["\"long enough to be out of line\"", "\"\""]
        );
    }

    // Proves long keeps all 64 bits, int and narrower/unsigned widths print as numbers, null is null.
    #[test]
    fn integer_cells() {
        let long: ArrayRef = Arc::new(Int64Array::from(vec![Some(i64::MAX), Some(i64::MIN), None]));
        assert_eq!(
            encode_all(long),
            vec!["9223372036854775807", "-9223372036854775808", "null"]
        );
        let int: ArrayRef = Arc::new(Int32Array::from(vec![Some(-7), None]));
        assert_eq!(encode_all(int), vec!["-7", "null"]);
        let unsigned: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX]));
        assert_eq!(encode_all(unsigned), vec!["18446744073709551615"]);
        let tiny: ArrayRef = Arc::new(Int8Array::from(vec![-128]));
        assert_eq!(encode_all(tiny), vec!["-128"]);
        assert_eq!(kusto_type_of(&DataType::UInt64), Some(KustoType::Long));
        assert_eq!(kusto_type_of(&DataType::Int8), Some(KustoType::Int));
    }

    // Proves reals are JSON numbers with Kusto's ".0" on integral values and non-finite values are
    // the strings Go and Python accept; Float32 keeps its shortest digits.
    #[test]
    fn real_cells() {
        let reals: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.0),
            Some(0.01),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            None,
            Some(2e20),
        ]));
        assert_eq!(
            encode_all(reals),
            vec![
                "1.0",
                "0.01",
                "\"NaN\"",
                "\"Infinity\"",
                "\"-Infinity\"",
                "null",
                "2E+20"
            ]
        );
        let single: ArrayRef = Arc::new(Float32Array::from(vec![0.1f32]));
        assert_eq!(encode_all(single), vec!["0.1"]);
        // arrow does not re-export `half`, so build the Float16 column by casting.
        let wide: ArrayRef = Arc::new(Float64Array::from(vec![1.5]));
        let half = match arrow::compute::cast(&wide, &DataType::Float16) {
            Ok(half) => half,
            Err(error) => panic!("cast to Float16: {error}"),
        };
        assert_eq!(encode_all(half), vec!["1.5"]);
        // The E notation Kusto uses is valid JSON and decodes to the same number.
        let parsed: Result<Vec<f64>, _> = serde_json::from_str("[2E+20,1E-05]");
        assert_eq!(parsed.ok(), Some(vec![2e20, 1e-5]));
    }

    // Proves bools, the Null type and guids.
    #[test]
    fn bool_null_and_guid_cells() {
        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
        assert_eq!(encode_all(bools), vec!["true", "false", "null"]);
        let nulls: ArrayRef = Arc::new(NullArray::new(2));
        assert_eq!(encode_all(nulls), vec!["null", "null"]);
        let guid_bytes: [u8; 16] = [
            0x12, 0x3e, 0x27, 0xde, 0x1e, 0x4e, 0x49, 0xd9, 0xb5, 0x79, 0xfe, 0x0b, 0x33, 0x14,
            0x15, 0xab,
        ];
        let guids = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
            vec![Some(guid_bytes.to_vec()), None].into_iter(),
            16,
        );
        let guids: ArrayRef = match guids {
            Ok(guids) => Arc::new(guids),
            Err(error) => panic!("guid array: {error}"),
        };
        assert_eq!(
            encode_all(guids),
            vec!["\"123e27de-1e4e-49d9-b579-fe0b331415ab\"", "null"]
        );
    }

    // Proves datetimes print with 7 digits and Z at both ends of Arrow's nanosecond range and in the
    // other units DataFusion may produce (seconds, millis, micros, Date32, Date64).
    #[test]
    fn datetime_cells() {
        let canonical: ArrayRef = Arc::new(
            TimestampNanosecondArray::from(vec![
                Some(nanos(1_388_538_061)),
                Some(i64::MIN),
                Some(i64::MAX),
                None,
            ])
            .with_timezone("UTC"),
        );
        assert_eq!(
            encode_all(canonical),
            vec![
                "\"2014-01-01T01:01:01.0000000Z\"",
                "\"1677-09-21T00:12:43.1452241Z\"",
                "\"2262-04-11T23:47:16.8547758Z\"",
                "null"
            ]
        );
        // 1677-09-22 and 2262-04-11 at midnight, well inside the range.
        let inside: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![
            nanos(-9_223_286_400),
            nanos(9_223_286_400),
        ]));
        assert_eq!(
            encode_all(inside),
            vec![
                "\"1677-09-22T00:00:00.0000000Z\"",
                "\"2262-04-11T00:00:00.0000000Z\""
            ]
        );
        let seconds: ArrayRef = Arc::new(TimestampSecondArray::from(vec![253_402_300_799]));
        assert_eq!(
            encode_all(seconds),
            vec!["\"9999-12-31T23:59:59.0000000Z\""]
        );
        let millis: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![-1]));
        assert_eq!(encode_all(millis), vec!["\"1969-12-31T23:59:59.9990000Z\""]);
        let micros: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![1_000_001]));
        assert_eq!(encode_all(micros), vec!["\"1970-01-01T00:00:01.0000010Z\""]);
        let date32: ArrayRef = Arc::new(Date32Array::from(vec![16_071]));
        assert_eq!(encode_all(date32), vec!["\"2014-01-01T00:00:00.0000000Z\""]);
        let date64: ArrayRef = Arc::new(Date64Array::from(vec![1_388_534_400_123]));
        assert_eq!(encode_all(date64), vec!["\"2014-01-01T00:00:00.1230000Z\""]);
    }

    // Proves timespans (including negative ones and other units) and that an overflowing
    // second-resolution duration is an error, not a wrapped value.
    #[test]
    fn timespan_cells() {
        let day = nanos(86_400);
        let canonical: ArrayRef = Arc::new(DurationNanosecondArray::from(vec![
            Some(0),
            Some(day + nanos(1) + 1_000_100),
            Some(-(2 * day + nanos(2) + 2_000_200)),
            None,
        ]));
        assert_eq!(
            encode_all(canonical),
            vec![
                "\"00:00:00\"",
                "\"1.00:00:01.0010001\"",
                "\"-2.00:00:02.0020002\"",
                "null"
            ]
        );
        let seconds: ArrayRef = Arc::new(DurationSecondArray::from(vec![-90]));
        assert_eq!(encode_all(seconds), vec!["\"-00:01:30\""]);
        let millis: ArrayRef = Arc::new(DurationMillisecondArray::from(vec![1_500]));
        assert_eq!(encode_all(millis), vec!["\"00:00:01.5000000\""]);
        let micros: ArrayRef = Arc::new(DurationMicrosecondArray::from(vec![1]));
        assert_eq!(encode_all(micros), vec!["\"00:00:00.0000010\""]);

        let overflowing: ArrayRef = Arc::new(DurationSecondArray::from(vec![i64::MAX]));
        let encoder = CellEncoder::new("t", &overflowing);
        let mut out = Vec::new();
        let outcome = encoder.and_then(|encoder| encoder.write(0, &mut out));
        assert!(matches!(
            outcome,
            Err(WireError::ValueOutOfRange {
                kusto_type: "timespan",
                ..
            })
        ));
    }

    // Proves decimals are JSON strings (Go requires a string) with trailing zeros trimmed, for the
    // canonical scale 18 and for other widths and scales.
    #[test]
    fn decimal_cells() {
        let scale_18 = 1_000_000_000_000_000_000i128;
        let canonical = Decimal128Array::from(vec![
            Some(2 * scale_18 + 10_000),
            Some(-15 * scale_18 / 10),
            None,
        ])
        .with_precision_and_scale(38, 18);
        let canonical: ArrayRef = match canonical {
            Ok(array) => Arc::new(array),
            Err(error) => panic!("decimal array: {error}"),
        };
        assert_eq!(
            encode_all(canonical),
            vec!["\"2.00000000000001\"", "\"-1.5\"", "null"]
        );
        let narrow = Decimal64Array::from(vec![12_345]).with_precision_and_scale(10, 2);
        let narrow: ArrayRef = match narrow {
            Ok(array) => Arc::new(array),
            Err(error) => panic!("decimal64 array: {error}"),
        };
        assert_eq!(encode_all(narrow), vec!["\"123.45\""]);
        let wide = Decimal256Array::from(vec![i256::from_i128(-5)]).with_precision_and_scale(76, 1);
        let wide: ArrayRef = match wide {
            Ok(array) => Arc::new(array),
            Err(error) => panic!("decimal256 array: {error}"),
        };
        assert_eq!(encode_all(wide), vec!["\"-0.5\""]);
    }

    // Proves dynamic cells are the JSON value itself, invalid JSON becomes a string, and JSON with
    // line breaks is re-serialized so frames stay on one line.
    #[test]
    fn dynamic_cells() {
        let dynamic: ArrayRef = Arc::new(LargeStringArray::from(vec![
            Some(r#"{"rowId":1,"arr":[0,1]}"#),
            Some("[1,\n 2]"),
            Some("not json"),
            Some("\"text\""),
            Some("12"),
            None,
        ]));
        assert_eq!(
            encode_all(dynamic),
            vec![
                r#"{"rowId":1,"arr":[0,1]}"#,
                "[1,2]",
                "\"not json\"",
                "\"text\"",
                "12",
                "null"
            ]
        );
    }

    // Proves dictionary-encoded strings are written as their values and reported as string.
    #[test]
    fn dictionary_cells() {
        let dictionary: DictionaryArray<DictKey> =
            vec![Some("x"), None, Some("x")].into_iter().collect();
        let dictionary: ArrayRef = Arc::new(dictionary);
        assert_eq!(
            kusto_type_of(dictionary.data_type()),
            Some(KustoType::String)
        );
        assert_eq!(encode_all(dictionary), vec!["\"x\"", "\"\"", "\"x\""]);
    }

    // Proves an Arrow type with no Kusto counterpart is rejected with the column named, and reading
    // past the end of a column is an error rather than a panic.
    #[test]
    fn unsupported_type_and_bad_row() {
        let binary: ArrayRef = Arc::new(arrow::array::BinaryArray::from(vec![b"ab".as_slice()]));
        assert!(matches!(
            CellEncoder::new("blob", &binary),
            Err(WireError::UnsupportedArrowType { ref column, .. }) if column == "blob"
        ));
        let longs: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let mut out = Vec::new();
        let outcome = CellEncoder::new("n", &longs).and_then(|encoder| encoder.write(1, &mut out));
        assert!(matches!(
            outcome,
            Err(WireError::RowOutOfBounds { row: 1, len: 1, .. })
        ));
    }
}
