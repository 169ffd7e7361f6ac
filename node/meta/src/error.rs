//! Errors of tarn-meta. [`CommandError`] is a normal outcome of applying a command (it is committed to
//! the log like a success and answers the proposer); [`MetaError`] is everything `MetaNode` can fail
//! with, a refused command included.

use serde::{Deserialize, Serialize};
use tarn_common::{ErrorKind, ExtentId, KustoType};

/// Why the state machine refused a command. Refusal never changes the catalog: `apply` checks
/// everything before it mutates anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CommandError {
    #[error("database '{name}' was not found")]
    DatabaseNotFound { name: String },

    #[error("database '{name}' already exists")]
    DatabaseAlreadyExists { name: String },

    #[error("table '{table}' was not found in database '{db}'")]
    TableNotFound { db: String, table: String },

    #[error("table '{table}' already exists in database '{db}'")]
    TableAlreadyExists { db: String, table: String },

    #[error("ingestion mapping '{name}' of kind '{kind}' was not found on table '{db}.{table}'")]
    MappingNotFound {
        db: String,
        table: String,
        kind: String,
        name: String,
    },

    #[error("ingestion mapping '{name}' of kind '{kind}' already exists on table '{db}.{table}'")]
    MappingAlreadyExists {
        db: String,
        table: String,
        kind: String,
        name: String,
    },

    #[error("invalid {entity} name '{name}': {reason}")]
    InvalidName {
        entity: String,
        name: String,
        reason: String,
    },

    #[error("table '{db}.{table}': column '{column}' is declared more than once")]
    DuplicateColumn {
        db: String,
        table: String,
        column: String,
    },

    #[error("table '{db}.{table}' needs at least one column")]
    EmptySchema { db: String, table: String },

    #[error("table '{db}.{table}' would have {count} columns; the limit is {columns_max}")]
    TooManyColumns {
        db: String,
        table: String,
        count: usize,
        columns_max: usize,
    },

    #[error(
        "table '{db}.{table}': column '{column}' is of type {existing:?}, the command declares it as {requested:?}"
    )]
    ColumnTypeConflict {
        db: String,
        table: String,
        column: String,
        existing: KustoType,
        requested: KustoType,
    },

    /// `.alter table` may not remove or retype a column that extents still store: their bytes would
    /// no longer match the schema. Clearing the table's data first makes the change possible.
    #[error(
        "table '{db}.{table}': column '{column}' ({stored_type:?}) is stored by existing extents and cannot be removed or retyped by .alter table"
    )]
    ColumnStillStored {
        db: String,
        table: String,
        column: String,
        stored_type: KustoType,
    },

    #[error("table '{db}.{table}': invalid policy: {reason}")]
    InvalidPolicy {
        db: String,
        table: String,
        reason: String,
    },

    /// The ingest path must only commit extents whose columns the table has (it creates or widens
    /// the table in the same command); an extent that does not fit is a bug in the proposer.
    #[error(
        "invariant violated: extent {extent_id} of table '{db}.{table}' stores column '{column}' ({column_type:?}) that the table does not have with that type"
    )]
    ExtentColumnNotInTable {
        db: String,
        table: String,
        extent_id: ExtentId,
        column: String,
        column_type: KustoType,
    },

    /// Extent ids are random and never reused; a repeat means the proposer sent the same extent twice.
    #[error("invariant violated: extent {extent_id} is already in database '{db}'")]
    DuplicateExtentId { db: String, extent_id: ExtentId },

    #[error(
        "invariant violated: extent {extent_id} has {column_count} columns but {stats_count} column statistics"
    )]
    ExtentStatsMismatch {
        extent_id: ExtentId,
        column_count: usize,
        stats_count: usize,
    },
}

