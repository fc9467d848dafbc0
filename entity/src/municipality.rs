//! A municipality (JIS X 0402 code without check digit), seeded reference data.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "municipality")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub prefecture_code: String,
    pub name_ja: String,
    pub name_kana: String,
    pub name_en: String,
}

impl ActiveModelBehavior for ActiveModel {}
