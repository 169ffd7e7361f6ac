//! `tarn-bench load`: bulk-loads a generated directory into a node through the SDK and times it.
//!
//! Each table is dropped and created with the manifest's schema, its CSV file is ingested in
//! chunks with `--concurrency` uploads in flight, and the clock stops only when `T | count`
//! equals the manifest's row count: a load counts as done when a query sees all of it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use tarn_client::{Client, DataFormat, IngestOptions};

use crate::dataset::files::data_path;
use crate::dataset::manifest::Manifest;
use crate::dataset::sink::FileFormat;
use crate::error::{Error, Result};
use crate::report::round;

/// How long to wait for a loaded table's count to reach the manifest's.
const COUNT_WAIT_MAX: Duration = Duration::from_secs(300);
const COUNT_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// The least time between two progress lines.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub url: String,
    pub data: PathBuf,
    pub database: String,
    pub concurrency: usize,
    /// Whether request bodies are gzipped.
    pub gzip: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableLoad {
    pub rows: u64,
    /// CSV bytes read (uncompressed).
    pub bytes: u64,
    pub seconds: f64,
    pub rows_per_s: f64,
    pub mb_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub engine: &'static str,
    pub url: String,
    pub database: String,
    pub data: String,
    pub concurrency: usize,
    pub gzip: bool,
    pub tables: BTreeMap<String, TableLoad>,
    pub total_seconds: f64,
}

/// Rows in `table`, by `T | count`.
pub async fn count_rows(client: &Client, database: &str, table: &str) -> Result<u64> {
    let doing = format!("counting the rows of {table}");
    let rows: Vec<(i64,)> = client
        .query(database, &format!("{table} | count"))
        .await
        .map_err(|source| Error::client(&doing, source))?
        .rows()
        .await
        .map_err(|source| Error::client(&doing, source))?;
    match rows.first() {
        Some((count,)) => u64::try_from(*count).map_err(|_| Error::UnexpectedAnswer {
            doing,
            reason: format!("a negative count {count}"),
        }),
        None => Err(Error::UnexpectedAnswer {
            doing,
            reason: "no row".to_string(),
        }),
    }
}

async fn wait_for_count(
    client: &Client,
    database: &str,
    table: &str,
    expected: u64,
) -> Result<u64> {
    let started = Instant::now();
    loop {
        let seen = count_rows(client, database, table).await?;
        if seen == expected {
            return Ok(seen);
        }
        if seen > expected || started.elapsed() > COUNT_WAIT_MAX {
            return Err(Error::RowCountNotReached {
                table: table.to_string(),
                expected,
                seen,
                waited_seconds: started.elapsed().as_secs_f64(),
            });
        }
        tokio::time::sleep(COUNT_POLL_INTERVAL).await;
    }
}

async fn load_table(
    client: &Client,
    config: &LoadConfig,
    table: &str,
    expected_rows: u64,
    csv_path: &Path,
) -> Result<TableLoad> {
    let bytes = std::fs::metadata(csv_path)
        .map_err(|source| Error::io(csv_path, source))?
        .len();
    let started = Instant::now();
    let last_print = std::sync::Mutex::new(Instant::now());
    let table_name = table.to_string();
    let options = IngestOptions::new(DataFormat::Csv)
        .uploads_in_flight(config.concurrency)
        .gzip(config.gzip)
        .on_progress(move |progress| {
            let Ok(mut last) = last_print.lock() else {
                return;
            };
            if last.elapsed() >= PROGRESS_INTERVAL {
                *last = Instant::now();
                eprintln!(
                    "load: {table_name}: {} rows acknowledged, {:.0}% of {:.1} MB read",
                    progress.rows,
                    progress.source_bytes as f64 * 100.0 / bytes.max(1) as f64,
                    bytes as f64 / 1e6
                );
            }
        });
    client
        .ingest_file(&config.database, table, csv_path, options)
        .await
        .map_err(|source| {
            Error::client(
                format!("ingesting {} into {table}", csv_path.display()),
                source,
            )
        })?;
    let rows = wait_for_count(client, &config.database, table, expected_rows).await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(TableLoad {
        rows,
        bytes,
        seconds: round(seconds, 3),
        rows_per_s: round(rows as f64 / seconds.max(1e-9), 1),
        mb_per_s: round(bytes as f64 / 1e6 / seconds.max(1e-9), 3),
    })
}

pub async fn run(config: &LoadConfig) -> Result<LoadReport> {
    let manifest = Manifest::read(&config.data)?;
    let client = Client::new(&config.url)
        .map_err(|source| Error::client(format!("connecting to {}", config.url), source))?;
    // Every file must be there before anything is dropped.
    let mut csv_paths = BTreeMap::new();
    for table in manifest.tables.keys() {
        let path = data_path(&config.data, table, FileFormat::Csv);
        if !path.is_file() {
            return Err(Error::InvalidFile {
                path,
                reason:
                    "missing: the manifest lists this table; generate with --formats including csv"
                        .to_string(),
            });
        }
        csv_paths.insert(table.clone(), path);
    }
    let started = Instant::now();
    let mut tables = BTreeMap::new();
    for (table, spec) in &manifest.tables {
        for command in [
            format!(".drop table {table} ifexists"),
            spec.create_command(table),
        ] {
            client
                .execute_mgmt(&config.database, &command)
                .await
                .map_err(|source| Error::client(format!("running `{command}`"), source))?;
        }
        let Some(csv_path) = csv_paths.get(table) else {
            continue;
        };
        eprintln!(
            "load: {table}: {} rows from {}",
            spec.rows,
            csv_path.display()
        );
        let loaded = load_table(&client, config, table, spec.rows, csv_path).await?;
        eprintln!(
            "load: {table}: {} rows in {:.2} s ({:.0} rows/s)",
            loaded.rows, loaded.seconds, loaded.rows_per_s
        );
        tables.insert(table.clone(), loaded);
    }
    Ok(LoadReport {
        engine: "tarn",
        url: config.url.clone(),
        database: config.database.clone(),
        data: config.data.display().to_string(),
        concurrency: config.concurrency,
        gzip: config.gzip,
        tables,
        total_seconds: round(started.elapsed().as_secs_f64(), 3),
    })
}
