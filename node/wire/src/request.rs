//! Query and management requests as the clients send them (protocol reference §2), parsed
//! leniently: `properties` may be a JSON string (Python, Kqlmagic) or an object (Node, Go, Rust,
//! Grafana); `Options`/`Parameters` come capitalized or not; `Parameters` may be null (Go); extra
//! keys (Grafana's `querySource`) are ignored.
//!
//! Owns: the request body and the GET query-string form, option lookup with typed readers
//! (bool, u64, string, timespan in every `servertimeout` spelling of §8), and parameter values as
//! raw text.
//!
//! Does not own: what an option means (the planner, the executor and `v2::ResultLimits` read
//! them) or how a parameter value is typed (the planner decides from `declare query_parameters`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tarn_common::limits::QUERY_TEXT_BYTES_MAX;

use crate::{Result, WireError};

/// A parsed request: the database (absent for cluster-level commands), the query or command text,
/// and its properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryRequest {
    pub db: Option<String>,
    pub csl: String,
    pub properties: RequestProperties,
}

/// ClientRequestProperties: options keyed by lowercased name, and query parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestProperties {
    /// Option names lowercased (Kusto treats them case-insensitively); values as sent.
    pub options: BTreeMap<String, Value>,
    /// Parameter values as sent; see [`RequestProperties::parameters`] for their text.
    pub parameters: BTreeMap<String, Value>,
    /// `ClientRequestId` inside properties (Kqlmagic sends it there as well as in the header).
    pub client_request_id: Option<String>,
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_query_text(csl: &str) -> Result<()> {
    if csl.len() > QUERY_TEXT_BYTES_MAX {
        return Err(WireError::QueryTextTooLarge {
            bytes: csl.len(),
            bytes_max: QUERY_TEXT_BYTES_MAX,
        });
    }
    Ok(())
}

impl QueryRequest {
    /// Parses a POST body: `{"db": ..., "csl": ..., "properties": ...}`, key case ignored.
    pub fn from_json_body(body: &[u8]) -> Result<QueryRequest> {
        let value: Value =
            serde_json::from_slice(body).map_err(|source| WireError::BodyNotJson { source })?;
        let Value::Object(fields) = value else {
            return Err(WireError::BodyNotObject {
                found: json_type_name(&value),
            });
        };
        let mut request = QueryRequest::default();
        let mut csl = None;
        for (key, field_value) in &fields {
            match key.to_ascii_lowercase().as_str() {
                "db" => {
                    request.db = match field_value {
                        Value::Null => None,
                        Value::String(db) if db.is_empty() => None,
                        Value::String(db) => Some(db.clone()),
                        other => {
                            return Err(WireError::FieldType {
                                field: key.clone(),
                                expected: "a string",
                                found: json_type_name(other),
                            });
                        }
                    };
                }
                "csl" => match field_value {
                    Value::String(text) => csl = Some(text.clone()),
                    other => {
                        return Err(WireError::FieldType {
                            field: key.clone(),
                            expected: "a string",
                            found: json_type_name(other),
                        });
                    }
                },
                "properties" => request.properties = RequestProperties::from_json(field_value)?,
                // Grafana's querySource and anything else a client adds.
                _ => {}
            }
        }
        request.csl = csl.ok_or(WireError::MissingCsl)?;
        check_query_text(&request.csl)?;
        Ok(request)
    }

    /// Parses the GET form: `db`, `csl` and optionally `properties` (JSON text) from decoded
    /// query-string pairs.
    pub fn from_query_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<QueryRequest>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut request = QueryRequest::default();
        let mut csl = None;
        for (key, value) in pairs {
            let value = value.as_ref();
            match key.as_ref().to_ascii_lowercase().as_str() {
                "db" if !value.is_empty() => request.db = Some(value.to_string()),
                "csl" => csl = Some(value.to_string()),
                "properties" => {
                    request.properties =
                        RequestProperties::from_json(&Value::String(value.to_string()))?
                }
                _ => {}
            }
        }
        request.csl = csl.ok_or(WireError::MissingCsl)?;
        check_query_text(&request.csl)?;
        Ok(request)
    }
}

