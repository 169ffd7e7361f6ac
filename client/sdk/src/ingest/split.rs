//! Cuts a text body into chunks of whole records, each at most about `chunk_bytes_max` bytes,
//! so that a large file goes up as several bounded requests that can each be retried alone.
//!
//! Records end at a line break (csv-like formats: not inside a quoted field) or, for multijson,
//! where a top-level JSON value closes. A record longer than the limit makes one larger chunk.
//! Cuts depend only on the bytes and the limit, so the same input is cut the same way every time:
//! that is what makes a re-run with the same ingestion tag skip what was already ingested.

/// How records are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordKind {
    /// One record per line (JSON lines).
    Lines,
    /// One record per line, except inside `"..."` (RFC 4180 csv, tsv, psv).
    QuotedLines,
    /// Whitespace-separated JSON values (multijson). A top-level array is one record.
    JsonValues,
}

pub(crate) struct RecordSplitter {
    kind: RecordKind,
    chunk_bytes_max: usize,
    pending: Vec<u8>,
    /// How far `pending` has been scanned.
    scanned: usize,
    in_quotes: bool,
    in_string: bool,
    escaped: bool,
    depth: u32,
}

impl RecordSplitter {
    pub(crate) fn new(kind: RecordKind, chunk_bytes_max: usize) -> RecordSplitter {
        RecordSplitter {
            kind,
            chunk_bytes_max: chunk_bytes_max.max(1),
            pending: Vec::new(),
            scanned: 0,
            in_quotes: false,
            in_string: false,
            escaped: false,
            depth: 0,
        }
    }

    /// Scans on from where it stopped; the first record end at or past `chunk_bytes_max`, where
    /// the scan stops. (The first such end, not the last one buffered, so that the cut does not
    /// depend on how the bytes arrived.)
    fn scan_for_cut(&mut self) -> Option<usize> {
        while let Some(&byte) = self.pending.get(self.scanned) {
            self.scanned += 1;
            let after = self.scanned;
            let record_ends = match self.kind {
                RecordKind::Lines => byte == b'\n',
                RecordKind::QuotedLines => {
                    if byte == b'"' {
                        self.in_quotes = !self.in_quotes;
                    }
                    byte == b'\n' && !self.in_quotes
                }
                RecordKind::JsonValues => {
                    if self.in_string {
                        if self.escaped {
                            self.escaped = false;
                        } else if byte == b'\\' {
                            self.escaped = true;
                        } else if byte == b'"' {
                            self.in_string = false;
                        }
                        false
                    } else {
                        match byte {
                            b'"' => {
                                self.in_string = true;
                                false
                            }
                            b'{' | b'[' => {
                                self.depth = self.depth.saturating_add(1);
                                false
                            }
                            b'}' | b']' => {
                                self.depth = self.depth.saturating_sub(1);
                                self.depth == 0
                            }
                            b'\n' => self.depth == 0,
                            _ => false,
                        }
                    }
                }
            };
            if record_ends && after >= self.chunk_bytes_max {
                return Some(after);
            }
        }
        None
    }

    /// Adds bytes; returns the chunks completed by them.
    pub(crate) fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(data);
        let mut chunks = Vec::new();
        while let Some(cut) = self.scan_for_cut() {
            chunks.push(self.pending.drain(..cut).collect());
            // A record end is outside any quote, string or nesting: scanning starts over clean.
            self.scanned = 0;
            self.in_quotes = false;
            self.in_string = false;
            self.escaped = false;
            self.depth = 0;
        }
        chunks
    }

    /// The rest, if any (a last record without a trailing line break included).
    pub(crate) fn finish(self) -> Option<Vec<u8>> {
        let has_content = self
            .pending
            .iter()
            .any(|byte| !matches!(byte, b' ' | b'\t' | b'\r' | b'\n'));
        has_content.then_some(self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(kind: RecordKind, text: &str, chunk_bytes_max: usize, piece: usize) -> Vec<String> {
        let mut splitter = RecordSplitter::new(kind, chunk_bytes_max);
        let mut chunks = Vec::new();
        for part in text.as_bytes().chunks(piece) {
            chunks.extend(splitter.push(part));
        }
        chunks.extend(splitter.finish());
        chunks
            .into_iter()
            .map(|chunk| String::from_utf8_lossy(&chunk).into_owned())
            .collect()
    }

    // Proves csv chunks end on record boundaries, never inside a quoted line break, keep every
    // byte, and come out the same whatever size the input arrives in.
    #[test]
    fn csv_records_stay_whole() {
        let text = "1,a\n2,\"multi\nline\"\n3,c\n4,d";
        for piece in [1, 3, 100] {
            let chunks = split(RecordKind::QuotedLines, text, 6, piece);
            assert_eq!(
                chunks,
                vec!["1,a\n2,\"multi\nline\"\n", "3,c\n4,d"],
                "piece {piece}"
            );
            assert_eq!(chunks.concat(), text);
        }
    }

    // Proves multijson values (pretty-printed, with braces inside strings) are never cut.
    #[test]
    fn json_values_stay_whole() {
        let text = "{\"a\":\n \"}\"}\n{\"b\":[1,\n2]} {\"c\":3}\n";
        let chunks = split(RecordKind::JsonValues, text, 4, 2);
        assert_eq!(
            chunks,
            vec!["{\"a\":\n \"}\"}", "\n{\"b\":[1,\n2]}", " {\"c\":3}"]
        );
        assert_eq!(chunks.concat(), text.trim_end());
    }

    // Proves a record longer than the limit is one larger chunk, and blank input is no chunk.
    #[test]
    fn long_records_and_blank_input() {
        let chunks = split(RecordKind::Lines, "aaaaaaaaaa\nb\n", 4, 3);
        assert_eq!(chunks, vec!["aaaaaaaaaa\n", "b\n"]);
        assert!(split(RecordKind::Lines, "\n \n", 4, 1).is_empty());
    }
}
