//! Finding values inside JSON text without building a tree: a record's members and an array's
//! elements as slices of the body. Slices keep property order and number spelling as written (a
//! `serde_json::Value` would sort keys and round numbers) and cost no allocation.
//!
//! Owns: scanning text that serde_json has already validated. Does not own: validation (every
//! function here assumes valid JSON, and on anything else returns `None` rather than panicking).

/// One JSON value's text kind, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

pub(crate) fn kind_of(raw: &str) -> JsonKind {
    match raw.as_bytes().first() {
        Some(b'{') => JsonKind::Object,
        Some(b'[') => JsonKind::Array,
        Some(b'"') => JsonKind::String,
        Some(b't' | b'f') => JsonKind::Bool,
        Some(b'n') | None => JsonKind::Null,
        Some(_) => JsonKind::Number,
    }
}

fn skip_whitespace(bytes: &[u8], mut position: usize) -> usize {
    while matches!(bytes.get(position), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        position += 1;
    }
    position
}

/// The end (exclusive) of the string starting with the quote at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut position = start + 1;
    loop {
        match bytes.get(position)? {
            b'\\' => position += 2,
            b'"' => return Some(position + 1),
            _ => position += 1,
        }
    }
}

/// The end (exclusive) of the value starting at `start`. Iterative, so nesting depth costs no stack.
fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => {
            let mut depth: usize = 0;
            let mut position = start;
            loop {
                match bytes.get(position)? {
                    b'"' => {
                        position = string_end(bytes, position)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(position + 1);
                        }
                    }
                    _ => {}
                }
                position += 1;
            }
        }
        _ => {
            let mut position = start;
            while let Some(byte) = bytes.get(position) {
                if matches!(byte, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                position += 1;
            }
            Some(position)
        }
    }
}

/// The contents of a JSON string literal (`raw` includes the quotes), unescaped. Borrowed when the
/// literal has no escapes, which is the common case.
pub(crate) fn unescape_string(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(std::borrow::Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(raw)
        .ok()
        .map(std::borrow::Cow::Owned)
}

/// Calls `visit(key_raw, value_raw)` for each member of the object `raw`, in order, until it
/// returns false. `key_raw` includes its quotes.
pub(crate) fn for_each_member<'a>(
    raw: &'a str,
    mut visit: impl FnMut(&'a str, &'a str) -> bool,
) -> Option<()> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let mut position = skip_whitespace(bytes, 1);
    if bytes.get(position) == Some(&b'}') {
        return Some(());
    }
    loop {
        let key_end = string_end(bytes, position)?;
        let key = raw.get(position..key_end)?;
        position = skip_whitespace(bytes, key_end);
        if bytes.get(position) != Some(&b':') {
            return None;
        }
        let value_start = skip_whitespace(bytes, position + 1);
        let value_stop = value_end(bytes, value_start)?;
        let value = raw.get(value_start..value_stop)?;
        if !visit(key, value) {
            return Some(());
        }
        position = skip_whitespace(bytes, value_stop);
        match bytes.get(position)? {
            b',' => position = skip_whitespace(bytes, position + 1),
            b'}' => return Some(()),
            _ => return None,
        }
    }
}

/// Calls `visit(element_raw)` for each element of the array `raw`, in order, until it returns false.
pub(crate) fn for_each_element<'a>(
    raw: &'a str,
    mut visit: impl FnMut(&'a str) -> bool,
) -> Option<()> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'[') {
        return None;
    }
    let mut position = skip_whitespace(bytes, 1);
    if bytes.get(position) == Some(&b']') {
        return Some(());
    }
    loop {
        let element_stop = value_end(bytes, position)?;
        if !visit(raw.get(position..element_stop)?) {
            return Some(());
        }
        position = skip_whitespace(bytes, element_stop);
        match bytes.get(position)? {
            b',' => position = skip_whitespace(bytes, position + 1),
            b']' => return Some(()),
            _ => return None,
        }
    }
}

/// True when the raw key literal (with quotes) spells `name`.
pub(crate) fn key_equals(key_raw: &str, name: &str) -> bool {
    match unescape_string(key_raw) {
        Some(key) => key == name,
        None => false,
    }
}

/// The value of member `name` of object `raw` (the first, if the key repeats).
pub(crate) fn member<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let mut found = None;
    for_each_member(raw, |key, value| {
        if key_equals(key, name) {
            found = Some(value);
            return false;
        }
        true
    })?;
    found
}

/// Element `index` of array `raw`.
pub(crate) fn element(raw: &str, index: usize) -> Option<&str> {
    let mut found = None;
    let mut current = 0;
    for_each_element(raw, |value| {
        if current == index {
            found = Some(value);
            return false;
        }
        current += 1;
        true
    })?;
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves members and elements are found as written, nested values skipped whole, and strings
    /// holding braces, quotes and escapes do not confuse the scan.
    #[test]
    fn finds_members_and_elements() {
        let record =
            r#"{ "a" : {"x": "}]\"{", "y": [1, {"z": 2}]}, "b\u0031": 7 , "c":[10, "t", null] }"#;
        assert_eq!(
            member(record, "a"),
            Some(r#"{"x": "}]\"{", "y": [1, {"z": 2}]}"#)
        );
        assert_eq!(member(record, "b1"), Some("7"));
        assert_eq!(member(record, "missing"), None);
        let array = member(record, "c").unwrap_or("[]");
        assert_eq!(element(array, 0), Some("10"));
        assert_eq!(element(array, 1), Some(r#""t""#));
        assert_eq!(element(array, 2), Some("null"));
        assert_eq!(element(array, 3), None);
        assert_eq!(member("{}", "a"), None);
        assert_eq!(element("[]", 0), None);
        assert_eq!(unescape_string(r#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(kind_of("-1"), JsonKind::Number);
    }

    /// Proves malformed text yields None instead of a panic or an endless loop.
    #[test]
    fn malformed_text_is_none() {
        assert_eq!(member(r#"{"a" 1}"#, "a"), None);
        assert_eq!(member(r#"{"a": "#, "a"), None);
        assert_eq!(element("[1, ", 5), None);
        assert_eq!(member("[1]", "a"), None);
        assert_eq!(unescape_string("\""), None);
    }
}
