//! Finance pages for payout runs and the producer's payouts and statements (issue 16, and the
//! portal's past statements of issue 15). The same services as the JSON API; CSRF on every
//! form; a refused form comes back with the error at its field in the user's language.
//!
//! - `/finance/payout-runs`: the runs, a form to prepare one for a closed period, and the
//!   holds on producers' payouts (place one for a dispute, release one).
//! - `/finance/payout-runs/{id}`: a run's payouts; approve it (another finance user, with
//!   their password), cancel it before export, download its Zengin file (the same bytes every
//!   time), upload the bank's result file.
//! - `/portal/payouts`: a producer's payouts once their file is out, a notice when the bank
//!   returned one, and every statement with its PDF and CSV.
use super::extract::{SignedForm, SignedIn, SignedUpload};
use super::pages::{Chrome, Ctx, FieldErrors, ctx, error_page, get, pairs};
use super::warehouse_pages::form_errors;
use crate::{
    core::{self, money::grouped},
    error::ApiError,
    http::actor::{Actor, Role},
    money::{dto, payouts, reports, statements, zengin},
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use std::collections::HashMap;
use uuid::Uuid;

fn finance(actor: &Actor) -> bool {
    matches!(actor.role, Role::Finance | Role::Admin) && actor.aggregator_id.is_some()
}

/// One run in the list.
struct RunRow {
    id: Uuid,
    number: i32,
    period: String,
    status: String,
    status_label: &'static str,
    transfer_date: String,
    count: i32,
    total: String,
}

/// One hold in the list.
struct HoldRow {
    id: Uuid,
    producer: String,
    reason: &'static str,
    note: String,
    created: String,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/payout_runs.html")]
struct RunsPage {
    c: Chrome,
    runs: Vec<RunRow>,
    periods: Vec<(Uuid, String)>,
    producers: Vec<(Uuid, String)>,
    holds: Vec<HoldRow>,
    transfer_date: String,
    errors: FieldErrors,
    skipped: Vec<(String, &'static str, String)>,
}

/// One payout of a run.
struct PayoutRow {
    payee: String,
    account: String,
    amount: String,
    customer_code: String,
    status: String,
    status_label: &'static str,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/payout_run.html")]
struct RunPage {
    c: Chrome,
    run: RunRow,
    payouts: Vec<PayoutRow>,
    sha256: String,
    prepared_by_me: bool,
    errors: FieldErrors,
    imported: Option<String>,
}

async fn names(app: &AppState, agg: Uuid) -> Result<HashMap<Uuid, String>, ApiError> {
    let rows = crate::producers::repo::producers_where(
        &app.db,
        sea_orm::Condition::all().add(sea_orm::ColumnTrait::eq(
            &entity::producer::Column::AggregatorId,
            agg,
        )),
        10_000,
    )
    .await?;
    Ok(rows.into_iter().map(|p| (p.id, p.legal_name)).collect())
}

fn run_row(cx: &Ctx, r: &dto::RunView, periods: &HashMap<Uuid, String>) -> RunRow {
    RunRow {
        id: r.id,
        number: r.number,
        period: periods.get(&r.period_id).cloned().unwrap_or_default(),
        status_label: cx.t.label("payout.run_status", &r.status),
        status: r.status.clone(),
        transfer_date: r.transfer_date.to_string(),
        count: r.payout_count,
        total: grouped(r.total),
    }
}

async fn period_labels(
    app: &AppState,
    actor: &Actor,
) -> Result<Vec<(Uuid, String, String)>, ApiError> {
    Ok(reports::periods(app, actor)
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{} – {}", p.starts_on, p.ends_on), p.status))
        .collect())
}

async fn runs_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    errors: FieldErrors,
    skipped: Vec<(String, &'static str, String)>,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let built = async {
        let runs = payouts::runs(app, actor).await?;
        let periods = period_labels(app, actor).await?;
        let holds = payouts::holds(app, actor, false).await?;
        let names = names(app, actor.aggregator_id.unwrap_or_default()).await?;
        Ok::<_, ApiError>((runs, periods, holds, names))
    }
    .await;
    let (runs, periods, holds, names) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let labels: HashMap<Uuid, String> = periods.iter().map(|(id, l, _)| (*id, l.clone())).collect();
    let mut producers: Vec<(Uuid, String)> = names.iter().map(|(k, v)| (*k, v.clone())).collect();
    producers.sort_by(|a, b| a.1.cmp(&b.1));
    let default_day = zengin::transfer_day(core::today_jst() + chrono::Duration::days(2))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let page = RunsPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        runs: runs.iter().map(|r| run_row(&cx, r, &labels)).collect(),
        periods: periods
            .into_iter()
            .filter(|(_, _, s)| s == "closed")
            .map(|(id, l, _)| (id, l))
            .collect(),
        holds: holds
            .into_iter()
            .filter(|h| h.released_at.is_none())
            .map(|h| HoldRow {
                id: h.id,
                producer: names.get(&h.producer_id).cloned().unwrap_or_default(),
                reason: cx.t.label("payout.hold_reason", &h.reason),
                note: h.note,
                created: core::jst_text(h.created_at),
            })
            .collect(),
        producers,
        transfer_date: default_day,
        errors,
        skipped,
    };
    cx.respond(status, page.render())
}

/// Payout runs, the form to prepare one, and the holds (finance).
#[utoipa::path(get, path = "/finance/payout-runs", tag = "pages",
    responses((status = 200, description = "payout runs", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not finance", content_type = "text/html")))]
pub async fn runs_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    runs_view(
        &app,
        &req,
        &actor,
        FieldErrors::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Refused: the page again with the errors (422), or the error page.
async fn runs_refused(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    e: &ApiError,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let skipped = match e {
        ApiError::Conflict { details, .. } => skipped_rows(&cx, app, actor, details).await,
        _ => Vec::new(),
    };
    match form_errors(&cx, e) {
        Some(errors) => {
            runs_view(
                app,
                req,
                actor,
                errors,
                skipped,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        None => error_page(req, e),
    }
}

async fn skipped_rows(
    cx: &Ctx,
    app: &AppState,
    actor: &Actor,
    details: &serde_json::Value,
) -> Vec<(String, &'static str, String)> {
    let names = names(app, actor.aggregator_id.unwrap_or_default())
        .await
        .unwrap_or_default();
    details["skipped"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    let who = s["producer_id"]
                        .as_str()
                        .and_then(|p| Uuid::parse_str(p).ok())
                        .and_then(|p| names.get(&p).cloned())
                        .unwrap_or_else(|| cx.t.get("payout.fund").to_string());
                    (
                        who,
                        cx.t.label("payout.skip", s["reason"].as_str().unwrap_or("")),
                        grouped(s["amount"].as_i64().unwrap_or(0)),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Prepares a run from the form (period and transfer day).
#[utoipa::path(post, path = "/finance/payout-runs", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "to the new run"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn prepare_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields } = form;
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    let input = match (
        Uuid::parse_str(&fields.get("period_id")),
        fields
            .get("transfer_date")
            .trim()
            .parse::<chrono::NaiveDate>(),
    ) {
        (Ok(period_id), Ok(transfer_date)) => Ok(dto::PrepareInput {
            period_id,
            transfer_date,
        }),
        (Err(_), _) => Err(ApiError::field("period_id", "choose a closed period")),
        (_, Err(_)) => Err(ApiError::field("transfer_date", "must be a date")),
    };
    match async { payouts::prepare(&app, &actor, input?).await }.await {
        Ok(d) => cx
            .redirect(&format!("/finance/payout-runs/{}", d.run.id))
            .finish(),
        Err(e) => runs_refused(&app, &req, &actor, &e).await,
    }
}

/// Places a hold on a producer's payouts (a dispute).
#[utoipa::path(post, path = "/finance/payout-holds", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "held"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn hold_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields } = form;
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    let result = match Uuid::parse_str(&fields.get("producer_id")) {
        Ok(producer_id) => payouts::hold(
            &app,
            &actor,
            dto::HoldInput {
                producer_id,
                note: fields.get("note"),
            },
        )
        .await
        .map(|_| ()),
        Err(_) => Err(ApiError::field("producer_id", "choose a producer")),
    };
    match result {
        Ok(()) => cx.redirect("/finance/payout-runs").finish(),
        Err(e) => runs_refused(&app, &req, &actor, &e).await,
    }
}

/// Releases a hold.
#[utoipa::path(post, path = "/finance/payout-holds/{id}/release", tag = "pages",
    params(("id" = Uuid, Path, description = "hold id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "released"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn release_hold_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let actor = form.actor;
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    match payouts::release(&app, &actor, id.into_inner()).await {
        Ok(()) => cx.redirect("/finance/payout-runs").finish(),
        Err(e) => runs_refused(&app, &req, &actor, &e).await,
    }
}

async fn run_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    id: Uuid,
    errors: FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let built = async {
        let d = payouts::run(app, actor, id).await?;
        let periods = period_labels(app, actor).await?;
        let names = names(app, actor.aggregator_id.unwrap_or_default()).await?;
        let funds = crate::money::fee_rules::funds(app, actor).await?;
        Ok::<_, ApiError>((d, periods, names, funds))
    }
    .await;
    let (d, periods, names, funds) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let ja = cx.t.lang() == "ja";
    let labels: HashMap<Uuid, String> = periods.into_iter().map(|(id, l, _)| (id, l)).collect();
    let q = pairs(req.query_string().as_bytes());
    let imported = (!get(&q, "paid").is_empty()).then(|| {
        cx.t.get("payout.imported")
            .replace("%{paid}", &get(&q, "paid"))
            .replace("%{failed}", &get(&q, "failed"))
            .replace("%{unchanged}", &get(&q, "unchanged"))
            .replace("%{conflicts}", &get(&q, "conflicts"))
    });
    let page = RunPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        run: run_row(&cx, &d.run, &labels),
        payouts: d
            .payouts
            .into_iter()
            .map(|p| {
                let who = match (p.producer_id, p.fund_id) {
                    (Some(pid), _) => names.get(&pid).cloned().unwrap_or_default(),
                    (None, Some(fid)) => funds
                        .iter()
                        .find(|f| f.id == fid)
                        .map(|f| {
                            if ja {
                                f.name_ja.clone()
                            } else {
                                f.name_en.clone()
                            }
                        })
                        .unwrap_or_default(),
                    _ => cx.t.get("payout.refund_to_buyer").to_string(),
                };
                PayoutRow {
                    payee: format!("{who}（{}）", p.payee),
                    account: format!(
                        "{}-{} {} {}",
                        p.bank_code, p.branch_code, p.account_type, p.account_number
                    ),
                    amount: grouped(p.amount),
                    customer_code: p.customer_code,
                    status_label: cx.t.label("payout.status", &p.status),
                    status: p.status,
                }
            })
            .collect(),
        sha256: d.run.file_sha256.clone().unwrap_or_default(),
        prepared_by_me: d.run.prepared_by == actor.user_id,
        errors,
        imported,
    };
    cx.respond(status, page.render())
}

/// A payout run with its actions (finance).
#[utoipa::path(get, path = "/finance/payout-runs/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "run id")),
    responses((status = 200, description = "the run", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not finance", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html")))]
pub async fn run_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    id: web::Path<Uuid>,
) -> HttpResponse {
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    run_view(
        &app,
        &req,
        &actor,
        id.into_inner(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn run_refused(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    id: Uuid,
    e: &ApiError,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    match form_errors(&cx, e) {
        Some(errors) => {
            run_view(
                app,
                req,
                actor,
                id,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        None => error_page(req, e),
    }
}

/// A run action from its page: `approve` (with the password), `cancel` or `zengin` (the
/// file itself as the response).
#[utoipa::path(post, path = "/finance/payout-runs/{id}/{action}", tag = "pages",
    params(("id" = Uuid, Path, description = "run id"),
        ("action" = String, Path, description = "approve, cancel or zengin")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "the Zengin file", content_type = "text/plain"),
        (status = 303, description = "done: back to the run"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn run_action_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    let SignedForm { actor, fields } = form;
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let (id, action) = path.into_inner();
    let cx = ctx(&req, Some(&actor.locale));
    let result = match action.as_str() {
        "approve" => payouts::approve(
            &app,
            &actor,
            id,
            dto::ApproveInput {
                password: fields.get("password"),
            },
        )
        .await
        .map(|_| ()),
        "cancel" => payouts::cancel(&app, &actor, id).await.map(|_| ()),
        "zengin" => {
            return match payouts::export(&app, &actor, id).await {
                Ok((name, bytes)) => HttpResponse::Ok()
                    .content_type("text/plain; charset=Shift_JIS")
                    .insert_header((
                        "content-disposition",
                        format!("attachment; filename=\"{name}\""),
                    ))
                    .body(bytes),
                Err(e) => run_refused(&app, &req, &actor, id, &e).await,
            };
        }
        _ => Err(ApiError::NotFound),
    };
    match result {
        Ok(()) => cx.redirect(&format!("/finance/payout-runs/{id}")).finish(),
        Err(e) => run_refused(&app, &req, &actor, id, &e).await,
    }
}

/// Uploads the bank's result file for a run.
#[utoipa::path(post, path = "/finance/payout-runs/{id}/results", tag = "pages",
    params(("id" = Uuid, Path, description = "run id")),
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 303, description = "imported: back to the run with the counts"),
        (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn results_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    upload: SignedUpload,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let SignedUpload {
        actor,
        file,
        too_large,
        ..
    } = upload;
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let id = id.into_inner();
    let cx = ctx(&req, Some(&actor.locale));
    let result = if too_large {
        Err(ApiError::field("file", "is too large"))
    } else {
        payouts::import_results(&app, &actor, id, &file).await
    };
    match result {
        Ok(s) => cx
            .redirect(&format!(
                "/finance/payout-runs/{id}?paid={}&failed={}&unchanged={}&conflicts={}",
                s.paid,
                s.failed,
                s.unchanged,
                s.conflicts.len()
            ))
            .finish(),
        Err(e) => run_refused(&app, &req, &actor, id, &e).await,
    }
}

/// One payout in the portal.
struct MyPayout {
    transfer_date: String,
    amount: String,
    status_label: &'static str,
    statement: Option<Uuid>,
}

/// One statement in the portal.
struct MyStatement {
    id: Uuid,
    number: String,
    issued: String,
    net: String,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/portal_payouts.html")]
struct PortalPage {
    c: Chrome,
    payouts: Vec<MyPayout>,
    statements: Vec<MyStatement>,
    returned: bool,
}

/// The producer's payouts and statements.
#[utoipa::path(get, path = "/portal/payouts", tag = "pages",
    responses((status = 200, description = "payouts and statements", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not a producer", content_type = "text/html")))]
pub async fn portal_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if actor.role != Role::Producer {
        return error_page(&req, &ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    let built = async {
        let p = payouts::payouts(&app, &actor, None).await?;
        let s = statements::list(&app, &actor, None).await?;
        let returned = payouts::transfer_returned(&app, &actor).await?;
        Ok::<_, ApiError>((p, s, returned))
    }
    .await;
    let (p, s, returned) = match built {
        Ok(x) => x,
        Err(e) => return error_page(&req, &e),
    };
    let page = PortalPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        payouts: p
            .into_iter()
            .map(|x| MyPayout {
                transfer_date: x.transfer_date.map(|d| d.to_string()).unwrap_or_default(),
                amount: grouped(x.amount),
                status_label: cx.t.label("payout.status", &x.status),
                statement: x.statement_id,
            })
            .collect(),
        statements: s
            .into_iter()
            .map(|x| MyStatement {
                id: x.id,
                number: x.number,
                issued: core::jst_text(x.created_at).chars().take(10).collect(),
                net: grouped(x.net_payable),
            })
            .collect(),
        returned,
    };
    cx.respond(StatusCode::OK, page.render())
}
