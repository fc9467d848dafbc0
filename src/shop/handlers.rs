//! HTTP handlers of the shared shop (public, by aggregator slug) and the staff order API.
use super::{catalogue, checkout, dto::*, orders, settings};
use crate::{
    core::pagination::{PageQuery, next_cursor},
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    http::json::Json,
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
    q: web::Query<ShopQuery>,
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
    let method = body.0.payment_method.clone();
    let c = checkout::check(&app, &agg, body.0).await?;
    let fc = checkout::final_confirmation(&c, &method);
    Ok(HttpResponse::Ok().json(PreviewView::new(&c.quote, &method, c.pay_by, fc)))
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
    let link = super::notify::order_link(&app, &agg.slug, id);
    let card_payment = crate::payments::card_payment_for(&app, &d.order).await?;
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
    q: web::Query<LinkQuery>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let (d, buyer) = orders::for_buyer(&app, agg.id, id, &q.t).await?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, buyer, None)))
}

/// The buyer cancels an order before shipment through the signed link.
#[utoipa::path(post, path = "/api/v1/aggregators/{slug}/shop/orders/{id}/cancel", tag = "shop",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "order id"), LinkQuery),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_transition` (already shipped or cancelled)")))]
pub async fn buyer_cancel(
    app: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
    q: web::Query<LinkQuery>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let agg = catalogue::shop_aggregator(&app, &slug).await?;
    let d = orders::cancel_by_buyer(&app, agg.id, id, &q.t).await?;
    let buyer = checkout::buyer_of(&app, &d.order)?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, buyer, None)))
}

/// Orders of the caller's aggregator (staff), newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(OrderQuery),
    responses((status = 200, body = OrderList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_orders(
    app: web::Data<AppState>,
    actor: Actor,
    q: web::Query<OrderQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let items = orders::list(
        &app,
        &actor,
        orders::OrderFilter {
            status: q.status,
            payment_status: q.payment_status,
            fulfilment_status: q.fulfilment_status,
            source: q.source,
            producer_id: q.producer_id,
            island: q.island,
            from: q.from,
            to: q.to,
        },
        page,
    )
    .await?;
    let ids: Vec<Uuid> = items.iter().map(|o| o.id).collect();
    let next_cursor = next_cursor(&page, &ids);
    Ok(HttpResponse::Ok().json(OrderList {
        items: items.into_iter().map(OrderSummary::from).collect(),
        next_cursor,
    }))
}

/// One order with its buyer (staff).
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_order(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (d, buyer) = orders::get(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, buyer, None)))
}

/// Marks a pending order paid (a bank transfer arrived).
#[utoipa::path(post, path = "/api/v1/orders/{id}/mark-paid", tag = "orders",
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`invalid_transition`")),
    security(("bearer" = []), ("session" = [])))]
pub async fn mark_paid(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d = orders::mark_paid(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, None, None)))
}

/// Cancels an order before shipment (stock released; buyer emailed).
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders",
    params(("id" = Uuid, Path, description = "order id")),
    request_body = CancelBody,
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_transition`"), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn cancel_order(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<CancelBody>,
) -> ApiResult<HttpResponse> {
    let d = orders::cancel(&app, &actor, id.into_inner(), &body.0.reason).await?;
    Ok(HttpResponse::Ok().json(OrderView::new(d, None, None)))
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

/// A page of a producer's sold lines.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SoldLineList {
    pub items: Vec<super::sales::SoldLine>,
    pub next_cursor: Option<String>,
}

/// The caller's (a producer's) own sold lines, newest first: product, quantity, price, date and
/// the order's status — never anything about the buyer.
#[utoipa::path(get, path = "/api/v1/sales/lines", tag = "orders",
    params(PageQuery),
    responses((status = 200, body = SoldLineList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn sold_lines(
    app: web::Data<AppState>,
    actor: Actor,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.into_inner().page()?;
    let items = super::sales::sold_lines(&app, &actor, page).await?;
    let ids: Vec<Uuid> = items.iter().map(|l| l.id).collect();
    let next_cursor = next_cursor(&page, &ids);
    Ok(HttpResponse::Ok().json(SoldLineList { items, next_cursor }))
}

/// How the caller (a producer) hears of sales.
#[utoipa::path(get, path = "/api/v1/sales/notice", tag = "orders",
    responses((status = 200, body = super::sales::SoldNoticeBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_sold_notice(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::sales::SoldNoticeBody {
        sold_notice: super::sales::notice(&app, &actor).await?,
    }))
}

/// Chooses how the caller (a producer) hears of sales: an email per order, a daily digest, or
/// none.
#[utoipa::path(put, path = "/api/v1/sales/notice", tag = "orders",
    request_body = super::sales::SoldNoticeBody,
    responses((status = 200, body = super::sales::SoldNoticeBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn put_sold_notice(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<super::sales::SoldNoticeBody>,
) -> ApiResult<HttpResponse> {
    super::sales::set_notice(&app, &actor, &body.0.sold_notice).await?;
    Ok(HttpResponse::Ok().json(body.0))
}
