//! The cart as the shop shows it before checkout: each line's sellable product, unit price and
//! line total, the goods total, and the payment methods a page can take (card needs the
//! provider's script in the browser, so pages offer the others). Prices and fees with tax are
//! the checkout preview's work ([`super::checkout::check`]).
use super::{
    catalogue::{self, ShopProduct},
    repo, settings,
};
use crate::{error::ApiResult, orders::domain::PaymentMethod, state::AppState};
use uuid::Uuid;

/// One line of the cart.
#[derive(Debug, Clone)]
pub struct CartItem {
    pub sku_id: Uuid,
    pub product: ShopProduct,
    pub unit_price: i64,
    pub qty: i64,
    pub line_total: i64,
}

/// The cart of a shop page.
#[derive(Debug, Clone, Default)]
pub struct Cart {
    pub items: Vec<CartItem>,
    pub goods_total: i64,
    /// Payment methods the shop takes that a page can offer.
    pub page_methods: Vec<String>,
}

/// The cart of `lines` (SKU, quantity) in aggregator `agg`'s shop: lines of SKUs no longer for
/// sale are left out.
///
/// # Errors
/// Database failure (a page shows its error page, never an empty cart).
#[tracing::instrument(skip_all)]
pub async fn cart(app: &AppState, agg: Uuid, lines: &[(Uuid, i64)]) -> ApiResult<Cart> {
    // Two queries for the whole cart: its SKUs, then their sellable products.
    let skus = repo::skus_of(&app.db, agg, lines.iter().map(|(id, _)| *id)).await?;
    let product_ids: Vec<Uuid> = skus.iter().map(|s| s.product_id).collect();
    let products = catalogue::get_many(app, agg, &product_ids).await?;
    let mut items = Vec::new();
    for (sku_id, qty) in lines {
        let Some(s) = skus.iter().find(|s| s.id == *sku_id) else {
            continue;
        };
        let Some(p) = products.iter().find(|p| p.product.id == s.product_id) else {
            continue;
        };
        items.push(CartItem {
            sku_id: *sku_id,
            product: p.clone(),
            unit_price: s.price_yen,
            qty: *qty,
            line_total: s.price_yen * qty,
        });
    }
    let page_methods = settings::cached(app, agg)
        .await?
        .payment_methods
        .iter()
        .filter(|m| PaymentMethod::parse(m) != Some(PaymentMethod::Card))
        .cloned()
        .collect();
    Ok(Cart {
        goods_total: items.iter().map(|i| i.line_total).sum(),
        items,
        page_methods,
    })
}
