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
    db::{self, sql_for},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role, Via},
    jobs::{NewJob, enqueue},
    mail::messages::EmailMessage,
    state::AppState,
};
use chrono::Duration;
use entity::{api_token, app_user, login_attempt, one_time_link, session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QueryResult, Statement, sea_query::Expr,
};
use secrecy::ExposeSecret;
use uuid::Uuid;

/// Prefix of every API token (helps secret scanners and humans recognise them).
pub const TOKEN_PREFIX: &str = "ym_";

const USER_COLS: &str = "u.id, u.aggregator_id, u.email, u.display_name, u.role, u.producer_id, \
                         u.prefecture_code, u.locale";

fn actor_from_row(row: &QueryResult, via: Via) -> Result<Actor, sea_orm::DbErr> {
    let role: String = row.try_get("", "role")?;
    Ok(Actor {
        user_id: row.try_get("", "id")?,
        aggregator_id: row.try_get("", "aggregator_id")?,
        email: row.try_get("", "email")?,
        display_name: row.try_get("", "display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| sea_orm::DbErr::Custom(format!("unknown role {role}")))?,
        producer_id: row.try_get("", "producer_id")?,
        prefecture_code: row.try_get("", "prefecture_code")?,
        locale: row.try_get("", "locale")?,
        via,
    })
}

/// Resolves a bearer token to its active user. One indexed lookup; `last_used_at` is written
/// at most once a minute so authenticated reads stay read-only.
///
/// # Errors
/// 401 for unknown, revoked or expired tokens and deactivated users.
#[tracing::instrument(skip_all)]
pub async fn authenticate_token(app: &AppState, token: &str) -> ApiResult<Actor> {
    let now = core::now();
    let backend = app.db.get_database_backend();
    let sql = format!(
        "SELECT {USER_COLS}, t.id AS token_id, t.last_used_at FROM api_token t \
         JOIN app_user u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.active = $3"
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(backend, &sql),
        [hash_token(token).into(), now.into(), true.into()],
    );
    let row = app
        .db
        .query_one_raw(stmt)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let token_id: Uuid = row.try_get("", "token_id")?;
    let last_used: Option<chrono::DateTime<chrono::Utc>> = row.try_get("", "last_used_at")?;
    if last_used.is_none_or(|t| now - t > Duration::minutes(1)) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(api_token::Column::Id.eq(token_id))
            .exec(&app.db)
            .await?;
    }
    Ok(actor_from_row(&row, Via::Token { token_id })?)
}

/// Resolves a session cookie value to its active user.
///
/// # Errors
/// 401 for unknown or expired sessions and deactivated users.
#[tracing::instrument(skip_all)]
pub async fn authenticate_session(app: &AppState, cookie: &str) -> ApiResult<Actor> {
    let now = core::now();
    let backend = app.db.get_database_backend();
    let sql = format!(
        "SELECT {USER_COLS}, s.id AS session_id, s.csrf_token FROM session s \
         JOIN app_user u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.expires_at > $2 AND u.active = $3"
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(backend, &sql),
        [hash_token(cookie).into(), now.into(), true.into()],
    );
    let row = app
        .db
        .query_one_raw(stmt)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let session_id: String = row.try_get("", "session_id")?;
    let csrf_token: String = row.try_get("", "csrf_token")?;
    Ok(actor_from_row(
        &row,
        Via::Session {
            session_id,
            csrf_token,
        },
    )?)
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
    let attempt_id = record_attempt(&app.db, &account_key, &ip_key, false).await?;
    let count_failures = |col: login_attempt::Column, key: String| {
        login_attempt::Entity::find()
            .filter(col.eq(key))
            .filter(login_attempt::Column::Succeeded.eq(false))
            .filter(login_attempt::Column::CreatedAt.gt(since))
            .count(&app.db)
    };
    let account_failures =
        count_failures(login_attempt::Column::AccountKey, account_key.clone()).await?;
    let ip_failures = count_failures(login_attempt::Column::IpKey, ip_key.clone()).await?;
    if account_failures > auth.max_failures_per_account || ip_failures > auth.max_failures_per_ip {
        return Err(ApiError::TooManyRequests {
            retry_after_seconds: (auth.failure_window_minutes * 60) as u64,
        });
    }

    let user = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email.clone()))
        .one(&app.db)
        .await?;
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
        session::Entity::delete_by_id(hash_token(prev))
            .exec(&txn)
            .await?;
    }
    session::ActiveModel {
        id: Set(hash_token(&session_token)),
        user_id: Set(user.id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(auth.session_ttl_hours)),
    }
    .insert(&txn)
    .await?;
    login_attempt::Entity::update_many()
        .col_expr(login_attempt::Column::Succeeded, Expr::value(true))
        .filter(login_attempt::Column::Id.eq(attempt_id))
        .exec(&txn)
        .await?;
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

