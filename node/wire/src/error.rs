//! The OneApi error object Kusto sends, both as a whole-request error body (HTTP 4xx/5xx) and
//! in-band inside a 200 response (partial failure, protocol reference §4).
//!
//! Owns: the object's fields and their order (`code, message, @type, @message, @context,
//! @permanent`), the generic `message` per [`ErrorKind`], the `@context` block, and the
//! result-set-too-large partial failure.
//!
//! Does not own: the HTTP status (`ErrorKind::http_status`, applied by tarnd) or the specific
//! message text of a diagnostic (the caller passes `@message`; Python shows it to the user).

use std::sync::OnceLock;

use tarn_common::ErrorKind;
use tarn_common::text::format::format_datetime;

use crate::json::JsonObject;

/// Kusto's own status code for E_QUERY_RESULT_SET_TOO_LARGE (0x80DA0003 as a signed int), which
/// appears in QueryCompletionInformation rows.
pub const STATUS_CODE_RESULT_SET_TOO_LARGE: i32 = 0x80DA_0003_u32 as i32;
/// E_FAIL, Kusto's status code for any other failure.
pub const STATUS_CODE_FAILURE: i32 = 0x8000_4005_u32 as i32;

const SERVICE_ALIAS: &str = "TARN";
const PROCESS_NAME: &str = "tarnd";
const ACTIVITY_TYPE: &str = "GW.Http.CallContext";

/// Which truncation limit a result crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruncationLimit {
    /// `truncationmaxrecords` (default 500,000).
    Records { records_max: u64 },
    /// `truncationmaxsize` (default 64 MB).
    Bytes { bytes_max: u64 },
}

impl TruncationLimit {
    /// Kusto's text for the limit, as it appears in the error and in QueryCompletionInformation.
    pub fn description(self) -> String {
        match self {
            TruncationLimit::Records { records_max } => format!(
                "Query result set has exceeded the internal record count limit {records_max} \
                 (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)"
            ),
            TruncationLimit::Bytes { bytes_max } => format!(
                "Query result set has exceeded the internal data size limit {bytes_max} \
                 (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)"
            ),
        }
    }
}

/// One OneApi error. `message` is the generic text, `at_message` the specific one that clients
/// show (Python raises `KustoApiError(@message)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KustoError {
    pub kind: ErrorKind,
    /// `error.code`, e.g. `General_BadRequest`.
    pub code: String,
    /// `error.message`, e.g. "Request is invalid and cannot be executed.".
    pub message: String,
    /// `error.@type`, e.g. `Kusto.Data.Exceptions.KustoBadRequestException`.
    pub type_name: String,
    /// `error.@message`, e.g. "Request is invalid and cannot be processed: Syntax error: ...".
    pub at_message: String,
    /// `error.@permanent`: whether retrying cannot help. Python's managed streaming ingest retries
    /// and then falls back to queued ingestion unless this is true.
    pub permanent: bool,
}

impl KustoError {
    /// An error of `kind` with Kusto's code, `@type`, generic message and retry hint for that kind;
    /// `at_message` is used verbatim.
    pub fn new(kind: ErrorKind, at_message: impl Into<String>) -> KustoError {
        KustoError {
            kind,
            code: kind.kusto_code().to_string(),
            message: generic_message(kind).to_string(),
            type_name: kind.kusto_type().to_string(),
            at_message: at_message.into(),
            permanent: !kind.is_retryable(),
        }
    }

    /// A request-shape, syntax or semantic error, worded as Kusto words them:
    /// `Request is invalid and cannot be processed: <detail>`. Python's `is_semantic_error()` looks
    /// for `Semantic error:` in the detail.
    pub fn bad_request(kind: ErrorKind, detail: &str) -> KustoError {
        KustoError::new(
            kind,
            format!("Request is invalid and cannot be processed: {detail}"),
        )
    }

