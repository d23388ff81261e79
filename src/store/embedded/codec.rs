//! How the store sits in its redb file: the tables, each record's encoding
//! (its revisions, version and lease before the value), and loading the
//! durable state when the store opens.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use redb::{Database, ReadableTable, TableDefinition};

use super::{LeaseState, State, StoreResult, db_err};
use crate::store::KeyValue;

pub(super) const KV: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");
pub(super) const META: TableDefinition<&str, i64> = TableDefinition::new("meta");
pub(super) const LEASES: TableDefinition<i64, i64> = TableDefinition::new("leases");

/// Bytes of bookkeeping stored before each value.
const HEADER: usize = 32;

pub(super) fn encode(kv: &KeyValue) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + kv.value.len());
    for n in [kv.create_revision, kv.mod_revision, kv.version, kv.lease] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&kv.value);
    out
}

pub(super) fn decode(key: &[u8], raw: &[u8]) -> StoreResult<KeyValue> {
    if raw.len() < HEADER {
        return Err(db_err("corrupt record"));
    }
    let n = |i: usize| i64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    Ok(KeyValue {
        key: key.to_vec(),
        value: raw[HEADER..].to_vec(),
        create_revision: n(0),
        mod_revision: n(1),
        version: n(2),
        lease: n(3),
    })
}

/// Reads the durable state and rebuilds the in-memory lease index.
pub(super) fn load(db: &Database) -> anyhow::Result<State> {
    let w = db.begin_write()?;
    let (revision, next_lease, leases) = {
        let mut meta = w.open_table(META)?;
        let lease_table = w.open_table(LEASES)?;
        let mut kv = w.open_table(KV)?;
        let revision = meta.get("revision")?.map(|v| v.value()).unwrap_or(0);
        let next_lease = meta.get("next-lease")?.map(|v| v.value()).unwrap_or(1);
        let now = Instant::now();
        let mut leases = HashMap::new();
        for row in lease_table.iter()? {
            let (id, ttl) = row?;
            let ttl = ttl.value();
            leases.insert(
                id.value(),
                LeaseState {
                    ttl,
                    expires: now + Duration::from_secs(ttl as u64),
                    keys: BTreeSet::new(),
                    persisted: true,
                },
            );
        }
        let mut orphans = Vec::new();
        for row in kv.iter()? {
            let (k, v) = row?;
            let rec = decode(k.value(), v.value())?;
            if rec.lease != 0 {
                match leases.get_mut(&rec.lease) {
                    Some(l) => {
                        l.keys.insert(rec.key);
                    }
                    None => orphans.push(rec.key),
                }
            }
        }
        // Keys whose lease was revoked in a crashed write are dropped, as the
        // revocation would have.
        for k in orphans {
            kv.remove(k.as_slice())?;
        }
        drop(lease_table);
        meta.insert("revision", revision)?;
        (revision, next_lease, leases)
    };
    w.commit()?;
    Ok(State {
        revision,
        next_lease,
        log_start: revision + 1,
        log: VecDeque::new(),
        log_bytes: 0,
        leases,
        unpersisted: Vec::new(),
    })
}
