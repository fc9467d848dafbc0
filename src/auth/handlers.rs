//! HTTP handlers for `/api/v1/auth`, `/api/v1/me` and `/api/v1/users`.
use super::{dto::*, service, users};
use crate::{
    core::pagination::{PageQuery, next_cursor},
    error::{ApiResult, ErrorBody},
    http::{
        actor::{Actor, SESSION_COOKIE, Via},
        client_ip,
        json::Json,
    },
    state::AppState,
};
use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    web,
};
use uuid::Uuid;

/// The session cookie: HttpOnly, SameSite=Lax, Secure per config, server-side expiry.
pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie(String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}

/// Logs in; sets the session cookie and returns the user with the CSRF token to send as
/// `X-CSRF-Token` on later unsafe requests.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = MeView, description = "signed in; `Set-Cookie: yuimaru_session=…`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody, description = "`invalid_credentials`"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "too many failed attempts for this account or address")
    ))]
pub async fn login(
    app: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let out = service::login(
        &app,
        &body.email,
        &body.password,
        &client_ip(&req),
        previous.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(
            out.session_token,
            app.settings.server.secure_cookies,
        ))
        .json(MeView::from(&out.actor)))
}

/// Logs out: deletes the session server-side and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn logout(
    app: web::Data<AppState>,
    req: HttpRequest,
    actor: Actor,
) -> ApiResult<HttpResponse> {
    if let (Via::Session { .. }, Some(c)) = (&actor.via, req.cookie(SESSION_COOKIE)) {
        service::logout(&app, c.value()).await?;
    }
    Ok(HttpResponse::NoContent()
        .cookie(clear_session_cookie(app.settings.server.secure_cookies))
        .finish())
}

/// Emails a password-reset link when the account exists (always answers 202).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = PasswordResetRequest,
    responses((status = 202, description = "accepted"), (status = 400, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_password_reset(
    app: web::Data<AppState>,
    body: Json<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    service::request_password_reset(&app, &body.0.email).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Sets a new password with the emailed single-use token; ends all sessions of the account.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth",
    request_body = PasswordResetConfirm,
    responses((status = 204, description = "password set"), (status = 400, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody, description = "bad password or invalid/used/expired token")))]
pub async fn confirm_password_reset(
    app: web::Data<AppState>,
    body: Json<PasswordResetConfirm>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    service::confirm_password_reset(&app, &b.token, &b.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn me(actor: Actor) -> HttpResponse {
    HttpResponse::Ok().json(MeView::from(&actor))
}

/// Changes the signed-in user's display name or language.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth",
    request_body = UpdateMeRequest,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_me(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<UpdateMeRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let u = users::update_me(&app, &actor, b.display_name, b.locale).await?;
    Ok(HttpResponse::Ok().json(UserView::from(u)))
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth",
    responses((status = 200, body = TokenList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_tokens(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = service::list_tokens(&app, &actor).await?;
    Ok(HttpResponse::Ok().json(TokenList {
        items: items.into_iter().map(TokenView::from).collect(),
    }))
}

/// Creates an API token; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth",
    request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_token(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<CreateTokenRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let (model, secret) = service::create_token(&app, &actor, &b.name, b.expires_in_days).await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        info: model.into(),
        token: secret,
    }))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth",
    params(("id" = Uuid, Path, description = "token id")),
    responses((status = 204, description = "revoked"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revoke_token(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    service::revoke_token(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the users the caller manages (admins: all; operators: their aggregator).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(UserQuery),
    responses((status = 200, body = UserPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_users(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<UserQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let rows = users::list_users(
        &app,
        &actor,
        users::UserFilter {
            role: q.role,
            active: q.active,
        },
        page,
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|u| u.id).collect();
    Ok(HttpResponse::Ok().json(UserPage {
        next_cursor: next_cursor(&page, &ids),
        items: rows.into_iter().map(UserView::from).collect(),
    }))
}

/// Invites a user: creates the account and emails a link to set the password.
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = InviteUserRequest,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "`email_taken`"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn invite_user(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<InviteUserRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let u = users::invite_user(
        &app,
        &actor,
        users::InviteUser {
            email: b.email,
            display_name: b.display_name,
            role: b.role,
            locale: b.locale,
            aggregator_id: b.aggregator_id,
            producer_id: b.producer_id,
            prefecture_code: b.prefecture_code,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(UserView::from(u)))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_user(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let u = users::get_user(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(UserView::from(u)))
}

/// Changes a user's name, language or role (role changes end the user's sessions).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "user id")),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_user(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let u = users::update_user(
        &app,
        &actor,
        id.into_inner(),
        users::UpdateUser {
            display_name: b.display_name,
            role: b.role,
            locale: b.locale,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::from(u)))
}

/// Deactivates a user: ends their sessions and revokes their tokens.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users",
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn deactivate_user(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let u = users::set_active(&app, &actor, id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(UserView::from(u)))
}

/// Reactivates a user (they log in again; old tokens stay revoked).
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "users",
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reactivate_user(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let u = users::set_active(&app, &actor, id.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(UserView::from(u)))
}
