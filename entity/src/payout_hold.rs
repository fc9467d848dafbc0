//! A hold on a producer's payouts (a dispute, or a transfer the bank returned) until released.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_hold")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    /// `dispute` or `transfer_failed`.
    pub reason: String,
    pub note: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub released_by: Option<Uuid>,
    pub released_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
