//! Officer analytics (DESIGN.md §1 officer role, §4 `sales_daily`; issue 17): the daily sales
//! rollup, maintained incrementally from the order core's events (shop and channel orders
//! alike) and rebuildable from the orders (`yuimaru analytics rebuild`), and the officer's
//! sales report under the privacy rules (`GET /api/v1/analytics/sales`). It imports the order
//! core, the catalogue, producers and reference data; nothing below imports it.
pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod repo;
pub mod report;
pub mod rollup;
pub mod service;

use crate::{area::Area, http::route::RouteSpec, route};

/// The analytics API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/analytics/sales", handlers::sales),
        route!(GET, "/api/v1/analytics/sales.csv", handlers::sales_csv),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::sales, handlers::sales_csv))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        jobs: jobs::register,
        ..Area::new("analytics")
    }
}
