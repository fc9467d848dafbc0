//! Units lost from a lot, as a producer's statement lists them: who bore the loss and what the
//! producer was credited for it (nothing when it bore the loss itself).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_loss")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    pub period_id: Uuid,
    /// The stock adjustment that recorded the loss (one row each).
    pub adjustment_id: Uuid,
    pub lot_id: Uuid,
    pub sku_code: String,
    pub title: String,
    pub qty: i64,
    /// The SKU's price (tax included) when the loss was booked.
    pub unit_price: i64,
    /// `producer`, `aggregator` or `carrier`.
    pub bearer: String,
    /// What the producer was credited (0 when it bore the loss).
    pub credit: i64,
    pub transaction_id: Option<Uuid>,
    pub lost_on: Date,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
