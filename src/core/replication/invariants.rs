//! The rules a partition leader's state must keep after every event, as typed violations
//! rather than panics, so tests can feed the checker bad states and see it fail (a checker
//! that cannot fail is a defect). [`PartitionLeader::handle`](super::PartitionLeader::handle)
//! checks them after every event in test, debug and simulator builds.

use std::collections::{BTreeMap, BTreeSet};

use super::leader::ReplicaId;

type Offset = i64;

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaderViolation {
    HighWatermarkPastLogEnd {
        high_watermark: Offset,
        log_end_offset: Offset,
    },
    HighWatermarkMovedBack {
        from: Offset,
        to: Offset,
    },
    /// The high watermark moved past what an in-sync replica has: a leader failure could elect
    /// that replica and lose records consumers have read.
    HighWatermarkPastInSyncReplica {
        replica: ReplicaId,
        log_end_offset: Offset,
        high_watermark: Offset,
    },
    /// The high watermark moved while the committed ISR was below `min.insync.replicas`.
    HighWatermarkMovedUnderMinIsr {
        isr_size: usize,
        min_insync_replicas: usize,
    },
    LeaderNotInIsr {
        leader: ReplicaId,
    },
    IsrMemberNotAReplica {
        replica: ReplicaId,
    },
    /// A pending ISR change both adds and removes replicas: the leader proposes one kind of
    /// change at a time, so the maximal ISR is the larger of the two.
    PendingChangeMixesDirections,
}

/// What the checker reads of a leader's state.
pub(super) struct LeaderView<'a> {
    pub leader: ReplicaId,
    pub isr: &'a BTreeSet<ReplicaId>,
    pub maximal_isr: &'a BTreeSet<ReplicaId>,
    pub pending: Option<&'a BTreeSet<ReplicaId>>,
    pub follower_ends: &'a BTreeMap<ReplicaId, Offset>,
    pub min_insync_replicas: usize,
    pub log_end_offset: Offset,
    pub high_watermark_before: Offset,
    pub high_watermark: Offset,
}

/// Every rule, the first broken one reported.
pub(super) fn check(view: &LeaderView) -> Result<(), LeaderViolation> {
    let (hw, before) = (view.high_watermark, view.high_watermark_before);
    if hw > view.log_end_offset {
        return Err(LeaderViolation::HighWatermarkPastLogEnd {
            high_watermark: hw,
            log_end_offset: view.log_end_offset,
        });
    }
    if hw < before {
        return Err(LeaderViolation::HighWatermarkMovedBack {
            from: before,
            to: hw,
        });
    }
    if !view.isr.contains(&view.leader) {
        return Err(LeaderViolation::LeaderNotInIsr {
            leader: view.leader,
        });
    }
    let is_replica = |id: &ReplicaId| *id == view.leader || view.follower_ends.contains_key(id);
    if let Some(replica) = view.maximal_isr.iter().find(|id| !is_replica(id)) {
        return Err(LeaderViolation::IsrMemberNotAReplica { replica: *replica });
    }
    if let Some(pending) = view.pending {
        if !pending.is_subset(view.isr) && !pending.is_superset(view.isr) {
            return Err(LeaderViolation::PendingChangeMixesDirections);
        }
    }
    if hw > before {
        if view.isr.len() < view.min_insync_replicas {
            return Err(LeaderViolation::HighWatermarkMovedUnderMinIsr {
                isr_size: view.isr.len(),
                min_insync_replicas: view.min_insync_replicas,
            });
        }
        for replica in view.maximal_isr {
            let Some(&end) = view.follower_ends.get(replica) else {
                continue;
            };
            if end < hw {
                return Err(LeaderViolation::HighWatermarkPastInSyncReplica {
                    replica: *replica,
                    log_end_offset: end,
                    high_watermark: hw,
                });
            }
        }
    }
    Ok(())
}
