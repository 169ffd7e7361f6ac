//! Tests of `ExtentStore` against a real RocksDB in a temporary directory.

use std::error::Error;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, DurationNanosecondArray, FixedSizeBinaryArray, Float64Array,
    Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema};
use tarn_common::types::arrow_schema;
use tarn_common::{Column, ColumnStats, ErrorKind, ExtentId, KustoType, StatValue};
use tempfile::TempDir;

use crate::error::StorageError;
use crate::header::{ColumnValueInfo, ExtentHeader, HEADER_FORMAT_VERSION, encode_header};
use crate::keys::{extent_key, header_key};
use crate::store::{EXTENTS_COLUMN_FAMILY, ExtentStore, StoreOptions, new_extent_id};

type TestResult = Result<(), Box<dyn Error>>;

const ONE_DECIMAL: i128 = 1_000_000_000_000_000_000;

fn open_store() -> Result<(TempDir, ExtentStore), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = ExtentStore::open(dir.path())?;
    Ok((dir, store))
}

fn all_type_columns() -> Vec<Column> {
    KustoType::ALL.iter().map(|kusto_type| Column::new(format!("c_{}", kusto_type.name()), *kusto_type)).collect()
}

/// Four rows of every KQL type, with a null in row 1 of each column.
fn all_type_batch() -> Result<RecordBatch, Box<dyn Error>> {
    let guid_a = [0x11u8; 16];
    let guid_b = [0xFEu8; 16];
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(BooleanArray::from(vec![Some(true), None, Some(false), Some(true)])),
        Arc::new(Int32Array::from(vec![Some(1), None, Some(-5), Some(7)])),
        Arc::new(Int64Array::from(vec![Some(i64::MIN), None, Some(0), Some(42)])),
        Arc::new(Float64Array::from(vec![Some(1.5), None, Some(f64::NAN), Some(-2.0)])),
        Arc::new(
            Decimal128Array::from(vec![Some(ONE_DECIMAL), None, Some(-5), Some(ONE_DECIMAL * 12_345)])
                .with_precision_and_scale(38, 18)?,
        ),
        Arc::new(StringArray::from(vec![Some("a"), None, Some(""), Some("zeta")])),
        Arc::new(
            TimestampNanosecondArray::from(vec![Some(0), None, Some(1_600_000_000_000_000_000), Some(-1)])
                .with_timezone("UTC"),
        ),
        Arc::new(DurationNanosecondArray::from(vec![Some(1), None, Some(-1), Some(86_400_000_000_000)])),
        Arc::new(FixedSizeBinaryArray::try_from_sparse_iter_with_size(
            vec![Some(guid_a), None, Some(guid_b), Some(guid_a)].into_iter(),
            16,
        )?),
        Arc::new(LargeStringArray::from(vec![Some(r#"{"a":1}"#), None, Some("[1,2]"), Some("null")])),
    ];
    Ok(RecordBatch::try_new(arrow_schema(&all_type_columns()), arrays)?)
}

fn long_batch(name: &str, values: Vec<Option<i64>>) -> Result<(Vec<Column>, RecordBatch), Box<dyn Error>> {
    let columns = vec![Column::new(name, KustoType::Long)];
    let batch = RecordBatch::try_new(arrow_schema(&columns), vec![Arc::new(Int64Array::from(values))])?;
    Ok((columns, batch))
}

/// Proves every one of the ten types, nulls included, reads back exactly as written, and that
/// the metadata's row count and size agree with what is stored.
#[test]
fn round_trip_all_types_with_nulls() -> TestResult {
    let (_dir, store) = open_store()?;
    let columns = all_type_columns();
    let batch = all_type_batch()?;
    let id = new_extent_id();
    let meta = store.write_extent(id, &columns, &batch, 1_234, vec!["ingest-by:x".into()])?;
    assert_eq!(meta.row_count, 4);
    assert_eq!(meta.columns, columns);
    assert_eq!(meta.created_at_nanos, 1_234);
    assert_eq!(meta.tags, vec!["ingest-by:x".to_string()]);

    let read = store.read_extent(&meta, &arrow_schema(&columns))?;
    assert_eq!(read, batch);
    for (read_column, written_column) in read.columns().iter().zip(batch.columns()) {
        assert_eq!(read_column.null_count(), 1);
        assert_eq!(read_column.as_ref(), written_column.as_ref());
    }

    let cf = store.db.cf_handle(EXTENTS_COLUMN_FAMILY).ok_or("no extents column family")?;
    let mut stored_bytes = 0u64;
    for index in 0..columns.len() {
        let value = store.db.get_cf(cf, extent_key(id, u32::try_from(index)?))?.ok_or("column value missing")?;
        stored_bytes += value.len() as u64;
    }
    assert_eq!(meta.size_bytes, stored_bytes);
    assert_eq!(store.read_meta(id)?, Some(meta));
    Ok(())
}

/// Proves a projection fetches only the requested column values (counted, and byte-exact against
/// the stored values) and returns them in the requested order.
#[test]
fn projection_reads_only_requested_columns() -> TestResult {
    let (_dir, store) = open_store()?;
    let columns = all_type_columns();
    let batch = all_type_batch()?;
    let id = new_extent_id();
    let meta = store.write_extent(id, &columns, &batch, 0, vec![])?;
    let before = store.read_counters();

    // Requested in reverse storage order: string (index 5) before int (index 1).
    let projection = arrow_schema(&[Column::new("c_string", KustoType::String), Column::new("c_int", KustoType::Int)]);
    let read = store.read_extent(&meta, &projection)?;
    let after = store.read_counters();

    let cf = store.db.cf_handle(EXTENTS_COLUMN_FAMILY).ok_or("no extents column family")?;
    let string_bytes = store.db.get_cf(cf, extent_key(id, 5))?.ok_or("string value missing")?.len() as u64;
    let int_bytes = store.db.get_cf(cf, extent_key(id, 1))?.ok_or("int value missing")?.len() as u64;
    assert_eq!(after.column_values_read - before.column_values_read, 2);
    assert_eq!(after.column_bytes_read - before.column_bytes_read, string_bytes + int_bytes);
    assert!(string_bytes + int_bytes < meta.size_bytes);

    assert_eq!(read.num_columns(), 2);
    assert_eq!(read.column(0).as_ref(), batch.column(5).as_ref());
    assert_eq!(read.column(1).as_ref(), batch.column(1).as_ref());

    // No fields: no column values, but the row count survives.
    let empty = store.read_extent(&meta, &Arc::new(Schema::empty()))?;
    assert_eq!(empty.num_rows(), 4);
    assert_eq!(store.read_counters(), after);
    Ok(())
}

/// Proves a column the extent lacks (table schema grew after the write) reads as nulls of the
/// requested type, next to the stored column.
#[test]
fn missing_column_reads_as_nulls() -> TestResult {
    let (_dir, store) = open_store()?;
    let (columns, batch) = long_batch("a", vec![Some(1), Some(2), Some(3)])?;
    let meta = store.write_extent(new_extent_id(), &columns, &batch, 0, vec![])?;
    let grown = arrow_schema(&[Column::new("a", KustoType::Long), Column::new("added", KustoType::DateTime)]);
    let read = store.read_extent(&meta, &grown)?;
    assert_eq!(read.column(0).as_ref(), batch.column(0).as_ref());
    let added = read.column(1);
    assert_eq!(added.data_type(), &KustoType::DateTime.arrow_type());
    assert_eq!(added.len(), 3);
    assert_eq!(added.null_count(), 3);
    Ok(())
}

/// Proves a column read as another type is cast, with null where a value does not convert
/// ("abc" as long), and a type pair Arrow cannot cast (guid to bool) reads as all nulls.
#[test]
fn changed_type_is_cast_or_null() -> TestResult {
    let (_dir, store) = open_store()?;
    let columns = vec![Column::new("n", KustoType::Long), Column::new("s", KustoType::String), Column::new("g", KustoType::Guid)];
    let batch = RecordBatch::try_new(
        arrow_schema(&columns),
        vec![
            Arc::new(Int64Array::from(vec![Some(1), None, Some(300)])),
            Arc::new(StringArray::from(vec![Some("12"), Some("abc"), None])),
            Arc::new(FixedSizeBinaryArray::try_from_iter(vec![[1u8; 16], [2u8; 16], [3u8; 16]].into_iter())?),
        ],
    )?;
    let meta = store.write_extent(new_extent_id(), &columns, &batch, 0, vec![])?;
    let changed = arrow_schema(&[
        Column::new("n", KustoType::String),
        Column::new("s", KustoType::Long),
        Column::new("g", KustoType::Bool),
    ]);
    let read = store.read_extent(&meta, &changed)?;
    assert_eq!(read.column(0).as_ref(), &StringArray::from(vec![Some("1"), None, Some("300")]) as &dyn Array);
    assert_eq!(read.column(1).as_ref(), &Int64Array::from(vec![Some(12), None, None]) as &dyn Array);
    assert_eq!(read.column(2).data_type(), &DataType::Boolean);
    assert_eq!(read.column(2).null_count(), 3);
    Ok(())
}

/// Proves the statistics written with an extent: min/max and null count per ordered type, NaN
/// left out of real bounds, no bounds for decimal/guid/dynamic, and they survive the header.
#[test]
fn stats_are_computed_and_stored() -> TestResult {
    let (_dir, store) = open_store()?;
    let columns = all_type_columns();
    let id = new_extent_id();
    let meta = store.write_extent(id, &columns, &all_type_batch()?, 0, vec![])?;
    let bounded = |min, max| ColumnStats { min: Some(min), max: Some(max), null_count: 1 };
    let unbounded = ColumnStats { min: None, max: None, null_count: 1 };
    let expected = vec![
        bounded(StatValue::Bool(false), StatValue::Bool(true)),
        bounded(StatValue::Int(-5), StatValue::Int(7)),
        bounded(StatValue::Int(i64::MIN), StatValue::Int(42)),
        bounded(StatValue::Real(-2.0), StatValue::Real(1.5)),
        unbounded.clone(),
        bounded(StatValue::String(String::new()), StatValue::String("zeta".into())),
        bounded(StatValue::Int(-1), StatValue::Int(1_600_000_000_000_000_000)),
        bounded(StatValue::Int(-1), StatValue::Int(86_400_000_000_000)),
        unbounded.clone(),
        unbounded,
    ];
    assert_eq!(meta.stats, expected);
    assert_eq!(store.read_meta(id)?.map(|stored| stored.stats), Some(expected));
    Ok(())
}

/// Proves an extent written before a close reads back identically after reopening the database.
#[test]
fn extents_survive_close_and_reopen() -> TestResult {
    let dir = tempfile::tempdir()?;
    let columns = all_type_columns();
    let batch = all_type_batch()?;
    let id = new_extent_id();
    let meta = {
        let store = ExtentStore::open(dir.path())?;
        store.write_extent(id, &columns, &batch, 5, vec!["drop-by:y".into()])?
    };
    let reopened = ExtentStore::open(dir.path())?;
    assert_eq!(reopened.extent_ids()?, vec![id]);
    assert_eq!(reopened.read_meta(id)?, Some(meta.clone()));
    assert_eq!(reopened.read_extent(&meta, &arrow_schema(&columns))?, batch);
    Ok(())
}

/// Proves damaged stored bytes give a Corrupt error naming the extent and column (garbage value,
/// truncated value, garbage header), and a value that matches its checksum but is not Arrow
/// gives a Decode error; none of them panics.
#[test]
fn corrupt_values_are_reported_not_panicked() -> TestResult {
    let (_dir, store) = open_store()?;
    let columns = all_type_columns();
    let id = new_extent_id();
    let meta = store.write_extent(id, &columns, &all_type_batch()?, 0, vec![])?;
    let schema = arrow_schema(&columns);
    let cf = store.db.cf_handle(EXTENTS_COLUMN_FAMILY).ok_or("no extents column family")?;

    let original = store.db.get_cf(cf, extent_key(id, 2))?.ok_or("long value missing")?;
    let mut flipped = original.clone();
    if let Some(byte) = flipped.get_mut(original.len() / 2) {
        *byte ^= 0xFF;
    }
    store.db.put_cf(cf, extent_key(id, 2), &flipped)?;
    match store.read_extent(&meta, &schema) {
        Err(StorageError::Corrupt { extent, column, .. }) => {
            assert_eq!(extent, id);
            assert_eq!(column, "c_long");
        }
        other => return Err(format!("expected Corrupt, got {other:?}").into()),
    }
    // Other columns of the same extent still read.
    let int_only = arrow_schema(&[Column::new("c_int", KustoType::Int)]);
    assert_eq!(store.read_extent(&meta, &int_only)?.num_rows(), 4);

    store.db.put_cf(cf, extent_key(id, 2), &original[..original.len() - 1])?;
    let error = store.read_extent(&meta, &schema).err().ok_or("truncated value was accepted")?;
    assert!(matches!(&error, StorageError::Corrupt { column, .. } if column == "c_long"));
    assert_eq!(error.kind(), ErrorKind::Internal);

    store.db.put_cf(cf, extent_key(id, 2), &original)?;
    store.db.delete_cf(cf, extent_key(id, 3))?;
    assert!(matches!(
        store.read_extent(&meta, &schema),
        Err(StorageError::Corrupt { column, .. }) if column == "c_real"
    ));

    store.db.put_cf(cf, header_key(id), b"not a header at all")?;
    assert!(matches!(store.read_extent(&meta, &schema), Err(StorageError::Corrupt { column, .. }) if column == "<header>"));
    assert!(matches!(store.read_meta(id), Err(StorageError::Corrupt { .. })));

    // A well-formed header vouching for garbage: the checksum passes, the decoder must refuse.
    let garbage: Vec<u8> = (0..200u32).map(|i| (i.wrapping_mul(37) % 251) as u8).collect();
    let mut forged = meta.clone();
    forged.columns = vec![Column::new("c_long", KustoType::Long)];
    forged.stats = vec![ColumnStats { min: None, max: None, null_count: 0 }];
    let header = ExtentHeader {
        format_version: HEADER_FORMAT_VERSION,
        meta: forged.clone(),
        column_values: vec![ColumnValueInfo { bytes: garbage.len() as u64, crc32: crate::column_codec::checksum(&garbage) }],
    };
    store.db.put_cf(cf, header_key(id), encode_header(&header)?)?;
    store.db.put_cf(cf, extent_key(id, 0), &garbage)?;
    let long_only = arrow_schema(&forged.columns);
    assert!(matches!(store.read_extent(&forged, &long_only), Err(StorageError::Decode { column, .. }) if column == "c_long"));
    Ok(())
}

/// Proves reading with catalog metadata that disagrees with the stored header is refused.
#[test]
fn catalog_disagreement_is_refused() -> TestResult {
    let (_dir, store) = open_store()?;
    let (columns, batch) = long_batch("a", vec![Some(1), Some(2)])?;
    let meta = store.write_extent(new_extent_id(), &columns, &batch, 0, vec![])?;
    let mut wrong_rows = meta.clone();
    wrong_rows.row_count = 3;
    assert!(matches!(
        store.read_extent(&wrong_rows, &arrow_schema(&columns)),
        Err(StorageError::MetaMismatch { .. })
    ));
    let mut wrong_columns = meta;
    wrong_columns.columns = vec![Column::new("a", KustoType::Int)];
    assert!(matches!(
        store.read_extent(&wrong_columns, &arrow_schema(&columns)),
        Err(StorageError::MetaMismatch { .. })
    ));
    Ok(())
}

/// Proves a batch that does not match its declared columns (type, name, count, duplicate name)
/// is refused before anything is stored, and an id is written only once.
#[test]
fn write_refuses_mismatched_batches_and_reused_ids() -> TestResult {
    let (_dir, store) = open_store()?;
    let (_, batch) = long_batch("a", vec![Some(1)])?;
    let id = new_extent_id();
    let attempts: Vec<Vec<Column>> = vec![
        vec![Column::new("a", KustoType::Int)],
        vec![Column::new("b", KustoType::Long)],
        vec![Column::new("a", KustoType::Long), Column::new("c", KustoType::Long)],
    ];
    for columns in attempts {
        assert!(matches!(store.write_extent(id, &columns, &batch, 0, vec![]), Err(StorageError::SchemaMismatch { .. })));
    }
    let twice = vec![Column::new("a", KustoType::Long), Column::new("a", KustoType::Long)];
    let two_columns = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true), Field::new("a", DataType::Int64, true)])),
        vec![Arc::new(Int64Array::from(vec![1])), Arc::new(Int64Array::from(vec![2]))],
    )?;
    assert!(matches!(store.write_extent(id, &twice, &two_columns, 0, vec![]), Err(StorageError::SchemaMismatch { .. })));
    assert!(store.extent_ids()?.is_empty());

    let columns = vec![Column::new("a", KustoType::Long)];
    store.write_extent(id, &columns, &batch, 0, vec![])?;
    let again = store.write_extent(id, &columns, &batch, 0, vec![]).err().ok_or("second write accepted")?;
    assert!(matches!(again, StorageError::ExtentAlreadyStored { .. }));
    assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    Ok(())
}

