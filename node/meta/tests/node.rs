//! MetaNode on a real RocksDB in a temporary directory: restart, snapshot + log replay, and a
//! `kill -9` of a child process right after proposals were acknowledged.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tarn_common::{Column, ColumnStats, ExtentId, ExtentMeta, KustoType};
use tarn_meta::{
    CommandError, DEFAULT_DATABASE, MetaCommand, MetaError, MetaNode, MetaOptions, MetaResponse,
    NoNetwork,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CRASH_DIR_ENV: &str = "TARN_META_CRASH_CHILD_DIR";

fn extent(id: u128) -> ExtentMeta {
    ExtentMeta {
        id: ExtentId(id),
        columns: vec![Column::new("a", KustoType::Long)],
        stats: vec![ColumnStats {
            min: None,
            max: None,
            null_count: 0,
        }],
        row_count: 1,
        size_bytes: 8,
        created_at_nanos: 1_700_000_000_000_000_000,
        tags: vec![format!("ingest-by:{id}")],
    }
}

fn create_table(table: &str) -> MetaCommand {
    MetaCommand::CreateTable {
        db: DEFAULT_DATABASE.to_string(),
        table: table.to_string(),
        columns: vec![
            Column::new("a", KustoType::Long),
            Column::new("b", KustoType::String),
        ],
        folder: String::new(),
        docstring: String::new(),
        created_at_nanos: 1,
    }
}

fn append(table: &str, id: u128) -> MetaCommand {
    MetaCommand::AppendExtents {
        db: DEFAULT_DATABASE.to_string(),
        table: table.to_string(),
        create_with_columns: None,
        extents: vec![extent(id)],
        ingest_by_tags: vec![],
        if_not_exists_tags: vec![id.to_string()],
    }
}

fn extent_ids(node: &MetaNode, table: &str) -> Vec<u128> {
    node.catalog()
        .table(DEFAULT_DATABASE, table)
        .map(|table| table.extents.iter().map(|extent| extent.id.0).collect())
        .unwrap_or_default()
}

fn small_snapshot_options() -> MetaOptions {
    MetaOptions {
        snapshot_logs_since_last: 20,
        ..MetaOptions::default()
    }
}

async fn open_small(dir: &Path) -> Result<MetaNode, MetaError> {
    MetaNode::open_with(dir, 1, small_snapshot_options(), NoNetwork).await
}

// Proves a fresh node bootstraps NetDefaultDB through the log, answers commands (refusals as
// MetaError::Command), and a clean restart brings back the same catalog without re-bootstrapping.
#[tokio::test]
async fn restart_restores_catalog() -> TestResult {
    let dir = tempfile::tempdir()?;
    let node = MetaNode::open(dir.path(), 1).await?;
    assert!(node.catalog().database(DEFAULT_DATABASE).is_some());
    assert_eq!(
        node.propose(create_table("T")).await?,
        MetaResponse::Created
    );
    assert_eq!(node.propose(append("T", 1)).await?, MetaResponse::Ok);
    assert_eq!(node.propose(append("T", 2)).await?, MetaResponse::Ok);
    assert_eq!(
        node.propose(append("T", 1)).await?,
        MetaResponse::Duplicate {
            tags: vec!["1".to_string()]
        }
    );
    let refused = node.propose(create_table("T")).await;
    assert!(
        matches!(&refused, Err(MetaError::Command(CommandError::TableAlreadyExists { table, .. })) if table == "T"),
        "expected TableAlreadyExists, got {refused:?}"
    );
    let before = node.catalog();
    let applied_before = node.applied_index();
    assert!(
        applied_before >= 6,
        "bootstrap, table, three appends and a refusal are each a log entry"
    );
    node.shutdown().await?;

    let reopened = MetaNode::open(dir.path(), 1).await?;
    assert_eq!(*reopened.catalog(), *before);
    assert_eq!(extent_ids(&reopened, "T"), vec![1, 2]);
    assert!(reopened.applied_index() >= applied_before);
    reopened.shutdown().await?;
    Ok(())
}

// Proves that past the snapshot threshold a snapshot is built and the log behind it purged, and a
// restart rebuilds the same catalog from the snapshot plus the log after it.
#[tokio::test]
async fn snapshot_and_log_replay_restore_catalog() -> TestResult {
    let dir = tempfile::tempdir()?;
    let node = open_small(dir.path()).await?;
    node.propose(create_table("T")).await?;
    for id in 0..55 {
        node.propose(append("T", id)).await?;
    }
    let waited = node
        .raft()
        .wait(Some(Duration::from_secs(10)))
        .metrics(
            |metrics| {
                metrics
                    .snapshot
                    .is_some_and(|snapshot| snapshot.index >= 30)
            },
            "snapshot built",
        )
        .await;
    assert!(
        waited.is_ok(),
        "no snapshot past index 30: {:?}",
        node.metrics().snapshot
    );
    // Entries after the snapshot exist, so the reopen below replays snapshot and log both.
    let metrics = node.metrics();
    assert!(
        metrics.last_log_index > metrics.snapshot.map(|snapshot| snapshot.index),
        "{metrics:?}"
    );
    let purged = node
        .raft()
        .wait(Some(Duration::from_secs(10)))
        .metrics(
            |metrics| metrics.purged.is_some(),
            "log purged behind the snapshot",
        )
        .await;
    assert!(
        purged.is_ok(),
        "log never purged: {:?}",
        node.metrics().purged
    );
    let before = node.catalog();
    node.shutdown().await?;

    let reopened = open_small(dir.path()).await?;
    assert_eq!(*reopened.catalog(), *before);
    assert_eq!(extent_ids(&reopened, "T"), (0..55).collect::<Vec<u128>>());
    // The log still works after the restart.
    assert_eq!(reopened.propose(append("T", 99)).await?, MetaResponse::Ok);
    reopened.shutdown().await?;
    Ok(())
}

// Not a test on its own: the child process of `kill_9_loses_no_acknowledged_command`. It proposes
// appends forever and prints "acked <id>" after each one returns.
#[tokio::test]
#[ignore = "child process of kill_9_loses_no_acknowledged_command"]
async fn crash_child() -> TestResult {
    let Some(dir) = std::env::var_os(CRASH_DIR_ENV) else {
        return Err("run only by kill_9_loses_no_acknowledged_command".into());
    };
    let node = open_small(Path::new(&dir)).await?;
    node.propose(create_table("T")).await?;
    println!("acked table");
    for id in 0u128.. {
        node.propose(append("T", id)).await?;
        println!("acked {id}");
    }
    Ok(())
}

// Proves durability: every command whose propose returned before a `kill -9` (no shutdown, no
// flush) is in the catalog after reopening, across a snapshot boundary.
#[tokio::test]
async fn kill_9_loses_no_acknowledged_command() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("child stdout not piped")?;
    let kill_after_acks = 45u128;
    let mut acked: Option<u128> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(id) = line
            .strip_prefix("acked ")
            .and_then(|id| id.parse::<u128>().ok())
        {
            acked = Some(id);
            if id + 1 >= kill_after_acks {
                break;
            }
        }
    }
    // SIGKILL while the child is still proposing.
    child.kill()?;
    child.wait()?;
    let acked = acked.ok_or("the child acknowledged nothing")?;

    let reopened = open_small(dir.path()).await?;
    let ids = extent_ids(&reopened, "T");
    assert!(
        ids.len() as u128 > acked,
        "acknowledged extents 0..={acked} but only {} survived the crash",
        ids.len()
    );
    assert_eq!(
        ids[..=acked as usize],
        (0..=acked).collect::<Vec<u128>>()[..]
    );
    reopened.shutdown().await?;
    Ok(())
}

// Proves a command JSON cannot carry (a NaN real statistic) is refused before it reaches the log,
// instead of failing log storage and stopping Raft: the node keeps accepting commands.
#[tokio::test]
async fn unencodable_command_is_refused_before_the_log() -> TestResult {
    let dir = tempfile::tempdir()?;
    let node = MetaNode::open(dir.path(), 1).await?;
    node.propose(create_table("T")).await?;
    let mut poisoned = extent(1);
    poisoned.stats = vec![ColumnStats {
        min: Some(tarn_common::StatValue::Real(f64::NAN)),
        max: None,
        null_count: 0,
    }];
    let command = MetaCommand::AppendExtents {
        db: DEFAULT_DATABASE.to_string(),
        table: "T".to_string(),
        create_with_columns: None,
        extents: vec![poisoned],
        ingest_by_tags: vec![],
        if_not_exists_tags: vec![],
    };
    let refused = node.propose(command).await;
    assert!(
        matches!(refused, Err(MetaError::Serialization { .. })),
        "{refused:?}"
    );
    assert_eq!(node.propose(append("T", 2)).await?, MetaResponse::Ok);
    assert_eq!(extent_ids(&node, "T"), vec![2]);
    node.shutdown().await?;
    Ok(())
}
