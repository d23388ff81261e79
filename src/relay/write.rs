//! `POST /write` and `POST /api/v2/write`: every point to every member.
//!
//! A batch is checked against the cluster's schema, stamped where a line
//! has no timestamp ([`super::lines`]), and sent at once to every member
//! that is alive and has nothing queued; the others, and those that fail,
//! get it in their queue. With `consistency=any|one|quorum|all` (default
//! `one`) it is acknowledged once that many members took it and every other
//! member holds it durably. When no member took it and the level needs one,
//! nothing is queued and the client gets a 503: its retry is the only copy.

use std::io::Read;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::forward::{self, Answer, Outcome};
use super::lines::{self, Precision};
use super::queue::{Entry, Kind};
use super::{Relay, now_ms};

/// How many members must take a write before it is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    Any,
    One,
    Quorum,
    All,
}

impl Consistency {
    fn parse(s: &str) -> Option<Consistency> {
        Some(match s {
            "any" => Consistency::Any,
            "" | "one" => Consistency::One,
            "quorum" => Consistency::Quorum,
            "all" => Consistency::All,
            _ => return None,
        })
    }

    /// Of `n` members.
    fn needs(self, n: usize) -> usize {
        match self {
            Consistency::Any => 0,
            Consistency::One => 1.min(n),
            Consistency::Quorum => n / 2 + 1,
            Consistency::All => n,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Consistency::Any => "any",
            Consistency::One => "one",
            Consistency::Quorum => "quorum",
            Consistency::All => "all",
        }
    }
}

/// An answer in influxd's shape: `{"error": …}` with `X-Influxdb-Error`.
pub fn influx_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({ "error": message }).to_string();
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(message) {
        response.headers_mut().insert("x-influxdb-error", v);
    }
    response
}

pub fn pass(answer: &Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = (status, answer.body.clone()).into_response();
    for (name, value) in &answer.headers {
        response.headers_mut().insert(name, value.clone());
    }
    response
}

/// The query of a write, form-decoded.
pub fn params(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The credentials to send members: `Authorization` as it came, or `u`
/// and `p` as HTTP basic (which influxd also reads). `Token user:pass`
/// (the 2.x compatibility form, unknown to influxd 1.6) becomes basic too.
pub fn credentials(params: &[(String, String)], headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = auth.strip_prefix("Token ")
            && token.contains(':')
        {
            return Some(basic(token));
        }
        return Some(auth.to_string());
    }
    let user = param(params, "u")?;
    Some(basic(&format!(
        "{user}:{}",
        param(params, "p").unwrap_or("")
    )))
}

fn basic(user_password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_password)
    )
}

fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"))
}

/// The body, gunzipped when it says it is gzip, within `max` bytes.
fn gunzip(headers: &HeaderMap, raw: Bytes, max: usize) -> Result<Bytes, (u16, String)> {
    if !is_gzip(headers) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity((raw.len() * 4).min(max + 1));
    // Every member of a concatenated gzip stream, as Go's reader takes it.
    let read = flate2::read::MultiGzDecoder::new(&raw[..])
        .take(max as u64 + 1)
        .read_to_end(&mut out);
    match read {
        Err(e) => Err((400, format!("unable to decode gzip body: {e}"))),
        Ok(n) if n > max => Err((413, "Request Entity Too Large".into())),
        Ok(_) => Ok(Bytes::from(out)),
    }
}

/// `POST /write?db=&rp=&precision=&consistency=`.
pub async fn write(
    State(relay): State<Arc<Relay>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let params = params(query.as_deref());
    let Some(db) = param(&params, "db").filter(|d| !d.is_empty()) else {
        return influx_error(400, "database is required");
    };
    let rp = param(&params, "rp").filter(|r| !r.is_empty());
    let request = Request::new(&params, &headers, db, rp);
    accept(relay, request, &headers, raw).await
}

/// `POST /api/v2/write?bucket=db/rp&precision=ns|us|ms|s`, as influxd 1.8
/// takes it, sent to the members as `/write`.
pub async fn write_v2(
    State(relay): State<Arc<Relay>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let params = params(query.as_deref());
    let Some(bucket) = param(&params, "bucket").filter(|b| !b.is_empty()) else {
        return influx_error(400, "bucket is required");
    };
    let (db, rp) = match bucket.split_once('/') {
        Some((db, rp)) => (db, Some(rp).filter(|r| !r.is_empty())),
        None => (bucket, None),
    };
    let request = Request::new(&params, &headers, db, rp);
    accept(relay, request, &headers, raw).await
}

struct Request {
    db: String,
    rp: Option<String>,
    precision: Option<String>,
    consistency: String,
    auth: Option<String>,
}

impl Request {
    /// A write into `db` (and `rp`), with the precision, consistency and
    /// credentials of `params` and `headers`.
    fn new(
        params: &[(String, String)],
        headers: &HeaderMap,
        db: &str,
        rp: Option<&str>,
    ) -> Request {
        Request {
            db: db.to_string(),
            rp: rp.map(str::to_string),
            precision: param(params, "precision").map(str::to_string),
            consistency: param(params, "consistency").unwrap_or("").to_string(),
            auth: credentials(params, headers),
        }
    }
}

