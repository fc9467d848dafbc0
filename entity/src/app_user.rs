//! A person or program account with one role.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub producer_id: Option<Uuid>,
    pub prefecture_code: Option<String>,
    pub locale: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
