//! One SKU of an order: the producer it is sold for, price and tax rate at the time of sale,
//! the lots it took units from, and how many came back.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub producer_id: Uuid,
    pub product_id: Uuid,
    pub sku_id: Uuid,
    pub title: String,
    pub sku_code: String,
    pub qty: i64,
    pub unit_price: i64,
    pub tax_rate: i16,
    pub line_total: i64,
    pub temperature_class: String,
    /// The parcel (per temperature class) this line travels in.
    pub parcel_seq: i32,
    /// JSON array of {lot_id, qty}.
    pub allocations: String,
    pub returned_qty: i64,
    pub created_at: DateTimeUtc,
    /// When the producer was told of this sale (per-order email or daily digest).
    pub producer_notified_at: Option<DateTimeUtc>,
    /// The qualified-invoice rule of the sale (`intermediary`, `agent` or `none`), frozen when
    /// the order was placed; absent for lines placed before rules were kept.
    pub invoice_rule: Option<String>,
    /// The producer's registration number at that time, when it had one.
    pub seller_invoice_number: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
