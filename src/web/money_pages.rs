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

/// One period in the list.
struct PeriodRow {
    id: Uuid,
    label: String,
    status_label: &'static str,
    closable: bool,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/finance_periods.html"
)]
struct PeriodsPage {
    c: Chrome,
    periods: Vec<PeriodRow>,
    funds: Vec<(Uuid, String)>,
    errors: FieldErrors,
}

/// One island's bar in the chart of payables.
struct Bar {
    name: String,
    amount: String,
    producers: usize,
    /// Width in per mille of the largest bar.
    width: i64,
    y: i64,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/finance_period.html")]
struct PeriodPage {
    c: Chrome,
    id: Uuid,
    label: String,
    status_label: &'static str,
    statements: usize,
    payable_total: String,
    bars: Vec<Bar>,
    chart_height: i64,
    /// (code, subject, debit, credit, net)
    accounts: Vec<(String, String, String, String, String)>,
    balanced: bool,
    total_debit: String,
    total_credit: String,
}

async fn periods_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    errors: FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let ja = cx.t.lang() == "ja";
    let built = async {
        let periods = reports::periods(app, actor).await?;
        let funds = crate::money::fee_rules::funds(app, actor).await?;
        Ok::<_, ApiError>((periods, funds))
    }
    .await;
    let (periods, funds) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let today = core::today_jst();
    let page = PeriodsPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        periods: periods
            .into_iter()
            .map(|p| PeriodRow {
                id: p.id,
                label: format!("{} – {}", p.starts_on, p.ends_on),
                status_label: cx.t.label("period.status", &p.status),
                closable: p.status == "open" && p.ends_on < today,
            })
            .collect(),
        funds: funds
            .into_iter()
            .map(|f| (f.id, if ja { f.name_ja } else { f.name_en }))
            .collect(),
        errors,
    };
    cx.respond(status, page.render())
}

