//! Golden-style tests of the v2 frame stream: frame order, key order on the raw text, the
//! fragmented and newline-framed layouts Go reads, cells of every type, and partial failures.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, DurationNanosecondArray, FixedSizeBinaryArray,
    Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde_json::{Value, json};
use tarn_common::KustoType;

use super::*;

fn context() -> QueryContext {
    QueryContext {
        client_request_id: "KGC.execute;0f0f".to_string(),
        activity_id: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".to_string(),
    }
}

fn long_table(name: &str, values: &[i64]) -> ResultTable {
    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
    let column: ArrayRef = Arc::new(Int64Array::from(values.to_vec()));
    let batch = match RecordBatch::try_new(schema.clone(), vec![column]) {
        Ok(batch) => batch,
        Err(error) => panic!("batch: {error}"),
    };
    ResultTable {
        name: name.to_string(),
        batches: vec![batch],
        schema,
    }
}

fn write_response(
    options: V2Options,
    limits: ResultLimits,
    tables: &[ResultTable],
    visualizations: &[Visualization],
) -> String {
    let outcome = V2Writer::begin(Vec::new(), options, limits, context(), visualizations).and_then(
        |mut writer| {
            for table in tables {
                writer.write_table(table)?;
            }
            writer.finish()
        },
    );
    match outcome {
        Ok(body) => String::from_utf8(body).unwrap_or_default(),
        Err(error) => panic!("writing the response failed: {error}"),
    }
}

fn frames(body: &str) -> Vec<Value> {
    match serde_json::from_str::<Vec<Value>>(body) {
        Ok(frames) => frames,
        Err(error) => panic!("body is not a JSON array ({error}): {body}"),
    }
}

fn frame_kinds(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|frame| {
            let frame_type = frame["FrameType"].as_str().unwrap_or("?");
            match frame["TableKind"].as_str() {
                Some(kind) => format!("{frame_type}:{kind}"),
                None => frame_type.to_string(),
            }
        })
        .collect()
}

/// Splits a newline-framed body the way Go's frame reader does: one frame per line, the first byte
/// (`[` or `,`) stripped, a line starting with `]` ends the stream.
fn go_lines(body: &str) -> Vec<String> {
    let lines: Vec<&str> = body.split('\n').collect();
    assert_eq!(
        lines.last().copied(),
        Some("]"),
        "last line must be ]: {body}"
    );
    let Some((first, rest)) = lines.split_first() else {
        panic!("empty body")
    };
    assert!(
        first.starts_with('['),
        "first line must start with [: {first}"
    );
    let mut frame_lines = vec![first[1..].to_string()];
    for line in &rest[..rest.len() - 1] {
        assert!(
            line.starts_with(','),
            "frame line must start with a comma: {line}"
        );
        frame_lines.push(line[1..].to_string());
    }
    frame_lines
}

