//! Shutdown signals: ctrl-c and SIGTERM both ask the broker to stop cleanly, which writes its
//! checkpoints so the next start does not rescan the logs.

/// Completes when the process is asked to stop (ctrl-c, or SIGTERM on Unix).
#[cfg(not(madsim))]
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Completes when the simulator sends this node ctrl-c.
#[cfg(madsim)]
pub async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
