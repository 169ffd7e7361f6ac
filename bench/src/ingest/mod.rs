//! `tarn-bench ingest`: the streaming-ingestion load test.
//!
//! `--clients` tasks post pre-built bodies of `--batch-rows` readings ([`bodies`], [`worker`])
//! to a fresh table for `--duration`, flat out or at `--rate` rows/s in total; a probe measures
//! freshness twice a second ([`probe`]); a sampler records throughput, latency, server CPU and
//! memory and extent counts every second ([`sampler`]). The report is JSON plus a short markdown
//! summary.

pub mod bodies;
pub mod probe;
pub mod sampler;
pub mod worker;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tarn_client::Client;

use bodies::{BodyFormat, build_pools};
use probe::run_probes;
use sampler::{Sample, Sampler};
use worker::{Counters, run_client};

use crate::error::{Error, Result};
use crate::report::round;
use crate::schema::READINGS;
use crate::stats::Summary;

/// Concurrent clients, at most.
pub const CLIENTS_MAX: u64 = 1024;
/// Rows per request body, at most.
pub const BATCH_ROWS_MAX: u64 = 1_000_000;
/// Test length, at most.
pub const DURATION_MAX: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Serialize)]
pub struct IngestConfig {
    pub url: String,
    pub database: String,
    pub table: String,
    pub clients: u64,
    pub batch_rows: u64,
    pub format: BodyFormat,
    pub gzip: bool,
    /// Total rows per second over all clients; `None` is flat out.
    pub rate_rows_per_s: Option<f64>,
    pub duration_s: f64,
    pub server_pid: Option<u32>,
    pub seed: u64,
}

