//! The commands the metadata log carries and the responses `apply` gives. Both are stored in the
//! Raft log as JSON, so they are an on-disk format: add fields with `#[serde(default)]`, never
//! rename a variant.

use serde::{Deserialize, Serialize};
use tarn_common::{Column, ExtentId, ExtentMeta};

use crate::catalog::{MergePolicy, RetentionPolicy};

/// One metadata change. Anything time-like (creation times) is filled in by the proposer, so
/// applying a command is a pure function of the catalog and the command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MetaCommand {
    /// The first command of a fresh cluster: creates the default database and marks the catalog
    /// bootstrapped. A no-op on a bootstrapped catalog.
    Bootstrap,
    CreateDatabase {
        name: String,
        if_not_exists: bool,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
    },
    CreateTable {
        db: String,
        table: String,
        columns: Vec<Column>,
        folder: String,
        docstring: String,
        created_at_nanos: i64,
    },
    /// `.create-merge table`: creates the table, or adds the columns it lacks.
    CreateMergeTable {
        db: String,
        table: String,
        columns: Vec<Column>,
        created_at_nanos: i64,
    },
    /// `.alter table`: replaces the column list.
    AlterTable {
        db: String,
        table: String,
        columns: Vec<Column>,
    },
    DropTable {
        db: String,
        table: String,
        if_exists: bool,
    },
    CreateMapping {
        db: String,
        table: String,
        kind: String,
        name: String,
        text: String,
        /// `.create-or-alter ... mapping`: replace a mapping of the same kind and name instead of
        /// refusing.
        #[serde(default)]
        replace_existing: bool,
    },
    DropMapping {
        db: String,
        table: String,
        kind: String,
        name: String,
    },
    /// `None` removes the policy (`.delete table T policy retention`).
    SetRetention {
        db: String,
        table: String,
        policy: Option<RetentionPolicy>,
    },
    SetMergePolicy {
        db: String,
        table: String,
        policy: MergePolicy,
    },
    /// Commits sealed extents (ingestion, `.set-or-append`).
    AppendExtents {
        db: String,
        table: String,
        /// Create the table with these columns if it is missing; widen it (as `.create-merge`
        /// does) if it exists. A table created this way gets the earliest `created_at_nanos` of
        /// the appended extents.
        create_with_columns: Option<Vec<Column>>,
        extents: Vec<ExtentMeta>,
        /// `ingest-by:` tag values (without the prefix) to remember for later dedup. The extents'
        /// own `ingest-by:` tags are remembered too.
        ingest_by_tags: Vec<String>,
        /// `ingestIfNotExists` values: if the table has seen any of them, nothing is appended.
        if_not_exists_tags: Vec<String>,
    },
    /// A merge swap: atomically replace `remove` with `add`, unless one of `remove` is gone.
    ReplaceExtents {
        db: String,
        table: String,
        remove: Vec<ExtentId>,
        add: Vec<ExtentMeta>,
    },
    /// Retention: drops these extents; ids no longer present are ignored.
    DropExtents {
        db: String,
        table: String,
        ids: Vec<ExtentId>,
    },
    /// `.clear table T data`: drops every extent and forgets the table's ingest tags.
    ClearTable {
        db: String,
        table: String,
    },
}

/// What a successful `apply` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaResponse {
    /// The command changed the catalog.
    Ok,
    /// The command created the named database or table (and may have changed more, e.g. appended).
    Created,
    /// Nothing needed to change (`if_exists`, `if_not_exists`, a create-merge that adds nothing,
    /// Raft's own blank and membership entries).
    Unchanged,
    /// `ingestIfNotExists` matched: nothing was appended. The caller deletes the extents' bytes.
    Duplicate { tags: Vec<String> },
    /// A merge swap lost a race: these extents to remove are gone; nothing changed. The caller
    /// deletes the merged extent's bytes.
    Conflict { missing: Vec<ExtentId> },
    /// Extents left the catalog; the caller deletes their bytes.
    Dropped { extent_ids: Vec<ExtentId> },
}

/// What `apply` may know about where a command sits in the log. Deterministic on every replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplyContext {
    /// Index of the log entry carrying the command.
    pub log_index: u64,
}