/// Proves extent_ids lists exactly the written extents in id order, including the smallest and
/// largest possible ids, and that delete removes every key of the deleted extents only.
#[test]
fn list_and_delete_extents() -> TestResult {
    let (_dir, store) = open_store()?;
    let columns = all_type_columns();
    let batch = all_type_batch()?;
    let mut ids = vec![ExtentId(0), ExtentId(u128::MAX), ExtentId(1 << 64)];
    ids.extend((0..4).map(|_| new_extent_id()));
    for &id in &ids {
        store.write_extent(id, &columns, &batch, 0, vec![])?;
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(store.extent_ids()?, sorted);

    let deleted = [ExtentId(0), ExtentId(u128::MAX), ids[3]];
    store.delete_extents(&deleted)?;
    let remaining: Vec<ExtentId> = sorted.iter().copied().filter(|id| !deleted.contains(id)).collect();
    assert_eq!(store.extent_ids()?, remaining);

    let cf = store.db.cf_handle(EXTENTS_COLUMN_FAMILY).ok_or("no extents column family")?;
    let mut keys_left = 0usize;
    for item in store.db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
        let (key, _) = item?;
        let (extent, _) = crate::keys::parse_extent_key(&key).ok_or("malformed key")?;
        assert!(!deleted.contains(&extent));
        keys_left += 1;
    }
    assert_eq!(keys_left, remaining.len() * (columns.len() + 1));

    for id in deleted {
        assert_eq!(store.read_meta(id)?, None);
    }
    let gone = store.write_extent(ExtentId(0), &columns, &batch, 0, vec![])?;
    store.delete_extents(&[ExtentId(0)])?;
    assert!(matches!(store.read_extent(&gone, &arrow_schema(&columns)), Err(StorageError::ExtentNotFound { .. })));
    Ok(())
}

