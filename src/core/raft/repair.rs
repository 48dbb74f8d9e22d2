//! Repair: a voter that lost entries it had counted as committed (its metadata log was damaged
//! below the commit point it recorded, and recovery had to cut there) stays out of elections
//! until it holds them again.
//!
//! Raft's safety rests on every voter keeping what it acknowledged: a committed entry is on a
//! majority, and any candidate needs a vote from that majority, whose log checks refuse a
//! candidate without the entry. A voter that forgot the entry would grant that vote, and with
//! it a leader that never had the entry could be elected and overwrite it everywhere. So until
//! its flushed log reaches the recorded commit point again, the node refuses votes and
//! pre-votes, never campaigns, and finds the leader as an observer does; it fetches as any
//! follower (entries or a snapshot). Its fetch offsets are true, so the leader's high watermark
//! never counts what it lacks. Kafka's KRaft has no such state (it trusts its log after
//! recovery); this follows the stricter rule of protocols that treat a disk's loss as a
//! voter's loss, as Kafka's KIP-966 does for partition replicas.

use super::state::RaftNode;
use super::types::Offset;

impl RaftNode {
    /// Records that this node lost committed entries below `commit_point`: it must hold them
    /// again before it votes or campaigns. Called by the runtime right after `restore`.
    pub fn repair_until(&mut self, commit_point: Offset) {
        self.repair_until = self.repair_until.max(commit_point);
    }

    /// Whether this node still lacks entries it once counted as committed.
    pub fn is_repairing(&self) -> bool {
        self.flushed_end_offset.min(self.log.end_offset()) < self.repair_until
    }
}
