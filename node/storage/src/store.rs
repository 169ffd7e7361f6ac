//! [`ExtentStore`]: writes, reads, lists, deletes and merges extents in one RocksDB database.
//! The layout is described in the crate documentation.
//!
//! Does not own: the catalog of which extents are live (reads take the caller's `ExtentMeta`),
//! the policy of the decoded-column cache (`column_cache`), or deciding when to merge or delete.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, new_null_array};
use arrow::compute::{CastOptions, cast_with_options, concat_batches};
use arrow::datatypes::{DataType, SchemaRef};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, Options, ReadOptions,
    WriteBatch, WriteOptions,
};
use tarn_common::limits::TABLE_COLUMNS_MAX;
use tarn_common::types::arrow_schema;
use tarn_common::{Column, ExtentId, ExtentMeta};

use crate::column_cache::{ColumnCache, ColumnCacheStats, default_capacity_bytes};
use crate::column_codec::{checksum, decode_column, encode_column};
use crate::error::{Result, StorageError};
use crate::header::{ColumnValueInfo, ExtentHeader, HEADER_FORMAT_VERSION, decode_header, encode_header};
use crate::keys::{HEADER_COLUMN_INDEX, extent_key, extent_range_end, header_key, parse_extent_key};
use crate::stats::column_stats;

pub const EXTENTS_COLUMN_FAMILY: &str = "extents";
/// One LRU cache for SST blocks and blob values of the whole database, so hot headers and hot
/// column values share one memory budget.
pub const BLOCK_CACHE_BYTES_MAX: usize = 256 * 1024 * 1024;
/// Column values at least this large live in blob files, outside LSM compactions.
pub const BLOB_SIZE_MIN_BYTES: u64 = 4 * 1024;
/// RocksDB's flush + compaction threads; the node has other work for its cores.
pub const BACKGROUND_JOBS_MAX: i32 = 2;
const BLOOM_FILTER_BITS_PER_KEY: f64 = 10.0;

/// How many column values (and their stored bytes) reads have fetched since the store opened.
/// Headers are not counted: they are what projection cannot avoid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounters {
    pub column_values_read: u64,
    pub column_bytes_read: u64,
}

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Bytes of decoded columns kept in memory for hot scans; 0 turns the cache off.
    pub column_cache_bytes: usize,
}

impl Default for StoreOptions {
    /// A column cache of a quarter of the machine's memory (or of a lower cgroup limit).
    fn default() -> StoreOptions {
        StoreOptions { column_cache_bytes: default_capacity_bytes() }
    }
}

/// Whether a read fills the column cache. A merge reads extents that are deleted right after,
/// so caching their columns would only push out the hot ones; it still takes what is cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheUse {
    ReadAndFill,
    ReadOnly,
}

pub struct ExtentStore {
    pub(crate) db: Arc<DB>,
    column_cache: ColumnCache,
    column_values_read: AtomicU64,
    column_bytes_read: AtomicU64,
}

/// A fresh random extent id (128 random bits of a v4 UUID).
pub fn new_extent_id() -> ExtentId {
    ExtentId(uuid::Uuid::new_v4().as_u128())
}

fn rocks(context: &'static str) -> impl FnOnce(rocksdb::Error) -> StorageError {
    move |source| StorageError::RocksDb { context, source }
}

impl ExtentStore {
    /// Opens (creating if missing) the database in `dir` with its `extents` column family, and
    /// the default options.
    pub fn open(dir: &Path) -> Result<ExtentStore> {
        ExtentStore::open_with(dir, StoreOptions::default())
    }

    /// [`ExtentStore::open`] with `options`.
    pub fn open_with(dir: &Path, options: StoreOptions) -> Result<ExtentStore> {
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES_MAX);
        let mut table_options = BlockBasedOptions::default();
        table_options.set_block_cache(&cache);
        table_options.set_bloom_filter(BLOOM_FILTER_BITS_PER_KEY, false);

        let mut db_options = Options::default();
        db_options.create_if_missing(true);
        db_options.create_missing_column_families(true);
        db_options.set_max_background_jobs(BACKGROUND_JOBS_MAX);
        db_options.set_block_based_table_factory(&table_options);

