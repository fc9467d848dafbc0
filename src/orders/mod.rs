//! The order core: orders from every source (the shared shop today, channels next) with their
//! three statuses and guarded transitions, lines per producer, stock allocation, parcels,
//! pick/pack, carrier label files and tracking, cancellations, returns and refunds owed,
//! receipts, producers' sold lines and notices, and the buyer-data purge. It tells other areas
//! what happened through domain events ([`events`]).
pub mod carriers;
pub mod domain;
pub mod dto;
pub mod error;
pub mod events;
pub mod fulfilment;
pub mod fulfilment_handlers;
pub mod handlers;
pub mod jobs;
pub mod labels;
pub mod notify;
pub mod placement;
pub mod privacy;
pub mod receipt;
pub mod refunds;
pub mod repo;
pub mod returns;
pub mod sales;
pub mod seller;
pub mod service;
pub mod tracking;

use crate::{area::Area, http::route::RouteSpec, route};

/// The order API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/orders", handlers::list_orders),
        route!(GET, "/api/v1/sales/lines", handlers::sold_lines),
        route!(GET, "/api/v1/sales/notice", handlers::get_sold_notice),
        route!(PUT, "/api/v1/sales/notice", handlers::put_sold_notice),
        route!(GET, "/api/v1/orders/{id}", handlers::get_order),
        route!(
            GET,
            "/api/v1/orders/{id}/qualified-invoice",
            handlers::qualified_invoice
        ),
        route!(POST, "/api/v1/orders/{id}/mark-paid", handlers::mark_paid),
        route!(POST, "/api/v1/orders/{id}/cancel", handlers::cancel_order),
        route!(
            GET,
            "/api/v1/orders/{id}/refund-account",
            handlers::get_refund_account
        ),
        route!(
            PUT,
            "/api/v1/orders/{id}/refund-account",
            handlers::put_refund_account
        ),
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
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_orders,
    handlers::sold_lines,
    handlers::get_sold_notice,
    handlers::put_sold_notice,
    handlers::get_order,
    handlers::qualified_invoice,
    handlers::mark_paid,
    handlers::cancel_order,
    handlers::get_refund_account,
    handlers::put_refund_account,
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
            init.parts.insert(placement::OrdersWriter::new(
                init.db.clone(),
                &init.settings.database,
                placement::write_orders,
            ));
            Ok(())
        },
        ..Area::new("orders")
    }
}
