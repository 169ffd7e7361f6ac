//! Per-request settings: Kusto's client request properties (`Options` and `Parameters`: server
//! timeout, consistency, truncation, query parameters, any other option) and the client-side
//! ones (client timeout, request id, rows per batch).
//!
//! ```
//! use std::time::Duration;
//! use tarn_client::{Consistency, QueryOptions};
//!
//! let options = QueryOptions::new()
//!     .server_timeout(Duration::from_secs(90))
//!     .consistency(Consistency::Weak)
//!     .truncation_max_records(10_000)
//!     .parameter("device", "dev-1")
//!     .parameter("threshold", 2.5);
//! let properties = options.properties_json();
//! assert_eq!(properties["Options"]["servertimeout"], "00:01:30");
//! assert_eq!(properties["Options"]["queryconsistency"], "weakconsistency");
//! assert_eq!(properties["Parameters"]["threshold"], 2.5);
//! ```

use std::time::Duration;

use serde_json::{Map, Value};

use crate::value::text::format_timespan;

/// Kusto's default server timeout for queries (4 minutes) and for commands (10 minutes).
pub const QUERY_SERVER_TIMEOUT_DEFAULT: Duration = Duration::from_secs(4 * 60);
pub const COMMAND_SERVER_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10 * 60);
/// How much longer than the server timeout the client waits, as Kusto's SDKs do.
pub const CLIENT_TIMEOUT_MARGIN: Duration = Duration::from_secs(30);
/// Rows per decoded record batch unless set otherwise.
pub const BATCH_ROWS_DEFAULT: usize = 8192;

/// `queryconsistency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    Strong,
    Weak,
}

impl Consistency {
    fn option_value(self) -> &'static str {
        match self {
            Consistency::Strong => "strongconsistency",
            Consistency::Weak => "weakconsistency",
        }
    }
}

/// Settings for one query or command. Start from [`QueryOptions::new`] and chain.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    server_timeout: Option<Duration>,
    client_timeout: Option<Duration>,
    options: Map<String, Value>,
    parameters: Map<String, Value>,
    client_request_id: Option<String>,
    batch_rows: Option<usize>,
}

impl QueryOptions {
    pub fn new() -> QueryOptions {
        QueryOptions::default()
    }

    /// `servertimeout`: how long the server may work on the request. The client waits this plus
    /// 30 seconds unless [`QueryOptions::client_timeout`] says otherwise.
    pub fn server_timeout(mut self, timeout: Duration) -> QueryOptions {
        self.server_timeout = Some(timeout);
        let nanos = i64::try_from(timeout.as_nanos()).unwrap_or(i64::MAX);
        self.options.insert(
            "servertimeout".to_string(),
            Value::from(format_timespan(nanos)),
        );
        self
    }

    /// How long the client waits for the whole response (headers and body).
    pub fn client_timeout(mut self, timeout: Duration) -> QueryOptions {
        self.client_timeout = Some(timeout);
        self
    }

    /// `queryconsistency`.
    pub fn consistency(self, consistency: Consistency) -> QueryOptions {
        self.option("queryconsistency", consistency.option_value())
    }

    /// `notruncation`: no row or size limit on the result.
    pub fn no_truncation(self) -> QueryOptions {
        self.option("notruncation", true)
    }

    /// `truncationmaxrecords`: the most rows a result may have before it is a partial failure.
    pub fn truncation_max_records(self, records_max: u64) -> QueryOptions {
        self.option("truncationmaxrecords", records_max)
    }

    /// `truncationmaxsize`: the most bytes a result may have before it is a partial failure.
    pub fn truncation_max_size(self, bytes_max: u64) -> QueryOptions {
        self.option("truncationmaxsize", bytes_max)
    }

    /// `deferpartialqueryfailures`: truncate silently instead of reporting an error.
    pub fn defer_partial_query_failures(self, defer: bool) -> QueryOptions {
        self.option("deferpartialqueryfailures", defer)
    }

    /// A query parameter, for `declare query_parameters(name:type, ...)`. Strings are sent as
    /// they are, numbers and bools as JSON; the server reads each by its declared type.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<Value>) -> QueryOptions {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Any other request option, by its Kusto name.
    pub fn option(mut self, name: impl Into<String>, value: impl Into<Value>) -> QueryOptions {
        self.options.insert(name.into(), value.into());
        self
    }

    /// `x-ms-client-request-id`, instead of a generated one.
    pub fn client_request_id(mut self, id: impl Into<String>) -> QueryOptions {
        self.client_request_id = Some(id.into());
        self
    }

    /// Rows per decoded record batch (at least 1).
    pub fn batch_rows(mut self, rows: usize) -> QueryOptions {
        self.batch_rows = Some(rows.max(1));
        self
    }

    /// The `properties` object of the request body: `{"Options":{...},"Parameters":{...}}`.
    pub fn properties_json(&self) -> Value {
        let mut properties = Map::new();
        properties.insert("Options".to_string(), Value::Object(self.options.clone()));
        properties.insert(
            "Parameters".to_string(),
            Value::Object(self.parameters.clone()),
        );
        Value::Object(properties)
    }

    pub(crate) fn with_option_if_absent(
        &self,
        name: &str,
        value: impl Into<Value>,
    ) -> QueryOptions {
        let mut options = self.clone();
        if !options.options.contains_key(name) {
            options.options.insert(name.to_string(), value.into());
        }
        options
    }

    /// The client-side wait: the explicit client timeout, else the server timeout (or the
    /// server's default) plus the margin.
    pub(crate) fn effective_client_timeout(&self, server_default: Duration) -> Duration {
        self.client_timeout.unwrap_or_else(|| {
            self.server_timeout.unwrap_or(server_default) + CLIENT_TIMEOUT_MARGIN
        })
    }

    pub(crate) fn request_id(&self) -> Option<&str> {
        self.client_request_id.as_deref()
    }

    pub(crate) fn batch_rows_or_default(&self) -> usize {
        self.batch_rows.unwrap_or(BATCH_ROWS_DEFAULT)
    }
}
