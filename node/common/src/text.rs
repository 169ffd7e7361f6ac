//! The text forms of KQL values: how Kusto prints them (on the wire, in `tostring`) and how it reads
//! them (ingestion, `todatetime`, literals).
//!
//! - `format`: printing (datetime with 7 fractional digits and `Z`, timespan `[-][d.]hh:mm:ss[.fffffff]`,
//!   guid, decimal, real).
//! - `parse`: reading (ISO 8601 and Kusto's other datetime forms, timespans, booleans, guids, numbers).

pub mod format;
pub mod parse;