// Proves the default layout Python, Node and Kqlmagic read: DataSetHeader, QueryProperties,
// PrimaryResult, QueryCompletionInformation, DataSetCompletion, with table ids 0, 1, 2 and the
// exact header keys of deft.json.
#[test]
fn default_frame_sequence() {
    let body = write_response(
        V2Options::default(),
        ResultLimits::default(),
        &[long_table("PrimaryResult", &[1, 2])],
        &[],
    );
    let frames = frames(&body);
    assert_eq!(
        frame_kinds(&frames),
        vec![
            "DataSetHeader",
            "DataTable:QueryProperties",
            "DataTable:PrimaryResult",
            "DataTable:QueryCompletionInformation",
            "DataSetCompletion"
        ]
    );
    assert!(
        body.starts_with(
            r#"[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},"#
        ),
        "{body}"
    );
    assert!(body.contains(
        r#",{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult","Columns":[{"ColumnName":"x","ColumnType":"long"}],"Rows":[[1],[2]]}"#
    ));
    assert!(
        body.ends_with(r#"{"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}]"#),
        "{body}"
    );
    let table_ids: Vec<i64> = frames
        .iter()
        .filter_map(|frame| frame["TableId"].as_i64())
        .collect();
    assert_eq!(table_ids, vec![0, 1, 2]);
    assert!(!body.contains('\n'));
}

// Proves every frame begins with FrameType and that TableId, TableKind, TableName and Columns come
// before Rows in every DataTable (checked on the raw text, one line per frame).
#[test]
fn key_order_on_raw_text() {
    let options = V2Options {
        newlines_between_frames: true,
        ..V2Options::default()
    };
    let body = write_response(
        options,
        ResultLimits::default(),
        &[long_table("T", &[7])],
        &[],
    );
    for line in go_lines(&body) {
        assert!(line.starts_with(r#"{"FrameType":"#), "{line}");
        if line.contains(r#""FrameType":"DataTable""#) {
            let position = |key: &str| line.find(key).unwrap_or(usize::MAX);
            let order = [
                position(r#""TableId""#),
                position(r#""TableKind""#),
                position(r#""TableName""#),
                position(r#""Columns""#),
                position(r#""Rows""#),
            ];
            assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{line}");
        }
    }
}

// Proves the fragmented, newline-framed layout the Go SDK requires (§3.3): the exact header, one
// frame per line, TableHeader + TableFragment(DataAppend) + TableCompletion(RowCount) for the
// primary table, and the rest as DataTables.
#[test]
fn fragmented_newline_layout_for_go() {
    let options = V2Options {
        fragment_primary_tables: true,
        newlines_between_frames: true,
        error_reporting_end_of_table: true,
    };
    let body = write_response(
        options,
        ResultLimits::default(),
        &[long_table("AllDataTypes", &[1, 2, 3])],
        &[],
    );
    let lines = go_lines(&body);
    assert_eq!(
        lines.first().map(String::as_str),
        Some(
            r#"{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0","IsFragmented":true,"ErrorReportingPlacement":"EndOfTable"}"#
        )
    );
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("line is not one frame ({error}): {line}"))
        })
        .collect();
    assert_eq!(
        frame_kinds(&parsed),
        vec![
            "DataSetHeader",
            "DataTable:QueryProperties",
            "TableHeader:PrimaryResult",
            "TableFragment",
            "TableCompletion",
            "DataTable:QueryCompletionInformation",
            "DataSetCompletion"
        ]
    );
    assert_eq!(
        lines[2],
        r#"{"FrameType":"TableHeader","TableId":1,"TableKind":"PrimaryResult","TableName":"AllDataTypes","Columns":[{"ColumnName":"x","ColumnType":"long"}]}"#
    );
    assert_eq!(
        lines[3],
        r#"{"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":1,"Rows":[[1],[2],[3]]}"#
    );
    assert_eq!(
        lines[4],
        r#"{"FrameType":"TableCompletion","TableId":1,"RowCount":3}"#
    );
    assert_eq!(parsed[5]["TableId"], 2);
}

fn all_types_table() -> ResultTable {
    let schema: SchemaRef = Arc::new(Schema::new(vec![
        Field::new("vnum", KustoType::Int.arrow_type(), true),
        Field::new("vdec", KustoType::Decimal.arrow_type(), true),
        Field::new("vdate", KustoType::DateTime.arrow_type(), true),
        Field::new("vspan", KustoType::TimeSpan.arrow_type(), true),
        Field::new("vobj", KustoType::Dynamic.arrow_type(), true),
        Field::new("vb", KustoType::Bool.arrow_type(), true),
        Field::new("vreal", KustoType::Real.arrow_type(), true),
        Field::new("vstr", KustoType::String.arrow_type(), true),
        Field::new("vlong", KustoType::Long.arrow_type(), true),
        Field::new("vguid", KustoType::Guid.arrow_type(), true),
    ]));
    let scale_18 = 1_000_000_000_000_000_000i128;
    // 2020-03-04T14:05:01.3109965Z = 1583330701 s + 310996500 ns.
    let datetime_nanos = 1_583_330_701_i64 * 1_000_000_000 + 310_996_500;
    // 01:23:45.6789 = 5025.6789 s.
    let timespan_nanos = 5_025_678_900_000_i64;
    let guid = [
        0x12, 0x3e, 0x27, 0xde, 0x1e, 0x4e, 0x49, 0xd9, 0xb5, 0x79, 0xfe, 0x0b, 0x33, 0x14, 0x15,
        0xab,
    ];
    let decimals = Decimal128Array::from(vec![Some(2 * scale_18 + 10_000), None])
        .with_precision_and_scale(38, 18);
    let guids = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
        vec![Some(guid.to_vec()), None].into_iter(),
        16,
    );
    let (Ok(decimals), Ok(guids)) = (decimals, guids) else {
        panic!("decimal or guid array")
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![Some(1), None])),
        Arc::new(decimals),
        Arc::new(
            TimestampNanosecondArray::from(vec![Some(datetime_nanos), None]).with_timezone("UTC"),
        ),
        Arc::new(DurationNanosecondArray::from(vec![
            Some(timespan_nanos),
            None,
        ])),
        Arc::new(LargeStringArray::from(vec![
            Some(r#"{"moshe":"value"}"#),
            None,
        ])),
        Arc::new(BooleanArray::from(vec![Some(true), None])),
        Arc::new(Float64Array::from(vec![Some(0.01), None])),
        Arc::new(StringArray::from(vec![Some("asdf"), None])),
        Arc::new(Int64Array::from(vec![Some(i64::MAX), None])),
        Arc::new(guids),
    ];
    let batch = match RecordBatch::try_new(schema.clone(), columns) {
        Ok(batch) => batch,
        Err(error) => panic!("batch: {error}"),
    };
    ResultTable {
        name: "AllDataTypes".to_string(),
        batches: vec![batch],
        schema,
    }
}

// Proves a row of every Kusto type encodes exactly as Go's validFrames.json fixture (§3.3), and the
// all-null row too (null everywhere except string, which is "").
#[test]
fn every_type_matches_go_fixture() {
    let options = V2Options {
        fragment_primary_tables: true,
        newlines_between_frames: true,
        error_reporting_end_of_table: true,
    };
    let body = write_response(options, ResultLimits::default(), &[all_types_table()], &[]);
    let lines = go_lines(&body);
    assert_eq!(
        lines[2],
        r#"{"FrameType":"TableHeader","TableId":1,"TableKind":"PrimaryResult","TableName":"AllDataTypes","Columns":[{"ColumnName":"vnum","ColumnType":"int"},{"ColumnName":"vdec","ColumnType":"decimal"},{"ColumnName":"vdate","ColumnType":"datetime"},{"ColumnName":"vspan","ColumnType":"timespan"},{"ColumnName":"vobj","ColumnType":"dynamic"},{"ColumnName":"vb","ColumnType":"bool"},{"ColumnName":"vreal","ColumnType":"real"},{"ColumnName":"vstr","ColumnType":"string"},{"ColumnName":"vlong","ColumnType":"long"},{"ColumnName":"vguid","ColumnType":"guid"}]}"#
    );
    assert_eq!(
        lines[3],
        r#"{"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":1,"Rows":[[1,"2.00000000000001","2020-03-04T14:05:01.3109965Z","01:23:45.6789000",{"moshe":"value"},true,0.01,"asdf",9223372036854775807,"123e27de-1e4e-49d9-b579-fe0b331415ab"],[null,null,null,null,null,null,null,"",null,null]]}"#
    );
}

// Proves a render result becomes the QueryProperties row [1, "Visualization", "<json text>"] with the
// Value as a JSON string and TableId typed int, as Kqlmagic requires.
#[test]
fn visualization_row() {
    let visualization = Visualization {
        primary_table_index: 0,
        properties_json: r#"{"Visualization":"timechart","Title":null}"#.to_string(),
    };
    let body = write_response(
        V2Options::default(),
        ResultLimits::default(),
        &[long_table("T", &[1])],
        &[visualization],
    );
    let frames = frames(&body);
    let properties = &frames[1];
    assert_eq!(properties["TableName"], "@ExtendedProperties");
    assert_eq!(
        properties["Columns"],
        json!([
            {"ColumnName": "TableId", "ColumnType": "int"},
            {"ColumnName": "Key", "ColumnType": "string"},
            {"ColumnName": "Value", "ColumnType": "dynamic"}
        ])
    );
    assert_eq!(
        properties["Rows"],
        json!([[
            1,
            "Visualization",
            "{\"Visualization\":\"timechart\",\"Title\":null}"
        ]])
    );
    assert_eq!(frames[2]["TableId"], 1);
}

// Proves QueryCompletionInformation has the §3.2 columns in order, one Info row (Level 4, "Query
// completed successfully") and one Stats row, with the client request id echoed.
#[test]
fn query_completion_information() {
    let body = write_response(
        V2Options::default(),
        ResultLimits::default(),
        &[long_table("T", &[1, 2, 3])],
        &[],
    );
    let frames = frames(&body);
    let completion = &frames[3];
    let columns: Vec<String> = completion["Columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|column| {
            format!(
                "{}:{}",
                column["ColumnName"].as_str().unwrap_or("?"),
                column["ColumnType"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        columns,
        vec![
            "Timestamp:datetime",
            "ClientRequestId:string",
            "ActivityId:guid",
            "SubActivityId:guid",
            "ParentActivityId:guid",
            "Level:int",
            "LevelName:string",
            "StatusCode:int",
            "StatusCodeName:string",
            "EventType:int",
            "EventTypeName:string",
            "Payload:string"
        ]
    );
    let rows = completion["Rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][1], "KGC.execute;0f0f");
    assert_eq!(rows[0][2], "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    assert_eq!(rows[0][5], 4);
    assert_eq!(rows[0][6], "Info");
    assert_eq!(rows[0][8], "S_OK (0)");
    let info: Value =
        serde_json::from_str(rows[0][11].as_str().unwrap_or("null")).unwrap_or_default();
    assert_eq!(
        info,
        json!({"Count": 1, "Text": "Query completed successfully"})
    );
    assert_eq!(rows[1][5], 6);
    assert_eq!(rows[1][6], "Stats");
    let stats: Value =
        serde_json::from_str(rows[1][11].as_str().unwrap_or("null")).unwrap_or_default();
    assert_eq!(stats["dataset_statistics"][0]["table_row_count"], 3);
}

// Proves truncation in the default layout matches the captured ADX partial failure: the rows up to
// the limit, then a {"OneApiErrors":[{"error":{...}}]} row, DataSetCompletion HasErrors with the same
// error, and a Level 2 QCI row with E_QUERY_RESULT_SET_TOO_LARGE.
#[test]
fn truncation_in_plain_table() {
    let limits = ResultLimits {
        records_max: Some(3),
        ..ResultLimits::default()
    };
    let body = write_response(
        V2Options::default(),
        limits,
        &[long_table("T", &[1, 2, 3, 4, 5])],
        &[],
    );
    let frames = frames(&body);
    let rows = frames[2]["Rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[..3], &[json!([1]), json!([2]), json!([3])]);
    let error = &rows[3]["OneApiErrors"][0]["error"];
    assert_eq!(error["code"], "LimitsExceeded");
    assert_eq!(error["@permanent"], false);
    assert!(
        error["@message"]
            .as_str()
            .is_some_and(|message| message.contains("record count limit 3 "))
    );
    let completion = &frames[4];
    assert_eq!(completion["HasErrors"], true);
    assert_eq!(completion["Cancelled"], false);
    assert_eq!(
        completion["OneApiErrors"][0]["error"]["code"],
        "LimitsExceeded"
    );
    let error_rows: Vec<&Value> = frames[3]["Rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|row| row[5] == 2)
        .collect();
    assert_eq!(error_rows.len(), 1);
    assert_eq!(error_rows[0][7], -2_133_196_797);
    assert_eq!(error_rows[0][10], "QueryLimitsExceeded");
    assert!(
        !frames[3]["Rows"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|row| row[5] == 4)
    );
}

// Proves truncation in the fragmented layout puts OneApiErrors on TableCompletion (EndOfTable
// placement, Go's partialError.json) with RowCount the rows actually sent.
#[test]
fn truncation_in_fragmented_table() {
    let options = V2Options {
        fragment_primary_tables: true,
        newlines_between_frames: true,
        error_reporting_end_of_table: true,
    };
    let limits = ResultLimits {
        records_max: Some(2),
        ..ResultLimits::default()
    };
    let body = write_response(options, limits, &[long_table("T", &[1, 2, 3])], &[]);
    let lines = go_lines(&body);
    assert_eq!(
        lines[3],
        r#"{"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":1,"Rows":[[1],[2]]}"#
    );
    let completion: Value = serde_json::from_str(&lines[4]).unwrap_or_default();
    assert_eq!(completion["FrameType"], "TableCompletion");
    assert_eq!(completion["RowCount"], 2);
    assert_eq!(
        completion["OneApiErrors"][0]["error"]["code"],
        "LimitsExceeded"
    );
    let dataset: Value = serde_json::from_str(&lines[6]).unwrap_or_default();
    assert_eq!(dataset["HasErrors"], true);
    assert!(dataset["OneApiErrors"].is_array());
}

// Proves deferpartialqueryfailures truncates silently: no in-band error, HasErrors false, but QCI
// still records the truncation (as ADX does).
#[test]
fn deferred_truncation_is_silent() {
    let limits = ResultLimits {
        records_max: Some(1),
        defer_partial_query_failures: true,
        ..ResultLimits::default()
    };
    let body = write_response(
        V2Options::default(),
        limits,
        &[long_table("T", &[1, 2])],
        &[],
    );
    let frames = frames(&body);
    assert_eq!(frames[2]["Rows"], json!([[1]]));
    assert_eq!(
        frames[4],
        json!({"FrameType": "DataSetCompletion", "HasErrors": false, "Cancelled": false})
    );
    assert!(
        frames[3]["Rows"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|row| row[7] == -2_133_196_797)
    );
}

// Proves the size limit truncates on row JSON bytes and names the size variant of the message.
#[test]
fn truncation_by_size() {
    // Each row [1234567890] is 12 bytes; 30 bytes allow two rows.
    let limits = ResultLimits {
        records_max: None,
        bytes_max: Some(30),
        defer_partial_query_failures: false,
    };
    let body = write_response(
        V2Options::default(),
        limits,
        &[long_table("T", &[1_234_567_890; 5])],
        &[],
    );
    let frames = frames(&body);
    let rows = frames[2]["Rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3);
    let message = rows[2]["OneApiErrors"][0]["error"]["@message"]
        .as_str()
        .unwrap_or("");
    assert!(
        message.contains("internal data size limit 30 "),
        "{message}"
    );
}

// Proves a result at exactly the limit is not a partial failure (Kusto reports only when a row is
// dropped).
#[test]
fn exactly_at_limit_is_complete() {
    let limits = ResultLimits {
        records_max: Some(2),
        ..ResultLimits::default()
    };
    let body = write_response(
        V2Options::default(),
        limits,
        &[long_table("T", &[1, 2])],
        &[],
    );
    let frames = frames(&body);
    assert_eq!(frames[2]["Rows"], json!([[1], [2]]));
    assert_eq!(frames[4]["HasErrors"], false);
}

// Proves several primary tables (fork) are numbered 1..n and QCI takes the next id.
#[test]
fn several_primary_tables() {
    let body = write_response(
        V2Options::default(),
        ResultLimits::default(),
        &[
            long_table("A", &[1]),
            long_table("B", &[]),
            long_table("C", &[3]),
        ],
        &[],
    );
    let frames = frames(&body);
    let tables: Vec<(i64, &str)> = frames
        .iter()
        .filter_map(|frame| Some((frame["TableId"].as_i64()?, frame["TableName"].as_str()?)))
        .collect();
    assert_eq!(
        tables,
        vec![
            (0, "@ExtendedProperties"),
            (1, "A"),
            (2, "B"),
            (3, "C"),
            (4, "QueryCompletionInformation")
        ]
    );
    assert_eq!(frames[3]["Rows"], json!([]));
}

/// Records each write so tests can see the response leave in bounded pieces.
#[derive(Default)]
struct RecordingWriter {
    bytes: Vec<u8>,
    write_sizes: Vec<usize>,
}

impl Write for RecordingWriter {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(chunk);
        self.write_sizes.push(chunk.len());
        Ok(chunk.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Proves a large result streams: bytes reach the output in pieces no bigger than about
// FLUSH_BYTES_MAX, fragments split there, and the whole still parses with every row present.
#[test]
fn large_result_streams_in_bounded_pieces() {
    let options = V2Options {
        fragment_primary_tables: true,
        newlines_between_frames: true,
        error_reporting_end_of_table: true,
    };
    let values: Vec<i64> = (0..200_000).collect();
    let table = long_table("Big", &values);
    let outcome = V2Writer::begin(
        RecordingWriter::default(),
        options,
        ResultLimits::unlimited(),
        context(),
        &[],
    )
    .and_then(|mut writer| {
        writer.begin_table(&table.name, &table.schema)?;
        for batch in &table.batches {
            writer.write_batch(batch)?;
        }
        writer.end_table()?;
        writer.finish()
    });
    let recorded = match outcome {
        Ok(recorded) => recorded,
        Err(error) => panic!("streaming failed: {error}"),
    };
    assert!(
        recorded.write_sizes.len() > 10,
        "expected many writes, got {}",
        recorded.write_sizes.len()
    );
    assert!(
        recorded
            .write_sizes
            .iter()
            .all(|size| *size <= FLUSH_BYTES_MAX + 1024),
        "{:?}",
        recorded.write_sizes
    );
    let body = String::from_utf8(recorded.bytes).unwrap_or_default();
    let lines = go_lines(&body);
    let mut rows_seen = 0;
    let mut fragments = 0;
    for line in &lines {
        let frame: Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("bad frame line ({error})"));
        if frame["FrameType"] == "TableFragment" {
            fragments += 1;
            rows_seen += frame["Rows"].as_array().map(Vec::len).unwrap_or(0);
        }
        if frame["FrameType"] == "TableCompletion" {
            assert_eq!(frame["RowCount"], 200_000);
        }
    }
    assert_eq!(rows_seen, 200_000);
    assert!(fragments > 1);
}

// Proves a failure mid-table is reported in-band on that table and in DataSetCompletion.
#[test]
fn end_table_with_error_reports_in_band() {
    let table = long_table("T", &[1]);
    let outcome = V2Writer::begin(
        Vec::new(),
        V2Options::default(),
        ResultLimits::default(),
        context(),
        &[],
    )
    .and_then(|mut writer| {
        writer.begin_table(&table.name, &table.schema)?;
        writer.write_batch(&table.batches[0])?;
        writer.end_table_with_error(KustoError::new(tarn_common::ErrorKind::Internal, "boom"))?;
        writer.finish()
    });
    let Ok(body) = outcome else {
        panic!("write failed")
    };
    let frames = frames(&String::from_utf8(body).unwrap_or_default());
    assert_eq!(frames[2]["Rows"][0], json!([1]));
    assert_eq!(
        frames[2]["Rows"][1]["OneApiErrors"][0]["error"]["@message"],
        "boom"
    );
    assert_eq!(frames[4]["HasErrors"], true);
}

// Proves misuse is an error, not corrupt output: rows without a table, a table inside a table, a
// batch with the wrong number of columns.
#[test]
fn writer_misuse_is_rejected() {
    let table = long_table("T", &[1]);
    let begun = V2Writer::begin(
        Vec::new(),
        V2Options::default(),
        ResultLimits::default(),
        context(),
        &[],
    );
    let Ok(mut writer) = begun else {
        panic!("begin")
    };
    assert!(matches!(
        writer.write_batch(&table.batches[0]),
        Err(WireError::WriterOutOfOrder { .. })
    ));
    assert!(matches!(
        writer.end_table(),
        Err(WireError::WriterOutOfOrder { .. })
    ));
    assert!(writer.begin_table("T", &table.schema).is_ok());
    assert!(matches!(
        writer.begin_table("U", &table.schema),
        Err(WireError::WriterOutOfOrder { .. })
    ));
    let wide_schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int64, true),
        Field::new("b", DataType::Int64, true),
    ]));
    let wide_columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![1])),
        Arc::new(Int64Array::from(vec![2])),
    ];
    let Ok(wide_batch) = RecordBatch::try_new(wide_schema, wide_columns) else {
        panic!("wide batch")
    };
    assert!(matches!(
        writer.write_batch(&wide_batch),
        Err(WireError::SchemaMismatch { .. })
    ));
}
