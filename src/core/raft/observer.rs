//! The quorum-wide invariants of Kafka's RaftEventSimulationTest, checked over every node's view
//! after each event: at most one leader per epoch; a node's epoch, high watermark and log start
//! offset never go backwards; every high watermark is held by a majority; committed entries
//! never differ between nodes nor change over time; and snapshots agree with each other and
//! with the committed entries, and never reach past what was committed when they were taken.
//!
//! Nodes drop entries below their snapshots, so entries are compared only at offsets both sides
//! still hold, and snapshots by id (the epoch of the entry before the snapshot's end). A
//! restarted node forgets its high watermark (KRaft does not persist it); the harness says so
//! with [`QuorumObserver::restarted`], and only that node's high watermark history is reset.
//!
//! A disk that destroys committed entries (a bit flipped at rest) breaks the fault model Raft's
//! majority rule assumes; the harness says so with [`QuorumObserver::lost_to_disk`], and the
//! entries lost still count as held until the node has fetched them back. The protocol must then
//! keep them regardless: a node that votes with the hole lets a leader without them be
//! elected, which the committed-entry check catches.

use std::collections::{BTreeMap, BTreeSet};

use super::types::{majority, Entry, Epoch, NodeId, Offset, OffsetAndEpoch};

/// One node's state as the observer sees it; tests build bad ones by hand.
#[derive(Debug, Clone, Copy)]
pub struct NodeView<'a> {
    pub node_id: NodeId,
    pub leader_epoch: Epoch,
    pub is_leader: bool,
    pub high_watermark: Offset,
    pub log_start_offset: Offset,
    pub snapshot_id: Option<OffsetAndEpoch>,
    /// The entries held, from `log_start_offset` on.
    pub log: &'a [Entry],
}

impl NodeView<'_> {
    pub fn log_end_offset(&self) -> Offset {
        self.log_start_offset + self.log.len() as Offset
    }

    /// The committed entries this node still holds.
    fn committed_entries(&self) -> &[Entry] {
        let committed = (self.high_watermark - self.log_start_offset).max(0);
        let len = usize::try_from(committed).unwrap_or(usize::MAX);
        &self.log[..len.min(self.log.len())]
    }
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
    LogStartOffsetWentBackwards {
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
    /// A node's snapshot id disagrees with another snapshot at that offset or with the
    /// committed entry before it.
    SnapshotIdDiffers {
        node: NodeId,
        snapshot_id: OffsetAndEpoch,
        known_epoch: Epoch,
    },
    /// A node's new snapshot reaches past every high watermark seen before it was taken.
    SnapshotPastCommitted {
        node: NodeId,
        snapshot_offset: Offset,
        high_watermark_max: Offset,
    },
}

/// Watches every node after every event; remembers what it has seen so that going backwards
/// is caught even when no two nodes disagree at the same moment.
#[derive(Debug, Clone)]
pub struct QuorumObserver {
    voters: BTreeSet<NodeId>,
    leaders: BTreeMap<Epoch, NodeId>,
    epochs: BTreeMap<NodeId, Epoch>,
    high_watermarks: BTreeMap<NodeId, Offset>,
    log_start_offsets: BTreeMap<NodeId, Offset>,
    /// The largest high watermark any node has had, before the views being observed.
    high_watermark_max: Offset,
    /// Observed at intervals rather than after every event (a runtime test): a node may commit
    /// and snapshot between two looks, so its snapshot is held to the high watermarks of the
    /// same look too (each of which the majority check vouches for).
    sampled: bool,
    /// Each node's snapshot id when last observed.
    snapshot_ids: BTreeMap<NodeId, Option<OffsetAndEpoch>>,
    /// Every snapshot id seen: its epoch by its offset.
    snapshot_epochs: BTreeMap<Offset, Epoch>,
    /// Committed entries seen, contiguous from `committed_start`.
    committed_start: Offset,
    committed: Vec<Entry>,
    /// Nodes whose disk destroyed entries, with the log end they held before: they count as
    /// holding that much until their log reaches it again.
    lost_to_disk: BTreeMap<NodeId, Offset>,
}

impl QuorumObserver {
    pub fn new(voters: BTreeSet<NodeId>) -> Self {
        Self {
            voters,
            leaders: BTreeMap::new(),
            epochs: BTreeMap::new(),
            high_watermarks: BTreeMap::new(),
            log_start_offsets: BTreeMap::new(),
            high_watermark_max: 0,
            sampled: false,
            snapshot_ids: BTreeMap::new(),
            snapshot_epochs: BTreeMap::new(),
            committed_start: 0,
            committed: Vec::new(),
            lost_to_disk: BTreeMap::new(),
        }
    }

    /// An observer for views taken at intervals (see `sampled`).
    pub fn sampled(voters: BTreeSet<NodeId>) -> Self {
        Self {
            sampled: true,
            ..Self::new(voters)
        }
    }

    /// The committed entries seen so far, and the offset of the first.
    pub fn committed(&self) -> (Offset, &[Entry]) {
        (self.committed_start, &self.committed)
    }

    /// `node` restarted: it lost its (unpersisted) high watermark, which may come back lower.
    pub fn restarted(&mut self, node: NodeId) {
        self.high_watermarks.remove(&node);
    }

    /// `node`'s disk destroyed entries it held below `held` (not the protocol: a fault beyond
    /// what Raft tolerates). For the majority check the node still holds them until its log
    /// reaches `held` again.
    pub fn lost_to_disk(&mut self, node: NodeId, held: Offset) {
        let credit = self.lost_to_disk.entry(node).or_insert(held);
        *credit = (*credit).max(held);
    }

