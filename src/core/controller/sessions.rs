//! Broker sessions: when the active controller last heard from each broker (Kafka's
//! `BrokerHeartbeatManager`). This is the controller's own soft state, not metadata: a new
//! controller starts every registered broker's session afresh when it takes over, which gives
//! each broker a full `broker.session.timeout.ms` to find the new controller before it is
//! fenced, rather than fencing everyone whose last heartbeat went to the old one.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct BrokerSessions {
    /// Broker id → (broker epoch the session belongs to, last contact in ms).
    last_contact: BTreeMap<i32, (i64, i64)>,
    /// Brokers this controller has actually heard from (a session granted at takeover is not
    /// proof that the process behind it is still alive).
    heard: BTreeMap<i32, i64>,
    /// The metadata offset each broker last said it will replay next.
    reported_offsets: BTreeMap<i32, i64>,
    /// For a broker in controlled shutdown, the offset of the batch that moved its leadership.
    shutdown_offsets: BTreeMap<i32, i64>,
}

impl BrokerSessions {
    /// Records contact from `broker_id` at `broker_epoch`.
    pub fn touch(&mut self, broker_id: i32, broker_epoch: i64, now_ms: i64) {
        self.last_contact.insert(broker_id, (broker_epoch, now_ms));
        self.heard.insert(broker_id, broker_epoch);
    }

    /// Grants `broker_id` a fresh session at takeover, without having heard from it.
    pub fn adopt(&mut self, broker_id: i32, broker_epoch: i64, now_ms: i64) {
        self.last_contact.insert(broker_id, (broker_epoch, now_ms));
    }

    /// Whether this controller has heard from `broker_id` at `broker_epoch` within the
    /// timeout: the process holding that registration is known to be alive.
    pub fn is_proven(
        &self,
        broker_id: i32,
        broker_epoch: i64,
        now_ms: i64,
        timeout_ms: i64,
    ) -> bool {
        self.heard.get(&broker_id) == Some(&broker_epoch)
            && self.is_valid(broker_id, broker_epoch, now_ms, timeout_ms)
    }

    pub fn remove(&mut self, broker_id: i32) {
        self.last_contact.remove(&broker_id);
        self.heard.remove(&broker_id);
        self.reported_offsets.remove(&broker_id);
        self.shutdown_offsets.remove(&broker_id);
    }

    pub fn report_offset(&mut self, broker_id: i32, next_offset: i64) {
        let reported = self
            .reported_offsets
            .entry(broker_id)
            .or_insert(next_offset);
        *reported = (*reported).max(next_offset);
    }

    /// What `broker_id` last reported, or 0 if it has not heartbeated to this controller.
    pub fn reported_offset(&self, broker_id: i32) -> i64 {
        self.reported_offsets.get(&broker_id).copied().unwrap_or(0)
    }

    pub fn begin_shutdown(&mut self, broker_id: i32, at: i64) {
        self.shutdown_offsets.insert(broker_id, at);
    }

    pub fn shutdown_offset(&self, broker_id: i32) -> Option<i64> {
        self.shutdown_offsets.get(&broker_id).copied()
    }

    /// Whether `broker_id` has a session at `broker_epoch` that has not expired.
    pub fn is_valid(
        &self,
        broker_id: i32,
        broker_epoch: i64,
        now_ms: i64,
        timeout_ms: i64,
    ) -> bool {
        self.last_contact
            .get(&broker_id)
            .is_some_and(|&(epoch, at)| epoch == broker_epoch && now_ms - at < timeout_ms)
    }

    /// Brokers whose session expired at `now_ms`, in id order.
    pub fn expired(&self, now_ms: i64, timeout_ms: i64) -> Vec<(i32, i64)> {
        self.last_contact
            .iter()
            .filter(|(_, &(_, at))| now_ms - at >= timeout_ms)
            .map(|(&id, &(epoch, _))| (id, epoch))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_after_the_timeout_and_belong_to_one_epoch() {
        let mut sessions = BrokerSessions::default();
        sessions.touch(1, 10, 0);
        sessions.touch(2, 20, 500);
        assert!(sessions.is_valid(1, 10, 899, 900));
        assert!(!sessions.is_valid(1, 10, 900, 900));
        assert!(
            !sessions.is_valid(1, 11, 0, 900),
            "another incarnation's epoch"
        );
        assert_eq!(sessions.expired(900, 900), vec![(1, 10)]);
        assert_eq!(sessions.expired(1400, 900), vec![(1, 10), (2, 20)]);
        sessions.touch(1, 10, 1000);
        assert_eq!(sessions.expired(1400, 900), vec![(2, 20)]);
        sessions.remove(2);
        assert!(sessions.expired(5000, 900).len() == 1);
    }
}
