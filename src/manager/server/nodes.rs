//! Handlers of `/nodes…`: registration, heartbeat, deregistration, lists.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::App;
use super::error::ApiError;
use super::extract::{ClusterPath, IdPath, PathArgs, body};
use crate::manager::nodes::{NodeSpec, check_text};
use crate::wire::ErrorBody;
use crate::wire::{Node, NodeList, Registration};

/// Registers a node in a cluster under a new id.
#[utoipa::path(post, path = "/nodes/{cluster}", tag = "nodes", params(ClusterPath),
    request_body(content = Registration, content_type = "application/json",
        description = "Sent without a Content-Type by the original client: the body is read as JSON whatever it says."),
    responses(
        (status = 201, description = "Registered", body = Node),
        (status = 400, description = "Bad path or body", body = ErrorBody),
        (status = 413, description = "Body over 8 KiB", body = ErrorBody),
        (status = 429, description = "Over the client's allowance (--client-rate) or the cluster's node cap (--max-cluster-nodes); see Retry-After", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn register(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    args: PathArgs,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Node>), ApiError> {
    let raw = body(raw)?;
    let parsed: Registration = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be a JSON object like {{\"hostname\": …, \"ip\": …, \"bind-address\": …}}: {e}"
        ))
    })?;
    let caller = peer.ip().to_canonical().to_string();
    let reg = NodeSpec {
        hostname: parsed.hostname,
        // `"ip":""` (the 2016 client on a host without IPv4) is no address.
        ip: parsed
            .ip
            .filter(|ip| ip.split(',').any(|a| !a.trim().is_empty()))
            .unwrap_or_else(|| caller.clone()),
        bind_address: bind_address(parsed.bind_address, parsed.bind_address_camel)?
            .unwrap_or(caller),
        version: parsed.version,
        url: parsed.url,
    };
    let node = app.registry.register(&args.cluster, reg).await?;
    Ok((StatusCode::CREATED, Json(node)))
}

/// The bind address under either spelling, `bind-address` first; a
/// `bindAddress` sent beside it must be valid too.
fn bind_address(kebab: Option<String>, camel: Option<String>) -> Result<Option<String>, ApiError> {
    if let (Some(_), Some(c)) = (&kebab, &camel) {
        check_text("bindAddress", c)?;
    }
    Ok(kebab.or(camel))
}

/// The heartbeat: renews the node's TTL, reviving it if it had lapsed.
#[utoipa::path(put, path = "/nodes/{cluster}/{id}", tag = "nodes", params(ClusterPath, IdPath),
    responses(
        (status = 200, description = "Alive again for its TTL", body = Node),
        (status = 400, description = "Bad path", body = ErrorBody),
        (status = 404, description = "No such node", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn refresh(State(app): State<Arc<App>>, args: PathArgs) -> Result<Json<Node>, ApiError> {
    Ok(Json(app.registry.refresh(&args.cluster, args.id).await?))
}

/// Removes a node for good.
#[utoipa::path(delete, path = "/nodes/{cluster}/{id}", tag = "nodes", params(ClusterPath, IdPath),
    responses(
        (status = 204, description = "Deregistered"),
        (status = 400, description = "Bad path", body = ErrorBody),
        (status = 404, description = "No such node", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn deregister(
    State(app): State<Arc<App>>,
    args: PathArgs,
) -> Result<StatusCode, ApiError> {
    app.registry.deregister(&args.cluster, args.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /nodes/{cluster}/{id}/alive`: the node is going down but will
/// be back under the same id.
#[utoipa::path(delete, path = "/nodes/{cluster}/{id}/alive", tag = "nodes", params(ClusterPath, IdPath),
    responses(
        (status = 200, description = "Listed as not alive, keeping its id", body = Node),
        (status = 400, description = "Bad path", body = ErrorBody),
        (status = 404, description = "No such node", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn down(State(app): State<Arc<App>>, args: PathArgs) -> Result<Json<Node>, ApiError> {
    Ok(Json(app.registry.down(&args.cluster, args.id).await?))
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

/// The nodes of one cluster, alive or not.
#[utoipa::path(get, path = "/nodes/{cluster}", tag = "nodes", params(ClusterPath),
    responses(
        (status = 200, description = "The cluster's nodes (none for an unknown cluster)", body = Vec<Node>),
        (status = 400, description = "Bad path", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn list_cluster(
    State(app): State<Arc<App>>,
    args: PathArgs,
) -> Result<Response, ApiError> {
    let nodes = app.registry.list(&args.cluster).await?;
    Ok(node_list(&nodes, nodes.len()))
}

/// Every manager and every InfluxDB node.
#[utoipa::path(get, path = "/nodes", tag = "nodes",
    responses(
        (status = 200, description = "Managers and nodes", body = NodeList),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn list_all(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let (cflux, influx) = tokio::try_join!(app.managers.list(), app.registry.list_all())?;
    let n = cflux.len() + influx.len();
    Ok(node_list(&NodeList { cflux, influx }, n))
}
