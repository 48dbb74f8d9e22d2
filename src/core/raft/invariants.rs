//! The quorum's safety invariants, checked after every event in test, debug and simulator
//! builds. Two layers:
//!
//! - [`RaftNode::validate`]: what one node's state must satisfy on its own (high watermark
//!   within the log, a leader's log ends in its own epoch, a consistent epoch cache, the log
//!   starting at the snapshot, a snapshot never past the high watermark, ...);
//! - [`QuorumObserver`] (in `observer.rs`): Kafka's RaftEventSimulationTest set, over every
//!   node's view, fed after each event.
//!
//! Both return typed violations rather than panicking, so tests can feed them bad states and
//! see them fail: a checker that cannot fail is a defect.

use super::state::{RaftNode, Role};
use super::types::{Epoch, NodeId, Offset, OffsetAndEpoch};

pub use super::observer::{NodeView, QuorumObserver, QuorumViolation};

/// See [`RaftNode::view_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewKey {
    pub leader_epoch: Epoch,
    pub is_leader: bool,
    pub high_watermark: Offset,
    pub log_start_offset: Offset,
    pub snapshot_id: Option<OffsetAndEpoch>,
    pub log_version: u64,
}

/// A broken rule within one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeViolation {
    HighWatermarkPastLogEnd {
        high_watermark: Offset,
        log_end_offset: Offset,
    },
    LogEpochAheadOfNode {
        last_epoch: Epoch,
        leader_epoch: Epoch,
    },
    EpochCacheInconsistent,
    /// The log must start exactly at the snapshot's id (at `(0, 0)` without a snapshot).
    LogStartNotAtSnapshot {
        log_start: OffsetAndEpoch,
        snapshot_id: Option<OffsetAndEpoch>,
    },
    /// A snapshot holds only committed entries.
    SnapshotPastHighWatermark {
        snapshot_offset: Offset,
        high_watermark: Offset,
    },
    FlushedOutsideLog {
        flushed_end_offset: Offset,
        log_start_offset: Offset,
        log_end_offset: Offset,
    },
    LeaderDidNotVoteForItself {
        voted_for: Option<NodeId>,
    },
    LeaderLogNotInOwnEpoch {
        last_epoch: Epoch,
        leader_epoch: Epoch,
    },
    CandidateDidNotVoteForItself {
        voted_for: Option<NodeId>,
    },
    /// A resigned leader keeps its own vote, so it votes for nobody else in its epoch.
    ResignedDidNotVoteForItself {
        voted_for: Option<NodeId>,
    },
    LeaderIsNotAVoter {
        leader: NodeId,
    },
}

impl RaftNode {
    /// Panics on a broken invariant: a programmer error, never a network one.
    pub fn check_invariants(&self) {
        if let Err(violation) = self.validate() {
            panic!(
                "raft node {} broke an invariant: {violation:?}",
                self.config.node_id
            );
        }
    }

    pub fn validate(&self) -> Result<(), NodeViolation> {
        let (hw, end) = (self.high_watermark, self.log.end_offset());
        if hw > end {
            return Err(NodeViolation::HighWatermarkPastLogEnd {
                high_watermark: hw,
                log_end_offset: end,
            });
        }
        let (last_epoch, leader_epoch) = (self.log.last_epoch(), self.leader_epoch);
        if last_epoch > leader_epoch {
            return Err(NodeViolation::LogEpochAheadOfNode {
                last_epoch,
                leader_epoch,
            });
        }
        // The full scan is linear in the log: only worth it in tests.
        if cfg!(test) && !self.log.is_consistent() {
            return Err(NodeViolation::EpochCacheInconsistent);
        }
        self.validate_snapshot()?;
        self.validate_role()
    }

    fn validate_snapshot(&self) -> Result<(), NodeViolation> {
        let log_start = self.log.start();
        let snapshot_id = self.snapshot.as_ref().map(|snapshot| snapshot.id);
        let expected_start = snapshot_id.unwrap_or(OffsetAndEpoch {
            epoch: super::types::EPOCH_NONE,
            offset: 0,
        });
        if log_start != expected_start {
            return Err(NodeViolation::LogStartNotAtSnapshot {
                log_start,
                snapshot_id,
            });
        }
        if log_start.offset > self.high_watermark {
            return Err(NodeViolation::SnapshotPastHighWatermark {
                snapshot_offset: log_start.offset,
                high_watermark: self.high_watermark,
            });
        }
        let flushed = self.flushed_end_offset;
        let (start, end) = (self.log.start_offset(), self.log.end_offset());
        if !(start..=end).contains(&flushed) {
            return Err(NodeViolation::FlushedOutsideLog {
                flushed_end_offset: flushed,
                log_start_offset: start,
                log_end_offset: end,
            });
        }
        Ok(())
    }

    fn validate_role(&self) -> Result<(), NodeViolation> {
        let me = Some(self.config.node_id);
        let voted_for = self.voted_for;
        match &self.role {
            Role::Leader(_) if voted_for != me => {
                Err(NodeViolation::LeaderDidNotVoteForItself { voted_for })
            }
            Role::Leader(_) if self.log.last_epoch() != self.leader_epoch => {
                Err(NodeViolation::LeaderLogNotInOwnEpoch {
                    last_epoch: self.log.last_epoch(),
                    leader_epoch: self.leader_epoch,
                })
            }
            Role::Candidate(_) if voted_for != me => {
                Err(NodeViolation::CandidateDidNotVoteForItself { voted_for })
            }
            Role::Resigned(_) if voted_for != me => {
                Err(NodeViolation::ResignedDidNotVoteForItself { voted_for })
            }
            Role::Follower(f) if !self.config.is_voter(f.leader) => {
                Err(NodeViolation::LeaderIsNotAVoter { leader: f.leader })
            }
            _ => Ok(()),
        }
    }

    /// What the quorum observer needs from this node.
    /// What [`RaftNode::view`] is made of, with the log's version standing in for its entries:
    /// two equal keys of one node mean two equal views, so an observer that samples can skip a
    /// node that has not changed without copying or comparing its log.
    pub fn view_key(&self) -> ViewKey {
        ViewKey {
            leader_epoch: self.leader_epoch,
            is_leader: matches!(self.role, Role::Leader(_)),
            high_watermark: self.high_watermark,
            log_start_offset: self.log.start_offset(),
            snapshot_id: self.snapshot.as_ref().map(|snapshot| snapshot.id),
            log_version: self.log.version(),
        }
    }

    pub fn view(&self) -> NodeView<'_> {
        NodeView {
            node_id: self.config.node_id,
            leader_epoch: self.leader_epoch,
            is_leader: matches!(self.role, Role::Leader(_)),
            high_watermark: self.high_watermark,
            log_start_offset: self.log.start_offset(),
            snapshot_id: self.snapshot.as_ref().map(|snapshot| snapshot.id),
            log: self.log.entries(),
        }
    }
}
