//! An append-only ledger entry: what changed on a lot, why, and who bears a loss.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub lot_id: Uuid,
    pub sku_id: Uuid,
    pub kind: String,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub cause_type: String,
    pub cause_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub loss_bearer: Option<String>,
    pub reason: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
