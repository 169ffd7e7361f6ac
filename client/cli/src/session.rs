//! Running one query or command and printing its result, shared by the REPL, scripts, `-e` and
//! `tarn mgmt`. Ctrl-C while a query runs cancels it (the connection is dropped).

use std::time::Instant;

use tarn_client::{Client, Error, QueryEvent};

use crate::output::{OutputFormat, TableWriter};

pub struct Session {
    pub client: Client,
    pub database: String,
    pub format: OutputFormat,
    pub timing: bool,
}

/// Why a request ended without a result.
enum Failure {
    Error(Error),
    Cancelled,
}

impl Session {
    pub fn new(client: Client, database: String, format: OutputFormat, timing: bool) -> Session {
        Session {
            client,
            database,
            format,
            timing,
        }
    }

    /// Runs `text` (a management command when it starts with '.', else a query) and prints the
    /// result; false when it failed.
    pub async fn run_text(&mut self, text: &str) -> bool {
        let text = text.trim();
        if text.is_empty() {
            return true;
        }
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = self.execute(text) => outcome.map_err(Failure::Error),
            _ = tokio::signal::ctrl_c() => Err(Failure::Cancelled),
        };
        match outcome {
            Ok(rows) => {
                if self.timing {
                    eprintln!("({rows} rows, {:.3} s)", started.elapsed().as_secs_f64());
                }
                true
            }
            Err(Failure::Cancelled) => {
                eprintln!("cancelled after {:.3} s", started.elapsed().as_secs_f64());
                false
            }
            Err(Failure::Error(error)) => {
                print_error(&error, text);
                false
            }
        }
    }

    /// The number of primary rows printed.
    async fn execute(&self, text: &str) -> tarn_client::Result<usize> {
        let mut rows = 0;
        if text.starts_with('.') {
            let tables = self.client.execute_mgmt(&self.database, text).await?;
            for table in tables.iter().filter(|table| table.header.is_primary()) {
                let mut writer = TableWriter::begin(self.format, &table.header);
                for batch in &table.batches {
                    writer.write_batch(batch);
                }
                rows += writer.finish();
            }
            return Ok(rows);
        }
        let mut stream = self.client.query(&self.database, text).await?;
        let mut writer: Option<TableWriter> = None;
        while let Some(event) = stream.next_event().await? {
            match event {
                QueryEvent::TableStart(header) if header.is_primary() => {
                    writer = Some(TableWriter::begin(self.format, &header));
                }
                QueryEvent::Batch(batch) if batch.table.is_primary() => {
                    if let Some(writer) = &mut writer {
                        writer.write_batch(&batch.batch);
                    }
                }
                QueryEvent::TableEnd { table, .. } if table.is_primary() => {
                    if let Some(writer) = writer.take() {
                        rows += writer.finish();
                    }
                }
                _ => {}
            }
        }
        Ok(rows)
    }
}

/// Prints an error; a Kusto diagnostic with a position also shows the line and a caret.
pub fn print_error(error: &Error, text: &str) {
    if let Error::Kusto {
        position: Some(position),
        ..
    } = error
    {
        let line_index = usize::try_from(position.line.saturating_sub(1)).unwrap_or(0);
        if let Some(line) = text.lines().nth(line_index) {
            let column = usize::try_from(position.column.saturating_sub(1)).unwrap_or(0);
            eprintln!("  {line}");
            eprintln!("  {}^", " ".repeat(column.min(line.chars().count())));
        }
    }
    eprintln!("error: {error}");
}
