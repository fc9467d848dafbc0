//! Reference data for forms and filters: prefectures, municipalities, islands (public, read-only).
pub mod handlers;
pub mod service;

use crate::{route, startup::RouteSpec};

/// The reference-data API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/prefectures", handlers::list_prefectures),
        route!(GET, "/api/v1/municipalities", handlers::list_municipalities),
        route!(GET, "/api/v1/islands", handlers::list_islands),
    ]
}
