//! Fulfilment: a pick list for a batch of paid orders (by bin and lot, from the order lines' lot
//! allocations), a packing list per parcel (one temperature class, any number of producers),
//! the carrier label file, tracking numbers typed in or imported from the carrier's CSV, the
//! shipment (stock leaves the ledger, the buyer is emailed) and delivery (cash on delivery is
//! then paid). Each transition is a guarded UPDATE and audit-logged.
use super::repo;
use super::{
    domain::{FulfilmentStatus, OrderStatus, ParcelStatus, PaymentStatus},
    events::OrderDelivered,
    service::{self as orders, OrderDetail, find, invalid},
};
use crate::inventory::repo as inventory_repo;
use crate::{
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    jobs::events,
    state::AppState,
};
use chrono::NaiveDate;
use entity::{location, order_line, parcel, producer, shop_order, stock_lot};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, Order, sea_query::Expr,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

pub(super) fn warehouse(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Operator, Role::Admin])?;
    actor.aggregator_id.ok_or_else(ApiError::forbidden)
}

/// Moves an open order's fulfilment status from `from` to `to`, stamping `at` when given;
/// false when the order is not (or no longer) in `from`.
pub(super) async fn advance(
    txn: &DatabaseTransaction,
    id: Uuid,
    from: FulfilmentStatus,
    to: FulfilmentStatus,
    at: Option<shop_order::Column>,
) -> ApiResult<bool> {
    let now = core::now();
    let mut sets = vec![
        (shop_order::Column::FulfilmentStatus, Expr::value(to)),
        (shop_order::Column::UpdatedAt, Expr::value(now)),
    ];
    if let Some(col) = at {
        sets.push((col, Expr::value(now)));
    }
    let cond = Condition::all()
        .add(shop_order::Column::Id.eq(id))
        .add(shop_order::Column::Status.eq(OrderStatus::Open))
        .add(shop_order::Column::FulfilmentStatus.eq(from));
    Ok(repo::update_orders(txn, sets, cond).await? == 1)
}

/// Sets every parcel of an order in one of `from` to `to`, stamping `at`.
async fn parcels_to(
    txn: &DatabaseTransaction,
    order: Uuid,
    from: &[ParcelStatus],
    to: ParcelStatus,
    at: parcel::Column,
) -> ApiResult<()> {
    repo::update_parcels(
        txn,
        vec![
            (parcel::Column::Status, Expr::value(to)),
            (at, Expr::value(core::now())),
        ],
        Condition::all()
            .add(parcel::Column::OrderId.eq(order))
            .add(parcel::Column::Status.is_in(from.iter().map(|s| s.as_str()))),
    )
    .await?;
    Ok(())
}

pub(super) async fn audit(
    db: &impl ConnectionTrait,
    o: &shop_order::Model,
    actor: Uuid,
    action: &str,
) -> ApiResult<()> {
    orders::audit_order(db, o, Some(actor), action, serde_json::json!({})).await
}

pub(super) fn batch(ids: &[Uuid]) -> ApiResult<()> {
    if ids.is_empty() || ids.len() > 200 {
        return Err(ApiError::field("order_ids", "must name 1 to 200 orders"));
    }
    let mut seen = HashSet::new();
    if let Some(i) = ids.iter().position(|id| !seen.insert(*id)) {
        return Err(ApiError::field(format!("order_ids[{i}]"), "appears twice"));
    }
    Ok(())
}

/// One row of a pick list: units of one lot in one bin.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PickRow {
    /// Bin code (absent for a lot not yet put away).
    pub location: Option<String>,
    pub zone: Option<String>,
    pub temperature_class: String,
    pub sku_id: Uuid,
    pub sku_code: String,
    pub title: String,
    pub lot_id: Uuid,
    pub lot_code: String,
    pub best_before: NaiveDate,
    pub qty: i64,
    /// Order numbers the units go to, with the units each.
    pub orders: Vec<PickOrder>,
}

/// An order's share of a pick row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PickOrder {
    pub number: String,
    pub parcel_seq: i32,
    pub qty: i64,
}

/// A pick list for a batch of orders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PickList {
    pub orders: Vec<PickedOrder>,
    /// Sorted by bin, then SKU, then best-before.
    pub rows: Vec<PickRow>,
    pub total_units: i64,
}

/// An order of the batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PickedOrder {
    pub id: Uuid,
    pub number: String,
    pub parcels: usize,
}

#[derive(serde::Deserialize)]
struct Allocation {
    lot_id: Uuid,
    qty: i64,
}

/// The lots an order line took (its FEFO allocation when the order was placed).
///
/// # Errors
/// A line whose allocation record does not parse.
pub fn allocations_of(l: &order_line::Model) -> ApiResult<Vec<(Uuid, i64)>> {
    let a: Vec<Allocation> = serde_json::from_str(&l.allocations)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("order line {}: {e}", l.id)))?;
    Ok(a.into_iter().map(|a| (a.lot_id, a.qty)).collect())
}

