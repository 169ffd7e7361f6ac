//! Tests of `parse_body` across formats: Kusto's bad-row rules, mappings, limits, Parquet, and
//! property tests (CSV round trip of all ten types; no panic on arbitrary bytes).

use std::sync::Arc;

use arrow::array::{
    Array, AsArray, Float32Array, Int32Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::{
    Decimal128Type, DurationNanosecondType, Field, Float64Type, Int32Type, Int64Type, Schema,
    TimeUnit, TimestampNanosecondType,
};
use tarn_common::{Column, KustoType};

use super::*;

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

fn columns(spec: &[(&str, KustoType)]) -> Vec<Column> {
    spec.iter()
        .map(|(name, kusto_type)| Column::new(*name, *kusto_type))
        .collect()
}

fn parse(body: &str, format: DataFormat, schema: &[Column]) -> Result<ParsedBody> {
    parse_body(
        body.as_bytes(),
        format,
        schema,
        None,
        &ParseOptions::default(),
    )
}

/// All rows of the body as one batch (tests use small bodies).
fn single_batch(
    parsed: &ParsedBody,
) -> std::result::Result<RecordBatch, Box<dyn std::error::Error>> {
    let schema = parsed
        .batches
        .first()
        .map(|batch| batch.schema())
        .ok_or("no batches")?;
    Ok(arrow::compute::concat_batches(&schema, &parsed.batches)?)
}

fn longs(batch: &RecordBatch, column: usize) -> Vec<Option<i64>> {
    batch
        .column(column)
        .as_primitive::<Int64Type>()
        .iter()
        .collect()
}

fn strings(batch: &RecordBatch, column: usize) -> Vec<Option<String>> {
    batch
        .column(column)
        .as_string::<i32>()
        .iter()
        .map(|value| value.map(str::to_owned))
        .collect()
}

fn dynamics(batch: &RecordBatch, column: usize) -> Vec<Option<String>> {
    batch
        .column(column)
        .as_string::<i64>()
        .iter()
        .map(|value| value.map(str::to_owned))
        .collect()
}

fn datetimes(batch: &RecordBatch, column: usize) -> Vec<Option<i64>> {
    batch
        .column(column)
        .as_primitive::<TimestampNanosecondType>()
        .iter()
        .collect()
}

fn reals(batch: &RecordBatch, column: usize) -> Vec<Option<f64>> {
    batch
        .column(column)
        .as_primitive::<Float64Type>()
        .iter()
        .collect()
}

const DAY_NANOS: i64 = 86_400_000_000_000;
const JAN_1_2024_NANOS: i64 = 19_723 * DAY_NANOS;

/// Proves format names read in any case, as the SDKs send them (`csv`, `Csv`, `MultiJson`).
#[test]
fn format_names() {
    assert_eq!(DataFormat::parse("csv").ok(), Some(DataFormat::Csv));
    assert_eq!(DataFormat::parse("Csv").ok(), Some(DataFormat::Csv));
    assert_eq!(
        DataFormat::parse("MultiJson").ok(),
        Some(DataFormat::MultiJson)
    );
    assert_eq!(
        DataFormat::parse("SINGLEJSON").ok(),
        Some(DataFormat::SingleJson)
    );
    assert_eq!(DataFormat::parse("parquet").ok(), Some(DataFormat::Parquet));
    assert!(matches!(
        DataFormat::parse("avro"),
        Err(FormatError::UnknownFormat { .. })
    ));
}

/// Proves one CSV row fills all ten types with the values Kusto would store.
#[test]
fn csv_all_types() -> TestResult {
    let schema = columns(&[
        ("b", KustoType::Bool),
        ("i", KustoType::Int),
        ("l", KustoType::Long),
        ("r", KustoType::Real),
        ("d", KustoType::Decimal),
        ("s", KustoType::String),
        ("t", KustoType::DateTime),
        ("ts", KustoType::TimeSpan),
        ("g", KustoType::Guid),
        ("dyn", KustoType::Dynamic),
    ]);
    let body = "true,-7,123456789012,2.5,1.25,hello,2024-01-01T00:00:00Z,01:00:00,74be27de-1e4e-49d9-b579-fe0b331d3e6d,\"{\"\"k\"\": [1, 2]}\"\n";
    let parsed = parse(body, DataFormat::Csv, &schema)?;
    assert_eq!(parsed.rows, 1);
    assert!(parsed.errors.is_empty());
    let batch = single_batch(&parsed)?;
    assert_eq!(batch.schema(), tarn_common::types::arrow_schema(&schema));
    assert!(batch.column(0).as_boolean().value(0));
    assert_eq!(batch.column(1).as_primitive::<Int32Type>().value(0), -7);
    assert_eq!(longs(&batch, 2), vec![Some(123_456_789_012)]);
    assert_eq!(reals(&batch, 3), vec![Some(2.5)]);
    assert_eq!(
        batch.column(4).as_primitive::<Decimal128Type>().value(0),
        1_250_000_000_000_000_000
    );
    assert_eq!(strings(&batch, 5), vec![Some("hello".to_owned())]);
    assert_eq!(datetimes(&batch, 6), vec![Some(JAN_1_2024_NANOS)]);
    assert_eq!(
        batch
            .column(7)
            .as_primitive::<DurationNanosecondType>()
            .value(0),
        3_600_000_000_000
    );
    assert_eq!(
        batch.column(8).as_fixed_size_binary().value(0).first(),
        Some(&0x74)
    );
    assert_eq!(dynamics(&batch, 9), vec![Some(r#"{"k":[1,2]}"#.to_owned())]);
    Ok(())
}

/// Proves Kusto's CSV bad-row rules: missing fields are null, extra fields ignored, an empty field is
/// null except in a string column (""), and an unparsable value is null and reported.
#[test]
fn csv_bad_row_rules() -> TestResult {
    let schema = columns(&[
        ("l", KustoType::Long),
        ("s", KustoType::String),
        ("t", KustoType::DateTime),
    ]);
    let body = "1\n2,x,2024-01-01,extra,more\n,,\nabc,y,not-a-date\n";
    let parsed = parse(body, DataFormat::Csv, &schema)?;
    assert_eq!(parsed.rows, 4);
    let batch = single_batch(&parsed)?;
    assert_eq!(longs(&batch, 0), vec![Some(1), Some(2), None, None]);
    // Row 1 has no string field at all (null, which reads as ""); row 3's is empty: "".
    assert_eq!(
        strings(&batch, 1),
        vec![
            None,
            Some("x".into()),
            Some(String::new()),
            Some("y".into())
        ]
    );
    assert_eq!(
        datetimes(&batch, 2),
        vec![None, Some(JAN_1_2024_NANOS), None, None]
    );
    assert_eq!(parsed.errors_total, 2);
    let reported: Vec<(u64, &str, &str)> = parsed
        .errors
        .iter()
        .map(|error| {
            (
                error.record_number,
                error.column.as_str(),
                error.value_excerpt.as_str(),
            )
        })
        .collect();
    assert_eq!(reported, vec![(4, "l", "abc"), (4, "t", "not-a-date")]);
    Ok(())
}

/// Proves RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quoted fields.
#[test]
fn csv_quoting() -> TestResult {
    let schema = columns(&[("a", KustoType::String), ("b", KustoType::Long)]);
    let body = "\"x, y\",1\r\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\n";
    let parsed = parse(body, DataFormat::Csv, &schema)?;
    let batch = single_batch(&parsed)?;
    assert_eq!(
        strings(&batch, 0),
        vec![
            Some("x, y".into()),
            Some("say \"hi\"".into()),
            Some("two\nlines".into())
        ]
    );
    assert_eq!(longs(&batch, 1), vec![Some(1), Some(2), Some(3)]);
    Ok(())
}

/// Proves `ignoreFirstRecord` skips a header, and without it the header is a (bad) data row.
#[test]
fn csv_header_skipping() -> TestResult {
    let schema = columns(&[("a", KustoType::Long)]);
    let body = "a\n1\n2\n";
    let options = ParseOptions {
        skip_first_record: true,
        ..ParseOptions::default()
    };
    let skipped = parse_body(body.as_bytes(), DataFormat::Csv, &schema, None, &options)?;
    assert_eq!(longs(&single_batch(&skipped)?, 0), vec![Some(1), Some(2)]);
    let kept = parse(body, DataFormat::Csv, &schema)?;
    assert_eq!(
        longs(&single_batch(&kept)?, 0),
        vec![None, Some(1), Some(2)]
    );
    Ok(())
}

/// Proves each CSV-like format splits on its own delimiter and only on it.
#[test]
fn delimiters() -> TestResult {
    let schema = columns(&[("a", KustoType::String), ("b", KustoType::String)]);
    let cases = [
        (DataFormat::Tsv, "x,1\t2\n"),
        (DataFormat::Scsv, "x,1;2\n"),
        (DataFormat::Sohsv, "x,1\u{1}2\n"),
        (DataFormat::Psv, "x,1|2\n"),
    ];
    for (format, body) in cases {
        let batch = single_batch(&parse(body, format, &schema)?)?;
        assert_eq!(strings(&batch, 0), vec![Some("x,1".into())], "{format:?}");
        assert_eq!(strings(&batch, 1), vec![Some("2".into())], "{format:?}");
    }
    Ok(())
}

/// Proves txt puts each whole line (commas included, CR stripped) in the first column and nulls elsewhere.
#[test]
fn txt_lines() -> TestResult {
    let schema = columns(&[("line", KustoType::String), ("other", KustoType::Long)]);
    let parsed = parse("a,b,c\r\n\nlast", DataFormat::Txt, &schema)?;
    let batch = single_batch(&parsed)?;
    assert_eq!(
        strings(&batch, 0),
        vec![
            Some("a,b,c".into()),
            Some(String::new()),
            Some("last".into())
        ]
    );
    assert_eq!(longs(&batch, 1), vec![None, None, None]);
    assert_eq!(parse("", DataFormat::Txt, &schema)?.rows, 0);
    Ok(())
}

/// Proves batches are cut at `batch_rows_max` rows and keep every row in order.
#[test]
fn batches_are_bounded() -> TestResult {
    let schema = columns(&[("a", KustoType::Long)]);
    let body: String = (0..10).map(|value| format!("{value}\n")).collect();
    let options = ParseOptions {
        batch_rows_max: 3,
        ..ParseOptions::default()
    };
    let parsed = parse_body(body.as_bytes(), DataFormat::Csv, &schema, None, &options)?;
    assert_eq!(
        parsed
            .batches
            .iter()
            .map(RecordBatch::num_rows)
            .collect::<Vec<_>>(),
        vec![3, 3, 3, 1]
    );
    assert_eq!(
        longs(&single_batch(&parsed)?, 0),
        (0..10).map(Some).collect::<Vec<_>>()
    );
    Ok(())
}

/// Proves a field or a JSON record over its limit fails the whole body with the record named.
#[test]
fn size_limits() {
    let schema = columns(&[("a", KustoType::String)]);
    let options = ParseOptions {
        field_bytes_max: 4,
        record_bytes_max: 10,
        ..ParseOptions::default()
    };
    let csv = parse_body(b"abcd\nabcde\n", DataFormat::Csv, &schema, None, &options);
    assert!(matches!(
        csv,
        Err(FormatError::FieldTooLarge {
            record_number: 2,
            field_bytes: 5,
            ..
        })
    ));
    let json = parse_body(
        b"{\"a\":\"1\"}\n{\"a\":\"123\"}\n",
        DataFormat::Json,
        &schema,
        None,
        &options,
    );
    assert!(matches!(
        json,
        Err(FormatError::RecordTooLarge { line_number: 2, .. })
    ));
}

/// Proves a CSV mapping takes fields by ordinal, constants per row, and leaves unmapped columns null.
#[test]
fn csv_ordinal_mapping() -> TestResult {
    let schema = columns(&[
        ("a", KustoType::Long),
        ("b", KustoType::String),
        ("c", KustoType::Long),
    ]);
    let mapping = IngestionMapping::parse(
        r#"[{"Column":"a","Properties":{"Ordinal":"2"}},{"Column":"b","Properties":{"ConstValue":"k"}}]"#,
    )?;
    let parsed = parse_body(
        b"x,y,5\n",
        DataFormat::Csv,
        &schema,
        Some(&mapping),
        &ParseOptions::default(),
    )?;
    let batch = single_batch(&parsed)?;
    assert_eq!(longs(&batch, 0), vec![Some(5)]);
    assert_eq!(strings(&batch, 1), vec![Some("k".into())]);
    assert_eq!(longs(&batch, 2), vec![None]);
    Ok(())
}

/// Proves JSON lines by property name: missing properties null, wrong JSON types converted where
/// possible (numbers, strings to datetime, anything to string or dynamic) and null otherwise.
#[test]
fn json_lines_by_name() -> TestResult {
    let schema = columns(&[
        ("l", KustoType::Long),
        ("r", KustoType::Real),
        ("s", KustoType::String),
        ("t", KustoType::DateTime),
        ("d", KustoType::Dynamic),
    ]);
    let body = concat!(
        "{\"l\": 1, \"r\": 2, \"s\": \"plain\", \"t\": \"2024-01-01\", \"d\": {\"b\": 1, \"a\": [true, null]}}\n",
        "\n",
        "{\"l\": \"2\", \"r\": \"2.5\", \"s\": {\"x\": 1}, \"d\": \"text\"}\r\n",
        "{\"l\": 1.5, \"r\": true, \"s\": 42, \"t\": 17, \"d\": 3.0, \"L\": 9}\n",
        "{\"l\": 3.0, \"s\": null, \"unknown\": [1]}\n",
    );
    let parsed = parse(body, DataFormat::Json, &schema)?;
    assert_eq!(parsed.rows, 4);
    let batch = single_batch(&parsed)?;
    assert_eq!(longs(&batch, 0), vec![Some(1), Some(2), None, Some(3)]);
    assert_eq!(
        reals(&batch, 1),
        vec![Some(2.0), Some(2.5), Some(1.0), None]
    );
    assert_eq!(
        strings(&batch, 2),
        vec![
            Some("plain".into()),
            Some(r#"{"x":1}"#.into()),
            Some("42".into()),
            None
        ]
    );
    assert_eq!(
        datetimes(&batch, 3),
        vec![Some(JAN_1_2024_NANOS), None, None, None]
    );
    assert_eq!(
        dynamics(&batch, 4),
        vec![
            Some(r#"{"b":1,"a":[true,null]}"#.into()),
            Some(r#""text""#.into()),
            Some("3.0".into()),
            None
        ]
    );
    // 1.5 into a long and a number into a datetime (no transform) did not convert.
    assert_eq!(parsed.errors_total, 2);
    Ok(())
}

/// Proves a JSON lines body that is not JSON fails whole, naming the line, and a line that is JSON
/// but not an object fails too.
#[test]
fn json_lines_errors() {
    let schema = columns(&[("a", KustoType::Long)]);
    let broken = parse("{\"a\":1}\n{\"a\":2}\n{\"a\":\n", DataFormat::Json, &schema);
    assert!(
        matches!(broken, Err(FormatError::InvalidJson { line_number: 3, .. })),
        "{broken:?}"
    );
    let scalar = parse("{\"a\":1}\n[{\"a\":2}]\n", DataFormat::Json, &schema);
    assert!(
        matches!(
            scalar,
            Err(FormatError::JsonNotAnObject { line_number: 2, .. })
        ),
        "{scalar:?}"
    );
    let not_utf8 = parse_body(
        b"{\"a\":1}\n{\"a\":\"\xff\"}",
        DataFormat::Json,
        &schema,
        None,
        &ParseOptions::default(),
    );
    assert!(
        matches!(
            not_utf8,
            Err(FormatError::InvalidJson { line_number: 2, .. })
        ),
        "{not_utf8:?}"
    );
}

/// Proves multijson reads objects and arrays of objects with any whitespace between them, and
/// reports the line of a broken value.
#[test]
fn multijson_stream() -> TestResult {
    let schema = columns(&[("a", KustoType::Long)]);
    let body = "{\"a\": 1}{\"a\": 2}\n\n  [ {\"a\": 3},\n {\"a\": 4} ]\n{\n  \"a\": 5\n}";
    let parsed = parse(body, DataFormat::MultiJson, &schema)?;
    assert_eq!(
        longs(&single_batch(&parsed)?, 0),
        vec![Some(1), Some(2), Some(3), Some(4), Some(5)]
    );
    let broken = parse(
        "{\"a\": 1}\n{\"a\": 2,\n \"b\" 3}",
        DataFormat::MultiJson,
        &schema,
    );
    assert!(
        matches!(broken, Err(FormatError::InvalidJson { line_number: 3, .. })),
        "{broken:?}"
    );
    let scalar = parse("{\"a\": 1}\n\n7", DataFormat::MultiJson, &schema);
    assert!(
        matches!(
            scalar,
            Err(FormatError::JsonNotAnObject { line_number: 3, .. })
        ),
        "{scalar:?}"
    );
    Ok(())
}

/// Proves singlejson reads one (multi-line) object and refuses a second value.
#[test]
fn singlejson_one_object() -> TestResult {
    let schema = columns(&[("a", KustoType::Long)]);
    let parsed = parse("{\n \"a\": 7\n}\n", DataFormat::SingleJson, &schema)?;
    assert_eq!(longs(&single_batch(&parsed)?, 0), vec![Some(7)]);
    let two = parse("{\"a\": 1}\n{\"a\": 2}", DataFormat::SingleJson, &schema);
    assert!(
        matches!(
            two,
            Err(FormatError::SingleJsonHasMoreValues { line_number: 2 })
        ),
        "{two:?}"
    );
    Ok(())
}

/// Proves mapping paths reach nested properties, array elements and bracketed names, and that the
/// unix-time transforms convert numbers (and numeric strings) to datetimes.
#[test]
fn json_mapping_paths() -> TestResult {
    let schema = columns(&[
        ("nested", KustoType::Long),
        ("indexed", KustoType::String),
        ("bracket", KustoType::Real),
        ("whole", KustoType::Dynamic),
        ("when", KustoType::DateTime),
        ("when_ms", KustoType::DateTime),
        ("absent", KustoType::Long),
    ]);
    let mapping = IngestionMapping::parse(
        r#"[
        {"column":"nested","path":"$.a.b"},
        {"column":"indexed","path":"$.arr[1]"},
        {"Column":"bracket","Properties":{"Path":"$['odd key'].v"}},
        {"column":"whole","path":"$"},
        {"column":"when","path":"$.unix","transform":"DateTimeFromUnixSeconds"},
        {"Column":"when_ms","Properties":{"Path":"$.unix_ms","Transform":"DateTimeFromUnixMilliseconds"}},
        {"column":"absent","path":"$.a.missing[3]"}
    ]"#,
    )?;
    let body = r#"{"a":{"b":5},"arr":["x","y"],"odd key":{"v":1.5},"unix":1704067200,"unix_ms":"1704067200000"}"#;
    let parsed = parse_body(
        body.as_bytes(),
        DataFormat::Json,
        &schema,
        Some(&mapping),
        &ParseOptions::default(),
    )?;
    let batch = single_batch(&parsed)?;
    assert_eq!(longs(&batch, 0), vec![Some(5)]);
    assert_eq!(strings(&batch, 1), vec![Some("y".into())]);
    assert_eq!(reals(&batch, 2), vec![Some(1.5)]);
    assert_eq!(dynamics(&batch, 3), vec![Some(body.to_owned())]);
    assert_eq!(datetimes(&batch, 4), vec![Some(JAN_1_2024_NANOS)]);
    assert_eq!(datetimes(&batch, 5), vec![Some(JAN_1_2024_NANOS)]);
    assert_eq!(longs(&batch, 6), vec![None]);
    Ok(())
}

fn parquet_bytes(batch: &RecordBatch) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut bytes = Vec::new();
    let mut writer = ::parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None)?;
    writer.write(batch)?;
    writer.close()?;
    Ok(bytes)
}

/// Proves Parquet columns map by name with casts (int32→long, float→real, ms timestamps→ns UTC,
/// zoned timestamps kept as instants, text→datetime by Kusto's rules, lists→dynamic JSON), a column missing from the file is null, and a non-Parquet
/// body is an error.
#[test]
fn parquet_round_trip() -> TestResult {
    let list = arrow::array::ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), None]),
        None,
        Some(vec![]),
    ]);
    let file_schema = Arc::new(Schema::new(vec![
        Field::new("count", arrow::datatypes::DataType::Int32, true),
        Field::new("ratio", arrow::datatypes::DataType::Float32, true),
        Field::new(
            "at",
            arrow::datatypes::DataType::Timestamp(TimeUnit::Millisecond, None),
            true,
        ),
        Field::new("when_text", arrow::datatypes::DataType::Utf8, true),
        Field::new("name", arrow::datatypes::DataType::Utf8, true),
        Field::new(
            "zoned",
            arrow::datatypes::DataType::Timestamp(TimeUnit::Microsecond, Some("+02:00".into())),
            true,
        ),
        Field::new("list", list.data_type().clone(), true),
    ]));
    let file_batch = RecordBatch::try_new(
        file_schema,
        vec![
            Arc::new(Int32Array::from(vec![Some(1), None, Some(-3)])),
            Arc::new(Float32Array::from(vec![Some(0.5), Some(1.25), None])),
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(1_704_067_200_000),
                None,
                Some(0),
            ])),
            Arc::new(StringArray::from(vec![
                Some("2024-01-01"),
                Some("garbage"),
                None,
            ])),
            Arc::new(StringArray::from(vec![Some("a"), Some(""), None])),
            Arc::new(
                arrow::array::TimestampMicrosecondArray::from(vec![
                    Some(1_704_067_200_000_000),
                    None,
                    None,
                ])
                .with_timezone("+02:00"),
            ),
            Arc::new(list),
        ],
    )?;
    let body = parquet_bytes(&file_batch)?;
    let schema = columns(&[
        ("count", KustoType::Long),
        ("ratio", KustoType::Real),
        ("at", KustoType::DateTime),
        ("when_text", KustoType::DateTime),
        ("name", KustoType::String),
        ("not_in_file", KustoType::Guid),
        ("zoned", KustoType::DateTime),
        ("list", KustoType::Dynamic),
    ]);
    let options = ParseOptions {
        batch_rows_max: 2,
        ..ParseOptions::default()
    };
    let parsed = parse_body(&body, DataFormat::Parquet, &schema, None, &options)?;
    assert_eq!(parsed.rows, 3);
    assert_eq!(parsed.batches.len(), 2);
    let batch = single_batch(&parsed)?;
    assert_eq!(batch.schema(), tarn_common::types::arrow_schema(&schema));
    assert_eq!(longs(&batch, 0), vec![Some(1), None, Some(-3)]);
    assert_eq!(reals(&batch, 1), vec![Some(0.5), Some(1.25), None]);
    assert_eq!(
        datetimes(&batch, 2),
        vec![Some(JAN_1_2024_NANOS), None, Some(0)]
    );
    assert_eq!(
        datetimes(&batch, 3),
        vec![Some(JAN_1_2024_NANOS), None, None]
    );
    assert_eq!(
        strings(&batch, 4),
        vec![Some("a".into()), Some(String::new()), None]
    );
    assert_eq!(batch.column(5).null_count(), 3);
    // A zoned timestamp is an instant: 00:00 UTC stays 00:00 UTC whatever zone the file names.
    assert_eq!(
        datetimes(&batch, 6),
        vec![Some(JAN_1_2024_NANOS), None, None]
    );
    assert_eq!(
        dynamics(&batch, 7),
        vec![Some("[1,null]".into()), None, Some("[]".into())]
    );
    assert_eq!(parsed.errors_total, 1);
    let not_parquet = parse_body(
        b"a,b\n1,2\n",
        DataFormat::Parquet,
        &schema,
        None,
        &ParseOptions::default(),
    );
    assert!(matches!(
        not_parquet,
        Err(FormatError::InvalidParquet { .. })
    ));
    Ok(())
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    const TICK_NANOS: i64 = 100;

    /// One generated value per column of the ten-type table, with the text written to the CSV.
    #[derive(Debug, Clone)]
    struct Row {
        flag: Option<bool>,
        int: Option<i32>,
        long: Option<i64>,
        real: Option<f64>,
        decimal: Option<i128>,
        text: String,
        datetime_ticks: Option<i64>,
        timespan_ticks: Option<i64>,
        guid: Option<[u8; 16]>,
        dynamic: Option<(String, i64)>,
    }

    fn decimal_text(value: i128) -> String {
        let unit = 10i128.pow(18);
        let sign = if value < 0 { "-" } else { "" };
        let magnitude = value.unsigned_abs();
        format!(
            "{sign}{}.{:018}",
            magnitude / unit as u128,
            magnitude % unit as u128
        )
    }

    fn datetime_text(nanos: i64) -> String {
        chrono::DateTime::from_timestamp_nanos(nanos)
            .format("%Y-%m-%dT%H:%M:%S%.9fZ")
            .to_string()
    }

    fn timespan_text(nanos: i64) -> String {
        let sign = if nanos < 0 { "-" } else { "" };
        let magnitude = nanos.unsigned_abs();
        let ticks = (magnitude / 100) % 10_000_000;
        let seconds = magnitude / 1_000_000_000;
        format!(
            "{sign}{}.{:02}:{:02}:{:02}.{:07}",
            seconds / 86_400,
            (seconds / 3600) % 24,
            (seconds / 60) % 60,
            seconds % 60,
            ticks
        )
    }

    fn guid_text(guid: &[u8; 16]) -> String {
        let hex: String = guid.iter().map(|byte| format!("{byte:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    fn dynamic_text((key, number): &(String, i64)) -> String {
        format!("{{{}:{number}}}", serde_json::Value::String(key.clone()))
    }

    fn row_strategy() -> impl Strategy<Value = Row> {
        let decimal_bound = 10i128.pow(38) - 1;
        // Datetimes inside Arrow's range, whole ticks (Kusto's precision).
        let ticks_bound = i64::MAX / TICK_NANOS - 1;
        (
            (
                proptest::option::of(any::<bool>()),
                proptest::option::of(any::<i32>()),
                proptest::option::of(any::<i64>()),
                proptest::option::of(any::<f64>().prop_filter("finite", |value| value.is_finite())),
                proptest::option::of(-decimal_bound..=decimal_bound),
            ),
            (
                any::<String>(),
                proptest::option::of(-ticks_bound..=ticks_bound),
                proptest::option::of(-ticks_bound..=ticks_bound),
                proptest::option::of(any::<[u8; 16]>()),
                proptest::option::of((any::<String>(), any::<i64>())),
            ),
        )
            .prop_map(
                |(
                    (flag, int, long, real, decimal),
                    (text, datetime_ticks, timespan_ticks, guid, dynamic),
                )| Row {
                    flag,
                    int,
                    long,
                    real,
                    decimal,
                    text,
                    datetime_ticks,
                    timespan_ticks,
                    guid,
                    dynamic,
                },
            )
    }

    fn ten_type_schema() -> Vec<Column> {
        KustoType::ALL
            .iter()
            .map(|kusto_type| Column::new(format!("c_{}", kusto_type.name()), *kusto_type))
            .collect()
    }

    fn write_csv(rows: &[Row]) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error>> {
        let mut writer = ::csv::WriterBuilder::new().from_writer(Vec::new());
        for row in rows {
            writer.write_record([
                row.flag.map(|value| value.to_string()).unwrap_or_default(),
                row.int.map(|value| value.to_string()).unwrap_or_default(),
                row.long.map(|value| value.to_string()).unwrap_or_default(),
                row.real.map(|value| value.to_string()).unwrap_or_default(),
                row.decimal.map(decimal_text).unwrap_or_default(),
                row.text.clone(),
                row.datetime_ticks
                    .map(|ticks| datetime_text(ticks * TICK_NANOS))
                    .unwrap_or_default(),
                row.timespan_ticks
                    .map(|ticks| timespan_text(ticks * TICK_NANOS))
                    .unwrap_or_default(),
                row.guid.as_ref().map(guid_text).unwrap_or_default(),
                row.dynamic.as_ref().map(dynamic_text).unwrap_or_default(),
            ])?;
        }
        Ok(writer.into_inner()?)
    }

    proptest! {
        /// Proves random rows of all ten types, written as CSV by the csv crate (quoting as needed),
        /// parse back to the same values, nulls included.
        #[test]
        fn csv_round_trip(rows in proptest::collection::vec(row_strategy(), 1..20)) {
            let schema = ten_type_schema();
            let body = write_csv(&rows).map_err(|error| TestCaseError::fail(error.to_string()))?;
            let parsed = parse_body(&body, DataFormat::Csv, &schema, None, &ParseOptions::default())
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(parsed.errors_total, 0, "{:?}", parsed.errors);
            let batch = single_batch(&parsed).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(batch.num_rows(), rows.len());
            for (index, row) in rows.iter().enumerate() {
                let flag = batch.column(0).as_boolean();
                prop_assert_eq!(flag.is_valid(index).then(|| flag.value(index)), row.flag);
                let int = batch.column(1).as_primitive::<Int32Type>();
                prop_assert_eq!(int.is_valid(index).then(|| int.value(index)), row.int);
                prop_assert_eq!(longs(&batch, 2)[index], row.long);
                prop_assert_eq!(reals(&batch, 3)[index], row.real);
                let decimal = batch.column(4).as_primitive::<Decimal128Type>();
                prop_assert_eq!(decimal.is_valid(index).then(|| decimal.value(index)), row.decimal);
                prop_assert_eq!(strings(&batch, 5)[index].clone(), Some(row.text.clone()));
                prop_assert_eq!(datetimes(&batch, 6)[index], row.datetime_ticks.map(|ticks| ticks * TICK_NANOS));
                let timespan = batch.column(7).as_primitive::<DurationNanosecondType>();
                prop_assert_eq!(timespan.is_valid(index).then(|| timespan.value(index)), row.timespan_ticks.map(|ticks| ticks * TICK_NANOS));
                let guid = batch.column(8).as_fixed_size_binary();
                prop_assert_eq!(guid.is_valid(index).then(|| guid.value(index).to_vec()), row.guid.map(|bytes| bytes.to_vec()));
                prop_assert_eq!(dynamics(&batch, 9)[index].clone(), row.dynamic.as_ref().map(dynamic_text));
            }
        }

        /// Proves no byte sequence makes parse_body panic, in any format, with or without a mapping.
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), format_index in 0usize..10) {
            let formats = [
                DataFormat::Csv, DataFormat::Tsv, DataFormat::Scsv, DataFormat::Sohsv, DataFormat::Psv,
                DataFormat::Txt, DataFormat::Json, DataFormat::MultiJson, DataFormat::SingleJson, DataFormat::Parquet,
            ];
            let format = formats[format_index];
            let schema = ten_type_schema();
            let options = ParseOptions { batch_rows_max: 3, ..ParseOptions::default() };
            let _any_outcome = parse_body(&body, format, &schema, None, &options);
            if format.is_json() {
                let mapping = IngestionMapping::parse(r#"[{"column":"c_long","path":"$.a[0].b"},{"column":"c_dynamic","path":"$"}]"#)
                    .map_err(|error| TestCaseError::fail(error.to_string()))?;
                let _any_outcome = parse_body(&body, format, &schema, Some(&mapping), &options);
            }
        }

        /// Proves JSON-looking bytes (braces, quotes, brackets, escapes) never make the JSON formats
        /// panic: arbitrary bytes rarely get past validation, these often do.
        #[test]
        fn json_like_bytes_never_panic(body in "[{}\\[\\]\",:a-c0-9 \\\\\n.e-]{0,200}", format_index in 0usize..3) {
            let formats = [DataFormat::Json, DataFormat::MultiJson, DataFormat::SingleJson];
            // Names the generated text can spell, so records do reach the columns.
            let schema = columns(&[
                ("a", KustoType::Long),
                ("b", KustoType::Dynamic),
                ("c", KustoType::DateTime),
                ("ab", KustoType::String),
                ("ac", KustoType::Decimal),
                ("bc", KustoType::Guid),
            ]);
            let _any_outcome = parse_body(body.as_bytes(), formats[format_index], &schema, None, &ParseOptions::default());
        }
    }
}
