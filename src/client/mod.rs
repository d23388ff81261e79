//! The typed HTTP client of the manager API, used by the client verbs (and
//! by the agent): one place that knows paths, status codes and bodies.
//!
//! Several endpoints may be given; a request that cannot connect to one
//! tries the next, and the client remembers which one last answered.
//!
//! The client side of cflux lives under this module: [`follow`] turns long
//! polls into a stream of versions, and [`cmd`] holds the client verbs. It
//! knows the manager only through [`crate::wire`], never its internals.

pub mod cmd;
mod connection;
mod error;
pub mod follow;

pub use connection::{Connection, HEADING};
use error::ok;
pub(crate) use error::root_cause;
pub use error::{ClientError, Result};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::wire::{
    Cluster, Heartbeat, NODES_INDEX, Node, NodeList, Registration, VersionSummary, encode_cluster,
};

/// One version of a cluster's metadata as fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub version: u64,
    pub content_type: String,
    pub body: Bytes,
}

pub struct Client {
    http: reqwest::Client,
    endpoints: Vec<String>,
    /// Index of the endpoint that answered last.
    current: AtomicUsize,
    timeout: Duration,
}

/// `/nodes/{cluster}` with the name percent-encoded.
fn cluster_path(prefix: &str, cluster: &str, rest: &str) -> String {
    format!("{prefix}/{}{rest}", encode_cluster(cluster))
}

/// `Authorization: Bearer TOKEN` (marked sensitive, so never logged), or
/// nothing without a token.
pub fn auth_headers(token: Option<&str>) -> Result<reqwest::header::HeaderMap> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| {
                ClientError::Protocol("the token has characters a header cannot carry".into())
            })?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    Ok(headers)
}

impl Client {
    /// A client of the connection's endpoints (base URLs), sending its
    /// token and trusting its CA; its timeout bounds ordinary requests.
    pub fn new(connection: &Connection) -> Result<Client> {
        let Connection {
            endpoint,
            timeout,
            token,
            cacert,
        } = connection;
        let timeout = *timeout;
        let endpoints: Vec<String> = endpoint
            .iter()
            .map(|e| e.trim().trim_end_matches('/').to_string())
            .filter(|e| !e.is_empty())
            .collect();
        if endpoints.is_empty() {
            return Err(ClientError::Config(
                "--endpoint: no manager URL given".into(),
            ));
        }
        for e in &endpoints {
            let url = reqwest::Url::parse(e).ok();
            let usable = url
                .as_ref()
                .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if !usable {
                return Err(ClientError::Config(format!(
                    "--endpoint {e}: give a manager URL like http://{}",
                    e.split("://").last().unwrap_or(e)
                )));
            }
        }
        let mut builder = crate::tls::http_client()
            .no_proxy()
            .default_headers(auth_headers(token.as_deref())?)
            .connect_timeout(timeout.min(Duration::from_secs(5)));
        if let Some(cacert) = cacert {
            builder = crate::tls::trusting(builder, cacert)
                .map_err(|e| ClientError::Config(format!("--cacert: {e:#}")))?;
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(Client {
            http,
            endpoints,
            current: AtomicUsize::new(0),
            timeout,
        })
    }

    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// Sends a request, failing over to the next endpoint on connection
    /// errors. `timeout: None` means the ordinary timeout.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(Bytes, Option<&str>)>,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response> {
        let n = self.endpoints.len();
        let first = self.current.load(Ordering::Relaxed) % n;
        let mut reasons = Vec::new();
        for i in 0..n {
            let index = (first + i) % n;
            let endpoint = &self.endpoints[index];
            let mut req = self
                .http
                .request(method.clone(), format!("{endpoint}{path}"))
                .timeout(timeout.unwrap_or(self.timeout));
            if let Some((bytes, content_type)) = &body {
                req = req.body(bytes.clone());
                if let Some(ct) = content_type {
                    req = req.header(reqwest::header::CONTENT_TYPE, *ct);
                }
            }
            match req.send().await {
                Ok(resp) => {
                    self.current.store(index, Ordering::Relaxed);
                    return Ok(resp);
                }
                Err(e) if e.is_connect() || e.is_timeout() => {
                    // With one endpoint the message names it once.
                    reasons.push(match n {
                        1 => root_cause(&e),
                        _ => format!("{endpoint}: {}", root_cause(&e)),
                    });
                }
                Err(e) => return Err(ClientError::Protocol(root_cause(&e))),
            }
        }
        Err(ClientError::Unreachable {
            managers: match n {
                1 => format!("the manager at {}", self.endpoints[0]),
                _ => "any manager".into(),
            },
            reason: reasons.join("; "),
        })
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let resp = self.send(Method::GET, path, None, None).await?;
        json(ok(resp).await?).await
    }