/// Starts picking a batch of orders and returns their pick list. Orders must be open and paid
/// (or cash on delivery); ones already picking are listed again. All or nothing.
///
/// # Errors
/// 403; 404 an order; 409 `invalid_transition` naming the order; 422 `order_ids`.
#[tracing::instrument(skip_all)]
pub async fn pick(app: &AppState, actor: &Actor, ids: &[Uuid]) -> ApiResult<PickList> {
    let agg = warehouse(actor)?;
    batch(ids)?;
    let txn = db::begin_write(&app.db).await?;
    let mut orders = Vec::new();
    for id in ids {
        let o = find(&txn, agg, *id).await?;
        let payable =
            [PaymentStatus::Paid, PaymentStatus::CashOnDelivery].contains(&o.payment_status);
        if o.status != OrderStatus::Open || !payable {
            return Err(invalid(
                &o,
                "pick it (it must be open and paid or cash on delivery)",
            ));
        }
        if super::domain::has_attention(&o, super::domain::attention::OVERSOLD) {
            return Err(ApiError::Conflict {
                code: "order_oversold",
                message: format!(
                    "order {} was sold on its channel without stock here: cancel it first",
                    o.number
                ),
                details: serde_json::json!({ "field": "order_ids", "order_id": o.id }),
            });
        }
        if o.fulfilment_status == FulfilmentStatus::Unfulfilled {
            if !advance(
                &txn,
                o.id,
                FulfilmentStatus::Unfulfilled,
                FulfilmentStatus::Picking,
                None,
            )
            .await?
            {
                let now = find(&txn, agg, o.id).await?;
                return Err(invalid(&now, "pick it"));
            }
            audit(&txn, &o, actor.user_id, "order_picking").await?;
        } else if o.fulfilment_status != FulfilmentStatus::Picking {
            return Err(invalid(&o, "pick it"));
        }
        orders.push(o);
    }
    let list = pick_rows(&txn, agg, &orders).await?;
    txn.commit().await?;
    Ok(list)
}

async fn pick_rows(
    db: &impl ConnectionTrait,
    agg: Uuid,
    orders: &[shop_order::Model],
) -> ApiResult<PickList> {
    let numbers: HashMap<Uuid, &str> = orders.iter().map(|o| (o.id, o.number.as_str())).collect();
    let lines = repo::lines_where(
        db,
        Condition::all()
            .add(order_line::Column::AggregatorId.eq(agg))
            .add(order_line::Column::OrderId.is_in(orders.iter().map(|o| o.id))),
        Order::Asc,
        None,
    )
    .await?;
    let mut per_lot: BTreeMap<Uuid, Vec<(&order_line::Model, i64)>> = BTreeMap::new();
    for l in &lines {
        for (lot, qty) in allocations_of(l)? {
            per_lot.entry(lot).or_default().push((l, qty));
        }
    }
    let lots: HashMap<Uuid, stock_lot::Model> = inventory_repo::lots(db, per_lot.keys().copied())
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let bins: HashMap<Uuid, location::Model> =
        inventory_repo::locations(db, lots.values().filter_map(|l| l.location_id))
            .await?
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
    let mut parcels: HashMap<Uuid, HashSet<i32>> = HashMap::new();
    let mut rows = Vec::new();
    for (lot_id, takes) in &per_lot {
        let lot = lots
            .get(lot_id)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("lot {lot_id} is gone")))?;
        let bin = lot.location_id.and_then(|b| bins.get(&b));
        let first = takes[0].0;
        let mut orders = Vec::new();
        for (l, qty) in takes {
            parcels.entry(l.order_id).or_default().insert(l.parcel_seq);
            orders.push(PickOrder {
                number: numbers.get(&l.order_id).copied().unwrap_or_default().into(),
                parcel_seq: l.parcel_seq,
                qty: *qty,
            });
        }
        orders.sort_by(|a, b| a.number.cmp(&b.number));
        rows.push(PickRow {
            location: bin.map(|b| b.code.clone()),
            zone: bin.map(|b| b.zone.clone()),
            temperature_class: first.temperature_class.clone(),
            sku_id: first.sku_id,
            sku_code: first.sku_code.clone(),
            title: first.title.clone(),
            lot_id: *lot_id,
            lot_code: lot.lot_code.clone(),
            best_before: lot.best_before,
            qty: takes.iter().map(|(_, q)| q).sum(),
            orders,
        });
    }
    rows.sort_by(|a, b| {
        (
            a.location.is_none(),
            &a.location,
            &a.sku_code,
            a.best_before,
        )
            .cmp(&(
                b.location.is_none(),
                &b.location,
                &b.sku_code,
                b.best_before,
            ))
    });
    Ok(PickList {
        orders: orders
            .iter()
            .map(|o| PickedOrder {
                id: o.id,
                number: o.number.clone(),
                parcels: parcels.get(&o.id).map_or(0, HashSet::len),
            })
            .collect(),
        total_units: rows.iter().map(|r| r.qty).sum(),
        rows,
    })
}

/// One parcel's packing list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PackingParcel {
    pub seq: i32,
    pub temperature_class: String,
    pub carrier: String,
    pub status: String,
    pub tracking_number: Option<String>,
    pub lines: Vec<PackingLine>,
}

