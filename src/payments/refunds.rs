//! Card refunds: the `payments.card_refund` subscriber of the order core's `RefundDue` events
//! asks the provider to pay the money back, then books it through the order core — once per
//! refund key, however often the delivery runs.
use super::provider::{Provider, ProviderError};
use crate::{
    core, db,
    error::ApiError,
    jobs::JobError,
    orders::{events::RefundDue, service as orders},
    state::AppState,
};
use entity::{payment_event, shop_order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

/// Pays a refund that is due on a card order back through the provider (same Idempotency-Key
/// on every attempt), then books it on the order once (the settlement marker below).
///
/// # Errors
/// Retry on provider or database trouble; pause when the provider refuses our credentials or
/// cards are not configured; reject a refund the provider refuses or an order without a card
/// payment.
#[tracing::instrument(skip_all)]
pub async fn refund(app: &AppState, due: &RefundDue) -> Result<(), JobError> {
    let (order_id, amount, key, batch) = (due.order_id, due.amount, due.key.as_str(), due.batch_id);
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    // Already settled (the job ran to its commit before): nothing to ask the provider again.
    if settled(&app.db, key).await.map_err(retry)? {
        return Ok(());
    }
    let o = shop_order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await
        .map_err(retry)?
        .ok_or_else(|| JobError::Reject(format!("order {order_id} is gone")))?;
    let Some(intent) = o.payment_intent_id.clone() else {
        return Err(JobError::Reject(format!(
            "order {} has no card payment",
            o.number
        )));
    };
    let provider =
        Provider::new(&app.settings.payments).map_err(|e| JobError::Pause(e.to_string()))?;
    let refund = provider
        .refund(&intent, amount, key)
        .await
        .map_err(|e| match e {
            ProviderError::Transient(m) => JobError::Retry(m),
            ProviderError::Credentials(m) => JobError::Pause(m),
            ProviderError::NotConfigured => {
                JobError::Pause("card payments are not configured".into())
            }
            ProviderError::Refused(m) => JobError::Reject(m),
        })?;
    let txn = db::begin_write(&app.db)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let work = async {
        // The settlement marker: one per refund key, in the same transaction as the totals, so
        // a job run twice books the refund once.
        let marked = payment_event::ActiveModel {
            id: Set(core::new_id()),
            provider: Set("refund".into()),
            event_id: Set(key.to_string()),
            kind: Set("refund_settled".into()),
            order_id: Set(Some(o.id)),
            received_at: Set(core::now()),
        }
        .insert(&txn)
        .await;
        if let Err(e) = marked {
            return match ApiError::from(e) {
                ApiError::Conflict { .. } => Ok(false),
                other => Err(other),
            };
        }
        orders::record_card_refund(app, &txn, o.id, amount, key, batch, &refund.id).await?;
        Ok::<bool, ApiError>(true)
    };
    let booked = work.await.map_err(|e| JobError::Retry(e.to_string()))?;
    if booked {
        txn.commit()
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
    }
    Ok(())
}

/// Whether the refund with this key was already booked.
async fn settled(db: &impl ConnectionTrait, key: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(payment_event::Entity::find()
        .filter(payment_event::Column::Provider.eq("refund"))
        .filter(payment_event::Column::EventId.eq(key))
        .one(db)
        .await?
        .is_some())
}
