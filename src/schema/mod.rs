//! The schema document the agent keeps in a cluster's metadata: every
//! database with its retention policies and continuous queries, as InfluxDB
//! reports them, and the objects dropped lately. Also the three-way [`merge`]
//! of two nodes' changes and the [`plan`] of InfluxQL statements that takes a
//! server from one schema to another, both worked key by key on the [`flat`]
//! form.
//!
//! ```json
//! {"format":"cflux.influxdb-schema","format-version":2,
//!  "databases":{"telegraf":{
//!    "retention-policies":{"autogen":{"duration":"0s","shard-duration":"168h0m0s",
//!                                      "replication":1,"default":true}},
//!    "continuous-queries":{"cq_1h":"CREATE CONTINUOUS QUERY cq_1h ON telegraf BEGIN … END"}}},
//!  "dropped":[{"database":"old","version":12}]}
//! ```

pub mod flat;
mod merge;
mod plan;

pub use merge::{MAX_DROPPED, Merged, is_dropped, merge};
pub use plan::{Plan, Statement, plan, quote};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use flat::Key;

/// The format marker of the document.
pub const FORMAT: &str = "cflux.influxdb-schema";
/// Version 2 added `dropped`; version 1 documents are still read.
pub const FORMAT_VERSION: u64 = 2;
pub const CONTENT_TYPE: &str = "application/json";
/// Databases InfluxDB keeps for itself: never read, planned or synchronised,
/// whatever a document says.
pub const RESERVED: &[&str] = &["_internal"];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub databases: BTreeMap<String, Database>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Database {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub retention_policies: BTreeMap<String, RetentionPolicy>,
    /// Name → the canonical text `SHOW CONTINUOUS QUERIES` returns.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub continuous_queries: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RetentionPolicy {
    /// As InfluxDB prints it (`168h0m0s`; `0s` is infinite).
    pub duration: String,
    pub shard_duration: String,
    pub replication: u64,
    pub default: bool,
}

/// A cluster's schema document: the schema, and what was dropped from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub schema: Schema,
    /// Dropped objects (databases, policies, queries) with the version that
    /// dropped them. An object a node still has, or a store that went back
    /// lost, comes back unless it is listed here. `None` for a format-version
    /// 1 document, in which anything missing counts as dropped.
    pub dropped: Option<BTreeMap<Key, u64>>,
}

/// The document as JSON.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Wire {
    format: String,
    format_version: u64,
    #[serde(flatten)]
    schema: Schema,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dropped: Option<Vec<Dropped>>,
}

/// One entry of `dropped`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Dropped {
    database: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retention_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    continuous_query: Option<String>,
    version: u64,
}

impl Dropped {
    fn key(self) -> Result<(Key, u64), String> {
        let key = match (self.retention_policy, self.continuous_query) {
            (None, None) => Key::Database(self.database),
            (Some(p), None) => Key::Policy(self.database, p),
            (None, Some(q)) => Key::Query(self.database, q),
            (Some(_), Some(_)) => {
                return Err("a dropped entry names a policy and a query".into());
            }
        };
        Ok((key, self.version))
    }

    fn of(key: &Key, version: u64) -> Option<Dropped> {
        let (database, retention_policy, continuous_query) = match key {
            Key::Database(d) => (d.clone(), None, None),
            Key::Policy(d, p) => (d.clone(), Some(p.clone()), None),
            Key::Query(d, q) => (d.clone(), None, Some(q.clone())),
            Key::PolicyField(..) | Key::Default(_) => return None,
        };
        Some(Dropped {
            database,
            retention_policy,
            continuous_query,
            version,
        })
    }
}

impl Document {
    /// A current-format document of `schema` with nothing dropped.
    pub fn new(schema: Schema) -> Document {
        Document {
            schema,
            dropped: Some(BTreeMap::new()),
        }
    }

    /// Compact JSON, written as a current-format document.
    pub fn to_bytes(&self) -> Vec<u8> {
        let dropped = self
            .dropped
            .iter()
            .flatten()
            .filter_map(|(k, v)| Dropped::of(k, *v))
            .collect();
        let wire = Wire {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema: self.schema.clone(),
            dropped: Some(dropped),
        };
        serde_json::to_vec(&wire).expect("schemas serialise")
    }

    /// Parses a document, refusing anything that is not one (for example
    /// the original client's binary protobuf) with a reason.
    pub fn parse(bytes: &[u8]) -> Result<Document, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(
            |_| "it is not JSON (the original ClusterFlux client stores binary protobuf)",
        )?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(format!("it has no \"format\": \"{FORMAT}\" marker"));
        }
        let wire: Wire =
            serde_json::from_value(value).map_err(|e| format!("it is malformed: {e}"))?;
        let dropped = match wire.format_version {
            1 if wire.dropped.is_none() => None,
            FORMAT_VERSION => Some(
                wire.dropped
                    .unwrap_or_default()
                    .into_iter()
                    .map(Dropped::key)
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(format!(
                    "it is format-version {other}, this agent understands 1 and {FORMAT_VERSION}"
                ));
            }
        };
        wire.schema.validate()?;
        Ok(Document {
            schema: wire.schema,
            dropped,
        })
    }
}

