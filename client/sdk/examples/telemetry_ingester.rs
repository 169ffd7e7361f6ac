//! A telemetry ingester: generates device readings as Arrow record batches and ingests them into
//! a Tarn table, one tagged batch per round, printing the rate.
//!
//! ```text
//! cargo run -p tarn-client --example telemetry_ingester -- [URL] [ROWS_PER_ROUND] [ROUNDS]
//! ```
//! Defaults: http://127.0.0.1:8080, 100000 rows, 10 rounds. Run `dashboard` beside it to watch.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arrow::array::{
    ArrayRef, Float64Array, LargeStringArray, RecordBatch, StringArray, TimestampNanosecondArray,
};
use tarn_client::{Client, DataFormat, IngestOptions};

const DATABASE: &str = "NetDefaultDB";
const DEVICES: u64 = 50;

/// One round of readings: `rows` readings spread over the devices, stamped around `now_nanos`.
fn readings(
    round: u64,
    rows: u64,
    now_nanos: i64,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let mut timestamps = Vec::with_capacity(rows as usize);
    let mut devices = Vec::with_capacity(rows as usize);
    let mut temperatures = Vec::with_capacity(rows as usize);
    let mut tags = Vec::with_capacity(rows as usize);
    for row in 0..rows {
        let device = (row * 7 + round) % DEVICES;
        // Rounded to 100 ns ticks: Kusto's datetime resolution.
        timestamps.push((now_nanos - (rows - row) as i64 * 1_000_000) / 100 * 100);
        devices.push(format!("device-{device:03}"));
        temperatures.push(20.0 + (device as f64) / 10.0 + ((row % 100) as f64) / 100.0);
        tags.push(format!(
            r#"{{"site":"site-{}","round":{round}}}"#,
            device % 5
        ));
    }
    RecordBatch::try_from_iter([
        (
            "ts",
            Arc::new(TimestampNanosecondArray::from(timestamps).with_timezone("UTC")) as ArrayRef,
        ),
        ("device", Arc::new(StringArray::from(devices)) as ArrayRef),
        (
            "temperature",
            Arc::new(Float64Array::from(temperatures)) as ArrayRef,
        ),
        ("tags", Arc::new(LargeStringArray::from(tags)) as ArrayRef),
    ])
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_string());
    let rows: u64 = args
        .next()
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(100_000);
    let rounds: u64 = args
        .next()
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(10);

    let client = Client::new(&url)?;
    let existing = client.execute_mgmt(DATABASE, ".show tables").await?;
    let has_table = existing
        .iter()
        .flat_map(|table| {
            table
                .rows::<(String, String, String, String)>()
                .unwrap_or_default()
        })
        .any(|(name, ..)| name == "Telemetry");
    if !has_table {
        client
            .execute_mgmt(DATABASE, ".create table Telemetry (ts:datetime, device:string, temperature:real, tags:dynamic)")
            .await?;
    }
    // One run id: a round re-sent after a failure is deduplicated by its tag.
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let started = Instant::now();
    let mut total_rows = 0;
    for round in 0..rounds {
        let now_nanos = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos())?;
        let batch = readings(round, rows, now_nanos)?;
        let round_started = Instant::now();
        let options =
            IngestOptions::new(DataFormat::Parquet).tag(format!("telemetry-{run}-{round}"));
        let report = client
            .ingest_batches(DATABASE, "Telemetry", vec![batch], options)
            .await?;
        total_rows += report.progress.rows;
        println!(
            "round {round}: {} rows in {:.2} s ({:.0} rows/s)",
            report.progress.rows,
            round_started.elapsed().as_secs_f64(),
            report.progress.rows as f64 / round_started.elapsed().as_secs_f64()
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{total_rows} rows in {seconds:.2} s: {:.0} rows/s",
        total_rows as f64 / seconds
    );
    Ok(())
}
