//! User management: invite, list, read, change role, deactivate / reactivate; and the CLI's
//! bootstrap of the first admin. Admins manage every tenant; operators manage their own
//! aggregator's operator, finance and producer accounts.
use super::{
    password,
    service::{self, link_purpose},
};
use crate::{
    audit::{self, AuditRecord},
    core::{self, pagination::Page, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    state::AppState,
};
use chrono::Duration;
use entity::app_user;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

/// Roles an operator may grant.
const OPERATOR_GRANTS: [Role; 3] = [Role::Operator, Role::Finance, Role::Producer];

/// Input of [`invite_user`].
#[derive(Debug, Clone)]
pub struct InviteUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub locale: Option<String>,
    pub aggregator_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub prefecture_code: Option<String>,
}

/// Changes in [`update_user`].
#[derive(Debug, Clone, Default)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub locale: Option<String>,
}

fn check_locale(field: &str, l: Option<String>) -> ApiResult<String> {
    match l.as_deref() {
        None => Ok("ja".into()),
        Some("ja") | Some("en") => Ok(l.unwrap_or_default()),
        Some(_) => Err(ApiError::field(field, "must be ja or en")),
    }
}

fn check_prefecture(code: &str) -> ApiResult<String> {
    let ok = code.len() == 2
        && code.chars().all(|c| c.is_ascii_digit())
        && code.parse::<u8>().is_ok_and(|n| (1..=47).contains(&n));
    if ok {
        Ok(code.to_string())
    } else {
        Err(ApiError::field(
            "prefecture_code",
            "must be a JIS X 0401 code 01-47",
        ))
    }
}

/// Validates the scope fields that go with a role.
fn scope_for_role(
    role: Role,
    aggregator_id: Option<Uuid>,
    producer_id: Option<Uuid>,
    prefecture_code: Option<String>,
) -> ApiResult<(Option<Uuid>, Option<Uuid>, Option<String>)> {
    match role {
        Role::Officer => {
            let p = prefecture_code
                .ok_or_else(|| ApiError::field("prefecture_code", "is required for officers"))?;
            Ok((None, None, Some(check_prefecture(&p)?)))
        }
        Role::Admin => Ok((aggregator_id, None, None)),
        Role::Operator | Role::Finance => {
            let a = aggregator_id
                .ok_or_else(|| ApiError::field("aggregator_id", "is required for this role"))?;
            Ok((Some(a), None, None))
        }
        Role::Producer => {
            let a = aggregator_id
                .ok_or_else(|| ApiError::field("aggregator_id", "is required for this role"))?;
            Ok((Some(a), producer_id, None))
        }
    }
}

/// Condition restricting users to what `actor` manages.
fn managed_scope(actor: &Actor) -> ApiResult<Condition> {
    actor.require(&[Role::Admin, Role::Operator])?;
    if actor.is_global_admin() {
        return Ok(Condition::all());
    }
    let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    Ok(Condition::all().add(app_user::Column::AggregatorId.eq(a)))
}

fn may_grant(actor: &Actor, role: Role) -> bool {
    match actor.role {
        Role::Admin => actor.is_global_admin() || role != Role::Officer,
        Role::Operator => OPERATOR_GRANTS.contains(&role),
        _ => false,
    }
}