/// Proves a merge concatenates its inputs in the given order in the current table schema (an
/// older extent without a later column gets nulls), keeps the total row count, unions the tags,
/// and leaves the inputs stored.
#[test]
fn merge_concatenates_in_order() -> TestResult {
    let (_dir, store) = open_store()?;
    let (old_columns, old_batch) = long_batch("a", vec![Some(1), Some(2), Some(3)])?;
    let old = store.write_extent(new_extent_id(), &old_columns, &old_batch, 0, vec!["t1".into(), "t2".into()])?;
    let columns = vec![Column::new("a", KustoType::Long), Column::new("b", KustoType::String)];
    let new_batch = RecordBatch::try_new(
        arrow_schema(&columns),
        vec![Arc::new(Int64Array::from(vec![4, 5])), Arc::new(StringArray::from(vec!["x", "y"]))],
    )?;
    let new = store.write_extent(new_extent_id(), &columns, &new_batch, 0, vec!["t2".into(), "t3".into()])?;

    let merged_id = new_extent_id();
    let merged = store.merge_extents(&[old.clone(), new.clone()], &columns, merged_id, 99)?;
    assert_eq!(merged.row_count, 5);
    assert_eq!(merged.created_at_nanos, 99);
    assert_eq!(merged.tags, vec!["t1".to_string(), "t2".into(), "t3".into()]);
    let read = store.read_extent(&merged, &arrow_schema(&columns))?;
    assert_eq!(read.column(0).as_ref(), &Int64Array::from(vec![1, 2, 3, 4, 5]) as &dyn Array);
    assert_eq!(
        read.column(1).as_ref(),
        &StringArray::from(vec![None, None, None, Some("x"), Some("y")]) as &dyn Array
    );
    assert_eq!(merged.stats[0], ColumnStats { min: Some(StatValue::Int(1)), max: Some(StatValue::Int(5)), null_count: 0 });

    let mut expected_ids = vec![old.id, new.id, merged_id];
    expected_ids.sort();
    assert_eq!(store.extent_ids()?, expected_ids);
    assert!(matches!(store.merge_extents(&[], &columns, new_extent_id(), 0), Err(StorageError::EmptyMerge { .. })));
    Ok(())
}

