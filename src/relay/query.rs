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

use super::forward::passed;
use super::members::Member;
use super::queue::{Entry, Kind};
use super::write::{Consistency, credentials, influx_error, param, params, replicate_whole};
use super::{Relay, now_ms};

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
    statements(&strip_comments(q))
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

/// `q` without InfluxQL's comments (`-- …` to the end of the line, and
/// `/* … */`), outside quotes.
fn strip_comments(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    let mut chars = q.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(qc) => {
                out.push(c);
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else if c == qc {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '-' && chars.peek() == Some(&'-') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            None if c == '/' && chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
                out.push(' ');
            }
            None => out.push(c),
        }
    }
    out
}

/// `now()` in a statement that changes data, as the time the relay took it
/// (an RFC 3339 literal): a member that runs it later from its queue
/// deletes what the others deleted, not more.
pub fn pin_now(q: &str, at_ms: u64) -> String {
    let at = humantime::format_rfc3339_millis(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(at_ms),
    );
    let mut out = String::with_capacity(q.len());
    let mut quote: Option<char> = None;
    let mut i = 0;
    let bytes = q.as_bytes();
    while i < q.len() {
        let c = bytes[i] as char;
        match quote {
            Some(qc) => {
                if c == '\\' && i + 1 < q.len() {
                    out.push_str(&q[i..i + 2]);
                    i += 2;
                    continue;
                }
                if c == qc {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None if q[i..].len() >= 5
                && q[i..i + 5].eq_ignore_ascii_case("now()")
                && (i == 0 || !(bytes[i - 1] as char).is_ascii_alphanumeric()) =>
            {
                out.push_str(&format!("'{at}'"));
                i += 5;
                continue;
            }
            None => {}
        }
        let ch = q[i..].chars().next().expect("in range");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
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
            // A quote ends a word too: `INTO"db"."rp".m`.
            None if c == '\'' || c == '"' || c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                if !c.is_whitespace() {
                    quote = Some(c);
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
        let at = now_ms();
        let consistency = get("consistency").unwrap_or("");
        let entry = Entry {
            kind: Kind::Query,
            db: get("db").unwrap_or("").to_string(),
            rp: None,
            precision: None,
            auth: credentials(&url_params, &headers),
            q: Some(pin_now(q, at)),
            points: 0,
            at,
            body: Bytes::new(),
        };
        let consistency = match consistency {
            "any" => Consistency::Any,
            "quorum" => Consistency::Quorum,
            "all" => Consistency::All,
            _ => Consistency::One,
        };
        return replicate_whole(relay, entry, consistency).await;
    }
    let mut candidates: Vec<&Member> = view
        .members
        .iter()
        .filter(|m| match route {
            Route::Read => view.caught_up(m, relay.queue.depth(m.id).entries),
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
            &format!("no member of cluster {:?} is {what}", relay.config.cluster),
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
        // A read's answer streams through as the member encodes it; a
        // schema statement's is read here, so it comes unencoded.
        let encoding = (route != Route::Schema).then_some(header::ACCEPT_ENCODING);
        for name in [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT]
            .into_iter()
            .chain(encoding)
        {
            if let Some(v) = headers.get(&name) {
                req = req.header(name, v);
            }
        }
        relay.routed(m.id);
        let guard = relay.outstanding(m.id);
        let sent = req.send().await;
        drop(guard);
        if let Err(e) = &sent {
            relay.failed(m.id, crate::client::root_cause(e));
        }
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
    let headers = passed(resp.headers(), &["content-encoding"]);
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
    let headers = passed(resp.headers(), &[]);
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
        assert_eq!(route("-- tidy up\nDROP SERIES FROM cpu"), Route::Everywhere);
        assert_eq!(route("/* x */ DELETE FROM cpu"), Route::Everywhere);
        assert_eq!(
            route("SELECT v INTO\"db\".\"rp\".m FROM cpu"),
            Route::Everywhere
        );
        assert_eq!(
            route("SELECT '--' FROM cpu; DROP MEASUREMENT m"),
            Route::Everywhere
        );
    }

    #[test]
    fn now_is_pinned_outside_quotes() {
        let q = pin_now("DELETE FROM cpu WHERE time < NOW() - 7d AND t = 'now()'", 0);
        assert_eq!(
            q,
            "DELETE FROM cpu WHERE time < '1970-01-01T00:00:00.000Z' - 7d AND t = 'now()'"
        );
        assert_eq!(pin_now("SELECT know() FROM x", 0), "SELECT know() FROM x");
    }
}
