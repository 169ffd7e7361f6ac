//! A generated data directory: `<table>.<csv|jsonl|parquet>` for each table and format, and
//! `manifest.json`. The manifest is written last, so a directory with a manifest is complete.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::manifest::{MANIFEST_FILE, Manifest, ManifestTable};
use super::parquet_sink::ParquetSink;
use super::sink::{CsvSink, FileFormat, JsonSink, Sink};
use super::{Counts, Outputs, Spec};
use crate::error::{Error, Result};
use crate::iso::{self, Fraction, NANOS_PER_SECOND};
use crate::schema::{DIAGNOSTICS, READINGS, TABLES, TAGS, TableSchema};

/// Output buffer per file.
const FILE_BUFFER_BYTES: usize = 1 << 20;

pub fn data_path(directory: &Path, table: &str, format: FileFormat) -> PathBuf {
    directory.join(format!("{table}.{}", format.extension()))
}

fn open_sink(
    directory: &Path,
    table: &'static TableSchema,
    format: FileFormat,
) -> Result<Box<dyn Sink>> {
    let path = data_path(directory, table.name, format);
    let file = File::create(&path).map_err(|source| Error::io(&path, source))?;
    let output = BufWriter::with_capacity(FILE_BUFFER_BYTES, file);
    Ok(match format {
        FileFormat::Csv => Box::new(CsvSink::new(output, table.columns, path)),
        FileFormat::JsonLines => Box::new(JsonSink::new(output, table.columns, path)),
        FileFormat::Parquet => Box::new(ParquetSink::new(output, table, path)?),
    })
}

/// Sinks writing every table in every format under `directory` (created if missing).
pub fn file_outputs(directory: &Path, formats: &[FileFormat]) -> Result<Outputs> {
    std::fs::create_dir_all(directory).map_err(|source| Error::io(directory, source))?;
    // A stale manifest would describe files that are being overwritten.
    let manifest_path = directory.join(MANIFEST_FILE);
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path).map_err(|source| Error::io(&manifest_path, source))?;
    }
    let mut outputs = Outputs::default();
    for &format in formats {
        outputs
            .readings
            .push(open_sink(directory, &READINGS, format)?);
        outputs
            .diagnostics
            .push(open_sink(directory, &DIAGNOSTICS, format)?);
        outputs.tags.push(open_sink(directory, &TAGS, format)?);
    }
    Ok(outputs)
}

pub fn manifest(spec: &Spec, formats: &[FileFormat], counts: Counts) -> Manifest {
    let mut tables = BTreeMap::new();
    for table in TABLES {
        let rows = match table.name {
            "readings" => counts.readings,
            "diagnostics" => counts.diagnostics,
            _ => counts.tags,
        };
        tables.insert(table.name.to_string(), ManifestTable::new(&table, rows));
    }
    Manifest {
        seed: spec.seed,
        profile: spec.profile.clone(),
        trucks: spec.trucks,
        span_seconds: spec.span_nanos as f64 / NANOS_PER_SECOND as f64,
        interval_seconds: spec.interval_nanos as f64 / NANOS_PER_SECOND as f64,
        start: iso::timestamp_text(spec.start_nanos, Fraction::Trimmed),
        formats: formats
            .iter()
            .map(|format| format.extension().to_string())
            .collect(),
        tables,
    }
}
