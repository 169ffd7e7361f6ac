//! The `tarn` CLI end to end against a real `tarnd`: one-shot queries, stdin scripts, ingestion
//! that resumes instead of duplicating, management commands, cluster status, and the interactive
//! REPL driven through a pseudo-terminal (util-linux `script`) like a person at a keyboard.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tarn_tests::TarndProcess;
use tarn_tests::process::{free_port, tarnd_binary};

/// The `tarn` binary, built beside `tarnd` (or `TARN_BIN`).
fn tarn_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TARN_BIN") {
        return PathBuf::from(path);
    }
    let binary = tarnd_binary().with_file_name("tarn");
    assert!(
        binary.exists(),
        "tarn binary not found at {} (build it with `cargo build --bins`)",
        binary.display()
    );
    binary
}

fn tarn(node: &TarndProcess, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(tarn_binary())
        .arg("--url")
        .arg(format!("http://{}", node.address))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tarn starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("tarn finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Proves `-e` runs one query (JSON lines output keeps types: numbers, NaN as a string, dynamic
/// as JSON), `tarn mgmt` runs a command, and a failing query exits non-zero with the Kusto
/// message and a caret under the offending token.
#[test]
fn one_shot_queries_and_commands() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());

    let created = tarn(
        &node,
        &["mgmt", ".create table Shot (a:long, b:real, c:dynamic)"],
        "",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let output = tarn(
        &node,
        &[
            "query",
            "--format",
            "json",
            "-e",
            r#"print a = 1, b = real(nan), c = dynamic({"k":[1]})"#,
        ],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let line: serde_json::Value =
        serde_json::from_str(text(&output.stdout).trim()).expect("one JSON line");
    assert_eq!(
        line,
        serde_json::json!({"a": 1, "b": "NaN", "c": {"k": [1]}})
    );

    let failed = tarn(&node, &["query", "-e", "print x = 1 | where"], "");
    assert!(!failed.status.success());
    let stderr = text(&failed.stderr);
    assert!(
        stderr.contains("SYN0002") && stderr.contains("[line:position=1:20]"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("  {}^", " ".repeat(19))),
        "a caret under column 20: {stderr}"
    );

    let shown = tarn(&node, &["mgmt", ".show tables"], "");
    assert!(
        text(&shown.stdout).contains("Shot"),
        "{}",
        text(&shown.stdout)
    );
}

/// Proves a stdin script runs every statement in order: a multi-line query, a `\format csv`
/// switch, a management command, a failing query (reported, the rest still runs, exit status 1).
#[test]
fn stdin_script_runs_every_statement() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let script = "\
.create table S (n:long, s:string)

.ingest inline into table S <| 1,one
2,\"two, with comma\"

\\format csv
S
| order by n asc
| project n, s

print x = 1 | where

S | count
";
    let output = tarn(&node, &["query"], script);
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "one statement failed: {stderr}"
    );
    assert!(
        stdout.contains("n,s\n1,one\n2,\"two, with comma\"\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Count\n2\n"),
        "the statement after the failure ran: {stdout}"
    );
    assert!(stderr.contains("SYN0002"), "{stderr}");
}

/// Proves `tarn ingest` loads files (csv and gzipped json lines) with a summary line, and that
/// running the same command again adds nothing (resumable through the derived ingestion tag).
#[test]
fn ingest_files_and_resume_without_duplicates() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let files = tempfile::tempdir().expect("a directory for input files");
    let csv_path = files.path().join("events.csv");
    let csv: String = (0..5000)
        .map(|id| format!("{id},device-{}\n", id % 7))
        .collect();
    std::fs::write(&csv_path, csv).expect("write csv");
    let json_path = files.path().join("more.json.gz");
    let json: String = (5000..6000)
        .map(|id| format!("{{\"id\":{id},\"device\":\"d\"}}\n"))
        .collect();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(json.as_bytes()).expect("gzip");
    std::fs::write(&json_path, encoder.finish().expect("gzip")).expect("write json.gz");

    let created = tarn(
        &node,
        &["mgmt", ".create table E (id:long, device:string)"],
        "",
    );
    assert!(created.status.success());
    let paths = [path_text(&csv_path), path_text(&json_path)];
    let args = [
        "ingest",
        paths[0].as_str(),
        paths[1].as_str(),
        "--table",
        "E",
        "--chunk-mb",
        "1",
        "--quiet",
    ];
    for run in 0..2 {
        let output = tarn(&node, &args, "");
        let stdout = text(&output.stdout);
        assert!(
            output.status.success(),
            "run {run}: {}",
            text(&output.stderr)
        );
        if run == 0 {
            assert!(stdout.contains("events.csv: 5000 rows"), "{stdout}");
            assert!(stdout.contains("more.json.gz: 1000 rows"), "{stdout}");
        } else {
            assert!(stdout.contains("already ingested"), "{stdout}");
        }
    }
    let counted = tarn(
        &node,
        &[
            "query",
            "--format",
            "csv",
            "-e",
            "E | summarize count(), dcount(id)",
        ],
        "",
    );
    assert!(
        text(&counted.stdout).contains("6000,6000"),
        "{}",
        text(&counted.stdout)
    );
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

