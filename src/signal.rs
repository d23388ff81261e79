//! How a long-running verb learns it should stop: SIGINT or SIGTERM. Once
//! [`stop`] has been polled, the signals no longer kill the process; the
//! verb finishes what it is doing (a handler it runs, a poll it answers)
//! and returns.

/// Completes on SIGINT or SIGTERM.
pub async fn stop() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminate = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}
