//! tarn-bench: the benchmark tool for Tarn.
//!
//! Owns: the IoT fleet data set (a TSBS-like generator, deterministic from a seed, written as
//! CSV, JSON lines and Parquet with a manifest), the bulk load of a data set into a node, the
//! streaming-ingestion load test (throughput, latency, freshness, server CPU and memory), and
//! the query suite runner whose JSON answers other tools compare across engines.
//!
//! Does not own: the peers (DuckDB, chDB; `bench/peers/`), the query suite itself
//! (`bench/queries/`), answer checking or plots. It talks to a node only through the wire
//! protocol (the `tarn-client` SDK, and plain HTTP where the SDK's guarantees would distort a
//! measurement: see [`ingest::worker`]), so it can measure any Kusto-protocol server.
//!
//! Layout:
//! - [`dataset`]: the data set: trucks, random walks, defects, reordering, file sinks, manifest,
//!   streaming straight to a node.
//! - [`load`]: `load`, bulk ingestion of a generated directory.
//! - [`ingest`]: `ingest`, the load test: body pools, clients, freshness probe, sampler.
//! - [`query`]: `query`, the suite runner; [`values`]: result cells as JSON.
//! - [`prng`]: the PRNG; [`iso`]: timestamps and durations as text; [`schema`]: the tables.
//! - [`stats`]: percentiles; [`report`]: JSON files; [`error`]: the error type.

pub mod dataset;
pub mod error;
pub mod ingest;
pub mod iso;
pub mod load;
pub mod prng;
pub mod query;
pub mod report;
pub mod schema;
pub mod stats;
pub mod values;

pub use error::{Error, Result};
