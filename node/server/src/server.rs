//! Running a node: the I/O runtime serves HTTP, a separate runtime runs queries, commands and
//! parsing, and a shutdown signal stops accepting, drains, and closes the node.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;

use crate::config::Config;
use crate::http::{AppState, router};
use crate::node::{Node, StartError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// Opens the node and serves until `shutdown` completes. `ready` is told the bound address (useful
/// with port 0 in tests).
pub async fn serve(
    config: Config,
    query_runtime: tokio::runtime::Handle,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(&config.http_addr)
        .await
        .map_err(|source| ServeError::Bind { address: config.http_addr.clone(), source })?;
    let address = listener.local_addr().map_err(ServeError::Serve)?;
    let node = Node::open(config).await?;
    let maintenance = tokio::spawn(crate::maintenance::run(Arc::clone(&node)));
    tracing::info!(%address, data_dir = %node.config.data_dir.display(), "tarnd is serving");
    ready(address);
    let state = AppState { node: Arc::clone(&node), query_runtime };
    // Results stream as several small writes (v2 frames); with Nagle's algorithm on, the last
    // of them waits for the client's delayed ACK, and a one-row answer took 42–44 ms instead
    // of 2 ms (the bench's `readings | count`).
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
        }
    });
    let served = axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await;
    maintenance.abort();
    let _ = maintenance.await;
    node.shutdown().await;
    tracing::info!("tarnd stopped");
    served.map_err(ServeError::Serve)
}
