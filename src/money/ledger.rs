//! The posting engine: one balanced, immutable transaction per money event, in the caller's
//! write transaction. The period is the open one containing the event's JST date (created
//! when the first posting needs it), or the next open one when that period is closed; a
//! source reference books once per tenant (a replay books nothing); a producer's payable
//! that would go below zero has its deficit moved to a recorded clawback in the same
//! transaction.
use super::{
    domain::{AccountRef, Legs, account, clawback_legs},
    repo,
};
use crate::{
    core,
    error::{ApiError, ApiResult},
};
use chrono::{Datelike, Months, NaiveDate};
use entity::{ledger_entry, ledger_transaction, settlement_period};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Transaction kinds.
pub mod kind {
    pub const SALE: &str = "sale";
    pub const FEES_TAX: &str = "fees_tax";
    pub const RETURN: &str = "return";
    pub const REFUND_DUE: &str = "refund_due";
    pub const REFUND: &str = "refund";
    pub const PAYMENT: &str = "payment";
}

/// What to book.
#[derive(Debug, Clone)]
pub struct Posting {
    pub aggregator_id: Uuid,
    pub kind: &'static str,
    /// Unique per tenant: what booked it (`ship:{order}:{parcel}`, `return:{batch}`, …).
    pub source_ref: String,
    /// The JST date of the event.
    pub occurred_on: NaiveDate,
    pub order_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub memo: String,
    pub created_by: Option<Uuid>,
    pub legs: Legs,
}

/// What booking did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Booked {
        transaction_id: Uuid,
        period_id: Uuid,
    },
    /// The source was booked before: nothing was written.
    Replayed,
}

/// The first day of the period of `months` months (counted from January) that contains `on`.
pub fn period_start(on: NaiveDate, months: u32) -> NaiveDate {
    let months = months.clamp(1, 12);
    let m0 = (on.month0() / months) * months;
    NaiveDate::from_ymd_opt(on.year(), m0 + 1, 1).unwrap_or(on)
}

/// The open period a posting of `on` goes into (created when missing).
///
/// # Errors
/// Database failure.
pub async fn period_for(
    db: &impl ConnectionTrait,
    agg: Uuid,
    on: NaiveDate,
    months: u32,
) -> ApiResult<settlement_period::Model> {
    let step = Months::new(months.clamp(1, 12));
    let mut start = period_start(on, months);
    // A closed period sends the posting on to the next open one.
    for _ in 0..480 {
        match repo::period_starting(db, agg, start).await? {
            Some(p) if p.status == "open" => return Ok(p),
            Some(_) => start = start + step,
            None => {
                let ends = start + step - chrono::Duration::days(1);
                repo::insert_period(
                    db,
                    settlement_period::ActiveModel {
                        id: Set(core::new_id()),
                        aggregator_id: Set(agg),
                        starts_on: Set(start),
                        ends_on: Set(ends),
                        status: Set("open".into()),
                        closed_at: Set(None),
                        closed_by: Set(None),
                        created_at: Set(core::now()),
                    },
                )
                .await?;
            }
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no open settlement period after {on}"
    )))
}

/// Books `p` (see the module): refuses an unbalanced posting.
///
/// # Errors
/// 500 for an unbalanced posting (a bug, never stored); database failure.
pub async fn post(db: &impl ConnectionTrait, months: u32, p: Posting) -> ApiResult<Posted> {
    if p.legs.imbalance() != 0 {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "unbalanced posting {} ({} yen)",
            p.source_ref,
            p.legs.imbalance()
        )));
    }
    let period = period_for(db, p.aggregator_id, p.occurred_on, months).await?;
    let id = core::new_id();
    let now = core::now();
    let fresh = repo::insert_transaction(
        db,
        ledger_transaction::ActiveModel {
            id: Set(id),
            aggregator_id: Set(p.aggregator_id),
            period_id: Set(period.id),
            kind: Set(p.kind.to_string()),
            source_ref: Set(p.source_ref.clone()),
            occurred_on: Set(p.occurred_on),
            order_id: Set(p.order_id),
            producer_id: Set(p.producer_id),
            reverses_id: Set(None),
            memo: Set(p.memo.clone()),
            created_by: Set(p.created_by),
            created_at: Set(now),
        },
    )
    .await?;
    if !fresh {
        return Ok(Posted::Replayed);
    }
    // Payables before the posting, read under lock (PostgreSQL) so the clawback decision
    // holds until this commits.
    let touched: Vec<String> = p
        .legs
        .payable_change()
        .keys()
        .map(ToString::to_string)
        .collect();
    let mut before = BTreeMap::new();
    for a in repo::accounts_locked(db, p.aggregator_id, account::PRODUCER_PAYABLE, touched).await? {
        if let Ok(pid) = Uuid::parse_str(&a.subject_key) {
            before.insert(pid, -a.balance);
        }
    }
    let mut legs = p.legs.clone();
    legs.0.extend(clawback_legs(&p.legs, &before).0);
    let mut rows = Vec::new();
    for leg in legs.netted() {
        let a = account_of(db, p.aggregator_id, &leg.account).await?;
        repo::add_to_balance(db, a.id, leg.debit - leg.credit).await?;
        rows.push(ledger_entry::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(p.aggregator_id),
            transaction_id: Set(id),
            account_id: Set(a.id),
            period_id: Set(period.id),
            producer_id: Set(leg.producer_id),
            debit: Set(leg.debit),
            credit: Set(leg.credit),
        });
    }
    repo::insert_entries(db, rows).await?;
    Ok(Posted::Booked {
        transaction_id: id,
        period_id: period.id,
    })
}

async fn account_of(
    db: &impl ConnectionTrait,
    agg: Uuid,
    a: &AccountRef,
) -> ApiResult<entity::ledger_account::Model> {
    Ok(repo::account(db, agg, &a.code, &a.subject, a.kind(), core::now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_their_first_month() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(period_start(d(2026, 12, 31), 1), d(2026, 12, 1));
        assert_eq!(period_start(d(2026, 5, 15), 3), d(2026, 4, 1));
        assert_eq!(period_start(d(2026, 3, 31), 3), d(2026, 1, 1));
        assert_eq!(period_start(d(2026, 8, 1), 6), d(2026, 7, 1));
    }
}
