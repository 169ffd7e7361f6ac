//! Writing result tables: aligned text tables (comfy-table), CSV (the csv crate) or JSON lines
//! (one object per row). CSV and JSON stream batch by batch; a text table needs its rows first,
//! so it shows at most [`TABLE_ROWS_SHOWN_MAX`] rows.

use std::io::Write;

use arrow::array::RecordBatch;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::Value;
use tarn_client::TableHeader;
use tarn_client::value::display::{cell_json, cell_text};

/// Rows a text table shows; the rest are counted.
pub const TABLE_ROWS_SHOWN_MAX: usize = 10_000;

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

impl OutputFormat {
    pub fn parse(name: &str) -> Option<OutputFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "table" => Some(OutputFormat::Table),
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            _ => None,
        }
    }
}

/// Writes one table as its batches arrive.
pub struct TableWriter {
    format: OutputFormat,
    columns: Vec<String>,
    table: Option<Table>,
    csv: Option<csv::Writer<std::io::Stdout>>,
    rows_shown: usize,
    rows_total: usize,
}

impl TableWriter {
    pub fn begin(format: OutputFormat, header: &TableHeader) -> TableWriter {
        let columns = header.column_names();
        let mut writer = TableWriter {
            format,
            columns: columns.clone(),
            table: None,
            csv: None,
            rows_shown: 0,
            rows_total: 0,
        };
        match format {
            OutputFormat::Table => {
                let mut table = Table::new();
                table
                    .load_preset(UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Disabled)
                    .set_header(columns);
                writer.table = Some(table);
            }
            OutputFormat::Csv => {
                let mut csv = csv::Writer::from_writer(std::io::stdout());
                let _ = csv.write_record(&columns);
                writer.csv = Some(csv);
            }
            OutputFormat::Json => {}
        }
        writer
    }

    pub fn write_batch(&mut self, batch: &RecordBatch) {
        self.rows_total += batch.num_rows();
        match self.format {
            OutputFormat::Table => {
                let Some(table) = &mut self.table else { return };
                for row in 0..batch.num_rows() {
                    if self.rows_shown >= TABLE_ROWS_SHOWN_MAX {
                        return;
                    }
                    table.add_row(batch.columns().iter().map(|column| cell_text(column, row)));
                    self.rows_shown += 1;
                }
            }
            OutputFormat::Csv => {
                let Some(csv) = &mut self.csv else { return };
                for row in 0..batch.num_rows() {
                    let cells: Vec<String> = batch
                        .columns()
                        .iter()
                        .map(|column| cell_text(column, row))
                        .collect();
                    let _ = csv.write_record(&cells);
                }
                let _ = csv.flush();
            }
            OutputFormat::Json => {
                let mut out = std::io::stdout().lock();
                for row in 0..batch.num_rows() {
                    // Written by hand to keep the columns in result order.
                    let mut line = String::from("{");
                    for (position, (name, column)) in
                        self.columns.iter().zip(batch.columns()).enumerate()
                    {
                        if position > 0 {
                            line.push(',');
                        }
                        line.push_str(&Value::String(name.clone()).to_string());
                        line.push(':');
                        line.push_str(&cell_json(column, row).to_string());
                    }
                    line.push('}');
                    let _ = writeln!(out, "{line}");
                }
                let _ = out.flush();
            }
        }
    }

    /// Finishes the table; the number of rows written.
    pub fn finish(self) -> usize {
        if let Some(table) = self.table {
            println!("{table}");
            if self.rows_total > self.rows_shown {
                println!(
                    "({} more rows not shown; use --format csv or json for all)",
                    self.rows_total - self.rows_shown
                );
            }
        }
        if let Some(mut csv) = self.csv {
            let _ = csv.flush();
        }
        self.rows_total
    }
}
