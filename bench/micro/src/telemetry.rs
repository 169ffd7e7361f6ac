//! Deterministic telemetry-shaped input: device readings with a timestamp, four low-cardinality
//! strings, three reals and two longs, rendered as CSV, as JSON lines, or parsed into the Arrow
//! batch an ingestion of that CSV would produce.
//!
//! The same seed always gives the same bytes, so figures from different commits measure the same
//! input. The generator is a SplitMix64 stream: a few lines, and no `rand` dependency whose
//! algorithm could change under a version bump.

use std::fmt::Write as _;

use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use tarn_common::text::format::format_datetime;
use tarn_common::types::arrow_schema;
use tarn_common::{Column, KustoType};
use tarn_ingest::format::{DataFormat, ParseOptions, parse_body};

use crate::error::{FixtureError, Result};

/// The table every benchmark reads and writes.
pub const TABLE_NAME: &str = "Telemetry";
/// Rows of the generated input and of the benchmarked extent.
pub const ROWS_DEFAULT: usize = 100_000;
/// Seed of the default input.
pub const SEED_DEFAULT: u64 = 0x7A12_2026;

/// 2024-01-01T00:00:00Z in ns since the Unix epoch.
const START_NANOS: i64 = 1_704_067_200_000_000_000;
/// One reading every 50 ms on average: 100 000 rows span about 83 minutes.
const READING_INTERVAL_NANOS: i64 = 50_000_000;
const DEVICES_DISTINCT: u64 = 1_000;
const REGIONS: [&str; 8] = [
    "eu-west",
    "eu-north",
    "us-east",
    "us-west",
    "us-central",
    "ap-south",
    "ap-east",
    "sa-east",
];
const SENSORS: [&str; 6] = ["engine", "gearbox", "brake", "battery", "cabin", "tyre"];
/// Weighted towards `ok`, as real fleets are: index = draw % 16.
const STATUSES: [&str; 16] = [
    "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "warn", "warn",
    "error", "offline",
];

/// The ten columns of the telemetry table, in storage order.
pub fn schema() -> Vec<Column> {
    vec![
        Column::new("timestamp", KustoType::DateTime),
        Column::new("device_id", KustoType::String),
        Column::new("region", KustoType::String),
        Column::new("sensor", KustoType::String),
        Column::new("status", KustoType::String),
        Column::new("velocity", KustoType::Real),
        Column::new("temperature", KustoType::Real),
        Column::new("pressure", KustoType::Real),
        Column::new("sequence", KustoType::Long),
        Column::new("bytes_sent", KustoType::Long),
    ]
}

/// One generated reading.
struct Reading {
    timestamp_nanos: i64,
    device_id: u64,
    region: &'static str,
    sensor: &'static str,
    status: &'static str,
    /// Uniform in [0, 100): `velocity > 50` keeps about half the rows.
    velocity: f64,
    temperature: f64,
    pressure: f64,
    sequence: i64,
    bytes_sent: i64,
}

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, full period, good enough for test data.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        let index = (self.next_u64() % choices.len() as u64) as usize;
        choices[index]
    }
}

fn readings(rows: usize, seed: u64) -> Vec<Reading> {
    let mut random = SplitMix64 { state: seed };
    let mut timestamp_nanos = START_NANOS;
    let mut readings = Vec::with_capacity(rows);
    for row in 0..rows {
        timestamp_nanos += (random.next_u64() % (2 * READING_INTERVAL_NANOS as u64)) as i64;
        readings.push(Reading {
            timestamp_nanos,
            device_id: random.next_u64() % DEVICES_DISTINCT,
            region: random.pick(&REGIONS),
            sensor: random.pick(&SENSORS),
            status: random.pick(&STATUSES),
            velocity: (random.next_unit() * 100_000.0).round() / 1000.0,
            temperature: (random.next_unit() * 12_000.0 - 2_000.0).round() / 100.0,
            pressure: (random.next_unit() * 2_000.0 + 9_000.0).round() / 10.0,
            sequence: row as i64,
            bytes_sent: (random.next_u64() % 65_536) as i64,
        });
    }
    readings
}

/// `rows` readings as CSV without a header, in [`schema`] order.
pub fn csv_body(rows: usize, seed: u64) -> Vec<u8> {
    let mut body = String::with_capacity(rows * 110);
    for reading in readings(rows, seed) {
        // Writing to a String cannot fail.
        let _ = writeln!(
            body,
            "{},device-{:04},{},{},{},{},{},{},{},{}",
            format_datetime(reading.timestamp_nanos),
            reading.device_id,
            reading.region,
            reading.sensor,
            reading.status,
            reading.velocity,
            reading.temperature,
            reading.pressure,
            reading.sequence,
            reading.bytes_sent,
        );
    }
    body.into_bytes()
}

/// The same readings as [`csv_body`] as JSON lines, one object per reading keyed by column name.
pub fn json_lines_body(rows: usize, seed: u64) -> Vec<u8> {
    let mut body = String::with_capacity(rows * 240);
    for reading in readings(rows, seed) {
        let _ = writeln!(
            body,
            r#"{{"timestamp":"{}","device_id":"device-{:04}","region":"{}","sensor":"{}","status":"{}","velocity":{},"temperature":{},"pressure":{},"sequence":{},"bytes_sent":{}}}"#,
            format_datetime(reading.timestamp_nanos),
            reading.device_id,
            reading.region,
            reading.sensor,
            reading.status,
            reading.velocity,
            reading.temperature,
            reading.pressure,
            reading.sequence,
            reading.bytes_sent,
        );
    }
    body.into_bytes()
}

/// The readings as one Arrow batch in the table's schema, made the way ingestion makes it.
pub fn record_batch(rows: usize, seed: u64) -> Result<RecordBatch> {
    let table_columns = schema();
    let parsed = parse_body(
        &csv_body(rows, seed),
        DataFormat::Csv,
        &table_columns,
        None,
        &ParseOptions::default(),
    )?;
    if parsed.errors_total != 0 || parsed.rows != rows as u64 {
        return Err(FixtureError::InputNotClean {
            rows_parsed: parsed.rows,
            values_bad: parsed.errors_total,
        });
    }
    let batch = concat_batches(&arrow_schema(&table_columns), &parsed.batches)?;
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the input is deterministic and that CSV and JSON lines carry the same rows.
    #[test]
    fn same_seed_same_bytes_and_both_formats_parse_alike() -> Result<()> {
        assert_eq!(csv_body(500, 7), csv_body(500, 7));
        assert_ne!(csv_body(500, 7), csv_body(500, 8));

        let options = ParseOptions::default();
        let from_csv = parse_body(
            &csv_body(500, 7),
            DataFormat::Csv,
            &schema(),
            None,
            &options,
        )?;
        let from_json = parse_body(
            &json_lines_body(500, 7),
            DataFormat::Json,
            &schema(),
            None,
            &options,
        )?;
        assert_eq!(from_csv.errors_total, 0);
        assert_eq!(from_json.errors_total, 0);
        assert_eq!(from_csv.batches, from_json.batches);
        assert_eq!(record_batch(500, 7)?.num_rows(), 500);
        Ok(())
    }
}
