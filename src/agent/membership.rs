//! The agent's node membership: wait for influxd, register (or reuse the
//! saved id), heartbeat at a third of the TTL, register again when the
//! manager has forgotten the node, and say "going down" on shutdown.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Agent;
use crate::backoff::Backoff;
use crate::client::NewNode;

/// How long the "going down" call may take at shutdown.
const DOWN_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn run(agent: &Agent, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let Some(version) = wait_for_influxd(agent, shutdown).await else {
        return Ok(());
    };
    let new = NewNode {
        hostname: agent.hostname.clone(),
        ip: None,
        bind_address: Some(agent.bind_address.clone()),
        version: Some(version),
        url: Some(agent.influx.url().to_string()),
    };
    let cluster = &agent.cluster;
    let mut id = agent.state.node_id()?;
    let mut backoff = Backoff::default();
    loop {
        let answer = match id {
            Some(id) => agent.client.refresh(cluster, id).await,
            None => agent.client.register(cluster, &new).await,
        };
        let delay = match answer {
            Ok(node) => {
                if id != Some(node.id) {
                    agent.state.set_node_id(Some(node.id))?;
                    tracing::info!(id = node.id, %cluster, "registered");
                } else if !backoff.is_fresh() {
                    tracing::info!(id = node.id, "heartbeats reach the manager again");
                }
                id = Some(node.id);
                backoff.reset();
                Duration::from_secs(node.ttl.max(3)) / 3
            }
            Err(e) if e.is_not_found() && id.is_some() => {
                tracing::warn!(
                    "the manager no longer knows node {}; registering again",
                    id.unwrap_or(0)
                );
                id = None;
                agent.state.set_node_id(None)?;
                Duration::ZERO
            }
            Err(e) if e.is_transient() => {
                let delay = backoff.next_delay();
                tracing::warn!("heartbeat failed: {e}; retrying in {delay:.1?}");
                delay
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "the manager refused node {}: {e}",
                    agent.hostname
                ));
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    if let Some(id) = id {
        match tokio::time::timeout(DOWN_TIMEOUT, agent.client.down(cluster, id)).await {
            Ok(Ok(_)) => tracing::info!(id, "told the manager this node is going down"),
            Ok(Err(e)) => tracing::warn!(id, "could not mark the node down: {e}"),
            Err(_) => tracing::warn!(id, "could not mark the node down in {DOWN_TIMEOUT:?}"),
        }
    }
    Ok(())
}

/// Polls `/ping` until influxd answers; its version, or `None` on shutdown.
async fn wait_for_influxd(agent: &Agent, shutdown: &CancellationToken) -> Option<String> {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        match agent.influx.ping().await {
            Ok(version) => {
                tracing::info!(%version, url = agent.influx.url(), "InfluxDB answers");
                return Some(version);
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::info!("waiting for InfluxDB: {e}");
                tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}
