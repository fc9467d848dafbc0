//! Plant-quarantine certificates recorded on products (DOMAIN-JP.md §3).
use crate::{
    audit::{self, AuditRecord},
    db,
    error::{ApiError, ApiResult},
    startup::AppState,
};
use entity::product;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

/// Sets or clears the certificate of product `id` in aggregator `agg`, audit-logged.
///
/// # Errors
/// 404 outside the tenant.
pub async fn set(
    app: &AppState,
    agg: Uuid,
    user: Uuid,
    id: Uuid,
    cert: Option<String>,
) -> ApiResult<()> {
    let txn = db::begin_write(&app.db).await?;
    let r = product::Entity::update_many()
        .col_expr(
            product::Column::QuarantineCertificate,
            Expr::value(cert.clone()),
        )
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::AggregatorId.eq(agg))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(user),
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