/// Proves the decoded-column cache: a second read of the same columns fetches no value and
/// returns the same arrays; a merge takes cached columns but caches none of its inputs' others
/// nor its output; deleting an extent evicts its columns, and a store opened with the cache off
/// fetches every time.
#[test]
fn hot_columns_are_served_from_the_cache() -> TestResult {
    let (_dir, store) = open_store()?;
    let columns = all_type_columns();
    let batch = all_type_batch()?;
    let meta = store.write_extent(new_extent_id(), &columns, &batch, 0, vec![])?;
    let schema = arrow_schema(&columns);
    let first = store.read_extent(&meta, &schema)?;
    let after_first = store.read_counters();
    assert_eq!(after_first.column_values_read, columns.len() as u64);
    let second = store.read_extent(&meta, &schema)?;
    assert_eq!(store.read_counters(), after_first, "the second read fetched values");
    assert_eq!(first, second);
    let stats = store.column_cache_stats();
    assert_eq!((stats.entries, stats.hits), (columns.len(), columns.len() as u64));

    let (long_columns, long_batch_a) = long_batch("a", vec![Some(1), Some(2)])?;
    let a = store.write_extent(new_extent_id(), &long_columns, &long_batch_a, 0, vec![])?;
    let b = store.write_extent(new_extent_id(), &long_columns, &long_batch_a, 0, vec![])?;
    store.read_extent(&a, &arrow_schema(&long_columns))?;
    let merged = store.merge_extents(&[a.clone(), b.clone()], &long_columns, new_extent_id(), 0)?;
    assert_eq!(merged.row_count, 4);
    assert_eq!(store.column_cache_stats().entries, columns.len() + 1, "a merge filled the cache");

    store.delete_extents(&[meta.id, a.id])?;
    let stats = store.column_cache_stats();
    assert_eq!((stats.entries, stats.bytes), (0, 0));

    let dir = TempDir::new()?;
    let uncached = ExtentStore::open_with(dir.path(), StoreOptions { column_cache_bytes: 0 })?;
    let meta = uncached.write_extent(new_extent_id(), &columns, &batch, 0, vec![])?;
    uncached.read_extent(&meta, &schema)?;
    uncached.read_extent(&meta, &schema)?;
    assert_eq!(uncached.read_counters().column_values_read, 2 * columns.len() as u64);
    Ok(())
}

