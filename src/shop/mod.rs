//! The shared shop: its settings and 特商法 disclosure, the public catalogue, cart and checkout
//! preview, and placing a guest order (idempotent, stock reserved atomically) through the
//! order core (`crate::orders`).
pub mod cache;
pub mod cart;
pub mod catalogue;
pub mod certificates;
pub mod checkout;
pub mod cod;
pub mod dto;
pub mod error;
pub mod handlers;
pub mod pricing;
pub mod repo;
pub mod settings;

use crate::{area::Area, http::route::RouteSpec, route};

/// The shop API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/shop-settings", handlers::get_settings),
        route!(PUT, "/api/v1/shop-settings", handlers::put_settings),
        route!(
            GET,
            "/api/v1/aggregators/{slug}/shop/products",
            handlers::list_products
        ),
        route!(
            GET,
            "/api/v1/aggregators/{slug}/shop/products/{id}",
            handlers::get_product
        ),
        route!(
            GET,
            "/api/v1/aggregators/{slug}/shop/legal",
            handlers::legal
        ),
        route!(
            POST,
            "/api/v1/aggregators/{slug}/shop/checkout/preview",
            handlers::preview
        ),
        route!(
            POST,
            "/api/v1/aggregators/{slug}/shop/orders",
            handlers::place_order
        ),
        route!(
            GET,
            "/api/v1/aggregators/{slug}/shop/orders/{id}",
            handlers::buyer_order
        ),
        route!(
            POST,
            "/api/v1/aggregators/{slug}/shop/orders/{id}/cancel",
            handlers::buyer_cancel
        ),
        route!(
            GET,
            "/api/v1/aggregators/{slug}/shop/orders/{id}/receipt",
            handlers::buyer_receipt
        ),
        route!(
            PUT,
            "/api/v1/products/{id}/quarantine-certificate",
            handlers::set_certificate
        ),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::get_settings,
    handlers::put_settings,
    handlers::list_products,
    handlers::get_product,
    handlers::legal,
    handlers::preview,
    handlers::place_order,
    handlers::buyer_order,
    handlers::buyer_cancel,
    handlers::buyer_receipt,
    handlers::set_certificate,
))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        init: |init| {
            init.parts
                .insert(cache::ShopCache::new(&init.settings.shop));
            init.parts.insert(crate::orders::seller::SellerSource(
                settings::seller_profile,
            ));
            Ok(())
        },
        ..Area::new("shop")
    }
}
