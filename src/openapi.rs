//! The OpenAPI 3.1 document (generated from the handlers' annotations) at `/api/openapi.json`,
//! and Swagger UI (bundled into the binary, works offline) at `/docs`.
use crate::{route, startup::RouteSpec};
use actix_web::{HttpResponse, web};
use std::sync::{Arc, OnceLock};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "yuimaru API", description = "Consolidated storefront for island and rural producers. \
        Errors always have the body `{\"error\":{\"code\",\"message\",\"details\",\"request_id\"}}`."),
    paths(
        crate::system::health,
        crate::system::ready,
        crate::auth::handlers::login,
        crate::auth::handlers::logout,
        crate::auth::handlers::request_password_reset,
        crate::auth::handlers::confirm_password_reset,
        crate::auth::handlers::me,
        crate::auth::handlers::update_me,
        crate::auth::handlers::list_tokens,
        crate::auth::handlers::create_token,
        crate::auth::handlers::revoke_token,
        crate::auth::handlers::list_users,
        crate::auth::handlers::invite_user,
        crate::auth::handlers::get_user,
        crate::auth::handlers::update_user,
        crate::auth::handlers::deactivate_user,
        crate::auth::handlers::reactivate_user,
        crate::aggregators::handlers::list_aggregators,
        crate::aggregators::handlers::create_aggregator,
        crate::reference::handlers::list_prefectures,
        crate::reference::handlers::list_municipalities,
        crate::reference::handlers::list_islands,
        crate::producers::handlers::register_producer,
        crate::producers::handlers::confirm_email,
        crate::producers::handlers::list_producers,
        crate::producers::handlers::create_producer,
        crate::producers::handlers::get_producer,
        crate::producers::handlers::update_producer,
        crate::producers::handlers::approve_producer,
        crate::producers::handlers::reject_producer,
        crate::producers::handlers::suspend_producer,
        crate::producers::handlers::reinstate_producer,
        crate::producers::handlers::request_bank_change,
        crate::producers::handlers::approve_bank_change,
        crate::producers::handlers::reject_bank_change,
        crate::producers::handlers::list_closures,
        crate::producers::handlers::create_closure,
        crate::producers::handlers::delete_closure,
        crate::catalog::handlers::list_categories,
        crate::catalog::handlers::list_products,
        crate::catalog::handlers::create_product,
        crate::catalog::handlers::import_products,
        crate::catalog::handlers::export_products,
        crate::catalog::handlers::get_product,
        crate::catalog::handlers::update_product,
        crate::catalog::handlers::submit_product,
        crate::catalog::handlers::approve_product,
        crate::catalog::handlers::reject_product,
        crate::catalog::handlers::pause_product,
        crate::catalog::handlers::resume_product,
        crate::catalog::handlers::retire_product,
        crate::catalog::handlers::create_sku,
        crate::catalog::handlers::update_sku,
        crate::catalog::handlers::upload_image,
        crate::catalog::handlers::get_image,
        crate::catalog::handlers::delete_image,
        crate::catalog::handlers::list_revisions,
        crate::catalog::handlers::approve_revision,
        crate::catalog::handlers::reject_revision,
        crate::inventory::handlers::list_locations,
        crate::inventory::handlers::create_location,
        crate::inventory::handlers::list_shipments,
        crate::inventory::handlers::create_shipment,
        crate::inventory::handlers::get_shipment,
        crate::inventory::handlers::ship_shipment,
        crate::inventory::handlers::cancel_shipment,
        crate::inventory::handlers::close_shipment,
        crate::inventory::handlers::receive_shipment,
        crate::inventory::handlers::upload_receipt_photo,
        crate::inventory::handlers::get_receipt_photo,
        crate::inventory::handlers::list_stock,
        crate::inventory::handlers::list_sku_stock,
        crate::inventory::handlers::list_movements,
        crate::inventory::handlers::export_movements,
        crate::inventory::handlers::export_stock,
        crate::inventory::handlers::create_adjustment,
        crate::inventory::handlers::recall,
        crate::inventory::handlers::list_rules,
        crate::inventory::handlers::set_rule,
        crate::inventory::handlers::list_reservations,
        crate::inventory::handlers::create_reservation,
        crate::inventory::handlers::get_reservation,
        crate::inventory::handlers::release_reservation,
        crate::inventory::handlers::consume_reservation,
        crate::inventory::handlers::create_return,
        crate::shop::handlers::get_settings,
        crate::web::shop_pages::order_page,
        crate::web::shop_pages::cancel_submit,
        crate::web::shop_pages::receipt_page,
        crate::web::order_pages::list_page,
        crate::web::order_pages::detail_page,
        crate::web::order_pages::action_submit,
        crate::web::order_pages::settings_page,
        crate::web::order_pages::settings_submit,
        crate::web::storefront::browse,
        crate::web::storefront::product_page,
        crate::web::storefront::cart,
        crate::web::storefront::cart_submit,
        crate::web::storefront::checkout_submit,
        crate::web::storefront::place_submit,
        crate::web::storefront::legal_page,
        crate::shop::handlers::put_settings,
        crate::shop::handlers::list_products,
        crate::shop::handlers::get_product,
        crate::shop::handlers::legal,
        crate::shop::handlers::preview,
        crate::shop::handlers::place_order,
        crate::shop::handlers::buyer_order,
        crate::shop::handlers::buyer_cancel,
        crate::shop::handlers::list_orders,
        crate::shop::handlers::sold_lines,
        crate::shop::handlers::get_sold_notice,
        crate::shop::handlers::put_sold_notice,
        crate::shop::handlers::get_order,
        crate::shop::handlers::mark_paid,
        crate::shop::handlers::cancel_order,
        crate::shop::handlers::set_certificate,
        crate::shop::fulfilment_handlers::pick_list,
        crate::shop::fulfilment_handlers::packing_list,
        crate::shop::fulfilment_handlers::pack,
        crate::shop::fulfilment_handlers::carrier_export,
        crate::shop::fulfilment_handlers::set_tracking,
        crate::shop::fulfilment_handlers::import_tracking,
        crate::shop::fulfilment_handlers::delivered,
        crate::shop::fulfilment_handlers::create_return,
        crate::payments::handlers::webhook,
        crate::payments::handlers::bank_import,
        crate::jobs::handlers::list_jobs,
        crate::jobs::handlers::get_job,
        crate::jobs::handlers::replay_job,
        crate::web::pages::home_page,
        crate::web::pages::login_page,
        crate::web::pages::login_submit,
        crate::web::pages::logout_submit,
        crate::web::pages::reset_request_page,
        crate::web::pages::reset_request_submit,
        crate::web::pages::reset_page,
        crate::web::pages::reset_submit,
        crate::web::pages::stylesheet,
        crate::web::producer_pages::register_page,
        crate::web::producer_pages::register_submit,
        crate::web::producer_pages::register_page_slug,
        crate::web::producer_pages::register_submit_slug,
        crate::web::producer_pages::confirm_email_page,
        crate::web::portal::products_page,
        crate::web::portal::new_product_page,
        crate::web::portal::create_product_submit,
        crate::web::portal::product_page,
        crate::web::portal::update_product_submit,
        crate::web::portal::add_sku_submit,
        crate::web::portal::upload_photo_submit,
        crate::web::portal::submit_product_submit,
        crate::web::portal::review_page,
        crate::web::stock_pages::stock_page,
        crate::web::stock_pages::add_location_submit,
        crate::web::stock_pages::shipments_page,
        crate::web::stock_pages::create_shipment_submit,
        crate::web::stock_pages::receive_submit,
        crate::web::stock_pages::receipt_photo_submit,
        crate::web::warehouse_pages::lot_page,
        crate::web::warehouse_pages::adjust_submit,
        crate::web::warehouse_pages::rules_page,
        crate::web::warehouse_pages::rule_submit,
        crate::web::warehouse_pages::holds_page,
        crate::web::warehouse_pages::create_hold_submit,
        crate::web::warehouse_pages::release_submit,
        crate::web::warehouse_pages::consume_submit,
        crate::web::warehouse_pages::return_submit,
        crate::web::warehouse_pages::recall_page,
        crate::web::stock_pages::shipment_action_submit,
        crate::web::manage::product_state_submit,
        crate::web::manage::profile_page,
        crate::web::manage::add_closure_submit,
        crate::web::manage::bank_change_submit,
        crate::web::manage::producers_page,
        crate::web::manage::proxy_register_page,
        crate::web::manage::proxy_register_submit,
        crate::web::manage::producer_action,
        crate::web::manage::island_closure_submit,
        crate::web::manage::import_page,
        crate::web::manage::import_submit,
        crate::web::portal::review_decision,
        openapi_json,
        docs_index,
        docs_file,
    ),
    modifiers(&Security),
    tags(
        (name = "system", description = "liveness and readiness"),
        (name = "auth", description = "login, sessions, API tokens, password reset"),
        (name = "users", description = "user management"),
        (name = "aggregators", description = "tenants"),
        (name = "jobs", description = "background jobs, dead letters and replay"),
        (name = "reference", description = "prefectures, municipalities, islands"),
        (name = "producers", description = "registration, review, profile, closures, bank accounts"),
        (name = "catalog", description = "categories, products, review workflow, revisions, SKUs"),
        (name = "inventory", description = "locations, inbound shipments, receiving, stock, reservations"),
        (name = "fulfilment", description = "pick and packing lists, carrier label files, tracking, delivery"),
        (name = "payments", description = "card payment webhook, bank statement import"),
        (name = "pages", description = "server-rendered HTML pages (forms need the CSRF token)"),
        (name = "docs", description = "this document and its browser")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API token from POST /api/v1/me/tokens"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "yuimaru_session",
                "session cookie from login; unsafe API calls also need X-CSRF-Token",
            ))),
        );
    }
}

/// The generated document, rendered once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into()))
}

/// Documentation routes.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(GET, "/api/openapi.json", openapi_json),
        route!(GET, "/docs", docs_index),
        route!(GET, "/docs/{file}", docs_file),
    ]
}

/// The OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

/// Swagger UI.
#[utoipa::path(get, path = "/docs", tag = "docs",
    responses((status = 303, description = "redirect to /docs/index.html")))]
pub async fn docs_index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", "/docs/index.html"))
        .finish()
}

/// Swagger UI's files (bundled in the binary).
#[utoipa::path(get, path = "/docs/{file}", tag = "docs",
    params(("file" = String, Path, description = "file name, e.g. index.html")),
    responses((status = 200, description = "file", content_type = "text/html"),
        (status = 404, description = "no such file", body = crate::error::ErrorBody)))]
pub async fn docs_file(file: web::Path<String>) -> HttpResponse {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json"));
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(f)) => HttpResponse::Ok()
            .content_type(f.content_type)
            .body(f.bytes.to_vec()),
        _ => actix_web::ResponseError::error_response(&crate::error::ApiError::NotFound),
    }
}