async fn record_attempt(
    db: &impl ConnectionTrait,
    account_key: &str,
    ip_key: &str,
    succeeded: bool,
) -> Result<Uuid, sea_orm::DbErr> {
    let id = core::new_id();
    login_attempt::ActiveModel {
        id: Set(id),
        account_key: Set(account_key.to_string()),
        ip_key: Set(ip_key.to_string()),
        succeeded: Set(succeeded),
        created_at: Set(core::now()),
    }
    .insert(db)
    .await?;
    Ok(id)
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
    session::Entity::delete_by_id(hash_token(session_cookie))
        .exec(&app.db)
        .await?;
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
    let model = api_token::ActiveModel {
        id: Set(core::new_id()),
        user_id: Set(actor.user_id),
        name: Set(name),
        token_hash: Set(hash_token(&secret)),
        prefix: Set(secret[..10].to_string()),
        created_at: Set(now),
        expires_at: Set(expires_in_days.map(|d| now + Duration::days(d))),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
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
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(actor.user_id))
        .order_by_desc(api_token::Column::Id)
        .all(&app.db)
        .await?)
}

/// Revokes one of the actor's tokens.
///
/// # Errors
/// 404 when it is not the actor's token.
#[tracing::instrument(skip_all)]
pub async fn revoke_token(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let token = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::UserId.eq(actor.user_id))
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    if token.revoked_at.is_none() {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
            .filter(api_token::Column::Id.eq(id))
            .exec(&txn)
            .await?;
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
    one_time_link::ActiveModel {
        id: Set(id),
        user_id: Set(user.id),
        purpose: Set(purpose.to_string()),
        token_hash: Set(hash_token(&token)),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
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
    let Some(user) = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email))
        .filter(app_user::Column::Active.eq(true))
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    let recent = one_time_link::Entity::find()
        .filter(one_time_link::Column::UserId.eq(user.id))
        .filter(one_time_link::Column::Purpose.eq(link_purpose::RESET))
        .filter(one_time_link::Column::CreatedAt.gt(core::now() - Duration::minutes(1)))
        .count(&txn)
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
    Ok(one_time_link::Entity::find()
        .filter(one_time_link::Column::TokenHash.eq(hash_token(token)))
        .filter(one_time_link::Column::Purpose.is_in(link_purpose::SETS_PASSWORD))
        .filter(one_time_link::Column::UsedAt.is_null())
        .filter(one_time_link::Column::ExpiresAt.gt(core::now()))
        .count(&app.db)
        .await?
        > 0)
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
    let link = one_time_link::Entity::find()
        .filter(one_time_link::Column::TokenHash.eq(hash_token(token)))
        .filter(one_time_link::Column::Purpose.is_in(link_purpose::SETS_PASSWORD))
        .one(&txn)
        .await?;
    let link = link.ok_or_else(invalid)?;
    let used = one_time_link::Entity::update_many()
        .col_expr(one_time_link::Column::UsedAt, Expr::value(Some(now)))
        .filter(one_time_link::Column::Id.eq(link.id))
        .filter(one_time_link::Column::UsedAt.is_null())
        .filter(one_time_link::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(invalid());
    }
    let user = app_user::Entity::find_by_id(link.user_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    if !user.active {
        return Err(invalid());
    }
    app_user::Entity::update_many()
        .col_expr(app_user::Column::PasswordHash, Expr::value(Some(hash)))
        .col_expr(app_user::Column::UpdatedAt, Expr::value(now))
        .filter(app_user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    // A reset often follows a takeover: end every session and revoke every API token.
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::UserId.eq(user.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
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