/// Proves `tarn cluster status` reports a live node as up with its Raft state and a dead one as
/// down (exit status 1).
#[test]
fn cluster_status_reports_each_node() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let up = tarn(&node, &["cluster", "status"], "");
    assert!(up.status.success());
    assert!(
        text(&up.stdout).contains("up") && text(&up.stdout).contains("Leader"),
        "{}",
        text(&up.stdout)
    );
    let dead = format!("http://127.0.0.1:{}", free_port());
    let output = Command::new(tarn_binary())
        .args([
            "--url",
            &format!("http://{},{dead}", node.address),
            "cluster",
            "status",
        ])
        .output()
        .expect("tarn runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stdout).contains("down"),
        "{}",
        text(&output.stdout)
    );
}

/// A program on a pseudo-terminal (through `script`), with expect-style waiting on its output.
struct Terminal {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: Arc<(Mutex<String>, Condvar)>,
}

impl Terminal {
    fn spawn(command: &str, history: &Path) -> Terminal {
        let mut child = Command::new("script")
            .args(["-qfec", command, "/dev/null"])
            .env("TARN_HISTORY", history)
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("util-linux `script` runs");
        let input = child.stdin.take().expect("stdin");
        let mut stdout = child.stdout.take().expect("stdout");
        let output: Arc<(Mutex<String>, Condvar)> = Arc::default();
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stdout.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                let (text, changed) = &*sink;
                text.lock()
                    .expect("output")
                    .push_str(&String::from_utf8_lossy(&buffer[..read]));
                changed.notify_all();
            }
        });
        Terminal {
            child,
            input,
            output,
        }
    }

    /// Waits until the output (after `from`) contains `needle`; the position after it.
    fn expect(&self, from: usize, needle: &str) -> usize {
        let (text, changed) = &*self.output;
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut guard = text.lock().expect("output");
        loop {
            if let Some(found) = guard.get(from..).and_then(|rest| rest.find(needle)) {
                return from + found + needle.len();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "never saw {needle:?} in:\n{}",
                guard.get(from..).unwrap_or_default()
            );
            guard = changed.wait_timeout(guard, left).expect("output").0;
        }
    }

    fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).expect("type");
        self.input.flush().expect("type");
    }
}

/// Proves the REPL as a person uses it on a terminal: a query continued on a second line runs
/// once complete, Tab completes a table name learned from the server, results print as aligned
/// tables with timing, `\format csv` switches output, and entries are saved to the history file.
#[test]
fn repl_on_a_terminal() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let created = tarn(
        &node,
        &["mgmt", ".create table CompletionTarget (n:long)"],
        "",
    );
    assert!(created.status.success());
    let history = data.path().join("history");
    let command = format!(
        "{} --url http://{} query",
        tarn_binary().display(),
        node.address
    );
    let mut terminal = Terminal::spawn(&command, &history);

    let mut seen = terminal.expect(0, "NetDefaultDB> ");
    terminal.send("print a = 40 + 2,\r");
    seen = terminal.expect(seen, "\n");
    terminal.send("  b = 'two'\r");
    seen = terminal.expect(seen, "│ 42 ┆ two │");
    seen = terminal.expect(seen, "(1 rows, ");
    seen = terminal.expect(seen, "NetDefaultDB> ");

    terminal.send("CompletionTa\t");
    seen = terminal.expect(seen, "CompletionTarget");
    terminal.send(" | count\r");
    seen = terminal.expect(seen, "│ 0     │");
    seen = terminal.expect(seen, "NetDefaultDB> ");

    terminal.send("\\format csv\r");
    seen = terminal.expect(seen, "NetDefaultDB> ");
    terminal.send("print z = 5\r");
    seen = terminal.expect(seen, "z\r\n5\r\n");
    terminal.expect(seen, "NetDefaultDB> ");
    terminal.send("\\q\r");
    let status = terminal.child.wait().expect("the REPL exits");
    assert!(status.success());

    let saved = std::fs::read_to_string(&history).expect("the history file");
    assert!(saved.contains("CompletionTarget | count"), "{saved}");
    assert!(saved.contains("print a = 40 + 2,"), "{saved}");
}
