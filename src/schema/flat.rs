//! A schema as a flat map from each object to its value, so the merge, the
//! plan and the agent's bookkeeping can treat every object — a database, a
//! retention policy, each of a policy's fields, a database's default policy,
//! a continuous query — the same way, one key at a time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{RESERVED, RetentionPolicy, Schema};

/// One field of a retention policy, merged and altered on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    Duration,
    ShardDuration,
    Replication,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Duration, Field::ShardDuration, Field::Replication];

    pub fn name(self) -> &'static str {
        match self {
            Field::Duration => "duration",
            Field::ShardDuration => "shard duration",
            Field::Replication => "replication",
        }
    }
}

/// The address of one object of a schema. Keys sort by database first,
/// and a policy's fields right after it, so everything within an object is
/// one range of a [`Flat`] map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Key {
    Database(String),
    Policy(String, String),
    PolicyField(String, String, Field),
    /// Which policy is the database's default.
    Default(String),
    Query(String, String),
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Key {
    /// (database, kind, name, field): the database itself first, then its
    /// default, its policies each followed by their fields, its queries.
    fn sort_key(&self) -> (&str, u8, &str, Option<Field>) {
        match self {
            Key::Database(d) => (d, 0, "", None),
            Key::Default(d) => (d, 1, "", None),
            Key::Policy(d, p) => (d, 2, p, None),
            Key::PolicyField(d, p, f) => (d, 2, p, Some(*f)),
            Key::Query(d, q) => (d, 3, q, None),
        }
    }

    pub fn database(&self) -> &str {
        match self {
            Key::Database(d)
            | Key::Policy(d, _)
            | Key::PolicyField(d, _, _)
            | Key::Default(d)
            | Key::Query(d, _) => d,
        }
    }

    /// The object this key belongs to: itself for databases, policies and
    /// queries; the policy for a field; the database for its default.
    pub fn object(&self) -> Key {
        match self {
            Key::PolicyField(d, p, _) => Key::Policy(d.clone(), p.clone()),
            Key::Default(d) => Key::Database(d.clone()),
            other => other.clone(),
        }
    }

    /// The object that must exist for this key to exist.
    pub fn parent(&self) -> Option<Key> {
        match self {
            Key::Database(_) => None,
            Key::PolicyField(d, p, _) => Some(Key::Policy(d.clone(), p.clone())),
            Key::Policy(d, _) | Key::Default(d) | Key::Query(d, _) => {
                Some(Key::Database(d.clone()))
            }
        }
    }

    /// This key's object and the objects it lies within, innermost first.
    pub fn objects(&self) -> impl Iterator<Item = Key> {
        std::iter::successors(Some(self.object()), Key::parent)
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn is_within(&self, other: &Key) -> bool {
        self == other || self.parent().is_some_and(|p| p.is_within(other))
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Database(d) => write!(f, "database {d:?}"),
            Key::Policy(d, p) => write!(f, "retention policy {d:?}.{p:?}"),
            Key::PolicyField(d, p, field) => {
                write!(f, "{} of retention policy {d:?}.{p:?}", field.name())
            }
            Key::Default(d) => write!(f, "default retention policy of {d:?}"),
            Key::Query(d, q) => write!(f, "continuous query {d:?}.{q:?}"),
        }
    }
}

/// The value of one key; presence alone for databases and policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Present,
    Text(String),
    Number(u64),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Number(n) => n.to_string(),
            Value::Present => String::new(),
        }
    }
}

/// A schema, flattened.
pub type Flat = BTreeMap<Key, Value>;

/// Every object of `schema` but the databases InfluxDB reserves.
pub fn flatten(schema: &Schema) -> Flat {
    let mut flat = Flat::new();
    for (db, d) in &schema.databases {
        if RESERVED.contains(&db.as_str()) {
            continue;
        }
        flat.insert(Key::Database(db.clone()), Value::Present);
        for (name, rp) in &d.retention_policies {
            flat.insert(Key::Policy(db.clone(), name.clone()), Value::Present);
            let field = |f| Key::PolicyField(db.clone(), name.clone(), f);
            flat.insert(field(Field::Duration), Value::Text(rp.duration.clone()));
            flat.insert(
                field(Field::ShardDuration),
                Value::Text(rp.shard_duration.clone()),
            );
            flat.insert(field(Field::Replication), Value::Number(rp.replication));
            if rp.default {
                flat.insert(Key::Default(db.clone()), Value::Text(name.clone()));
            }
        }
        for (name, text) in &d.continuous_queries {
            flat.insert(
                Key::Query(db.clone(), name.clone()),
                Value::Text(text.clone()),
            );
        }
    }
    flat
}

