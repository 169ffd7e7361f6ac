//! The HTTP API: Kusto's REST endpoints (`/v2/rest/query`, `/v1/rest/query`, `/v1/rest/mgmt`,
//! `/v1/rest/ingest/{db}/{table}`, `/v1/rest/auth/metadata`) and `/healthz`, `/readyz`, `/metrics`.
//!
//! Queries run on the query runtime, not on the I/O runtime that serves HTTP: a handler only hands
//! the request over and forwards the v2 frames the query task writes, chunk by chunk, so a large
//! result streams with bounded memory and a client that disconnects cancels its query.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures::StreamExt;
use tarn_common::limits::{
    COMMAND_TIMEOUT_DEFAULT_SECONDS, INGEST_REQUEST_BYTES_MAX, QUERY_TIMEOUT_DEFAULT_SECONDS, SERVER_TIMEOUT_MAX_SECONDS,
};
use tarn_common::ErrorKind;
use tarn_meta::DEFAULT_DATABASE;
use tarn_wire::{
    ErrorContext, KustoError, QueryContext, QueryRequest, RequestProperties, ResultLimits, ResultTable, TableStatus,
    V2Options, V2Writer,
};

use crate::errors;
use crate::node::{Node, StartedQuery};
use crate::recent::RequestKind;

#[derive(Clone)]
pub struct AppState {
    pub node: Arc<Node>,
    /// Where queries and commands execute (CPU-heavy DataFusion work).
    pub query_runtime: tokio::runtime::Handle,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v2/rest/query", post(v2_query))
        .route("/v1/rest/query", post(v1_query_post).get(v1_query_get))
        .route("/v1/rest/mgmt", post(management))
        .route("/v1/rest/ingest/{db}/{table}", post(crate::ingest_http::streaming_ingest))
        .route("/v1/rest/auth/metadata", get(auth_metadata))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ready" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(INGEST_REQUEST_BYTES_MAX))
        .with_state(state)
}

/// Who a request is, for `@context`, QueryCompletionInformation and response headers.
#[derive(Clone)]
pub struct RequestIds {
    pub client_request_id: String,
    pub activity_id: String,
}

impl RequestIds {
    pub fn new(headers: &HeaderMap, properties: Option<&RequestProperties>) -> RequestIds {
        let from_header = headers.get("x-ms-client-request-id").and_then(|value| value.to_str().ok()).map(str::to_string);
        let from_properties = properties.and_then(|properties| properties.client_request_id.clone());
        let activity_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = from_properties.or(from_header).unwrap_or_else(|| format!("Tarn.unspecified;{activity_id}"));
        RequestIds { client_request_id, activity_id }
    }

    pub fn query_context(&self) -> QueryContext {
        QueryContext { client_request_id: self.client_request_id.clone(), activity_id: self.activity_id.clone() }
    }

    fn headers(&self, response: &mut Response) {
        if let Ok(value) = HeaderValue::from_str(&self.activity_id) {
            response.headers_mut().insert("x-ms-activity-id", value);
        }
        if let Ok(value) = HeaderValue::from_str(&self.client_request_id) {
            response.headers_mut().insert("x-ms-client-request-id", value);
        }
    }
}

pub fn error_response(error: &KustoError, ids: &RequestIds) -> Response {
    let body = error.to_body(&ErrorContext::new(&ids.client_request_id, &ids.activity_id));
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response();
    ids.headers(&mut response);
    response
}

pub fn json_response(body: Vec<u8>, ids: &RequestIds) -> Response {
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response();
    ids.headers(&mut response);
    response
}

fn database_of(request: &QueryRequest) -> String {
    request.db.clone().filter(|db| !db.is_empty()).unwrap_or_else(|| DEFAULT_DATABASE.to_string())
}

/// `servertimeout` (or `norequesttimeout`), bounded by the maximum.
fn deadline(properties: &RequestProperties, default_seconds: u64) -> Result<Duration, KustoError> {
    let maximum = Duration::from_secs(SERVER_TIMEOUT_MAX_SECONDS);
    if properties.option_bool("norequesttimeout").map_err(errors::wire)?.unwrap_or(false) {
        return Ok(maximum);
    }
    let requested = properties.option_timespan("servertimeout").map_err(errors::wire)?;
    Ok(requested.unwrap_or(Duration::from_secs(default_seconds)).min(maximum))
}

fn timeout_error(limit: Duration) -> KustoError {
    KustoError::new(
        ErrorKind::Timeout,
        format!("Query execution has exceeded the allowed limits (servertimeout {}s).", limit.as_secs()),
    )
}

