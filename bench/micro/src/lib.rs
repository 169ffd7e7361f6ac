//! tarn-microbench: criterion micro-benchmarks of Tarn's hot kernels, driven only through the
//! node crates' public APIs.
//!
//! Owns: the deterministic telemetry input every benchmark uses ([`telemetry`]: CSV, JSON lines,
//! the Arrow batch ingestion makes of them) and the store fixture the storage and query benchmarks
//! read ([`fixture`]: a RocksDB extent store in a temporary directory plus a catalog naming its
//! extent). The measurements themselves are in `benches/kernels.rs`; how to run them and the
//! recorded figures are in `README.md`.
//!
//! Does not own: end-to-end figures over HTTP (the rest of `bench/`), or any code under test.

pub mod error;
pub mod fixture;
pub mod telemetry;

pub use error::{FixtureError, Result};
pub use fixture::TelemetryStore;
