//! HTTP handlers of the order core for staff (`/api/v1/orders`) and for producers' own sales
//! (`/api/v1/sales`).
use super::{dto::*, sales, service as orders};
use crate::{
    core::pagination::{PageQuery, next_cursor},
    error::{ApiResult, ErrorBody},
    http::{actor::Actor, json::Json},
    state::AppState,
};
use actix_web::{HttpResponse, web};
use uuid::Uuid;

/// Orders of the caller's aggregator (staff), newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(OrderQuery),
    responses((status = 200, body = OrderList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_orders(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<OrderQuery>,
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

/// Whom a qualified invoice is issued to.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// The business or municipality (required, at most 100 characters).
    pub recipient: Option<String>,
}

/// The order as a qualified invoice (適格請求書) for a business or municipality buyer (staff):
/// one block per issuer under the consignment rules, totals and tax once per rate.
#[utoipa::path(get, path = "/api/v1/orders/{id}/qualified-invoice", tag = "orders",
    params(("id" = Uuid, Path, description = "order id"), InvoiceQuery),
    responses((status = 200, body = super::receipt::QualifiedInvoice), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn qualified_invoice(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    q: crate::http::Query<InvoiceQuery>,
) -> ApiResult<HttpResponse> {
    let recipient = q.into_inner().recipient.unwrap_or_default();
    Ok(HttpResponse::Ok()
        .json(super::receipt::qualified_invoice(&app, &actor, id.into_inner(), &recipient).await?))
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

/// A page of a producer's sold lines.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SoldLineList {
    pub items: Vec<sales::SoldLine>,
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
    q: crate::http::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.into_inner().page()?;
    let items = sales::sold_lines(&app, &actor, page).await?;
    let ids: Vec<Uuid> = items.iter().map(|l| l.id).collect();
    let next_cursor = next_cursor(&page, &ids);
    Ok(HttpResponse::Ok().json(SoldLineList { items, next_cursor }))
}

/// How the caller (a producer) hears of sales.
#[utoipa::path(get, path = "/api/v1/sales/notice", tag = "orders",
    responses((status = 200, body = sales::SoldNoticeBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_sold_notice(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sales::SoldNoticeBody {
        sold_notice: sales::notice(&app, &actor).await?,
    }))
}

/// Chooses how the caller (a producer) hears of sales: an email per order, a daily digest, or
/// none.
#[utoipa::path(put, path = "/api/v1/sales/notice", tag = "orders",
    request_body = sales::SoldNoticeBody,
    responses((status = 200, body = sales::SoldNoticeBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn put_sold_notice(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<sales::SoldNoticeBody>,
) -> ApiResult<HttpResponse> {
    sales::set_notice(&app, &actor, &body.0.sold_notice).await?;
    Ok(HttpResponse::Ok().json(body.0))
}

/// The account a buyer gave for the refund of a bank-transfer or cash-on-delivery order, as
/// staff see it (bank, branch, type and the last digits).
#[utoipa::path(get, path = "/api/v1/orders/{id}/refund-account", tag = "orders",
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, body = super::refunds::RefundAccountView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_refund_account(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::refunds::account(&app, &actor, id.into_inner()).await?))
}

/// Enters (or replaces) the account a buyer gave for the refund of a bank-transfer or
/// cash-on-delivery order: sealed like other buyer data, paid in the next payout run.
#[utoipa::path(put, path = "/api/v1/orders/{id}/refund-account", tag = "orders",
    params(("id" = Uuid, Path, description = "order id")),
    request_body = crate::producers::dto::BankRequest,
    responses((status = 200, body = super::refunds::RefundAccountView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`refund_not_by_transfer`, `no_refund_owed`"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn put_refund_account(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<crate::producers::dto::BankRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(super::refunds::set_account(&app, &actor, id.into_inner(), body.0).await?))
}
