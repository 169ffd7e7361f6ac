//! The recursive-descent parser: token cursor, statements, and the nesting limit.
//!
//! Owns: turning tokens into [`ast`](crate::ast) and [`command`](crate::command) trees, and the
//! diagnostics for text that does not fit the grammar.
//! Does not own: what names mean, or whether a `let` value is tabular (the planner decides).
//!
//! Layout: `expr` (expressions, sources like `datatable`), `literal` (the raw contents of typed
//! literals such as `timespan(1.02:03:04)`), `operators` (everything after `|`), `command`
//! (management commands), `statement` (`let`, `set`, `declare`, function bodies).

mod command;
mod expr;
mod literal;
mod operators;
mod statement;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crate::Result;
use crate::ast::{Ident, Span};
use crate::diagnostic::Diagnostic;
use crate::lexer::{Lexer, Token, TokenKind};

/// How deeply expressions, pipelines and function bodies may nest. Deeper text is a diagnostic,
/// never a stack overflow: the bound keeps the deepest recursion well inside a 2 MiB thread stack
/// in debug builds.
pub const KQL_NESTING_DEPTH_MAX: usize = 128;

pub(crate) struct Parser<'a> {
    text: &'a str,
    lexer: Lexer<'a>,
    /// Tokens lexed but not yet consumed. Lexing is lazy so a raw read can reposition the lexer.
    lookahead: VecDeque<Token>,
    /// Span of the last consumed token, for "after '...'" in messages.
    previous: Span,
    depth: usize,
}

