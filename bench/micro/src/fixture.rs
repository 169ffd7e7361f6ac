//! [`TelemetryStore`]: a real RocksDB extent store in a temporary directory holding one telemetry
//! extent, and a catalog that names it, built the way the node builds them (`ExtentStore::write_extent`,
//! then the catalog commands through `tarn_meta::apply`). Queries plan against it through
//! `tarn_query::DatabaseView`, as `tarnd` does.
//!
//! The catalog also has a `Devices` table (no extents) so joins have something to join to.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use tarn_common::{Column, ExtentMeta, KustoType};
use tarn_meta::{ApplyContext, Catalog, DEFAULT_DATABASE, MetaCommand, apply};
use tarn_query::{DatabaseView, ExtentPins};
use tarn_storage::{ExtentStore, new_extent_id};
use tempfile::TempDir;

use crate::error::Result;
use crate::telemetry::{self, TABLE_NAME};

/// The dimension table the join benchmarks read.
pub const DEVICES_TABLE_NAME: &str = "Devices";
/// Creation time of every fixture extent and table: fixed, so plans do not depend on the clock.
pub const CREATED_AT_NANOS: i64 = 1_704_067_200_000_000_000;

pub struct TelemetryStore {
    // Declared before `_directory` so the database closes before its directory is removed.
    store: Arc<ExtentStore>,
    catalog: Arc<Catalog>,
    pins: ExtentPins,
    extent: ExtentMeta,
    /// Removed (with the database in it) when the fixture drops.
    _directory: TempDir,
}

impl TelemetryStore {
    /// Opens a store in a fresh temporary directory and commits `batch` as one extent of the
    /// telemetry table.
    pub fn open(batch: &RecordBatch) -> Result<TelemetryStore> {
        let directory = tempfile::Builder::new()
            .prefix("tarn-microbench-")
            .tempdir()?;
        let store = Arc::new(ExtentStore::open(directory.path())?);
        let columns = telemetry::schema();
        let extent = store.write_extent(
            new_extent_id(),
            &columns,
            batch,
            CREATED_AT_NANOS,
            Vec::new(),
        )?;

        let mut catalog = Catalog::default();
        let commands = [
            MetaCommand::Bootstrap,
            MetaCommand::CreateTable {
                db: DEFAULT_DATABASE.to_string(),
                table: DEVICES_TABLE_NAME.to_string(),
                columns: devices_schema(),
                folder: String::new(),
                docstring: String::new(),
                created_at_nanos: CREATED_AT_NANOS,
            },
            MetaCommand::AppendExtents {
                db: DEFAULT_DATABASE.to_string(),
                table: TABLE_NAME.to_string(),
                create_with_columns: Some(columns),
                extents: vec![extent.clone()],
                ingest_by_tags: Vec::new(),
                if_not_exists_tags: Vec::new(),
            },
        ];
        for (log_index, command) in (1u64..).zip(&commands) {
            apply(&mut catalog, command, &ApplyContext { log_index })?;
        }
        Ok(TelemetryStore {
            store,
            catalog: Arc::new(catalog),
            pins: ExtentPins::new(),
            extent,
            _directory: directory,
        })
    }

    pub fn store(&self) -> &Arc<ExtentStore> {
        &self.store
    }

    /// The metadata of the telemetry extent, as the catalog holds it.
    pub fn extent(&self) -> &ExtentMeta {
        &self.extent
    }

    /// The default database as a query sees it: what the planner resolves tables against.
    pub fn view(&self) -> DatabaseView {
        DatabaseView::new(
            Arc::clone(&self.catalog),
            DEFAULT_DATABASE,
            Arc::clone(&self.store),
            self.pins.pin(),
        )
    }
}

/// `Devices`: one row per device, for lookups and joins on `device_id`.
pub fn devices_schema() -> Vec<Column> {
    vec![
        Column::new("device_id", KustoType::String),
        Column::new("model", KustoType::String),
        Column::new("site", KustoType::String),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use tarn_planner::TableCatalog;

    /// Proves the fixture's extent reads back whole and both tables are visible to a query.
    #[test]
    fn extent_reads_back_and_tables_resolve() -> Result<()> {
        let batch = telemetry::record_batch(1_000, 3)?;
        let fixture = TelemetryStore::open(&batch)?;
        let read = fixture
            .store()
            .read_extent(fixture.extent(), &batch.schema())?;
        assert_eq!(read, batch);

        let view = fixture.view();
        let mut names = view.table_names();
        names.sort();
        assert_eq!(names, [DEVICES_TABLE_NAME, TABLE_NAME]);
        Ok(())
    }
}
