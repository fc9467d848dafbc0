//! Payments: card payment intents and refunds through the provider adapter, the provider's
//! signed webhook (signature over the raw body, replay window, dedupe by event id), and the
//! bank-statement CSV import that marks bank-transfer orders paid. What they change on an
//! order goes through the order core.
pub mod domain;
pub mod dto;
pub mod handlers;
pub mod jobs;
pub mod provider;
pub mod refunds;
pub mod repo;
pub mod service;

use crate::{area::Area, http::route::RouteSpec, route};

/// The provider name stored with webhook events.
pub const PROVIDER: &str = "card";

/// The payments API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(POST, "/api/v1/payments/webhook", handlers::webhook),
        route!(POST, "/api/v1/payments/bank-import", handlers::bank_import),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::webhook, handlers::bank_import))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        jobs: jobs::register,
        ..Area::new("payments")
    }
}
