//! Parquet output: typed columns (timestamp(ns, UTC), Utf8, Float64, Int64), rows gathered into
//! Arrow batches of [`BATCH_ROWS`] and written in row groups of [`ROW_GROUP_ROWS_MAX`], so memory
//! stays at one row group's encoded pages whatever the table's size.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampNanosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::record::Value;
use super::sink::Sink;
use crate::error::{Error, Result};
use crate::schema::{ColumnType, TableSchema};

/// Rows per Parquet row group (what readers parallelize over).
pub const ROW_GROUP_ROWS_MAX: usize = 1 << 20;
/// Rows gathered before they are handed to the Parquet writer.
const BATCH_ROWS: usize = 64 * 1024;

enum ColumnBuilder {
    DateTime(TimestampNanosecondBuilder),
    String(StringBuilder),
    Real(Float64Builder),
    Long(Int64Builder),
}

impl ColumnBuilder {
    fn new(column_type: ColumnType) -> ColumnBuilder {
        match column_type {
            ColumnType::DateTime => ColumnBuilder::DateTime(
                TimestampNanosecondBuilder::with_capacity(BATCH_ROWS).with_timezone("UTC"),
            ),
            ColumnType::String => {
                ColumnBuilder::String(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8))
            }
            ColumnType::Real { .. } => {
                ColumnBuilder::Real(Float64Builder::with_capacity(BATCH_ROWS))
            }
            ColumnType::Long => ColumnBuilder::Long(Int64Builder::with_capacity(BATCH_ROWS)),
        }
    }

    /// Appends `value`; a value of another type than the column's is stored as null.
    fn append(&mut self, value: &Value<'_>) {
        match (self, value) {
            (ColumnBuilder::DateTime(builder), Value::DateTime(nanos)) => {
                builder.append_value(*nanos)
            }
            (ColumnBuilder::String(builder), Value::Str(text)) => builder.append_value(text),
            (ColumnBuilder::Real(builder), Value::Real(real)) => builder.append_option(*real),
            (ColumnBuilder::Long(builder), Value::Long(long)) => builder.append_option(*long),
            (ColumnBuilder::DateTime(builder), _) => builder.append_null(),
            (ColumnBuilder::String(builder), _) => builder.append_null(),
            (ColumnBuilder::Real(builder), _) => builder.append_null(),
            (ColumnBuilder::Long(builder), _) => builder.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::DateTime(builder) => Arc::new(builder.finish()),
            ColumnBuilder::String(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Real(builder) => Arc::new(builder.finish()),
            ColumnBuilder::Long(builder) => Arc::new(builder.finish()),
        }
    }
}

/// The Arrow schema a table is written with.
pub fn arrow_schema(table: &TableSchema) -> SchemaRef {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|column| {
            let data_type = match column.column_type {
                ColumnType::DateTime => {
                    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
                }
                ColumnType::String => DataType::Utf8,
                ColumnType::Real { .. } => DataType::Float64,
                ColumnType::Long => DataType::Int64,
            };
            Field::new(column.name, data_type, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

pub struct ParquetSink<W: Write + Send> {
    writer: ArrowWriter<W>,
    table: &'static TableSchema,
    schema: SchemaRef,
    builders: Vec<ColumnBuilder>,
    rows_buffered: usize,
    label: PathBuf,
}

impl<W: Write + Send> ParquetSink<W> {
    pub fn new(
        output: W,
        table: &'static TableSchema,
        label: impl Into<PathBuf>,
    ) -> Result<ParquetSink<W>> {
        let label = label.into();
        let schema = arrow_schema(table);
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS_MAX))
            .set_compression(Compression::SNAPPY)
            .build();
        let writer = ArrowWriter::try_new(output, Arc::clone(&schema), Some(properties)).map_err(
            |source| Error::Parquet {
                path: label.clone(),
                source,
            },
        )?;
        Ok(ParquetSink {
            writer,
            table,
            schema,
            builders: table
                .columns
                .iter()
                .map(|column| ColumnBuilder::new(column.column_type))
                .collect(),
            rows_buffered: 0,
            label,
        })
    }

    pub fn write_row(&mut self, values: &[Value<'_>]) -> Result<()> {
        for (builder, value) in self.builders.iter_mut().zip(values) {
            builder.append(value);
        }
        self.rows_buffered += 1;
        if self.rows_buffered >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<()> {
        if self.rows_buffered == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        self.rows_buffered = 0;
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns).map_err(|source| {
            Error::Arrow {
                table: self.table.name,
                source,
            }
        })?;
        self.writer.write(&batch).map_err(|source| Error::Parquet {
            path: self.label.clone(),
            source,
        })
    }

    /// Writes the footer and returns the output.
    pub fn into_inner(mut self) -> Result<W> {
        self.flush_batch()?;
        let label = self.label;
        self.writer.into_inner().map_err(|source| Error::Parquet {
            path: label,
            source,
        })
    }
}

impl<W: Write + Send> Sink for ParquetSink<W> {
    fn write(&mut self, values: &[Value<'_>]) -> Result<()> {
        self.write_row(values)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.into_inner().map(drop)
    }
}
