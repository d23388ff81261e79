//! `GET`/`POST /query`: reads go to one member that has all the data,
//! statements that change data go to every member, schema statements to
//! one member (the agents carry them to the others).
//!
//! A read goes to a member that is alive, has applied the cluster's schema
//! and has nothing queued — so never to one still catching up — with the
//! fewest requests outstanding, and on to the next on a connection error
//! or a 5xx. Its answer streams back as influxd sends it (`chunked=true`
//! included). `DELETE`, `DROP SERIES`, `DROP MEASUREMENT` and `SELECT … INTO`
//! are replicated like writes, queued for the members that are down.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Relay;
use super::forward::PASSED;
use super::members::Member;
use super::queue::{Entry, Kind};
use super::write::{Consistency, credentials, influx_error, now_ms, param, params, replicate};

/// Where a query goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Route {
    /// `SELECT`, `SHOW`, `EXPLAIN`: one member with all the data.
    Read,
    /// Users, `KILL QUERY`, anything else: one member that is alive.
    One,
    /// Databases, retention policies, continuous queries: one member, and
    /// the agents carry the change to the others.
    Schema,
    /// Statements that change data: every member.
    Everywhere,
}

/// The route of a query of one or more statements: the widest any of them
/// needs.
pub fn route(q: &str) -> Route {
    statements(q)
        .iter()
        .map(|s| route_of(s))
        .max()
        .unwrap_or(Route::Read)
}

fn route_of(statement: &str) -> Route {
    let words: Vec<String> = statement
        .split_whitespace()
        .take(2)
        .map(str::to_ascii_uppercase)
        .collect();
    let first = words.first().map(String::as_str).unwrap_or("");
    let second = words.get(1).map(String::as_str).unwrap_or("");
    match (first, second) {
        ("SELECT", _) if has_into(statement) => Route::Everywhere,
        ("SELECT" | "SHOW" | "EXPLAIN", _) => Route::Read,
        ("DELETE", _) | ("DROP", "SERIES" | "MEASUREMENT") => Route::Everywhere,
        ("CREATE" | "DROP" | "ALTER", "DATABASE" | "RETENTION" | "CONTINUOUS") => Route::Schema,
        _ => Route::One,
    }
}

/// Whether a `SELECT` writes its result (`INTO`), outside quotes.
fn has_into(statement: &str) -> bool {
    unquoted_words(statement).any(|w| w.eq_ignore_ascii_case("INTO"))
}

fn unquoted_words(s: &str) -> impl Iterator<Item = String> + '_ {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in s.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words.into_iter()
}