async fn accept(relay: Arc<Relay>, request: Request, headers: &HeaderMap, raw: Bytes) -> Response {
    let Some(consistency) = Consistency::parse(&request.consistency) else {
        return influx_error(
            400,
            &format!(
                "invalid consistency {:?}: give any, one, quorum or all",
                request.consistency
            ),
        );
    };
    let Some(precision) = Precision::parse(request.precision.as_deref().unwrap_or("")) else {
        return influx_error(400, "invalid precision: give n, u, ms, s, m or h");
    };
    let view = relay.snapshot();
    if let Err((status, message)) = view.admits(&request.db, request.rp.as_deref()) {
        return influx_error(status, &message);
    }
    let max = relay.config.max_body_bytes;
    let decoded = match is_gzip(headers) {
        true => {
            let headers = headers.clone();
            tokio::task::spawn_blocking(move || gunzip(&headers, raw, max))
                .await
                .unwrap_or_else(|e| Err((500, format!("reading the body failed: {e}"))))
        }
        false => Ok(raw),
    };
    let body = match decoded {
        Ok(b) => b,
        Err((status, message)) => return influx_error(status, &message),
    };
    let (stamped, batch) = lines::stamp(&body, precision.now());
    let entry = Entry {
        kind: Kind::Write,
        db: request.db,
        rp: request.rp,
        precision: request.precision.map(|_| precision.canonical().to_string()),
        auth: request.auth,
        q: None,
        points: batch.points,
        at: now_ms(),
        body: stamped.map(Bytes::from).unwrap_or(body),
    };
    replicate_whole(relay, entry, consistency).await
}

/// [`replicate`] in a task of its own: a client that hangs up cannot cut a
/// write short between the members that took it and the queues of the
/// others.
pub async fn replicate_whole(
    relay: Arc<Relay>,
    entry: Entry,
    consistency: Consistency,
) -> Response {
    let task = tokio::spawn(async move { replicate(&relay, entry, consistency).await });
    match task.await {
        Ok(response) => response,
        Err(e) => influx_error(500, &format!("the write failed: {e}")),
    }
}

/// Sends `entry` to every member and queues it for those that did not take
/// it; the answer the client gets. Also used for statements that change
/// data on every member.
pub async fn replicate(relay: &Relay, entry: Entry, consistency: Consistency) -> Response {
    let view = relay.snapshot();
    let members = &view.members;
    if members.is_empty() {
        return influx_error(
            503,
            &format!(
                "no member of cluster {:?} is registered with an InfluxDB URL",
                relay.config.cluster
            ),
        );
    }
    let timeout = relay.timeout_of(&entry);
    let (direct, mut later): (Vec<_>, Vec<_>) = members
        .iter()
        .partition(|m| m.alive && relay.queue.depth(m.id).entries == 0);
    let sends = direct.iter().map(|m| {
        relay.tracked(
            m.id,
            &entry,
            forward::send(&relay.http, &m.url, &entry, timeout),
        )
    });
    let outcomes = futures::future::join_all(sends).await;
    let mut taken: Vec<Answer> = Vec::new();
    let mut refused: Vec<(u64, Answer)> = Vec::new();
    for (m, outcome) in direct.iter().zip(outcomes) {
        match outcome {
            Outcome::Taken(a) => taken.push(a),
            // The cluster has the database (the schema check passed): a
            // member without it has not applied the schema yet.
            Outcome::Refused(a) if a.is_missing_schema() && view.schema.is_some() => later.push(m),
            Outcome::Refused(a) => refused.push((m.id, a)),
            Outcome::Failed(reason) => {
                tracing::debug!(member = m.id, %reason, "write failed; queueing it");
                later.push(m);
            }
        }
    }
    if taken.is_empty() {
        if let Some((_, answer)) = refused.first() {
            return pass(answer);
        }
        if consistency != Consistency::Any {
            return influx_error(
                503,
                &format!(
                    "no member of cluster {:?} took the write ({} down or failing); nothing was stored",
                    relay.config.cluster,
                    members.len()
                ),
            );
        }
    }
    // Members hold the same schema and get the same bytes, so they refuse
    // alike; one that refuses what others took is reported.
    for (id, answer) in &refused {
        tracing::warn!(
            member = id,
            status = answer.status,
            body = %String::from_utf8_lossy(&answer.body),
            "a member refused a write other members took"
        );
    }
    let queued: Vec<(u64, Entry)> = later.iter().map(|m| (m.id, entry.clone())).collect();
    let n_queued = queued.len();
    if let Err(e) = relay.queue.push(queued).await {
        tracing::error!("cannot queue a write for {n_queued} members: {e}");
        return influx_error(
            503,
            &format!(
                "the write reached {} members but could not be queued for the others: {e}",
                taken.len()
            ),
        );
    }
    if n_queued > 0 {
        relay.queued.notify_waiters();
    }
    let needs = consistency.needs(members.len());
    if taken.len() < needs {
        return influx_error(
            503,
            &format!(
                "consistency {} needs {needs} of {} members; {} took the write and it is queued for the others",
                consistency.name(),
                members.len(),
                taken.len()
            ),
        );
    }
    match taken.first() {
        Some(answer) => pass(answer),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistency_levels_count_members() {
        assert_eq!(Consistency::parse(""), Some(Consistency::One));
        assert_eq!(Consistency::Quorum.needs(3), 2);
        assert_eq!(Consistency::Quorum.needs(2), 2);
        assert_eq!(Consistency::All.needs(3), 3);
        assert_eq!(Consistency::Any.needs(3), 0);
        assert!(Consistency::parse("most").is_none());
    }

    #[test]
    fn credentials_become_basic_auth() {
        let none = HeaderMap::new();
        let p = params(Some("db=x&u=alice&p=s%3Dcret"));
        assert_eq!(
            credentials(&p, &none).unwrap(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("alice:s=cret")
            )
        );
        let mut token = HeaderMap::new();
        token.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Token bob:pw"),
        );
        assert!(credentials(&[], &token).unwrap().starts_with("Basic "));
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(credentials(&[], &bearer).unwrap(), "Bearer x");
        assert!(credentials(&[], &none).is_none());
    }
}
