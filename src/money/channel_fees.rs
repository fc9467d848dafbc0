//! Channel fees as the channel reports them. A sale through a channel is booked with the
//! channel fee its rule estimates; when the channel says what it really kept of the order
//! (its API, `channels.fee_reported`, or a fee statement finance imports as CSV), a correcting
//! entry replaces the estimate:
//! - the channel's deduction: `expense.channel_fee` against `receivable.channel` (what the
//!   channel will pay us is the sale less its fee), for the difference to what was booked;
//! - the producers' charge, when a channel-fee rule charged them an estimate: the charge
//!   becomes the real fee (shared between the order's producers by their goods), booked as a
//!   charge with its own subject (`{order} 実額 / actual #n`) so the statement shows the
//!   estimate and the correction. Without such a rule the aggregator bears channel fees and
//!   the producers' payables are untouched.
//!
//! A report before the order has shipped waits (kept) until its sale is booked; a report
//! equal to what is booked books nothing; every correction has its own source reference, so a
//! replayed event books nothing twice.
use super::{
    booking::{claimed, freeze},
    domain::{self, AccountRef, Charge, Legs, account, fee_type},
    fee_rules::finance,
    ledger::{self, Posted, Posting},
    repo,
};
use crate::{
    channels::events::ChannelFeeReported,
    core,
    error::{ApiError, ApiResult},
    http::actor::Actor,
    jobs::{Delivery, JobError},
    state::AppState,
};
use entity::{channel_fee_actual, fee_charge, sale_line};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The transaction kind of a channel-fee correction.
pub const KIND: &str = "channel_fee_actual";

/// The subject prefix of an order's correcting charges.
fn subject_prefix(order_number: &str) -> String {
    format!("{order_number} 実額 / actual")
}

