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
use utoipa::ToSchema;

use super::App;
use super::error::{ApiError, ErrorBody};
use super::extract::{ClusterPath, IdPath, PathArgs, body};
use crate::nodes::{Node, Registration, check_text};

/// `POST /nodes/{cluster}` bodies. The original client sends `bindAddress`
/// and no `Content-Type`; both spellings are accepted. Text fields are 1 to
/// 255 characters without spaces or control characters.
#[derive(Deserialize, ToSchema)]
pub struct RegisterBody {
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
    )]
    hostname: String,
    /// Comma-joined IP addresses; the caller's address when left out.
    #[schema(
        max_length = 1024,
        pattern = r"^[ ,]*((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:)) *(, *(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:)) *)?)*$"
    )]
    ip: Option<String>,
    /// Where the node's cluster port answers; the caller's address when left out.
    #[serde(rename = "bind-address")]
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
    )]
    bind_address: Option<String>,
    /// The original client's spelling of `bind-address`.
    #[serde(rename = "bindAddress")]
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
    )]
    bind_address_camel: Option<String>,
    /// The software the node runs.
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
    )]
    version: Option<String>,
    /// The node's InfluxDB HTTP API: `http://…` or `https://…`.
    #[schema(
        max_length = 255,
        pattern = r"^https?://[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    url: Option<String>,
}

/// `GET /nodes`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct NodesView {
    pub cflux: Vec<Node>,
    pub influx: Vec<Node>,
}

/// Registers a node in a cluster under a new id.
#[utoipa::path(post, path = "/nodes/{cluster}", tag = "nodes", params(ClusterPath),
    request_body(content = RegisterBody, content_type = "application/json",
        description = "Sent without a Content-Type by the original client: the body is read as JSON whatever it says."),
    responses(
        (status = 201, description = "Registered", body = Node),
        (status = 400, description = "Bad path or body", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
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
        hostname: parsed.hostname,
        ip: parsed.ip.unwrap_or_else(|| caller.clone()),
        bind_address: bind_address(parsed.bind_address, parsed.bind_address_camel)?
            .unwrap_or(caller),
        version: parsed.version,
        url: parsed.url,
    };
    let node = app.registry.register(&args.cluster, reg).await?;
    tracing::info!(cluster = %args.cluster, id = node.id, hostname = %node.hostname, "node registered");
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
    tracing::info!(cluster = %args.cluster, id = args.id, "node deregistered");
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
        (status = 200, description = "Managers and nodes", body = NodesView),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn list_all(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let (cflux, influx) = tokio::try_join!(app.managers.list(), app.registry.list_all())?;
    let n = cflux.len() + influx.len();
    Ok(node_list(&NodesView { cflux, influx }, n))
}
