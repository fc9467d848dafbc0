//! What the order core's events book (subscriber `money.ledger`; each delivery claims its
//! receipt in the posting's transaction, and each posting names its source, so a replayed
//! event books nothing twice):
//! - a parcel that left (`orders.parcel_shipped`): the sale of its lines, on the JST date it
//!   shipped, with the fee rules that applied frozen onto it;
//! - the order shipped (`orders.shipped`): the consumption tax in what the buyer paid the
//!   aggregator for shipping, cool delivery and the COD slip, once per order at 10 %;
//!   and a channel fee the channel reported before it shipped ([`super::channel_fees`]);
//! - a return received back (`orders.returned`): the goods out of the producer's payable and
//!   the charges on them given back in proportion;
//! - money owed back after a cancellation (`orders.refund_due` without a return), a refund the
//!   card provider paid (`orders.refunded`), a bank transfer received (`orders.paid`).
use super::{
    domain::{self, AccountRef, Charge, Legs, ShippedParcel, SoldGoods, account, fee_type},
    fee_rules::domain_rule,
    ledger::{self, Posted, Posting, kind},
    repo,
};
use crate::{
    core::{self, money::Money},
    error::{ApiError, ApiResult},
    jobs::{Delivery, JobError},
    orders::{
        domain::{OrderSource, PaymentMethod, PaymentStatus},
        events::RefundRoute,
        events::{OrderPaid, OrderRefunded, OrderReturned, OrderShipped, ParcelShipped, RefundDue},
    },
    state::AppState,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{fee_charge, order_line, sale_line, shop_order};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction};
use std::collections::HashMap;
use uuid::Uuid;

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

fn jst_date(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(9)).date_naive()
}

/// The account the buyer's money for `o` comes through.
fn settlement_of(o: &shop_order::Model, carrier: &str) -> AccountRef {
    if o.source == OrderSource::Channel || o.payment_method == PaymentMethod::Marketplace {
        return AccountRef::new(
            account::RECEIVABLE_CHANNEL,
            o.channel_id.map(|c| c.to_string()).unwrap_or_default(),
        );
    }
    match o.payment_method {
        PaymentMethod::Card => AccountRef::new(account::SETTLEMENT_CARD, ""),
        PaymentMethod::BankTransfer => AccountRef::new(account::SETTLEMENT_BANK_TRANSFER, ""),
        _ => AccountRef::new(account::RECEIVABLE_COD, carrier),
    }
}

/// Yen of an amount in the order's currency.
fn yen(o: &shop_order::Model, minor: i64) -> i64 {
    match core::money::Currency::parse(&o.currency) {
        Some(c) if c != core::money::Currency::Jpy => {
            Money { minor, currency: c }.to_yen(o.fx_rate_ppm)
        }
        _ => minor,
    }
}

/// Every category code with its ancestors, nearest first.
pub(super) async fn ancestry(db: &impl ConnectionTrait) -> ApiResult<HashMap<String, Vec<String>>> {
    let cats = crate::catalog::repo::categories(db).await?;
    let parent: HashMap<String, Option<String>> = cats
        .iter()
        .map(|c| (c.code.clone(), c.parent_code.clone()))
        .collect();
    Ok(cats
        .iter()
        .map(|c| {
            let mut chain = vec![c.code.clone()];
            let mut at = c.parent_code.clone();
            while let Some(p) = at {
                if chain.contains(&p) || chain.len() > 16 {
                    break;
                }
                chain.push(p.clone());
                at = parent.get(&p).cloned().flatten();
            }
            (c.code.clone(), chain)
        })
        .collect())
}

pub(super) async fn rules_of(db: &impl ConnectionTrait, agg: Uuid) -> ApiResult<Vec<domain::Rule>> {
    Ok(repo::rules_where(db, agg, Condition::all())
        .await?
        .iter()
        .map(domain_rule)
        .collect())
}

