//! tarn-types: the ten Kusto scalar types and how each is laid out in Arrow.
//!
//! Shared by the node (`tarn-common` re-exports it) and the client SDK, which must not depend on
//! `node/`: a batch the server writes and a batch the client decodes use one mapping, so a result
//! read from Tarn can be ingested back unchanged.
//!
//! | Kusto    | Arrow                                   |
//! |----------|-----------------------------------------|
//! | bool     | Boolean                                 |
//! | int      | Int32                                   |
//! | long     | Int64                                   |
//! | real     | Float64                                 |
//! | decimal  | Decimal128(38, 18)                      |
//! | string   | Utf8 (null reads as "")                 |
//! | datetime | Timestamp(Nanosecond, "UTC")            |
//! | timespan | Duration(Nanosecond)                    |
//! | guid     | FixedSizeBinary(16)                     |
//! | dynamic  | LargeUtf8 holding compact JSON text     |
//!
//! Every Kusto type has its own Arrow type, so the Kusto type of a column is recovered from its
//! Arrow type alone ([`KustoType::from_arrow`]). `dynamic` as JSON text is a first cut (see
//! ARCHITECTURE.md, "Known gaps"): LargeUtf8 keeps it distinct from `string`, and every place that
//! touches dynamic values goes through this mapping, so it can move to a binary encoding without
//! touching its callers.

use std::fmt;

use arrow::datatypes::{DataType, TimeUnit};
use serde::{Deserialize, Serialize};

/// Precision and scale of Kusto's `decimal` in Arrow.
pub const DECIMAL_PRECISION: u8 = 38;
pub const DECIMAL_SCALE: i8 = 18;

/// A Kusto scalar type. Serialized by its lowercase Kusto name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KustoType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
}

impl KustoType {
    pub const ALL: [KustoType; 10] = [
        KustoType::Bool,
        KustoType::Int,
        KustoType::Long,
        KustoType::Real,
        KustoType::Decimal,
        KustoType::String,
        KustoType::DateTime,
        KustoType::TimeSpan,
        KustoType::Guid,
        KustoType::Dynamic,
    ];

