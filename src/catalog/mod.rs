//! The catalogue: categories, products with food data, the review workflow with revisions of
//! listed products, SKUs with JAN checks.
pub mod content;
pub mod csv_io;
pub mod domain;
pub mod dto;
pub mod handlers;
pub mod images;
pub mod photos;
pub mod repo;
pub mod service;

use crate::{area::Area, http::route::RouteSpec, route};

/// The catalogue API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/categories", handlers::list_categories),
        route!(GET, "/api/v1/products", handlers::list_products),
        route!(POST, "/api/v1/products", handlers::create_product),
        route!(POST, "/api/v1/products/import", handlers::import_products),
        route!(GET, "/api/v1/products/export", handlers::export_products),
        route!(GET, "/api/v1/products/{id}", handlers::get_product),
        route!(PATCH, "/api/v1/products/{id}", handlers::update_product),
        route!(
            POST,
            "/api/v1/products/{id}/submit",
            handlers::submit_product
        ),
        route!(
            POST,
            "/api/v1/products/{id}/approve",
            handlers::approve_product
        ),
        route!(
            POST,
            "/api/v1/products/{id}/reject",
            handlers::reject_product
        ),
        route!(POST, "/api/v1/products/{id}/pause", handlers::pause_product),
        route!(
            POST,
            "/api/v1/products/{id}/resume",
            handlers::resume_product
        ),
        route!(
            POST,
            "/api/v1/products/{id}/retire",
            handlers::retire_product
        ),
        route!(POST, "/api/v1/products/{id}/skus", handlers::create_sku),
        route!(PATCH, "/api/v1/skus/{id}", handlers::update_sku),
        route!(POST, "/api/v1/products/{id}/images", handlers::upload_image),
        route!(GET, "/api/v1/product-images/{id}", handlers::get_image),
        route!(
            DELETE,
            "/api/v1/product-images/{id}",
            handlers::delete_image
        ),
        route!(GET, "/api/v1/product-revisions", handlers::list_revisions),
        route!(
            POST,
            "/api/v1/product-revisions/{id}/approve",
            handlers::approve_revision
        ),
        route!(
            POST,
            "/api/v1/product-revisions/{id}/reject",
            handlers::reject_revision
        ),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_categories,
    handlers::list_products,
    handlers::create_product,
    handlers::import_products,
    handlers::export_products,
    handlers::get_product,
    handlers::update_product,
    handlers::submit_product,
    handlers::approve_product,
    handlers::reject_product,
    handlers::pause_product,
    handlers::resume_product,
    handlers::retire_product,
    handlers::create_sku,
    handlers::update_sku,
    handlers::upload_image,
    handlers::get_image,
    handlers::delete_image,
    handlers::list_revisions,
    handlers::approve_revision,
    handlers::reject_revision,
))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        ..Area::new("catalog")
    }
}
