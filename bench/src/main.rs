//! The `tarn-bench` command line: `gen`, `load`, `ingest`, `query`. Parsing and printing only;
//! the work is in the library's modules.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use tarn_bench::dataset::files::{file_outputs, manifest};
use tarn_bench::dataset::sink::FileFormat;
use tarn_bench::dataset::{self, Outputs, Spec, profile};
use tarn_bench::ingest::bodies::BodyFormat;
use tarn_bench::ingest::{self, IngestConfig};
use tarn_bench::iso::{NANOS_PER_SECOND, parse_duration_nanos, parse_timestamp};
use tarn_bench::load::{self, LoadConfig};
use tarn_bench::query::{self, QueryConfig};
use tarn_bench::report::write_json;
use tarn_bench::{Error, Result};
use tarn_client::Client;

const DATABASE_DEFAULT: &str = "NetDefaultDB";
/// Data sets with at least this many readings print progress.
const PROGRESS_READINGS_MIN: u64 = 1_000_000;

#[derive(Parser)]
#[command(
    name = "tarn-bench",
    version,
    about = "Data generator, loader, ingestion load test and query suite runner for Tarn"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the IoT fleet data set (readings, diagnostics, tags) into files and/or a node.
    Gen(GenArgs),
    /// Bulk-load a generated directory into a node and time it.
    Load(LoadArgs),
    /// Streaming-ingestion load test: throughput, latency, freshness, server CPU.
    Ingest(IngestArgs),
    /// Run a query suite: cold and hot times, and the answers as JSON.
    Query(QueryArgs),
}

#[derive(Args)]
struct GenArgs {
    /// Directory to write <table>.<format> files and manifest.json into.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also (or instead) stream the tables to this node; they are dropped and created first.
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value = DATABASE_DEFAULT)]
    db: String,
    /// quick (20 trucks, 1 h), small (200, 1 d), medium (1000, 1 d), large (1000, 12 d).
    #[arg(long, default_value = "quick")]
    profile: String,
    /// Overrides the profile's truck count.
    #[arg(long)]
    trucks: Option<u64>,
    /// Overrides the profile's time span (e.g. 1d, 6h).
    #[arg(long, value_parser = parse_duration_nanos)]
    span: Option<i64>,
    /// Overrides the profile's interval between readings (e.g. 10s).
    #[arg(long, value_parser = parse_duration_nanos)]
    interval: Option<i64>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// File formats, comma-separated: csv, jsonl, parquet.
    #[arg(long, value_delimiter = ',', default_value = "csv,jsonl,parquet", value_parser = parse_file_format)]
    formats: Vec<FileFormat>,
    /// The first timestamp (RFC 3339).
    #[arg(long, default_value = "2024-01-01T00:00:00Z", value_parser = parse_timestamp)]
    start: i64,
    /// Uploads in flight per table with --url.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

#[derive(Args)]
struct LoadArgs {
    #[arg(long)]
    url: String,
    /// A directory written by `gen` (manifest.json and <table>.csv).
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = DATABASE_DEFAULT)]
    db: String,
    /// Chunk uploads in flight.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Gzip the request bodies. Off by default: the load runs against a node on the same
    /// machine, as the peers read the file from local disk, and over loopback gzip only costs
    /// CPU on both ends.
    #[arg(long)]
    gzip: bool,
    #[arg(long, default_value = "load.json")]
    out: PathBuf,
}

#[derive(Args)]
struct IngestArgs {
    #[arg(long)]
    url: String,
    #[arg(long, default_value = DATABASE_DEFAULT)]
    db: String,
    /// The table to load; dropped and created with the readings schema.
    #[arg(long, default_value = "readings_load")]
    table: String,
    /// Concurrent clients, each with one request in flight.
    #[arg(long, default_value_t = 4)]
    clients: u64,
    /// Rows per request.
    #[arg(long, default_value_t = 10_000)]
    batch_rows: u64,
    /// Body format: csv, json (lines) or parquet.
    #[arg(long, default_value = "csv", value_parser = parse_body_format)]
    format: BodyFormat,
    /// Gzip csv and json bodies (Content-Encoding: gzip).
    #[arg(long)]
    gzip: bool,
    /// Total rows per second over all clients; flat out when absent.
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long, default_value = "60s", value_parser = parse_duration_nanos)]
    duration: i64,
    /// The server's pid, to sample its CPU and RSS from /proc (same machine only).
    #[arg(long)]
    server_pid: Option<u32>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = "ingest.json")]
    out: PathBuf,
}

#[derive(Args)]
struct QueryArgs {
    #[arg(long)]
    url: String,
    /// A TOML suite: [[query]] tables with name and kql.
    #[arg(long)]
    suite: PathBuf,
    #[arg(long, default_value = DATABASE_DEFAULT)]
    db: String,
    /// Hot runs after the cold one.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Only these queries, comma-separated.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Also run the queries the suite marks skip_tarn (to see whether a gap has closed).
    #[arg(long)]
    run_skipped: bool,
    #[arg(long, default_value = "tarn-queries.json")]
    out: PathBuf,
}

fn parse_file_format(text: &str) -> Result<FileFormat, String> {
    FileFormat::parse(text)
        .ok_or_else(|| format!("'{text}' is not a file format (csv, jsonl, parquet)"))
}

