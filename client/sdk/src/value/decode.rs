//! One result column: JSON cells as the server wrote them (protocol reference §3.4) appended to
//! the Arrow builder of the column's Kusto type.
//!
//! Cells are decoded from their raw JSON bytes, not through `serde_json::Value`, so that a long
//! keeps all 64 bits, a real is parsed exactly, and a dynamic value keeps the JSON text the
//! server sent.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Decimal128Builder, DurationNanosecondBuilder, FixedSizeBinaryBuilder,
    Float64Builder, Int32Builder, Int64Builder, LargeStringBuilder, StringBuilder,
    TimestampNanosecondBuilder,
};

use super::text::{parse_datetime, parse_decimal, parse_guid, parse_real, parse_timespan};
use crate::frames::json::string_contents;
use crate::types::KustoType;
use crate::{Error, Result};

/// How much of an undecodable cell an error quotes.
const CELL_EXCERPT_BYTES_MAX: usize = 120;

enum Builder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Decimal(Decimal128Builder),
    String(StringBuilder),
    DateTime(TimestampNanosecondBuilder),
    TimeSpan(DurationNanosecondBuilder),
    Guid(FixedSizeBinaryBuilder),
    Dynamic(LargeStringBuilder),
}

/// Builds one Arrow column from JSON cells.
pub(crate) struct ColumnDecoder {
    column: ColumnInfo,
    builder: Builder,
}

/// What errors name: kept apart from the builder so both can be borrowed at once.
struct ColumnInfo {
    name: String,
    kusto_type: KustoType,
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\r' | b'\n');
    let start = bytes
        .iter()
        .position(|byte| !is_space(byte))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|byte| !is_space(byte))
        .map_or(start, |end| end + 1);
    bytes.get(start..end).unwrap_or_default()
}

impl ColumnDecoder {
    pub(crate) fn new(name: &str, kusto_type: KustoType) -> ColumnDecoder {
        let builder = match kusto_type {
            KustoType::Bool => Builder::Bool(BooleanBuilder::new()),
            KustoType::Int => Builder::Int(Int32Builder::new()),
            KustoType::Long => Builder::Long(Int64Builder::new()),
            KustoType::Real => Builder::Real(Float64Builder::new()),
            KustoType::Decimal => {
                Builder::Decimal(Decimal128Builder::new().with_data_type(kusto_type.arrow_type()))
            }
            KustoType::String => Builder::String(StringBuilder::new()),
            KustoType::DateTime => {
                Builder::DateTime(TimestampNanosecondBuilder::new().with_timezone("UTC"))
            }
            KustoType::TimeSpan => Builder::TimeSpan(DurationNanosecondBuilder::new()),
            KustoType::Guid => Builder::Guid(FixedSizeBinaryBuilder::new(16)),
            KustoType::Dynamic => Builder::Dynamic(LargeStringBuilder::new()),
        };
        ColumnDecoder {
            column: ColumnInfo {
                name: name.to_string(),
                kusto_type,
            },
            builder,
        }
    }
}

impl ColumnInfo {
    fn invalid(&self, row: u64, cell: &[u8], reason: &str) -> Error {
        let excerpt = cell.get(..CELL_EXCERPT_BYTES_MAX).unwrap_or(cell);
        Error::Value {
            column: self.name.clone(),
            kusto_type: self.kusto_type,
            row,
            text: String::from_utf8_lossy(excerpt).into_owned(),
            reason: reason.to_string(),
        }
    }

    /// The cell's text: a JSON string's contents, or a number's or literal's own text.
    fn text<'a>(&self, row: u64, cell: &'a [u8]) -> Result<std::borrow::Cow<'a, str>> {
        if cell.first() == Some(&b'"') {
            return string_contents(cell).map_err(|reason| self.invalid(row, cell, reason));
        }
        std::str::from_utf8(cell)
            .map(std::borrow::Cow::Borrowed)
            .map_err(|_| self.invalid(row, cell, "not UTF-8"))
    }
}