/// Books the sale of parcel `seq` of order `order_id` inside `txn` (see the module).
///
/// # Errors
/// Database failure; 404 for an order or parcel that is gone.
pub async fn book_parcel(
    app: &AppState,
    txn: &DatabaseTransaction,
    agg: Uuid,
    order_id: Uuid,
    seq: i32,
) -> ApiResult<Posted> {
    let o = crate::orders::repo::order(txn, order_id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)?;
    let parcel = crate::orders::repo::parcels_of(txn, o.id)
        .await?
        .into_iter()
        .find(|p| p.seq == seq)
        .ok_or(ApiError::NotFound)?;
    let lines: Vec<order_line::Model> = crate::orders::repo::lines_of(txn, o.id)
        .await?
        .into_iter()
        .filter(|l| l.parcel_seq == seq)
        .collect();
    let products: HashMap<Uuid, entity::product::Model> =
        crate::catalog::repo::products_among(txn, lines.iter().map(|l| l.product_id))
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let ancestry = ancestry(txn).await?;
    let on = jst_date(parcel.shipped_at.unwrap_or_else(core::now));
    let category = |l: &order_line::Model| {
        products
            .get(&l.product_id)
            .map(|p| p.category_code.clone())
            .unwrap_or_default()
    };
    let goods: Vec<SoldGoods> = lines
        .iter()
        .map(|l| SoldGoods {
            order_line_id: l.id,
            producer_id: l.producer_id,
            categories: ancestry.get(&category(l)).cloned().unwrap_or_default(),
            qty: l.qty,
            unit_price: yen(&o, l.unit_price),
            amount: yen(&o, l.line_total),
        })
        .collect();
    let shipped = ShippedParcel {
        order_id: o.id,
        seq,
        chilled: parcel.temperature_class != "ambient",
        service_fees: yen(
            &o,
            parcel.shipping_fee + parcel.cool_fee + parcel.surcharge + parcel.cod_fee,
        ),
        goods,
        channel_id: o.channel_id.filter(|_| o.source == OrderSource::Channel),
        payment_method: o.payment_method.as_str().to_string(),
        on,
        settlement: settlement_of(&o, &parcel.carrier),
    };
    let rules = rules_of(txn, agg).await?;
    // Per-order fees already charged on an earlier parcel of this order.
    let keys: Vec<String> = lines
        .iter()
        .map(|l| format!("order:{}:{}", o.id, l.producer_id))
        .collect();
    let earlier: Vec<(String, String)> = repo::charges_where(
        txn,
        agg,
        Condition::all().add(fee_charge::Column::SubjectKey.is_in(keys)),
    )
    .await?
    .into_iter()
    .map(|c| (c.fee_type, c.subject_key))
    .collect();
    let charged = |t: &str, p: Uuid| {
        let key = format!("order:{}:{p}", o.id);
        earlier.iter().any(|(ft, k)| ft == t && *k == key)
    };
    let charges = domain::charges(&shipped, &rules, &charged);
    let legs = domain::sale_legs(&shipped, &charges);
    let posted = ledger::post(
        txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: kind::SALE,
            source_ref: format!("ship:{}:{seq}", o.id),
            occurred_on: on,
            order_id: Some(o.id),
            producer_id: None,
            memo: format!("{} parcel {seq}", o.number),
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
        let now = core::now();
        let sales = lines
            .iter()
            .map(|l| sale_line::ActiveModel {
                id: Set(core::new_id()),
                aggregator_id: Set(agg),
                order_id: Set(o.id),
                order_line_id: Set(l.id),
                parcel_seq: Set(seq),
                producer_id: Set(l.producer_id),
                source: Set(o.source.as_str().into()),
                channel_id: Set(o.channel_id),
                payment_method: Set(o.payment_method.as_str().into()),
                category_code: Set(category(l)),
                sold_on: Set(on),
                period_id: Set(period_id),
                transaction_id: Set(transaction_id),
                title: Set(l.title.chars().take(200).collect()),
                sku_code: Set(l.sku_code.clone()),
                qty: Set(l.qty),
                unit_price: Set(yen(&o, l.unit_price)),
                tax_rate: Set(l.tax_rate),
                amount: Set(yen(&o, l.line_total)),
                created_at: Set(now),
            })
            .collect();
        repo::insert_sale_lines(txn, sales).await?;
        freeze(txn, agg, period_id, transaction_id, &charges, 1).await?;
    }
    Ok(posted)
}

