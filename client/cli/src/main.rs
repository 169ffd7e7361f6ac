//! `tarn`: the command line for Tarn (and other Kusto-protocol servers), built on tarn-client.
//!
//! Owns: argument parsing and the subcommands: `tarn query` (a REPL, `-e KQL`, or a script on
//! stdin), `tarn ingest FILE... --table T` (progress, rate, ETA; resumable through ingestion
//! tags), `tarn mgmt COMMAND`, `tarn cluster status`; rendering results as aligned tables, CSV or
//! JSON lines.
//!
//! Does not own: the protocol, retries or decoding (tarn-client), or KQL (the server).
//!
//! Layout: [`output`] renders results; [`session`] runs queries and commands and prints them;
//! [`repl`] is the interactive loop and the stdin script runner; [`complete`] is the line
//! editor helper (completion, multi-line input); [`ingest`] and [`cluster`] are the other
//! subcommands.

mod cluster;
mod complete;
mod ingest;
mod output;
mod repl;
mod session;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use output::OutputFormat;
use tarn_client::{Client, RetryPolicy};

#[derive(Parser, Debug)]
#[command(
    name = "tarn",
    version,
    about = "Query, ingest into and manage a Tarn (Kusto-protocol) cluster"
)]
struct Cli {
    /// Node URL(s), or a Kusto connection string; several URLs (comma-separated or repeated)
    /// are the nodes of one cluster, tried in order.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:8080",
        env = "TARN_URL"
    )]
    url: Vec<String>,

    /// The database.
    #[arg(long, global = true, default_value = "NetDefaultDB", env = "TARN_DB")]
    db: String,

    /// A bearer token to send.
    #[arg(long, global = true, env = "TARN_TOKEN", hide_env_values = true)]
    token: Option<String>,

    /// Attempts per request on retryable errors (429, 5xx, lost connections).
    #[arg(long, global = true, default_value_t = 5)]
    retries: u32,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run KQL: an interactive REPL, one query with -e, or a script on stdin (queries separated
    /// by blank lines; lines starting with '.' are management commands).
    Query(QueryArgs),
    /// Ingest files into a table (csv, tsv, psv, json, multijson, parquet; .gz is read too).
    Ingest(IngestArgs),
    /// Run one management command.
    Mgmt(MgmtArgs),
    /// Cluster information.
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
}

#[derive(Args, Debug)]
struct QueryArgs {
    /// Run this KQL and exit.
    #[arg(short = 'e', long = "execute")]
    execute: Option<String>,

    /// Run the queries in this file and exit.
    #[arg(short = 'f', long = "file", conflicts_with = "execute")]
    file: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,

    /// Print rows and elapsed time after each result.
    #[arg(long)]
    timing: bool,
}

#[derive(Args, Debug)]
struct IngestArgs {
    /// Files to ingest.
    #[arg(required = true)]
    files: Vec<PathBuf>,

    /// The table to ingest into.
    #[arg(long)]
    table: String,

    /// The data format (default: from each file's extension).
    #[arg(long)]
    format: Option<String>,

    /// A pre-created ingestion mapping.
    #[arg(long)]
    mapping: Option<String>,

    /// The ingestion tag; by default one derived from the table and the file's path, size and
    /// modification time, so running the same command again resumes instead of duplicating.
    #[arg(long)]
    tag: Option<String>,

    /// Skip each file's first record (a csv header).
    #[arg(long)]
    ignore_first_record: bool,

    /// Uncompressed megabytes per request.
    #[arg(long, default_value_t = 8)]
    chunk_mb: usize,

    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct MgmtArgs {
    /// The command, e.g. ".show tables".
    command: String,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

#[derive(Subcommand, Debug)]
enum ClusterCommand {
    /// Each node: reachable or not, latency, Raft state, version.
    Status,
}

fn build_client(cli: &Cli) -> tarn_client::Result<Client> {
    let mut builder = Client::builder()
        .default_database(cli.db.clone())
        .retry_policy(RetryPolicy::default().attempts_max(cli.retries))
        .application("tarn-cli");
    for url in &cli.url {
        if url.contains('=') {
            builder = builder.connection_string(url)?;
        } else {
            builder = builder.urls(
                url.split(',')
                    .filter(|part| !part.trim().is_empty())
                    .map(str::to_string),
            );
        }
    }
    if let Some(token) = &cli.token {
        builder = builder.bearer_token(token.clone());
    }
    builder.build()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let client = match build_client(&cli) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("tarn: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tarn: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let database = client.default_database().to_string();
    let succeeded = match cli.command {
        Command::Query(args) => repl::run(&runtime, &client, &database, args),
        Command::Ingest(args) => runtime.block_on(ingest::run(&client, &database, args)),
        Command::Mgmt(args) => {
            let mut session = session::Session::new(client, database, args.format, false);
            runtime.block_on(session.run_text(&args.command))
        }
        Command::Cluster {
            command: ClusterCommand::Status,
        } => runtime.block_on(cluster::status(&client)),
    };
    if succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