    /// The Kusto type name (`ColumnType` on the wire, `getschema`'s `ColumnType`).
    pub fn name(self) -> &'static str {
        match self {
            KustoType::Bool => "bool",
            KustoType::Int => "int",
            KustoType::Long => "long",
            KustoType::Real => "real",
            KustoType::Decimal => "decimal",
            KustoType::String => "string",
            KustoType::DateTime => "datetime",
            KustoType::TimeSpan => "timespan",
            KustoType::Guid => "guid",
            KustoType::Dynamic => "dynamic",
        }
    }

    /// The CLR type name (`DataType` in v1 tables, `getschema`'s `DataType`).
    pub fn clr_name(self) -> &'static str {
        match self {
            KustoType::Bool => "System.Boolean",
            KustoType::Int => "System.Int32",
            KustoType::Long => "System.Int64",
            KustoType::Real => "System.Double",
            KustoType::Decimal => "System.Data.SqlTypes.SqlDecimal",
            KustoType::String => "System.String",
            KustoType::DateTime => "System.DateTime",
            KustoType::TimeSpan => "System.TimeSpan",
            KustoType::Guid => "System.Guid",
            KustoType::Dynamic => "System.Object",
        }
    }

    /// The short CLR name used in v1 `DataType` (`String`, `Int64`, `DateTime`, ...).
    pub fn v1_data_type(self) -> &'static str {
        match self {
            KustoType::Bool => "Boolean",
            KustoType::Int => "Int32",
            KustoType::Long => "Int64",
            KustoType::Real => "Double",
            KustoType::Decimal => "Decimal",
            KustoType::String => "String",
            KustoType::DateTime => "DateTime",
            KustoType::TimeSpan => "TimeSpan",
            KustoType::Guid => "Guid",
            KustoType::Dynamic => "Object",
        }
    }

    /// Parses a Kusto type name or alias as KQL accepts it (`long`, `int64`, `double`, `date`,
    /// `time`, `uuid`, ...). `None` for anything else.
    pub fn parse(text: &str) -> Option<KustoType> {
        Some(match text.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => KustoType::Bool,
            "int" | "int32" => KustoType::Int,
            "long" | "int64" => KustoType::Long,
            "real" | "double" => KustoType::Real,
            "decimal" => KustoType::Decimal,
            "string" => KustoType::String,
            "datetime" | "date" => KustoType::DateTime,
            "timespan" | "time" => KustoType::TimeSpan,
            "guid" | "uuid" | "uniqueid" => KustoType::Guid,
            "dynamic" => KustoType::Dynamic,
            _ => return None,
        })
    }

    /// Reads a column type as servers send it: a Kusto name or alias ([`KustoType::parse`]) or a
    /// CLR name (v1 `DataType`: `Int64`, `SByte`, `System.Object`, `SqlDecimal`, ...).
    pub fn parse_wire(text: &str) -> Option<KustoType> {
        let lowercase = text.to_ascii_lowercase();
        let bare = lowercase.strip_prefix("system.").unwrap_or(&lowercase);
        KustoType::parse(bare).or(match bare {
            // Kusto's v1 tables call bool `SByte`, after the .NET type it was stored as.
            "sbyte" => Some(KustoType::Bool),
            "data.sqltypes.sqldecimal" | "sqldecimal" => Some(KustoType::Decimal),
            "object" => Some(KustoType::Dynamic),
            _ => None,
        })
    }

    /// The Arrow type a column of this Kusto type is stored and decoded as.
    pub fn arrow_type(self) -> DataType {
        match self {
            KustoType::Bool => DataType::Boolean,
            KustoType::Int => DataType::Int32,
            KustoType::Long => DataType::Int64,
            KustoType::Real => DataType::Float64,
            KustoType::Decimal => DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
            KustoType::String => DataType::Utf8,
            KustoType::DateTime => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            KustoType::TimeSpan => DataType::Duration(TimeUnit::Nanosecond),
            KustoType::Guid => DataType::FixedSizeBinary(16),
            KustoType::Dynamic => DataType::LargeUtf8,
        }
    }

    /// The Kusto type an Arrow type stands for: the inverse of [`KustoType::arrow_type`], also
    /// accepting the types an engine produces or a caller builds that are not one of the ten (other
    /// integer widths, Utf8View, other time units, any decimal, Null). `None` for lists, structs,
    /// binary.
    pub fn from_arrow(data_type: &DataType) -> Option<KustoType> {
        Some(match data_type {
            DataType::Boolean => KustoType::Bool,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
                KustoType::Int
            }
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KustoType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KustoType::Real,
            DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _) => KustoType::Decimal,
            DataType::Utf8 | DataType::Utf8View => KustoType::String,
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => KustoType::DateTime,
            DataType::Duration(_) => KustoType::TimeSpan,
            DataType::FixedSizeBinary(16) => KustoType::Guid,
            DataType::LargeUtf8 => KustoType::Dynamic,
            DataType::Null => KustoType::String,
            _ => return None,
        })
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, KustoType::Int | KustoType::Long | KustoType::Real | KustoType::Decimal)
    }
}

impl fmt::Display for KustoType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the Arrow mapping is a bijection on the ten types (a schema survives the trip
    /// through Arrow unchanged), and that the names servers send, Kusto and CLR, are understood
    /// while KQL itself accepts only Kusto names.
    #[test]
    fn arrow_mapping_and_names() {
        for kusto_type in KustoType::ALL {
            assert_eq!(KustoType::from_arrow(&kusto_type.arrow_type()), Some(kusto_type));
            assert_eq!(KustoType::parse(kusto_type.name()), Some(kusto_type));
            assert_eq!(KustoType::parse_wire(kusto_type.clr_name()), Some(kusto_type));
            assert_eq!(KustoType::parse_wire(kusto_type.v1_data_type()), Some(kusto_type));
        }
        assert_eq!(KustoType::parse_wire("SByte"), Some(KustoType::Bool));
        assert_eq!(KustoType::parse("SByte"), None);
        assert_eq!(KustoType::parse("System.Object"), None);
        assert_eq!(KustoType::parse("uniqueid"), Some(KustoType::Guid));
        assert_eq!(KustoType::parse_wire("blob"), None);
    }
}
