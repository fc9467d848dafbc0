//! Returns after shipment, per order line: units go back into the lots they were picked from
//! (restocked, or disposed of at the bearer's charge — both in the stock ledger), and the goods'
//! price is refunded, tax computed once per rate for the return: through the card provider for
//! card orders, recorded as owed to the buyer for bank transfer and cash on delivery. One
//! request per `Idempotency-Key`: a retry answers with the same return.
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
use entity::{order_line, order_return, reservation_line, shop_order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
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
    let batch = match key {
        Some(k) => {
            let digest = hash_token(&format!("order-return:{order_id}:{k}"));
            let bytes = hex::decode(&digest[..32]).map_err(|e| ApiError::Internal(e.into()))?;
            Uuid::from_slice(&bytes).map_err(|e| ApiError::Internal(e.into()))?
        }
        None => core::new_id(),
    };
    let s = seller(app, agg).await?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, order_id).await?;
    // A retry answers with the earlier return (also once the order is closed) …
    if let Some(earlier) = earlier_return(&txn, batch, &hash).await? {
        drop(txn);
        return replayed(app, &s.tax_rounding, batch, &earlier, o).await;
    }
    // Claims the order row: returns of one order run one at a time.
    let claimed = shop_order::Entity::update_many()
        .col_expr(shop_order::Column::UpdatedAt, Expr::value(core::now()))
        .filter(shop_order::Column::Id.eq(o.id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Open))
        .filter(
            shop_order::Column::FulfilmentStatus
                .is_in([FulfilmentStatus::Shipped, FulfilmentStatus::Delivered]),
        )
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invalid(&o, "take a return (it has not shipped)"));
    }
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
    let returned: HashMap<Uuid, i64> = reservation_line::Entity::find()
        .filter(reservation_line::Column::ReservationId.eq(rid))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| (l.lot_id, l.returned_qty))
        .collect();
    let route = match (o.payment_status, o.payment_method) {
        (PaymentStatus::Paid | PaymentStatus::PartiallyRefunded, PaymentMethod::Card) => {
            RefundRoute::Card
        }
        (PaymentStatus::Paid | PaymentStatus::PartiallyRefunded, _) => RefundRoute::Owed,
        _ => RefundRoute::None,
    };
    let refund_status = match route {
        RefundRoute::Card => refund::PENDING,
        RefundRoute::Owed => refund::OWED,
        RefundRoute::None => refund::NONE,
    };
    let mut stock_lines = Vec::new();
    let mut rows = Vec::new();
    for (i, l) in req.lines.iter().enumerate() {
        let line = lines.get(&l.line_id).ok_or_else(|| {
            ApiError::field(format!("lines[{i}].line_id"), "is not a line of this order")
        })?;
        let took = order_line::Entity::update_many()
            .col_expr(
                order_line::Column::ReturnedQty,
                Expr::col(order_line::Column::ReturnedQty).add(l.qty),
            )
            .filter(order_line::Column::Id.eq(line.id))
            .filter(
                Expr::col(order_line::Column::ReturnedQty)
                    .add(l.qty)
                    .lte(Expr::col(order_line::Column::Qty)),
            )
            .exec(&txn)
            .await?;
        if took.rows_affected != 1 {
            return Err(ApiError::Conflict {
                code: "return_exceeds_shipped",
                message: format!(
                    "lines[{i}]: {} shipped, {} already returned",
                    line.qty, line.returned_qty
                ),
                details: serde_json::json!({ "line": i, "shipped": line.qty, "returned": line.returned_qty }),
            });
        }
        // Units go back to the lots they came from, first lot first.
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
        let amount = if refund_status == refund::NONE {
            0
        } else {
            line.unit_price * l.qty
        };
        rows.push(
            order_return::ActiveModel {
                id: Set(core::new_id()),
                aggregator_id: Set(agg),
                order_id: Set(o.id),
                order_line_id: Set(line.id),
                qty: Set(l.qty),
                disposition: Set(l.disposition.clone()),
                loss_bearer: Set(l.loss_bearer.clone()),
                refund_amount: Set(amount),
                refund_status: Set(refund_status.into()),
                provider_refund_id: Set(None),
                reason: Set(reason.clone()),
                created_by: Set(actor.user_id),
                created_at: Set(core::now()),
                batch_id: Set(Some(batch)),
                request_hash: Set(Some(hash.clone())),
            }
            .insert(&txn)
            .await?,
        );
    }
    stock_returns::apply_lines(
        &txn,
        agg,
        actor.user_id,
        rid,
        batch,
        &reason,
        &hash,
        &stock_lines,
    )
    .await?;
    let total: i64 = rows.iter().map(|r| r.refund_amount).sum();
    let summary = summarise(&s.tax_rounding, batch, &rows, &lines, false);
    orders::audit_order(
        &txn,
        &o,
        Some(actor.user_id),
        "order_returned",
        serde_json::json!({
            "batch_id": batch, "reason": reason, "refund_total": total,
            "refund_tax8": summary.refund_tax8, "refund_tax10": summary.refund_tax10,
            "lines": req.lines,
        }),
    )
    .await?;
    events::record(
        &txn,
        app,
        &OrderReturned {
            aggregator_id: o.aggregator_id,
            order_id: o.id,
            batch_id: batch,
            refund_total: total,
            refund_tax8: summary.refund_tax8,
            refund_tax10: summary.refund_tax10,
            route,
            refund_key: format!("return-{batch}"),
        },
    )
    .await?;
    if total > 0 {
        orders::refund_due(app, &txn, &o, total, format!("return-{batch}"), Some(batch)).await?;
    }
    txn.commit().await?;
    let o = find(&app.db, agg, order_id).await?;
    Ok((orders::detail(&app.db, o).await?, summary))
}

async fn lines_of(
    db: &impl sea_orm::ConnectionTrait,
    order: Uuid,
) -> ApiResult<HashMap<Uuid, order_line::Model>> {
    Ok(order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order))
        .order_by_asc(order_line::Column::ParcelSeq)
        .all(db)
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
    let earlier = order_return::Entity::find()
        .filter(order_return::Column::BatchId.eq(batch))
        .all(db)
        .await?;
    if earlier.is_empty() {
        return Ok(None);
    }
    if earlier
        .iter()
        .any(|r| r.request_hash.as_deref() != Some(hash))
    {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used with a different return".into(),
            details: serde_json::json!({}),
        });
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