/// A line in a parcel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PackingLine {
    pub sku_code: String,
    pub title: String,
    pub qty: i64,
    pub producer_id: Uuid,
    pub producer: String,
    /// Lot codes the units come from.
    pub lots: Vec<String>,
}

/// An order's packing list: one entry per parcel, each of one temperature class.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PackingList {
    pub order_id: Uuid,
    pub number: String,
    pub fulfilment_status: String,
    pub parcels: Vec<PackingParcel>,
}

/// The packing list of an order.
///
/// # Errors
/// 403; 404.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn packing_list(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<PackingList> {
    let agg = warehouse(actor)?;
    let o = find(&app.db, agg, id).await?;
    packing_of(&app.db, orders::detail(&app.db, o).await?).await
}

async fn packing_of(db: &impl ConnectionTrait, d: OrderDetail) -> ApiResult<PackingList> {
    let names: HashMap<Uuid, String> = crate::producers::repo::all_producers_where(
        db,
        Condition::all().add(producer::Column::Id.is_in(d.lines.iter().map(|l| l.producer_id))),
    )
    .await?
    .into_iter()
    .map(|p| (p.id, p.legal_name))
    .collect();
    let mut lot_ids = Vec::new();
    for l in &d.lines {
        lot_ids.extend(allocations_of(l)?.into_iter().map(|(lot, _)| lot));
    }
    let lot_codes: HashMap<Uuid, String> = inventory_repo::lots(db, lot_ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l.lot_code))
        .collect();
    let mut parcels = Vec::new();
    for p in &d.parcels {
        let mut lines = Vec::new();
        for l in d.lines.iter().filter(|l| l.parcel_seq == p.seq) {
            lines.push(PackingLine {
                sku_code: l.sku_code.clone(),
                title: l.title.clone(),
                qty: l.qty,
                producer_id: l.producer_id,
                producer: names.get(&l.producer_id).cloned().unwrap_or_default(),
                lots: allocations_of(l)?
                    .iter()
                    .filter_map(|(lot, _)| lot_codes.get(lot).cloned())
                    .collect(),
            });
        }
        parcels.push(PackingParcel {
            seq: p.seq,
            temperature_class: p.temperature_class.clone(),
            carrier: p.carrier.clone(),
            status: p.status.as_str().to_string(),
            tracking_number: p.tracking_number.clone(),
            lines,
        });
    }
    Ok(PackingList {
        order_id: d.order.id,
        number: d.order.number.clone(),
        fulfilment_status: d.order.fulfilment_status.as_str().to_string(),
        parcels,
    })
}

/// Marks a picked order packed (all its parcels). A retry on a packed order changes nothing.
///
/// # Errors
/// 403; 404; 409 `invalid_transition`.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn pack(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<PackingList> {
    let agg = warehouse(actor)?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, id).await?;
    if advance(
        &txn,
        o.id,
        FulfilmentStatus::Picking,
        FulfilmentStatus::Packed,
        None,
    )
    .await?
    {
        parcels_to(
            &txn,
            o.id,
            &[ParcelStatus::Pending],
            ParcelStatus::Packed,
            parcel::Column::PackedAt,
        )
        .await?;
        audit(&txn, &o, actor.user_id, "order_packed").await?;
    } else if !(o.status == OrderStatus::Open && o.fulfilment_status == FulfilmentStatus::Packed) {
        return Err(invalid(&o, "pack it (pick it first)"));
    }
    txn.commit().await?;
    packing_of(
        &app.db,
        orders::detail(&app.db, find(&app.db, agg, id).await?).await?,
    )
    .await
}

/// Marks a shipped order delivered (all parcels). Cash on delivery is then paid. A retry on a
/// delivered order changes nothing.
///
/// # Errors
/// 403; 404; 409 `invalid_transition`.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn deliver(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<OrderDetail> {
    let agg = warehouse(actor)?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, id).await?;
    let delivered = advance(
        &txn,
        o.id,
        FulfilmentStatus::Shipped,
        FulfilmentStatus::Delivered,
        Some(shop_order::Column::DeliveredAt),
    )
    .await?;
    if delivered {
        parcels_to(
            &txn,
            o.id,
            &[ParcelStatus::Packed, ParcelStatus::Shipped],
            ParcelStatus::Delivered,
            parcel::Column::DeliveredAt,
        )
        .await?;
        audit(&txn, &o, actor.user_id, "order_delivered").await?;
        events::record(
            &txn,
            app,
            &OrderDelivered {
                aggregator_id: o.aggregator_id,
                order_id: o.id,
            },
        )
        .await?;
        if o.payment_status == PaymentStatus::CashOnDelivery {
            orders::mark_paid_in(app, &txn, &o, Some(actor.user_id), "collected on delivery")
                .await?;
        }
    } else if o.fulfilment_status != FulfilmentStatus::Delivered {
        return Err(invalid(&o, "mark it delivered (it has not shipped)"));
    }
    txn.commit().await?;
    orders::detail(&app.db, find(&app.db, agg, id).await?).await
}
