//! `tarnd`: runs one Tarn node. With no arguments: data in `./tarn-data`, HTTP on
//! 127.0.0.1:8080, the database `NetDefaultDB`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tarnd::Config;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Debug, Parser)]
#[command(name = "tarnd", version, about = "Tarn: an open-source Kusto-compatible analytics database")]
struct Arguments {
    /// A TOML file with any of: data_dir, http_addr, node_id, maintenance_interval_ms,
    /// column_cache_mb.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the node keeps its data (default ./tarn-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// HOST:PORT to serve the Kusto REST API on (default 127.0.0.1:8080).
    #[arg(long)]
    http_addr: Option<String>,
    /// This node's id in the Raft group (default 1).
    #[arg(long)]
    node_id: Option<u64>,
    /// MiB of memory for decoded columns of hot extents (default: a quarter of the machine's
    /// memory, or of a lower cgroup limit; 0 turns the cache off).
    #[arg(long)]
    column_cache_mb: Option<u64>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=warn")),
        )
        .init();
    let arguments = Arguments::parse();
    let mut config = Config::default();
    if let Some(path) = &arguments.config
        && let Err(error) = config.apply_file(path)
    {
        eprintln!("tarnd: {error}");
        return ExitCode::from(2);
    }
    if let Some(data_dir) = arguments.data_dir {
        config.data_dir = data_dir;
    }
    if let Some(http_addr) = arguments.http_addr {
        config.http_addr = http_addr;
    }
    if let Some(node_id) = arguments.node_id {
        config.node_id = node_id;
    }
    if let Some(megabytes) = arguments.column_cache_mb {
        config.column_cache_mb = Some(megabytes);
    }
    let cores = std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(2);
    let io_runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(cores.clamp(1, 4)).thread_name("tarn-io").enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tarnd: cannot start the I/O runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let query_runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(cores).thread_name("tarn-query").enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tarnd: cannot start the query runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let query_handle = query_runtime.handle().clone();
    let result = io_runtime.block_on(tarnd::server::serve(config, query_handle, shutdown_signal(), |address| {
        println!("tarnd listening on http://{address}");
    }));
    query_runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tarnd: {error}");
            ExitCode::FAILURE
        }
    }
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutting down");
}
