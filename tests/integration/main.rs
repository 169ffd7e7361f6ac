//! Tarn's integration tests, one binary: golden KQL files, the HTTP API, crash recovery of a
//! real `tarnd` process, the Rust client SDK and the `tarn` CLI against real nodes.

mod api;
mod cli;
mod client_sdk;
mod crash;
mod slt;
