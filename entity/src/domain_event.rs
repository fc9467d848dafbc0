//! A domain event: what happened (order placed / paid / shipped / returned / cancelled, stock
//! changed), recorded in the transaction that made it happen; append-only.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Option<Uuid>,
    pub kind: String,
    pub subject_id: Option<Uuid>,
    /// The event as JSON (never personal data).
    pub payload: String,
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
