//! Turns scanned pieces (frames, heads, rows, tails) into tables of Arrow record batches: the v2
//! frame sequence in both its forms (a `DataTable` per table, or `TableHeader` +
//! `TableFragment`* + `TableCompletion`), and v1 tables.
//!
//! Errors reported inside a 200 response (a `OneApiErrors` row, on `TableCompletion` or on
//! `DataSetCompletion`) end the result: the rows decoded before them are still delivered, then
//! the error.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema};
use serde_json::Value;

use super::json::for_each_element;
use super::scanner::{Layout, Piece};
use crate::error::kusto_error_from_json;
use crate::result::{QueryEvent, ResultBatch, TableHeader, TableKind};
use crate::types::KustoType;
use crate::value::decode::ColumnDecoder;
use crate::{Error, Result};

struct OpenTable {
    header: Arc<TableHeader>,
    columns: Vec<ColumnDecoder>,
    rows_in_batch: usize,
    rows_total: u64,
}

/// Which object the rows being read belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowsOf {
    Nothing,
    /// A whole table (v2 DataTable, v1 table): its tail ends the table.
    Table,
    /// One fragment of the open table.
    Fragment,
}

pub(crate) struct FrameDecoder {
    layout: Layout,
    batch_rows_max: usize,
    open: Option<OpenTable>,
    rows_of: RowsOf,
    events: VecDeque<QueryEvent>,
    complete: bool,
    tables_seen: u32,
}

fn parse_object(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|error| Error::protocol(format!("a frame is not valid JSON: {error}")))
}

fn text_field<'a>(frame: &'a Value, key: &str) -> Option<&'a str> {
    frame.get(key).and_then(Value::as_str)
}

/// The first error of a `OneApiErrors` list, as a partial failure.
fn first_api_error(errors: Option<&Value>) -> Option<Error> {
    let first = errors?.as_array()?.first()?;
    kusto_error_from_json(first, 200)
}

fn table_header(frame: &Value, fallback_id: u32, kind: TableKind) -> Result<Arc<TableHeader>> {
    let id = frame
        .get("TableId")
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .unwrap_or(fallback_id);
    let name = text_field(frame, "TableName")
        .unwrap_or("PrimaryResult")
        .to_string();
    let columns = frame
        .get("Columns")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::protocol(format!("table '{name}' has no Columns")))?;
    let mut fields = Vec::with_capacity(columns.len());
    let mut kusto_types = Vec::with_capacity(columns.len());
    for column in columns {
        let column_name = text_field(column, "ColumnName").ok_or_else(|| {
            Error::protocol(format!("a column of table '{name}' has no ColumnName"))
        })?;
        // A type this client does not know keeps its JSON text, like dynamic.
        let kusto_type = text_field(column, "ColumnType")
            .and_then(KustoType::parse_wire)
            .or_else(|| text_field(column, "DataType").and_then(KustoType::parse_wire))
            .unwrap_or(KustoType::Dynamic);
        fields.push(Field::new(column_name, kusto_type.arrow_type(), true));
        kusto_types.push(kusto_type);
    }
    Ok(Arc::new(TableHeader {
        id,
        name,
        kind,
        schema: Arc::new(Schema::new(fields)),
        kusto_types,
    }))
}

impl FrameDecoder {
    pub(crate) fn new(layout: Layout, batch_rows_max: usize) -> FrameDecoder {
        FrameDecoder {
            layout,
            batch_rows_max: batch_rows_max.max(1),
            open: None,
            rows_of: RowsOf::Nothing,
            events: VecDeque::new(),
            complete: false,
            tables_seen: 0,
        }
    }

    pub(crate) fn pop_event(&mut self) -> Option<QueryEvent> {
        self.events.pop_front()
    }

    /// Whether the response said it is complete (DataSetCompletion, or the end of a v1 body).
    #[cfg(test)]
    pub(crate) fn is_complete(&self) -> bool {
        self.complete
    }

