//! `GET /snapshot`: all of the manager's state at one store revision, as
//! the JSON lines of [`crate::snapshot`], for `cflux snapshot save`. Only
//! the `admin` role may read it ([`crate::manager::auth`]).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::App;
use super::error::ApiError;
use crate::snapshot::Encoder;
use crate::wire::ErrorBody;

/// All of the manager's state: node records, the id counter, every
/// cluster's metadata head and retained versions, read at one revision.
#[utoipa::path(get, path = "/snapshot", tag = "snapshot",
    responses(
        (status = 200, description = "JSON lines: the header, one entry per line, the end line with a CRC-32",
            content_type = "application/x-ndjson", body = String),
        (status = 503, description = "The store is unreachable", body = ErrorBody),
    ))]
pub async fn save(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let snapshot = app.snapshots.take().await?;
    let entries = snapshot.entries.len();
    // Encoded line by line as the body is sent, not into one buffer.
    let (encoder, header) = Encoder::start(&snapshot.header);
    let lines = futures::stream::unfold(
        (Some(encoder), snapshot.entries.into_iter(), Some(header)),
        |(mut encoder, mut rest, mut first)| async move {
            if let Some(line) = first.take() {
                return Some((Ok::<_, std::io::Error>(line), (encoder, rest, None)));
            }
            let e = encoder.as_mut()?;
            match rest.next() {
                Some(entry) => {
                    let line = e.entry(&entry);
                    Some((Ok(line), (encoder, rest, None)))
                }
                None => encoder.take().map(|e| (Ok(e.finish()), (None, rest, None))),
            }
        },
    );
    tracing::info!(entries, "snapshot taken");
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cflux.snapshot\"",
            ),
        ],
        Body::from_stream(lines),
    )
        .into_response())
}
