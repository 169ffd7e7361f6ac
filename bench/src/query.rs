//! `tarn-bench query`: runs a query suite against a node and records times and answers.
//!
//! Each query runs once "cold" (its first execution after the load) and then `--runs` times
//! "hot". A run's time is from sending the request to reading the last byte of the result, so it
//! includes transfer and client decoding, as a user would see it. The first run's rows (up to
//! [`RESULT_ROWS_MAX`]) are kept as JSON ([`crate::values`]) for the answer checker; a failing
//! query records its error and the suite goes on.

use std::path::{Path, PathBuf};
use std::time::Instant;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tarn_client::{Client, QueryEvent};

use crate::error::{Error, Result};
use crate::report::round;
use crate::stats::median;
use crate::values::cell_value;

/// Result rows kept per query for answer checking.
pub const RESULT_ROWS_MAX: usize = 1000;
/// Hot runs per query, at most.
pub const RUNS_MAX: usize = 1000;

/// One `[[query]]` of a suite file; keys this tool does not need (duckdb, clickhouse, order,
/// tolerance, ...) are left to the tools that do.
#[derive(Debug, Clone, Deserialize)]
pub struct SuiteQuery {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kql: Option<String>,
    /// Why the KQL cannot run on Tarn yet; such a query is skipped unless asked for.
    pub skip_tarn: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct SuiteFile {
    #[serde(default)]
    query: Vec<SuiteQuery>,
}

pub fn read_suite(path: &Path) -> Result<Vec<SuiteQuery>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
    let suite: SuiteFile = toml::from_str(&text).map_err(|source| Error::Suite {
        path: path.to_path_buf(),
        source,
    })?;
    if suite.query.is_empty() {
        return Err(Error::InvalidFile {
            path: path.to_path_buf(),
            reason: "no [[query]] tables: not a query suite".to_string(),
        });
    }
    Ok(suite.query)
}

/// The suite's queries named in `only` (all when empty), in suite order.
pub fn select(queries: Vec<SuiteQuery>, only: &[String]) -> Result<Vec<SuiteQuery>> {
    if only.is_empty() {
        return Ok(queries);
    }
    let unknown: Vec<&String> = only
        .iter()
        .filter(|name| !queries.iter().any(|query| &query.name == *name))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = queries.iter().map(|query| query.name.as_str()).collect();
        return Err(Error::InvalidArgument {
            argument: "--only",
            reason: format!("no query named {unknown:?} in the suite (it has {known:?})"),
        });
    }
    Ok(queries
        .into_iter()
        .filter(|query| only.contains(&query.name))
        .collect())
}

