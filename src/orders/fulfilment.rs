//! Fulfilment: a pick list for a batch of paid orders (by bin and lot, from the order lines' lot
//! allocations), a packing list per parcel (one temperature class, any number of producers),
//! the carrier label file, tracking numbers typed in or imported from the carrier's CSV, the
//! shipment (stock leaves the ledger, the buyer is emailed) and delivery (cash on delivery is
//! then paid). Each transition is a guarded UPDATE and audit-logged.
use super::{
    carriers::{self, Collect, LabelAddress, LabelRow},
    domain::{FulfilmentStatus, OrderStatus, ParcelStatus, PaymentMethod, PaymentStatus},
    events::{OrderDelivered, OrderShipped, ParcelShipped},
    privacy::buyer_of,
    seller::seller,
    service::{self as orders, OrderDetail, find, invalid},
};
use crate::{
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    inventory::reservations,
    jobs::events,
    state::AppState,
};
use chrono::NaiveDate;
use entity::{location, order_line, parcel, prefecture, producer, shop_order, stock_lot};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, sea_query::Expr,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

fn warehouse(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Operator, Role::Admin])?;
    actor.aggregator_id.ok_or_else(ApiError::forbidden)
}

/// Moves an open order's fulfilment status from `from` to `to`, stamping `at` when given;
/// false when the order is not (or no longer) in `from`.
async fn advance(
    txn: &DatabaseTransaction,
    id: Uuid,
    from: FulfilmentStatus,
    to: FulfilmentStatus,
    at: Option<shop_order::Column>,
) -> ApiResult<bool> {
    let now = core::now();
    let mut up = shop_order::Entity::update_many()
        .col_expr(shop_order::Column::FulfilmentStatus, Expr::value(to))
        .col_expr(shop_order::Column::UpdatedAt, Expr::value(now))
        .filter(shop_order::Column::Id.eq(id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Open))
        .filter(shop_order::Column::FulfilmentStatus.eq(from));
    if let Some(col) = at {
        up = up.col_expr(col, Expr::value(now));
    }
    Ok(up.exec(txn).await?.rows_affected == 1)
}

