//! Liveness and readiness.
use crate::{
    area::Area,
    error::{ApiError, ApiResult, ErrorBody},
    http::route::RouteSpec,
    route,
    state::AppState,
};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The health routes.
pub fn routes() -> Vec<RouteSpec> {
    vec![route!(GET, "/health", health), route!(GET, "/ready", ready)]
}

/// Status body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: String,
}

/// The process is up (no I/O).
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, body = Status)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

/// The database answers.
#[utoipa::path(get, path = "/ready", tag = "system",
    responses((status = 200, body = Status), (status = 503, body = ErrorBody)))]
pub async fn ready(app: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if crate::db::ping(&app.db).await {
        Ok(HttpResponse::Ok().json(Status {
            status: "ready".into(),
        }))
    } else {
        Err(ApiError::Unavailable)
    }
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(health, ready,))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        ..Area::new("system")
    }
}
