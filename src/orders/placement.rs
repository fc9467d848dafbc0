//! Placing an order, from any source: the rows of a new order built from an [`OrderDraft`]
//! (order, reservation, parcels, lines, its `orders.placed` event, the audit row), and the
//! writer that stores them — group commit on SQLite (many orders share one transaction and one
//! disk flush, see [`crate::db::group_commit`]), one transaction per order on PostgreSQL —
//! taking each order's lots first-expiry-first-out inside that transaction.
use super::{
    domain::{self, BuyerData, OrderSource, OrderStatus, ParcelStatus, PaymentMethod},
    events::OrderPlaced,
    service::OrderDetail,
};
use crate::{
    core,
    error::{ApiError, ApiResult},
    inventory::reservations,
    jobs::events,
    state::AppState,
};
use chrono::{DateTime, Utc};
use entity::{order_line, parcel, reservation, shop_order};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// Totals of an order: tax once per rate of the whole order; every fee in the 10 % sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub goods_total: i64,
    pub shipping_total: i64,
    pub cool_total: i64,
    pub surcharge_total: i64,
    pub cod_fee: i64,
    pub total8: i64,
    pub total10: i64,
    pub tax8: i64,
    pub tax10: i64,
    pub grand_total: i64,
}

/// One line of a draft order.
#[derive(Debug, Clone)]
pub struct DraftLine {
    pub producer_id: Uuid,
    pub product_id: Uuid,
    pub sku_id: Uuid,
    pub title: String,
    pub sku_code: String,
    pub qty: i64,
    pub unit_price: i64,
    pub tax_rate: i16,
    pub temperature_class: String,
    /// The qualified-invoice rule of the sale and the producer's number
    /// ([`crate::core::invoice::rule_for`]), frozen on the line.
    pub invoice_rule: crate::core::invoice::InvoiceRule,
    pub seller_invoice_number: Option<String>,
}

/// One parcel of a draft order (one temperature class).
#[derive(Debug, Clone)]
pub struct DraftParcel {
    pub seq: i32,
    pub temperature_class: String,
    pub shipping_fee: i64,
    pub cool_fee: i64,
    pub surcharge: i64,
    /// Cash on delivery: this parcel's slip fee, what it collects and the tax in it (0 when
    /// it does not collect).
    pub cod_fee: i64,
    pub cod_amount: i64,
    pub cod_tax: i64,
    pub lines: Vec<DraftLine>,
}

/// Who may retry placing this order and get the same one back.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The caller's scope (a keyed hash of the anonymous client).
    pub client_key: String,
    pub key: String,
    /// Hash of the request body (another body with the same key is refused).
    pub request_hash: String,
}

/// Everything the order core needs to place an order, whatever its source: checked and priced
/// by the caller (the shop's checkout, a channel import).
#[derive(Debug, Clone)]
pub struct OrderDraft {
    pub aggregator_id: Uuid,
    pub source: OrderSource,
    pub channel_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub payment_method: PaymentMethod,
    pub buyer: BuyerData,
    pub destination_municipality: Option<String>,
    pub destination_country: String,
    pub time_slot: Option<String>,
    pub totals: Totals,
    pub currency: String,
    pub fx_rate_ppm: i64,
    pub parcels: Vec<DraftParcel>,
    /// What the order takes of each SKU (units, the days a lot must have left, the code).
    pub wants: BTreeMap<Uuid, reservations::Want>,
    pub idempotency: Idempotency,
    /// When an unpaid order is cancelled and its stock released.
    pub pay_by: Option<DateTime<Utc>>,
    /// Why staff must look at the order (see [`super::domain::Attention`]), as stored.
    pub attention: Option<String>,
}

/// An order number: 8 characters of Crockford base-32 (no I, L, O, U), unique per aggregator;
/// buyers quote it in bank transfers.
pub fn order_number() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % 32] as char)
        .collect()
}

