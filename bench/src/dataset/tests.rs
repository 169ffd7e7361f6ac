#![allow(clippy::unwrap_used, reason = "a test reports failure by panicking")]

use std::path::Path;

use super::files::{data_path, file_outputs, manifest};
use super::manifest::Manifest;
use super::sink::FileFormat;
use super::*;
use crate::iso::parse_timestamp;

const ALL_FORMATS: [FileFormat; 3] = [FileFormat::Csv, FileFormat::JsonLines, FileFormat::Parquet];

fn small_spec(seed: u64) -> Spec {
    Spec {
        seed,
        profile: "test".to_string(),
        trucks: 7,
        start_nanos: parse_timestamp("2024-01-01T00:00:00Z").unwrap(),
        span_nanos: 2 * 3_600 * NANOS_PER_SECOND,
        interval_nanos: 10 * NANOS_PER_SECOND,
    }
}

fn generate_into(directory: &Path, spec: &Spec) -> Manifest {
    let outputs = file_outputs(directory, &ALL_FORMATS).unwrap();
    let counts = generate(spec, outputs, |_, _| {}).unwrap();
    let manifest = manifest(spec, &ALL_FORMATS, counts);
    manifest.write(directory).unwrap();
    Manifest::read(directory).unwrap()
}

fn read(directory: &Path, table: &str, format: FileFormat) -> Vec<u8> {
    std::fs::read(data_path(directory, table, format)).unwrap()
}

// Proves generation is a function of the spec: the same seed gives byte-identical files in every
// format, another seed gives different readings.
#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    generate_into(first.path(), &small_spec(42));
    generate_into(second.path(), &small_spec(42));
    generate_into(other.path(), &small_spec(43));
    for table in ["readings", "diagnostics", "tags"] {
        for format in ALL_FORMATS {
            assert_eq!(
                read(first.path(), table, format),
                read(second.path(), table, format),
                "{table}.{}",
                format.extension()
            );
        }
    }
    assert_eq!(
        std::fs::read(first.path().join("manifest.json")).unwrap(),
        std::fs::read(second.path().join("manifest.json")).unwrap()
    );
    assert_ne!(
        read(first.path(), "readings", FileFormat::Csv),
        read(other.path(), "readings", FileFormat::Csv)
    );
}

// Proves the CSV files parse with the csv crate into the manifest's row count and column count,
// that ~1% of rows are gaps and some cells are null, some rows are out of order, and that the
// JSON lines and Parquet files hold the same number of rows.
#[test]
fn files_round_trip_and_match_the_manifest() {
    let directory = tempfile::tempdir().unwrap();
    let spec = small_spec(42);
    let manifest = generate_into(directory.path(), &spec);
    let slots = spec.trucks * spec.steps();
    for (table, expected_columns) in [("readings", 13), ("diagnostics", 8), ("tags", 8)] {
        let expected_rows = manifest.tables[table].rows;
        assert_eq!(manifest.tables[table].columns.len(), expected_columns);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(data_path(directory.path(), table, FileFormat::Csv))
            .unwrap();
        let mut rows = 0u64;
        let mut empty_cells = 0u64;
        let mut out_of_order = 0u64;
        let mut latest = String::new();
        for record in reader.records() {
            let record = record.unwrap();
            assert_eq!(record.len(), expected_columns);
            empty_cells += record.iter().filter(|cell| cell.is_empty()).count() as u64;
            if table != "tags" {
                let ts = record.get(0).unwrap();
                assert!(parse_timestamp(ts).is_ok(), "{ts}");
                if ts < latest.as_str() {
                    out_of_order += 1;
                } else {
                    latest = ts.to_string();
                }
            }
            rows += 1;
        }
        assert_eq!(rows, expected_rows, "{table} csv rows");
        let json_rows = read(directory.path(), table, FileFormat::JsonLines)
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.is_empty())
            .inspect(|line| {
                let value: serde_json::Value = serde_json::from_slice(line).unwrap();
                assert_eq!(value.as_object().unwrap().len(), expected_columns);
            })
            .count() as u64;
        assert_eq!(json_rows, expected_rows, "{table} jsonl rows");
        let parquet_file =
            std::fs::File::open(data_path(directory.path(), table, FileFormat::Parquet)).unwrap();
        let parquet_rows: u64 =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(parquet_file)
                .unwrap()
                .build()
                .unwrap()
                .map(|batch| batch.unwrap().num_rows() as u64)
                .sum();
        assert_eq!(parquet_rows, expected_rows, "{table} parquet rows");
        if table == "tags" {
            assert_eq!(rows, spec.trucks);
            assert_eq!(empty_cells, 0);
        } else {
            let gaps = slots - rows;
            assert!(
                gaps > slots / 200 && gaps < slots / 50,
                "{table}: {gaps} gaps in {slots}"
            );
            assert!(empty_cells > 0, "{table}: no null cells");
            assert!(out_of_order > 0, "{table}: nothing out of order");
        }
    }
}

// Proves a load-test segment has exactly the rows asked for, and differs by body number.
#[test]
fn segments_have_their_row_count() {
    let segment = Segment {
        seed: 1,
        body: 0,
        first_truck: 100,
        truck_count: 30,
        start_nanos: 0,
        interval_nanos: NANOS_PER_SECOND,
        rows: 95,
    };
    let collect = |segment: &Segment| {
        let mut names = Vec::new();
        let written = write_segment(segment, |values| {
            names.push(format!("{values:?}"));
            Ok(())
        })
        .unwrap();
        (written, names)
    };
    let (written, rows) = collect(&segment);
    assert_eq!(written, 95);
    assert_eq!(rows.len(), 95);
    assert!(rows[0].contains("truck_100"));
    let (_, other_rows) = collect(&Segment {
        body: 1,
        ..segment.clone()
    });
    assert_ne!(rows, other_rows);
}

// Proves bad specs are errors, not panics.
#[test]
fn bad_specs_are_rejected() {
    let mut spec = small_spec(1);
    spec.trucks = 0;
    assert!(spec.validate().is_err());
    let mut spec = small_spec(1);
    spec.span_nanos = NANOS_PER_SECOND;
    assert!(spec.validate().is_err());
    let mut spec = small_spec(1);
    spec.start_nanos = i64::MAX - 1;
    assert!(spec.validate().is_err());
}