/// Stores `charges` (times `sign`) as booked in `transaction_id`, each with its rule.
pub(super) async fn freeze(
    txn: &DatabaseTransaction,
    agg: Uuid,
    period_id: Uuid,
    transaction_id: Uuid,
    charges: &[Charge],
    sign: i64,
) -> ApiResult<()> {
    let now = core::now();
    let rows = charges
        .iter()
        .map(|c| fee_charge::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(agg),
            producer_id: Set(c.producer_id),
            period_id: Set(period_id),
            transaction_id: Set(transaction_id),
            fee_type: Set(c.fee_type.clone()),
            subject_key: Set(c.subject_key.clone()),
            amount: Set(c.amount * sign),
            tax_rate: Set(if c.fee_type == fee_type::FUND_SHARE {
                0
            } else {
                10
            }),
            rule_id: Set(c.rule.id),
            rule_version: Set(c.rule.version),
            rule_snapshot: Set(serde_json::to_string(&c.rule).unwrap_or_default()),
            fund_id: Set(c.rule.fund_id),
            bearer: Set(c.rule.bearer.clone()),
            created_at: Set(now),
        })
        .collect();
    Ok(repo::insert_charges(txn, rows).await?)
}

/// Books the tax in the order's service fees (shipping, cool, surcharge, COD slip), once per
/// order at 10 % with the seller's rounding: out of the shipping revenue into tax payable.
///
/// # Errors
/// Database failure; 404.
pub async fn book_fees_tax(
    app: &AppState,
    txn: &DatabaseTransaction,
    agg: Uuid,
    order_id: Uuid,
) -> ApiResult<Posted> {
    let o = crate::orders::repo::order(txn, order_id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)?;
    let parcels = crate::orders::repo::parcels_of(txn, o.id).await?;
    let fees: i64 = parcels
        .iter()
        .map(|p| yen(&o, p.shipping_fee + p.cool_fee + p.surcharge + p.cod_fee))
        .sum();
    let rounding = crate::orders::seller::seller(app, agg)
        .await?
        .tax_rounding
        .clone();
    let tax = core::money::included_tax(fees, 10, &rounding);
    let mut legs = Legs::default();
    legs.debit(AccountRef::new(account::REVENUE_SHIPPING, ""), tax, None);
    legs.credit(AccountRef::new(account::TAX_PAYABLE_10, ""), tax, None);
    let on = jst_date(o.shipped_at.unwrap_or_else(core::now));
    ledger::post(
        txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: kind::FEES_TAX,
            source_ref: format!("fees-tax:{}", o.id),
            occurred_on: on,
            order_id: Some(o.id),
            producer_id: None,
            memo: format!("{}: tax in {fees} yen of service fees", o.number),
            created_by: None,
            legs,
        },
    )
    .await
}