impl ColumnDecoder {
    /// Appends one cell (`row` is its row number in the table, for errors).
    pub(crate) fn append(&mut self, cell: &[u8], row: u64) -> Result<()> {
        let cell = trim(cell);
        if cell == b"null" {
            self.append_null();
            return Ok(());
        }
        if let Builder::Dynamic(builder) = &mut self.builder {
            // The JSON value itself, as sent (compact JSON text, like Tarn stores dynamic).
            if serde_json::from_slice::<serde::de::IgnoredAny>(cell).is_err() {
                return Err(self.column.invalid(row, cell, "not a JSON value"));
            }
            let column = &self.column;
            let text =
                std::str::from_utf8(cell).map_err(|_| column.invalid(row, cell, "not UTF-8"))?;
            builder.append_value(text);
            return Ok(());
        }
        let column = &self.column;
        let text = column.text(row, cell)?;
        let text = text.as_ref();
        let invalid = |reason: &str| column.invalid(row, cell, reason);
        match &mut self.builder {
            Builder::Bool(builder) => {
                let value = match text.to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(invalid("not a bool")),
                };
                builder.append_value(value);
            }
            Builder::Int(builder) => {
                builder.append_value(text.trim().parse().map_err(|_| invalid("not an int"))?);
            }
            Builder::Long(builder) => {
                builder.append_value(text.trim().parse().map_err(|_| invalid("not a long"))?);
            }
            Builder::Real(builder) => {
                builder.append_value(parse_real(text).ok_or_else(|| invalid("not a real"))?);
            }
            Builder::Decimal(builder) => {
                let unscaled = parse_decimal(text)
                    .ok_or_else(|| invalid("not a decimal within 38 digits, 18 after the point"))?;
                builder.append_value(unscaled);
            }
            Builder::String(builder) => builder.append_value(text),
            Builder::DateTime(builder) => {
                let nanos = parse_datetime(text)
                    .ok_or_else(|| invalid("not a datetime between 1677-09-21 and 2262-04-11"))?;
                builder.append_value(nanos);
            }
            Builder::TimeSpan(builder) => {
                // Python's SDK also accepts a bare number of 100 ns ticks.
                let nanos = match text.trim().parse::<i64>() {
                    Ok(ticks) if cell.first() != Some(&b'"') => ticks.checked_mul(100),
                    _ => parse_timespan(text),
                };
                builder.append_value(
                    nanos.ok_or_else(|| invalid("not a timespan within ±106,751 days"))?,
                );
            }
            Builder::Guid(builder) => {
                let bytes = parse_guid(text).ok_or_else(|| invalid("not a guid"))?;
                builder
                    .append_value(bytes)
                    .map_err(|_| invalid("not 16 bytes"))?;
            }
            Builder::Dynamic(_) => {}
        }
        Ok(())
    }

    fn append_null(&mut self) {
        match &mut self.builder {
            Builder::Bool(builder) => builder.append_null(),
            Builder::Int(builder) => builder.append_null(),
            Builder::Long(builder) => builder.append_null(),
            Builder::Real(builder) => builder.append_null(),
            Builder::Decimal(builder) => builder.append_null(),
            Builder::String(builder) => builder.append_null(),
            Builder::DateTime(builder) => builder.append_null(),
            Builder::TimeSpan(builder) => builder.append_null(),
            Builder::Guid(builder) => builder.append_null(),
            Builder::Dynamic(builder) => builder.append_null(),
        }
    }

    /// The column built so far; the builder starts over empty.
    pub(crate) fn finish(&mut self) -> ArrayRef {
        match &mut self.builder {
            Builder::Bool(builder) => Arc::new(builder.finish()),
            Builder::Int(builder) => Arc::new(builder.finish()),
            Builder::Long(builder) => Arc::new(builder.finish()),
            Builder::Real(builder) => Arc::new(builder.finish()),
            Builder::Decimal(builder) => Arc::new(builder.finish()),
            Builder::String(builder) => Arc::new(builder.finish()),
            Builder::DateTime(builder) => Arc::new(builder.finish()),
            Builder::TimeSpan(builder) => Arc::new(builder.finish()),
            Builder::Guid(builder) => Arc::new(builder.finish()),
            Builder::Dynamic(builder) => Arc::new(builder.finish()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use arrow::array::{
        Array, AsArray, Decimal128Array, DurationNanosecondArray, Float64Array, Int32Array,
        Int64Array, TimestampNanosecondArray,
    };

    use super::*;

    fn decode(kusto_type: KustoType, cells: &[&str]) -> Result<ArrayRef> {
        let mut decoder = ColumnDecoder::new("c", kusto_type);
        for (row, cell) in cells.iter().enumerate() {
            decoder.append(cell.as_bytes(), row as u64)?;
        }
        Ok(decoder.finish())
    }

    fn decoded(kusto_type: KustoType, cells: &[&str]) -> ArrayRef {
        match decode(kusto_type, cells) {
            Ok(array) => array,
            Err(error) => panic!("{kusto_type}: {error}"),
        }
    }

    // Proves every type decodes into its Arrow type with nulls, the non-finite reals, full-width
    // longs, exact reals, extreme datetimes, decimals and dynamic JSON text kept as sent.
    #[test]
    fn every_type_decodes() {
        for kusto_type in KustoType::ALL {
            assert_eq!(
                decoded(kusto_type, &["null"]).data_type(),
                &kusto_type.arrow_type()
            );
        }
        let bools = decoded(KustoType::Bool, &["true", "false", "null"]);
        assert_eq!(
            bools.as_boolean().iter().collect::<Vec<_>>(),
            vec![Some(true), Some(false), None]
        );
        let ints = decoded(KustoType::Int, &["-2147483648", "7"]);
        assert_eq!(
            ints.as_any()
                .downcast_ref::<Int32Array>()
                .map(|a| a.value(0)),
            Some(i32::MIN)
        );
        let longs = decoded(
            KustoType::Long,
            &["9223372036854775807", "-9223372036854775808"],
        );
        let longs = longs.as_any().downcast_ref::<Int64Array>();
        assert_eq!(
            longs.map(|a| (a.value(0), a.value(1))),
            Some((i64::MAX, i64::MIN))
        );
        let reals = decoded(
            KustoType::Real,
            &[
                "\"NaN\"",
                "\"Infinity\"",
                "\"-Infinity\"",
                "0.1",
                "-0.0",
                "5E-324",
            ],
        );
        let reals = reals.as_any().downcast_ref::<Float64Array>();
        let values: Vec<f64> = reals.map(|a| a.values().to_vec()).unwrap_or_default();
        assert!(values[0].is_nan());
        assert_eq!(values[1..3], [f64::INFINITY, f64::NEG_INFINITY]);
        assert_eq!(values[3], 0.1);
        assert!(values[4] == 0.0 && values[4].is_sign_negative());
        assert_eq!(values[5], 5e-324);
        let decimals = decoded(KustoType::Decimal, &["\"1.5\"", "2.25"]);
        let decimals = decimals.as_any().downcast_ref::<Decimal128Array>();
        assert_eq!(
            decimals.map(|a| a.value(0)),
            Some(1_500_000_000_000_000_000)
        );
        assert_eq!(decimals.map(|a| (a.precision(), a.scale())), Some((38, 18)));
        let strings = decoded(KustoType::String, &[r#""é\"\n""#, r#""""#]);
        assert_eq!(strings.as_string::<i32>().value(0), "é\"\n");
        let datetimes = decoded(
            KustoType::DateTime,
            &[
                "\"1677-09-21T00:12:43.1452242Z\"",
                "\"2262-04-11T23:47:16.8547758Z\"",
            ],
        );
        let datetimes = datetimes
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>();
        assert_eq!(
            datetimes.map(|a| a.value(0)),
            Some(-9_223_372_036_854_775_800)
        );
        assert_eq!(
            datetimes.map(|a| a.value(1)),
            Some(9_223_372_036_854_775_800)
        );
        let timespans = decoded(KustoType::TimeSpan, &["\"-1.02:03:04.5000000\"", "10"]);
        let timespans = timespans.as_any().downcast_ref::<DurationNanosecondArray>();
        assert_eq!(timespans.map(|a| a.value(0)), Some(-(93_784_500_000_000)));
        assert_eq!(timespans.map(|a| a.value(1)), Some(1_000));
        let guids = decoded(
            KustoType::Guid,
            &["\"123e27de-1e4e-49d9-b579-fe0b331415ab\""],
        );
        assert_eq!(guids.as_fixed_size_binary().value(0).first(), Some(&0x12));
        let dynamics = decoded(
            KustoType::Dynamic,
            &[r#"{"a":[1,2]}"#, r#""x\ny""#, "null", "12"],
        );
        let dynamics = dynamics.as_string::<i64>();
        assert_eq!(dynamics.value(0), r#"{"a":[1,2]}"#);
        assert_eq!(dynamics.value(1), r#""x\ny""#);
        assert!(dynamics.is_null(2));
        assert_eq!(dynamics.value(3), "12");
    }

    // Proves undecodable cells are Error::Value naming the column and row, never a panic.
    #[test]
    fn bad_cells_are_errors() {
        let cases: [(KustoType, &str); 9] = [
            (KustoType::Int, "2147483648"),
            (KustoType::Long, "1.5"),
            (KustoType::Real, "\"fast\""),
            (KustoType::Bool, "2"),
            (KustoType::DateTime, "\"0001-01-01T00:00:00Z\""),
            (KustoType::Guid, "\"nope\""),
            (KustoType::Decimal, "\"1e40\""),
            (KustoType::Dynamic, "{\"a\":"),
            (KustoType::String, "\"unterminated"),
        ];
        for (kusto_type, cell) in cases {
            match decode(kusto_type, &["null", cell]) {
                Err(Error::Value { row, column, .. }) => {
                    assert_eq!((row, column.as_str()), (1, "c"), "{kusto_type} {cell}");
                }
                other => panic!("{kusto_type} {cell}: expected Error::Value, got {other:?}"),
            }
        }
    }
}
