//! The order core's rule failures, each with its stable code (defined here once) and HTTP
//! status; converted into the API's error body at the edge.
use super::domain::{FulfilmentStatus, OrderStatus, PaymentStatus};
use crate::error::ApiError;
use entity::shop_order;
use uuid::Uuid;

/// Why the order core refused a request.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// 409 `invalid_transition`: the order's statuses do not allow the step.
    #[error("cannot {what}: order {number} is {status} / {payment} / {fulfilment}")]
    InvalidTransition {
        what: String,
        order_id: Uuid,
        number: String,
        status: OrderStatus,
        payment: PaymentStatus,
        fulfilment: FulfilmentStatus,
    },
    /// 409 `return_exceeds_shipped`: more units back than shipped (and not yet returned).
    #[error("lines[{line}]: {shipped} shipped, {returned} already returned")]
    ReturnExceedsShipped {
        line: usize,
        shipped: i64,
        returned: i64,
    },
    /// 409 `personal_data_purged`: the address a label needs was erased.
    #[error("order {number} no longer holds an address")]
    PersonalDataPurged { number: String },
    /// 409 `carrier_not_configured`: the seller or the carrier account is missing.
    #[error(
        "set the seller's name, phone and address and yamato_customer_code in the shop settings first"
    )]
    CarrierNotConfigured,
    /// 422 `idempotency_key_reused`: the key was used with another request body.
    #[error("this Idempotency-Key was used with a different {what}")]
    IdempotencyKeyReused { what: &'static str },
    /// 409 `idempotency_in_progress`: the first request with this key is still being placed.
    #[error("an order with this Idempotency-Key is being placed")]
    IdempotencyInProgress,
}

impl OrderError {
    /// 409 `invalid_transition` for `o` (what was tried, e.g. "ship it").
    pub fn invalid(o: &shop_order::Model, what: &str) -> Self {
        Self::InvalidTransition {
            what: what.to_string(),
            order_id: o.id,
            number: o.number.clone(),
            status: o.status,
            payment: o.payment_status,
            fulfilment: o.fulfilment_status,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::ReturnExceedsShipped { .. } => "return_exceeds_shipped",
            Self::PersonalDataPurged { .. } => "personal_data_purged",
            Self::CarrierNotConfigured => "carrier_not_configured",
            Self::IdempotencyKeyReused { .. } => "idempotency_key_reused",
            Self::IdempotencyInProgress => "idempotency_in_progress",
        }
    }
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        let code = e.code();
        let message = e.to_string();
        let details = match &e {
            OrderError::InvalidTransition {
                order_id,
                number,
                status,
                payment,
                fulfilment,
                ..
            } => serde_json::json!({
                "order_id": order_id, "number": number, "status": status,
                "payment_status": payment, "fulfilment_status": fulfilment,
            }),
            OrderError::ReturnExceedsShipped {
                line,
                shipped,
                returned,
            } => serde_json::json!({ "line": line, "shipped": shipped, "returned": returned }),
            _ => serde_json::json!({}),
        };
        match e {
            OrderError::IdempotencyKeyReused { .. } => ApiError::Unprocessable {
                code,
                message,
                details,
            },
            _ => ApiError::Conflict {
                code,
                message,
                details,
            },
        }
    }
}
