//! One cell of the daily sales rollup (officer analytics): a JST day × aggregator × producer
//! (its municipality and island as they were) × category × channel × domestic/overseas ×
//! destination prefecture, with additive facts.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_daily")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub day: Date,
    pub producer_id: Uuid,
    pub municipality_code: String,
    /// Empty when the producer is not on a listed island.
    pub island_code: String,
    pub category_code: String,
    /// `shop` or the channel account's id.
    pub channel: String,
    /// `domestic` or `overseas`.
    pub market: String,
    pub destination_prefecture: String,
    /// Tax included.
    pub sales_incl: i64,
    /// The order's per-rate tax apportioned to its lines taken out.
    pub sales_excl: i64,
    pub units: i64,
    pub lines: i64,
    pub returns_incl: i64,
    pub returns_units: i64,
    pub refunds: i64,
    /// Orders with a line in this cell (never summed across producers in reports).
    pub orders: i64,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
