//! The auth area's queries: credentials resolved to their user (one indexed join each), login
//! attempts and their counts, sessions.
use crate::{
    core,
    db::sql_for,
    http::actor::{Actor, Role, Via},
};
use chrono::{DateTime, Utc};
use entity::{api_token, app_user, login_attempt, one_time_link, session};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect, Statement, sea_query::Expr,
};
use uuid::Uuid;

const USER_COLS: &str = "u.id, u.aggregator_id, u.email, u.display_name, u.role, u.producer_id, \
                         u.prefecture_code, u.locale";

fn actor_from_row(row: &QueryResult, via: Via) -> Result<Actor, DbErr> {
    let role: String = row.try_get("", "role")?;
    Ok(Actor {
        user_id: row.try_get("", "id")?,
        aggregator_id: row.try_get("", "aggregator_id")?,
        email: row.try_get("", "email")?,
        display_name: row.try_get("", "display_name")?,
        role: Role::parse(&role).ok_or_else(|| DbErr::Custom(format!("unknown role {role}")))?,
        producer_id: row.try_get("", "producer_id")?,
        prefecture_code: row.try_get("", "prefecture_code")?,
        locale: row.try_get("", "locale")?,
        via,
    })
}

/// The active user of the live API token whose hash is `token_hash`, with when the token was
/// last used.
///
/// # Errors
/// Database failure.
pub async fn token_actor(
    db: &impl ConnectionTrait,
    token_hash: String,
    now: DateTime<Utc>,
) -> Result<Option<(Actor, Option<DateTime<Utc>>)>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT {USER_COLS}, t.id AS token_id, t.last_used_at FROM api_token t \
         JOIN app_user u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.active = $3"
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(backend, &sql),
        [token_hash.into(), now.into(), true.into()],
    );
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let token_id: Uuid = row.try_get("", "token_id")?;
    let last_used: Option<DateTime<Utc>> = row.try_get("", "last_used_at")?;
    Ok(Some((
        actor_from_row(&row, Via::Token { token_id })?,
        last_used,
    )))
}

/// Records that token `id` was used at `now`.
///
/// # Errors
/// Database failure.
pub async fn touch_token(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(now)))
        .filter(api_token::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// The active user of the live session whose id (the cookie's hash) is `session_id`.
///
/// # Errors
/// Database failure.
pub async fn session_actor(
    db: &impl ConnectionTrait,
    session_id: String,
    now: DateTime<Utc>,
) -> Result<Option<Actor>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT {USER_COLS}, s.id AS session_id, s.csrf_token FROM session s \
         JOIN app_user u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.expires_at > $2 AND u.active = $3"
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(backend, &sql),
        [session_id.into(), now.into(), true.into()],
    );
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let session_id: String = row.try_get("", "session_id")?;
    let csrf_token: String = row.try_get("", "csrf_token")?;
    Ok(Some(actor_from_row(
        &row,
        Via::Session {
            session_id,
            csrf_token,
        },
    )?))
}

