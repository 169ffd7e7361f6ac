//! Hand-written JSON objects whose keys come out in the order they are written. Kusto clients
//! depend on key order (Go asserts it; Python's streaming parser needs `Columns` before `Rows`), and
//! `serde_json::Map` would sort keys alphabetically.
//!
//! Owns: comma and brace bookkeeping. Does not own: value encoding (`value`).

use std::io::Write as _;

use crate::value::write_json_string;

/// A JSON object being written into a byte buffer. Keys are written as given (they are all
/// compile-time names that need no escaping) and appear in call order.
pub(crate) struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    has_fields: bool,
}

impl<'a> JsonObject<'a> {
    pub(crate) fn begin(out: &'a mut Vec<u8>) -> JsonObject<'a> {
        out.push(b'{');
        JsonObject {
            out,
            has_fields: false,
        }
    }

    /// Writes `"key":` and hands back the buffer for the value.
    pub(crate) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if self.has_fields {
            self.out.push(b',');
        }
        self.has_fields = true;
        write_json_string(self.out, key);
        self.out.push(b':');
        self.out
    }

    pub(crate) fn string(&mut self, key: &str, value: &str) {
        write_json_string(self.key(key), value);
    }

    pub(crate) fn boolean(&mut self, key: &str, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.key(key).extend_from_slice(text);
    }

    pub(crate) fn integer(&mut self, key: &str, value: impl std::fmt::Display) {
        // Writing into a Vec<u8> cannot fail.
        let _ = write!(self.key(key), "{value}");
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}