/// Settlement periods with their close buttons, and the community funds (finance).
#[utoipa::path(get, path = "/finance/periods", tag = "pages",
    responses((status = 200, description = "periods", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not finance", content_type = "text/html")))]
pub async fn periods_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    periods_view(&app, &req, &actor, FieldErrors::default(), StatusCode::OK).await
}

/// Closes a period from its button (statements written, producers emailed).
#[utoipa::path(post, path = "/finance/periods/{id}/close", tag = "pages",
    params(("id" = Uuid, Path, description = "period id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "to the period's summary"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn close_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let actor = form.actor;
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let id = id.into_inner();
    let cx = ctx(&req, Some(&actor.locale));
    match statements::close(&app, &actor, id).await {
        Ok(_) => cx.redirect(&format!("/finance/periods/{id}")).finish(),
        Err(e) => match form_errors(&cx, &e) {
            Some(errors) => {
                periods_view(&app, &req, &actor, errors, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => error_page(&req, &e),
        },
    }
}

/// A period's summary: statements, the payables per island as a chart, and its trial balance.
#[utoipa::path(get, path = "/finance/periods/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "period id")),
    responses((status = 200, description = "the period", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not finance", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html")))]
pub async fn period_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    id: web::Path<Uuid>,
) -> HttpResponse {
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let id = id.into_inner();
    let cx = ctx(&req, Some(&actor.locale));
    let ja = cx.t.lang() == "ja";
    let agg = actor.aggregator_id.unwrap_or_default();
    let built = async {
        let periods = reports::periods(&app, &actor).await?;
        let p = periods
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(ApiError::NotFound)?;
        let sts = statements::list(&app, &actor, Some(id)).await?;
        let producers = crate::producers::repo::producers_where(
            &app.db,
            sea_orm::Condition::all().add(sea_orm::ColumnTrait::eq(
                &entity::producer::Column::AggregatorId,
                agg,
            )),
            100_000,
        )
        .await?;
        let islands = crate::reference::service::islands(&app.db, None).await?;
        let tb = reports::trial_balance(&app, &actor, Some(id)).await?;
        Ok::<_, ApiError>((p, sts, producers, islands, tb))
    }
    .await;
    let (p, sts, producers, islands, tb) = match built {
        Ok(x) => x,
        Err(e) => return error_page(&req, &e),
    };
    let island_of: HashMap<Uuid, Option<String>> = producers
        .into_iter()
        .map(|p| (p.id, p.island_code))
        .collect();
    let mut per: std::collections::BTreeMap<String, (i64, usize)> = Default::default();
    for st in &sts {
        let code = island_of
            .get(&st.producer_id)
            .cloned()
            .flatten()
            .unwrap_or_default();
        let e = per.entry(code).or_default();
        e.0 += st.net_payable;
        e.1 += 1;
    }
    let name = |code: &str| {
        islands
            .iter()
            .find(|i| i.code == code)
            .map(|i| {
                if ja {
                    i.name_ja.clone()
                } else {
                    i.name_en.clone()
                }
            })
            .unwrap_or_else(|| cx.t.get("period.mainland").to_string())
    };
    let mut rows: Vec<(String, i64, usize)> = per
        .into_iter()
        .map(|(c, (a, n))| (name(&c), a, n))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bars: Vec<Bar> = rows
        .iter()
        .enumerate()
        .map(|(i, (n, a, c))| Bar {
            name: n.clone(),
            amount: grouped(*a),
            producers: *c,
            width: (a.max(&0) * 1000 / max).max(1),
            y: i64::try_from(i).unwrap_or(0) * 28,
        })
        .collect();
    let page = PeriodPage {
        id,
        c: cx.chrome(Some(actor.display_name.clone())),
        label: format!("{} – {}", p.starts_on, p.ends_on),
        status_label: cx.t.label("period.status", &p.status),
        statements: sts.len(),
        payable_total: grouped(sts.iter().map(|s| s.net_payable).sum()),
        chart_height: i64::try_from(bars.len()).unwrap_or(0) * 28 + 4,
        bars,
        accounts: tb
            .accounts
            .iter()
            .filter(|a| a.debit != 0 || a.credit != 0)
            .map(|a| {
                (
                    a.code.clone(),
                    a.subject.clone(),
                    grouped(a.debit),
                    grouped(a.credit),
                    grouped(a.net),
                )
            })
            .collect(),
        balanced: tb.balanced,
        total_debit: grouped(tb.total_debit),
        total_credit: grouped(tb.total_credit),
    };
    cx.respond(StatusCode::OK, page.render())
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/finance_fund.html")]
struct FundPage {
    c: Chrome,
    id: Uuid,
    name: String,
    /// (period, status, accrued, paid out, balance)
    rows: Vec<(String, &'static str, String, String, String)>,
    accrued: String,
    paid_out: String,
    balance: String,
}

/// A community fund's statement: per period the shares accrued, paid out and owed.
#[utoipa::path(get, path = "/finance/funds/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "fund id")),
    responses((status = 200, description = "the fund's statement", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not finance", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html")))]
pub async fn fund_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    id: web::Path<Uuid>,
) -> HttpResponse {
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    let st = match payouts::fund_statement(&app, &actor, id.into_inner()).await {
        Ok(s) => s,
        Err(e) => return error_page(&req, &e),
    };
    let page = FundPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        id: st.fund_id,
        name: if cx.t.lang() == "ja" {
            st.name_ja.clone()
        } else {
            st.name_en.clone()
        },
        rows: st
            .periods
            .iter()
            .map(|p| {
                (
                    format!("{} – {}", p.starts_on, p.ends_on),
                    cx.t.label("period.status", &p.status),
                    grouped(p.accrued),
                    grouped(p.paid_out),
                    grouped(p.balance),
                )
            })
            .collect(),
        accrued: grouped(st.accrued_total),
        paid_out: grouped(st.paid_out_total),
        balance: grouped(st.balance),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// One fee rule in the list.
struct RuleRow {
    id: Uuid,
    fee_type: &'static str,
    position: i32,
    scope: String,
    amount: String,
    dates: String,
    version: i32,
    /// The rule is a rate (basis points), not a yen amount.
    percent: bool,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/finance_fee_rules.html"
)]
struct FeeRulesPage {
    c: Chrome,
    rules: Vec<RuleRow>,
    producers: Vec<(Uuid, String)>,
    categories: Vec<(String, String)>,
    funds: Vec<(Uuid, String)>,
    errors: FieldErrors,
}

