//! The JSON formats: `json` (JSON lines: one object per line, blank lines skipped), `multijson`
//! (objects and arrays of objects, any whitespace between them) and `singlejson` (one object).
//!
//! Each record is validated by serde_json, then its values are found as slices of the body
//! (`json_scan`), by mapping path or, without a mapping, by property name (case-sensitive).

use std::collections::HashMap;

use serde::de::IgnoredAny;
use tarn_common::Column;

use super::assemble::BatchAssembler;
use super::column::Appended;
use super::error::{FormatError, Result, excerpt};
use super::json_scan::{self, JsonKind};
use super::mapping::{ColumnSource, PathStep, ResolvedColumn};
use super::{ParseOptions, ParsedBody, strip_byte_order_mark};

const JSON_WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// The body as text; JSON must be UTF-8.
fn body_text(body: &[u8]) -> Result<&str> {
    let body = strip_byte_order_mark(body);
    std::str::from_utf8(body).map_err(|error| {
        let valid = body.get(..error.valid_up_to()).unwrap_or_default();
        let line_start = valid
            .iter()
            .rposition(|byte| *byte == b'\n')
            .map_or(0, |position| position + 1);
        FormatError::InvalidJson {
            line_number: count_newlines(valid) + 1,
            column_number: (valid.len() - line_start) as u64 + 1,
            reason: "the body is not UTF-8 text".to_owned(),
            excerpt: excerpt(body.get(line_start..).unwrap_or_default()),
        }
    })
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|byte| **byte == b'\n').count() as u64
}

/// serde_json's message without its " at line L column C" suffix (the error carries those apart).
fn json_reason(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.split_once(" at line ") {
        Some((reason, _)) => reason.to_owned(),
        None => message,
    }
}

/// An excerpt of `line_text` starting a little before the 1-based byte `column_number`.
fn excerpt_near(line_text: &str, column_number: usize) -> String {
    const CONTEXT_BEFORE_BYTES: usize = 20;
    let start = column_number.saturating_sub(1 + CONTEXT_BEFORE_BYTES);
    excerpt(line_text.as_bytes().get(start..).unwrap_or_default())
}

/// The `line_number`-th line (1-based) of `text`.
fn nth_line(text: &str, line_number: usize) -> &str {
    text.split('\n')
        .nth(line_number.saturating_sub(1))
        .unwrap_or_default()
}

/// Table columns mapped by property name, by that name; found in one pass over each record.
struct NameIndex<'schema> {
    column_by_name: HashMap<&'schema str, usize>,
}

impl<'schema> NameIndex<'schema> {
    fn new(sources: &'schema [ResolvedColumn]) -> NameIndex<'schema> {
        let column_by_name = sources
            .iter()
            .enumerate()
            .filter_map(|(index, resolved)| match &resolved.source {
                ColumnSource::Name(name) => Some((name.as_str(), index)),
                _ => None,
            })
            .collect();
        NameIndex { column_by_name }
    }
}

fn resolve_path<'a>(record: &'a str, steps: &[PathStep]) -> Option<&'a str> {
    let mut current = record;
    for step in steps {
        current = match step {
            PathStep::Field(name) => json_scan::member(current, name)?,
            PathStep::Index(index) => json_scan::element(current, *index)?,
        };
    }
    Some(current)
}

/// Reads JSON records into the assembler, one object at a time.
struct RecordReader<'schema, 'body> {
    assembler: BatchAssembler<'schema>,
    sources: &'schema [ResolvedColumn],
    names: NameIndex<'schema>,
    values_by_name: Vec<Option<&'body str>>,
    records: u64,
}

impl<'schema, 'body> RecordReader<'schema, 'body> {
    fn new(
        schema: &'schema [Column],
        sources: &'schema [ResolvedColumn],
        options: &ParseOptions,
    ) -> Self {
        RecordReader {
            assembler: BatchAssembler::new(schema, options.batch_rows_max),
            sources,
            names: NameIndex::new(sources),
            values_by_name: Vec::with_capacity(sources.len()),
            records: 0,
        }
    }

    /// One record: `object` is the valid JSON text of an object.
    fn append_object(&mut self, object: &'body str) -> Result<()> {
        self.records += 1;
        let record_number = self.records;
        self.values_by_name.clear();
        self.values_by_name.resize(self.sources.len(), None);
        if !self.names.column_by_name.is_empty() {
            let column_by_name = &self.names.column_by_name;
            let values_by_name = &mut self.values_by_name;
            json_scan::for_each_member(object, |key, value| {
                if let Some(name) = json_scan::unescape_string(key)
                    && let Some(&column_index) = column_by_name.get(name.as_ref())
                    && let Some(slot @ None) = values_by_name.get_mut(column_index)
                {
                    *slot = Some(value);
                }
                true
            });
        }
        for (column_index, resolved) in self.sources.iter().enumerate() {
            let value = match &resolved.source {
                ColumnSource::Name(_) => self.values_by_name.get(column_index).copied().flatten(),
                ColumnSource::Path(steps) => resolve_path(object, steps),
                ColumnSource::Constant(text) => {
                    let Some(builder) = self.assembler.builders.get_mut(column_index) else {
                        continue;
                    };
                    let appended = builder.append_text(text, resolved.transform);
                    self.assembler
                        .note(appended, record_number, column_index, text.as_bytes());
                    continue;
                }
                ColumnSource::Ordinal(_) | ColumnSource::Missing => None,
            };
            let Some(builder) = self.assembler.builders.get_mut(column_index) else {
                continue;
            };
            let appended = match value {
                Some(raw) => builder.append_json(raw, resolved.transform),
                None => {
                    builder.append_null();
                    Appended::Value
                }
            };
            self.assembler.note(
                appended,
                record_number,
                column_index,
                value.unwrap_or_default().as_bytes(),
            );
        }
        self.assembler.end_row()
    }

