//! Channel orders (issue 14): orders come in by polling (Rakuten `searchOrder` → `getOrder`;
//! the Shopify reconciliation query) and by webhooks (Shopify), which only mark an order number
//! as due; the channel's leased sync run reads every due order from the channel and places it
//! in the order core like a shop order — stock reserved first-expiry-first-out, the channel's
//! own prices and tax recorded, buyer data sealed — or applies what changed (a cancellation at
//! the channel cancels here and releases the stock). An order for stock already gone is kept
//! with the `oversold` attention flag and the operators are emailed; never dropped. The same
//! run tells the channel of our cancellations (with the channel's reason code) and of the
//! tracking numbers when the parcels leave, each once: it re-reads the order first, so a push
//! whose answer was lost is not repeated.
use super::{
    adapters::{
        Adapter, CallError, CancelReason, Client, ORDERS_PER_READ, Pacer, RemoteOrder,
        RemoteStatus, Shipment,
    },
    domain::{ChannelSettings, Kind},
    repo, service,
};
use crate::core::invoice::{InvoiceRule, SellerStatus, rule_for};
use crate::{
    core,
    error::ApiError,
    inventory::{reservations::Want, rules::Rules},
    jobs::{Delivery, JobError},
    orders::{
        domain::{
            Attention, BuyerData, Contact, OrderSource, PaymentMethod, attention, attention_text,
            has_attention,
        },
        events::{OrderCancelled, OrderShipped},
        placement::{self, DraftLine, DraftParcel, Idempotency, KEY_TAKEN, OrderDraft, Totals},
    },
    state::AppState,
};
use chrono::{DateTime, Duration, Utc};
use entity::{channel, channel_order, prefecture, product, shop_order, sku};
use sea_orm::{ColumnTrait, Condition, sea_query::Expr};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// How far back each look for orders reaches before the last one ended (orders whose time
/// at the channel is earlier than when the channel shows them are still found).
const OVERLAP_MINUTES: i64 = 15;
/// How far back the first look reaches.
const FIRST_LOOK_HOURS: i64 = 24;
/// Imported orders re-read per look where the channel does not push cancellations.
const RECHECK: u64 = 500;
/// Push-backs (cancellations, tracking) per round.
const PUSHES_PER_ROUND: u64 = 20;

/// Whether the channel's look for orders is due.
pub fn poll_due(c: &channel::Model, settings: &ChannelSettings) -> bool {
    c.orders_polled_at.is_none_or(|at| {
        core::now() - at >= Duration::seconds(i64::from(settings.order_poll_seconds))
    })
}

