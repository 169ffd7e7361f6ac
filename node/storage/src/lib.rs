//! tarn-storage: the bytes of extents in RocksDB, and the metadata computed from them.
//!
//! Owns: encoding a sealed Arrow batch into an extent and writing it durably ([`ExtentStore`]),
//! reading a projection of an extent back as Arrow, deleting extents, listing what is stored
//! (orphan checks after a crash), merging extents, per-column statistics and pruning on them
//! ([`may_contain`]).
//!
//! Does not own: which extents belong to which table (the catalog lives in the Raft metadata,
//! `tarn-meta`), when to merge or delete (policies), replication, KQL or anything on the network.
//!
//! # On-disk layout (format version 1)
//!
//! One RocksDB database with a column family `extents`. Keys are 20 bytes:
//! `extent id (u128, big-endian) ++ column index (u32, big-endian)` ([`keys`]), so an extent's
//! values are contiguous and ordered by column.
//!
//! - Column `i` of an extent is stored under index `i` as an Arrow IPC *stream* holding one
//!   RecordBatch with that single column, buffers compressed with LZ4 (frame format) by Arrow's
//!   IPC writer (zstd before 2026-12-02; the reader takes either, as each message names its codec).
//!   One value per column means a query that reads k of n columns fetches only k values
//!   (one batched multi-get), instead of decoding a row-group format to skip the rest.
//! - The header sits under index `u32::MAX` (the last key of the extent): the format version,
//!   row count, columns, statistics, creation time, tags and, per column value, its byte length
//!   and CRC-32 ([`header`]). It is written in the same synced `WriteBatch` as the columns, so an
//!   extent either has a header and every column, or nothing.
//! - BlobDB is on for `extents`: column values of at least `BLOB_SIZE_MIN_BYTES` go to blob files
//!   and stay out of the LSM compactions; headers and tiny columns stay in the SSTs.
//!
//! Decoded columns of hot extents stay in memory in a [`ColumnCache`] (bounded by bytes, least
//! recently used out first), as DESIGN.md's decoded-batch cache: a hot scan then reads no value
//! and decompresses nothing. Merges read around it, and deleting an extent evicts its columns.
//!
//! Why not Parquet in fixed-size blocks (DESIGN.md's first plan): a per-column IPC value needs no
//! object-store adapter, no footer read before the data, and decodes without a row-group
//! reassembly; a column is the unit both pruning and projection work on.

pub mod column_cache;
pub mod column_codec;
pub mod error;
pub mod header;
pub mod keys;
pub mod stats;
pub mod store;

#[cfg(test)]
mod store_tests;

pub use column_cache::{ColumnCache, ColumnCacheStats};
pub use error::{Result, StorageError};
pub use header::ExtentHeader;
pub use stats::{CompareOp, may_contain};
pub use store::{ExtentStore, ReadCounters, StoreOptions, new_extent_id};
