//! Where generated rows go: CSV (RFC 4180 quoting via the csv crate, no header, null = empty
//! field), JSON lines (objects keyed by column name, null for nulls), and Parquet
//! ([`super::parquet_sink`]). Each writes into any `Write`, so the same code fills files, request
//! bodies in memory, and pipes to a node.

use std::io::Write;
use std::path::PathBuf;

use super::record::Value;
use crate::error::{Error, Result};
use crate::iso::{self, Fraction};
use crate::schema::{Column, ColumnType};

/// A table's rows, one at a time.
pub trait Sink: Send {
    fn write(&mut self, values: &[Value<'_>]) -> Result<()>;
    /// Flushes and closes the output.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// The file formats the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    Csv,
    JsonLines,
    Parquet,
}

impl FileFormat {
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::JsonLines => "jsonl",
            FileFormat::Parquet => "parquet",
        }
    }

    pub fn parse(text: &str) -> Option<FileFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(FileFormat::Csv),
            "jsonl" | "json" => Some(FileFormat::JsonLines),
            "parquet" => Some(FileFormat::Parquet),
            _ => None,
        }
    }
}

/// Appends `value` with at most `decimals` places, trailing zeros dropped (`52.1`, `7`, `-0.5`).
/// Values come from [`super::walk::quantize`], so this is their exact shortest text.
pub fn write_real(out: &mut String, value: f64, decimals: u32) {
    if !value.is_finite() {
        out.push_str(&value.to_string());
        return;
    }
    let scale = 10u64.pow(decimals);
    let scaled = (value * scale as f64).round();
    // Far outside anything generated; the general form is still exact.
    if scaled.abs() >= 9e15 {
        out.push_str(&value.to_string());
        return;
    }
    let scaled = scaled as i64;
    if scaled < 0 {
        out.push('-');
    }
    let magnitude = scaled.unsigned_abs();
    iso::push_digits(out, magnitude / scale, 1);
    let mut fraction = magnitude % scale;
    if fraction != 0 {
        let mut width = decimals;
        while fraction.is_multiple_of(10) {
            fraction /= 10;
            width -= 1;
        }
        out.push('.');
        iso::push_digits(out, fraction, width);
    }
}

/// Appends one cell's text form (empty for null), as CSV and JSON both print it.
fn write_cell_text(out: &mut String, value: &Value<'_>, column: &Column) {
    match (value, column.column_type) {
        (Value::DateTime(nanos), _) => iso::write_timestamp(out, *nanos, Fraction::Millis),
        (Value::Str(text), _) => out.push_str(text),
        (Value::Real(Some(real)), ColumnType::Real { decimals }) => {
            write_real(out, *real, decimals)
        }
        (Value::Real(Some(real)), _) => out.push_str(&real.to_string()),
        (Value::Long(Some(long)), _) => out.push_str(&long.to_string()),
        (Value::Real(None) | Value::Long(None), _) => {}
    }
}

pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    columns: &'static [Column],
    field: String,
    /// Where the output goes, for error messages.
    label: PathBuf,
}

impl<W: Write> CsvSink<W> {
    pub fn new(output: W, columns: &'static [Column], label: impl Into<PathBuf>) -> CsvSink<W> {
        CsvSink {
            writer: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(output),
            columns,
            field: String::with_capacity(64),
            label: label.into(),
        }
    }