    /// The in-band partial failure Kusto reports when a result is truncated (captured from ADX:
    /// `LimitsExceeded`, `KustoServicePartialQueryFailureLimitsExceededException`, not permanent).
    pub fn result_set_too_large(limit: TruncationLimit) -> KustoError {
        KustoError {
            kind: ErrorKind::LimitExceeded,
            code: "LimitsExceeded".to_string(),
            message: "Request is invalid and cannot be executed.".to_string(),
            type_name:
                "Kusto.Data.Exceptions.KustoServicePartialQueryFailureLimitsExceededException"
                    .to_string(),
            at_message: format!(
                "Query execution has exceeded the allowed limits (80DA0003): {}.",
                limit.description()
            ),
            permanent: false,
        }
    }

    /// The HTTP status for a whole-request failure.
    pub fn http_status(&self) -> u16 {
        self.kind.http_status()
    }

    /// Appends `{"error":{...}}`.
    pub fn write_json(&self, context: &ErrorContext, out: &mut Vec<u8>) {
        let mut outer = JsonObject::begin(out);
        let mut error = JsonObject::begin(outer.key("error"));
        error.string("code", &self.code);
        error.string("message", &self.message);
        error.string("@type", &self.type_name);
        error.string("@message", &self.at_message);
        context.write_json(error.key("@context"));
        error.boolean("@permanent", self.permanent);
        error.end();
        outer.end();
    }

    /// The whole-request error body.
    pub fn to_body(&self, context: &ErrorContext) -> Vec<u8> {
        let mut body = Vec::with_capacity(768);
        self.write_json(context, &mut body);
        body
    }
}

/// The generic `message` Kusto sends next to the specific `@message`.
fn generic_message(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax
        | ErrorKind::Semantic
        | ErrorKind::BadRequest
        | ErrorKind::NotFound
        | ErrorKind::AlreadyExists => "Request is invalid and cannot be executed.",
        ErrorKind::LimitExceeded => "Request has exceeded the allowed limits.",
        ErrorKind::Throttled => "Request was throttled; retry later.",
        ErrorKind::Timeout => "Request execution timed out.",
        ErrorKind::Unavailable => "Service is temporarily unavailable.",
        ErrorKind::Internal => "An internal error occurred while processing the request.",
    }
}

/// Who and when, for `@context`. The request ids let a user match the error to server logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorContext {
    pub client_request_id: String,
    pub activity_id: String,
    pub sub_activity_id: String,
    pub timestamp_nanos: i64,
}

impl ErrorContext {
    /// A context stamped now, with a fresh sub-activity id.
    pub fn new(client_request_id: &str, activity_id: &str) -> ErrorContext {
        ErrorContext {
            client_request_id: client_request_id.to_string(),
            activity_id: activity_id.to_string(),
            sub_activity_id: uuid::Uuid::new_v4().to_string(),
            timestamp_nanos: now_nanos(),
        }
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        let mut context = JsonObject::begin(out);
        context.string("timestamp", &format_datetime(self.timestamp_nanos));
        context.string("serviceAlias", SERVICE_ALIAS);
        context.string("machineName", machine_name());
        context.string("processName", PROCESS_NAME);
        context.integer("processId", std::process::id());
        context.integer("threadId", current_thread_number());
        context.string("clientRequestId", &self.client_request_id);
        context.string("activityId", &self.activity_id);
        context.string("subActivityId", &self.sub_activity_id);
        context.string("activityType", ACTIVITY_TYPE);
        context.string("parentActivityId", &self.activity_id);
        context.string(
            "activityStack",
            &format!(
                "(Activity stack: CRID={} ARID={} > {ACTIVITY_TYPE}/{})",
                self.client_request_id, self.activity_id, self.sub_activity_id
            ),
        );
        context.end();
    }
}

/// The whole-request error body for `kind` with the specific text `at_message`.
pub fn error_body(
    kind: ErrorKind,
    at_message: &str,
    client_request_id: &str,
    activity_id: &str,
) -> Vec<u8> {
    KustoError::new(kind, at_message).to_body(&ErrorContext::new(client_request_id, activity_id))
}

pub(crate) fn now_nanos() -> i64 {
    // `None` only after the year 2262, when nanoseconds since the epoch no longer fit in i64.
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn machine_name() -> &'static str {
    static MACHINE_NAME: OnceLock<String> = OnceLock::new();
    MACHINE_NAME.get_or_init(|| {
        let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
        let from_env = std::env::var("HOSTNAME").ok();
        from_kernel
            .or(from_env)
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "tarn".to_string())
    })
}

