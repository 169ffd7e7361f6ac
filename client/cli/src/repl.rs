//! `tarn query`: one query (`-e`), a script (`-f FILE`, or stdin when it is not a terminal), or
//! the interactive REPL with history, multi-line input and completion.
//!
//! Scripts hold queries and commands separated by blank lines; a line starting with `\` is a
//! REPL command (`\format csv`, `\db Other`, ...). Every statement runs even after a failure;
//! the exit status says whether all succeeded.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};
use tarn_client::value::display::cell_text;
use tokio::runtime::Runtime;

use crate::QueryArgs;
use crate::complete::{KqlHelper, Schema};
use crate::output::OutputFormat;
use crate::session::{Session, print_error};

const HELP: &str = "\
Enter KQL; a query continues on the next line while brackets or quotes are open or the line
ends with | , ; or \\. Lines starting with '.' are management commands. Tab completes tables,
columns, operators and functions. Ctrl-C cancels a running query; Ctrl-D exits.
  \\format table|csv|json   output format
  \\timing                  show rows and time after each result (toggle)
  \\db NAME                 use another database
  \\refresh                 re-read table and column names
  \\q                       quit";

pub fn run(
    runtime: &Runtime,
    client: &tarn_client::Client,
    database: &str,
    args: QueryArgs,
) -> bool {
    let mut session = Session::new(
        client.clone(),
        database.to_string(),
        args.format,
        args.timing,
    );
    if let Some(text) = args.execute {
        return runtime.block_on(session.run_text(&text));
    }
    if let Some(path) = args.file {
        return match std::fs::read_to_string(&path) {
            Ok(text) => run_script(runtime, &mut session, &text),
            Err(error) => {
                eprintln!("error: reading {}: {error}", path.display());
                false
            }
        };
    }
    if !std::io::stdin().is_terminal() {
        let mut text = String::new();
        if let Err(error) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: reading stdin: {error}");
            return false;
        }
        return run_script(runtime, &mut session, &text);
    }
    session.timing = true;
    interactive(runtime, session)
}

/// Statements of a script: blocks separated by blank lines; a `\` line stands alone.
pub fn split_script(text: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('\\') {
            if !current.is_empty() {
                statements.push(current.join("\n"));
                current.clear();
            }
            statements.push(trimmed.to_string());
            continue;
        }
        if trimmed.is_empty() {
            if !current.is_empty() {
                statements.push(current.join("\n"));
                current.clear();
            }
            continue;
        }
        current.push(line);
    }
    if !current.is_empty() {
        statements.push(current.join("\n"));
    }
    statements
}

fn run_script(runtime: &Runtime, session: &mut Session, text: &str) -> bool {
    let mut all_succeeded = true;
    for statement in split_script(text) {
        let succeeded = match statement.strip_prefix('\\') {
            Some(command) => match repl_command(runtime, session, command, None) {
                CommandOutcome::Quit => return all_succeeded,
                CommandOutcome::Done(succeeded) => succeeded,
            },
            None => runtime.block_on(session.run_text(&statement)),
        };
        all_succeeded &= succeeded;
    }
    all_succeeded
}

enum CommandOutcome {
    Done(bool),
    Quit,
}

fn repl_command(
    runtime: &Runtime,
    session: &mut Session,
    command: &str,
    schema: Option<&Arc<RwLock<Schema>>>,
) -> CommandOutcome {
    let mut words = command.split_whitespace();
    let name = words.next().unwrap_or_default();
    let argument = words.next();
    match (name, argument) {
        ("q" | "quit", _) => return CommandOutcome::Quit,
        ("help" | "?", _) => println!("{HELP}"),
        ("format", Some(format)) => match OutputFormat::parse(format) {
            Some(format) => session.format = format,
            None => {
                eprintln!("error: unknown format '{format}' (table, csv or json)");
                return CommandOutcome::Done(false);
            }
        },
        ("timing", setting) => {
            session.timing = match setting {
                Some("on") => true,
                Some("off") => false,
                _ => !session.timing,
            };
            eprintln!("timing is {}", if session.timing { "on" } else { "off" });
        }
        ("db", Some(database)) => {
            session.database = database.to_string();
            if let Some(schema) = schema {
                refresh_schema(runtime, session, schema);
            }
        }
        ("refresh", _) => {
            if let Some(schema) = schema {
                refresh_schema(runtime, session, schema);
            }
        }
        _ => {
            eprintln!("error: unknown command '\\{command}' (\\help lists them)");
            return CommandOutcome::Done(false);
        }
    }
    CommandOutcome::Done(true)
}