impl IngestConfig {
    fn validate(&self) -> Result<()> {
        let invalid = |argument: &'static str, reason: String| {
            Err(Error::InvalidArgument { argument, reason })
        };
        if self.clients == 0 || self.clients > CLIENTS_MAX {
            return invalid(
                "--clients",
                format!("{} is not in 1..={CLIENTS_MAX}", self.clients),
            );
        }
        if self.batch_rows == 0 || self.batch_rows > BATCH_ROWS_MAX {
            return invalid(
                "--batch-rows",
                format!("{} is not in 1..={BATCH_ROWS_MAX}", self.batch_rows),
            );
        }
        if self.gzip && self.format == BodyFormat::Parquet {
            return invalid(
                "--gzip",
                "Parquet bodies are compressed inside; gzip applies to csv and json".to_string(),
            );
        }
        if self
            .rate_rows_per_s
            .is_some_and(|rate| !rate.is_finite() || rate <= 0.0)
        {
            return invalid(
                "--rate",
                "must be a positive number of rows per second".to_string(),
            );
        }
        if !(self.duration_s > 0.0 && self.duration_s <= DURATION_MAX.as_secs_f64()) {
            return invalid(
                "--duration",
                format!("must be between 0 and {} s", DURATION_MAX.as_secs()),
            );
        }
        let plain = !self.table.is_empty()
            && self
                .table
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '_');
        if !plain {
            return invalid(
                "--table",
                format!("'{}' must be letters, digits and _", self.table),
            );
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BodyPool {
    pub bodies_per_client: usize,
    pub body_bytes_avg: f64,
    pub body_raw_bytes_avg: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    #[serde(flatten)]
    pub summary: Summary,
    pub timeouts: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub rows: u64,
    /// Uncompressed body bytes acknowledged.
    pub bytes: u64,
    /// Bytes on the wire (after gzip).
    pub wire_bytes: u64,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub rows_per_s: f64,
    pub mb_per_s: f64,
    pub wire_mb_per_s: f64,
    /// Server CPU seconds per wall second over the run.
    pub server_cpu_cores: Option<f64>,
    pub rows_per_s_per_server_core: Option<f64>,
    pub server_rss_max_mb: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub engine: &'static str,
    pub config: IngestConfig,
    pub pool: BodyPool,
    pub samples: Vec<Sample>,
    pub latency_ms: Summary,
    pub freshness_ms: Freshness,
    pub totals: Totals,
    pub errors: BTreeMap<String, u64>,
}

fn round_summary(summary: Summary) -> Summary {
    let rounded = |value: Option<f64>| value.map(|value| round(value, 3));
    Summary {
        count: summary.count,
        p50: rounded(summary.p50),
        p95: rounded(summary.p95),
        p99: rounded(summary.p99),
        max: rounded(summary.max),
    }
}

pub async fn run(config: IngestConfig) -> Result<IngestReport> {
    config.validate()?;
    let base_url = config.url.trim_end_matches('/').to_string();
    let client = Client::new(&base_url)
        .map_err(|source| Error::client(format!("connecting to {base_url}"), source))?;
    for command in [
        format!(".drop table {} ifexists", config.table),
        READINGS.create_command(&config.table),
    ] {
        client
            .execute_mgmt(&config.database, &command)
            .await
            .map_err(|source| Error::client(format!("running `{command}`"), source))?;
    }

    eprintln!(
        "ingest: building request bodies for {} clients",
        config.clients
    );
    let (seed, clients, batch_rows, format, gzip) = (
        config.seed,
        config.clients,
        config.batch_rows,
        config.format,
        config.gzip,
    );
    let pools =
        tokio::task::spawn_blocking(move || build_pools(seed, clients, batch_rows, format, gzip))
            .await
            .map_err(|error| Error::TaskFailed {
                task: "request body generation",
                reason: error.to_string(),
            })??;
    let all_bodies: Vec<&bodies::Body> = pools.iter().flatten().collect();
    let pool = BodyPool {
        bodies_per_client: pools.first().map_or(0, Vec::len),
        body_bytes_avg: round(
            all_bodies
                .iter()
                .map(|body| body.bytes.len() as f64)
                .sum::<f64>()
                / all_bodies.len().max(1) as f64,
            1,
        ),
        body_raw_bytes_avg: round(
            all_bodies
                .iter()
                .map(|body| body.raw_bytes as f64)
                .sum::<f64>()
                / all_bodies.len().max(1) as f64,
            1,
        ),
    };

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(config.clients as usize + 2)
        .build()
        .map_err(|source| Error::Http {
            doing: "building the HTTP client",
            url: base_url.clone(),
            source,
        })?;
    let ingest_url = |stream_format: &str| {
        format!(
            "{base_url}/v1/rest/ingest/{}/{}?streamFormat={stream_format}",
            config.database, config.table
        )
    };
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(config.duration_s);
    eprintln!(
        "ingest: {} clients x {} rows ({}{}) for {:.0} s, {}",
        config.clients,
        config.batch_rows,
        config.format.stream_format(),
        if config.gzip { ", gzip" } else { "" },
        config.duration_s,
        config.rate_rows_per_s.map_or_else(
            || "flat out".to_string(),
            |rate| format!("{rate:.0} rows/s")
        )
    );
    let sampler = tokio::spawn(
        Sampler {
            http: http.clone(),
            metrics_url: format!("{base_url}/metrics"),
            server_pid: config.server_pid,
            counters: Arc::clone(&counters),
            stop: Arc::clone(&stop),
            started,
        }
        .run(),
    );
    let run_id = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis())
    );
    let probes = tokio::spawn(run_probes(
        http.clone(),
        client.clone(),
        ingest_url("csv"),
        config.database.clone(),
        config.table.clone(),
        run_id,
        deadline,
        Arc::clone(&counters),
    ));
    let per_client_rate = config
        .rate_rows_per_s
        .map(|rate| rate / config.clients as f64);
    let workers: Vec<_> = pools
        .into_iter()
        .map(|pool| {
            tokio::spawn(run_client(
                http.clone(),
                ingest_url(config.format.stream_format()),
                pool,
                config.gzip,
                per_client_rate,
                deadline,
                Arc::clone(&counters),
            ))
        })
        .collect();
    for worker in workers {
        worker.await.map_err(|error| Error::TaskFailed {
            task: "load client",
            reason: error.to_string(),
        })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let probe_results = probes.await.map_err(|error| Error::TaskFailed {
        task: "freshness probe",
        reason: error.to_string(),
    })?;
    let sampled = sampler.await.map_err(|error| Error::TaskFailed {
        task: "sampler",
        reason: error.to_string(),
    })?;

    let rows = counters.rows.load(Ordering::Relaxed);
    let bytes = counters.raw_bytes.load(Ordering::Relaxed);
    let wire_bytes = counters.wire_bytes.load(Ordering::Relaxed);
    let rows_per_s = rows as f64 / seconds.max(1e-9);
    // The sampler's window runs a tick past the clients' end; close enough for an average.
    let sampled_seconds = sampled
        .samples
        .last()
        .map_or(seconds, |sample| sample.t_s)
        .max(1e-9);
    let server_cpu_cores = sampled.server_cpu_seconds.map(|cpu| cpu / sampled_seconds);
    let mut latencies = counters.all_latencies();
    let mut freshness = probe_results.freshness_ms.clone();
    Ok(IngestReport {
        engine: "tarn",
        pool,
        samples: sampled.samples,
        latency_ms: round_summary(Summary::of(&mut latencies)),
        freshness_ms: Freshness {
            summary: round_summary(Summary::of(&mut freshness)),
            timeouts: probe_results.timeouts,
            errors: probe_results.errors,
        },
        totals: Totals {
            rows,
            bytes,
            wire_bytes,
            requests: counters.requests.load(Ordering::Relaxed),
            errors: counters.errors.load(Ordering::Relaxed),
            seconds: round(seconds, 3),
            rows_per_s: round(rows_per_s, 1),
            mb_per_s: round(bytes as f64 / 1e6 / seconds.max(1e-9), 3),
            wire_mb_per_s: round(wire_bytes as f64 / 1e6 / seconds.max(1e-9), 3),
            server_cpu_cores: server_cpu_cores.map(|cores| round(cores, 3)),
            rows_per_s_per_server_core: server_cpu_cores
                .filter(|cores| *cores > 0.0)
                .map(|cores| round(rows_per_s / cores, 1)),
            server_rss_max_mb: sampled
                .server_rss_max_bytes
                .map(|rss| round(rss as f64 / 1e6, 1)),
        },
        errors: counters.errors_by_kind(),
        config,
    })
}

