//! `manifest.json`: what a generated directory holds. `load` and the peers read the schema and
//! row counts from it, so its shape is a contract:
//!
//! ```json
//! {"seed": 42, "profile": "quick", "trucks": 20, "span_seconds": 3600, "interval_seconds": 10,
//!  "start": "2024-01-01T00:00:00Z", "formats": ["csv", "jsonl", "parquet"],
//!  "tables": {"readings": {"rows": 7128, "columns": [{"name": "ts", "type": "datetime"}, ...]}, ...}}
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::TableSchema;

pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub kusto_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestTable {
    pub rows: u64,
    pub columns: Vec<ManifestColumn>,
}

impl ManifestTable {
    pub fn new(schema: &TableSchema, rows: u64) -> ManifestTable {
        ManifestTable {
            rows,
            columns: schema
                .columns
                .iter()
                .map(|column| ManifestColumn {
                    name: column.name.to_string(),
                    kusto_type: column.column_type.kusto_name().to_string(),
                })
                .collect(),
        }
    }

    /// `.create table name (a:type, ...)` from the manifest's own column list.
    pub fn create_command(&self, table_name: &str) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|column| format!("{}:{}", column.name, column.kusto_type))
            .collect();
        format!(".create table {table_name} ({})", columns.join(", "))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub seed: u64,
    pub profile: String,
    pub trucks: u64,
    #[serde(serialize_with = "whole_as_integer")]
    pub span_seconds: f64,
    #[serde(serialize_with = "whole_as_integer")]
    pub interval_seconds: f64,
    pub start: String,
    #[serde(default)]
    pub formats: Vec<String>,
    /// By table name; a BTreeMap so the file is byte-identical run to run.
    pub tables: BTreeMap<String, ManifestTable>,
}

/// `3600` rather than `3600.0` for whole seconds, so readers may take them as integers.
fn whole_as_integer<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

impl Manifest {
    pub fn write(&self, directory: &Path) -> Result<()> {
        let path = directory.join(MANIFEST_FILE);
        let mut text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.clone(),
            what: "the manifest",
            source,
        })?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|source| Error::io(path, source))
    }

    pub fn read(directory: &Path) -> Result<Manifest> {
        let path = directory.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::io(&path, source))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.clone(),
            what: "a tarn-bench manifest",
            source,
        })?;
        for (name, table) in &manifest.tables {
            let valid_name = !name.is_empty()
                && name
                    .chars()
                    .all(|character| character.is_ascii_alphanumeric() || character == '_');
            if !valid_name || table.columns.is_empty() {
                return Err(Error::InvalidFile {
                    path,
                    reason: format!("table '{name}' needs a plain name and at least one column"),
                });
            }
        }
        Ok(manifest)
    }
}
