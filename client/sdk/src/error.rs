//! The SDK's one error type, and reading Kusto's OneApi error objects into it.
//!
//! Whether an error may be retried is decided here ([`Error::is_retryable`]): throttling (429),
//! server-side failures (5xx) and a lost connection may succeed on another try; an error the
//! server marks `@permanent: true`, any other 4xx, and everything detected on the client side
//! (malformed responses, bad arguments) never will.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::types::KustoType;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the query text a Kusto diagnostic points: `[line:position=L:C]`, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// Everything that can go wrong talking to a Kusto-protocol server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a Kusto error: a whole-request failure (HTTP 4xx/5xx), or a
    /// partial failure reported inside a 200 response after some rows (`http_status` 200, e.g.
    /// result truncation). `message` is `@message` (the specific text) when present.
    #[error("{code}: {message}")]
    Kusto {
        http_status: u16,
        code: String,
        message: String,
        /// `@type`, e.g. `Kusto.Data.Exceptions.KustoBadRequestException`.
        at_type: String,
        /// `@permanent`: retrying cannot help.
        permanent: bool,
        /// The query text position of a syntax or semantic error.
        position: Option<Position>,
        /// `@context.activityId`: what the server logged the request under.
        activity_id: Option<String>,
    },

    /// An error status whose body is not a Kusto error (a proxy, a missing endpoint, ...).
    #[error("HTTP {status} from {url}: {body}")]
    Http {
        status: u16,
        url: String,
        body: String,
    },

    /// The request did not complete: no connection, or the connection was lost. `connect` is true
    /// when no connection was made, so the server never saw the request.
    #[error("could not talk to {url}: {source}")]
    Transport {
        url: String,
        connect: bool,
        #[source]
        source: reqwest::Error,
    },

    /// No (complete) answer within the client-side timeout.
    #[error("request to {url} timed out after {after:?}")]
    Timeout { url: String, after: Duration },

    /// The response does not follow the Kusto protocol (bad JSON, frames out of order, a body
    /// that ends early, a frame over the size limit).
    #[error("malformed response: {reason}")]
    Protocol { reason: String },

    /// A result cell that does not decode as its column's type (or does not fit the Arrow type,
    /// e.g. a datetime outside 1677..2262 for nanosecond timestamps).
    #[error("column '{column}' ({kusto_type}) row {row}: cannot decode {text}: {reason}")]
    Value {
        column: String,
        kusto_type: KustoType,
        row: u64,
        text: String,
        reason: String,
    },

    /// A result row that does not deserialize into the type the caller asked for.
    #[error("row {row} does not deserialize into the requested type: {reason}")]
    Deserialize { row: u64, reason: String },

    /// The connection string, a URL or an option given to the client is invalid.
    #[error("invalid configuration: {reason}")]
    Config { reason: String },

    /// Reading data to ingest failed.
    #[error("reading {}: {source}", path.as_ref().map_or("the ingest source".to_string(), |path| path.display().to_string()))]
    Io {
        path: Option<PathBuf>,
        #[source]
        source: std::io::Error,
    },

    /// Arrow batches to ingest could not be encoded (as Parquet), or a Parquet file to ingest
    /// could not be read.
    #[error("parquet: {source}")]
    Parquet {
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Building a result batch failed (a column of the wrong length: a bug in the decoder).
    #[error("building a result batch: {source}")]
    Arrow {
        #[source]
        source: arrow::error::ArrowError,
    },
}

