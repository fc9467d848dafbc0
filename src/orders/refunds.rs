//! Refunds paid by bank transfer (issue 16): a bank-transfer or cash-on-delivery order that owes
//! the buyer money back has no card to refund to, so staff enter the account the buyer gave
//! (sealed like other buyer data; only its bank code and the last digits are ever shown), the
//! money area pays it in a payout run, and when the bank confirms the transfer the order's
//! refunded total, what it still owes and its payment status move as for a card refund, the
//! buyer is told, and `orders.refunded` says it was paid by payout (so it books nothing more).
use super::{
    events::OrderRefunded,
    repo,
    returns::refund,
    service::{audit_order, find, settle_refund},
};
use crate::{
    core::{self, sealed},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    jobs::events,
    producers::{
        dto::BankRequest,
        service::{BankInput, account_type_name, parse_bank},
    },
    state::AppState,
};
use entity::{order_return, order_status::PaymentMethod, refund_account, shop_order};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, sea_query::Expr,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

const PURPOSE: &str = "refund-account-v1";

/// A buyer's refund account in the clear (only ever in memory).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundBank {
    pub bank_code: String,
    pub branch_code: String,
    /// `ordinary`, `current` or `savings`.
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
}

/// What staff see of a refund account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundAccountView {
    pub order_id: Uuid,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    /// The last three digits (`****567`).
    pub account_number: String,
    pub entered_at: chrono::DateTime<chrono::Utc>,
    /// The bank returned a transfer to it: enter it again.
    pub failed: bool,
    /// What the order still owes the buyer.
    pub refund_owed: i64,
}

fn view(o: &shop_order::Model, ra: &refund_account::Model, b: &RefundBank) -> RefundAccountView {
    let n = &b.account_number;
    RefundAccountView {
        order_id: o.id,
        bank_code: b.bank_code.clone(),
        branch_code: b.branch_code.clone(),
        account_type: b.account_type.clone(),
        account_number: format!("****{}", &n[n.len().saturating_sub(3)..]),
        entered_at: ra.entered_at,
        failed: ra.failed_at.is_some(),
        refund_owed: o.refund_owed,
    }
}

/// Seals a refund account.
///
/// # Errors
/// Serialisation or encryption failure (500).
pub fn seal(app: &AppState, b: &RefundBank) -> ApiResult<String> {
    let plain = serde_json::to_vec(b).map_err(|e| ApiError::Internal(e.into()))?;
    sealed::seal(
        app.settings.auth.secret_key.expose_secret(),
        PURPOSE,
        &plain,
    )
    .map_err(ApiError::Internal)
}

/// Opens a sealed refund account.
///
/// # Errors
/// A record that no longer decrypts (wrong key).
pub fn open(app: &AppState, stored: &str) -> ApiResult<RefundBank> {
    let plain = sealed::open(
        app.settings.auth.secret_key.expose_secret(),
        PURPOSE,
        stored,
    )
    .map_err(ApiError::Internal)?;
    serde_json::from_slice(&plain).map_err(|e| ApiError::Internal(e.into()))
}

fn by_transfer(o: &shop_order::Model) -> bool {
    matches!(
        o.payment_method,
        PaymentMethod::BankTransfer | PaymentMethod::CashOnDelivery
    )
}

