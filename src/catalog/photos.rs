//! Product photos: upload (checked, stripped, resized), listing, serving, deletion.
use super::repo;
use super::{
    images::{self, ImageRejection},
    service::status,
};
use crate::{
    audit::{self, AuditRecord},
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::product_image;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

/// The photos of a product, in order.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    product_id: Uuid,
) -> ApiResult<Vec<product_image::Model>> {
    Ok(repo::images(db, product_id).await?)
}

/// Checks and re-encodes an uploaded photo off the async threads (size and emptiness, content
/// type by its bytes, pixel cap, metadata stripped, resized); at most two decode at once.
///
/// # Errors
/// 413 too large; 422 `file` for empty or bad images.
#[tracing::instrument(skip_all)]
pub async fn prepare(app: &AppState, bytes: Vec<u8>) -> ApiResult<images::Processed> {
    let cfg = &app.settings.uploads;
    if bytes.len() > cfg.max_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: cfg.max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(ApiError::field("file", "is empty"));
    }
    let (max_pixels, max_dim) = (cfg.max_pixels, cfg.max_dimension);
    // At most two photos are decoded at once: each can need a few hundred MB.
    static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let permit = DECODING
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let processed =
        tokio::task::spawn_blocking(move || images::process(&bytes, max_pixels, max_dim))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|r| {
                let msg = match &r {
                    ImageRejection::UnsupportedType => {
                        "must be a JPEG, PNG or WebP image (checked by its content)".to_string()
                    }
                    other => other.to_string(),
                };
                ApiError::field("file", msg)
            })?;
    drop(permit);
    Ok(processed)
}

/// Adds a photo to a product: count and size limits from config, content check, pixel cap,
/// metadata stripped, resized, stored under a generated key.
///
/// # Errors
/// 404 scope; 409 `too_many_images` / `product_retired`; 413 too large; 422 `file` for bad images.
#[tracing::instrument(skip_all)]
pub async fn upload(
    app: &AppState,
    actor: &Actor,
    product_id: Uuid,
    bytes: Vec<u8>,
) -> ApiResult<product_image::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let cfg = &app.settings.uploads;
    let p = super::service::find_in_scope(&app.db, actor, product_id).await?;
    if p.status == status::RETIRED {
        return Err(ApiError::conflict(
            "product_retired",
            "a retired product cannot get photos",
        ));
    }
    if bytes.len() > cfg.max_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: cfg.max_bytes,
        });
    }
    let count = repo::image_count(&app.db, p.id).await?;
    if count >= cfg.max_images_per_product {
        return Err(ApiError::Conflict {
            code: "too_many_images",
            message: format!(
                "a product has at most {} photos",
                cfg.max_images_per_product
            ),
            details: serde_json::json!({ "max": cfg.max_images_per_product }),
        });
    }
    let processed = prepare(app, bytes).await?;
    let id = core::new_id();
    let key = format!(
        "products/{}/{}.{}",
        p.aggregator_id.simple(),
        id.simple(),
        processed.extension
    );
    // Everything after the file is stored either commits or removes the file again.
    let save = async {
        let txn = db::begin_write(&app.db).await?;
        // Counted again inside the write transaction; the position is unique per product, so
        // concurrent uploads cannot both take the last slot.
        let images = repo::images(&txn, p.id).await?;
        if images.len() as u64 >= cfg.max_images_per_product {
            return Err(ApiError::conflict(
                "too_many_images",
                "the photo limit was reached meanwhile",
            ));
        }
        let position = images.iter().map(|i| i.position + 1).max().unwrap_or(0);
        let row = product_image::ActiveModel {
            id: Set(id),
            aggregator_id: Set(p.aggregator_id),
            product_id: Set(p.id),
            storage_key: Set(key.clone()),
            content_type: Set(processed.content_type.into()),
            width: Set(processed.width as i32),
            height: Set(processed.height as i32),
            bytes: Set(processed.bytes.len() as i64),
            position: Set(position),
            created_at: Set(core::now()),
        };
        let model = repo::insert_image(&txn, row)
            .await
            .map_err(|e| match ApiError::from(e) {
                ApiError::Conflict { .. } => ApiError::conflict(
                    "too_many_images",
                    "another photo was added at the same time; try again",
                ),
                other => other,
            })?;
        audit::record(
            &txn,
            AuditRecord {
                aggregator_id: Some(p.aggregator_id),
                actor_user_id: Some(actor.user_id),
                action: "product_image_added",
                subject_type: "product",
                subject_id: Some(p.id.to_string()),
                details: serde_json::json!({ "image_id": id }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok::<_, ApiError>(model)
    };
    crate::storage::put_then(app.storage.as_ref(), &key, processed.bytes.clone(), save).await
}

/// The bytes and content type of a photo. Photos of listed products are public (the shop shows
/// them); others only to the product's producer and its aggregator's staff.
///
/// # Errors
/// 404 when missing or not visible.
#[tracing::instrument(skip_all)]
pub async fn fetch(
    app: &AppState,
    actor: Option<&Actor>,
    id: Uuid,
) -> ApiResult<(Vec<u8>, String)> {
    let img = repo::image(&app.db, id).await?.ok_or(ApiError::NotFound)?;
    let p = repo::product(&app.db, img.product_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if p.status != status::LISTED {
        let a = actor.ok_or(ApiError::NotFound)?;
        super::service::find_in_scope(&app.db, a, p.id)
            .await
            .map_err(|_| ApiError::NotFound)?;
    }
    let bytes = app
        .storage
        .get(&img.storage_key)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    Ok((bytes, img.content_type))
}

/// Removes a photo.
///
/// # Errors
/// 404 scope.
#[tracing::instrument(skip_all)]
pub async fn delete(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let img = repo::image(&app.db, id).await?.ok_or(ApiError::NotFound)?;
    super::service::find_in_scope(&app.db, actor, img.product_id).await?;
    repo::delete_image(&app.db, id).await?;
    app.storage
        .delete(&img.storage_key)
        .await
        .map_err(ApiError::Internal)?;
    Ok(())
}