fn parse_body_format(text: &str) -> Result<BodyFormat, String> {
    BodyFormat::parse(text)
        .ok_or_else(|| format!("'{text}' is not a body format (csv, json, parquet)"))
}

fn spec_of(args: &GenArgs) -> Result<Spec> {
    let Some(base) = profile(&args.profile) else {
        return Err(Error::InvalidArgument {
            argument: "--profile",
            reason: format!(
                "'{}' is not one of quick, small, medium, large",
                args.profile
            ),
        });
    };
    let spec = Spec {
        seed: args.seed,
        profile: base.name.to_string(),
        trucks: args.trucks.unwrap_or(base.trucks),
        start_nanos: args.start,
        span_nanos: args.span.unwrap_or(base.span_seconds * NANOS_PER_SECOND),
        interval_nanos: args
            .interval
            .unwrap_or(base.interval_seconds * NANOS_PER_SECOND),
    };
    spec.validate()?;
    Ok(spec)
}

/// Prints a line every 5% of the time steps, for data sets large enough to take a while.
fn progress_printer(spec: &Spec) -> impl FnMut(u64, u64) + Send + 'static {
    let quiet = spec.trucks.saturating_mul(spec.steps()) < PROGRESS_READINGS_MIN;
    let started = Instant::now();
    let mut next_percent = 5;
    move |step, steps| {
        if quiet {
            return;
        }
        let percent = step * 100 / steps.max(1);
        if percent >= next_percent {
            next_percent = percent + 5;
            eprintln!(
                "gen: {percent:>3}% ({step} of {steps} steps) after {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
}

async fn run_gen(args: GenArgs) -> Result<()> {
    if args.out.is_none() && args.url.is_none() {
        return Err(Error::InvalidArgument {
            argument: "--out/--url",
            reason: "give a directory to write (--out), a node to stream to (--url), or both"
                .to_string(),
        });
    }
    let spec = spec_of(&args)?;
    let formats: Vec<FileFormat> = if args.out.is_some() {
        args.formats.clone()
    } else {
        Vec::new()
    };
    let outputs = match &args.out {
        Some(directory) => file_outputs(directory, &formats)?,
        None => Outputs::default(),
    };
    eprintln!(
        "gen: profile {}, {} trucks, {} steps of {} s, seed {}",
        spec.profile,
        spec.trucks,
        spec.steps(),
        spec.interval_nanos as f64 / NANOS_PER_SECOND as f64,
        spec.seed
    );
    let started = Instant::now();
    let progress = progress_printer(&spec);
    let counts = match &args.url {
        Some(url) => {
            let client = Client::new(url)
                .map_err(|source| Error::client(format!("connecting to {url}"), source))?;
            dataset::stream::generate_to_node(
                &client,
                &args.db,
                &spec,
                outputs,
                args.concurrency.max(1),
                progress,
            )
            .await?
        }
        None => {
            let spec_for_thread = spec.clone();
            tokio::task::spawn_blocking(move || {
                dataset::generate(&spec_for_thread, outputs, progress)
            })
            .await
            .map_err(|error| Error::TaskFailed {
                task: "generation",
                reason: error.to_string(),
            })??
        }
    };
    if let Some(directory) = &args.out {
        manifest(&spec, &formats, counts).write(directory)?;
    }
    eprintln!(
        "gen: {} readings, {} diagnostics, {} tags in {:.1} s{}",
        counts.readings,
        counts.diagnostics,
        counts.tags,
        started.elapsed().as_secs_f64(),
        args.out
            .as_ref()
            .map_or_else(String::new, |directory| format!(
                ", written to {}",
                directory.display()
            ))
    );
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Gen(args) => run_gen(args).await,
        Command::Load(args) => {
            let config = LoadConfig {
                url: args.url,
                data: args.data,
                database: args.db,
                concurrency: args.concurrency.max(1),
                gzip: args.gzip,
            };
            let report = load::run(&config).await?;
            write_json(&args.out, &report)?;
            eprintln!(
                "load: {:.2} s in total, report in {}",
                report.total_seconds,
                args.out.display()
            );
            Ok(())
        }
        Command::Ingest(args) => {
            let config = IngestConfig {
                url: args.url,
                database: args.db,
                table: args.table,
                clients: args.clients,
                batch_rows: args.batch_rows,
                format: args.format,
                gzip: args.gzip,
                rate_rows_per_s: args.rate,
                duration_s: args.duration as f64 / NANOS_PER_SECOND as f64,
                server_pid: args.server_pid,
                seed: args.seed,
            };
            let report = ingest::run(config).await?;
            write_json(&args.out, &report)?;
            println!("{}", ingest::markdown(&report));
            eprintln!("ingest: report in {}", args.out.display());
            Ok(())
        }
        Command::Query(args) => {
            let config = QueryConfig {
                url: args.url,
                database: args.db,
                suite: args.suite,
                runs: args.runs,
                only: args.only,
                run_skipped: args.run_skipped,
            };
            let report = query::run(&config).await?;
            write_json(&args.out, &report)?;
            println!("{}", query::table(&report));
            eprintln!("query: report in {}", args.out.display());
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tarn-bench: error: {error}");
            ExitCode::FAILURE
        }
    }
}