/// Books return batch `batch` of order `order_id` (see the module). `None` while a returned
/// line's sale is not booked yet (the delivery is retried).
///
/// # Errors
/// Database failure; 404.
pub async fn book_return(
    app: &AppState,
    txn: &DatabaseTransaction,
    e: &OrderReturned,
) -> ApiResult<Option<Posted>> {
    let agg = e.aggregator_id;
    let o = crate::orders::repo::order(txn, e.order_id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)?;
    let rows = crate::orders::repo::returns_of_batch(txn, e.batch_id).await?;
    let Some(first) = rows.first() else {
        return Ok(Some(Posted::Replayed));
    };
    let lines: HashMap<Uuid, order_line::Model> = crate::orders::repo::lines_of(txn, o.id)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let sold = repo::sale_lines_of(txn, rows.iter().map(|r| r.order_line_id)).await?;
    if rows
        .iter()
        .any(|r| !sold.iter().any(|s| s.order_line_id == r.order_line_id))
    {
        return Ok(None);
    }
    // Units of each line returned in earlier batches.
    let all_returns = crate::orders::repo::returns_of(txn, o.id).await?;
    let before = |line: Uuid| -> i64 {
        all_returns
            .iter()
            .filter(|r| {
                r.order_line_id == line
                    && r.batch_id != Some(e.batch_id)
                    && r.created_at <= first.created_at
            })
            .map(|r| r.qty)
            .sum()
    };
    let carrier = crate::orders::repo::parcels_of(txn, o.id)
        .await?
        .first()
        .map(|p| p.carrier.clone())
        .unwrap_or_default();
    let back_to = match e.route {
        RefundRoute::Card | RefundRoute::Owed => AccountRef::new(account::REFUNDS_OWED, ""),
        RefundRoute::None => settlement_of(&o, &carrier),
    };
    let line_ids: Vec<String> = rows.iter().map(|r| r.order_line_id.to_string()).collect();
    let booked = repo::charges_where(
        txn,
        agg,
        Condition::all()
            .add(fee_charge::Column::SubjectKey.is_in(line_ids))
            .add(fee_charge::Column::Amount.gt(0)),
    )
    .await?;
    let mut legs = Legs::default();
    let mut given_back = Vec::new();
    for r in &rows {
        let Some(line) = lines.get(&r.order_line_id) else {
            continue;
        };
        let amount = yen(&o, line.unit_price) * r.qty;
        legs.debit(
            AccountRef::payable(line.producer_id),
            amount,
            Some(line.producer_id),
        );
        legs.credit(back_to.clone(), amount, None);
        for c in booked
            .iter()
            .filter(|c| c.subject_key == line.id.to_string() && fee_type::per_line(&c.fee_type))
        {
            let part = domain::returned_part(c.amount, line.qty, before(line.id), r.qty);
            let Ok(rule) = serde_json::from_str::<domain::Rule>(&c.rule_snapshot) else {
                continue;
            };
            let back = Charge {
                producer_id: c.producer_id,
                fee_type: c.fee_type.clone(),
                subject_key: c.subject_key.clone(),
                amount: part,
                rule,
            };
            domain::charge_legs(&mut legs, &back, -1);
            given_back.push(back);
        }
    }
    let posted = ledger::post(
        txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: agg,
            kind: kind::RETURN,
            source_ref: format!("return:{}", e.batch_id),
            occurred_on: jst_date(first.created_at),
            order_id: Some(o.id),
            producer_id: None,
            memo: format!("{}: return", o.number),
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
        given_back.retain(|c| c.amount != 0);
        freeze(txn, agg, period_id, transaction_id, &given_back, -1).await?;
        let returned_on = jst_date(first.created_at);
        let now = core::now();
        let rows = rows
            .iter()
            .filter_map(|r| {
                let line = lines.get(&r.order_line_id)?;
                Some(entity::sale_return::ActiveModel {
                    id: Set(core::new_id()),
                    aggregator_id: Set(agg),
                    order_return_id: Set(r.id),
                    order_line_id: Set(line.id),
                    producer_id: Set(line.producer_id),
                    period_id: Set(period_id),
                    transaction_id: Set(transaction_id),
                    title: Set(line.title.chars().take(200).collect()),
                    qty: Set(r.qty),
                    unit_price: Set(yen(&o, line.unit_price)),
                    tax_rate: Set(line.tax_rate),
                    amount: Set(yen(&o, line.unit_price) * r.qty),
                    returned_on: Set(returned_on),
                    created_at: Set(now),
                })
            })
            .collect();
        repo::insert_sale_returns(txn, rows).await?;
    }
    Ok(Some(posted))
}

/// Money moving from one account to another: (debited, credited, yen).
type Move = (AccountRef, AccountRef, i64);

/// A simple two-leg posting for order `o`.
async fn book_move(
    app: &AppState,
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
    kind: &'static str,
    source_ref: String,
    (debit, credit, amount): Move,
) -> ApiResult<Posted> {
    let mut legs = Legs::default();
    legs.debit(debit, amount, None);
    legs.credit(credit, amount, None);
    ledger::post(
        txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: o.aggregator_id,
            kind,
            source_ref,
            occurred_on: core::today_jst(),
            order_id: Some(o.id),
            producer_id: None,
            memo: o.number.clone(),
            created_by: None,
            legs,
        },
    )
    .await
}

async fn order_of(txn: &DatabaseTransaction, agg: Uuid, id: Uuid) -> ApiResult<shop_order::Model> {
    crate::orders::repo::order(txn, id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)
}

