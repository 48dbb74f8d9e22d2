//! The accept loop: one task per connection, all sharing the broker.

use std::sync::Arc;

use super::broker::Broker;
use super::connection;
use super::quorum::QuorumService;
use crate::config::Listener;
use crate::runtime::{spawn, TcpListener};

/// Accepts connections forever, spawning a task for each. With `controller`, this is the
/// CONTROLLER listener: its connections are served by `controller_apis`.
pub async fn accept_loop(
    broker: Arc<Broker>,
    listener: TcpListener,
    advertised: Listener,
    controller: Option<Arc<QuorumService>>,
) {
    // Shared by every request's context: one allocation per listener, not per request.
    let advertised = Arc::new(advertised);
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let broker = broker.clone();
                let advertised = advertised.clone();
                let controller = controller.clone();
                spawn(async move {
                    connection::serve(broker, stream, peer, advertised, controller).await
                });
            }
            Err(error) => {
                // Out of file descriptors and the like: keep serving existing connections and
                // try again shortly rather than spinning.
                tracing::warn!(%error, "accept failed");
                crate::runtime::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}
