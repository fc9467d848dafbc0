//! An order from any source (`shop` now, channels later) with three independent statuses.
//! Buyer and ship-to contacts are personal data: encrypted in `buyer_data`, purged on schedule;
//! the destination prefecture stays for statistics.
use crate::order_status::{
    FulfilmentStatus, OrderSource, OrderStatus, PaymentMethod, PaymentStatus,
};
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_order")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub number: String,
    pub source: OrderSource,
    /// The channel account an imported order came from (None for the shared shop).
    pub channel_id: Option<Uuid>,
    /// The order's id at its channel, unique per channel account.
    pub external_id: Option<String>,
    pub status: OrderStatus,
    pub payment_status: PaymentStatus,
    pub fulfilment_status: FulfilmentStatus,
    pub payment_method: PaymentMethod,
    /// Encrypted buyer and ship-to contacts (None once purged).
    pub buyer_data: Option<String>,
    pub personal_purged_at: Option<DateTimeUtc>,
    pub destination_prefecture: String,
    pub destination_municipality: Option<String>,
    pub time_slot: Option<String>,
    pub delivery_date: Option<Date>,
    pub goods_total: i64,
    pub shipping_total: i64,
    pub cool_total: i64,
    pub surcharge_total: i64,
    pub cod_fee: i64,
    /// Tax-included sum of the 8 % items.
    pub total8: i64,
    /// Tax-included sum of the 10 % items and every fee.
    pub total10: i64,
    pub tax8: i64,
    pub tax10: i64,
    pub grand_total: i64,
    pub currency: String,
    /// Yen per one unit of `currency`, in parts per million (1,000,000 for yen).
    pub fx_rate_ppm: i64,
    /// ISO 3166-1 alpha-2 (`JP`, `SG`).
    pub destination_country: String,
    pub refunded_total: i64,
    /// Refunds recorded as owed to the buyer (bank transfer, cash on delivery).
    pub refund_owed: i64,
    pub reservation_id: Option<Uuid>,
    pub client_key: String,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    pub pay_by: Option<DateTimeUtc>,
    pub paid_at: Option<DateTimeUtc>,
    pub payment_intent_id: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub shipped_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    /// Why staff must look at the order (JSON list of `{code, detail}`: `oversold`,
    /// `buyer_name`), None when nothing is wrong. Not a status: the order flows as usual.
    pub attention: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