impl RequestProperties {
    /// Reads `properties` as sent: an object, a string holding JSON, or null/empty.
    pub fn from_json(value: &Value) -> Result<RequestProperties> {
        match value {
            Value::Null => Ok(RequestProperties::default()),
            Value::String(text) if text.trim().is_empty() => Ok(RequestProperties::default()),
            Value::String(text) => {
                let parsed: Value = serde_json::from_str(text)
                    .map_err(|source| WireError::PropertiesNotJson { source })?;
                RequestProperties::from_json(&parsed)
            }
            Value::Object(fields) => {
                let mut properties = RequestProperties::default();
                for (key, field_value) in fields {
                    match key.to_ascii_lowercase().as_str() {
                        "options" => {
                            for (name, option) in as_object(key, field_value)? {
                                properties
                                    .options
                                    .insert(name.to_ascii_lowercase(), option.clone());
                            }
                        }
                        "parameters" => {
                            for (name, parameter) in as_object(key, field_value)? {
                                properties
                                    .parameters
                                    .insert(name.clone(), parameter.clone());
                            }
                        }
                        "clientrequestid" => {
                            properties.client_request_id = field_value.as_str().map(str::to_string);
                        }
                        _ => {}
                    }
                }
                Ok(properties)
            }
            other => Err(WireError::FieldType {
                field: "properties".to_string(),
                expected: "an object or a string holding JSON",
                found: json_type_name(other),
            }),
        }
    }

    /// The raw value of an option (name matched case-insensitively).
    pub fn option(&self, name: &str) -> Option<&Value> {
        self.options.get(&name.to_ascii_lowercase())
    }

    fn invalid(name: &str, value: &Value, expected: &'static str) -> WireError {
        WireError::InvalidOption {
            name: name.to_string(),
            value: value.to_string(),
            expected,
        }
    }

    /// A boolean option: JSON true/false, the strings "true"/"false" (any case), or 0/1.
    pub fn option_bool(&self, name: &str) -> Result<Option<bool>> {
        let Some(value) = self.option(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Null => return Ok(None),
            Value::Bool(flag) => Some(*flag),
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            Value::Number(number) => match number.as_u64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| Self::invalid(name, value, "true or false"))
    }

    /// A non-negative integer option: a JSON number or a string of digits.
    pub fn option_u64(&self, name: &str) -> Result<Option<u64>> {
        let Some(value) = self.option(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Null => return Ok(None),
            Value::Number(number) => number.as_u64(),
            Value::String(text) => text.trim().parse::<u64>().ok(),
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| Self::invalid(name, value, "a non-negative integer"))
    }

    /// A string option; numbers and booleans are given as their JSON text.
    pub fn option_string(&self, name: &str) -> Result<Option<String>> {
        let Some(value) = self.option(name) else {
            return Ok(None);
        };
        match value {
            Value::Null => Ok(None),
            Value::String(text) => Ok(Some(text.clone())),
            Value::Bool(_) | Value::Number(_) => Ok(Some(value.to_string())),
            _ => Err(Self::invalid(name, value, "a string")),
        }
    }

    /// A timespan option such as `servertimeout`, in any form clients send: `00:04:00`, `0:01:30`
    /// (Python), `00:01:00.000` (Node), `1.02:00:00`, `50m` (KQL literal), `1 day, 0:00:00`
    /// (Python's str(timedelta) from one day up).
    pub fn option_timespan(&self, name: &str) -> Result<Option<Duration>> {
        let Some(value) = self.option(name) else {
            return Ok(None);
        };
        match value {
            Value::Null => Ok(None),
            Value::String(text) => parse_timespan(text).map(Some).ok_or_else(|| {
                Self::invalid(
                    name,
                    value,
                    "a timespan such as 00:04:00, 0:01:30, 50m or 1 day, 0:00:00",
                )
            }),
            _ => Err(Self::invalid(name, value, "a timespan string")),
        }
    }

