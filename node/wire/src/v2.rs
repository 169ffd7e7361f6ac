//! The v2 query response (`/v2/rest/query`): a JSON array of frames, written as a stream.
//!
//! Owns: frame order and key order (protocol reference §3.2, §3.3), the plain and the fragmented
//! table forms, newline framing, table numbering (0 = QueryProperties, 1.. = primary tables, last =
//! QueryCompletionInformation), result truncation and how a partial failure is reported in-band.
//!
//! Does not own: producing the batches, HTTP, or cell encoding (`value`).
//!
//! Streaming: [`V2Writer`] buffers at most about [`FLUSH_BYTES_MAX`] (plus one row) before handing
//! bytes to the `Write` it was given, so a result of any size is never held as one string.
//!
//! Invariant: no frame contains a raw line break (strings are escaped, dynamic values with line
//! breaks are re-serialized), so with `newlines_between_frames` each line holds exactly one frame,
//! which is how Go's frame reader splits the body.

use std::io::Write;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use tarn_common::limits::{RESULT_BYTES_MAX_DEFAULT, RESULT_ROWS_MAX_DEFAULT};
use tarn_common::text::format::format_datetime;

use crate::error::{
    ErrorContext, KustoError, STATUS_CODE_FAILURE, STATUS_CODE_RESULT_SET_TOO_LARGE,
    TruncationLimit, now_nanos,
};
use crate::json::JsonObject;
use crate::request::RequestProperties;
use crate::value::{BatchEncoder, kusto_type_of, write_json_string};
use crate::{Result, WireError};

/// Buffered bytes that trigger a write to the output (and, in fragmented mode, close the current
/// TableFragment so the next rows start a new one).
pub const FLUSH_BYTES_MAX: usize = 64 * 1024;

/// One result table, fully materialized: for small results and tests. Large results go through
/// [`V2Writer::begin_table`] / [`V2Writer::write_batch`] / [`V2Writer::end_table`].
#[derive(Debug, Clone)]
pub struct ResultTable {
    pub name: String,
    pub batches: Vec<RecordBatch>,
    pub schema: SchemaRef,
}

/// The response shape the client asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V2Options {
    /// Primary tables as TableHeader + TableFragment* + TableCompletion (Go always asks for this).
    pub fragment_primary_tables: bool,
    /// `"[" frame "\n," frame ... "\n]"` (Go's line-based frame reader needs it).
    pub newlines_between_frames: bool,
    /// `results_error_reporting_placement=end_of_table`. In fragmented mode errors are always
    /// reported on TableCompletion (which is what this asks for); a plain DataTable has nowhere but
    /// its last row to carry them.
    pub error_reporting_end_of_table: bool,
}

impl V2Options {
    /// Reads `results_v2_fragment_primary_tables` (or `results_progressive_enabled`),
    /// `results_v2_newlines_between_frames` and `results_error_reporting_placement`.
    pub fn from_properties(properties: &RequestProperties) -> Result<V2Options> {
        let fragment = properties
            .option_bool("results_v2_fragment_primary_tables")?
            .unwrap_or(false)
            || properties
                .option_bool("results_progressive_enabled")?
                .unwrap_or(false);
        let newlines = properties
            .option_bool("results_v2_newlines_between_frames")?
            .unwrap_or(false);
        let end_of_table = match properties.option_string("results_error_reporting_placement")? {
            None => false,
            Some(placement) => match placement.to_ascii_lowercase().as_str() {
                "end_of_table" | "endoftable" => true,
                "in_data" | "indata" | "end_of_dataset" | "endofdataset" => false,
                _ => {
                    return Err(WireError::InvalidOption {
                        name: "results_error_reporting_placement".to_string(),
                        value: placement,
                        expected: "in_data, end_of_table or end_of_dataset",
                    });
                }
            },
        };
        Ok(V2Options {
            fragment_primary_tables: fragment,
            newlines_between_frames: newlines,
            error_reporting_end_of_table: end_of_table,
        })
    }
}

/// Result truncation (Kusto's "Query limits"): each primary table stops at `records_max` rows or
/// `bytes_max` bytes of row JSON, whichever comes first. `None` means no limit (`notruncation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultLimits {
    pub records_max: Option<u64>,
    pub bytes_max: Option<u64>,
    /// `deferpartialqueryfailures`: truncate silently (the QueryCompletionInformation table still
    /// says so) instead of reporting a partial failure in-band.
    pub defer_partial_query_failures: bool,
}

