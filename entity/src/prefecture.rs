//! A prefecture (JIS X 0401), seeded reference data.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prefecture")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

impl ActiveModelBehavior for ActiveModel {}