/// Runs `book` in a write transaction that first claims delivery `d` (nothing when it was
/// handled before); a database failure is retried, a vanished order dead-letters.
pub(super) async fn claimed<E, F>(app: &AppState, d: &Delivery<E>, book: F) -> Result<(), JobError>
where
    F: AsyncFnOnce(&DatabaseTransaction) -> ApiResult<bool>,
{
    let txn = crate::db::begin_write(&app.db).await.map_err(retry)?;
    if !d.claim(&txn).await.map_err(retry)? {
        return Ok(());
    }
    match book(&txn).await {
        Ok(true) => txn.commit().await.map_err(retry),
        Ok(false) => Err(JobError::Retry("waiting for the sale to be booked".into())),
        Err(ApiError::NotFound) => Err(JobError::Reject("the order is gone".into())),
        Err(e) => Err(retry(e.describe())),
    }
}

/// `orders.parcel_shipped`.
///
/// # Errors
/// Retried on database failures.
pub async fn on_parcel_shipped(app: AppState, d: Delivery<ParcelShipped>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        book_parcel(&app, txn, e.aggregator_id, e.order_id, e.parcel_seq).await?;
        Ok(true)
    })
    .await
}

/// `orders.shipped`.
///
/// # Errors
/// Retried on database failures.
pub async fn on_order_shipped(app: AppState, d: Delivery<OrderShipped>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        book_fees_tax(&app, txn, e.aggregator_id, e.order_id).await?;
        // A channel fee reported before the order shipped is booked once its sale is.
        super::channel_fees::settle(&app, txn, e.aggregator_id, e.order_id).await
    })
    .await
}

/// `orders.returned`.
///
/// # Errors
/// Retried on database failures and while the sale is not booked yet.
pub async fn on_returned(app: AppState, d: Delivery<OrderReturned>) -> Result<(), JobError> {
    let e = d.event.clone();
    claimed(&app, &d, async |txn| {
        Ok(book_return(&app, txn, &e).await?.is_some())
    })
    .await
}

/// `orders.refund_due` of a cancellation or a late payment (returns book their own): the
/// money received becomes owed back.
///
/// # Errors
/// Retried on database failures.
pub async fn on_refund_due(app: AppState, d: Delivery<RefundDue>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        let o = order_of(txn, e.aggregator_id, e.order_id).await?;
        let from = settlement_of(&o, "");
        book_move(
            &app,
            txn,
            &o,
            kind::REFUND_DUE,
            format!("due:{}", e.key),
            (from, AccountRef::new(account::REFUNDS_OWED, ""), e.amount),
        )
        .await?;
        Ok(true)
    })
    .await
}

/// `orders.refunded`: the card provider paid a refund back.
///
/// # Errors
/// Retried on database failures.
pub async fn on_refunded(app: AppState, d: Delivery<OrderRefunded>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        // A refund paid in a payout run was booked by the run (refunds owed → in transit →
        // bank).
        if e.via_payout {
            return Ok(true);
        }
        let o = order_of(txn, e.aggregator_id, e.order_id).await?;
        book_move(
            &app,
            txn,
            &o,
            kind::REFUND,
            format!("refund:{}", e.key),
            (
                AccountRef::new(account::REFUNDS_OWED, ""),
                AccountRef::new(account::SETTLEMENT_CARD, ""),
                e.amount,
            ),
        )
        .await?;
        Ok(true)
    })
    .await
}

/// `orders.paid` of a bank transfer: the money is in the bank.
///
/// # Errors
/// Retried on database failures.
pub async fn on_paid(app: AppState, d: Delivery<OrderPaid>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        let o = order_of(txn, e.aggregator_id, e.order_id).await?;
        if o.payment_method != PaymentMethod::BankTransfer {
            return Ok(true);
        }
        book_move(
            &app,
            txn,
            &o,
            kind::PAYMENT,
            format!("paid:{}", o.id),
            (
                AccountRef::new(account::BANK, ""),
                AccountRef::new(account::SETTLEMENT_BANK_TRANSFER, ""),
                o.grand_total,
            ),
        )
        .await?;
        Ok(true)
    })
    .await
}

/// Whether a cancellation's refund is money the aggregator received (a card or bank transfer
/// already paid): only those move money between accounts.
pub fn books_refund_due(e: &RefundDue) -> bool {
    e.batch_id.is_none()
        && e.amount > 0
        && matches!(
            e.payment_method,
            PaymentMethod::Card | PaymentMethod::BankTransfer
        )
}

/// Whether a payment event is a bank transfer arriving (card money stays with the provider
/// until it pays out; cash on delivery with the carrier).
pub fn books_payment(e: &OrderPaid) -> bool {
    e.was == PaymentStatus::Pending
}

