//! Returns after shipment, per order line: units go back into the lots they were picked from
//! (restocked, or disposed of at the bearer's charge — both in the stock ledger), and the goods'
//! price is refunded, tax computed once per rate for the return: through the card provider for
//! card orders, recorded as owed to the buyer for bank transfer and cash on delivery. One
//! request per `Idempotency-Key`: a retry answers with the same return.
use super::repo;
use super::{
    domain::{FulfilmentStatus, OrderStatus, PaymentMethod, PaymentStatus},
    events::{OrderReturned, RefundRoute},
    fulfilment::allocations_of,
    seller::seller,
    service::{self as orders, OrderDetail, find, invalid},
};
use crate::{
    core::money::included_tax,
    core::{self, secrets::hash_token, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    inventory::{
        adjustments::BEARERS,
        returns::{self as stock_returns, DISPOSITIONS, ReturnLine},
    },
    jobs::events,
    state::AppState,
};
use entity::{order_line, order_return, shop_order};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, ExprTrait, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// Refund states of a return row.
pub mod refund {
    /// Waiting for the card provider's refund (a job).
    pub const PENDING: &str = "pending";
    pub const REFUNDED: &str = "refunded";
    /// To be paid back by transfer (bank transfer, cash on delivery).
    pub const OWED: &str = "owed";
    /// Nothing was paid (a refused cash-on-delivery parcel).
    pub const NONE: &str = "none";
}

/// One returned order line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineInput {
    pub line_id: Uuid,
    pub qty: i64,
    /// `restock` (back to its lot) or `dispose`.
    pub disposition: String,
    /// Who bears a disposal: producer, aggregator or carrier.
    #[serde(default)]
    pub loss_bearer: Option<String>,
}

/// A return request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = OrderReturnRequest)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    pub reason: String,
    pub lines: Vec<ReturnLineInput>,
}

/// What a return did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReturnSummary {
    pub batch_id: Uuid,
    /// Goods refunded, tax included.
    pub refund_total: i64,
    /// Consumption tax inside the refund, per rate (computed once per rate).
    pub refund_tax8: i64,
    pub refund_tax10: i64,
    /// `pending` (card refund under way), `owed`, or `none`.
    pub refund_status: String,
    pub replayed: bool,
}

fn check(req: &ReturnRequest) -> ApiResult<String> {
    let reason = validate::text(&req.reason, 500).map_err(|m| ApiError::field("reason", m))?;
    if reason.is_empty() {
        return Err(ApiError::field("reason", "is required"));
    }
    if req.lines.is_empty() || req.lines.len() > 100 {
        return Err(ApiError::field("lines", "must hold 1 to 100 lines"));
    }
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for (i, l) in req.lines.iter().enumerate() {
        if !seen.insert(l.line_id) {
            errors.push((format!("lines[{i}].line_id"), "appears twice".to_string()));
        }
        if !(1..=100_000).contains(&l.qty) {
            errors.push((format!("lines[{i}].qty"), "must be 1 to 100,000".into()));
        }
        if !DISPOSITIONS.contains(&l.disposition.as_str()) {
            errors.push((
                format!("lines[{i}].disposition"),
                "must be restock or dispose".into(),
            ));
        }
        match (&l.loss_bearer, l.disposition.as_str()) {
            (Some(b), _) if !BEARERS.contains(&b.as_str()) => errors.push((
                format!("lines[{i}].loss_bearer"),
                "must be producer, aggregator or carrier".into(),
            )),
            (None, "dispose") => errors.push((
                format!("lines[{i}].loss_bearer"),
                "is required to dispose".into(),
            )),
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(reason)
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// Takes back units of shipped (or delivered) order lines.
///
/// # Errors
/// 403; 404; 409 `invalid_transition`, `return_exceeds_shipped`; 422 fields,
/// `idempotency_key_reused`.
#[tracing::instrument(skip_all, fields(order.id = %order_id))]
pub async fn create(
    app: &AppState,
    actor: &Actor,
    order_id: Uuid,
    req: ReturnRequest,
    key: Option<&str>,
) -> ApiResult<(OrderDetail, ReturnSummary)> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let reason = check(&req)?;
    if let Some(k) = key
        && (k.is_empty() || k.len() > 200)
    {
        return Err(ApiError::field(
            "Idempotency-Key",
            "must be 1 to 200 characters",
        ));
    }
    let hash = hash_token(&serde_json::to_string(&req).unwrap_or_default());
    let batch = batch_id(order_id, key)?;
    let s = seller(app, agg).await?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, order_id).await?;
    // A retry answers with the earlier return (also once the order is closed) …
    if let Some(earlier) = earlier_return(&txn, batch, &hash).await? {
        drop(txn);
        return replayed(app, &s.tax_rounding, batch, &earlier, o).await;
    }
    claim_order(&txn, &o).await?;
    // … and so does one that raced this request and won the claim above.
    if let Some(earlier) = earlier_return(&txn, batch, &hash).await? {
        drop(txn);
        return replayed(app, &s.tax_rounding, batch, &earlier, o).await;
    }
    let lines: HashMap<Uuid, order_line::Model> = lines_of(&txn, o.id).await?;
    let rid = o
        .reservation_id
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("order {} has no reservation", o.id)))?;
    stock_returns::claim(&txn, agg, rid).await?;
    let returned = returned_per_lot(&txn, rid).await?;
    let route = refund_route(&o);
    let r = Return {
        agg,
        actor,
        order: &o,
        rid,
        batch,
        hash: &hash,
        reason: &reason,
        route,
        refund_status: match route {
            RefundRoute::Card => refund::PENDING,
            RefundRoute::Owed => refund::OWED,
            RefundRoute::None => refund::NONE,
        },
        rounding: &s.tax_rounding,
    };
    let (stock_lines, rows) = r.take_lines(&txn, &req.lines, &lines, &returned).await?;
    let summary = r
        .finish(app, &txn, &stock_lines, &rows, &lines, &req.lines)
        .await?;
    txn.commit().await?;
    let o = find(&app.db, agg, order_id).await?;
    Ok((orders::detail(&app.db, o).await?, summary))
}

