//! The snapshot file: all of a manager's state at one store revision, as
//! `GET /snapshot` streams it and `cflux snapshot save|inspect|restore`
//! read it.
//!
//! JSON lines. The first is the [`Header`] (`"format": "cflux-snapshot"`,
//! its `format-version`, when and from which store), then one [`Entry`] per
//! line (the id counter, each node record, each cluster's metadata head and
//! every retained version), then `{"end": {"entries": N, "crc32": "…"}}`,
//! the CRC-32 of every byte before that line. A file without its end line
//! is truncated; one whose checksum or count differs is corrupt; one of a
//! newer format version is refused by name, never half-read.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod check;
mod lines;

pub use check::{ClusterSummary, Summary};
pub use lines::Encoder;

pub const FORMAT: &str = "cflux-snapshot";
/// The format this cflux writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    /// The cflux that wrote it.
    pub cflux_version: String,
    pub created_at: String,
    /// `etcd` or `embedded`.
    pub store: String,
    /// The store revision every entry was read at.
    pub revision: i64,
}

/// One piece of state, as the manager stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Entry {
    /// The last node or manager id handed out (or reserved).
    NextId(u64),
    /// A node's stored record (JSON, as the manager keeps it).
    Node {
        cluster: String,
        id: u64,
        record: Value,
    },
    /// A cluster's metadata head: its current version and summary.
    Head {
        cluster: String,
        version: u64,
        record: Value,
    },
    /// One retained metadata version.
    #[serde(rename_all = "kebab-case")]
    Version {
        cluster: String,
        version: u64,
        content_type: String,
        /// Milliseconds since the Unix epoch.
        written_at: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        written_by: Option<String>,
        /// The body, base64.
        body: String,
    },
}

impl Entry {
    /// A version entry's body, decoded.
    pub fn body(&self) -> Option<Result<Vec<u8>, String>> {
        match self {
            Entry::Version {
                body,
                cluster,
                version,
                ..
            } => Some(
                BASE64
                    .decode(body)
                    .map_err(|e| format!("version {version} of {cluster:?}: bad base64: {e}")),
            ),
            _ => None,
        }
    }

    pub fn version(
        cluster: &str,
        version: u64,
        content_type: &str,
        written_at: u64,
        written_by: Option<String>,
        body: &[u8],
    ) -> Entry {
        Entry::Version {
            cluster: cluster.to_string(),
            version,
            content_type: content_type.to_string(),
            written_at,
            written_by,
            body: BASE64.encode(body),
        }
    }
}

/// A snapshot read whole and verified.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub header: Header,
    pub entries: Vec<Entry>,
}

impl Snapshot {
    /// Encodes it, as [`Encoder`] would have.
    pub fn encode(&self) -> Vec<u8> {
        let (mut e, mut out) = Encoder::start(&self.header);
        for entry in &self.entries {
            out.extend(e.entry(entry));
        }
        out.extend(e.finish());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot {
            header: Header {
                format: FORMAT.into(),
                format_version: FORMAT_VERSION,
                cflux_version: "0.1.0".into(),
                created_at: "2026-12-01T00:00:00Z".into(),
                store: "embedded".into(),
                revision: 7,
            },
            entries: vec![
                Entry::NextId(101),
                Entry::Node {
                    cluster: "prod".into(),
                    id: 2,
                    record: serde_json::json!({"id": 2}),
                },
                Entry::Head {
                    cluster: "prod".into(),
                    version: 2,
                    record: serde_json::json!({"version": 2}),
                },
                Entry::version("prod", 1, "application/json", 5, None, b"{}"),
                Entry::version(
                    "prod",
                    2,
                    "application/json",
                    6,
                    Some("ops".into()),
                    b"{\"a\":1}",
                ),
            ],
        }
    }

    #[test]
    fn a_snapshot_reads_back_as_written() {
        let s = sample();
        let bytes = s.encode();
        assert_eq!(Snapshot::read(&bytes).unwrap(), s);
        let summary = s.summary();
        assert_eq!((summary.next_id, summary.nodes), (101, 1));
        let prod = &summary.clusters[0];
        assert_eq!(
            (
                prod.version,
                prod.versions_kept,
                prod.oldest_kept,
                prod.nodes
            ),
            (2, 2, Some(1), 1)
        );
    }

    #[test]
    fn damage_is_named() {
        let bytes = sample().encode();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let cut = &bytes[..bytes.len() - 30];
        assert!(
            Snapshot::read(cut).unwrap_err().starts_with("truncated"),
            "{:?}",
            Snapshot::read(cut)
        );
        let refused = |bytes: &[u8], says: &str| {
            let e = Snapshot::read(bytes).unwrap_err();
            assert!(e.contains(says), "{says:?} not in {e:?}");
        };
        let lines: Vec<&str> = text.lines().collect();
        let without_end = lines[..lines.len() - 1].join("\n") + "\n";
        refused(without_end.as_bytes(), "no end line");
        let flipped = text.replacen("\"prod\"", "\"prud\"", 1);
        refused(flipped.as_bytes(), "checksum");
        let newer = text.replacen("\"format-version\":1", "\"format-version\":9", 1);
        refused(newer.as_bytes(), "newer cflux");
        refused(b"", "empty");
        refused(b"hello\n", "not a cflux snapshot");
        let garbage = text.replacen("{\"next-id\":101}", "{\"next-id\":\"x\"}", 1);
        refused(garbage.as_bytes(), "line 2");
        let mut headless = sample();
        headless
            .entries
            .retain(|e| !matches!(e, Entry::Head { .. }));
        assert!(headless.check().unwrap_err().contains("has no head"));
        let mut bodiless = sample();
        bodiless.entries.pop();
        assert!(bodiless.check().unwrap_err().contains("has no body"));
        let mut twice = sample();
        twice.entries.push(Entry::NextId(3));
        assert!(twice.check().unwrap_err().contains("2 id counters"));
        assert_eq!(sample().check(), Ok(()));
        let extra = format!("{text}{{}}\n");
        assert!(
            Snapshot::read(extra.as_bytes())
                .unwrap_err()
                .contains("after the end line")
        );
    }
}
