//! Server-rendered pages (askama templates compiled into the binary), Japanese first with an
//! English switch, CSRF-protected forms. Pages call the same services as the JSON API.
pub mod analytics_pages;
pub mod channel_pages;
pub mod checkout_pages;
pub mod extract;
pub mod i18n;
pub mod manage;
pub mod money_pages;
pub mod order_pages;
pub mod pages;
pub mod portal;
pub mod producer_pages;
pub mod review_pages;
pub mod rules_pages;
pub mod shipment_pages;
pub mod shop_pages;
pub mod stock_pages;
pub mod storefront;
pub mod warehouse_pages;

use crate::{area::Area, http::route::RouteSpec, route};
use actix_web::{HttpRequest, HttpResponse};

/// The page routes.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/", pages::home_page),
        route!(GET, "/login", pages::login_page),
        route!(POST, "/login", pages::login_submit),
        route!(POST, "/logout", pages::logout_submit),
        route!(GET, "/password-reset", pages::reset_request_page),
        route!(POST, "/password-reset", pages::reset_request_submit),
        route!(GET, "/password-reset/{token}", pages::reset_page),
        route!(POST, "/password-reset/{token}", pages::reset_submit),
        route!(GET, "/assets/app.css", pages::stylesheet),
        route!(GET, "/shop", storefront::default_shop),
        route!(GET, "/register", producer_pages::register_page),
        route!(POST, "/register", producer_pages::register_submit),
        route!(
            GET,
            "/confirm-email/{token}",
            producer_pages::confirm_email_page
        ),
        route!(GET, "/portal/products", portal::products_page),
        route!(GET, "/portal/products/new", portal::new_product_page),
        route!(POST, "/portal/products/new", portal::create_product_submit),
        route!(GET, "/portal/products/{id}", portal::product_page),
        route!(POST, "/portal/products/{id}", portal::update_product_submit),
        route!(POST, "/portal/products/{id}/skus", portal::add_sku_submit),
        route!(
            POST,
            "/portal/products/{id}/images",
            portal::upload_photo_submit
        ),
        route!(
            POST,
            "/portal/products/{id}/submit",
            portal::submit_product_submit
        ),
        route!(
            POST,
            "/portal/products/{id}/state/{action}",
            manage::product_state_submit
        ),
        route!(GET, "/portal/profile", manage::profile_page),
        route!(GET, "/portal/payouts", money_pages::portal_page),
        route!(GET, "/finance/payout-runs", money_pages::runs_page),
        route!(POST, "/finance/payout-runs", money_pages::prepare_submit),
        route!(GET, "/finance/payout-runs/{id}", money_pages::run_page),
        route!(
            POST,
            "/finance/payout-runs/{id}/results",
            money_pages::results_submit
        ),
        route!(
            POST,
            "/finance/payout-runs/{id}/{action}",
            money_pages::run_action_submit
        ),
        route!(POST, "/finance/payout-holds", money_pages::hold_submit),
        route!(GET, "/finance/periods", money_pages::periods_page),
        route!(GET, "/finance/periods/{id}", money_pages::period_page),
        route!(
            POST,
            "/finance/periods/{id}/close",
            money_pages::close_submit
        ),
        route!(GET, "/finance/funds/{id}", money_pages::fund_page),
        route!(GET, "/finance/fee-rules", money_pages::fee_rules_page),
        route!(GET, "/finance/ledger", money_pages::ledger_page),
        route!(GET, "/officer/sales", analytics_pages::sales_page),
        route!(POST, "/finance/fee-rules", money_pages::fee_rule_submit),
        route!(
            POST,
            "/finance/payout-holds/{id}/release",
            money_pages::release_hold_submit
        ),
        route!(POST, "/portal/profile/closures", manage::add_closure_submit),
        route!(
            POST,
            "/portal/profile/bank-account",
            manage::bank_change_submit
        ),
        route!(GET, "/operator/producers", manage::producers_page),
        route!(GET, "/operator/producers/new", manage::proxy_register_page),
        route!(
            POST,
            "/operator/producers/new",
            manage::proxy_register_submit
        ),
        route!(
            POST,
            "/operator/producers/{id}/{action}",
            manage::producer_action
        ),
        route!(POST, "/operator/closures", manage::island_closure_submit),
        route!(GET, "/operator/import", manage::import_page),
        route!(POST, "/operator/import", manage::import_submit),
        route!(GET, "/stock", stock_pages::stock_page),
        route!(GET, "/stock/lots/{id}", warehouse_pages::lot_page),
        route!(
            POST,
            "/stock/lots/{id}/adjust",
            warehouse_pages::adjust_submit
        ),
        route!(GET, "/stock/rules", rules_pages::rules_page),
        route!(POST, "/stock/rules", rules_pages::rule_submit),
        route!(GET, "/holds", warehouse_pages::holds_page),
        route!(POST, "/holds", warehouse_pages::create_hold_submit),
        route!(POST, "/holds/{id}/release", warehouse_pages::release_submit),
        route!(POST, "/holds/{id}/consume", warehouse_pages::consume_submit),
        route!(POST, "/holds/{id}/returns", warehouse_pages::return_submit),
        route!(GET, "/recall", rules_pages::recall_page),
        route!(POST, "/stock/locations", stock_pages::add_location_submit),
        route!(GET, "/shipments", shipment_pages::shipments_page),
        route!(POST, "/shipments", shipment_pages::create_shipment_submit),
        route!(
            POST,
            "/shipments/{id}/receive",
            shipment_pages::receive_submit
        ),
        route!(
            POST,
            "/shipments/{id}/receipts/{receipt_id}/photos",
            shipment_pages::receipt_photo_submit
        ),
        route!(
            POST,
            "/shipments/{id}/{action}",
            shipment_pages::shipment_action_submit
        ),
        route!(GET, "/operator/review", review_pages::review_page),
        route!(
            POST,
            "/operator/review/{kind}/{id}/{decision}",
            review_pages::review_decision
        ),
        route!(GET, "/operator/channels", channel_pages::list_page),
        route!(GET, "/operator/channels/new", channel_pages::new_page),
        route!(POST, "/operator/channels/new", channel_pages::create_submit),
        route!(GET, "/operator/channels/{id}", channel_pages::detail_page),
        route!(
            GET,
            "/operator/channels/{id}/edit",
            channel_pages::edit_page
        ),
        route!(
            POST,
            "/operator/channels/{id}/edit",
            channel_pages::edit_submit
        ),
        route!(
            POST,
            "/operator/channels/{id}/{action}",
            channel_pages::action_submit
        ),
        route!(GET, "/portal/channels", channel_pages::producer_page),
        route!(GET, "/operator/orders", order_pages::list_page),
        route!(GET, "/operator/orders/{id}", order_pages::detail_page),
        route!(
            POST,
            "/operator/orders/{id}/{action}",
            order_pages::action_submit
        ),
        route!(GET, "/operator/shop-settings", order_pages::settings_page),
        route!(
            POST,
            "/operator/shop-settings",
            order_pages::settings_submit
        ),
        route!(GET, "/{slug}/shop", storefront::browse),
        route!(GET, "/{slug}/shop/products/{id}", storefront::product_page),
        route!(GET, "/{slug}/shop/cart", storefront::cart),
        route!(POST, "/{slug}/shop/cart", storefront::cart_submit),
        route!(
            POST,
            "/{slug}/shop/checkout",
            checkout_pages::checkout_submit
        ),
        route!(POST, "/{slug}/shop/place", checkout_pages::place_submit),
        route!(GET, "/{slug}/shop/legal", checkout_pages::legal_page),
        route!(GET, "/{slug}/shop/orders/{id}", shop_pages::order_page),
        route!(
            GET,
            "/{slug}/shop/orders/{id}/receipt",
            shop_pages::receipt_page
        ),
        route!(
            POST,
            "/{slug}/shop/orders/{id}/cancel",
            shop_pages::cancel_submit
        ),
        route!(GET, "/{slug}/register", producer_pages::register_page_slug),
        route!(
            POST,
            "/{slug}/register",
            producer_pages::register_submit_slug
        ),
    ]
}

