//! Catalogs for the crate's planning tests: extents as metadata only (planning never reads
//! extent bytes).

use std::sync::Arc;

use tarn_common::{Column, ColumnStats, ExtentId, ExtentMeta, KustoType, StatValue};
use tarn_meta::{ApplyContext, Catalog, DEFAULT_DATABASE, MetaCommand, apply};
use tarn_storage::ExtentStore;

use crate::pins::ExtentPins;
use crate::ExtentTable;

/// A bootstrapped catalog, a real (empty) extent store, and pins.
pub(crate) struct Fixture {
    pub catalog: Catalog,
    pub store: Arc<ExtentStore>,
    pins: ExtentPins,
    _directory: tempfile::TempDir,
    log_index: u64,
}

impl Fixture {
    pub fn new() -> Fixture {
        let directory = tempfile::tempdir().expect("a directory");
        let store = Arc::new(ExtentStore::open(directory.path()).expect("a store"));
        let mut catalog = Catalog::default();
        apply(&mut catalog, &MetaCommand::Bootstrap, &ApplyContext { log_index: 1 }).expect("bootstrap");
        Fixture { catalog, store, pins: ExtentPins::new(), _directory: directory, log_index: 1 }
    }

    /// Appends to table `name` (one long column, `key`) an extent of `rows` rows whose keys lie
    /// in `range`, when given.
    pub fn append(&mut self, name: &str, id: u128, rows: u64, range: Option<(i64, i64)>) {
        let columns = vec![Column::new("key", KustoType::Long)];
        let stats = ColumnStats {
            min: range.map(|(low, _)| StatValue::Int(low)),
            max: range.map(|(_, high)| StatValue::Int(high)),
            null_count: 0,
        };
        let extent = ExtentMeta {
            id: ExtentId(id),
            columns: columns.clone(),
            stats: vec![stats],
            row_count: rows,
            size_bytes: rows * 8,
            created_at_nanos: 0,
            tags: Vec::new(),
        };
        let command = MetaCommand::AppendExtents {
            db: DEFAULT_DATABASE.to_string(),
            table: name.to_string(),
            create_with_columns: Some(columns),
            extents: vec![extent],
            ingest_by_tags: Vec::new(),
            if_not_exists_tags: Vec::new(),
        };
        self.log_index += 1;
        apply(&mut self.catalog, &command, &ApplyContext { log_index: self.log_index }).expect("append extents");
    }

    /// The tables as of the catalog now.
    pub fn tables(&self) -> impl Fn(&str) -> Arc<ExtentTable> + use<> {
        let catalog = Arc::new(self.catalog.clone());
        let store = Arc::clone(&self.store);
        let pin = Arc::new(self.pins.pin());
        move |name: &str| {
            ExtentTable::new(Arc::clone(&catalog), DEFAULT_DATABASE, name, Arc::clone(&store), Arc::clone(&pin))
                .map(Arc::new)
                .expect("the table")
        }
    }
}
