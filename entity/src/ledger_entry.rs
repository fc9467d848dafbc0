//! One side of a ledger transaction on one account: a debit or a credit (never both).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub transaction_id: Uuid,
    pub account_id: Uuid,
    pub period_id: Uuid,
    pub producer_id: Option<Uuid>,
    pub debit: i64,
    pub credit: i64,
}

impl ActiveModelBehavior for ActiveModel {}
