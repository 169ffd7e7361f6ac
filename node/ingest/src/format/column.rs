//! One Arrow builder per table column, fed with CSV fields, JSON values or text, and converting
//! each to the column's KQL type.
//!
//! Owns: the per-type conversion rules of ingestion (what an empty field, a JSON number or a
//! JSON object becomes in each of the ten types). Does not own: how text reads as a type
//! (`tarn_common::text::parse`), which value goes to which column (the format modules).

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Decimal128Builder, DurationNanosecondBuilder,
    FixedSizeBinaryBuilder, Float64Builder, Int32Builder, Int64Builder, LargeStringBuilder,
    StringBuilder, TimestampNanosecondBuilder,
};
use tarn_common::KustoType;
use tarn_common::text::parse;
use tarn_common::types::{DECIMAL_PRECISION, DECIMAL_SCALE};

use super::json_scan::{self, JsonKind};
use super::mapping::Transform;

/// Bytes in a guid.
const GUID_BYTES: i32 = 16;

/// Whether a value was stored as given, or stored as null because it did not convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Appended {
    Value,
    Unparsable,
}

pub(crate) enum ColumnBuilder {
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

fn stored<T>(builder_append: impl FnOnce(Option<T>), value: Option<T>) -> Appended {
    let appended = if value.is_some() {
        Appended::Value
    } else {
        Appended::Unparsable
    };
    builder_append(value);
    appended
}

/// A JSON or text number as a long: exact integers, and reals with no fraction (`1.0`, `1e3`).
fn integral_long(text: &str) -> Option<i64> {
    if let Some(value) = parse::parse_long(text) {
        return Some(value);
    }
    let real = parse::parse_real(text)?;
    // i64::MAX is not representable in f64; 2^63 is the first value out of range.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if real.is_finite() && real.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&real) {
        #[allow(clippy::cast_possible_truncation)]
        return Some(real as i64);
    }
    None
}

/// Nanoseconds since the epoch from a count of `unit_nanos` units, written as text.
fn epoch_count_to_nanos(text: &str, unit_nanos: i64) -> Option<i64> {
    if let Some(count) = parse::parse_long(text) {
        return count.checked_mul(unit_nanos);
    }
    let nanos = parse::parse_real(text)? * unit_nanos as f64;
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if nanos.is_finite() && (-TWO_POW_63..TWO_POW_63).contains(&nanos) {
        #[allow(clippy::cast_possible_truncation)]
        return Some(nanos.round() as i64);
    }
    None
}

impl ColumnBuilder {
    pub(crate) fn new(kusto_type: KustoType, capacity: usize) -> ColumnBuilder {
        match kusto_type {
            KustoType::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            KustoType::Int => ColumnBuilder::Int(Int32Builder::with_capacity(capacity)),
            KustoType::Long => ColumnBuilder::Long(Int64Builder::with_capacity(capacity)),
            KustoType::Real => ColumnBuilder::Real(Float64Builder::with_capacity(capacity)),
            KustoType::Decimal => {
                ColumnBuilder::Decimal(Decimal128Builder::with_capacity(capacity).with_data_type(
                    arrow::datatypes::DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
                ))
            }
            KustoType::String => {
                ColumnBuilder::String(StringBuilder::with_capacity(capacity, capacity * 8))
            }
            KustoType::DateTime => ColumnBuilder::DateTime(
                TimestampNanosecondBuilder::with_capacity(capacity).with_timezone("UTC"),
            ),
            KustoType::TimeSpan => {
                ColumnBuilder::TimeSpan(DurationNanosecondBuilder::with_capacity(capacity))
            }
            KustoType::Guid => {
                ColumnBuilder::Guid(FixedSizeBinaryBuilder::with_capacity(capacity, GUID_BYTES))
            }
            KustoType::Dynamic => {
                ColumnBuilder::Dynamic(LargeStringBuilder::with_capacity(capacity, capacity * 8))
            }
        }
    }

    pub(crate) fn append_null(&mut self) {
        match self {
            ColumnBuilder::Bool(builder) => builder.append_null(),
            ColumnBuilder::Int(builder) => builder.append_null(),
            ColumnBuilder::Long(builder) => builder.append_null(),
            ColumnBuilder::Real(builder) => builder.append_null(),
            ColumnBuilder::Decimal(builder) => builder.append_null(),
            ColumnBuilder::String(builder) => builder.append_null(),
            ColumnBuilder::DateTime(builder) => builder.append_null(),
            ColumnBuilder::TimeSpan(builder) => builder.append_null(),
            ColumnBuilder::Guid(builder) => builder.append_null(),
            ColumnBuilder::Dynamic(builder) => builder.append_null(),
        }
    }

    /// A CSV field: bytes as the body holds them. Empty is null (or `""` for strings) and not an
    /// error; text that is not UTF-8 is replaced (strings) or does not parse (other types).
    pub(crate) fn append_field(&mut self, field: &[u8], transform: Option<Transform>) -> Appended {
        if let ColumnBuilder::String(builder) = self {
            builder.append_value(String::from_utf8_lossy(field));
            return Appended::Value;
        }
        if field.is_empty() {
            self.append_null();
            return Appended::Value;
        }
        match std::str::from_utf8(field) {
            Ok(text) => self.append_text(text, transform),
            Err(_) => {
                self.append_null();
                Appended::Unparsable
            }
        }
    }