/// `inventory.stock_lost`: units lost from a lot. A loss the aggregator or a carrier bore
/// credits the producer at the SKU's price less the commission its rules would charge
/// (`money.loss_credit = "price"`: the whole price) — the aggregator's loss expense, or a claim
/// on the carrier; one the producer bore moves no money. Either way it is kept for the
/// statement of the period of its JST day.
///
/// # Errors
/// Retried on database failures.
pub async fn on_stock_lost(
    app: AppState,
    d: Delivery<crate::inventory::events::StockLost>,
) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        let sku = crate::catalog::repo::sku(txn, e.sku_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let product = crate::catalog::repo::product(txn, sku.product_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let gross = sku.price_yen.saturating_mul(e.qty);
        let credit = match e.bearer.as_str() {
            "aggregator" | "carrier" if app.settings.money.loss_credit == "price" => gross,
            "aggregator" | "carrier" => {
                let rules = rules_of(txn, e.aggregator_id).await?;
                let ancestry = ancestry(txn).await?;
                let categories = ancestry
                    .get(&product.category_code)
                    .cloned()
                    .unwrap_or_else(|| vec![product.category_code.clone()]);
                let c = domain::SaleContext {
                    producer_id: e.producer_id,
                    categories: &categories,
                    channel_id: None,
                    payment_method: "",
                    unit_price: sku.price_yen,
                    on: e.lost_on,
                };
                let commission = domain::pick(&rules, fee_type::COMMISSION, &c)
                    .map_or(0, |r| r.charge(gross, e.qty));
                (gross - commission).max(0)
            }
            _ => 0,
        };
        let months = app.settings.money.period_months;
        let (transaction_id, period_id) = if credit > 0 {
            let from = if e.bearer == "carrier" {
                AccountRef::new("receivable.carrier_claim", "")
            } else {
                AccountRef::new("expense.loss", "")
            };
            let mut legs = Legs::default();
            legs.debit(from, credit, Some(e.producer_id));
            legs.credit(
                AccountRef::payable(e.producer_id),
                credit,
                Some(e.producer_id),
            );
            match ledger::post(
                txn,
                months,
                Posting {
                    aggregator_id: e.aggregator_id,
                    kind: "loss_credit",
                    source_ref: format!("loss:{}", e.adjustment_id),
                    occurred_on: e.lost_on,
                    order_id: None,
                    producer_id: Some(e.producer_id),
                    memo: format!("{} × {} lost ({})", sku.code, e.qty, e.bearer),
                    created_by: None,
                    legs,
                },
            )
            .await?
            {
                Posted::Booked {
                    transaction_id,
                    period_id,
                } => (Some(transaction_id), period_id),
                Posted::Replayed => return Ok(true),
            }
        } else {
            (
                None,
                ledger::period_for(txn, e.aggregator_id, e.lost_on, months)
                    .await?
                    .id,
            )
        };
        repo::insert_stock_loss(
            txn,
            entity::stock_loss::ActiveModel {
                id: sea_orm::ActiveValue::Set(core::new_id()),
                aggregator_id: sea_orm::ActiveValue::Set(e.aggregator_id),
                producer_id: sea_orm::ActiveValue::Set(e.producer_id),
                period_id: sea_orm::ActiveValue::Set(period_id),
                adjustment_id: sea_orm::ActiveValue::Set(e.adjustment_id),
                lot_id: sea_orm::ActiveValue::Set(e.lot_id),
                sku_code: sea_orm::ActiveValue::Set(sku.code.clone()),
                title: sea_orm::ActiveValue::Set(product.title_ja.clone()),
                qty: sea_orm::ActiveValue::Set(e.qty),
                unit_price: sea_orm::ActiveValue::Set(sku.price_yen),
                bearer: sea_orm::ActiveValue::Set(e.bearer.clone()),
                credit: sea_orm::ActiveValue::Set(credit),
                transaction_id: sea_orm::ActiveValue::Set(transaction_id),
                lost_on: sea_orm::ActiveValue::Set(e.lost_on),
                created_at: sea_orm::ActiveValue::Set(core::now()),
            },
        )
        .await?;
        Ok(true)
    })
    .await
}
