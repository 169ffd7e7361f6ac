//! [`Client`]: one or more node URLs, an optional bearer token, a retry policy; sends queries
//! (`/v2/rest/query`), management commands (`/v1/rest/mgmt`) and, in [`crate::ingest`],
//! streaming ingestion, retrying and failing over as [`crate::retry`] decides.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::connection::{ConnectionString, normalize_url};
use crate::frames::scanner::Layout;
use crate::options::{COMMAND_SERVER_TIMEOUT_DEFAULT, QUERY_SERVER_TIMEOUT_DEFAULT, QueryOptions};
use crate::response::QueryStream;
use crate::result::{ResultTable, TableHeader, TableKind};
use crate::retry::{RetryPolicy, Safety, should_retry};
use crate::value::display::cell_text;
use crate::{Error, Result};

/// The database a client uses when none is named (Kusto's emulator default).
pub const DATABASE_DEFAULT: &str = "NetDefaultDB";
/// The most bytes of an error response body that are read.
const ERROR_BODY_BYTES_MAX: usize = 1024 * 1024;
const CLIENT_VERSION: &str = concat!("Tarn.Rust.Client:", env!("CARGO_PKG_VERSION"));

/// A client for Tarn or any server that speaks Kusto's REST protocol. Cheap to clone; clones
/// share connections and the current node.
///
/// ```
/// use tarn_client::Client;
///
/// let client = Client::new("Data Source=http://127.0.0.1:8080;Initial Catalog=Telemetry")?;
/// assert_eq!(client.default_database(), "Telemetry");
/// assert_eq!(client.endpoints(), ["http://127.0.0.1:8080"]);
/// # Ok::<(), tarn_client::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoints: Vec<String>,
    /// The node requests go to first; moves on after a connection error or a 5xx.
    current_endpoint: AtomicUsize,
    token: Option<String>,
    default_database: String,
    retry: RetryPolicy,
    application: String,
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use tarn_client::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .urls(["http://node-a:8080", "http://node-b:8080"])
///     .default_database("Telemetry")
///     .bearer_token("eyJ0eXAi...")
///     .retry_policy(RetryPolicy::default().attempts_max(10))
///     .connect_timeout(Duration::from_secs(2))
///     .build()?;
/// assert_eq!(client.endpoints().len(), 2);
/// # Ok::<(), tarn_client::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    urls: Vec<String>,
    token: Option<String>,
    default_database: Option<String>,
    retry: RetryPolicy,
    connect_timeout: Duration,
    application: String,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            urls: Vec::new(),
            token: None,
            default_database: None,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            application: "tarn-client".to_string(),
        }
    }
}

impl ClientBuilder {
    /// Takes URLs, database and token from a connection string (see [`ConnectionString`]).
    pub fn connection_string(mut self, text: &str) -> Result<ClientBuilder> {
        let parsed = ConnectionString::parse(text)?;
        self.urls.extend(parsed.urls);
        if parsed.database.is_some() {
            self.default_database = parsed.database;
        }
        if parsed.token.is_some() {
            self.token = parsed.token;
        }
        Ok(self)
    }

    pub fn url(mut self, url: impl Into<String>) -> ClientBuilder {
        self.urls.push(url.into());
        self
    }

    /// Several nodes of one cluster: requests go to the first that answers.
    pub fn urls(mut self, urls: impl IntoIterator<Item = impl Into<String>>) -> ClientBuilder {
        self.urls.extend(urls.into_iter().map(Into::into));
        self
    }

    /// Sent as `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: impl Into<String>) -> ClientBuilder {
        self.token = Some(token.into());
        self
    }

    pub fn default_database(mut self, database: impl Into<String>) -> ClientBuilder {
        self.default_database = Some(database.into());
        self
    }

    pub fn retry_policy(mut self, retry: RetryPolicy) -> ClientBuilder {
        self.retry = retry;
        self
    }

    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// Sent as `x-ms-app` (shows in the server's request log).
    pub fn application(mut self, name: impl Into<String>) -> ClientBuilder {
        self.application = name.into();
        self
    }

    pub fn build(self) -> Result<Client> {
        if self.urls.is_empty() {
            return Err(Error::config("a client needs at least one URL"));
        }
        let endpoints = self
            .urls
            .iter()
            .map(|url| normalize_url(url))
            .collect::<Result<Vec<_>>>()?;
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|error| Error::config(format!("the HTTP client: {error}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoints,
                current_endpoint: AtomicUsize::new(0),
                token: self.token,
                default_database: self
                    .default_database
                    .unwrap_or_else(|| DATABASE_DEFAULT.to_string()),
                retry: self.retry,
                application: self.application,
            }),
        })
    }
}

/// One request, ready to be sent (and sent again).
pub(crate) struct Outgoing {
    pub(crate) path_and_query: String,
    pub(crate) body: Bytes,
    pub(crate) content_type: &'static str,
    pub(crate) content_encoding: Option<&'static str>,
    pub(crate) timeout: Duration,
    pub(crate) safety: Safety,
    pub(crate) request_id: String,
}