/// Reads table and column names for completion; a failure leaves the old names.
fn refresh_schema(runtime: &Runtime, session: &Session, schema: &Arc<RwLock<Schema>>) {
    let command = format!(".show database {} schema", session.database);
    let tables = match runtime.block_on(session.client.execute_mgmt(&session.database, &command)) {
        Ok(tables) => tables,
        Err(error) => {
            print_error(&error, &command);
            return;
        }
    };
    let mut fresh = Schema::default();
    for table in tables.iter().filter(|table| table.header.is_primary()) {
        let table_column = table.header.schema.index_of("TableName").ok();
        let column_column = table.header.schema.index_of("ColumnName").ok();
        for batch in &table.batches {
            for row in 0..batch.num_rows() {
                if let Some(index) = table_column {
                    let name = cell_text(batch.column(index), row);
                    if !name.is_empty() {
                        fresh.tables.insert(name);
                    }
                }
                if let Some(index) = column_column {
                    let name = cell_text(batch.column(index), row);
                    if !name.is_empty() {
                        fresh.columns.insert(name);
                    }
                }
            }
        }
    }
    if let Ok(mut current) = schema.write() {
        *current = fresh;
    }
}

fn history_path() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("TARN_HISTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var("HOME")
        .ok()
        .map(|home| PathBuf::from(home).join(".tarn_history"))
}

fn interactive(runtime: &Runtime, mut session: Session) -> bool {
    let config = Config::builder()
        .auto_add_history(false)
        .max_history_size(10_000);
    let config = match config {
        Ok(config) => config.build(),
        Err(error) => {
            eprintln!("error: line editor: {error}");
            return false;
        }
    };
    let mut editor: Editor<KqlHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(editor) => editor,
        Err(error) => {
            eprintln!("error: line editor: {error}");
            return false;
        }
    };
    let schema = Arc::new(RwLock::new(Schema::default()));
    editor.set_helper(Some(KqlHelper {
        schema: Arc::clone(&schema),
    }));
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal the first time.
        let _ = editor.load_history(path);
    }
    refresh_schema(runtime, &session, &schema);
    println!(
        "tarn {} — {} on {}. \\help for help.",
        env!("CARGO_PKG_VERSION"),
        session.database,
        session.client.endpoints().join(", ")
    );
    let mut all_succeeded = true;
    loop {
        let prompt = format!("{}> ", session.database);
        let input = match editor.readline(&prompt) {
            Ok(input) => input,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(error) => {
                eprintln!("error: reading input: {error}");
                all_succeeded = false;
                break;
            }
        };
        let text = input.trim();
        if text.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(text);
        if let Some(path) = &history {
            let _ = editor.save_history(path);
        }
        if let Some(command) = text.strip_prefix('\\') {
            match repl_command(runtime, &mut session, command, Some(&schema)) {
                CommandOutcome::Quit => break,
                CommandOutcome::Done(succeeded) => all_succeeded &= succeeded,
            }
            continue;
        }
        all_succeeded &= runtime.block_on(session.run_text(text));
        if text.starts_with('.') {
            // A command may have created or dropped tables.
            refresh_schema(runtime, &session, &schema);
        }
    }
    all_succeeded
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves scripts split on blank lines, keep multi-line queries whole and isolate \ lines.
    #[test]
    fn scripts_split_into_statements() {
        let script = "print x = 1\n| extend y = 2\n\n\n\\format csv\n.show tables\nT | count\n";
        assert_eq!(
            split_script(script),
            vec![
                "print x = 1\n| extend y = 2",
                "\\format csv",
                ".show tables\nT | count"
            ]
        );
    }
}
