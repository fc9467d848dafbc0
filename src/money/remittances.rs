//! Cash-on-delivery remittances (issue 15): a COD sale is a receivable from its carrier
//! (`receivable.cod`, per carrier) until the carrier pays the collected money over. Finance
//! records each remittance as the carrier's statement shows it — what reached the bank and
//! the carrier's collection fee — and it is one balanced transaction: bank (and the fee as
//! the aggregator's expense) against the carrier's receivable, never more than the carrier
//! owes. A remittance is named by the carrier's reference: recording it again books nothing.
use super::{
    domain::{AccountRef, Legs, account},
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
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A carrier's remittance of collected cash-on-delivery money.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemittanceInput {
    /// The carrier (as on the parcels: `yamato`, `japanpost`, `sagawa`, …).
    pub carrier: String,
    /// The carrier's reference for the remittance (unique per carrier).
    pub reference: String,
    /// The day the money reached the bank (JST).
    pub remitted_on: chrono::NaiveDate,
    /// Yen that reached the bank.
    pub amount: i64,
    /// The carrier's collection fee kept back (yen, tax included).
    #[serde(default)]
    pub fee: i64,
}

/// A recorded remittance, and what the carrier still owes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemittanceView {
    pub transaction_id: Uuid,
    pub carrier: String,
    pub reference: String,
    pub amount: i64,
    pub fee: i64,
    /// What the carrier still owes after it.
    pub outstanding: i64,
    /// `true` when the reference was recorded before (nothing booked again).
    pub replayed: bool,
}

/// What each carrier owes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodBalance {
    pub carrier: String,
    pub outstanding: i64,
}

/// COD balances.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodBalances {
    pub items: Vec<CodBalance>,
}

/// What every carrier owes the aggregator in collected COD money.
///
/// # Errors
/// 403.
pub async fn balances(app: &AppState, actor: &Actor) -> ApiResult<Vec<CodBalance>> {
    let agg = finance(actor)?;
    Ok(
        repo::accounts_with_code(&app.db, agg, account::RECEIVABLE_COD)
            .await?
            .into_iter()
            .map(|a| CodBalance {
                carrier: a.subject_key,
                outstanding: a.balance,
            })
            .collect(),
    )
}

/// Records a carrier's remittance (see the module).
///
/// # Errors
/// 403; 422 `carrier`, `reference`, `amount`, `fee`, `remitted_on`; 409
/// `remittance_exceeds_receivable`.
#[tracing::instrument(skip_all)]
pub async fn record(
    app: &AppState,
    actor: &Actor,
    input: RemittanceInput,
) -> ApiResult<RemittanceView> {
    let agg = finance(actor)?;
    let carrier = input.carrier.trim().to_string();
    let reference = input.reference.trim().to_string();
    let mut errors: Vec<(String, String)> = Vec::new();
    if carrier.is_empty() || carrier.len() > 32 {
        errors.push(("carrier".into(), "is required (up to 32 characters)".into()));
    }
    if reference.is_empty() || reference.chars().count() > 64 {
        errors.push((
            "reference".into(),
            "is required (up to 64 characters)".into(),
        ));
    }
    if !(1..=10_000_000_000).contains(&input.amount) {
        errors.push(("amount".into(), "must be 1 yen or more".into()));
    }
    if !(0..=10_000_000_000).contains(&input.fee) {
        errors.push(("fee".into(), "must be 0 yen or more".into()));
    }
    if input.remitted_on > core::today_jst() {
        errors.push(("remitted_on".into(), "cannot be in the future".into()));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let total = input.amount + input.fee;
    let txn = db::begin_write(&app.db).await?;
    let receivable = repo::account(
        &txn,
        agg,
        account::RECEIVABLE_COD,
        &carrier,
        "asset",
        core::now(),
    )
    .await?;
    // Read again under lock (PostgreSQL): two remittances at once cannot both fit.
    let receivable =
        repo::accounts_locked(&txn, agg, account::RECEIVABLE_COD, vec![carrier.clone()])
            .await?
            .pop()
            .unwrap_or(receivable);
    let source_ref = format!("cod-remittance:{carrier}:{reference}");
    if let Some(t) = repo::transaction_by_source(&txn, agg, &source_ref).await? {
        return Ok(RemittanceView {
            transaction_id: t.id,
            carrier,
            reference,
            amount: input.amount,
            fee: input.fee,
            outstanding: receivable.balance,
            replayed: true,
        });
    }
    if total > receivable.balance {
        return Err(ApiError::Conflict {
            code: "remittance_exceeds_receivable",
            message: format!(
                "{carrier} owes {} yen of cash on delivery; this remittance is {total}",
                receivable.balance
            ),
            details: serde_json::json!({ "outstanding": receivable.balance }),
        });
    }
    let mut legs = Legs::default();
    legs.debit(AccountRef::new(account::BANK, ""), input.amount, None);
    legs.debit(AccountRef::new("expense.cod_fee", ""), input.fee, None);
    legs.credit(
        AccountRef::new(account::RECEIVABLE_COD, &carrier),
        total,
        None,
    );
    let posted = ledger::post(
        &txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: "cod_remittance",
            source_ref,
            occurred_on: input.remitted_on,
            order_id: None,
            producer_id: None,
            memo: format!("{carrier} remittance {reference}"),
            created_by: Some(actor.user_id),
            legs,
        },
    )
    .await?;
    let Posted::Booked { transaction_id, .. } = posted else {
        return Err(ApiError::conflict(
            "remittance_recorded",
            "this remittance was recorded meanwhile",
        ));
    };
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "cod_remittance_recorded",
            subject_type: "ledger_transaction",
            subject_id: Some(transaction_id.to_string()),
            details: serde_json::json!({
                "carrier": carrier, "reference": reference, "amount": input.amount, "fee": input.fee,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(RemittanceView {
        transaction_id,
        carrier,
        reference,
        amount: input.amount,
        fee: input.fee,
        outstanding: receivable.balance - total,
        replayed: false,
    })
}
