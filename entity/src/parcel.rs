//! One parcel of an order: a single temperature class, many producers' goods.
use crate::order_status::ParcelStatus;
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "parcel")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub seq: i32,
    pub temperature_class: String,
    pub carrier: String,
    pub time_slot: Option<String>,
    pub delivery_date: Option<Date>,
    pub shipping_fee: i64,
    pub cool_fee: i64,
    pub surcharge: i64,
    /// Cash on delivery: this parcel's slip fee, the amount it collects (tax included; 0 =
    /// prepaid) and the consumption tax in that amount.
    pub cod_fee: i64,
    pub cod_amount: i64,
    pub cod_tax: i64,
    pub tracking_number: Option<String>,
    pub status: ParcelStatus,
    pub packed_at: Option<DateTimeUtc>,
    pub shipped_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
