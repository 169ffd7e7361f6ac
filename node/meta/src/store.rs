//! The Raft state machine: the [`Catalog`] in memory, fed by [`crate::state::apply`], and its
//! snapshots in RocksDB (column family `snapshot`). Readers take an `Arc<Catalog>` and are never
//! blocked by an apply for longer than a pointer swap; apply clones the catalog only while a reader
//! still holds the previous version.
//!
//! Does not own the log (`log.rs`) or the decision of what a command does (`state.rs`).

use std::io::Cursor;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use openraft::storage::RaftStateMachine;
use openraft::{
    AnyError, Entry, EntryPayload, RaftSnapshotBuilder, Snapshot, SnapshotMeta, StorageError,
    StorageIOError,
};
use rocksdb::WriteBatch;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::catalog::Catalog;
use crate::command::{ApplyContext, MetaResponse};
use crate::db::{CF_SNAPSHOT, MetaDb, blocking};
use crate::error::{MetaError, Result};
use crate::raft::{ApplyResult, LogId, StoredMembership, TypeConfig};
use crate::state;

const KEY_SNAPSHOT_META: &[u8] = b"meta";
const KEY_SNAPSHOT_DATA: &[u8] = b"data";

/// The snapshot data format this build writes and reads.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// A snapshot's data: the catalog, versioned as an on-disk format.
#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    format_version: u32,
    catalog: Catalog,
}

fn encode_snapshot(catalog: &Catalog) -> Result<Vec<u8>> {
    #[derive(Serialize)]
    struct SnapshotFileRef<'catalog> {
        format_version: u32,
        catalog: &'catalog Catalog,
    }
    serde_json::to_vec(&SnapshotFileRef {
        format_version: SNAPSHOT_FORMAT_VERSION,
        catalog,
    })
    .map_err(|source| MetaError::Serialization {
        what: "snapshot",
        source,
    })
}

fn decode_snapshot(bytes: &[u8]) -> Result<Catalog> {
    #[derive(Deserialize)]
    struct VersionOnly {
        format_version: u32,
    }
    let version: VersionOnly =
        serde_json::from_slice(bytes).map_err(|source| MetaError::Serialization {
            what: "snapshot",
            source,
        })?;
    if version.format_version != SNAPSHOT_FORMAT_VERSION {
        return Err(MetaError::UnsupportedSnapshotVersion {
            found: version.format_version,
            supported: SNAPSHOT_FORMAT_VERSION,
        });
    }
    let file: SnapshotFile =
        serde_json::from_slice(bytes).map_err(|source| MetaError::Serialization {
            what: "snapshot",
            source,
        })?;
    Ok(file.catalog)
}

/// Everything applied so far, changed together so a snapshot sees a consistent triple.
#[derive(Clone, Default)]
struct Applied {
    catalog: Arc<Catalog>,
    last_applied: Option<LogId>,
    last_membership: StoredMembership,
}

/// What the state machine shares with [`crate::MetaNode`]: the applied catalog and its index.
pub(crate) struct Shared {
    applied: RwLock<Applied>,
    applied_index: watch::Sender<u64>,
}

impl Shared {
    // A poisoned lock only means a panic elsewhere while holding it; `Applied` is replaced whole
    // or mutated by a pure apply that checks before it changes, so the value is still consistent.
    fn read(&self) -> RwLockReadGuard<'_, Applied> {
        self.applied
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Applied> {
        self.applied
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.read().catalog)
    }

    pub(crate) fn subscribe_applied(&self) -> watch::Receiver<u64> {
        self.applied_index.subscribe()
    }

    fn replace(&self, applied: Applied) {
        let index = applied.last_applied.map(|log_id| log_id.index).unwrap_or(0);
        *self.write() = applied;
        self.applied_index.send_replace(index);
    }
}

/// The snapshot stored in RocksDB: its meta and the encoded catalog.
struct StoredSnapshot {
    meta: SnapshotMeta<u64, openraft::BasicNode>,
    data: Vec<u8>,
}

fn read_stored_snapshot(db: &MetaDb) -> Result<Option<StoredSnapshot>> {
    let cf = db.cf(CF_SNAPSHOT)?;
    let meta_bytes = db
        .db()
        .get_cf(cf, KEY_SNAPSHOT_META)
        .map_err(|source| db.rocks_error(source))?;
    let data = db
        .db()
        .get_cf(cf, KEY_SNAPSHOT_DATA)
        .map_err(|source| db.rocks_error(source))?;
    match (meta_bytes, data) {
        (Some(meta_bytes), Some(data)) => {
            let meta =
                serde_json::from_slice(&meta_bytes).map_err(|source| MetaError::Serialization {
                    what: "snapshot meta",
                    source,
                })?;
            Ok(Some(StoredSnapshot { meta, data }))
        }
        _ => Ok(None),
    }
}

