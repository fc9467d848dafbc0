//! Staff pages of the order core: the order list with status filters, an order with its
//! lines, parcels, buyer and returns and the next fulfilment step as a button (mark paid, pick,
//! pack, tracking per parcel, delivered, cancel), and the shop settings (edited as the same
//! JSON document the API takes, checked field by field).
use super::extract::{SignedForm, SignedIn};
use super::pages::{Chrome, ctx, error_page, message_page};
use crate::{
    core::{money::yen, pagination::Page},
    error::ApiError,
    orders::{domain::Contact, fulfilment, service as orders},
    shop::settings,
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Order list filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    pub status: Option<String>,
    pub payment_status: Option<String>,
    pub fulfilment_status: Option<String>,
    pub lang: Option<String>,
}

struct Row {
    id: Uuid,
    number: String,
    created: String,
    status: &'static str,
    payment_status: &'static str,
    fulfilment_status: &'static str,
    total: String,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/operator_orders.html"
)]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    fulfilment_status: String,
    payment_status: String,
}

/// The caller's aggregator's orders (newest 200) with status filters.
#[utoipa::path(get, path = "/operator/orders", tag = "pages", params(OrderListQuery),
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML"), (status = 422, description = "HTML")))]
pub async fn list_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    q: web::Query<OrderListQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    let keep = |v: Option<String>| v.filter(|s| !s.is_empty());
    let found = orders::list(
        &app,
        &actor,
        orders::OrderFilter {
            status: keep(q.status),
            payment_status: keep(q.payment_status.clone()),
            fulfilment_status: keep(q.fulfilment_status.clone()),
            ..orders::OrderFilter::default()
        },
        Page {
            limit: 200,
            after: None,
        },
    )
    .await;
    let items = match found {
        Ok(i) => i,
        Err(ApiError::Validation { .. }) => {
            return message_page(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                "orders.title",
                "shop.bad_filter",
            );
        }
        Err(e) => return error_page(&req, &e),
    };
    let cx = ctx(&req, Some(&actor.locale));
    let page = ListPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        rows: items
            .into_iter()
            .map(|o| Row {
                id: o.id,
                number: o.number,
                created: crate::core::jst_text(o.created_at),
                status: o.status.as_str(),
                payment_status: o.payment_status.as_str(),
                fulfilment_status: o.fulfilment_status.as_str(),
                total: yen(o.grand_total),
            })
            .collect(),
        fulfilment_status: q.fulfilment_status.unwrap_or_default(),
        payment_status: q.payment_status.unwrap_or_default(),
    };
    cx.respond(StatusCode::OK, page.render())
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/operator_order.html")]
struct DetailPage {
    c: Chrome,
    o: entity::shop_order::Model,
    total: String,
    /// (title, reduced, qty, returned, amount)
    lines: Vec<(String, bool, i64, i64, String)>,
    /// (seq, temperature class, status, tracking)
    parcels: Vec<(i32, String, String, String)>,
    buyer: String,
    ship_to: String,
    /// (qty, disposition, refund, refund status)
    returns: Vec<(i64, String, String, String)>,
    error: Option<String>,
    /// (code, detail) of what needs a look.
    attention: Vec<(String, String)>,
    oversold: bool,
}