/// A placed order (or the earlier one an identical retry gets back).
pub struct Placed {
    pub order: shop_order::Model,
    pub replayed: bool,
    /// What a new order wrote (a replay has none).
    pub written: Option<Written>,
}

/// The lines and parcels a new order wrote, and its buyer data.
pub struct Written {
    pub lines: Vec<order_line::Model>,
    pub parcels: Vec<parcel::Model>,
    pub buyer: BuyerData,
}

impl Placed {
    /// The order with its lines and parcels, and the buyer data (read back only for a replay).
    ///
    /// # Errors
    /// Database failures; stored buyer data that no longer decrypts.
    pub async fn detail(self, app: &AppState) -> ApiResult<(OrderDetail, Option<BuyerData>)> {
        match self.written {
            Some(w) => Ok((
                OrderDetail {
                    order: self.order,
                    lines: w.lines,
                    parcels: w.parcels,
                    returns: Vec::new(),
                },
                Some(w.buyer),
            )),
            None => {
                let d = super::service::detail(&app.db, self.order).await?;
                let buyer = super::privacy::buyer_of(app, &d.order)?;
                Ok((d, buyer))
            }
        }
    }
}

/// [`write_orders`]' answer when another order holds the Idempotency-Key (never sent out).
pub const KEY_TAKEN: &str = "idempotency_key_taken";

/// The writer of placed orders (group commit on SQLite, see [`crate::db::group_commit`]).
pub type OrdersWriter = crate::db::group_commit::GroupCommit<NewOrder, Stored, ApiError>;

/// An order ready to be written: checked, priced, buyer data sealed, its rows built (in the
/// request, so the jobs and the audit row carry its request id). Only the lots are chosen
/// when it is written.
pub struct NewOrder {
    order: shop_order::Model,
    reservation: reservation::Model,
    parcels: Vec<parcel::Model>,
    /// Without their lot allocations (chosen when written).
    lines: Vec<order_line::Model>,
    jobs: Vec<entity::job::ActiveModel>,
    events: Vec<entity::domain_event::ActiveModel>,
    audit: entity::audit_event::ActiveModel,
    wants: BTreeMap<Uuid, reservations::Want>,
}

/// What an order wrote: the order, its lines (with their lots) and parcels.
pub struct Stored {
    pub order: shop_order::Model,
    pub lines: Vec<order_line::Model>,
    pub parcels: Vec<parcel::Model>,
}

