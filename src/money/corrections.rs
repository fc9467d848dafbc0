//! Corrections (issue 15): the ledger is never edited. A mistake is put right by finance with
//! a **correcting entry** to a producer's payable (a credit the aggregator owes it, or a debit
//! it owes back — the aggregator's `expense.adjustment` / `revenue.adjustment`), listed on the
//! producer's statement with its reason, or by **reversing** a manual transaction (a
//! correcting entry or a cash-on-delivery remittance keyed wrongly): every entry mirrored, in
//! the period open today, pointing back to what it reverses, and only once. Transactions the
//! order core, payouts and losses book keep their own reversals (returns, cancelled runs,
//! failed transfers), so their statements' rows stay in step.
use super::{
    domain::{AccountRef, Legs},
    dto::TransactionView,
    fee_rules::finance,
    ledger::{self, Posted, Posting},
    repo,
};
use crate::{
    audit::{self, AuditRecord},
    core, db,
    error::{ApiError, ApiResult},
    http::actor::Actor,
    state::AppState,
};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The kinds finance may reverse.
pub const REVERSIBLE: [&str; 2] = ["adjustment", "cod_remittance"];

/// A correcting entry to a producer's payable.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    pub producer_id: Uuid,
    /// Yen: positive credits the producer (the aggregator owes it more), negative debits it.
    pub amount: i64,
    /// Shown on the producer's statement.
    pub reason: String,
    /// The JST day it belongs to (today by default; a closed period sends it to the next).
    pub occurred_on: Option<chrono::NaiveDate>,
}

/// Why a transaction is reversed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseInput {
    pub reason: String,
}

async fn view(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<TransactionView> {
    super::reports::transaction(app, actor, id).await
}

/// Books a correcting entry (see the module). With an Idempotency-Key, a retry books nothing
/// and answers the first entry.
///
/// # Errors
/// 403; 422 `producer_id`, `amount`, `reason`, `occurred_on`.
#[tracing::instrument(skip_all)]
pub async fn correct(
    app: &AppState,
    actor: &Actor,
    input: CorrectionInput,
    key: Option<String>,
) -> ApiResult<TransactionView> {
    let agg = finance(actor)?;
    let mut errors: Vec<(String, String)> = Vec::new();
    if input.amount == 0 || input.amount.abs() > 100_000_000 {
        errors.push((
            "amount".into(),
            "must be a non-zero yen amount up to 100,000,000".into(),
        ));
    }
    let reason = core::validate::text(input.reason.trim(), 500).unwrap_or_default();
    if reason.is_empty() {
        errors.push(("reason".into(), "is required (up to 500 characters)".into()));
    }
    let on = input.occurred_on.unwrap_or_else(core::today_jst);
    if on > core::today_jst() {
        errors.push(("occurred_on".into(), "cannot be in the future".into()));
    }
    let producer = crate::producers::repo::producer(&app.db, input.producer_id)
        .await?
        .filter(|p| p.aggregator_id == agg);
    if producer.is_none() {
        errors.push(("producer_id".into(), "no such producer".into()));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let pid = input.producer_id;
    let mut legs = Legs::default();
    if input.amount > 0 {
        legs.debit(
            AccountRef::new("expense.adjustment", ""),
            input.amount,
            Some(pid),
        );
        legs.credit(AccountRef::payable(pid), input.amount, Some(pid));
    } else {
        legs.debit(AccountRef::payable(pid), -input.amount, Some(pid));
        legs.credit(
            AccountRef::new("revenue.adjustment", ""),
            -input.amount,
            Some(pid),
        );
    }
    let source_ref = match &key {
        Some(k) => format!("adjustment:{}:{k}", actor.user_id),
        None => format!("adjustment:{}", core::new_id()),
    };
    let txn = db::begin_write(&app.db).await?;
    let posted = ledger::post(
        &txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: "adjustment",
            source_ref: source_ref.clone(),
            occurred_on: on,
            order_id: None,
            producer_id: Some(pid),
            memo: reason.clone(),
            created_by: Some(actor.user_id),
            legs,
        },
    )
    .await?;
    let id = match posted {
        Posted::Booked { transaction_id, .. } => transaction_id,
        Posted::Replayed => {
            let t = repo::transaction_by_source(&txn, agg, &source_ref)
                .await?
                .ok_or(ApiError::NotFound)?;
            drop(txn);
            return view(app, actor, t.id).await;
        }
    };
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "ledger_adjusted",
            subject_type: "ledger_transaction",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "producer_id": pid, "amount": input.amount, "reason": reason }),
        },
    )
    .await?;
    txn.commit().await?;
    view(app, actor, id).await
}

/// Reverses manual transaction `id` (see the module).
///
/// # Errors
/// 403; 404; 422 `reason`; 409 `not_reversible`, `already_reversed`.
#[tracing::instrument(skip_all, fields(transaction.id = %id))]
pub async fn reverse(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    input: ReverseInput,
) -> ApiResult<TransactionView> {
    let agg = finance(actor)?;
    let reason = core::validate::text(input.reason.trim(), 500).unwrap_or_default();
    if reason.is_empty() {
        return Err(ApiError::field(
            "reason",
            "is required (up to 500 characters)",
        ));
    }
    let txn = db::begin_write(&app.db).await?;
    let t = repo::transaction(&txn, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !REVERSIBLE.contains(&t.kind.as_str()) || t.reverses_id.is_some() {
        return Err(ApiError::conflict(
            "not_reversible",
            format!(
                "a {} transaction is corrected through its own flow (only correcting entries and \
                 cash-on-delivery remittances are reversed here)",
                t.kind
            ),
        ));
    }
    let accounts: HashMap<Uuid, entity::ledger_account::Model> = repo::accounts(&txn, agg)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut legs = Legs::default();
    for e in repo::entries_of(&txn, [t.id]).await? {
        let Some(a) = accounts.get(&e.account_id) else {
            continue;
        };
        let r = AccountRef::new(a.code.clone(), a.subject_key.clone());
        // Each entry mirrored: its debit becomes a credit and back.
        legs.credit(r.clone(), e.debit, e.producer_id);
        legs.debit(r, e.credit, e.producer_id);
    }
    let posted = ledger::post(
        &txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: "reversal",
            source_ref: format!("reverse:{id}"),
            occurred_on: core::today_jst(),
            order_id: t.order_id,
            producer_id: t.producer_id,
            memo: format!("reverses: {} ({reason})", t.memo),
            created_by: Some(actor.user_id),
            legs,
        },
    )
    .await?;
    let Posted::Booked { transaction_id, .. } = posted else {
        return Err(ApiError::conflict(
            "already_reversed",
            "this transaction was reversed already",
        ));
    };
    repo::set_reverses(&txn, transaction_id, id).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "ledger_reversed",
            subject_type: "ledger_transaction",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "reversal_id": transaction_id, "reason": reason }),
        },
    )
    .await?;
    txn.commit().await?;
    view(app, actor, transaction_id).await
}