fn write_stored_snapshot(db: &MetaDb, snapshot: &StoredSnapshot) -> Result<()> {
    let cf = db.cf(CF_SNAPSHOT)?;
    let meta_bytes =
        serde_json::to_vec(&snapshot.meta).map_err(|source| MetaError::Serialization {
            what: "snapshot meta",
            source,
        })?;
    // One batch: meta and data are replaced together or not at all.
    let mut batch = WriteBatch::default();
    batch.put_cf(cf, KEY_SNAPSHOT_META, meta_bytes);
    batch.put_cf(cf, KEY_SNAPSHOT_DATA, &snapshot.data);
    db.db()
        .write_opt(batch, &MetaDb::synced())
        .map_err(|source| db.rocks_error(source))
}

/// The state machine handed to openraft.
#[derive(Clone)]
pub struct StateMachineStore {
    db: Arc<MetaDb>,
    shared: Arc<Shared>,
}

impl StateMachineStore {
    /// Opens the state machine at the latest stored snapshot (or empty); Raft re-applies the
    /// committed log behind it.
    pub(crate) async fn open(db: Arc<MetaDb>) -> Result<StateMachineStore> {
        let stored = blocking(&db, read_stored_snapshot).await?;
        let applied = match stored {
            Some(stored) => {
                let data = stored.data;
                let catalog = tokio::task::spawn_blocking(move || decode_snapshot(&data))
                    .await
                    .map_err(|source| MetaError::BlockingTask { source })??;
                Applied {
                    catalog: Arc::new(catalog),
                    last_applied: stored.meta.last_log_id,
                    last_membership: stored.meta.last_membership,
                }
            }
            None => Applied::default(),
        };
        let index = applied.last_applied.map(|log_id| log_id.index).unwrap_or(0);
        let (applied_index, _) = watch::channel(index);
        let shared = Arc::new(Shared {
            applied: RwLock::new(applied),
            applied_index,
        });
        Ok(StateMachineStore { db, shared })
    }

    pub(crate) fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }
}

fn snapshot_error(error: MetaError) -> StorageError<u64> {
    StorageIOError::write_snapshot(None, AnyError::new(&error)).into()
}

fn read_snapshot_error(error: MetaError) -> StorageError<u64> {
    StorageIOError::read_snapshot(None, AnyError::new(&error)).into()
}

/// Builds a snapshot of the state captured when the builder was made.
pub struct SnapshotBuilder {
    db: Arc<MetaDb>,
    applied: Applied,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        let applied = self.applied.clone();
        let snapshot_id = match applied.last_applied {
            Some(log_id) => format!("{}-{}", log_id.leader_id, log_id.index),
            None => "empty".to_string(),
        };
        let meta = SnapshotMeta {
            last_log_id: applied.last_applied,
            last_membership: applied.last_membership.clone(),
            snapshot_id,
        };
        let stored_meta = meta.clone();
        let data = blocking(&self.db, move |db| {
            let data = encode_snapshot(&applied.catalog)?;
            let stored = StoredSnapshot {
                meta: stored_meta,
                data,
            };
            write_stored_snapshot(db, &stored)?;
            Ok(stored.data)
        })
        .await
        .map_err(snapshot_error)?;
        tracing::info!(snapshot = %meta.snapshot_id, bytes = data.len(), "metadata snapshot stored");
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId>, StoredMembership), StorageError<u64>> {
        let applied = self.shared.read();
        Ok((applied.last_applied, applied.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ApplyResult>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let mut responses = Vec::new();
        let last_index = {
            let mut applied = self.shared.write();
            for entry in entries {
                applied.last_applied = Some(entry.log_id);
                let response = match entry.payload {
                    EntryPayload::Blank => Ok(MetaResponse::Unchanged),
                    EntryPayload::Normal(command) => {
                        let context = ApplyContext {
                            log_index: entry.log_id.index,
                        };
                        state::apply(Arc::make_mut(&mut applied.catalog), &command, &context)
                    }
                    EntryPayload::Membership(membership) => {
                        applied.last_membership =
                            StoredMembership::new(Some(entry.log_id), membership);
                        Ok(MetaResponse::Unchanged)
                    }
                };
                responses.push(response);
            }
            applied.last_applied.map(|log_id| log_id.index).unwrap_or(0)
        };
        self.shared.applied_index.send_replace(last_index);
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder {
            db: Arc::clone(&self.db),
            applied: self.shared.read().clone(),
        }
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, openraft::BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data: snapshot.into_inner(),
        };
        let catalog = blocking(&self.db, move |db| {
            let catalog = decode_snapshot(&stored.data)?;
            write_stored_snapshot(db, &stored)?;
            Ok(catalog)
        })
        .await
        .map_err(|error| {
            StorageIOError::write_snapshot(Some(meta.signature()), AnyError::new(&error))
        })?;
        self.shared.replace(Applied {
            catalog: Arc::new(catalog),
            last_applied: meta.last_log_id,
            last_membership: meta.last_membership.clone(),
        });
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        let stored = blocking(&self.db, read_stored_snapshot)
            .await
            .map_err(read_snapshot_error)?;
        Ok(stored.map(|stored| Snapshot {
            meta: stored.meta,
            snapshot: Box::new(Cursor::new(stored.data)),
        }))
    }
}
