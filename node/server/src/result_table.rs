//! Small result tables for management commands, built row by row.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, FixedSizeBinaryBuilder, DurationNanosecondBuilder, Int32Builder, Int64Builder, LargeStringBuilder, RecordBatch, StringBuilder, TimestampNanosecondBuilder};
use arrow::datatypes::{Field, Schema};
use tarn_common::KustoType;
use tarn_wire::{KustoError, ResultTable};

use crate::errors;

#[derive(Debug, Clone)]
pub enum Cell {
    Str(String),
    Long(i64),
    Int(i32),
    Bool(bool),
    DateTime(i64),
    TimeSpan(i64),
    /// JSON text in a dynamic column.
    Dynamic(String),
    Null,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Str(text.to_string())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Str(text)
    }
}

impl From<i64> for Cell {
    fn from(number: i64) -> Cell {
        Cell::Long(number)
    }
}

impl From<u64> for Cell {
    fn from(number: u64) -> Cell {
        Cell::Long(i64::try_from(number).unwrap_or(i64::MAX))
    }
}

impl From<bool> for Cell {
    fn from(flag: bool) -> Cell {
        Cell::Bool(flag)
    }
}

pub struct TableBuilder {
    columns: Vec<(String, KustoType)>,
    rows: Vec<Vec<Cell>>,
}

impl TableBuilder {
    pub fn new(columns: &[(&str, KustoType)]) -> TableBuilder {
        TableBuilder { columns: columns.iter().map(|(name, kind)| (name.to_string(), *kind)).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub fn build(self) -> Result<ResultTable, KustoError> {
        let schema = Arc::new(Schema::new(
            self.columns.iter().map(|(name, kind)| Field::new(name, kind.arrow_type(), true)).collect::<Vec<_>>(),
        ));
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for (index, (_, kind)) in self.columns.iter().enumerate() {
            let cells = self.rows.iter().map(|row| row.get(index).cloned().unwrap_or(Cell::Null));
            let array: ArrayRef = match kind {
                KustoType::Long => {
                    let mut builder = Int64Builder::new();
                    for cell in cells {
                        builder.append_option(match cell { Cell::Long(n) => Some(n), Cell::Int(n) => Some(i64::from(n)), _ => None });
                    }
                    Arc::new(builder.finish())
                }
                KustoType::Int => {
                    let mut builder = Int32Builder::new();
                    for cell in cells {
                        builder.append_option(match cell { Cell::Int(n) => Some(n), Cell::Long(n) => i32::try_from(n).ok(), _ => None });
                    }
                    Arc::new(builder.finish())
                }
                KustoType::Bool => {
                    let mut builder = BooleanBuilder::new();
                    for cell in cells {
                        builder.append_option(match cell { Cell::Bool(flag) => Some(flag), _ => None });
                    }
                    Arc::new(builder.finish())
                }
                KustoType::DateTime => {
                    let mut builder = TimestampNanosecondBuilder::new().with_timezone("UTC");
                    for cell in cells {
                        builder.append_option(match cell { Cell::DateTime(nanos) => Some(nanos), _ => None });
                    }
                    Arc::new(builder.finish())
                }
                KustoType::TimeSpan => {
                    let mut builder = DurationNanosecondBuilder::new();
                    for cell in cells {
                        builder.append_option(match cell { Cell::TimeSpan(nanos) => Some(nanos), _ => None });
                    }
                    Arc::new(builder.finish())
                }
                KustoType::Dynamic => {
                    let mut builder = LargeStringBuilder::new();
                    for cell in cells {
                        match cell {
                            Cell::Dynamic(json) => builder.append_value(json),
                            Cell::Str(text) => builder.append_value(serde_json::Value::String(text).to_string()),
                            _ => builder.append_null(),
                        }
                    }
                    Arc::new(builder.finish())
                }
                KustoType::Guid => {
                    let mut builder = FixedSizeBinaryBuilder::new(16);
                    for cell in cells {
                        match cell {
                            Cell::Str(text) => match tarn_common::text::parse::parse_guid(&text) {
                                Some(bytes) => builder.append_value(bytes).map_err(|error| errors::internal(error.to_string()))?,
                                None => builder.append_null(),
                            },
                            _ => builder.append_null(),
                        }
                    }
                    Arc::new(builder.finish())
                }
                _ => {
                    let mut builder = StringBuilder::new();
                    for cell in cells {
                        match cell {
                            Cell::Str(text) | Cell::Dynamic(text) => builder.append_value(text),
                            Cell::Long(n) => builder.append_value(n.to_string()),
                            Cell::Int(n) => builder.append_value(n.to_string()),
                            Cell::Bool(flag) => builder.append_value(flag.to_string()),
                            Cell::DateTime(nanos) => builder.append_value(tarn_common::text::format::format_datetime(nanos)),
                            Cell::TimeSpan(nanos) => builder.append_value(tarn_common::text::format::format_timespan(nanos)),
                            Cell::Null => builder.append_value(""),
                        }
                    }
                    Arc::new(builder.finish())
                }
            };
            arrays.push(array);
        }
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).map_err(|error| errors::internal(error.to_string()))?;
        Ok(ResultTable { name: "Table_0".into(), batches: vec![batch], schema })
    }
}
