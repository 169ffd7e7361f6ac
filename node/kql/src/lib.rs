//! tarn-kql: the KQL lexer and parser.
//!
//! Owns: turning query text and management-command text into a syntax tree ([`ast`], [`command`])
//! with a [`Span`](ast::Span) on every node, and syntax diagnostics that point at a line and column
//! the way Kusto prints them (`Syntax error: SYN0002: ... [line:position=1:9]`).
//!
//! Does not own: names, types or meaning (that is `tarn-planner`), Arrow, or anything async.
//!
//! Layout:
//! - `ast`: the query tree (statements, expressions, tabular operators).
//! - `command`: management commands (`.create table`, `.ingest inline`, `.show ...`).
//! - `lexer`: tokens with spans; raw-text reads for `datetime(...)`, `dynamic(...)` and friends.
//! - `parser`: recursive descent with a nesting limit ([`KQL_NESTING_DEPTH_MAX`]).
//! - `diagnostic`: the error type, with line:column computed from the source.

pub mod ast;
pub mod command;
pub mod diagnostic;
pub mod lexer;
mod parser;

pub use diagnostic::{Diagnostic, line_column};
pub use parser::KQL_NESTING_DEPTH_MAX;

/// Every fallible function in this crate fails with a syntax [`Diagnostic`].
pub type Result<T> = std::result::Result<T, Diagnostic>;

/// Stack for the thread that runs the parser. Recursive descent costs several KiB of stack per
/// nesting level in debug builds, so [`KQL_NESTING_DEPTH_MAX`] levels on the worst path need more
/// than the 2 MiB a test thread or tokio worker has. The stack is reserved, not committed: only the
/// pages a query touches use memory.
const PARSER_STACK_BYTES_MAX: usize = 16 << 20;

/// Runs `parse` on a thread with [`PARSER_STACK_BYTES_MAX`] of stack; inline if no thread can be
/// started (the nesting limit still bounds the recursion, only the margin is smaller).
fn on_parser_stack<T: Send>(parse: impl Fn() -> T + Sync) -> T {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("kql-parse".to_string())
            .stack_size(PARSER_STACK_BYTES_MAX)
            .spawn_scoped(scope, &parse);
        match spawned {
            Ok(handle) => match handle.join() {
                Ok(result) => result,
                // The parser does not panic on any input; if it ever does, surface it unchanged.
                Err(payload) => std::panic::resume_unwind(payload),
            },
            Err(_) => parse(),
        }
    })
}

/// Parses a query (statements separated by `;`, optional trailing `;`).
pub fn parse_query(text: &str) -> Result<ast::Query> {
    on_parser_stack(|| parser::Parser::new(text, 0).parse_query())
}

/// Parses a management command (text starting with `.` after whitespace/comments).
pub fn parse_command(text: &str) -> Result<command::Command> {
    on_parser_stack(|| parser::Parser::new(text, 0).parse_command())
}

/// True when the text (after whitespace and `//` comments) starts with `.`.
pub fn is_command(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        match rest.strip_prefix("//") {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => return rest.starts_with('.'),
        }
    }
}
