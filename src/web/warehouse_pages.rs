//! Warehouse pages beyond receiving: a lot's history with adjustments and its recall trace,
//! holds (reserve, release, ship, take back), inventory rules and the recall search. Same
//! services as the API; CSRF on every form; errors shown at their field in the user's language.
use super::extract::{FormFields, SignedForm, SignedIn};
use super::pages::{Chrome, FieldErrors, ctx, error_page, get, pairs};
use crate::{
    catalog::service as catalog,
    core::{self, secrets::random_token},
    error::ApiError,
    http::actor::{Actor, Role},
    inventory::{
        adjustments::{self, AdjustmentInput},
        reservations::{self, ReserveLine, ReserveRequest},
        returns::{self, ReturnLine},
        stock,
    },
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use std::collections::BTreeMap;
use uuid::Uuid;

pub(super) fn staff(actor: &Actor) -> bool {
    matches!(actor.role, Role::Operator | Role::Admin)
}

/// The page error text of an API field (`lines[0].qty` → `wh.err.qty`).
pub(super) fn field_text(cx: &super::pages::Ctx, field: &str) -> &'static str {
    let name = field.rsplit('.').next().unwrap_or(field);
    match cx.t.get(&format!("wh.err.{name}")) {
        "??" => cx.t.get("form.has_errors"),
        text => text,
    }
}

/// Field errors of a refused form: each API field at its own name, conflicts under `form`.
pub(super) fn form_errors(cx: &super::pages::Ctx, e: &ApiError) -> Option<FieldErrors> {
    let mut errors = FieldErrors::default();
    match e {
        ApiError::Validation { fields, .. } => {
            for (f, _) in fields {
                let name = f.rsplit('.').next().unwrap_or(f);
                errors.set(name, field_text(cx, f));
            }
        }
        ApiError::Conflict { code, .. } | ApiError::Unprocessable { code, .. } => {
            let text = match cx.t.get(&format!("wh.err.{code}")) {
                "??" => cx.t.get("form.has_errors"),
                t => t,
            };
            errors.set("form", text);
        }
        _ => return None,
    }
    errors.set("any", cx.t.get("form.has_errors"));
    Some(errors)
}

pub(super) async fn sku_names(
    app: &AppState,
    actor: &Actor,
) -> Result<BTreeMap<Uuid, String>, ApiError> {
    Ok(catalog::skus_in_scope(app, actor)
        .await?
        .into_iter()
        .map(|(s, t, _)| (s.id, format!("{} {}", s.code, t)))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// A lot: history, adjustments, recall trace.

/// One ledger row on the lot page: (time JST, kind, on-hand delta, reserved delta, bearer,
/// reason).
type MovementRow = (String, &'static str, i64, i64, String, String);

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/lot.html")]
struct LotPage {
    c: Chrome,
    staff: bool,
    id: Uuid,
    sku: String,
    lot_code: String,
    best_before: String,
    days: i64,
    on_hand: i64,
    reserved: i64,
    movements: Vec<MovementRow>,
    kinds: Vec<&'static str>,
    errors: FieldErrors,
    qty_delta: String,
    reason: String,
    /// (reference, status, qty, time JST).
    recall: Vec<(String, &'static str, i64, String)>,
}

async fn lot_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    id: Uuid,
    errors: FieldErrors,
    form: (String, String),
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let built = async {
        let lot = stock::lot(app, actor, id).await?;
        let movements = stock::movements(app, actor, Some(id), None, None).await?;
        let recall = if staff(actor) {
            adjustments::recall(app, actor, Some(id), None, None, None).await?
        } else {
            Vec::new()
        };
        let names = sku_names(app, actor).await?;
        Ok::<_, ApiError>((lot, movements, recall, names))
    }
    .await;
    let (lot, movements, recall, names) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let page = LotPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        staff: staff(actor),
        id,
        sku: names
            .get(&lot.sku_id)
            .cloned()
            .unwrap_or_else(|| lot.sku_id.to_string()),
        lot_code: lot.lot_code.clone(),
        best_before: lot.best_before.to_string(),
        days: (lot.best_before - core::today_jst()).num_days(),
        on_hand: lot.on_hand,
        reserved: lot.reserved,
        movements: movements
            .into_iter()
            .map(|m| {
                (
                    core::jst_text(m.created_at),
                    cx.t.label("mv", &m.kind),
                    m.on_hand_delta,
                    m.reserved_delta,
                    m.loss_bearer
                        .map(|b| cx.t.label("bearer", &b).to_string())
                        .unwrap_or_default(),
                    m.reason,
                )
            })
            .collect(),
        kinds: adjustments::KINDS.iter().map(|(k, _)| *k).collect(),
        errors,
        qty_delta: form.0,
        reason: form.1,
        recall: recall
            .into_iter()
            .map(|r| {
                (
                    r.reservation.reference,
                    cx.t.label("hold.status", &r.reservation.status),
                    r.qty,
                    core::jst_text(r.reservation.created_at),
                )
            })
            .collect(),
    };
    cx.respond(status, page.render())
}

/// A lot: its history (producers see their own lots), and for operators the adjustment form
/// and the recall trace.
#[utoipa::path(get, path = "/stock/lots/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "lot id")),
    responses((status = 200, description = "lot", content_type = "text/html"), (status = 303, description = "to /login"),
        (status = 404, description = "not found", content_type = "text/html")))]
