//! The aggregator's bank profile for Zengin 総合振込 files: what its bank assigned (依頼人コード),
//! the account paid from, the line break the bank wants, and the layout of the bank's result
//! file. One per aggregator.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_profile")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub aggregator_id: Uuid,
    /// 依頼人コード, 10 digits.
    pub requester_code: String,
    /// 依頼人名 in Zengin kana (40 bytes at most).
    pub requester_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    /// 預金種目 code: 1 普通, 2 当座, 9 その他.
    pub account_type: String,
    pub account_number: String,
    /// `crlf` or `none`.
    pub line_break: String,
    /// 振込指定区分: 7 電信, 8 文書.
    pub transfer_kind: String,
    /// Payables below this (yen) carry over to the next run.
    pub minimum_payout: i64,
    /// `utf-8` or `shift_jis`.
    pub result_encoding: String,
    pub result_has_header: bool,
    /// 1-based columns of 顧客コード1 and of the result in the bank's result CSV.
    pub result_code_column: i16,
    pub result_status_column: i16,
    /// Comma-separated result values that mean "paid"; any other value is a failure.
    pub result_paid_values: String,
    pub updated_by: Uuid,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