async fn fee_rules_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    errors: FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let ja = cx.t.lang() == "ja";
    let built = async {
        let rules = crate::money::fee_rules::list(app, actor, None, false).await?;
        let names = names(app, actor.aggregator_id.unwrap_or_default()).await?;
        let cats = crate::catalog::service::categories(&app.db).await?;
        let funds = crate::money::fee_rules::funds(app, actor).await?;
        Ok::<_, ApiError>((rules, names, cats, funds))
    }
    .await;
    let (rules, names, cats, funds) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let fund_name = |id: Uuid| {
        funds
            .iter()
            .find(|f| f.id == id)
            .map(|f| {
                if ja {
                    f.name_ja.clone()
                } else {
                    f.name_en.clone()
                }
            })
            .unwrap_or_default()
    };
    let rows = rules
        .into_iter()
        .filter(|(r, by)| by.is_none() && r.retired_at.is_none())
        .map(|(r, _)| {
            let mut scope = Vec::new();
            if let Some(p) = r.producer_id {
                scope.push(names.get(&p).cloned().unwrap_or_default());
            }
            if let Some(c) = &r.category_code {
                scope.push(c.clone());
            }
            if r.channel_scope != "any" {
                scope.push(cx.t.label("fee.scope", &r.channel_scope).to_string());
            }
            if let Some(m) = &r.payment_method {
                scope.push(m.clone());
            }
            if let Some(f) = r.fund_id {
                scope.push(fund_name(f));
            }
            let amount = match (r.rate_bp, r.fixed_yen) {
                (Some(bp), _) => format!("{}.{:02} %", bp / 100, bp % 100),
                (None, Some(y)) => {
                    format!("{} 円 / {}", grouped(y), cx.t.label("fee.basis", &r.basis))
                }
                _ => String::new(),
            };
            RuleRow {
                id: r.id,
                fee_type: cx.t.label("fee.type", &r.fee_type),
                position: r.position,
                scope: if scope.is_empty() {
                    cx.t.get("fee.everyone").to_string()
                } else {
                    scope.join(" · ")
                },
                amount,
                dates: format!(
                    "{} – {}",
                    r.effective_from,
                    r.effective_to.map(|d| d.to_string()).unwrap_or_default()
                ),
                version: r.version,
                percent: r.rate_bp.is_some(),
            }
        })
        .collect();
    let mut producers: Vec<(Uuid, String)> = names.into_iter().collect();
    producers.sort_by(|a, b| a.1.cmp(&b.1));
    let page = FeeRulesPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        rules: rows,
        producers,
        categories: cats
            .into_iter()
            .map(|c| (c.code, if ja { c.name_ja } else { c.name_en }))
            .collect(),
        funds: funds
            .into_iter()
            .map(|f| (f.id, if ja { f.name_ja } else { f.name_en }))
            .collect(),
        errors,
    };
    cx.respond(status, page.render())
}

