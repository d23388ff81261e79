//! The three-way merge of two nodes' schema changes, key by key.

use std::collections::{BTreeMap, BTreeSet};

use super::flat::{self, Flat, Key};
use super::{Document, Schema};

/// How many dropped objects a document remembers; the oldest are forgotten
/// first. A node that missed more drops than this (or a store restored from
/// an older snapshot) brings the forgotten ones back as empty objects rather
/// than dropping anything.
pub const MAX_DROPPED: usize = 1000;

/// What [`merge`] produced, and the conflicts it settled.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Merged {
    pub document: Document,
    /// Objects both sides changed differently; the remote side won.
    pub conflicts: Vec<Key>,
}

/// Three-way merge of `local` and `remote`, both descended from `base`;
/// `next_version` is the version the result will be stored as (it dates the
/// drops it records).
///
/// Per key (a database, a policy, each of its fields, a database's default,
/// a query): a side that left it as in `base` takes the other side's value,
/// so independent changes all survive — concurrent changes to different
/// fields of one policy too — and a drop propagates. When both changed it
/// differently, a drop beats a change, and otherwise the remote (already
/// stored) value wins — every node settles the same way.
///
/// An object in `base` that `remote` lacks was dropped only if `remote`
/// lists it as dropped (or is a format-version 1 document, which lists
/// nothing): otherwise the store lost it (wiped, or restored from an older
/// snapshot) and the merge keeps it.
pub fn merge(base: &Schema, local: &Schema, remote: &Document, next_version: u64) -> Merged {
    let b = flat::flatten(base);
    let l = flat::flatten(local);
    let mut r = flat::flatten(&remote.schema);
    if let Some(dropped) = &remote.dropped {
        let lost: Vec<(Key, flat::Value)> = b
            .iter()
            .filter(|(k, _)| !r.contains_key(k) && !is_dropped(dropped, k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        r.extend(lost);
    }
    let mut conflicts = Vec::new();
    let mut merged = Flat::new();
    for key in keys(&b, &l, &r) {
        let (bv, lv, rv) = (b.get(key), l.get(key), r.get(key));
        let value = match pick(bv, lv, rv) {
            Some(settled) => settled,
            None => {
                conflicts.push(key.clone());
                // A drop beats a change; otherwise the remote side wins.
                if lv.is_some() { rv } else { None }
            }
        };
        if let Some(v) = value {
            merged.insert(key.clone(), v.clone());
        }
    }
    flat::tidy(&mut merged, &r);
    let mut dropped = remote.dropped.clone().unwrap_or_default();
    dropped.retain(|k, _| !merged.contains_key(k));
    for key in b.keys().chain(r.keys()) {
        let outermost_gone = key.object() == *key
            && !merged.contains_key(key)
            && key.parent().is_none_or(|p| merged.contains_key(&p));
        if outermost_gone {
            dropped.entry(key.clone()).or_insert(next_version);
        }
    }
    forget_oldest(&mut dropped, next_version);
    Merged {
        document: Document {
            schema: flat::unflatten(&merged),
            dropped: Some(dropped),
        },
        conflicts,
    }
}

/// Whether `key`'s object, or one it lies within, is listed as dropped.
pub fn is_dropped(dropped: &BTreeMap<Key, u64>, key: &Key) -> bool {
    key.objects().any(|o| dropped.contains_key(&o))
}

/// Trims `dropped` to [`MAX_DROPPED`], oldest first — but never the drops
/// of the version being written, however many there are.
fn forget_oldest(dropped: &mut BTreeMap<Key, u64>, next_version: u64) {
    if dropped.len() <= MAX_DROPPED {
        return;
    }
    let mut by_age: Vec<(u64, Key)> = dropped
        .iter()
        .filter(|(_, v)| **v < next_version)
        .map(|(k, v)| (*v, k.clone()))
        .collect();
    by_age.sort();
    let excess = dropped.len() - MAX_DROPPED;
    for (_, k) in by_age.into_iter().take(excess) {
        dropped.remove(&k);
    }
}

/// The three-way rule: `Some(choice)` when at most one side changed,
/// `None` when both changed differently.
fn pick<T: PartialEq>(base: Option<T>, local: Option<T>, remote: Option<T>) -> Option<Option<T>> {
    if local == remote || local == base {
        Some(remote)
    } else if remote == base {
        Some(local)
    } else {
        None
    }
}

fn keys<'a>(a: &'a Flat, b: &'a Flat, c: &'a Flat) -> BTreeSet<&'a Key> {
    a.keys().chain(b.keys()).chain(c.keys()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::RetentionPolicy;

    /// A schema from a compact spelling: `"db"` is a database with no policies
    /// yet; `"db.rp=30d"` a policy; `"db.rp=30d*"` the default
    /// one; `"db:cq=TEXT"` a continuous query.
    fn s(items: &[&str]) -> Schema {
        let mut schema = Schema::default();
        for item in items {
            if let Some((db, rest)) = item.split_once(':') {
                let (cq, text) = rest.split_once('=').unwrap();
                let d = schema.databases.entry(db.into()).or_default();
                d.continuous_queries.insert(cq.into(), text.into());
            } else if let Some((db, rest)) = item.split_once('.') {
                let (rp, duration) = rest.split_once('=').unwrap();
                let default = duration.ends_with('*');
                let d = schema.databases.entry(db.into()).or_default();
                d.retention_policies.insert(
                    rp.into(),
                    RetentionPolicy {
                        duration: duration.trim_end_matches('*').into(),
                        shard_duration: "24h0m0s".into(),
                        replication: 1,
                        default,
                    },
                );
            } else {
                schema.databases.entry(item.to_string()).or_default();
            }
        }
        schema
    }

    /// (what, base, local, remote, merged, conflicts)
    type Case<'a> = (
        &'a str,
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
        usize,
    );

    /// A current-format document of `schema` that lists `dropped`.
    fn doc(schema: Schema, dropped: &[Key]) -> Document {
        Document {
            schema,
            dropped: Some(dropped.iter().map(|k| (k.clone(), 1)).collect()),
        }
    }

    fn db(name: &str) -> Key {
        Key::Database(name.into())
    }

    #[test]
    fn three_way_merge() {
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // (what, base, local, remote, merged, conflicts)
            ("nothing changed", &["a"], &["a"], &["a"], &["a"], 0),
            ("local create is pushed", &[], &["a"], &[], &["a"], 0),
            ("remote create is adopted", &[], &[], &["a"], &["a"], 0),
            ("different creates both survive", &[], &["a"], &["b"], &["a", "b"], 0),
            ("the same create on both", &[], &["a.r=1h*"], &["a.r=1h*"], &["a.r=1h*"], 0),
            ("remote drop propagates", &["a", "b"], &["a", "b"], &["a"], &["a"], 0),
            ("local drop propagates", &["a", "b"], &["a"], &["a", "b"], &["a"], 0),
            ("both dropped", &["a"], &[], &[], &[], 0),
            ("an empty new node deletes nothing", &[], &[], &["a.r=1h*", "a:q=Q"], &["a.r=1h*", "a:q=Q"], 0),
            ("policies added to one database on two nodes",
                &["a.r=1h*"], &["a.r=1h*", "a.x=2h"], &["a.r=1h*", "a.y=3h"],
                &["a.r=1h*", "a.x=2h", "a.y=3h"], 0),
            ("a policy altered locally, a query added remotely",
                &["a.r=1h*"], &["a.r=5h*"], &["a.r=1h*", "a:q=Q"], &["a.r=5h*", "a:q=Q"], 0),
            ("both altered one field: remote wins",
                &["a.r=1h*"], &["a.r=2h*"], &["a.r=3h*"], &["a.r=3h*"], 1),
            ("both changed one query: remote wins",
                &["a.r=1h*", "a:q=A"], &["a.r=1h*", "a:q=B"], &["a.r=1h*", "a:q=C"], &["a.r=1h*", "a:q=C"], 1),
            ("a drop beats a concurrent change",
                &["a.r=1h*"], &["a.r=1h*", "a.x=2h"], &[], &[], 0),
            ("a dropped policy beats a concurrent alter",
                &["a.r=1h*", "a.x=2h"], &["a.r=1h*"], &["a.r=1h*", "a.x=9h"], &["a.r=1h*"], 1),
            ("the default moves on one node",
                &["a.r=1h*", "a.x=2h"], &["a.r=1h", "a.x=2h*"], &["a.r=1h*", "a.x=2h"], &["a.r=1h", "a.x=2h*"], 0),
            ("the default moved differently on both: remote wins",
                &["a.r=1h*", "a.x=2h", "a.y=3h"], &["a.r=1h", "a.x=2h*", "a.y=3h"],
                &["a.r=1h", "a.x=2h", "a.y=3h*"], &["a.r=1h", "a.x=2h", "a.y=3h*"], 1),
            ("a default that was dropped is no default",
                &["a.r=1h*", "a.x=2h"], &["a.x=2h"], &["a.r=1h*", "a.x=2h"], &["a.x=2h"], 0),
            ("a reserved database is never merged", &[], &["_internal"], &["_internal", "a"], &["a"], 0),
        ];
        for (what, base, local, remote, want, conflicts) in cases {
            // A format-version 1 remote: anything missing counts as dropped.
            let remote = Document {
                schema: s(remote),
                dropped: None,
            };
            let got = merge(&s(base), &s(local), &remote, 2);
            assert_eq!(got.document.schema, s(want), "{what}");
            assert_eq!(
                got.conflicts.len(),
                *conflicts,
                "{what}: {:?}",
                got.conflicts
            );
        }
    }

    #[test]
    fn concurrent_changes_to_different_fields_of_one_policy_all_survive() {
        let base = s(&["a.r=1h*"]);
        // `base` with policy a.r changed by `change`.
        let altered = |change: fn(&mut RetentionPolicy)| {
            let mut s = base.clone();
            change(
                s.databases
                    .get_mut("a")
                    .unwrap()
                    .retention_policies
                    .get_mut("r")
                    .unwrap(),
            );
            s
        };
        let duration = altered(|rp| rp.duration = "9h".into());
        let shard = altered(|rp| rp.shard_duration = "1h0m0s".into());
        let replication = altered(|rp| rp.replication = 3);
        // Each node merges its change into what the previous one stored.
        let v1 = merge(&base, &duration, &Document::new(base.clone()), 1).document;
        let v2 = merge(&base, &shard, &v1, 2).document;
        let v3 = merge(&base, &replication, &v2, 3).document;
        let rp = &v3.schema.databases["a"].retention_policies["r"];
        assert_eq!(
            (
                rp.duration.as_str(),
                rp.shard_duration.as_str(),
                rp.replication,
                rp.default
            ),
            ("9h", "1h0m0s", 3, true)
        );
    }

    #[test]
    fn drops_are_recorded_and_only_recorded_drops_propagate() {
        let base = s(&["a", "b", "c.r=1h*", "c.x=2h"]);
        // Node one drops `a` and policy `c.x`: both are recorded, dated.
        let local = s(&["b", "c.r=1h*"]);
        let v1 = merge(&base, &local, &doc(base.clone(), &[]), 7).document;
        assert_eq!(v1.schema, local);
        let dropped = v1.dropped.clone().unwrap();
        assert_eq!(
            dropped.into_iter().collect::<Vec<_>>(),
            [(db("a"), 7), (Key::Policy("c".into(), "x".into()), 7)]
        );
        // A node that still has both follows the recorded drops.
        let other = merge(&base, &base, &v1, 8).document;
        assert_eq!(other.schema, local);
        // The store went back (wiped: an empty current-format document): what
        // the base has and the store lost is kept, and written back.
        let wiped = merge(&base, &base, &Document::new(Schema::default()), 1).document;
        assert_eq!(wiped.schema, base);
        // After the wipe someone dropped `b`: that drop is not undone by a node
        // whose base predates the wipe.
        let after = doc(s(&["a", "c.r=1h*", "c.x=2h"]), &[db("b")]);
        let stale = merge(&base, &base, &after, 3).document;
        assert_eq!(stale.schema, s(&["a", "c.r=1h*", "c.x=2h"]));
        // A database created again is no longer listed as dropped.
        let again = merge(&local, &s(&["a", "b", "c.r=1h*"]), &v1, 9).document;
        assert!(!again.dropped.unwrap().contains_key(&db("a")));
    }

    #[test]
    fn the_oldest_drops_are_forgotten_first() {
        let mut dropped = BTreeMap::new();
        for i in 0..(MAX_DROPPED as u64 + 5) {
            dropped.insert(db(&format!("d{i:05}")), i + 1);
        }
        let remote = Document {
            schema: s(&["x"]),
            dropped: Some(dropped),
        };
        let merged = merge(&s(&["x"]), &s(&[]), &remote, 99_999).document;
        let kept = merged.dropped.unwrap();
        assert_eq!(kept.len(), MAX_DROPPED);
        assert!(kept.contains_key(&db("x")), "the newest drop is kept");
        assert!(!kept.contains_key(&db("d00000")), "the oldest is forgotten");
        // Drops of one round are all kept, even past the limit.
        let many: Vec<String> = (0..MAX_DROPPED + 200).map(|i| format!("x{i:05}")).collect();
        let names: Vec<&str> = many.iter().map(String::as_str).collect();
        let base = s(&names);
        let merged = merge(&base, &s(&[]), &Document::new(base.clone()), 5).document;
        assert_eq!(merged.dropped.unwrap().len(), MAX_DROPPED + 200);
    }

    #[test]
    fn merging_is_settled_the_same_way_on_every_node() {
        // Two nodes resolving the same concurrent edits reach one schema.
        let base = s(&["a.r=1h*"]);
        let one = s(&["a.r=1h*", "b"]);
        let two = s(&["a.r=2h*"]);
        let start = Document::new(base.clone());
        let stored = merge(&base, &one, &start, 1).document; // node one wrote first
        let on_two = merge(&base, &two, &stored, 2).document; // node two merges and writes
        let on_one = merge(&stored.schema, &stored.schema, &on_two, 3).document; // node one adopts
        assert_eq!(on_one.schema, on_two.schema);
        assert_eq!(on_two.schema, s(&["a.r=2h*", "b"]));
    }
}
