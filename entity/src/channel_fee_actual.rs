//! What a channel reported it kept of one order (its fee, tax included) and how much of that
//! the ledger holds: the difference is booked as a correcting entry that replaces the fee
//! rule's estimate once the order's sale is booked.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_fee_actual")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub channel_id: Uuid,
    /// The channel's fee for the order as last reported (yen, tax included).
    pub reported: i64,
    /// What of it the ledger holds (the channel's deduction booked so far).
    pub booked: i64,
    /// Counts the corrections booked (each has its own source reference).
    pub revision: i32,
    /// `adapter` (the channel's API said so) or `csv` (finance imported the fee statement).
    pub source: String,
    pub reported_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
