//! Reference data for forms and filters: prefectures, municipalities, islands (public, read-only).
pub mod handlers;
pub mod repo;
pub mod service;

use crate::{area::Area, http::route::RouteSpec, route};

/// The reference-data API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/prefectures", handlers::list_prefectures),
        route!(GET, "/api/v1/municipalities", handlers::list_municipalities),
        route!(GET, "/api/v1/islands", handlers::list_islands),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_prefectures,
    handlers::list_municipalities,
    handlers::list_islands,
))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        ..Area::new("reference")
    }
}