    /// Text read as the column's type (a CSV field, a constant, a JSON string's contents).
    pub(crate) fn append_text(&mut self, text: &str, transform: Option<Transform>) -> Appended {
        match self {
            ColumnBuilder::Bool(builder) => stored(
                |value| builder.append_option(value),
                parse::parse_bool(text),
            ),
            ColumnBuilder::Int(builder) => {
                stored(|value| builder.append_option(value), parse::parse_int(text))
            }
            ColumnBuilder::Long(builder) => stored(
                |value| builder.append_option(value),
                parse::parse_long(text),
            ),
            ColumnBuilder::Real(builder) => stored(
                |value| builder.append_option(value),
                parse::parse_real(text),
            ),
            ColumnBuilder::Decimal(builder) => stored(
                |value| builder.append_option(value),
                parse::parse_decimal(text),
            ),
            ColumnBuilder::String(builder) => {
                builder.append_value(text);
                Appended::Value
            }
            ColumnBuilder::DateTime(builder) => {
                let nanos = match transform {
                    Some(transform) => epoch_count_to_nanos(text, transform.unit_nanos()),
                    None => parse::parse_datetime(text),
                };
                stored(|value| builder.append_option(value), nanos)
            }
            ColumnBuilder::TimeSpan(builder) => stored(
                |value| builder.append_option(value),
                parse::parse_timespan(text),
            ),
            ColumnBuilder::Guid(builder) => match parse::parse_guid(text) {
                Some(guid) => match builder.append_value(guid) {
                    Ok(()) => Appended::Value,
                    Err(_) => {
                        builder.append_null();
                        Appended::Unparsable
                    }
                },
                None => {
                    builder.append_null();
                    Appended::Unparsable
                }
            },
            ColumnBuilder::Dynamic(builder) => {
                builder.append_value(parse::parse_dynamic(text));
                Appended::Value
            }
        }
    }

    /// A JSON value (valid JSON text, as found in the body). JSON null is null; a string's contents
    /// are read as text; numbers and booleans convert where the type allows; string columns take
    /// non-strings as compact JSON text and dynamic columns take everything as compact JSON text.
    pub(crate) fn append_json(&mut self, raw: &str, transform: Option<Transform>) -> Appended {
        let kind = json_scan::kind_of(raw);
        if kind == JsonKind::Null {
            self.append_null();
            return Appended::Value;
        }
        if let ColumnBuilder::Dynamic(builder) = self {
            builder.append_value(parse::compact_json(raw));
            return Appended::Value;
        }
        if kind == JsonKind::String {
            let Some(contents) = json_scan::unescape_string(raw) else {
                self.append_null();
                return Appended::Unparsable;
            };
            return self.append_text(&contents, transform);
        }
        match self {
            ColumnBuilder::String(builder) => {
                builder.append_value(parse::compact_json(raw));
                Appended::Value
            }
            ColumnBuilder::Bool(builder) => {
                let value = match kind {
                    JsonKind::Bool => Some(raw == "true"),
                    JsonKind::Number => parse::parse_real(raw).map(|number| number != 0.0),
                    _ => None,
                };
                stored(|value| builder.append_option(value), value)
            }
            ColumnBuilder::Int(builder) => {
                let value = match kind {
                    JsonKind::Bool => Some(i32::from(raw == "true")),
                    JsonKind::Number => {
                        integral_long(raw).and_then(|long| i32::try_from(long).ok())
                    }
                    _ => None,
                };
                stored(|value| builder.append_option(value), value)
            }
            ColumnBuilder::Long(builder) => {
                let value = match kind {
                    JsonKind::Bool => Some(i64::from(raw == "true")),
                    JsonKind::Number => integral_long(raw),
                    _ => None,
                };
                stored(|value| builder.append_option(value), value)
            }
            ColumnBuilder::Real(builder) => {
                let value = match kind {
                    JsonKind::Bool => Some(if raw == "true" { 1.0 } else { 0.0 }),
                    JsonKind::Number => parse::parse_real(raw),
                    _ => None,
                };
                stored(|value| builder.append_option(value), value)
            }
            ColumnBuilder::Decimal(builder) => {
                let value = if kind == JsonKind::Number {
                    parse::parse_decimal(raw)
                } else {
                    None
                };
                stored(|value| builder.append_option(value), value)
            }
            ColumnBuilder::DateTime(builder) => {
                let value = match (kind, transform) {
                    (JsonKind::Number, Some(transform)) => {
                        epoch_count_to_nanos(raw, transform.unit_nanos())
                    }
                    _ => None,
                };
                stored(|value| builder.append_option(value), value)
            }
            ColumnBuilder::TimeSpan(_) | ColumnBuilder::Guid(_) | ColumnBuilder::Dynamic(_) => {
                self.append_null();
                Appended::Unparsable
            }
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Bool(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Int(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Long(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Real(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Decimal(builder) => Arc::new(builder.finish()),
            ColumnBuilder::String(builder) => Arc::new(builder.finish()),
            ColumnBuilder::DateTime(builder) => Arc::new(builder.finish()),
            ColumnBuilder::TimeSpan(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Guid(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Dynamic(builder) => Arc::new(builder.finish()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            ColumnBuilder::Bool(builder) => builder.len(),
            ColumnBuilder::Int(builder) => builder.len(),
            ColumnBuilder::Long(builder) => builder.len(),
            ColumnBuilder::Real(builder) => builder.len(),
            ColumnBuilder::Decimal(builder) => builder.len(),
            ColumnBuilder::String(builder) => builder.len(),
            ColumnBuilder::DateTime(builder) => builder.len(),
            ColumnBuilder::TimeSpan(builder) => builder.len(),
            ColumnBuilder::Guid(builder) => builder.len(),
            ColumnBuilder::Dynamic(builder) => builder.len(),
        }
    }
}
