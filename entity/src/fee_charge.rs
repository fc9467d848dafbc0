//! A fee charged in a ledger transaction, with the rule version that applied frozen as it was
//! (`rule_snapshot`), so later rule changes never rewrite what a sale was charged.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fee_charge")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub producer_id: Uuid,
    pub period_id: Uuid,
    pub transaction_id: Uuid,
    pub fee_type: String,
    /// What it was charged on: an order line, `order:{order}:{producer}` or
    /// `parcel:{order}:{seq}:{producer}`.
    pub subject_key: String,
    /// Yen, tax included (negative when a return reverses it).
    pub amount: i64,
    pub tax_rate: i16,
    pub rule_id: Uuid,
    pub rule_version: i32,
    pub rule_snapshot: String,
    pub fund_id: Option<Uuid>,
    pub bearer: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
