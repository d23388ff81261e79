//! The token check in front of every route when the manager has tokens
//! (see [`crate::manager::auth`]); the health checks stay open for load balancers,
//! the API's description for clients, and the admin page's files
//! ([`super::ui`], which hold no data) for browsers.
//!
//! Without tokens the API is open to whoever can reach it, and a web page
//! in the operator's browser can reach a manager on `127.0.0.1`. So a
//! tokenless manager refuses what only browsers send for another site's
//! page (`Sec-Fetch-Site: cross-site|same-site`, an `Origin` other than the
//! `Host`), and a browser's request (one with `Sec-Fetch-Site` or `Origin`)
//! whose `Host` is a name other than `localhost` or the advertised address
//! (DNS rebinding: a page's own name made to resolve to the manager).
//! Clients that are no browser (curl, nodes, proxies, tunnels) are not
//! checked. Tokens need none of this: a browser never adds them.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;
use super::error::ApiError;
use crate::manager::auth;

/// The paths answered without a token.
pub const OPEN: [&str; 3] = ["/healthz", "/readyz", "/openapi.json"];

/// Who made a request, as metadata versions and the log record it: the
/// token's name, or without tokens the client's IP address.
#[derive(Clone, Debug)]
pub struct Caller(pub Arc<str>);

impl Caller {
    /// The name of a handler's `Option<Extension<Caller>>`: every request
    /// past [`check`] has one.
    pub fn name(caller: &Option<axum::Extension<Caller>>) -> &str {
        caller.as_ref().map_or("an unknown client", |c| &c.0.0)
    }
}

pub async fn check(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    if super::ui::PATHS.contains(&request.uri().path()) && request.method() == Method::GET {
        return next.run(request).await;
    }
    let Some(tokens) = &app.config.tokens else {
        if let Some(why) = browser_refusal(app.config.advertise.as_deref(), &request) {
            return ApiError::new(StatusCode::FORBIDDEN, "cross_site", why).into_response();
        }
        let address = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "an unknown address".into());
        request.extensions_mut().insert(Caller(address.into()));
        return next.run(request).await;
    };
    let path = request.uri().path();
    if OPEN.contains(&path) || (path == "/metrics" && app.config.metrics_open) {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    let Some(presented) = presented else {
        return unauthorized("this manager needs a token: send `Authorization: Bearer TOKEN`");
    };
    let Some((role, name)) = tokens.lookup(presented) else {
        return unauthorized("the token is not one this manager knows");
    };
    let caller = Caller(name.into());
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
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Why a request to a tokenless manager looks like another site's page.
fn browser_refusal(advertised: Option<&str>, request: &Request) -> Option<String> {
    let headers = request.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site @ ("cross-site" | "same-site")) = text("sec-fetch-site") {
        return Some(format!(
            "a {site} request from a web page; a manager without tokens answers only its own pages and non-browser clients"
        ));
    }
    let host = text("host");
    if let Some(origin) = text("origin") {
        let origin_host = origin.split_once("://").map(|(_, h)| h);
        if origin_host.is_none() || origin_host != host {
            return Some(format!(
                "a request from the web page at {origin:?}; a manager without tokens answers only its own pages"
            ));
        }
    }
    let from_browser = text("sec-fetch-site").is_some() || text("origin").is_some();
    if from_browser
        && let Some(host) = host
        && !is_own_host(host, advertised)
    {
        return Some(format!(
            "a web page's request for Host {host:?}: a manager without tokens answers browsers only at localhost, an IP address or its --advertise name"
        ));
    }
    None
}

/// `localhost`, an IP address, or the advertised name, with or without a port.
fn is_own_host(host: &str, advertised: Option<&str>) -> bool {
    let name = host_name(host);
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok()
        || advertised.is_some_and(|a| host_name(a).eq_ignore_ascii_case(name))
}

/// `host:port` or `[v6]:port` without the port and brackets.
fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    }
}

fn unauthorized(message: &str) -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}
