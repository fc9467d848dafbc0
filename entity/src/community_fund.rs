//! A named fund fed by a share of sales (e.g. a town's まちづくり基金).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "community_fund")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub name_ja: String,
    pub name_en: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// The account the fund's payouts go to (Zengin fields, holder in bank kana).
    pub bank_code: Option<String>,
    pub branch_code: Option<String>,
    pub account_type: Option<String>,
    pub account_number: Option<String>,
    pub account_holder_kana: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
