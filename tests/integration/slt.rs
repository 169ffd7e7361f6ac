//! Golden KQL tests: every `tests/slt/*.slt` file runs against a fresh node twice — once as the
//! statements leave the data (freshly ingested extents), once with every table merged before each
//! query — and both runs must print exactly the expected rows. `TARN_SLT_REWRITE=1` rewrites the
//! expectations from the first run (review the diff before committing it).
//!
//! File format (see tests/slt/README.md):
//!   statement ok | statement error <text>   then a command or query up to a blank line
//!   query [rowsort]   then the query, `----`, a `name:type | ...` header and `cell | ...` rows
//!   query error <text>   then the query up to a blank line: it must fail with <text> in @message

use std::path::{Path, PathBuf};

use serde_json::Value;
use tarn_tests::client::Table;
use tarn_tests::{KustoClient, QueryOutcome, TestNode};

const DATABASE: &str = "NetDefaultDB";

#[derive(Debug, Clone)]
enum Record {
    Statement { line: usize, text: String, error: Option<String> },
    Query { line: usize, text: String, rowsort: bool, error: Option<String>, expected: Vec<String>, expected_start: usize, expected_end: usize },
}

fn parse_file(text: &str) -> Result<Vec<Record>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index].trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            index += 1;
            continue;
        }
        let start = index + 1;
        let body_until_blank = |from: usize, stop_at_dashes: bool| -> (String, usize) {
            let mut end = from;
            while end < lines.len() && !lines[end].trim().is_empty() && !(stop_at_dashes && lines[end].trim_end() == "----") {
                end += 1;
            }
            (lines[from..end].join("\n"), end)
        };
        if let Some(rest) = line.strip_prefix("statement") {
            let rest = rest.trim();
            let error = if rest == "ok" {
                None
            } else if let Some(text) = rest.strip_prefix("error") {
                Some(text.trim().to_string())
            } else {
                return Err(format!("line {start}: expected 'statement ok' or 'statement error <text>'"));
            };
            let (body, end) = body_until_blank(index + 1, false);
            records.push(Record::Statement { line: start, text: body, error });
            index = end;
        } else if let Some(rest) = line.strip_prefix("query") {
            let rest = rest.trim();
            if let Some(text) = rest.strip_prefix("error") {
                let (body, end) = body_until_blank(index + 1, false);
                records.push(Record::Query { line: start, text: body, rowsort: false, error: Some(text.trim().to_string()), expected: Vec::new(), expected_start: end, expected_end: end });
                index = end;
                continue;
            }
            let rowsort = rest == "rowsort";
            if !rest.is_empty() && !rowsort {
                return Err(format!("line {start}: unknown query option '{rest}'"));
            }
            let (body, end) = body_until_blank(index + 1, true);
            if end >= lines.len() || lines[end].trim_end() != "----" {
                return Err(format!("line {start}: a query needs '----' and its expected result"));
            }
            let expected_start = end + 1;
            let mut expected_end = expected_start;
            while expected_end < lines.len() && !lines[expected_end].trim().is_empty() {
                expected_end += 1;
            }
            let expected = lines[expected_start..expected_end].iter().map(|line| line.trim_end().to_string()).collect();
            records.push(Record::Query { line: start, text: body, rowsort, error: None, expected, expected_start, expected_end });
            index = expected_end;
        } else {
            return Err(format!("line {start}: expected 'statement' or 'query', found '{line}'"));
        }
    }
    Ok(records)
}