/// The result limits of the request, with the query's own `set` statements applied on top.
fn effective_limits(properties: &RequestProperties, options: &[(String, String)]) -> Result<ResultLimits, KustoError> {
    let mut limits = ResultLimits::from_properties(properties).map_err(errors::wire)?;
    for (name, value) in options {
        let number = || value.trim().parse::<u64>().map_err(|_| errors::bad_request(format!("set {name}: '{value}' is not a number")));
        let flag = || !matches!(value.trim().to_ascii_lowercase().as_str(), "false" | "0");
        match name.as_str() {
            "notruncation" if flag() => {
                limits.records_max = None;
                limits.bytes_max = None;
            }
            "truncationmaxrecords" => limits.records_max = Some(number()?),
            "truncationmaxsize" => limits.bytes_max = Some(number()?),
            "deferpartialqueryfailures" => limits.defer_partial_query_failures = flag(),
            _ => {}
        }
    }
    Ok(limits)
}

fn visualization_json(visualization: &tarn_planner::Visualization) -> String {
    let mut object = serde_json::Map::new();
    object.insert("Visualization".into(), serde_json::Value::String(visualization.chart.clone()));
    for (name, value) in &visualization.properties {
        let key = match name.to_ascii_lowercase().as_str() {
            "title" => "Title",
            "xcolumn" => "XColumn",
            "ycolumns" => "YColumns",
            "series" => "Series",
            "ymin" => "Ymin",
            "ymax" => "Ymax",
            "xtitle" => "XTitle",
            "ytitle" => "YTitle",
            "xaxis" => "XAxis",
            "yaxis" => "YAxis",
            "legend" => "Legend",
            "ysplit" => "YSplit",
            "accumulate" => "Accumulate",
            "kind" => "Kind",
            _ => name.as_str(),
        };
        object.insert(key.to_string(), serde_json::Value::String(value.clone()));
    }
    serde_json::Value::Object(object).to_string()
}

/// A `Write` whose bytes the query task hands to the HTTP body in chunks.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

type ChunkSender = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Sends what the writer produced so far; false when the client has gone.
async fn forward(buffer: &SharedBuffer, sender: &ChunkSender) -> bool {
    let chunk = buffer.take();
    if chunk.is_empty() {
        return true;
    }
    sender.send(Ok(Bytes::from(chunk))).await.is_ok()
}

