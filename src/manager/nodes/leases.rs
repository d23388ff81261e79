//! Leases granted ahead of registrations that arrive together.
//!
//! A registration needs a lease before its transaction can put the node's
//! record, which names it, and a grant is a store round trip of its own (on etcd, a
//! raft commit). While registrations overlap — a fleet starting, a manager
//! failing over — each one taken from the pool starts the grant of the next,
//! so a registration usually waits for its transaction only. A lone
//! registration grants inline and starts nothing, so an idle manager holds
//! no spare leases.
//!
//! Leases are granted [`RENEW_EVERY`] longer than the node's TTL, so a lease
//! granted less than [`RENEW_EVERY`] ago still covers a full TTL; older
//! spares are dropped (they have no keys and simply expire).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::heartbeats::RENEW_EVERY;
use crate::manager::error::Result;
use crate::store::{Lease, SharedStore};

/// The TTL a node on `lease` is held to (and shown): the lease's less
/// [`RENEW_EVERY`].
pub fn held_ttl(lease: &Lease) -> u64 {
    (lease.ttl as u64)
        .saturating_sub(RENEW_EVERY.as_secs())
        .max(1)
}

/// Spare leases kept at most.
const MAX_SPARE: usize = 64;

/// A granted lease and when its grant was sent.
pub type Granted = (Lease, Instant);

pub struct LeasePool {
    store: SharedStore,
    ttl_secs: i64,
    spare: Arc<Mutex<Vec<Granted>>>,
    /// Registrations taking a lease right now.
    taking: AtomicUsize,
}

/// Counts a registration in [`LeasePool::taking`] while it lives.
struct Taking<'a>(&'a AtomicUsize);

impl Drop for Taking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LeasePool {
    /// A pool of leases of `ttl` plus [`RENEW_EVERY`].
    pub fn new(store: SharedStore, ttl: Duration) -> LeasePool {
        LeasePool {
            store,
            ttl_secs: (ttl + RENEW_EVERY).as_secs() as i64,
            spare: Default::default(),
            taking: AtomicUsize::new(0),
        }
    }

    async fn grant_on(store: &SharedStore, ttl_secs: i64) -> Result<Granted> {
        let sent = Instant::now();
        Ok((store.grant(ttl_secs).await?, sent))
    }

    /// A lease granted now, not from the pool (a lapsed node revived).
    pub async fn grant(&self) -> Result<Granted> {
        Self::grant_on(&self.store, self.ttl_secs).await
    }

    /// A lease for a new registration, covering a full TTL from now.
    pub async fn take(&self) -> Result<Granted> {
        let others = self.taking.fetch_add(1, Ordering::Relaxed);
        let _taking = Taking(&self.taking);
        let spare = {
            let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
            spare.retain(|(_, sent)| sent.elapsed() < RENEW_EVERY);
            spare.pop()
        };
        if others > 0 {
            self.grant_spare();
        }
        match spare {
            Some(granted) => Ok(granted),
            None => self.grant().await,
        }
    }

    /// Grants one spare lease in the background, unless enough are kept.
    fn grant_spare(&self) {
        let (store, ttl_secs, spare) = (self.store.clone(), self.ttl_secs, self.spare.clone());
        if spare.lock().unwrap_or_else(|p| p.into_inner()).len() >= MAX_SPARE {
            return;
        }
        tokio::spawn(async move {
            match Self::grant_on(&store, ttl_secs).await {
                Ok(granted) => spare
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(granted),
                Err(e) => tracing::debug!("granting a spare lease failed: {e}"),
            }
        });
    }
}
