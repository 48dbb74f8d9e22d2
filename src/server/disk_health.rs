//! What the broker does when its disk fails: stop trusting it, and halt.
//!
//! After a failed fsync Linux may already have dropped the dirty pages it could not write and
//! marked them clean, so a second fsync "succeeds" without making anything durable (the 2018
//! PostgreSQL "fsyncgate"). Retrying is therefore unsafe, and so is serving what the page cache
//! still shows. Kafka marks the log directory offline and, when no directory is left, halts the
//! broker; Weir has one disk per broker, so it does the same in one step: the first write or
//! fsync error (other than a full disk) marks the disk failed, every connection is closed
//! before it can be answered again, and the node halts without a clean shutdown, so the next
//! start recovers from the last checkpoint as after a crash. Nothing is acknowledged that was
//! not made durable, because the failing append itself answers KAFKA_STORAGE_ERROR.
//!
//! A full disk (ENOSPC) is different: nothing was half-written (appends are cut back on error),
//! so that produce fails with KAFKA_STORAGE_ERROR and later ones succeed once space is freed.

use std::io;

use crate::runtime::sync::watch;

/// The broker's verdict on its disk: healthy, or failed with a reason.
pub struct DiskHealth {
    failure: watch::Sender<Option<String>>,
}

impl Default for DiskHealth {
    fn default() -> Self {
        Self {
            failure: watch::channel(None).0,
        }
    }
}

impl DiskHealth {
    /// Records an IO error from a write or fsync during `what`. Returns whether it failed the
    /// disk (everything except a full disk does).
    pub fn record(&self, what: &str, error: &io::Error) -> bool {
        if is_disk_full(error) {
            tracing::warn!(%error, "{what}: disk full");
            return false;
        }
        let reason = format!("{what}: {error}");
        let first = self.failure.send_if_modified(|failure| {
            if failure.is_some() {
                return false;
            }
            *failure = Some(reason.clone());
            true
        });
        if first {
            tracing::error!(%reason, "disk failed; halting without a clean shutdown");
            crate::event!("disk failed, halting: {reason}");
        }
        true
    }

    pub fn is_failed(&self) -> bool {
        self.failure.borrow().is_some()
    }

    /// Waits until the disk fails; returns why.
    pub async fn failed(&self) -> String {
        let mut receiver = self.failure.subscribe();
        loop {
            if let Some(reason) = receiver.borrow_and_update().clone() {
                return reason;
            }
            if receiver.changed().await.is_err() {
                // The sender lives as long as `self`; this is unreachable while we are borrowed.
                return "broker dropped".into();
            }
        }
    }
}

/// Whether `error` says the disk is full (ENOSPC).
pub fn is_disk_full(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::StorageFull
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_not_a_failed_disk_but_an_fsync_error_is() {
        let health = DiskHealth::default();
        let full = io::Error::new(io::ErrorKind::StorageFull, "ENOSPC");
        assert!(!health.record("append", &full));
        assert!(!health.is_failed());
        let eio = io::Error::other("EIO on fsync");
        assert!(health.record("flush", &eio));
        assert!(health.is_failed());
        let reason = crate::runtime::block_on(health.failed()).unwrap();
        assert!(
            reason.contains("flush") && reason.contains("EIO"),
            "{reason}"
        );
    }
}
