//! Consignment inventory: locations, inbound shipments and receiving, the stock ledger, lots,
//! reservations (FEFO, all-or-nothing, never overselling), holds that expire.
pub mod adjustments;
pub mod alerts;
pub mod dto;
pub mod handlers;
pub mod ledger;
pub mod receipt_photos;
pub mod reservations;
pub mod returns;
pub mod rules;
pub mod shipments;
pub mod stock;

use crate::{route, startup::RouteSpec};

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
