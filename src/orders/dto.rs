//! JSON shapes of the order API.
use super::{
    domain::{BuyerData, Contact},
    service::OrderDetail,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What the buyer's browser needs to confirm a card payment with the provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardPayment {
    pub intent_id: String,
    pub client_secret: String,
}

/// Totals: tax computed once per rate for the order; every fee is in the 10 % sum.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotalsView {
    pub goods_total: i64,
    pub shipping_total: i64,
    pub cool_total: i64,
    pub surcharge_total: i64,
    pub cod_fee: i64,
    pub total8: i64,
    pub tax8: i64,
    pub total10: i64,
    pub tax10: i64,
    pub grand_total: i64,
    pub currency: String,
}

/// An order line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderLineView {
    pub id: Uuid,
    pub sku_id: Uuid,
    pub sku_code: String,
    pub title: String,
    pub producer_id: Uuid,
    pub qty: i64,
    pub unit_price: i64,
    pub tax_rate: i16,
    pub line_total: i64,
    pub temperature_class: String,
    pub parcel: i32,
    /// Lots the units came from: [{lot_id, qty}].
    pub allocations: serde_json::Value,
    pub returned_qty: i64,
}

/// A parcel.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParcelView {
    pub id: Uuid,
    pub seq: i32,
    pub temperature_class: String,
    pub carrier: String,
    pub time_slot: Option<String>,
    pub shipping_fee: i64,
    pub cool_fee: i64,
    pub surcharge: i64,
    /// Cash on delivery: this parcel's slip fee, the amount it collects (0 = prepaid) and the
    /// consumption tax in that amount.
    pub cod_fee: i64,
    pub cod_amount: i64,
    pub cod_tax: i64,
    pub tracking_number: Option<String>,
    pub status: String,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A return of units of one line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderReturnView {
    pub id: Uuid,
    pub order_line_id: Uuid,
    pub qty: i64,
    pub disposition: String,
    pub loss_bearer: Option<String>,
    pub refund_amount: i64,
    /// refunded (through the provider) or owed (to pay back by transfer).
    pub refund_status: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub number: String,
    pub source: String,
    /// The channel account an imported order came from.
    pub channel_id: Option<Uuid>,
    pub external_id: Option<String>,
    /// Why staff must look at the order (an oversell, an unusual buyer name); empty when none.
    pub attention: Vec<super::domain::Attention>,
    pub status: String,
    pub payment_status: String,
    pub fulfilment_status: String,
    pub payment_method: String,
    pub destination_prefecture: String,
    pub time_slot: Option<String>,
    pub totals: TotalsView,
    pub refunded_total: i64,
    pub refund_owed: i64,
    pub pay_by: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub lines: Vec<OrderLineView>,
    pub parcels: Vec<ParcelView>,
    pub returns: Vec<OrderReturnView>,
    /// Buyer and ship-to (absent for producers and once purged).
    pub buyer: Option<Contact>,
    pub ship_to: Option<Contact>,
    pub personal_data_purged: bool,
    /// The buyer's signed link (in the answer to the buyer only).
    pub link: Option<String>,
    /// For a card order awaiting payment, in the answer to the buyer: the provider's payment
    /// intent to confirm in the browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_payment: Option<CardPayment>,
}

