//! One balanced, immutable ledger transaction: what booked it (`kind`, and a `source_ref`
//! unique per tenant, so a replayed event books nothing twice), the JST date of the event and
//! the period it falls in; a correction is a new transaction that `reverses_id` another.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_transaction")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub period_id: Uuid,
    pub kind: String,
    pub source_ref: String,
    pub occurred_on: Date,
    pub order_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub reverses_id: Option<Uuid>,
    pub memo: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
