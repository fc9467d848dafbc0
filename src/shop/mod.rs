//! The shared shop and the order core: public catalogue, checkout preview, guest orders
//! (idempotent, stock reserved atomically), the buyer's signed link, staff order handling, and
//! the settings checkout needs.
pub mod cache;
pub mod carriers;
pub mod catalogue;
pub mod certificates;
pub mod checkout;
pub mod dto;
pub mod fulfilment;
pub mod fulfilment_handlers;
pub mod handlers;
pub mod jobs;
pub mod notify;
pub mod orders;
pub mod pricing;
pub mod privacy;
pub mod returns;
pub mod sales;
pub mod settings;

use crate::{area::Area, http::route::RouteSpec, route};

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
        route!(GET, "/api/v1/sales/lines", handlers::sold_lines),
        route!(GET, "/api/v1/sales/notice", handlers::get_sold_notice),
        route!(PUT, "/api/v1/sales/notice", handlers::put_sold_notice),
        route!(GET, "/api/v1/orders/{id}", handlers::get_order),
        route!(POST, "/api/v1/orders/{id}/mark-paid", handlers::mark_paid),
        route!(POST, "/api/v1/orders/{id}/cancel", handlers::cancel_order),
        route!(
            POST,
            "/api/v1/fulfilment/pick-list",
            fulfilment_handlers::pick_list
        ),
        route!(
            POST,
            "/api/v1/fulfilment/carrier-export",
            fulfilment_handlers::carrier_export
        ),
        route!(
            POST,
            "/api/v1/fulfilment/tracking-import",
            fulfilment_handlers::import_tracking
        ),
        route!(
            GET,
            "/api/v1/orders/{id}/packing-list",
            fulfilment_handlers::packing_list
        ),
        route!(POST, "/api/v1/orders/{id}/pack", fulfilment_handlers::pack),
        route!(
            PUT,
            "/api/v1/orders/{id}/parcels/{seq}/tracking",
            fulfilment_handlers::set_tracking
        ),
        route!(
            POST,
            "/api/v1/orders/{id}/delivered",
            fulfilment_handlers::delivered
        ),
        route!(
            POST,
            "/api/v1/orders/{id}/returns",
            fulfilment_handlers::create_return
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
    handlers::list_orders,
    handlers::sold_lines,
    handlers::get_sold_notice,
    handlers::put_sold_notice,
    handlers::get_order,
    handlers::mark_paid,
    handlers::cancel_order,
    handlers::set_certificate,
    fulfilment_handlers::pick_list,
    fulfilment_handlers::packing_list,
    fulfilment_handlers::pack,
    fulfilment_handlers::carrier_export,
    fulfilment_handlers::set_tracking,
    fulfilment_handlers::import_tracking,
    fulfilment_handlers::delivered,
    fulfilment_handlers::create_return,
))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        jobs: jobs::register,
        init: |init| {
            init.parts
                .insert(cache::ShopCache::new(&init.settings.shop));
            init.parts.insert(checkout::OrdersWriter::new(
                init.db.clone(),
                &init.settings.database,
                checkout::write_orders,
            ));
            Ok(())
        },
        ..Area::new("shop")
    }
}
