//! Buyer personal data at rest (sealed with the deployment's secret, see
//! [`crate::core::sealed`]), and the signed order links (HMAC-SHA256 over the order id) that
//! guests, who have no account, use to follow their order.
use super::domain::BuyerData;
use crate::{
    core::sealed,
    error::{ApiError, ApiResult},
    state::AppState,
};
use entity::shop_order;
use secrecy::ExposeSecret;
use uuid::Uuid;

const PERSONAL_DATA: &str = "personal-data-v1";
const ORDER_LINK: &str = "order-link-v1";

/// Seals an order's buyer data for storage.
///
/// # Errors
/// Serialisation or encryption failure (500).
pub fn seal_buyer(app: &AppState, buyer: &BuyerData) -> ApiResult<String> {
    let plain = serde_json::to_vec(buyer).map_err(|e| ApiError::Internal(e.into()))?;
    sealed::seal(
        app.settings.auth.secret_key.expose_secret(),
        PERSONAL_DATA,
        &plain,
    )
    .map_err(ApiError::Internal)
}

/// Reads the personal data of an order (None once purged).
///
/// # Errors
/// A record that no longer decrypts (wrong key).
pub fn buyer_of(app: &AppState, o: &shop_order::Model) -> ApiResult<Option<BuyerData>> {
    let Some(stored) = &o.buyer_data else {
        return Ok(None);
    };
    let plain = sealed::open(
        app.settings.auth.secret_key.expose_secret(),
        PERSONAL_DATA,
        stored,
    )
    .map_err(ApiError::Internal)?;
    Ok(Some(
        serde_json::from_slice(&plain).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}

/// The token of an order's signed link.
pub fn order_token(settings: &crate::config::Settings, order_id: Uuid) -> String {
    sealed::tag(
        settings.auth.secret_key.expose_secret(),
        ORDER_LINK,
        order_id.as_bytes(),
    )
}

/// Whether `token` is the signed link token of `order_id` (constant time).
pub fn check_order_token(settings: &crate::config::Settings, order_id: Uuid, token: &str) -> bool {
    let expected = order_token(settings, order_id);
    !expected.is_empty() && crate::core::secrets::constant_time_eq(&expected, token)
}
