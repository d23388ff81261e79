//! The HTTP contract between the manager and its clients: the JSON bodies
//! both sides read and write, the `Version` header, how a cluster name is
//! spelled in a path, the duration grammar of `?wait=` and of every
//! duration flag, and the long-poll jitter rule. The manager serves these
//! types and the client parses them; neither side's internals appear here,
//! and this module imports nothing else of cflux.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The header carrying metadata versions, as the original client expects.
pub const VERSION: &str = "version";

/// The content type of metadata bodies sent without one.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Bytes of a cluster name that stay literal in a path segment.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The longest cluster name, in characters (as JSON Schema's `maxLength`
/// counts them).
pub const MAX_CLUSTER_CHARS: usize = 128;

/// Checks a cluster name: 1 to [`MAX_CLUSTER_CHARS`] characters, no
/// control characters. The manager refuses others with 400; the client
/// verbs refuse them before sending anything.
pub fn check_cluster(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_CLUSTER_CHARS {
        return Err(format!(
            "cluster names are 1 to {MAX_CLUSTER_CHARS} characters; got {chars}"
        ));
    }
    if name.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(
            "cluster names may not contain control characters, line or paragraph separators, \
             or invisible format characters (bidi controls, zero-width, BOM)"
                .into(),
        );
    }
    Ok(())
}

/// Characters that change how text around them reads without showing: line
/// and paragraph separators, bidi controls, zero-width characters, the BOM,
/// the soft hyphen. Names that hold one could pass for another name, or
/// forge a log line.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// [`check_cluster`] as a clap value parser.
pub fn cluster_arg(name: &str) -> Result<String, String> {
    check_cluster(name).map(|()| name.to_string())
}

/// A cluster name as a path segment (`/nodes/{cluster}`), percent-encoded.
pub fn encode_cluster(name: &str) -> String {
    utf8_percent_encode(name, UNRESERVED).to_string()
}

/// A path segment back to the cluster name; `None` if it is not UTF-8. A
/// `+` is a plus.
pub fn decode_cluster(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Whether a `+` in the cluster segment of this request is a space. The
/// 2016 client escapes names with Go's `url.QueryEscape` (a space as `+`,
/// a plus as `%2B`) for node lists and metadata, but sends them unescaped
/// when it registers, heartbeats and leaves: there a `+` is the name's own.
/// [`encode_cluster`] writes `%2B` and `%20`, so cflux's client means the
/// same either way.
pub fn plus_is_space(method: &str, path: &str) -> bool {
    matches!(method, "GET" | "HEAD") || path.starts_with("/clusters/")
}

/// [`decode_cluster`] with `+` read as [`plus_is_space`] says.
pub fn decode_cluster_of(segment: &str, method: &str, path: &str) -> Option<String> {
    match plus_is_space(method, path) {
        true => decode_cluster(&segment.replace('+', " ")),
        false => decode_cluster(segment),
    }
}

/// A duration as flags and `?wait=` give it: `15s`, `500ms`, `1h30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration like 15s, 500ms or 1h30m: {e}"))
}

/// The most a manager adds at random to a long poll's wait, so polls parked
/// together do not all time out at once; a client allows for it.
pub fn max_poll_jitter(wait: Duration) -> Duration {
    wait / 16
}

// The doc comments of these types are their descriptions in /openapi.json,
// and `schema(as)` keeps the names that document was published with.

/// A node as the API shows it. Managers use the same shape without `cluster`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Node {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub hostname: String,
    pub ip: String,
    pub bind_address: String,
    /// The same value as `bind-address`: the original client's last version
    /// reads this spelling.
    #[serde(rename = "bindAddress")]
    pub bind_address_compat: String,
    pub alive: bool,
    /// Seconds a node stays alive without a heartbeat.
    pub ttl: u64,
    pub registered_at: String,
    pub last_seen: String,
    /// The software version: cflux's for managers, InfluxDB's for nodes
    /// whose agent reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The node's InfluxDB HTTP API, when its agent reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The cluster metadata version the node's agent last applied in full,
    /// as its heartbeats report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_version: Option<u64>,
    /// Present (`true`) while the node's applied version has trailed its
    /// cluster's for longer than the manager's `--drift-after`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drifting: bool,
}

/// An optional heartbeat body: what the node's agent has applied. An empty
/// heartbeat (the original client's) changes nothing of it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Heartbeat {
    /// The cluster metadata version this node has applied in full.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    #[schema(minimum = 0, maximum = 9223372036854775807_i64)]
    pub applied_version: Option<u64>,
}

/// A JSON integer as JSON Schema counts them (`3` or `3.0`) from 0 to
/// `i64::MAX`, or `null`.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= i64::MAX as f64)
            .map(|f| f as u64)
    });
    match whole {
        Some(v) if v <= i64::MAX as u64 => Ok(Some(v)),
        _ => Err(serde::de::Error::custom(format!(
            "{n} is not a whole number from 0 to 9223372036854775807"
        ))),
    }
}

/// The response header of `GET /nodes/{cluster}` holding the list's index:
/// send it back as `?index=` to wait until the list changes.
pub const NODES_INDEX: &str = "x-cflux-index";

/// `GET /nodes`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = NodesView)]
pub struct NodeList {
    pub cflux: Vec<Node>,
    pub influx: Vec<Node>,
}

/// `POST /nodes/{cluster}` bodies. The original client sends `bindAddress`
/// and no `Content-Type`; both spellings are accepted. Text fields are 1 to
/// 255 characters without spaces or control characters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = RegisterBody)]
pub struct Registration {
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\xad\u061c\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff]+$"
    )]
    pub hostname: String,
    /// Comma-joined IP addresses; the caller's address when left out or
    /// when it holds none (`""`).
    #[schema(
        max_length = 1024,
        pattern = r"^[ ,]*(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:)) *(, *(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:)) *)?)*)?$"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Where the node's cluster port answers; the caller's address when left out.
    #[serde(rename = "bind-address")]
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\xad\u061c\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff]+$"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_address: Option<String>,
    /// The original client's spelling of `bind-address`.
    #[serde(rename = "bindAddress")]
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\xad\u061c\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff]+$"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_address_camel: Option<String>,
    /// The software the node runs.
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\xad\u061c\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff]+$"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The node's InfluxDB HTTP API: `http://…` or `https://…`.
    #[schema(
        max_length = 255,
        pattern = r"^https?://[^\x00-\x20\x7f-\xa0\u1680\xad\u061c\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff]*$"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One entry of `GET /clusters`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = ClusterView)]
pub struct Cluster {
    pub cluster: String,
    /// `0`: no metadata yet.
    pub version: u64,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_at: Option<String>,
    pub nodes: u64,
    pub alive: u64,
}

/// A version without its body, as `GET /clusters/{c}/history` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = VersionInfo)]
pub struct VersionSummary {
    pub version: u64,
    pub size: u64,
    pub content_type: String,
    pub written_at: String,
    /// Who wrote it: the name of the writer's token, or its IP address on
    /// a manager without tokens. Absent on versions stored before cflux
    /// recorded writers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable reason.
    #[schema(example = "bad_request")]
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}