/// Sets every parcel of an order in one of `from` to `to`, stamping `at`.
async fn parcels_to(
    txn: &DatabaseTransaction,
    order: Uuid,
    from: &[ParcelStatus],
    to: ParcelStatus,
    at: parcel::Column,
) -> ApiResult<()> {
    parcel::Entity::update_many()
        .col_expr(parcel::Column::Status, Expr::value(to))
        .col_expr(at, Expr::value(core::now()))
        .filter(parcel::Column::OrderId.eq(order))
        .filter(parcel::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(txn)
        .await?;
    Ok(())
}

async fn audit(
    db: &impl ConnectionTrait,
    o: &shop_order::Model,
    actor: Uuid,
    action: &str,
) -> ApiResult<()> {
    orders::audit_order(db, o, Some(actor), action, serde_json::json!({})).await
}

fn batch(ids: &[Uuid]) -> ApiResult<()> {
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
    let lines = order_line::Entity::find()
        .filter(order_line::Column::AggregatorId.eq(agg))
        .filter(order_line::Column::OrderId.is_in(orders.iter().map(|o| o.id)))
        .all(db)
        .await?;
    let mut per_lot: BTreeMap<Uuid, Vec<(&order_line::Model, i64)>> = BTreeMap::new();
    for l in &lines {
        for (lot, qty) in allocations_of(l)? {
            per_lot.entry(lot).or_default().push((l, qty));
        }
    }
    let lots: HashMap<Uuid, stock_lot::Model> = stock_lot::Entity::find()
        .filter(stock_lot::Column::Id.is_in(per_lot.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let bins: HashMap<Uuid, location::Model> = location::Entity::find()
        .filter(location::Column::Id.is_in(lots.values().filter_map(|l| l.location_id)))
        .all(db)
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
pub async fn packing_list(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<PackingList> {
    let agg = warehouse(actor)?;
    let o = find(&app.db, agg, id).await?;
    packing_of(&app.db, orders::detail(&app.db, o).await?).await
}

async fn packing_of(db: &impl ConnectionTrait, d: OrderDetail) -> ApiResult<PackingList> {
    let names: HashMap<Uuid, String> = producer::Entity::find()
        .filter(producer::Column::Id.is_in(d.lines.iter().map(|l| l.producer_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.legal_name))
        .collect();
    let mut lot_ids = Vec::new();
    for l in &d.lines {
        lot_ids.extend(allocations_of(l)?.into_iter().map(|(lot, _)| lot));
    }
    let lot_codes: HashMap<Uuid, String> = stock_lot::Entity::find()
        .filter(stock_lot::Column::Id.is_in(lot_ids))
        .all(db)
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

/// The label file for the parcels of packed orders.
pub struct LabelFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub filename: String,
    pub parcels: usize,
}

/// The carrier's label-import file for every parcel of the given packed orders. Cash-on-
/// delivery orders collect the whole amount with their first parcel.
///
/// # Errors
/// 403; 404; 409 `invalid_transition` (not packed), `carrier_not_configured`,
/// `personal_data_purged`; 422 `carrier`, `order_ids`, a value the file cannot hold.
pub async fn carrier_file(
    app: &AppState,
    actor: &Actor,
    carrier: &str,
    ids: &[Uuid],
    ship_date: Option<NaiveDate>,
) -> ApiResult<LabelFile> {
    let agg = warehouse(actor)?;
    let Some(exporter) = carriers::exporter(carrier) else {
        return Err(ApiError::field(
            "carrier",
            format!("must be one of {}", carriers::CARRIERS.join(", ")),
        ));
    };
    batch(ids)?;
    let today = core::today_jst();
    let ship_date = ship_date.unwrap_or(today);
    if ship_date < today || ship_date > today + chrono::Duration::days(30) {
        return Err(ApiError::field(
            "ship_date",
            "must be today or within the next 30 days",
        ));
    }
    let s = seller(app, agg).await?;
    if s.yamato_customer_code.is_empty() || s.name.is_empty() || s.phone.is_empty() {
        return Err(ApiError::conflict(
            "carrier_not_configured",
            "set the seller's name, phone and address and yamato_customer_code in the shop settings first",
        ));
    }
    let prefectures: HashMap<String, String> = prefecture::Entity::find()
        .all(&app.db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name_ja))
        .collect();
    let from = LabelAddress {
        phone: carriers::hyphenated_phone(&s.phone),
        postal_code: s.postal_code.clone(),
        address: s.address.clone(),
        building: String::new(),
        name: s.name.clone(),
        kana: String::new(),
    };
    let mut rows = Vec::new();
    for id in ids {
        let o = find(&app.db, agg, *id).await?;
        if o.status != OrderStatus::Open || o.fulfilment_status != FulfilmentStatus::Packed {
            return Err(invalid(&o, "print its labels (pack it first)"));
        }
        let Some(buyer) = buyer_of(app, &o)? else {
            return Err(ApiError::conflict(
                "personal_data_purged",
                format!("order {} no longer holds an address", o.number),
            ));
        };
        let to = buyer.destination();
        let d = orders::detail(&app.db, o).await?;
        for p in &d.parcels {
            let mut titles: Vec<&str> = d
                .lines
                .iter()
                .filter(|l| l.parcel_seq == p.seq)
                .map(|l| l.title.as_str())
                .collect();
            titles.sort_unstable();
            let mut item: String = titles
                .first()
                .copied()
                .unwrap_or("食品")
                .chars()
                .take(20)
                .collect();
            if titles.len() > 1 {
                item.push_str(" 他");
            }
            let collect = (d.order.payment_method == PaymentMethod::CashOnDelivery && p.seq == 1)
                .then(|| Collect {
                    amount: d.order.grand_total,
                    tax: d.order.tax8 + d.order.tax10,
                });
            rows.push(LabelRow {
                reference: format!("{}-{}", d.order.number, p.seq),
                temperature_class: p.temperature_class.clone(),
                collect,
                ship_date,
                delivery_date: p.delivery_date,
                time_slot: p.time_slot.clone(),
                to: LabelAddress {
                    phone: carriers::hyphenated_phone(&to.phone),
                    postal_code: to.postal_code.clone(),
                    address: format!(
                        "{}{}{}",
                        prefectures.get(&to.prefecture).cloned().unwrap_or_default(),
                        to.city,
                        to.address1
                    ),
                    building: to.address2.clone(),
                    name: to.name.clone(),
                    kana: to.kana.clone(),
                },
                from: from.clone(),
                item_name: item,
                handling: if p.temperature_class == "ambient" {
                    String::new()
                } else {
                    "ナマモノ".into()
                },
                note: format!("注文番号 {}", d.order.number),
                billing_code: s.yamato_customer_code.clone(),
            });
        }
    }
    let bytes = exporter
        .export(&rows)
        .map_err(|e| ApiError::field(e.field, format!("parcel {}: {}", e.reference, e.message)))?;
    Ok(LabelFile {
        bytes,
        content_type: exporter.content_type(),
        filename: exporter.filename(ship_date),
        parcels: rows.len(),
    })
}

/// A carrier tracking number: digits (hyphens and spaces dropped), 12 for Yamato.
///
/// # Errors
/// A message for the field.
pub fn tracking_number(carrier: &str, raw: &str) -> Result<String, String> {
    let digits: String = crate::core::jp::to_half_width_ascii(raw)
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("digits only (hyphens allowed)".into());
    }
    let ok = match carrier {
        "yamato" => digits.len() == 12,
        _ => (8..=20).contains(&digits.len()),
    };
    if ok {
        Ok(digits)
    } else {
        Err(format!("a {carrier} tracking number has 12 digits"))
    }
}

/// Records a parcel's tracking number (the parcel has left). When every parcel of the order
/// has one, the order ships: its reserved stock leaves the ledger and the buyer is emailed.
/// Correcting the number of a parcel already shipped changes only the number. False when the
/// parcel already had this number (nothing changed).
///
/// # Errors
/// 404; 409 `invalid_transition` (not packed); 422 `tracking_number`.
pub async fn set_tracking_in(
    app: &AppState,
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
    actor: Uuid,
    seq: i32,
    raw: &str,
) -> ApiResult<bool> {
    // Claims the order row first: tracking numbers of one order are saved one at a time, so the
    // last of its parcels always sees the others and ships the order.
    shop_order::Entity::update_many()
        .col_expr(shop_order::Column::UpdatedAt, Expr::value(core::now()))
        .filter(shop_order::Column::Id.eq(o.id))
        .exec(txn)
        .await?;
    let fresh = shop_order::Entity::find_by_id(o.id)
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let o = &fresh;
    let p = parcel::Entity::find()
        .filter(parcel::Column::OrderId.eq(o.id))
        .filter(parcel::Column::Seq.eq(seq))
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let number =
        tracking_number(&p.carrier, raw).map_err(|m| ApiError::field("tracking_number", m))?;
    let shipping =
        [FulfilmentStatus::Packed, FulfilmentStatus::Shipped].contains(&o.fulfilment_status);
    if o.status != OrderStatus::Open || !shipping {
        return Err(invalid(o, "record a tracking number (pack it first)"));
    }
    if p.tracking_number.as_deref() == Some(number.as_str()) {
        return Ok(false);
    }
    let now = core::now();
    let mut up = parcel::Entity::update_many()
        .col_expr(parcel::Column::TrackingNumber, Expr::value(number.clone()))
        .filter(parcel::Column::Id.eq(p.id));
    let leaves = p.status == ParcelStatus::Packed;
    if leaves {
        up = up
            .col_expr(parcel::Column::Status, Expr::value(ParcelStatus::Shipped))
            .col_expr(parcel::Column::ShippedAt, Expr::value(now));
    }
    up.exec(txn).await?;
    if leaves {
        events::record(
            txn,
            app,
            &ParcelShipped {
                aggregator_id: o.aggregator_id,
                order_id: o.id,
                parcel_seq: seq,
            },
        )
        .await?;
    }
    orders::audit_order(
        txn,
        o,
        Some(actor),
        "parcel_tracking",
        serde_json::json!({ "seq": seq, "tracking_number": number, "previous": p.tracking_number }),
    )
    .await?;
    let waiting = parcel::Entity::find()
        .filter(parcel::Column::OrderId.eq(o.id))
        .filter(parcel::Column::TrackingNumber.is_null())
        .one(txn)
        .await?;
    if waiting.is_some() || o.fulfilment_status == FulfilmentStatus::Shipped {
        return Ok(true);
    }
    let shipped = advance(
        txn,
        o.id,
        FulfilmentStatus::Packed,
        FulfilmentStatus::Shipped,
        Some(shop_order::Column::ShippedAt),
    )
    .await?;
    if !shipped {
        return Err(invalid(o, "ship it"));
    }
    if let Some(rid) = o.reservation_id {
        reservations::finish_in(
            txn,
            o.aggregator_id,
            Some(actor),
            rid,
            reservations::status::CONSUMED,
        )
        .await?;
    }
    audit(txn, o, actor, "order_shipped").await?;
    events::record(
        txn,
        app,
        &OrderShipped {
            aggregator_id: o.aggregator_id,
            order_id: o.id,
        },
    )
    .await?;
    Ok(true)
}

/// Staff enter one parcel's tracking number.
///
/// # Errors
/// As [`set_tracking_in`]; 403.
pub async fn set_tracking(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    seq: i32,
    raw: &str,
) -> ApiResult<OrderDetail> {
    let agg = warehouse(actor)?;
    let txn = db::begin_write(&app.db).await?;
    let o = find(&txn, agg, id).await?;
    if set_tracking_in(app, &txn, &o, actor.user_id, seq, raw).await? {
        txn.commit().await?;
    }
    orders::detail(&app.db, find(&app.db, agg, id).await?).await
}

/// The outcome of one row of a tracking import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingRow {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    pub reference: String,
    /// `recorded`, `unchanged` or `error`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of a tracking import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingImport {
    pub recorded: usize,
    pub errors: usize,
    pub rows: Vec<TrackingRow>,
}

/// Imports tracking numbers from a CSV (UTF-8 or Shift_JIS; B2 Cloud's issued-labels export
/// works as is): a header with `お客様管理番号` (or `reference`) and `伝票番号` (or
/// `tracking_number`), one parcel per row as `{order number}-{seq}`. Each row is applied on
/// its own; rows with errors are reported with their line and leave nothing changed.
///
/// # Errors
/// 403; 422 `file` (no such columns, unreadable).
pub async fn import_tracking(
    app: &AppState,
    actor: &Actor,
    bytes: &[u8],
) -> ApiResult<TrackingImport> {
    let agg = warehouse(actor)?;
    if bytes.is_empty() || bytes.len() > 5 * 1024 * 1024 {
        return Err(ApiError::field("file", "must be a CSV of at most 5 MiB"));
    }
    use crate::core::csv::{column, headed_rows};
    let (header, records) = headed_rows(bytes, 5_000)?;
    let col = |names: &[&str]| column(&header, names);
    let (Some(rc), Some(tc)) = (
        col(&["お客様管理番号", "reference"]),
        col(&["伝票番号", "tracking_number"]),
    ) else {
        return Err(ApiError::field(
            "file",
            "needs the columns お客様管理番号 (or reference) and 伝票番号 (or tracking_number)",
        ));
    };
    let mut out = TrackingImport {
        recorded: 0,
        errors: 0,
        rows: Vec::new(),
    };
    for (line, rec) in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.errors += 1;
                out.rows.push(TrackingRow {
                    line,
                    reference: String::new(),
                    result: "error".into(),
                    error: Some(e),
                });
                continue;
            }
        };
        let reference = rec.get(rc).unwrap_or("").trim().to_string();
        let tracking = rec.get(tc).unwrap_or("").trim().to_string();
        if reference.is_empty() && tracking.is_empty() {
            continue;
        }
        let result = import_row(app, actor.user_id, agg, &reference, &tracking).await;
        let row = match result {
            Ok(true) => {
                out.recorded += 1;
                TrackingRow {
                    line,
                    reference,
                    result: "recorded".into(),
                    error: None,
                }
            }
            Ok(false) => TrackingRow {
                line,
                reference,
                result: "unchanged".into(),
                error: None,
            },
            Err(e) => {
                out.errors += 1;
                TrackingRow {
                    line,
                    reference,
                    result: "error".into(),
                    error: Some(e),
                }
            }
        };
        out.rows.push(row);
    }
    Ok(out)
}

