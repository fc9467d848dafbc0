//! The bank account a buyer gave for the refund of a bank-transfer or cash-on-delivery order,
//! sealed like other buyer data.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: Uuid,
    pub aggregator_id: Uuid,
    /// The account (bank, branch, type, number, holder kana) as sealed JSON.
    pub sealed: String,
    pub bank_code: String,
    pub entered_by: Uuid,
    pub entered_at: DateTimeUtc,
    /// The bank returned a transfer to it: staff enter it again before the next run.
    pub failed_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
