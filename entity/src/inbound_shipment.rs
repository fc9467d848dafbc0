//! An advance shipping notice (ASN) from a producer.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_shipment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    pub status: String,
    pub temperature_class: String,
    pub transport: String,
    pub ship_date: Option<Date>,
    pub expected_arrival: Option<Date>,
    pub boxes: i32,
    pub notes: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