/// Builds the rows of a new order from `d` (in the request, so the jobs and the audit row
/// carry its request id): the order with its buyer data sealed, its reservation, parcels,
/// lines (their lots are chosen when written), the `orders.placed` event with its deliveries,
/// and the audit row.
///
/// # Errors
/// Sealing the buyer data or building the event fails.
pub fn prepare(app: &AppState, d: OrderDraft) -> ApiResult<NewOrder> {
    let sealed = super::privacy::seal_buyer(app, &d.buyer)?;
    let dest = d.buyer.destination();
    let now = core::now();
    let oid = core::new_id();
    let rid = core::new_id();
    let number = order_number();
    let t = &d.totals;
    let order = shop_order::Model {
        id: oid,
        aggregator_id: d.aggregator_id,
        number: number.clone(),
        source: d.source,
        channel_id: d.channel_id,
        external_id: d.external_id.clone(),
        status: OrderStatus::Open,
        payment_status: domain::initial_payment(d.payment_method),
        fulfilment_status: domain::FulfilmentStatus::Unfulfilled,
        payment_method: d.payment_method,
        buyer_data: Some(sealed),
        personal_purged_at: None,
        destination_prefecture: dest.prefecture.clone(),
        destination_municipality: d.destination_municipality.clone(),
        time_slot: d.time_slot.clone(),
        delivery_date: None,
        goods_total: t.goods_total,
        shipping_total: t.shipping_total,
        cool_total: t.cool_total,
        surcharge_total: t.surcharge_total,
        cod_fee: t.cod_fee,
        total8: t.total8,
        total10: t.total10,
        tax8: t.tax8,
        tax10: t.tax10,
        grand_total: t.grand_total,
        currency: d.currency.clone(),
        fx_rate_ppm: d.fx_rate_ppm,
        destination_country: d.destination_country.clone(),
        refunded_total: 0,
        refund_owed: 0,
        reservation_id: Some(rid),
        client_key: d.idempotency.client_key.clone(),
        idempotency_key: Some(d.idempotency.key.clone()),
        request_hash: d.idempotency.request_hash.clone(),
        pay_by: d.pay_by,
        paid_at: None,
        payment_intent_id: None,
        cancelled_at: None,
        shipped_at: None,
        delivered_at: None,
        attention: d.attention.clone(),
        created_at: now,
        updated_at: now,
    };
    let reservation = reservation::Model {
        id: rid,
        aggregator_id: d.aggregator_id,
        status: reservations::status::HELD.into(),
        expires_at: None,
        destination_prefecture: Some(dest.prefecture.clone()),
        reference: format!("order {number}"),
        idempotency_key: None,
        request_hash: None,
        created_by: Uuid::nil(),
        created_at: now,
        updated_at: now,
    };
    let mut parcels = Vec::new();
    let mut lines = Vec::new();
    for p in &d.parcels {
        parcels.push(parcel::Model {
            id: core::new_id(),
            aggregator_id: d.aggregator_id,
            order_id: oid,
            seq: p.seq,
            temperature_class: p.temperature_class.clone(),
            carrier: "yamato".into(),
            time_slot: d.time_slot.clone(),
            delivery_date: None,
            shipping_fee: p.shipping_fee,
            cool_fee: p.cool_fee,
            surcharge: p.surcharge,
            cod_fee: p.cod_fee,
            cod_amount: p.cod_amount,
            cod_tax: p.cod_tax,
            tracking_number: None,
            status: ParcelStatus::Pending,
            packed_at: None,
            shipped_at: None,
            delivered_at: None,
        });
        for l in &p.lines {
            lines.push(order_line::Model {
                id: core::new_id(),
                aggregator_id: d.aggregator_id,
                order_id: oid,
                producer_id: l.producer_id,
                product_id: l.product_id,
                sku_id: l.sku_id,
                title: l.title.chars().take(300).collect(),
                sku_code: l.sku_code.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
                tax_rate: l.tax_rate,
                line_total: l.unit_price * l.qty,
                temperature_class: l.temperature_class.clone(),
                parcel_seq: p.seq,
                allocations: String::new(),
                returned_qty: 0,
                created_at: now,
                producer_notified_at: None,
                invoice_rule: Some(l.invoice_rule.as_str().into()),
                seller_invoice_number: l.seller_invoice_number.clone(),
            });
        }
    }
    let (event, jobs) = events::rows(
        app,
        &OrderPlaced {
            aggregator_id: d.aggregator_id,
            order_id: oid,
            source: d.source,
            payment_method: d.payment_method,
            grand_total: t.grand_total,
        },
    )?;
    let audit = crate::audit::row(crate::audit::AuditRecord {
        aggregator_id: Some(d.aggregator_id),
        actor_user_id: None,
        action: "order_placed",
        subject_type: "order",
        subject_id: Some(oid.to_string()),
        details: serde_json::json!({ "number": number, "source": d.source.as_str(), "payment_method": d.payment_method.as_str(), "grand_total": t.grand_total }),
    });
    Ok(NewOrder {
        order,
        reservation,
        parcels,
        lines,
        jobs,
        events: vec![event],
        audit,
        wants: d.wants,
    })
}

/// Writes a prepared order with the [`OrdersWriter`] and answers with what it wrote (lines and
/// parcels in the order [`super::service::detail`] reads them back).
///
/// # Errors
/// 409 `out_of_stock`; a conflict coded [`KEY_TAKEN`] when another order holds its key.
#[tracing::instrument(skip_all)]
pub async fn write(app: &AppState, order: NewOrder) -> ApiResult<Stored> {
    let mut stored = app.part::<OrdersWriter>()?.run(order).await?;
    stored.parcels.sort_by_key(|p| p.seq);
    stored
        .lines
        .sort_by(|a, b| (a.parcel_seq, &a.sku_code).cmp(&(b.parcel_seq, &b.sku_code)));
    Ok(stored)
}

