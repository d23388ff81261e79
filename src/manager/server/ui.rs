//! The admin page at `/ui` (and `/`, which sends browsers there): the
//! clusters, their nodes — dead and drifting ones set apart — and their
//! metadata history, kept live by the API's own long polls.
//!
//! Three files built into the binary (`ui/index.html`, `ui/app.js`,
//! `ui/app.css`), so the page needs no internet. They hold no data and are
//! open without a token, even to a link from another site; the page reads
//! everything through the API, with the token the operator gives it once,
//! so the API's checks ([`super::auth`]) guard the data. It is no API
//! route: `/openapi.json` does not list it.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::App;

const PAGE: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/app.css");

/// The paths of the page and its files.
pub const PATHS: [&str; 4] = ["/", "/ui", "/ui/app.js", "/ui/app.css"];

/// Only the page's own files, and fetches of its own origin; no frames.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui") }))
        .route(
            "/ui",
            get(|| async { file("text/html; charset=utf-8", PAGE) }),
        )
        .route(
            "/ui/app.js",
            get(|| async { file("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/ui/app.css",
            get(|| async { file("text/css; charset=utf-8", STYLE) }),
        )
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    let fixed = HeaderValue::from_static;
    (
        [
            (header::CONTENT_TYPE, fixed(content_type)),
            (header::CONTENT_SECURITY_POLICY, fixed(POLICY)),
            (header::X_CONTENT_TYPE_OPTIONS, fixed("nosniff")),
            (header::REFERRER_POLICY, fixed("no-referrer")),
            (header::CACHE_CONTROL, fixed("no-cache")),
        ],
        body,
    )
        .into_response()
}
