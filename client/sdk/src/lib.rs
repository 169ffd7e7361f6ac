//! tarn-client: a Rust client for Tarn and any server that speaks Kusto's REST protocol
//! (Azure Data Explorer, the Kusto emulator).
//!
//! Owns: connecting (connection strings, several node URLs with failover, a bearer token),
//! queries whose results stream in as Arrow record batches (and, for convenience, serde rows),
//! management commands, streaming ingestion of files, streams and Arrow batches with gzip,
//! mappings and ingestion tags, retries with backoff on retryable errors only, timeouts, and
//! Kusto errors as typed errors.
//!
//! Does not own: authentication flows (a token is taken as given), KQL itself (text in, tables
//! out), queued ingestion, TLS (https URLs need reqwest built with a TLS feature), or anything of
//! the server: this crate depends on no other Tarn crate.
//!
//! Layout:
//! - [`client`]: [`Client`], [`ClientBuilder`]; sending with retry and failover; queries and
//!   commands.
//! - [`connection`]: [`ConnectionString`] parsing.
//! - [`options`]: [`QueryOptions`], Kusto's request properties and parameters.
//! - [`retry`]: [`RetryPolicy`] and which errors are retried for which requests.
//! - [`response`]: [`QueryStream`], a result read as it arrives.
//! - `frames`: cutting response bodies into frames and rows as bytes arrive (v2 in its default
//!   and fragmented, newline-framed forms; v1), and decoding them into batches.
//! - [`value`]: JSON cells → Arrow per Kusto type; Kusto's text forms; display.
//! - [`rows`]: serde deserialization of result rows.
//! - [`result`]: tables, batches and stream events.
//! - [`ingest`]: streaming ingestion.
//! - [`error`]: [`Error`], the one error type.
//!
//! # Example
//!
//! ```no_run
//! use tarn_client::{Client, DataFormat, IngestOptions, QueryOptions};
//!
//! #[derive(serde::Deserialize)]
//! struct Reading { device: String, average: Option<f64> }
//!
//! # async fn example() -> tarn_client::Result<()> {
//! let client = Client::new("Data Source=http://127.0.0.1:8080;Initial Catalog=NetDefaultDB")?;
//! client.execute_mgmt("NetDefaultDB", ".create table Readings (device:string, value:real)").await?;
//! let csv = "dev-1,20.5\ndev-1,21.5\ndev-2,19.0\n";
//! client.ingest_bytes("NetDefaultDB", "Readings", csv.into(), IngestOptions::new(DataFormat::Csv)).await?;
//!
//! let options = QueryOptions::new().parameter("minimum", 20.0);
//! let readings: Vec<Reading> = client
//!     .query_with(
//!         "NetDefaultDB",
//!         "declare query_parameters(minimum:real); Readings | where value >= minimum | summarize average = avg(value) by device",
//!         &options,
//!     )
//!     .await?
//!     .rows()
//!     .await?;
//! for reading in readings {
//!     println!("{}: {:?}", reading.device, reading.average);
//! }
//! # Ok(()) }
//! ```

pub mod client;
pub mod connection;
pub mod error;
mod frames;
pub mod ingest;
pub mod options;
pub mod response;
pub mod result;
pub mod retry;
pub mod rows;
pub mod value;

/// The ten Kusto types and their Arrow layout (the `tarn-types` crate, shared with the node).
pub use tarn_types as types;

pub use client::{Client, ClientBuilder, DATABASE_DEFAULT};
pub use connection::ConnectionString;
pub use error::{Error, Position, Result};
pub use ingest::{DataFormat, IngestOptions, IngestProgress, IngestReport};
pub use options::{Consistency, QueryOptions};
pub use response::{QueryStream, StreamStats};
pub use result::{QueryEvent, ResultBatch, ResultTable, TableHeader, TableKind};
pub use retry::RetryPolicy;
pub use types::KustoType;
