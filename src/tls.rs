//! TLS in one place: the crypto provider (ring, the one tonic already builds
//! for etcd), the manager's server certificate, and the HTTP clients' trust.
//!
//! Every `reqwest` client of the crate is built through [`http_client`]:
//! reqwest is compiled without a provider of its own and refuses to build a
//! client before one is installed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use anyhow::{Context, anyhow, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Installs ring as the process's default rustls provider (once; later
/// calls and a provider installed by someone else are fine).
pub fn install_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A `reqwest` client builder (trusting the system's roots for https).
pub fn http_client() -> reqwest::ClientBuilder {
    install_provider();
    reqwest::Client::builder()
}

/// `builder`, trusting only the certificates of `cacert` (a PEM bundle, as
/// `curl --cacert`).
pub fn trusting(
    builder: reqwest::ClientBuilder,
    cacert: &Path,
) -> anyhow::Result<reqwest::ClientBuilder> {
    let pem = std::fs::read(cacert)
        .with_context(|| format!("cannot read the CA file {}", cacert.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| anyhow!("{}: not a PEM certificate bundle: {e}", cacert.display()))?;
    if certs.is_empty() {
        bail!("{}: no certificate in it", cacert.display());
    }
    Ok(builder.tls_certs_only(certs))
}

/// The certificate chain and private key a TLS server presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl KeyPair {
    /// Reads both files (PEM), so that a bad path or a key that does not
    /// fit the certificate stops the manager at start.
    pub fn server_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        install_provider();
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| anyhow!("--tls-cert {}: {e}", self.cert.display()))?;
        if chain.is_empty() {
            bail!("--tls-cert {}: no certificate in it", self.cert.display());
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .map_err(|e| anyhow!("--tls-key {}: {e}", self.key.display()))?;
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| anyhow!("--tls-cert/--tls-key: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_garbled_files_are_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let pair = KeyPair {
            cert: junk.clone(),
            key: dir.path().join("absent.key"),
        };
        let e = pair.server_config().unwrap_err().to_string();
        assert!(e.contains("junk.pem"), "{e}");
        let e = trusting(http_client(), &dir.path().join("absent.pem"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("absent.pem"), "{e}");
        let e = trusting(http_client(), &junk).unwrap_err().to_string();
        assert!(e.contains("junk.pem"), "{e}");
        assert!(http_client().build().is_ok());
    }
}
