//! The order core: what buyers (through the signed link) and staff see of an order, and the
//! allowed transitions of its three statuses, each a guarded UPDATE (the database decides
//! when two requests race) and audit-logged.
use super::repo;
use super::{
    domain::{self, BuyerData, FulfilmentStatus, OrderStatus, PaymentStatus},
    events::{OrderCancelled, OrderPaid, OrderRefunded, RefundDue},
    privacy::buyer_of,
};
use crate::{
    audit::{self, AuditRecord},
    core::{self, pagination::Page},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    inventory::reservations,
    jobs::events,
    state::AppState,
};
use chrono::{Duration, NaiveDate};
use entity::{order_line, order_return, parcel, producer, shop_order};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, ExprTrait, sea_query::Expr,
};
use uuid::Uuid;

/// An order with its lines, parcels and returns.
pub struct OrderDetail {
    pub order: shop_order::Model,
    pub lines: Vec<order_line::Model>,
    pub parcels: Vec<parcel::Model>,
    pub returns: Vec<order_return::Model>,
}

/// Loads what belongs to `order`.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn detail(db: &impl ConnectionTrait, order: shop_order::Model) -> ApiResult<OrderDetail> {
    let lines = repo::lines_of(db, order.id).await?;
    let parcels = repo::parcels_of(db, order.id).await?;
    let returns = repo::returns_of(db, order.id).await?;
    Ok(OrderDetail {
        order,
        lines,
        parcels,
        returns,
    })
}

/// Whether the order can still be cancelled: open, not yet shipped, and no parcel has left
/// (the same rules [`cancel_in`] enforces).
pub fn cancellable(d: &OrderDetail) -> bool {
    domain::cancellable(&d.order) && d.parcels.iter().all(|p| p.tracking_number.is_none())
}

/// An order seen through its signed link (404 for a wrong token or another shop).
///
/// # Errors
/// 404.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn for_buyer(
    app: &AppState,
    agg: Uuid,
    id: Uuid,
    token: &str,
) -> ApiResult<(OrderDetail, Option<BuyerData>)> {
    if !super::privacy::check_order_token(&app.settings, id, token) {
        return Err(ApiError::NotFound);
    }
    let o = repo::order(&app.db, id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)?;
    let buyer = buyer_of(app, &o)?;
    Ok((detail(&app.db, o).await?, buyer))
}

fn staff(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Operator, Role::Admin, Role::Finance])?;
    actor.aggregator_id.ok_or_else(ApiError::forbidden)
}

/// One order of `agg` (404 for another tenant's).
///
/// # Errors
/// 404.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> ApiResult<shop_order::Model> {
    repo::order(db, id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)
}

/// One order of the caller's aggregator with the buyer's data (staff).
///
/// # Errors
/// 403; 404.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn get(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<(OrderDetail, Option<BuyerData>)> {
    let agg = staff(actor)?;
    let o = find(&app.db, agg, id).await?;
    let buyer = buyer_of(app, &o)?;
    Ok((detail(&app.db, o).await?, buyer))
}

/// Filters of the staff order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub payment_status: Option<String>,
    pub fulfilment_status: Option<String>,
    pub source: Option<String>,
    pub producer_id: Option<Uuid>,
    /// Orders containing goods of producers on this island.
    pub island: Option<String>,
    /// Placed on or after this day (JST).
    pub from: Option<NaiveDate>,
    /// Placed on or before this day (JST).
    pub to: Option<NaiveDate>,
}

fn jst_start(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    (d.and_hms_opt(0, 0, 0).unwrap_or_default() - Duration::hours(9)).and_utc()
}

