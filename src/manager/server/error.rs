//! HTTP errors: every 4xx/5xx body is `{"error": {"code", "message"}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::manager::error::Error;
use crate::wire::{ErrorBody, ErrorDetail};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for `Retry-After`: 1 on every 503 unless set otherwise.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: (status == StatusCode::SERVICE_UNAVAILABLE).then_some(1),
        }
    }

    /// Tells the client to wait `seconds` before trying again.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Wraps an axum extractor rejection, keeping its status.
    pub fn rejection(status: StatusCode, message: String) -> ApiError {
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            s if s.is_server_error() => "internal",
            _ => "bad_request",
        };
        ApiError::new(status, code, message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let (status, code) = match &e {
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Invalid(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::Quota(_) => (StatusCode::TOO_MANY_REQUESTS, "quota"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        match e {
            // An outage fails every request: say so once in a while, not
            // once per request (the membership loop says when it ends).
            Error::Unavailable(_) if !outage_warning_due() => tracing::debug!(code, "{e}"),
            _ if status.is_server_error() => tracing::warn!(code, "{e}"),
            _ => {}
        }
        let error = ApiError::new(status, code, e.to_string());
        match e {
            // A used-up quota frees slowly (nodes are forgotten, or deregistered).
            Error::Quota(_) => error.retry_after(60),
            _ => error,
        }
    }
}

/// Whether a 503 should be logged at WARN: at most once per 10 s.
fn outage_warning_due() -> bool {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    let due = last.is_none_or(|t| t.elapsed() >= Duration::from_secs(10));
    if due {
        *last = Some(Instant::now());
    }
    due
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        resp
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}
