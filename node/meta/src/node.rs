//! [`MetaNode`]: the metadata replica a `tarnd` process runs. It opens the RocksDB store, starts
//! Raft, bootstraps a fresh single-voter group, and turns proposals into applied responses.
//!
//! Does not own: networking (a [`openraft::RaftNetworkFactory`] comes in through
//! [`MetaNode::open_with`]), forwarding writes to another leader (the `cluster` crate), or deleting
//! extent bytes that a response says are gone (the caller).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{ClientWriteError, InitializeError, RaftError};
use openraft::{BasicNode, Config, RaftMetrics, RaftNetworkFactory, ServerState, SnapshotPolicy};
use tokio::sync::watch;

use crate::catalog::Catalog;
use crate::command::{MetaCommand, MetaResponse};
use crate::db::MetaDb;
use crate::error::{MetaError, Result};
use crate::log::LogStore;
use crate::raft::{MetaRaft, NoNetwork, TypeConfig};
use crate::store::{Shared, StateMachineStore};

/// Tunables of a metadata node. `Default` is what `tarnd` runs with.
#[derive(Debug, Clone)]
pub struct MetaOptions {
    /// Build a snapshot after this many log entries since the last one.
    pub snapshot_logs_since_last: u64,
    /// Log entries kept behind a snapshot (for followers that lag a little); 0 purges all of them.
    pub logs_kept_behind_snapshot: u64,
    /// How long `open` waits for this node to become leader of its single-voter group.
    pub leader_wait_millis_max: u64,
    /// The address recorded for this node in the membership (peers use it once there are some).
    pub advertise_addr: String,
    pub heartbeat_interval_millis: u64,
    pub election_timeout_min_millis: u64,
    pub election_timeout_max_millis: u64,
}

impl Default for MetaOptions {
    fn default() -> MetaOptions {
        MetaOptions {
            snapshot_logs_since_last: 5000,
            logs_kept_behind_snapshot: 0,
            leader_wait_millis_max: 10_000,
            advertise_addr: String::new(),
            heartbeat_interval_millis: 50,
            election_timeout_min_millis: 150,
            election_timeout_max_millis: 300,
        }
    }
}

impl MetaOptions {
    fn raft_config(&self) -> Result<Config> {
        let config = Config {
            cluster_name: "tarn-meta".to_string(),
            heartbeat_interval: self.heartbeat_interval_millis,
            election_timeout_min: self.election_timeout_min_millis,
            election_timeout_max: self.election_timeout_max_millis,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(self.snapshot_logs_since_last),
            max_in_snapshot_log_to_keep: self.logs_kept_behind_snapshot,
            ..Config::default()
        };
        config.validate().map_err(|source| MetaError::RaftConfig {
            source: Box::new(source),
        })
    }
}

pub struct MetaNode {
    node_id: u64,
    raft: MetaRaft,
    shared: Arc<Shared>,
}

impl MetaNode {
    /// Opens (or creates) the metadata store in `dir` as the single voter `node_id`, and returns
    /// once this node leads and the catalog is bootstrapped.
    pub async fn open(dir: &Path, node_id: u64) -> Result<MetaNode> {
        MetaNode::open_with(dir, node_id, MetaOptions::default(), NoNetwork).await
    }

