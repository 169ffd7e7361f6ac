//! Streaming ingestion (`POST /v1/rest/ingest/{db}/{table}?streamFormat=...&mappingName=...`) and
//! the parsing shared with `.ingest inline`: look up the table and mapping, inflate and parse on
//! the blocking pool (never on the I/O runtime), then commit through the group committer.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use tarn_common::limits::INGEST_BODY_BYTES_MAX;
use tarn_ingest::{IngestOutcome, IngestRequest};
use tarn_ingest::format::{DataFormat, IngestionMapping, ParseOptions, decompress_if_gzip, parse_body};
use tarn_wire::KustoError;

use crate::errors;
use crate::http::{AppState, IngestPath, RequestIds, error_response, json_response, query_parameter};
use crate::node::Node;

/// What to ingest and how, whichever way it arrived.
pub struct IngestSpec {
    pub database: String,
    pub table: String,
    pub format: DataFormat,
    pub mapping_name: Option<String>,
    pub skip_first_record: bool,
    pub tags: Vec<String>,
    pub ingest_if_not_exists: Vec<String>,
}

/// Kusto passes tag lists as JSON array text (`'["ingest-by:x"]'`); a bare value is one tag.
pub fn tag_list(text: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(tags) => tags,
        Err(_) => text.split(',').map(str::trim).filter(|tag| !tag.is_empty()).map(str::to_string).collect(),
    }
}

/// Parses `body` into the table's schema and commits it (nothing is added when an
/// `ingestIfNotExists` tag matched: `duplicate` says so).
pub async fn ingest_body(node: &Arc<Node>, spec: IngestSpec, body: Bytes, content_encoding: Option<String>) -> Result<IngestOutcome, KustoError> {
    node.metrics.ingest_requests.fetch_add(1, Ordering::Relaxed);
    let result = ingest_body_inner(node, spec, body, content_encoding).await;
    if result.is_err() {
        node.metrics.ingest_errors.fetch_add(1, Ordering::Relaxed);
    }
    result
}

async fn ingest_body_inner(node: &Arc<Node>, spec: IngestSpec, body: Bytes, content_encoding: Option<String>) -> Result<IngestOutcome, KustoError> {
    let catalog = node.meta.catalog();
    let Some(database) = catalog.database(&spec.database) else {
        return Err(errors::database_not_found(&spec.database));
    };
    let Some(table) = database.tables.get(&spec.table) else {
        return Err(errors::table_not_found(&spec.database, &spec.table));
    };
    let mapping = match &spec.mapping_name {
        None => None,
        Some(name) => {
            let kind = mapping_kind(spec.format);
            let Some(mapping) = table.mappings.get(&(kind.to_string(), name.clone())) else {
                return Err(errors::not_found(format!(
                    "Mapping reference '{name}' of type 'mappingReference' in database '{}' could not be found (kind {kind}, table '{}').",
                    spec.database, spec.table
                )));
            };
            Some(IngestionMapping::parse(&mapping.text).map_err(errors::format)?)
        }
    };
    let columns = table.columns.clone();
    let format = spec.format;
    let options = ParseOptions { skip_first_record: spec.skip_first_record, ..ParseOptions::default() };
    let parse_columns = columns.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let inflated = decompress_if_gzip(&body, content_encoding.as_deref(), INGEST_BODY_BYTES_MAX)?;
        let bytes = inflated.len() as u64;
        parse_body(&inflated, format, &parse_columns, mapping.as_ref(), &options).map(|parsed| (parsed, bytes))
    })
    .await
    .map_err(|error| errors::internal(error.to_string()))?;
    let (parsed, bytes) = parsed.map_err(errors::format)?;
    node.metrics.ingest_bad_values.fetch_add(parsed.errors_total, Ordering::Relaxed);
    let request = IngestRequest {
        database: spec.database,
        table: spec.table,
        columns,
        batches: parsed.batches,
        create_table: false,
        tags: spec.tags,
        ingest_if_not_exists: spec.ingest_if_not_exists,
    };
    let outcome = node.ingest(request).await?;
    if !outcome.duplicate {
        node.metrics.ingested_bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    Ok(outcome)
}

/// The mapping kind a format's mappings are stored under.
pub fn mapping_kind(format: DataFormat) -> &'static str {
    match format {
        DataFormat::Json | DataFormat::MultiJson | DataFormat::SingleJson => "json",
        DataFormat::Parquet => "parquet",
        _ => "csv",
    }
}

pub async fn streaming_ingest(
    State(state): State<AppState>,
    path: IngestPath,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ids = RequestIds::new(&headers, None);
    let (database, table) = path.0;
    let format = match query_parameter(&pairs, "streamFormat") {
        Some(name) => match DataFormat::parse(name) {
            Ok(format) => format,
            Err(error) => return error_response(&errors::format(error), &ids),
        },
        None => return error_response(&errors::bad_request("streamFormat is required (csv, json, multijson, parquet, ...)"), &ids),
    };
    if query_parameter(&pairs, "sourceKind").is_some_and(|kind| kind.eq_ignore_ascii_case("uri")) {
        return error_response(&errors::bad_request("ingestion from a blob URI is not supported; send the data in the body"), &ids);
    }
    let spec = IngestSpec {
        database,
        table,
        format,
        mapping_name: query_parameter(&pairs, "mappingName").map(str::to_string),
        skip_first_record: query_parameter(&pairs, "ignoreFirstRecord").is_some_and(|value| value.eq_ignore_ascii_case("true")),
        // Tarn extensions for idempotent retries (Kusto's streaming ingestion has no tags).
        tags: query_parameter(&pairs, "tags").map(tag_list).unwrap_or_default(),
        ingest_if_not_exists: query_parameter(&pairs, "ingestIfNotExists").map(tag_list).unwrap_or_default(),
    };
    let content_encoding = headers.get("content-encoding").and_then(|value| value.to_str().ok()).map(str::to_string);
    let node = Arc::clone(&state.node);
    let task = state.query_runtime.spawn(async move { ingest_body(&node, spec, body, content_encoding).await });
    match task.await {
        Ok(Ok(outcome)) => json_response(tarn_wire::streaming_ingest_reply(outcome.rows), &ids),
        Ok(Err(error)) => error_response(&error, &ids),
        Err(error) => error_response(&errors::internal(error.to_string()), &ids),
    }
}

#[cfg(test)]
mod tests {
    use super::tag_list;

    /// Proves both ways clients spell tag lists are understood.
    #[test]
    fn tag_lists() {
        assert_eq!(tag_list(r#"["ingest-by:a","drop-by:b"]"#), vec!["ingest-by:a", "drop-by:b"]);
        assert_eq!(tag_list("ingest-by:a, ingest-by:b"), vec!["ingest-by:a", "ingest-by:b"]);
        assert!(tag_list("").is_empty());
    }
}
