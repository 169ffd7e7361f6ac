//! Crash recovery of a real `tarnd` process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tarn_tests::process::free_port;
use tarn_tests::{QueryOutcome, TarndProcess};

const CLIENTS: usize = 4;
const ROWS_PER_BATCH: usize = 50;
const ACKNOWLEDGED_BEFORE_KILL: usize = 40;

fn cell_i64(value: &Value) -> i64 {
    value.as_i64().unwrap_or(-1)
}

/// Proves that after `kill -9` in the middle of concurrent ingestion, a restarted node holds every
/// acknowledged batch exactly once and whole, and no batch partially (a batch that was in flight
/// may be present or absent, but never with some of its rows).
#[test]
fn kill_9_mid_ingestion_loses_no_acknowledged_row() {
    let data = tempfile::tempdir().expect("a data directory");
    let node = TarndProcess::start(data.path(), free_port());
    let created = node.client.mgmt("NetDefaultDB", ".create table Events (client:long, batch:long, row:long)");
    assert!(matches!(created, QueryOutcome::Tables(_)), "create table: {created:?}");

    // Phase 1: clients stream batches until the node dies; each records what was acknowledged.
    let acknowledged: Arc<Mutex<BTreeSet<(i64, i64)>>> = Arc::default();
    let acknowledged_count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client_id in 0..CLIENTS as i64 {
        let client = node.client.clone();
        let acknowledged = Arc::clone(&acknowledged);
        let acknowledged_count = Arc::clone(&acknowledged_count);
        let stop = Arc::clone(&stop);
        clients.push(std::thread::spawn(move || {
            for batch in 0..10_000i64 {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let body: String = (0..ROWS_PER_BATCH).map(|row| format!("{client_id},{batch},{row}\n")).collect();
                match client.ingest("NetDefaultDB", "Events", "streamFormat=csv", body.as_bytes(), batch % 2 == 0) {
                    QueryOutcome::Tables(_) => {
                        acknowledged.lock().expect("ack set").insert((client_id, batch));
                        acknowledged_count.fetch_add(1, Ordering::SeqCst);
                    }
                    // The node was killed (connection refused/reset): an unknown outcome, not a failure.
                    QueryOutcome::Error { .. } => return,
                }
            }
        }));
    }
    let started = Instant::now();
    while acknowledged_count.load(Ordering::SeqCst) < ACKNOWLEDGED_BEFORE_KILL {
        assert!(started.elapsed() < Duration::from_secs(120), "ingestion made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }

    // Phase 2: SIGKILL while the clients are still sending.
    node.kill();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().expect("ack set").clone();
    assert!(acknowledged.len() >= ACKNOWLEDGED_BEFORE_KILL);

    // Phase 3: restart on the same data and check every batch.
    let node = TarndProcess::start(data.path(), free_port());
    let tables = node
        .client
        .query("NetDefaultDB", "Events | summarize rows = count(), distinct_rows = dcount(row) by client, batch")
        .tables();
    let mut present: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    for row in &tables[0].rows {
        present.insert((cell_i64(&row[0]), cell_i64(&row[1])), (cell_i64(&row[2]), cell_i64(&row[3])));
    }
    for batch in &acknowledged {
        assert!(present.contains_key(batch), "acknowledged batch {batch:?} is missing after the restart");
    }
    for (batch, (rows, distinct_rows)) in &present {
        assert_eq!(*rows, ROWS_PER_BATCH as i64, "batch {batch:?} is partially visible or duplicated");
        assert_eq!(*distinct_rows, ROWS_PER_BATCH as i64, "batch {batch:?} has duplicate rows");
    }
    // The restarted node keeps accepting writes.
    let more = node.client.ingest("NetDefaultDB", "Events", "streamFormat=csv", b"99,0,0\n", false);
    assert!(matches!(more, QueryOutcome::Tables(_)), "ingest after restart: {more:?}");
    let status = node.terminate();
    assert!(status.success(), "SIGTERM shuts tarnd down cleanly, got {status}");
}
