//! Starting a node from what the runtime persisted: the quorum-state file, the latest snapshot
//! and the log entries after it. The pieces are checked against each other first (a store that
//! lost or mixed files must not produce a node that breaks the invariants on its first event),
//! and a mismatch is a typed error naming what is wrong.
//!
//! What a restart means for safety, as in KRaft:
//! - the persisted epoch and vote come back, so a node never votes twice in an epoch;
//! - a node that led its persisted epoch comes back resigned: it will not lead that epoch again
//!   and asks the voters to elect a successor (EndQuorumEpoch);
//! - a follower comes back following its leader, to keep fetching from it;
//! - the high watermark is not persisted, so it restarts at the snapshot's end (committed by
//!   definition) and is learnt again from the leader;
//! - every restored entry is on disk, so the flushed end is the log end.

use bytes::Bytes;

use super::config::{RaftConfig, RaftConfigError, EPOCH_MAX, SNAPSHOT_BYTES_MAX};
use super::snapshot::Snapshot;
use super::state::{FollowerState, QuorumState, RaftNode, Role};
use super::types::{Entry, Epoch, NodeId, Offset, OffsetAndEpoch, EPOCH_NONE};
use crate::runtime::RngStream;

/// What the runtime read back from disk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Restored {
    pub quorum_state: QuorumState,
    /// The latest snapshot: its id and the state machine image.
    pub snapshot: Option<(OffsetAndEpoch, Bytes)>,
    /// The log after the snapshot (from offset 0 without one), in order.
    pub entries: Vec<Entry>,
}

/// Why the persisted pieces cannot make a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreError {
    Config(RaftConfigError),
    EpochOutOfRange {
        leader_epoch: Epoch,
    },
    VotedForNonVoter {
        voted_for: NodeId,
    },
    LeaderNotAVoter {
        leader: NodeId,
    },
    /// The state says this node led, but not that it voted for itself, as every leader does.
    LedWithoutOwnVote {
        voted_for: Option<NodeId>,
    },
    /// A snapshot ends after at least one entry, which has an epoch of at least 1.
    SnapshotIdInvalid {
        snapshot_id: OffsetAndEpoch,
    },
    SnapshotTooLarge {
        bytes: u64,
        bytes_max: u64,
    },
    SnapshotEpochAboveQuorumEpoch {
        snapshot_epoch: Epoch,
        leader_epoch: Epoch,
    },
    EntriesNotContiguous {
        expected_offset: Offset,
        offset: Offset,
    },
    EntryEpochInvalid {
        offset: Offset,
        epoch: Epoch,
    },
    EntryEpochWentBackwards {
        offset: Offset,
        epoch: Epoch,
        previous_epoch: Epoch,
    },
    /// An entry of an epoch this node never reached: the quorum state is older than the log.
    EntryEpochAboveQuorumEpoch {
        offset: Offset,
        epoch: Epoch,
        leader_epoch: Epoch,
    },
}

impl RaftNode {
    /// A node restarted from `restored` at `now_ms` (see the module doc for what it comes back
    /// as).
    pub fn restore(
        config: RaftConfig,
        rng: RngStream,
        now_ms: i64,
        restored: Restored,
    ) -> Result<Self, RestoreError> {
        config.validate().map_err(RestoreError::Config)?;
        check_quorum_state(&config, &restored.quorum_state)?;
        let start = check_snapshot(&restored)?;
        check_entries(start, restored.quorum_state.leader_epoch, &restored.entries)?;
        let quorum_state = restored.quorum_state;
        let mut node = Self::unattached(config, rng, now_ms, quorum_state);
        if let Some((id, data)) = restored.snapshot {
            node.log.reset_to(id);
            node.snapshot = Some(Snapshot::new(id, data));
        }
        for entry in restored.entries {
            node.log.append(entry);
        }
        node.high_watermark = node.log.start_offset();
        node.flushed_end_offset = node.log.end_offset();
        node.restore_role(quorum_state.leader);
        if cfg!(any(test, debug_assertions, madsim)) {
            node.check_invariants();
        }
        Ok(node)
    }

