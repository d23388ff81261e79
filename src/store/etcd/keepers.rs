//! Lease renewals over long-lived keepalive streams: one open stream per
//! lease renewed through the store, so a renewal is one message on it
//! instead of a new gRPC stream each time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::LeaseClient;

use super::convert::map_err;
use crate::store::{LeaseId, Result};

/// The open keepalive streams, by lease.
#[derive(Default)]
pub(super) struct Keepers {
    streams: std::sync::Mutex<HashMap<LeaseId, Arc<tokio::sync::Mutex<Keeper>>>>,
    calls: std::sync::atomic::AtomicU64,
}

struct Keeper {
    keeper: etcd_client::LeaseKeeper,
    stream: etcd_client::LeaseKeepAliveStream,
    used: std::time::Instant,
    /// A renewal was sent and its answer not read (the call was cancelled):
    /// the stream is out of step and is replaced.
    pending: bool,
}

/// Streams unused for this long are closed (their lease expired or moved).
const KEEPER_IDLE: Duration = Duration::from_secs(300);

impl Keepers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<LeaseId, Arc<tokio::sync::Mutex<Keeper>>>> {
        self.streams.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, id: LeaseId) -> Option<Arc<tokio::sync::Mutex<Keeper>>> {
        let calls = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut streams = self.lock();
        if calls % 1024 == 0 {
            streams.retain(|_, k| {
                k.try_lock()
                    .map_or(true, |k| k.used.elapsed() < KEEPER_IDLE)
            });
        }
        streams.get(&id).cloned()
    }

    pub(super) fn forget(&self, id: LeaseId) {
        self.lock().remove(&id);
    }

    /// Renews lease `id`: `false` when etcd no longer has it.
    pub(super) async fn renew(&self, lease: &LeaseClient, id: LeaseId) -> Result<bool> {
        if let Some(keeper) = self.get(id) {
            let mut k = keeper.lock().await;
            if k.pending {
                self.forget(id);
            } else {
                k.pending = true;
                let renewed = match k.keeper.keep_alive().await {
                    Ok(()) => k.stream.message().await,
                    Err(e) => Err(e),
                };
                k.pending = false;
                match renewed {
                    Ok(Some(r)) if r.ttl() > 0 => {
                        k.used = std::time::Instant::now();
                        return Ok(true);
                    }
                    Ok(Some(_)) => {
                        self.forget(id);
                        return Ok(false);
                    }
                    // The stream broke (etcd restarted): open a new one.
                    Ok(None) | Err(_) => self.forget(id),
                }
            }
        }
        // `keep_alive` opens a stream, sends one renewal and reads its
        // answer, failing with `LeaseKeepAliveError` when the lease is gone.
        let mut lease = lease.clone();
        match lease.keep_alive(id).await {
            Ok((keeper, stream)) => {
                let keeper = Keeper {
                    keeper,
                    stream,
                    used: std::time::Instant::now(),
                    pending: false,
                };
                self.lock()
                    .insert(id, Arc::new(tokio::sync::Mutex::new(keeper)));
                Ok(true)
            }
            Err(etcd_client::Error::LeaseKeepAliveError(_)) => Ok(false),
            Err(e) => Err(map_err(e)),
        }
    }
}
