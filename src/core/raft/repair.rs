//! Repair: a voter that lost entries it had flushed (its metadata log was damaged below the
//! commit point or the flushed offset it recorded, and recovery had to cut there) stays out of
//! elections until it holds them again.
//!
//! Raft's safety rests on every voter keeping what it acknowledged: a committed entry is on a
//! majority (which may have counted this node's acknowledgement of an entry it never heard was
//! committed), and any candidate needs a vote from that majority, whose log checks refuse a
//! candidate without the entry. A voter that forgot the entry would grant that vote, and with
//! it a leader that never had the entry could be elected and overwrite it everywhere. So the
//! node refuses votes and pre-votes, never campaigns (not even when its leader hands over to
//! it), and finds the leader as an observer does; it fetches as any follower (entries or a
//! snapshot).
//!
//! Its recorded commit point is not enough to end the repair: a follower's fetches acknowledge
//! entries before it learns they are committed, and until its first fetch after the restart
//! the leader still counts its old progress. So repair ends only when the leader answers a
//! fetch with no entries, that is when this node holds everything the leader holds and has
//! flushed it, as a follower does before it fetches, and not before its log is back at the
//! commit point. That leader leads an epoch no older than any this node acknowledged in (a
//! node never goes back in epoch), so it holds every entry committed with this node's
//! acknowledgement; the entries it lost past that were never committed, and need not come back.
//!
//! Kafka's KRaft has no such state (it trusts its log after recovery). This follows the
//! stricter rule that a replica which may have lost acknowledged data must not decide an
//! election until it has caught up, as KIP-966 does for partition replicas after an unclean
//! shutdown.

use super::state::RaftNode;
use super::types::Offset;

impl RaftNode {
    /// Records that this node lost entries it had flushed, and those committed below
    /// `commit_point`: it must fetch from a leader, at least that far, before it votes or
    /// campaigns. Called by the runtime right after `restore`.
    pub fn repair_until(&mut self, commit_point: Offset) {
        if crate::canary::is_on(crate::canary::Canary::RepairSkipped) {
            return;
        }
        self.repair_until = Some(self.repair_until.unwrap_or(0).max(commit_point));
    }

    /// Whether this node may still lack entries it acknowledged.
    pub fn is_repairing(&self) -> bool {
        self.repair_until.is_some()
    }

    /// Ends the repair once the leader answered a fetch at `fetch_offset` with no entries:
    /// this node holds the leader's whole log, flushed.
    pub(super) fn repair_answered(&mut self, fetch_offset: Offset, entries: usize) {
        let flushed = self.flushed_end_offset.min(self.log.end_offset());
        let floor = self.repair_until.unwrap_or(0);
        if entries == 0 && fetch_offset == flushed && flushed >= floor {
            self.repair_until = None;
        }
    }
}