    /// `GET /snapshot`: the bytes of a snapshot file, unverified. A large
    /// state takes a while to send: it is allowed five minutes.
    pub async fn snapshot(&self) -> Result<Bytes> {
        let timeout = self.timeout.max(Duration::from_secs(300));
        let resp = ok(self
            .send(Method::GET, "/snapshot", None, Some(timeout))
            .await?)
        .await?;
        resp.bytes()
            .await
            .map_err(|e| ClientError::Protocol(root_cause(&e)))
    }

    pub async fn nodes(&self) -> Result<NodeList> {
        self.get_json("/nodes").await
    }

    pub async fn cluster_nodes(&self, cluster: &str) -> Result<Vec<Node>> {
        self.get_json(&cluster_path("/nodes", cluster, "")).await
    }

    pub async fn register(&self, cluster: &str, node: &Registration) -> Result<Node> {
        let bytes = Bytes::from(serde_json::to_vec(node).expect("JSON"));
        let path = cluster_path("/nodes", cluster, "");
        let resp = self
            .send(
                Method::POST,
                &path,
                Some((bytes, Some("application/json"))),
                None,
            )
            .await?;
        json(ok(resp).await?).await
    }

    /// The heartbeat; with `applied`, it reports the metadata version this
    /// node has applied in full (without, it sends no body, as the original
    /// client does).
    pub async fn refresh(&self, cluster: &str, id: u64, applied: Option<u64>) -> Result<Node> {
        let path = cluster_path("/nodes", cluster, &format!("/{id}"));
        let body = applied.map(|v| {
            let beat = Heartbeat {
                applied_version: Some(v),
            };
            let bytes = Bytes::from(serde_json::to_vec(&beat).expect("JSON"));
            (bytes, Some("application/json"))
        });
        json(ok(self.send(Method::PUT, &path, body, None).await?).await?).await
    }

    /// The nodes of `cluster` and their index (see [`NODES_INDEX`]) once
    /// the list's index differs from `index` or `wait` passes; `index: 0`
    /// answers at once. The index is `None` from a manager that keeps none.
    pub async fn cluster_nodes_after(
        &self,
        cluster: &str,
        index: u64,
        wait: Duration,
    ) -> Result<(Vec<Node>, Option<u64>)> {
        let query = format!("?index={index}&wait={}ms", wait.as_millis());
        self.indexed(&cluster_path("/nodes", cluster, &query), wait)
            .await
    }

    /// [`Client::nodes`] as [`Client::cluster_nodes_after`] waits.
    pub async fn nodes_after(&self, index: u64, wait: Duration) -> Result<(NodeList, Option<u64>)> {
        let path = format!("/nodes?index={index}&wait={}ms", wait.as_millis());
        self.indexed(&path, wait).await
    }

    async fn indexed<T: DeserializeOwned>(
        &self,
        path: &str,
        wait: Duration,
    ) -> Result<(T, Option<u64>)> {
        let limit = wait + crate::wire::max_poll_jitter(wait) + self.timeout;
        let resp = ok(self.send(Method::GET, path, None, Some(limit)).await?).await?;
        let index = resp
            .headers()
            .get(NODES_INDEX)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok((json(resp).await?, index))
    }

    /// Ends the node's lease, keeping its record and id.
    pub async fn down(&self, cluster: &str, id: u64) -> Result<Node> {
        let path = cluster_path("/nodes", cluster, &format!("/{id}/alive"));
        json(ok(self.send(Method::DELETE, &path, None, None).await?).await?).await
    }

