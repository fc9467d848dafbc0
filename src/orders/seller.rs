//! Who sells: the seller data the order core prints on receipts, labels and emails (name,
//! address, registration number, the tax rounding rule, the carrier account, the payment and
//! delivery texts). The shop owns these settings; it registers a [`SellerSource`] so the order
//! core reads them without importing the shop.
use crate::{error::ApiResult, state::AppState};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use uuid::Uuid;

/// The seller of an aggregator's orders, as the order core needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SellerProfile {
    pub name: String,
    pub responsible_person: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    /// Qualified-invoice registration number (`T` + 13 digits), when registered.
    pub invoice_number: Option<String>,
    /// `floor`, `ceil` or `half_up`: how tax is rounded once per rate.
    pub tax_rounding: String,
    /// Yamato B2 Cloud 請求先顧客コード (empty until set).
    pub yamato_customer_code: String,
    /// Where buyers transfer money (in the confirmation email).
    pub bank_transfer_instructions: String,
    pub delivery_text: String,
    pub cancellation_text: String,
}

/// Loads the seller of an aggregator.
pub type SellerFn = for<'a> fn(&'a AppState, Uuid) -> BoxFuture<'a, ApiResult<Arc<SellerProfile>>>;

/// The registered loader (a runtime part).
#[derive(Clone, Copy)]
pub struct SellerSource(pub SellerFn);

/// The seller of aggregator `agg`.
///
/// # Errors
/// The loader's (database) failure; 500 when none is registered.
pub async fn seller(app: &AppState, agg: Uuid) -> ApiResult<Arc<SellerProfile>> {
    let load = app.part::<SellerSource>()?.0;
    load(app, agg).await
}
