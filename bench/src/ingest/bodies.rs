//! The request bodies the load-test clients send, built before the clock starts so that the
//! client's CPU (on the same cores as the server in a one-machine run) goes to sending, not to
//! generating and compressing.
//!
//! What varies: client `c` writes trucks `c * TRUCKS_PER_CLIENT ..`, and its body `b` covers the
//! time window right after body `b - 1`'s, from its own PRNG stream; so no two bodies of a run
//! hold the same rows. A client cycles through its pool, so after `pool` requests it sends its
//! first body again: the table then holds repeated rows, which costs the server the same work
//! as new ones (nothing deduplicates them).

use bytes::Bytes;

use crate::dataset::parquet_sink::ParquetSink;
use crate::dataset::sink::{CsvSink, JsonSink};
use crate::dataset::{Segment, write_segment};
use crate::error::{Error, Result};
use crate::iso::NANOS_PER_SECOND;
use crate::schema::READINGS;

/// Bytes of request bodies held in memory by all clients together, at most.
pub const POOL_BYTES_MAX: usize = 256 << 20;
/// Bodies per client, at most (more only repeats less often).
pub const BODIES_PER_CLIENT_MAX: usize = 16;
/// Distinct trucks per client.
pub const TRUCKS_PER_CLIENT: u64 = 1000;
/// Readings of the load-test data are this far apart per truck.
const BODY_INTERVAL_NANOS: i64 = 10 * NANOS_PER_SECOND;
/// 2024-01-01T00:00:00Z: load data is old, so freshness probes (stamped now) sort after it.
const BODY_START_NANOS: i64 = 1_704_067_200 * NANOS_PER_SECOND;

/// The body encodings the load test sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    Csv,
    Json,
    Parquet,
}

impl BodyFormat {
    pub fn parse(text: &str) -> Option<BodyFormat> {
        match text.to_ascii_lowercase().as_str() {
            "csv" => Some(BodyFormat::Csv),
            "json" | "jsonl" => Some(BodyFormat::Json),
            "parquet" => Some(BodyFormat::Parquet),
            _ => None,
        }
    }

    /// Kusto's `streamFormat` name.
    pub fn stream_format(self) -> &'static str {
        match self {
            BodyFormat::Csv => "csv",
            BodyFormat::Json => "json",
            BodyFormat::Parquet => "parquet",
        }
    }
}

/// One ready request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// As sent (gzipped when asked).
    pub bytes: Bytes,
    pub rows: u64,
    /// Before compression.
    pub raw_bytes: u64,
}

fn gzip(raw: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 4),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(raw)
        .and_then(|()| encoder.finish())
        .map_err(|source| Error::io("a gzipped request body", source))
}

/// Encodes `segment`'s readings as one body.
pub fn build_body(segment: &Segment, format: BodyFormat, compress: bool) -> Result<Body> {
    let label = format!("load body {}", segment.body);
    let (raw, rows) = match format {
        BodyFormat::Csv => {
            let mut sink = CsvSink::new(Vec::new(), READINGS.columns, &label);
            let rows = write_segment(segment, |values| sink.write_row(values))?;
            (sink.into_inner()?, rows)
        }
        BodyFormat::Json => {
            let mut sink = JsonSink::new(Vec::new(), READINGS.columns, &label);
            let rows = write_segment(segment, |values| sink.write_row(values))?;
            (sink.into_inner()?, rows)
        }
        BodyFormat::Parquet => {
            let mut sink = ParquetSink::new(Vec::new(), &READINGS, &label)?;
            let rows = write_segment(segment, |values| sink.write_row(values))?;
            (sink.into_inner()?, rows)
        }
    };
    let raw_bytes = raw.len() as u64;
    let bytes = if compress { gzip(&raw)? } else { raw };
    Ok(Body {
        bytes: Bytes::from(bytes),
        rows,
        raw_bytes,
    })
}

/// The segment of client `client`'s body number `body`.
pub fn segment(seed: u64, client: u64, body: u64, batch_rows: u64) -> Segment {
    let truck_count = batch_rows.clamp(1, TRUCKS_PER_CLIENT);
    let steps_per_body = batch_rows.div_ceil(truck_count) as i64;
    Segment {
        seed,
        body: client * BODIES_PER_CLIENT_MAX as u64 + body,
        first_truck: client * TRUCKS_PER_CLIENT,
        truck_count,
        start_nanos: BODY_START_NANOS + body as i64 * steps_per_body * BODY_INTERVAL_NANOS,
        interval_nanos: BODY_INTERVAL_NANOS,
        rows: batch_rows,
    }
}

/// Each client's pool: as many bodies as fit in its share of [`POOL_BYTES_MAX`], 1 to
/// [`BODIES_PER_CLIENT_MAX`].
pub fn build_pools(
    seed: u64,
    clients: u64,
    batch_rows: u64,
    format: BodyFormat,
    compress: bool,
) -> Result<Vec<Vec<Body>>> {
    let first = build_body(&segment(seed, 0, 0, batch_rows), format, compress)?;
    let share = POOL_BYTES_MAX / clients.max(1) as usize;
    let per_client = (share / first.bytes.len().max(1)).clamp(1, BODIES_PER_CLIENT_MAX);
    let mut pools = Vec::with_capacity(clients as usize);
    for client in 0..clients {
        let mut pool = Vec::with_capacity(per_client);
        for body in 0..per_client as u64 {
            if client == 0 && body == 0 {
                pool.push(first.clone());
            } else {
                pool.push(build_body(
                    &segment(seed, client, body, batch_rows),
                    format,
                    compress,
                )?);
            }
        }
        pools.push(pool);
    }
    Ok(pools)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves bodies hold the asked rows, gzip shrinks CSV, and two bodies differ.
    #[test]
    fn bodies_have_their_rows_and_differ() -> Result<()> {
        let plain = build_body(&segment(1, 0, 0, 500), BodyFormat::Csv, false)?;
        assert_eq!(plain.rows, 500);
        assert_eq!(
            plain.bytes.iter().filter(|byte| **byte == b'\n').count(),
            500
        );
        let zipped = build_body(&segment(1, 0, 0, 500), BodyFormat::Csv, true)?;
        assert!(zipped.bytes.len() < plain.bytes.len() / 2);
        assert_eq!(zipped.raw_bytes, plain.raw_bytes);
        let next = build_body(&segment(1, 0, 1, 500), BodyFormat::Csv, false)?;
        assert_ne!(next.bytes, plain.bytes);
        let other_client = build_body(&segment(1, 1, 0, 500), BodyFormat::Csv, false)?;
        assert_ne!(other_client.bytes, plain.bytes);
        let parquet = build_body(&segment(1, 0, 0, 500), BodyFormat::Parquet, false)?;
        assert!(parquet.bytes.starts_with(b"PAR1"));
        let pools = build_pools(1, 2, 100, BodyFormat::Json, false)?;
        assert_eq!(pools.len(), 2);
        assert_eq!(pools[0].len(), BODIES_PER_CLIENT_MAX);
        Ok(())
    }
}
