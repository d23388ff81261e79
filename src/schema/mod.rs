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
        let mut schema = wire.schema;
        schema.validate()?;
        schema.canonicalise_durations();
        Ok(Document { schema, dropped })
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

impl Schema {
    /// Durations as InfluxDB reports them (`7d` → `168h0m0s`, `INF` →
    /// `0s`), so a document written by hand compares equal to the servers
    /// that applied it instead of being applied again on every poll.
    fn canonicalise_durations(&mut self) {
        for rp in self
            .databases
            .values_mut()
            .flat_map(|d| d.retention_policies.values_mut())
        {
            for value in [&mut rp.duration, &mut rp.shard_duration] {
                if let Some(c) = canonical_duration(value) {
                    *value = c;
                }
            }
        }
    }
}

/// An InfluxQL duration (`1d12h`, `90m`, `INF`) the way InfluxDB prints it
/// (Go's `Duration::String`: `36h0m0s`, `1h30m0s`, `0s`); `None` for what is
/// not whole seconds or not a duration, which is left as written.
fn canonical_duration(s: &str) -> Option<String> {
    if s.eq_ignore_ascii_case("inf") {
        return Some("0s".into());
    }
    const UNITS: &[(&str, u128)] = &[
        ("ns", 1),
        ("us", 1_000),
        ("µs", 1_000),
        ("u", 1_000),
        ("µ", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000),
        ("w", 604_800_000_000_000),
    ];
    let mut rest = s;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u128 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // The longest unit that matches (`ms` before `m`).
        let (unit, scale) = UNITS
            .iter()
            .filter(|(u, _)| rest.starts_with(u))
            .max_by_key(|(u, _)| u.len())?;
        total = total.checked_add(n.checked_mul(*scale)?)?;
        rest = &rest[unit.len()..];
    }
    const SECOND: u128 = 1_000_000_000;
    if total % SECOND != 0 {
        return None;
    }
    let secs = total / SECOND;
    let (h, m, sec) = (secs / 3600, secs / 60 % 60, secs % 60);
    Some(if h > 0 {
        format!("{h}h{m}m{sec}s")
    } else if m > 0 {
        format!("{m}m{sec}s")
    } else {
        format!("{sec}s")
    })
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

    #[test]
    fn durations_are_read_as_influxdb_prints_them() {
        for (written, printed) in [
            ("7d", Some("168h0m0s")),
            ("INF", Some("0s")),
            ("0s", Some("0s")),
            ("1d12h", Some("36h0m0s")),
            ("90m", Some("1h30m0s")),
            ("30m", Some("30m0s")),
            ("45s", Some("45s")),
            ("2w", Some("336h0m0s")),
            ("168h0m0s", Some("168h0m0s")),
            ("1500ms", None),
            ("5x", None),
        ] {
            assert_eq!(canonical_duration(written).as_deref(), printed, "{written}");
        }
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
