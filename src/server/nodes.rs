//! Handlers of `/nodes…`: registration, heartbeat, deregistration, lists.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::App;
use super::error::ApiError;
use super::extract::{PathArgs, body};
use crate::nodes::{Node, Registration};

/// `POST /nodes/{cluster}` bodies. The original client sends `bindAddress`
/// and no `Content-Type`; both spellings are accepted.
#[derive(Deserialize)]
struct RegisterBody {
    hostname: Option<String>,
    ip: Option<String>,
    #[serde(rename = "bind-address")]
    bind_address: Option<String>,
    #[serde(rename = "bindAddress")]
    bind_address_camel: Option<String>,
    version: Option<String>,
    url: Option<String>,
}

/// `GET /nodes`.
#[derive(Serialize, Deserialize)]
pub struct NodesView {
    pub cflux: Vec<Node>,
    pub influx: Vec<Node>,
}

pub async fn register(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    args: PathArgs,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Node>), ApiError> {
    let raw = body(raw)?;
    let parsed: RegisterBody = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be a JSON object like {{\"hostname\": …, \"ip\": …, \"bind-address\": …}}: {e}"
        ))
    })?;
    let caller = peer.ip().to_canonical().to_string();
    let reg = Registration {
        hostname: parsed
            .hostname
            .ok_or_else(|| ApiError::bad_request("hostname is required"))?,
        ip: parsed.ip.unwrap_or_else(|| caller.clone()),
        bind_address: parsed
            .bind_address
            .or(parsed.bind_address_camel)
            .unwrap_or(caller),
        version: parsed.version,
        url: parsed.url,
    };
    let node = app.registry.register(&args.cluster, reg).await?;
    tracing::info!(cluster = %args.cluster, id = node.id, hostname = %node.hostname, "node registered");
    Ok((StatusCode::CREATED, Json(node)))
}

pub async fn refresh(State(app): State<Arc<App>>, args: PathArgs) -> Result<Json<Node>, ApiError> {
    Ok(Json(app.registry.refresh(&args.cluster, args.id).await?))
}

pub async fn deregister(
    State(app): State<Arc<App>>,
    args: PathArgs,
) -> Result<StatusCode, ApiError> {
    app.registry.deregister(&args.cluster, args.id).await?;
    tracing::info!(cluster = %args.cluster, id = args.id, "node deregistered");
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /nodes/{cluster}/{id}/alive`: the node is going down but will
/// be back under the same id.
pub async fn down(State(app): State<Arc<App>>, args: PathArgs) -> Result<Json<Node>, ApiError> {
    let node = app.registry.down(&args.cluster, args.id).await?;
    tracing::info!(cluster = %args.cluster, id = args.id, "node going down");
    Ok(Json(node))
}

/// About the encoded size of one node, to size list bodies up front.
const NODE_JSON_BYTES: usize = 320;

/// A JSON body of `nodes` nodes, serialised into one buffer of about the
/// right size rather than one grown (and copied) many times.
fn node_list(value: &impl Serialize, nodes: usize) -> Response {
    let mut body = Vec::with_capacity(64 + nodes * NODE_JSON_BYTES);
    serde_json::to_writer(&mut body, value).expect("node views serialise");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub async fn list_cluster(
    State(app): State<Arc<App>>,
    args: PathArgs,
) -> Result<Response, ApiError> {
    let nodes = app.registry.list(&args.cluster).await?;
    Ok(node_list(&nodes, nodes.len()))
}

pub async fn list_all(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let (cflux, influx) = tokio::try_join!(app.managers.list(), app.registry.list_all())?;
    let n = cflux.len() + influx.len();
    Ok(node_list(&NodesView { cflux, influx }, n))
}
