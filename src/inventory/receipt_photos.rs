//! Photos of receiving events (a crushed box, a label, a thermometer): taken by operators,
//! checked and stripped like product photos, visible to the aggregator's staff and to the
//! producer whose shipment it is.
use super::repo;
use super::shipments;
use crate::{
    audit::{self, AuditRecord},
    catalog::photos,
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::receipt_photo;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// Photos per receiving event.
pub const MAX_PER_RECEIPT: u64 = 10;

/// Adds a photo to receiving event `receipt_id` of shipment `shipment_id` (operators).
///
/// # Errors
/// 403; 404 scope; 409 `too_many_images`; 413; 422 `file`.
#[tracing::instrument(skip_all)]
pub async fn upload(
    app: &AppState,
    actor: &Actor,
    shipment_id: Uuid,
    receipt_id: Uuid,
    bytes: Vec<u8>,
) -> ApiResult<receipt_photo::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let s = shipments::find(&app.db, actor, shipment_id).await?;
    let r = repo::receipt(&app.db, s.id, receipt_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let count = || repo::photo_count(&app.db, r.id);
    let full = || ApiError::Conflict {
        code: "too_many_images",
        message: format!("a receiving event has at most {MAX_PER_RECEIPT} photos"),
        details: serde_json::json!({ "max": MAX_PER_RECEIPT }),
    };
    if count().await? >= MAX_PER_RECEIPT {
        return Err(full());
    }
    let processed = photos::prepare(app, bytes).await?;
    let id = core::new_id();
    let key = format!(
        "receipts/{}/{}.{}",
        s.aggregator_id.simple(),
        id.simple(),
        processed.extension
    );
    // Everything after the file is stored either commits or removes the file again.
    let save = async {
        let txn = db::begin_write(&app.db).await?;
        let n = repo::photo_count(&txn, r.id).await?;
        if n >= MAX_PER_RECEIPT {
            return Err(full());
        }
        let row = receipt_photo::ActiveModel {
            id: Set(id),
            aggregator_id: Set(s.aggregator_id),
            shipment_id: Set(s.id),
            receipt_id: Set(r.id),
            storage_key: Set(key.clone()),
            content_type: Set(processed.content_type.into()),
            width: Set(processed.width as i32),
            height: Set(processed.height as i32),
            bytes: Set(processed.bytes.len() as i64),
            created_by: Set(actor.user_id),
            created_at: Set(core::now()),
        };
        let model = repo::insert(&txn, row).await?;
        audit::record(
            &txn,
            AuditRecord {
                aggregator_id: Some(s.aggregator_id),
                actor_user_id: Some(actor.user_id),
                action: "receipt_photo_added",
                subject_type: "receipt",
                subject_id: Some(r.id.to_string()),
                details: serde_json::json!({ "photo_id": id, "shipment_id": s.id }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok::<_, ApiError>(model)
    };
    crate::storage::put_then(app.storage.as_ref(), &key, processed.bytes.clone(), save).await
}

/// The bytes and content type of a receiving photo: the aggregator's staff and the shipment's
/// producer see it; everyone else gets 404.
///
/// # Errors
/// 404 when missing or not visible.
#[tracing::instrument(skip_all)]
pub async fn fetch(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<(Vec<u8>, String)> {
    let p = repo::photo(&app.db, id).await?.ok_or(ApiError::NotFound)?;
    shipments::find(&app.db, actor, p.shipment_id)
        .await
        .map_err(|_| ApiError::NotFound)?;
    let bytes = app
        .storage
        .get(&p.storage_key)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    Ok((bytes, p.content_type))
}
