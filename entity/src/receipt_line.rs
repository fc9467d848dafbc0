//! What one receiving event counted for one shipment line.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receipt_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub receipt_id: Uuid,
    pub line_id: Uuid,
    pub received: i64,
    pub damaged: i64,
    pub refused: i64,
    pub location_id: Option<Uuid>,
    pub lot_id: Option<Uuid>,
    /// Who bears the damaged units: producer, aggregator or carrier.
    pub damage_bearer: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