/// The HTML 404 page for paths outside `/api`.
pub fn not_found_page(req: &HttpRequest) -> HttpResponse {
    pages::message_page(
        req,
        actix_web::http::StatusCode::NOT_FOUND,
        "notfound.title",
        "notfound.body",
    )
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    shop_pages::order_page,
    shop_pages::cancel_submit,
    shop_pages::receipt_page,
    channel_pages::list_page,
    channel_pages::detail_page,
    channel_pages::new_page,
    channel_pages::create_submit,
    channel_pages::edit_page,
    channel_pages::edit_submit,
    channel_pages::action_submit,
    channel_pages::producer_page,
    order_pages::list_page,
    order_pages::detail_page,
    order_pages::action_submit,
    order_pages::settings_page,
    order_pages::settings_submit,
    storefront::browse,
    storefront::default_shop,
    storefront::product_page,
    storefront::cart,
    storefront::cart_submit,
    checkout_pages::checkout_submit,
    checkout_pages::place_submit,
    checkout_pages::legal_page,
    pages::home_page,
    pages::login_page,
    pages::login_submit,
    pages::logout_submit,
    pages::reset_request_page,
    pages::reset_request_submit,
    pages::reset_page,
    pages::reset_submit,
    pages::stylesheet,
    producer_pages::register_page,
    producer_pages::register_submit,
    producer_pages::register_page_slug,
    producer_pages::register_submit_slug,
    producer_pages::confirm_email_page,
    portal::products_page,
    portal::new_product_page,
    portal::create_product_submit,
    portal::product_page,
    portal::update_product_submit,
    portal::add_sku_submit,
    portal::upload_photo_submit,
    portal::submit_product_submit,
    review_pages::review_page,
    stock_pages::stock_page,
    stock_pages::add_location_submit,
    shipment_pages::shipments_page,
    shipment_pages::create_shipment_submit,
    shipment_pages::receive_submit,
    shipment_pages::receipt_photo_submit,
    warehouse_pages::lot_page,
    warehouse_pages::adjust_submit,
    rules_pages::rules_page,
    rules_pages::rule_submit,
    warehouse_pages::holds_page,
    warehouse_pages::create_hold_submit,
    warehouse_pages::release_submit,
    warehouse_pages::consume_submit,
    warehouse_pages::return_submit,
    rules_pages::recall_page,
    shipment_pages::shipment_action_submit,
    manage::product_state_submit,
    manage::profile_page,
    manage::add_closure_submit,
    manage::bank_change_submit,
    manage::producers_page,
    manage::proxy_register_page,
    manage::proxy_register_submit,
    manage::producer_action,
    manage::island_closure_submit,
    manage::import_page,
    manage::import_submit,
    review_pages::review_decision,
    money_pages::portal_page,
    money_pages::runs_page,
    money_pages::prepare_submit,
    money_pages::run_page,
    money_pages::results_submit,
    money_pages::run_action_submit,
    money_pages::hold_submit,
    money_pages::release_hold_submit,
    money_pages::periods_page,
    money_pages::period_page,
    money_pages::close_submit,
    money_pages::fund_page,
    money_pages::fee_rules_page,
    money_pages::ledger_page,
    analytics_pages::sales_page,
    money_pages::fee_rule_submit,
))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        ..Area::new("web")
    }
}
