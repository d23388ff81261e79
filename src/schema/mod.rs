//! The schema document the agent keeps in a cluster's metadata: every
//! database with its retention policies and continuous queries, as InfluxDB
//! reports them. Also the three-way [`merge`] of two nodes' changes and the
//! [`plan`] of InfluxQL statements that turns one schema into another.
//!
//! ```json
//! {"format": "cflux.influxdb-schema", "format-version": 1,
//!  "databases": {"telegraf": {
//!    "retention-policies": {"autogen": {"duration": "0s", "shard-duration": "168h0m0s",
//!                                       "replication": 1, "default": true}},
//!    "continuous-queries": {"cq_1h": "CREATE CONTINUOUS QUERY cq_1h ON telegraf BEGIN … END"}}}}
//! ```

mod merge;
mod plan;

pub use merge::{Merged, merge};
pub use plan::{plan, quote};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The format marker of the document.
pub const FORMAT: &str = "cflux.influxdb-schema";
pub const FORMAT_VERSION: u64 = 1;
pub const CONTENT_TYPE: &str = "application/json";
/// InfluxDB's own database, never synchronised.
pub const INTERNAL: &str = "_internal";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub databases: BTreeMap<String, Database>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Database {
    #[serde(default)]
    pub retention_policies: BTreeMap<String, RetentionPolicy>,
    /// Name → the canonical text `SHOW CONTINUOUS QUERIES` returns.
    #[serde(default)]
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

/// The document around a [`Schema`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Document {
    format: String,
    format_version: u64,
    #[serde(flatten)]
    schema: Schema,
}

impl Schema {
    /// The document's bytes.
    pub fn to_document(&self) -> Vec<u8> {
        let doc = Document {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema: self.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&doc).expect("schemas serialise");
        bytes.push(b'\n');
        bytes
    }

    /// Parses a document, refusing anything that is not one (for example
    /// the original client's binary protobuf) with a reason.
    pub fn from_document(bytes: &[u8]) -> Result<Schema, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(
            |_| "it is not JSON (the original ClusterFlux client stores binary protobuf)",
        )?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(format!("it has no \"format\": \"{FORMAT}\" marker"));
        }
        let doc: Document =
            serde_json::from_value(value).map_err(|e| format!("it is malformed: {e}"))?;
        if doc.format_version != FORMAT_VERSION {
            return Err(format!(
                "it is format-version {}, this agent understands {FORMAT_VERSION}",
                doc.format_version
            ));
        }
        doc.schema.validate()?;
        Ok(doc.schema)
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
                let upper = text.trim_start().to_ascii_uppercase();
                if !upper.starts_with("CREATE CONTINUOUS QUERY") {
                    return Err(format!(
                        "continuous query {db}.{name}: not a CREATE CONTINUOUS QUERY statement"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The name of `db`'s default retention policy.
    pub(crate) fn default_rp(&self, db: &str) -> Option<&str> {
        let d = self.databases.get(db)?;
        d.retention_policies
            .iter()
            .find(|(_, rp)| rp.default)
            .map(|(n, _)| n.as_str())
    }
}

/// `168h0m0s`, `7d`, `INF`: digits and unit letters only.
fn is_duration(s: &str) -> bool {
    s.eq_ignore_ascii_case("inf")
        || (!s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_digit() || "nuµmshdw".contains(c)))
}
