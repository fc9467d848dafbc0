//! Producers: self and proxy registration, email confirmation, review (approve / reject /
//! suspend / reinstate), profile, closures, bank-account changes with operator re-approval.
pub mod domain;
pub mod dto;
pub mod handlers;
pub mod repo;
pub mod service;

use crate::{area::Area, http::route::RouteSpec, route};

/// The producer API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(
            POST,
            "/api/v1/aggregators/{slug}/producer-registrations",
            handlers::register_producer
        ),
        route!(POST, "/api/v1/auth/confirm-email", handlers::confirm_email),
        route!(GET, "/api/v1/producers", handlers::list_producers),
        route!(POST, "/api/v1/producers", handlers::create_producer),
        route!(GET, "/api/v1/producers/{id}", handlers::get_producer),
        route!(PATCH, "/api/v1/producers/{id}", handlers::update_producer),
        route!(
            POST,
            "/api/v1/producers/{id}/approve",
            handlers::approve_producer
        ),
        route!(
            POST,
            "/api/v1/producers/{id}/reject",
            handlers::reject_producer
        ),
        route!(
            POST,
            "/api/v1/producers/{id}/suspend",
            handlers::suspend_producer
        ),
        route!(
            POST,
            "/api/v1/producers/{id}/reinstate",
            handlers::reinstate_producer
        ),
        route!(
            POST,
            "/api/v1/producers/{id}/bank-account-change",
            handlers::request_bank_change
        ),
        route!(
            POST,
            "/api/v1/producers/{id}/bank-account-change/approve",
            handlers::approve_bank_change
        ),
        route!(
            POST,
            "/api/v1/producers/{id}/bank-account-change/reject",
            handlers::reject_bank_change
        ),
        route!(
            GET,
            "/api/v1/producers/{id}/closures",
            handlers::list_closures
        ),
        route!(POST, "/api/v1/closures", handlers::create_closure),
        route!(DELETE, "/api/v1/closures/{id}", handlers::delete_closure),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::register_producer,
    handlers::confirm_email,
    handlers::list_producers,
    handlers::create_producer,
    handlers::get_producer,
    handlers::update_producer,
    handlers::approve_producer,
    handlers::reject_producer,
    handlers::suspend_producer,
    handlers::reinstate_producer,
    handlers::request_bank_change,
    handlers::approve_bank_change,
    handlers::reject_bank_change,
    handlers::list_closures,
    handlers::create_closure,
    handlers::delete_closure,
))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        ..Area::new("producers")
    }
}