impl Error {
    /// Whether the same request may succeed if sent again: throttling, a 5xx the server does not
    /// call permanent, a lost connection or a timeout. (Whether it is *safe* to send again is the
    /// caller's question; see `retry::RetryPolicy`.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Kusto {
                http_status,
                permanent,
                ..
            } => !permanent && (*http_status == 429 || *http_status >= 500),
            Error::Http { status, .. } => *status == 429 || *status >= 500,
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Protocol { .. }
            | Error::Value { .. }
            | Error::Deserialize { .. }
            | Error::Config { .. }
            | Error::Io { .. }
            | Error::Parquet { .. }
            | Error::Arrow { .. } => false,
        }
    }

    /// True for a Kusto error reported inside a successful response, after rows were returned.
    pub fn is_partial_failure(&self) -> bool {
        matches!(
            self,
            Error::Kusto {
                http_status: 200,
                ..
            }
        )
    }

    /// The HTTP status of a server error (Kusto or not).
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Kusto { http_status, .. } => Some(*http_status),
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn protocol(reason: impl Into<String>) -> Error {
        Error::Protocol {
            reason: reason.into(),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Error {
        Error::Config {
            reason: reason.into(),
        }
    }

    /// The error for a failed response: a Kusto error when the body holds a OneApi error object,
    /// otherwise the status and the start of the body.
    pub(crate) fn from_response(status: u16, url: &str, body: &[u8]) -> Error {
        if let Ok(value) = serde_json::from_slice::<Value>(body)
            && let Some(error) = kusto_error_from_json(&value, status)
        {
            return error;
        }
        const BODY_EXCERPT_CHARS_MAX: usize = 2000;
        let text = String::from_utf8_lossy(body);
        Error::Http {
            status,
            url: url.to_string(),
            body: text.chars().take(BODY_EXCERPT_CHARS_MAX).collect(),
        }
    }
}

/// Reads `{"error":{code, message, @type, @message, @context, @permanent}}` (or the inner object
/// alone); `None` when `value` is not a OneApi error.
pub(crate) fn kusto_error_from_json(value: &Value, http_status: u16) -> Option<Error> {
    let error = value.get("error").unwrap_or(value);
    let object = error.as_object()?;
    let code = object.get("code").and_then(Value::as_str);
    let generic_message = object.get("message").and_then(Value::as_str);
    let specific_message = object.get("@message").and_then(Value::as_str);
    if code.is_none() && generic_message.is_none() && specific_message.is_none() {
        return None;
    }
    let message = specific_message
        .or(generic_message)
        .unwrap_or("unknown Kusto error")
        .to_string();
    // Without @permanent, a 4xx cannot be fixed by retrying and anything else might be.
    let permanent = object
        .get("@permanent")
        .and_then(Value::as_bool)
        .unwrap_or((400..500).contains(&http_status) && http_status != 429);
    Some(Error::Kusto {
        http_status,
        code: code.unwrap_or("Unknown").to_string(),
        position: parse_position(&message),
        message,
        at_type: object
            .get("@type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        permanent,
        activity_id: object
            .get("@context")
            .and_then(|context| context.get("activityId"))
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Finds Kusto's `[line:position=L:C]` in a diagnostic.
pub(crate) fn parse_position(message: &str) -> Option<Position> {
    const MARKER: &str = "[line:position=";
    let start = message.find(MARKER)? + MARKER.len();
    let rest = message.get(start..)?;
    let end = rest.find(']')?;
    let (line, column) = rest.get(..end)?.split_once(':')?;
    Some(Position {
        line: line.trim().parse().ok()?,
        column: column.trim().parse().ok()?,
    })
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use super::*;

    // Proves a Kusto error body becomes Error::Kusto with @message, @type, @permanent and the
    // position, and that retryability follows the status and @permanent.
    #[test]
    fn kusto_error_body() {
        let body = br#"{"error":{"code":"General_BadRequest","message":"Request is invalid and cannot be executed.","@type":"Kusto.Data.Exceptions.KustoBadRequestException","@message":"Request is invalid and cannot be processed: Syntax error: SYN0002: A recognition error occurred. [line:position=2:13]","@context":{"activityId":"a-1"},"@permanent":true}}"#;
        let error = Error::from_response(400, "http://x", body);
        let Error::Kusto {
            http_status,
            code,
            message,
            at_type,
            permanent,
            position,
            activity_id,
        } = &error
        else {
            panic!("expected a Kusto error, got {error:?}");
        };
        assert_eq!(*http_status, 400);
        assert_eq!(code, "General_BadRequest");
        assert!(message.starts_with("Request is invalid and cannot be processed: Syntax error"));
        assert_eq!(at_type, "Kusto.Data.Exceptions.KustoBadRequestException");
        assert!(*permanent);
        assert_eq!(
            *position,
            Some(Position {
                line: 2,
                column: 13
            })
        );
        assert_eq!(activity_id.as_deref(), Some("a-1"));
        assert!(!error.is_retryable());

        let throttled = Error::from_response(
            429,
            "http://x",
            br#"{"error":{"code":"Throttled","message":"busy","@permanent":false}}"#,
        );
        assert!(throttled.is_retryable());
        let permanent_5xx = Error::from_response(
            500,
            "http://x",
            br#"{"error":{"code":"Internal","@message":"bug","@permanent":true}}"#,
        );
        assert!(!permanent_5xx.is_retryable());
        let unavailable = Error::from_response(503, "http://x", b"<html>bad gateway</html>");
        assert!(matches!(unavailable, Error::Http { status: 503, .. }));
        assert!(unavailable.is_retryable());
        let not_found = Error::from_response(404, "http://x", b"");
        assert!(!not_found.is_retryable());
    }

    // Proves positions are read only from the exact marker, and garbage yields None.
    #[test]
    fn positions() {
        assert_eq!(
            parse_position("x [line:position=10:4]"),
            Some(Position {
                line: 10,
                column: 4
            })
        );
        assert_eq!(parse_position("[line:position=1:x]"), None);
        assert_eq!(parse_position("[line:position=1:2"), None);
        assert_eq!(parse_position("no position"), None);
    }
}
