//! HTTP handlers of the shared shop (public, by aggregator slug, and its settings).
use super::{catalogue, checkout, dto::*, settings};
use crate::{
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    http::json::Json,
    orders::{
        dto::{LinkQuery, OrderView},
        privacy::buyer_of,
        service as orders,
    },
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

/// The cookie naming an anonymous shop client (set by the shop pages).
pub const CLIENT_COOKIE: &str = "yuimaru_client";

/// The anonymous client a guest request comes from (idempotency scope): the `X-Client-Id`
/// header, else the shop cookie, else one shared anonymous scope.
pub fn client_of(req: &HttpRequest) -> String {
    req.headers()
        .get("x-client-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.cookie(CLIENT_COOKIE).map(|c| c.value().to_string()))
        .filter(|c| !c.is_empty() && c.len() <= 200)
        .unwrap_or_else(|| "anonymous".into())
}

/// The caller's aggregator's shop settings.
#[utoipa::path(get, path = "/api/v1/shop-settings", tag = "shop",
    responses((status = 200, body = settings::ShopSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_settings(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(settings::get(&app, &actor).await?))
}

/// Replaces the shop settings (operators, admins): fee table, surcharges, payment methods,
/// liquor licence, limits, 特商法 texts.
#[utoipa::path(put, path = "/api/v1/shop-settings", tag = "shop",
    request_body = settings::ShopSettings,
    responses((status = 200, body = settings::ShopSettings), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn put_settings(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<settings::ShopSettings>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(settings::put(&app, &actor, body.0).await?))
}

/// The shop's sellable products (sold-out ones marked), filtered, sorted, paginated.
#[utoipa::path(get, path = "/api/v1/aggregators/{slug}/shop/products", tag = "shop",
    params(("slug" = String, Path, description = "aggregator"), ShopQuery),
    responses((status = 200, body = ShopProductList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_products(
    app: web::Data<AppState>,
    slug: web::Path<String>,
    q: crate::http::Query<ShopQuery>,
) -> ApiResult<HttpResponse> {
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let q = q.into_inner();
    let page = catalogue::list(
        &app,
        agg.id,
        catalogue::ShopFilter {
            q: q.q,
            island: q.island,
            municipality: q.municipality,
            category: q.category,
            tag: q.tag,
            temperature: q.temperature,
            producer_id: q.producer_id,
            price_min: q.price_min,
            price_max: q.price_max,
            in_stock: q.in_stock,
            sort: q.sort,
            limit: q.limit,
            cursor: q.cursor,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(ShopProductList {
        items: page.items.iter().map(ShopProductSummary::from).collect(),
        next_cursor: page.next.clone(),
    }))
}

/// A product page of the shop.
#[utoipa::path(get, path = "/api/v1/aggregators/{slug}/shop/products/{id}", tag = "shop",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "product id")),
    responses((status = 200, body = ShopProductView), (status = 404, body = ErrorBody)))]
pub async fn get_product(
    app: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let p = catalogue::get(&app, agg.id, id).await?;
    Ok(HttpResponse::Ok().json(ShopProductView::from(p.as_ref())))
}

/// The 特定商取引法 disclosure of the shop.
#[utoipa::path(get, path = "/api/v1/aggregators/{slug}/shop/legal", tag = "shop",
    params(("slug" = String, Path, description = "aggregator")),
    responses((status = 200, body = LegalDisclosure), (status = 404, body = ErrorBody)))]
pub async fn legal(app: web::Data<AppState>, slug: web::Path<String>) -> ApiResult<HttpResponse> {
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let s = settings::cached(&app, agg.id).await?;
    Ok(HttpResponse::Ok().json(LegalDisclosure::from(s.as_ref())))
}

/// Prices a cart for an address: parcels per temperature class, fees, tax per rate, totals
/// and the six final-confirmation items; or a clear refusal.
#[utoipa::path(post, path = "/api/v1/aggregators/{slug}/shop/checkout/preview", tag = "shop",
    params(("slug" = String, Path, description = "aggregator")),
    request_body = checkout::CheckoutRequest,
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`out_of_stock`, `shop_not_configured`"), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "fields, or `not_sellable`, `producer_closed`, `quarantine_restricted`, `age_confirmation_required`, `alcohol_not_sold`, `over_limit`, `payment_method_unavailable`")))]
pub async fn preview(
    app: web::Data<AppState>,
    slug: web::Path<String>,
    body: Json<checkout::CheckoutRequest>,
) -> ApiResult<HttpResponse> {
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let c = checkout::check(&app, &agg, body.0).await?;
    let fc = checkout::final_confirmation(&c);
    Ok(HttpResponse::Ok().json(PreviewView::new(
        &c.quote,
        c.payment_method.as_str(),
        c.pay_by,
        fc,
    )))
}

/// Places an order as a guest (`Idempotency-Key` required; `expected_total` from the preview).
#[utoipa::path(post, path = "/api/v1/aggregators/{slug}/shop/orders", tag = "shop",
    params(("slug" = String, Path, description = "aggregator"),
        ("Idempotency-Key" = String, Header, description = "one per order attempt; a retry returns the same order"),
        ("X-Client-Id" = Option<String>, Header, description = "the anonymous client (scopes the key)")),
    request_body = checkout::CheckoutRequest,
    responses((status = 201, body = OrderView), (status = 200, body = OrderView, description = "retry with the same key and body"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`out_of_stock`, `price_changed`, `idempotency_in_progress`, `shop_not_configured`"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody, description = "`payment_provider_unavailable`: the card order is held; retry with the same key")))]
pub async fn place_order(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: Json<checkout::CheckoutRequest>,
) -> ApiResult<HttpResponse> {
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let key = crate::http::idempotency_key(&req)?.unwrap_or_default();
    let placed = checkout::place(&app, &agg, &client_of(&req), &key, body.0).await?;
    let id = placed.order.id;
    let mut resp = if placed.replayed {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    let (d, buyer) = placed.detail(&app).await?;
    let link = crate::orders::notify::order_link(&app, &agg.slug, id);
    let card_payment = crate::payments::service::card_payment_for(&app, &d.order).await?;
    let mut view = OrderView::new(d, buyer, Some(link));
    view.card_payment = card_payment;
    Ok(resp.json(view))
}

/// An order through the buyer's signed link.
#[utoipa::path(get, path = "/api/v1/aggregators/{slug}/shop/orders/{id}", tag = "shop",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "order id"), LinkQuery),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn buyer_order(
    app: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    q: crate::http::Query<LinkQuery>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let (d, buyer) = orders::for_buyer(&app, agg.id, id, &q.t).await?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, buyer, None)))
}

/// The receipt of an order through the buyer's signed link: a simplified qualified invoice
/// (適格簡易請求書) with the issuer's registration number, reduced-rate marks, totals and tax
/// per rate, and returns with the refund's tax per rate.
#[utoipa::path(get, path = "/api/v1/aggregators/{slug}/shop/orders/{id}/receipt", tag = "shop",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "order id"), LinkQuery),
    responses((status = 200, body = crate::orders::receipt::Receipt), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn buyer_receipt(
    app: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    q: crate::http::Query<LinkQuery>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    Ok(HttpResponse::Ok().json(crate::orders::receipt::for_buyer(&app, agg.id, id, &q.t).await?))
}

/// The buyer cancels an order before shipment through the signed link.
#[utoipa::path(post, path = "/api/v1/aggregators/{slug}/shop/orders/{id}/cancel", tag = "shop",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "order id"), LinkQuery),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_transition` (already shipped or cancelled)")))]
pub async fn buyer_cancel(
    app: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    q: crate::http::Query<LinkQuery>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let d = orders::cancel_by_buyer(&app, agg.id, id, &q.t).await?;
    let buyer = buyer_of(&app, &d.order)?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, buyer, None)))
}

/// Records (or removes) a plant-quarantine treatment / inspection certificate for a product
/// (operators), which lets it ship out of Okinawa.
#[utoipa::path(put, path = "/api/v1/products/{id}/quarantine-certificate", tag = "catalog",
    params(("id" = Uuid, Path, description = "product id")),
    request_body = CertificateBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn set_certificate(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<CertificateBody>,
) -> ApiResult<HttpResponse> {
    super::certificates::set(&app, &actor, id.into_inner(), body.0.certificate.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