impl Default for ResultLimits {
    fn default() -> ResultLimits {
        ResultLimits {
            records_max: Some(RESULT_ROWS_MAX_DEFAULT),
            bytes_max: Some(RESULT_BYTES_MAX_DEFAULT),
            defer_partial_query_failures: false,
        }
    }
}

impl ResultLimits {
    pub fn unlimited() -> ResultLimits {
        ResultLimits {
            records_max: None,
            bytes_max: None,
            defer_partial_query_failures: false,
        }
    }

    /// Reads `notruncation`, `truncationmaxrecords`, `truncationmaxsize` and
    /// `deferpartialqueryfailures` over Kusto's defaults. (`set` statements in the query text are
    /// the planner's to apply on top.)
    pub fn from_properties(properties: &RequestProperties) -> Result<ResultLimits> {
        let mut limits = ResultLimits::default();
        if properties.option_bool("notruncation")?.unwrap_or(false) {
            limits = ResultLimits::unlimited();
        }
        if let Some(records_max) = properties.option_u64("truncationmaxrecords")? {
            limits.records_max = Some(records_max);
        }
        if let Some(bytes_max) = properties.option_u64("truncationmaxsize")? {
            limits.bytes_max = Some(bytes_max);
        }
        limits.defer_partial_query_failures = properties
            .option_bool("deferpartialqueryfailures")?
            .unwrap_or(false);
        Ok(limits)
    }
}

/// The request's identity, echoed into QueryCompletionInformation and error `@context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryContext {
    pub client_request_id: String,
    /// A guid (the server also returns it as `x-ms-activity-id`).
    pub activity_id: String,
}

/// A `render` result for one primary table: written as the QueryProperties row
/// `[table id, "Visualization", "<json text>"]` (Kqlmagic draws charts from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visualization {
    /// Position among the primary tables, from 0 (the table id is this + 1).
    pub primary_table_index: usize,
    /// The visualization properties as JSON text, e.g. `{"Visualization":"timechart",...}`.
    pub properties_json: String,
}

/// Whether a table still accepts rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStatus {
    Accepting,
    /// A truncation limit was reached; further rows are dropped, so the caller can stop producing.
    Truncated,
}

struct OpenTable {
    table_id: u32,
    name: String,
    column_count: usize,
    rows_written: u64,
    row_bytes_written: u64,
    truncated_by: Option<TruncationLimit>,
    /// Fragmented mode: buffer position where the open TableFragment frame starts, if one is open.
    fragment_start: Option<usize>,
    rows_in_fragment: usize,
}

/// A line of QueryCompletionInformation beyond the Info and Stats rows.
struct CompletionEvent {
    status_code: i32,
    status_code_name: String,
    event_type: i32,
    event_type_name: &'static str,
    text: String,
}

impl CompletionEvent {
    fn from_error(error: &KustoError) -> CompletionEvent {
        CompletionEvent {
            status_code: STATUS_CODE_FAILURE,
            status_code_name: format!("{} ({STATUS_CODE_FAILURE})", error.code),
            event_type: 4,
            event_type_name: "QueryInfo",
            text: error.at_message.clone(),
        }
    }
}

/// One row of QueryCompletionInformation. Levels: 2 Error, 4 Info, 6 Stats (Python counts rows
/// below 4 as errors; Node throws on level 2 or less).
struct CompletionRow {
    level: i32,
    level_name: &'static str,
    status_code: i32,
    status_code_name: String,
    event_type: i32,
    event_type_name: &'static str,
    payload: String,
}

struct TableStatistics {
    rows: u64,
    bytes: u64,
}

/// Writes one v2 response: `begin`, then per primary table `begin_table` + `write_batch`* +
/// `end_table` (or `write_table`), then `finish`.
pub struct V2Writer<W: Write> {
    out: W,
    options: V2Options,
    limits: ResultLimits,
    context: QueryContext,
    started_nanos: i64,
    buffer: Vec<u8>,
    /// Whether `[` has been written: the first frame opens the array, later ones get a separator.
    array_opened: bool,
    next_table_id: u32,
    open_table: Option<OpenTable>,
    dataset_errors: Vec<KustoError>,
    completion_events: Vec<CompletionEvent>,
    table_statistics: Vec<TableStatistics>,
}

