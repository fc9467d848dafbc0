//! The review workflow: submit, approve, reject, pause, resume, retire; revisions decided by operators.
use crate::catalog::content::ProductContent;
use crate::catalog::repo;
use crate::{
    audit::{self, AuditRecord},
    auth::service::enqueue_mail,
    core::{self, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    state::AppState,
};
use entity::{app_user, product, product_revision};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, sea_query::Expr};
use std::collections::BTreeMap;
use uuid::Uuid;

use super::*;

/// Workflow actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Approve,
    Reject,
    Pause,
    Resume,
    Retire,
}

impl Action {
    fn rule(self) -> (&'static [&'static str], &'static str, &'static [Role]) {
        const STAFF: &[Role] = &[Role::Operator, Role::Admin];
        const OWNER_OR_STAFF: &[Role] = &[Role::Producer, Role::Operator, Role::Admin];
        match self {
            Self::Submit => (
                &[status::DRAFT, status::REJECTED],
                status::SUBMITTED,
                OWNER_OR_STAFF,
            ),
            Self::Approve => (&[status::SUBMITTED], status::LISTED, STAFF),
            Self::Reject => (&[status::SUBMITTED], status::REJECTED, STAFF),
            Self::Pause => (&[status::LISTED], status::PAUSED, OWNER_OR_STAFF),
            Self::Resume => (&[status::PAUSED], status::LISTED, OWNER_OR_STAFF),
            Self::Retire => (
                &[
                    status::DRAFT,
                    status::SUBMITTED,
                    status::LISTED,
                    status::REJECTED,
                    status::PAUSED,
                ],
                status::RETIRED,
                OWNER_OR_STAFF,
            ),
        }
    }
}

async fn notify_producer(
    txn: &impl ConnectionTrait,
    p: &product::Model,
    event: &str,
    status_word: &str,
    comments: &BTreeMap<String, String>,
) -> ApiResult<()> {
    if let Some(user) = crate::auth::repo::user_where(
        txn,
        Condition::all().add(app_user::Column::ProducerId.eq(p.producer_id)),
    )
    .await?
    {
        enqueue_mail(
            txn,
            &user,
            event,
            EmailMessage::ProductStatusChanged {
                display_name: user.display_name.clone(),
                product_title: p.title_ja.clone(),
                status: status_word.into(),
                comments: comments
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            },
        )
        .await?;
    }
    Ok(())
}

fn check_comments(comments: &BTreeMap<String, String>) -> ApiResult<()> {
    if comments.len() > 50 {
        return Err(ApiError::field("comments", "at most 50 comments"));
    }
    for (k, v) in comments {
        if validate::text(k, 64).is_err() || validate::text(v, 1000).is_err() {
            return Err(ApiError::field(
                "comments",
                "each comment names a field and has 1-1000 characters",
            ));
        }
    }
    Ok(())
}