/// Drops keys whose parent is gone and defaults that name no policy, and
/// gives a policy that lost a field (an inconsistent merge) the one from
/// `fallback`, so the result is always a schema InfluxDB could report.
pub fn tidy(flat: &mut Flat, fallback: &Flat) {
    let orphans: Vec<Key> = flat
        .keys()
        .filter(|k| std::iter::successors(k.parent(), Key::parent).any(|p| !flat.contains_key(&p)))
        .cloned()
        .collect();
    for k in orphans {
        flat.remove(&k);
    }
    let dangling: Vec<Key> = flat
        .iter()
        .filter_map(|(k, v)| match (k, v) {
            (Key::Default(d), Value::Text(p))
                if !flat.contains_key(&Key::Policy(d.clone(), p.clone())) =>
            {
                Some(k.clone())
            }
            _ => None,
        })
        .collect();
    for k in dangling {
        flat.remove(&k);
    }
    let policies: Vec<(String, String)> = flat
        .keys()
        .filter_map(|k| match k {
            Key::Policy(d, p) => Some((d.clone(), p.clone())),
            _ => None,
        })
        .collect();
    for (d, p) in policies {
        for f in Field::ALL {
            let key = Key::PolicyField(d.clone(), p.clone(), f);
            let fallback = fallback.get(&key).cloned();
            flat.entry(key).or_insert_with(|| {
                fallback.unwrap_or(match f {
                    Field::Replication => Value::Number(1),
                    _ => Value::Text("0s".into()),
                })
            });
        }
    }
}

/// The schema of a flat map (as tidied by [`tidy`]).
pub fn unflatten(flat: &Flat) -> Schema {
    let mut schema = Schema::default();
    for (key, value) in flat {
        match key {
            Key::Database(d) => {
                schema.databases.entry(d.clone()).or_default();
            }
            Key::Policy(d, p) => {
                let get = |f| flat.get(&Key::PolicyField(d.clone(), p.clone(), f));
                let rp = RetentionPolicy {
                    duration: get(Field::Duration).map(Value::text).unwrap_or_default(),
                    shard_duration: get(Field::ShardDuration)
                        .map(Value::text)
                        .unwrap_or_default(),
                    replication: match get(Field::Replication) {
                        Some(Value::Number(n)) => *n,
                        _ => 1,
                    },
                    default: flat.get(&Key::Default(d.clone())) == Some(&Value::Text(p.clone())),
                };
                schema
                    .databases
                    .entry(d.clone())
                    .or_default()
                    .retention_policies
                    .insert(p.clone(), rp);
            }
            Key::Query(d, q) => {
                schema
                    .databases
                    .entry(d.clone())
                    .or_default()
                    .continuous_queries
                    .insert(q.clone(), value.text());
            }
            Key::PolicyField(..) | Key::Default(_) => {}
        }
    }
    schema
}

/// The keys of `flat` that lie within `object` (one range of the map).
pub fn within<'a>(flat: &'a Flat, object: &'a Key) -> impl Iterator<Item = (&'a Key, &'a Value)> {
    flat.range(object.clone()..)
        .take_while(move |(k, _)| k.is_within(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_round_trips_and_leaves_reserved_databases_out() {
        let mut schema = Schema::default();
        let d = schema.databases.entry("d".into()).or_default();
        d.retention_policies.insert(
            "week".into(),
            RetentionPolicy {
                duration: "168h0m0s".into(),
                shard_duration: "24h0m0s".into(),
                replication: 2,
                default: true,
            },
        );
        d.continuous_queries
            .insert("q\nx".into(), "CREATE CONTINUOUS QUERY …".into());
        schema.databases.entry("empty".into()).or_default();
        let mut with_internal = schema.clone();
        with_internal
            .databases
            .entry("_internal".into())
            .or_default();
        let flat = flatten(&with_internal);
        assert_eq!(flat.len(), 8, "{flat:?}");
        assert_eq!(unflatten(&flat), schema);
    }

    #[test]
    fn everything_within_an_object_is_one_range() {
        let d = |s: &str| s.to_string();
        let mut flat = Flat::new();
        for k in [
            Key::Query(d("a"), d("q")),
            Key::PolicyField(d("a"), d("p"), Field::Duration),
            Key::Database(d("b")),
            Key::Policy(d("a"), d("p")),
            Key::Default(d("a")),
            Key::Database(d("a")),
            Key::Policy(d("a"), d("o")),
        ] {
            flat.insert(k, Value::Present);
        }
        let a = Key::Database(d("a"));
        assert_eq!(within(&flat, &a).count(), 6);
        let p = Key::Policy(d("a"), d("p"));
        assert_eq!(within(&flat, &p).count(), 2);
    }

    #[test]
    fn tidying_removes_orphans_and_dangling_defaults() {
        let mut flat = Flat::new();
        flat.insert(Key::Policy("gone".into(), "p".into()), Value::Present);
        flat.insert(Key::Database("d".into()), Value::Present);
        flat.insert(Key::Default("d".into()), Value::Text("nope".into()));
        flat.insert(Key::Policy("d".into(), "p".into()), Value::Present);
        tidy(&mut flat, &Flat::new());
        assert!(!flat.contains_key(&Key::Policy("gone".into(), "p".into())));
        assert!(!flat.contains_key(&Key::Default("d".into())));
        assert_eq!(
            flat.get(&Key::PolicyField(
                "d".into(),
                "p".into(),
                Field::Replication
            )),
            Some(&Value::Number(1)),
            "a policy always has every field"
        );
    }
}
