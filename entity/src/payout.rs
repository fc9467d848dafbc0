//! One transfer in a payout run: to a producer (its payable) or a community fund, with the
//! account as it was at preparation, the 顧客コード1 the bank's result is matched on, and the
//! ledger transactions that moved it (to payouts in transit; back on failure or
//! cancellation; to the bank when paid).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub run_id: Uuid,
    pub period_id: Uuid,
    /// `producer`, `fund` or `refund`.
    pub kind: String,
    pub producer_id: Option<Uuid>,
    pub fund_id: Option<Uuid>,
    pub amount: i64,
    pub bank_code: String,
    pub branch_code: String,
    /// Zengin 預金種目 code (1, 2, 4 or 9).
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
    /// 新規コード: 1 first transfer to this payee, 2 account changed, 0 otherwise.
    pub new_code: String,
    /// 顧客コード1, 10 digits, unique per tenant.
    pub customer_code: String,
    /// `pending`, `paid`, `failed` or `released`.
    pub status: String,
    pub transaction_id: Uuid,
    pub reversal_id: Option<Uuid>,
    pub settled_id: Option<Uuid>,
    pub result_code: Option<String>,
    pub result_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// For a refund to a buyer: the order it refunds.
    pub order_id: Option<Uuid>,
    /// For a refund to a buyer: type, number and holder of the account, sealed like buyer
    /// data (the plain columns then hold only bank and branch).
    pub sealed_account: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
