//! [`ColumnCache`]: decoded column arrays of hot extents, bounded by bytes, least recently used
//! out first.
//!
//! Every scan otherwise fetches each column value from RocksDB, checks its CRC-32 and
//! decompresses it: in `readings | where velocity > 50 | count` over 8.5M rows that was about
//! half of the CPU profile (LZ4 27%, copies 12%, page faults of the fresh buffers ~15%), for the
//! same bytes on every run. Extents are immutable, so an (extent, column) pair always decodes to
//! the same array and an entry never goes stale: it leaves when it is the least recently used
//! one and room is needed, or when its extent is deleted.
//!
//! Does not own: reading or checking the values (`store`), or which reads should fill it (a merge
//! reads extents that are about to go away and bypasses it).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, ArrayRef};
use tarn_common::ExtentId;

/// One cached array: an extent's column, by its index in the extent's stored columns.
type Key = (ExtentId, u32);

struct Entry {
    array: ArrayRef,
    bytes: usize,
    /// The `tick` of its last use: its key in `State::recency`.
    tick: u64,
}

#[derive(Default)]
struct State {
    /// Ordered by key, so all columns of one extent are one range.
    entries: BTreeMap<Key, Entry>,
    /// Last use → key; the first entry is the least recently used.
    recency: BTreeMap<u64, Key>,
    tick: u64,
    bytes: usize,
}

/// What the cache holds and how it has been used since the store opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColumnCacheStats {
    pub capacity_bytes: usize,
    pub bytes: usize,
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
}

pub struct ColumnCache {
    capacity_bytes: usize,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl ColumnCache {
    /// A cache of at most `capacity_bytes` of arrays; 0 turns it off.
    pub fn new(capacity_bytes: usize) -> ColumnCache {
        ColumnCache {
            capacity_bytes,
            state: Mutex::new(State::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// The cached columns of `extent` among `columns` (stored column indexes), in that order,
    /// `None` where a column is not cached. Hits become the most recently used entries; every
    /// `None` counts as a miss, also when the cache is off.
    pub fn get_many(&self, extent: ExtentId, columns: &[usize]) -> Vec<Option<ArrayRef>> {
        if self.capacity_bytes == 0 {
            self.misses.fetch_add(columns.len() as u64, Ordering::Relaxed);
            return vec![None; columns.len()];
        }
        let mut found = Vec::with_capacity(columns.len());
        let mut state = self.lock();
        for &column in columns {
            let array = u32::try_from(column).ok().and_then(|column| state.touch((extent, column)));
            found.push(array);
        }
        drop(state);
        let hits = found.iter().filter(|array| array.is_some()).count() as u64;
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses.fetch_add(columns.len() as u64 - hits, Ordering::Relaxed);
        found
    }

    /// Caches `array` as column `column` of `extent`, evicting the least recently used entries
    /// until it fits. An array larger than a quarter of the capacity is not cached: one huge
    /// column would push out everything else, to be pushed out itself by the next one.
    pub fn insert(&self, extent: ExtentId, column: usize, array: &ArrayRef) {
        let bytes = array.get_array_memory_size();
        let Ok(column) = u32::try_from(column) else {
            return;
        };
        if self.capacity_bytes == 0 || bytes > self.capacity_bytes / 4 {
            return;
        }
        let mut state = self.lock();
        let key = (extent, column);
        if state.entries.contains_key(&key) {
            // Two scans decoded it at once; the first copy stays.
            return;
        }
        let mut evicted = 0;
        while state.bytes + bytes > self.capacity_bytes {
            let Some((_, oldest)) = state.recency.pop_first() else {
                break;
            };
            if let Some(entry) = state.entries.remove(&oldest) {
                state.bytes -= entry.bytes;
                evicted += 1;
            }
        }
        state.tick += 1;
        let tick = state.tick;
        state.recency.insert(tick, key);
        state.entries.insert(key, Entry { array: ArrayRef::clone(array), bytes, tick });
        state.bytes += bytes;
        drop(state);
        self.evictions.fetch_add(evicted, Ordering::Relaxed);
    }

    /// Forgets every column of `extents` (they were deleted).
    pub fn remove_extents(&self, extents: &[ExtentId]) {
        if self.capacity_bytes == 0 {
            return;
        }
        let mut state = self.lock();
        for &extent in extents {
            let keys: Vec<Key> = state.entries.range((extent, 0)..=(extent, u32::MAX)).map(|(key, _)| *key).collect();
            for key in keys {
                if let Some(entry) = state.entries.remove(&key) {
                    state.recency.remove(&entry.tick);
                    state.bytes -= entry.bytes;
                }
            }
        }
    }

    pub fn stats(&self) -> ColumnCacheStats {
        let state = self.lock();
        ColumnCacheStats {
            capacity_bytes: self.capacity_bytes,
            bytes: state.bytes,
            entries: state.entries.len(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }

    /// The state stays consistent at every step of every method (no method can panic halfway
    /// through), so a poisoned lock is still safe to use.
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    fn touch(&mut self, key: Key) -> Option<ArrayRef> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(&key)?;
        let previous = std::mem::replace(&mut entry.tick, tick);
        let array = ArrayRef::clone(&entry.array);
        self.recency.remove(&previous);
        self.recency.insert(tick, key);
        Some(array)
    }
}

/// The default capacity: a quarter of the memory the process may use: the machine's
/// (`MemTotal` of `/proc/meminfo`), or the cgroup v2 limit (`memory.max`) when a container sets a
/// lower one; 1 GiB where neither can be read.
pub fn default_capacity_bytes() -> usize {
    const FALLBACK_BYTES: usize = 1 << 30;
    let machine = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .map(|kib| kib.saturating_mul(1024))
    });
    // "max" (no limit) does not parse, and leaves the machine's memory.
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok());
    let usable = match (machine, cgroup) {
        (Some(machine), Some(limit)) => machine.min(limit),
        (Some(bytes), None) | (None, Some(bytes)) => bytes,
        (None, None) => return FALLBACK_BYTES,
    };
    usable / 4
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;

    use super::*;

    fn array(rows: usize) -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(0..rows as i64))
    }

