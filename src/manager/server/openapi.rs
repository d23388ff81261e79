//! The API's OpenAPI 3.1 document, assembled from the handlers'
//! `#[utoipa::path]` attributes and the `ToSchema` types of their bodies,
//! and served at `GET /openapi.json` (without a token, like the health
//! checks).
//!
//! What every route shares is added here rather than on each handler: the
//! optional bearer token with its `401`/`403` answers (not on the open paths
//! of [`super::auth::OPEN`]), the `Server-Timing` header, and `Retry-After`
//! on `503`.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{HeaderBuilder, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema};

use super::auth::OPEN;
use super::{clusters, health, metrics, nodes, snapshot};
use crate::wire::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cflux manager",
        description = "The HTTP API of `cflux serve`: InfluxDB node membership and versioned cluster metadata."
    ),
    paths(
        health::healthz,
        health::readyz,
        serve,
        metrics::serve,
        nodes::list_all,
        nodes::list_cluster,
        nodes::register,
        nodes::refresh,
        nodes::deregister,
        nodes::down,
        clusters::list,
        clusters::latest,
        clusters::delete,
        clusters::read,
        clusters::write,
        clusters::history,
        clusters::history_version,
        snapshot::save,
    ),
    modifiers(&Shared),
    tags(
        (name = "health", description = "Liveness and readiness, open without a token"),
        (name = "nodes", description = "InfluxDB node membership"),
        (name = "metadata", description = "Versioned cluster metadata"),
        (name = "snapshot", description = "All of the manager's state, for backups and moves (admin role)"),
    )
)]
struct ApiDoc;

/// The name of the bearer security scheme.
const BEARER: &str = "bearer";

/// Adds what every route shares (see the module docs).
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Only when the manager has tokens (--token-file); each token's role \
                         (read, node, admin) limits what it may do.",
                    ))
                    .build(),
            ),
        );
        components
            .schemas
            .insert("ErrorBody".into(), ErrorBody::schema());
        let error = || {
            ResponseBuilder::new().content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
        };
        let timing = HeaderBuilder::new()
            .schema(String::schema())
            .description(Some(
                "app;dur=MS: the time the manager spent on the request",
            ))
            .build();
        let retry = HeaderBuilder::new()
            .schema(u64::schema())
            .description(Some("Seconds to wait before trying again: 1"))
            .build();
        for (path, item) in doc.paths.paths.iter_mut() {
            let open = OPEN.contains(&path.as_str());
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if open {
                    op.security = Some(vec![SecurityRequirement::default()]);
                } else {
                    op.security = Some(vec![
                        SecurityRequirement::default(),
                        SecurityRequirement::new(BEARER, Vec::<String>::new()),
                    ]);
                    let unauthorized = error()
                        .description("The manager has tokens and none or an unknown one was sent")
                        .header(
                            "www-authenticate",
                            HeaderBuilder::new()
                                .schema(String::schema())
                                .description(Some("Bearer"))
                                .build(),
                        )
                        .build();
                    let forbidden = error()
                        .description("The token's role may not do this")
                        .build();
                    op.responses
                        .responses
                        .insert("401".into(), RefOr::T(unauthorized));
                    op.responses
                        .responses
                        .insert("403".into(), RefOr::T(forbidden));
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(r) = response {
                        r.headers.insert("server-timing".into(), timing.clone());
                        if status == "503" {
                            r.headers.insert("retry-after".into(), retry.clone());
                        }
                    }
                }
            }
        }
    }
}

/// This API's OpenAPI document.
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = serde_json::Value)))]
pub async fn serve() -> impl IntoResponse {
    // Built and serialised once, on the first request.
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the document serialises")
    });
    ([(header::CONTENT_TYPE, "application/json")], json.as_str())
}
