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

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct End {
    entries: u64,
    crc32: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct EndLine {
    end: End,
}

/// Writes a snapshot line by line, keeping the checksum as it goes.
pub struct Encoder {
    crc: crc32fast::Hasher,
    entries: u64,
}

impl Encoder {
    /// The encoder and the header's line.
    pub fn start(header: &Header) -> (Encoder, Vec<u8>) {
        let mut e = Encoder {
            crc: crc32fast::Hasher::new(),
            entries: 0,
        };
        let line = e.line(header);
        (e, line)
    }

    pub fn entry(&mut self, entry: &Entry) -> Vec<u8> {
        self.entries += 1;
        self.line(entry)
    }

    /// The end line.
    pub fn finish(self) -> Vec<u8> {
        let end = EndLine {
            end: End {
                entries: self.entries,
                crc32: format!("{:08x}", self.crc.finalize()),
            },
        };
        let mut line = serde_json::to_vec(&end).expect("end lines serialise");
        line.push(b'\n');
        line
    }

    fn line(&mut self, value: &impl Serialize) -> Vec<u8> {
        let mut line = serde_json::to_vec(value).expect("snapshot lines serialise");
        line.push(b'\n');
        self.crc.update(&line);
        line
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

    /// Reads and verifies a snapshot file's bytes; the error is one line
    /// saying what is wrong with it.
    pub fn read(bytes: &[u8]) -> Result<Snapshot, String> {
        let mut lines = bytes.split_inclusive(|b| *b == b'\n');
        let first = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or("the file is empty")?;
        let header_value: Value = serde_json::from_slice(first)
            .map_err(|_| "not a cflux snapshot (its first line is not JSON)".to_string())?;
        if header_value["format"] != FORMAT {
            return Err("not a cflux snapshot (no \"format\": \"cflux-snapshot\")".into());
        }
        let format_version = header_value["format-version"].as_u64().unwrap_or(0);
        if format_version > u64::from(FORMAT_VERSION) {
            return Err(format!(
                "written by a newer cflux (snapshot format {format_version}; this cflux reads up to {FORMAT_VERSION}): upgrade cflux to read it"
            ));
        }
        let header: Header = serde_json::from_value(header_value)
            .map_err(|e| format!("corrupt: line 1, the header: {e}"))?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(first);
        let mut entries = Vec::new();
        for (n, line) in lines.enumerate() {
            let at = n + 2;
            if !line.ends_with(b"\n") {
                return Err(format!("truncated: line {at} is cut short"));
            }
            if let Ok(end) = serde_json::from_slice::<EndLine>(line) {
                let rest = bytes.len() - offset_after(bytes, line);
                if rest != 0 {
                    return Err(format!("corrupt: {rest} bytes after the end line"));
                }
                let sum = format!("{:08x}", crc.finalize());
                if end.end.crc32 != sum {
                    return Err(format!(
                        "corrupt: the checksum is {sum}, the file says {}",
                        end.end.crc32
                    ));
                }
                if end.end.entries != entries.len() as u64 {
                    return Err(format!(
                        "corrupt: {} entries, the file says {}",
                        entries.len(),
                        end.end.entries
                    ));
                }
                return Ok(Snapshot { header, entries });
            }
            crc.update(line);
            let entry: Entry =
                serde_json::from_slice(line).map_err(|e| format!("corrupt: line {at}: {e}"))?;
            if let Some(Err(e)) = entry.body() {
                return Err(format!("corrupt: line {at}: {e}"));
            }
            entries.push(entry);
        }
        Err(format!(
            "truncated: no end line after {} entries",
            entries.len()
        ))
    }

    /// Whether the entries fit together: one id counter at or past every
    /// node id, no node or head twice, a head for every version and the
    /// body of every head's version, no version past its head.
    pub fn check(&self) -> Result<(), String> {
        let mut counters = Vec::new();
        let mut nodes = std::collections::BTreeSet::new();
        let mut heads = BTreeMap::new();
        let mut versions = std::collections::BTreeSet::new();
        for e in &self.entries {
            match e {
                Entry::NextId(n) => counters.push(*n),
                Entry::Node { cluster, id, .. } => {
                    if !nodes.insert((cluster.as_str(), *id)) {
                        return Err(format!("node {id} of {cluster:?} is listed twice"));
                    }
                }
                Entry::Head {
                    cluster, version, ..
                } => {
                    if heads.insert(cluster.as_str(), *version).is_some() {
                        return Err(format!("{cluster:?} has two heads"));
                    }
                }
                Entry::Version {
                    cluster, version, ..
                } => {
                    if !versions.insert((cluster.as_str(), *version)) {
                        return Err(format!("version {version} of {cluster:?} is listed twice"));
                    }
                }
            }
        }
        let [counter] = counters[..] else {
            return Err(format!("{} id counters (one is needed)", counters.len()));
        };
        if let Some((cluster, id)) = nodes.iter().find(|(_, id)| *id > counter) {
            return Err(format!(
                "node {id} of {cluster:?} is past the id counter ({counter})"
            ));
        }
        for (cluster, version) in &versions {
            match heads.get(cluster) {
                None => return Err(format!("version {version} of {cluster:?} has no head")),
                Some(head) if version > head => {
                    return Err(format!(
                        "version {version} of {cluster:?} is past its head ({head})"
                    ));
                }
                Some(_) => {}
            }
        }
        for (cluster, version) in &heads {
            if !versions.contains(&(*cluster, *version)) {
                return Err(format!(
                    "the head of {cluster:?} (version {version}) has no body"
                ));
            }
        }
        Ok(())
    }

    /// What it holds, cluster by cluster.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            created_at: self.header.created_at.clone(),
            store: self.header.store.clone(),
            format_version: self.header.format_version,
            next_id: 0,
            nodes: 0,
            clusters: Vec::new(),
        };
        let mut clusters: BTreeMap<String, ClusterSummary> = BTreeMap::new();
        for e in &self.entries {
            let (Entry::Node { cluster, .. }
            | Entry::Head { cluster, .. }
            | Entry::Version { cluster, .. }) = e
            else {
                if let Entry::NextId(n) = e {
                    s.next_id = *n;
                }
                continue;
            };
            let c = clusters
                .entry(cluster.clone())
                .or_insert_with(|| ClusterSummary {
                    cluster: cluster.clone(),
                    ..ClusterSummary::default()
                });
            match e {
                Entry::Node { .. } => {
                    s.nodes += 1;
                    c.nodes += 1;
                }
                Entry::Head { version, .. } => c.version = *version,
                Entry::Version { version, body, .. } => {
                    c.versions_kept += 1;
                    c.oldest_kept = Some(c.oldest_kept.map_or(*version, |o| o.min(*version)));
                    let padding = body.bytes().rev().take_while(|b| *b == b'=').count();
                    c.bytes += (body.len() / 4 * 3 - padding) as u64;
                }
                Entry::NextId(_) => {}
            }
        }
        s.clusters = clusters.into_values().collect();
        s
    }
}

