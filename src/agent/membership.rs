//! The agent's node membership: wait for influxd, register (or reuse the
//! saved id, or the node's own record found by hostname, bind address and
//! URL), heartbeat at a third of the TTL while influxd answers `/ping` (and at once when the sync has
//! applied a new metadata version, which heartbeats report), register again when the manager
//! has forgotten the node or the saved id names another node's record (a
//! store that went back hands ids out again), and say "going down" on
//! shutdown.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Agent;
use crate::backoff::Backoff;
use crate::client::{Client, ClientError};
use crate::wire::Node;
use crate::wire::Registration;

/// How long influxd may take to answer `/ping` before a heartbeat.
const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the "going down" call may take at shutdown.
const DOWN_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn run(agent: &Agent, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let Some(version) = wait_for_influxd(agent, shutdown).await else {
        return Ok(());
    };
    let new = Registration {
        hostname: agent.hostname.clone(),
        ip: None,
        bind_address: Some(agent.bind_address.clone()),
        version: Some(version),
        url: Some(agent.influx.url().to_string()),
        ..Registration::default()
    };
    let cluster = &agent.cluster;
    let mut id = agent.state.node_id()?;
    let mut backoff = Backoff::default();
    let mut applied = agent.applied.subscribe();
    let mut influx_down = false;
    loop {
        // A node is alive while its InfluxDB is: without an answer, no
        // heartbeat, so the manager lists it dead and relays queue for it.
        if id.is_some() {
            let up = tokio::time::timeout(PING_TIMEOUT, agent.influx.ping()).await;
            match up {
                Ok(Ok(_)) if influx_down => {
                    tracing::info!("InfluxDB answers again; heartbeating");
                    influx_down = false;
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) if !influx_down => {
                    tracing::warn!(
                        "InfluxDB does not answer ({e}); not heartbeating until it does"
                    );
                    influx_down = true;
                }
                Err(_) if !influx_down => {
                    tracing::warn!(
                        "InfluxDB does not answer /ping in {PING_TIMEOUT:?}; not heartbeating until it does"
                    );
                    influx_down = true;
                }
                _ => {}
            }
            if influx_down {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        }
        let reported = *applied.borrow_and_update();
        let answer = match id {
            Some(id) => agent.client.refresh(cluster, id, reported).await,
            None => match own_record(&agent.client, cluster, &new).await {
                Ok(Some(found)) => {
                    tracing::info!(id = found, "found this node's record; using its id");
                    agent.client.refresh(cluster, found, reported).await
                }
                Ok(None) => agent.client.register(cluster, &new).await,
                Err(e) => Err(e),
            },
        };
        let delay = match answer {
            Ok(node) if id.is_some() && !is_ours(&node, &new) => {
                tracing::warn!(
                    id = node.id,
                    hostname = %node.hostname,
                    bind_address = %node.bind_address,
                    "the manager's node with this node's saved id is another node (its store went back?); registering again"
                );
                id = None;
                agent.state.set_node_id(None)?;
                Duration::ZERO
            }
            Ok(node) => {
                if id != Some(node.id) {
                    agent.state.set_node_id(Some(node.id))?;
                    tracing::info!(id = node.id, ?cluster, "registered");
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
        // A newly applied version is reported at once: relays wait for it
        // before replaying into this node.
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
            Ok(()) = applied.changed(), if id.is_some() && backoff.is_fresh() => {}
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

/// Whether `node` is the record of the node `new` describes.
/// The URL is compared only when the manager reports one (older managers
/// did not keep it).
fn is_ours(node: &Node, new: &Registration) -> bool {
    node.hostname == new.hostname
        && Some(&node.bind_address) == new.bind_address.as_ref()
        && (node.url.is_none() || node.url == new.url)
}

/// The id of a record with this node's hostname, bind address and URL (its
/// state folder was lost, say), so it is not registered twice.
async fn own_record(
    client: &Client,
    cluster: &str,
    new: &Registration,
) -> Result<Option<u64>, ClientError> {
    let nodes = match client.cluster_nodes(cluster).await {
        Err(e) if e.is_not_found() => return Ok(None),
        other => other?,
    };
    Ok(nodes.iter().find(|n| is_ours(n, new)).map(|n| n.id))
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