async fn import_row(
    app: &AppState,
    actor: Uuid,
    agg: Uuid,
    reference: &str,
    tracking: &str,
) -> Result<bool, String> {
    let Some((number, seq)) = reference.rsplit_once('-') else {
        return Err("お客様管理番号 must be {order number}-{parcel}".into());
    };
    let seq: i32 = seq
        .parse()
        .map_err(|_| "the parcel number after '-' must be a number".to_string())?;
    let inner = async {
        let txn = db::begin_write(&app.db).await?;
        let o = shop_order::Entity::find()
            .filter(shop_order::Column::AggregatorId.eq(agg))
            .filter(shop_order::Column::Number.eq(number))
            .one(&txn)
            .await?
            .ok_or(ApiError::NotFound)?;
        let changed = set_tracking_in(app, &txn, &o, actor, seq, tracking).await?;
        if changed {
            txn.commit().await?;
        }
        Ok::<bool, ApiError>(changed)
    };
    inner.await.map_err(|e| match e {
        ApiError::NotFound => format!("no parcel {reference}"),
        e @ ApiError::Validation { .. } => e.describe(),
        ApiError::Conflict { message, .. } => message,
        other => {
            tracing::error!(error = %other, "tracking import row failed");
            "could not be saved; try again".into()
        }
    })
}

/// Marks a shipped order delivered (all parcels). Cash on delivery is then paid. A retry on a
/// delivered order changes nothing.
///
/// # Errors
/// 403; 404; 409 `invalid_transition`.
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