    /// [`MetaNode::open`] with explicit options and network. On first start the membership is
    /// this node alone; joining other nodes is a membership change made later through [`raft`].
    ///
    /// [`raft`]: MetaNode::raft
    pub async fn open_with<N>(
        dir: &Path,
        node_id: u64,
        options: MetaOptions,
        network: N,
    ) -> Result<MetaNode>
    where
        N: RaftNetworkFactory<TypeConfig>,
    {
        let config = Arc::new(options.raft_config()?);
        let db = MetaDb::open(dir).await?;
        let log_store = LogStore::new(Arc::clone(&db));
        let state_machine = StateMachineStore::open(db).await?;
        let shared = state_machine.shared();
        let raft = MetaRaft::new(node_id, config, network, log_store, state_machine)
            .await
            .map_err(|source| MetaError::RaftFatal {
                source: Box::new(source),
            })?;
        let node = MetaNode {
            node_id,
            raft,
            shared,
        };

        let initialized =
            node.raft
                .is_initialized()
                .await
                .map_err(|source| MetaError::RaftFatal {
                    source: Box::new(source),
                })?;
        if !initialized {
            let members =
                BTreeMap::from([(node_id, BasicNode::new(options.advertise_addr.clone()))]);
            match node.raft.initialize(members).await {
                Ok(()) => tracing::info!(node_id, "metadata raft initialized as single voter"),
                // Another start got there first; the membership is in the log already.
                Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(RaftError::APIError(source)) => {
                    return Err(MetaError::RaftInitialize {
                        source: Box::new(source),
                    });
                }
                Err(RaftError::Fatal(source)) => {
                    return Err(MetaError::RaftFatal {
                        source: Box::new(source),
                    });
                }
            }
        }
        node.wait_until_leader(options.leader_wait_millis_max)
            .await?;
        // Leadership alone does not mean the committed log is applied; a linearizable read does.
        node.raft
            .ensure_linearizable()
            .await
            .map_err(|error| match error {
                RaftError::APIError(source) => MetaError::CheckIsLeader {
                    source: Box::new(source),
                },
                RaftError::Fatal(source) => MetaError::RaftFatal {
                    source: Box::new(source),
                },
            })?;
        if !node.catalog().bootstrapped {
            node.propose(MetaCommand::Bootstrap).await?;
        }
        Ok(node)
    }

    async fn wait_until_leader(&self, leader_wait_millis_max: u64) -> Result<()> {
        let waited = self
            .raft
            .wait(Some(Duration::from_millis(leader_wait_millis_max)))
            .state(ServerState::Leader, "metadata node becomes leader")
            .await;
        match waited {
            Ok(_) => Ok(()),
            Err(_) => Err(MetaError::LeaderTimeout {
                node_id: self.node_id,
                waited_millis: leader_wait_millis_max,
            }),
        }
    }

    /// Commits `command` through the Raft log and returns what applying it answered. When this
    /// returns, the entry is fsynced on a quorum and applied here.
    pub async fn propose(&self, command: MetaCommand) -> Result<MetaResponse> {
        check_encodable(&command)?;
        let written = self
            .raft
            .client_write(command)
            .await
            .map_err(|error| match error {
                RaftError::APIError(ClientWriteError::ForwardToLeader(forward)) => {
                    MetaError::NotLeader {
                        leader_id: forward.leader_id,
                    }
                }
                RaftError::APIError(source) => MetaError::ClientWrite {
                    source: Box::new(source),
                },
                RaftError::Fatal(source) => MetaError::RaftFatal {
                    source: Box::new(source),
                },
            })?;
        written.data.map_err(MetaError::Command)
    }

    /// The catalog as applied on this node; a cheap, immutable snapshot.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.shared.catalog()
    }

    /// Index of the last log entry applied to [`MetaNode::catalog`].
    pub fn applied_index(&self) -> u64 {
        *self.shared.subscribe_applied().borrow()
    }

    /// Changes each time entries are applied; the value is the applied index.
    pub fn subscribe_applied(&self) -> watch::Receiver<u64> {
        self.shared.subscribe_applied()
    }

    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    pub fn metrics(&self) -> RaftMetrics<u64, BasicNode> {
        self.raft.metrics().borrow().clone()
    }

    /// The Raft handle, for the `cluster` crate (RPC handlers, membership changes).
    pub fn raft(&self) -> &MetaRaft {
        &self.raft
    }

    /// Stops Raft; the store closes once its last handle is gone.
    pub async fn shutdown(self) -> Result<()> {
        self.raft
            .shutdown()
            .await
            .map_err(|error| MetaError::Shutdown {
                reason: error.to_string(),
            })
    }
}

/// Refuses a command whose JSON would not decode back (a NaN or infinite real statistic becomes
/// `null`): in the log it would make storage fail and stop Raft, so it must never get there.
fn check_encodable(command: &MetaCommand) -> Result<()> {
    let bytes = serde_json::to_vec(command).map_err(|source| MetaError::Serialization {
        what: "command",
        source,
    })?;
    serde_json::from_slice::<MetaCommand>(&bytes).map_err(|source| MetaError::Serialization {
        what: "command",
        source,
    })?;
    Ok(())
}
