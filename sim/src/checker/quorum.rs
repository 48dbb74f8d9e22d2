//! `quorum-invariants`: the metadata quorum's Raft invariants, watched while the run goes on.
//!
//! Unlike the history checkers this one cannot wait for the end: an epoch with two leaders or
//! a high watermark that went backwards leaves no trace in what the nodes hold afterwards. The
//! harness samples every voter's Raft state every few milliseconds of simulated time (a voter
//! that is down counts with what its disk holds, as in Kafka's RaftEventSimulationTest) and
//! hands each sample here; [`weir::core::raft::QuorumObserver`] judges them: at most one leader
//! per epoch, epochs, high watermarks and log starts never go backwards, every high watermark
//! is held by a majority, committed entries never differ, snapshots agree. The first violation
//! is kept (later ones usually follow from it) with the simulated time it was seen at.

use std::collections::BTreeSet;

use weir::core::raft::{NodeView, QuorumObserver, QuorumViolation};

use super::Anomaly;

pub const NAME: &str = "quorum-invariants";

/// Watches one run's quorum.
pub struct QuorumWatch {
    observer: QuorumObserver,
    first: Option<(u64, QuorumViolation)>,
}

impl QuorumWatch {
    pub fn new(voters: BTreeSet<i32>) -> Self {
        Self {
            observer: QuorumObserver::sampled(voters),
            first: None,
        }
    }

    /// `node` restarted: its high watermark (not persisted) may come back lower.
    pub fn restarted(&mut self, node: i32) {
        self.observer.restarted(node);
    }

    /// `node`'s disk destroyed the entries it held below `held` (see
    /// `QuorumObserver::lost_to_disk`).
    pub fn lost_to_disk(&mut self, node: i32, held: i64) {
        self.observer.lost_to_disk(node, held);
    }

    /// Judges one sample of every voter, taken at `at_ms`.
    pub fn observe(&mut self, at_ms: u64, views: &[NodeView<'_>]) {
        if self.first.is_some() {
            return;
        }
        if let Err(violation) = self.observer.observe(views) {
            self.first = Some((at_ms, violation));
        }
    }

    /// The anomaly to report, if any sample broke an invariant.
    pub fn anomalies(&self) -> Vec<Anomaly> {
        self.first
            .iter()
            .map(|(at_ms, violation)| Anomaly {
                checker: NAME,
                detail: format!("at {at_ms} ms: {violation:?}"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(
        node_id: i32,
        leader_epoch: i32,
        is_leader: bool,
        high_watermark: i64,
    ) -> NodeView<'static> {
        NodeView {
            node_id,
            leader_epoch,
            is_leader,
            high_watermark,
            log_start_offset: 0,
            snapshot_id: None,
            log: &[],
        }
    }

    #[test]
    fn a_healthy_quorum_passes() {
        let mut watch = QuorumWatch::new([1, 2, 3].into());
        watch.observe(
            10,
            &[
                view(1, 1, true, 0),
                view(2, 1, false, 0),
                view(3, 1, false, 0),
            ],
        );
        watch.observe(
            20,
            &[
                view(1, 2, false, 0),
                view(2, 2, true, 0),
                view(3, 2, false, 0),
            ],
        );
        assert_eq!(watch.anomalies(), Vec::new());
    }

    #[test]
    fn two_leaders_in_one_epoch_are_reported_once_with_their_time() {
        let mut watch = QuorumWatch::new([1, 2, 3].into());
        watch.observe(10, &[view(1, 3, true, 0), view(2, 3, false, 0)]);
        watch.observe(20, &[view(1, 3, false, 0), view(2, 3, true, 0)]);
        watch.observe(30, &[view(1, 2, false, 0)]);
        let anomalies = watch.anomalies();
        assert_eq!(anomalies.len(), 1);
        assert_eq!(anomalies[0].checker, NAME);
        assert!(anomalies[0]
            .detail
            .starts_with("at 20 ms: TwoLeadersInOneEpoch"));
    }

    #[test]
    fn a_high_watermark_without_a_majority_is_reported() {
        let mut watch = QuorumWatch::new([1, 2, 3].into());
        let lonely = view(1, 1, true, 5);
        watch.observe(5, &[lonely, view(2, 1, false, 0), view(3, 1, false, 0)]);
        assert!(watch.anomalies()[0]
            .detail
            .contains("HighWatermarkNotHeldByMajority"));
    }
}
