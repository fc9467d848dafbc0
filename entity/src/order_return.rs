//! Units of an order line that came back after delivery: restocked or disposed, who bears a
//! loss, and the refund (paid back through the provider, or owed to the buyer).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_return")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub order_id: Uuid,
    pub order_line_id: Uuid,
    pub qty: i64,
    pub disposition: String,
    pub loss_bearer: Option<String>,
    pub refund_amount: i64,
    pub refund_status: String,
    pub provider_refund_id: Option<String>,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    /// The return request this row belongs to (one per Idempotency-Key).
    pub batch_id: Option<Uuid>,
    pub request_hash: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