/// The return's batch id: derived from the order and the Idempotency-Key (so a retry finds
/// the earlier return), or new without a key.
fn batch_id(order_id: Uuid, key: Option<&str>) -> ApiResult<Uuid> {
    Ok(match key {
        Some(k) => {
            let digest = hash_token(&format!("order-return:{order_id}:{k}"));
            let bytes = hex::decode(&digest[..32]).map_err(|e| ApiError::Internal(e.into()))?;
            Uuid::from_slice(&bytes).map_err(|e| ApiError::Internal(e.into()))?
        }
        None => core::new_id(),
    })
}

/// Claims the order row: returns of one order run one at a time (409 unless it is open and
/// has shipped).
async fn claim_order(txn: &DatabaseTransaction, o: &shop_order::Model) -> ApiResult<()> {
    let claimed = repo::update_orders(
        txn,
        vec![(shop_order::Column::UpdatedAt, Expr::value(core::now()))],
        Condition::all()
            .add(shop_order::Column::Id.eq(o.id))
            .add(shop_order::Column::Status.eq(OrderStatus::Open))
            .add(
                shop_order::Column::FulfilmentStatus
                    .is_in([FulfilmentStatus::Shipped, FulfilmentStatus::Delivered]),
            ),
    )
    .await?;
    if claimed != 1 {
        return Err(invalid(o, "take a return (it has not shipped)"));
    }
    Ok(())
}

/// Units already returned per lot of reservation `rid`.
async fn returned_per_lot(txn: &DatabaseTransaction, rid: Uuid) -> ApiResult<HashMap<Uuid, i64>> {
    Ok(crate::inventory::repo::reservation_lines(txn, rid)
        .await?
        .into_iter()
        .map(|l| (l.lot_id, l.returned_qty))
        .collect())
}

/// How the order's money goes back: by card for paid card orders, owed for other paid orders,
/// nothing when nothing was paid — nor for a marketplace order, whose buyer the marketplace
/// pays back itself.
fn refund_route(o: &shop_order::Model) -> RefundRoute {
    match (o.payment_status, o.payment_method) {
        (_, PaymentMethod::Marketplace) => RefundRoute::None,
        (PaymentStatus::Paid | PaymentStatus::PartiallyRefunded, PaymentMethod::Card) => {
            RefundRoute::Card
        }
        (PaymentStatus::Paid | PaymentStatus::PartiallyRefunded, _) => RefundRoute::Owed,
        _ => RefundRoute::None,
    }
}

/// One return being recorded, inside its transaction.
struct Return<'a> {
    agg: Uuid,
    actor: &'a Actor,
    order: &'a shop_order::Model,
    /// The order's reservation.
    rid: Uuid,
    batch: Uuid,
    hash: &'a str,
    reason: &'a str,
    route: RefundRoute,
    refund_status: &'static str,
    /// The shop's tax rounding.
    rounding: &'a str,
}