/// Invites a user: creates the account without a password and emails a one-time link to set
/// it (enqueued in the same transaction). Audit-logged.
///
/// # Errors
/// 403 when the actor may not grant the role or use the tenant; 409 `email_taken`; 422 fields.
#[tracing::instrument(skip_all)]
pub async fn invite_user(
    app: &AppState,
    actor: &Actor,
    input: InviteUser,
) -> ApiResult<app_user::Model> {
    actor.require(&[Role::Admin, Role::Operator])?;
    let email = validate::email(&input.email).map_err(|m| ApiError::field("email", m))?;
    let display_name =
        validate::text(&input.display_name, 100).map_err(|m| ApiError::field("display_name", m))?;
    let locale = check_locale("locale", input.locale)?;
    if !may_grant(actor, input.role) {
        return Err(ApiError::forbidden());
    }
    let aggregator_id = if actor.is_global_admin() {
        input.aggregator_id
    } else {
        match input.aggregator_id {
            Some(a) if Some(a) != actor.aggregator_id => return Err(ApiError::forbidden()),
            _ => actor.aggregator_id,
        }
    };
    let (aggregator_id, producer_id, prefecture_code) = scope_for_role(
        input.role,
        aggregator_id,
        input.producer_id,
        input.prefecture_code,
    )?;

    let txn = db::begin_write(&app.db).await?;
    let org = match aggregator_id {
        Some(a) => {
            crate::aggregators::repo::by_id(&txn, a)
                .await?
                .ok_or_else(|| ApiError::field("aggregator_id", "no such aggregator"))?
                .name
        }
        None => "yuimaru".to_string(),
    };
    if super::repo::user_by_email(&txn, &email).await?.is_some() {
        return Err(ApiError::conflict(
            "email_taken",
            "an account with this email already exists",
        ));
    }
    let now = core::now();
    let user = super::repo::insert_user(
        &txn,
        app_user::Model {
            id: core::new_id(),
            aggregator_id,
            email,
            display_name,
            role: input.role.as_str().into(),
            producer_id,
            prefecture_code,
            locale,
            password_hash: None,
            active: true,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict { .. } => {
            ApiError::conflict("email_taken", "an account with this email already exists")
        }
        other => other,
    })?;
    let hours = app.settings.auth.invite_link_ttl_hours;
    let (link_id, url) = service::create_link(
        app,
        &txn,
        &user,
        link_purpose::INVITE,
        Duration::hours(hours),
    )
    .await?;
    service::enqueue_mail(
        &txn,
        &user,
        &link_id.to_string(),
        EmailMessage::Invitation {
            display_name: user.display_name.clone(),
            link: url,
            role: user.role.clone(),
            organisation: org,
            expires_hours: hours,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: user.aggregator_id,
            actor_user_id: Some(actor.user_id),
            action: "user_invited",
            subject_type: "user",
            subject_id: Some(user.id.to_string()),
            details: serde_json::json!({ "role": user.role }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Filters for [`list_users`].
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Lists the users the actor manages, newest first.
///
/// # Errors
/// 403 for other roles.
#[tracing::instrument(skip_all)]
pub async fn list_users(
    app: &AppState,
    actor: &Actor,
    filter: UserFilter,
    page: Page,
) -> ApiResult<Vec<app_user::Model>> {
    let mut cond = managed_scope(actor)?;
    if let Some(r) = filter.role {
        cond = cond.add(app_user::Column::Role.eq(r.as_str()));
    }
    if let Some(a) = filter.active {
        cond = cond.add(app_user::Column::Active.eq(a));
    }
    if let Some(after) = page.after {
        cond = cond.add(app_user::Column::Id.lt(after));
    }
    Ok(super::repo::users_where(&app.db, cond, page.limit).await?)
}

async fn find_managed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<app_user::Model> {
    super::repo::user_where(db, managed_scope(actor)?.add(app_user::Column::Id.eq(id)))
        .await?
        .ok_or(ApiError::NotFound)
}

/// One managed user.
///
/// # Errors
/// 404 outside the actor's scope.
#[tracing::instrument(skip_all)]
pub async fn get_user(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<app_user::Model> {
    find_managed(&app.db, actor, id).await
}

/// Changes name, locale or role (role changes are audit-logged with before and after).
///
/// # Errors
/// 404 outside scope; 403 for a role the actor may not grant or for an admin's account;
/// 409 `cannot_change_own_role`; 422 fields.
#[tracing::instrument(skip_all)]
pub async fn update_user(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    changes: UpdateUser,
) -> ApiResult<app_user::Model> {
    let txn = db::begin_write(&app.db).await?;
    let user = find_managed(&txn, actor, id).await?;
    let current = Role::parse(&user.role).ok_or_else(ApiError::forbidden)?;
    let mut am: app_user::ActiveModel = user.clone().into();
    if let Some(n) = &changes.display_name {
        am.display_name =
            Set(validate::text(n, 100).map_err(|m| ApiError::field("display_name", m))?);
    }
    if changes.locale.is_some() {
        am.locale = Set(check_locale("locale", changes.locale.clone())?);
    }
    let mut role_change = None;
    if let Some(new_role) = changes.role
        && new_role != current
    {
        if user.id == actor.user_id {
            return Err(ApiError::conflict(
                "cannot_change_own_role",
                "ask another administrator to change your role",
            ));
        }
        if !may_grant(actor, new_role) || !may_grant(actor, current) {
            return Err(ApiError::forbidden());
        }
        let (a, p, pref) = scope_for_role(
            new_role,
            user.aggregator_id,
            user.producer_id,
            user.prefecture_code.clone(),
        )?;
        am.role = Set(new_role.as_str().into());
        am.aggregator_id = Set(a);
        am.producer_id = Set(p);
        am.prefecture_code = Set(pref);
        role_change = Some((current, new_role));
    }
    if actor.role == Role::Operator && current == Role::Admin {
        return Err(ApiError::forbidden());
    }
    am.updated_at = Set(core::now());
    let updated = super::repo::update_user(&txn, am).await?;
    if let Some((from, to)) = role_change {
        // A new role must not ride on sessions opened under the old one.
        super::repo::end_sessions(&txn, user.id).await?;
        audit::record(
            &txn,
            AuditRecord {
                aggregator_id: updated.aggregator_id,
                actor_user_id: Some(actor.user_id),
                action: "role_changed",
                subject_type: "user",
                subject_id: Some(user.id.to_string()),
                details: serde_json::json!({ "from": from.as_str(), "to": to.as_str() }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Deactivates (or reactivates) a user. Deactivation ends every session and revokes every
/// API token at once. Audit-logged.
///
/// # Errors
/// 404 outside scope; 403 for an admin's account (operators); 409 `cannot_deactivate_self`.
#[tracing::instrument(skip_all)]
pub async fn set_active(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> ApiResult<app_user::Model> {
    let txn = db::begin_write(&app.db).await?;
    let user = find_managed(&txn, actor, id).await?;
    if user.id == actor.user_id {
        return Err(ApiError::conflict(
            "cannot_deactivate_self",
            "you cannot deactivate your own account",
        ));
    }
    if actor.role == Role::Operator && !OPERATOR_GRANTS.iter().any(|r| r.as_str() == user.role) {
        return Err(ApiError::forbidden());
    }
    let now = core::now();
    let mut am: app_user::ActiveModel = user.clone().into();
    am.active = Set(active);
    am.updated_at = Set(now);
    let updated = super::repo::update_user(&txn, am).await?;
    if !active {
        super::repo::end_access(&txn, user.id, now).await?;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: updated.aggregator_id,
            actor_user_id: Some(actor.user_id),
            action: if active {
                "user_reactivated"
            } else {
                "user_deactivated"
            },
            subject_type: "user",
            subject_id: Some(user.id.to_string()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Changes the actor's own display name or locale.
///
/// # Errors
/// 422 fields.
#[tracing::instrument(skip_all)]
pub async fn update_me(
    app: &AppState,
    actor: &Actor,
    display_name: Option<String>,
    locale: Option<String>,
) -> ApiResult<app_user::Model> {
    let user = super::repo::user(&app.db, actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let mut am: app_user::ActiveModel = user.into();
    if let Some(n) = display_name {
        am.display_name =
            Set(validate::text(&n, 100).map_err(|m| ApiError::field("display_name", m))?);
    }
    if locale.is_some() {
        am.locale = Set(check_locale("locale", locale)?);
    }
    am.updated_at = Set(core::now());
    Ok(super::repo::update_user(&app.db, am).await?)
}

/// Creates a user from the command line (bootstrap of the first admin). With a password the
/// account is ready; without, the returned link sets it. Nothing secret is logged.
///
/// # Errors
/// Validation failures or an existing email.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all)]
pub async fn create_user_cli(
    db: &DatabaseConnection,
    base_url: &str,
    role: Role,
    email: &str,
    display_name: &str,
    aggregator_slug: Option<&str>,
    prefecture_code: Option<String>,
    password_plain: Option<String>,
    min_password_length: usize,
) -> anyhow::Result<(app_user::Model, Option<String>)> {
    let email = validate::email(email).map_err(|m| anyhow::anyhow!("email {m}"))?;
    let display_name =
        validate::text(display_name, 100).map_err(|m| anyhow::anyhow!("name {m}"))?;
    let aggregator_id = match aggregator_slug {
        Some(slug) => Some(
            crate::aggregators::repo::by_slug(db, slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no aggregator with slug {slug}"))?
                .id,
        ),
        None => None,
    };
    let (aggregator_id, producer_id, prefecture_code) =
        scope_for_role(role, aggregator_id, None, prefecture_code)
            .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
    if let Some(pw) = &password_plain
        && pw.chars().count() < min_password_length
    {
        anyhow::bail!("the password must be at least {min_password_length} characters");
    }
    let hash = match password_plain {
        Some(pw) => Some(password::hash(pw).await?),
        None => None,
    };
    let txn = db::begin_write(db).await?;
    if super::repo::user_by_email(&txn, &email).await?.is_some() {
        anyhow::bail!("an account with this email already exists");
    }
    let now = core::now();
    let user = super::repo::insert_user(
        &txn,
        app_user::Model {
            id: core::new_id(),
            aggregator_id,
            email,
            display_name,
            role: role.as_str().into(),
            producer_id,
            prefecture_code,
            locale: "ja".into(),
            password_hash: hash.clone(),
            active: true,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let link = if hash.is_none() {
        let token = core::secrets::random_token();
        super::repo::insert_link(
            &txn,
            entity::one_time_link::Model {
                id: core::new_id(),
                user_id: user.id,
                purpose: link_purpose::INVITE.into(),
                token_hash: core::secrets::hash_token(&token),
                expires_at: now + Duration::hours(72),
                used_at: None,
                created_at: now,
            },
        )
        .await?;
        Some(format!(
            "{}/password-reset/{token}",
            base_url.trim_end_matches('/')
        ))
    } else {
        None
    };
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: user.aggregator_id,
            actor_user_id: None,
            action: "user_created_cli",
            subject_type: "user",
            subject_id: Some(user.id.to_string()),
            details: serde_json::json!({ "role": user.role }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((user, link))
}

/// Whether any active admin account exists (a fresh deployment has none).
///
/// # Errors
/// Database failure.
pub async fn any_admin(db: &impl sea_orm::ConnectionTrait) -> Result<bool, sea_orm::DbErr> {
    super::repo::any_active_with_role(db, Role::Admin.as_str()).await
}