/// Writes `orders` in `txn` (the batch function of [`OrdersWriter`]): one read of the
/// Idempotency-Keys already taken (batches of more than one), one read of every candidate lot,
/// each order's lots planned first-expiry-first-out in turn (an order sees what the ones before
/// it took), then every row of every accepted order in one call on SQLite (see
/// [`crate::db::execute_all`]).
///
/// An order is answered 409 `out_of_stock`, or with a conflict coded [`KEY_TAKEN`] when
/// another order holds its Idempotency-Key; such an order writes nothing. The batch fails as a
/// whole when its writes fail or change other rows than planned (then it is rolled back; on
/// its own, an order's unique-key conflict is [`KEY_TAKEN`] and a balance update that did not
/// apply is `out_of_stock`).
pub fn write_orders<'a>(
    txn: &'a DatabaseTransaction,
    orders: &'a [NewOrder],
) -> crate::db::group_commit::BatchFuture<'a, Stored, ApiError> {
    Box::pin(write_batch(txn, orders))
}

async fn write_batch(
    txn: &DatabaseTransaction,
    orders: &[NewOrder],
) -> Result<Vec<ApiResult<Stored>>, ApiError> {
    let backend = txn.get_database_backend();
    // Alone, an order whose key is taken fails at its insert (answered as KEY_TAKEN); in a
    // batch that would fail the others too, so taken keys are looked up first.
    let mut held = if orders.len() > 1 {
        taken_keys(txn, orders).await?
    } else {
        std::collections::HashSet::new()
    };
    let lots =
        reservations::candidate_lots(txn, orders.iter().flat_map(|o| o.wants.keys().copied()))
            .await?;
    let mut taken: HashMap<Uuid, i64> = HashMap::new();
    let mut answers = Vec::with_capacity(orders.len());
    let (mut new_orders, mut new_reservations, mut parcels, mut lines) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut jobs, mut events, mut audits) = (Vec::new(), Vec::new(), Vec::new());
    let mut allocations = Vec::new();
    for o in orders {
        let key = (
            o.order.aggregator_id,
            o.order.client_key.clone(),
            o.order.idempotency_key.clone(),
        );
        // Held by a stored order, or by an earlier order of this batch.
        if !held.insert(key) {
            answers.push(Err(ApiError::conflict(KEY_TAKEN, "key taken")));
            continue;
        }
        let plan = match reservations::plan_from(
            &lots,
            &taken,
            o.order.aggregator_id,
            o.reservation.id,
            &o.wants,
        ) {
            Ok(plan) => plan,
            Err(e) => {
                answers.push(Err(e));
                continue;
            }
        };
        for a in &plan {
            *taken.entry(a.lot_id).or_insert(0) += a.qty;
        }
        let mut order_lines = o.lines.clone();
        for l in &mut order_lines {
            let lots: Vec<serde_json::Value> = plan
                .iter()
                .filter(|a| a.sku_id == l.sku_id)
                .map(|a| serde_json::json!({ "lot_id": a.lot_id, "qty": a.qty }))
                .collect();
            l.allocations = serde_json::Value::Array(lots).to_string();
        }
        new_orders.push(shop_order::ActiveModel::from(o.order.clone()));
        new_reservations.push(reservation::ActiveModel::from(o.reservation.clone()));
        parcels.extend(o.parcels.iter().cloned().map(parcel::ActiveModel::from));
        lines.extend(
            order_lines
                .iter()
                .cloned()
                .map(order_line::ActiveModel::from),
        );
        jobs.extend(o.jobs.iter().cloned());
        events.extend(o.events.iter().cloned());
        audits.push(o.audit.clone());
        allocations.extend(plan);
        answers.push(Ok(Stored {
            order: o.order.clone(),
            lines: order_lines,
            parcels: o.parcels.clone(),
        }));
    }
    if new_orders.is_empty() {
        return Ok(answers);
    }
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    // Rows the statements change when every balance update took its units.
    let expected = count(
        new_orders.len()
            + new_reservations.len()
            + parcels.len()
            + lines.len()
            + jobs.len()
            + events.len()
            + audits.len(),
    ) + reservations::plan_rows(&allocations);
    // The orders first: a taken Idempotency-Key fails there, before anything else is written.
    let mut stmts = crate::db::insert_rows(backend, new_orders);
    stmts.extend(crate::db::insert_rows(backend, new_reservations));
    stmts.extend(reservations::plan_statements(backend, None, &allocations));
    stmts.extend(crate::db::insert_rows(backend, parcels));
    stmts.extend(crate::db::insert_rows(backend, lines));
    stmts.extend(crate::db::insert_rows(backend, jobs));
    stmts.extend(crate::db::insert_rows(backend, events));
    stmts.extend(crate::db::insert_rows(backend, audits));
    let changed =
        crate::db::execute_all(txn, stmts)
            .await
            .map_err(|e| match ApiError::from(e) {
                // Only the order row has unique keys a retry can collide on.
                ApiError::Conflict { .. } => ApiError::conflict(KEY_TAKEN, "key taken"),
                e => e,
            })?;
    if changed != expected {
        return Err(ApiError::conflict(
            "out_of_stock",
            "the stock changed while the order was placed: please try again",
        ));
    }
    Ok(answers)
}