pub async fn lot_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(a): SignedIn,
    id: web::Path<Uuid>,
) -> HttpResponse {
    lot_view(
        &app,
        &req,
        &a,
        id.into_inner(),
        FieldErrors::default(),
        (String::new(), String::new()),
        StatusCode::OK,
    )
    .await
}

/// Adjusts a lot from its page (operators).
#[utoipa::path(post, path = "/stock/lots/{id}/adjust", tag = "pages",
    params(("id" = Uuid, Path, description = "lot id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "adjusted"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with errors", content_type = "text/html")))]
pub async fn adjust_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let (actor, f) = match staff_form(&req, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let cx = ctx(&req, Some(&actor.locale));
    let id = id.into_inner();
    let qty_text = f.get("qty_delta");
    let bearer = f.get("loss_bearer");
    let result = match qty_text.trim().parse::<i64>() {
        Ok(qty_delta) => adjustments::adjust(
            &app,
            &actor,
            AdjustmentInput {
                lot_id: id,
                kind: f.get("kind"),
                qty_delta,
                reason: f.get("reason"),
                loss_bearer: (!bearer.is_empty()).then_some(bearer),
            },
        )
        .await
        .map(|_| ()),
        Err(_) => Err(ApiError::field("qty_delta", "must be a whole number")),
    };
    match result {
        Ok(()) => cx.redirect(&format!("/stock/lots/{id}")).finish(),
        Err(e) => match form_errors(&cx, &e) {
            Some(errors) => {
                lot_view(
                    &app,
                    &req,
                    &actor,
                    id,
                    errors,
                    (qty_text, f.get("reason")),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => error_page(&req, &e),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Holds: reserve, release, ship, take back.

/// A reservation on the holds page.
pub struct HoldRow {
    pub id: Uuid,
    pub status: String,
    pub reference: String,
    pub created: String,
    pub expires: String,
    /// (lot id, SKU, lot code, qty, returned).
    pub lines: Vec<(Uuid, String, String, i64, i64)>,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/holds.html")]
struct HoldsPage {
    c: Chrome,
    holds: Vec<HoldRow>,
    skus: Vec<(String, String)>,
    prefectures: Vec<(String, String)>,
    slots: Vec<usize>,
    statuses: Vec<&'static str>,
    status: String,
    errors: FieldErrors,
    form_key: String,
}

async fn holds_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    status_filter: &str,
    errors: FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let built = async {
        let holds = reservations::list(app, actor, Some(status_filter)).await?;
        let lot_ids: Vec<Uuid> = holds
            .iter()
            .flat_map(|h| h.lines.iter().map(|l| l.lot_id))
            .collect();
        let lots = stock::lot_codes(app, actor, &lot_ids).await?;
        let prefectures = crate::reference::service::prefectures(&app.db).await?;
        let names = sku_names(app, actor).await?;
        Ok::<_, ApiError>((holds, lots, prefectures, names))
    }
    .await;
    let (holds, lots, prefectures, names) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let ja = cx.t.lang() == "ja";
    let page = HoldsPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        holds: holds
            .into_iter()
            .map(|h| HoldRow {
                id: h.reservation.id,
                status: h.reservation.status.clone(),
                reference: h.reservation.reference.clone(),
                created: core::jst_text(h.reservation.created_at),
                expires: h
                    .reservation
                    .expires_at
                    .filter(|_| h.reservation.status == reservations::status::HELD)
                    .map(core::jst_text)
                    .unwrap_or_default(),
                lines: h
                    .lines
                    .iter()
                    .map(|l| {
                        (
                            l.lot_id,
                            names.get(&l.sku_id).cloned().unwrap_or_default(),
                            lots.get(&l.lot_id).cloned().unwrap_or_default(),
                            l.qty,
                            l.returned_qty,
                        )
                    })
                    .collect(),
            })
            .collect(),
        skus: names
            .into_iter()
            .map(|(id, n)| (id.to_string(), n))
            .collect(),
        prefectures: prefectures
            .into_iter()
            .map(|p| (p.code, if ja { p.name_ja } else { p.name_en }))
            .collect(),
        slots: (0..3).collect(),
        statuses: reservations::status::ALL.to_vec(),
        status: status_filter.to_string(),
        errors,
        // A fresh key per rendered form: a double-submitted form is recorded once.
        form_key: random_token(),
    };
    cx.respond(status, page.render())
}

#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
pub(super) fn staff_only(req: &HttpRequest, actor: SignedIn) -> Result<Actor, HttpResponse> {
    let SignedIn(actor) = actor;
    if staff(&actor) {
        Ok(actor)
    } else {
        Err(error_page(req, &ApiError::forbidden()))
    }
}

/// A staff member's submitted form (CSRF checked by [`SignedForm`]): the actor and the fields.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
pub(super) fn staff_form(
    req: &HttpRequest,
    form: SignedForm,
) -> Result<(Actor, FormFields), HttpResponse> {
    if staff(&form.actor) {
        Ok((form.actor, form.fields))
    } else {
        Err(error_page(req, &ApiError::forbidden()))
    }
}

/// Holds and reservations (operators): a form to hold stock (e.g. for a phone order), release
/// or ship a hold, take back units of a shipped one.
#[utoipa::path(get, path = "/holds", tag = "pages",
    params(("status" = Option<String>, Query, description = "held, consumed, released or expired")),
    responses((status = 200, description = "holds", content_type = "text/html"), (status = 303, description = "to /login"),
        (status = 403, description = "not staff", content_type = "text/html")))]
pub async fn holds_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    actor: SignedIn,
) -> HttpResponse {
    let actor = match staff_only(&req, actor) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = pairs(req.query_string().as_bytes());
    let mut st = get(&q, "status");
    if !reservations::status::ALL.contains(&st.as_str()) {
        st.clear();
    }
    holds_view(
        &app,
        &req,
        &actor,
        &st,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn holds_result(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    result: Result<(), ApiError>,
    at: Option<Uuid>,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    match result {
        Ok(()) => cx.redirect("/holds").finish(),
        Err(e) => match form_errors(&cx, &e) {
            Some(mut errors) => {
                if let Some(id) = at {
                    let text = errors
                        .get("form")
                        .or_else(|| errors.0.values().next())
                        .copied()
                        .unwrap_or_else(|| cx.t.get("form.has_errors"));
                    errors.set(&format!("hold_{id}"), text);
                }
                holds_view(
                    app,
                    req,
                    actor,
                    "",
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => error_page(req, &e),
        },
    }
}

/// Holds stock from the form (up to three lines; all or nothing).
#[utoipa::path(post, path = "/holds", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "held"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with errors (e.g. out of stock)", content_type = "text/html")))]
pub async fn create_hold_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let (actor, f) = match staff_form(&req, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut lines = Vec::new();
    let mut bad = None;
    for i in 0..3 {
        let (sku, qty) = (f.get(&format!("sku_{i}")), f.get(&format!("qty_{i}")));
        if sku.is_empty() && qty.trim().is_empty() {
            continue;
        }
        match (Uuid::parse_str(&sku), qty.trim().parse::<i64>()) {
            (Ok(sku_id), Ok(qty)) => lines.push(ReserveLine { sku_id, qty }),
            (Err(_), _) => bad = Some(ApiError::field("sku_id", "choose a SKU")),
            (_, Err(_)) => bad = Some(ApiError::field("qty", "must be a whole number")),
        }
    }
    let minutes = f.get("expires_in_minutes");
    let result = match (bad, minutes.trim()) {
        (Some(e), _) => Err(e),
        (None, m) if !m.is_empty() && m.parse::<i64>().is_err() => Err(ApiError::field(
            "expires_in_minutes",
            "must be a whole number",
        )),
        (None, m) => {
            let dest = f.get("destination_prefecture");
            reservations::reserve(
                &app,
                &actor,
                ReserveRequest {
                    lines,
                    destination_prefecture: (!dest.is_empty()).then_some(dest),
                    reference: f.get("reference"),
                    expires_in_minutes: m.parse().ok(),
                },
                Some(format!("page-{}", f.get("form_key"))),
            )
            .await
            .map(|_| ())
        }
    };
    holds_result(&app, &req, &actor, result, None).await
}

async fn hold_action(
    app: &AppState,
    req: &HttpRequest,
    form: SignedForm,
    id: Uuid,
    release: bool,
) -> HttpResponse {
    let (actor, _) = match staff_form(req, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = if release {
        reservations::release(app, &actor, id).await
    } else {
        reservations::consume(app, &actor, id).await
    };
    holds_result(app, req, &actor, result.map(|_| ()), Some(id)).await
}

/// Releases a hold: its units are available again.
#[utoipa::path(post, path = "/holds/{id}/release", tag = "pages",
    params(("id" = Uuid, Path, description = "reservation id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "released"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn release_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    hold_action(&app, &req, form, id.into_inner(), true).await
}

/// Ships a hold: its units leave the warehouse.
#[utoipa::path(post, path = "/holds/{id}/consume", tag = "pages",
    params(("id" = Uuid, Path, description = "reservation id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "shipped"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn consume_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    hold_action(&app, &req, form, id.into_inner(), false).await
}

/// Takes back units of a shipped reservation: per lot a quantity, restock or dispose (with who
/// bears the loss), and a reason.
#[utoipa::path(post, path = "/holds/{id}/returns", tag = "pages",
    params(("id" = Uuid, Path, description = "reservation id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "recorded"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn return_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let (actor, f) = match staff_form(&req, form) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let id = id.into_inner();
    let mut lines = Vec::new();
    let mut bad = None;
    for (k, v) in f.iter() {
        let Some(lot) = k.strip_prefix("qty_") else {
            continue;
        };
        if v.trim().is_empty() || v.trim() == "0" {
            continue;
        }
        let (Ok(lot_id), Ok(qty)) = (Uuid::parse_str(lot), v.trim().parse::<i64>()) else {
            bad = Some(ApiError::field("qty", "must be a whole number"));
            continue;
        };
        let bearer = f.get(&format!("bearer_{lot}"));
        lines.push(ReturnLine {
            lot_id,
            qty,
            disposition: f.get(&format!("disposition_{lot}")),
            loss_bearer: (!bearer.is_empty()).then_some(bearer),
        });
    }
    let result = match bad {
        Some(e) => Err(e),
        None => returns::return_units(
            &app,
            &actor,
            id,
            &f.get("reason"),
            lines,
            Some(&format!("page-{}", f.get("form_key"))),
        )
        .await
        .map(|_| ()),
    };
    holds_result(&app, &req, &actor, result, Some(id)).await
}

// ---------------------------------------------------------------------------------------------
// Inventory rules.