        let mut extents_options = Options::default();
        extents_options.set_block_based_table_factory(&table_options);
        extents_options.set_compression_type(DBCompressionType::Lz4);
        extents_options.set_enable_blob_files(true);
        extents_options.set_min_blob_size(BLOB_SIZE_MIN_BYTES);
        // Values are Arrow IPC with LZ4-compressed buffers already: a second pass over them
        // costs CPU on every write and read and saves almost nothing.
        extents_options.set_blob_compression_type(DBCompressionType::None);
        // Without blob GC, the space of deleted (merged-away, dropped) extents is never reclaimed.
        extents_options.set_enable_blob_gc(true);
        extents_options.set_blob_cache(&cache);

        let descriptors = vec![
            ColumnFamilyDescriptor::new(rocksdb::DEFAULT_COLUMN_FAMILY_NAME, db_options.clone()),
            ColumnFamilyDescriptor::new(EXTENTS_COLUMN_FAMILY, extents_options),
        ];
        let db = DB::open_cf_descriptors(&db_options, dir, descriptors).map_err(rocks("open the database"))?;
        let store = ExtentStore {
            db: Arc::new(db),
            column_cache: ColumnCache::new(options.column_cache_bytes),
            column_values_read: AtomicU64::new(0),
            column_bytes_read: AtomicU64::new(0),
        };
        store.extents_cf()?;
        tracing::info!(dir = %dir.display(), column_cache_mb = options.column_cache_bytes >> 20, "extent store open");
        Ok(store)
    }

    fn extents_cf(&self) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(EXTENTS_COLUMN_FAMILY)
            .ok_or(StorageError::ColumnFamilyMissing { name: EXTENTS_COLUMN_FAMILY })
    }

    pub fn read_counters(&self) -> ReadCounters {
        ReadCounters {
            column_values_read: self.column_values_read.load(Ordering::Relaxed),
            column_bytes_read: self.column_bytes_read.load(Ordering::Relaxed),
        }
    }

    pub fn column_cache_stats(&self) -> ColumnCacheStats {
        self.column_cache.stats()
    }

    /// Encodes and writes one extent atomically (one synced `WriteBatch`: durable when this
    /// returns) and returns its metadata. `columns` must describe `batch` exactly; an id that is
    /// already stored is refused, since extents are immutable.
    pub fn write_extent(
        &self,
        id: ExtentId,
        columns: &[Column],
        batch: &RecordBatch,
        created_at_nanos: i64,
        tags: Vec<String>,
    ) -> Result<ExtentMeta> {
        check_batch_matches(id, columns, batch)?;
        let cf = self.extents_cf()?;
        if self.db.get_pinned_cf(cf, header_key(id)).map_err(rocks("check for an existing extent"))?.is_some() {
            return Err(StorageError::ExtentAlreadyStored { extent: id });
        }

        let mut write_batch = WriteBatch::default();
        let mut stats = Vec::with_capacity(columns.len());
        let mut column_values = Vec::with_capacity(columns.len());
        let mut size_bytes = 0u64;
        for (index, (column, array)) in columns.iter().zip(batch.columns()).enumerate() {
            let schema_mismatch = || StorageError::SchemaMismatch {
                extent: id,
                reason: format!("column `{}` is not a {} array", column.name, column.kusto_type.name()),
            };
            let column_index = u32::try_from(index).map_err(|_| schema_mismatch())?;
            stats.push(column_stats(column.kusto_type, array.as_ref()).ok_or_else(schema_mismatch)?);
            let value = encode_column(column, array).map_err(|source| StorageError::Encode {
                extent: id,
                column: column.name.clone(),
                source,
            })?;
            let value_bytes = value.len() as u64;
            column_values.push(ColumnValueInfo { bytes: value_bytes, crc32: checksum(&value) });
            size_bytes += value_bytes;
            write_batch.put_cf(cf, extent_key(id, column_index), value);
        }

        let meta = ExtentMeta {
            id,
            columns: columns.to_vec(),
            stats,
            row_count: batch.num_rows() as u64,
            size_bytes,
            created_at_nanos,
            tags,
        };
        let header = ExtentHeader { format_version: HEADER_FORMAT_VERSION, meta, column_values };
        write_batch.put_cf(cf, header_key(id), encode_header(&header)?);
        self.db.write_opt(write_batch, &synced()).map_err(rocks("write an extent"))?;
        tracing::debug!(extent = %id, rows = header.meta.row_count, bytes = size_bytes, "extent written");
        Ok(header.meta)
    }

    /// The header of a stored extent, or `None` if no extent with this id is stored.
    pub fn read_header(&self, id: ExtentId) -> Result<Option<ExtentHeader>> {
        let cf = self.extents_cf()?;
        let Some(value) = self.db.get_pinned_cf(cf, header_key(id)).map_err(rocks("read an extent header"))? else {
            return Ok(None);
        };
        decode_header(id, &value).map(Some)
    }

    /// The metadata a stored extent was written with (to rebuild or check catalog entries).
    pub fn read_meta(&self, id: ExtentId) -> Result<Option<ExtentMeta>> {
        Ok(self.read_header(id)?.map(|header| header.meta))
    }

    /// Reads the fields of `output_schema` from an extent, in that order, fetching only the
    /// column values they name. A field the extent lacks reads as all nulls; a field stored with
    /// another type is cast (null where a value, or the whole type pair, does not convert).
    /// Each value's length and checksum, and each column's row count and type, are checked
    /// against the header before it is returned.
    /// Columns in the decoded-column cache are taken from it (checked when they were read);
    /// the others are read, checked and cached.
    pub fn read_extent(&self, meta: &ExtentMeta, output_schema: &SchemaRef) -> Result<RecordBatch> {
        self.read_extent_with(meta, output_schema, CacheUse::ReadAndFill)
    }

    fn read_extent_with(&self, meta: &ExtentMeta, output_schema: &SchemaRef, cache_use: CacheUse) -> Result<RecordBatch> {
        let extent = meta.id;
        let header = self.read_header(extent)?.ok_or(StorageError::ExtentNotFound { extent })?;
        check_meta_matches_header(meta, &header)?;
        let stored_columns = &header.meta.columns;
        let row_count = usize::try_from(header.meta.row_count)
            .map_err(|_| StorageError::RowCountOverflow { extent, row_count: header.meta.row_count })?;

        let mut wanted: Vec<usize> =
            output_schema.fields().iter().filter_map(|field| header.meta.column_index(field.name())).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut decoded: Vec<Option<ArrayRef>> = vec![None; stored_columns.len()];
        let mut missing = Vec::with_capacity(wanted.len());
        let cached = self.column_cache.get_many(extent, &wanted);
        for (&index, array) in wanted.iter().zip(cached) {
            // Extents are immutable, so a cached column is what the value decodes to; it is
            // still held to the header's row count and type, and read again if they differ.
            let fits = |array: &ArrayRef| {
                array.len() == row_count
                    && stored_columns.get(index).is_some_and(|column| array.data_type() == &column.kusto_type.arrow_type())
            };
            match (array, decoded.get_mut(index)) {
                (Some(array), Some(slot)) if fits(&array) => *slot = Some(array),
                _ => missing.push(index),
            }
        }

        let mut keys = Vec::with_capacity(missing.len());
        for &index in &missing {
            let column_index = u32::try_from(index).map_err(|_| StorageError::Corrupt {
                extent,
                column: column_name(stored_columns, index),
                reason: format!("column index {index} does not fit a key"),
            })?;
            keys.push(extent_key(extent, column_index));
        }
        let cf = self.extents_cf()?;
        // Each value's CRC-32 from the header is checked below, end to end (a damaged blob
        // index that points at the wrong bytes fails it too), so RocksDB's own block and blob
        // checksums would verify the same bytes a second time: 11.6% of the CPU profile of
        // `readings | summarize dcount(name)`, as the portable RocksDB build computes CRC-32C
        // without SSE4.2.
        let mut read_options = ReadOptions::default();
        read_options.set_verify_checksums(false);
        let values = if keys.is_empty() { Vec::new() } else { self.db.batched_multi_get_cf_opt(cf, &keys, true, &read_options) };

        for (&index, value) in missing.iter().zip(values) {
            let (Some(column), Some(info)) = (stored_columns.get(index), header.column_values.get(index)) else {
                return Err(StorageError::Corrupt {
                    extent,
                    column: column_name(stored_columns, index),
                    reason: "header has no entry for the column".to_string(),
                });
            };
            let corrupt = |reason: String| StorageError::Corrupt { extent, column: column.name.clone(), reason };
            let value = value
                .map_err(rocks("read a column value"))?
                .ok_or_else(|| corrupt("column value is missing".to_string()))?;
            self.column_values_read.fetch_add(1, Ordering::Relaxed);
            self.column_bytes_read.fetch_add(value.len() as u64, Ordering::Relaxed);
            if value.len() as u64 != info.bytes {
                return Err(corrupt(format!("{} bytes stored, header says {}", value.len(), info.bytes)));
            }
            let actual_crc = checksum(&value);
            if actual_crc != info.crc32 {
                return Err(corrupt(format!("checksum {actual_crc:08x}, header says {:08x}", info.crc32)));
            }
            let array = decode_column(value.to_vec()).map_err(|source| StorageError::Decode {
                extent,
                column: column.name.clone(),
                source,
            })?;
            if array.len() != row_count {
                return Err(corrupt(format!("{} rows, header says {row_count}", array.len())));
            }
            let stored_type = column.kusto_type.arrow_type();
            if array.data_type() != &stored_type {
                return Err(corrupt(format!("decoded as {}, header says {stored_type}", array.data_type())));
            }
            if cache_use == CacheUse::ReadAndFill {
                self.column_cache.insert(extent, index, &array);
            }
            if let Some(slot) = decoded.get_mut(index) {
                *slot = Some(array);
            }
        }

        let mut arrays = Vec::with_capacity(output_schema.fields().len());
        for field in output_schema.fields() {
            let stored = header.meta.column_index(field.name()).and_then(|index| decoded.get(index).cloned().flatten());
            let array = match stored {
                None => new_null_array(field.data_type(), row_count),
                Some(array) if array.data_type() == field.data_type() => array,
                Some(array) => cast_or_null(extent, field.name(), &array, field.data_type(), row_count),
            };
            arrays.push(array);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(row_count));
        RecordBatch::try_new_with_options(output_schema.clone(), arrays, &options)
            .map_err(|source| StorageError::Assemble { extent, source })
    }

    /// Deletes extents (every key of each) in one synced `WriteBatch`. Ids not stored are ignored.
    pub fn delete_extents(&self, ids: &[ExtentId]) -> Result<()> {
        let cf = self.extents_cf()?;
        let mut write_batch = WriteBatch::default();
        for &id in ids {
            // One range tombstone per extent, without reading its header: deleting must work
            // even when the header is the corrupt part.
            write_batch.delete_range_cf(cf, extent_key(id, 0).as_slice(), extent_range_end(id).as_slice());
        }
        self.db.write_opt(write_batch, &synced()).map_err(rocks("delete extents"))?;
        self.column_cache.remove_extents(ids);
        tracing::debug!(extents = ids.len(), "extents deleted");
        Ok(())
    }

    /// Every stored extent (every extent with a header), in id order. Walks headers backwards:
    /// the header is the last key of its extent, so each step lands on a small header value and
    /// never pulls a column value out of a blob file.
    pub fn extent_ids(&self) -> Result<Vec<ExtentId>> {
        let cf = self.extents_cf()?;
        let mut iterator = self.db.raw_iterator_cf(cf);
        let mut ids = Vec::new();
        iterator.seek_to_last();
        while let Some(key) = iterator.key() {
            let (extent, column_index) =
                parse_extent_key(key).ok_or(StorageError::MalformedKey { key_bytes: key.len() })?;
            if column_index == HEADER_COLUMN_INDEX {
                ids.push(extent);
            }
            let Some(previous) = extent.0.checked_sub(1) else {
                break;
            };
            iterator.seek_for_prev(header_key(ExtentId(previous)));
        }
        iterator.status().map_err(rocks("list extents"))?;
        ids.reverse();
        Ok(ids)
    }

    /// Reads `metas` in the table's current schema `columns`, concatenates them in the given
    /// order and writes the result as extent `new_id`, tagged with the union of the inputs' tags
    /// (first occurrence order). The inputs stay stored: the caller swaps them out of the catalog
    /// and deletes them once no query pins them.
    pub fn merge_extents(
        &self,
        metas: &[ExtentMeta],
        columns: &[Column],
        new_id: ExtentId,
        created_at_nanos: i64,
    ) -> Result<ExtentMeta> {
        if metas.is_empty() {
            return Err(StorageError::EmptyMerge { extent: new_id });
        }
        let schema = arrow_schema(columns);
        let mut batches = Vec::with_capacity(metas.len());
        let mut tags: Vec<String> = Vec::new();
        let mut seen_tags: HashSet<&str> = HashSet::new();
        for meta in metas {
            batches.push(self.read_extent_with(meta, &schema, CacheUse::ReadOnly)?);
            for tag in &meta.tags {
                if seen_tags.insert(tag.as_str()) {
                    tags.push(tag.clone());
                }
            }
        }
        let merged =
            concat_batches(&schema, &batches).map_err(|source| StorageError::Assemble { extent: new_id, source })?;
        drop(batches);
        let merged_meta = self.write_extent(new_id, columns, &merged, created_at_nanos, tags)?;
        tracing::debug!(extent = %new_id, inputs = metas.len(), rows = merged_meta.row_count, "extents merged");
        Ok(merged_meta)
    }
}