/// The fee rules in force, a form for a new one, and a retire button each (finance).
#[utoipa::path(get, path = "/finance/fee-rules", tag = "pages",
    responses((status = 200, description = "fee rules", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not finance", content_type = "text/html")))]
pub async fn fee_rules_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    fee_rules_view(&app, &req, &actor, FieldErrors::default(), StatusCode::OK).await
}

fn opt_num<T: std::str::FromStr>(
    f: &super::extract::FormFields,
    k: &str,
) -> Result<Option<T>, ApiError> {
    let v = f.get(k);
    let v = v.trim().replace(',', "");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<T>()
        .map(Some)
        .map_err(|_| ApiError::field(k, "must be a whole number"))
}

fn opt_id(f: &super::extract::FormFields, k: &str) -> Result<Option<Uuid>, ApiError> {
    let v = f.get(k);
    if v.trim().is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(v.trim())
        .map(Some)
        .map_err(|_| ApiError::field(k, "choose one from the list"))
}

fn opt_text(f: &super::extract::FormFields, k: &str) -> Option<String> {
    Some(f.get(k).trim().to_string()).filter(|v| !v.is_empty())
}

fn opt_date(
    f: &super::extract::FormFields,
    k: &str,
) -> Result<Option<chrono::NaiveDate>, ApiError> {
    let v = f.get(k);
    if v.trim().is_empty() {
        return Ok(None);
    }
    v.trim()
        .parse()
        .map(Some)
        .map_err(|_| ApiError::field(k, "must be a date"))
}

/// Creates a fee rule from the form (or retires one: `action=retire` with `rule_id`).
#[utoipa::path(post, path = "/finance/fee-rules", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "saved"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with the errors", content_type = "text/html")))]
pub async fn fee_rule_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    let result = async {
        if f.get("action") == "retire" {
            let id =
                opt_id(&f, "rule_id")?.ok_or_else(|| ApiError::field("rule_id", "is required"))?;
            crate::money::fee_rules::retire(&app, &actor, id, None).await?;
            return Ok(());
        }
        if f.get("action") == "revise" {
            let id =
                opt_id(&f, "rule_id")?.ok_or_else(|| ApiError::field("rule_id", "is required"))?;
            return revise_from_row(&app, &actor, id, &f).await;
        }
        let input = crate::money::dto::FeeRuleInput {
            fee_type: f.get("fee_type"),
            position: opt_num(&f, "position")?.unwrap_or(0),
            producer_id: opt_id(&f, "producer_id")?,
            category_code: opt_text(&f, "category_code"),
            channel_scope: opt_text(&f, "channel_scope"),
            channel_id: None,
            payment_method: opt_text(&f, "payment_method"),
            price_min: opt_num(&f, "price_min")?,
            price_max: opt_num(&f, "price_max")?,
            basis: f.get("basis"),
            rate_bp: opt_num(&f, "rate_bp")?,
            fixed_yen: opt_num(&f, "fixed_yen")?,
            floor_yen: opt_num(&f, "floor_yen")?,
            cap_yen: opt_num(&f, "cap_yen")?,
            fund_id: opt_id(&f, "fund_id")?,
            bearer: opt_text(&f, "bearer"),
            effective_from: opt_date(&f, "effective_from")?,
            effective_to: opt_date(&f, "effective_to")?,
        };
        crate::money::fee_rules::create(&app, &actor, input)
            .await
            .map(|_| ())
    }
    .await;
    match result {
        Ok(()) => cx.redirect("/finance/fee-rules").finish(),
        Err(e) => match form_errors(&cx, &e) {
            Some(errors) => {
                // A row's change shows its error in that row, not at the new-rule form.
                let errors = match (f.get("action").as_str(), opt_id(&f, "rule_id")) {
                    ("revise", Ok(Some(id))) => {
                        let mut mine = FieldErrors::default();
                        for k in ["rate_bp", "fixed_yen", "effective_from", "form"] {
                            if let Some(m) = errors.get(k) {
                                mine.set(&format!("revise_{id}"), m);
                            }
                        }
                        if !mine.has_at("revise", &id) {
                            mine.set(&format!("revise_{id}"), cx.t.get("form.has_errors"));
                        }
                        mine.set("any", cx.t.get("form.has_errors"));
                        mine
                    }
                    _ => errors,
                };
                fee_rules_view(&app, &req, &actor, errors, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => error_page(&req, &e),
        },
    }
}

/// A rule's row changed in place: the next version of rule `id` with the new rate or amount
/// from the day given (today when empty); everything else as the rule has it.
async fn revise_from_row(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    f: &super::extract::FormFields,
) -> Result<(), ApiError> {
    let (r, _) = crate::money::fee_rules::history(app, actor, id).await?;
    let amount: Option<i64> = opt_num(f, "new_amount")?;
    let Some(amount) = amount else {
        return Err(ApiError::field(
            if r.rate_bp.is_some() {
                "rate_bp"
            } else {
                "fixed_yen"
            },
            "is required",
        ));
    };
    let (rate_bp, fixed_yen) = if r.rate_bp.is_some() {
        (
            Some(i32::try_from(amount).map_err(|_| ApiError::field("rate_bp", "is too large"))?),
            None,
        )
    } else {
        (None, Some(amount))
    };
    let input = crate::money::dto::FeeRuleInput {
        fee_type: r.fee_type.clone(),
        position: r.position,
        producer_id: r.producer_id,
        category_code: r.category_code.clone(),
        channel_scope: Some(r.channel_scope.clone()),
        channel_id: r.channel_id,
        payment_method: r.payment_method.clone(),
        price_min: r.price_min,
        price_max: r.price_max,
        basis: r.basis.clone(),
        rate_bp,
        fixed_yen,
        floor_yen: r.floor_yen,
        cap_yen: r.cap_yen,
        fund_id: r.fund_id,
        bearer: r.bearer.clone(),
        effective_from: opt_date(f, "new_from")?,
        effective_to: r.effective_to,
    };
    crate::money::fee_rules::revise(app, actor, id, input)
        .await
        .map(|_| ())
}

/// One ledger transaction on the page.
struct LedgerRow {
    id: Uuid,
    date: String,
    kind: String,
    memo: String,
    source: String,
    reversal: bool,
    /// (account, subject, debit, credit).
    entries: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/finance_ledger.html")]
struct LedgerPage {
    c: Chrome,
    period: Option<Uuid>,
    period_label: String,
    rows: Vec<LedgerRow>,
    next: Option<String>,
}

/// Which transactions the ledger page lists.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    pub period_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub cursor: Option<String>,
}

/// The ledger's transactions, newest first, with their entries (finance): of a period, a
/// producer or an order when the query names one; 50 a page.
#[utoipa::path(get, path = "/finance/ledger", tag = "pages",
    params(LedgerQuery),
    responses((status = 200, description = "the ledger", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login"),
        (status = 403, description = "not finance", content_type = "text/html"),
        (status = 422, description = "a bad filter", content_type = "text/html")))]
pub async fn ledger_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    q: crate::http::Query<LedgerQuery>,
) -> HttpResponse {
    if !finance(&actor) {
        return error_page(&req, &ApiError::forbidden());
    }
    let q = q.into_inner();
    let cx = ctx(&req, Some(&actor.locale));
    let built = async {
        let page = crate::core::pagination::PageQuery {
            limit: Some(50),
            cursor: q.cursor.clone(),
        }
        .page()?;
        let label = match q.period_id {
            Some(id) => reports::periods(&app, &actor)
                .await?
                .into_iter()
                .find(|p| p.id == id)
                .map(|p| format!("{} – {}", p.starts_on, p.ends_on))
                .ok_or_else(|| ApiError::field("period_id", "is not a period of yours"))?,
            None => String::new(),
        };
        let (rows, next) = reports::transactions(
            &app,
            &actor,
            reports::TransactionFilter {
                order_id: q.order_id,
                producer_id: q.producer_id,
                period_id: q.period_id,
            },
            page,
        )
        .await?;
        Ok::<_, ApiError>((label, rows, next))
    }
    .await;
    let (period_label, rows, next) = match built {
        Ok(x) => x,
        Err(e) => return error_page(&req, &e),
    };
    let yen = |v: i64| if v == 0 { String::new() } else { grouped(v) };
    let rows = rows
        .into_iter()
        .map(|t| LedgerRow {
            id: t.id,
            date: t.occurred_on.to_string(),
            kind: t.kind,
            memo: t.memo,
            source: t.source_ref,
            reversal: t.reverses_id.is_some(),
            entries: t
                .entries
                .into_iter()
                .map(|e| (e.code, e.subject, yen(e.debit), yen(e.credit)))
                .collect(),
        })
        .collect();
    let mut keep: Vec<String> = Vec::new();
    for (k, v) in [
        ("period_id", q.period_id),
        ("producer_id", q.producer_id),
        ("order_id", q.order_id),
    ] {
        if let Some(v) = v {
            keep.push(format!("{k}={v}"));
        }
    }
    let next = next.map(|c| {
        keep.push(format!("cursor={c}"));
        format!("/finance/ledger?{}", keep.join("&"))
    });
    let page = LedgerPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        period: q.period_id,
        period_label,
        rows,
        next,
    };
    cx.respond(StatusCode::OK, page.render())
}