#[derive(Debug, Clone)]
pub struct QueryConfig {
    pub url: String,
    pub database: String,
    pub suite: PathBuf,
    pub runs: usize,
    pub only: Vec<String>,
    /// Run queries marked `skip_tarn` as well.
    pub run_skipped: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub name: String,
    pub cold_ms: Option<f64>,
    pub hot_ms: Vec<f64>,
    pub median_ms: Option<f64>,
    pub rows: u64,
    pub columns: Vec<String>,
    pub result: Vec<Vec<Value>>,
    pub error: Option<String>,
    /// The suite's `skip_tarn` reason, when the query was not run for it.
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryReport {
    pub engine: &'static str,
    pub url: String,
    pub database: String,
    pub suite: String,
    pub runs: usize,
    pub queries: Vec<QueryResult>,
}

/// One execution: its time, and the first primary table's columns, row count and first rows.
struct Run {
    milliseconds: f64,
    columns: Vec<String>,
    rows: u64,
    result: Vec<Vec<Value>>,
}

async fn run_once(
    client: &Client,
    database: &str,
    kql: &str,
    keep_rows: bool,
) -> tarn_client::Result<Run> {
    let started = Instant::now();
    let mut stream = client.query(database, kql).await?;
    let mut table_id: Option<u32> = None;
    let mut columns = Vec::new();
    let mut rows = 0u64;
    let mut result = Vec::new();
    while let Some(event) = stream.next_event().await? {
        match event {
            QueryEvent::TableStart(header) if header.is_primary() && table_id.is_none() => {
                table_id = Some(header.id);
                columns = header.column_names();
            }
            QueryEvent::Batch(batch) if Some(batch.table.id) == table_id => {
                let batch_rows = batch.batch.num_rows();
                let wanted = if keep_rows {
                    RESULT_ROWS_MAX.saturating_sub(result.len())
                } else {
                    0
                };
                for row in 0..batch_rows.min(wanted) {
                    result.push(
                        batch
                            .batch
                            .columns()
                            .iter()
                            .map(|column| cell_value(column.as_ref(), row))
                            .collect(),
                    );
                }
                rows += batch_rows as u64;
            }
            _ => {}
        }
    }
    Ok(Run {
        milliseconds: started.elapsed().as_secs_f64() * 1e3,
        columns,
        rows,
        result,
    })
}

async fn run_query(
    client: &Client,
    database: &str,
    query: &SuiteQuery,
    runs: usize,
    run_skipped: bool,
) -> QueryResult {
    let mut outcome = QueryResult {
        name: query.name.clone(),
        cold_ms: None,
        hot_ms: Vec::new(),
        median_ms: None,
        rows: 0,
        columns: Vec::new(),
        result: Vec::new(),
        error: None,
        skipped: None,
    };
    if let Some(reason) = query.skip_tarn.as_ref().filter(|_| !run_skipped) {
        outcome.skipped = Some(reason.clone());
        return outcome;
    }
    let Some(kql) = query.kql.as_deref() else {
        outcome.error = Some("the suite has no kql for this query".to_string());
        return outcome;
    };
    match run_once(client, database, kql, true).await {
        Ok(cold) => {
            outcome.cold_ms = Some(round(cold.milliseconds, 3));
            outcome.rows = cold.rows;
            outcome.columns = cold.columns;
            outcome.result = cold.result;
        }
        Err(error) => {
            outcome.error = Some(error.to_string());
            return outcome;
        }
    }
    for _ in 0..runs {
        match run_once(client, database, kql, false).await {
            Ok(hot) => outcome.hot_ms.push(round(hot.milliseconds, 3)),
            Err(error) => {
                outcome.error = Some(format!("hot run {}: {error}", outcome.hot_ms.len() + 1));
                break;
            }
        }
    }
    outcome.median_ms = median(&outcome.hot_ms)
        .or(outcome.cold_ms)
        .map(|value| round(value, 3));
    outcome
}

pub async fn run(config: &QueryConfig) -> Result<QueryReport> {
    if config.runs > RUNS_MAX {
        return Err(Error::InvalidArgument {
            argument: "--runs",
            reason: format!("{} is more than {RUNS_MAX}", config.runs),
        });
    }
    let queries = select(read_suite(&config.suite)?, &config.only)?;
    let client = Client::new(&config.url)
        .map_err(|source| Error::client(format!("connecting to {}", config.url), source))?;
    let mut results = Vec::with_capacity(queries.len());
    for query in &queries {
        let result = run_query(
            &client,
            &config.database,
            query,
            config.runs,
            config.run_skipped,
        )
        .await;
        match (&result.error, &result.skipped) {
            (_, Some(reason)) => eprintln!("query: {}: skipped: {reason}", result.name),
            (None, None) => eprintln!(
                "query: {}: {} rows, cold {:.1} ms, median {:.1} ms",
                result.name,
                result.rows,
                result.cold_ms.unwrap_or(f64::NAN),
                result.median_ms.unwrap_or(f64::NAN)
            ),
            (Some(error), None) => eprintln!("query: {}: error: {error}", result.name),
        }
        results.push(result);
    }
    Ok(QueryReport {
        engine: "tarn",
        url: config.url.clone(),
        database: config.database.clone(),
        suite: config.suite.display().to_string(),
        runs: config.runs,
        queries: results,
    })
}

/// The report as a terminal table.
pub fn table(report: &QueryReport) -> String {
    let milliseconds =
        |value: Option<f64>| value.map_or_else(|| "-".to_string(), |value| format!("{value:.1}"));
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "query",
        "rows",
        "cold ms",
        "median ms",
        "min ms",
        "error / note",
    ]);
    for query in &report.queries {
        let minimum = query.hot_ms.iter().copied().reduce(f64::min);
        let note = match (&query.error, &query.skipped) {
            (Some(error), _) => error.clone(),
            (None, Some(reason)) => format!("skipped: {reason}"),
            (None, None) => String::new(),
        };
        let note: String = note.chars().take(80).collect();
        table.add_row([
            Cell::new(&query.name),
            Cell::new(query.rows).set_alignment(CellAlignment::Right),
            Cell::new(milliseconds(query.cold_ms)).set_alignment(CellAlignment::Right),
            Cell::new(milliseconds(query.median_ms)).set_alignment(CellAlignment::Right),
            Cell::new(milliseconds(minimum)).set_alignment(CellAlignment::Right),
            Cell::new(note),
        ]);
    }
    table.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the suite format is read, unknown keys ignored, and --only selects or refuses.
    #[test]
    fn reads_and_selects_suite_queries() -> Result<()> {
        let directory = tempfile::tempdir().map_err(|source| Error::io("tempdir", source))?;
        let path = directory.path().join("suite.toml");
        std::fs::write(
            &path,
            r#"
[[query]]
name = "count"
description = "How many readings"
kql = "readings | count"
duckdb = "SELECT count(*) FROM readings"
order = "ordered"
tolerance = 1e-9

[[query]]
name = "peers-only"
duckdb = "SELECT 1"
"#,
        )
        .map_err(|source| Error::io(&path, source))?;
        let queries = read_suite(&path)?;
        assert_eq!(queries.len(), 2);
        assert_eq!(queries[0].kql.as_deref(), Some("readings | count"));
        assert_eq!(queries[1].kql, None);
        let selected = select(queries.clone(), &["peers-only".to_string()])?;
        assert_eq!(selected.len(), 1);
        assert!(select(queries, &["nope".to_string()]).is_err());
        std::fs::write(&path, "[[query]]\nkql = 1\n").map_err(|source| Error::io(&path, source))?;
        assert!(matches!(read_suite(&path), Err(Error::Suite { .. })));
        std::fs::write(&path, "kql = \"x\"\n").map_err(|source| Error::io(&path, source))?;
        assert!(matches!(read_suite(&path), Err(Error::InvalidFile { .. })));
        Ok(())
    }
}
