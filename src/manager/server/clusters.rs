//! Handlers of `/clusters…`: versioned metadata writes, long-poll reads,
//! history, and the cluster overview.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::App;
use super::auth::Caller;
use super::error::ApiError;
use super::extract::{
    ClusterPath, PathArgs, VersionPath, WritePath, body, force, park_empty, wait_param,
};
use super::handoff::{self, Handoff};
use crate::manager::hub::{Prepared, Waited};
use crate::manager::meta::{Version, WriteOutcome};
use crate::manager::nodes::Read;
use crate::wire::ErrorBody;
use crate::wire::{Cluster, OCTET_STREAM, VERSION, VersionSummary};

/// Metadata bodies as sent: any bytes, typed by their Content-Type.
pub struct SentBody;

impl PartialSchema for SentBody {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

/// Named as the document first published it.
impl ToSchema for SentBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "Blob".into()
    }
}

/// Metadata bodies as answered: whatever was stored, under the Content-Type
/// it was stored with (JSON included), so any value.
pub struct StoredBody;

impl PartialSchema for StoredBody {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some("The metadata as stored, under its Content-Type"))
            .into()
    }
}

impl ToSchema for StoredBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "Stored".into()
    }
}

/// The answer to a metadata write.
#[derive(Serialize, ToSchema)]
pub struct Written {
    cluster: String,
    /// The version now stored.
    version: u64,
}

/// The query of a metadata read.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "only describes the query in the OpenAPI document")]
pub struct WaitQuery {
    /// How long to wait for a newer version: seconds (`30`) or a duration
    /// (`30s`, `1m`, `1h30m`); the manager's default when left out, its
    /// `--max-wait` at most.
    #[param(
        pattern = r"^([0-9]+|([0-9]+ ?(ns|us|ms|s|m|h|d) ?)+)$",
        example = "30s"
    )]
    wait: Option<String>,
    /// What a poll ahead of a cluster with nothing stored gets: `park`
    /// (the default) waits for the first write, since nothing newer exists;
    /// `answer` answers at once with an empty body and version 0, for
    /// clients that write back a store that was wiped.
    #[param(inline)]
    empty: Option<Empty>,
}

/// `?empty=`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "only describes the query in the OpenAPI document")]
pub enum Empty {
    Park,
    Answer,
}

fn version_header(version: u64) -> (header::HeaderName, HeaderValue) {
    (
        header::HeaderName::from_static(VERSION),
        HeaderValue::from(version),
    )
}

/// The raw metadata with its content type and `Version` (`0` and an empty
/// body when there is none).
fn doc_response(status: StatusCode, doc: Option<&Version>) -> Response {
    let (version, content_type, bytes) = match doc {
        Some(d) => (d.version, d.content_type.as_str(), d.body.clone()),
        None => (0, OCTET_STREAM, Bytes::new()),
    };
    let content_type =
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static(OCTET_STREAM));
    (
        status,
        [
            version_header(version),
            (header::CONTENT_TYPE, content_type),
            // Stored bytes are served as stored, `text/html` included: never
            // sniffed, never run as a page of this origin.
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
        ],
        Body::from(bytes),
    )
        .into_response()
}

