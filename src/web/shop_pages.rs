//! The buyer's order page behind the signed link from the confirmation email
//! (`/{slug}/shop/orders/{id}?t=…`): what was ordered, totals with tax per rate, payment
//! deadline, tracking, and cancellation before shipment.
use super::extract::{CheckedForm, CsrfToken};
use super::pages::{Chrome, ctx};
use crate::{
    core::money::yen,
    error::ApiError,
    orders::receipt::Receipt,
    orders::{domain::order_fees, service as orders},
    shop::catalogue,
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shop_order.html")]
struct OrderPage {
    c: Chrome,
    o: entity::shop_order::Model,
    lines: Vec<(String, bool, i64, String)>,
    totals: String,
    parcels: Vec<(i32, String)>,
    pay_by: String,
    cancellable: bool,
    cancel_action: String,
    token: String,
    receipt_link: String,
}

/// The signed link's token.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    pub t: String,
    /// ja or en.
    pub lang: Option<String>,
}

async fn render(
    app: &AppState,
    req: &HttpRequest,
    slug: &str,
    id: Uuid,
    token: &str,
) -> HttpResponse {
    let cx = ctx(req, None);
    let found = async {
        let agg = catalogue::aggregator_by_slug(&app.db, slug).await?;
        orders::for_buyer(app, agg.id, id, token).await
    }
    .await;
    let (d, _) = match found {
        Ok(v) => v,
        Err(ApiError::NotFound) => return super::not_found_page(req),
        Err(e) => return super::pages::error_page(req, &e),
    };
    let cancellable = orders::cancellable(&d);
    let o = d.order;
    let totals = cx.t.locale.fill(
        "shoporder.totals",
        &[
            ("total", &yen(o.grand_total)),
            ("total8", &yen(o.total8)),
            ("tax8", &yen(o.tax8)),
            ("total10", &yen(o.total10)),
            ("tax10", &yen(o.tax10)),
            ("fees", &yen(order_fees(&o))),
        ],
    );
    let page = OrderPage {
        c: cx.chrome(None),
        lines: d
            .lines
            .iter()
            .map(|l| (l.title.clone(), l.tax_rate == 8, l.qty, yen(l.line_total)))
            .collect(),
        totals,
        parcels: d
            .parcels
            .iter()
            .map(|p| (p.seq, p.tracking_number.clone().unwrap_or_default()))
            .collect(),
        pay_by: o
            .pay_by
            .filter(|_| crate::orders::domain::awaiting_payment(&o))
            .map(crate::core::jst_text)
            .unwrap_or_default(),
        cancellable,
        cancel_action: format!("/{slug}/shop/orders/{id}/cancel"),
        token: token.to_string(),
        receipt_link: format!("/{slug}/shop/orders/{id}/receipt?t={token}"),
        o,
    };
    cx.respond(StatusCode::OK, page.render())
}

/// The buyer's order page.
#[utoipa::path(get, path = "/{slug}/shop/orders/{id}", tag = "pages",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "order id"), TokenQuery),
    responses((status = 200, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn order_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    q: web::Query<TokenQuery>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    render(&app, &req, &slug, id, &q.t).await
}

/// The cancel form of the order page.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CancelForm {
    pub csrf_token: String,
    pub t: String,
}

impl CsrfToken for CancelForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Cancels the order from its page (before shipment), then shows it again.
#[utoipa::path(post, path = "/{slug}/shop/orders/{id}/cancel", tag = "pages",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "order id")),
    responses((status = 303, description = "back to the order"), (status = 403, description = "HTML"), (status = 404, description = "HTML"), (status = 409, description = "HTML")))]
pub async fn cancel_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    CheckedForm(form): CheckedForm<CancelForm>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    let done = async {
        let agg = catalogue::aggregator_by_slug(&app.db, &slug).await?;
        orders::cancel_by_buyer(&app, agg.id, id, &form.t).await
    }
    .await;
    match done {
        Ok(_) => ctx(&req, None)
            .redirect(&format!("/{slug}/shop/orders/{id}?t={}", form.t))
            .finish(),
        Err(ApiError::NotFound) => super::not_found_page(&req),
        Err(ApiError::Conflict { .. }) => super::pages::message_page(
            &req,
            StatusCode::CONFLICT,
            "shoporder.title",
            "shoporder.not_cancellable",
        ),
        Err(e) => super::pages::error_page(&req, &e),
    }
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shop_receipt.html")]
struct ReceiptPage {
    c: Chrome,
    r: Receipt,
    title: String,
    date: String,
    yen: fn(&i64) -> String,
    refund_rates: String,
}

/// The receipt / simplified qualified invoice (適格簡易請求書) of an order: the aggregator's
/// registration number, items with reduced-rate marks, totals and tax per rate; returns as a
/// qualified return invoice with the refund's tax per rate.
#[utoipa::path(get, path = "/{slug}/shop/orders/{id}/receipt", tag = "pages",
    params(("slug" = String, Path, description = "aggregator"), ("id" = Uuid, Path, description = "order id"), TokenQuery),
    responses((status = 200, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn receipt_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    q: web::Query<TokenQuery>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    let cx = ctx(&req, None);
    let found = async {
        let agg = catalogue::aggregator_by_slug(&app.db, &slug).await?;
        crate::orders::receipt::for_buyer(&app, agg.id, id, &q.t).await
    }
    .await;
    let r = match found {
        Ok(v) => v,
        Err(ApiError::NotFound) => return super::not_found_page(&req),
        Err(e) => return super::pages::error_page(&req, &e),
    };
    let (r8, r10) = (r.refund_rates[0], r.refund_rates[1]);
    let refund_rates = cx.t.locale.fill(
        "receipt.refund_rates",
        &[
            ("total8", &yen(r8.total)),
            ("tax8", &yen(r8.tax)),
            ("total10", &yen(r10.total)),
            ("tax10", &yen(r10.tax)),
        ],
    );
    let page = ReceiptPage {
        c: cx.chrome(None),
        title: cx
            .t
            .get(if r.paid {
                "receipt.title_paid"
            } else {
                "receipt.title_unpaid"
            })
            .to_string(),
        date: r.date.format("%Y-%m-%d").to_string(),
        yen: |v| yen(*v),
        refund_rates,
        r,
    };
    cx.respond(StatusCode::OK, page.render())
}
