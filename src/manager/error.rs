//! The error type of the manager's services (registry, metadata, hub).
//!
//! It says what went wrong in terms an API caller understands; the HTTP layer
//! maps each variant to a status code (`server::error`).

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed or breaks a limit.
    #[error("{0}")]
    Invalid(String),
    /// A body is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// A quota is used up (a cluster's node cap); retrying much later may work.
    #[error("{0}")]
    Quota(String),
    /// The store did not answer (in time); retrying later may work.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or corrupt data.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::Unavailable(_) | StoreError::LeaseNotFound => {
                Error::Unavailable(e.to_string())
            }
            StoreError::Compacted { .. } | StoreError::Other(_) => Error::Internal(e.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Milliseconds since the Unix epoch, the unit of every stored timestamp.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A stored timestamp as RFC 3339 with milliseconds, for JSON output.
pub fn rfc3339(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_millis(t).to_string()
}
