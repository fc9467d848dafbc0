//! A payment-provider webhook event already handled (deduplicated by provider + event id).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider: String,
    pub event_id: String,
    pub kind: String,
    pub order_id: Option<Uuid>,
    pub received_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