fn synced() -> WriteOptions {
    let mut options = WriteOptions::default();
    options.set_sync(true);
    options
}

fn column_name(columns: &[Column], index: usize) -> String {
    columns.get(index).map_or_else(|| format!("#{index}"), |column| column.name.clone())
}

/// Paired with the checks in `read_extent`: what is written is exactly what `columns` declares.
fn check_batch_matches(extent: ExtentId, columns: &[Column], batch: &RecordBatch) -> Result<()> {
    if columns.len() > TABLE_COLUMNS_MAX {
        return Err(StorageError::TooManyColumns {
            extent,
            column_count: columns.len(),
            columns_max: TABLE_COLUMNS_MAX,
        });
    }
    let mismatch = |reason: String| StorageError::SchemaMismatch { extent, reason };
    let schema = batch.schema();
    if schema.fields().len() != columns.len() {
        return Err(mismatch(format!("batch has {} columns, {} declared", schema.fields().len(), columns.len())));
    }
    let mut names = HashSet::with_capacity(columns.len());
    for (column, field) in columns.iter().zip(schema.fields()) {
        if !names.insert(column.name.as_str()) {
            return Err(mismatch(format!("column `{}` is declared twice", column.name)));
        }
        if field.name() != &column.name {
            return Err(mismatch(format!("batch column `{}` where `{}` is declared", field.name(), column.name)));
        }
        let expected = column.kusto_type.arrow_type();
        if field.data_type() != &expected {
            return Err(mismatch(format!(
                "column `{}` is {} in the batch, {expected} for {}",
                column.name,
                field.data_type(),
                column.kusto_type.name()
            )));
        }
    }
    Ok(())
}

fn check_meta_matches_header(meta: &ExtentMeta, header: &ExtentHeader) -> Result<()> {
    let mismatch = |reason: String| StorageError::MetaMismatch { extent: meta.id, reason };
    if meta.row_count != header.meta.row_count {
        return Err(mismatch(format!("{} rows in the catalog, {} stored", meta.row_count, header.meta.row_count)));
    }
    if meta.columns != header.meta.columns {
        return Err(mismatch("the catalog lists other columns than are stored".to_string()));
    }
    Ok(())
}

/// Values that do not convert become null, as does a whole column whose type pair Arrow cannot
/// cast at all: the read still answers, in the requested schema.
fn cast_or_null(extent: ExtentId, column: &str, array: &ArrayRef, to: &DataType, row_count: usize) -> ArrayRef {
    let options = CastOptions { safe: true, ..CastOptions::default() };
    match cast_with_options(array.as_ref(), to, &options) {
        Ok(cast) => cast,
        Err(error) => {
            tracing::debug!(extent = %extent, column, from = %array.data_type(), to = %to, %error, "column read as null");
            new_null_array(to, row_count)
        }
    }
}