/// Moves a product through the workflow. Submitting needs at least one active SKU; rejecting
/// needs per-field comments (shown to the producer); approval lists the product. Emailed and
/// audit-logged in the same transaction.
///
/// # Errors
/// 403 role; 404 scope; 409 `invalid_transition` / `no_active_sku`; 422 `comments`.
#[tracing::instrument(skip_all)]
pub async fn transition(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    action: Action,
    comments: BTreeMap<String, String>,
) -> ApiResult<product::Model> {
    let (from, to, roles) = action.rule();
    actor.require(roles)?;
    if action == Action::Reject && comments.is_empty() {
        return Err(ApiError::field("comments", "say what to change, per field"));
    }
    check_comments(&comments)?;
    let txn = db::begin_write(&app.db).await?;
    let p = find_in_scope(&txn, actor, id).await?;
    if action == Action::Submit && !repo::has_active_sku(&txn, p.id).await? {
        return Err(ApiError::conflict(
            "no_active_sku",
            "add at least one SKU (price, weight) before submitting",
        ));
    }
    let now = core::now();
    let mut sets = vec![
        (product::Column::Status, Expr::value(to)),
        (product::Column::UpdatedAt, Expr::value(now)),
    ];
    match action {
        Action::Submit => sets.extend([
            (product::Column::SubmittedAt, Expr::value(Some(now))),
            (product::Column::ReviewComments, Expr::value("{}")),
        ]),
        Action::Approve => sets.push((product::Column::ListedAt, Expr::value(Some(now)))),
        Action::Reject => sets.push((
            product::Column::ReviewComments,
            Expr::value(serde_json::to_string(&comments).unwrap_or_else(|_| "{}".into())),
        )),
        _ => {}
    }
    if !repo::move_product(&txn, id, from, sets).await? {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            message: format!("a {} product cannot become {to}", p.status),
            details: serde_json::json!({ "from": p.status, "to": to }),
        });
    }
    notify_producer(
        &txn,
        &p,
        &format!("{}-{to}-{}", p.id, now.timestamp_micros()),
        to,
        &comments,
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "product_status_changed",
            subject_type: "product",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "from": p.status, "to": to, "comments": comments }),
        },
    )
    .await?;
    let updated = repo::product(&txn, id).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}

/// Approves or rejects a pending revision of a listed product (operators). Approval replaces
/// the live content; rejection keeps it and records per-field comments.
///
/// # Errors
/// 403 role; 404 scope; 409 `revision_not_pending`; 422 `comments` when rejecting without any.
#[tracing::instrument(skip_all)]
pub async fn decide_revision(
    app: &AppState,
    actor: &Actor,
    revision_id: Uuid,
    approve: bool,
    comments: BTreeMap<String, String>,
) -> ApiResult<product::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    if !approve && comments.is_empty() {
        return Err(ApiError::field("comments", "say what to change, per field"));
    }
    check_comments(&comments)?;
    let txn = db::begin_write(&app.db).await?;
    let rev = repo::revision(&txn, revision_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let p = find_in_scope(&txn, actor, rev.product_id).await?;
    if ![status::LISTED, status::PAUSED].contains(&p.status.as_str()) {
        return Err(ApiError::conflict(
            "revision_not_pending",
            "the product is no longer listed or paused",
        ));
    }
    let now = core::now();
    let decided = repo::decide_revision(
        &txn,
        rev.id,
        if approve { "approved" } else { "rejected" },
        serde_json::to_string(&comments).unwrap_or_default(),
        actor.user_id,
        now,
    )
    .await?;
    if !decided {
        return Err(ApiError::conflict(
            "revision_not_pending",
            "this revision was already decided or replaced",
        ));
    }
    if approve {
        let content: ProductContent = serde_json::from_str(&rev.data)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("revision data: {e}")))?;
        let mut am: product::ActiveModel = p.clone().into();
        write_content(&mut am, &content);
        am.updated_at = Set(now);
        repo::update_product(&txn, am).await?;
    }
    let word = if approve {
        "revision_approved"
    } else {
        "revision_rejected"
    };
    notify_producer(&txn, &p, &format!("{}-{word}", rev.id), word, &comments).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: if approve {
                "product_revision_approved"
            } else {
                "product_revision_rejected"
            },
            subject_type: "product",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "revision_id": rev.id, "comments": comments }),
        },
    )
    .await?;
    let updated = repo::product(&txn, p.id).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}

/// Pending revisions in scope (the operators' review queue), oldest first.
///
/// # Errors
/// 403 non-staff.
#[tracing::instrument(skip_all)]
pub async fn pending_revisions(
    app: &AppState,
    actor: &Actor,
) -> ApiResult<Vec<product_revision::Model>> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = if actor.is_global_admin() {
        None
    } else {
        Some(actor.aggregator_id.ok_or_else(ApiError::forbidden)?)
    };
    Ok(repo::pending_revisions(&app.db, agg).await?)
}
