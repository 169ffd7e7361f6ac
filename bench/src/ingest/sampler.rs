//! Once a second during the load test: what the clients got acknowledged, the server's CPU and
//! memory (from `/proc/<pid>`, when its pid is given) and its extent and merge counts (from its
//! Prometheus `/metrics`), printed as one progress line on stderr and kept as a sample.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::worker::Counters;
use crate::report::round;
use crate::stats::percentile;

pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(1);
const METRICS_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds since the start of the test.
    pub t_s: f64,
    /// Acknowledged so far.
    pub rows: u64,
    pub bytes: u64,
    /// Over the last interval.
    pub rows_per_s: f64,
    pub mb_per_s: f64,
    pub requests: u64,
    pub errors: u64,
    /// Of the requests acknowledged in the last interval.
    pub p99_ms: Option<f64>,
    pub server_cpu_percent: Option<f64>,
    pub server_rss_mb: Option<f64>,
    pub extents: Option<f64>,
    pub merges: Option<f64>,
}

/// CPU time and resident memory of a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessUsage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ): `getconf CLK_TCK`, else 100, which it
/// is on every Linux architecture in practice.
pub fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// utime + stime (fields 14 and 15) from `/proc/<pid>/stat` text, in ticks. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = after_name.split_whitespace();
    // After the name: state is field 3, so utime (14) is the 12th field from here.
    let user: u64 = fields.nth(11)?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// `VmRSS` from `/proc/<pid>/status` text, in bytes.
pub fn parse_status_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

pub async fn process_usage(pid: u32, ticks_per_second: f64) -> Option<ProcessUsage> {
    let stat = tokio::fs::read_to_string(format!("/proc/{pid}/stat"))
        .await
        .ok()?;
    let status = tokio::fs::read_to_string(format!("/proc/{pid}/status"))
        .await
        .ok()?;
    Some(ProcessUsage {
        cpu_seconds: parse_stat_ticks(&stat)? as f64 / ticks_per_second,
        rss_bytes: parse_status_rss(&status)?,
    })
}

/// The sum over all label sets of metric `name` in Prometheus text (`None` if it is absent).
pub fn metric_sum(text: &str, name: &str) -> Option<f64> {
    let mut total: Option<f64> = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        // `name value` or `name{labels} value`; not `name_other ...`.
        let value_text = if let Some(labelled) = rest.strip_prefix('{') {
            labelled.rsplit_once('}').map(|(_, value)| value)
        } else if rest.starts_with([' ', '\t']) {
            Some(rest)
        } else {
            None
        };
        let value = value_text
            .and_then(|text| text.split_whitespace().next())
            .and_then(|text| text.parse::<f64>().ok());
        if let Some(value) = value {
            *total.get_or_insert(0.0) += value;
        }
    }
    total
}

/// What the sampler collected, and the server's CPU seconds over the whole run.
#[derive(Debug, Clone, Default)]
pub struct SamplerResults {
    pub samples: Vec<Sample>,
    pub server_cpu_seconds: Option<f64>,
    pub server_rss_max_bytes: Option<u64>,
}

pub struct Sampler {
    pub http: reqwest::Client,
    pub metrics_url: String,
    pub server_pid: Option<u32>,
    pub counters: Arc<Counters>,
    pub stop: Arc<AtomicBool>,
    pub started: Instant,
}

impl Sampler {
    async fn metrics(&self) -> Option<String> {
        let response = self
            .http
            .get(&self.metrics_url)
            .timeout(METRICS_TIMEOUT)
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.text().await.ok()
    }

