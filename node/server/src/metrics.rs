//! Counters for `/metrics`, rendered in Prometheus' text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use tarn_storage::ColumnCacheStats;

/// Upper bounds (seconds) of the query latency histogram.
const LATENCY_BUCKETS_SECONDS: [f64; 10] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0];

#[derive(Default)]
pub struct Metrics {
    pub ingest_requests: AtomicU64,
    pub ingest_errors: AtomicU64,
    pub ingested_rows: AtomicU64,
    pub ingested_bytes: AtomicU64,
    pub ingest_bad_values: AtomicU64,
    pub ingest_throttled: AtomicU64,
    pub queries: AtomicU64,
    pub query_errors: AtomicU64,
    pub commands: AtomicU64,
    pub command_errors: AtomicU64,
    pub merges: AtomicU64,
    pub retention_drops: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS_SECONDS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

/// Gauges read from the catalog at scrape time.
pub struct CatalogGauges {
    pub tables: u64,
    pub extents: u64,
    pub rows: u64,
    pub extent_bytes: u64,
    pub ingest_queue: u64,
    pub column_cache: ColumnCacheStats,
}

impl Metrics {
    pub fn observe_query(&self, seconds: f64) {
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS_SECONDS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn render(&self, gauges: &CatalogGauges) -> String {
        let mut out = String::with_capacity(4096);
        let total = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            total(out, name, help, value.load(Ordering::Relaxed));
        };
        counter(&mut out, "tarn_ingest_requests_total", "Ingestion requests received.", &self.ingest_requests);
        counter(&mut out, "tarn_ingest_errors_total", "Ingestion requests that failed.", &self.ingest_errors);
        counter(&mut out, "tarn_ingest_throttled_total", "Ingestion requests refused with 429.", &self.ingest_throttled);
        counter(&mut out, "tarn_ingested_rows_total", "Rows committed by ingestion.", &self.ingested_rows);
        counter(&mut out, "tarn_ingested_bytes_total", "Request bytes (after decompression) committed.", &self.ingested_bytes);
        counter(&mut out, "tarn_ingest_bad_values_total", "Values stored as null because they did not parse.", &self.ingest_bad_values);
        counter(&mut out, "tarn_queries_total", "Queries received.", &self.queries);
        counter(&mut out, "tarn_query_errors_total", "Queries that failed.", &self.query_errors);
        counter(&mut out, "tarn_commands_total", "Management commands received.", &self.commands);
        counter(&mut out, "tarn_command_errors_total", "Management commands that failed.", &self.command_errors);
        counter(&mut out, "tarn_merges_total", "Background merges committed.", &self.merges);
        counter(&mut out, "tarn_retention_dropped_extents_total", "Extents dropped by retention.", &self.retention_drops);
        let gauge = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        };
        gauge(&mut out, "tarn_tables", "Tables in all databases.", gauges.tables);
        gauge(&mut out, "tarn_extents", "Committed extents.", gauges.extents);
        gauge(&mut out, "tarn_rows", "Rows in committed extents.", gauges.rows);
        gauge(&mut out, "tarn_extent_bytes", "Encoded bytes of committed extents.", gauges.extent_bytes);
        gauge(&mut out, "tarn_ingest_queue_requests", "Requests waiting for the group committer.", gauges.ingest_queue);
        let cache = &gauges.column_cache;
        gauge(&mut out, "tarn_column_cache_bytes", "Bytes of decoded columns held by the column cache.", cache.bytes as u64);
        gauge(&mut out, "tarn_column_cache_capacity_bytes", "The column cache's capacity.", cache.capacity_bytes as u64);
        gauge(&mut out, "tarn_column_cache_entries", "Columns held by the column cache.", cache.entries as u64);
        total(&mut out, "tarn_column_cache_hits_total", "Column reads served from the column cache.", cache.hits);
        total(&mut out, "tarn_column_cache_misses_total", "Column reads that fetched and decoded a stored value.", cache.misses);
        total(&mut out, "tarn_column_cache_evictions_total", "Columns evicted to make room.", cache.evictions);
        let _ = writeln!(out, "# HELP tarn_query_duration_seconds Query latency.\n# TYPE tarn_query_duration_seconds histogram");
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS_SECONDS) {
            let _ = writeln!(out, "tarn_query_duration_seconds_bucket{{le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "tarn_query_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "tarn_query_duration_seconds_sum {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "tarn_query_duration_seconds_count {count}");
        out
    }
}
