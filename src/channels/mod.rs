//! Sales channels (DESIGN.md §1): channel accounts of an aggregator (Rakuten RMS, Shopify; the
//! kind list is open), one listing per SKU × channel, and the absolute stock sync. The area
//! hears of stock changes by following the stock ledger ([`follow`]); it imports inventory,
//! catalog and shop reads, and nothing below imports it.
pub mod adapters;
pub mod domain;
pub mod dto;
pub mod events;
pub mod follow;
pub mod handlers;
pub mod jobs;
pub mod offer;
pub mod orders;
pub mod repo;
pub mod service;
pub mod sync;
pub mod vault;

use crate::{
    area::{Area, Init},
    http::route::RouteSpec,
    route,
};

/// The channels API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/v1/channels", handlers::list_channels),
        route!(POST, "/api/v1/channels", handlers::create_channel),
        route!(GET, "/api/v1/channels/{id}", handlers::get_channel),
        route!(PATCH, "/api/v1/channels/{id}", handlers::update_channel),
        route!(POST, "/api/v1/channels/{id}/pause", handlers::pause_channel),
        route!(
            POST,
            "/api/v1/channels/{id}/resume",
            handlers::resume_channel
        ),
        route!(
            POST,
            "/api/v1/channels/{id}/resync",
            handlers::resync_channel
        ),
        route!(
            PUT,
            "/api/v1/channels/{id}/listings/{sku_id}/buffer",
            handlers::set_buffer
        ),
        route!(
            POST,
            "/api/v1/channels/{id}/listings/{sku_id}/replay",
            handlers::replay_listing
        ),
        route!(
            GET,
            "/api/v1/channels/{id}/orders",
            handlers::channel_orders
        ),
        route!(
            POST,
            "/api/v1/channels/{id}/webhooks/shopify",
            handlers::shopify_webhook
        ),
        route!(GET, "/api/v1/listings", handlers::list_listings),
    ]
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_channels,
    handlers::create_channel,
    handlers::get_channel,
    handlers::update_channel,
    handlers::pause_channel,
    handlers::resume_channel,
    handlers::resync_channel,
    handlers::set_buffer,
    handlers::replay_listing,
    handlers::list_listings,
    handlers::channel_orders,
    handlers::shopify_webhook,
))]
pub struct Api;

fn init(i: &mut Init<'_>) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(
            i.settings.channels.timeout_ms.max(100),
        ))
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent(concat!("yuimaru/", env!("CARGO_PKG_VERSION")))
        .build()?;
    i.parts.insert(service::Runtime {
        http,
        runner: crate::jobs::runner::runner_id(),
    });
    Ok(())
}

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        jobs: jobs::register,
        init,
        ..Area::new("channels")
    }
}