/// The statements of a query, split at semicolons outside quotes.
fn statements(q: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in q.char_indices() {
        match quote {
            Some(qc) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == qc {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == ';' => {
                out.push(q[start..i].trim());
                start = i + 1;
            }
            None => {}
        }
    }
    out.push(q[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

pub async fn query(
    State(relay): State<Arc<Relay>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url_params = params(query.as_deref());
    let form = match method == Method::POST && is_form(&headers) {
        true => params(Some(&String::from_utf8_lossy(&body))),
        false => Vec::new(),
    };
    let get = |name: &str| param(&form, name).or_else(|| param(&url_params, name));
    let Some(q) = get("q").filter(|q| !q.trim().is_empty()) else {
        return influx_error(400, "missing required parameter \"q\"");
    };
    let view = relay.snapshot();
    let route = route(q);
    if route == Route::Everywhere {
        let consistency = get("consistency").unwrap_or("");
        let entry = Entry {
            kind: Kind::Query,
            db: get("db").unwrap_or("").to_string(),
            rp: None,
            precision: None,
            auth: credentials(&url_params, &headers),
            q: Some(q.to_string()),
            points: 0,
            at: now_ms(),
            body: Bytes::new(),
        };
        let consistency = match consistency {
            "any" => Consistency::Any,
            "quorum" => Consistency::Quorum,
            "all" => Consistency::All,
            _ => Consistency::One,
        };
        return replicate(&relay, entry, consistency).await;
    }
    let mut candidates: Vec<&Member> = view
        .members
        .iter()
        .filter(|m| match route {
            Route::Read => view.ready(m) && relay.queue.depth(m.id).entries == 0,
            _ => m.alive,
        })
        .collect();
    fastrand::shuffle(&mut candidates);
    candidates.sort_by_key(|m| relay.load(m.id).outstanding);
    if candidates.is_empty() {
        let what = match route {
            Route::Read => "alive and caught up",
            _ => "alive",
        };
        return influx_error(
            503,
            &format!("no member of cluster {:?} is {what}", relay.cluster),
        );
    }
    let before = view.version;
    let mut last = String::new();
    for m in candidates {
        let mut req = relay
            .http
            .request(method.clone(), format!("{}/query", m.url))
            .body(body.clone());
        if !url_params.is_empty() {
            req = req.query(&url_params);
        }
        for name in [
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_ENCODING,
        ] {
            if let Some(v) = headers.get(&name) {
                req = req.header(name, v);
            }
        }
        relay.start(m.id);
        let sent = req.send().await;
        relay.finish(
            m.id,
            sent.as_ref().err().map(|e| crate::client::root_cause(e)),
        );
        let resp = match sent {
            Ok(r) if r.status().is_server_error() => {
                last = format!("member {}: HTTP {}", m.id, r.status());
                continue;
            }
            Ok(r) => r,
            Err(e) => {
                last = format!("member {}: {}", m.id, crate::client::root_cause(&e));
                continue;
            }
        };
        if route == Route::Schema && resp.status() == StatusCode::OK {
            return schema_answer(&relay, resp, before).await;
        }
        return stream(resp);
    }
    influx_error(503, &format!("no member answered the query: {last}"))
}

/// influxd's answer, streamed.
fn stream(resp: reqwest::Response) -> Response {
    let status = resp.status();
    let mut headers = HeaderMap::new();
    for name in PASSED.iter().chain(&["content-encoding"]) {
        if let Some(v) = resp.headers().get(*name) {
            headers.insert(header::HeaderName::from_static(name), v.clone());
        }
    }
    let mut response = Body::from_stream(resp.bytes_stream()).into_response();
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A schema statement's answer, once the agents have published the change
/// (a newer metadata version), or after `--schema-wait`: a write into a new
/// database right after creating it then passes the relay's schema check.
async fn schema_answer(relay: &Relay, resp: reqwest::Response, before: u64) -> Response {
    let status = resp.status();
    let mut headers = HeaderMap::new();
    for name in PASSED {
        if let Some(v) = resp.headers().get(*name) {
            headers.insert(header::HeaderName::from_static(name), v.clone());
        }
    }
    let body = resp.bytes().await.unwrap_or_default();
    let failed = String::from_utf8_lossy(&body).contains("\"error\"");
    if !failed {
        let mut view = relay.view.clone();
        let published = tokio::time::timeout(
            relay.config.schema_wait,
            view.wait_for(|v| v.version > before),
        )
        .await;
        if published.is_err() {
            tracing::info!(
                "no agent published the schema change within --schema-wait; answering anyway"
            );
        }
    }
    let mut response = (status, body).into_response();
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_routed_by_what_they_change() {
        assert_eq!(route("SELECT * FROM cpu"), Route::Read);
        assert_eq!(route("show databases"), Route::Read);
        assert_eq!(
            route("SELECT mean(v) INTO cpu_1h FROM cpu"),
            Route::Everywhere
        );
        assert_eq!(
            route("SELECT \"into\" FROM cpu WHERE t = 'INTO'"),
            Route::Read
        );
        assert_eq!(
            route("DELETE FROM cpu WHERE time < now()"),
            Route::Everywhere
        );
        assert_eq!(route("drop series from cpu"), Route::Everywhere);
        assert_eq!(route("DROP MEASUREMENT cpu"), Route::Everywhere);
        assert_eq!(route("CREATE DATABASE x"), Route::Schema);
        assert_eq!(route("DROP RETENTION POLICY r ON x"), Route::Schema);
        assert_eq!(
            route("CREATE USER u WITH PASSWORD 'p;DROP SERIES'"),
            Route::One
        );
        assert_eq!(
            route("SHOW DATABASES; DROP MEASUREMENT m"),
            Route::Everywhere
        );
        assert_eq!(route("SELECT 1; CREATE DATABASE y;"), Route::Schema);
    }
}
