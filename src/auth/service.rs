//! Authentication services: resolving credentials to an [`Actor`], login/logout with
//! database sessions and rate limits, API tokens, password reset by one-time link.
use super::password;
use crate::{
    audit::{self, AuditRecord},
    core::locale::Locale,
    core::{
        self,
        secrets::{hash_token, keyed_hash, random_token},
        validate,
    },
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role, Via},
    jobs::{NewJob, enqueue},
    mail::messages::EmailMessage,
    state::AppState,
};
use chrono::Duration;
use entity::{api_token, app_user, login_attempt, one_time_link};
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use uuid::Uuid;

/// Prefix of every API token (helps secret scanners and humans recognise them).
pub const TOKEN_PREFIX: &str = "ym_";

/// Resolves a bearer token to its active user. One indexed lookup; `last_used_at` is written
/// at most once a minute so authenticated reads stay read-only.
///
/// # Errors
/// 401 for unknown, revoked or expired tokens and deactivated users.
#[tracing::instrument(skip_all)]
pub async fn authenticate_token(app: &AppState, token: &str) -> ApiResult<Actor> {
    let now = core::now();
    let (actor, last_used) = super::repo::token_actor(&app.db, hash_token(token), now)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if last_used.is_none_or(|t| now - t > Duration::minutes(1))
        && let Via::Token { token_id } = &actor.via
    {
        super::repo::touch_token(&app.db, *token_id, now).await?;
    }
    Ok(actor)
}

/// Resolves a session cookie value to its active user.
///
/// # Errors
/// 401 for unknown or expired sessions and deactivated users.
#[tracing::instrument(skip_all)]
pub async fn authenticate_session(app: &AppState, cookie: &str) -> ApiResult<Actor> {
    super::repo::session_actor(&app.db, hash_token(cookie), core::now())
        .await?
        .ok_or(ApiError::Unauthenticated)
}

/// A successful login.
pub struct LoginOutcome {
    pub actor: Actor,
    /// The new session cookie value (only its hash is stored).
    pub session_token: String,
    pub csrf_token: String,
}

