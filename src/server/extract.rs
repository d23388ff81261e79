//! Request parsing shared by the handlers: path parameters and bodies, each
//! failing with a JSON [`ApiError`].

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use super::error::ApiError;

/// Longest cluster name, in bytes.
pub const MAX_CLUSTER_BYTES: usize = 128;

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
                "cluster" => args.cluster = cluster_name(value)?,
                "id" => args.id = number("node id", value)?,
                "version" => args.version = number("version", value)?,
                _ => {}
            }
        }
        Ok(args)
    }
}

/// Checks a percent-decoded cluster name.
pub fn cluster_name(name: &str) -> Result<String, ApiError> {
    if name.is_empty() || name.len() > MAX_CLUSTER_BYTES {
        return Err(ApiError::bad_request(format!(
            "cluster names are 1 to {MAX_CLUSTER_BYTES} bytes; got {}",
            name.len()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "cluster names may not contain control characters",
        ));
    }
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