impl OrderView {
    /// From an order and, when the caller may see it, its buyer.
    pub fn new(d: OrderDetail, buyer: Option<BuyerData>, link: Option<String>) -> Self {
        let o = d.order;
        let attention = super::domain::attention_of(&o);
        Self {
            id: o.id,
            number: o.number,
            source: o.source.as_str().to_string(),
            channel_id: o.channel_id,
            attention,
            external_id: o.external_id,
            status: o.status.as_str().to_string(),
            payment_status: o.payment_status.as_str().to_string(),
            fulfilment_status: o.fulfilment_status.as_str().to_string(),
            payment_method: o.payment_method.as_str().to_string(),
            destination_prefecture: o.destination_prefecture,
            time_slot: o.time_slot,
            totals: TotalsView {
                goods_total: o.goods_total,
                shipping_total: o.shipping_total,
                cool_total: o.cool_total,
                surcharge_total: o.surcharge_total,
                cod_fee: o.cod_fee,
                total8: o.total8,
                tax8: o.tax8,
                total10: o.total10,
                tax10: o.tax10,
                grand_total: o.grand_total,
                currency: o.currency,
            },
            refunded_total: o.refunded_total,
            refund_owed: o.refund_owed,
            pay_by: o.pay_by,
            paid_at: o.paid_at,
            cancelled_at: o.cancelled_at,
            shipped_at: o.shipped_at,
            delivered_at: o.delivered_at,
            created_at: o.created_at,
            lines: d
                .lines
                .into_iter()
                .map(|l| OrderLineView {
                    id: l.id,
                    sku_id: l.sku_id,
                    sku_code: l.sku_code,
                    title: l.title,
                    producer_id: l.producer_id,
                    qty: l.qty,
                    unit_price: l.unit_price,
                    tax_rate: l.tax_rate,
                    line_total: l.line_total,
                    temperature_class: l.temperature_class,
                    parcel: l.parcel_seq,
                    allocations: serde_json::from_str(&l.allocations).unwrap_or_default(),
                    returned_qty: l.returned_qty,
                })
                .collect(),
            parcels: d
                .parcels
                .into_iter()
                .map(|p| ParcelView {
                    id: p.id,
                    seq: p.seq,
                    temperature_class: p.temperature_class,
                    carrier: p.carrier,
                    time_slot: p.time_slot,
                    shipping_fee: p.shipping_fee,
                    cool_fee: p.cool_fee,
                    surcharge: p.surcharge,
                    cod_fee: p.cod_fee,
                    cod_amount: p.cod_amount,
                    cod_tax: p.cod_tax,
                    tracking_number: p.tracking_number,
                    status: p.status.as_str().to_string(),
                    shipped_at: p.shipped_at,
                    delivered_at: p.delivered_at,
                })
                .collect(),
            returns: d
                .returns
                .into_iter()
                .map(|r| OrderReturnView {
                    id: r.id,
                    order_line_id: r.order_line_id,
                    qty: r.qty,
                    disposition: r.disposition,
                    loss_bearer: r.loss_bearer,
                    refund_amount: r.refund_amount,
                    refund_status: r.refund_status,
                    reason: r.reason,
                    created_at: r.created_at,
                })
                .collect(),
            personal_data_purged: o.buyer_data.is_none(),
            buyer: buyer.as_ref().map(|b| b.buyer.clone()),
            ship_to: buyer.and_then(|b| b.ship_to),
            link,
            card_payment: None,
        }
    }
}

/// A page of orders (summaries without personal data).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderSummary>,
    pub next_cursor: Option<String>,
}

/// An order in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: Uuid,
    pub number: String,
    pub source: String,
    pub status: String,
    pub payment_status: String,
    pub fulfilment_status: String,
    pub payment_method: String,
    pub destination_prefecture: String,
    pub grand_total: i64,
    pub created_at: DateTime<Utc>,
}

impl From<entity::shop_order::Model> for OrderSummary {
    fn from(o: entity::shop_order::Model) -> Self {
        Self {
            id: o.id,
            number: o.number,
            source: o.source.as_str().to_string(),
            status: o.status.as_str().to_string(),
            payment_status: o.payment_status.as_str().to_string(),
            fulfilment_status: o.fulfilment_status.as_str().to_string(),
            payment_method: o.payment_method.as_str().to_string(),
            destination_prefecture: o.destination_prefecture,
            grand_total: o.grand_total,
            created_at: o.created_at,
        }
    }
}

/// Filters of the order list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// open, cancelled or closed.
    pub status: Option<String>,
    /// pending, paid, cash_on_delivery, refunded or partially_refunded.
    pub payment_status: Option<String>,
    /// unfulfilled, picking, packed, shipped or delivered.
    pub fulfilment_status: Option<String>,
    /// shop (channels later).
    pub source: Option<String>,
    pub producer_id: Option<Uuid>,
    /// Orders with goods of producers on this island.
    pub island: Option<String>,
    /// Placed on or after (JST date).
    pub from: Option<NaiveDate>,
    /// Placed on or before (JST date).
    pub to: Option<NaiveDate>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The signed link's token.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinkQuery {
    /// The token from the confirmation email's link.
    pub t: String,
}

/// Why an order is cancelled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    pub reason: String,
}
