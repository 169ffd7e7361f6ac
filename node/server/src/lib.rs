//! tarnd: one Tarn node.
//!
//! Owns: assembling the node ([`node::Node`]: metadata through Raft, extent storage, the query
//! engine, the ingestion committer), the HTTP API that speaks Kusto's REST protocol ([`http`],
//! [`ingest_http`], [`mgmt`]), background merge and retention ([`maintenance`]), metrics, the
//! configuration, runtimes and shutdown.
//!
//! Does not own: KQL parsing or planning, storage formats, the wire encoding, or Raft's state
//! machine — each is its own crate, and this one only wires them together.

pub mod config;
pub mod errors;
pub mod http;
pub mod ingest_http;
pub mod maintenance;
pub mod metrics;
pub mod mgmt;
pub mod node;
pub mod recent;
pub mod result_table;
pub mod server;

pub use config::Config;
pub use node::Node;
