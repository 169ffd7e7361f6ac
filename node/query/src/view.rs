//! [`DatabaseView`]: one database's tables as of one catalog snapshot, for the planner.

use std::sync::Arc;

use tarn_meta::Catalog;
use tarn_planner::{ResolvedTable, TableCatalog};
use tarn_storage::ExtentStore;

use crate::pins::PinGuard;
use crate::table::ExtentTable;

pub struct DatabaseView {
    catalog: Arc<Catalog>,
    database: String,
    store: Arc<ExtentStore>,
    pin: Arc<PinGuard>,
}

impl DatabaseView {
    pub fn new(catalog: Arc<Catalog>, database: &str, store: Arc<ExtentStore>, pin: PinGuard) -> DatabaseView {
        DatabaseView { catalog, database: database.to_string(), store, pin: Arc::new(pin) }
    }
}

impl TableCatalog for DatabaseView {
    fn table(&self, name: &str) -> Option<ResolvedTable> {
        let table = self.catalog.table(&self.database, name)?;
        let provider = ExtentTable::new(
            Arc::clone(&self.catalog),
            &self.database,
            name,
            Arc::clone(&self.store),
            Arc::clone(&self.pin),
        )?;
        Some(ResolvedTable { name: table.name.clone(), columns: table.columns.clone(), provider: Arc::new(provider) })
    }

    fn table_names(&self) -> Vec<String> {
        self.catalog.database(&self.database).map(|database| database.tables.keys().cloned().collect()).unwrap_or_default()
    }
}
