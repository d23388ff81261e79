//! Sending to one member, and what its answer means for replication.
//!
//! influxd answers a write with 204, or 400 `partial write` when it stored
//! the good lines (both count as taken); a 4xx is the client's mistake and
//! would be refused by every member alike, and so is influxd's 500
//! `retention policy not found`. Anything else — no connection, a timeout,
//! another 5xx — is the member's trouble: the write waits in its queue.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName};

use super::queue::{Entry, Kind};

/// What a member made of a request.
#[derive(Debug)]
pub enum Outcome {
    /// Stored (204, 200, or a 400 partial write): the answer to pass on.
    Taken(Answer),
    /// Refused for good: the client's mistake, the answer to pass on.
    Refused(Answer),
    /// Not stored, for a reason that may pass.
    Failed(String),
}

/// An answer as influxd gave it.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The headers of influxd's answers worth passing on.
pub const PASSED: &[&str] = &[
    "content-type",
    "x-influxdb-version",
    "x-influxdb-build",
    "x-influxdb-error",
    "request-id",
    "x-request-id",
];

/// The headers of `from` worth passing on, plus those named in `also`.
pub fn passed(from: &HeaderMap, also: &[&'static str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for name in PASSED.iter().chain(also) {
        if let Some(v) = from.get(*name) {
            headers.insert(HeaderName::from_static(name), v.clone());
        }
    }
    headers
}

impl Answer {
    /// Whether a refusal says the database or retention policy is missing:
    /// on a member that has not applied the schema yet, not the client's
    /// mistake when another member took the same write.
    pub fn is_missing_schema(&self) -> bool {
        let text = String::from_utf8_lossy(&self.body);
        text.contains("database not found") || text.contains("retention policy not found")
    }
}

/// Sends a queued (or about to be queued) entry to the member at `url`.
pub async fn send(http: &reqwest::Client, url: &str, entry: &Entry, timeout: Duration) -> Outcome {
    let mut req = match entry.kind {
        Kind::Write => {
            let mut query = vec![("db", entry.db.as_str())];
            if let Some(rp) = &entry.rp {
                query.push(("rp", rp));
            }
            if let Some(p) = &entry.precision {
                query.push(("precision", p));
            }
            http.post(format!("{url}/write"))
                .query(&query)
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(entry.body.clone())
        }
        Kind::Query => {
            let form = [
                ("q", entry.q.as_deref().unwrap_or_default()),
                ("db", entry.db.as_str()),
            ];
            http.post(format!("{url}/query")).form(&form)
        }
    };
    if let Some(auth) = &entry.auth {
        req = req.header(AUTHORIZATION, auth);
    }
    classify(req.timeout(timeout).send().await).await
}

/// What a member's answer (or its absence) means.
pub async fn classify(sent: reqwest::Result<reqwest::Response>) -> Outcome {
    let resp = match sent {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(crate::client::root_cause(&e)),
    };
    let status = resp.status().as_u16();
    let headers = passed(resp.headers(), &[]);
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(crate::client::root_cause(&e)),
    };
    let answer = Answer {
        status,
        headers,
        body,
    };
    let text = String::from_utf8_lossy(&answer.body);
    match status {
        200..=299 => Outcome::Taken(answer),
        400 if text.contains("partial write") => Outcome::Taken(answer),
        // A timeout or a throttle in between: the member may take it later.
        408 | 429 => Outcome::Failed(format!("HTTP {status}: {}", text.trim())),
        400..=499 => Outcome::Refused(answer),
        500 if text.contains("retention policy not found") => Outcome::Refused(answer),
        _ => Outcome::Failed(format!("HTTP {status}: {}", text.trim())),
    }
}
