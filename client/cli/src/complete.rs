//! The line editor's helper: completion of table and column names (read from the server with
//! `.show database schema`), KQL operators and functions, and REPL commands; and multi-line
//! input (Enter continues the query while brackets or quotes are open, or the line ends with
//! `|`, `,`, `;` or `\`).

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

/// Tabular operators, after `|`.
pub const OPERATORS: &[&str] = &[
    "where",
    "project",
    "project-away",
    "project-rename",
    "project-reorder",
    "extend",
    "summarize",
    "count",
    "take",
    "limit",
    "top",
    "sort by",
    "order by",
    "distinct",
    "join",
    "lookup",
    "union",
    "mv-expand",
    "mv-apply",
    "parse",
    "parse-where",
    "parse-kv",
    "render",
    "as",
    "getschema",
    "sample",
    "serialize",
    "range",
    "print",
    "datatable",
    "let",
    "invoke",
    "evaluate",
    "facet",
    "top-hitters",
    "make-series",
    "search",
    "find",
];

/// Scalar and aggregate functions and keywords.
pub const FUNCTIONS: &[&str] = &[
    "ago",
    "now",
    "bin",
    "floor",
    "ceiling",
    "round",
    "abs",
    "sqrt",
    "log",
    "log10",
    "exp",
    "pow",
    "strlen",
    "strcat",
    "substring",
    "tolower",
    "toupper",
    "trim",
    "split",
    "replace_string",
    "extract",
    "indexof",
    "has",
    "contains",
    "startswith",
    "endswith",
    "matches regex",
    "in",
    "between",
    "isnull",
    "isnotnull",
    "isempty",
    "isnotempty",
    "iif",
    "iff",
    "case",
    "coalesce",
    "tostring",
    "toint",
    "tolong",
    "toreal",
    "todouble",
    "todecimal",
    "todatetime",
    "totimespan",
    "toguid",
    "tobool",
    "todynamic",
    "parse_json",
    "datetime",
    "timespan",
    "dynamic",
    "pack",
    "bag_pack",
    "pack_array",
    "array_length",
    "format_datetime",
    "datetime_add",
    "datetime_diff",
    "dayofweek",
    "startofday",
    "startofweek",
    "startofmonth",
    "startofyear",
    "endofday",
    "hash",
    "new_guid",
    "count",
    "countif",
    "dcount",
    "dcountif",
    "sum",
    "sumif",
    "avg",
    "avgif",
    "min",
    "max",
    "minif",
    "maxif",
    "arg_min",
    "arg_max",
    "make_list",
    "make_set",
    "make_bag",
    "percentile",
    "percentiles",
    "stdev",
    "variance",
    "any",
    "take_any",
    "by",
    "on",
    "kind",
    "asc",
    "desc",
    "and",
    "or",
    "not",
    "true",
    "false",
    "null",
];

/// REPL commands.
pub const COMMANDS: &[&str] = &[
    "\\q",
    "\\quit",
    "\\help",
    "\\format",
    "\\timing",
    "\\db",
    "\\refresh",
];

/// Names learned from the server: tables and their columns.
#[derive(Debug, Default)]
pub struct Schema {
    pub tables: BTreeSet<String>,
    pub columns: BTreeSet<String>,
}

pub struct KqlHelper {
    pub schema: Arc<RwLock<Schema>>,
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'\\' | b'.')
}

impl KqlHelper {
    /// Candidates for the word ending at the cursor.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .bytes()
            .rposition(|byte| !is_word_byte(byte))
            .map_or(0, |position| position + 1);
        let word = before.get(start..).unwrap_or_default();
        if word.is_empty() {
            return (start, Vec::new());
        }
        let after_pipe = before
            .get(..start)
            .unwrap_or_default()
            .trim_end()
            .ends_with('|');
        let lowercase = word.to_ascii_lowercase();
        let mut found: BTreeSet<String> = BTreeSet::new();
        let mut offer = |name: &str| {
            if name.to_ascii_lowercase().starts_with(&lowercase) && name != word {
                found.insert(name.to_string());
            }
        };
        if word.starts_with('\\') {
            COMMANDS.iter().for_each(|command| offer(command));
            return (start, found.into_iter().collect());
        }
        if after_pipe {
            OPERATORS.iter().for_each(|operator| offer(operator));
        } else {
            if let Ok(schema) = self.schema.read() {
                schema.tables.iter().for_each(|table| offer(table));
                schema.columns.iter().for_each(|column| offer(column));
            }
            FUNCTIONS.iter().for_each(|function| offer(function));
            if start == 0 {
                OPERATORS.iter().for_each(|operator| offer(operator));
            }
        }
        (start, found.into_iter().collect())
    }
}

impl Completer for KqlHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _context: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, names) = self.candidates(line, pos);
        let pairs = names
            .into_iter()
            .map(|name| Pair {
                display: name.clone(),
                replacement: name,
            })
            .collect();
        Ok((start, pairs))
    }
}

/// Whether `text` is a whole query: no open bracket or string, and no trailing continuation.
pub fn is_complete(text: &str) -> bool {
    let trimmed = text.trim_end();
    if trimmed.starts_with('\\') {
        return true;
    }
    let mut depth: i32 = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for character in trimmed.chars() {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if character == '\\' {
                escaped = true;
            } else if character == open {
                quote = None;
            }
            continue;
        }
        match character {
            '"' | '\'' => quote = Some(character),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    let continues = trimmed.ends_with(['|', ',', ';', '\\']);
    quote.is_none() && depth <= 0 && !continues
}

impl Validator for KqlHelper {
    fn validate(&self, context: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        if is_complete(context.input()) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Hinter for KqlHelper {
    type Hint = String;
}

impl Highlighter for KqlHelper {}

impl Helper for KqlHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> KqlHelper {
        let mut schema = Schema::default();
        schema.tables.insert("StormEvents".to_string());
        schema.columns.insert("State".to_string());
        KqlHelper {
            schema: Arc::new(RwLock::new(schema)),
        }
    }

    // Proves completion offers tables and columns by prefix, operators after a pipe and REPL
    // commands after a backslash.
    #[test]
    fn completes_names_operators_and_commands() {
        let helper = helper();
        assert_eq!(
            helper.candidates("Sto", 3),
            (0, vec!["StormEvents".to_string()])
        );
        assert_eq!(
            helper.candidates("StormEvents | whe", 17),
            (14, vec!["where".to_string()])
        );
        let (start, names) = helper.candidates("T | where Sta", 13);
        assert_eq!(start, 10);
        assert!(names.contains(&"State".to_string()) && names.contains(&"startofday".to_string()));
        assert_eq!(
            helper.candidates("\\fo", 3),
            (0, vec!["\\format".to_string()])
        );
    }

    // Proves what counts as an unfinished query.
    #[test]
    fn multi_line_rules() {
        assert!(is_complete("T | take 3"));
        assert!(!is_complete("T |"));
        assert!(!is_complete("print x = strcat('a', "));
        assert!(!is_complete("let x = 1;"));
        assert!(!is_complete("print s = 'it''s"));
        assert!(is_complete("print s = \"(\""));
        assert!(is_complete("\\format csv"));
    }
}
