//! Consignment inventory: locations, inbound shipments and receiving, the stock ledger, lots,
//! reservations (FEFO, all-or-nothing, never overselling), holds that expire.
pub mod adjustments;
pub mod alerts;
pub mod dto;
pub mod events;
pub mod handlers;
pub mod jobs;
pub mod ledger;
pub mod receipt_photos;
pub mod receiving;
pub mod repo;
pub mod reservations;
pub mod returns;
pub mod rules;
pub mod shipments;
pub mod stock;

use crate::{area::Area, http::route::RouteSpec, route};

/// The inventory API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/locations", handlers::list_locations),
        route!(POST, "/api/v1/locations", handlers::create_location),
        route!(GET, "/api/v1/inbound-shipments", handlers::list_shipments),
        route!(POST, "/api/v1/inbound-shipments", handlers::create_shipment),
        route!(
            GET,
            "/api/v1/inbound-shipments/{id}",
            handlers::get_shipment
        ),
        route!(
            POST,
            "/api/v1/inbound-shipments/{id}/ship",
            handlers::ship_shipment
        ),
        route!(
            POST,
            "/api/v1/inbound-shipments/{id}/cancel",
            handlers::cancel_shipment
        ),
        route!(
            POST,
            "/api/v1/inbound-shipments/{id}/close",
            handlers::close_shipment
        ),
        route!(
            POST,
            "/api/v1/inbound-shipments/{id}/receipts",
            handlers::receive_shipment
        ),
        route!(
            POST,
            "/api/v1/inbound-shipments/{id}/receipts/{receipt_id}/photos",
            handlers::upload_receipt_photo
        ),
        route!(
            GET,
            "/api/v1/receipt-photos/{id}",
            handlers::get_receipt_photo
        ),
        route!(GET, "/api/v1/stock", handlers::list_stock),
        route!(GET, "/api/v1/stock/skus", handlers::list_sku_stock),
        route!(GET, "/api/v1/stock/movements", handlers::list_movements),
        route!(
            GET,
            "/api/v1/stock/movements/export",
            handlers::export_movements
        ),
        route!(GET, "/api/v1/stock/export", handlers::export_stock),
        route!(
            POST,
            "/api/v1/stock/adjustments",
            handlers::create_adjustment
        ),
        route!(GET, "/api/v1/stock/recall", handlers::recall),
        route!(GET, "/api/v1/inventory-rules", handlers::list_rules),
        route!(PUT, "/api/v1/inventory-rules", handlers::set_rule),
        route!(
            GET,
            "/api/v1/stock/reservations",
            handlers::list_reservations
        ),
        route!(
            POST,
            "/api/v1/stock/reservations",
            handlers::create_reservation
        ),
        route!(
            GET,
            "/api/v1/stock/reservations/{id}",
            handlers::get_reservation
        ),
        route!(
            POST,
            "/api/v1/stock/reservations/{id}/release",
            handlers::release_reservation
        ),
        route!(
            POST,
            "/api/v1/stock/reservations/{id}/consume",
            handlers::consume_reservation
        ),
        route!(
            POST,
            "/api/v1/stock/reservations/{id}/returns",
            handlers::create_return
        ),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_locations,
    handlers::create_location,
    handlers::list_shipments,
    handlers::create_shipment,
    handlers::get_shipment,
    handlers::ship_shipment,
    handlers::cancel_shipment,
    handlers::close_shipment,
    handlers::receive_shipment,
    handlers::upload_receipt_photo,
    handlers::get_receipt_photo,
    handlers::list_stock,
    handlers::list_sku_stock,
    handlers::list_movements,
    handlers::export_movements,
    handlers::export_stock,
    handlers::create_adjustment,
    handlers::recall,
    handlers::list_rules,
    handlers::set_rule,
    handlers::list_reservations,
    handlers::create_reservation,
    handlers::get_reservation,
    handlers::release_reservation,
    handlers::consume_reservation,
    handlers::create_return,
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
                .insert(rules::RulesCache::new(&init.settings.shop));
            Ok(())
        },
        ..Area::new("inventory")
    }
}
