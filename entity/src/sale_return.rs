//! A return as the ledger booked it: the returned units of one order line in one return, in
//! the period of the day they came back.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_return")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub order_return_id: Uuid,
    pub order_line_id: Uuid,
    pub producer_id: Uuid,
    pub period_id: Uuid,
    pub transaction_id: Uuid,
    pub title: String,
    pub qty: i64,
    pub unit_price: i64,
    pub tax_rate: i16,
    pub amount: i64,
    pub returned_on: Date,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