    fn restore_role(&mut self, leader: Option<NodeId>) {
        let me = self.config.node_id;
        match leader {
            Some(leader) if leader == me => {
                let others = self.config.voters.iter().copied().filter(|&id| id != me);
                self.become_resigned(others.collect());
            }
            Some(leader) => {
                self.role = Role::Follower(FollowerState {
                    leader,
                    last_leader_contact_ms: self.now_ms,
                    fetch_sent_ms: None,
                    next_fetch_ms: self.now_ms,
                    snapshot_fetch: None,
                });
            }
            None => {}
        }
    }
}

fn check_quorum_state(config: &RaftConfig, state: &QuorumState) -> Result<(), RestoreError> {
    let leader_epoch = state.leader_epoch;
    if !(EPOCH_NONE..=EPOCH_MAX).contains(&leader_epoch) {
        return Err(RestoreError::EpochOutOfRange { leader_epoch });
    }
    if let Some(voted_for) = state.voted_for.filter(|&id| !config.is_voter(id)) {
        return Err(RestoreError::VotedForNonVoter { voted_for });
    }
    if let Some(leader) = state.leader.filter(|&id| !config.is_voter(id)) {
        return Err(RestoreError::LeaderNotAVoter { leader });
    }
    let me = Some(config.node_id);
    if state.leader == me && state.voted_for != me {
        let voted_for = state.voted_for;
        return Err(RestoreError::LedWithoutOwnVote { voted_for });
    }
    Ok(())
}

/// Checks the snapshot and returns where the log starts.
fn check_snapshot(restored: &Restored) -> Result<OffsetAndEpoch, RestoreError> {
    let Some((snapshot_id, data)) = &restored.snapshot else {
        return Ok(OffsetAndEpoch {
            epoch: EPOCH_NONE,
            offset: 0,
        });
    };
    let snapshot_id = *snapshot_id;
    if snapshot_id.offset <= 0 || snapshot_id.epoch <= EPOCH_NONE {
        return Err(RestoreError::SnapshotIdInvalid { snapshot_id });
    }
    let bytes = data.len() as u64;
    if bytes > SNAPSHOT_BYTES_MAX {
        let bytes_max = SNAPSHOT_BYTES_MAX;
        return Err(RestoreError::SnapshotTooLarge { bytes, bytes_max });
    }
    let leader_epoch = restored.quorum_state.leader_epoch;
    if snapshot_id.epoch > leader_epoch {
        let snapshot_epoch = snapshot_id.epoch;
        return Err(RestoreError::SnapshotEpochAboveQuorumEpoch {
            snapshot_epoch,
            leader_epoch,
        });
    }
    Ok(snapshot_id)
}

/// The entries must follow on from `start` with epochs that never go back and never pass the
/// persisted epoch.
fn check_entries(
    start: OffsetAndEpoch,
    leader_epoch: Epoch,
    entries: &[Entry],
) -> Result<(), RestoreError> {
    let (mut expected_offset, mut previous_epoch) = (start.offset, start.epoch);
    for entry in entries {
        let (offset, epoch) = (entry.offset, entry.epoch);
        if offset != expected_offset {
            return Err(RestoreError::EntriesNotContiguous {
                expected_offset,
                offset,
            });
        }
        if epoch <= EPOCH_NONE {
            return Err(RestoreError::EntryEpochInvalid { offset, epoch });
        }
        if epoch < previous_epoch {
            return Err(RestoreError::EntryEpochWentBackwards {
                offset,
                epoch,
                previous_epoch,
            });
        }
        if epoch > leader_epoch {
            return Err(RestoreError::EntryEpochAboveQuorumEpoch {
                offset,
                epoch,
                leader_epoch,
            });
        }
        (expected_offset, previous_epoch) = (offset + 1, epoch);
    }
    Ok(())
}
