//! v1 responses: `{"Tables":[{"TableName","Columns":[{"ColumnName","DataType","ColumnType"}],
//! "Rows":[...]}]}` for `/v1/rest/mgmt`, `/v1/rest/query` and the streaming-ingest reply
//! (protocol reference §3.1).
//!
//! Owns: the v1 table layout, the management form (one table, `Table_0`), the query form (primary
//! tables + QueryProperties + QueryStatus + TableOfContents, which is how Python and Node find the
//! primary results when there are 3 or more tables) and the streaming-ingest reply.
//!
//! Does not own: cell encoding (`value`, the same as v2) or truncation (v1 results are written in
//! full; the caller bounds them).
//!
//! Both `DataType` (short CLR name) and `ColumnType` (Kusto name) are always written: Node reads only
//! `ColumnType` (its `DateType` typo), Go cannot map CLR names such as `Object`.

use std::io::Write;

use arrow::array::RecordBatch;
use tarn_common::KustoType;
use tarn_common::text::format::format_datetime;

use crate::error::now_nanos;
use crate::json::JsonObject;
use crate::v2::{QueryContext, ResultTable};
use crate::value::{BatchEncoder, kusto_type_of, write_json_string};
use crate::{Result, WireError};

/// Buffered bytes that trigger a write to the output.
const FLUSH_BYTES_MAX: usize = 64 * 1024;
const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// Writes `{"Tables":[...]}` with the tables under their own names. Clients need at least one
/// table; callers with nothing to return should send a table with no rows.
pub fn write_v1_tables(out: &mut impl Write, tables: &[ResultTable]) -> Result<()> {
    let mut writer = TablesWriter::begin(out);
    for table in tables {
        writer.data_table(&table.name, table)?;
    }
    writer.finish()
}

/// The body for a management command: its one result table, named `Table_0` as Kusto names it.
pub fn write_v1_management_result(out: &mut impl Write, table: &ResultTable) -> Result<()> {
    let mut writer = TablesWriter::begin(out);
    writer.data_table("Table_0", table)?;
    writer.finish()
}

/// The body for a v1 query: the primary tables, then QueryProperties, QueryStatus and the
/// TableOfContents that tells clients which tables are results. `visualization_json` is the
/// QueryProperties value (the `render` properties), if any.
pub fn write_v1_query_result(
    out: &mut impl Write,
    primary_tables: &[ResultTable],
    context: &QueryContext,
    visualization_json: Option<&str>,
) -> Result<()> {
    let mut writer = TablesWriter::begin(out);
    let mut contents = Vec::with_capacity(primary_tables.len() + 2);
    for (ordinal, table) in primary_tables.iter().enumerate() {
        writer.data_table(&format!("Table_{ordinal}"), table)?;
        contents.push((
            "QueryResult",
            table.name.clone(),
            uuid::Uuid::new_v4().to_string(),
        ));
    }

    let properties_ordinal = primary_tables.len();
    writer.fixed_table(
        &format!("Table_{properties_ordinal}"),
        &[("Value", KustoType::String)],
        |rows| {
            if let Some(visualization_json) = visualization_json {
                rows.push(b'[');
                write_json_string(rows, visualization_json);
                rows.push(b']');
            }
        },
    )?;
    contents.push((
        "QueryProperties",
        "@ExtendedProperties".to_string(),
        uuid::Uuid::new_v4().to_string(),
    ));

    let status_columns = [
        ("Timestamp", KustoType::DateTime),
        ("Severity", KustoType::Int),
        ("SeverityName", KustoType::String),
        ("StatusCode", KustoType::Int),
        ("StatusDescription", KustoType::String),
        ("Count", KustoType::Int),
        ("RequestId", KustoType::Guid),
        ("ActivityId", KustoType::Guid),
        ("SubActivityId", KustoType::Guid),
        ("ClientActivityId", KustoType::String),
    ];
    let timestamp = format_datetime(now_nanos());
    let sub_activity_id = uuid::Uuid::new_v4().to_string();
    writer.fixed_table(
        &format!("Table_{}", properties_ordinal + 1),
        &status_columns,
        |rows| {
            rows.push(b'[');
            write_json_string(rows, &timestamp);
            rows.extend_from_slice(b",4,\"Info\",0,\"Query completed successfully\",1,");
            write_json_string(rows, &context.activity_id);
            rows.push(b',');
            write_json_string(rows, &context.activity_id);
            rows.push(b',');
            write_json_string(rows, &sub_activity_id);
            rows.push(b',');
            write_json_string(rows, &context.client_request_id);
            rows.push(b']');
        },
    )?;
    contents.push((
        "QueryStatus",
        "QueryStatus".to_string(),
        NIL_GUID.to_string(),
    ));

    let contents_columns = [
        ("Ordinal", KustoType::Long),
        ("Kind", KustoType::String),
        ("Name", KustoType::String),
        ("Id", KustoType::String),
        ("PrettyName", KustoType::String),
    ];
    writer.fixed_table(
        &format!("Table_{}", properties_ordinal + 2),
        &contents_columns,
        |rows| {
            for (ordinal, (kind, name, id)) in contents.iter().enumerate() {
                if ordinal > 0 {
                    rows.push(b',');
                }
                let _ = write!(rows, "[{ordinal},");
                write_json_string(rows, kind);
                rows.push(b',');
                write_json_string(rows, name);
                rows.push(b',');
                write_json_string(rows, id);
                rows.extend_from_slice(b",\"\"]");
            }
        },
    )?;
    writer.finish()
}

