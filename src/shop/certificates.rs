//! Plant-quarantine certificates recorded on products (DOMAIN-JP.md §3).
use crate::{
    audit::{self, AuditRecord},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use uuid::Uuid;

/// Sets (or, when empty or absent, clears) the certificate of product `id` of the caller's
/// aggregator (operators and admins), audit-logged.
///
/// # Errors
/// 403; 404 outside the tenant; 422 `certificate`.
#[tracing::instrument(skip_all)]
pub async fn set(app: &AppState, actor: &Actor, id: Uuid, cert: Option<&str>) -> ApiResult<()> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let cert = match cert.map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(
            crate::core::validate::text(c, 64).map_err(|m| ApiError::field("certificate", m))?,
        ),
    };
    let txn = db::begin_write(&app.db).await?;
    if super::repo::set_certificate(&txn, agg, id, cert.clone()).await? != 1 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "quarantine_certificate_set",
            subject_type: "product",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "certificate": cert }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