impl<W: Write> V2Writer<W> {
    /// Writes the DataSetHeader and the QueryProperties table.
    pub fn begin(
        out: W,
        options: V2Options,
        limits: ResultLimits,
        context: QueryContext,
        visualizations: &[Visualization],
    ) -> Result<V2Writer<W>> {
        let mut writer = V2Writer {
            out,
            options,
            limits,
            context,
            started_nanos: now_nanos(),
            buffer: Vec::with_capacity(FLUSH_BYTES_MAX + 4096),
            array_opened: false,
            next_table_id: 0,
            open_table: None,
            dataset_errors: Vec::new(),
            completion_events: Vec::new(),
            table_statistics: Vec::new(),
        };
        writer.write_dataset_header();
        writer.write_query_properties(visualizations);
        writer.flush_buffer()?;
        Ok(writer)
    }

    /// Starts a primary table. Its `ColumnType`s come from `schema`.
    pub fn begin_table(&mut self, name: &str, schema: &SchemaRef) -> Result<()> {
        if self.open_table.is_some() {
            return Err(WireError::WriterOutOfOrder {
                operation: "begin_table",
                state: "a table is open",
            });
        }
        let mut columns = Vec::with_capacity(schema.fields().len());
        for field in schema.fields() {
            let kusto_type = kusto_type_of(field.data_type()).ok_or_else(|| {
                WireError::UnsupportedArrowType {
                    column: field.name().clone(),
                    data_type: field.data_type().clone(),
                }
            })?;
            columns.push((field.name().as_str(), kusto_type.name()));
        }
        let table_id = self.take_table_id();
        self.begin_frame();
        let frame_type = if self.options.fragment_primary_tables {
            "TableHeader"
        } else {
            "DataTable"
        };
        let mut frame = JsonObject::begin(&mut self.buffer);
        write_table_preamble(
            &mut frame,
            frame_type,
            table_id,
            "PrimaryResult",
            name,
            &columns,
        );
        if self.options.fragment_primary_tables {
            frame.end();
        } else {
            // The DataTable frame stays open: rows follow, `end_table` closes it.
            frame.key("Rows").push(b'[');
        }
        self.open_table = Some(OpenTable {
            table_id,
            name: name.to_string(),
            column_count: columns.len(),
            rows_written: 0,
            row_bytes_written: 0,
            truncated_by: None,
            fragment_start: None,
            rows_in_fragment: 0,
        });
        self.flush_buffer()
    }

    /// Appends a batch's rows to the open table, up to the truncation limits.
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<TableStatus> {
        let Some(mut table) = self.open_table.take() else {
            return Err(WireError::WriterOutOfOrder {
                operation: "write_batch",
                state: "no table is open",
            });
        };
        let outcome = self.write_rows(&mut table, batch);
        self.open_table = Some(table);
        outcome
    }

    fn write_rows(&mut self, table: &mut OpenTable, batch: &RecordBatch) -> Result<TableStatus> {
        if table.truncated_by.is_some() {
            return Ok(TableStatus::Truncated);
        }
        if batch.num_columns() != table.column_count {
            return Err(WireError::SchemaMismatch {
                table: table.name.clone(),
                declared_columns: table.column_count,
                batch_columns: batch.num_columns(),
            });
        }
        let encoder = BatchEncoder::new(batch)?;
        for row in 0..encoder.num_rows() {
            if let Some(records_max) = self.limits.records_max
                && table.rows_written >= records_max
            {
                table.truncated_by = Some(TruncationLimit::Records { records_max });
                break;
            }
            let fragmented = self.options.fragment_primary_tables;
            if fragmented && table.fragment_start.is_none() {
                table.fragment_start = Some(self.buffer.len());
                table.rows_in_fragment = 0;
                self.begin_frame();
                let mut frame = JsonObject::begin(&mut self.buffer);
                frame.string("FrameType", "TableFragment");
                frame.string("TableFragmentType", "DataAppend");
                frame.integer("TableId", table.table_id);
                frame.key("Rows").push(b'[');
            }
            let before_row = self.buffer.len();
            let needs_comma = if fragmented {
                table.rows_in_fragment > 0
            } else {
                table.rows_written > 0
            };
            if needs_comma {
                self.buffer.push(b',');
            }
            let row_start = self.buffer.len();
            encoder.write_row(row, &mut self.buffer)?;
            let row_bytes = (self.buffer.len() - row_start) as u64;
            if let Some(bytes_max) = self.limits.bytes_max
                && table.row_bytes_written + row_bytes > bytes_max
            {
                self.buffer.truncate(before_row);
                table.truncated_by = Some(TruncationLimit::Bytes { bytes_max });
                break;
            }
            table.rows_written += 1;
            table.row_bytes_written += row_bytes;
            table.rows_in_fragment += 1;
            if self.buffer.len() >= FLUSH_BYTES_MAX {
                self.close_fragment(table);
                self.flush_buffer()?;
            }
        }
        self.close_fragment(table);
        if self.buffer.len() >= FLUSH_BYTES_MAX {
            self.flush_buffer()?;
        }
        Ok(if table.truncated_by.is_some() {
            TableStatus::Truncated
        } else {
            TableStatus::Accepting
        })
    }