/// The reply to a successful streaming ingest. Python parses it as v1 and fails on an empty body,
/// `{}` or `{"Tables":[]}`, so it is always this one-row table.
pub fn streaming_ingest_reply(consumed_records: u64) -> Vec<u8> {
    let mut body = Vec::with_capacity(384);
    let columns = [
        ("ConsumedRecordsCount", KustoType::Long),
        ("UpdatePolicyStatus", KustoType::String),
        ("UpdatePolicyFailureCode", KustoType::String),
        ("UpdatePolicyFailureReason", KustoType::String),
    ];
    body.extend_from_slice(b"{\"Tables\":[");
    write_table_start(&mut body, "Table_0", &columns);
    let _ = write!(body, "[{consumed_records},\"Inactive\",\"Unknown\",null]");
    body.extend_from_slice(b"]}]}");
    body
}

/// `{"TableName":..,"Columns":[..],"Rows":[` (left open for the rows).
fn write_table_start(out: &mut Vec<u8>, table_name: &str, columns: &[(&str, KustoType)]) {
    let mut table = JsonObject::begin(out);
    table.string("TableName", table_name);
    let columns_out = table.key("Columns");
    columns_out.push(b'[');
    for (position, (column_name, kusto_type)) in columns.iter().enumerate() {
        if position > 0 {
            columns_out.push(b',');
        }
        let mut column = JsonObject::begin(columns_out);
        column.string("ColumnName", column_name);
        column.string("DataType", kusto_type.v1_data_type());
        column.string("ColumnType", kusto_type.name());
        column.end();
    }
    columns_out.push(b']');
    table.key("Rows").push(b'[');
    // The table object and its Rows array are closed by the caller after the rows: `]}`.
}

struct TablesWriter<'a, W: Write> {
    out: &'a mut W,
    buffer: Vec<u8>,
    tables_written: usize,
}

