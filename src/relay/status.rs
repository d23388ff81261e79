//! What the relay shows: `/ping` as influxd answers it, `/status` (each
//! member with its queue), and `cflux relay status`, which renders it.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::Relay;
use super::now_ms;
use super::queue::Depth;
use super::write::{influx_error, param, params};
use crate::exit::CliError;
use crate::output::{Output, emit, emit_json, render, table};

#[derive(Debug, clap::Subcommand)]
pub enum RelayCommand {
    /// Show each member of a running relay: alive, caught up, its queue
    #[command(
        after_help = "Examples:\n  cflux relay status\n  cflux relay status --relay http://10.0.0.5:8087 -o json"
    )]
    Status {
        /// The relay to ask
        #[arg(
            long,
            env = "CFLUX_RELAY",
            value_name = "URL",
            default_value = "http://127.0.0.1:8087"
        )]
        relay: String,
    },
}

/// `GET /status`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelayStatus {
    pub cluster: String,
    /// The cluster's metadata version, as the relay last heard it.
    pub metadata_version: u64,
    /// Why the manager cannot be followed, while it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_error: Option<String>,
    pub members: Vec<MemberStatus>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MemberStatus {
    pub id: u64,
    pub hostname: String,
    pub url: String,
    pub alive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_version: Option<u64>,
    /// Alive with nothing queued: reads go here.
    pub caught_up: bool,
    pub queue: Depth,
    /// Seconds since the oldest queued entry was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_age_seconds: Option<f64>,
    pub outstanding: u64,
    pub points_written: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

pub fn status_of(relay: &Relay) -> RelayStatus {
    let view = relay.snapshot();
    let now = now_ms();
    let members = view
        .members
        .iter()
        .map(|m| {
            let queue = relay.queue.depth(m.id);
            let load = relay.load(m.id);
            MemberStatus {
                id: m.id,
                hostname: m.hostname.clone(),
                url: m.url.clone(),
                alive: m.alive,
                applied_version: m.applied,
                caught_up: view.caught_up(m, queue.entries),
                oldest_age_seconds: queue
                    .oldest
                    .map(|at| now.saturating_sub(at) as f64 / 1000.0),
                queue,
                outstanding: load.outstanding,
                points_written: relay.points_written(m.id),
                last_error: load.last_error,
            }
        })
        .collect();
    RelayStatus {
        cluster: relay.config.cluster.clone(),
        metadata_version: view.version,
        manager_error: view.manager_error.clone(),
        members,
    }
}

pub async fn status(State(relay): State<Arc<Relay>>) -> Json<RelayStatus> {
    Json(status_of(&relay))
}

/// `GET`/`HEAD /ping[?verbose=true]`: 204 (200 with a body when verbose)
/// and the members' InfluxDB version while one is alive; 503 otherwise.
pub async fn ping(State(relay): State<Arc<Relay>>, RawQuery(query): RawQuery) -> Response {
    let view = relay.snapshot();
    let Some(alive) = view.members.iter().find(|m| m.alive) else {
        return influx_error(
            503,
            &format!("no member of cluster {:?} is alive", relay.config.cluster),
        );
    };
    let version = alive.version.clone().unwrap_or_else(|| "unknown".into());
    let verbose = param(&params(query.as_deref()), "verbose").is_some_and(|v| v == "true");
    let mut response = match verbose {
        true => (
            StatusCode::OK,
            Json(serde_json::json!({ "version": version })),
        )
            .into_response(),
        false => StatusCode::NO_CONTENT.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert("x-influxdb-build", HeaderValue::from_static("OSS"));
    if let Ok(v) = HeaderValue::from_str(&version) {
        headers.insert("x-influxdb-version", v);
    }
    response
}

/// `cflux relay status`.
pub async fn run(command: RelayCommand, output: Output) -> Result<(), CliError> {
    let RelayCommand::Status { relay } = command;
    let url = format!("{}/status", relay.trim_end_matches('/'));
    let http = crate::tls::http_client()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| CliError::other(e.to_string()))?;
    let resp = http.get(&url).send().await.map_err(|e| {
        CliError::new(
            crate::exit::Exit::Unreachable,
            format!(
                "cannot reach the relay at {relay}: {}",
                crate::client::root_cause(&e)
            ),
        )
    })?;
    if !resp.status().is_success() {
        return Err(CliError::other(format!("{url} answered {}", resp.status())));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| CliError::other(format!("reading {url}: {e}")))?;
    let status: RelayStatus = serde_json::from_slice(&bytes)
        .map_err(|e| CliError::other(format!("{url} is not a cflux relay's status: {e}")))?;
    if output == Output::Json {
        return emit_json(&status);
    }
    let mut t = table(&[
        "ID",
        "HOSTNAME",
        "URL",
        "ALIVE",
        "APPLIED",
        "CAUGHT UP",
        "QUEUED",
        "BYTES",
        "OLDEST",
        "DROPPED",
        "LAST ERROR",
    ]);
    for m in &status.members {
        let yes = |b: bool| if b { "yes" } else { "no" };
        t.add_row(vec![
            m.id.to_string(),
            m.hostname.clone(),
            m.url.clone(),
            yes(m.alive).into(),
            m.applied_version.map_or("-".into(), |v| v.to_string()),
            yes(m.caught_up).into(),
            m.queue.points.to_string(),
            m.queue.bytes.to_string(),
            m.oldest_age_seconds
                .map_or("-".into(), |s| format!("{:.0}s", s)),
            m.queue.dropped_points.to_string(),
            m.last_error.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut text = format!(
        "cluster {} at metadata version {}\n",
        status.cluster, status.metadata_version
    );
    if let Some(e) = &status.manager_error {
        text.push_str(&format!("manager unreachable: {e}\n"));
    }
    text.push_str(&render(&t));
    emit(&text)
}
