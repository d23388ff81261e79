//! Forgetting: records of nodes dead for longer than `forget_after` are
//! removed by a periodic sweep, which also re-counts every cluster's nodes
//! for the cap.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::journal::Event;
use super::{Registry, records};
use crate::manager::error::{Result, now_ms};
use crate::manager::keys;
use crate::store::{Compare, Op, Txn};

impl Registry {
    /// Removes the records of nodes dead for longer than `forget_after`.
    pub async fn forget_lapsed(&self) -> Result<usize> {
        let prefix = keys::all_nodes();
        let ((kvs, _), live) = tokio::try_join!(self.store.range(&prefix), self.store.leases())?;
        let now = now_ms();
        let mut forgotten = 0;
        let mut counts: std::collections::HashMap<String, u64> = Default::default();
        for (kv, r, alive) in records(&kvs, &live)? {
            if alive || !self.forgotten(&r, now) {
                *counts.entry(r.cluster.clone()).or_default() += 1;
                continue;
            }
            // Only if nobody revived it meanwhile.
            let txn = Txn::new()
                .when(Compare::ModRevisionEquals(kv.key.clone(), kv.mod_revision))
                .then(Op::delete(kv.key.clone()));
            if self.store.txn(txn).await?.succeeded {
                self.beats.forget(&r.cluster, r.id);
                self.journal
                    .note(Event::Forgotten, &r.cluster, r.id, &r.hostname, None);
                forgotten += 1;
            }
        }
        *self.lock_counts() = counts;
        Ok(forgotten)
    }

    /// Runs [`Registry::forget_lapsed`] periodically until `shutdown`.
    pub async fn run_forgetter(self: Arc<Self>, shutdown: CancellationToken) {
        let every = (self.forget_after / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(e) = self.forget_lapsed().await {
                tracing::warn!("forgetting lapsed nodes failed: {e}");
            }
        }
    }
}