/// The caller's aggregator's orders, newest first (staff).
///
/// # Errors
/// 403; 422 naming a bad filter.
#[tracing::instrument(skip_all)]
pub async fn list(
    app: &AppState,
    actor: &Actor,
    f: OrderFilter,
    page: Page,
) -> ApiResult<Vec<shop_order::Model>> {
    let agg = staff(actor)?;
    let mut cond = Condition::all().add(shop_order::Column::AggregatorId.eq(agg));
    for (name, value, allowed, col) in [
        (
            "status",
            &f.status,
            OrderStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            shop_order::Column::Status,
        ),
        (
            "payment_status",
            &f.payment_status,
            PaymentStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            shop_order::Column::PaymentStatus,
        ),
        (
            "fulfilment_status",
            &f.fulfilment_status,
            FulfilmentStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            shop_order::Column::FulfilmentStatus,
        ),
    ] {
        if let Some(v) = value {
            if !allowed.contains(&v.as_str()) {
                return Err(ApiError::field(
                    name,
                    format!("must be one of {}", allowed.join(", ")),
                ));
            }
            cond = cond.add(col.eq(v.clone()));
        }
    }
    if let Some(s) = &f.source {
        let s = core::validate::code(s, 32).map_err(|m| ApiError::field("source", m))?;
        cond = cond.add(shop_order::Column::Source.eq(s));
    }
    let sane = |d: &NaiveDate| (2000..=2100).contains(&chrono::Datelike::year(d));
    for (name, d) in [("from", &f.from), ("to", &f.to)] {
        if d.as_ref().is_some_and(|d| !sane(d)) {
            return Err(ApiError::field(
                name,
                "must be a date between 2000 and 2100",
            ));
        }
    }
    if let (Some(a), Some(b)) = (f.from, f.to)
        && a > b
    {
        return Err(ApiError::field("to", "must not be before from"));
    }
    if let Some(d) = f.from {
        cond = cond.add(shop_order::Column::CreatedAt.gte(jst_start(d)));
    }
    if let Some(d) = f.to {
        cond = cond.add(shop_order::Column::CreatedAt.lt(jst_start(d + Duration::days(1))));
    }
    let mut producers: Option<Vec<Uuid>> = f.producer_id.map(|p| vec![p]);
    if let Some(i) = &f.island {
        let i = core::validate::code(i, 32).map_err(|m| ApiError::field("island", m))?;
        let on_island: Vec<Uuid> = crate::producers::repo::producer_ids_where(
            &app.db,
            Condition::all()
                .add(producer::Column::AggregatorId.eq(agg))
                .add(producer::Column::IslandCode.eq(i)),
        )
        .await?
        .into_iter()
        .filter(|p| producers.as_ref().is_none_or(|only| only.contains(p)))
        .collect();
        producers = Some(on_island);
    }
    if let Some(ps) = producers {
        let ids = repo::order_ids_of_producers(&app.db, agg, ps).await?;
        cond = cond.add(shop_order::Column::Id.is_in(ids));
    }
    if let Some(after) = page.after {
        cond = cond.add(shop_order::Column::Id.lt(after));
    }
    Ok(repo::orders_where(&app.db, cond, page.limit).await?)
}

/// 409 `invalid_transition` naming the order and its three statuses.
pub(super) fn invalid(o: &shop_order::Model, what: &str) -> ApiError {
    super::error::OrderError::invalid(o, what).into()
}

/// Records an order event in the audit log.
///
/// # Errors
/// The insert fails.
pub(crate) async fn audit_order(
    db: &impl ConnectionTrait,
    o: &shop_order::Model,
    actor: Option<Uuid>,
    action: &str,
    details: serde_json::Value,
) -> ApiResult<()> {
    audit::record(
        db,
        AuditRecord {
            aggregator_id: Some(o.aggregator_id),
            actor_user_id: actor,
            action,
            subject_type: "order",
            subject_id: Some(o.id.to_string()),
            details,
        },
    )
    .await?;
    Ok(())
}