fn cursor_of(c: &channel::Model) -> Option<DateTime<Utc>> {
    c.import_cursor
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The order work of one round of channel `c`'s sync run (under its lease): the look for
/// orders when due, the due orders read and applied, then cancellations and tracking
/// numbers told. How many things it did.
///
/// # Errors
/// A call's failure that ends the run (transient, refused credentials); database failures
/// as transient.
pub async fn work<P: Pacer>(
    app: &AppState,
    c: &channel::Model,
    settings: &ChannelSettings,
    client: &Client,
    pacer: &P,
) -> Result<usize, CallError> {
    let db = |e: sea_orm::DbErr| CallError::transient(format!("database: {e}"));
    let mut done = 0;
    if poll_due(c, settings) {
        let until = core::now();
        repo::note_order_poll(&app.db, c.id, until)
            .await
            .map_err(db)?;
        let since = cursor_of(c).unwrap_or(until - Duration::hours(FIRST_LOOK_HOURS))
            - Duration::minutes(OVERLAP_MINUTES);
        let mut searched = true;
        let mut ids = match client.changed_orders(pacer, since, until).await {
            Ok(ids) => ids,
            Err(CallError::Rejected(m)) => {
                // The look is refused as such: said on the channel, tried again at the next
                // poll (the cursor stays), and the stock sync goes on.
                service::note_error(app, c, &CallError::Rejected(format!("order search: {m}")))
                    .await
                    .map_err(db)?;
                searched = false;
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        if Kind::parse(&c.kind) == Some(Kind::Rakuten) {
            // RakutenPay pushes nothing and its search finds orders by their order date: the
            // open ones are re-read for cancellations made at Rakuten.
            ids.extend(
                repo::open_channel_orders(&app.db, c.id, RECHECK)
                    .await
                    .map_err(db)?,
            );
        }
        ids.sort();
        ids.dedup();
        for id in &ids {
            repo::mark_order_due(&app.db, c, id).await.map_err(db)?;
        }
        if searched {
            repo::set_import_cursor(&app.db, c.id, until)
                .await
                .map_err(db)?;
        }
    }
    let due = repo::orders_due(
        &app.db,
        c.id,
        channel_order::Column::ImportDue,
        ORDERS_PER_READ as u64,
    )
    .await
    .map_err(db)?;
    if !due.is_empty() {
        done += import(app, c, client, pacer, &due).await?;
    }
    done += push_cancellations(app, c, client, pacer).await?;
    done += push_shipments(app, c, client, pacer).await?;
    Ok(done)
}

/// Reads the due orders from the channel and applies each.
async fn import<P: Pacer>(
    app: &AppState,
    c: &channel::Model,
    client: &Client,
    pacer: &P,
    due: &[channel_order::Model],
) -> Result<usize, CallError> {
    let db = |e: sea_orm::DbErr| CallError::transient(format!("database: {e}"));
    let ids: Vec<String> = due.iter().map(|r| r.external_id.clone()).collect();
    let remote = match client.get_orders(pacer, &ids).await {
        Ok(r) => r,
        Err(CallError::Rejected(m)) => {
            for r in due {
                settle(app, r.id, None, Some(&m)).await.map_err(db)?;
            }
            return Ok(due.len());
        }
        Err(e) => return Err(e),
    };
    let mut confirm = Vec::new();
    for row in due {
        let Some(o) = remote.iter().find(|o| o.external_id == row.external_id) else {
            settle(
                app,
                row.id,
                None,
                Some("the channel does not know this order number"),
            )
            .await
            .map_err(db)?;
            continue;
        };
        let placed = apply(app, c, row, o).await?;
        if placed && o.needs_confirm {
            confirm.push(o.external_id.clone());
        }
    }
    if !confirm.is_empty() {
        match client.confirm_orders(pacer, &confirm).await {
            Ok(()) | Err(CallError::Rejected(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(due.len())
}

/// Clears the row's read mark, with what the channel said and any error.
async fn settle(
    app: &AppState,
    row_id: Uuid,
    remote: Option<&RemoteOrder>,
    error: Option<&str>,
) -> Result<(), sea_orm::DbErr> {
    let mut sets = vec![
        (channel_order::Column::ImportDue, Expr::value(false)),
        (
            channel_order::Column::LastError,
            Expr::value(error.map(|e| super::adapters::clip(e, 1000))),
        ),
        (channel_order::Column::UpdatedAt, Expr::value(core::now())),
    ];
    if let Some(o) = remote {
        sets.extend([
            (
                channel_order::Column::RemoteStatus,
                Expr::value(o.status.as_str()),
            ),
            (
                channel_order::Column::RemoteRef,
                Expr::value(o.remote_ref.to_string()),
            ),
        ]);
    }
    let of = Condition::all().add(channel_order::Column::Id.eq(row_id));
    repo::update_channel_orders(&app.db, sets, of)
        .await
        .map(|_| ())
}

/// Applies what the channel says of one order: places a new one, or cancels ours when the
/// channel cancelled it. `true` when it placed the order now.
async fn apply(
    app: &AppState,
    c: &channel::Model,
    row: &channel_order::Model,
    o: &RemoteOrder,
) -> Result<bool, CallError> {
    let db = |e: sea_orm::DbErr| CallError::transient(format!("database: {e}"));
    if let Some(order_id) = row.order_id {
        report_fee(app, c, row, order_id, o).await?;
        if o.status == RemoteStatus::Cancelled
            && row.cancelled_by.is_none()
            && let Err(e) = cancel_here(app, c, row, order_id).await
        {
            let m = format!("cancelled at the channel, but not here: {}", e.describe());
            settle(app, row.id, Some(o), Some(&m)).await.map_err(db)?;
            return Ok(false);
        }
        settle(app, row.id, Some(o), None).await.map_err(db)?;
        return Ok(false);
    }
    if o.status != RemoteStatus::Open {
        // Cancelled (or shipped elsewhere) before we saw it open: nothing to place.
        settle(app, row.id, Some(o), None).await.map_err(db)?;
        return Ok(false);
    }
    let draft = match draft(app, c, o).await {
        Ok(d) => d,
        Err(Refusal::Db(e)) => return Err(db(e)),
        Err(Refusal::Order(m)) => {
            settle(app, row.id, Some(o), Some(&m)).await.map_err(db)?;
            service::alert_operators(
                app,
                &app.db,
                c,
                "order_refused",
                0,
                &m,
                &format!("order-refused:{}:{}", c.id, o.external_id),
            )
            .await
            .map_err(db)?;
            return Ok(false);
        }
    };
    let (order, oversold) = place(app, draft).await?;
    report_fee(app, c, row, order.id, o).await?;
    let now = core::now();
    repo::update_channel_orders(
        &app.db,
        vec![
            (channel_order::Column::OrderId, Expr::value(Some(order.id))),
            (channel_order::Column::ImportedAt, Expr::value(Some(now))),
            (channel_order::Column::ImportDue, Expr::value(false)),
            (
                channel_order::Column::LastError,
                Expr::value(None::<String>),
            ),
            (
                channel_order::Column::RemoteStatus,
                Expr::value(o.status.as_str()),
            ),
            (
                channel_order::Column::RemoteRef,
                Expr::value(o.remote_ref.to_string()),
            ),
            (channel_order::Column::UpdatedAt, Expr::value(now)),
        ],
        Condition::all().add(channel_order::Column::Id.eq(row.id)),
    )
    .await
    .map_err(db)?;
    if oversold {
        service::alert_operators(
            app,
            &app.db,
            c,
            "oversold",
            0,
            &format!("order {} ({})", order.number, o.external_id),
            &format!("oversold:{}", order.id),
        )
        .await
        .map_err(db)?;
    }
    Ok(true)
}

/// Tells the money area what the channel kept of order `order_id` when its API reported a
/// fee that differs from the one seen last (the row keeps it, in the event's transaction).
async fn report_fee(
    app: &AppState,
    c: &channel::Model,
    row: &channel_order::Model,
    order_id: Uuid,
    o: &RemoteOrder,
) -> Result<(), CallError> {
    let Some(fee) = o.fee.filter(|f| Some(*f) != row.reported_fee) else {
        return Ok(());
    };
    let failed = |e: String| CallError::transient(format!("database: {e}"));
    let txn = crate::db::begin_write(&app.db)
        .await
        .map_err(|e| failed(e.to_string()))?;
    repo::update_channel_orders(
        &txn,
        vec![(channel_order::Column::ReportedFee, Expr::value(Some(fee)))],
        Condition::all().add(channel_order::Column::Id.eq(row.id)),
    )
    .await
    .map_err(|e| failed(e.to_string()))?;
    crate::jobs::events::record(
        &txn,
        app,
        &super::events::ChannelFeeReported {
            aggregator_id: c.aggregator_id,
            channel_id: c.id,
            order_id,
            fee,
            source: "adapter".into(),
        },
    )
    .await
    .map_err(|e| failed(e.describe()))?;
    txn.commit().await.map_err(|e| failed(e.to_string()))
}

/// Cancels our order of `row` because the channel cancelled it: the row says so first (in the
/// same transaction), so the cancellation is not told back to the channel.
async fn cancel_here(
    app: &AppState,
    c: &channel::Model,
    row: &channel_order::Model,
    order_id: Uuid,
) -> Result<(), ApiError> {
    let txn = crate::db::begin_write(&app.db).await?;
    repo::update_channel_orders(
        &txn,
        vec![
            (
                channel_order::Column::CancelledBy,
                Expr::value(Some("channel")),
            ),
            (channel_order::Column::UpdatedAt, Expr::value(core::now())),
        ],
        Condition::all().add(channel_order::Column::Id.eq(row.id)),
    )
    .await?;
    let order = crate::orders::service::find(&txn, c.aggregator_id, order_id).await?;
    if order.status == crate::orders::domain::OrderStatus::Open {
        crate::orders::service::cancel_in(
            app,
            &txn,
            &order,
            None,
            &format!("cancelled on sales channel {}", c.name),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

enum Refusal {
    /// The order cannot be placed as the channel sent it (a SKU unknown here, a currency).
    Order(String),
    Db(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for Refusal {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Db(e)
    }
}

/// The JIS code of a prefecture as a channel writes it: `JP-47` (Shopify), `47`, or its name
/// (`沖縄県`, `Okinawa`).
fn prefecture_code(prefs: &[prefecture::Model], raw: &str) -> Option<String> {
    let t = raw.trim();
    let digits = t.strip_prefix("JP-").unwrap_or(t);
    if digits.len() == 2 && prefs.iter().any(|p| p.code == digits) {
        return Some(digits.to_string());
    }
    prefs
        .iter()
        .find(|p| p.name_ja == t || p.name_en.eq_ignore_ascii_case(t))
        .map(|p| p.code.clone())
}

/// Why a buyer name needs a look: one the shop would refuse (not printable on the label:
/// emoji and the like), or written in romaji (the label and the carrier expect Japanese).
fn name_attention(c: &Contact) -> Option<Attention> {
    if crate::core::label::label_text(&c.name).is_err() {
        return Some(Attention {
            code: attention::BUYER_NAME.into(),
            detail: "the name has characters the label cannot print".into(),
        });
    }
    (!c.name.is_empty() && c.name.is_ascii()).then(|| Attention {
        code: attention::BUYER_NAME.into(),
        detail: "the name is written in romaji".into(),
    })
}

/// The order draft of channel order `o`: its lines matched to our SKUs (by the listing's
/// variant id at the channel, else by SKU code), the channel's prices and tax as sent.
async fn draft(app: &AppState, c: &channel::Model, o: &RemoteOrder) -> Result<OrderDraft, Refusal> {
    if o.currency != "JPY" {
        return Err(Refusal::Order(format!(
            "orders in {} are not imported yet (yen only)",
            o.currency
        )));
    }
    if o.lines.is_empty() || o.lines.iter().any(|l| l.qty <= 0) {
        return Err(Refusal::Order(
            "the order has no line with a quantity".into(),
        ));
    }
    let listings = repo::listings(&app.db, c.id).await?;
    let mut attention_list = Vec::new();
    let prefs = crate::reference::repo::prefectures(&app.db).await?;
    let mut buyer = o.buyer.clone();
    let mut ship_to = o.ship_to.clone();
    for contact in std::iter::once(&mut buyer).chain(ship_to.iter_mut()) {
        match prefecture_code(&prefs, &contact.prefecture) {
            Some(code) => contact.prefecture = code,
            None => attention_list.push(Attention {
                code: "address".into(),
                detail: format!("prefecture {:?} is not known", contact.prefecture),
            }),
        }
        if let Ok(p) = core::jp::PostalCode::parse(&contact.postal_code) {
            contact.postal_code = p.as_str().to_string();
        }
    }
    if let Some(a) = name_attention(ship_to.as_ref().unwrap_or(&buyer)) {
        attention_list.push(a);
    }
    let buyer_data = BuyerData {
        buyer,
        ship_to,
        locale: "ja".into(),
    };
    let dest = buyer_data.destination().prefecture.clone();
    let rules = Rules::load(app, &app.db, c.aggregator_id)
        .await
        .map_err(|e| Refusal::Order(e.describe()))?;
    let mut by_class: BTreeMap<String, Vec<DraftLine>> = BTreeMap::new();
    let mut wants: BTreeMap<Uuid, Want> = BTreeMap::new();
    let mut skus: HashMap<Uuid, (sku::Model, product::Model)> = HashMap::new();
    let ours = crate::orders::seller::seller(app, c.aggregator_id)
        .await
        .map_err(|e| Refusal::Order(e.describe()))?
        .invoice_number
        .clone();
    let mut invoices: HashMap<Uuid, (InvoiceRule, Option<String>)> = HashMap::new();
    for l in &o.lines {
        let sku_id = listings
            .iter()
            .find(|x| {
                !l.variant_id.is_empty()
                    && x.external_variant_id.as_deref() == Some(l.variant_id.as_str())
            })
            .map(|x| x.sku_id);
        let found = match sku_id {
            Some(id) => crate::catalog::repo::sku(&app.db, id).await?,
            None if !l.sku_code.is_empty() => {
                crate::catalog::repo::sku_by_code(&app.db, c.aggregator_id, &l.sku_code).await?
            }
            None => None,
        };
        let Some(s) = found.filter(|s| s.aggregator_id == c.aggregator_id) else {
            return Err(Refusal::Order(format!(
                "line {:?} (variant {:?}, SKU {:?}) matches no SKU here",
                l.title, l.variant_id, l.sku_code
            )));
        };
        if let std::collections::hash_map::Entry::Vacant(e) = skus.entry(s.id) {
            let p = crate::catalog::repo::product(&app.db, s.product_id)
                .await?
                .ok_or_else(|| Refusal::Order(format!("SKU {} has no product", s.code)))?;
            e.insert((s.clone(), p));
        }
        let Some((s, p)) = skus.get(&s.id) else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = invoices.entry(s.producer_id) {
            let rule = match crate::producers::repo::producer(&app.db, s.producer_id).await? {
                Some(m) => rule_for(
                    SellerStatus {
                        invoice_number: m.invoice_number.as_deref(),
                        tax_exempt: m.tax_exempt,
                        notified_on: m.invoice_notified_on,
                    },
                    ours.as_deref(),
                    core::today_jst(),
                ),
                None => (InvoiceRule::None, None),
            };
            e.insert(rule);
        }
        let (invoice_rule, seller_invoice_number) = invoices
            .get(&s.producer_id)
            .cloned()
            .unwrap_or((InvoiceRule::None, None));
        let w = wants.entry(s.id).or_insert_with(|| Want {
            qty: 0,
            days: rules.required_days(Some(&p.category_code), Some(&dest)),
            code: s.code.clone(),
        });
        w.qty += l.qty;
        by_class
            .entry(p.temperature_class.clone())
            .or_default()
            .push(DraftLine {
                producer_id: s.producer_id,
                product_id: p.id,
                sku_id: s.id,
                title: if l.title.is_empty() {
                    p.title_ja.clone()
                } else {
                    l.title.clone()
                },
                sku_code: s.code.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
                tax_rate: l.tax_rate,
                temperature_class: p.temperature_class.clone(),
                invoice_rule,
                seller_invoice_number,
            });
    }
    let mut parcels = Vec::new();
    for (i, (class, lines)) in by_class.into_iter().enumerate() {
        parcels.push(DraftParcel {
            seq: i32::try_from(i + 1).unwrap_or(1),
            temperature_class: class,
            // The channel charged one shipping fee: it goes on the first parcel.
            shipping_fee: if i == 0 { o.shipping } else { 0 },
            cool_fee: 0,
            surcharge: 0,
            cod_fee: 0,
            cod_amount: 0,
            cod_tax: 0,
            lines,
        });
    }
    let all = parcels.iter().flat_map(|p| &p.lines);
    let goods: i64 = all.clone().map(|l| l.unit_price * l.qty).sum();
    let total8: i64 = all
        .filter(|l| l.tax_rate == 8)
        .map(|l| l.unit_price * l.qty)
        .sum();
    let total10 = goods - total8 + o.shipping;
    // The channel's tax is recorded as it charged it; only when it gives none is the tax in
    // each rate's sum worked out (rounded down).
    let tax_of = |rate: i16, sum: i64| {
        o.tax
            .iter()
            .find(|(r, _)| *r == rate)
            .map_or(sum * i64::from(rate) / (100 + i64::from(rate)), |(_, t)| *t)
    };
    let grand = if o.total > 0 {
        o.total
    } else {
        goods + o.shipping
    };
    let external = o.external_id.clone();
    Ok(OrderDraft {
        aggregator_id: c.aggregator_id,
        source: OrderSource::Channel,
        channel_id: Some(c.id),
        external_id: Some(external.clone()),
        payment_method: PaymentMethod::Marketplace,
        destination_municipality: None,
        destination_country: "JP".into(),
        time_slot: None,
        totals: Totals {
            goods_total: goods,
            shipping_total: o.shipping,
            total8,
            total10,
            tax8: if total8 > 0 { tax_of(8, total8) } else { 0 },
            tax10: if total10 > 0 { tax_of(10, total10) } else { 0 },
            grand_total: grand,
            ..Totals::default()
        },
        currency: "JPY".into(),
        fx_rate_ppm: 1_000_000,
        parcels,
        wants,
        idempotency: Idempotency {
            client_key: format!("channel:{}", c.id),
            key: external.clone(),
            request_hash: external,
        },
        pay_by: None,
        attention: attention_text(&attention_list),
        buyer: buyer_data,
    })
}

/// Places the order; for stock already gone, places it without stock and flagged
/// `oversold`. Another worker's order with the same number is the answer (one order).
async fn place(app: &AppState, d: OrderDraft) -> Result<(shop_order::Model, bool), CallError> {
    let api =
        |e: ApiError| CallError::transient(format!("placing the order failed: {}", e.describe()));
    let key = d.idempotency.clone();
    let agg = d.aggregator_id;
    let fallback = d.clone();
    let first = placement::write(app, placement::prepare(app, d).map_err(api)?).await;
    let (stored, oversold) = match first {
        Ok(s) => (s.order, false),
        Err(e) if e.code() == "out_of_stock" => {
            let mut d = fallback;
            let short: Vec<String> = d
                .wants
                .values()
                .map(|w| format!("{} × {}", w.code, w.qty))
                .collect();
            let mut list = crate::orders::domain::attention_of_text(d.attention.as_deref());
            list.push(Attention {
                code: attention::OVERSOLD.into(),
                detail: format!("no stock here for {}", short.join(", ")),
            });
            d.attention = attention_text(&list);
            d.wants.clear();
            match placement::write(app, placement::prepare(app, d).map_err(api)?).await {
                Ok(s) => (s.order, true),
                Err(e) if e.code() == KEY_TAKEN => (existing(app, agg, &key).await?, false),
                Err(e) => return Err(api(e)),
            }
        }
        Err(e) if e.code() == KEY_TAKEN => (existing(app, agg, &key).await?, false),
        Err(e) => return Err(api(e)),
    };
    Ok((stored, oversold))
}

async fn existing(
    app: &AppState,
    agg: Uuid,
    key: &Idempotency,
) -> Result<shop_order::Model, CallError> {
    placement::find_by_key(app, agg, &key.client_key, &key.key)
        .await
        .map_err(|e| CallError::transient(e.describe()))?
        .ok_or_else(|| CallError::transient("the order's number is taken by no order"))
}

/// Tells the channel of our cancellations (once: an order the channel already shows
/// cancelled is not cancelled again).
async fn push_cancellations<P: Pacer>(
    app: &AppState,
    c: &channel::Model,
    client: &Client,
    pacer: &P,
) -> Result<usize, CallError> {
    let db = |e: sea_orm::DbErr| CallError::transient(format!("database: {e}"));
    let due = repo::orders_due(
        &app.db,
        c.id,
        channel_order::Column::CancelDue,
        PUSHES_PER_ROUND,
    )
    .await
    .map_err(db)?;
    if due.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = due.iter().map(|r| r.external_id.clone()).collect();
    let remote = client.get_orders(pacer, &ids).await?;
    for row in &due {
        let outcome = match remote.iter().find(|o| o.external_id == row.external_id) {
            None => Err("the channel does not know this order number".to_string()),
            Some(o) if o.status == RemoteStatus::Cancelled => Ok(()),
            Some(o) => {
                let reason = CancelReason::parse(row.cancel_reason.as_deref().unwrap_or(""));
                match client.cancel_order(pacer, o, reason).await {
                    Ok(()) => Ok(()),
                    Err(CallError::Rejected(m)) => Err(m),
                    Err(e) => return Err(e),
                }
            }
        };
        settle_push(app, row.id, Push::Cancel, &outcome)
            .await
            .map_err(db)?;
    }
    Ok(due.len())
}

/// Tells the channel the tracking numbers of shipped orders (numbers it already holds are
/// not sent again).
async fn push_shipments<P: Pacer>(
    app: &AppState,
    c: &channel::Model,
    client: &Client,
    pacer: &P,
) -> Result<usize, CallError> {
    let db = |e: sea_orm::DbErr| CallError::transient(format!("database: {e}"));
    let due = repo::orders_due(
        &app.db,
        c.id,
        channel_order::Column::ShipDue,
        PUSHES_PER_ROUND,
    )
    .await
    .map_err(db)?;
    if due.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = due.iter().map(|r| r.external_id.clone()).collect();
    let remote = client.get_orders(pacer, &ids).await?;
    for row in &due {
        let parcels = match row.order_id {
            Some(id) => crate::orders::repo::parcels_of(&app.db, id)
                .await
                .map_err(db)?,
            None => Vec::new(),
        };
        let tracking: Vec<String> = parcels
            .iter()
            .filter_map(|p| p.tracking_number.clone())
            .collect();
        let left = parcels
            .iter()
            .filter_map(|p| p.shipped_at)
            .max()
            .unwrap_or_else(core::now);
        let shipment = Shipment {
            tracking,
            shipped_on: (left + Duration::hours(9)).date_naive(),
        };
        let outcome = match remote.iter().find(|o| o.external_id == row.external_id) {
            None => Err("the channel does not know this order number".to_string()),
            Some(o) if o.status == RemoteStatus::Cancelled => {
                Err("the channel shows the order cancelled".to_string())
            }
            Some(o) => match client.ship_order(pacer, o, &shipment).await {
                Ok(()) => Ok(()),
                Err(CallError::Rejected(m)) => Err(m),
                Err(e) => return Err(e),
            },
        };
        settle_push(app, row.id, Push::Ship, &outcome)
            .await
            .map_err(db)?;
    }
    Ok(due.len())
}

/// Clears the row's push mark; a push that went through is stamped with the state it left the
/// order in at the channel, a refused one keeps the channel's words.
async fn settle_push(
    app: &AppState,
    row_id: Uuid,
    push: Push,
    outcome: &Result<(), String>,
) -> Result<(), sea_orm::DbErr> {
    let (due, at, remote) = match push {
        Push::Cancel => (
            channel_order::Column::CancelDue,
            channel_order::Column::CancelPushedAt,
            "cancelled",
        ),
        Push::Ship => (
            channel_order::Column::ShipDue,
            channel_order::Column::ShippedPushedAt,
            "shipped",
        ),
    };
    let now = core::now();
    let mut sets = vec![
        (due, Expr::value(false)),
        (channel_order::Column::UpdatedAt, Expr::value(now)),
    ];
    match outcome {
        Ok(()) => sets.extend([
            (at, Expr::value(Some(now))),
            (channel_order::Column::RemoteStatus, Expr::value(remote)),
            (
                channel_order::Column::LastError,
                Expr::value(None::<String>),
            ),
        ]),
        Err(m) => sets.push((
            channel_order::Column::LastError,
            Expr::value(Some(super::adapters::clip(m, 1000))),
        )),
    }
    let of = Condition::all().add(channel_order::Column::Id.eq(row_id));
    repo::update_channel_orders(&app.db, sets, of)
        .await
        .map(|_| ())
}

/// `orders.cancelled`: a channel order cancelled here (not by its channel) is to be
/// cancelled at the channel, with the out-of-stock reason for an oversold one.
///
/// # Errors
/// Database failure (retried).
pub async fn on_cancelled(app: AppState, d: Delivery<OrderCancelled>) -> Result<(), JobError> {
    mark_push(&app, &d, d.event.order_id, Push::Cancel).await
}

/// `orders.shipped`: the channel is to be told the tracking numbers.
///
/// # Errors
/// Database failure (retried).
pub async fn on_shipped(app: AppState, d: Delivery<OrderShipped>) -> Result<(), JobError> {
    mark_push(&app, &d, d.event.order_id, Push::Ship).await
}

enum Push {
    Cancel,
    Ship,
}

async fn mark_push<E>(
    app: &AppState,
    d: &Delivery<E>,
    order_id: Uuid,
    push: Push,
) -> Result<(), JobError> {
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let txn = crate::db::begin_write(&app.db).await.map_err(retry)?;
    if !d.claim(&txn).await.map_err(retry)? {
        return Ok(());
    }
    let Some(row) = repo::channel_order_of(&txn, order_id)
        .await
        .map_err(retry)?
    else {
        txn.commit().await.map_err(retry)?;
        return Ok(());
    };
    let now = core::now();
    let mut sets = vec![(channel_order::Column::UpdatedAt, Expr::value(now))];
    match push {
        Push::Cancel => {
            if row.cancelled_by.is_some() {
                // The channel cancelled it: nothing to tell.
                txn.commit().await.map_err(retry)?;
                return Ok(());
            }
            let order = crate::orders::repo::order(&txn, order_id)
                .await
                .map_err(retry)?;
            let reason = if order.is_some_and(|o| has_attention(&o, attention::OVERSOLD)) {
                CancelReason::OutOfStock
            } else {
                CancelReason::Other
            };
            sets.extend([
                (channel_order::Column::CancelledBy, Expr::value(Some("us"))),
                (channel_order::Column::CancelDue, Expr::value(true)),
                (
                    channel_order::Column::CancelReason,
                    Expr::value(Some(reason.as_str())),
                ),
            ]);
        }
        Push::Ship => {
            if row.shipped_pushed_at.is_some() {
                txn.commit().await.map_err(retry)?;
                return Ok(());
            }
            sets.push((channel_order::Column::ShipDue, Expr::value(true)));
        }
    }
    let of = Condition::all().add(channel_order::Column::Id.eq(row.id));
    repo::update_channel_orders(&txn, sets, of)
        .await
        .map_err(retry)?;
    service::enqueue_sync(&txn, row.channel_id)
        .await
        .map_err(retry)?;
    txn.commit().await.map_err(retry)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefs() -> Vec<prefecture::Model> {
        vec![prefecture::Model {
            code: "47".into(),
            name_ja: "沖縄県".into(),
            name_en: "Okinawa".into(),
        }]
    }

    #[test]
    fn prefectures_are_read_in_every_channel_form() {
        for raw in ["JP-47", "47", "沖縄県", "okinawa"] {
            assert_eq!(
                prefecture_code(&prefs(), raw).as_deref(),
                Some("47"),
                "{raw}"
            );
        }
        assert_eq!(prefecture_code(&prefs(), "JP-13"), None);
    }

    #[test]
    fn romaji_and_emoji_names_are_flagged_not_refused() {
        let mut c = Contact {
            name: "Taro Yamada".into(),
            ..Contact::default()
        };
        assert_eq!(
            name_attention(&c).map(|a| a.code),
            Some("buyer_name".into())
        );
        c.name = "山田 太郎😀".into();
        assert!(name_attention(&c).is_some());
        c.name = "山田 太郎".into();
        assert!(name_attention(&c).is_none());
    }
}