    pub async fn deregister(&self, cluster: &str, id: u64) -> Result<()> {
        let path = cluster_path("/nodes", cluster, &format!("/{id}"));
        ok(self.send(Method::DELETE, &path, None, None).await?).await?;
        Ok(())
    }

    /// Deletes a cluster's metadata (every version); answers the newest
    /// version deleted. Without `force` the manager refuses (409) while nodes
    /// of the cluster are alive.
    pub async fn delete_metadata(&self, cluster: &str, force: bool) -> Result<u64> {
        let query = if force { "?force=true" } else { "" };
        let path = cluster_path("/clusters", cluster, query);
        #[derive(serde::Deserialize)]
        struct Deleted {
            version: u64,
        }
        let resp = ok(self.send(Method::DELETE, &path, None, None).await?).await?;
        Ok(json::<Deleted>(resp).await?.version)
    }

    pub async fn clusters(&self) -> Result<Vec<Cluster>> {
        self.get_json("/clusters").await
    }

    pub async fn history(&self, cluster: &str) -> Result<Vec<VersionSummary>> {
        self.get_json(&cluster_path("/clusters", cluster, "/history"))
            .await
    }

    /// The newest metadata; a 404 [`ClientError::Api`] when the cluster has none.
    pub async fn latest(&self, cluster: &str) -> Result<Version> {
        let path = cluster_path("/clusters", cluster, "");
        metadata(ok(self.send(Method::GET, &path, None, None).await?).await?).await
    }

    /// One retained version.
    pub async fn at(&self, cluster: &str, version: u64) -> Result<Version> {
        let path = cluster_path("/clusters", cluster, &format!("/history/{version}"));
        metadata(ok(self.send(Method::GET, &path, None, None).await?).await?).await
    }

    /// Stores `body` as version `version + 1`; [`ClientError::Conflict`]
    /// when `version` is not the stored one.
    pub async fn write(
        &self,
        cluster: &str,
        version: u64,
        body: Bytes,
        content_type: Option<&str>,
    ) -> Result<u64> {
        let path = cluster_path("/clusters", cluster, &format!("/versions/{version}"));
        let resp = self
            .send(Method::POST, &path, Some((body, content_type)), None)
            .await?;
        if resp.status() == StatusCode::CONFLICT {
            let doc = metadata(resp).await?;
            let version = doc.version;
            return Err(ClientError::Conflict {
                version,
                doc: (version > 0).then_some(doc),
            });
        }
        version_header(&ok(resp).await?)
    }

    /// The long poll: `Some` as soon as a version other than `version` is
    /// stored (its body; version 0 when the cluster has none: it asks with
    /// `empty=answer`, so that a store that went back is noticed), `None`
    /// when `wait` passes first.
    pub async fn wait(
        &self,
        cluster: &str,
        version: u64,
        wait: Duration,
    ) -> Result<Option<Version>> {
        let path = cluster_path(
            "/clusters",
            cluster,
            &format!(
                "/versions/{version}?wait={}ms&empty=answer",
                wait.as_millis()
            ),
        );
        let limit = wait + crate::wire::max_poll_jitter(wait) + self.timeout;
        let resp = ok(self.send(Method::GET, &path, None, Some(limit)).await?).await?;
        if resp.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        metadata(resp).await.map(Some)
    }
}

async fn json<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ClientError::Protocol(root_cause(&e)))?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string()))
}

fn version_header(resp: &reqwest::Response) -> Result<u64> {
    resp.headers()
        .get(crate::wire::VERSION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ClientError::Protocol("no Version header".into()))
}

async fn metadata(resp: reqwest::Response) -> Result<Version> {
    let version = version_header(&resp)?;
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(crate::wire::OCTET_STREAM)
        .to_string();
    let body = resp
        .bytes()
        .await
        .map_err(|e| ClientError::Protocol(root_cause(&e)))?;
    Ok(Version {
        version,
        content_type,
        body,
    })
}