/// Records that the channel kept `fee` of order `order_id` (as its latest word) and books
/// the correction when the order's sale is booked. `false` while the order has shipped but
/// not all of its sale is booked yet (the caller retries).
///
/// # Errors
/// Database failure; 404 for an order that is not the tenant's.
pub async fn report(
    app: &AppState,
    txn: &DatabaseTransaction,
    e: &ChannelFeeReported,
) -> ApiResult<bool> {
    let now = core::now();
    match repo::fee_actual(txn, e.aggregator_id, e.order_id).await? {
        Some(row) if row.reported == e.fee => {}
        Some(row) => {
            repo::set_fee_actual(txn, row.id, e.fee, &e.source, now).await?;
        }
        None => {
            repo::insert_fee_actual(
                txn,
                channel_fee_actual::ActiveModel {
                    id: Set(core::new_id()),
                    aggregator_id: Set(e.aggregator_id),
                    order_id: Set(e.order_id),
                    channel_id: Set(e.channel_id),
                    reported: Set(e.fee),
                    booked: Set(0),
                    revision: Set(0),
                    source: Set(e.source.clone()),
                    reported_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
        }
    }
    settle(app, txn, e.aggregator_id, e.order_id).await
}

/// Books what the channel reported of order `order_id` beyond what is booked (see the
/// module). `true` when there is nothing (more) to do now.
///
/// # Errors
/// Database failure; 404.
pub async fn settle(
    app: &AppState,
    txn: &DatabaseTransaction,
    agg: Uuid,
    order_id: Uuid,
) -> ApiResult<bool> {
    let Some(row) = repo::fee_actual(txn, agg, order_id).await? else {
        return Ok(true);
    };
    let o = crate::orders::repo::order(txn, order_id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)?;
    if o.shipped_at.is_none() {
        // Kept until the order ships (a cancelled order's report stays unbooked).
        return Ok(true);
    }
    let lines = crate::orders::repo::lines_of(txn, o.id).await?;
    let sales = repo::sale_lines_where(
        txn,
        agg,
        Condition::all().add(sale_line::Column::OrderId.eq(o.id)),
    )
    .await?;
    if sales.len() < lines.len() {
        return Ok(false);
    }
    let delta = row.reported - row.booked;
    if delta == 0 {
        return Ok(true);
    }
    let mut legs = Legs::default();
    legs.debit(AccountRef::new("expense.channel_fee", ""), delta, None);
    legs.credit(
        AccountRef::new(account::RECEIVABLE_CHANNEL, row.channel_id.to_string()),
        delta,
        None,
    );
    // The producers' channel-fee charges on this order so far: the rule's estimates (per line
    // or per order) and earlier corrections.
    let mut goods: BTreeMap<Uuid, i64> = BTreeMap::new();
    for s in &sales {
        *goods.entry(s.producer_id).or_default() += s.amount;
    }
    let mut keys: Vec<String> = sales.iter().map(|s| s.order_line_id.to_string()).collect();
    keys.extend(goods.keys().map(|p| format!("order:{}:{p}", o.id)));
    let prefix = subject_prefix(&o.number);
    let charged = repo::charges_where(
        txn,
        agg,
        Condition::all()
            .add(fee_charge::Column::FeeType.eq(fee_type::CHANNEL_FEE))
            .add(
                Condition::any()
                    .add(fee_charge::Column::SubjectKey.is_in(keys))
                    .add(fee_charge::Column::SubjectKey.starts_with(&prefix)),
            ),
    )
    .await?;
    let estimate = charged
        .iter()
        .find(|c| !c.subject_key.starts_with(&prefix))
        .and_then(|c| serde_json::from_str::<domain::Rule>(&c.rule_snapshot).ok());
    let mut charges = Vec::new();
    if let Some(rule) = estimate {
        let current: i64 = charged.iter().map(|c| c.amount).sum();
        let diff = row.reported - current;
        let producers: Vec<Uuid> = goods.keys().copied().collect();
        let weights: Vec<i64> = goods.values().copied().collect();
        let shares = if diff < 0 {
            domain::split(-diff, &weights)
                .into_iter()
                .map(|v| -v)
                .collect()
        } else {
            domain::split(diff, &weights)
        };
        for (i, (pid, share)) in producers.iter().zip(shares).enumerate() {
            if share == 0 {
                continue;
            }
            let c = Charge {
                producer_id: *pid,
                fee_type: fee_type::CHANNEL_FEE.into(),
                subject_key: format!("{prefix} #{}", i + 1),
                amount: share,
                rule: rule.clone(),
            };
            domain::charge_legs(&mut legs, &c, 1);
            charges.push(c);
        }
    }
    let posted = ledger::post(
        txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: KIND,
            source_ref: format!("channel-fee:{}:{}", o.id, row.revision + 1),
            occurred_on: core::today_jst(),
            order_id: Some(o.id),
            producer_id: None,
            memo: format!(
                "{}: the channel kept {} yen (booked before: {})",
                o.number, row.reported, row.booked
            ),
            created_by: None,
            legs,
        },
    )
    .await?;
    if let Posted::Booked {
        transaction_id,
        period_id,
    } = posted
    {
        freeze(txn, agg, period_id, transaction_id, &charges, 1).await?;
    }
    repo::book_fee_actual(txn, row.id, row.reported, row.revision + 1, core::now()).await?;
    Ok(true)
}

/// `channels.fee_reported`.
///
/// # Errors
/// Retried on database failures.
pub async fn on_reported(app: AppState, d: Delivery<ChannelFeeReported>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| report(&app, txn, e).await).await
}

/// What a fee-statement import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeeImportSummary {
    /// Rows read.
    pub rows: usize,
    /// Orders whose fee changed and was booked now.
    pub booked: usize,
    /// Orders whose fee changed but have not shipped yet (booked when they ship).
    pub waiting: usize,
    /// Orders whose fee was already what the file says.
    pub unchanged: usize,
}

