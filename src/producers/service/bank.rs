//! Bank-account changes: requested with the password again, decided by an operator.
use super::*;
use crate::producers::domain::{AccountType, BankAccount};
use crate::{
    audit::{self, AuditRecord},
    auth::{password, service::enqueue_mail},
    core::{self},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    state::AppState,
};
use crate::{auth::repo as auth_repo, producers::repo};
use entity::{app_user, producer, producer_bank_change};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition};
use uuid::Uuid;

/// Bank account as typed in a form or API call.
#[derive(Debug, Clone, Default)]
pub struct BankInput {
    /// `bank` (bank/branch/type/number) or `japan_post` (記号・番号).
    pub kind: String,
    pub bank_code: String,
    pub branch_code: String,
    /// `ordinary`, `current` or `savings`.
    pub account_type: String,
    pub account_number: String,
    pub jp_symbol: String,
    pub jp_number: String,
    pub holder_kana: String,
}

pub fn account_type_name(t: AccountType) -> &'static str {
    match t {
        AccountType::Ordinary => "ordinary",
        AccountType::Current => "current",
        AccountType::Savings => "savings",
    }
}

pub fn parse_bank(b: &BankInput, errors: &mut Vec<(String, String)>) -> Option<BankAccount> {
    let res = match b.kind.as_str() {
        "japan_post" => BankAccount::japan_post(&b.jp_symbol, &b.jp_number, &b.holder_kana),
        "bank" | "" => {
            let t = match b.account_type.as_str() {
                "ordinary" | "" => AccountType::Ordinary,
                "current" => AccountType::Current,
                "savings" => AccountType::Savings,
                _ => {
                    errors.push((
                        "account_type".into(),
                        "must be ordinary, current or savings".into(),
                    ));
                    return None;
                }
            };
            BankAccount::new(
                &b.bank_code,
                &b.branch_code,
                t,
                &b.account_number,
                &b.holder_kana,
            )
        }
        _ => {
            errors.push(("bank_kind".into(), "must be bank or japan_post".into()));
            return None;
        }
    };
    match res {
        Ok(a) => Some(a),
        Err(problems) => {
            errors.extend(problems.into_iter().map(|(f, m)| (f.to_string(), m)));
            None
        }
    }
}

/// Requests a bank-account change: needs the producer's password again; the new account is
/// used for payouts only after an operator approves it (the old one stays until then).
///
/// # Errors
/// 403 not the producer itself; 401-like 422 `current_password` wrong; 422 bank fields.
#[tracing::instrument(skip_all)]
pub async fn request_bank_change(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    current_password: &str,
    bank: BankInput,
) -> ApiResult<producer_bank_change::Model> {
    actor.require(&[Role::Producer])?;
    let p = find_in_scope(&app.db, actor, id).await?;
    let user = auth_repo::user(&app.db, actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !password::verify(current_password.to_string(), user.password_hash).await {
        return Err(ApiError::field(
            "current_password",
            "is not your current password",
        ));
    }
    let mut errors = Vec::new();
    let account = parse_bank(&bank, &mut errors).ok_or(ApiError::invalid(errors))?;
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    // A newer request replaces a pending one.
    repo::supersede_bank_changes(&txn, p.id).await?;
    let change = producer_bank_change::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(p.aggregator_id),
        producer_id: Set(p.id),
        bank_code: Set(account.bank_code),
        branch_code: Set(account.branch_code),
        account_type: Set(account_type_name(account.account_type).into()),
        account_number: Set(account.number),
        account_holder_kana: Set(account.holder_kana),
        status: Set("pending".into()),
        requested_by: Set(actor.user_id),
        requested_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
    };
    let change = repo::insert_bank_change(&txn, change).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "bank_change_requested",
            subject_type: "producer",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "change_id": change.id }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(change)
}

/// The pending bank-account change of a producer, if any.
///
/// # Errors
/// 404 out of scope.
#[tracing::instrument(skip_all)]
pub async fn pending_bank_change(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<Option<producer_bank_change::Model>> {
    let p = find_in_scope(&app.db, actor, id).await?;
    Ok(repo::pending_bank_change(&app.db, p.id).await?)
}

/// The pending bank-account changes of the given producers (one query; producers outside the
/// actor's scope are simply absent), keyed by producer.
///
/// # Errors
/// 403 for roles that see no producers.
#[tracing::instrument(skip_all)]
pub async fn pending_bank_changes(
    app: &AppState,
    actor: &Actor,
    producers: &[producer::Model],
) -> ApiResult<std::collections::HashMap<Uuid, producer_bank_change::Model>> {
    let visible = repo::producer_ids_where(
        &app.db,
        scope(actor)?.add(producer::Column::Id.is_in(producers.iter().map(|p| p.id))),
    )
    .await?;
    Ok(repo::pending_bank_changes(&app.db, visible)
        .await?
        .into_iter()
        .map(|b| (b.producer_id, b))
        .collect())
}

/// An operator approves or rejects the pending bank-account change; approval replaces the
/// producer's payout account. Audit-logged; the producer is emailed.
///
/// # Errors
/// 403 other roles; 404 out of scope; 409 `no_pending_change`.
#[tracing::instrument(skip_all)]
pub async fn decide_bank_change(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    approve: bool,
) -> ApiResult<producer::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let txn = db::begin_write(&app.db).await?;
    let p = find_in_scope(&txn, actor, id).await?;
    let change = repo::pending_bank_change(&txn, p.id)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                "no_pending_change",
                "there is no pending bank-account change",
            )
        })?;
    let now = core::now();
    // Conditional: two concurrent decisions cannot both apply.
    let status = if approve { "approved" } else { "rejected" };
    if !repo::decide_bank_change(&txn, change.id, status, actor.user_id, now).await? {
        return Err(ApiError::conflict(
            "no_pending_change",
            "the change was already decided",
        ));
    }
    if approve {
        let mut am: producer::ActiveModel = p.clone().into();
        am.bank_code = Set(change.bank_code);
        am.branch_code = Set(change.branch_code);
        am.account_type = Set(change.account_type);
        am.account_number = Set(change.account_number);
        am.account_holder_kana = Set(change.account_holder_kana);
        am.updated_at = Set(now);
        repo::update_producer(&txn, am).await?;
    }
    if let Some(user) = auth_repo::user_where(
        &txn,
        Condition::all().add(app_user::Column::ProducerId.eq(p.id)),
    )
    .await?
    {
        enqueue_mail(
            &txn,
            &user,
            &change.id.to_string(),
            EmailMessage::BankAccountDecision {
                display_name: p.representative.clone(),
                approved: approve,
            },
        )
        .await?;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: if approve {
                "bank_change_approved"
            } else {
                "bank_change_rejected"
            },
            subject_type: "producer",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "change_id": change.id }),
        },
    )
    .await?;
    let updated = repo::producer(&txn, p.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}
