//! A sellable variant of a product, priced tax-included in yen.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sku")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    pub product_id: Uuid,
    pub code: String,
    pub name: String,
    pub jan: Option<String>,
    pub jan_local_only: bool,
    pub price_yen: i64,
    pub weight_g: i32,
    pub low_stock_threshold: i32,
    pub active: bool,
    pub low_stock_flagged: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
