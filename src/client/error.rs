//! What can go wrong talking to a manager ([`ClientError`]), the exit code
//! each failure means to a verb, and the turning of an API's error answer
//! into one.

use super::Version;
use crate::exit::{CliError, Exit};
use crate::wire::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No endpoint accepted a connection.
    /// `managers`: "the manager at URL", or "any manager" when several
    /// were tried (`reason` then names each).
    #[error("cannot reach {managers}: {reason}")]
    Unreachable { managers: String, reason: String },
    /// The manager answered with an error.
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// A metadata write was based on a stale version.
    #[error(
        "version conflict: the stored version is {version}; fetch it, re-apply the change and write again"
    )]
    Conflict { version: u64, doc: Option<Version> },
    /// The client's own options are unusable (an unreadable CA file).
    #[error("{0}")]
    Config(String),
    /// The manager's answer made no sense (wrong JSON, missing header).
    #[error("unexpected answer from the manager: {0}")]
    Protocol(String),
}

impl ClientError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Api { status: 404, .. })
    }

    /// Whether trying again later may succeed: the manager was away, cut the
    /// answer short, or said so with a 5xx/429. 4xx answers are final.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } | ClientError::Protocol(_) => true,
            ClientError::Api { status, .. } => *status >= 500 || *status == 429,
            ClientError::Conflict { .. } | ClientError::Config(_) => false,
        }
    }
}

/// The exit code of a verb that failed with this error.
impl From<ClientError> for CliError {
    fn from(e: ClientError) -> CliError {
        let exit = match &e {
            ClientError::Config(_) => Exit::Usage,
            ClientError::Conflict { .. } => Exit::Conflict,
            e if e.is_not_found() => Exit::NotFound,
            ClientError::Unreachable { .. } => Exit::Unreachable,
            _ => Exit::Failure,
        };
        CliError::new(exit, e.to_string())
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// The innermost cause of an error, the part worth showing (e.g.
/// "Connection refused" rather than "error sending request").
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Passes 2xx answers through; turns error answers into [`ClientError::Api`].
pub(super) async fn ok(resp: reqwest::Response) -> Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let bytes = resp.bytes().await.unwrap_or_default();
    // Not the API's error body (a proxy's page, say): the status and the text.
    let detail = serde_json::from_slice::<ErrorBody>(&bytes)
        .map(|body| body.error)
        .unwrap_or_else(|_| ErrorDetail {
            code: "unknown".into(),
            message: format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes).trim()),
        });
    Err(ClientError::Api {
        status: status.as_u16(),
        code: detail.code,
        message: detail.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_exit_with_the_client_table_codes() {
        let api = |status| ClientError::Api {
            status,
            code: String::new(),
            message: String::new(),
        };
        let exit = |e: ClientError| CliError::from(e).exit;
        assert_eq!(exit(api(404)), Exit::NotFound);
        assert_eq!(exit(api(400)), Exit::Failure);
        assert_eq!(exit(api(503)), Exit::Failure);
        let conflict = ClientError::Conflict {
            version: 3,
            doc: None,
        };
        assert_eq!(exit(conflict), Exit::Conflict);
        let down = ClientError::Unreachable {
            managers: String::new(),
            reason: String::new(),
        };
        assert_eq!(exit(down), Exit::Unreachable);
        assert_eq!(exit(ClientError::Config(String::new())), Exit::Usage);
    }
}
