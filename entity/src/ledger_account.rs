//! A ledger account of an aggregator: a code (`producer_payable`, `revenue.commission`, …) and
//! the subject it is kept for (a producer, fund, carrier or channel id; empty for none), with
//! its running balance (debits minus credits), kept in the posting's transaction.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub code: String,
    pub subject_key: String,
    /// `asset`, `liability`, `revenue` or `expense`.
    pub kind: String,
    pub balance: i64,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
