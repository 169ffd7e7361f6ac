//! Table schemas: named, typed columns and their Arrow schema. The ten KQL scalar types and their
//! Arrow layout live in `tarn-types`, shared with the client, and are re-exported here.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use serde::{Deserialize, Serialize};

pub use tarn_types::{KustoType, DECIMAL_PRECISION, DECIMAL_SCALE};

/// A named, typed column of a table schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kusto_type: KustoType,
}

impl Column {
    pub fn new(name: impl Into<String>, kusto_type: KustoType) -> Column {
        Column { name: name.into(), kusto_type }
    }

    pub fn arrow_field(&self) -> Field {
        Field::new(&self.name, self.kusto_type.arrow_type(), true)
    }
}

/// The Arrow schema of a list of KQL columns (all nullable: KQL has no NOT NULL).
pub fn arrow_schema(columns: &[Column]) -> Arc<Schema> {
    Arc::new(Schema::new(columns.iter().map(Column::arrow_field).collect::<Vec<_>>()))
}
