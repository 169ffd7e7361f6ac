//! The load-test clients: each posts its pre-built bodies to the streaming-ingest endpoint, one
//! request at a time, flat out or paced to its share of `--rate`.
//!
//! Why plain HTTP and not `tarn-client`'s ingestion: the SDK tags every chunk
//! (`ingestIfNotExists`) for idempotent retries, and Tarn commits a tagged request on its own,
//! outside group commit; it also gzips each chunk as it is sent. A load test of streaming
//! ingestion should measure what an untagged Kusto streaming client gets (group commit), with
//! bodies compressed once, before the clock starts. Nothing is retried: an error is counted by
//! kind and the client goes on.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use super::bodies::Body;

/// How long one ingest request may take before it counts as a timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The pause after an error, so a refusing server (429) is not hammered in a tight loop.
const ERROR_PAUSE: Duration = Duration::from_millis(50);
/// Latencies kept for the final percentiles, at most (a 60 s run sends far fewer requests).
const LATENCIES_MAX: usize = 10_000_000;

/// What all clients have done so far; read by the sampler every second.
#[derive(Default)]
pub struct Counters {
    pub rows: AtomicU64,
    pub raw_bytes: AtomicU64,
    pub wire_bytes: AtomicU64,
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    /// Latencies (ms) of acknowledged requests since the sampler last took them.
    recent_latencies: Mutex<Vec<f64>>,
    /// Every latency (ms), for the final percentiles.
    all_latencies: Mutex<Vec<f64>>,
    errors_by_kind: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    fn record_latency(&self, milliseconds: f64) {
        if let Ok(mut recent) = self.recent_latencies.lock() {
            recent.push(milliseconds);
        }
    }

    /// Takes the latencies since the last call (and keeps them for the final figures).
    pub fn take_recent_latencies(&self) -> Vec<f64> {
        let recent = match self.recent_latencies.lock() {
            Ok(mut recent) => std::mem::take(&mut *recent),
            Err(_) => Vec::new(),
        };
        if let Ok(mut all) = self.all_latencies.lock()
            && all.len() + recent.len() <= LATENCIES_MAX
        {
            all.extend_from_slice(&recent);
        }
        recent
    }

    pub fn all_latencies(&self) -> Vec<f64> {
        self.all_latencies
            .lock()
            .map(|all| all.clone())
            .unwrap_or_default()
    }

    pub fn record_error(&self, kind: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut kinds) = self.errors_by_kind.lock() {
            *kinds.entry(kind.to_string()).or_insert(0) += 1;
        }
    }

    pub fn errors_by_kind(&self) -> BTreeMap<String, u64> {
        self.errors_by_kind
            .lock()
            .map(|kinds| kinds.clone())
            .unwrap_or_default()
    }
}

/// A short name for what went wrong with a request, for counting.
pub fn error_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_body() || error.is_decode() {
        "response_body"
    } else {
        "transport"
    }
}

/// `ConsumedRecordsCount` of a streaming-ingest reply.
pub fn consumed_records(reply: &[u8]) -> Option<u64> {
    let value: Value = serde_json::from_slice(reply).ok()?;
    value.pointer("/Tables/0/Rows/0/0").and_then(Value::as_u64)
}

/// The outcome of one ingest request.
pub enum Sent {
    /// Acknowledged, with the rows the server says it added.
    Acknowledged {
        rows: u64,
    },
    Failed {
        kind: String,
    },
}

/// Posts one body to `url`.
pub async fn post_body(http: &reqwest::Client, url: &str, body: Bytes, gzipped: bool) -> Sent {
    let mut request = http
        .post(url)
        .timeout(REQUEST_TIMEOUT)
        .header("content-type", "application/octet-stream")
        .body(body);
    if gzipped {
        request = request.header("content-encoding", "gzip");
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return Sent::Failed {
                kind: error_kind(&error).to_string(),
            };
        }
    };
    let status = response.status();
    let reply = match response.bytes().await {
        Ok(reply) => reply,
        Err(error) => {
            return Sent::Failed {
                kind: error_kind(&error).to_string(),
            };
        }
    };
    if !status.is_success() {
        return Sent::Failed {
            kind: format!("http_{}", status.as_u16()),
        };
    }
    match consumed_records(&reply) {
        Some(rows) => Sent::Acknowledged { rows },
        None => Sent::Failed {
            kind: "reply_without_record_count".to_string(),
        },
    }
}

/// One client: sends bodies from `pool` in turn until `deadline`, paced to `rows_per_second`
/// when given.
pub async fn run_client(
    http: reqwest::Client,
    url: String,
    pool: Vec<Body>,
    gzipped: bool,
    rows_per_second: Option<f64>,
    deadline: Instant,
    counters: std::sync::Arc<Counters>,
) {
    let mut next_send = tokio::time::Instant::now();
    let mut index = 0usize;
    while Instant::now() < deadline {
        let Some(body) = pool.get(index % pool.len().max(1)) else {
            return;
        };
        index += 1;
        if let Some(rate) = rows_per_second.filter(|rate| *rate > 0.0) {
            tokio::time::sleep_until(next_send).await;
            let period = Duration::from_secs_f64(body.rows as f64 / rate);
            // A client that fell behind sends at once but does not burst to catch up.
            next_send = (next_send + period).max(tokio::time::Instant::now());
            if Instant::now() >= deadline {
                return;
            }
        }
        let started = Instant::now();
        match post_body(&http, &url, body.bytes.clone(), gzipped).await {
            Sent::Acknowledged { rows } => {
                counters.record_latency(started.elapsed().as_secs_f64() * 1e3);
                counters.requests.fetch_add(1, Ordering::Relaxed);
                counters.rows.fetch_add(rows, Ordering::Relaxed);
                counters
                    .raw_bytes
                    .fetch_add(body.raw_bytes, Ordering::Relaxed);
                counters
                    .wire_bytes
                    .fetch_add(body.bytes.len() as u64, Ordering::Relaxed);
            }
            Sent::Failed { kind } => {
                counters.requests.fetch_add(1, Ordering::Relaxed);
                counters.record_error(&kind);
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the reply's record count is read and anything else is None.
    #[test]
    fn reads_record_counts() {
        let reply = br#"{"Tables":[{"TableName":"Table_0","Columns":[],"Rows":[[10000,"Inactive","Unknown",null]]}]}"#;
        assert_eq!(consumed_records(reply), Some(10_000));
        assert_eq!(consumed_records(b"{}"), None);
        assert_eq!(consumed_records(b"<html>"), None);
    }

    // Proves taken latencies are kept for the final figures and errors counted by kind.
    #[test]
    fn counters_keep_latencies_and_error_kinds() {
        let counters = Counters::default();
        counters.record_latency(1.0);
        counters.record_latency(2.0);
        assert_eq!(counters.take_recent_latencies(), vec![1.0, 2.0]);
        assert!(counters.take_recent_latencies().is_empty());
        assert_eq!(counters.all_latencies(), vec![1.0, 2.0]);
        counters.record_error("http_429");
        counters.record_error("http_429");
        counters.record_error("timeout");
        assert_eq!(counters.errors.load(Ordering::Relaxed), 3);
        assert_eq!(counters.errors_by_kind().get("http_429"), Some(&2));
    }
}
