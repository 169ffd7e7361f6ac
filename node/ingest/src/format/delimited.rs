//! The CSV-like formats (csv, tsv, scsv, sohsv, psv: RFC 4180 quoting, fields by ordinal) and txt
//! (each line is a record whose only field is the whole line).
//!
//! Kusto's rules: no header row unless `ignoreFirstRecord`; fewer fields than columns leaves the
//! rest null; extra fields are ignored; blank lines are not CSV records. In txt every line is a
//! record, a blank one included (it stores `""`).

use super::ParseOptions;
use super::ParsedBody;
use super::assemble::BatchAssembler;
use super::column::{Appended, ColumnBuilder};
use super::error::{FormatError, Result};
use super::mapping::{ColumnSource, ResolvedColumn};
use super::strip_byte_order_mark;
use tarn_common::Column;

/// Appends record `record_number`'s value for every column, `field_at(ordinal)` giving the fields.
fn append_record<'field>(
    assembler: &mut BatchAssembler<'_>,
    sources: &[ResolvedColumn],
    record_number: u64,
    field_bytes_max: usize,
    field_at: impl Fn(usize) -> Option<&'field [u8]>,
) -> Result<()> {
    for (column_index, resolved) in sources.iter().enumerate() {
        let (appended, value): (Appended, &[u8]) = {
            let Some(builder) = assembler.builders.get_mut(column_index) else {
                continue;
            };
            match &resolved.source {
                ColumnSource::Ordinal(ordinal) => match field_at(*ordinal) {
                    Some(field) => {
                        if field.len() > field_bytes_max {
                            return Err(FormatError::FieldTooLarge {
                                record_number,
                                field_index: *ordinal,
                                field_bytes: field.len(),
                                bytes_max: field_bytes_max,
                            });
                        }
                        (builder.append_field(field, resolved.transform), field)
                    }
                    None => {
                        builder.append_null();
                        (Appended::Value, &[])
                    }
                },
                ColumnSource::Constant(text) => (
                    builder.append_text(text, resolved.transform),
                    text.as_bytes(),
                ),
                ColumnSource::Path(_) | ColumnSource::Name(_) | ColumnSource::Missing => {
                    ColumnBuilder::append_null(builder);
                    (Appended::Value, &[])
                }
            }
        };
        assembler.note(appended, record_number, column_index, value);
    }
    assembler.end_row()
}

pub(crate) fn parse_delimited(
    body: &[u8],
    delimiter: u8,
    schema: &[Column],
    sources: &[ResolvedColumn],
    options: &ParseOptions,
) -> Result<ParsedBody> {
    let body = strip_byte_order_mark(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    let mut assembler = BatchAssembler::new(schema, options.batch_rows_max);
    let mut record_number: u64 = 0;
    loop {
        // With `flexible` the reader accepts any bytes and a slice has no I/O errors, so this should
        // not happen; it is still an error, not a panic, because the input is untrusted.
        let more =
            reader
                .read_byte_record(&mut record)
                .map_err(|error| FormatError::InvalidCsv {
                    record_number: record_number + 1,
                    reason: error.to_string(),
                })?;
        if !more {
            break;
        }
        record_number += 1;
        if options.skip_first_record && record_number == 1 {
            continue;
        }
        append_record(
            &mut assembler,
            sources,
            record_number,
            options.field_bytes_max,
            |ordinal| record.get(ordinal),
        )?;
    }
    assembler.finish()
}

pub(crate) fn parse_txt(
    body: &[u8],
    schema: &[Column],
    sources: &[ResolvedColumn],
    options: &ParseOptions,
) -> Result<ParsedBody> {
    let body = strip_byte_order_mark(body);
    let mut assembler = BatchAssembler::new(schema, options.batch_rows_max);
    // A final newline ends the last line; it does not start an empty one.
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    if body.is_empty() {
        return assembler.finish();
    }
    let mut record_number: u64 = 0;
    for line in body.split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        record_number += 1;
        if options.skip_first_record && record_number == 1 {
            continue;
        }
        append_record(
            &mut assembler,
            sources,
            record_number,
            options.field_bytes_max,
            |ordinal| {
                if ordinal == 0 { Some(line) } else { None }
            },
        )?;
    }
    assembler.finish()
}