/// Marks a pending (bank transfer or card) order paid. A retry on a paid order changes nothing.
///
/// # Errors
/// 404; 409 `invalid_transition`.
#[tracing::instrument(skip_all)]
pub async fn mark_paid_in(
    app: &AppState,
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
    actor: Option<Uuid>,
    how: &str,
) -> ApiResult<bool> {
    let now = core::now();
    let changed = repo::update_orders(
        txn,
        vec![
            (
                shop_order::Column::PaymentStatus,
                Expr::value(PaymentStatus::Paid.as_str()),
            ),
            (shop_order::Column::PaidAt, Expr::value(now)),
            (shop_order::Column::UpdatedAt, Expr::value(now)),
        ],
        Condition::all()
            .add(shop_order::Column::Id.eq(o.id))
            .add(shop_order::Column::Status.eq(OrderStatus::Open))
            .add(shop_order::Column::PaymentStatus.is_in(domain::PAYABLE)),
    )
    .await?;
    if changed == 0 {
        let now = find(txn, o.aggregator_id, o.id).await?;
        if now.payment_status == PaymentStatus::Paid {
            return Ok(false);
        }
        return Err(invalid(&now, "mark it paid"));
    }
    audit_order(
        txn,
        o,
        actor,
        "order_paid",
        serde_json::json!({ "how": how, "from": o.payment_status }),
    )
    .await?;
    events::record(
        txn,
        app,
        &OrderPaid {
            aggregator_id: o.aggregator_id,
            order_id: o.id,
            was: o.payment_status,
        },
    )
    .await?;
    Ok(true)
}

/// Staff mark an order paid (a bank transfer seen on the account, cash collected).
///
/// # Errors
/// 403; 404; 409 `invalid_transition`.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn mark_paid(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<OrderDetail> {
    let agg = staff(actor)?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, id).await?;
    mark_paid_in(app, &txn, &o, Some(actor.user_id), "operator").await?;
    txn.commit().await?;
    detail(&app.db, find(&app.db, agg, id).await?).await
}

/// Cancels an order that has not shipped: stock goes back, the buyer is emailed; money already
/// taken is refunded (card) or recorded as owed (bank transfer).
///
/// # Errors
/// 409 `invalid_transition` once shipped or already cancelled.
#[tracing::instrument(skip_all)]
pub async fn cancel_in(
    app: &AppState,
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
    actor: Option<Uuid>,
    reason: &str,
) -> ApiResult<()> {
    let now = core::now();
    // The payment status must still be the one the refund decision below is based on.
    let changed = repo::update_orders(
        txn,
        vec![
            (
                shop_order::Column::Status,
                Expr::value(OrderStatus::Cancelled.as_str()),
            ),
            (shop_order::Column::CancelledAt, Expr::value(now)),
            (shop_order::Column::UpdatedAt, Expr::value(now)),
        ],
        Condition::all()
            .add(shop_order::Column::Id.eq(o.id))
            .add(shop_order::Column::Status.eq(OrderStatus::Open))
            .add(shop_order::Column::PaymentStatus.eq(o.payment_status))
            .add(shop_order::Column::FulfilmentStatus.is_in(domain::CANCELLABLE)),
    )
    .await?;
    if changed == 0 {
        let now = find(txn, o.aggregator_id, o.id).await?;
        return Err(invalid(&now, "cancel"));
    }
    // A parcel that already left (its tracking number is recorded) cannot be called back; checked
    // after the claim above, so a tracking number saved meanwhile is seen (the caller's
    // transaction rolls back).
    let left = repo::parcel_where(
        txn,
        Condition::all()
            .add(parcel::Column::OrderId.eq(o.id))
            .add(parcel::Column::TrackingNumber.is_not_null()),
    )
    .await?;
    if left.is_some() {
        return Err(invalid(o, "cancel (a parcel has already left)"));
    }
    if let Some(rid) = o.reservation_id {
        match reservations::finish_in(
            txn,
            o.aggregator_id,
            actor,
            rid,
            reservations::status::RELEASED,
        )
        .await
        {
            Ok(_) | Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    // Money already received goes back in full: owed until the card provider or a bank
    // transfer pays it back.
    // A marketplace gives its buyer's money back itself.
    let refund = if o.payment_status == PaymentStatus::Paid
        && o.payment_method != domain::PaymentMethod::Marketplace
    {
        o.grand_total
    } else {
        0
    };
    audit_order(
        txn,
        o,
        actor,
        "order_cancelled",
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    let refund_key = format!("cancel-{}", o.id);
    events::record(
        txn,
        app,
        &OrderCancelled {
            aggregator_id: o.aggregator_id,
            order_id: o.id,
            payment_method: o.payment_method,
            refund,
            refund_key: refund_key.clone(),
        },
    )
    .await?;
    if refund > 0 {
        refund_due(app, txn, o, refund, refund_key, None).await?;
    }
    Ok(())
}

/// Staff cancel an order before shipment.
///
/// # Errors
/// 403; 404; 409 `invalid_transition`; 422 reason.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn cancel(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> ApiResult<OrderDetail> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = staff(actor)?;
    let reason = core::validate::text(reason, 500).map_err(|m| ApiError::field("reason", m))?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, id).await?;
    cancel_in(app, &txn, &o, Some(actor.user_id), &reason).await?;
    txn.commit().await?;
    detail(&app.db, find(&app.db, agg, id).await?).await
}

/// The buyer cancels through the signed link (before shipment).
///
/// # Errors
/// 404 wrong link; 409 `invalid_transition`.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn cancel_by_buyer(
    app: &AppState,
    agg: Uuid,
    id: Uuid,
    token: &str,
) -> ApiResult<OrderDetail> {
    if !super::privacy::check_order_token(&app.settings, id, token) {
        return Err(ApiError::NotFound);
    }
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, id).await?;
    cancel_in(app, &txn, &o, None, "cancelled by the buyer").await?;
    txn.commit().await?;
    detail(&app.db, find(&app.db, agg, id).await?).await
}

