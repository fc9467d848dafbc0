//! Operators' pages for the per-aggregator inventory rules and the recall trace.
use super::extract::{SignedForm, SignedIn};
use super::pages::{Chrome, FieldErrors, ctx, error_page, get, pairs};
use crate::{
    catalog::service as catalog,
    core::{self},
    error::ApiError,
    http::actor::Actor,
    inventory::{
        adjustments::{self},
        rules, stock,
    },
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use std::collections::HashMap;
use uuid::Uuid;

use super::warehouse_pages::{form_errors, sku_names, staff_form, staff_only};

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/rules.html")]
struct RulesPage {
    c: Chrome,
    /// (kind, key label, days).
    rules: Vec<(&'static str, String, i32)>,
    categories: Vec<(String, String)>,
    prefectures: Vec<(String, String)>,
    default_min: i64,
    transit_okinawa: i64,
    transit_other: i64,
    errors: FieldErrors,
}

async fn rules_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    errors: FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let ja = cx.t.lang() == "ja";
    let built = async {
        let list = rules::list(app, actor).await?;
        let categories = catalog::categories(&app.db).await?;
        let prefectures = crate::reference::service::prefectures(&app.db).await?;
        Ok::<_, ApiError>((list, categories, prefectures))
    }
    .await;
    let (list, categories, prefectures) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let categories: Vec<(String, String)> = categories
        .into_iter()
        .map(|c| (c.code, if ja { c.name_ja } else { c.name_en }))
        .collect();
    let prefectures: Vec<(String, String)> = prefectures
        .into_iter()
        .map(|p| (p.code, if ja { p.name_ja } else { p.name_en }))
        .collect();
    let label = |kind: &str, key: &str| {
        let names = if kind == rules::MIN_DAYS_CATEGORY {
            &categories
        } else {
            &prefectures
        };
        names
            .iter()
            .find(|(c, _)| c == key)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| key.to_string())
    };
    let cfg = &app.settings.inventory;
    let page = RulesPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        rules: list
            .iter()
            .map(|r| (cx.t.label("rule", &r.kind), label(&r.kind, &r.key), r.days))
            .collect(),
        categories: categories.clone(),
        prefectures: prefectures.clone(),
        default_min: cfg.min_remaining_days,
        transit_okinawa: cfg.transit_days_okinawa,
        transit_other: cfg.transit_days_other,
        errors,
    };
    cx.respond(status, page.render())
}

/// The aggregator's inventory rules (operators): shelf-life minimum per category, transit days
/// per destination prefecture.
#[utoipa::path(get, path = "/stock/rules", tag = "pages",
    responses((status = 200, description = "rules", content_type = "text/html"), (status = 303, description = "to /login"),
        (status = 403, description = "not staff", content_type = "text/html")))]
pub async fn rules_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    actor: SignedIn,
) -> HttpResponse {
    match staff_only(&req, actor) {
        Ok(a) => rules_view(&app, &req, &a, FieldErrors::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

/// Sets one rule from the page.
#[utoipa::path(post, path = "/stock/rules", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "saved"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with errors", content_type = "text/html")))]
pub async fn rule_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let (actor, f) = match staff_form(&req, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let cx = ctx(&req, Some(&actor.locale));
    let result = match f.get("days").trim().parse::<i32>() {
        Ok(days) => rules::set(&app, &actor, &f.get("kind"), &f.get("key"), days)
            .await
            .map(|_| ()),
        Err(_) => Err(ApiError::field("days", "must be a whole number")),
    };
    match result {
        Ok(()) => cx.redirect("/stock/rules").finish(),
        Err(e) => match form_errors(&cx, &e) {
            Some(errors) => {
                rules_view(&app, &req, &actor, errors, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => error_page(&req, &e),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Recall search.

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/recall.html")]
struct RecallPage {
    c: Chrome,
    producers: Vec<(String, String)>,
    producer: String,
    from: String,
    to: String,
    searched: bool,
    /// (reference, status, SKU, lot code, qty, time JST).
    rows: Vec<(String, &'static str, String, String, i64, String)>,
    errors: FieldErrors,
}

/// Recall search (operators): every reservation that took units of a producer's lots dated in
/// a range (a single lot's trace is on its lot page).
#[utoipa::path(get, path = "/recall", tag = "pages",
    params(("producer_id" = Option<Uuid>, Query, description = "producer"),
        ("from" = Option<String>, Query, description = "lots dated from (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "lots dated until (YYYY-MM-DD)")),
    responses((status = 200, description = "recall", content_type = "text/html"), (status = 303, description = "to /login"),
        (status = 403, description = "not staff", content_type = "text/html"),
        (status = 422, description = "page with errors", content_type = "text/html")))]
pub async fn recall_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    actor: SignedIn,
) -> HttpResponse {
    let actor = match staff_only(&req, actor) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let cx = ctx(&req, Some(&actor.locale));
    let q = pairs(req.query_string().as_bytes());
    let (producer, from, to) = (get(&q, "producer_id"), get(&q, "from"), get(&q, "to"));
    let searched = !producer.is_empty();
    let date = |s: &str, field: &'static str| {
        if s.is_empty() {
            Ok(None)
        } else {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| ApiError::field(field, "must be a date"))
        }
    };
    let result = async {
        if !searched {
            return Ok(Vec::new());
        }
        let pid = Uuid::parse_str(&producer)
            .map_err(|_| ApiError::field("producer_id", "choose a producer"))?;
        adjustments::recall(
            &app,
            &actor,
            None,
            Some(pid),
            date(&from, "from")?,
            date(&to, "to")?,
        )
        .await
    }
    .await;
    let (rows, errors, status) = match result {
        Ok(rows) => (rows, FieldErrors::default(), StatusCode::OK),
        Err(e) => match form_errors(&cx, &e) {
            Some(errors) => (Vec::new(), errors, StatusCode::UNPROCESSABLE_ENTITY),
            None => return error_page(&req, &e),
        },
    };
    let producers = crate::producers::service::list_producers(
        &app,
        &actor,
        crate::producers::service::ProducerFilter::default(),
        crate::core::pagination::Page {
            limit: 200,
            after: None,
        },
    )
    .await;
    let (producers, names) = match (producers, sku_names(&app, &actor).await) {
        (Ok(p), Ok(n)) => (p, n),
        (Err(e), _) | (_, Err(e)) => return error_page(&req, &e),
    };
    let mut lots = HashMap::new();
    for r in &rows {
        if let std::collections::hash_map::Entry::Vacant(v) = lots.entry(r.lot_id)
            && let Ok(l) = stock::lot(&app, &actor, r.lot_id).await
        {
            v.insert(l);
        }
    }
    let page = RecallPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        producers: producers
            .into_iter()
            .map(|p| (p.id.to_string(), p.legal_name))
            .collect(),
        producer,
        from,
        to,
        searched,
        rows: rows
            .into_iter()
            .map(|r| {
                let lot = lots.get(&r.lot_id);
                (
                    r.reservation.reference,
                    cx.t.label("hold.status", &r.reservation.status),
                    lot.and_then(|l| names.get(&l.sku_id).cloned())
                        .unwrap_or_default(),
                    lot.map(|l| l.lot_code.clone()).unwrap_or_default(),
                    r.qty,
                    core::jst_text(r.reservation.created_at),
                )
            })
            .collect(),
        errors,
    };
    cx.respond(status, page.render())
}
