//! KQL scalar types and how each is laid out in Arrow.
//!
//! | KQL      | Arrow                                   |
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
//! `dynamic` as JSON text is a first cut (see ARCHITECTURE.md, "Known gaps"): the type is kept
//! distinct from `string` by using LargeUtf8, so every place that touches dynamic values goes
//! through this mapping and can move to a binary encoding without touching its callers.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use serde::{Deserialize, Serialize};

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

pub const DECIMAL_PRECISION: u8 = 38;
pub const DECIMAL_SCALE: i8 = 18;

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

    /// Parses a Kusto type name or alias (`long`, `int64`, `double`, `date`, `time`, `uuid`, ...).
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

    /// The KQL type an Arrow type stands for. Types the engine produces internally that are not one
    /// of the ten (other integer widths, Utf8View, timestamps in other units) map to the KQL type
    /// they are read as.
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

/// A named, typed column of a table schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kusto_type: KustoType,
}

impl Column {
    pub fn new(name: impl Into<String>, kusto_type: KustoType) -> Column {
        Column { name: name.into(), kusto_type }
    }

    pub fn arrow_field(&self) -> Field {
        Field::new(&self.name, self.kusto_type.arrow_type(), true)
    }
}

/// The Arrow schema of a list of KQL columns (all nullable: KQL has no NOT NULL).
pub fn arrow_schema(columns: &[Column]) -> Arc<Schema> {
    Arc::new(Schema::new(columns.iter().map(Column::arrow_field).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the Arrow mapping is a bijection on the ten KQL types, so a schema survives the trip
    /// through Arrow (extents, query results) unchanged.
    #[test]
    fn arrow_mapping_round_trips() {
        for kusto_type in KustoType::ALL {
            assert_eq!(KustoType::from_arrow(&kusto_type.arrow_type()), Some(kusto_type));
            assert_eq!(KustoType::parse(kusto_type.name()), Some(kusto_type));
        }
    }
}
