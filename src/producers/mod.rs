//! Producers: self and proxy registration, email confirmation, review (approve / reject /
//! suspend / reinstate), profile, closures, bank-account changes with operator re-approval.
pub mod domain;
pub mod dto;
pub mod handlers;
pub mod service;

use crate::{route, startup::RouteSpec};

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
