//! A terminal dashboard: re-runs a summarize query over the `Telemetry` table (filled by the
//! `telemetry_ingester` example) every two seconds and redraws a table of devices.
//!
//! ```text
//! cargo run -p tarn-client --example dashboard -- [URL] [REFRESHES]
//! ```
//! Defaults: http://127.0.0.1:8080, refresh until Ctrl-C.

use std::io::Write;
use std::time::{Duration, Instant};

use tarn_client::{Client, Error, QueryOptions};

const QUERY: &str = "Telemetry
| summarize readings = count(), average = avg(temperature), hottest = max(temperature), last_seen = max(ts) by device
| order by average desc
| take 15";

#[derive(serde::Deserialize)]
struct DeviceRow {
    device: String,
    readings: i64,
    average: Option<f64>,
    hottest: Option<f64>,
    last_seen: Option<String>,
}

fn draw(rows: &[DeviceRow], elapsed: Duration) {
    let mut out = std::io::stdout().lock();
    // Clear the screen and go home, then draw.
    let _ = write!(out, "\x1b[2J\x1b[H");
    let _ = writeln!(
        out,
        "Telemetry by device (query took {:.0} ms)\n",
        elapsed.as_secs_f64() * 1000.0
    );
    let _ = writeln!(
        out,
        "{:<12} {:>10} {:>9} {:>9}  {:<28}",
        "device", "readings", "average", "hottest", "last seen"
    );
    let _ = writeln!(out, "{}", "-".repeat(72));
    for row in rows {
        let bar = "#".repeat(((row.average.unwrap_or(0.0) - 19.0).max(0.0) * 4.0) as usize);
        let _ = writeln!(
            out,
            "{:<12} {:>10} {:>9.2} {:>9.2}  {:<28} {bar}",
            row.device,
            row.readings,
            row.average.unwrap_or(f64::NAN),
            row.hottest.unwrap_or(f64::NAN),
            row.last_seen.as_deref().unwrap_or("")
        );
    }
    let _ = out.flush();
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_string());
    let refreshes: Option<u64> = args.next().map(|text| text.parse()).transpose()?;
    let client = Client::new(&url)?;
    let options = QueryOptions::new().server_timeout(Duration::from_secs(10));
    let mut done = 0;
    loop {
        let started = Instant::now();
        let outcome: Result<Vec<DeviceRow>, Error> = async {
            client
                .query_with(client.default_database(), QUERY, &options)
                .await?
                .rows()
                .await
        }
        .await;
        match outcome {
            Ok(rows) => draw(&rows, started.elapsed()),
            Err(error) => eprintln!("query failed: {error}"),
        }
        done += 1;
        if refreshes.is_some_and(|refreshes| done >= refreshes) {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
