//! `GET /metrics` and the middleware that counts every request by its
//! route template (never the raw path: cluster names and ids would make a
//! series each).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;
use crate::manager::nodes::Read;

/// Counts and times a request under its route template.
pub async fn track(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let handoff = super::handoff::of(&request);
    let response = next.run(request).await;
    super::handoff::then(handoff, response, move |response| {
        count(&app, &route, &method, response, started)
    })
}

/// Counts and times an answered request (`started`: when it came in).
fn count(app: &App, route: &str, method: &str, response: &Response, started: Instant) {
    let m = &app.metrics;
    m.http_requests
        .with_label_values(&[route, method, response.status().as_str()])
        .inc();
    m.http_duration
        .with_label_values(&[route, method])
        .observe(started.elapsed().as_secs_f64());
}

/// The Prometheus text exposition, with what the store holds read now.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain")))]
pub async fn serve(State(app): State<Arc<App>>) -> Response {
    let m = &app.metrics;
    let read = tokio::try_join!(app.meta.heads(), app.registry.list_all(Read::Recheck));
    m.store_up.set(i64::from(read.is_ok()));
    if let Ok((heads, mut nodes)) = read {
        let versions = heads.iter().map(|(c, v)| (c.clone(), v.version)).collect();
        app.drift.mark(&mut nodes, &versions);
        m.meta_version.reset();
        for (cluster, info) in heads {
            m.meta_version
                .with_label_values(&[cluster.as_str()])
                .set(info.version as i64);
        }
        m.nodes.reset();
        m.drifting.reset();
        m.applied.reset();
        for listed in nodes {
            let node = listed.node();
            let state = if listed.alive() { "alive" } else { "dead" };
            let cluster = node.cluster.clone().unwrap_or_default();
            m.nodes.with_label_values(&[cluster.as_str(), state]).inc();
            // Every cluster with nodes has the series, so "> 0" alerts work.
            let drifting = m.drifting.with_label_values(&[cluster.as_str()]);
            if listed.drifting() {
                drifting.inc();
            }
            if let Some(v) = node.applied_version {
                let id = node.id.to_string();
                m.applied
                    .with_label_values(&[cluster.as_str(), id.as_str()])
                    .set(v as i64);
            }
        }
    }
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::exposition(&m.registry),
    )
        .into_response()
}