fn render_cell(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// The printed form of result tables: per table a header line, then one line per row.
fn render(tables: &[Table], rowsort: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for table in tables {
        lines.push(table.columns.iter().map(|(name, kind)| format!("{name}:{kind}")).collect::<Vec<_>>().join(" | "));
        let mut rows: Vec<String> = table.rows.iter().map(|row| row.iter().map(render_cell).collect::<Vec<_>>().join(" | ")).collect();
        if rowsort {
            rows.sort();
        }
        lines.extend(rows);
    }
    lines
}

fn run(client: &KustoClient, text: &str) -> QueryOutcome {
    if text.trim_start().starts_with('.') { client.mgmt(DATABASE, text) } else { client.query(DATABASE, text) }
}

fn merge_all_tables(client: &KustoClient) -> Result<(), String> {
    let tables = match client.mgmt(DATABASE, ".show tables") {
        QueryOutcome::Tables(tables) => tables,
        QueryOutcome::Error { message, .. } => return Err(format!(".show tables failed: {message}")),
    };
    for row in tables.first().map(|table| table.rows.clone()).unwrap_or_default() {
        let name = row.first().map(render_cell).unwrap_or_default();
        if let QueryOutcome::Error { message, .. } = client.mgmt(DATABASE, &format!(".merge ['{name}']")) {
            return Err(format!(".merge {name} failed: {message}"));
        }
    }
    Ok(())
}

/// Runs a file's records; returns failures and, per query, the rendered actual output.
fn run_file(records: &[Record], merged: bool) -> (Vec<String>, Vec<Vec<String>>) {
    let node = TestNode::start();
    let client = &node.client;
    let mut failures = Vec::new();
    let mut actuals = Vec::new();
    for record in records {
        match record {
            Record::Statement { line, text, error } => match (run(client, text), error) {
                (QueryOutcome::Tables(_), None) => {}
                (QueryOutcome::Error { message, .. }, Some(expected)) if message.contains(expected.as_str()) => {}
                (QueryOutcome::Error { message, .. }, _) => failures.push(format!("line {line}: statement failed: {message}")),
                (QueryOutcome::Tables(_), Some(expected)) => failures.push(format!("line {line}: statement succeeded, expected error '{expected}'")),
            },
            Record::Query { line, text, rowsort, error, expected, .. } => {
                if merged && let Err(message) = merge_all_tables(client) {
                    failures.push(format!("line {line}: {message}"));
                }
                let outcome = run(client, text);
                match (outcome, error) {
                    (QueryOutcome::Error { message, .. }, Some(wanted)) => {
                        if !message.contains(wanted.as_str()) {
                            failures.push(format!("line {line}: error '{message}' does not contain '{wanted}'"));
                        }
                        actuals.push(Vec::new());
                    }
                    (QueryOutcome::Tables(_), Some(wanted)) => {
                        failures.push(format!("line {line}: query succeeded, expected error '{wanted}'"));
                        actuals.push(Vec::new());
                    }
                    (QueryOutcome::Error { message, .. }, None) => {
                        failures.push(format!("line {line}: query failed: {message}"));
                        actuals.push(vec![format!("ERROR: {message}")]);
                    }
                    (QueryOutcome::Tables(tables), None) => {
                        let actual = render(&tables, *rowsort);
                        if actual != *expected {
                            failures.push(format!(
                                "line {line}: result differs\n  expected:\n    {}\n  actual:\n    {}",
                                expected.join("\n    "),
                                actual.join("\n    ")
                            ));
                        }
                        actuals.push(actual);
                    }
                }
            }
        }
    }
    (failures, actuals)
}

fn rewrite(path: &Path, text: &str, records: &[Record], actuals: &[Vec<String>]) {
    let lines: Vec<&str> = text.lines().collect();
    let mut output: Vec<String> = Vec::new();
    let mut cursor = 0;
    let mut actual_iter = actuals.iter();
    for record in records {
        let actual = match record {
            Record::Query { .. } => actual_iter.next(),
            Record::Statement { .. } => None,
        };
        if let (Record::Query { error: None, expected_start, expected_end, .. }, Some(actual)) = (record, actual) {
            output.extend(lines[cursor..*expected_start].iter().map(|line| line.to_string()));
            output.extend(actual.iter().cloned());
            cursor = *expected_end;
        }
    }
    output.extend(lines[cursor..].iter().map(|line| line.to_string()));
    let mut joined = output.join("\n");
    joined.push('\n');
    std::fs::write(path, joined).expect("rewrite the golden file");
}

fn slt_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "slt"))
        .collect();
    files.sort();
    files
}

/// Proves every golden file's queries give the documented results, on freshly ingested and on
/// merged extents alike.
#[test]
fn golden_files() {
    let only = std::env::var("TARN_SLT_ONLY").ok();
    let rewrite_mode = std::env::var("TARN_SLT_REWRITE").is_ok_and(|value| value == "1");
    let files = slt_files();
    assert!(!files.is_empty(), "no golden files found");
    let mut report = Vec::new();
    for path in files {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if only.as_deref().is_some_and(|wanted| !name.contains(wanted)) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read the golden file");
        let records = match parse_file(&text) {
            Ok(records) => records,
            Err(message) => {
                report.push(format!("{name}: {message}"));
                continue;
            }
        };
        let (failures, actuals) = run_file(&records, false);
        if rewrite_mode {
            rewrite(&path, &text, &records, &actuals);
            continue;
        }
        report.extend(failures.into_iter().map(|failure| format!("{name} (ingested): {failure}")));
        let (failures, _) = run_file(&records, true);
        report.extend(failures.into_iter().map(|failure| format!("{name} (merged): {failure}")));
    }
    assert!(report.is_empty(), "{} golden failure(s):\n{}", report.len(), report.join("\n"));
}

#[cfg(test)]
mod format_tests {
    use super::*;

    /// Proves the file parser reads every record kind with its lines, and rejects a query without
    /// an expectation, so a malformed golden file fails loudly instead of testing nothing.
    #[test]
    fn parses_records() {
        let text = "# c\nstatement ok\n.create table T (a:long)\n\nquery rowsort\nT\n| take 1\n----\na:long\n1\n\nquery error SEM0100\nT | where x\n";
        let records = parse_file(text).expect("valid file");
        assert_eq!(records.len(), 3);
        match &records[1] {
            Record::Query { text, rowsort, expected, .. } => {
                assert_eq!(text, "T\n| take 1");
                assert!(*rowsort);
                assert_eq!(expected, &vec!["a:long".to_string(), "1".to_string()]);
            }
            other => panic!("expected a query, got {other:?}"),
        }
        assert!(parse_file("query\nT\n\n").is_err());
    }
}