/// Staff enter (or replace) the account the buyer gave for order `id`'s refund.
///
/// # Errors
/// 403; 404; 409 `refund_not_by_transfer` (card and marketplace orders refund by their own
/// route), `no_refund_owed`; 422 naming each bad bank field.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn set_account(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    req: BankRequest,
) -> ApiResult<RefundAccountView> {
    actor.require(&[Role::Operator, Role::Finance, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let o = find(&app.db, agg, id).await?;
    if !by_transfer(&o) {
        return Err(ApiError::conflict(
            "refund_not_by_transfer",
            "this order is refunded through its card or marketplace, not by bank transfer",
        ));
    }
    if o.refund_owed <= 0 {
        return Err(ApiError::conflict(
            "no_refund_owed",
            "this order owes the buyer nothing",
        ));
    }
    let mut errors = Vec::new();
    let a = parse_bank(&BankInput::from(req), &mut errors).ok_or(ApiError::invalid(errors))?;
    let b = RefundBank {
        bank_code: a.bank_code,
        branch_code: a.branch_code,
        account_type: account_type_name(a.account_type).into(),
        account_number: a.number,
        holder_kana: a.holder_kana,
    };
    let txn = crate::db::begin_write(&app.db).await?;
    let row = refund_account::ActiveModel {
        order_id: Set(o.id),
        aggregator_id: Set(agg),
        sealed: Set(seal(app, &b)?),
        bank_code: Set(b.bank_code.clone()),
        entered_by: Set(actor.user_id),
        entered_at: Set(core::now()),
        failed_at: Set(None),
    };
    let ra = repo::save_refund_account(&txn, row).await?;
    audit_order(
        &txn,
        &o,
        Some(actor.user_id),
        "refund_account_entered",
        serde_json::json!({ "bank_code": b.bank_code }),
    )
    .await?;
    txn.commit().await?;
    Ok(view(&o, &ra, &b))
}

/// Order `id`'s refund account as staff see it.
///
/// # Errors
/// 403; 404 (also when none was entered).
pub async fn account(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<RefundAccountView> {
    actor.require(&[Role::Operator, Role::Finance, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let o = find(&app.db, agg, id).await?;
    let ra = repo::refund_account(&app.db, o.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let b = open(app, &ra.sealed)?;
    Ok(view(&o, &ra, &b))
}

/// A refund the money area may pay: the order, its account (`None` when staff have not entered
/// one, or the bank returned the last transfer to it).
pub struct Owed {
    pub order: shop_order::Model,
    pub account: Option<(refund_account::Model, RefundBank)>,
}

/// The bank-transfer and cash-on-delivery orders of `agg` that owe their buyer money.
///
/// # Errors
/// Database failure; an account that no longer decrypts.
pub async fn owed(app: &AppState, db: &impl ConnectionTrait, agg: Uuid) -> ApiResult<Vec<Owed>> {
    let orders = repo::orders_where(
        db,
        Condition::all()
            .add(shop_order::Column::AggregatorId.eq(agg))
            .add(shop_order::Column::RefundOwed.gt(0))
            .add(
                shop_order::Column::PaymentMethod
                    .is_in([PaymentMethod::BankTransfer, PaymentMethod::CashOnDelivery]),
            ),
        100_000,
    )
    .await?;
    let accounts = repo::refund_accounts(db, orders.iter().map(|o| o.id).collect()).await?;
    let mut out = Vec::new();
    for o in orders {
        let account = match accounts.iter().find(|a| a.order_id == o.id) {
            Some(a) if a.failed_at.is_none() => Some((a.clone(), open(app, &a.sealed)?)),
            _ => None,
        };
        out.push(Owed { order: o, account });
    }
    Ok(out)
}

/// The bank returned a refund transfer: its account must be entered again.
///
/// # Errors
/// Database failure.
pub async fn account_failed(db: &impl ConnectionTrait, order: Uuid) -> ApiResult<()> {
    repo::fail_refund_account(db, order, core::now()).await?;
    Ok(())
}

/// The bank paid `amount` back to order `order_id`'s buyer (`key` names the payout): the
/// order's totals and payment status, its returns waiting for the refund, the audit row and
/// `orders.refunded` (marked paid by payout; the buyer is emailed).
///
/// # Errors
/// 404 for an unknown order; database failure.
pub async fn paid_by_payout(
    app: &AppState,
    txn: &DatabaseTransaction,
    order_id: Uuid,
    amount: i64,
    key: &str,
) -> ApiResult<()> {
    let (now, owed) = settle_refund(txn, order_id, amount).await?;
    if owed == 0 {
        repo::update_returns(
            txn,
            vec![(
                order_return::Column::RefundStatus,
                Expr::value(refund::REFUNDED),
            )],
            Condition::all()
                .add(order_return::Column::OrderId.eq(order_id))
                .add(order_return::Column::RefundStatus.eq(refund::OWED)),
        )
        .await?;
    }
    audit_order(
        txn,
        &now,
        None,
        "order_refunded",
        serde_json::json!({ "amount": amount, "by": "payout", "key": key }),
    )
    .await?;
    events::record(
        txn,
        app,
        &OrderRefunded {
            aggregator_id: now.aggregator_id,
            order_id,
            amount,
            key: key.to_string(),
            via_payout: true,
        },
    )
    .await?;
    Ok(())
}
