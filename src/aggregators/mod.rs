//! Tenants: one aggregator per island group or co-op; created by the CLI or an admin.
pub mod handlers;
pub mod service;

use crate::{route, startup::RouteSpec};

/// The aggregator API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/aggregators", handlers::list_aggregators),
        route!(POST, "/api/v1/aggregators", handlers::create_aggregator),
    ]
}