/// Imports a channel's fee statement for channel account `channel_id` (finance, admins): a
/// headed CSV (UTF-8 or Shift_JIS) with the channel's order number (`order_number`, or
/// 注文番号; our own order number works too) and the fee it kept (`fee`, or 手数料; whole yen,
/// tax included). Every row is checked first; one bad row refuses the whole file (422 naming
/// each row) and nothing is booked.
///
/// # Errors
/// 403; 404 for another tenant's channel; 422 `file` and `rows.{n}.{column}`.
#[tracing::instrument(skip_all, fields(channel.id = %channel_id))]
pub async fn import(
    app: &AppState,
    actor: &Actor,
    channel_id: Uuid,
    bytes: &[u8],
) -> ApiResult<FeeImportSummary> {
    let agg = finance(actor)?;
    let channel = crate::channels::repo::channel_of(&app.db, agg, channel_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (header, rows) = core::csv::headed_rows(bytes, 20_000)?;
    let (Some(num_col), Some(fee_col)) = (
        core::csv::column(&header, &["order_number", "注文番号"]),
        core::csv::column(&header, &["fee", "手数料"]),
    ) else {
        return Err(ApiError::field(
            "file",
            "needs the columns order_number (注文番号) and fee (手数料)",
        ));
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut wanted: Vec<(String, i64)> = Vec::new();
    for (line, rec) in &rows {
        let rec = match rec {
            Ok(r) => r,
            Err(m) => {
                errors.push((format!("rows.{line}"), m.clone()));
                continue;
            }
        };
        let number = rec.get(num_col).unwrap_or("").trim().to_string();
        let fee = rec.get(fee_col).unwrap_or("").trim().replace(',', "");
        if number.is_empty() {
            errors.push((format!("rows.{line}.order_number"), "is empty".into()));
        }
        match fee.parse::<i64>() {
            Ok(v) if (0..=100_000_000).contains(&v) => wanted.push((number, v)),
            _ => errors.push((
                format!("rows.{line}.fee"),
                "must be whole yen from 0 to 100,000,000".into(),
            )),
        }
    }
    // Each number must be an order of this channel account.
    let mut found: Vec<(usize, Uuid, i64)> = Vec::new();
    for (i, (number, fee)) in wanted.iter().enumerate() {
        let order_id = match crate::channels::repo::channel_order(&app.db, channel.id, number)
            .await?
            .and_then(|r| r.order_id)
        {
            Some(id) => Some(id),
            None => crate::orders::repo::order_where(
                &app.db,
                Condition::all()
                    .add(entity::shop_order::Column::AggregatorId.eq(agg))
                    .add(entity::shop_order::Column::Number.eq(number.as_str()))
                    .add(entity::shop_order::Column::ChannelId.eq(channel.id)),
            )
            .await?
            .map(|o| o.id),
        };
        match order_id {
            Some(id) => found.push((i, id, *fee)),
            None => {
                let line = rows
                    .iter()
                    .filter(|(_, r)| r.is_ok())
                    .nth(i)
                    .map_or(0, |(l, _)| *l);
                errors.push((
                    format!("rows.{line}.order_number"),
                    format!("{number} is not an order imported from {}", channel.name),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let mut s = FeeImportSummary {
        rows: rows.len(),
        booked: 0,
        waiting: 0,
        unchanged: 0,
    };
    let txn = crate::db::begin_write(&app.db).await?;
    for (_, order_id, fee) in found {
        let before = repo::fee_actual(&txn, agg, order_id).await?;
        if before.as_ref().is_some_and(|r| r.reported == fee) {
            s.unchanged += 1;
            continue;
        }
        let e = ChannelFeeReported {
            aggregator_id: agg,
            channel_id: channel.id,
            order_id,
            fee,
            source: "csv".into(),
        };
        report(app, &txn, &e).await?;
        let after = repo::fee_actual(&txn, agg, order_id).await?;
        if after.is_some_and(|r| r.booked == r.reported) {
            s.booked += 1;
        } else {
            s.waiting += 1;
        }
    }
    crate::audit::record(
        &txn,
        crate::audit::AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "channel_fees_imported",
            subject_type: "channel",
            subject_id: Some(channel.id.to_string()),
            details: serde_json::json!({
                "rows": s.rows, "booked": s.booked, "waiting": s.waiting, "unchanged": s.unchanged,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}
