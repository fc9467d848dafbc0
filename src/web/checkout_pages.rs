//! The shop's checkout pages: the checkout form submitted to the final confirmation screen with
//! the six items of 特商法 12条の6, placing the order (one Idempotency-Key per confirmation
//! screen, so a double submit places one order), and the 特商法 disclosure page.
use super::extract::{CheckedForm, CsrfToken};
use super::pages::{Chrome, FieldErrors, ctx};
use crate::shop::handlers::CLIENT_COOKIE;
use crate::{
    core::money::yen,
    error::ApiError,
    shop::{
        catalogue::{self},
        checkout::{self, CheckoutRequest, FinalConfirmation},
        dto::LegalDisclosure,
        settings,
    },
    state::AppState,
};
use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    cookie::{Cookie, SameSite},
    http::StatusCode,
    web,
};
use askama::Template;
use serde::Deserialize;

use super::storefront::{CheckoutForm, cart_cookie, cart_of, cart_page, secure};

/// The form field an API field error belongs to (`buyer.postal_code` → `postal_code`).
fn form_field(api: &str) -> String {
    if let Some(f) = api.strip_prefix("buyer.") {
        f.to_string()
    } else if let Some(f) = api.strip_prefix("ship_to.") {
        format!("to_{f}")
    } else if api.starts_with("lines") {
        "lines".into()
    } else {
        api.to_string()
    }
}

/// A refusal's message in the page's language.
fn refusal_key(code: &str) -> &'static str {
    match code {
        "out_of_stock" => "shop.refuse.out_of_stock",
        "quarantine_restricted" => "shop.refuse.quarantine",
        "alcohol_not_sold" => "shop.refuse.alcohol",
        "age_confirmation_required" => "shop.refuse.age",
        "producer_closed" => "shop.refuse.closed",
        "over_limit" => "shop.refuse.limit",
        "cod_over_limit" => "shop.refuse.cod_limit",
        "price_changed" => "shop.refuse.price_changed",
        "shop_not_configured" => "shop.refuse.not_configured",
        _ => "shop.refuse.other",
    }
}

fn explain(e: &ApiError, t: &super::i18n::T) -> (FieldErrors, Option<String>) {
    let mut errors = FieldErrors::default();
    match e {
        ApiError::Validation { fields, .. } => {
            for (f, _) in fields {
                let key = match e.field_code(f) {
                    Some(crate::shop::checkout::NOT_KATAKANA) => "shop.err.kana",
                    Some(crate::shop::checkout::NOT_PRINTABLE) => "shop.err.unprintable",
                    _ => "shop.err.check",
                };
                errors.set(&form_field(f), key);
            }
            (errors, None)
        }
        ApiError::Conflict { code, message, .. }
        | ApiError::Unprocessable { code, message, .. } => (
            errors,
            Some(format!("{} ({message})", t.get(refusal_key(code)))),
        ),
        _ => (errors, Some(t.get("shop.refuse.other").to_string())),
    }
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shop_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    slug: String,
    /// (title, reduced, qty, amount)
    lines: Vec<(String, bool, i64, String)>,
    /// (seq, temperature class, fee)
    parcels: Vec<(i32, String, String)>,
    totals: String,
    fc: FinalConfirmation,
    order_json: String,
    key: String,
}

/// Checks the checkout form and shows the final confirmation screen, or the cart again with
/// the problems beside the fields.
#[utoipa::path(post, path = "/{slug}/shop/checkout", tag = "pages",
    params(("slug" = String, Path, description = "aggregator")),
    responses((status = 200, description = "HTML: the final confirmation"), (status = 403, description = "HTML"),
        (status = 409, description = "HTML"), (status = 422, description = "HTML: the cart with errors")))]
