//! The broker's side of its lifecycle at the controller (Kafka's `BrokerLifecycleManager`):
//! register this incarnation, heartbeat so the session stays alive, get unfenced once the
//! metadata replayed here has passed the registration, and on shutdown ask to be moved out of
//! leadership before exiting.
//!
//! While the broker is fenced or catching up it heartbeats every few milliseconds, as Kafka
//! does during start-up, so a node is serving moments after it starts; once unfenced it
//! heartbeats every `broker.heartbeat.interval.ms`.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::broker_registration_request::Listener;
use kafka_protocol::messages::{
    ApiKey, BrokerHeartbeatRequest, BrokerHeartbeatResponse, BrokerId, BrokerRegistrationRequest,
    BrokerRegistrationResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use crate::backoff::Backoff;
use crate::core::controller::{
    ControllerError, Endpoint, HeartbeatReply, HeartbeatRequest, RegisterBrokerRequest,
};
use crate::runtime::sync;
use crate::runtime::{self, Instant};
use crate::server::broker::{Broker, TopicError};
use crate::server::controller_apis::{BROKER_HEARTBEAT_VERSION, BROKER_REGISTRATION_VERSIONS};
use crate::server::controller_client::{call, remote_controller, ControllerChannel};

/// How soon a fenced or catching-up broker heartbeats again, and the first wait before a
/// failed registration or heartbeat is retried (see `retry_backoff`).
const STARTING_INTERVAL: Duration = Duration::from_millis(10);
/// How long one registration or heartbeat to another node may take.
const CALL_WAIT: Duration = Duration::from_secs(5);
/// Kafka's security protocol id for PLAINTEXT, the only one served.
const PLAINTEXT: i16 = 0;
/// How often a broker still waiting on the controller says so in the log.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What this node registers and heartbeats with.
pub struct Lifecycle {
    pub broker: Arc<Broker>,
    pub endpoints: Vec<Endpoint>,
    /// Heartbeats to a controller on another node go over one kept connection.
    heartbeats: sync::Mutex<ControllerChannel>,
}

impl Lifecycle {
    pub fn new(broker: Arc<Broker>, endpoints: Vec<Endpoint>) -> Self {
        let heartbeats = sync::Mutex::new(ControllerChannel::for_broker(&broker));
        Self {
            broker,
            endpoints,
            heartbeats,
        }
    }

    /// Registers until the controller accepts; returns the broker epoch, or why the metadata
    /// quorum on this node failed meanwhile.
    pub async fn register(&self) -> Result<i64, String> {
        let mut reported = runtime::now();
        let mut backoff = self.retry_backoff();
        loop {
            self.check_quorum()?;
            match self.try_register().await {
                Ok(epoch) => {
                    self.broker.set_broker_epoch(epoch);
                    tracing::info!(broker_epoch = epoch, "registered with the controller");
                    return Ok(epoch);
                }
                Err(error) => {
                    if runtime::now() >= reported + PROGRESS_EVERY {
                        tracing::warn!(%error, "still waiting to register with the controller");
                        reported = runtime::now();
                    }
                    runtime::sleep(backoff.next_wait()).await;
                }
            }
        }
    }

    async fn try_register(&self) -> Result<i64, TopicError> {
        let broker = &self.broker;
        let quorum = broker
            .quorum()
            .ok_or_else(|| TopicError::Unavailable("no metadata quorum".into()))?;
        if !quorum.is_active() && remote_controller(broker).is_some() {
            return self.register_remotely().await;
        }
        let request = RegisterBrokerRequest {
            broker_id: broker.config.node_id,
            incarnation_id: broker.incarnation_id,
            endpoints: self.endpoints.clone(),
            rack: None,
            previous_broker_epoch: broker.previous_broker_epoch(),
        };
        let now = quorum.now_ms();
        broker
            .submit(move |controller, at| controller.register_broker(request, now, at))
            .await
    }

    async fn register_remotely(&self) -> Result<i64, TopicError> {
        let broker = &self.broker;
        let listeners = self
            .endpoints
            .iter()
            .map(|endpoint| {
                Listener::default()
                    .with_name(StrBytes::from_string(endpoint.listener.clone()))
                    .with_host(StrBytes::from_string(endpoint.host.clone()))
                    .with_port(endpoint.port)
                    .with_security_protocol(PLAINTEXT)
            })
            .collect();
        let request = BrokerRegistrationRequest::default()
            .with_broker_id(BrokerId(broker.config.node_id))
            .with_cluster_id(StrBytes::from_string(broker.cluster_id.clone()))
            .with_incarnation_id(uuid::Uuid::from_u128(broker.incarnation_id))
            .with_listeners(listeners)
            .with_previous_broker_epoch(broker.previous_broker_epoch());
        let key = ApiKey::BrokerRegistration;
        let version = *BROKER_REGISTRATION_VERSIONS.end();
        let response: BrokerRegistrationResponse = call(broker, key, version, &request, CALL_WAIT)
            .await
            .map_err(|error| TopicError::Unavailable(error.to_string()))?;
        match response.error_code {
            0 => Ok(response.broker_epoch),
            code => Err(wire_error(code, "registration")),
        }
    }

    /// One heartbeat with this broker's progress.
    pub async fn heartbeat(&self, want_shutdown: bool) -> Result<HeartbeatReply, TopicError> {
        let broker = &self.broker;
        let quorum = broker
            .quorum()
            .ok_or_else(|| TopicError::Unavailable("no metadata quorum".into()))?;
        let request = HeartbeatRequest {
            broker_id: broker.config.node_id,
            broker_epoch: broker.broker_epoch(),
            current_metadata_offset: broker.image().offset,
            want_fence: false,
            want_shutdown,
        };
        if !quorum.is_active() && remote_controller(broker).is_some() {
            return self.heartbeat_remotely(request).await;
        }
        let now = quorum.now_ms();
        broker
            .submit(move |controller, at| controller.heartbeat(request, now, at))
            .await
    }

    async fn heartbeat_remotely(
        &self,
        beat: HeartbeatRequest,
    ) -> Result<HeartbeatReply, TopicError> {
        let request = BrokerHeartbeatRequest::default()
            .with_broker_id(BrokerId(beat.broker_id))
            .with_broker_epoch(beat.broker_epoch)
            .with_current_metadata_offset(beat.current_metadata_offset)
            .with_want_fence(beat.want_fence)
            .with_want_shut_down(beat.want_shutdown);
        let key = ApiKey::BrokerHeartbeat;
        let version = BROKER_HEARTBEAT_VERSION;
        let mut channel = self.heartbeats.lock().await;
        let response: BrokerHeartbeatResponse = channel
            .call(&self.broker, key, version, &request, CALL_WAIT)
            .await
            .map_err(|error| TopicError::Unavailable(error.to_string()))?;
        match response.error_code {
            0 => Ok(HeartbeatReply {
                is_caught_up: response.is_caught_up,
                is_fenced: response.is_fenced,
                should_shutdown: response.should_shut_down,
            }),
            code => Err(wire_error(code, "heartbeat")),
        }
    }

    /// The metadata quorum on this node failed: nothing will change until it restarts.
    fn check_quorum(&self) -> Result<(), String> {
        match self.broker.quorum().and_then(|quorum| quorum.failure()) {
            Some(reason) => Err(format!("the metadata log failed: {reason}")),
            None => Ok(()),
        }
    }

    /// Heartbeats quickly until the controller unfences this broker (or the quorum fails).
    pub async fn until_unfenced(&self) -> Result<(), String> {
        let mut reported = runtime::now();
        let mut backoff = self.retry_backoff();
        loop {
            self.check_quorum()?;
            let wait = match self.heartbeat(false).await {
                Ok(reply) if !reply.is_fenced => return Ok(()),
                Ok(_) => backoff.reset(),
                Err(error) => {
                    self.recover(&error).await?;
                    backoff.next_wait()
                }
            };
            if runtime::now() >= reported + PROGRESS_EVERY {
                tracing::warn!("still fenced: waiting to catch up with the metadata log");
                reported = runtime::now();
            }
            runtime::sleep(wait).await;
        }
    }

    /// Heartbeats for as long as the node runs.
    pub async fn run(self: Arc<Self>) {
        let interval = Duration::from_millis(
            self.broker.config.kraft.broker_heartbeat_interval_ms.max(1) as u64,
        );
        let mut backoff = self.retry_backoff();
        loop {
            let wait = match self.heartbeat(false).await {
                Ok(reply) if reply.is_fenced => backoff.reset(),
                Ok(_) => {
                    backoff.reset();
                    interval
                }
                Err(error) => {
                    if self.recover(&error).await.is_err() {
                        return; // The node halts on the quorum's failure.
                    }
                    backoff.next_wait()
                }
            };
            runtime::sleep(wait).await;
        }
    }

    /// The wait before retrying a failed registration or heartbeat: 10 ms, doubling up to the
    /// heartbeat interval, back to the start after a success. Kafka's lifecycle manager backs
    /// off the same way (100 ms doubling to half the session timeout). While the controller is
    /// down or cut off, each attempt is a connection refused or timed out; retrying every
    /// 10 ms was a hundred connection attempts a second for as long as that lasted.
    fn retry_backoff(&self) -> Backoff {
        let interval_ms = self.broker.config.kraft.broker_heartbeat_interval_ms;
        Backoff::new(
            STARTING_INTERVAL,
            Duration::from_millis(interval_ms.max(1) as u64),
        )
    }

    /// Re-registers when the controller no longer knows this incarnation's epoch (its session
    /// expired and another registration replaced it, or the metadata was rebuilt).
    async fn recover(&self, error: &TopicError) -> Result<(), String> {
        let stale = matches!(
            error,
            TopicError::Controller(
                ControllerError::StaleBrokerEpoch { .. }
                    | ControllerError::BrokerNotRegistered { .. }
            )
        );
        if stale {
            tracing::warn!(%error, "registering again");
            self.register().await?;
        }
        Ok(())
    }

    /// Controlled shutdown: asks to leave leadership and waits, at most `wait`, until the
    /// controller says the broker may go. Whether it did.
    pub async fn controlled_shutdown(&self, wait: Duration) -> bool {
        let deadline: Instant = runtime::now() + wait;
        while runtime::now() < deadline {
            match self.heartbeat(true).await {
                Ok(reply) if reply.should_shutdown => return true,
                Ok(_) | Err(_) => runtime::sleep(STARTING_INTERVAL).await,
            }
        }
        false
    }
}

/// A refusal that came over the wire, as the controller's local refusal would read: stale
/// epochs and unknown registrations make the broker register again, anything else is retried.
fn wire_error(code: i16, what: &str) -> TopicError {
    let error = ResponseError::try_from_code(code);
    match error {
        Some(ResponseError::StaleBrokerEpoch) => {
            TopicError::Controller(ControllerError::StaleBrokerEpoch {
                broker_id: -1,
                broker_epoch: -1,
                current_epoch: -1,
            })
        }
        Some(ResponseError::BrokerIdNotRegistered) => {
            TopicError::Controller(ControllerError::BrokerNotRegistered { broker_id: -1 })
        }
        Some(ResponseError::NotController) => TopicError::NotController { leader: None },
        other => TopicError::Unavailable(format!(
            "the controller refused the {what}: {}",
            other.map_or_else(|| format!("error code {code}"), |e| format!("{e:?}"))
        )),
    }
}
