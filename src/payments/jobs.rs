//! The payments area's job kinds.
use crate::jobs::{Job, Registry};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Refund a card payment through the provider (`shop.card_refund`; the same Idempotency-Key
/// `key` on every attempt). `batch_id` names the return rows it settles.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardRefund {
    pub order_id: Uuid,
    pub amount: i64,
    pub key: String,
    #[serde(default)]
    pub batch_id: Option<Uuid>,
}

impl Job for CardRefund {
    const KIND: &'static str = "shop.card_refund";
}

/// Registers the kinds.
pub fn register(reg: &mut Registry) {
    reg.job(|app, p: CardRefund, _| async move { super::refund_job(&app, p).await });
}
