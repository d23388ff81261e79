//! TLS in one place: the crypto provider (ring, the one tonic already builds
//! for etcd), the manager's server certificate (reloaded when its files
//! change), and the HTTP clients' trust.
//!
//! Every `reqwest` client of the crate is built through [`http_client`]:
//! reqwest is compiled without a provider of its own and refuses to build a
//! client before one is installed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::{Context, anyhow, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_util::sync::CancellationToken;

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

/// Reads a PEM file of CA certificates (the value of `flag`), refusing one
/// with no certificate in it.
pub fn read_ca(flag: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    let pem = std::fs::read(path).map_err(|e| anyhow!("{flag} {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("{flag} {}: {e}", path.display()))?;
    if certs.is_empty() {
        bail!("{flag} {}: no PEM certificate in it", path.display());
    }
    Ok(pem)
}

/// The certificate chain and private key a TLS server presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl KeyPair {
    /// Reads the manager's own pair (`--tls-cert`, `--tls-key`).
    pub fn load(&self) -> anyhow::Result<Arc<CertifiedKey>> {
        self.load_as("--tls-cert", "--tls-key")
    }

    /// Reads both files (PEM), named in errors by the flags that gave
    /// them, and checks that the key belongs to the certificate.
    pub fn load_as(&self, cert_flag: &str, key_flag: &str) -> anyhow::Result<Arc<CertifiedKey>> {
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| anyhow!("{cert_flag} {}: {e}", self.cert.display()))?;
        if chain.is_empty() {
            bail!("{cert_flag} {}: no certificate in it", self.cert.display());
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .map_err(|e| anyhow!("{key_flag} {}: {e}", self.key.display()))?;
        let provider = rustls::crypto::ring::default_provider();
        let certified = CertifiedKey::from_der(chain, key, &provider)
            .map_err(|e| anyhow!("{cert_flag}/{key_flag}: {e}"))?;
        Ok(Arc::new(certified))
    }

    /// When either file last changed (`None` if it cannot be read now).
    fn stamp(&self) -> Option<(SystemTime, SystemTime)> {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        Some((modified(&self.cert)?, modified(&self.key)?))
    }

    /// A server configuration presenting this pair, and the handle that
    /// reloads it. Reading fails here, so a bad path or a key that does not
    /// fit the certificate stops the manager at start.
    pub fn server_config(&self) -> anyhow::Result<(Arc<rustls::ServerConfig>, Arc<ServerCert>)> {
        install_provider();
        let cert = Arc::new(ServerCert {
            pair: self.clone(),
            stamp: Mutex::new(self.stamp()),
            current: RwLock::new(self.load()?),
        });
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_cert_resolver(cert.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok((Arc::new(config), cert))
    }
}

/// The certificate a server presents, replaced when its files change, so
/// that a renewed certificate (certbot, cert-manager) is used without a
/// restart.
#[derive(Debug)]
pub struct ServerCert {
    pair: KeyPair,
    stamp: Mutex<Option<(SystemTime, SystemTime)>>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for ServerCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

impl ServerCert {
    /// Loads the files again if they changed since the last look. A pair
    /// that does not load (half written, a key of another certificate)
    /// leaves the current one in place and is tried again next time.
    /// Returns whether a new certificate is now presented.
    pub fn reload_if_changed(&self) -> anyhow::Result<bool> {
        let stamp = self.pair.stamp();
        let mut seen = self.stamp.lock().unwrap_or_else(|e| e.into_inner());
        if stamp.is_none() || stamp == *seen {
            return Ok(false);
        }
        let fresh = self.pair.load()?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        *seen = stamp;
        Ok(true)
    }

    /// Looks at the files every `every` until `stop` fires, telling
    /// `outcome` of each change it saw: `reloaded`, or `kept` when the new
    /// files did not load and the current certificate stays.
    pub async fn watch(
        self: Arc<Self>,
        every: Duration,
        stop: CancellationToken,
        outcome: impl Fn(&'static str) + Send + 'static,
    ) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            match self.reload_if_changed() {
                Ok(true) => {
                    tracing::info!(cert = %self.pair.cert.display(), "TLS certificate reloaded");
                    outcome("reloaded");
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!("keeping the current TLS certificate: {e:#}");
                    outcome("kept");
                }
            }
        }
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
