//! A producer's statement for a closed period (売上計算書 / 委託販売精算書, also the copy
//! 媒介者交付特例 requires): who, the totals and tax per rate, the aggregator's charges and
//! their tax, the fund share, the opening balance and the net payable.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "statement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub period_id: Uuid,
    pub producer_id: Uuid,
    pub number: String,
    pub locale: String,
    pub producer_name: String,
    pub producer_address: String,
    pub producer_invoice_number: Option<String>,
    pub aggregator_name: String,
    pub aggregator_invoice_number: Option<String>,
    pub sales0: i64,
    pub sales8: i64,
    pub tax8: i64,
    pub sales10: i64,
    pub tax10: i64,
    pub returns8: i64,
    pub returns_tax8: i64,
    pub returns10: i64,
    pub returns_tax10: i64,
    /// The aggregator's charges (commission, channel, hub and payment fees), tax included.
    pub charges_total: i64,
    pub charges_tax10: i64,
    /// Community-fund shares the producer bore.
    pub fund_share: i64,
    pub opening_balance: i64,
    pub net_payable: i64,
    /// Some of the sales were invoiced under the aggregator's number (媒介者交付特例).
    pub intermediary: bool,
    pub created_at: DateTimeUtc,
    /// The PDF the close's job rendered and kept (every download and the email's attachment
    /// are these bytes); `None` until the job ran.
    pub pdf_key: Option<String>,
    pub pdf_sha256: Option<String>,
    /// The language it was rendered in (the producer's).
    pub pdf_locale: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
