//! Finding where a JSON value ends without parsing it, resumably: the one primitive the frame
//! scanner and the row splitter are built on. Values are found by bracket depth and string state;
//! their contents are checked later, by whoever decodes them.

use std::borrow::Cow;

/// The progress of finding one value's end, kept between buffers so that a value arriving in
/// many chunks is scanned once, not again from its start after every chunk.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ValueScan {
    depth: u32,
    in_string: bool,
    escaped: bool,
    started: bool,
    in_scalar: bool,
}

/// What [`ValueScan::advance`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanOutcome {
    /// The value ends just before this index.
    Complete(usize),
    /// The input ran out first (a number at the very end counts as incomplete: more digits may
    /// follow).
    NeedMore,
}

fn is_scalar_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.')
}

fn is_delimiter(byte: u8) -> bool {
    matches!(byte, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
}

impl ValueScan {
    /// Continues over `bytes[from..]`.
    pub(crate) fn advance(
        &mut self,
        bytes: &[u8],
        from: usize,
    ) -> Result<ScanOutcome, &'static str> {
        let Some(rest) = bytes.get(from..) else {
            return Ok(ScanOutcome::NeedMore);
        };
        for (offset, &byte) in rest.iter().enumerate() {
            let position = from + offset;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Ok(ScanOutcome::Complete(position + 1));
                    }
                }
                continue;
            }
            if !self.started {
                match byte {
                    b' ' | b'\t' | b'\r' | b'\n' => {}
                    b'"' => {
                        self.started = true;
                        self.in_string = true;
                    }
                    b'{' | b'[' => {
                        self.started = true;
                        self.depth = 1;
                    }
                    byte if is_scalar_byte(byte) => {
                        self.started = true;
                        self.in_scalar = true;
                    }
                    _ => return Err("unexpected character where a JSON value should start"),
                }
                continue;
            }
            if self.in_scalar {
                if is_delimiter(byte) {
                    return Ok(ScanOutcome::Complete(position));
                }
                if !is_scalar_byte(byte) {
                    return Err("unexpected character in a JSON number or literal");
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth = self.depth.saturating_add(1),
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Ok(ScanOutcome::Complete(position + 1));
                    }
                }
                _ => {}
            }
        }
        Ok(ScanOutcome::NeedMore)
    }
}

/// The end of the value starting at `start` in a complete input (a scalar may end the input).
pub(crate) fn complete_value_end(bytes: &[u8], start: usize) -> Result<usize, &'static str> {
    let mut scan = ValueScan::default();
    match scan.advance(bytes, start)? {
        ScanOutcome::Complete(end) => Ok(end),
        ScanOutcome::NeedMore if scan.in_scalar => Ok(bytes.len()),
        ScanOutcome::NeedMore => Err("the JSON value is not closed"),
    }
}

fn skip_whitespace(bytes: &[u8], mut position: usize) -> usize {
    while bytes
        .get(position)
        .is_some_and(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
    {
        position += 1;
    }
    position
}

/// Calls `each` with the raw bytes of every element of the JSON array `bytes`, in order.
pub(crate) fn for_each_element(
    bytes: &[u8],
    mut each: impl FnMut(usize, &[u8]) -> crate::Result<()>,
) -> crate::Result<usize> {
    let malformed = |reason: &str| crate::Error::protocol(format!("row: {reason}"));
    let mut position = skip_whitespace(bytes, 0);
    if bytes.get(position) != Some(&b'[') {
        return Err(malformed("expected a JSON array"));
    }
    position += 1;
    let mut count = 0;
    loop {
        position = skip_whitespace(bytes, position);
        match bytes.get(position) {
            None => return Err(malformed("the array is not closed")),
            Some(b']') => {
                if skip_whitespace(bytes, position + 1) != bytes.len() {
                    return Err(malformed("characters after the array"));
                }
                return Ok(count);
            }
            Some(b',') if count > 0 => {
                position = skip_whitespace(bytes, position + 1);
            }
            Some(_) if count == 0 => {}
            Some(_) => return Err(malformed("expected ',' between elements")),
        }
        let end = complete_value_end(bytes, position).map_err(malformed)?;
        let element = bytes.get(position..end).unwrap_or_default();
        each(count, element)?;
        count += 1;
        position = end;
    }
}

/// The text of a JSON string literal (quotes included in `raw`), unescaped; borrowed when it has
/// no escapes.
pub(crate) fn string_contents(raw: &[u8]) -> Result<Cow<'_, str>, &'static str> {
    let inner = raw
        .strip_prefix(b"\"")
        .and_then(|rest| rest.strip_suffix(b"\""))
        .ok_or("not a JSON string")?;
    if !inner.contains(&b'\\') {
        return std::str::from_utf8(inner)
            .map(Cow::Borrowed)
            .map_err(|_| "a string that is not UTF-8");
    }
    serde_json::from_slice::<String>(raw)
        .map(Cow::Owned)
        .map_err(|_| "a malformed JSON string")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(text: &str) -> crate::Result<Vec<String>> {
        let mut found = Vec::new();
        for_each_element(text.as_bytes(), |_, element| {
            found.push(String::from_utf8_lossy(element).into_owned());
            Ok(())
        })?;
        Ok(found)
    }

    // Proves elements are split on depth and string state: brackets and commas inside strings,
    // escaped quotes, nested values and scalars at the end.
    #[test]
    fn splits_array_elements() {
        let found = elements(r#"[1, "a,]\"b", {"k":[1,{"x":"}"}]}, null,-2.5E+3]"#);
        assert_eq!(
            found.ok(),
            Some(vec![
                "1".to_string(),
                r#""a,]\"b""#.to_string(),
                r#"{"k":[1,{"x":"}"}]}"#.to_string(),
                "null".to_string(),
                "-2.5E+3".to_string(),
            ])
        );
        assert_eq!(elements("[]").ok(), Some(vec![]));
    }

    // Proves malformed arrays are errors, not panics.
    #[test]
    fn malformed_arrays() {
        for text in [
            "", "[", "[1,", "[1 2]", "{}", "[1]x", "[\"open", "[,1]", "[:]",
        ] {
            assert!(elements(text).is_err(), "{text:?} should be an error");
        }
    }

    // Proves a value split across chunks is found by resuming, and strings unescape.
    #[test]
    fn resumes_across_chunks() {
        let text = br#"{"a":"x}y","b":[1,2]} rest"#;
        let mut scan = ValueScan::default();
        assert_eq!(scan.advance(&text[..8], 0), Ok(ScanOutcome::NeedMore));
        assert_eq!(scan.advance(text, 8), Ok(ScanOutcome::Complete(21)));
        assert_eq!(string_contents(br#""a\nb""#).as_deref(), Ok("a\nb"));
        assert_eq!(string_contents(br#""plain""#).as_deref(), Ok("plain"));
        assert!(string_contents(b"12").is_err());
    }
}
