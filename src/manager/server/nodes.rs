//! Handlers of `/nodes…`: registration, heartbeat, deregistration, lists.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Extension, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::IntoParams;

use super::App;
use super::auth::Caller;
use super::error::ApiError;
use super::extract::{ClusterPath, IdPath, PathArgs, body, index_param, wait_param};
use crate::manager::nodes::{Index, Listed, NodeSpec, Read, check_text, index, when_changed};
use crate::wire::{ErrorBody, Heartbeat, NODES_INDEX};
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
    app.metrics.registrations.inc();
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

/// The heartbeat: renews the node's TTL, reviving it if it had lapsed. The
/// original client sends no body; an agent may say what it has applied.
#[utoipa::path(put, path = "/nodes/{cluster}/{id}", tag = "nodes", params(ClusterPath, IdPath),
    request_body(content = Option<Heartbeat>, content_type = "application/json",
        description = "Optional: an empty body changes nothing but the TTL."),
    responses(
        (status = 200, description = "Alive again for its TTL", body = Node),
        (status = 400, description = "Bad path or body", body = ErrorBody),
        (status = 404, description = "No such node", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn refresh(
    State(app): State<Arc<App>>,
    args: PathArgs,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Node>, ApiError> {
    let raw = body(raw)?;
    let beat = heartbeat(&raw)?;
    let node = app
        .registry
        .refresh(&args.cluster, args.id, beat.applied_version)
        .await?;
    app.metrics.heartbeats.inc();
    Ok(Json(node))
}

/// A heartbeat's body: nothing, `null`, or a JSON object (not an array,
/// which serde would otherwise read as the fields in order).
fn heartbeat(raw: &[u8]) -> Result<Heartbeat, ApiError> {
    let refuse = |e: String| {
        ApiError::bad_request(format!(
            "a heartbeat's body is empty or a JSON object like {{\"applied-version\": 3}}: {e}"
        ))
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Heartbeat::default());
    }
    match serde_json::from_slice::<serde_json::Value>(raw).map_err(|e| refuse(e.to_string()))? {
        serde_json::Value::Null => Ok(Heartbeat::default()),
        object @ serde_json::Value::Object(_) => {
            serde_json::from_value(object).map_err(|e| refuse(e.to_string()))
        }
        other => Err(refuse(format!("got {other}"))),
    }
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
    caller: Option<Extension<Caller>>,
    args: PathArgs,
) -> Result<StatusCode, ApiError> {
    app.registry
        .deregister(&args.cluster, args.id, Caller::name(&caller))
        .await?;
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
pub async fn down(
    State(app): State<Arc<App>>,
    caller: Option<Extension<Caller>>,
    args: PathArgs,
) -> Result<Json<Node>, ApiError> {
    let node = app
        .registry
        .down(&args.cluster, args.id, Caller::name(&caller))
        .await?;
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

/// The query of a node list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "only describes the query in the OpenAPI document")]
pub struct ListQuery {
    /// Wait until the list differs from the one whose `X-Cflux-Index` was
    /// this (opaque; `0` or left out: answer at once). Liveness changes are
    /// seen within a quarter of a second.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    index: Option<u64>,
    /// How long to wait with `index`: seconds (`30`) or a duration
    /// (`30s`, `1m`); the manager's default when left out, its
    /// `--max-wait` at most. Then the unchanged list is answered.
    #[param(
        pattern = r"^([0-9]+|([0-9]+ ?(ns|us|ms|s|m|h|d) ?)+)$",
        example = "30s"
    )]
    wait: Option<String>,
}

/// The nodes of one cluster, alive or not; with `?index=`, once they change.
#[utoipa::path(get, path = "/nodes/{cluster}", tag = "nodes", params(ClusterPath, ListQuery),
    responses(
        (status = 200, description = "The cluster's nodes (none for an unknown cluster)", body = Vec<Node>,
            headers(("X-Cflux-Index" = u64, description = "This list's index, for the next `?index=`"))),
        (status = 400, description = "Bad path, index or wait", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn list_cluster(
    State(app): State<Arc<App>>,
    args: PathArgs,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let cluster = args.cluster.as_str();
    let app = &app;
    let fetch = |read| async move {
        let (mut nodes, versions) =
            tokio::try_join!(app.registry.list(cluster, read), app.meta.versions())?;
        app.drift.mark(&mut nodes, &versions);
        Ok(nodes)
    };
    let (nodes, now) = listed(app, query.as_deref(), fetch, |n| index(n)).await?;
    Ok(indexed(node_list(&nodes, nodes.len()), now))
}

/// A list and its index: at once, or with `?index=` once it changes.
async fn listed<T, Fut>(
    app: &App,
    query: Option<&str>,
    mut fetch: impl FnMut(Read) -> Fut,
    digest: impl Fn(&T) -> u64,
) -> Result<(T, u64), ApiError>
where
    Fut: Future<Output = crate::manager::error::Result<T>>,
{
    let after = index_param(query)?;
    let wait = wait_param(query, app.config.default_wait, app.config.max_wait)?;
    if after == 0 {
        let answer = fetch(Read::Consistent).await?;
        let now = digest(&answer);
        return Ok((answer, now));
    }
    let _parked = app.metrics.park("nodes");
    Ok(when_changed(after, wait, &app.shutdown, fetch, digest).await?)
}

fn indexed(mut response: Response, index: u64) -> Response {
    response
        .headers_mut()
        .insert(NODES_INDEX, HeaderValue::from(index));
    response
}

/// `GET /nodes`'s answer: [`NodeList`]'s shape, with nodes as rendered.
#[derive(Serialize)]
struct Everyone {
    cflux: Vec<Node>,
    influx: Vec<Listed>,
}

/// Every manager and every InfluxDB node; with `?index=`, once they change.
#[utoipa::path(get, path = "/nodes", tag = "nodes", params(ListQuery),
    responses(
        (status = 200, description = "Managers and nodes", body = NodeList,
            headers(("X-Cflux-Index" = u64, description = "This list's index, for the next `?index=`"))),
        (status = 400, description = "Bad index or wait", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn list_all(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let app = &app;
    let fetch = |read| async move {
        let (cflux, mut influx, versions) = tokio::try_join!(
            app.managers.list(),
            app.registry.list_all(read),
            app.meta.versions()
        )?;
        app.drift.mark(&mut influx, &versions);
        Ok(Everyone { cflux, influx })
    };
    let digest = |l: &Everyone| Index::default().list(&l.cflux).list(&l.influx).finish();
    let (list, now) = listed(app, query.as_deref(), fetch, digest).await?;
    let n = list.cflux.len() + list.influx.len();
    Ok(indexed(node_list(&list, n), now))
}