impl CommandError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CommandError::DatabaseNotFound { .. }
            | CommandError::TableNotFound { .. }
            | CommandError::MappingNotFound { .. } => ErrorKind::NotFound,
            CommandError::DatabaseAlreadyExists { .. }
            | CommandError::TableAlreadyExists { .. }
            | CommandError::MappingAlreadyExists { .. } => ErrorKind::AlreadyExists,
            CommandError::InvalidName { .. }
            | CommandError::DuplicateColumn { .. }
            | CommandError::EmptySchema { .. }
            | CommandError::ColumnTypeConflict { .. }
            | CommandError::ColumnStillStored { .. }
            | CommandError::InvalidPolicy { .. } => ErrorKind::BadRequest,
            CommandError::TooManyColumns { .. } => ErrorKind::LimitExceeded,
            CommandError::ExtentColumnNotInTable { .. }
            | CommandError::DuplicateExtentId { .. }
            | CommandError::ExtentStatsMismatch { .. } => ErrorKind::Internal,
        }
    }
}

/// Everything [`crate::MetaNode`] and its storage can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// The state machine refused the command (committed, nothing changed).
    #[error(transparent)]
    Command(#[from] CommandError),

    #[error("rocksdb at '{path}': {source}")]
    RocksDb {
        path: String,
        source: rocksdb::Error,
    },

    #[error("metadata store is missing its column family '{name}'")]
    MissingColumnFamily { name: &'static str },

    /// A command or catalog that cannot be encoded so that it decodes back (for example a real
    /// statistic that is NaN or infinite, which JSON cannot carry).
    #[error("cannot encode {what} as JSON: {source}")]
    Serialization {
        what: &'static str,
        source: serde_json::Error,
    },

    #[error(
        "snapshot format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedSnapshotVersion { found: u32, supported: u32 },

    #[error("invalid raft configuration: {source}")]
    RaftConfig { source: Box<openraft::ConfigError> },

    /// Raft stopped: storage failed or the node was shut down. The node must be reopened.
    #[error("raft stopped: {source}")]
    RaftFatal {
        source: Box<openraft::error::Fatal<u64>>,
    },

    #[error("this node is not the metadata leader (leader: {leader_id:?})")]
    NotLeader { leader_id: Option<u64> },

    #[error("raft refused the write: {source}")]
    ClientWrite {
        source: Box<openraft::error::ClientWriteError<u64, openraft::BasicNode>>,
    },

    #[error("raft could not initialize the membership: {source}")]
    RaftInitialize {
        source: Box<openraft::error::InitializeError<u64, openraft::BasicNode>>,
    },

    #[error("raft could not confirm leadership: {source}")]
    CheckIsLeader {
        source: Box<openraft::error::CheckIsLeaderError<u64, openraft::BasicNode>>,
    },

    #[error("node {node_id} did not become leader within {waited_millis} ms")]
    LeaderTimeout { node_id: u64, waited_millis: u64 },

    #[error("raft did not shut down cleanly: {reason}")]
    Shutdown { reason: String },

    /// A blocking storage task was cancelled or panicked.
    #[error("a blocking storage task failed: {source}")]
    BlockingTask { source: tokio::task::JoinError },

    /// Raised by [`crate::NoNetwork`]: a single-voter node has nobody to talk to.
    #[error("tarn-meta has no network; node {target} is unreachable")]
    NoNetwork { target: u64 },
}

impl MetaError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            MetaError::Command(command_error) => command_error.kind(),
            MetaError::Serialization { .. } => ErrorKind::BadRequest,
            MetaError::RocksDb { .. }
            | MetaError::RaftFatal { .. }
            | MetaError::NotLeader { .. }
            | MetaError::LeaderTimeout { .. }
            | MetaError::CheckIsLeader { .. }
            | MetaError::Shutdown { .. }
            | MetaError::BlockingTask { .. }
            | MetaError::NoNetwork { .. } => ErrorKind::Unavailable,
            MetaError::MissingColumnFamily { .. }
            | MetaError::UnsupportedSnapshotVersion { .. }
            | MetaError::RaftConfig { .. }
            | MetaError::ClientWrite { .. }
            | MetaError::RaftInitialize { .. } => ErrorKind::Internal,
        }
    }
}

pub type Result<T, E = MetaError> = std::result::Result<T, E>;