    /// Samples every second until `stop` is set.
    pub async fn run(self) -> SamplerResults {
        let ticks_per_second = clock_ticks_per_second();
        let mut ticker = tokio::time::interval(SAMPLE_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        let first_usage = match self.server_pid {
            Some(pid) => process_usage(pid, ticks_per_second).await,
            None => None,
        };
        let mut previous_usage = first_usage;
        let mut last_usage = first_usage;
        let mut previous_rows = 0u64;
        let mut previous_bytes = 0u64;
        let mut previous_at = Instant::now();
        let mut results = SamplerResults::default();
        while !self.stop.load(Ordering::Relaxed) {
            ticker.tick().await;
            let now = Instant::now();
            let elapsed = now.duration_since(previous_at).as_secs_f64().max(1e-6);
            previous_at = now;
            let rows = self.counters.rows.load(Ordering::Relaxed);
            let bytes = self.counters.raw_bytes.load(Ordering::Relaxed);
            let mut latencies = self.counters.take_recent_latencies();
            latencies.sort_by(f64::total_cmp);
            let usage = match self.server_pid {
                Some(pid) => process_usage(pid, ticks_per_second).await,
                None => None,
            };
            let cpu_percent = match (previous_usage, usage) {
                (Some(before), Some(after)) => Some(round(
                    (after.cpu_seconds - before.cpu_seconds) / elapsed * 100.0,
                    1,
                )),
                _ => None,
            };
            if usage.is_some() {
                previous_usage = usage;
                last_usage = usage;
            }
            if let Some(rss) = usage.map(|usage| usage.rss_bytes) {
                let maximum = results.server_rss_max_bytes.get_or_insert(0);
                *maximum = (*maximum).max(rss);
            }
            let metrics = self.metrics().await;
            let sample = Sample {
                t_s: round(now.duration_since(self.started).as_secs_f64(), 3),
                rows,
                bytes,
                rows_per_s: round((rows - previous_rows.min(rows)) as f64 / elapsed, 1),
                mb_per_s: round(
                    (bytes - previous_bytes.min(bytes)) as f64 / 1e6 / elapsed,
                    3,
                ),
                requests: self.counters.requests.load(Ordering::Relaxed),
                errors: self.counters.errors.load(Ordering::Relaxed),
                p99_ms: percentile(&latencies, 99.0).map(|value| round(value, 3)),
                server_cpu_percent: cpu_percent,
                server_rss_mb: usage.map(|usage| round(usage.rss_bytes as f64 / 1e6, 1)),
                extents: metrics
                    .as_deref()
                    .and_then(|text| metric_sum(text, "tarn_extents")),
                merges: metrics
                    .as_deref()
                    .and_then(|text| metric_sum(text, "tarn_merges_total")),
            };
            previous_rows = rows;
            previous_bytes = bytes;
            eprintln!("{}", progress_line(&sample));
            results.samples.push(sample);
        }
        results.server_cpu_seconds = match (first_usage, last_usage) {
            (Some(first), Some(last)) => Some(last.cpu_seconds - first.cpu_seconds),
            _ => None,
        };
        results
    }
}

fn progress_line(sample: &Sample) -> String {
    let optional = |value: Option<f64>, unit: &str| {
        value.map_or_else(|| "-".to_string(), |value| format!("{value:.0}{unit}"))
    };
    format!(
        "ingest: {:>5.0}s {:>10.0} rows/s {:>7.2} MB/s  p99 {:>8} errors {:<4} cpu {:>5} rss {:>7} extents {:>5} merges {}",
        sample.t_s,
        sample.rows_per_s,
        sample.mb_per_s,
        sample
            .p99_ms
            .map_or_else(|| "-".to_string(), |value| format!("{value:.1}ms")),
        sample.errors,
        optional(sample.server_cpu_percent, "%"),
        optional(sample.server_rss_mb, "MB"),
        optional(sample.extents, ""),
        optional(sample.merges, ""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves utime+stime are found even when the command name holds spaces and parentheses.
    #[test]
    fn parses_proc_stat_and_status() {
        let stat = "1234 (tarn d (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 1000000 500";
        assert_eq!(parse_stat_ticks(stat), Some(300));
        assert_eq!(parse_stat_ticks("garbage"), None);
        let status = "Name:\ttarnd\nVmPeak:\t  9000 kB\nVmRSS:\t  2048 kB\nThreads:\t8\n";
        assert_eq!(parse_status_rss(status), Some(2048 * 1024));
        assert_eq!(parse_status_rss("Name: x\n"), None);
    }

    // Proves metrics are summed over label sets and other names with the same prefix are skipped.
    #[test]
    fn sums_prometheus_metrics() {
        let text = "# HELP tarn_extents Committed extents.\n# TYPE tarn_extents gauge\ntarn_extents 12\n\
                    tarn_extent_bytes 999\ntarn_extents_other 5\n\
                    tarn_merges_total{table=\"a\"} 2\ntarn_merges_total{table=\"b\"} 3\n";
        assert_eq!(metric_sum(text, "tarn_extents"), Some(12.0));
        assert_eq!(metric_sum(text, "tarn_merges_total"), Some(5.0));
        assert_eq!(metric_sum(text, "tarn_missing"), None);
    }
}
