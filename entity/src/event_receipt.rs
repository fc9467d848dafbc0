//! A subscriber's record that it handled one domain event (so a replay has one effect).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_receipt")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscriber: String,
    pub handled_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