/// Proves a second open of a database that is in use fails as a retryable RocksDB error.
#[test]
fn locked_database_is_unavailable() -> TestResult {
    let (dir, _store) = open_store()?;
    let error = ExtentStore::open(dir.path()).err().ok_or("second open succeeded")?;
    assert!(matches!(error, StorageError::RocksDb { .. }));
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    Ok(())
}

/// Proves a large column goes to a blob file when flushed (BlobDB is on for `extents`) and
/// reads back exactly from there after a reopen.
#[test]
fn large_columns_live_in_blob_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let row_count = 200_000u64;
    // A linear congruential sequence: incompressible enough that the value stays far above the
    // blob threshold after compression.
    let values: Vec<i64> =
        (0..row_count).map(|row| (row.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407) >> 11) as i64).collect();
    let (columns, batch) = long_batch("n", values.into_iter().map(Some).collect())?;
    let id = new_extent_id();
    let meta = {
        let store = ExtentStore::open(dir.path())?;
        let meta = store.write_extent(id, &columns, &batch, 0, vec![])?;
        assert!(meta.size_bytes > crate::store::BLOB_SIZE_MIN_BYTES * 100);
        let cf = store.db.cf_handle(EXTENTS_COLUMN_FAMILY).ok_or("no extents column family")?;
        store.db.flush_cf(cf)?;
        meta
    };
    let blob_files = std::fs::read_dir(dir.path())?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().extension().is_some_and(|extension| extension == "blob"))
        .count();
    assert!(blob_files >= 1, "no blob file after flush");

    let reopened = ExtentStore::open(dir.path())?;
    assert_eq!(reopened.read_extent(&meta, &arrow_schema(&columns))?, batch);
    Ok(())
}