/// The number in std's `ThreadId(N)`: stable per thread, which is all `threadId` is used for.
fn current_thread_number() -> u64 {
    let debug_text = format!("{:?}", std::thread::current().id());
    let digits: String = debug_text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use super::*;

    fn parse(body: &[u8]) -> serde_json::Value {
        match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(error) => panic!("not JSON ({error}): {}", String::from_utf8_lossy(body)),
        }
    }

    // Proves a syntax error body carries every field the SDKs read, with the values of the
    // documented example: the generic message, the @type, the specific @message Python shows,
    // @permanent from the kind, and the request ids in @context.
    #[test]
    fn syntax_error_body_fields() {
        let detail = "Syntax error: SYN0002: A recognition error occurred. [line:position=1:9]";
        let error = KustoError::bad_request(ErrorKind::Syntax, detail);
        let body = error.to_body(&ErrorContext::new(
            "KPC.execute;1234",
            "aaaaaaaa-0000-0000-0000-000000000001",
        ));
        let text = String::from_utf8_lossy(&body).to_string();
        let json = parse(&body);
        let inner = &json["error"];
        assert_eq!(inner["code"], "General_BadRequest");
        assert_eq!(
            inner["message"],
            "Request is invalid and cannot be executed."
        );
        assert_eq!(
            inner["@type"],
            "Kusto.Data.Exceptions.KustoBadRequestException"
        );
        assert_eq!(
            inner["@message"],
            "Request is invalid and cannot be processed: Syntax error: SYN0002: A recognition error occurred. \
             [line:position=1:9]"
        );
        assert_eq!(inner["@permanent"], true);
        let context = &inner["@context"];
        assert_eq!(context["serviceAlias"], "TARN");
        assert_eq!(context["processName"], "tarnd");
        assert_eq!(context["clientRequestId"], "KPC.execute;1234");
        assert_eq!(
            context["activityId"],
            "aaaaaaaa-0000-0000-0000-000000000001"
        );
        assert!(context["processId"].is_u64());
        assert!(
            context["timestamp"]
                .as_str()
                .is_some_and(|stamp| stamp.ends_with('Z') && stamp.len() == 28)
        );
        // Key order as Kusto sends it.
        let positions: Vec<usize> = [
            "\"code\"",
            "\"message\"",
            "\"@type\"",
            "\"@message\"",
            "\"@context\"",
            "\"@permanent\"",
        ]
        .iter()
        .map(|key| text.find(key).unwrap_or(usize::MAX))
        .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    // Proves retryable kinds are not permanent (so ingest clients retry) and error_body agrees with
    // ErrorKind's code and type.
    #[test]
    fn throttled_error_is_retryable() {
        let json = parse(&error_body(ErrorKind::Throttled, "too busy", "crid", "aid"));
        assert_eq!(json["error"]["@permanent"], false);
        assert_eq!(json["error"]["code"], ErrorKind::Throttled.kusto_code());
        assert_eq!(json["error"]["@type"], ErrorKind::Throttled.kusto_type());
        assert_eq!(json["error"]["@message"], "too busy");
    }

    // Proves the truncation error matches the captured ADX partial failure: code, @type, not
    // permanent, and the record-count text.
    #[test]
    fn result_set_too_large_error() {
        let error = KustoError::result_set_too_large(TruncationLimit::Records {
            records_max: 500_000,
        });
        assert_eq!(error.code, "LimitsExceeded");
        assert!(
            error
                .type_name
                .ends_with("KustoServicePartialQueryFailureLimitsExceededException")
        );
        assert!(!error.permanent);
        assert!(
            error
                .at_message
                .starts_with("Query execution has exceeded the allowed limits (80DA0003): ")
        );
        assert!(error.at_message.contains(
            "Query result set has exceeded the internal record count limit 500000 \
             (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)"
        ));
        let size = TruncationLimit::Bytes {
            bytes_max: 67_108_864,
        }
        .description();
        assert!(size.contains("data size limit 67108864"));
        assert_eq!(STATUS_CODE_RESULT_SET_TOO_LARGE, -2_133_196_797);
    }
}
