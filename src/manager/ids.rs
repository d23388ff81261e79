//! Node and manager ids: `u64`s from 1, allocated atomically in the store.
//!
//! One counter serves every cluster and every manager sharing the store, so an
//! id names one member for good and is never handed out twice — even after the
//! member is forgotten. Registrations take ids from a block of [`BLOCK`] that
//! their manager reserved with one compare-and-set ([`Ids`]), so a
//! registration rarely pays for the counter; ids a manager reserved but did
//! not hand out before it stopped are skipped, never reused.

use std::ops::Range;

use crate::manager::error::{Error, Result};
use crate::manager::keys;
use crate::store::{Compare, Op, Store, Txn};

/// How many times a contended allocation is retried before giving up.
const ATTEMPTS: usize = 64;

/// Ids reserved per round trip to the counter.
pub const BLOCK: u64 = 100;

/// A manager's reserved ids.
#[derive(Default)]
pub struct Ids {
    block: tokio::sync::Mutex<Range<u64>>,
}

impl Ids {
    /// The next reserved id, reserving a new block when they are used up.
    /// Concurrent callers wait for one reservation instead of racing.
    pub async fn next(&self, store: &dyn Store) -> Result<u64> {
        let mut block = self.block.lock().await;
        if block.is_empty() {
            let last = reserve(store, BLOCK).await?;
            *block = last + 1 - BLOCK..last + 1;
        }
        Ok(block.next().expect("a non-empty block"))
    }
}

/// Allocates one id (a manager's own, once per start).
pub async fn allocate(store: &dyn Store) -> Result<u64> {
    reserve(store, 1).await
}

/// Moves the counter on by `n` with a compare-and-set and returns its new
/// value, the last id reserved. A lost race returns the counter's current
/// value, so each retry costs one round trip.
async fn reserve(store: &dyn Store, n: u64) -> Result<u64> {
    let key = keys::next_id();
    let (mut current, _) = store.get(&key).await?;
    for _ in 0..ATTEMPTS {
        let (last, mod_rev) = match &current {
            Some(kv) => (parse(&kv.value)?, kv.mod_revision),
            None => (0, 0),
        };
        let next = last
            .checked_add(n)
            .ok_or_else(|| Error::Internal("node id counter overflowed".into()))?;
        let r = store
            .txn(
                Txn::new()
                    .when(Compare::ModRevisionEquals(key.clone(), mod_rev))
                    .then(Op::put(key.clone(), next.to_string()))
                    .or_else(Op::get(key.clone())),
            )
            .await?;
        if r.succeeded {
            return Ok(next);
        }
        current = r.got(0).cloned();
    }
    Err(Error::Unavailable(
        "too many concurrent id reservations; retry".into(),
    ))
}

fn parse(value: &[u8]) -> Result<u64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Internal("the id counter holds a non-number".into()))
}
