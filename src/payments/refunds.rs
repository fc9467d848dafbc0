//! Card refunds: the `payments.card_refund` subscriber of the order core's `RefundDue` events
//! asks the provider to pay the money back, then books it through the order core — once per
//! refund key, however often the delivery runs.
use super::provider::{Provider, ProviderError};
use crate::{
    db,
    error::ApiError,
    jobs::JobError,
    orders::{events::RefundDue, service as orders},
    state::AppState,
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
    if super::repo::refund_settled(&app.db, key)
        .await
        .map_err(retry)?
    {
        return Ok(());
    }
    let o = super::repo::order(&app.db, order_id)
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
        let marked =
            super::repo::record_event(&txn, "refund", key, "refund_settled", Some(o.id)).await;
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
