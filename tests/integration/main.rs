//! Tarn's integration tests, one binary: golden KQL files, the HTTP API, and crash recovery of a
//! real `tarnd` process.

mod api;
mod crash;
mod slt;
