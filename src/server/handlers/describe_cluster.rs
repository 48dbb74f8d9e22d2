//! DescribeCluster (key 60): the cluster id, the controller clients should use and the live
//! brokers, from the same image and rules as Metadata. From v2, `include_fenced_brokers`
//! (KIP-1073) adds the registered brokers the controller has fenced, marked `is_fenced`: what
//! `weir cluster describe` shows an operator.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};

use super::metadata::{brokers, controller_id};
use super::{str_bytes, RequestContext};

pub async fn handle(
    ctx: &RequestContext,
    request: DescribeClusterRequest,
) -> DescribeClusterResponse {
    let image = ctx.broker.image();
    let brokers = brokers(ctx, &image, request.include_fenced_brokers)
        .into_iter()
        .map(|b| {
            DescribeClusterBroker::default()
                .with_broker_id(BrokerId(b.id))
                .with_host(str_bytes(b.host))
                .with_port(i32::from(b.port))
                .with_rack(b.rack.map(str_bytes))
                .with_is_fenced(b.fenced)
        })
        .collect();
    DescribeClusterResponse::default()
        .with_cluster_id(str_bytes(ctx.broker.cluster_id.clone()))
        .with_controller_id(BrokerId(controller_id(ctx, &image)))
        .with_endpoint_type(request.endpoint_type.max(1))
        .with_brokers(brokers)
}
