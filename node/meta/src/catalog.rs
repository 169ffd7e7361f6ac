//! The catalog: databases, tables, their schemas, mappings, policies and committed extents. This is
//! the state the Raft log builds; it is changed only by [`crate::state::apply`]. Snapshots serialize
//! it as JSON, so every field here is part of an on-disk format: add fields with `#[serde(default)]`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tarn_common::limits::{MERGE_EXTENT_ROWS_SMALL_MAX, MERGE_EXTENT_ROWS_TARGET};
use tarn_common::{Column, ExtentId, ExtentMeta};

/// The database every fresh node has, created by its bootstrap command (as in Kusto's emulator).
pub const DEFAULT_DATABASE: &str = "NetDefaultDB";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Keyed by name; names are case-sensitive as in Kusto.
    pub databases: BTreeMap<String, Database>,
    /// Set by the bootstrap command, so a node that crashed between initializing Raft and creating
    /// the default database finishes the bootstrap on its next start.
    #[serde(default)]
    pub bootstrapped: bool,
}

impl Catalog {
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.get(name)
    }

    pub fn table(&self, db: &str, table: &str) -> Option<&Table> {
        self.databases.get(db)?.tables.get(table)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Database {
    pub name: String,
    pub tables: BTreeMap<String, Table>,
}

impl Database {
    pub fn new(name: impl Into<String>) -> Database {
        Database {
            name: name.into(),
            tables: BTreeMap::new(),
        }
    }

    /// Whether any table of this database holds an extent with this id.
    pub fn contains_extent(&self, extent_id: ExtentId) -> bool {
        self.tables
            .values()
            .any(|table| table.extents.iter().any(|extent| extent.id == extent_id))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub folder: String,
    pub docstring: String,
    /// Keyed by (kind, name); kind is lowercase (`csv`, `json`, ...). Stored as a list in JSON,
    /// which has no tuple keys.
    #[serde(with = "mappings_as_list")]
    pub mappings: BTreeMap<(String, String), Mapping>,
    pub retention: Option<RetentionPolicy>,
    pub merge: MergePolicy,
    /// In commit order; a merge puts its result where the first extent it replaced was.
    pub extents: Vec<ExtentMeta>,
    /// Values of the `ingest-by:` tags this table has seen, for `ingestIfNotExists`. Kept until the
    /// table is cleared or dropped, so a retry is refused even after its extent was merged.
    pub ingest_tags: BTreeSet<String>,
    pub created_at_nanos: i64,
    /// Log index of the last change to `columns`, so a reader can tell whether a schema it cached
    /// is still current.
    pub schema_version: u64,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    pub fn extent_ids(&self) -> Vec<ExtentId> {
        self.extents.iter().map(|extent| extent.id).collect()
    }

    pub fn row_count(&self) -> u64 {
        self.extents.iter().map(|extent| extent.row_count).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub kind: String,
    pub name: String,
    /// The mapping's JSON text, as the user gave it; parsed by the ingest path.
    pub text: String,
}

/// Kusto's retention policy: extents older than the soft-delete period are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    pub soft_delete_period_nanos: i64,
}

/// When background merges may combine a table's extents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MergePolicy {
    pub allow_merge: bool,
    /// Extents with fewer rows than this are merge candidates.
    pub extent_rows_small_max: u64,
    /// A merge stops adding extents once the result would reach this many rows.
    pub extent_rows_target: u64,
    /// Extents one merge combines at most (Kusto's `MaxExtentsToMerge`).
    pub extents_per_merge_max: u64,
}

impl Default for MergePolicy {
    fn default() -> MergePolicy {
        MergePolicy {
            allow_merge: true,
            extent_rows_small_max: MERGE_EXTENT_ROWS_SMALL_MAX,
            extent_rows_target: MERGE_EXTENT_ROWS_TARGET,
            extents_per_merge_max: 100,
        }
    }
}

mod mappings_as_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Mapping;

    pub fn serialize<S: Serializer>(
        mappings: &BTreeMap<(String, String), Mapping>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let list: Vec<&Mapping> = mappings.values().collect();
        list.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<(String, String), Mapping>, D::Error> {
        let list = Vec::<Mapping>::deserialize(deserializer)?;
        Ok(list
            .into_iter()
            .map(|mapping| ((mapping.kind.clone(), mapping.name.clone()), mapping))
            .collect())
    }
}
