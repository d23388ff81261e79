//! Node and manager ids: `u64`s from 1, allocated atomically in the store.
//!
//! One counter serves every cluster and every manager sharing the store, so an
//! id names one member for good and is never handed out twice — even after the
//! member is forgotten.

use crate::error::{Error, Result};
use crate::keys;
use crate::store::{Compare, Op, Store, Txn};

/// How many times a contended allocation is retried before giving up.
const ATTEMPTS: usize = 64;

/// Allocates the next id with a compare-and-set on the counter key. A lost
/// race returns the counter's current value, so each retry costs one round
/// trip.
pub async fn allocate(store: &dyn Store) -> Result<u64> {
    let key = keys::next_id();
    let (mut current, _) = store.get(&key).await?;
    for _ in 0..ATTEMPTS {
        let (last, mod_rev) = match &current {
            Some(kv) => (parse(&kv.value)?, kv.mod_revision),
            None => (0, 0),
        };
        let next = last
            .checked_add(1)
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
        "too many concurrent registrations; retry".into(),
    ))
}

fn parse(value: &[u8]) -> Result<u64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Internal("the id counter holds a non-number".into()))
}