impl Client {
    /// A client from a connection string or a URL, with the default retry policy.
    pub fn new(connection: &str) -> Result<Client> {
        ClientBuilder::default()
            .connection_string(connection)?
            .build()
    }

    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub fn default_database(&self) -> &str {
        &self.inner.default_database
    }

    pub fn endpoints(&self) -> &[String] {
        &self.inner.endpoints
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// A client for one of this client's nodes only (same token and database, its own retry
    /// policy), e.g. to ask every node of a cluster for its status.
    pub fn for_endpoint(&self, index: usize, retry: RetryPolicy) -> Result<Client> {
        let url = self
            .inner
            .endpoints
            .get(index)
            .ok_or_else(|| Error::config(format!("no endpoint number {index}")))?;
        let mut builder = Client::builder()
            .url(url.clone())
            .default_database(self.inner.default_database.clone())
            .retry_policy(retry)
            .application(self.inner.application.clone());
        if let Some(token) = &self.inner.token {
            builder = builder.bearer_token(token.clone());
        }
        builder.build()
    }

    pub(crate) fn new_request_id(kind: &str) -> String {
        format!("TarnRS.{kind};{}", uuid::Uuid::new_v4())
    }

    /// Sends `outgoing`, retrying and failing over per the policy; the successful response.
    pub(crate) async fn send(&self, outgoing: &Outgoing) -> Result<reqwest::Response> {
        let policy = self.inner.retry;
        let endpoint_count = self.inner.endpoints.len().max(1);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let endpoint_index =
                self.inner.current_endpoint.load(Ordering::Relaxed) % endpoint_count;
            let base = self
                .inner
                .endpoints
                .get(endpoint_index)
                .cloned()
                .unwrap_or_default();
            let url = format!("{base}{}", outgoing.path_and_query);
            let mut request = self
                .inner
                .http
                .post(&url)
                .timeout(outgoing.timeout)
                .header("accept", "application/json")
                .header("content-type", outgoing.content_type)
                .header("x-ms-client-request-id", &outgoing.request_id)
                .header("x-ms-client-version", CLIENT_VERSION)
                .header("x-ms-app", &self.inner.application)
                .header("x-ms-version", "2024-12-12")
                .body(outgoing.body.clone());
            if let Some(encoding) = outgoing.content_encoding {
                request = request.header("content-encoding", encoding);
            }
            if let Some(token) = &self.inner.token {
                request = request.bearer_auth(token);
            }
            let (error, retry_after, fail_over) = match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = read_bounded(response, ERROR_BODY_BYTES_MAX).await;
                    (
                        Error::from_response(status, &url, &body),
                        retry_after,
                        status >= 500,
                    )
                }
                Err(source) if source.is_timeout() => (
                    Error::Timeout {
                        url: url.clone(),
                        after: outgoing.timeout,
                    },
                    None,
                    true,
                ),
                Err(source) => {
                    let connect = source.is_connect();
                    (
                        Error::Transport {
                            url: url.clone(),
                            connect,
                            source,
                        },
                        None,
                        true,
                    )
                }
            };
            if attempt >= policy.attempts() || !should_retry(&error, outgoing.safety) {
                return Err(error);
            }
            if fail_over && endpoint_count > 1 {
                // Only the request that saw the failure moves the shared cursor.
                let _ = self.inner.current_endpoint.compare_exchange(
                    endpoint_index,
                    (endpoint_index + 1) % endpoint_count,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
            let delay = retry_after
                .map(|wait| wait.min(policy.backoff_max()))
                .unwrap_or_else(|| policy.delay_before_retry(attempt));
            tokio::time::sleep(delay).await;
        }
    }

    fn request_body(database: &str, text: &str, options: &QueryOptions) -> Bytes {
        let body: Value = json!({
            "db": database,
            "csl": text,
            "properties": options.properties_json(),
        });
        Bytes::from(body.to_string())
    }

    /// Runs a KQL query against `database`; the result streams in as it is read. Tarn is asked
    /// for the fragmented, newline-framed v2 form; other servers' default form is read as well.
    ///
    /// ```no_run
    /// # async fn example() -> tarn_client::Result<()> {
    /// let client = tarn_client::Client::new("http://127.0.0.1:8080")?;
    /// let mut result = client.query("NetDefaultDB", "range x from 1 to 1000000 step 1").await?;
    /// let mut rows = 0;
    /// while let Some(batch) = result.next_batch().await? {
    ///     rows += batch.batch.num_rows();
    /// }
    /// assert_eq!(rows, 1_000_000);
    /// # Ok(()) }
    /// ```
    pub async fn query(&self, database: &str, kql: &str) -> Result<QueryStream> {
        self.query_with(database, kql, &QueryOptions::default())
            .await
    }

