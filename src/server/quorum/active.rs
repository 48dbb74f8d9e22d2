//! The active controller on top of a metadata replica: a [`Controller`] exists only while this
//! node leads with an up-to-date image, is built afresh from the committed image at the start of
//! each leadership epoch, and is dropped the moment the node stops leading or a proposal is
//! refused. That is how uncommitted decisions are reverted: the next controller starts from
//! what the quorum committed, never from what this one merely decided.

use super::replica::{MetadataReplica, ReplicaError};
use crate::core::controller::{
    encode_batch, Controller, ControllerError, ControllerSettings, Outcome,
};
use crate::core::raft::{Epoch, Offset, ProposeError};
use crate::runtime::RngStream;

/// Why a controller operation did not go through.
#[derive(Debug)]
pub enum SubmitError {
    /// This node is not the active controller (yet); `leader` is who leads, if known. Kafka's
    /// NOT_CONTROLLER: the caller retries against the leader.
    NotController {
        leader: Option<i32>,
    },
    Refused(ControllerError),
    /// The batch is larger than one metadata log entry may be.
    TooLarge {
        bytes: usize,
        bytes_max: usize,
    },
    Replica(ReplicaError),
    /// The records did not commit in time (no quorum reachable); the outcome is unknown.
    Timeout,
    /// The metadata log failed on this node, which is stopping.
    Failed(String),
}

/// An accepted operation: its reply, and the offset whose commit makes it true (`None` when it
/// wrote nothing, e.g. a heartbeat that changed nothing).
#[derive(Debug)]
pub struct Submitted<R> {
    pub reply: R,
    pub commit_offset: Option<Offset>,
}

pub struct ActiveController {
    settings: ControllerSettings,
    seed: u64,
    current: Option<(Epoch, Controller)>,
}

impl ActiveController {
    pub fn new(settings: ControllerSettings, seed: u64) -> Self {
        Self {
            settings,
            seed,
            current: None,
        }
    }

    /// The controller for the current epoch, built if this node just became ready to lead.
    fn controller(&mut self, replica: &MetadataReplica, now_ms: i64) -> Option<&mut Controller> {
        let Some(epoch) = replica.leads_with_current_image() else {
            self.current = None;
            return None;
        };
        if self.current.as_ref().is_none_or(|(e, _)| *e != epoch) {
            // One rng stream per epoch: decisions replay from the seed and the epoch.
            let rng = RngStream::new(self.seed ^ epoch as u64, "controller");
            let image = replica.image().clone();
            let controller = Controller::new(self.settings.clone(), image, rng, now_ms);
            self.current = Some((epoch, controller));
        }
        self.current.as_mut().map(|(_, controller)| controller)
    }

    pub fn is_active(&mut self, replica: &MetadataReplica, now_ms: i64) -> bool {
        self.controller(replica, now_ms).is_some()
    }

    /// Runs `operation` on the active controller and proposes its records as one entry.
    pub fn submit<R>(
        &mut self,
        replica: &mut MetadataReplica,
        now_ms: i64,
        operation: impl FnOnce(&mut Controller, Offset) -> Result<Outcome<R>, ControllerError>,
    ) -> Result<Submitted<R>, SubmitError> {
        let at = replica.next_offset();
        let leader = replica.node().leader();
        let controller = self
            .controller(replica, now_ms)
            .ok_or(SubmitError::NotController { leader })?;
        let outcome = operation(controller, at).map_err(SubmitError::Refused)?;
        if outcome.records.is_empty() {
            return Ok(Submitted {
                reply: outcome.reply,
                commit_offset: None,
            });
        }
        let data = encode_batch(&outcome.records);
        let proposed = replica
            .propose(now_ms, data)
            .map_err(SubmitError::Replica)?;
        match proposed {
            Ok(offset) if offset == at => Ok(Submitted {
                reply: outcome.reply,
                commit_offset: Some(offset),
            }),
            Ok(_) | Err(ProposeError::NotLeader { .. }) => {
                // The working image no longer matches the log: start over from what commits.
                self.current = None;
                Err(SubmitError::NotController {
                    leader: replica.node().leader(),
                })
            }
            Err(ProposeError::TooLarge { bytes, bytes_max }) => {
                self.current = None;
                Err(SubmitError::TooLarge { bytes, bytes_max })
            }
        }
    }
}