impl<'a> Parser<'a> {
    /// A parser over `text` starting at byte `start` (spans stay offsets into the whole `text`).
    pub(crate) fn new(text: &'a str, start: usize) -> Parser<'a> {
        let mut lexer = Lexer::new(text);
        lexer.set_position(start);
        Parser {
            text,
            lexer,
            lookahead: VecDeque::new(),
            previous: Span::new(start, start),
            depth: 0,
        }
    }

    fn peek_nth(&mut self, index: usize) -> &Token {
        while self.lookahead.len() <= index {
            let token = self.lexer.next_token();
            self.lookahead.push_back(token);
        }
        // The loop above guarantees `index < len`; fall back to the last token defensively.
        let last = self.lookahead.len() - 1;
        &self.lookahead[index.min(last)]
    }

    fn peek(&mut self) -> &Token {
        self.peek_nth(0)
    }

    fn bump(&mut self) -> Token {
        self.peek_nth(0);
        let token = self.lookahead.pop_front().unwrap_or(Token {
            kind: TokenKind::Eof,
            span: self.previous,
        });
        self.previous = token.span;
        token
    }

    fn bump_n(&mut self, count: usize) {
        for _ in 0..count {
            self.bump();
        }
    }

    /// Skips to byte `position` (after a raw read), dropping tokens lexed past the old position.
    fn reposition(&mut self, position: usize) {
        self.lookahead.clear();
        self.lexer.set_position(position);
    }

    fn is_punct_at(&mut self, index: usize, punctuation: &str) -> bool {
        matches!(&self.peek_nth(index).kind, TokenKind::Punct(p) if *p == punctuation)
    }

    fn at_punct(&mut self, punctuation: &str) -> bool {
        self.is_punct_at(0, punctuation)
    }

    fn eat_punct(&mut self, punctuation: &str) -> bool {
        if self.at_punct(punctuation) {
            self.bump();
            return true;
        }
        false
    }

    fn expect_punct(&mut self, punctuation: &str) -> Result<Span> {
        if self.at_punct(punctuation) {
            return Ok(self.bump().span);
        }
        Err(self.error_expected(&format!("'{punctuation}'")))
    }

    /// True when token `index` is the identifier `word`, matched case-sensitively (KQL keywords).
    fn is_keyword_at(&mut self, index: usize, word: &str) -> bool {
        matches!(&self.peek_nth(index).kind, TokenKind::Ident(name) if name == word)
    }

    fn at_keyword(&mut self, word: &str) -> bool {
        self.is_keyword_at(0, word)
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if self.at_keyword(word) {
            self.bump();
            return true;
        }
        false
    }

    fn expect_keyword(&mut self, word: &str) -> Result<Span> {
        if self.at_keyword(word) {
            return Ok(self.bump().span);
        }
        Err(self.error_expected(&format!("'{word}'")))
    }

    /// True when tokens `first` and `first + 1` touch (no whitespace or comment between them).
    fn adjacent(&mut self, first: usize) -> bool {
        let end = self.peek_nth(first).span.end;
        self.peek_nth(first + 1).span.start == end
    }

    /// A name made of identifiers joined by `-` with nothing between them (`project-away`,
    /// `set-or-append`), starting at token `index`: the joined text and how many tokens it spans.
    fn peek_hyphenated_name(&mut self, index: usize) -> Option<(String, usize)> {
        let TokenKind::Ident(first) = &self.peek_nth(index).kind else {
            return None;
        };
        let mut name = first.clone();
        let mut count = 1;
        while self.is_punct_at(index + count, "-")
            && self.adjacent(index + count - 1)
            && self.adjacent(index + count)
        {
            let TokenKind::Ident(part) = &self.peek_nth(index + count + 1).kind else {
                break;
            };
            name.push('-');
            name.push_str(part);
            count += 2;
        }
        Some((name, count))
    }

    /// A name at token `index`: an identifier, or a bracket-quoted `['a b']` / `["a b"]`.
    /// Returns the name and the number of tokens it spans, without consuming them.
    fn peek_name_at(&mut self, index: usize) -> Option<(Ident, usize)> {
        let token = self.peek_nth(index).clone();
        match token.kind {
            TokenKind::Ident(name) => Some((
                Ident {
                    name,
                    span: token.span,
                },
                1,
            )),
            TokenKind::Punct("[") => {
                let TokenKind::String(name) = self.peek_nth(index + 1).kind.clone() else {
                    return None;
                };
                let close = self.peek_nth(index + 2).clone();
                (close.kind == TokenKind::Punct("]")).then(|| {
                    (
                        Ident {
                            name,
                            span: token.span.to(close.span),
                        },
                        3,
                    )
                })
            }
            _ => None,
        }
    }

    fn at_name(&mut self) -> bool {
        self.peek_name_at(0).is_some()
    }

    fn expect_name(&mut self, what: &str) -> Result<Ident> {
        match self.peek_name_at(0) {
            Some((name, count)) => {
                self.bump_n(count);
                Ok(name)
            }
            None => Err(self.error_expected(what)),
        }
    }

    /// The source text of a token, quoted, or "end of input".
    fn describe(&self, token: &Token) -> String {
        if token.kind == TokenKind::Eof {
            return "end of input".to_string();
        }
        let text = self
            .text
            .get(token.span.start as usize..token.span.end as usize)
            .unwrap_or("");
        let shown: String = text.chars().take(40).collect();
        if shown.len() < text.len() {
            format!("'{shown}...'")
        } else {
            format!("'{shown}'")
        }
    }

    fn previous_text(&self) -> String {
        let text = self
            .text
            .get(self.previous.start as usize..self.previous.end as usize)
            .unwrap_or("");
        text.chars().take(40).collect()
    }

    fn error_at(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::syntax(self.text, span, message)
    }

    /// "expected <what>, found '<current token>'", pointing at the current token. A malformed
    /// token reports its own problem instead.
    fn error_expected(&mut self, what: &str) -> Diagnostic {
        let token = self.peek().clone();
        if let TokenKind::Error(message) = &token.kind {
            return self.error_at(token.span, message.clone());
        }
        let found = self.describe(&token);
        self.error_at(token.span, format!("expected {what}, found {found}"))
    }

    /// Like [`Self::error_expected`], naming the token just consumed: "expected an expression
    /// after 'where', found '|'".
    fn error_expected_after(&mut self, what: &str) -> Diagnostic {
        let after = self.previous_text();
        if after.is_empty() {
            return self.error_expected(what);
        }
        self.error_expected(&format!("{what} after '{after}'"))
    }

    /// Counts one level of nesting; fails past [`KQL_NESTING_DEPTH_MAX`]. Pair with `leave`.
    fn enter(&mut self) -> Result<()> {
        if self.depth >= KQL_NESTING_DEPTH_MAX {
            let span = self.peek().span;
            return Err(self.error_at(
                span,
                format!(
                    "the query nests more than {KQL_NESTING_DEPTH_MAX} levels deep; simplify it"
                ),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    /// One more operand in a left-associative chain (`a + b + c`): each makes the tree one level
    /// deeper, so it counts against the same limit as parentheses. Undo with `leave_chain`.
    fn enter_chain(&mut self, chain: &mut usize) -> Result<()> {
        self.enter()?;
        *chain += 1;
        Ok(())
    }

    fn leave_chain(&mut self, chain: usize) {
        self.depth = self.depth.saturating_sub(chain);
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn at_eof(&mut self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    fn expect_eof(&mut self, what: &str) -> Result<()> {
        if self.at_eof() {
            return Ok(());
        }
        Err(self.error_expected(what))
    }
}