/// The Idempotency-Keys of `orders` that stored orders already hold (per aggregator and client).
/// Per aggregator one index search: its clients × its keys (a superset of the pairs asked,
/// matched exactly by the caller).
async fn taken_keys(
    txn: &DatabaseTransaction,
    orders: &[NewOrder],
) -> Result<std::collections::HashSet<(Uuid, String, Option<String>)>, sea_orm::DbErr> {
    let mut per_aggregator: BTreeMap<Uuid, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for o in orders {
        if let Some(key) = o.order.idempotency_key.as_deref() {
            let (clients, keys) = per_aggregator.entry(o.order.aggregator_id).or_default();
            clients.insert(&o.order.client_key);
            keys.insert(key);
        }
    }
    let mut any = sea_orm::Condition::any();
    for (agg, (clients, keys)) in per_aggregator {
        any = any.add(
            sea_orm::Condition::all()
                .add(shop_order::Column::AggregatorId.eq(agg))
                .add(shop_order::Column::ClientKey.is_in(clients))
                .add(shop_order::Column::IdempotencyKey.is_in(keys)),
        );
    }
    let rows = super::repo::order_keys(txn, any).await?;
    Ok(rows.into_iter().collect())
}

/// The order an anonymous client placed with Idempotency-Key `key`, if any.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn find_by_key(
    app: &AppState,
    agg: Uuid,
    client_key: &str,
    key: &str,
) -> ApiResult<Option<shop_order::Model>> {
    Ok(super::repo::order_where(
        &app.db,
        sea_orm::Condition::all()
            .add(shop_order::Column::AggregatorId.eq(agg))
            .add(shop_order::Column::ClientKey.eq(client_key))
            .add(shop_order::Column::IdempotencyKey.eq(key)),
    )
    .await?)
}

/// The answer to a retry with the same key: the earlier order, if the body is the same.
///
/// # Errors
/// 422 `idempotency_key_reused` for another body.
pub fn replay(existing: shop_order::Model, hash: &str) -> ApiResult<Placed> {
    if existing.request_hash != hash {
        return Err(super::error::OrderError::IdempotencyKeyReused { what: "order" }.into());
    }
    Ok(Placed {
        order: existing,
        replayed: true,
        written: None,
    })
}
