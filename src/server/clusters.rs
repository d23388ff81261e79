//! Handlers of `/clusters…`: versioned metadata writes, long-poll reads,
//! history, and the cluster overview.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::App;
use super::error::ApiError;
use super::extract::{PathArgs, body};
use crate::hub::Waited;
use crate::meta::{Doc, OCTET_STREAM, VersionInfo, WriteOutcome};

/// The header carrying metadata versions, as the original client expects.
pub const VERSION: &str = "version";

/// One entry of `GET /clusters`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClusterView {
    pub cluster: String,
    /// `0`: no metadata yet.
    pub version: u64,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_at: Option<String>,
    pub nodes: u64,
    pub alive: u64,
}

fn version_header(version: u64) -> (header::HeaderName, HeaderValue) {
    (
        header::HeaderName::from_static(VERSION),
        HeaderValue::from(version),
    )
}

/// The raw metadata with its content type and `Version` (`0` and an empty
/// body when there is none).
fn doc_response(status: StatusCode, doc: Option<&Doc>) -> Response {
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
        ],
        Body::from(bytes),
    )
        .into_response()
}

pub async fn write(
    State(app): State<Arc<App>>,
    args: PathArgs,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
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
        .write(&args.cluster, args.version, &content_type, raw)
        .await?
    {
        WriteOutcome::Written(doc, revision) => {
            let version = doc.version;
            // Parked polls here answer now, not when the store's watch
            // echoes the write back.
            app.hub.announce(doc, revision);
            tracing::info!(cluster = %args.cluster, version, "metadata written");
            Ok((
                StatusCode::OK,
                [version_header(version)],
                Json(json!({"cluster": args.cluster, "version": version})),
            )
                .into_response())
        }
        WriteOutcome::Conflict(doc) => Ok(doc_response(StatusCode::CONFLICT, doc.as_ref())),
    }
}

/// `?wait=DUR` (`30s`, `1m`, or plain seconds).
fn wait_param(app: &App, query: Option<&str>) -> Result<Duration, ApiError> {
    let mut wait = app.config.default_wait;
    for (k, v) in form_pairs(query.unwrap_or("")) {
        if k == "wait" {
            wait = match v.parse::<u64>() {
                Ok(secs) => Duration::from_secs(secs),
                Err(_) => crate::config::parse_duration(&v).map_err(ApiError::bad_request)?,
            };
        }
    }
    let wait = wait.min(app.config.max_wait);
    let jitter_ms = fastrand::u64(0..=wait.as_millis() as u64 / 16);
    Ok(wait + Duration::from_millis(jitter_ms))
}

fn form_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(k), decode(v))
    })
}

/// The long poll: answers at once when the stored version differs from the
/// one asked about, otherwise when the next version is stored, or `204`
/// after the wait.
pub async fn read(
    State(app): State<Arc<App>>,
    args: PathArgs,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let wait = wait_param(&app, query.as_deref())?;
    let waited = app
        .hub
        .wait_for_change(&app.meta, &args.cluster, args.version, wait, &app.shutdown)
        .await?;
    Ok(match waited {
        Waited::Changed(doc) => doc_response(StatusCode::OK, doc.as_deref()),
        Waited::TimedOut => {
            (StatusCode::NO_CONTENT, [version_header(args.version)]).into_response()
        }
    })
}

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

pub async fn history(
    State(app): State<Arc<App>>,
    args: PathArgs,
) -> Result<Json<Vec<VersionInfo>>, ApiError> {
    Ok(Json(app.meta.history(&args.cluster).await?))
}

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
pub async fn list(State(app): State<Arc<App>>) -> Result<Json<Vec<ClusterView>>, ApiError> {
    let (heads, nodes) = tokio::try_join!(app.meta.heads(), app.registry.list_all())?;
    let mut clusters: BTreeMap<String, ClusterView> = BTreeMap::new();
    let view = |cluster: &str| ClusterView {
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
    for node in nodes {
        let cluster = node.cluster.unwrap_or_default();
        let c = clusters
            .entry(cluster.clone())
            .or_insert_with(|| view(&cluster));
        c.nodes += 1;
        c.alive += u64::from(node.alive);
    }
    Ok(Json(clusters.into_values().collect()))
}
