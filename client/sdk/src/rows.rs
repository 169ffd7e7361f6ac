//! Result rows as Rust values through serde: a row deserializes into a struct (fields matched to
//! columns by name), a map, or a tuple / `Vec` (by position).
//!
//! How a cell is offered to serde:
//!
//! | Kusto    | serde                                                                     |
//! |----------|---------------------------------------------------------------------------|
//! | null     | `None` (so use `Option<T>` for columns that may be null)                  |
//! | bool     | bool                                                                      |
//! | int      | i32                                                                       |
//! | long     | i64                                                                       |
//! | real     | f64, NaN and infinities included                                          |
//! | decimal  | its text (`"1.5"`); an `f64` field gets the nearest f64                   |
//! | string   | str                                                                       |
//! | datetime | its text (`"2024-01-01T00:00:00.0000000Z"`, which chrono parses); an `i64` field gets nanoseconds since the epoch |
//! | timespan | its text (`"1.02:03:04"`); an `i64` field gets nanoseconds                |
//! | guid     | its text (what `uuid::Uuid` expects); a `[u8; 16]`/bytes field gets bytes |
//! | dynamic  | the JSON value itself: any serde type, e.g. `serde_json::Value` or a struct |
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
//! use tarn_client::rows::deserialize_rows;
//!
//! #[derive(serde::Deserialize, Debug, PartialEq)]
//! struct Device { name: String, count: Option<i64> }
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("name", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
//!     ("count", Arc::new(Int64Array::from(vec![Some(3), None])) as ArrayRef),
//! ])?;
//! let devices: Vec<Device> = deserialize_rows(&batch, 0)?;
//! assert_eq!(devices[1], Device { name: "b".into(), count: None });
//! let pairs: Vec<(String, Option<i64>)> = deserialize_rows(&batch, 0)?;
//! assert_eq!(pairs[0], ("a".to_string(), Some(3)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Decimal128Type, DurationNanosecondType, Float64Type, Int32Type, Int64Type, TimeUnit,
    TimestampNanosecondType,
};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};

use crate::value::display::cell_text;
use crate::{Error, Result};

/// Why a row did not deserialize; becomes [`Error::Deserialize`].
#[derive(Debug)]
struct RowError(String);

impl fmt::Display for RowError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for RowError {}

impl de::Error for RowError {
    fn custom<T: fmt::Display>(message: T) -> RowError {
        RowError(message.to_string())
    }
}

/// Deserializes every row of `batch`; `row_offset` numbers the rows in errors.
pub fn deserialize_rows<T: DeserializeOwned>(
    batch: &RecordBatch,
    row_offset: u64,
) -> Result<Vec<T>> {
    let names: Vec<&str> = batch
        .schema_ref()
        .fields()
        .iter()
        .map(|field| field.name().as_str())
        .collect();
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let deserializer = RowDeserializer {
            names: &names,
            columns: batch.columns(),
            row,
        };
        let value = T::deserialize(deserializer).map_err(|error| Error::Deserialize {
            row: row_offset + row as u64,
            reason: error.0,
        })?;
        rows.push(value);
    }
    Ok(rows)
}

#[derive(Clone, Copy)]
struct RowDeserializer<'a> {
    names: &'a [&'a str],
    columns: &'a [ArrayRef],
    row: usize,
}

impl<'de> Deserializer<'de> for RowDeserializer<'_> {
    type Error = RowError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        visitor.visit_map(RowMap {
            row: self,
            next_column: 0,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, RowError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        visitor.visit_seq(RowSeq {
            row: self,
            next_column: 0,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, RowError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, RowError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, RowError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct enum identifier ignored_any
    }
}

struct RowMap<'a> {
    row: RowDeserializer<'a>,
    next_column: usize,
}

impl<'de> MapAccess<'de> for RowMap<'_> {
    type Error = RowError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, RowError> {
        let Some(name) = self.row.names.get(self.next_column) else {
            return Ok(None);
        };
        seed.deserialize((*name).into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, RowError> {
        let column = self.next_column;
        self.next_column += 1;
        let array = self
            .row
            .columns
            .get(column)
            .ok_or_else(|| RowError("a value without a column".to_string()))?;
        seed.deserialize(CellDeserializer {
            array,
            row: self.row.row,
        })
    }
}

struct RowSeq<'a> {
    row: RowDeserializer<'a>,
    next_column: usize,
}

impl<'de> SeqAccess<'de> for RowSeq<'_> {
    type Error = RowError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, RowError> {
        let Some(array) = self.row.columns.get(self.next_column) else {
            return Ok(None);
        };
        self.next_column += 1;
        seed.deserialize(CellDeserializer {
            array,
            row: self.row.row,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.columns.len().saturating_sub(self.next_column))
    }
}

struct CellDeserializer<'a> {
    array: &'a ArrayRef,
    row: usize,
}

