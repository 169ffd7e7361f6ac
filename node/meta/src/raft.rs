//! openraft's type configuration for the metadata group, and the network seam. This crate knows no
//! network: the `cluster` crate implements [`openraft::RaftNetworkFactory`] for [`TypeConfig`] and
//! passes it to [`crate::MetaNode::open_with`]; a single voter uses [`NoNetwork`].

use std::io::Cursor;

use openraft::error::{InstallSnapshotError, RPCError, RaftError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, RaftNetwork, RaftNetworkFactory};

use crate::command::{MetaCommand, MetaResponse};
use crate::error::{CommandError, MetaError};

/// What applying one log entry answers its proposer with.
pub type ApplyResult = Result<MetaResponse, CommandError>;

openraft::declare_raft_types!(
    /// The metadata Raft group's types.
    pub TypeConfig:
        D = MetaCommand,
        R = ApplyResult,
        NodeId = u64,
        Node = BasicNode,
        SnapshotData = Cursor<Vec<u8>>,
);

pub type MetaRaft = openraft::Raft<TypeConfig>;
pub type LogId = openraft::LogId<u64>;
pub type StoredMembership = openraft::StoredMembership<u64, BasicNode>;

/// The network of a single-voter group: there is no peer, so no RPC is ever sent. Every call
/// answers `Unreachable` in case a misconfigured membership names a second node.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNetwork;

/// The client [`NoNetwork`] hands out for a target that does not exist.
#[derive(Debug, Clone, Copy)]
pub struct NoConnection {
    target: u64,
}

impl NoConnection {
    fn unreachable<E: std::error::Error>(&self) -> RPCError<u64, BasicNode, E> {
        RPCError::Unreachable(Unreachable::new(&MetaError::NoNetwork {
            target: self.target,
        }))
    }
}

impl RaftNetworkFactory<TypeConfig> for NoNetwork {
    type Network = NoConnection;

    async fn new_client(&mut self, target: u64, _node: &BasicNode) -> NoConnection {
        NoConnection { target }
    }
}

impl RaftNetwork<TypeConfig> for NoConnection {
    async fn append_entries(
        &mut self,
        _rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        Err(self.unreachable())
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, BasicNode, RaftError<u64, InstallSnapshotError>>,
    > {
        Err(self.unreachable())
    }

    async fn vote(
        &mut self,
        _rpc: VoteRequest<u64>,
        _option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        Err(self.unreachable())
    }
}
