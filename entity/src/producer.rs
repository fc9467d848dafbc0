//! A producer (生産者): a small business or individual selling through the aggregator.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "producer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub status: String,
    pub status_reason: Option<String>,
    pub legal_name: String,
    pub legal_name_kana: String,
    pub representative: String,
    pub municipality_code: String,
    pub island_code: Option<String>,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub invoice_number: Option<String>,
    pub tax_exempt: bool,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub account_holder_kana: String,
    pub locale: String,
    pub consent_at: DateTimeUtc,
    pub registered_by: Option<Uuid>,
    pub email_confirmed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// How the producer hears of sales: per_order, daily_digest or off.
    pub sold_notice: String,
    /// The day the producer notified the aggregator of its invoice registration (媒介者交付特例
    /// applies to sales from that day on).
    pub invoice_notified_on: Option<Date>,
}

impl ActiveModelBehavior for ActiveModel {}
