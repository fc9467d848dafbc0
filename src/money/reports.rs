//! What finance reads of the ledger: the trial balance and account movements (of one period
//! or all time), the periods, and the transactions with their entries.
use super::{
    dto::{AccountLine, TransactionView, TrialBalance},
    fee_rules::finance,
    repo,
};
use crate::{
    core::pagination::{Page, next_cursor},
    error::{ApiError, ApiResult},
    http::actor::Actor,
    state::AppState,
};
use entity::{ledger_account, ledger_transaction, settlement_period};
use sea_orm::{ColumnTrait, Condition};
use std::collections::HashMap;
use uuid::Uuid;

async fn period_in_tenant(app: &AppState, agg: Uuid, id: Option<Uuid>) -> ApiResult<()> {
    if let Some(p) = id {
        repo::period(&app.db, agg, p)
            .await?
            .ok_or_else(|| ApiError::field("period_id", "is not a period of your aggregator"))?;
    }
    Ok(())
}

/// Every account of the tenant with its debits and credits over `period` (all time when
/// `None`); the totals are equal when the ledger is sound.
///
/// # Errors
/// 403; 422 `period_id`.
#[tracing::instrument(skip_all)]
pub async fn trial_balance(
    app: &AppState,
    actor: &Actor,
    period: Option<Uuid>,
) -> ApiResult<TrialBalance> {
    let agg = finance(actor)?;
    period_in_tenant(app, agg, period).await?;
    let sums: HashMap<Uuid, (i64, i64)> = repo::sums_per_account(&app.db, agg, period)
        .await?
        .into_iter()
        .map(|s| (s.account_id, (s.debit, s.credit)))
        .collect();
    let accounts: Vec<AccountLine> = repo::accounts(&app.db, agg)
        .await?
        .into_iter()
        .filter_map(|a| {
            let (d, c) = sums
                .get(&a.id)
                .copied()
                .or(period.is_none().then_some((0, 0)))?;
            Some(AccountLine::of(a, d, c))
        })
        .collect();
    let total_debit = accounts.iter().map(|a| a.debit).sum();
    let total_credit = accounts.iter().map(|a| a.credit).sum();
    Ok(TrialBalance {
        period_id: period,
        balanced: total_debit == total_credit,
        accounts,
        total_debit,
        total_credit,
    })
}

/// The tenant's periods, newest first.
///
/// # Errors
/// 403.
#[tracing::instrument(skip_all)]
pub async fn periods(app: &AppState, actor: &Actor) -> ApiResult<Vec<settlement_period::Model>> {
    let agg = finance(actor)?;
    Ok(repo::periods(&app.db, agg).await?)
}

/// Filters of [`transactions`].
#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub order_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub period_id: Option<Uuid>,
}

async fn views(
    app: &AppState,
    agg: Uuid,
    rows: Vec<ledger_transaction::Model>,
) -> ApiResult<Vec<TransactionView>> {
    let entries = repo::entries_of(&app.db, rows.iter().map(|t| t.id)).await?;
    let accounts: HashMap<Uuid, ledger_account::Model> = repo::accounts(&app.db, agg)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(rows
        .into_iter()
        .map(|t| TransactionView::of(t, &entries, &accounts))
        .collect())
}

/// One page of the tenant's transactions (newest first) with their entries, and the cursor of
/// the next page. A producer filter finds the transactions with an entry about it.
///
/// # Errors
/// 403; 422 `period_id`.
#[tracing::instrument(skip_all)]
pub async fn transactions(
    app: &AppState,
    actor: &Actor,
    f: TransactionFilter,
    page: Page,
) -> ApiResult<(Vec<TransactionView>, Option<String>)> {
    let agg = finance(actor)?;
    period_in_tenant(app, agg, f.period_id).await?;
    let mut cond = Condition::all();
    if let Some(o) = f.order_id {
        cond = cond.add(ledger_transaction::Column::OrderId.eq(o));
    }
    if let Some(p) = f.period_id {
        cond = cond.add(ledger_transaction::Column::PeriodId.eq(p));
    }
    if let Some(p) = f.producer_id {
        cond = cond.add(
            Condition::any()
                .add(ledger_transaction::Column::ProducerId.eq(p))
                .add(
                    ledger_transaction::Column::Id.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(entity::ledger_entry::Column::TransactionId)
                            .from(entity::ledger_entry::Entity)
                            .and_where(entity::ledger_entry::Column::ProducerId.eq(p))
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some(after) = page.after {
        cond = cond.add(ledger_transaction::Column::Id.lt(after));
    }
    let rows = repo::transactions_where(&app.db, agg, cond, page.limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
    let next = next_cursor(&page, &ids);
    Ok((views(app, agg, rows).await?, next))
}

/// Transaction `id` with its entries.
///
/// # Errors
/// 403; 404 outside the tenant.
#[tracing::instrument(skip_all)]
pub async fn transaction(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<TransactionView> {
    let agg = finance(actor)?;
    let t = repo::transaction(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    views(app, agg, vec![t])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}
