//! The RocksDB instance behind the metadata: one database, three column families (`logs`, `meta`,
//! `snapshot`), shared by the log store and the state machine. Owns opening it and running its
//! calls off the async threads; does not own what the keys mean (`log.rs`, `store.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, DB, Options, WriteOptions};

use crate::error::{MetaError, Result};

/// Raft log entries, keyed by index as u64 big-endian so key order is log order.
pub(crate) const CF_LOGS: &str = "logs";
/// Vote, committed log id, last purged log id.
pub(crate) const CF_META: &str = "meta";
/// The latest state machine snapshot (meta and data).
pub(crate) const CF_SNAPSHOT: &str = "snapshot";

pub(crate) struct MetaDb {
    db: DB,
    path: PathBuf,
}

impl MetaDb {
    pub(crate) async fn open(path: &Path) -> Result<Arc<MetaDb>> {
        let path = path.to_path_buf();
        let opened = tokio::task::spawn_blocking(move || {
            let mut options = Options::default();
            options.create_if_missing(true);
            options.create_missing_column_families(true);
            let families = [CF_LOGS, CF_META, CF_SNAPSHOT]
                .into_iter()
                .map(|name| ColumnFamilyDescriptor::new(name, Options::default()));
            match DB::open_cf_descriptors(&options, &path, families) {
                Ok(db) => Ok(MetaDb { db, path }),
                Err(source) => Err(MetaError::RocksDb {
                    path: path.display().to_string(),
                    source,
                }),
            }
        })
        .await
        .map_err(|source| MetaError::BlockingTask { source })??;
        Ok(Arc::new(opened))
    }

    pub(crate) fn db(&self) -> &DB {
        &self.db
    }

    pub(crate) fn cf(&self, name: &'static str) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or(MetaError::MissingColumnFamily { name })
    }

    pub(crate) fn rocks_error(&self, source: rocksdb::Error) -> MetaError {
        MetaError::RocksDb {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Writes that must survive a power cut before Raft hears they are done (log appends, votes,
    /// snapshots) go through the WAL and an fsync.
    pub(crate) fn synced() -> WriteOptions {
        let mut options = WriteOptions::default();
        options.set_sync(true);
        options
    }
}

/// Runs a RocksDB call on the blocking pool, so an fsync never stalls an async worker.
pub(crate) async fn blocking<T, F>(db: &Arc<MetaDb>, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&MetaDb) -> Result<T> + Send + 'static,
{
    let db = Arc::clone(db);
    tokio::task::spawn_blocking(move || work(&db))
        .await
        .map_err(|source| MetaError::BlockingTask { source })?
}
