//! An island producers ship from, seeded reference data.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "island")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub municipality_code: Option<String>,
    pub prefecture_code: String,
    pub group_ja: String,
    pub group_en: String,
}

impl ActiveModelBehavior for ActiveModel {}
