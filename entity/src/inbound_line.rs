//! A declared line of an inbound shipment, with what has arrived so far.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub shipment_id: Uuid,
    pub sku_id: Uuid,
    pub declared_qty: i64,
    pub lot_code: String,
    pub best_before: Date,
    pub received_qty: i64,
    pub damaged_qty: i64,
    pub refused_qty: i64,
}

impl ActiveModelBehavior for ActiveModel {}