    pub fn write_row(&mut self, values: &[Value<'_>]) -> Result<()> {
        for (value, column) in values.iter().zip(self.columns) {
            self.field.clear();
            write_cell_text(&mut self.field, value, column);
            self.writer
                .write_field(&self.field)
                .map_err(|source| Error::Csv {
                    path: self.label.clone(),
                    source,
                })?;
        }
        self.writer
            .write_record(None::<&[u8]>)
            .map_err(|source| Error::Csv {
                path: self.label.clone(),
                source,
            })
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> Result<W> {
        let label = self.label;
        self.writer
            .into_inner()
            .map_err(|error| Error::io(label, error.into_error()))
    }
}

impl<W: Write + Send> Sink for CsvSink<W> {
    fn write(&mut self, values: &[Value<'_>]) -> Result<()> {
        self.write_row(values)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.into_inner().map(drop)
    }
}

pub struct JsonSink<W: Write> {
    output: W,
    columns: &'static [Column],
    line: String,
    label: PathBuf,
}

impl<W: Write> JsonSink<W> {
    pub fn new(output: W, columns: &'static [Column], label: impl Into<PathBuf>) -> JsonSink<W> {
        JsonSink {
            output,
            columns,
            line: String::with_capacity(512),
            label: label.into(),
        }
    }

    pub fn write_row(&mut self, values: &[Value<'_>]) -> Result<()> {
        self.line.clear();
        self.line.push('{');
        for (position, (value, column)) in values.iter().zip(self.columns).enumerate() {
            if position > 0 {
                self.line.push(',');
            }
            push_json_string(&mut self.line, column.name);
            self.line.push(':');
            match value {
                Value::Real(None) | Value::Long(None) => self.line.push_str("null"),
                Value::Str(text) => push_json_string(&mut self.line, text),
                Value::DateTime(_) => {
                    self.line.push('"');
                    write_cell_text(&mut self.line, value, column);
                    self.line.push('"');
                }
                Value::Real(Some(_)) | Value::Long(Some(_)) => {
                    write_cell_text(&mut self.line, value, column);
                }
            }
        }
        self.line.push_str("}\n");
        self.output
            .write_all(self.line.as_bytes())
            .map_err(|source| Error::io(self.label.clone(), source))
    }

    pub fn into_inner(mut self) -> Result<W> {
        self.output
            .flush()
            .map_err(|source| Error::io(self.label.clone(), source))?;
        Ok(self.output)
    }
}

impl<W: Write + Send> Sink for JsonSink<W> {
    fn write(&mut self, values: &[Value<'_>]) -> Result<()> {
        self.write_row(values)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.into_inner().map(drop)
    }
}

/// Appends `text` as a JSON string literal.
fn push_json_string(out: &mut String, text: &str) {
    let plain = text
        .bytes()
        .all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\');
    if plain {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        // serde_json's escaping for the rare string that needs it.
        out.push_str(&serde_json::Value::from(text).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DIAGNOSTICS;

    // Proves reals print as their short decimal, signs and zeros included.
    #[test]
    fn reals_print_short() {
        let text = |value: f64, decimals: u32| {
            let mut out = String::new();
            write_real(&mut out, value, decimals);
            out
        };
        assert_eq!(text(52.12345, 5), "52.12345");
        assert_eq!(text(52.1, 5), "52.1");
        assert_eq!(text(7.0, 2), "7");
        assert_eq!(text(-0.5, 1), "-0.5");
        assert_eq!(text(-122.00001, 5), "-122.00001");
        assert_eq!(text(0.0, 3), "0");
        assert_eq!(text(0.05, 3), "0.05");
        for value in [52.12345, -0.00001, 99.99999, 1e-5] {
            assert_eq!(text(value, 5).parse::<f64>().ok(), Some(value));
        }
    }

    // Proves the CSV and JSON forms of one diagnostics row with a null.
    #[test]
    fn csv_and_json_rows() -> Result<()> {
        let values = [
            Value::DateTime(1_704_067_210_000_000_000),
            Value::Str("truck_1"),
            Value::Str("East"),
            Value::Str("Seth"),
            Value::Str("F-150"),
            Value::Real(Some(0.5)),
            Value::Real(None),
            Value::Long(Some(3)),
        ];
        let mut csv_sink = CsvSink::new(Vec::new(), DIAGNOSTICS.columns, "test");
        csv_sink.write_row(&values)?;
        let csv_text = String::from_utf8_lossy(&csv_sink.into_inner()?).into_owned();
        assert_eq!(
            csv_text,
            "2024-01-01T00:00:10.000Z,truck_1,East,Seth,F-150,0.5,,3\n"
        );
        let mut json_sink = JsonSink::new(Vec::new(), DIAGNOSTICS.columns, "test");
        json_sink.write_row(&values)?;
        let json_text = String::from_utf8_lossy(&json_sink.into_inner()?).into_owned();
        assert_eq!(
            json_text,
            "{\"ts\":\"2024-01-01T00:00:10.000Z\",\"name\":\"truck_1\",\"fleet\":\"East\",\"driver\":\"Seth\",\"model\":\"F-150\",\"fuel_state\":0.5,\"current_load\":null,\"status\":3}\n"
        );
        Ok(())
    }
}
