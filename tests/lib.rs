//! Test support for Tarn's integration tests: a node served in-process on a free loopback port
//! ([`TestNode`]), a real `tarnd` process that can be killed ([`TarndProcess`]), and a small Kusto
//! REST client that speaks to either ([`KustoClient`]).

pub mod client;
pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;

pub use client::{KustoClient, QueryOutcome};
pub use process::TarndProcess;

/// A node served in-process, on its own runtime, over a temporary data directory.
pub struct TestNode {
    pub address: SocketAddr,
    pub client: KustoClient,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _data: Arc<tempfile::TempDir>,
}

impl TestNode {
    pub fn start() -> TestNode {
        let data = Arc::new(tempfile::tempdir().expect("a temporary directory for the node"));
        let config = tarnd::Config {
            data_dir: data.path().to_path_buf(),
            http_addr: "127.0.0.1:0".into(),
            node_id: 1,
            maintenance_interval_ms: 60_000,
            column_cache_mb: None,
        };
        let (address_sender, address_receiver) = std::sync::mpsc::channel();
        let (shutdown_sender, shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the test node");
            let handle = runtime.handle().clone();
            let served = runtime.block_on(tarnd::server::serve(
                config,
                handle,
                async move {
                    let _ = shutdown_receiver.await;
                },
                move |address| {
                    let _ = address_sender.send(address);
                },
            ));
            if let Err(error) = served {
                eprintln!("test node failed: {error}");
            }
        });
        let address = address_receiver
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the test node starts within a minute");
        TestNode {
            address,
            client: KustoClient::new(&format!("http://{address}")),
            shutdown: Some(shutdown_sender),
            thread: Some(thread),
            _data: data,
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