    /// Parameter values as text. Strings are given exactly as sent (Go sends a quoted KQL literal
    /// such as `'x'`, Python and Node the raw text; the planner decides by the declared type);
    /// numbers and booleans as their JSON text. Null values are left out.
    pub fn parameters(&self) -> BTreeMap<String, String> {
        let mut texts = BTreeMap::new();
        for (name, value) in &self.parameters {
            let text = match value {
                Value::Null => continue,
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            texts.insert(name.clone(), text);
        }
        texts
    }
}

/// `Options`/`Parameters` must be an object or null (Go sends `"Parameters": null`).
fn as_object<'a>(
    key: &str,
    value: &'a Value,
) -> Result<Box<dyn Iterator<Item = (&'a String, &'a Value)> + 'a>> {
    match value {
        Value::Null => Ok(Box::new(std::iter::empty())),
        Value::Object(fields) => Ok(Box::new(fields.iter())),
        other => Err(WireError::FieldType {
            field: key.to_string(),
            expected: "an object or null",
            found: json_type_name(other),
        }),
    }
}

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Parses the timespan spellings of §8. Negative or unreadable values give `None`.
pub fn parse_timespan(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('-') {
        return None;
    }
    // Python's str(timedelta): "1 day, 0:00:00", "3 days, 12:00:00".
    if let Some((days_part, clock_part)) = text.split_once(',') {
        let days_text = days_part
            .trim()
            .strip_suffix("days")
            .or_else(|| days_part.trim().strip_suffix("day"))?;
        let days: u128 = days_text.trim().parse().ok()?;
        let clock = parse_clock(clock_part.trim())?;
        return nanos_to_duration(
            days.checked_mul(86_400 * NANOS_PER_SECOND)?
                .checked_add(clock)?,
        );
    }
    if text.contains(':') {
        return nanos_to_duration(parse_clock(text)?);
    }
    parse_literal(text)
}

/// `[d.]h:mm[:ss[.fffffff]]` in nanoseconds.
fn parse_clock(text: &str) -> Option<u128> {
    let mut parts = text.split(':');
    let hours_part = parts.next()?;
    let minutes_part = parts.next()?;
    let seconds_part = parts.next().unwrap_or("0");
    if parts.next().is_some() {
        return None;
    }
    let (days, hours): (u128, u128) = match hours_part.split_once('.') {
        Some((days, hours)) => (parse_digits(days)?, parse_digits(hours)?),
        None => (0, parse_digits(hours_part)?),
    };
    let minutes = parse_digits(minutes_part)?;
    let (whole_seconds, fraction) = match seconds_part.split_once('.') {
        Some((whole, fraction)) => (parse_digits(whole)?, parse_fraction_nanos(fraction)?),
        None => (parse_digits(seconds_part)?, 0),
    };
    if minutes >= 60 || whole_seconds >= 60 {
        return None;
    }
    let seconds = ((days * 24 + hours) * 60 + minutes) * 60 + whole_seconds;
    seconds.checked_mul(NANOS_PER_SECOND)?.checked_add(fraction)
}

fn parse_digits(text: &str) -> Option<u128> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) || text.len() > 20 {
        return None;
    }
    text.parse().ok()
}

/// Fractional seconds to nanoseconds; digits beyond nanoseconds are dropped.
fn parse_fraction_nanos(text: &str) -> Option<u128> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let mut nanos: u128 = 0;
    for (position, digit) in text.bytes().take(9).enumerate() {
        let exponent = u32::try_from(8 - position).ok()?;
        nanos += u128::from(digit - b'0') * 10u128.pow(exponent);
    }
    Some(nanos)
}

/// A KQL timespan literal: a number and a unit (`50m`, `1.5h`, `2d`, `100ms`, `10microseconds`,
/// `5ticks`).
fn parse_literal(text: &str) -> Option<Duration> {
    let unit_start = text.find(|character: char| character.is_ascii_alphabetic())?;
    let (number_text, unit) = text.split_at(unit_start);
    let number: f64 = number_text.trim().parse().ok()?;
    let unit_seconds = match unit.trim().to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => 86_400.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
        "m" | "min" | "minute" | "minutes" => 60.0,
        "s" | "sec" | "second" | "seconds" => 1.0,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1e-3,
        "microsecond" | "microseconds" => 1e-6,
        "tick" | "ticks" => 1e-7,
        _ => return None,
    };
    Duration::try_from_secs_f64(number * unit_seconds).ok()
}