/// One order with its next step as buttons.
#[utoipa::path(get, path = "/operator/orders/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "order id")),
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn detail_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let error = req
        .query_string()
        .split('&')
        .find_map(|kv| kv.strip_prefix("error="))
        .map(|e| {
            url::form_urlencoded::parse(format!("e={e}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        });
    let (d, buyer) = match orders::get(&app, &actor, id.into_inner()).await {
        Ok(v) => v,
        Err(ApiError::NotFound) => return super::not_found_page(&req),
        Err(e) => return error_page(&req, &e),
    };
    let contact = |c: &Contact| {
        format!(
            "{} / 〒{} {} {} {} {} / {} / {}",
            c.name, c.postal_code, c.prefecture, c.city, c.address1, c.address2, c.phone, c.email
        )
    };
    let titles: BTreeMap<Uuid, String> = d.lines.iter().map(|l| (l.id, l.title.clone())).collect();
    let cx = ctx(&req, Some(&actor.locale));
    let page = DetailPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        total: yen(d.order.grand_total),
        lines: d
            .lines
            .iter()
            .map(|l| {
                (
                    l.title.clone(),
                    l.tax_rate == 8,
                    l.qty,
                    l.returned_qty,
                    yen(l.line_total),
                )
            })
            .collect(),
        parcels: d
            .parcels
            .iter()
            .map(|p| {
                (
                    p.seq,
                    p.temperature_class.clone(),
                    p.status.as_str().to_string(),
                    p.tracking_number.clone().unwrap_or_default(),
                )
            })
            .collect(),
        buyer: buyer
            .as_ref()
            .map(|b| contact(&b.buyer))
            .unwrap_or_default(),
        ship_to: buyer
            .as_ref()
            .and_then(|b| b.ship_to.as_ref())
            .map(contact)
            .unwrap_or_default(),
        returns: d
            .returns
            .iter()
            .map(|r| {
                (
                    r.qty,
                    format!(
                        "{} {}",
                        titles.get(&r.order_line_id).cloned().unwrap_or_default(),
                        r.disposition
                    ),
                    yen(r.refund_amount),
                    r.refund_status.clone(),
                )
            })
            .collect(),
        error,
        attention: crate::orders::domain::attention_of(&d.order)
            .into_iter()
            .map(|a| (a.code, a.detail))
            .collect(),
        oversold: crate::orders::domain::has_attention(
            &d.order,
            crate::orders::domain::attention::OVERSOLD,
        ),
        o: d.order,
    };
    cx.respond(StatusCode::OK, page.render())
}

/// Runs one step on an order from its page: `mark-paid`, `pick`, `pack`, `tracking` (with
/// `seq` and `tracking_number`), `delivered`, `cancel` (with `reason`) or `refund-account`
/// (the buyer's bank account for a refund by transfer).
#[utoipa::path(post, path = "/operator/orders/{id}/{action}", tag = "pages",
    params(("id" = Uuid, Path, description = "order id"), ("action" = String, Path, description = "mark-paid, pick, pack, tracking, delivered, cancel or refund-account")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "back to the order (with the problem when refused)"), (status = 403, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn action_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let field = |k: &str| f.get(k);
    let (id, action) = path.into_inner();
    let result = match action.as_str() {
        "mark-paid" => orders::mark_paid(&app, &actor, id).await.map(|_| ()),
        "pick" => fulfilment::pick(&app, &actor, &[id]).await.map(|_| ()),
        "pack" => fulfilment::pack(&app, &actor, id).await.map(|_| ()),
        "tracking" => match field("seq").parse::<i32>() {
            Ok(seq) => crate::orders::tracking::set_tracking(
                &app,
                &actor,
                id,
                seq,
                &field("tracking_number"),
            )
            .await
            .map(|_| ()),
            Err(_) => Err(ApiError::NotFound),
        },
        "delivered" => fulfilment::deliver(&app, &actor, id).await.map(|_| ()),
        "cancel" => orders::cancel(&app, &actor, id, &field("reason"))
            .await
            .map(|_| ()),
        "refund-account" => crate::orders::refunds::set_account(
            &app,
            &actor,
            id,
            crate::producers::dto::BankRequest {
                kind: field("kind"),
                bank_code: field("bank_code"),
                branch_code: field("branch_code"),
                account_type: field("account_type"),
                account_number: field("account_number"),
                jp_symbol: field("jp_symbol"),
                jp_number: field("jp_number"),
                holder_kana: field("holder_kana"),
            },
        )
        .await
        .map(|_| ()),
        _ => Err(ApiError::NotFound),
    };
    let cx = ctx(&req, Some(&actor.locale));
    super::pages::back_to(&cx, &req, &format!("/operator/orders/{id}"), result)
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/operator_shop_settings.html"
)]
struct SettingsPage {
    c: Chrome,
    json: String,
    /// (field, problem)
    errors: Vec<(String, String)>,
    saved: bool,
}

/// The shop settings as one JSON document (fee table, surcharges, methods, licence, limits,
/// 特商法 texts, Yamato customer code).
#[utoipa::path(get, path = "/operator/shop-settings", tag = "pages",
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML")))]
pub async fn settings_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    let s = match settings::get(&app, &actor).await {
        Ok(s) => s,
        Err(e) => return error_page(&req, &e),
    };
    let cx = ctx(&req, Some(&actor.locale));
    let page = SettingsPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        json: serde_json::to_string_pretty(&s).unwrap_or_default(),
        errors: Vec::new(),
        saved: req.query_string().contains("saved=1"),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// Saves the shop settings document; problems are listed by field and nothing is saved.
#[utoipa::path(post, path = "/operator/shop-settings", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "saved"), (status = 403, description = "HTML"), (status = 422, description = "HTML with the problems")))]
pub async fn settings_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let json = f.get("settings");
    let parsed = serde_json::from_str::<settings::ShopSettings>(&json)
        .map_err(|e| vec![("settings".to_string(), e.to_string())]);
    let result = match parsed {
        Ok(s) => settings::put(&app, &actor, s).await.map_err(|e| match e {
            ApiError::Validation { fields, .. } => Ok(fields),
            other => Err(other),
        }),
        Err(errors) => Err(Ok(errors)),
    };
    let cx = ctx(&req, Some(&actor.locale));
    match result {
        Ok(_) => cx.redirect("/operator/shop-settings?saved=1").finish(),
        Err(Ok(errors)) => {
            let page = SettingsPage {
                c: cx.chrome(Some(actor.display_name.clone())),
                json,
                errors,
                saved: false,
            };
            cx.respond(StatusCode::UNPROCESSABLE_ENTITY, page.render())
        }
        Err(Err(e)) => error_page(&req, &e),
    }
}
