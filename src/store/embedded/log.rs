//! The change log: every committed batch, kept in memory (bounded) for
//! watches from past revisions, and broadcast to live watchers.

use std::sync::Arc;

use futures::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::{Batch, Shared, State};
use crate::store::{Event, Result, Revision, StoreError, WatchStream};

/// The change log kept for watches from past revisions.
pub(super) const LOG_MAX_BATCHES: usize = 100_000;
pub(super) const LOG_MAX_BYTES: usize = 64 << 20;
/// Batches a live watcher may fall behind by before its watch is broken.
pub(super) const WATCH_BUFFER: usize = 4096;

impl Shared {
    /// Records a committed batch and tells live watchers about it.
    pub(super) fn publish(&self, state: &mut State, batch: Batch) {
        if batch.events.is_empty() {
            return;
        }
        let batch = Arc::new(batch);
        state.log_bytes += batch_bytes(&batch);
        state.log.push_back(batch.clone());
        while state.log.len() > LOG_MAX_BATCHES || state.log_bytes > LOG_MAX_BYTES {
            let Some(old) = state.log.pop_front() else {
                break;
            };
            state.log_bytes -= batch_bytes(&old);
            state.log_start = old.revision + 1;
        }
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(batch);
    }

    /// The changes under `prefix` from revision `start` on: the logged ones,
    /// then live ones.
    pub(super) fn watch(&self, prefix: &[u8], start: Revision) -> Result<WatchStream> {
        let state = self.lock();
        if start < state.log_start && start <= state.revision {
            return Err(StoreError::Compacted {
                requested: start,
                compacted: state.log_start - 1,
            });
        }
        let prefix = prefix.to_vec();
        let filter = move |b: &Batch| -> Option<Vec<Event>> {
            let events: Vec<Event> = b
                .events
                .iter()
                .filter(|e| e.kv.key.starts_with(&prefix))
                .cloned()
                .collect();
            (b.revision >= start && !events.is_empty()).then_some(events)
        };
        let backlog: Vec<Result<Vec<Event>>> =
            state.log.iter().filter_map(|b| filter(b)).map(Ok).collect();
        // Subscribing under the lock means no batch falls between the backlog
        // and the live feed.
        let live = BroadcastStream::new(self.events.subscribe());
        drop(state);
        let mut failed = false;
        let live = live
            .filter_map(move |item| {
                futures::future::ready(match item {
                    Ok(b) => filter(&b).map(Ok),
                    Err(BroadcastStreamRecvError::Lagged(n)) => Some(Err(StoreError::Unavailable(
                        format!("watch fell {n} changes behind"),
                    ))),
                })
            })
            // A lagged watch reports the error once and then ends.
            .take_while(move |item| {
                let keep = !failed;
                failed |= item.is_err();
                futures::future::ready(keep)
            });
        Ok(futures::stream::iter(backlog).chain(live).boxed())
    }

    /// Forgets logged changes before `revision`.
    pub(super) fn compact_log(&self, revision: Revision) {
        let mut state = self.lock();
        while state.log.front().is_some_and(|b| b.revision < revision) {
            let old = state.log.pop_front().expect("front exists");
            state.log_bytes -= batch_bytes(&old);
        }
        state.log_start = state.log_start.max(revision);
    }
}

fn batch_bytes(b: &Batch) -> usize {
    b.events
        .iter()
        .map(|e| e.kv.key.len() + e.kv.value.len() + 64)
        .sum()
}
