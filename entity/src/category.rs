//! A catalogue category (seeded internal taxonomy) with its default tax rate.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub parent_code: Option<String>,
    pub name_ja: String,
    pub name_en: String,
    pub food: bool,
    pub alcohol: bool,
    pub default_tax_rate: i16,
}

impl ActiveModelBehavior for ActiveModel {}