/// Cancels bank-transfer and card orders still unpaid after their deadline (the job). Returns
/// how many.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn expire_unpaid(app: &AppState) -> ApiResult<usize> {
    let due = repo::all_orders_where(
        &app.db,
        Condition::all()
            .add(shop_order::Column::Status.eq(OrderStatus::Open))
            .add(shop_order::Column::PaymentStatus.eq(PaymentStatus::Pending))
            .add(shop_order::Column::PayBy.lt(core::now())),
    )
    .await?;
    let mut n = 0;
    for o in due {
        let txn = db::begin_write(&app.db).await?;
        match cancel_in(app, &txn, &o, None, "unpaid after the payment deadline").await {
            Ok(()) => {
                txn.commit().await?;
                n += 1;
            }
            Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Erases buyer personal data of orders delivered or cancelled more than
/// `shop.personal_data_retention_days` ago (the job). Returns how many.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn purge_personal(app: &AppState) -> ApiResult<u64> {
    let before = core::now() - Duration::days(app.settings.shop.personal_data_retention_days);
    Ok(repo::update_orders(
        &app.db,
        vec![
            (
                shop_order::Column::BuyerData,
                Expr::value(Option::<String>::None),
            ),
            (
                shop_order::Column::PersonalPurgedAt,
                Expr::value(core::now()),
            ),
        ],
        Condition::all()
            .add(shop_order::Column::BuyerData.is_not_null())
            .add(
                Condition::any()
                    .add(shop_order::Column::DeliveredAt.lt(before))
                    .add(shop_order::Column::CancelledAt.lt(before)),
            ),
    )
    .await?)
}

/// Books `amount` paid back on order `order_id`, however it was paid: claims the order row,
/// then from what is stored now (refunds of one order settle one at a time) raises its
/// refunded total, lowers what it still owes and moves its payment status. Returns the order
/// as it was before and what it still owes after.
///
/// # Errors
/// 404 for an unknown order; database failure.
pub(crate) async fn settle_refund(
    txn: &DatabaseTransaction,
    order_id: Uuid,
    amount: i64,
) -> ApiResult<(shop_order::Model, i64)> {
    repo::update_orders(
        txn,
        vec![(shop_order::Column::UpdatedAt, Expr::value(core::now()))],
        Condition::all().add(shop_order::Column::Id.eq(order_id)),
    )
    .await?;
    let now = repo::order(txn, order_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let refunded = now.refunded_total + amount;
    let owed = std::cmp::max(now.refund_owed - amount, 0);
    repo::update_orders(
        txn,
        vec![
            (shop_order::Column::RefundedTotal, Expr::value(refunded)),
            (shop_order::Column::RefundOwed, Expr::value(owed)),
            (
                shop_order::Column::PaymentStatus,
                Expr::value(domain::after_refund(refunded, now.grand_total)),
            ),
        ],
        Condition::all().add(shop_order::Column::Id.eq(order_id)),
    )
    .await?;
    Ok((now, owed))
}

/// Records that `amount` paid for `o` must go back (`key` names the refund): added to what the
/// order owes, and told to the areas that pay it back (a card refund through the provider).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn refund_due(
    app: &AppState,
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
    amount: i64,
    key: String,
    batch_id: Option<Uuid>,
) -> ApiResult<()> {
    repo::update_orders(
        txn,
        vec![(
            shop_order::Column::RefundOwed,
            Expr::col(shop_order::Column::RefundOwed).add(amount),
        )],
        Condition::all().add(shop_order::Column::Id.eq(o.id)),
    )
    .await?;
    events::record(
        txn,
        app,
        &RefundDue {
            aggregator_id: o.aggregator_id,
            order_id: o.id,
            payment_method: o.payment_method,
            amount,
            key,
            batch_id,
        },
    )
    .await?;
    Ok(())
}

/// A card payment that arrived after its order was cancelled (e.g. expired unpaid): all of it
/// goes back.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn paid_after_cancel_in(
    app: &AppState,
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
) -> ApiResult<()> {
    audit_order(
        txn,
        o,
        None,
        "payment_after_cancel",
        serde_json::json!({ "grand_total": o.grand_total }),
    )
    .await?;
    refund_due(app, txn, o, o.grand_total, format!("late-{}", o.id), None).await
}

