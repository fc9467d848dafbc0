//! An aggregator's shop settings (fees, payment methods, shop-law text) as a JSON document
//! validated by the application.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub aggregator_id: Uuid,
    pub body: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
