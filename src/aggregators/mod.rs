//! Tenants: one aggregator per island group or co-op; created by the CLI or an admin.
pub mod handlers;
pub mod repo;
pub mod service;

use crate::{area::Area, http::route::RouteSpec, route};

/// The aggregator API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/aggregators", handlers::list_aggregators),
        route!(POST, "/api/v1/aggregators", handlers::create_aggregator),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::list_aggregators, handlers::create_aggregator,))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        ..Area::new("aggregators")
    }
}
