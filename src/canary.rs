//! Canaries: switches that break the broker on purpose, so the simulator can prove its
//! checkers catch real bugs. They exist only in simulator builds (`--cfg madsim`); in a normal
//! build `is_on` is a constant `false` and the broken paths compile away.
//!
//! - `AckBeforeFsync`: acknowledge appends that `flush.messages` says must be fsynced first,
//!   without the fsync (a crash then loses acknowledged writes);
//! - `SkipRecoveryCrc`: recovery accepts batches without checking their CRC (a torn or flipped
//!   tail is served after a crash);
//! - `DuplicateOffset`: every seventh append is stamped one offset too low, handing out an
//!   offset twice;
//! - `VoteTwice`: a quorum voter grants its vote to a second candidate in the same epoch;
//! - `MetadataFlushSkipped`: the metadata replica reports its log flushed without fsyncing it,
//!   so the leader counts entries a crash can still lose;
//! - `CommitPointIgnored`: the metadata store opens as if it had recorded no commit point, so
//!   recovery cuts damaged committed entries as if they were a torn tail and the node commits
//!   different metadata at their offsets;
//! - `AckBeforeFlushCompletes`: a produce that `flush.messages` says must be durable is
//!   acknowledged once its group commit's fsync has started, not finished (a crash in between
//!   loses acknowledged writes);
//! - `RepairSkipped`: a voter that lost committed metadata to damage (and knows it) votes and
//!   campaigns at once instead of fetching the entries back first, so a leader that never had
//!   them can win with its vote;
//! - `HighWatermarkPastIsr`: a partition leader's high watermark follows its fastest in-sync
//!   follower instead of its slowest, so acks=all is answered while an ISR member a failover
//!   may elect still lacks the records;
//! - `TruncationSkipped`: a follower fetches without its last fetched epoch and never cuts a
//!   log that runs past its leader's, so it keeps a tail the leader never had;
//! - `IsrExpandedEarly`: a leader proposes a follower into the ISR before it has reached the
//!   high watermark (an ISR member then lacks committed records);
//! - `AckBeforeIsr`: an acks=all produce is answered once the leader has appended it, without
//!   waiting for the ISR;
//! - `HighWatermarkUnderMinIsr`: a partition leader keeps moving its high watermark while its
//!   ISR is below `min.insync.replicas` (KIP-966 stops it), so an eligible leader replica that
//!   left meanwhile lacks records consumers have read, and its clean election takes them back.

/// One deliberate bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Canary {
    AckBeforeFsync,
    SkipRecoveryCrc,
    DuplicateOffset,
    VoteTwice,
    MetadataFlushSkipped,
    CommitPointIgnored,
    RepairSkipped,
    AckBeforeFlushCompletes,
    HighWatermarkPastIsr,
    TruncationSkipped,
    IsrExpandedEarly,
    AckBeforeIsr,
    HighWatermarkUnderMinIsr,
}

impl Canary {
    pub const ALL: [Canary; 13] = [
        Canary::AckBeforeFsync,
        Canary::SkipRecoveryCrc,
        Canary::DuplicateOffset,
        Canary::VoteTwice,
        Canary::MetadataFlushSkipped,
        Canary::CommitPointIgnored,
        Canary::RepairSkipped,
        Canary::AckBeforeFlushCompletes,
        Canary::HighWatermarkPastIsr,
        Canary::TruncationSkipped,
        Canary::IsrExpandedEarly,
        Canary::AckBeforeIsr,
        Canary::HighWatermarkUnderMinIsr,
    ];

    /// The name scenarios and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Canary::AckBeforeFsync => "ack-before-fsync",
            Canary::SkipRecoveryCrc => "skip-recovery-crc",
            Canary::DuplicateOffset => "duplicate-offset",
            Canary::VoteTwice => "vote-twice",
            Canary::MetadataFlushSkipped => "metadata-flush-skipped",
            Canary::CommitPointIgnored => "commit-point-ignored",
            Canary::RepairSkipped => "repair-skipped",
            Canary::AckBeforeFlushCompletes => "ack-before-flush-completes",
            Canary::HighWatermarkPastIsr => "hw-past-isr",
            Canary::TruncationSkipped => "truncation-skipped",
            Canary::IsrExpandedEarly => "isr-expanded-early",
            Canary::AckBeforeIsr => "ack-before-isr",
            Canary::HighWatermarkUnderMinIsr => "hw-under-min-isr",
        }
    }

    pub fn from_name(name: &str) -> Option<Canary> {
        Canary::ALL.into_iter().find(|canary| canary.name() == name)
    }

    #[cfg(madsim)]
    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

#[cfg(madsim)]
static ENABLED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Whether `canary` is switched on (never, outside the simulator).
#[inline]
pub fn is_on(canary: Canary) -> bool {
    #[cfg(madsim)]
    {
        ENABLED.load(std::sync::atomic::Ordering::Relaxed) & canary.bit() != 0
    }
    #[cfg(not(madsim))]
    {
        let _ = canary;
        false
    }
}

/// Switches exactly `canaries` on, for the whole simulated run.
#[cfg(madsim)]
pub fn set(canaries: &[Canary]) {
    let bits = canaries.iter().fold(0, |bits, canary| bits | canary.bit());
    ENABLED.store(bits, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for canary in Canary::ALL {
            assert_eq!(Canary::from_name(canary.name()), Some(canary));
        }
        assert_eq!(Canary::from_name("nope"), None);
    }

    #[cfg(not(madsim))]
    #[test]
    fn never_on_in_a_normal_build() {
        assert!(Canary::ALL.into_iter().all(|canary| !is_on(canary)));
    }
}