/// Records a login attempt; its id.
///
/// # Errors
/// Database failure.
pub async fn record_attempt(
    db: &impl ConnectionTrait,
    account_key: &str,
    ip_key: &str,
    succeeded: bool,
) -> Result<Uuid, DbErr> {
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

/// Failed attempts since `since` whose `col` (account or address key) is `key`.
///
/// # Errors
/// Database failure.
pub async fn failures_since(
    db: &impl ConnectionTrait,
    col: login_attempt::Column,
    key: String,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    login_attempt::Entity::find()
        .filter(col.eq(key))
        .filter(login_attempt::Column::Succeeded.eq(false))
        .filter(login_attempt::Column::CreatedAt.gt(since))
        .count(db)
        .await
}

/// Marks attempt `id` successful.
///
/// # Errors
/// Database failure.
pub async fn attempt_succeeded(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    login_attempt::Entity::update_many()
        .col_expr(login_attempt::Column::Succeeded, Expr::value(true))
        .filter(login_attempt::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// The user with this (normalised) email.
///
/// # Errors
/// Database failure.
pub async fn user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<app_user::Model>, DbErr> {
    app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email))
        .one(db)
        .await
}

/// Deletes the session `id` (the cookie's hash), if it exists.
///
/// # Errors
/// Database failure.
pub async fn delete_session(db: &impl ConnectionTrait, id: String) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

/// Stores a new session.
///
/// # Errors
/// Database failure.
pub async fn insert_session(
    db: &impl ConnectionTrait,
    id: String,
    user_id: Uuid,
    csrf_token: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Stores a new API token.
///
/// # Errors
/// Database failure.
pub async fn insert_token(
    db: &impl ConnectionTrait,
    row: api_token::Model,
) -> Result<api_token::Model, DbErr> {
    api_token::ActiveModel::from(row).insert(db).await
}

/// The tokens of user `user_id`, newest first.
///
/// # Errors
/// Database failure.
pub async fn tokens_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// Token `id` if it belongs to user `user_id`.
///
/// # Errors
/// Database failure.
pub async fn token_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<api_token::Model>, DbErr> {
    api_token::Entity::find_by_id(id)
        .filter(api_token::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Marks token `id` revoked at `now`.
///
/// # Errors
/// Database failure.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Stores a one-time link.
///
/// # Errors
/// Database failure.
pub async fn insert_link(
    db: &impl ConnectionTrait,
    row: one_time_link::Model,
) -> Result<(), DbErr> {
    one_time_link::ActiveModel::from(row)
        .insert(db)
        .await
        .map(|_| ())
}

/// The active user with this email.
///
/// # Errors
/// Database failure.
pub async fn active_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<app_user::Model>, DbErr> {
    app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email))
        .filter(app_user::Column::Active.eq(true))
        .one(db)
        .await
}

/// User `id`.
///
/// # Errors
/// Database failure.
pub async fn user(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<app_user::Model>, DbErr> {
    app_user::Entity::find_by_id(id).one(db).await
}

/// Links of `purpose` made for user `user_id` since `since`.
///
/// # Errors
/// Database failure.
pub async fn links_since(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: &str,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    one_time_link::Entity::find()
        .filter(one_time_link::Column::UserId.eq(user_id))
        .filter(one_time_link::Column::Purpose.eq(purpose))
        .filter(one_time_link::Column::CreatedAt.gt(since))
        .count(db)
        .await
}

/// Whether an unused, unexpired link of one of `purposes` has this token hash.
///
/// # Errors
/// Database failure.
pub async fn live_link(
    db: &impl ConnectionTrait,
    token_hash: String,
    purposes: &[&str],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(one_time_link::Entity::find()
        .filter(one_time_link::Column::TokenHash.eq(token_hash))
        .filter(one_time_link::Column::Purpose.is_in(purposes.iter().copied()))
        .filter(one_time_link::Column::UsedAt.is_null())
        .filter(one_time_link::Column::ExpiresAt.gt(now))
        .count(db)
        .await?
        > 0)
}

/// The link of one of `purposes` with this token hash (used or not).
///
/// # Errors
/// Database failure.
pub async fn link_by_hash(
    db: &impl ConnectionTrait,
    token_hash: String,
    purposes: &[&str],
) -> Result<Option<one_time_link::Model>, DbErr> {
    one_time_link::Entity::find()
        .filter(one_time_link::Column::TokenHash.eq(token_hash))
        .filter(one_time_link::Column::Purpose.is_in(purposes.iter().copied()))
        .one(db)
        .await
}

/// Consumes link `id` if it is still unused and unexpired: `true` when this call did.
///
/// # Errors
/// Database failure.
pub async fn use_link(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(one_time_link::Entity::update_many()
        .col_expr(one_time_link::Column::UsedAt, Expr::value(Some(now)))
        .filter(one_time_link::Column::Id.eq(id))
        .filter(one_time_link::Column::UsedAt.is_null())
        .filter(one_time_link::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Sets user `id`'s password hash.
///
/// # Errors
/// Database failure.
pub async fn set_password(
    db: &impl ConnectionTrait,
    id: Uuid,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    app_user::Entity::update_many()
        .col_expr(app_user::Column::PasswordHash, Expr::value(Some(hash)))
        .col_expr(app_user::Column::UpdatedAt, Expr::value(now))
        .filter(app_user::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends every session of user `id` and revokes its live API tokens.
///
/// # Errors
/// Database failure.
pub async fn end_access(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(db)
        .await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::UserId.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// Stores a new user.
///
/// # Errors
/// Database failure (a taken email fails on its unique key).
pub async fn insert_user(
    db: &impl ConnectionTrait,
    row: app_user::Model,
) -> Result<app_user::Model, DbErr> {
    app_user::ActiveModel::from(row).insert(db).await
}

/// Writes the changed columns of a user.
///
/// # Errors
/// Database failure.
pub async fn update_user(
    db: &impl ConnectionTrait,
    am: app_user::ActiveModel,
) -> Result<app_user::Model, DbErr> {
    am.update(db).await
}

/// Users matching `cond`, newest first, at most `limit`.
///
/// # Errors
/// Database failure.
pub async fn users_where(
    db: &impl ConnectionTrait,
    cond: sea_orm::Condition,
    limit: u64,
) -> Result<Vec<app_user::Model>, DbErr> {
    app_user::Entity::find()
        .filter(cond)
        .order_by_desc(app_user::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The user matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn user_where(
    db: &impl ConnectionTrait,
    cond: sea_orm::Condition,
) -> Result<Option<app_user::Model>, DbErr> {
    app_user::Entity::find().filter(cond).one(db).await
}

/// Ends every session of user `id`.
///
/// # Errors
/// Database failure.
pub async fn end_sessions(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Whether an active user has role `role`.
///
/// # Errors
/// Database failure.
pub async fn any_active_with_role(db: &impl ConnectionTrait, role: &str) -> Result<bool, DbErr> {
    Ok(app_user::Entity::find()
        .filter(app_user::Column::Role.eq(role))
        .filter(app_user::Column::Active.eq(true))
        .count(db)
        .await?
        > 0)
}