/// The offset just past `line`, a slice of `bytes`.
fn offset_after(bytes: &[u8], line: &[u8]) -> usize {
    line.as_ptr() as usize - bytes.as_ptr() as usize + line.len()
}

/// `cflux snapshot inspect`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    pub created_at: String,
    pub store: String,
    pub format_version: u32,
    pub next_id: u64,
    pub nodes: u64,
    pub clusters: Vec<ClusterSummary>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClusterSummary {
    pub cluster: String,
    /// The current metadata version (0: none).
    pub version: u64,
    pub versions_kept: u64,
    pub oldest_kept: Option<u64>,
    /// The bytes of the kept versions' bodies.
    pub bytes: u64,
    pub nodes: u64,
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
        let lines: Vec<&str> = text.lines().collect();
        let without_end = lines[..lines.len() - 1].join("\n") + "\n";
        assert!(
            Snapshot::read(without_end.as_bytes())
                .unwrap_err()
                .contains("no end line")
        );
        let flipped = text.replacen("\"prod\"", "\"prud\"", 1);
        assert!(
            Snapshot::read(flipped.as_bytes())
                .unwrap_err()
                .contains("checksum")
        );
        let newer = text.replacen("\"format-version\":1", "\"format-version\":9", 1);
        assert!(
            Snapshot::read(newer.as_bytes())
                .unwrap_err()
                .contains("newer cflux")
        );
        assert!(Snapshot::read(b"").unwrap_err().contains("empty"));
        assert!(
            Snapshot::read(b"hello\n")
                .unwrap_err()
                .contains("not a cflux snapshot")
        );
        let garbage = text.replacen("{\"next-id\":101}", "{\"next-id\":\"x\"}", 1);
        assert!(
            Snapshot::read(garbage.as_bytes())
                .unwrap_err()
                .contains("line 2")
        );
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
