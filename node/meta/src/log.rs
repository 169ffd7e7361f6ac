//! The Raft log on RocksDB: entries in column family `logs` (key: index as u64 big-endian, value:
//! the entry as JSON), and the vote, committed and last-purged log ids in `meta`.
//!
//! Durability: `append` and `save_vote` write with fsync and only then report completion, so an
//! entry Raft counts as stored survives `kill -9` and power loss. Does not own the state machine
//! or snapshots (`store.rs`).

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{
    AnyError, Entry, LogState, RaftLogId, RaftLogReader, StorageError, StorageIOError, Vote,
};
use rocksdb::{Direction, IteratorMode, WriteBatch};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::{CF_LOGS, CF_META, MetaDb, blocking};
use crate::error::{MetaError, Result};
use crate::raft::{LogId, TypeConfig};

const KEY_VOTE: &[u8] = b"vote";
const KEY_COMMITTED: &[u8] = b"committed";
const KEY_LAST_PURGED: &[u8] = b"last_purged";

fn index_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|source| MetaError::Serialization { what, source })
}

fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| MetaError::Serialization { what, source })
}

fn read_meta<T: DeserializeOwned>(
    db: &MetaDb,
    key: &[u8],
    what: &'static str,
) -> Result<Option<T>> {
    let cf = db.cf(CF_META)?;
    match db
        .db()
        .get_pinned_cf(cf, key)
        .map_err(|source| db.rocks_error(source))?
    {
        Some(bytes) => Ok(Some(decode(what, &bytes)?)),
        None => Ok(None),
    }
}

fn write_meta<T: Serialize>(
    db: &MetaDb,
    key: &[u8],
    what: &'static str,
    value: &T,
    sync: bool,
) -> Result<()> {
    let cf = db.cf(CF_META)?;
    let bytes = encode(what, value)?;
    let mut batch = WriteBatch::default();
    batch.put_cf(cf, key, bytes);
    let options = if sync {
        MetaDb::synced()
    } else {
        rocksdb::WriteOptions::default()
    };
    db.db()
        .write_opt(batch, &options)
        .map_err(|source| db.rocks_error(source))
}

/// The log store; clones share one RocksDB and serve as Raft's log readers.
#[derive(Clone)]
pub struct LogStore {
    db: Arc<MetaDb>,
}

impl LogStore {
    pub(crate) fn new(db: Arc<MetaDb>) -> LogStore {
        LogStore { db }
    }

    /// Entries with index in `[start, end)`, in order.
    fn read_range(db: &MetaDb, start: u64, end: u64) -> Result<Vec<Entry<TypeConfig>>> {
        let cf = db.cf(CF_LOGS)?;
        let mut entries = Vec::new();
        if start >= end {
            return Ok(entries);
        }
        let start_key = index_key(start);
        for item in db
            .db()
            .iterator_cf(cf, IteratorMode::From(&start_key, Direction::Forward))
        {
            let (key, value) = item.map_err(|source| db.rocks_error(source))?;
            if key.as_ref() >= index_key(end).as_slice() {
                break;
            }
            entries.push(decode("log entry", &value)?);
        }
        Ok(entries)
    }

    fn last_entry_log_id(db: &MetaDb) -> Result<Option<LogId>> {
        let cf = db.cf(CF_LOGS)?;
        match db.db().iterator_cf(cf, IteratorMode::End).next() {
            Some(item) => {
                let (_key, value) = item.map_err(|source| db.rocks_error(source))?;
                let entry: Entry<TypeConfig> = decode("log entry", &value)?;
                Ok(Some(*entry.get_log_id()))
            }
            None => Ok(None),
        }
    }
}

fn range_to_bounds<RB: RangeBounds<u64>>(range: &RB) -> (u64, u64) {
    let start = match range.start_bound() {
        Bound::Included(index) => *index,
        Bound::Excluded(index) => index.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(index) => index.saturating_add(1),
        Bound::Excluded(index) => *index,
        Bound::Unbounded => u64::MAX,
    };
    (start, end)
}

fn read_error(error: MetaError) -> StorageError<u64> {
    StorageIOError::read_logs(AnyError::new(&error)).into()
}

fn write_error(error: MetaError) -> StorageError<u64> {
    StorageIOError::write_logs(AnyError::new(&error)).into()
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<u64>> {
        let (start, end) = range_to_bounds(&range);
        blocking(&self.db, move |db| LogStore::read_range(db, start, end))
            .await
            .map_err(read_error)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        blocking(&self.db, |db| {
            let last_purged_log_id: Option<LogId> =
                read_meta(db, KEY_LAST_PURGED, "last purged log id")?;
            // max, not or: entries a crashed purge left behind must not hide the purge mark.
            let last_log_id = std::cmp::max(LogStore::last_entry_log_id(db)?, last_purged_log_id);
            Ok(LogState {
                last_purged_log_id,
                last_log_id,
            })
        })
        .await
        .map_err(read_error)
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        let vote = *vote;
        blocking(&self.db, move |db| {
            write_meta(db, KEY_VOTE, "vote", &vote, true)
        })
        .await
        .map_err(|error| StorageIOError::write_vote(AnyError::new(&error)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        blocking(&self.db, |db| read_meta(db, KEY_VOTE, "vote"))
            .await
            .map_err(|error| StorageIOError::read_vote(AnyError::new(&error)).into())
    }

    // Not synced: a lost committed id is recomputed by Raft; it only lets a restart re-apply the
    // committed entries without waiting for an election.
    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError<u64>> {
        blocking(&self.db, move |db| {
            write_meta(db, KEY_COMMITTED, "committed log id", &committed, false)
        })
        .await
        .map_err(write_error)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError<u64>> {
        blocking(&self.db, |db| {
            Ok(read_meta::<Option<LogId>>(db, KEY_COMMITTED, "committed log id")?.flatten())
        })
        .await
        .map_err(read_error)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<Entry<TypeConfig>> = entries.into_iter().collect();
        let written = blocking(&self.db, move |db| {
            let cf = db.cf(CF_LOGS)?;
            let mut batch = WriteBatch::default();
            for entry in &entries {
                batch.put_cf(
                    cf,
                    index_key(entry.get_log_id().index),
                    encode("log entry", entry)?,
                );
            }
            db.db()
                .write_opt(batch, &MetaDb::synced())
                .map_err(|source| db.rocks_error(source))
        })
        .await;
        match written {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(error) => {
                callback.log_io_completed(Err(std::io::Error::other(error.to_string())));
                Err(write_error(error))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError<u64>> {
        blocking(&self.db, move |db| {
            let cf = db.cf(CF_LOGS)?;
            let mut batch = WriteBatch::default();
            batch.delete_range_cf(cf, index_key(log_id.index), index_key(u64::MAX));
            batch.delete_cf(cf, index_key(u64::MAX));
            db.db()
                .write_opt(batch, &MetaDb::synced())
                .map_err(|source| db.rocks_error(source))
        })
        .await
        .map_err(write_error)
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError<u64>> {
        blocking(&self.db, move |db| {
            // The purge mark goes first: if we crash between the two writes, the log state still
            // says the entries are gone, and the leftover entries are only garbage.
            write_meta(db, KEY_LAST_PURGED, "last purged log id", &log_id, true)?;
            let cf = db.cf(CF_LOGS)?;
            let mut batch = WriteBatch::default();
            batch.delete_range_cf(cf, index_key(0), index_key(log_id.index.saturating_add(1)));
            db.db()
                .write_opt(batch, &rocksdb::WriteOptions::default())
                .map_err(|source| db.rocks_error(source))
        })
        .await
        .map_err(write_error)
    }
}