    /// A top-level value of a multijson body: an object, or an array whose elements are objects.
    fn append_value(
        &mut self,
        raw: &'body str,
        line_number: u64,
        arrays_allowed: bool,
    ) -> Result<()> {
        match json_scan::kind_of(raw) {
            JsonKind::Object => self.append_object(raw),
            JsonKind::Array if arrays_allowed => {
                let mut elements = Vec::new();
                json_scan::for_each_element(raw, |element| {
                    elements.push(element);
                    true
                });
                for element in elements {
                    if json_scan::kind_of(element) != JsonKind::Object {
                        return Err(FormatError::JsonNotAnObject {
                            line_number,
                            expected_detail: " (or an array of objects)",
                            excerpt: excerpt(element.as_bytes()),
                        });
                    }
                    self.append_object(element)?;
                }
                Ok(())
            }
            _ => Err(FormatError::JsonNotAnObject {
                line_number,
                expected_detail: if arrays_allowed {
                    " (or an array of objects)"
                } else {
                    ""
                },
                excerpt: excerpt(raw.as_bytes()),
            }),
        }
    }

    fn finish(self) -> Result<ParsedBody> {
        self.assembler.finish()
    }
}

pub(crate) fn parse_json_lines(
    body: &[u8],
    schema: &[Column],
    sources: &[ResolvedColumn],
    options: &ParseOptions,
) -> Result<ParsedBody> {
    let text = body_text(body)?;
    let mut reader = RecordReader::new(schema, sources, options);
    for (line_index, line) in text.split('\n').enumerate() {
        let line_number = line_index as u64 + 1;
        let record = line.trim_matches(JSON_WHITESPACE);
        if record.is_empty() {
            continue;
        }
        if record.len() > options.record_bytes_max {
            return Err(FormatError::RecordTooLarge {
                line_number,
                record_bytes: record.len(),
                bytes_max: options.record_bytes_max,
            });
        }
        if let Err(error) = serde_json::from_str::<IgnoredAny>(record) {
            return Err(FormatError::InvalidJson {
                line_number,
                column_number: error.column() as u64,
                reason: json_reason(&error),
                excerpt: excerpt_near(record, error.column()),
            });
        }
        reader.append_value(record, line_number, false)?;
    }
    reader.finish()
}

/// Reads a stream of JSON values (multijson), or exactly one object when `single` (singlejson).
fn parse_json_stream(
    body: &[u8],
    schema: &[Column],
    sources: &[ResolvedColumn],
    options: &ParseOptions,
    single: bool,
) -> Result<ParsedBody> {
    let text = body_text(body)?;
    let mut reader = RecordReader::new(schema, sources, options);
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<IgnoredAny>();
    let mut value_start = 0usize;
    // Line numbers for errors, counted incrementally so the whole body is scanned once.
    let mut counted_offset = 0usize;
    let mut line_number: u64 = 1;
    let mut values: u64 = 0;
    loop {
        let next = stream.next();
        let value_end = stream.byte_offset();
        let Some(parsed) = next else { break };
        if let Err(error) = parsed {
            let line_text = nth_line(text, error.line());
            return Err(FormatError::InvalidJson {
                line_number: error.line() as u64,
                column_number: error.column() as u64,
                reason: json_reason(&error),
                excerpt: excerpt_near(line_text, error.column()),
            });
        }
        let span = text.get(value_start..value_end).unwrap_or_default();
        let leading_whitespace = span.len() - span.trim_start_matches(JSON_WHITESPACE).len();
        let raw = span.trim_matches(JSON_WHITESPACE);
        let raw_start = value_start + leading_whitespace;
        value_start = value_end;
        line_number += count_newlines(
            text.as_bytes()
                .get(counted_offset..raw_start)
                .unwrap_or_default(),
        );
        counted_offset = raw_start;
        values += 1;
        if single && values > 1 {
            return Err(FormatError::SingleJsonHasMoreValues { line_number });
        }
        if raw.len() > options.record_bytes_max {
            return Err(FormatError::RecordTooLarge {
                line_number,
                record_bytes: raw.len(),
                bytes_max: options.record_bytes_max,
            });
        }
        reader.append_value(raw, line_number, !single)?;
    }
    reader.finish()
}

pub(crate) fn parse_multi_json(
    body: &[u8],
    schema: &[Column],
    sources: &[ResolvedColumn],
    options: &ParseOptions,
) -> Result<ParsedBody> {
    parse_json_stream(body, schema, sources, options, false)
}

pub(crate) fn parse_single_json(
    body: &[u8],
    schema: &[Column],
    sources: &[ResolvedColumn],
    options: &ParseOptions,
) -> Result<ParsedBody> {
    parse_json_stream(body, schema, sources, options, true)
}