    /// Closes the open TableFragment, or drops its header when no row made it in.
    fn close_fragment(&mut self, table: &mut OpenTable) {
        let Some(fragment_start) = table.fragment_start.take() else {
            return;
        };
        if table.rows_in_fragment == 0 {
            self.buffer.truncate(fragment_start);
            return;
        }
        self.buffer.extend_from_slice(b"]}");
        table.rows_in_fragment = 0;
    }

    /// Ends the open table. A truncated table gets the partial-failure error in-band (unless
    /// failures are deferred).
    pub fn end_table(&mut self) -> Result<()> {
        self.close_table(None)
    }

    /// Ends the open table with an error that stopped it (e.g. the query failed mid-stream): the
    /// error goes in-band on the table and into DataSetCompletion, as Kusto reports partial failures.
    pub fn end_table_with_error(&mut self, error: KustoError) -> Result<()> {
        self.close_table(Some(error))
    }

    fn close_table(&mut self, failure: Option<KustoError>) -> Result<()> {
        let Some(mut table) = self.open_table.take() else {
            return Err(WireError::WriterOutOfOrder {
                operation: "end_table",
                state: "no table is open",
            });
        };
        self.close_fragment(&mut table);

        let mut in_band_errors = Vec::new();
        if let Some(limit) = table.truncated_by {
            self.completion_events.push(CompletionEvent {
                status_code: STATUS_CODE_RESULT_SET_TOO_LARGE,
                status_code_name: format!(
                    "Query result set too large (E_QUERY_RESULT_SET_TOO_LARGE). ({STATUS_CODE_RESULT_SET_TOO_LARGE})"
                ),
                event_type: 1,
                event_type_name: "QueryLimitsExceeded",
                text: limit.description(),
            });
            if !self.limits.defer_partial_query_failures {
                in_band_errors.push(KustoError::result_set_too_large(limit));
            }
        }
        if let Some(error) = failure {
            self.completion_events
                .push(CompletionEvent::from_error(&error));
            in_band_errors.push(error);
        }

        let error_context =
            ErrorContext::new(&self.context.client_request_id, &self.context.activity_id);
        if self.options.fragment_primary_tables {
            self.begin_frame();
            let mut frame = JsonObject::begin(&mut self.buffer);
            frame.string("FrameType", "TableCompletion");
            frame.integer("TableId", table.table_id);
            frame.integer("RowCount", table.rows_written);
            if !in_band_errors.is_empty() {
                write_error_list(frame.key("OneApiErrors"), &in_band_errors, &error_context);
            }
            frame.end();
        } else {
            if !in_band_errors.is_empty() {
                if table.rows_written > 0 {
                    self.buffer.push(b',');
                }
                let mut error_row = JsonObject::begin(&mut self.buffer);
                write_error_list(
                    error_row.key("OneApiErrors"),
                    &in_band_errors,
                    &error_context,
                );
                error_row.end();
            }
            // Closes "Rows":[ and the DataTable frame opened in begin_table.
            self.buffer.extend_from_slice(b"]}");
        }
        self.dataset_errors.extend(in_band_errors);
        self.table_statistics.push(TableStatistics {
            rows: table.rows_written,
            bytes: table.row_bytes_written,
        });
        self.flush_buffer()
    }