fn nanos_to_duration(nanos: u128) -> Option<Duration> {
    let seconds = u64::try_from(nanos / NANOS_PER_SECOND).ok()?;
    let subsecond = u32::try_from(nanos % NANOS_PER_SECOND).ok()?;
    Some(Duration::new(seconds, subsecond))
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use super::*;

    fn parse_body(body: &str) -> QueryRequest {
        match QueryRequest::from_json_body(body.as_bytes()) {
            Ok(request) => request,
            Err(error) => panic!("{error}: {body}"),
        }
    }

    // Proves the Python 6.0.4 body (properties as a JSON string, Options/Parameters capitalized,
    // servertimeout as str(timedelta)) parses, exactly as captured in §2.1.
    #[test]
    fn python_body_with_string_properties() {
        let body = r#"{"db": "TestDb", "csl": "print x = 1", "properties": "{\"Options\": {\"servertimeout\": \"0:01:00\"}, \"Parameters\": {\"dev\": \"dev-1\"}}"}"#;
        let request = parse_body(body);
        assert_eq!(request.db.as_deref(), Some("TestDb"));
        assert_eq!(request.csl, "print x = 1");
        assert_eq!(
            request
                .properties
                .option_timespan("servertimeout")
                .ok()
                .flatten(),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            request
                .properties
                .parameters()
                .get("dev")
                .map(String::as_str),
            Some("dev-1")
        );
        // The minimal Python body has no properties at all.
        let minimal = parse_body(r#"{"db": "TestDb", "csl": "print x = 1"}"#);
        assert!(minimal.properties.options.is_empty());
    }

    // Proves the Node 7.0.4 body (properties as an object, servertimeout with milliseconds).
    #[test]
    fn node_body_with_object_properties() {
        let body = r#"{"db":"TestDb","csl":"T | count","properties":{"Options":{"servertimeout":"00:01:00.000"},"Parameters":{"dev":"dev-1"}}}"#;
        let request = parse_body(body);
        assert_eq!(
            request
                .properties
                .option_timespan("servertimeout")
                .ok()
                .flatten(),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            request
                .properties
                .parameters()
                .get("dev")
                .map(String::as_str),
            Some("dev-1")
        );
    }

    // Proves the Go body: the fragment/newline/placement options it always sets, quoted KQL
    // literal parameters kept as given, and a null Parameters.
    #[test]
    fn go_body_with_quoted_parameters_and_null() {
        let body = r#"{"db":"TestDb","csl":"T","properties":{"Options":{"results_v2_newlines_between_frames":true,"results_v2_fragment_primary_tables":true,"results_error_reporting_placement":"end_of_table"},"Parameters":{"name":"'x'","other":"\"y\"","n":"int(3)"}}}"#;
        let request = parse_body(body);
        let parameters = request.properties.parameters();
        assert_eq!(parameters.get("name").map(String::as_str), Some("'x'"));
        assert_eq!(parameters.get("other").map(String::as_str), Some("\"y\""));
        assert_eq!(parameters.get("n").map(String::as_str), Some("int(3)"));
        assert_eq!(
            request
                .properties
                .option_bool("results_v2_fragment_primary_tables")
                .ok()
                .flatten(),
            Some(true)
        );
        let options = crate::v2::V2Options::from_properties(&request.properties);
        assert_eq!(
            options.ok(),
            Some(crate::v2::V2Options {
                fragment_primary_tables: true,
                newlines_between_frames: true,
                error_reporting_end_of_table: true
            })
        );

        let null_parameters = parse_body(
            r#"{"db":"TestDb","csl":"T","properties":{"Options":{},"Parameters":null}}"#,
        );
        assert!(null_parameters.properties.parameters.is_empty());
    }

    // Proves the Rust SDK body with lowercase options/parameters and mixed-case option names (the
    // lookup is case-insensitive).
    #[test]
    fn rust_body_with_lowercase_keys() {
        let body = r#"{"db":"TestDb","csl":"T","properties":{"options":{"QueryConsistency":"weakconsistency","truncationmaxrecords":10},"parameters":{"p":"1"}}}"#;
        let request = parse_body(body);
        assert_eq!(
            request
                .properties
                .option_string("queryconsistency")
                .ok()
                .flatten()
                .as_deref(),
            Some("weakconsistency")
        );
        assert_eq!(
            request
                .properties
                .option_u64("TruncationMaxRecords")
                .ok()
                .flatten(),
            Some(10)
        );
        assert_eq!(
            request.properties.parameters().get("p").map(String::as_str),
            Some("1")
        );
    }

    // Proves the Grafana body: lowercase options, and an extra top-level querySource ignored.
    #[test]
    fn grafana_body_with_query_source() {
        let body = r#"{"db":"TestDb","csl":"T | take 1","properties":{"options":{"queryconsistency":"strongconsistency","query_results_cache_max_age":"00:00:00","servertimeout":"00:04:00"}},"querySource":"schema"}"#;
        let request = parse_body(body);
        assert_eq!(request.csl, "T | take 1");
        assert_eq!(
            request
                .properties
                .option_timespan("servertimeout")
                .ok()
                .flatten(),
            Some(Duration::from_secs(240))
        );
    }

    // Proves Kqlmagic's ClientRequestId inside string properties is kept.
    #[test]
    fn kqlmagic_client_request_id() {
        let body = r#"{"db":"D","csl":"T","properties":"{\"Options\":{},\"Parameters\":{},\"ClientRequestId\":\"KQLM.1\"}"}"#;
        assert_eq!(
            parse_body(body).properties.client_request_id.as_deref(),
            Some("KQLM.1")
        );
    }

    // Proves every servertimeout form in §8 and the rejection of nonsense and negative values.
    #[test]
    fn servertimeout_forms() {
        let cases = [
            ("00:04:00", Duration::from_secs(240)),
            ("0:01:30", Duration::from_secs(90)),
            ("00:01:00.000", Duration::from_secs(60)),
            ("50m", Duration::from_secs(3000)),
            ("1 day, 0:00:00", Duration::from_secs(86_400)),
            (
                "2 days, 1:00:00.5",
                Duration::from_millis(2 * 86_400_000 + 3_600_000 + 500),
            ),
            ("1.02:00:00", Duration::from_secs(86_400 + 7_200)),
            ("1.5h", Duration::from_secs(5_400)),
            ("100ms", Duration::from_millis(100)),
            ("00:00:01.0000001", Duration::from_nanos(1_000_000_100)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_timespan(text), Some(expected), "{text}");
        }
        for bad in ["", "abc", "-00:01:00", "00:61:00", "5 parsecs", "1:2:3:4"] {
            assert_eq!(parse_timespan(bad), None, "{bad}");
        }
        let properties = RequestProperties::from_json(
            &serde_json::json!({"Options": {"servertimeout": "soon"}}),
        );
        let outcome = properties.and_then(|properties| properties.option_timespan("servertimeout"));
        assert!(matches!(outcome, Err(WireError::InvalidOption { .. })));
    }

    // Proves typed option readers accept the spellings clients use and reject the rest.
    #[test]
    fn option_readers() {
        let properties = RequestProperties::from_json(&serde_json::json!({"Options": {
            "a": true, "b": "False", "c": 1, "d": "maybe", "n": "42", "m": -1
        }}));
        let Ok(properties) = properties else {
            panic!("properties")
        };
        assert_eq!(properties.option_bool("a").ok().flatten(), Some(true));
        assert_eq!(properties.option_bool("B").ok().flatten(), Some(false));
        assert_eq!(properties.option_bool("c").ok().flatten(), Some(true));
        assert!(properties.option_bool("d").is_err());
        assert_eq!(properties.option_bool("absent").ok().flatten(), None);
        assert_eq!(properties.option_u64("n").ok().flatten(), Some(42));
        assert!(properties.option_u64("m").is_err());
    }

    // Proves malformed bodies are rejected with the cause named.
    #[test]
    fn malformed_bodies() {
        assert!(matches!(
            QueryRequest::from_json_body(b"{"),
            Err(WireError::BodyNotJson { .. })
        ));
        assert!(matches!(
            QueryRequest::from_json_body(b"[1]"),
            Err(WireError::BodyNotObject { .. })
        ));
        assert!(matches!(
            QueryRequest::from_json_body(br#"{"db":"D"}"#),
            Err(WireError::MissingCsl)
        ));
        assert!(matches!(
            QueryRequest::from_json_body(br#"{"csl":5}"#),
            Err(WireError::FieldType {
                expected: "a string",
                ..
            })
        ));
        assert!(matches!(
            QueryRequest::from_json_body(br#"{"csl":"T","properties":"{not json"}"#),
            Err(WireError::PropertiesNotJson { .. })
        ));
        let huge = format!(r#"{{"csl":"{}"}}"#, "x".repeat(QUERY_TEXT_BYTES_MAX + 1));
        assert!(matches!(
            QueryRequest::from_json_body(huge.as_bytes()),
            Err(WireError::QueryTextTooLarge { .. })
        ));
    }

    // Proves the GET form reads db/csl (and properties) from query-string pairs.
    #[test]
    fn get_form() {
        let pairs = [
            ("db", "TestDb"),
            ("csl", "T | count"),
            ("properties", r#"{"Options":{"notruncation":true}}"#),
        ];
        let request = QueryRequest::from_query_pairs(pairs);
        let Ok(request) = request else {
            panic!("get form")
        };
        assert_eq!(request.db.as_deref(), Some("TestDb"));
        assert_eq!(request.csl, "T | count");
        assert_eq!(
            request
                .properties
                .option_bool("notruncation")
                .ok()
                .flatten(),
            Some(true)
        );
        assert!(matches!(
            QueryRequest::from_query_pairs([("db", "D")]),
            Err(WireError::MissingCsl)
        ));
    }
}
