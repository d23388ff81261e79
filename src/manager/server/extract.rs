//! Request parsing shared by the handlers: path parameters, queries and
//! bodies, each failing with a JSON [`ApiError`].

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use utoipa::IntoParams;

use super::error::ApiError;
use crate::wire::{check_cluster, decode_cluster_of};

/// The path parameters of a route: `{cluster}`, `{id}`, `{version}`.
#[derive(Debug, Default)]
pub struct PathArgs {
    pub cluster: String,
    pub id: u64,
    pub version: u64,
}

impl<S: Send + Sync> FromRequestParts<S> for PathArgs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid path: {}", e.body_text())))?;
        let mut args = PathArgs::default();
        for (name, value) in &raw {
            match name {
                // Every route has the cluster second (`/nodes/{cluster}…`,
                // `/clusters/{cluster}…`); decoded from the raw segment, since
                // a `+` there may be a space (see `wire::plus_is_space`).
                "cluster" => {
                    let path = parts.uri.path();
                    let segment = path.split('/').nth(2).unwrap_or(value);
                    let name = decode_cluster_of(segment, parts.method.as_str(), path).ok_or_else(
                        || ApiError::bad_request("the cluster name is not UTF-8 once decoded"),
                    )?;
                    args.cluster = cluster_name(&name)?;
                }
                "id" => args.id = number("node id", value)?,
                "version" => args.version = number("version", value)?,
                _ => {}
            }
        }
        Ok(args)
    }
}

// The path parameters as the OpenAPI document describes them; requests are
// parsed by `PathArgs`, whose rules these repeat.

/// `{cluster}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "only describes the path in the OpenAPI document")]
pub struct ClusterPath {
    /// The cluster: 1 to 128 characters without control characters,
    /// percent-encoded in the path (`a%2Fb` is the cluster `a/b`).
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]+$"
    )]
    cluster: String,
}

/// `{id}`, beside [`ClusterPath`].
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "only describes the path in the OpenAPI document")]
pub struct IdPath {
    /// The node id the manager assigned at registration.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    id: u64,
}

/// `{version}` of a read, beside [`ClusterPath`].
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "only describes the path in the OpenAPI document")]
pub struct VersionPath {
    /// A metadata version; `0` means none yet.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    version: u64,
}

/// `{version}` of a write, beside [`ClusterPath`]: its next version must
/// fit too.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "only describes the path in the OpenAPI document")]
pub struct WritePath {
    /// The version the writer last read (`0`: none yet).
    #[param(minimum = 0, maximum = 9223372036854775806_i64)]
    version: u64,
}

/// Checks a percent-decoded cluster name.
pub fn cluster_name(name: &str) -> Result<String, ApiError> {
    check_cluster(name).map_err(ApiError::bad_request)?;
    Ok(name.to_string())
}

/// Parses a non-negative decimal number that fits an etcd revision.
pub fn number(what: &str, value: &str) -> Result<u64, ApiError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= i64::MAX as u64)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{what} must be a non-negative integer; got {value:?}"
            ))
        })
}

/// Maps a body-reading failure (too large, broken connection) to JSON.
pub fn body(result: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    result.map_err(|e| ApiError::rejection(e.status(), e.body_text()))
}

// Queries, form-encoded (`+` is a space).

/// `?empty=park|answer`: whether a poll ahead of an empty cluster parks.
pub fn park_empty(query: Option<&str>) -> Result<bool, ApiError> {
    let mut park = true;
    for (k, v) in form_pairs(query.unwrap_or("")) {
        if k == "empty" {
            park = match v.as_str() {
                "park" => true,
                "answer" => false,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "empty: {other:?} is not park or answer"
                    )));
                }
            };
        }
    }
    Ok(park)
}

/// `?index=N` of a node list: `0` when left out.
pub fn index_param(query: Option<&str>) -> Result<u64, ApiError> {
    let mut index = 0;
    for (k, v) in form_pairs(query.unwrap_or("")) {
        if k == "index" {
            index = number("index", &v)?;
        }
    }
    Ok(index)
}

/// `force=true` or `force=false` (a boolean, as the OpenAPI document says);
/// nothing else.
pub fn force(query: Option<&str>) -> Result<bool, ApiError> {
    let mut force = false;
    for (name, value) in form_pairs(query.unwrap_or("")) {
        force = match (name.as_str(), value.as_str()) {
            ("force", "true") => true,
            ("force", "false") => false,
            ("force", other) => {
                return Err(ApiError::bad_request(format!(
                    "force={other}: give force=true or force=false"
                )));
            }
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {other:?}: only force is known"
                )));
            }
        };
    }
    Ok(force)
}

/// `?wait=DUR` (`30s`, `1m`, or plain seconds), at most `max`, plus the
/// jitter of [`crate::wire::max_poll_jitter`]; `default` when not given.
pub fn wait_param(
    query: Option<&str>,
    default: Duration,
    max: Duration,
) -> Result<Duration, ApiError> {
    let mut wait = default;
    for (k, v) in form_pairs(query.unwrap_or("")) {
        if k == "wait" {
            wait = match v.parse::<u64>() {
                Ok(secs) => Duration::from_secs(secs),
                // Longer than any duration: the longest wait allowed.
                Err(_) if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() => Duration::MAX,
                Err(_) => match humantime::parse_duration(v.trim()) {
                    Ok(d) => d,
                    Err(humantime::DurationError::NumberOverflow) => Duration::MAX,
                    Err(e) => {
                        return Err(ApiError::bad_request(format!(
                            "wait: {v:?} is not a duration like 30, 15s, 500ms or 1h30m: {e}"
                        )));
                    }
                },
            };
        }
    }
    let wait = wait.min(max);
    let jitter_ms = fastrand::u64(0..=crate::wire::max_poll_jitter(wait).as_millis() as u64);
    Ok(wait + Duration::from_millis(jitter_ms))
}

fn form_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(k), decode(v))
    })
}