    /// Writes a whole table from an iterator of batches: `begin_table`, the batches until the table
    /// is truncated (the rest are not pulled), `end_table`.
    pub fn write_batches<'b>(
        &mut self,
        name: &str,
        schema: &SchemaRef,
        batches: impl IntoIterator<Item = &'b RecordBatch>,
    ) -> Result<TableStatus> {
        self.begin_table(name, schema)?;
        let mut status = TableStatus::Accepting;
        for batch in batches {
            status = self.write_batch(batch)?;
            if status == TableStatus::Truncated {
                break;
            }
        }
        self.end_table()?;
        Ok(status)
    }

    /// Writes a materialized table (see [`V2Writer::write_batches`]).
    pub fn write_table(&mut self, table: &ResultTable) -> Result<TableStatus> {
        self.write_batches(&table.name, &table.schema, &table.batches)
    }

    /// Records an error not tied to one table (e.g. the query failed between tables): it makes
    /// DataSetCompletion `HasErrors:true` with the error in `OneApiErrors`.
    pub fn record_error(&mut self, error: KustoError) {
        self.completion_events
            .push(CompletionEvent::from_error(&error));
        self.dataset_errors.push(error);
    }

    /// Writes QueryCompletionInformation and DataSetCompletion, closes the array and returns the
    /// output. A table still open is ended first.
    pub fn finish(mut self) -> Result<W> {
        if self.open_table.is_some() {
            self.end_table()?;
        }
        self.write_query_completion_information();
        self.begin_frame();
        let error_context =
            ErrorContext::new(&self.context.client_request_id, &self.context.activity_id);
        let mut frame = JsonObject::begin(&mut self.buffer);
        frame.string("FrameType", "DataSetCompletion");
        frame.boolean("HasErrors", !self.dataset_errors.is_empty());
        frame.boolean("Cancelled", false);
        if !self.dataset_errors.is_empty() {
            write_error_list(
                frame.key("OneApiErrors"),
                &self.dataset_errors,
                &error_context,
            );
        }
        frame.end();
        let closing: &[u8] = if self.options.newlines_between_frames {
            b"\n]"
        } else {
            b"]"
        };
        self.buffer.extend_from_slice(closing);
        self.flush_buffer()?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn take_table_id(&mut self) -> u32 {
        let table_id = self.next_table_id;
        self.next_table_id += 1;
        table_id
    }

    /// The separator before a frame: `[` for the first, then `,` (or `\n,` with newline framing).
    fn begin_frame(&mut self) {
        if !self.array_opened {
            self.array_opened = true;
            self.buffer.push(b'[');
            return;
        }
        if self.options.newlines_between_frames {
            self.buffer.push(b'\n');
        }
        self.buffer.push(b',');
    }

    fn flush_buffer(&mut self) -> Result<()> {
        if !self.buffer.is_empty() {
            self.out.write_all(&self.buffer)?;
            self.buffer.clear();
        }
        Ok(())
    }

    fn write_dataset_header(&mut self) {
        self.begin_frame();
        let mut frame = JsonObject::begin(&mut self.buffer);
        frame.string("FrameType", "DataSetHeader");
        frame.boolean("IsProgressive", false);
        frame.string("Version", "v2.0");
        // Go asserts exactly these keys, in this order, when it asked for fragments; Python's
        // streaming parser only needs the first three.
        if self.options.fragment_primary_tables {
            frame.boolean("IsFragmented", true);
            frame.string("ErrorReportingPlacement", "EndOfTable");
        }
        frame.end();
    }

    fn write_query_properties(&mut self, visualizations: &[Visualization]) {
        let table_id = self.take_table_id();
        self.begin_frame();
        let columns = [("TableId", "int"), ("Key", "string"), ("Value", "dynamic")];
        let mut frame = JsonObject::begin(&mut self.buffer);
        write_table_preamble(
            &mut frame,
            "DataTable",
            table_id,
            "QueryProperties",
            "@ExtendedProperties",
            &columns,
        );
        let rows = frame.key("Rows");
        rows.push(b'[');
        for (position, visualization) in visualizations.iter().enumerate() {
            if position > 0 {
                rows.push(b',');
            }
            let primary_table_id = visualization.primary_table_index + 1;
            let _ = write!(rows, "[{primary_table_id},\"Visualization\",");
            // Kusto sends the Value as JSON text inside a string, not as an object.
            write_json_string(rows, &visualization.properties_json);
            rows.push(b']');
        }
        rows.push(b']');
        frame.end();
    }

    fn write_query_completion_information(&mut self) {
        let table_id = self.take_table_id();
        self.begin_frame();
        let columns = [
            ("Timestamp", "datetime"),
            ("ClientRequestId", "string"),
            ("ActivityId", "guid"),
            ("SubActivityId", "guid"),
            ("ParentActivityId", "guid"),
            ("Level", "int"),
            ("LevelName", "string"),
            ("StatusCode", "int"),
            ("StatusCodeName", "string"),
            ("EventType", "int"),
            ("EventTypeName", "string"),
            ("Payload", "string"),
        ];
        let finished_nanos = now_nanos();
        let timestamp = format_datetime(finished_nanos);
        let sub_activity_id = uuid::Uuid::new_v4().to_string();
        let execution_seconds =
            Duration::from_nanos(u64::try_from(finished_nanos - self.started_nanos).unwrap_or(0))
                .as_secs_f64();

        let mut rows = Vec::with_capacity(self.completion_events.len() + 2);
        if self.completion_events.is_empty() {
            rows.push(CompletionRow {
                level: 4,
                level_name: "Info",
                status_code: 0,
                status_code_name: "S_OK (0)".to_string(),
                event_type: 4,
                event_type_name: "QueryInfo",
                payload: text_payload("Query completed successfully"),
            });
        }
        for event in &self.completion_events {
            rows.push(CompletionRow {
                level: 2,
                level_name: "Error",
                status_code: event.status_code,
                status_code_name: event.status_code_name.clone(),
                event_type: event.event_type,
                event_type_name: event.event_type_name,
                payload: text_payload(&event.text),
            });
        }
        rows.push(CompletionRow {
            level: 6,
            level_name: "Stats",
            status_code: 0,
            status_code_name: "S_OK (0)".to_string(),
            event_type: 0,
            event_type_name: "QueryResourceConsumption",
            payload: self.stats_payload(execution_seconds),
        });

        let mut frame = JsonObject::begin(&mut self.buffer);
        write_table_preamble(
            &mut frame,
            "DataTable",
            table_id,
            "QueryCompletionInformation",
            "QueryCompletionInformation",
            &columns,
        );
        let out = frame.key("Rows");
        out.push(b'[');
        for (position, row) in rows.iter().enumerate() {
            if position > 0 {
                out.push(b',');
            }
            out.push(b'[');
            write_json_string(out, &timestamp);
            out.push(b',');
            write_json_string(out, &self.context.client_request_id);
            out.push(b',');
            write_json_string(out, &self.context.activity_id);
            out.push(b',');
            write_json_string(out, &sub_activity_id);
            out.push(b',');
            write_json_string(out, &self.context.activity_id);
            let _ = write!(out, ",{},", row.level);
            write_json_string(out, row.level_name);
            let _ = write!(out, ",{},", row.status_code);
            write_json_string(out, &row.status_code_name);
            let _ = write!(out, ",{},", row.event_type);
            write_json_string(out, row.event_type_name);
            out.push(b',');
            write_json_string(out, &row.payload);
            out.push(b']');
        }
        out.push(b']');
        frame.end();
    }

    fn stats_payload(&self, execution_seconds: f64) -> String {
        let mut payload = Vec::new();
        let mut stats = JsonObject::begin(&mut payload);
        let _ = write!(stats.key("ExecutionTime"), "{execution_seconds:.7}");
        let tables = stats.key("dataset_statistics");
        tables.push(b'[');
        for (position, table) in self.table_statistics.iter().enumerate() {
            if position > 0 {
                tables.push(b',');
            }
            let _ = write!(
                tables,
                "{{\"table_row_count\":{},\"table_size\":{}}}",
                table.rows, table.bytes
            );
        }
        tables.push(b']');
        stats.end();
        String::from_utf8_lossy(&payload).into_owned()
    }
}

