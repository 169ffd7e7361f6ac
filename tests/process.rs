//! A real `tarnd` process over a data directory, for tests that kill and restart it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::KustoClient;

pub struct TarndProcess {
    child: Child,
    pub address: String,
    pub client: KustoClient,
}

/// The `tarnd` binary built beside this test binary (`target/<profile>/tarnd`).
pub fn tarnd_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TARND_BIN") {
        return PathBuf::from(path);
    }
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test_binary.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    profile_dir.join("tarnd")
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).map(|address| address.port()).expect("a free port")
}

impl TarndProcess {
    /// Starts `tarnd` on `data_dir` and waits until it answers `/healthz`.
    pub fn start(data_dir: &Path, port: u16) -> TarndProcess {
        TarndProcess::start_with_args(data_dir, port, &[])
    }

    /// [`TarndProcess::start`] with further command-line flags.
    pub fn start_with_args(data_dir: &Path, port: u16, args: &[&str]) -> TarndProcess {
        let binary = tarnd_binary();
        assert!(binary.exists(), "tarnd binary not found at {} (build it with `cargo build --bins`)", binary.display());
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(&binary)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--http-addr")
            .arg(&address)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tarnd starts");
        let process = TarndProcess { child, client: KustoClient::new(&format!("http://{address}")), address };
        process.wait_healthy(Duration::from_secs(60));
        process
    }

    fn wait_healthy(&self, limit: Duration) {
        let started = Instant::now();
        let url = format!("http://{}/healthz", self.address);
        while started.elapsed() < limit {
            if let Ok(mut stream) = std::net::TcpStream::connect(&self.address) {
                use std::io::{Read, Write};
                let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.address);
                let mut response = String::new();
                if stream.write_all(request.as_bytes()).is_ok() && stream.read_to_string(&mut response).is_ok() && response.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("tarnd did not answer {url} within {limit:?}");
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        self.child.wait().expect("tarnd exits")
    }
}

impl Drop for TarndProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