    pub(crate) fn handle(&mut self, piece: Piece<'_>) -> Result<()> {
        match piece {
            Piece::Frame(bytes) => self.whole_frame(&parse_object(bytes)?),
            Piece::Head(bytes) => self.head(&parse_object(&bytes)?),
            Piece::Row(bytes) => self.row(bytes),
            Piece::Tail(bytes) => self.tail(&parse_object(&bytes)?),
            Piece::End => {
                if self.open.is_some() {
                    return Err(Error::protocol("the response ended inside a table"));
                }
                if self.layout == Layout::V1 {
                    self.complete = true;
                }
                if !self.complete {
                    return Err(Error::protocol(
                        "the response ended without DataSetCompletion",
                    ));
                }
                Ok(())
            }
        }
    }

    fn open_table(&mut self, header: Arc<TableHeader>) -> Result<()> {
        if let Some(open) = &self.open {
            return Err(Error::protocol(format!(
                "table {} starts while table {} is still open",
                header.id, open.header.id
            )));
        }
        let columns = header
            .schema
            .fields()
            .iter()
            .zip(&header.kusto_types)
            .map(|(field, kusto_type)| ColumnDecoder::new(field.name(), *kusto_type))
            .collect();
        self.events
            .push_back(QueryEvent::TableStart(Arc::clone(&header)));
        self.open = Some(OpenTable {
            header,
            columns,
            rows_in_batch: 0,
            rows_total: 0,
        });
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<()> {
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        if open.rows_in_batch == 0 {
            return Ok(());
        }
        let arrays = open.columns.iter_mut().map(ColumnDecoder::finish).collect();
        let batch = RecordBatch::try_new(Arc::clone(&open.header.schema), arrays)
            .map_err(|source| Error::Arrow { source })?;
        open.rows_in_batch = 0;
        self.events.push_back(QueryEvent::Batch(ResultBatch {
            table: Arc::clone(&open.header),
            batch,
        }));
        Ok(())
    }

    fn close_table(&mut self, row_count_claimed: Option<u64>) -> Result<()> {
        self.flush_batch()?;
        let Some(open) = self.open.take() else {
            return Err(Error::protocol("a table completes that was never opened"));
        };
        if let Some(claimed) = row_count_claimed
            && claimed != open.rows_total
        {
            return Err(Error::protocol(format!(
                "table {} claims {claimed} rows but sent {}",
                open.header.id, open.rows_total
            )));
        }
        self.events.push_back(QueryEvent::TableEnd {
            table: open.header,
            row_count: open.rows_total,
        });
        Ok(())
    }

    fn open_table_id(&self) -> Option<u64> {
        self.open.as_ref().map(|open| u64::from(open.header.id))
    }

    fn check_table_id(&self, frame: &Value, frame_type: &str) -> Result<()> {
        let frame_table_id = frame.get("TableId").and_then(Value::as_u64);
        if frame_table_id.is_some() && frame_table_id == self.open_table_id() {
            return Ok(());
        }
        Err(Error::protocol(format!(
            "{frame_type} for table {frame_table_id:?} while table {:?} is open",
            self.open_table_id()
        )))
    }

    /// A frame with no rows.
    fn whole_frame(&mut self, frame: &Value) -> Result<()> {
        if self.layout == Layout::V1 {
            // A v1 table without "Rows": an empty table.
            self.head(frame)?;
            return self.tail(&Value::Null);
        }
        match text_field(frame, "FrameType").unwrap_or_default() {
            "TableHeader" => {
                let header = table_header(frame, self.tables_seen, kind_of(frame))?;
                self.tables_seen += 1;
                self.open_table(header)
            }
            "TableCompletion" => {
                self.check_table_id(frame, "TableCompletion")?;
                if let Some(error) = first_api_error(frame.get("OneApiErrors")) {
                    self.flush_batch()?;
                    return Err(error);
                }
                self.close_table(frame.get("RowCount").and_then(Value::as_u64))
            }
            "DataSetCompletion" => {
                if self.open.is_some() {
                    return Err(Error::protocol("DataSetCompletion while a table is open"));
                }
                self.complete = true;
                if frame.get("HasErrors").and_then(Value::as_bool) == Some(true) {
                    return Err(
                        first_api_error(frame.get("OneApiErrors")).unwrap_or_else(|| {
                            Error::Kusto {
                                http_status: 200,
                                code: "PartialFailure".to_string(),
                                message: "the server reported errors without details".to_string(),
                                at_type: String::new(),
                                permanent: false,
                                position: None,
                                activity_id: None,
                            }
                        }),
                    );
                }
                if frame.get("Cancelled").and_then(Value::as_bool) == Some(true) {
                    return Err(Error::Kusto {
                        http_status: 200,
                        code: "Cancelled".to_string(),
                        message: "the server cancelled the query".to_string(),
                        at_type: String::new(),
                        permanent: false,
                        position: None,
                        activity_id: None,
                    });
                }
                Ok(())
            }
            "DataTable" => {
                // A DataTable without Rows: an empty table.
                self.head(frame)?;
                self.tail(&Value::Null)
            }
            // DataSetHeader, TableProgress and frame types this client does not know.
            _ => Ok(()),
        }
    }

    fn head(&mut self, frame: &Value) -> Result<()> {
        if self.layout == Layout::V1 {
            let header = table_header(frame, self.tables_seen, TableKind::PrimaryResult)?;
            self.tables_seen += 1;
            self.rows_of = RowsOf::Table;
            return self.open_table(header);
        }
        match text_field(frame, "FrameType").unwrap_or_default() {
            "DataTable" => {
                let header = table_header(frame, self.tables_seen, kind_of(frame))?;
                self.tables_seen += 1;
                self.rows_of = RowsOf::Table;
                self.open_table(header)
            }
            "TableFragment" => {
                self.check_table_id(frame, "TableFragment")?;
                let fragment_type = text_field(frame, "TableFragmentType").unwrap_or("DataAppend");
                if fragment_type != "DataAppend" {
                    return Err(Error::protocol(format!(
                        "TableFragmentType {fragment_type} (progressive results) is not supported"
                    )));
                }
                self.rows_of = RowsOf::Fragment;
                Ok(())
            }
            other => Err(Error::protocol(format!(
                "a {other:?} frame cannot carry rows"
            ))),
        }
    }

    fn row(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.first() == Some(&b'{') {
            // Kusto's in-band error row: {"OneApiErrors":[...]}.
            let object = parse_object(bytes)?;
            self.flush_batch()?;
            return Err(first_api_error(object.get("OneApiErrors"))
                .unwrap_or_else(|| Error::protocol("a row is an object but not OneApiErrors")));
        }
        let batch_rows_max = self.batch_rows_max;
        let Some(open) = &mut self.open else {
            return Err(Error::protocol("a row outside any table"));
        };
        if self.rows_of == RowsOf::Nothing {
            return Err(Error::protocol(
                "a row outside a DataTable or TableFragment",
            ));
        }
        let row_number = open.rows_total;
        let columns = &mut open.columns;
        let cells = for_each_element(bytes, |index, cell| match columns.get_mut(index) {
            Some(column) => column.append(cell, row_number),
            None => Err(Error::protocol(format!(
                "row {row_number} of table {} has more cells than its {} columns",
                open.header.id,
                columns.len()
            ))),
        })?;
        if cells != open.columns.len() {
            return Err(Error::protocol(format!(
                "row {row_number} of table {} has {cells} cells for {} columns",
                open.header.id,
                open.columns.len()
            )));
        }
        open.rows_total += 1;
        open.rows_in_batch += 1;
        if open.rows_in_batch >= batch_rows_max {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn tail(&mut self, _fields_after_rows: &Value) -> Result<()> {
        let rows_of = std::mem::replace(&mut self.rows_of, RowsOf::Nothing);
        match rows_of {
            RowsOf::Table => self.close_table(None),
            RowsOf::Fragment | RowsOf::Nothing => Ok(()),
        }
    }
}

fn kind_of(frame: &Value) -> TableKind {
    TableKind::parse(text_field(frame, "TableKind").unwrap_or("PrimaryResult"))
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;

    use super::*;
    use crate::frames::scanner::FrameScanner;

    /// Decodes a whole body fed in `chunk`-byte pieces: the events, then the error if any.
    fn decode(layout: Layout, body: &str, chunk: usize) -> (Vec<QueryEvent>, Option<Error>) {
        let mut scanner = FrameScanner::new(layout, 1 << 20);
        let mut decoder = FrameDecoder::new(layout, 2);
        let mut events = Vec::new();
        for part in body.as_bytes().chunks(chunk) {
            if let Err(error) = scanner.feed(part) {
                return (events, Some(error));
            }
            loop {
                match scanner.next_piece() {
                    Ok(Some(piece)) => {
                        let outcome = decoder.handle(piece);
                        while let Some(event) = decoder.pop_event() {
                            events.push(event);
                        }
                        if let Err(error) = outcome {
                            return (events, Some(error));
                        }
                    }
                    Ok(None) => break,
                    Err(error) => return (events, Some(error)),
                }
            }
        }
        // As QueryStream: a body that ends before its closing bracket is an error.
        if !decoder.is_complete() || !scanner.is_done() {
            return (events, Some(Error::protocol("incomplete")));
        }
        (events, None)
    }

    fn primary_longs(events: &[QueryEvent]) -> Vec<i64> {
        events
            .iter()
            .filter_map(|event| match event {
                QueryEvent::Batch(batch) if batch.table.is_primary() => Some(batch),
                _ => None,
            })
            .flat_map(|batch| {
                let column = batch.batch.column(0).as_primitive::<Int64Type>().clone();
                (0..column.len())
                    .map(move |row| column.value(row))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    const DEFAULT_BODY: &str = r#"[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},{"FrameType":"DataTable","TableId":0,"TableKind":"QueryProperties","TableName":"@ExtendedProperties","Columns":[{"ColumnName":"TableId","ColumnType":"int"},{"ColumnName":"Key","ColumnType":"string"},{"ColumnName":"Value","ColumnType":"dynamic"}],"Rows":[]},{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult","Columns":[{"ColumnName":"x","ColumnType":"long"}],"Rows":[[1],[2],[3]]},{"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}]"#;

    const FRAGMENTED_BODY: &str = "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":false,\"Version\":\"v2.0\",\"IsFragmented\":true,\"ErrorReportingPlacement\":\"EndOfTable\"}\n,{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableKind\":\"PrimaryResult\",\"TableName\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"long\"}]}\n,{\"FrameType\":\"TableFragment\",\"TableFragmentType\":\"DataAppend\",\"TableId\":1,\"Rows\":[[1],[2]]}\n,{\"FrameType\":\"TableFragment\",\"TableFragmentType\":\"DataAppend\",\"TableId\":1,\"Rows\":[[3]]}\n,{\"FrameType\":\"TableCompletion\",\"TableId\":1,\"RowCount\":3}\n,{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}\n]";

    // Proves the standard and the fragmented forms give the same rows, in batches of at most the
    // configured size, with TableStart/TableEnd around them, whatever the chunking.
    #[test]
    fn standard_and_fragmented_agree() {
        for chunk in [1, 5, 4096] {
            for body in [DEFAULT_BODY, FRAGMENTED_BODY] {
                let (events, error) = decode(Layout::V2, body, chunk);
                assert!(error.is_none(), "{error:?}");
                assert_eq!(primary_longs(&events), vec![1, 2, 3]);
                let ends: Vec<u64> = events
                    .iter()
                    .filter_map(|event| match event {
                        QueryEvent::TableEnd { table, row_count } if table.is_primary() => {
                            Some(*row_count)
                        }
                        _ => None,
                    })
                    .collect();
                assert_eq!(ends, vec![3]);
                assert!(events.iter().all(|event| match event {
                    QueryEvent::Batch(batch) => batch.batch.num_rows() <= 2,
                    _ => true,
                }));
            }
        }
    }

    // Proves in-band errors (a OneApiErrors row, TableCompletion errors, DataSetCompletion
    // HasErrors) surface as a partial-failure Error::Kusto after the rows before them.
    #[test]
    fn in_band_errors() {
        let error_json = r#"{"error":{"code":"LimitsExceeded","message":"m","@type":"T","@message":"Query execution has exceeded the allowed limits (80DA0003): x.","@permanent":false}}"#;
        let in_rows = format!(
            r#"[{{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"P","Columns":[{{"ColumnName":"x","ColumnType":"long"}}],"Rows":[[1],{{"OneApiErrors":[{error_json}]}}]}},{{"FrameType":"DataSetCompletion","HasErrors":true,"Cancelled":false,"OneApiErrors":[{error_json}]}}]"#
        );
        let on_completion = FRAGMENTED_BODY.replace(
            "\"RowCount\":3}",
            &format!("\"RowCount\":3,\"OneApiErrors\":[{error_json}]}}"),
        );
        let on_dataset = FRAGMENTED_BODY.replace(
            "\"HasErrors\":false",
            &format!("\"HasErrors\":true,\"OneApiErrors\":[{error_json}]"),
        );
        for (body, rows_before) in [
            (in_rows, vec![1]),
            (on_completion, vec![1, 2, 3]),
            (on_dataset, vec![1, 2, 3]),
        ] {
            let (events, error) = decode(Layout::V2, &body, 7);
            assert_eq!(primary_longs(&events), rows_before);
            match error {
                Some(error @ Error::Kusto { .. }) => {
                    assert!(error.is_partial_failure());
                    assert!(error.to_string().contains("80DA0003"), "{error}");
                }
                other => panic!("expected a partial failure, got {other:?}"),
            }
        }
    }

    // Proves malformed frame sequences are protocol errors: rows of the wrong width, a fragment
    // for a table that is not open, a wrong RowCount, a body without DataSetCompletion, garbage.
    #[test]
    fn malformed_sequences() {
        let cases = [
            DEFAULT_BODY.replace("[[1],[2],[3]]", "[[1],[2,3]]"),
            DEFAULT_BODY.replace("[[1],[2],[3]]", "[[1],[]]"),
            FRAGMENTED_BODY.replace(
                "\"TableId\":1,\"Rows\":[[3]]",
                "\"TableId\":2,\"Rows\":[[3]]",
            ),
            FRAGMENTED_BODY.replace("\"RowCount\":3", "\"RowCount\":4"),
            FRAGMENTED_BODY.replace(
                "DataAppend\",\"TableId\":1,\"Rows\":[[3]]",
                "DataReplace\",\"TableId\":1,\"Rows\":[[3]]",
            ),
            DEFAULT_BODY.replace(
                ",{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}",
                "",
            ),
            DEFAULT_BODY.replace(
                "\"Columns\":[{\"ColumnName\":\"x\"",
                "\"Kolumns\":[{\"ColumnName\":\"x\"",
            ),
            "[{\"FrameType\":\"DataTable\",\"Rows\":[[1]]}]".to_string(),
            "[{\"FrameType\":\"TableFragment\",\"TableId\":1,\"Rows\":[[1]]}]".to_string(),
            "[{\"FrameType\": }]".to_string(),
        ];
        for body in cases {
            let (_, error) = decode(Layout::V2, &body, 3);
            assert!(
                matches!(error, Some(Error::Protocol { .. })),
                "{body}: {error:?}"
            );
        }
        let (_, error) = decode(
            Layout::V2,
            &DEFAULT_BODY.replace("[[1],[2],[3]]", "[[1],[\"x\"]]"),
            3,
        );
        assert!(
            matches!(error, Some(Error::Value { row: 1, .. })),
            "{error:?}"
        );
    }

    // Proves every prefix of a valid body (a connection cut anywhere) is an error, not a panic
    // and not a silently shorter result.
    #[test]
    fn every_truncation_is_an_error() {
        for cut in 0..FRAGMENTED_BODY.len() {
            let (_, error) = decode(Layout::V2, &FRAGMENTED_BODY[..cut], 11);
            assert!(error.is_some(), "cut at {cut}");
        }
    }

    // Proves v1 bodies decode (column types from ColumnType, or DataType when that is missing).
    #[test]
    fn v1_tables() {
        let body = r#"{"Tables":[{"TableName":"Table_0","Columns":[{"ColumnName":"n","DataType":"Int64"},{"ColumnName":"s","ColumnType":"string","DataType":"String"}],"Rows":[[7,"a"],[8,"b"]]}]}"#;
        let (events, error) = decode(Layout::V1, body, 6);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(primary_longs(&events), vec![7, 8]);
    }
}
