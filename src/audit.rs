//! Writing `audit_event` rows (inside the caller's transaction when there is one).
use crate::{core, error::current_request_id};
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryTrait, Set, Statement,
};
use serde_json::Value;
use uuid::Uuid;

/// One audit record to write.
pub struct AuditRecord<'a> {
    pub aggregator_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    /// What happened, e.g. `login`, `login_failed`, `token_created`, `role_changed`.
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<String>,
    /// Non-personal details (never passwords, tokens or addresses).
    pub details: Value,
}

/// Appends an audit event.
///
/// # Errors
/// The insert fails.
pub async fn record(db: &impl ConnectionTrait, rec: AuditRecord<'_>) -> Result<(), DbErr> {
    row(rec).insert(db).await?;
    Ok(())
}

/// The insert statement of an audit event (for callers that send several statements at once).
pub fn statement(backend: DbBackend, rec: AuditRecord<'_>) -> Statement {
    audit_event::Entity::insert(row(rec)).build(backend)
}

/// The audit row `rec` becomes (for callers that insert several rows at once).
pub fn row(rec: AuditRecord<'_>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(rec.aggregator_id),
        actor_user_id: Set(rec.actor_user_id),
        action: Set(rec.action.to_string()),
        subject_type: Set(rec.subject_type.to_string()),
        subject_id: Set(rec.subject_id),
        details: Set(rec.details.to_string()),
        request_id: Set(current_request_id()),
        created_at: Set(core::now()),
    }
}
