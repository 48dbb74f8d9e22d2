//! Three quorum services on loopback, talking Kafka's KRaft RPCs over real sockets: a controller
//! is elected, its decisions commit on every node, and when its service stops another node
//! takes over from the committed image.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::core::controller::{
    ControllerSettings, CreateTopicRequest, HeartbeatRequest, MetadataImage, RegisterBrokerRequest,
};
use crate::core::raft::RaftConfig;
use crate::runtime::{self, listen, local_addr, RngStream};
use crate::storage::raft_store::RaftStoreConfig;
use crate::storage::MemDisk;

const WAIT: Duration = Duration::from_secs(5);

async fn start_three() -> BTreeMap<i32, Arc<QuorumService>> {
    let mut listeners = BTreeMap::new();
    for id in 1..=3 {
        listeners.insert(id, listen("127.0.0.1:0").await.unwrap());
    }
    let voters: BTreeMap<i32, String> = listeners
        .iter()
        .map(|(&id, l)| (id, local_addr(l).unwrap().to_string()))
        .collect();
    let mut services = BTreeMap::new();
    for (id, listener) in listeners {
        let settings = ReplicaSettings {
            raft: RaftConfig::new(id, voters.keys().copied().collect::<BTreeSet<_>>()),
            store: RaftStoreConfig::default(),
            snapshot_after_bytes: u64::MAX,
        };
        let disk = Arc::new(MemDisk::new());
        let rng = RngStream::new(id as u64, "raft");
        let replica = MetadataReplica::open(disk, Path::new("/meta"), settings, rng, 0).unwrap();
        let active = ActiveController::new(ControllerSettings::default(), 7);
        let service =
            QuorumService::start(replica, active, id, "test-cluster".into(), voters.clone());
        service.track(runtime::spawn(transport::accept_peers(
            service.clone(),
            listener,
        )));
        services.insert(id, service);
    }
    services
}

fn topic(name: &str) -> CreateTopicRequest {
    CreateTopicRequest {
        name: name.into(),
        num_partitions: 1,
        replication_factor: -1,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    }
}

/// Runs `operation` on whichever node leads, retrying until one accepts; returns that node
/// and the reply.
async fn on_leader<R, F>(services: &BTreeMap<i32, Arc<QuorumService>>, operation: F) -> (i32, R)
where
    F: Fn(
        &mut crate::core::controller::Controller,
        i64,
    )
        -> Result<crate::core::controller::Outcome<R>, crate::core::controller::ControllerError>,
{
    let deadline = runtime::now() + WAIT * 4;
    loop {
        for (&id, service) in services {
            // Followers refuse with NotController; the leader answers.
            if let Ok(reply) = service.submit(&operation, WAIT).await {
                return (id, reply);
            }
        }
        assert!(
            runtime::now() < deadline,
            "no controller accepted the operation"
        );
        runtime::sleep(Duration::from_millis(50)).await;
    }
}

async fn register_broker(services: &BTreeMap<i32, Arc<QuorumService>>, broker_id: i32) {
    let request = RegisterBrokerRequest {
        broker_id,
        incarnation_id: 99,
        endpoints: Vec::new(),
        rack: None,
        previous_broker_epoch: -1,
    };
    let (_, epoch) = on_leader(services, |c, at| c.register_broker(request.clone(), 0, at)).await;
    on_leader(services, |c, at| {
        let heartbeat = HeartbeatRequest {
            broker_id,
            broker_epoch: epoch,
            current_metadata_offset: at,
            want_fence: false,
            want_shutdown: false,
        };
        c.heartbeat(heartbeat, 0, at)
    })
    .await;
}

async fn create(services: &BTreeMap<i32, Arc<QuorumService>>, name: &str) -> i32 {
    on_leader(services, |c, at| c.create_topic(topic(name), false, at))
        .await
        .0
}

async fn converge(services: &BTreeMap<i32, Arc<QuorumService>>, topics: usize) -> MetadataImage {
    let deadline = runtime::now() + WAIT * 2;
    loop {
        let images: Vec<MetadataImage> = services.values().map(|s| s.image()).collect();
        if images.windows(2).all(|p| p[0] == p[1]) && images[0].topics.len() == topics {
            return images[0].clone();
        }
        assert!(runtime::now() < deadline, "replicas did not converge");
        runtime::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn three_services_elect_commit_and_fail_over_on_loopback() {
    runtime::block_on(async {
        let mut services = start_three().await;
        register_broker(&services, 1).await;
        let leader = create(&services, "first").await;
        let image = converge(&services, 1).await;
        assert!(image.topic_by_name("first").is_some());
        // Stop the controller's node: the others elect a new one, which continues from the
        // committed image.
        services.remove(&leader).unwrap().stop();
        let next = create(&services, "second").await;
        assert_ne!(next, leader);
        let image = converge(&services, 2).await;
        assert!(image.topic_by_name("first").is_some());
        for service in services.values() {
            service.stop();
        }
    })
    .unwrap();
}
