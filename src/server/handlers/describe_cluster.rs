//! DescribeCluster (key 60): the cluster id, the controller clients should use and the live
//! brokers, from the same image and rules as Metadata. From v2, `include_fenced_brokers`
//! (KIP-1073) adds the registered brokers the controller has fenced, marked `is_fenced`: what
//! `weir cluster describe` shows an operator.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};

use super::metadata::{controller_id, live_brokers};
use super::{str_bytes, RequestContext};

pub async fn handle(
    ctx: &RequestContext,
    request: DescribeClusterRequest,
) -> DescribeClusterResponse {
    let image = ctx.broker.image();
    let mut brokers: Vec<DescribeClusterBroker> = live_brokers(ctx, &image)
        .into_iter()
        .map(|b| {
            DescribeClusterBroker::default()
                .with_broker_id(BrokerId(b.id))
                .with_host(str_bytes(b.host))
                .with_port(i32::from(b.port))
                .with_rack(b.rack.map(str_bytes))
        })
        .collect();
    if request.include_fenced_brokers {
        let listener = &ctx.advertised.name;
        let node_id = ctx.broker.config.node_id;
        // This broker is always listed (clients need the node they asked); if the controller
        // has fenced it, say so there rather than listing it twice.
        if image.brokers.get(&node_id).is_some_and(|b| b.fenced) {
            for own in brokers.iter_mut().filter(|b| b.broker_id.0 == node_id) {
                own.is_fenced = true;
            }
        }
        for broker in (image.brokers.values()).filter(|b| b.fenced && b.broker_id != node_id) {
            let Some(endpoint) = broker.endpoints.iter().find(|e| &e.listener == listener) else {
                continue;
            };
            brokers.push(
                DescribeClusterBroker::default()
                    .with_broker_id(BrokerId(broker.broker_id))
                    .with_host(str_bytes(endpoint.host.clone()))
                    .with_port(i32::from(endpoint.port))
                    .with_rack(broker.rack.clone().map(str_bytes))
                    .with_is_fenced(true),
            );
        }
        brokers.sort_by_key(|b| b.broker_id.0);
    }
    DescribeClusterResponse::default()
        .with_cluster_id(str_bytes(ctx.broker.cluster_id.clone()))
        .with_controller_id(BrokerId(controller_id(ctx, &image)))
        .with_endpoint_type(request.endpoint_type.max(1))
        .with_brokers(brokers)
}
