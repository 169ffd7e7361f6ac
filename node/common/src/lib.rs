//! tarn-common: the vocabulary every Tarn crate shares.
//!
//! Owns: KQL scalar types and their Arrow representation ([`types`]), the Kusto text forms of
//! values (parsing and printing datetimes, timespans, guids, ...: [`text`]), extent metadata as the
//! catalog records it ([`extent`]), named limits ([`limits`]) and the error kinds with their
//! HTTP / Kusto mapping ([`error_kind`]).
//!
//! Does not own: any I/O, storage, query execution or networking.

pub mod error_kind;
pub mod extent;
pub mod limits;
pub mod text;
pub mod types;

pub use error_kind::ErrorKind;
pub use extent::{ColumnStats, ExtentId, ExtentMeta, StatValue};
pub use types::{Column, KustoType};
