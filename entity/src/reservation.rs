//! A hold on stock (an order or an operator's hold), with its lot allocations.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub status: String,
    pub expires_at: Option<DateTimeUtc>,
    pub destination_prefecture: Option<String>,
    pub reference: String,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