/// Stores version `{version}+1` if `{version}` is the newest; otherwise
/// answers `409` with the newest version.
#[utoipa::path(post, path = "/clusters/{cluster}/versions/{version}", tag = "metadata",
    params(ClusterPath, WritePath),
    request_body(description = "The metadata: any bytes, empty included, stored with their Content-Type (application/octet-stream when none is sent).",
        content(
            (Option<SentBody> = "application/octet-stream"),
            (Option<serde_json::Value> = "application/json"),
            (Option<String> = "text/plain"),
        )),
    responses(
        (status = 200, description = "Stored as the next version", body = Written,
            headers(("version" = u64, description = "The version now stored"))),
        (status = 400, description = "Bad path or version", body = ErrorBody),
        (status = 409, description = "`{version}` is not the newest: the newest, as a read returns it",
            content_type = "*/*", body = StoredBody,
            headers(("version" = u64, description = "The newest version (0: none)"))),
        (status = 413, description = "Over the manager's --max-meta-bytes", body = ErrorBody),
        (status = 429, description = "Over the client's allowance (--client-rate); see Retry-After", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn write(
    State(app): State<Arc<App>>,
    caller: Option<Extension<Caller>>,
    args: PathArgs,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let started = std::time::Instant::now();
    let answer = write_version(&app, args, headers, raw, Caller::name(&caller)).await;
    let result = match &answer {
        Ok(r) if r.status() == StatusCode::CONFLICT => "conflict",
        Ok(_) => "ok",
        Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        Err(_) => "error",
    };
    let m = &app.metrics;
    m.meta_writes.with_label_values(&[result]).inc();
    m.meta_write_duration
        .observe(started.elapsed().as_secs_f64());
    answer
}

async fn write_version(
    app: &App,
    args: PathArgs,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    writer: &str,
) -> Result<Response, ApiError> {
    let raw = body(raw).map_err(|mut e| {
        if e.status == StatusCode::PAYLOAD_TOO_LARGE {
            e.message = format!(
                "metadata exceeds the limit of {} bytes; nothing was stored",
                app.meta.max_bytes()
            );
        }
        e
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or(OCTET_STREAM)
        .to_string();
    match app
        .meta
        .write(&args.cluster, args.version, &content_type, raw, writer)
        .await?
    {
        WriteOutcome::Written(doc, revision) => {
            let version = doc.version;
            // Parked polls here answer now, not when the store's watch
            // echoes the write back.
            app.hub.announce(doc, revision);
            tracing::debug!(cluster = ?args.cluster, version, by = writer, "metadata written");
            Ok((
                StatusCode::OK,
                [version_header(version)],
                Json(Written {
                    cluster: args.cluster,
                    version,
                }),
            )
                .into_response())
        }
        WriteOutcome::Conflict(doc) => Ok(doc_response(StatusCode::CONFLICT, doc.as_ref())),
    }
}

/// The long poll: answers at once when the stored version differs from the
/// one asked about, otherwise when the next version is stored, or `204`
/// after the wait. A poll ahead of a cluster with nothing stored parks
/// unless `empty=answer`.
#[utoipa::path(get, path = "/clusters/{cluster}/versions/{version}", tag = "metadata",
    params(ClusterPath, VersionPath, WaitQuery),
    responses(
        (status = 200, description = "The stored metadata, whose version differs from `{version}` (an empty body and version 0 when nothing is stored and `empty=answer`)",
            content_type = "*/*", body = StoredBody,
            headers(("version" = u64, description = "The version of the body"))),
        (status = 204, description = "No newer version within the wait",
            headers(("version" = u64, description = "`{version}` again"))),
        (status = 400, description = "Bad path or wait", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn read(
    State(app): State<Arc<App>>,
    args: PathArgs,
    RawQuery(query): RawQuery,
    handoff: Option<Extension<Handoff>>,
) -> Result<Response, ApiError> {
    let wait = wait_param(
        query.as_deref(),
        app.config.default_wait,
        app.config.max_wait,
    )?;
    let park = park_empty(query.as_deref())?;
    let parked = match app
        .hub
        .prepare(&app.meta, &args.cluster, args.version, park)
        .await?
    {
        Prepared::Now(waited) => return Ok(waited_response(waited, args.version)),
        Prepared::Park(parked) => parked,
    };
    let gauge = app.metrics.park("metadata");
    let deadline = tokio::time::Instant::now() + wait;
    let answer = async move {
        let waited = parked.wait(&app.meta, deadline, &app.shutdown).await;
        drop(gauge);
        match waited {
            Ok(waited) => waited_response(waited, args.version),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    Ok(handoff::hand_off(handoff.map(|Extension(h)| h), answer).await)
}

fn waited_response(waited: Waited, version: u64) -> Response {
    match waited {
        Waited::Changed(doc) => doc_response(StatusCode::OK, doc.as_deref()),
        Waited::TimedOut => (StatusCode::NO_CONTENT, [version_header(version)]).into_response(),
    }
}

/// The answer to a metadata delete.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    cluster: String,
    /// The newest version, now deleted with every older one.
    version: u64,
}

/// The query of a metadata delete.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "only describes the query in the OpenAPI document")]
pub struct DeleteQuery {
    /// Delete even while nodes of the cluster are alive (`force=true`).
    force: Option<bool>,
}

/// Deletes a cluster's metadata: every retained version. Refused with 409
/// while the cluster has alive nodes, which would write it again, unless
/// forced. Its nodes stay registered. Admin only.
#[utoipa::path(delete, path = "/clusters/{cluster}", tag = "metadata", params(ClusterPath, DeleteQuery),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 400, description = "Bad path or query", body = ErrorBody),
        (status = 404, description = "The cluster has no metadata", body = ErrorBody),
        (status = 409, description = "Nodes of the cluster are alive; `force=true` deletes anyway", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn delete(
    State(app): State<Arc<App>>,
    args: PathArgs,
    RawQuery(query): RawQuery,
) -> Result<Json<Deleted>, ApiError> {
    let force = force(query.as_deref())?;
    let no_metadata = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("cluster {:?} has no metadata", args.cluster),
        )
    };
    if app.meta.newest_version(&args.cluster).await?.is_none() {
        return Err(no_metadata());
    }
    if !force {
        let alive = app
            .registry
            .list(&args.cluster, Read::Consistent)
            .await?
            .iter()
            .filter(|n| n.alive())
            .count();
        if alive > 0 {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "nodes_alive",
                format!(
                    "cluster {:?} has {alive} alive nodes, which would write its metadata again; \
                     stop them first, or delete with force=true",
                    args.cluster
                ),
            ));
        }
    }
    match app.meta.delete(&args.cluster).await? {
        Some(version) => {
            tracing::info!(cluster = ?args.cluster, version, force, "metadata deleted");
            Ok(Json(Deleted {
                cluster: args.cluster,
                version,
            }))
        }
        None => Err(no_metadata()),
    }
}

/// The newest metadata of a cluster.
#[utoipa::path(get, path = "/clusters/{cluster}", tag = "metadata", params(ClusterPath),
    responses(
        (status = 200, description = "The newest metadata, with its Content-Type",
            content_type = "*/*", body = StoredBody,
            headers(("version" = u64, description = "Its version"))),
        (status = 400, description = "Bad path", body = ErrorBody),
        (status = 404, description = "The cluster has no metadata", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn latest(State(app): State<Arc<App>>, args: PathArgs) -> Result<Response, ApiError> {
    match app.meta.current(&args.cluster).await? {
        (Some(doc), _) => Ok(doc_response(StatusCode::OK, Some(&doc))),
        (None, _) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("cluster {:?} has no metadata", args.cluster),
        )),
    }
}

/// The retained versions of a cluster's metadata, without bodies.
#[utoipa::path(get, path = "/clusters/{cluster}/history", tag = "metadata", params(ClusterPath),
    responses(
        (status = 200, description = "Retained versions, oldest first (none for an unknown cluster)", body = Vec<VersionSummary>),
        (status = 400, description = "Bad path", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn history(
    State(app): State<Arc<App>>,
    args: PathArgs,
) -> Result<Json<Vec<VersionSummary>>, ApiError> {
    Ok(Json(app.meta.history(&args.cluster).await?))
}

/// One retained version of a cluster's metadata.
#[utoipa::path(get, path = "/clusters/{cluster}/history/{version}", tag = "metadata",
    params(ClusterPath, VersionPath),
    responses(
        (status = 200, description = "That version, with its Content-Type",
            content_type = "*/*", body = StoredBody,
            headers(("version" = u64, description = "Its version"))),
        (status = 400, description = "Bad path", body = ErrorBody),
        (status = 404, description = "That version is not retained", body = ErrorBody),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn history_version(
    State(app): State<Arc<App>>,
    args: PathArgs,
) -> Result<Response, ApiError> {
    match app.meta.at(&args.cluster, args.version).await? {
        Some(doc) => Ok(doc_response(StatusCode::OK, Some(&doc))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "version {} of cluster {:?} is not retained",
                args.version, args.cluster
            ),
        )),
    }
}

/// Every cluster with metadata or nodes.
#[utoipa::path(get, path = "/clusters", tag = "metadata",
    responses(
        (status = 200, description = "One entry per cluster, by name", body = Vec<Cluster>),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn list(State(app): State<Arc<App>>) -> Result<Json<Vec<Cluster>>, ApiError> {
    let (heads, nodes) =
        tokio::try_join!(app.meta.heads(), app.registry.list_all(Read::Consistent))?;
    let mut clusters: BTreeMap<String, Cluster> = BTreeMap::new();
    let view = |cluster: &str| Cluster {
        cluster: cluster.to_string(),
        version: 0,
        size: 0,
        written_at: None,
        nodes: 0,
        alive: 0,
    };
    for (cluster, info) in heads {
        let c = clusters
            .entry(cluster.clone())
            .or_insert_with(|| view(&cluster));
        c.version = info.version;
        c.size = info.size;
        c.written_at = Some(info.written_at);
    }
    for listed in nodes {
        let cluster = listed.node().cluster.clone().unwrap_or_default();
        let c = clusters
            .entry(cluster.clone())
            .or_insert_with(|| view(&cluster));
        c.nodes += 1;
        c.alive += u64::from(listed.alive());
    }
    Ok(Json(clusters.into_values().collect()))
}