impl Return<'_> {
    /// Books each requested line in turn: its returned units, the lots they go back to, and
    /// its return row; gives the stock lines and the rows.
    async fn take_lines(
        &self,
        txn: &DatabaseTransaction,
        requested: &[ReturnLineInput],
        lines: &HashMap<Uuid, order_line::Model>,
        returned: &HashMap<Uuid, i64>,
    ) -> ApiResult<(Vec<ReturnLine>, Vec<order_return::Model>)> {
        let mut stock_lines = Vec::new();
        let mut rows = Vec::new();
        for (i, l) in requested.iter().enumerate() {
            let line = lines.get(&l.line_id).ok_or_else(|| {
                ApiError::field(format!("lines[{i}].line_id"), "is not a line of this order")
            })?;
            mark_returned(txn, i, line, l.qty).await?;
            back_to_lots(line, l, returned, &mut stock_lines)?;
            rows.push(self.insert_row(txn, line, l).await?);
        }
        Ok((stock_lines, rows))
    }

    /// Inserts the return row of one line (its refund is nothing when nothing was paid).
    async fn insert_row(
        &self,
        txn: &DatabaseTransaction,
        line: &order_line::Model,
        l: &ReturnLineInput,
    ) -> ApiResult<order_return::Model> {
        let amount = if self.refund_status == refund::NONE {
            0
        } else {
            line.unit_price * l.qty
        };
        let row = order_return::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(self.agg),
            order_id: Set(self.order.id),
            order_line_id: Set(line.id),
            qty: Set(l.qty),
            disposition: Set(l.disposition.clone()),
            loss_bearer: Set(l.loss_bearer.clone()),
            refund_amount: Set(amount),
            refund_status: Set(self.refund_status.into()),
            provider_refund_id: Set(None),
            reason: Set(self.reason.to_string()),
            created_by: Set(self.actor.user_id),
            created_at: Set(core::now()),
            batch_id: Set(Some(self.batch)),
            request_hash: Set(Some(self.hash.to_string())),
        };
        Ok(repo::insert_return(txn, row).await?)
    }

    /// Puts the units back in the stock ledger, audits the return, records its event and,
    /// when money goes back, the refund due; gives the return's summary.
    async fn finish(
        &self,
        app: &AppState,
        txn: &DatabaseTransaction,
        stock_lines: &[ReturnLine],
        rows: &[order_return::Model],
        lines: &HashMap<Uuid, order_line::Model>,
        requested: &[ReturnLineInput],
    ) -> ApiResult<ReturnSummary> {
        let (o, batch) = (self.order, self.batch);
        stock_returns::apply_lines(
            txn,
            self.agg,
            self.actor.user_id,
            self.rid,
            batch,
            self.reason,
            self.hash,
            stock_lines,
        )
        .await?;
        let total: i64 = rows.iter().map(|r| r.refund_amount).sum();
        let summary = summarise(self.rounding, batch, rows, lines, false);
        orders::audit_order(
            txn,
            o,
            Some(self.actor.user_id),
            "order_returned",
            serde_json::json!({
                "batch_id": batch, "reason": self.reason, "refund_total": total,
                "refund_tax8": summary.refund_tax8, "refund_tax10": summary.refund_tax10,
                "lines": requested,
            }),
        )
        .await?;
        events::record(
            txn,
            app,
            &OrderReturned {
                aggregator_id: o.aggregator_id,
                order_id: o.id,
                batch_id: batch,
                refund_total: total,
                refund_tax8: summary.refund_tax8,
                refund_tax10: summary.refund_tax10,
                route: self.route,
                refund_key: format!("return-{batch}"),
            },
        )
        .await?;
        if total > 0 {
            orders::refund_due(app, txn, o, total, format!("return-{batch}"), Some(batch)).await?;
        }
        Ok(summary)
    }
}

/// Adds `qty` to the line's returned units (409 `return_exceeds_shipped` past what it shipped).
async fn mark_returned(
    txn: &DatabaseTransaction,
    i: usize,
    line: &order_line::Model,
    qty: i64,
) -> ApiResult<()> {
    let took = repo::update_lines(
        txn,
        vec![(
            order_line::Column::ReturnedQty,
            Expr::col(order_line::Column::ReturnedQty).add(qty),
        )],
        Condition::all()
            .add(order_line::Column::Id.eq(line.id))
            .add(
                Expr::col(order_line::Column::ReturnedQty)
                    .add(qty)
                    .lte(Expr::col(order_line::Column::Qty)),
            ),
    )
    .await?;
    if took != 1 {
        return Err(super::error::OrderError::ReturnExceedsShipped {
            line: i,
            shipped: line.qty,
            returned: line.returned_qty,
        }
        .into());
    }
    Ok(())
}

