//! The manager's own membership: every running `cflux serve` is listed under
//! `"cflux"` in `GET /nodes` while it runs.
//!
//! A manager takes an id from the shared counter, then keeps a leased record
//! at `managers/<id>` alive at a third of the TTL. If the lease is lost (etcd
//! restarted, the process was paused) it registers again under the same id.
//! On graceful shutdown it revokes the lease, which removes the record at once.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::manager::error::{Result, now_ms, rfc3339};
use crate::manager::keys;
use crate::store::{LeaseId, SharedStore};
use crate::wire::Node;

/// What a manager stores about itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Identity {
    pub hostname: String,
    /// Non-loopback addresses, comma-joined.
    pub ip: String,
    pub bind_address: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ManagerRecord {
    id: u64,
    #[serde(flatten)]
    identity: Identity,
    registered_at: u64,
    ttl: u64,
    version: String,
}

impl Identity {
    /// This host's name and non-loopback addresses, advertising `bind_address`.
    pub fn of_this_host(bind_address: String) -> Identity {
        Identity {
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            ip: non_loopback_addresses().join(","),
            bind_address,
        }
    }
}

/// The bind-address a manager reports: `--advertise` when given, else the
/// address it bound, with the first non-loopback address in place of
/// `0.0.0.0` or `[::]`.
pub fn advertised(advertise: Option<&str>, bound: SocketAddr) -> String {
    if let Some(a) = advertise {
        return a.to_string();
    }
    if bound.ip().is_unspecified() {
        if let Some(ip) = non_loopback_addresses().first() {
            return match ip.parse::<IpAddr>() {
                Ok(IpAddr::V6(v6)) => format!("[{v6}]:{}", bound.port()),
                _ => format!("{ip}:{}", bound.port()),
            };
        }
    }
    bound.to_string()
}

/// This host's non-loopback interface addresses, IPv4 first.
fn non_loopback_addresses() -> Vec<String> {
    let mut addrs: Vec<std::net::IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .map(|i| i.ip())
        .collect();
    addrs.sort_by_key(|a| (a.is_ipv6(), *a));
    addrs.dedup();
    addrs.iter().map(|a| a.to_string()).collect()
}

/// Lists managers and checks the store on behalf of the HTTP layer.
pub struct Managers {
    store: SharedStore,
}

impl Managers {
    pub fn new(store: SharedStore) -> Managers {
        Managers { store }
    }

    /// Every live manager, by id.
    pub async fn list(&self) -> Result<Vec<Node>> {
        let (kvs, _) = self.store.range(&keys::managers()).await?;
        let mut out = Vec::with_capacity(kvs.len());
        for kv in kvs {
            match serde_json::from_slice::<ManagerRecord>(&kv.value) {
                Ok(r) => out.push(Node {
                    id: r.id,
                    cluster: None,
                    hostname: r.identity.hostname,
                    ip: r.identity.ip,
                    bind_address_compat: r.identity.bind_address.clone(),
                    bind_address: r.identity.bind_address,
                    alive: true,
                    ttl: r.ttl,
                    registered_at: rfc3339(r.registered_at),
                    last_seen: rfc3339(now_ms()),
                    version: Some(r.version),
                    url: None,
                    applied_version: None,
                    drifting: false,
                }),
                Err(e) => tracing::warn!("skipping a corrupt manager record: {e}"),
            }
        }
        Ok(out)
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn store_ready(&self) -> Result<()> {
        Ok(self.store.ping(&keys::probe()).await?)
    }

    pub fn store_kind(&self) -> &'static str {
        self.store.kind()
    }
}

/// Keeps this manager registered until `shutdown`, then deregisters it.
pub async fn run_membership(
    store: SharedStore,
    identity: Identity,
    ttl: Duration,
    shutdown: CancellationToken,
) {
    let retry = Duration::from_secs(1);
    let id = loop {
        match crate::manager::ids::allocate(store.as_ref()).await {
            Ok(id) => break id,
            Err(e) => tracing::warn!("cannot register this manager yet: {e}"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(retry) => {}
        }
    };
    let registered_at = now_ms();
    let mut lease: Option<LeaseId> = None;
    let beat = (ttl / 3).max(Duration::from_millis(500));
    // Whether the store was failing: its going away and coming back are
    // logged once each, however long the outage.
    let mut failing = false;
    loop {
        let alive = match lease {
            Some(l) => store.keep_alive(l).await,
            None => Ok(false),
        };
        let result = match alive {
            Ok(true) => Ok(()),
            Ok(false) => match register(&store, id, &identity, registered_at, ttl).await {
                Ok(l) => {
                    tracing::info!(id, "manager registered");
                    lease = Some(l);
                    Ok(())
                }
                Err(e) => Err(format!("cannot register this manager: {e}")),
            },
            Err(e) => Err(format!("manager heartbeat failed: {e}")),
        };
        let ok = result.is_ok();
        match (result, failing) {
            (Ok(()), true) => tracing::info!("the store answers again"),
            (Err(e), false) => tracing::warn!("{e}; the store looks unreachable, retrying"),
            (Err(e), true) => tracing::debug!("{e}"),
            (Ok(()), false) => {}
        }
        failing = !ok;
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(if lease.is_some() { beat } else { retry }) => {}
        }
    }
    match lease {
        // An unreachable store would only make shutdown wait out its
        // deadline; the lease lapses on its own within the TTL.
        Some(_) if failing => {
            tracing::info!(
                id,
                "not deregistering: the store is unreachable; the record lapses with its lease"
            )
        }
        Some(l) => match store.revoke(l).await {
            Ok(_) => tracing::info!(id, "manager deregistered"),
            Err(e) => tracing::warn!("cannot deregister this manager: {e}"),
        },
        None => {}
    }
}

async fn register(
    store: &SharedStore,
    id: u64,
    identity: &Identity,
    registered_at: u64,
    ttl: Duration,
) -> Result<LeaseId> {
    let lease = store.grant(ttl.as_secs() as i64).await?;
    let record = ManagerRecord {
        id,
        identity: identity.clone(),
        registered_at,
        ttl: lease.ttl as u64,
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let value = serde_json::to_vec(&record).expect("records serialise");
    if let Err(e) = store.put(&keys::manager(id), &value, lease.id).await {
        let _ = store.revoke(lease.id).await;
        return Err(e.into());
    }
    Ok(lease.id)
}