/// Logs in with email and password: rate limits per account and per client address (counted
/// in the database, so every instance shares them), Argon2id verification, a new session id
/// (the previous session, if any, is deleted: the id is rotated), audit events.
///
/// # Errors
/// 401 `invalid_credentials`, 429 `too_many_requests`, 422 for a malformed email.
#[tracing::instrument(skip_all)]
pub async fn login(
    app: &AppState,
    email: &str,
    password_plain: &str,
    client_ip: &str,
    previous_session: Option<&str>,
) -> ApiResult<LoginOutcome> {
    let email = validate::email(email).map_err(|m| ApiError::field("email", m))?;
    if password_plain.is_empty() {
        return Err(ApiError::field("password", "is required"));
    }
    let auth = &app.settings.auth;
    let secret = auth.secret_key.expose_secret();
    let account_key = keyed_hash(secret, &format!("account:{email}"));
    let ip_key = keyed_hash(secret, &format!("ip:{client_ip}"));
    let now = core::now();
    let since = now - Duration::minutes(auth.failure_window_minutes);

    // Record the attempt as a failure *before* counting and verifying: the k-th concurrent
    // attempt then counts at least k, so no burst of parallel guesses gets past the limit.
    let attempt_id = super::repo::record_attempt(&app.db, &account_key, &ip_key, false).await?;
    let count_failures = |col: login_attempt::Column, key: String| {
        super::repo::failures_since(&app.db, col, key, since)
    };
    let account_failures =
        count_failures(login_attempt::Column::AccountKey, account_key.clone()).await?;
    let ip_failures = count_failures(login_attempt::Column::IpKey, ip_key.clone()).await?;
    if account_failures > auth.max_failures_per_account || ip_failures > auth.max_failures_per_ip {
        return Err(ApiError::TooManyRequests {
            retry_after_seconds: (auth.failure_window_minutes * 60) as u64,
        });
    }

    let user = super::repo::user_by_email(&app.db, &email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify(password_plain.to_string(), hash).await;
    let user = match user {
        Some(u) if ok && u.active => u,
        other => {
            audit::record(
                &app.db,
                AuditRecord {
                    aggregator_id: other.as_ref().and_then(|u| u.aggregator_id),
                    actor_user_id: None,
                    action: "login_failed",
                    subject_type: "user",
                    subject_id: other.as_ref().map(|u| u.id.to_string()),
                    details: serde_json::json!({
                        "reason": match &other {
                            None => "unknown_account",
                            Some(u) if !u.active => "deactivated",
                            Some(_) => "bad_password",
                        }
                    }),
                },
            )
            .await?;
            return Err(ApiError::InvalidCredentials);
        }
    };

    let session_token = random_token();
    let csrf_token = random_token();
    let txn = db::begin_write(&app.db).await?;
    if let Some(prev) = previous_session {
        super::repo::delete_session(&txn, hash_token(prev)).await?;
    }
    super::repo::insert_session(
        &txn,
        hash_token(&session_token),
        user.id,
        csrf_token.clone(),
        now,
        now + Duration::hours(auth.session_ttl_hours),
    )
    .await?;
    super::repo::attempt_succeeded(&txn, attempt_id).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: user.aggregator_id,
            actor_user_id: Some(user.id),
            action: "login",
            subject_type: "user",
            subject_id: Some(user.id.to_string()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    let actor = actor_from_model(
        &user,
        Via::Session {
            session_id: hash_token(&session_token),
            csrf_token: csrf_token.clone(),
        },
    )?;
    Ok(LoginOutcome {
        actor,
        session_token,
        csrf_token,
    })
}

/// Builds an actor from a user row.
///
/// # Errors
/// A stored role that is not known.
pub fn actor_from_model(u: &app_user::Model, via: Via) -> ApiResult<Actor> {
    Ok(Actor {
        user_id: u.id,
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role: Role::parse(&u.role)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown role {}", u.role)))?,
        aggregator_id: u.aggregator_id,
        producer_id: u.producer_id,
        prefecture_code: u.prefecture_code.clone(),
        locale: u.locale.clone(),
        via,
    })
}

/// Ends the session behind a cookie value (server-side: the cookie stops working at once).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn logout(app: &AppState, session_cookie: &str) -> ApiResult<()> {
    super::repo::delete_session(&app.db, hash_token(session_cookie)).await?;
    Ok(())
}

/// A new API token: the secret is returned once, only its SHA-256 is stored.
///
/// # Errors
/// 422 for a bad name or lifetime.
#[tracing::instrument(skip_all)]
pub async fn create_token(
    app: &AppState,
    actor: &Actor,
    name: &str,
    expires_in_days: Option<i64>,
) -> ApiResult<(api_token::Model, String)> {
    let name = validate::text(name, 100).map_err(|m| ApiError::field("name", m))?;
    if let Some(d) = expires_in_days
        && !(1..=3650).contains(&d)
    {
        return Err(ApiError::field(
            "expires_in_days",
            "must be between 1 and 3650",
        ));
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let model = super::repo::insert_token(
        &txn,
        api_token::Model {
            id: core::new_id(),
            user_id: actor.user_id,
            name,
            token_hash: hash_token(&secret),
            prefix: secret[..10].to_string(),
            created_at: now,
            expires_at: expires_in_days.map(|d| now + Duration::days(d)),
            last_used_at: None,
            revoked_at: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: actor.aggregator_id,
            actor_user_id: Some(actor.user_id),
            action: "token_created",
            subject_type: "api_token",
            subject_id: Some(model.id.to_string()),
            details: serde_json::json!({ "name": model.name, "prefix": model.prefix }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((model, secret))
}

/// The actor's own tokens (revoked ones included, newest first).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn list_tokens(app: &AppState, actor: &Actor) -> ApiResult<Vec<api_token::Model>> {
    Ok(super::repo::tokens_of(&app.db, actor.user_id).await?)
}

/// Revokes one of the actor's tokens.
///
/// # Errors
/// 404 when it is not the actor's token.
#[tracing::instrument(skip_all)]
pub async fn revoke_token(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let token = super::repo::token_of(&txn, actor.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if token.revoked_at.is_none() {
        super::repo::revoke_token(&txn, id, now).await?;
        audit::record(
            &txn,
            AuditRecord {
                aggregator_id: actor.aggregator_id,
                actor_user_id: Some(actor.user_id),
                action: "token_revoked",
                subject_type: "api_token",
                subject_id: Some(id.to_string()),
                details: serde_json::json!({ "prefix": token.prefix }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Purposes of one-time links.
pub mod link_purpose {
    pub const RESET: &str = "reset";
    pub const INVITE: &str = "invite";
    /// Confirms a producer's email address (`/confirm-email/{token}`).
    pub const CONFIRM_EMAIL: &str = "confirm_email";
    /// Purposes whose link sets a password.
    pub const SETS_PASSWORD: [&str; 2] = [RESET, INVITE];
}

/// Creates a one-time link for `user` (inside `db`'s transaction) and returns its URL.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn create_link(
    app: &AppState,
    db: &impl ConnectionTrait,
    user: &app_user::Model,
    purpose: &str,
    ttl: Duration,
) -> Result<(Uuid, String), sea_orm::DbErr> {
    let token = random_token();
    let now = core::now();
    let id = core::new_id();
    super::repo::insert_link(
        db,
        one_time_link::Model {
            id,
            user_id: user.id,
            purpose: purpose.to_string(),
            token_hash: hash_token(&token),
            expires_at: now + ttl,
            used_at: None,
            created_at: now,
        },
    )
    .await?;
    let base = app.settings.server.base_url.trim_end_matches('/');
    let path = if purpose == link_purpose::CONFIRM_EMAIL {
        "confirm-email"
    } else {
        "password-reset"
    };
    Ok((id, format!("{base}/{path}/{token}")))
}

/// Starts a password reset. The request only validates the address and enqueues an
/// `auth.password_reset` job, the same work whether or not an account exists, so neither the
/// answer nor its timing reveals which addresses have accounts.
///
/// # Errors
/// 422 for a malformed email.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(app: &AppState, email: &str) -> ApiResult<()> {
    let email = validate::email(email).map_err(|m| ApiError::field("email", m))?;
    enqueue(
        &app.db,
        NewJob::of(&super::jobs::PasswordReset {
            email: email.to_string(),
        }),
    )
    .await?;
    Ok(())
}

/// The `auth.password_reset` job: when an active account has this email, writes a one-time
/// link and enqueues the email in one transaction; at most one email per account per minute.
///
/// # Errors
/// Database failure (the job retries).
#[tracing::instrument(skip_all)]
pub async fn process_password_reset(app: &AppState, email: &str) -> Result<(), sea_orm::DbErr> {
    let txn = db::begin_write(&app.db).await?;
    let Some(user) = super::repo::active_user_by_email(&txn, email).await? else {
        return Ok(());
    };
    let recent = super::repo::links_since(
        &txn,
        user.id,
        link_purpose::RESET,
        core::now() - Duration::minutes(1),
    )
    .await?;
    if recent > 0 {
        return Ok(());
    }
    let ttl = app.settings.auth.reset_link_ttl_minutes;
    let (link_id, url) = create_link(
        app,
        &txn,
        &user,
        link_purpose::RESET,
        Duration::minutes(ttl),
    )
    .await?;
    enqueue_mail(
        &txn,
        &user,
        &link_id.to_string(),
        EmailMessage::PasswordReset {
            display_name: user.display_name.clone(),
            link: url,
            expires_minutes: ttl,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: user.aggregator_id,
            actor_user_id: None,
            action: "password_reset_requested",
            subject_type: "user",
            subject_id: Some(user.id.to_string()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await
}

/// Enqueues one email to `user` for event `event_id` (one job per event and template).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn enqueue_mail(
    db: &impl ConnectionTrait,
    user: &app_user::Model,
    event_id: &str,
    message: EmailMessage,
) -> Result<(), sea_orm::DbErr> {
    crate::jobs::builtin::enqueue_mail(
        db,
        &user.email,
        Locale::parse(&user.locale),
        user.aggregator_id,
        event_id,
        message,
    )
    .await
}

/// Checks a new password against the policy.
///
/// # Errors
/// 422 naming `field`.
pub fn check_password(app: &AppState, field: &str, pw: &str) -> ApiResult<()> {
    let min = app.settings.auth.min_password_length;
    if pw.chars().count() < min {
        return Err(ApiError::field(
            field,
            format!("must be at least {min} characters"),
        ));
    }
    if pw.len() > 1024 {
        return Err(ApiError::field(field, "is too long"));
    }
    Ok(())
}

/// Whether a password-setting link token is currently usable (for showing the form).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn link_is_valid(app: &AppState, token: &str) -> ApiResult<bool> {
    Ok(super::repo::live_link(
        &app.db,
        hash_token(token),
        &link_purpose::SETS_PASSWORD,
        core::now(),
    )
    .await?)
}

/// Sets a new password through a one-time link (reset or invitation). The link is consumed
/// with a conditional update, so it works once even under concurrent use; all the user's
/// sessions end and all the user's API tokens are revoked.
///
/// # Errors
/// 422 `password` too short; 410-like 422 `token` invalid, used or expired.
#[tracing::instrument(skip_all)]
pub async fn confirm_password_reset(
    app: &AppState,
    token: &str,
    new_password: &str,
) -> ApiResult<()> {
    check_password(app, "new_password", new_password)?;
    let invalid = || ApiError::field("token", "this link is invalid, already used or expired");
    // Cheap check first, so random tokens never cost an Argon2 hash.
    if !link_is_valid(app, token).await? {
        return Err(invalid());
    }
    let hash = password::hash(new_password.to_string()).await?;
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let link = super::repo::link_by_hash(&txn, hash_token(token), &link_purpose::SETS_PASSWORD)
        .await?
        .ok_or_else(invalid)?;
    if !super::repo::use_link(&txn, link.id, now).await? {
        return Err(invalid());
    }
    let user = super::repo::user(&txn, link.user_id)
        .await?
        .ok_or_else(invalid)?;
    if !user.active {
        return Err(invalid());
    }
    super::repo::set_password(&txn, user.id, hash, now).await?;
    // A reset often follows a takeover: end every session and revoke every API token.
    super::repo::end_access(&txn, user.id, now).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: user.aggregator_id,
            actor_user_id: Some(user.id),
            action: if link.purpose == link_purpose::INVITE {
                "invitation_accepted"
            } else {
                "password_reset"
            },
            subject_type: "user",
            subject_id: Some(user.id.to_string()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
