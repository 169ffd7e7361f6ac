//! tarn-meta: the metadata of a Tarn cluster as a Raft-replicated state machine (openraft 0.9).
//!
//! Owns: the catalog (databases, tables, schemas, ingestion mappings, retention and merge policies,
//! committed extents and ingest tags), the commands that change it, and their durable log.
//!
//! Layout:
//! - [`catalog`]: the catalog types (the snapshot format).
//! - [`command`]: [`MetaCommand`], [`MetaResponse`] (the log format).
//! - [`state`]: [`apply`], the pure (catalog, command) → response transition.
//! - `log`: the Raft log on RocksDB (fsynced appends and votes).
//! - `store`: the Raft state machine: catalog in memory, snapshots in RocksDB.
//! - [`raft`]: openraft's type configuration and [`NoNetwork`] for a single voter.
//! - [`node`]: [`MetaNode`], the facade `tarnd` uses: open, propose, read the catalog.
//! - [`error`]: [`CommandError`] (a refused command) and [`MetaError`] (everything else).
//!
//! Does not own: any network (the `cluster` crate plugs a `RaftNetworkFactory` into
//! [`MetaNode::open_with`]), KQL, or extent bytes (`tarn-storage`; responses that drop extents list
//! their ids so the caller deletes the bytes).

pub mod catalog;
pub mod command;
mod db;
pub mod error;
mod log;
pub mod node;
pub mod raft;
pub mod state;
mod store;

pub use catalog::{
    Catalog, DEFAULT_DATABASE, Database, Mapping, MergePolicy, RetentionPolicy, Table,
};
pub use command::{ApplyContext, MetaCommand, MetaResponse};
pub use error::{CommandError, MetaError, Result};
pub use log::LogStore;
pub use node::{MetaNode, MetaOptions};
pub use raft::{ApplyResult, MetaRaft, NoNetwork, TypeConfig};
pub use state::apply;
pub use store::{SNAPSHOT_FORMAT_VERSION, SnapshotBuilder, StateMachineStore};