async fn v2_query(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match QueryRequest::from_json_body(&body) {
        Ok(request) => request,
        Err(error) => return error_response(&errors::wire(error), &RequestIds::new(&headers, None)),
    };
    let ids = RequestIds::new(&headers, Some(&request.properties));
    let node = Arc::clone(&state.node);
    node.metrics.queries.fetch_add(1, Ordering::Relaxed);
    if tarn_kql::is_command(&request.csl) {
        let error = errors::bad_request("Management commands are sent to /v1/rest/mgmt, not /v2/rest/query.");
        return error_response(&error, &ids);
    }
    let (options, timeout) = match (V2Options::from_properties(&request.properties), deadline(&request.properties, QUERY_TIMEOUT_DEFAULT_SECONDS)) {
        (Ok(options), Ok(timeout)) => (options, timeout),
        (Err(error), _) => return error_response(&errors::wire(error), &ids),
        (_, Err(error)) => return error_response(&error, &ids),
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let (first_sender, first_receiver) = tokio::sync::oneshot::channel::<Result<(), KustoError>>();
    let task_ids = ids.clone();
    state.query_runtime.spawn(async move {
        run_v2_query(node, request, task_ids, options, timeout, sender, first_sender).await;
    });
    match first_receiver.await {
        Ok(Ok(())) => {
            let stream = futures::stream::unfold(receiver, |mut receiver| async move {
                receiver.recv().await.map(|item| (item, receiver))
            });
            let mut response = Response::new(Body::from_stream(stream));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
            ids.headers(&mut response);
            response
        }
        Ok(Err(error)) => error_response(&error, &ids),
        Err(_) => error_response(&errors::internal("the query task ended without an answer"), &ids),
    }
}

async fn run_v2_query(
    node: Arc<Node>,
    request: QueryRequest,
    ids: RequestIds,
    options: V2Options,
    timeout: Duration,
    sender: ChunkSender,
    first: tokio::sync::oneshot::Sender<Result<(), KustoError>>,
) {
    let started_at = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let database = database_of(&request);
    let record = node.recent.begin(RequestKind::Query, &ids.client_request_id, &database, &request.csl);
    let fail = |node: &Node, error: &KustoError| {
        node.metrics.query_errors.fetch_add(1, Ordering::Relaxed);
        node.recent.finish(record, Some(error.at_message.clone()));
    };
    let started = tokio::time::timeout_at(deadline, node.start_query(&database, &request.csl, &request.properties)).await;
    let mut started: StartedQuery = match started {
        Ok(Ok(started)) => started,
        Ok(Err(error)) => {
            fail(&node, &error);
            let _ = first.send(Err(error));
            return;
        }
        Err(_) => {
            let error = timeout_error(timeout);
            fail(&node, &error);
            let _ = first.send(Err(error));
            return;
        }
    };
    let limits = match effective_limits(&request.properties, &started.options) {
        Ok(limits) => limits,
        Err(error) => {
            fail(&node, &error);
            let _ = first.send(Err(error));
            return;
        }
    };
    // The first batch decides between an HTTP error and a streamed answer: most execution errors
    // (bad casts, memory) surface there, and a client handles an HTTP error best.
    let mut first_batch = None;
    if let Some(result) = started.results.first_mut() {
        match tokio::time::timeout_at(deadline, result.stream.next()).await {
            Ok(Some(Err(error))) => {
                let error = errors::datafusion(error);
                fail(&node, &error);
                let _ = first.send(Err(error));
                return;
            }
            Ok(batch) => first_batch = Some(batch),
            Err(_) => {
                let error = timeout_error(timeout);
                fail(&node, &error);
                let _ = first.send(Err(error));
                return;
            }
        }
    }
    if first.send(Ok(())).is_err() {
        return;
    }
    let visualizations: Vec<tarn_wire::Visualization> = started
        .results
        .iter()
        .enumerate()
        .filter_map(|(index, result)| {
            result.visualization.as_ref().map(|visualization| tarn_wire::Visualization {
                primary_table_index: index,
                properties_json: visualization_json(visualization),
            })
        })
        .collect();
    let buffer = SharedBuffer::default();
    let mut writer = match V2Writer::begin(buffer.clone(), options, limits, ids.query_context(), &visualizations) {
        Ok(writer) => writer,
        Err(error) => {
            tracing::error!(%error, "cannot begin v2 frames");
            return;
        }
    };
    let mut failure: Option<String> = None;
    'tables: for (index, mut result) in started.results.into_iter().enumerate() {
        let schema = result.stream.schema();
        if let Err(error) = writer.begin_table("PrimaryResult", &schema) {
            tracing::error!(%error, "cannot begin a result table");
            break;
        }
        let mut pending = if index == 0 { first_batch.take() } else { None };
        loop {
            let next = match pending.take() {
                Some(next) => next,
                None => match tokio::time::timeout_at(deadline, result.stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        let error = timeout_error(timeout);
                        failure = Some(error.at_message.clone());
                        let _ = writer.end_table_with_error(error);
                        break 'tables;
                    }
                },
            };
            match next {
                None => break,
                Some(Ok(batch)) => match writer.write_batch(&batch) {
                    Ok(TableStatus::Accepting) => {}
                    Ok(TableStatus::Truncated) => break,
                    Err(error) => {
                        tracing::error!(%error, "cannot encode a result batch");
                        failure = Some(error.to_string());
                        let _ = writer.end_table_with_error(errors::internal(error.to_string()));
                        break 'tables;
                    }
                },
                Some(Err(error)) => {
                    let error = errors::datafusion(error);
                    failure = Some(error.at_message.clone());
                    let _ = writer.end_table_with_error(error);
                    break 'tables;
                }
            }
            if !forward(&buffer, &sender).await {
                node.recent.finish(record, Some("the client disconnected".into()));
                return; // dropping the streams cancels the query
            }
        }
        if let Err(error) = writer.end_table() {
            tracing::error!(%error, "cannot end a result table");
        }
    }
    if let Err(error) = writer.finish() {
        tracing::error!(%error, "cannot finish v2 frames");
    }
    let _ = forward(&buffer, &sender).await;
    if failure.is_some() {
        node.metrics.query_errors.fetch_add(1, Ordering::Relaxed);
    }
    node.metrics.observe_query(started_at.elapsed().as_secs_f64());
    node.recent.finish(record, failure);
}

async fn v1_query_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match QueryRequest::from_json_body(&body) {
        Ok(request) => v1_query(state, headers, request).await,
        Err(error) => error_response(&errors::wire(error), &RequestIds::new(&headers, None)),
    }
}

async fn v1_query_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    match QueryRequest::from_query_pairs(pairs) {
        Ok(request) => v1_query(state, headers, request).await,
        Err(error) => error_response(&errors::wire(error), &RequestIds::new(&headers, None)),
    }
}

