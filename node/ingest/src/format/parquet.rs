//! Parquet bodies: read with the parquet crate's Arrow reader, columns matched to the table by name
//! (or by a mapping's `Field`/`$.name`), converted to the table's Arrow types.
//!
//! Conversions: the same type is kept; text columns into non-string columns are read with Kusto's
//! text rules (as CSV fields are); nested values into dynamic become JSON text; everything else goes
//! through Arrow's `cast` (int32→long, float→real, any timestamp unit→ns UTC, ...) where values
//! that do not fit become null. A column the file lacks is null; a type Arrow cannot cast is an error.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, new_null_array};
use arrow::compute::{CastOptions, can_cast_types, cast_with_options};
use arrow::datatypes::{
    DataType, Field, Schema, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow::json::LineDelimitedWriter;
use arrow::record_batch::RecordBatchOptions;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tarn_common::{Column, KustoType};

use super::assemble::BatchAssembler;
use super::column::ColumnBuilder;
use super::error::{FormatError, Result};
use super::json_scan;
use super::mapping::{ColumnSource, ResolvedColumn};
use super::{ParseOptions, ParsedBody};

pub(crate) fn parse_parquet(
    body: &[u8],
    schema: &[Column],
    sources: &[ResolvedColumn],
    options: &ParseOptions,
) -> Result<ParsedBody> {
    let mut assembler = BatchAssembler::new(schema, options.batch_rows_max);
    let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(body)).map_err(
        |error| FormatError::InvalidParquet {
            reason: error.to_string(),
        },
    )?;
    let reader = builder
        .with_batch_size(options.batch_rows_max.max(1))
        .build()
        .map_err(|error| FormatError::InvalidParquet {
            reason: error.to_string(),
        })?;
    let arrow_schema = assembler.arrow_schema().clone();
    let mut rows_before: u64 = 0;
    for file_batch in reader {
        let file_batch = file_batch.map_err(|error| FormatError::InvalidParquet {
            reason: error.to_string(),
        })?;
        let rows = file_batch.num_rows();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.len());
        for (column_index, (column, resolved)) in schema.iter().zip(sources).enumerate() {
            let target_type = column.kusto_type.arrow_type();
            let array = match &resolved.source {
                ColumnSource::Name(name) => match file_batch.column_by_name(name) {
                    Some(file_array) => convert_column(
                        &mut assembler,
                        column_index,
                        column,
                        name,
                        file_array,
                        rows_before,
                    )?,
                    None => new_null_array(&target_type, rows),
                },
                ColumnSource::Constant(text) => {
                    let mut builder = ColumnBuilder::new(column.kusto_type, rows);
                    for row in 0..rows {
                        let appended = builder.append_text(text, resolved.transform);
                        assembler.note(
                            appended,
                            rows_before + row as u64 + 1,
                            column_index,
                            text.as_bytes(),
                        );
                    }
                    builder.finish()
                }
                ColumnSource::Path(_) | ColumnSource::Ordinal(_) | ColumnSource::Missing => {
                    new_null_array(&target_type, rows)
                }
            };
            columns.push(array);
        }
        let batch_options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch =
            RecordBatch::try_new_with_options(arrow_schema.clone(), columns, &batch_options)
                .map_err(|source| FormatError::BatchAssembly { source })?;
        assembler.push_batch(batch);
        rows_before += rows as u64;
    }
    assembler.finish()
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

fn is_nested(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(_, _)
            | DataType::ListView(_)
            | DataType::LargeListView(_)
            | DataType::Struct(_)
            | DataType::Map(_, _)
    )
}

fn column_type_error(column: &Column, file_column: &str, file_type: &DataType) -> FormatError {
    FormatError::ParquetColumnType {
        file_column: file_column.to_owned(),
        file_type: file_type.to_string(),
        column: column.name.clone(),
        kusto_type: column.kusto_type.name(),
    }
}

/// One file column as the table column's Arrow type.
fn convert_column(
    assembler: &mut BatchAssembler<'_>,
    column_index: usize,
    column: &Column,
    file_column: &str,
    file_array: &ArrayRef,
    rows_before: u64,
) -> Result<ArrayRef> {
    let target_type = column.kusto_type.arrow_type();
    let source_type = file_array.data_type();
    if *source_type == target_type {
        return Ok(file_array.clone());
    }
    if is_text(source_type) && column.kusto_type != KustoType::String {
        return Ok(convert_text(
            assembler,
            column_index,
            column,
            file_array,
            rows_before,
        ));
    }
    if column.kusto_type == KustoType::Dynamic && is_nested(source_type) {
        return nested_to_json(column, file_column, file_array);
    }
    if column.kusto_type == KustoType::DateTime
        && matches!(
            source_type,
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64
        )
    {
        return timestamps_to_utc_nanos(assembler, column, file_column, file_array);
    }
    if !can_cast_types(source_type, &target_type) {
        return Err(column_type_error(column, file_column, source_type));
    }
    let cast_options = CastOptions {
        safe: true,
        ..CastOptions::default()
    };
    let converted = cast_with_options(file_array, &target_type, &cast_options)
        .map_err(|_| column_type_error(column, file_column, source_type))?;
    // `safe` turns values that do not fit (an int64 beyond int range) into nulls; count them.
    let lost = converted
        .null_count()
        .saturating_sub(file_array.null_count());
    assembler.note_lost_values(lost as u64);
    Ok(converted)
}

