//! DescribeCluster (key 60): the cluster id, the controller and the brokers. On one node this
//! broker is all three.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};

use super::{str_bytes, RequestContext};

pub async fn handle(
    ctx: &RequestContext,
    request: DescribeClusterRequest,
) -> DescribeClusterResponse {
    let node_id = BrokerId(ctx.broker.config.node_id);
    let broker = DescribeClusterBroker::default()
        .with_broker_id(node_id)
        .with_host(str_bytes(ctx.advertised.host.clone()))
        .with_port(i32::from(ctx.advertised.port));
    DescribeClusterResponse::default()
        .with_cluster_id(str_bytes(ctx.broker.cluster_id.clone()))
        .with_controller_id(node_id)
        .with_endpoint_type(request.endpoint_type.max(1))
        .with_brokers(vec![broker])
}