/// `/v1/rest/query`: Grafana and Node's `executeQueryV1`. Commands sent here (Grafana sends
/// `.show databases schema`) run as management commands.
async fn v1_query(state: AppState, headers: HeaderMap, request: QueryRequest) -> Response {
    if tarn_kql::is_command(&request.csl) {
        return run_management(state, headers, request).await;
    }
    let ids = RequestIds::new(&headers, Some(&request.properties));
    let node = Arc::clone(&state.node);
    node.metrics.queries.fetch_add(1, Ordering::Relaxed);
    let task_ids = ids.clone();
    let task = state.query_runtime.spawn(async move {
        let started_at = Instant::now();
        let database = database_of(&request);
        let record = node.recent.begin(RequestKind::Query, &task_ids.client_request_id, &database, &request.csl);
        let timeout = deadline(&request.properties, QUERY_TIMEOUT_DEFAULT_SECONDS)?;
        let outcome = tokio::time::timeout(timeout, collect_v1(&node, &database, &request, &task_ids)).await;
        let outcome = outcome.unwrap_or_else(|_| Err(timeout_error(timeout)));
        node.metrics.observe_query(started_at.elapsed().as_secs_f64());
        match &outcome {
            Ok(_) => node.recent.finish(record, None),
            Err(error) => {
                node.metrics.query_errors.fetch_add(1, Ordering::Relaxed);
                node.recent.finish(record, Some(error.at_message.clone()));
            }
        }
        outcome
    });
    match task.await {
        Ok(Ok(body)) => json_response(body, &ids),
        Ok(Err(error)) => error_response(&error, &ids),
        Err(error) => error_response(&errors::internal(error.to_string()), &ids),
    }
}

async fn collect_v1(node: &Node, database: &str, request: &QueryRequest, ids: &RequestIds) -> Result<Vec<u8>, KustoError> {
    let started = node.start_query(database, &request.csl, &request.properties).await?;
    let limits = effective_limits(&request.properties, &started.options)?;
    let mut tables = Vec::with_capacity(started.results.len());
    let mut visualization = None;
    for mut result in started.results {
        let schema = result.stream.schema();
        let mut batches = Vec::new();
        let mut rows: u64 = 0;
        while let Some(batch) = result.stream.next().await {
            let batch = batch.map_err(errors::datafusion)?;
            rows += batch.num_rows() as u64;
            batches.push(batch);
            if limits.records_max.is_some_and(|max| rows > max) {
                return Err(KustoError::result_set_too_large(tarn_wire::TruncationLimit::Records { records_max: limits.records_max.unwrap_or_default() }));
            }
        }
        if visualization.is_none() {
            visualization = result.visualization.as_ref().map(visualization_json);
        }
        tables.push(ResultTable { name: "PrimaryResult".into(), batches, schema });
    }
    let mut body = Vec::new();
    tarn_wire::write_v1_query_result(&mut body, &tables, &ids.query_context(), visualization.as_deref()).map_err(errors::wire)?;
    Ok(body)
}

async fn management(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match QueryRequest::from_json_body(&body) {
        Ok(request) => run_management(state, headers, request).await,
        Err(error) => error_response(&errors::wire(error), &RequestIds::new(&headers, None)),
    }
}

async fn run_management(state: AppState, headers: HeaderMap, request: QueryRequest) -> Response {
    let ids = RequestIds::new(&headers, Some(&request.properties));
    let node = Arc::clone(&state.node);
    node.metrics.commands.fetch_add(1, Ordering::Relaxed);
    let task = state.query_runtime.spawn(async move {
        let database = database_of(&request);
        let record = node.recent.begin(RequestKind::Command, "", &database, &request.csl);
        let timeout = deadline(&request.properties, COMMAND_TIMEOUT_DEFAULT_SECONDS)?;
        let outcome = tokio::time::timeout(timeout, crate::mgmt::execute(&node, &database, &request)).await;
        let outcome = outcome.unwrap_or_else(|_| Err(timeout_error(timeout)));
        match &outcome {
            Ok(_) => node.recent.finish(record, None),
            Err(error) => {
                node.metrics.command_errors.fetch_add(1, Ordering::Relaxed);
                node.recent.finish(record, Some(error.at_message.clone()));
            }
        }
        let table = outcome?;
        let mut body = Vec::new();
        tarn_wire::write_v1_management_result(&mut body, &table).map_err(errors::wire)?;
        Ok::<Vec<u8>, KustoError>(body)
    });
    match task.await {
        Ok(Ok(body)) => json_response(body, &ids),
        Ok(Err(error)) => error_response(&error, &ids),
        Err(error) => error_response(&errors::internal(error.to_string()), &ids),
    }
}

/// The public-cloud document the SDKs hard-code as their default: Node and Go probe this before
/// their first request, even without authentication.
async fn auth_metadata() -> Response {
    let body = r#"{"AzureAD":{"LoginEndpoint":"https://login.microsoftonline.com","LoginMfaRequired":false,"KustoClientAppId":"db662dc1-0cfe-4e1c-a843-19a68e65be58","KustoClientRedirectUri":"https://microsoft/kustoclient","KustoServiceResourceId":"https://kusto.kusto.windows.net","FirstPartyAuthorityUrl":"https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a"},"dSTS":{}}"#;
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.node.metrics.render(&state.node.gauges());
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Used by the ingest endpoint too.
pub(crate) fn query_parameter<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

pub(crate) type IngestPath = Path<(String, String)>;