/// Timestamps in any unit and zone (and dates) as nanoseconds with the zone set to UTC. Arrow
/// stores zoned timestamps as UTC instants already and naive ones are taken as UTC, so only the
/// unit changes; the zone is set afterwards because casting to a named zone needs `chrono-tz`.
fn timestamps_to_utc_nanos(
    assembler: &mut BatchAssembler<'_>,
    column: &Column,
    file_column: &str,
    file_array: &ArrayRef,
) -> Result<ArrayRef> {
    let naive_nanos = DataType::Timestamp(TimeUnit::Nanosecond, None);
    let source_type = file_array.data_type();
    // Dropping the zone is metadata only (the values are UTC instants either way); `cast` would
    // instead resolve the zone's name, which needs `chrono-tz`.
    let no_zone: Option<&str> = None;
    let without_zone: ArrayRef = match source_type {
        DataType::Timestamp(TimeUnit::Second, Some(_)) => Arc::new(
            file_array
                .as_primitive::<TimestampSecondType>()
                .clone()
                .with_timezone_opt(no_zone),
        ),
        DataType::Timestamp(TimeUnit::Millisecond, Some(_)) => Arc::new(
            file_array
                .as_primitive::<TimestampMillisecondType>()
                .clone()
                .with_timezone_opt(no_zone),
        ),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => Arc::new(
            file_array
                .as_primitive::<TimestampMicrosecondType>()
                .clone()
                .with_timezone_opt(no_zone),
        ),
        DataType::Timestamp(TimeUnit::Nanosecond, Some(_)) => Arc::new(
            file_array
                .as_primitive::<TimestampNanosecondType>()
                .clone()
                .with_timezone_opt(no_zone),
        ),
        _ => file_array.clone(),
    };
    let cast_options = CastOptions {
        safe: true,
        ..CastOptions::default()
    };
    let converted = cast_with_options(&without_zone, &naive_nanos, &cast_options)
        .map_err(|_| column_type_error(column, file_column, source_type))?;
    let lost = converted
        .null_count()
        .saturating_sub(file_array.null_count());
    assembler.note_lost_values(lost as u64);
    let utc = converted
        .as_primitive::<TimestampNanosecondType>()
        .clone()
        .with_timezone("UTC");
    Ok(Arc::new(utc))
}

/// Text values read with Kusto's text rules, like CSV fields.
fn convert_text(
    assembler: &mut BatchAssembler<'_>,
    column_index: usize,
    column: &Column,
    file_array: &ArrayRef,
    rows_before: u64,
) -> ArrayRef {
    let mut builder = ColumnBuilder::new(column.kusto_type, file_array.len());
    let mut append =
        |assembler: &mut BatchAssembler<'_>, row: usize, value: Option<&str>| match value {
            Some(text) => {
                let appended = builder.append_field(text.as_bytes(), None);
                assembler.note(
                    appended,
                    rows_before + row as u64 + 1,
                    column_index,
                    text.as_bytes(),
                );
            }
            None => builder.append_null(),
        };
    match file_array.data_type() {
        DataType::Utf8 => {
            for (row, value) in file_array.as_string::<i32>().iter().enumerate() {
                append(assembler, row, value);
            }
        }
        DataType::LargeUtf8 => {
            for (row, value) in file_array.as_string::<i64>().iter().enumerate() {
                append(assembler, row, value);
            }
        }
        _ => {
            for (row, value) in file_array.as_string_view().iter().enumerate() {
                append(assembler, row, value);
            }
        }
    }
    builder.finish()
}

/// Lists, structs and maps as compact JSON text, via Arrow's JSON writer: each row is written as
/// `{"v":<value>}` and the value's text taken back out (a null row has no `v`).
fn nested_to_json(column: &Column, file_column: &str, file_array: &ArrayRef) -> Result<ArrayRef> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "v",
        file_array.data_type().clone(),
        true,
    )]));
    let single = RecordBatch::try_new(schema, vec![file_array.clone()])
        .map_err(|_| column_type_error(column, file_column, file_array.data_type()))?;
    let mut lines = Vec::new();
    {
        let mut writer = LineDelimitedWriter::new(&mut lines);
        writer
            .write(&single)
            .map_err(|_| column_type_error(column, file_column, file_array.data_type()))?;
        writer
            .finish()
            .map_err(|_| column_type_error(column, file_column, file_array.data_type()))?;
    }
    let text = String::from_utf8(lines)
        .map_err(|_| column_type_error(column, file_column, file_array.data_type()))?;
    let mut builder = ColumnBuilder::new(KustoType::Dynamic, file_array.len());
    for line in text.lines() {
        match json_scan::member(line, "v") {
            Some(value) => {
                let _always_stored = builder.append_json(value, None);
            }
            None => builder.append_null(),
        }
    }
    Ok(builder.finish())
}
