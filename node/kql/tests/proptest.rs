//! Property tests: the parser never panics, and literals survive a print-then-parse round trip.

// Tests panic to fail; that is their job.
#![allow(clippy::panic, clippy::unwrap_used)]

use proptest::prelude::*;
use tarn_kql::ast::{Expr, ExprKind, Literal, Statement};
use tarn_kql::{is_command, line_column, parse_command, parse_query};

/// Token texts that exercise the grammar's corners when strung together at random.
const KQL_TOKENS: &[&str] = &[
    "T",
    "x",
    "|",
    "where",
    "project",
    "extend",
    "summarize",
    "by",
    "count",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    "=~",
    "!~",
    "+",
    "-",
    "*",
    "/",
    "%",
    "..",
    ".",
    ":",
    "<|",
    "!",
    "~",
    "has",
    "!has",
    "in",
    "in~",
    "!in",
    "between",
    "and",
    "or",
    "let",
    "set",
    "declare",
    "query_parameters",
    "datatable",
    "range",
    "from",
    "to",
    "step",
    "print",
    "union",
    "kind",
    "=",
    "inner",
    "join",
    "on",
    "$left",
    "$right",
    "lookup",
    "mv-expand",
    "project-away",
    "parse",
    "with",
    "render",
    "invoke",
    "as",
    "hint",
    "datetime",
    "timespan",
    "dynamic",
    "long",
    "int",
    "real",
    "guid",
    "bool",
    "decimal",
    "null",
    "nan",
    "1",
    "1.5",
    "1h",
    "0x1F",
    "'s'",
    "\"d\"",
    "@'v'",
    "```m```",
    "['b n']",
    "'unclosed",
    "```open",
    "// c\n",
    "\n",
    "view",
    "typeof",
    "string",
    "top",
    "sort",
    "asc",
    "desc",
    "nulls",
    "first",
    ".create",
    ".show",
    "table",
    "tables",
    "ingest",
    "inline",
    "into",
    ".set-or-append",
];

fn kql_token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(KQL_TOKENS), any::<bool>()), 0..40).prop_map(
        |tokens| {
            let mut text = String::new();
            for (token, separated) in tokens {
                text.push_str(token);
                if separated {
                    text.push(' ');
                }
            }
            text
        },
    )
}

/// The only statement's expression, or the first printed column's expression for `print`.
fn printed_value(text: &str) -> Expr {
    let query = parse_query(text).unwrap_or_else(|diagnostic| panic!("{text:?}: {diagnostic}"));
    let [Statement::Expr(expr)] = query.statements.as_slice() else {
        panic!("{text:?}: one statement")
    };
    let ExprKind::Print { columns } = &expr.kind else {
        panic!("{text:?}: print")
    };
    columns[0].expr.clone()
}

fn printed_literal(text: &str) -> Literal {
    match printed_value(text).kind {
        ExprKind::Literal(literal) => literal,
        other => panic!("{text:?}: expected a literal, got {other:?}"),
    }
}

/// A string in KQL's double-quoted form, escaping what must be escaped.
fn kql_string(value: &str) -> String {
    let mut text = String::from("\"");
    for character in value.chars() {
        match character {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            c if (c as u32) < 0x20 => text.push_str(&format!("\\u{:04x}", c as u32)),
            c => text.push(c),
        }
    }
    text.push('"');
    text
}

const TIMESPAN_UNITS: &[(&str, i64)] = &[
    ("d", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("microsecond", 1_000),
    ("tick", 100),
    ("minutes", 60_000_000_000),
    ("seconds", 1_000_000_000),
];

proptest! {
    // Proves no input string, however malformed, makes any entry point panic.
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse_query(&text);
        let _ = parse_command(&text);
        let _ = is_command(&text);
        for offset in [0, text.len() / 2, text.len(), text.len() + 3] {
            let (line, column) = line_column(&text, offset as u32);
            prop_assert!(line >= 1 && column >= 1);
        }
    }

    // Proves random sequences of KQL tokens never panic, and every diagnostic points inside the text.
    #[test]
    fn token_soup_never_panics(text in kql_token_soup()) {
        for diagnostic in [parse_query(&text).err(), parse_command(&text).err()].into_iter().flatten() {
            prop_assert!(diagnostic.span.start as usize <= text.len(), "{diagnostic}");
            prop_assert!(diagnostic.to_string().starts_with("Syntax error: SYN0002: "));
        }
    }

    // Proves non-negative integers print and parse back as the same long.
    #[test]
    fn long_round_trip(value in 0..=i64::MAX) {
        prop_assert_eq!(printed_literal(&format!("print {value}")), Literal::Long(Some(value)));
    }

    // Proves every i64 (negative too) round-trips through the long(...) typed literal.
    #[test]
    fn typed_long_round_trip(value in any::<i64>()) {
        prop_assert_eq!(printed_literal(&format!("print long({value})")), Literal::Long(Some(value)));
    }

    // Proves non-negative finite reals round-trip exactly through their shortest exponent form.
    #[test]
    fn real_round_trip(value in (0.0f64..=f64::MAX).prop_filter("finite", |v| v.is_finite())) {
        let text = format!("print {value:e}");
        match printed_literal(&text) {
            Literal::Real(Some(parsed)) => prop_assert_eq!(parsed.to_bits(), value.to_bits(), "{}", text),
            // `1e3` has an exponent, so it is a real; only a plain integer text would be a long.
            other => prop_assert!(false, "{text}: {other:?}"),
        }
    }

    // Proves any string survives escaping into a KQL literal and parsing back.
    #[test]
    fn string_round_trip(value in any::<String>()) {
        let text = format!("print {}", kql_string(&value));
        prop_assert_eq!(printed_literal(&text), Literal::String(value));
    }

    // Proves timespan suffix literals scale to the right number of nanoseconds.
    #[test]
    fn timespan_suffix_round_trip(count in 0i64..100_000, unit in prop::sample::select(TIMESPAN_UNITS)) {
        let (suffix, unit_nanos) = unit;
        let text = format!("print {count}{suffix}");
        prop_assert_eq!(printed_literal(&text), Literal::TimeSpan(Some(count * unit_nanos)));
    }

    // Proves the `timespan(d.hh:mm:ss.fffffff)` form adds up its fields exactly.
    #[test]
    fn timespan_clock_round_trip(days in 0i64..100_000, hours in 0i64..24, minutes in 0i64..60, seconds in 0i64..60, ticks in 0i64..10_000_000) {
        let text = format!("print timespan({days}.{hours:02}:{minutes:02}:{seconds:02}.{ticks:07})");
        let expected = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1_000_000_000 + ticks * 100;
        prop_assert_eq!(printed_literal(&text), Literal::TimeSpan(Some(expected)));
    }
}
