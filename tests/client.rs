//! A minimal blocking Kusto REST client for tests: v2 queries, v1 management commands and
//! streaming ingestion, returning primary tables as rows of JSON cells.

use serde_json::Value;

#[derive(Clone)]
pub struct KustoClient {
    base: String,
    http: reqwest::Client,
    runtime: std::sync::Arc<tokio::runtime::Runtime>,
}

/// A primary result table: column names and Kusto types, and rows of JSON cells as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryOutcome {
    Tables(Vec<Table>),
    /// HTTP status and the error's `@message`.
    Error { status: u16, message: String },
}

impl QueryOutcome {
    pub fn tables(self) -> Vec<Table> {
        match self {
            QueryOutcome::Tables(tables) => tables,
            QueryOutcome::Error { status, message } => panic!("expected success, got HTTP {status}: {message}"),
        }
    }
}

impl KustoClient {
    pub fn new(base: &str) -> KustoClient {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a client runtime");
        KustoClient { base: base.trim_end_matches('/').to_string(), http: reqwest::Client::new(), runtime: std::sync::Arc::new(runtime) }
    }

    fn post(&self, path: &str, body: Vec<u8>, content_encoding: Option<&str>) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.post(url).body(body).header("content-type", "application/json");
        if let Some(encoding) = content_encoding {
            request = request.header("content-encoding", encoding);
        }
        self.runtime.block_on(async {
            match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let bytes = response.bytes().await.map(|bytes| bytes.to_vec()).unwrap_or_default();
                    (status, bytes)
                }
                Err(error) => (0, error.to_string().into_bytes()),
            }
        })
    }

    fn request_body(database: &str, text: &str) -> Vec<u8> {
        serde_json::json!({"db": database, "csl": text}).to_string().into_bytes()
    }

    pub fn query(&self, database: &str, text: &str) -> QueryOutcome {
        let (status, body) = self.post("/v2/rest/query", Self::request_body(database, text), None);
        parse_v2(status, &body)
    }

    pub fn mgmt(&self, database: &str, text: &str) -> QueryOutcome {
        let (status, body) = self.post("/v1/rest/mgmt", Self::request_body(database, text), None);
        parse_v1(status, &body)
    }

    /// Streaming ingestion; `query` is the URL's query string (e.g. `streamFormat=csv`).
    pub fn ingest(&self, database: &str, table: &str, query: &str, body: &[u8], gzip: bool) -> QueryOutcome {
        let (payload, encoding) = if gzip {
            use std::io::Write;
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = encoder.write_all(body);
            (encoder.finish().unwrap_or_default(), Some("gzip"))
        } else {
            (body.to_vec(), None)
        };
        let (status, body) = self.post(&format!("/v1/rest/ingest/{database}/{table}?{query}"), payload, encoding);
        parse_v1(status, &body)
    }
}

fn error_outcome(status: u16, body: &[u8]) -> QueryOutcome {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| value.pointer("/error/@message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    QueryOutcome::Error { status, message }
}

fn columns_of(value: &Value) -> Vec<(String, String)> {
    value
        .get("Columns")
        .and_then(Value::as_array)
        .map(|columns| {
            columns
                .iter()
                .map(|column| {
                    let name = column.get("ColumnName").and_then(Value::as_str).unwrap_or_default().to_string();
                    let kind = column.get("ColumnType").and_then(Value::as_str).unwrap_or_default().to_string();
                    (name, kind)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn rows_of(value: &Value) -> Result<Vec<Vec<Value>>, String> {
    let mut rows = Vec::new();
    for row in value.get("Rows").and_then(Value::as_array).into_iter().flatten() {
        match row {
            Value::Array(cells) => rows.push(cells.clone()),
            other => return Err(format!("in-band error: {other}")),
        }
    }
    Ok(rows)
}

fn parse_v2(status: u16, body: &[u8]) -> QueryOutcome {
    if status != 200 {
        return error_outcome(status, body);
    }
    let frames: Vec<Value> = match serde_json::from_slice(body) {
        Ok(frames) => frames,
        Err(error) => return QueryOutcome::Error { status, message: format!("unparsable v2 body: {error}") },
    };
    let mut tables = Vec::new();
    for frame in &frames {
        if frame.get("FrameType").and_then(Value::as_str) == Some("DataTable")
            && frame.get("TableKind").and_then(Value::as_str) == Some("PrimaryResult")
        {
            match rows_of(frame) {
                Ok(rows) => tables.push(Table { columns: columns_of(frame), rows }),
                Err(message) => return QueryOutcome::Error { status, message },
            }
        }
    }
    QueryOutcome::Tables(tables)
}

fn parse_v1(status: u16, body: &[u8]) -> QueryOutcome {
    if status != 200 {
        return error_outcome(status, body);
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => return QueryOutcome::Error { status, message: format!("unparsable v1 body: {error}") },
    };
    let mut tables = Vec::new();
    if let Some(first) = value.get("Tables").and_then(Value::as_array).and_then(|tables| tables.first()) {
        match rows_of(first) {
            Ok(rows) => tables.push(Table { columns: columns_of(first), rows }),
            Err(message) => return QueryOutcome::Error { status, message },
        }
    }
    QueryOutcome::Tables(tables)
}
