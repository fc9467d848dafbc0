//! The OpenAPI 3.1 document at `/api/openapi.json` and Swagger UI (bundled into the binary,
//! works offline) at `/docs`. This module holds the document's frame (title, tags, security
//! schemes, the docs routes); each area contributes its own operations and the composition
//! root merges them into one [`ApiDocument`], rendered once at start-up.
use crate::{http::route::RouteSpec, route, state::AppState};
use actix_web::{HttpResponse, web};
use std::sync::Arc;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The document's frame.
#[derive(OpenApi)]
#[openapi(
    info(title = "yuimaru API", description = "Consolidated storefront for island and rural producers. \
        Errors always have the body `{\"error\":{\"code\",\"message\",\"details\",\"request_id\"}}`."),
    paths(openapi_json, docs_index, docs_file),
    modifiers(&Security),
    tags(
        (name = "system", description = "liveness and readiness"),
        (name = "auth", description = "login, sessions, API tokens, password reset"),
        (name = "users", description = "user management"),
        (name = "aggregators", description = "tenants"),
        (name = "jobs", description = "background jobs, dead letters and replay"),
        (name = "reference", description = "prefectures, municipalities, islands"),
        (name = "producers", description = "registration, review, profile, closures, bank accounts"),
        (name = "catalog", description = "categories, products, review workflow, revisions, SKUs"),
        (name = "inventory", description = "locations, inbound shipments, receiving, stock, reservations"),
        (name = "fulfilment", description = "pick and packing lists, carrier label files, tracking, delivery"),
        (name = "payments", description = "card payment webhook, bank statement import"),
        (name = "analytics", description = "officers' sales reports under the privacy rules"),
        (name = "pages", description = "server-rendered HTML pages (forms need the CSRF token)"),
        (name = "docs", description = "this document and its browser")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API token from POST /api/v1/me/tokens"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "yuimaru_session",
                "session cookie from login; unsafe API calls also need X-CSRF-Token",
            ))),
        );
    }
}

/// The merged document, rendered as JSON (a runtime part built by the root).
pub struct ApiDocument(pub String);

impl ApiDocument {
    /// The frame merged with every area's part.
    pub fn build(areas: impl IntoIterator<Item = utoipa::openapi::OpenApi>) -> Self {
        let mut doc = ApiDoc::openapi();
        for part in areas {
            doc.merge(part);
        }
        Self(doc.to_json().unwrap_or_else(|_| "{}".into()))
    }
}

/// Documentation routes.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/openapi.json", openapi_json),
        route!(GET, "/docs", docs_index),
        route!(GET, "/docs/{file}", docs_file),
    ]
}

/// The OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json(app: web::Data<AppState>) -> HttpResponse {
    match app.part::<ApiDocument>() {
        Ok(doc) => HttpResponse::Ok()
            .content_type("application/json")
            .body(doc.0.clone()),
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

/// Swagger UI.
#[utoipa::path(get, path = "/docs", tag = "docs",
    responses((status = 303, description = "redirect to /docs/index.html")))]
pub async fn docs_index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", "/docs/index.html"))
        .finish()
}

/// Swagger UI's files (bundled in the binary).
#[utoipa::path(get, path = "/docs/{file}", tag = "docs",
    params(("file" = String, Path, description = "file name, e.g. index.html")),
    responses((status = 200, description = "file", content_type = "text/html"),
        (status = 404, description = "no such file", body = crate::error::ErrorBody)))]
pub async fn docs_file(file: web::Path<String>) -> HttpResponse {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json"));
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(f)) => HttpResponse::Ok()
            .content_type(f.content_type)
            .body(f.bytes.to_vec()),
        _ => actix_web::ResponseError::error_response(&crate::error::ApiError::NotFound),
    }
}