impl Schema {
    /// The schema of a document (see [`Document::parse`]).
    pub fn from_document(bytes: &[u8]) -> Result<Schema, String> {
        Document::parse(bytes).map(|d| d.schema)
    }

    /// Values that end up inside statements must be what they claim to be.
    fn validate(&self) -> Result<(), String> {
        for (db, d) in &self.databases {
            for (name, rp) in &d.retention_policies {
                for value in [&rp.duration, &rp.shard_duration] {
                    if !is_duration(value) {
                        return Err(format!(
                            "retention policy {db}.{name}: bad duration {value:?}"
                        ));
                    }
                }
            }
            for (name, text) in &d.continuous_queries {
                check_query(db, name, text)
                    .map_err(|why| format!("continuous query {db}.{name}: {why}"))?;
            }
        }
        Ok(())
    }
}

/// A query's text must be one `CREATE CONTINUOUS QUERY` statement for the
/// name and database it is filed under: it is run as it is on every node.
fn check_query(db: &str, name: &str, text: &str) -> Result<(), String> {
    let rest = text.trim_start();
    let prefix = "CREATE CONTINUOUS QUERY";
    if !rest
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    {
        return Err("not a CREATE CONTINUOUS QUERY statement".into());
    }
    let (ident, rest) = identifier(&rest[prefix.len()..]).ok_or("no query name")?;
    if ident != name {
        return Err(format!("the statement names query {ident:?}"));
    }
    let rest = rest.trim_start();
    if !rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("ON ")) {
        return Err("no ON clause after the name".into());
    }
    let (on, rest) = identifier(&rest[3..]).ok_or("no database after ON")?;
    if on != db {
        return Err(format!("the statement is ON database {on:?}"));
    }
    // One statement: no `;` outside quotes.
    let mut quote = None;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, ';') => return Err("more than one statement".into()),
            _ => {}
        }
    }
    Ok(())
}

/// An InfluxQL identifier, bare or double-quoted (with `\\`, `\"` and `\n`
/// escapes), after optional spaces; and what follows it.
fn identifier(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(quoted) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((out, &quoted[i + 1..])),
                '\\' => match chars.next()?.1 {
                    'n' => out.push('\n'),
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        return None;
    }
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| (s[..end].to_string(), &s[end..]))
}

/// `168h0m0s`, `7d`, `INF`: digits and unit letters only.
fn is_duration(s: &str) -> bool {
    s.eq_ignore_ascii_case("inf")
        || (!s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_digit() || "nuµmshdw".contains(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_texts_are_one_statement_for_their_own_name_and_database() {
        let ok = |db, name, text| check_query(db, name, text);
        assert_eq!(
            ok(
                "d",
                "q",
                "CREATE CONTINUOUS QUERY q ON d BEGIN SELECT 1 END"
            ),
            Ok(())
        );
        assert_eq!(
            ok(
                "a b",
                "c\nq",
                r#"CREATE CONTINUOUS QUERY "c\nq" ON "a b" BEGIN SELECT ';' END"#
            ),
            Ok(())
        );
        assert!(
            ok(
                "d",
                "q",
                "CREATE CONTINUOUS QUERY q ON d BEGIN SELECT 1 END; DROP DATABASE d"
            )
            .is_err()
        );
        assert!(
            ok(
                "d",
                "q",
                "CREATE CONTINUOUS QUERY q ON other BEGIN SELECT 1 END"
            )
            .is_err()
        );
        assert!(
            ok(
                "d",
                "q",
                "CREATE CONTINUOUS QUERY x ON d BEGIN SELECT 1 END"
            )
            .is_err()
        );
        assert!(ok("d", "q", "DROP DATABASE d").is_err());
    }

    /// README's size figure: a database with a 20-character name and one
    /// policy costs about 134 bytes, so 1 MiB holds some 7,800 of them.
    #[test]
    fn a_mebibyte_holds_7800_small_databases() {
        let mut schema = Schema::default();
        for i in 0..7800 {
            let d = schema.databases.entry(format!("size_{i:014}")).or_default();
            d.retention_policies.insert(
                "autogen".into(),
                RetentionPolicy {
                    duration: "0s".into(),
                    shard_duration: "168h0m0s".into(),
                    replication: 1,
                    default: true,
                },
            );
        }
        let bytes = Document::new(schema).to_bytes().len();
        assert!(bytes <= 1 << 20, "{bytes} bytes");
        assert!(
            bytes > 1_000_000,
            "{bytes} bytes: the README figure is stale"
        );
    }
}
