//! Where a follower's log stops agreeing with its leader's (KIP-101, and KIP-279's
//! `DivergingEpoch` in Fetch v12+). A follower's fetch carries the epoch of the last batch it
//! has; the leader looks that epoch up in its own leader epoch cache and, if its log does not
//! reach the fetch offset within that epoch, answers with the largest epoch it has at or below
//! it and where that epoch ends. The follower then truncates to where both logs last agree and
//! fetches on from there. Both sides are pure functions of what the epoch caches answer
//! (`Log::end_offset_for_epoch`: the largest epoch at or below the one asked and its end).

/// An epoch and the offset where it ends (the next epoch's start, or the log end).
pub type EpochEnd = (i32, i64);

/// The leader's answer to a fetch at `fetch_offset` whose last batch is in
/// `last_fetched_epoch`, given its own cache's answer for that epoch (the largest epoch at or
/// below it and where that ends): `Some` (Kafka's `DivergingEpoch`) when the follower's log has
/// records the leader's does not, `None` when the fetch may proceed. When the leader's cache
/// has no answer (the follower's epoch is above every epoch the leader knows, which only a
/// damaged log explains), Kafka answers OFFSET_OUT_OF_RANGE instead and so does the caller:
/// guessing a truncation point there once cut a follower's committed records.
pub fn diverging_epoch(
    fetch_offset: i64,
    last_fetched_epoch: i32,
    leader_end_for_epoch: EpochEnd,
) -> Option<EpochEnd> {
    let (epoch, end) = leader_end_for_epoch;
    (epoch < last_fetched_epoch || end < fetch_offset).then_some((epoch, end))
}

/// Where a follower truncates on the leader's `diverging` answer, given its own cache's
/// answer for that epoch and its log end (Kafka's `truncateOnFetchResponse`): within the same
/// epoch both logs agree up to the smaller end; when the follower's largest epoch at or below
/// is an older one, up to that epoch's end on the follower, and the next fetch, now from a
/// last batch in that older epoch, checks again. Never past the follower's own log end.
pub fn truncation_offset(
    diverging: EpochEnd,
    follower_end_for_epoch: Option<EpochEnd>,
    follower_log_end: i64,
) -> i64 {
    let (leader_epoch, leader_end) = diverging;
    let offset = match follower_end_for_epoch {
        Some((epoch, end)) if epoch == leader_epoch => end.min(leader_end),
        Some((_, end)) => end,
        // The follower knows no epoch that old: keep nothing it cannot vouch for.
        None => leader_end,
    };
    offset.min(follower_log_end)
}
