//! Limits hyper does not hold on its own.
//!
//! **Header size.** hyper stops reading headers at `MAX_HEADER_BYTES` only
//! when they arrive in pieces; sent in one burst, larger ones parse. They
//! are measured here too, and refused with 431 and a JSON body.
//!
//! **Body deadline.** A total deadline on reading a request body. Header reads have one in
//! `server::listen`; without this, a client sending its body a byte every
//! few seconds would hold a connection (and, at `--max-connections`, the
//! whole manager) as long as it liked. Bodies are read in full here, within
//! [`crate::manager::config::ServeConfig::body_timeout`], and handed to the
//! handlers from memory; a body that does not arrive in time gets 408 and
//! its connection is closed. Bodies are small (8 KiB for a registration,
//! `--max-meta-bytes` for metadata), so holding one in memory costs what
//! the handler would have spent anyway.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::listen::MAX_HEADER_BYTES;
use super::{App, MAX_REGISTER_BYTES};
use crate::manager::server::error::ApiError;

/// 431 for a request line and headers over [`MAX_HEADER_BYTES`].
pub async fn header_size(request: Request, next: Next) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map_or(1, |p| p.as_str().len());
    let line = request.method().as_str().len() + target + 12;
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if line + headers > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request line and headers take {} bytes; at most {MAX_HEADER_BYTES} are read",
                line + headers
            ),
        )
        .into_response();
    }
    next.run(request).await
}

pub async fn read_body(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    // The largest body any route takes; each route's own limit still applies.
    let limit = (app.config.max_meta_bytes as usize).max(MAX_REGISTER_BYTES);
    let within = app.config.body_timeout;
    match tokio::time::timeout(within, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            match too_large {
                true => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body exceeds {limit} bytes"),
                ),
                false => ApiError::bad_request(format!("cannot read the body: {e}")),
            }
            .into_response()
        }
        Err(_) => {
            let mut response = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!("the request body did not arrive within {within:?}"),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
