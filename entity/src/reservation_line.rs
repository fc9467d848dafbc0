//! Units of one lot held by a reservation.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservation_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub reservation_id: Uuid,
    pub sku_id: Uuid,
    pub lot_id: Uuid,
    pub qty: i64,
    /// Units that came back after shipment (restocked or disposed); at most `qty`.
    pub returned_qty: i64,
}

impl ActiveModelBehavior for ActiveModel {}
