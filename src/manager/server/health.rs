//! The health checks, open without a token for load balancers: `/healthz`
//! (the process answers) and `/readyz` (its store answers too).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::App;
use super::error::ApiError;
use crate::wire::ErrorBody;

/// The answer of `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// The answer of `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    status: &'static str,
    /// `etcd` or `embedded`.
    store: &'static str,
}

/// Whether the manager answers at all.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The manager is up", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Whether the manager can serve: its store answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "The store answers", body = Ready),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn readyz(State(app): State<Arc<App>>) -> Result<Json<Ready>, ApiError> {
    app.managers.store_ready().await?;
    Ok(Json(Ready {
        status: "ready",
        store: app.managers.store_kind(),
    }))
}
