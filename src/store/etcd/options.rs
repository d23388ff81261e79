//! How to reach etcd: its endpoints, TLS files and user. The manager's
//! configuration fills these in from its flags and file; the store only
//! reads them, so it knows nothing of how they were given.

use std::path::PathBuf;

use crate::tls::KeyPair;

/// How to reach etcd: endpoints, TLS and authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EtcdConfig {
    /// `http://host:port` or, all of them, `https://host:port`.
    pub endpoints: Vec<String>,
    /// CA for https endpoints (required with them).
    pub cacert: Option<PathBuf>,
    /// Client certificate and key, for members started with
    /// `--client-cert-auth`.
    pub identity: Option<KeyPair>,
    /// User and password, for an etcd with authentication enabled.
    pub user: Option<EtcdUser>,
}

impl EtcdConfig {
    /// Plain endpoints, no TLS, no user.
    pub fn plain(endpoints: Vec<String>) -> EtcdConfig {
        EtcdConfig {
            endpoints,
            ..Default::default()
        }
    }

    pub fn uses_tls(&self) -> bool {
        self.endpoints.iter().any(|e| e.starts_with("https://"))
    }
}

/// An etcd user; the password never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct EtcdUser {
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for EtcdUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}