impl<'a, W: Write> TablesWriter<'a, W> {
    fn begin(out: &'a mut W) -> TablesWriter<'a, W> {
        let mut buffer = Vec::with_capacity(FLUSH_BYTES_MAX + 4096);
        buffer.extend_from_slice(b"{\"Tables\":[");
        TablesWriter {
            out,
            buffer,
            tables_written: 0,
        }
    }

    fn table_separator(&mut self) {
        if self.tables_written > 0 {
            self.buffer.push(b',');
        }
        self.tables_written += 1;
    }

    fn data_table(&mut self, table_name: &str, table: &ResultTable) -> Result<()> {
        let mut columns = Vec::with_capacity(table.schema.fields().len());
        for field in table.schema.fields() {
            let kusto_type = kusto_type_of(field.data_type()).ok_or_else(|| {
                WireError::UnsupportedArrowType {
                    column: field.name().clone(),
                    data_type: field.data_type().clone(),
                }
            })?;
            columns.push((field.name().as_str(), kusto_type));
        }
        self.table_separator();
        write_table_start(&mut self.buffer, table_name, &columns);
        let mut rows_written = 0usize;
        for batch in &table.batches {
            self.write_batch_rows(table_name, columns.len(), batch, &mut rows_written)?;
        }
        self.buffer.extend_from_slice(b"]}");
        Ok(())
    }

    fn write_batch_rows(
        &mut self,
        table_name: &str,
        column_count: usize,
        batch: &RecordBatch,
        rows_written: &mut usize,
    ) -> Result<()> {
        if batch.num_columns() != column_count {
            return Err(WireError::SchemaMismatch {
                table: table_name.to_string(),
                declared_columns: column_count,
                batch_columns: batch.num_columns(),
            });
        }
        let encoder = BatchEncoder::new(batch)?;
        for row in 0..encoder.num_rows() {
            if *rows_written > 0 {
                self.buffer.push(b',');
            }
            encoder.write_row(row, &mut self.buffer)?;
            *rows_written += 1;
            if self.buffer.len() >= FLUSH_BYTES_MAX {
                self.out.write_all(&self.buffer)?;
                self.buffer.clear();
            }
        }
        Ok(())
    }

    /// A table whose rows the caller writes as JSON (`[..],[..]`).
    fn fixed_table(
        &mut self,
        table_name: &str,
        columns: &[(&str, KustoType)],
        write_rows: impl FnOnce(&mut Vec<u8>),
    ) -> Result<()> {
        self.table_separator();
        write_table_start(&mut self.buffer, table_name, columns);
        write_rows(&mut self.buffer);
        self.buffer.extend_from_slice(b"]}");
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.buffer.extend_from_slice(b"]}");
        self.out.write_all(&self.buffer)?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, LargeStringArray, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn sample_table() -> ResultTable {
        let schema = Arc::new(Schema::new(vec![
            Field::new("TableName", DataType::Utf8, true),
            Field::new("Rows", DataType::Int64, true),
            Field::new("Props", DataType::LargeUtf8, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![Some("T"), None])),
            Arc::new(Int64Array::from(vec![Some(3), None])),
            Arc::new(LargeStringArray::from(vec![Some("{\"a\":1}"), None])),
        ];
        let batch = match RecordBatch::try_new(schema.clone(), columns) {
            Ok(batch) => batch,
            Err(error) => panic!("batch: {error}"),
        };
        ResultTable {
            name: "PrimaryResult".to_string(),
            batches: vec![batch],
            schema,
        }
    }

    fn parse(body: &[u8]) -> serde_json::Value {
        match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(error) => panic!("not JSON ({error}): {}", String::from_utf8_lossy(body)),
        }
    }

    // Proves the management body is one table named Table_0 whose columns carry ColumnName,
    // DataType (short CLR name) and ColumnType (Kusto name) in that order, with §3.4 cells.
    #[test]
    fn management_result_shape() {
        let mut body = Vec::new();
        if let Err(error) = write_v1_management_result(&mut body, &sample_table()) {
            panic!("write: {error}");
        }
        let text = String::from_utf8_lossy(&body).to_string();
        assert!(text.starts_with(r#"{"Tables":[{"TableName":"Table_0","Columns":[{"ColumnName":"TableName","DataType":"String","ColumnType":"string"}"#), "{text}");
        let json = parse(&body);
        let tables = json["Tables"].as_array().map(Vec::len);
        assert_eq!(tables, Some(1));
        let columns = &json["Tables"][0]["Columns"];
        assert_eq!(columns[1]["DataType"], "Int64");
        assert_eq!(columns[1]["ColumnType"], "long");
        assert_eq!(columns[2]["DataType"], "Object");
        assert_eq!(columns[2]["ColumnType"], "dynamic");
        assert_eq!(
            json["Tables"][0]["Rows"],
            serde_json::json!([["T", 3, {"a": 1}], ["", null, null]])
        );
    }

    // Proves the v1 query body has the 4-table layout Python/Node expect: data, QueryProperties,
    // QueryStatus, and a TableOfContents last whose Kind column marks the result table.
    #[test]
    fn query_result_has_table_of_contents() {
        let context = QueryContext {
            client_request_id: "KGC.execute;1".to_string(),
            activity_id: "aaaaaaaa-0000-0000-0000-000000000001".to_string(),
        };
        let mut body = Vec::new();
        if let Err(error) = write_v1_query_result(&mut body, &[sample_table()], &context, None) {
            panic!("write: {error}");
        }
        let json = parse(&body);
        let Some(tables) = json["Tables"].as_array() else {
            panic!("no Tables")
        };
        assert_eq!(tables.len(), 4);
        let names: Vec<&str> = tables
            .iter()
            .filter_map(|table| table["TableName"].as_str())
            .collect();
        assert_eq!(names, vec!["Table_0", "Table_1", "Table_2", "Table_3"]);
        let contents = &tables[3];
        let column_names: Vec<&str> = contents["Columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["ColumnName"].as_str())
            .collect();
        assert_eq!(
            column_names,
            vec!["Ordinal", "Kind", "Name", "Id", "PrettyName"]
        );
        assert_eq!(contents["Rows"][0][1], "QueryResult");
        assert_eq!(contents["Rows"][0][2], "PrimaryResult");
        assert_eq!(contents["Rows"][1][1], "QueryProperties");
        assert_eq!(contents["Rows"][2][1], "QueryStatus");
        let status = &tables[2];
        assert_eq!(status["Columns"][0]["ColumnName"], "Timestamp");
        assert_eq!(status["Rows"][0][9], "KGC.execute;1");
        assert_eq!(tables[0]["Rows"][0][0], "T");
    }

    // Proves the streaming-ingest reply is the exact non-empty v1 table the Python test expects.
    #[test]
    fn streaming_ingest_reply_shape() {
        let json = parse(&streaming_ingest_reply(42));
        let table = &json["Tables"][0];
        let column_names: Vec<&str> = table["Columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["ColumnName"].as_str())
            .collect();
        assert_eq!(
            column_names,
            vec![
                "ConsumedRecordsCount",
                "UpdatePolicyStatus",
                "UpdatePolicyFailureCode",
                "UpdatePolicyFailureReason"
            ]
        );
        assert_eq!(table["Columns"][0]["ColumnType"], "long");
        assert_eq!(
            table["Rows"],
            serde_json::json!([[42, "Inactive", "Unknown", null]])
        );
    }

    // Proves write_v1_tables keeps table names and separates several tables correctly.
    #[test]
    fn several_tables() {
        let mut second = sample_table();
        second.name = "Other".to_string();
        let mut body = Vec::new();
        if let Err(error) = write_v1_tables(&mut body, &[sample_table(), second]) {
            panic!("write: {error}");
        }
        let json = parse(&body);
        assert_eq!(json["Tables"][0]["TableName"], "PrimaryResult");
        assert_eq!(json["Tables"][1]["TableName"], "Other");
    }
}