    /// [`Client::query`] with request properties and parameters.
    pub async fn query_with(
        &self,
        database: &str,
        kql: &str,
        options: &QueryOptions,
    ) -> Result<QueryStream> {
        let options = options
            .with_option_if_absent("results_v2_fragment_primary_tables", true)
            .with_option_if_absent("results_v2_newlines_between_frames", true)
            .with_option_if_absent("results_error_reporting_placement", "end_of_table");
        let timeout = options.effective_client_timeout(QUERY_SERVER_TIMEOUT_DEFAULT);
        let outgoing = Outgoing {
            path_and_query: "/v2/rest/query".to_string(),
            body: Client::request_body(database, kql, &options),
            content_type: "application/json; charset=utf-8",
            content_encoding: None,
            timeout,
            safety: Safety::Idempotent,
            request_id: options
                .request_id()
                .map_or_else(|| Client::new_request_id("execute"), str::to_string),
        };
        let response = self.send(&outgoing).await?;
        Ok(QueryStream::new(
            response,
            Layout::V2,
            options.batch_rows_or_default(),
            timeout,
        ))
    }

    /// Runs a management command (`.create table ...`, `.show tables`, ...) and returns its
    /// tables. Commands other than `.show` are retried only when the server cannot have run them.
    ///
    /// ```no_run
    /// # async fn example() -> tarn_client::Result<()> {
    /// let client = tarn_client::Client::new("http://127.0.0.1:8080")?;
    /// client.execute_mgmt("NetDefaultDB", ".create table Events (at:datetime, name:string)").await?;
    /// let tables = client.execute_mgmt("NetDefaultDB", ".show tables").await?;
    /// println!("{} tables", tables[0].num_rows());
    /// # Ok(()) }
    /// ```
    pub async fn execute_mgmt(&self, database: &str, command: &str) -> Result<Vec<ResultTable>> {
        self.execute_mgmt_with(database, command, &QueryOptions::default())
            .await
    }

    /// [`Client::execute_mgmt`] with request properties.
    pub async fn execute_mgmt_with(
        &self,
        database: &str,
        command: &str,
        options: &QueryOptions,
    ) -> Result<Vec<ResultTable>> {
        let read_only = command
            .trim_start()
            .get(..5)
            .is_some_and(|start| start.eq_ignore_ascii_case(".show"));
        let timeout = options.effective_client_timeout(COMMAND_SERVER_TIMEOUT_DEFAULT);
        let outgoing = Outgoing {
            path_and_query: "/v1/rest/mgmt".to_string(),
            body: Client::request_body(database, command, options),
            content_type: "application/json; charset=utf-8",
            content_encoding: None,
            timeout,
            safety: if read_only {
                Safety::Idempotent
            } else {
                Safety::NotIdempotent
            },
            request_id: options
                .request_id()
                .map_or_else(|| Client::new_request_id("execute"), str::to_string),
        };
        let response = self.send(&outgoing).await?;
        let stream = QueryStream::new(
            response,
            Layout::V1,
            options.batch_rows_or_default(),
            timeout,
        );
        let tables = stream.collect_all_tables().await?;
        Ok(label_v1_tables(tables))
    }
}

/// v1 tables carry no kind: one table is the result; with two, the second is QueryProperties;
/// with three or more, the last is a table of contents whose `Kind` column names the others.
fn label_v1_tables(tables: Vec<ResultTable>) -> Vec<ResultTable> {
    let count = tables.len();
    let mut kinds: Vec<TableKind> = vec![TableKind::PrimaryResult; count];
    if count == 2 {
        kinds[1] = TableKind::QueryProperties;
    }
    if count >= 3 {
        kinds[count - 1] = TableKind::TableOfContents;
        if let Some(contents) = tables.last() {
            let kind_column = contents.header.schema.index_of("Kind").ok();
            let mut position = 0;
            for batch in &contents.batches {
                for row in 0..batch.num_rows() {
                    if let (Some(column), Some(kind)) = (kind_column, kinds.get_mut(position)) {
                        *kind = match cell_text(batch.column(column), row).as_str() {
                            "QueryResult" => TableKind::PrimaryResult,
                            "QueryProperties" => TableKind::QueryProperties,
                            other => TableKind::Other(other.to_string()),
                        };
                    }
                    position += 1;
                }
            }
        }
    }
    tables
        .into_iter()
        .zip(kinds)
        .map(|(table, kind)| ResultTable {
            header: Arc::new(TableHeader {
                kind,
                ..(*table.header).clone()
            }),
            batches: table.batches,
        })
        .collect()
}

/// At most `bytes_max` bytes of a response body (an error body, which may be anything).
async fn read_bounded(response: reqwest::Response, bytes_max: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = bytes_max.saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if body.len() >= bytes_max {
            break;
        }
    }
    body
}
