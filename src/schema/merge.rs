//! The three-way merge of two nodes' schema changes.

use std::collections::{BTreeMap, BTreeSet};

use super::{Database, Schema};

/// What [`merge`] produced, and the conflicts it settled.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Merged {
    pub schema: Schema,
    /// Objects both sides changed differently; the remote side won.
    pub conflicts: Vec<String>,
}

/// Three-way merge of `local` and `remote`, both descended from `base`.
///
/// Per object (database, retention policy, continuous query, a database's
/// default policy): a side that left it as in `base` takes the other side's
/// version, so independent changes all survive and a drop propagates. When
/// both changed it differently, a drop beats a change, and otherwise the
/// remote (already stored) version wins — every node settles the same way.
pub fn merge(base: &Schema, local: &Schema, remote: &Schema) -> Merged {
    let mut conflicts = Vec::new();
    let mut databases = BTreeMap::new();
    for name in keys(&base.databases, &local.databases, &remote.databases) {
        let (b, l, r) = (
            base.databases.get(name),
            local.databases.get(name),
            remote.databases.get(name),
        );
        let merged = match pick(b, l, r) {
            Some(settled) => settled.cloned(),
            None => match (l, r) {
                (Some(l), Some(r)) => {
                    let empty = Database::default();
                    Some(merge_database(
                        name,
                        b.unwrap_or(&empty),
                        l,
                        r,
                        &mut conflicts,
                    ))
                }
                _ => None, // a drop beats a change
            },
        };
        if let Some(d) = merged {
            databases.insert(name.clone(), d);
        }
    }
    let mut schema = Schema { databases };
    // The default policy is one choice per database, merged on its own.
    let names: Vec<String> = schema.databases.keys().cloned().collect();
    for db in names {
        let (b, l, r) = (
            base.default_rp(&db),
            local.default_rp(&db),
            remote.default_rp(&db),
        );
        let chosen = match pick(b, l, r) {
            Some(settled) => settled,
            None => {
                conflicts.push(format!("default retention policy of {db}"));
                r
            }
        }
        .map(str::to_string);
        let d = schema.databases.get_mut(&db).expect("listed above");
        let chosen = chosen.filter(|c| d.retention_policies.contains_key(c));
        for (name, rp) in &mut d.retention_policies {
            rp.default = Some(name) == chosen.as_ref();
        }
    }
    Merged { schema, conflicts }
}

fn merge_database(
    db: &str,
    base: &Database,
    local: &Database,
    remote: &Database,
    conflicts: &mut Vec<String>,
) -> Database {
    Database {
        retention_policies: merge_leaves(
            &base.retention_policies,
            &local.retention_policies,
            &remote.retention_policies,
            &mut |name| conflicts.push(format!("retention policy {db}.{name}")),
        ),
        continuous_queries: merge_leaves(
            &base.continuous_queries,
            &local.continuous_queries,
            &remote.continuous_queries,
            &mut |name| conflicts.push(format!("continuous query {db}.{name}")),
        ),
    }
}

/// Merges maps whose values are not merged further.
fn merge_leaves<V: Clone + PartialEq>(
    base: &BTreeMap<String, V>,
    local: &BTreeMap<String, V>,
    remote: &BTreeMap<String, V>,
    conflict: &mut dyn FnMut(&str),
) -> BTreeMap<String, V> {
    let mut out = BTreeMap::new();
    for name in keys(base, local, remote) {
        let (b, l, r) = (base.get(name), local.get(name), remote.get(name));
        let merged = match pick(b, l, r) {
            Some(settled) => settled,
            None => {
                conflict(name);
                // A drop beats a change; otherwise the remote side wins.
                if l.is_some() { r } else { None }
            }
        };
        if let Some(v) = merged {
            out.insert(name.clone(), v.clone());
        }
    }
    out
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

fn keys<'a, V>(
    a: &'a BTreeMap<String, V>,
    b: &'a BTreeMap<String, V>,
    c: &'a BTreeMap<String, V>,
) -> BTreeSet<&'a String> {
    a.keys().chain(b.keys()).chain(c.keys()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::RetentionPolicy;

    /// A schema from a compact spelling: `"db"` is a database with InfluxDB's
    /// default `autogen`; `"db.rp=30d"` a policy; `"db.rp=30d*"` the default
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
            ("both altered one policy: remote wins",
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
        ];
        for (what, base, local, remote, want, conflicts) in cases {
            let got = merge(&s(base), &s(local), &s(remote));
            assert_eq!(got.schema, s(want), "{what}");
            assert_eq!(
                got.conflicts.len(),
                *conflicts,
                "{what}: {:?}",
                got.conflicts
            );
        }
    }

    #[test]
    fn merging_is_settled_the_same_way_on_every_node() {
        // Two nodes resolving the same concurrent edits reach one schema.
        let base = s(&["a.r=1h*"]);
        let one = s(&["a.r=1h*", "b"]);
        let two = s(&["a.r=2h*"]);
        let stored = merge(&base, &one, &base).schema; // node one wrote first
        let on_two = merge(&base, &two, &stored).schema; // node two merges and writes
        let on_one = merge(&stored, &stored, &on_two).schema; // node one adopts
        assert_eq!(on_one, on_two);
        assert_eq!(on_two, s(&["a.r=2h*", "b"]));
    }
}
