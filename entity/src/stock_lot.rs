//! A lot of one SKU in the warehouse, with its balance (kept with the ledger).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_lot")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    pub sku_id: Uuid,
    pub lot_code: String,
    pub best_before: Date,
    pub location_id: Option<Uuid>,
    pub on_hand: i64,
    pub reserved: i64,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
