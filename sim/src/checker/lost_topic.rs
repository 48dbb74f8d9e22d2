//! `lost-topic`: a topic whose creation was acknowledged is still there at the end.
//!
//! Invariant: every CreateTopic acknowledged before the liveness phase's topic list was asked
//! for (the last `ok` ListTopics, from its invoke) names a topic the list includes; one
//! acknowledged while the list was being taken proves nothing either way. A creation is
//! acknowledged only once the controller has committed it to the metadata log, so controller
//! failovers, crashes and lost unsynced tails must never take it away (nothing in these runs
//! deletes topics). `info` and `fail` creations
//! promise nothing; a history without a topic list checks nothing. One anomaly per topic.
//! Source: KRaft's guarantee that committed metadata records survive leader changes (KIP-595),
//! checked as Jepsen checks acknowledged writes.

use std::collections::BTreeSet;

use super::{list, Anomaly, Checker};
use crate::history::{History, Op, Outcome};

pub const NAME: &str = "lost-topic";

/// The `lost-topic` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct LostTopic;

impl Checker for LostTopic {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "KIP-595: committed metadata records survive leader changes"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        let events = &history.events;
        let is_list = |event: &crate::history::Event| matches!(event.op, Op::ListTopics { .. });
        let Some(answered) = (0..events.len())
            .rev()
            .find(|&i| events[i].outcome == Outcome::Ok && is_list(&events[i]))
        else {
            return Vec::new();
        };
        let Op::ListTopics { names } = &events[answered].op else {
            return Vec::new();
        };
        let listed: BTreeSet<&String> = names.iter().collect();
        let asked = (0..answered)
            .rev()
            .find(|&i| events[i].outcome == Outcome::Invoke && is_list(&events[i]))
            .unwrap_or(answered);
        let created: BTreeSet<&String> = (events[..asked].iter())
            .filter(|event| event.outcome == Outcome::Ok)
            .filter_map(|event| match &event.op {
                Op::CreateTopic { name } => Some(name),
                _ => None,
            })
            .collect();
        let lost: Vec<&String> = created.difference(&listed).copied().collect();
        if lost.is_empty() {
            return Vec::new();
        }
        vec![Anomaly {
            checker: NAME,
            detail: format!(
                "{} acknowledged topic creations are missing from the final topic list: {}",
                lost.len(),
                list(lost)
            ),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Process;

    fn history(events: Vec<(Outcome, Op)>) -> History {
        let mut history = History::new();
        for (at_ms, (outcome, op)) in events.into_iter().enumerate() {
            history.push(Process::Admin, outcome, op, at_ms as u64);
        }
        history
    }

    fn create(name: &str) -> Op {
        Op::CreateTopic { name: name.into() }
    }

    fn listed(names: &[&str]) -> Op {
        Op::ListTopics {
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn an_acknowledged_topic_missing_at_the_end_is_lost() {
        let history = history(vec![
            (Outcome::Invoke, create("a")),
            (Outcome::Ok, create("a")),
            (Outcome::Ok, create("b")),
            (Outcome::Ok, listed(&["a", "b"])),
            // The last list is the one judged.
            (Outcome::Ok, listed(&["a"])),
        ]);
        let anomalies = LostTopic.check(&history);
        assert_eq!(anomalies.len(), 1);
        assert!(anomalies[0].detail.ends_with(": b"), "{anomalies:?}");
    }

    #[test]
    fn unacknowledged_creations_and_histories_without_a_list_pass() {
        let history = history(vec![
            (Outcome::Info, create("maybe")),
            (Outcome::Fail, create("never")),
            (Outcome::Ok, create("a")),
            (Outcome::Invoke, listed(&[])),
            // Acknowledged while the list was being taken: it may or may not be in it.
            (Outcome::Ok, create("late")),
            (Outcome::Ok, listed(&["a"])),
        ]);
        assert_eq!(LostTopic.check(&history), Vec::new());
        let unlisted = super::tests::history(vec![(Outcome::Ok, create("a"))]);
        assert_eq!(LostTopic.check(&unlisted), Vec::new());
    }
}