/// Books a refund the card provider has paid (`key` names it; the caller has claimed the key in
/// `txn`): the order's refunded total, what it still owes, its payment status, the return rows
/// of `batch` it settles, the audit row and the `orders.refunded` event.
///
/// # Errors
/// 404 for an unknown order; database failure.
#[tracing::instrument(skip_all, fields(order.id = %order_id))]
pub async fn record_card_refund(
    app: &AppState,
    txn: &DatabaseTransaction,
    order_id: Uuid,
    amount: i64,
    key: &str,
    batch: Option<Uuid>,
    provider_refund_id: &str,
) -> ApiResult<()> {
    if let Some(b) = batch {
        repo::update_returns(
            txn,
            vec![
                (
                    order_return::Column::RefundStatus,
                    Expr::value(super::returns::refund::REFUNDED),
                ),
                (
                    order_return::Column::ProviderRefundId,
                    Expr::value(provider_refund_id.to_string()),
                ),
            ],
            Condition::all()
                .add(order_return::Column::BatchId.eq(b))
                .add(order_return::Column::RefundStatus.eq(super::returns::refund::PENDING)),
        )
        .await?;
    }
    let (now, _) = settle_refund(txn, order_id, amount).await?;
    audit_order(
        txn,
        &now,
        None,
        "order_refunded",
        serde_json::json!({ "amount": amount, "provider_refund_id": provider_refund_id, "key": key }),
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
            via_payout: false,
        },
    )
    .await?;
    Ok(())
}