pub async fn checkout_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    CheckedForm(form): CheckedForm<CheckoutForm>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let Ok(agg) = catalogue::shop_aggregator(&app, &slug).await else {
        return super::not_found_page(&req);
    };
    let f = form;
    let cart = cart_of(&req);
    let body = f.request(&cart, cx.t.lang());
    let method = body.payment_method.clone();
    if method == "card" {
        // Card needs the provider's script in the browser: API only (see the module doc).
        let mut errors = FieldErrors::default();
        errors.set("payment_method", "shop.err.check");
        return cart_page(
            &app,
            &req,
            &slug,
            f,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let checked = match checkout::check(&app, &agg, body.clone()).await {
        Ok(c) => c,
        Err(e) => {
            let status = e.status_code();
            let (errors, refusal) = explain(&e, &cx.t);
            return cart_page(&app, &req, &slug, f, errors, refusal, status).await;
        }
    };
    let fc = checkout::final_confirmation(&checked);
    let q = &checked.quote;
    let mut order = body;
    order.expected_total = Some(q.grand_total);
    let en = cx.t.lang() == "en";
    let page = ConfirmPage {
        c: cx.chrome(None),
        slug: slug.to_string(),
        lines: q
            .lines
            .iter()
            .map(|l| (l.title.clone(), l.tax_rate == 8, l.qty, yen(l.total())))
            .collect(),
        parcels: q
            .parcels
            .iter()
            .map(|p| {
                (
                    p.seq,
                    p.temperature_class.clone(),
                    yen(p.shipping_fee + p.cool_fee + p.surcharge),
                )
            })
            .collect(),
        totals: if en {
            format!(
                "Total {} (8%: {} incl. tax {}; 10%: {} incl. tax {})",
                yen(q.grand_total),
                yen(q.total8),
                yen(q.tax8),
                yen(q.total10),
                yen(q.tax10)
            )
        } else {
            format!(
                "合計 {}（8%対象 {} うち消費税 {}、10%対象 {} うち消費税 {}）",
                yen(q.grand_total),
                yen(q.total8),
                yen(q.tax8),
                yen(q.total10),
                yen(q.tax10)
            )
        },
        fc,
        order_json: serde_json::to_string(&order).unwrap_or_default(),
        key: crate::core::secrets::random_token(),
    };
    let mut resp = cx.respond(StatusCode::OK, page.render());
    if req.cookie(CLIENT_COOKIE).is_none() {
        let _ = resp.add_cookie(
            &Cookie::build(CLIENT_COOKIE, crate::core::secrets::random_token())
                .path("/")
                .http_only(true)
                .secure(secure(&app))
                .same_site(SameSite::Lax)
                .finish(),
        );
    }
    resp
}

/// The final confirmation's submit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlaceForm {
    pub csrf_token: String,
    pub order_json: String,
    pub key: String,
}

impl CsrfToken for PlaceForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Places the confirmed order and goes to its page (the same link as in the email).
#[utoipa::path(post, path = "/{slug}/shop/place", tag = "pages",
    params(("slug" = String, Path, description = "aggregator")),
    responses((status = 303, description = "to the order page"), (status = 403, description = "HTML"),
        (status = 409, description = "HTML"), (status = 422, description = "HTML")))]
pub async fn place_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    CheckedForm(form): CheckedForm<PlaceForm>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let Ok(agg) = catalogue::shop_aggregator(&app, &slug).await else {
        return super::not_found_page(&req);
    };
    let Ok(order) = serde_json::from_str::<CheckoutRequest>(&form.order_json)
        .map_err(|_| ())
        .and_then(|o| {
            if o.payment_method == "card" {
                Err(())
            } else {
                Ok(o)
            }
        })
    else {
        return super::pages::message_page(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            "shop.cart",
            "shop.refuse.other",
        );
    };
    let client = crate::shop::handlers::client_of(&req);
    match checkout::place(&app, &agg, &client, &form.key, order).await {
        Ok(placed) => {
            let id = placed.order.id;
            let mut r = cx.redirect(&format!(
                "/{slug}/shop/orders/{id}?t={}",
                crate::orders::privacy::order_token(&app.settings, id)
            ));
            r.cookie(cart_cookie(&[], secure(&app)));
            r.finish()
        }
        Err(e) => {
            let (_, refusal) = explain(&e, &cx.t);
            let status = e.status_code();
            cart_page(
                &app,
                &req,
                &slug,
                CheckoutForm::default(),
                FieldErrors::default(),
                refusal,
                status,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shop_legal.html")]
struct LegalPage {
    c: Chrome,
    d: LegalDisclosure,
    /// (temperature class, prefecture or "", fee)
    fees: Vec<(String, String, String)>,
}

/// The 特商法 disclosure (特定商取引法に基づく表記) from the shop settings.
#[utoipa::path(get, path = "/{slug}/shop/legal", tag = "pages",
    params(("slug" = String, Path, description = "aggregator")),
    responses((status = 200, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn legal_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let found = async {
        let agg = catalogue::shop_aggregator(&app, &slug).await?;
        settings::cached(&app, agg.id).await
    }
    .await;
    let s = match found {
        Ok(s) => s,
        Err(ApiError::NotFound) => return super::not_found_page(&req),
        Err(e) => return super::pages::error_page(&req, &e),
    };
    let d = LegalDisclosure::from(s.as_ref());
    let page = LegalPage {
        c: cx.chrome(None),
        fees: d
            .shipping_fees
            .iter()
            .map(|f| {
                (
                    f.temperature_class.clone(),
                    f.prefecture.clone().unwrap_or_default(),
                    yen(f.fee_yen),
                )
            })
            .collect(),
        d,
    };
    cx.respond(StatusCode::OK, page.render())
}
