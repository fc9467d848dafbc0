//! The shared shop and the order core: public catalogue, checkout preview, guest orders
//! (idempotent, stock reserved atomically), the buyer's signed link, staff order handling, and
//! the settings checkout needs.
pub mod catalogue;
pub mod certificates;
pub mod checkout;
pub mod dto;
pub mod handlers;
pub mod notify;
pub mod orders;
pub mod pricing;
pub mod privacy;
pub mod settings;

use crate::{route, startup::RouteSpec};

/// The shop and order API.
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
        route!(GET, "/api/v1/orders", handlers::list_orders),
        route!(GET, "/api/v1/orders/{id}", handlers::get_order),
        route!(POST, "/api/v1/orders/{id}/mark-paid", handlers::mark_paid),
        route!(POST, "/api/v1/orders/{id}/cancel", handlers::cancel_order),
        route!(
            PUT,
            "/api/v1/products/{id}/quarantine-certificate",
            handlers::set_certificate
        ),
    ]
}
