//! A sale as the ledger booked it, frozen when its parcel shipped: one order line, its
//! producer, channel and payment route, the JST date and period, and the amount per tax rate.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub order_line_id: Uuid,
    pub parcel_seq: i32,
    pub producer_id: Uuid,
    pub source: String,
    pub channel_id: Option<Uuid>,
    pub payment_method: String,
    pub category_code: String,
    pub sold_on: Date,
    pub period_id: Uuid,
    pub transaction_id: Uuid,
    pub title: String,
    pub sku_code: String,
    pub qty: i64,
    pub unit_price: i64,
    pub tax_rate: i16,
    pub amount: i64,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
