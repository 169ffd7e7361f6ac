//! Syntax diagnostics: what went wrong, where (byte span and 1-based line:column), printed the way
//! Kusto prints them so clients and golden files see the familiar form.
//!
//! Does not own: semantic errors (unknown names, type mismatches); those belong to the planner.

use crate::ast::Span;

/// Kusto's code for a generic "could not recognise this" syntax error.
pub const SYNTAX_ERROR_CODE: &str = "SYN0002";

/// A syntax error. `line` and `column` are 1-based and count characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Syntax error: {code}: {message} [line:position={line}:{column}]")]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    pub line: u32,
    pub column: u32,
}

impl Diagnostic {
    /// A SYN0002 diagnostic at `span`, with line:column computed from `text`.
    pub fn syntax(text: &str, span: Span, message: impl Into<String>) -> Diagnostic {
        let (line, column) = line_column(text, span.start);
        Diagnostic {
            code: SYNTAX_ERROR_CODE,
            message: message.into(),
            span,
            line,
            column,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset. An offset past the end reports the
/// position just after the last character; one inside a multi-byte character reports that character.
pub fn line_column(text: &str, offset: u32) -> (u32, u32) {
    let offset = offset as usize;
    let mut line: u32 = 1;
    let mut column: u32 = 1;
    for (index, character) in text.char_indices() {
        if index + character.len_utf8() > offset {
            break;
        }
        if character == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves columns count characters (not bytes) and lines restart the column at 1.
    #[test]
    fn line_column_counts_characters_and_lines() {
        let text = "ab\nçd|x";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (1, 3));
        assert_eq!(line_column(text, 3), (2, 1));
        // 'ç' is two bytes: the 'd' after it is at byte 5 but column 2.
        assert_eq!(line_column(text, 5), (2, 2));
        assert_eq!(line_column(text, 6), (2, 3));
        assert_eq!(line_column(text, 1000), (2, 5));
    }

    // Proves the Display form is Kusto's `Syntax error: SYN0002: ... [line:position=L:C]`.
    #[test]
    fn display_matches_kusto_form() {
        let diagnostic = Diagnostic::syntax(
            "T | where",
            Span::new(9, 9),
            "expected x, found end of input",
        );
        assert_eq!(
            diagnostic.to_string(),
            "Syntax error: SYN0002: expected x, found end of input [line:position=1:10]"
        );
    }
}
