//! The quorum's messages, modelled on KRaft's RPCs as plain data: Vote (with KIP-996's
//! `pre_vote` flag), BeginQuorumEpoch and the pull-based Fetch. The sender's id travels beside
//! the message (see [`super::Event::Received`]), as the replica id does in Kafka's headers.
//!
//! Every message carries an epoch, because "a higher epoch seen in any message makes the node
//! step down" is the rule that keeps at most one leader per epoch.

use super::types::{Entry, Epoch, NodeId, Offset, OffsetAndEpoch};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    VoteRequest(VoteRequest),
    VoteResponse(VoteResponse),
    BeginQuorumEpoch(BeginQuorumEpoch),
    FetchRequest(FetchRequest),
    FetchResponse(FetchResponse),
}

/// Asks for a vote (or, with `pre_vote`, asks whether a vote would be granted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteRequest {
    /// The epoch the candidate runs in; for a pre-vote, the epoch it would run in (its own + 1),
    /// which the voter does not adopt.
    pub candidate_epoch: Epoch,
    /// The candidate's last entry (`last_offset` is its log end offset), for the log check.
    pub last_offset_epoch: Epoch,
    pub last_offset: Offset,
    pub pre_vote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteResponse {
    /// The voter's epoch after handling the request.
    pub leader_epoch: Epoch,
    pub vote_granted: bool,
    pub pre_vote: bool,
}

/// The new leader announces itself to the voters (the sender is the leader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeginQuorumEpoch {
    pub leader_epoch: Epoch,
}

/// A replica pulls the log from the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// The epoch the fetcher believes is current (`current_leader_epoch`).
    pub leader_epoch: Epoch,
    /// The fetcher's log end offset.
    pub fetch_offset: Offset,
    /// The epoch of the entry just before `fetch_offset`, so the leader can check the fetcher's
    /// log agrees with its own up to there.
    pub last_fetched_epoch: Epoch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    /// The responder's epoch.
    pub leader_epoch: Epoch,
    /// The leader the responder knows of in `leader_epoch`, if any.
    pub leader: Option<NodeId>,
    /// The request's `fetch_offset`, echoed so a stale answer is recognised and dropped.
    pub fetch_offset: Offset,
    pub result: FetchResult,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchResult {
    /// Entries from `fetch_offset` on (possibly none) and the leader's high watermark.
    Records {
        entries: Vec<Entry>,
        high_watermark: Offset,
    },
    /// The fetcher's log diverges from the leader's: this is the largest epoch not above
    /// `last_fetched_epoch` in the leader's log and where it ends. The fetcher truncates and
    /// fetches again (KRaft's `DivergingEpoch`).
    DivergingEpoch(OffsetAndEpoch),
    /// The responder is not the leader of the fetcher's epoch (`NOT_LEADER_OR_FOLLOWER`), or the
    /// fetcher's epoch is stale (`FENCED_LEADER_EPOCH`); `leader_epoch` and `leader` say where
    /// to go instead.
    Error(FetchError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    NotLeaderOrFollower,
    FencedLeaderEpoch,
}

impl Message {
    /// The epoch the message speaks for. For a pre-vote request this is the epoch the candidate
    /// would run in, which the receiver must not adopt.
    pub fn epoch(&self) -> Epoch {
        match self {
            Message::VoteRequest(m) => m.candidate_epoch,
            Message::VoteResponse(m) => m.leader_epoch,
            Message::BeginQuorumEpoch(m) => m.leader_epoch,
            Message::FetchRequest(m) => m.leader_epoch,
            Message::FetchResponse(m) => m.leader_epoch,
        }
    }
}
