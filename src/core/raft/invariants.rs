//! The quorum's safety invariants, checked after every event in test, debug and simulator
//! builds. Two layers:
//!
//! - [`RaftNode::validate`]: what one node's state must satisfy on its own (high watermark
//!   within the log, a leader's log ends in its own epoch, a consistent epoch cache, ...);
//! - [`QuorumObserver`]: Kafka's RaftEventSimulationTest set, over every node's view, fed after
//!   each event: at most one leader per epoch, a node's epoch and high watermark never go
//!   backwards, every high watermark is held by a majority, and committed entries never differ
//!   between nodes nor change over time.
//!
//! Both return typed violations rather than panicking, so tests can feed them bad states and
//! see them fail: a checker that cannot fail is a defect.

use std::collections::{BTreeMap, BTreeSet};

use super::state::{RaftNode, Role};
use super::types::{majority, Entry, Epoch, NodeId, Offset};

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
        self.validate_role()
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
            Role::Follower(f) if !self.config.is_voter(f.leader) => {
                Err(NodeViolation::LeaderIsNotAVoter { leader: f.leader })
            }
            _ => Ok(()),
        }
    }

    /// What the quorum observer needs from this node.
    pub fn view(&self) -> NodeView<'_> {
        NodeView {
            node_id: self.config.node_id,
            leader_epoch: self.leader_epoch,
            is_leader: matches!(self.role, Role::Leader(_)),
            high_watermark: self.high_watermark,
            log: self.log.entries(),
        }
    }
}

/// One node's state as the observer sees it; tests build bad ones by hand.
#[derive(Debug, Clone, Copy)]
pub struct NodeView<'a> {
    pub node_id: NodeId,
    pub leader_epoch: Epoch,
    pub is_leader: bool,
    pub high_watermark: Offset,
    pub log: &'a [Entry],
}

/// A broken rule across the quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumViolation {
    TwoLeadersInOneEpoch {
        leader_epoch: Epoch,
        first: NodeId,
        second: NodeId,
    },
    EpochWentBackwards {
        node: NodeId,
        from: Epoch,
        to: Epoch,
    },
    HighWatermarkWentBackwards {
        node: NodeId,
        from: Offset,
        to: Offset,
    },
    HighWatermarkNotHeldByMajority {
        node: NodeId,
        high_watermark: Offset,
        holders: usize,
    },
    /// A node's committed entry differs from the one committed first at that offset.
    CommittedEntryDiffers { node: NodeId, offset: Offset },
}

/// Watches every node after every event; remembers what it has seen so that going backwards
/// is caught even when no two nodes disagree at the same moment.
#[derive(Debug, Clone)]
pub struct QuorumObserver {
    voters: BTreeSet<NodeId>,
    leaders: BTreeMap<Epoch, NodeId>,
    epochs: BTreeMap<NodeId, Epoch>,
    high_watermarks: BTreeMap<NodeId, Offset>,
    /// The longest committed prefix any node has reported.
    committed: Vec<Entry>,
}

impl QuorumObserver {
    pub fn new(voters: BTreeSet<NodeId>) -> Self {
        Self {
            voters,
            leaders: BTreeMap::new(),
            epochs: BTreeMap::new(),
            high_watermarks: BTreeMap::new(),
            committed: Vec::new(),
        }
    }

    /// The committed prefix seen so far.
    pub fn committed(&self) -> &[Entry] {
        &self.committed
    }

    /// Checks the views against each other and against history, then remembers them.
    pub fn observe(&mut self, views: &[NodeView<'_>]) -> Result<(), QuorumViolation> {
        for view in views {
            self.observe_leader(view)?;
            self.observe_monotonic(view)?;
            self.observe_majority(view, views)?;
            self.observe_committed(view)?;
        }
        Ok(())
    }

    fn observe_leader(&mut self, view: &NodeView<'_>) -> Result<(), QuorumViolation> {
        if !view.is_leader {
            return Ok(());
        }
        let first = *self
            .leaders
            .entry(view.leader_epoch)
            .or_insert(view.node_id);
        if first != view.node_id {
            return Err(QuorumViolation::TwoLeadersInOneEpoch {
                leader_epoch: view.leader_epoch,
                first,
                second: view.node_id,
            });
        }
        Ok(())
    }

    fn observe_monotonic(&mut self, view: &NodeView<'_>) -> Result<(), QuorumViolation> {
        let node = view.node_id;
        let epoch = self.epochs.entry(node).or_insert(view.leader_epoch);
        if view.leader_epoch < *epoch {
            let (from, to) = (*epoch, view.leader_epoch);
            return Err(QuorumViolation::EpochWentBackwards { node, from, to });
        }
        *epoch = view.leader_epoch;
        let hw = self
            .high_watermarks
            .entry(node)
            .or_insert(view.high_watermark);
        if view.high_watermark < *hw {
            let (from, to) = (*hw, view.high_watermark);
            return Err(QuorumViolation::HighWatermarkWentBackwards { node, from, to });
        }
        *hw = view.high_watermark;
        Ok(())
    }

    /// Kafka's check: a majority of voters' logs reach every node's high watermark.
    fn observe_majority(
        &self,
        view: &NodeView<'_>,
        views: &[NodeView<'_>],
    ) -> Result<(), QuorumViolation> {
        let holders = (views.iter())
            .filter(|other| self.voters.contains(&other.node_id))
            .filter(|other| other.log.len() as Offset >= view.high_watermark)
            .count();
        if view.high_watermark > 0 && holders < majority(self.voters.len()) {
            return Err(QuorumViolation::HighWatermarkNotHeldByMajority {
                node: view.node_id,
                high_watermark: view.high_watermark,
                holders,
            });
        }
        Ok(())
    }

    fn observe_committed(&mut self, view: &NodeView<'_>) -> Result<(), QuorumViolation> {
        let committed_len = usize::try_from(view.high_watermark.max(0)).unwrap_or(usize::MAX);
        let prefix = &view.log[..committed_len.min(view.log.len())];
        let shared = prefix.len().min(self.committed.len());
        if let Some(index) = (0..shared).find(|&i| prefix[i] != self.committed[i]) {
            return Err(QuorumViolation::CommittedEntryDiffers {
                node: view.node_id,
                offset: index as Offset,
            });
        }
        if prefix.len() > self.committed.len() {
            self.committed.extend_from_slice(&prefix[shared..]);
        }
        Ok(())
    }
}
