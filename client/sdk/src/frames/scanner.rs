//! Cuts a response body, fed in chunks as it arrives, into frames and rows without waiting for
//! the whole body and without holding more than one frame head or one row at a time.
//!
//! A v2 body is a JSON array of frames; a v1 body is `{"Tables":[table, ...]}`. Either way the
//! interesting objects (frames, tables) may carry a `Rows` array that can be arbitrarily long
//! (a non-fragmented DataTable holds a whole result), so such an object comes out in pieces: its
//! fields before `Rows` ([`Piece::Head`]), each row ([`Piece::Row`]), its fields after `Rows`
//! ([`Piece::Tail`]). An object without `Rows` comes out whole ([`Piece::Frame`]).
//!
//! Frame boundaries are found from JSON structure (depth, strings), so the scanner does not rely
//! on the newline framing and reads both the default and the newline-framed v2 forms.

use super::json::{ScanOutcome, ValueScan};
use crate::{Error, Result};

/// Which body shape to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `[frame, frame, ...]`
    V2,
    /// `{"Tables":[table, ...], ...}`
    V1,
}

#[derive(Debug)]
pub(crate) enum Piece<'a> {
    /// An object without `Rows`, whole.
    Frame(&'a [u8]),
    /// The fields before `Rows`, as a JSON object.
    Head(Vec<u8>),
    /// One element of `Rows`.
    Row(&'a [u8]),
    /// The fields after `Rows`, as a JSON object (`{}` when there are none).
    Tail(Vec<u8>),
    /// The body is complete.
    End,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Start,
    /// In v1's root object, before a key or the closing brace.
    RootKey,
    /// In v1's root object, passing over a value that is not `Tables`.
    RootValue(ValueScan),
    BetweenFrames,
    /// In a frame, before a key or the closing brace. `tail_start` is set once `Rows` is behind.
    FrameKey {
        frame_start: usize,
        tail_start: Option<usize>,
    },
    /// In a frame, passing over a value that is not `Rows`.
    FrameValue {
        frame_start: usize,
        tail_start: Option<usize>,
        scan: ValueScan,
    },
    BetweenRows,
    Row {
        start: usize,
        scan: ValueScan,
    },
    Done,
    Finished,
}

pub(crate) struct FrameScanner {
    layout: Layout,
    buffer: Vec<u8>,
    position: usize,
    state: State,
    /// The most bytes one frame head, row or tail may take.
    piece_bytes_max: usize,
    buffer_bytes_peak: usize,
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Wraps the fields in `fields` (as they were between an object's braces, possibly with a
/// leading or trailing comma) into a JSON object.
fn as_object(fields: &[u8]) -> Vec<u8> {
    let is_edge = |byte: &u8| is_whitespace(*byte) || *byte == b',';
    let start = fields.iter().position(|byte| !is_edge(byte));
    let end = fields.iter().rposition(|byte| !is_edge(byte));
    let trimmed = match (start, end) {
        (Some(start), Some(end)) if start <= end => fields.get(start..=end).unwrap_or_default(),
        _ => &[],
    };
    let mut object = Vec::with_capacity(trimmed.len() + 2);
    object.push(b'{');
    object.extend_from_slice(trimmed);
    object.push(b'}');
    object
}

impl FrameScanner {
    pub(crate) fn new(layout: Layout, piece_bytes_max: usize) -> FrameScanner {
        FrameScanner {
            layout,
            buffer: Vec::new(),
            position: 0,
            state: State::Start,
            piece_bytes_max,
            buffer_bytes_peak: 0,
        }
    }

    /// The largest the buffer has been: what the scanner held at once.
    pub(crate) fn buffer_bytes_peak(&self) -> usize {
        self.buffer_bytes_peak
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done | State::Finished)
    }

    /// The first byte still needed by the piece in progress.
    fn keep_from(&self) -> usize {
        match self.state {
            State::FrameKey {
                frame_start,
                tail_start,
            }
            | State::FrameValue {
                frame_start,
                tail_start,
                ..
            } => tail_start.unwrap_or(frame_start),
            State::Row { start, .. } => start,
            _ => self.position,
        }
    }

    /// Adds the next chunk of the body. Bytes already handed out are dropped first.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if self.is_done() {
            return Ok(());
        }
        let keep_from = self.keep_from().min(self.buffer.len());
        if keep_from > 0 {
            self.buffer.drain(..keep_from);
            self.position -= keep_from;
            self.state = match self.state {
                State::FrameKey {
                    frame_start,
                    tail_start,
                } => State::FrameKey {
                    frame_start: frame_start.saturating_sub(keep_from),
                    tail_start: tail_start.map(|start| start - keep_from),
                },
                State::FrameValue {
                    frame_start,
                    tail_start,
                    scan,
                } => State::FrameValue {
                    frame_start: frame_start.saturating_sub(keep_from),
                    tail_start: tail_start.map(|start| start - keep_from),
                    scan,
                },
                State::Row { start, scan } => State::Row {
                    start: start - keep_from,
                    scan,
                },
                other => other,
            };
        }
        if self.buffer.len() + chunk.len() > self.piece_bytes_max {
            return Err(Error::protocol(format!(
                "a frame or row is larger than {} bytes",
                self.piece_bytes_max
            )));
        }
        self.buffer.extend_from_slice(chunk);
        self.buffer_bytes_peak = self.buffer_bytes_peak.max(self.buffer.len());
        Ok(())
    }

    /// Skips whitespace (and commas, where the caller allows them); the next byte, if any.
    fn next_significant(&mut self, skip_commas: bool) -> Option<u8> {
        while let Some(&byte) = self.buffer.get(self.position) {
            if is_whitespace(byte) || (skip_commas && byte == b',') {
                self.position += 1;
                continue;
            }
            return Some(byte);
        }
        None
    }

    /// Reads `"key" :` at the position, leaving the position on the value's first byte. `None`
    /// (position unchanged) when the buffer ends first.
    fn read_key(&mut self) -> Result<Option<(usize, usize)>> {
        let key_start = self.position;
        let mut scan = ValueScan::default();
        let key_end = match scan.advance(&self.buffer, key_start) {
            Ok(ScanOutcome::Complete(end)) => end,
            Ok(ScanOutcome::NeedMore) => return Ok(None),
            Err(reason) => return Err(Error::protocol(format!("in an object key: {reason}"))),
        };
        self.position = key_end;
        match self.next_significant(false) {
            None => {
                self.position = key_start;
                return Ok(None);
            }
            Some(b':') => self.position += 1,
            Some(_) => return Err(Error::protocol("expected ':' after an object key")),
        }
        if self.next_significant(false).is_none() {
            self.position = key_start;
            return Ok(None);
        }
        Ok(Some((key_start, key_end)))
    }

    fn key_is(&self, (start, end): (usize, usize), name: &[u8]) -> bool {
        self.buffer
            .get(start + 1..end.saturating_sub(1))
            .is_some_and(|key| key == name)
    }

    /// The next piece, or `None` when the buffered bytes end before it does.
    pub(crate) fn next_piece(&mut self) -> Result<Option<Piece<'_>>> {
        loop {
            match self.state {
                State::Start => {
                    let Some(byte) = self.next_significant(false) else {
                        return Ok(None);
                    };
                    self.position += 1;
                    self.state = match (self.layout, byte) {
                        (Layout::V2, b'[') => State::BetweenFrames,
                        (Layout::V1, b'{') => State::RootKey,
                        (Layout::V2, _) => {
                            return Err(Error::protocol("a v2 response must be a JSON array"));
                        }
                        (Layout::V1, _) => {
                            return Err(Error::protocol("a v1 response must be a JSON object"));
                        }
                    };
                }
                State::RootKey => {
                    let Some(byte) = self.next_significant(true) else {
                        return Ok(None);
                    };
                    if byte == b'}' {
                        self.position += 1;
                        self.state = State::Done;
                        continue;
                    }
                    if byte != b'"' {
                        return Err(Error::protocol("expected a key in the v1 response object"));
                    }
                    let Some(key) = self.read_key()? else {
                        return Ok(None);
                    };
                    let value_is_array = self.buffer.get(self.position) == Some(&b'[');
                    if self.key_is(key, b"Tables") && value_is_array {
                        self.position += 1;
                        self.state = State::BetweenFrames;
                    } else {
                        self.state = State::RootValue(ValueScan::default());
                    }
                }
                State::RootValue(mut scan) => match scan.advance(&self.buffer, self.position) {
                    Ok(ScanOutcome::Complete(end)) => {
                        self.position = end;
                        self.state = State::RootKey;
                    }
                    Ok(ScanOutcome::NeedMore) => {
                        self.position = self.buffer.len();
                        self.state = State::RootValue(scan);
                        return Ok(None);
                    }
                    Err(reason) => return Err(Error::protocol(reason)),
                },
                State::BetweenFrames => {
                    let Some(byte) = self.next_significant(true) else {
                        return Ok(None);
                    };
                    self.position += 1;
                    match byte {
                        b']' => {
                            self.state = match self.layout {
                                Layout::V2 => State::Done,
                                Layout::V1 => State::RootKey,
                            };
                        }
                        b'{' => {
                            self.state = State::FrameKey {
                                frame_start: self.position - 1,
                                tail_start: None,
                            };
                        }
                        _ => return Err(Error::protocol("expected a frame object")),
                    }
                }
                State::FrameKey {
                    frame_start,
                    tail_start,
                } => {
                    let Some(byte) = self.next_significant(true) else {
                        return Ok(None);
                    };
                    if byte == b'}' {
                        self.position += 1;
                        self.state = State::BetweenFrames;
                        let piece = match tail_start {
                            Some(tail_start) => Piece::Tail(as_object(
                                self.buffer
                                    .get(tail_start..self.position - 1)
                                    .unwrap_or_default(),
                            )),
                            None => Piece::Frame(
                                self.buffer
                                    .get(frame_start..self.position)
                                    .unwrap_or_default(),
                            ),
                        };
                        return Ok(Some(piece));
                    }
                    if byte != b'"' {
                        return Err(Error::protocol("expected a key in a frame object"));
                    }
                    let Some(key) = self.read_key()? else {
                        return Ok(None);
                    };
                    let value_is_array = self.buffer.get(self.position) == Some(&b'[');
                    if tail_start.is_none() && value_is_array && self.key_is(key, b"Rows") {
                        let head =
                            as_object(self.buffer.get(frame_start + 1..key.0).unwrap_or_default());
                        self.position += 1;
                        self.state = State::BetweenRows;
                        return Ok(Some(Piece::Head(head)));
                    }
                    self.state = State::FrameValue {
                        frame_start,
                        tail_start,
                        scan: ValueScan::default(),
                    };
                }
                State::FrameValue {
                    frame_start,
                    tail_start,
                    mut scan,
                } => match scan.advance(&self.buffer, self.position) {
                    Ok(ScanOutcome::Complete(end)) => {
                        self.position = end;
                        self.state = State::FrameKey {
                            frame_start,
                            tail_start,
                        };
                    }
                    Ok(ScanOutcome::NeedMore) => {
                        self.position = self.buffer.len();
                        self.state = State::FrameValue {
                            frame_start,
                            tail_start,
                            scan,
                        };
                        return Ok(None);
                    }
                    Err(reason) => return Err(Error::protocol(reason)),
                },
                State::BetweenRows => {
                    let Some(byte) = self.next_significant(true) else {
                        return Ok(None);
                    };
                    if byte == b']' {
                        self.position += 1;
                        self.state = State::FrameKey {
                            frame_start: self.position,
                            tail_start: Some(self.position),
                        };
                        continue;
                    }
                    self.state = State::Row {
                        start: self.position,
                        scan: ValueScan::default(),
                    };
                }
                State::Row { start, mut scan } => match scan.advance(&self.buffer, self.position) {
                    Ok(ScanOutcome::Complete(end)) => {
                        self.position = end;
                        self.state = State::BetweenRows;
                        return Ok(Some(Piece::Row(
                            self.buffer.get(start..end).unwrap_or_default(),
                        )));
                    }
                    Ok(ScanOutcome::NeedMore) => {
                        self.position = self.buffer.len();
                        self.state = State::Row { start, scan };
                        return Ok(None);
                    }
                    Err(reason) => return Err(Error::protocol(format!("in a row: {reason}"))),
                },
                State::Done => {
                    self.state = State::Finished;
                    return Ok(Some(Piece::End));
                }
                State::Finished => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use super::*;

    /// Feeds `body` in chunks of `chunk` bytes and renders every piece as text.
    fn pieces(layout: Layout, body: &str, chunk: usize) -> Result<Vec<String>> {
        let mut scanner = FrameScanner::new(layout, 1 << 20);
        let mut found = Vec::new();
        for part in body.as_bytes().chunks(chunk.max(1)) {
            scanner.feed(part)?;
            while let Some(piece) = scanner.next_piece()? {
                found.push(match piece {
                    Piece::Frame(bytes) => format!("F{}", String::from_utf8_lossy(bytes)),
                    Piece::Head(bytes) => format!("H{}", String::from_utf8_lossy(&bytes)),
                    Piece::Row(bytes) => format!("R{}", String::from_utf8_lossy(bytes)),
                    Piece::Tail(bytes) => format!("T{}", String::from_utf8_lossy(&bytes)),
                    Piece::End => "E".to_string(),
                });
            }
        }
        Ok(found)
    }

    const DEFAULT_V2: &str = r#"[{"FrameType":"DataSetHeader","Version":"v2.0"},{"FrameType":"DataTable","TableId":1,"Columns":[{"ColumnName":"s","ColumnType":"string"}],"Rows":[["a,]"],["b\"}"]]},{"FrameType":"DataSetCompletion","HasErrors":false}]"#;

    // Proves the default v2 form is cut into a whole frame, a head, rows, a tail and a whole
    // frame, identically whatever the chunk size (1 byte to all at once).
    #[test]
    fn default_v2_in_any_chunking() {
        let expected = vec![
            r#"F{"FrameType":"DataSetHeader","Version":"v2.0"}"#.to_string(),
            r#"H{"FrameType":"DataTable","TableId":1,"Columns":[{"ColumnName":"s","ColumnType":"string"}]}"#.to_string(),
            r#"R["a,]"]"#.to_string(),
            r#"R["b\"}"]"#.to_string(),
            "T{}".to_string(),
            r#"F{"FrameType":"DataSetCompletion","HasErrors":false}"#.to_string(),
            "E".to_string(),
        ];
        for chunk in [1, 2, 3, 7, 64, 10_000] {
            match pieces(Layout::V2, DEFAULT_V2, chunk) {
                Ok(found) => assert_eq!(found, expected, "chunk size {chunk}"),
                Err(error) => panic!("chunk size {chunk}: {error}"),
            }
        }
    }

    // Proves the newline-framed fragmented form and fields after Rows (kept in the tail).
    #[test]
    fn newline_framed_fragments() {
        let body = "[{\"FrameType\":\"TableHeader\",\"TableId\":1}\n,{\"FrameType\":\"TableFragment\",\"TableId\":1,\"Rows\":[[1],[2]],\"Extra\":true}\n,{\"FrameType\":\"TableCompletion\",\"TableId\":1,\"RowCount\":2}\n]";
        let found = pieces(Layout::V2, body, 5).unwrap_or_default();
        assert_eq!(
            found,
            vec![
                r#"F{"FrameType":"TableHeader","TableId":1}"#,
                r#"H{"FrameType":"TableFragment","TableId":1}"#,
                "R[1]",
                "R[2]",
                r#"T{"Extra":true}"#,
                r#"F{"FrameType":"TableCompletion","TableId":1,"RowCount":2}"#,
                "E",
            ]
        );
    }

    // Proves the v1 shape: tables come out like frames, other root keys are passed over.
    #[test]
    fn v1_tables() {
        let body = r#"{"Exceptions":["x]"],"Tables":[{"TableName":"Table_0","Columns":[],"Rows":[[1,"a"]]}],"More":{}}"#;
        let found = pieces(Layout::V1, body, 3).unwrap_or_default();
        assert_eq!(
            found,
            vec![
                r#"H{"TableName":"Table_0","Columns":[]}"#,
                r#"R[1,"a"]"#,
                "T{}",
                "E"
            ]
        );
    }

    // Proves garbage gives a protocol error, never a panic, and that a truncated body simply
    // never reaches End (the caller turns that into an error).
    #[test]
    fn garbage_and_truncation() {
        for body in [
            "{\"a\":1}",
            "[1]",
            "[{1}]",
            "[{\"a\" 1}]",
            "[{\"Rows\":[[1],]x",
        ] {
            let outcome = pieces(Layout::V2, body, 2);
            assert!(
                outcome.is_err()
                    || !outcome
                        .as_ref()
                        .is_ok_and(|found| found.contains(&"E".to_string())),
                "{body}: {outcome:?}"
            );
        }
        for cut in 0..DEFAULT_V2.len() {
            let found = pieces(Layout::V2, &DEFAULT_V2[..cut], 4);
            assert!(
                !found.is_ok_and(|found| found.contains(&"E".to_string())),
                "cut at {cut} must not complete"
            );
        }
    }

    // Proves one row larger than the limit is refused instead of buffered.
    #[test]
    fn piece_size_limit() {
        let mut scanner = FrameScanner::new(Layout::V2, 64);
        let mut outcome = Ok(());
        let row = format!(
            "[{{\"FrameType\":\"DataTable\",\"Rows\":[[\"{}\"]]}}]",
            "x".repeat(200)
        );
        for part in row.as_bytes().chunks(16) {
            outcome = scanner.feed(part);
            if outcome.is_err() {
                break;
            }
            while let Ok(Some(_)) = scanner.next_piece() {}
        }
        assert!(matches!(outcome, Err(Error::Protocol { .. })));
        assert!(scanner.buffer_bytes_peak() <= 64);
    }
}
