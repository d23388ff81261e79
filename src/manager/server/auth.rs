//! The token check in front of every route when the manager has tokens
//! (see [`crate::manager::auth`]); the health checks stay open for load balancers,
//! and the API's description for clients.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;
use super::error::ApiError;
use crate::manager::auth;

/// The paths answered without a token.
pub const OPEN: [&str; 3] = ["/healthz", "/readyz", "/openapi.json"];

pub async fn check(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(tokens) = &app.config.tokens else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if OPEN.contains(&path) {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    let Some(presented) = presented else {
        return unauthorized("this manager needs a token: send `Authorization: Bearer TOKEN`");
    };
    let Some(role) = tokens.role(presented) else {
        return unauthorized("the token is not one this manager knows");
    };
    let wanted = auth::Request {
        method: request.method(),
        path,
    };
    if !auth::allows(role, &wanted) {
        let message = format!(
            "the token's role may not {} {path}",
            request.method().as_str()
        );
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response();
    }
    next.run(request).await
}

fn unauthorized(message: &str) -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}