/// A short markdown summary of `report`.
pub fn markdown(report: &IngestReport) -> String {
    let config = &report.config;
    let totals = &report.totals;
    let milliseconds =
        |value: Option<f64>| value.map_or_else(|| "-".to_string(), |value| format!("{value:.1}"));
    let optional = |value: Option<f64>, decimals: usize| {
        value.map_or_else(|| "-".to_string(), |value| format!("{value:.decimals$}"))
    };
    let errors = if report.errors.is_empty() {
        "none".to_string()
    } else {
        report
            .errors
            .iter()
            .map(|(kind, count)| format!("{kind}: {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let latency = &report.latency_ms;
    let freshness = &report.freshness_ms;
    let mut lines = vec![
        format!(
            "## Ingestion load: {} clients x {}-row {} bodies{}, {:.0} s, {}",
            config.clients,
            config.batch_rows,
            config.format.stream_format(),
            if config.gzip { " (gzip)" } else { "" },
            totals.seconds,
            config.rate_rows_per_s.map_or_else(
                || "flat out".to_string(),
                |rate| format!("target {rate:.0} rows/s")
            )
        ),
        String::new(),
        "| figure | value |".to_string(),
        "|---|---|".to_string(),
        format!(
            "| rows acknowledged | {} in {} requests |",
            totals.rows, totals.requests
        ),
        format!("| rows/s | {:.0} |", totals.rows_per_s),
        format!(
            "| MB/s (uncompressed / on the wire) | {:.2} / {:.2} |",
            totals.mb_per_s, totals.wire_mb_per_s
        ),
        format!(
            "| request latency p50 / p95 / p99 / max (ms) | {} / {} / {} / {} |",
            milliseconds(latency.p50),
            milliseconds(latency.p95),
            milliseconds(latency.p99),
            milliseconds(latency.max)
        ),
        format!(
            "| freshness p50 / p99 / max (ms), probes | {} / {} / {}, {} seen, {} timed out |",
            milliseconds(freshness.summary.p50),
            milliseconds(freshness.summary.p99),
            milliseconds(freshness.summary.max),
            freshness.summary.count,
            freshness.timeouts
        ),
        format!(
            "| server CPU cores used | {} |",
            optional(totals.server_cpu_cores, 2)
        ),
        format!(
            "| rows/s per server core | {} |",
            optional(totals.rows_per_s_per_server_core, 0)
        ),
        format!(
            "| server RSS max (MB) | {} |",
            optional(totals.server_rss_max_mb, 0)
        ),
        format!("| errors | {errors} |"),
    ];
    lines.push(String::new());
    lines.join("\n")
}
