//! A read-only view of the quorum for DescribeQuorum, as only the leader can give it: its epoch
//! and high watermark, and per voter the log end offset the leader last learnt (what counts
//! towards the high watermark: a follower's validated fetch offset, the leader's own flushed
//! end) and when the voter last fetched, and the same for every observer that fetched in this
//! epoch. Kafka's `-1` for "unknown" is `None` here.

use super::state::{RaftNode, Role};
use super::types::{Epoch, NodeId, Offset};

/// Kafka's DescribeQuorum answer for the metadata partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumDescription {
    pub leader_id: NodeId,
    pub leader_epoch: Epoch,
    pub high_watermark: Offset,
    /// Every voter, the leader included, by id.
    pub current_voters: Vec<ReplicaDescription>,
    /// Every observer (broker-only node) that fetched in this epoch, by id.
    pub observers: Vec<ReplicaDescription>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaDescription {
    pub replica_id: NodeId,
    pub log_end_offset: Option<Offset>,
    pub last_fetch_timestamp_ms: Option<i64>,
}

impl RaftNode {
    /// The quorum as this node sees it, if it leads (only the leader tracks the voters).
    pub fn describe_quorum(&self) -> Option<QuorumDescription> {
        let Role::Leader(leader) = &self.role else {
            return None;
        };
        let me = self.config.node_id;
        let describe = |replica_id: NodeId| {
            if replica_id == me {
                return ReplicaDescription {
                    replica_id,
                    log_end_offset: Some(self.flushed_end_offset),
                    last_fetch_timestamp_ms: Some(self.now_ms),
                };
            }
            // Voters are tracked in `replicas`, broker-only observers in `observers`.
            let replica = (leader.replicas.get(&replica_id))
                .or_else(|| leader.observers.get(&replica_id))
                .copied()
                .unwrap_or_default();
            ReplicaDescription {
                replica_id,
                log_end_offset: replica.end_offset,
                last_fetch_timestamp_ms: replica.last_fetch_ms,
            }
        };
        let current_voters = self.config.voters.iter().map(|&id| describe(id)).collect();
        let observers = (leader.observers.keys()).map(|&id| describe(id)).collect();
        Some(QuorumDescription {
            leader_id: me,
            leader_epoch: self.leader_epoch,
            high_watermark: self.high_watermark,
            current_voters,
            observers,
        })
    }
}
