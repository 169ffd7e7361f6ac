//! The freshness probe: how long after an ingest is acknowledged a query sees its row.
//!
//! Every [`PROBE_INTERVAL`] one row with a unique marker in `name` and the current time in `ts`
//! is posted the same way the load is (so it rides the same group commits), then a count query
//! for the marker is sent every [`POLL_INTERVAL`] until it answers 1. Freshness is the time from
//! the acknowledgement to the reply of the first query that saw the row, so it includes that
//! query's own latency; with Tarn's commit-then-acknowledge ingestion the row is visible at
//! acknowledgement, and what is measured is the query path under load. The query filters on
//! `ts` first, so extents of (older) load data are pruned by their time range.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tarn_client::Client;

use super::worker::{Counters, Sent, post_body};
use crate::iso::{Fraction, timestamp_text};

pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// A probe not seen after this long counts as a timeout.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the probes measured.
#[derive(Debug, Clone, Default)]
pub struct ProbeResults {
    pub freshness_ms: Vec<f64>,
    pub timeouts: u64,
    /// Probe rows whose ingestion or polling failed.
    pub errors: u64,
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as i64)
        .unwrap_or(0)
}

/// One `readings` row as CSV: the marker in `name`, nulls in the measures.
fn probe_row(ts_text: &str, marker: &str) -> String {
    format!("{ts_text},{marker},probe,probe,probe,probe,,,,,,,\n")
}

/// Polls until the marker's row is counted; the time from `acknowledged` then, or `None` on
/// timeout. A failing poll query is an error.
async fn wait_until_visible(
    client: &Client,
    database: &str,
    query: &str,
    acknowledged: Instant,
) -> Result<Option<f64>, tarn_client::Error> {
    loop {
        let rows: Vec<(i64,)> = client.query(database, query).await?.rows().await?;
        if rows.first().is_some_and(|(count,)| *count >= 1) {
            return Ok(Some(acknowledged.elapsed().as_secs_f64() * 1e3));
        }
        if acknowledged.elapsed() > PROBE_TIMEOUT {
            return Ok(None);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Probes until `deadline`. `ingest_url` is the table's streaming-ingest URL for CSV.
#[allow(
    clippy::too_many_arguments,
    reason = "the probe's inputs are all distinct and named"
)]
pub async fn run_probes(
    http: reqwest::Client,
    client: Client,
    ingest_url: String,
    database: String,
    table: String,
    run_id: String,
    deadline: Instant,
    counters: std::sync::Arc<Counters>,
) -> ProbeResults {
    let mut results = ProbeResults::default();
    let mut ticker = tokio::time::interval(PROBE_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut number = 0u64;
    loop {
        ticker.tick().await;
        if Instant::now() >= deadline {
            return results;
        }
        number += 1;
        let marker = format!("probe_{run_id}_{number}");
        let ts_text = timestamp_text(now_nanos(), Fraction::Millis);
        let body = Bytes::from(probe_row(&ts_text, &marker));
        match post_body(&http, &ingest_url, body, false).await {
            Sent::Acknowledged { .. } => {}
            Sent::Failed { kind } => {
                results.errors += 1;
                counters.record_error(&format!("probe_{kind}"));
                continue;
            }
        }
        let acknowledged = Instant::now();
        let query = format!(
            "{table} | where ts >= datetime({ts_text}) | where name == \"{marker}\" | count"
        );
        match wait_until_visible(&client, &database, &query, acknowledged).await {
            Ok(Some(milliseconds)) => results.freshness_ms.push(milliseconds),
            Ok(None) => results.timeouts += 1,
            Err(error) => {
                results.errors += 1;
                let kind = error
                    .http_status()
                    .map_or_else(|| "other".to_string(), |status| status.to_string());
                counters.record_error(&format!("probe_query_{kind}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::READINGS;

    // Proves a probe row has exactly the readings table's column count.
    #[test]
    fn probe_row_fits_the_readings_schema() {
        let row = probe_row("2024-01-01T00:00:00.000Z", "probe_x_1");
        let fields = row.trim_end().split(',').count();
        assert_eq!(fields, READINGS.columns.len());
    }
}