/// Proves a byte damaged on disk inside a blob file is reported as corruption. Reads skip
/// RocksDB's own checksums (each value's CRC-32 in the header covers the same bytes), so the
/// header's CRC is what must catch it.
#[test]
fn damaged_blob_bytes_are_reported() -> TestResult {
    let dir = tempfile::tempdir()?;
    let values: Vec<i64> = (0..200_000_i64).map(|row| row.wrapping_mul(2_862_933_555_777_941_757) >> 7).collect();
    let (columns, batch) = long_batch("n", values.into_iter().map(Some).collect())?;
    let id = new_extent_id();
    let meta = {
        let store = ExtentStore::open(dir.path())?;
        let meta = store.write_extent(id, &columns, &batch, 0, vec![])?;
        let cf = store.db.cf_handle(EXTENTS_COLUMN_FAMILY).ok_or("no extents column family")?;
        store.db.flush_cf(cf)?;
        meta
    };
    let blob = std::fs::read_dir(dir.path())?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|extension| extension == "blob"))
        .ok_or("no blob file after flush")?;
    let mut bytes = std::fs::read(&blob)?;
    let middle = bytes.len() / 2;
    let byte = bytes.get_mut(middle).ok_or("empty blob file")?;
    *byte ^= 0x5A;
    std::fs::write(&blob, &bytes)?;

    let reopened = ExtentStore::open(dir.path())?;
    match reopened.read_extent(&meta, &arrow_schema(&columns)) {
        Err(StorageError::Corrupt { column, .. }) => assert_eq!(column, "n"),
        other => return Err(format!("expected Corrupt, got {other:?}").into()),
    }
    Ok(())
}