    /// Proves the least recently used entry leaves first: after `a`, `b`, `c` fill the cache and
    /// `a` is read again, a fourth array evicts `b`, not `a`.
    #[test]
    fn least_recently_used_leaves_first() {
        let one = array(1_000).get_array_memory_size();
        let cache = ColumnCache::new(one * 4 + one / 2);
        let extent = ExtentId(7);
        for column in 0..3 {
            cache.insert(extent, column, &array(1_000));
        }
        assert_eq!(cache.get_many(extent, &[0]).iter().flatten().count(), 1);
        cache.insert(extent, 3, &array(1_000));
        cache.insert(extent, 4, &array(1_000));
        let present: Vec<bool> = cache.get_many(extent, &[0, 1, 2, 3, 4]).iter().map(Option::is_some).collect();
        assert_eq!(present, [true, false, true, true, true]);
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.evictions), (4, 1));
        assert!(stats.bytes <= stats.capacity_bytes);
        assert_eq!((stats.hits, stats.misses), (5, 1));
    }

    /// Proves deleting an extent frees exactly its entries and their bytes.
    #[test]
    fn removing_an_extent_frees_its_columns() {
        let cache = ColumnCache::new(1 << 20);
        let (kept, deleted) = (ExtentId(1), ExtentId(2));
        cache.insert(kept, 0, &array(100));
        cache.insert(deleted, 0, &array(100));
        cache.insert(deleted, 5, &array(200));
        cache.remove_extents(&[deleted]);
        assert_eq!(cache.stats().entries, 1);
        assert_eq!(cache.stats().bytes, array(100).get_array_memory_size());
        assert!(cache.get_many(kept, &[0])[0].is_some());
        assert!(cache.get_many(deleted, &[0, 5]).iter().all(Option::is_none));
        // The freed recency entries are gone too: filling the cache evicts nothing wrongly.
        cache.insert(deleted, 0, &array(100));
        assert_eq!(cache.stats().entries, 2);
    }

    /// Proves a capacity of 0 caches nothing, and an array over a quarter of the capacity is
    /// not cached.
    #[test]
    fn disabled_and_oversized() {
        let off = ColumnCache::new(0);
        off.insert(ExtentId(1), 0, &array(10));
        assert_eq!(off.stats().entries, 0);
        let small = ColumnCache::new(array(1_000).get_array_memory_size() * 2);
        small.insert(ExtentId(1), 0, &array(1_000));
        assert_eq!(small.stats().entries, 0);
        assert!(default_capacity_bytes() > 0);
    }
}