impl CellDeserializer<'_> {
    fn is_null(&self) -> bool {
        self.row >= self.array.len() || self.array.is_null(self.row)
    }

    /// Nanoseconds of a datetime or timespan cell, for callers that ask for an integer.
    fn nanos(&self) -> Option<i64> {
        match self.array.data_type() {
            DataType::Timestamp(TimeUnit::Nanosecond, _) => Some(
                self.array
                    .as_primitive::<TimestampNanosecondType>()
                    .value(self.row),
            ),
            DataType::Duration(TimeUnit::Nanosecond) => Some(
                self.array
                    .as_primitive::<DurationNanosecondType>()
                    .value(self.row),
            ),
            _ => None,
        }
    }
}

impl<'de> Deserializer<'de> for CellDeserializer<'_> {
    type Error = RowError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        if self.is_null() {
            return visitor.visit_none();
        }
        let array = self.array;
        let row = self.row;
        match array.data_type() {
            DataType::Boolean => visitor.visit_bool(array.as_boolean().value(row)),
            DataType::Int32 => visitor.visit_i32(array.as_primitive::<Int32Type>().value(row)),
            DataType::Int64 => visitor.visit_i64(array.as_primitive::<Int64Type>().value(row)),
            DataType::Float64 => visitor.visit_f64(array.as_primitive::<Float64Type>().value(row)),
            DataType::Utf8 => visitor.visit_str(array.as_string::<i32>().value(row)),
            DataType::LargeUtf8 => {
                let text = array.as_string::<i64>().value(row);
                // A reader-based deserializer borrows nothing, so it can serve any visitor lifetime.
                let mut json = serde_json::Deserializer::from_reader(text.as_bytes());
                json.deserialize_any(visitor)
                    .map_err(|error| RowError(format!("dynamic value: {error}")))
            }
            _ => visitor.visit_string(cell_text(array, row)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        if self.is_null() {
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        if !self.is_null()
            && let Some(nanos) = self.nanos()
        {
            return visitor.visit_i64(nanos);
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        if !self.is_null()
            && let DataType::Decimal128(_, scale) = self.array.data_type()
        {
            let unscaled = self.array.as_primitive::<Decimal128Type>().value(self.row);
            let value = unscaled as f64 / 10f64.powi(i32::from(*scale));
            return visitor.visit_f64(value);
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        if !self.is_null()
            && let DataType::FixedSizeBinary(_) = self.array.data_type()
        {
            return visitor.visit_bytes(self.array.as_fixed_size_binary().value(self.row));
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RowError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, RowError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, RowError> {
        match self.array.data_type() {
            DataType::LargeUtf8 if !self.is_null() => {
                let text = self.array.as_string::<i64>().value(self.row);
                // A reader-based deserializer borrows nothing, so it can serve any visitor lifetime.
                let mut json = serde_json::Deserializer::from_reader(text.as_bytes());
                json.deserialize_struct(name, fields, visitor)
                    .map_err(|error| RowError(format!("dynamic value: {error}")))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i128 u8 u16 u32 u64 u128 f32 char str string
        unit unit_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Decimal128Array, DurationNanosecondArray, FixedSizeBinaryArray, Float64Array,
        LargeStringArray, TimestampNanosecondArray,
    };
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        k: Vec<i64>,
    }

    #[derive(Debug, Deserialize)]
    struct Row {
        when: String,
        when_nanos: i64,
        took: String,
        ratio: f64,
        price: String,
        price_approx: f64,
        id: String,
        id_bytes: serde_bytes_shim::Bytes,
        bag: serde_json::Value,
        typed_bag: Inner,
        missing: Option<f64>,
    }

    /// A minimal stand-in for `serde_bytes`: collects whatever bytes the deserializer offers.
    mod serde_bytes_shim {
        #[derive(Debug)]
        pub struct Bytes(pub Vec<u8>);
        impl<'de> serde::Deserialize<'de> for Bytes {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Bytes, D::Error> {
                struct BytesVisitor;
                impl serde::de::Visitor<'_> for BytesVisitor {
                    type Value = Bytes;
                    fn expecting(
                        &self,
                        formatter: &mut std::fmt::Formatter<'_>,
                    ) -> std::fmt::Result {
                        formatter.write_str("bytes")
                    }
                    fn visit_bytes<E>(self, value: &[u8]) -> Result<Bytes, E> {
                        Ok(Bytes(value.to_vec()))
                    }
                }
                deserializer.deserialize_bytes(BytesVisitor)
            }
        }
    }

    // Proves each Kusto type reaches serde as documented: datetime/timespan as text or
    // nanoseconds, NaN as f64, decimal as text or f64, guid as text or bytes, dynamic as any
    // serde type, null as None.
    #[test]
    fn cells_reach_serde_as_documented() {
        let nanos = 1_388_538_061_000_000_000i64;
        let guid: [u8; 16] =
            *uuid::Uuid::from_u128(0x123e27de_1e4e_49d9_b579_fe0b331415ab).as_bytes();
        let decimal = Decimal128Array::from(vec![1_500_000_000_000_000_000i128])
            .with_precision_and_scale(38, 18);
        let guids = FixedSizeBinaryArray::try_from_iter(vec![guid.to_vec()].into_iter());
        let (Ok(decimal), Ok(guids)) = (decimal, guids) else {
            panic!("test arrays");
        };
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "when",
                Arc::new(TimestampNanosecondArray::from(vec![nanos]).with_timezone("UTC")),
            ),
            (
                "when_nanos",
                Arc::new(TimestampNanosecondArray::from(vec![nanos]).with_timezone("UTC")),
            ),
            (
                "took",
                Arc::new(DurationNanosecondArray::from(vec![90_000_000_000])),
            ),
            ("ratio", Arc::new(Float64Array::from(vec![f64::NAN]))),
            ("price", Arc::new(decimal.clone())),
            ("price_approx", Arc::new(decimal)),
            ("id", Arc::new(guids.clone())),
            ("id_bytes", Arc::new(guids)),
            (
                "bag",
                Arc::new(LargeStringArray::from(vec![r#"{"k":[1,2]}"#])),
            ),
            (
                "typed_bag",
                Arc::new(LargeStringArray::from(vec![r#"{"k":[1,2]}"#])),
            ),
            ("missing", Arc::new(Float64Array::from(vec![None]))),
        ];
        let batch = match RecordBatch::try_from_iter(columns) {
            Ok(batch) => batch,
            Err(error) => panic!("{error}"),
        };
        let rows: Vec<Row> = match deserialize_rows(&batch, 0) {
            Ok(rows) => rows,
            Err(error) => panic!("{error}"),
        };
        let row = &rows[0];
        assert_eq!(row.when, "2014-01-01T01:01:01.0000000Z");
        assert_eq!(row.when_nanos, nanos);
        assert_eq!(row.took, "00:01:30");
        assert!(row.ratio.is_nan());
        assert_eq!(row.price, "1.5");
        assert_eq!(row.price_approx, 1.5);
        assert_eq!(row.id, "123e27de-1e4e-49d9-b579-fe0b331415ab");
        assert_eq!(row.id_bytes.0, guid.to_vec());
        assert_eq!(row.bag, serde_json::json!({"k": [1, 2]}));
        assert_eq!(row.typed_bag, Inner { k: vec![1, 2] });
        assert_eq!(row.missing, None);
    }

    // Proves a mismatch is Error::Deserialize with the row number, not a panic.
    #[test]
    fn mismatch_is_an_error() {
        let batch = RecordBatch::try_from_iter([(
            "x",
            Arc::new(Float64Array::from(vec![Some(1.0), None])) as ArrayRef,
        )]);
        let Ok(batch) = batch else { panic!("batch") };
        let outcome: Result<Vec<(f64,)>> = deserialize_rows(&batch, 10);
        assert!(
            matches!(outcome, Err(Error::Deserialize { row: 11, .. })),
            "{outcome:?}"
        );
    }
}
