//! Accounts: users and roles, sessions (cookie), API tokens (bearer), password hashing and
//! reset, login rate limits, user management, and the `Actor` every service receives.
pub mod actor;
pub mod dto;
pub mod handlers;
pub mod password;
pub mod service;
pub mod users;

use crate::{route, startup::RouteSpec};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "yuimaru_session";

/// The auth and user-management API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(POST, "/api/v1/auth/login", handlers::login),
        route!(POST, "/api/v1/auth/logout", handlers::logout),
        route!(
            POST,
            "/api/v1/auth/password-reset",
            handlers::request_password_reset
        ),
        route!(
            POST,
            "/api/v1/auth/password-reset/confirm",
            handlers::confirm_password_reset
        ),
        route!(GET, "/api/v1/me", handlers::me),
        route!(PATCH, "/api/v1/me", handlers::update_me),
        route!(GET, "/api/v1/me/tokens", handlers::list_tokens),
        route!(POST, "/api/v1/me/tokens", handlers::create_token),
        route!(DELETE, "/api/v1/me/tokens/{id}", handlers::revoke_token),
        route!(GET, "/api/v1/users", handlers::list_users),
        route!(POST, "/api/v1/users", handlers::invite_user),
        route!(GET, "/api/v1/users/{id}", handlers::get_user),
        route!(PATCH, "/api/v1/users/{id}", handlers::update_user),
        route!(
            POST,
            "/api/v1/users/{id}/deactivate",
            handlers::deactivate_user
        ),
        route!(
            POST,
            "/api/v1/users/{id}/reactivate",
            handlers::reactivate_user
        ),
    ]
}
