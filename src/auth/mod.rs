//! Accounts: users and roles, sessions (cookie), API tokens (bearer), password hashing and
//! reset, login rate limits, user management, and the `Actor` every service receives.
pub mod dto;
pub mod handlers;
pub mod jobs;
pub mod password;
pub mod repo;
pub mod service;
pub mod users;

use crate::{
    area::Area,
    http::{actor::Authenticator, route::RouteSpec},
    route,
};

/// The area: routes, OpenAPI, the password-reset job and the authenticator every actor
/// extraction uses.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        jobs: jobs::register,
        init: |init| {
            init.parts.insert(Authenticator {
                token: |app, token| Box::pin(service::authenticate_token(app, token)),
                session: |app, value| Box::pin(service::authenticate_session(app, value)),
            });
            Ok(())
        },
        ..Area::new("auth")
    }
}

/// The auth and users part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::login,
    handlers::logout,
    handlers::request_password_reset,
    handlers::confirm_password_reset,
    handlers::me,
    handlers::update_me,
    handlers::list_tokens,
    handlers::create_token,
    handlers::revoke_token,
    handlers::list_users,
    handlers::invite_user,
    handlers::get_user,
    handlers::update_user,
    handlers::deactivate_user,
    handlers::reactivate_user,
))]
pub struct Api;

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