/// `"FrameType", "TableId", "TableKind", "TableName", "Columns"`: the order Go asserts and
/// Python's streaming parser needs before `Rows`.
fn write_table_preamble(
    frame: &mut JsonObject<'_>,
    frame_type: &str,
    table_id: u32,
    table_kind: &str,
    table_name: &str,
    columns: &[(&str, &str)],
) {
    frame.string("FrameType", frame_type);
    frame.integer("TableId", table_id);
    frame.string("TableKind", table_kind);
    frame.string("TableName", table_name);
    let out = frame.key("Columns");
    out.push(b'[');
    for (position, (column_name, column_type)) in columns.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        let mut column = JsonObject::begin(out);
        column.string("ColumnName", column_name);
        column.string("ColumnType", column_type);
        column.end();
    }
    out.push(b']');
}

fn write_error_list(out: &mut Vec<u8>, errors: &[KustoError], context: &ErrorContext) {
    out.push(b'[');
    for (position, error) in errors.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        error.write_json(context, out);
    }
    out.push(b']');
}

/// QueryCompletionInformation's `{"Count":1,"Text":"..."}` payload, as JSON text.
fn text_payload(text: &str) -> String {
    let mut payload = Vec::new();
    let mut object = JsonObject::begin(&mut payload);
    object.integer("Count", 1);
    object.string("Text", text);
    object.end();
    String::from_utf8_lossy(&payload).into_owned()
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests;