/// Adds the stock lines that put a returned line's units back in the lots they came from,
/// first lot first, within what each lot has not had back yet.
fn back_to_lots(
    line: &order_line::Model,
    l: &ReturnLineInput,
    returned: &HashMap<Uuid, i64>,
    stock_lines: &mut Vec<ReturnLine>,
) -> ApiResult<()> {
    let mut left = l.qty;
    for (lot, qty) in allocations_of(line)? {
        let room = qty - returned.get(&lot).copied().unwrap_or(0);
        let take = std::cmp::min(left, std::cmp::max(room, 0));
        if take > 0 {
            stock_lines.push(ReturnLine {
                lot_id: lot,
                qty: take,
                disposition: l.disposition.clone(),
                loss_bearer: l.loss_bearer.clone(),
            });
            left -= take;
        }
    }
    if left > 0 {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "order line {} has fewer allocated units than returned",
            line.id
        )));
    }
    Ok(())
}

async fn lines_of(
    db: &impl sea_orm::ConnectionTrait,
    order: Uuid,
) -> ApiResult<HashMap<Uuid, order_line::Model>> {
    Ok(repo::lines_of(db, order)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect())
}

/// The answer to a retried return: the order now and the earlier return's summary.
async fn replayed(
    app: &AppState,
    rounding: &str,
    batch: Uuid,
    earlier: &[order_return::Model],
    o: shop_order::Model,
) -> ApiResult<(OrderDetail, ReturnSummary)> {
    let d = orders::detail(&app.db, o).await?;
    let lines: HashMap<Uuid, order_line::Model> =
        d.lines.iter().map(|l| (l.id, l.clone())).collect();
    let summary = summarise(rounding, batch, earlier, &lines, true);
    Ok((d, summary))
}

/// The rows of an earlier return with this batch id; 422 when its request differed.
async fn earlier_return(
    db: &impl sea_orm::ConnectionTrait,
    batch: Uuid,
    hash: &str,
) -> ApiResult<Option<Vec<order_return::Model>>> {
    let earlier = repo::returns_of_batch(db, batch).await?;
    if earlier.is_empty() {
        return Ok(None);
    }
    if earlier
        .iter()
        .any(|r| r.request_hash.as_deref() != Some(hash))
    {
        return Err(super::error::OrderError::IdempotencyKeyReused { what: "return" }.into());
    }
    Ok(Some(earlier))
}

/// Refunds per tax rate, the tax computed once per rate.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefundByRate {
    pub total8: i64,
    pub tax8: i64,
    pub total10: i64,
    pub tax10: i64,
}

/// Sums return rows per tax rate of their order line (`rate_of`) and computes the tax in each
/// sum once, rounded as the shop is configured.
pub fn refund_by_rate(
    rounding: &str,
    rows: &[order_return::Model],
    rate_of: impl Fn(Uuid) -> Option<i16>,
) -> RefundByRate {
    let (mut t8, mut t10) = (0, 0);
    for r in rows {
        match rate_of(r.order_line_id) {
            Some(8) => t8 += r.refund_amount,
            _ => t10 += r.refund_amount,
        }
    }
    RefundByRate {
        total8: t8,
        tax8: included_tax(t8, 8, rounding),
        total10: t10,
        tax10: included_tax(t10, 10, rounding),
    }
}

/// Refund totals per rate of one return batch.
fn summarise(
    rounding: &str,
    batch: Uuid,
    rows: &[order_return::Model],
    lines: &HashMap<Uuid, order_line::Model>,
    replayed: bool,
) -> ReturnSummary {
    let r = refund_by_rate(rounding, rows, |id| lines.get(&id).map(|l| l.tax_rate));
    ReturnSummary {
        batch_id: batch,
        refund_total: r.total8 + r.total10,
        refund_tax8: r.tax8,
        refund_tax10: r.tax10,
        refund_status: rows
            .first()
            .map(|r| r.refund_status.clone())
            .unwrap_or_else(|| refund::NONE.into()),
        replayed,
    }
}