    /// Checks the views against each other and against history, then remembers them.
    pub fn observe(&mut self, views: &[NodeView<'_>]) -> Result<(), QuorumViolation> {
        let round_max = views.iter().map(|view| view.high_watermark).max();
        let committed_limit = if self.sampled {
            self.high_watermark_max.max(round_max.unwrap_or(0))
        } else {
            self.high_watermark_max
        };
        for view in views {
            self.observe_leader(view)?;
            self.observe_monotonic(view)?;
            self.observe_majority(view, views)?;
            self.observe_committed(view)?;
            self.observe_snapshot(view, committed_limit)?;
        }
        self.high_watermark_max = self.high_watermark_max.max(round_max.unwrap_or(0));
        for view in views {
            let end = view.log_end_offset();
            (self.lost_to_disk).retain(|&node, &mut held| node != view.node_id || end < held);
        }
        Ok(())
    }

    /// How far `view`'s log counts for the majority check.
    fn held(&self, view: &NodeView<'_>) -> Offset {
        let lost = self.lost_to_disk.get(&view.node_id).copied();
        view.log_end_offset().max(lost.unwrap_or(0))
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
        let (from, to) = remember(&mut self.epochs, node, view.leader_epoch);
        if to < from {
            return Err(QuorumViolation::EpochWentBackwards { node, from, to });
        }
        let (from, to) = remember(&mut self.high_watermarks, node, view.high_watermark);
        if to < from {
            return Err(QuorumViolation::HighWatermarkWentBackwards { node, from, to });
        }
        let (from, to) = remember(&mut self.log_start_offsets, node, view.log_start_offset);
        if to < from {
            return Err(QuorumViolation::LogStartOffsetWentBackwards { node, from, to });
        }
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
            .filter(|other| self.held(other) >= view.high_watermark)
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

    /// Compares the node's committed entries with those seen before, where both hold them, and
    /// remembers any that extend the known committed range.
    fn observe_committed(&mut self, view: &NodeView<'_>) -> Result<(), QuorumViolation> {
        let ours = view.committed_entries();
        let (view_start, known_start) = (view.log_start_offset, self.committed_start);
        let known_end = known_start + self.committed.len() as Offset;
        let view_end = view_start + ours.len() as Offset;
        let (overlap_start, overlap_end) = (view_start.max(known_start), view_end.min(known_end));
        for offset in overlap_start..overlap_end {
            let mine = &ours[(offset - view_start) as usize];
            if *mine != self.committed[(offset - known_start) as usize] {
                let node = view.node_id;
                return Err(QuorumViolation::CommittedEntryDiffers { node, offset });
            }
        }
        if self.committed.is_empty() && !ours.is_empty() {
            self.committed_start = view_start;
            self.committed = ours.to_vec();
            return self.check_snapshots_against_committed(view.node_id, view_start);
        }
        if view_end > known_end && view_start <= known_end {
            let new = &ours[(known_end - view_start) as usize..];
            self.committed.extend_from_slice(new);
            return self.check_snapshots_against_committed(view.node_id, known_end);
        }
        // A node holding only committed entries past a gap in what was seen (possible only
        // when observation starts mid-run) is compared by snapshot id alone.
        Ok(())
    }

    /// Every known snapshot must name the epoch of the committed entry before it, for the
    /// committed entries from `from` on (those just learnt).
    fn check_snapshots_against_committed(
        &self,
        node: NodeId,
        from: Offset,
    ) -> Result<(), QuorumViolation> {
        let known_end = self.committed_start + self.committed.len() as Offset;
        for (&offset, &epoch) in self.snapshot_epochs.range(from + 1..=known_end) {
            let entry = &self.committed[(offset - 1 - self.committed_start) as usize];
            if entry.epoch != epoch {
                let snapshot_id = OffsetAndEpoch { epoch, offset };
                let known_epoch = entry.epoch;
                return Err(QuorumViolation::SnapshotIdDiffers {
                    node,
                    snapshot_id,
                    known_epoch,
                });
            }
        }
        Ok(())
    }

    fn observe_snapshot(
        &mut self,
        view: &NodeView<'_>,
        committed_limit: Offset,
    ) -> Result<(), QuorumViolation> {
        let node = view.node_id;
        let previous = self.snapshot_ids.insert(node, view.snapshot_id);
        let Some(snapshot_id) = view.snapshot_id else {
            return Ok(());
        };
        // A new snapshot (not the first sighting of the node) must be of committed entries.
        let is_new = previous.is_some_and(|previous| previous != Some(snapshot_id));
        if is_new && snapshot_id.offset > committed_limit {
            return Err(QuorumViolation::SnapshotPastCommitted {
                node,
                snapshot_offset: snapshot_id.offset,
                high_watermark_max: committed_limit,
            });
        }
        let known_epoch = *self
            .snapshot_epochs
            .entry(snapshot_id.offset)
            .or_insert(snapshot_id.epoch);
        let before = snapshot_id.offset - 1 - self.committed_start;
        let committed_epoch = usize::try_from(before)
            .ok()
            .and_then(|index| self.committed.get(index))
            .map(|entry| entry.epoch);
        for known_epoch in [Some(known_epoch), committed_epoch].into_iter().flatten() {
            if known_epoch != snapshot_id.epoch {
                return Err(QuorumViolation::SnapshotIdDiffers {
                    node,
                    snapshot_id,
                    known_epoch,
                });
            }
        }
        Ok(())
    }
}

/// Records `value` for `node`, returning `(previous, value)`; the first value is its own
/// previous one.
fn remember<T: Copy>(seen: &mut BTreeMap<NodeId, T>, node: NodeId, value: T) -> (T, T) {
    let previous = *seen.entry(node).or_insert(value);
    seen.insert(node, value);
    (previous, value)
}
