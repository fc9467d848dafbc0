//! Management pages beside the portal: the producer's profile (closures, bank-account change),
//! the operators' producer list (suspend / reinstate, bank-change decisions, island closures,
//! proxy registration) and CSV import; product pause / resume / retire.
use super::extract::CheckedForm;
use super::extract::{SignedForm, SignedIn, SignedUpload};
use super::{
    pages::{Chrome, FieldErrors, ctx, error_page, message_page},
    producer_pages::{RegisterForm, input_of, registration_errors, render_form},
};
use crate::{
    catalog::{
        csv_io,
        service::{self as catalog, Action},
    },
    core::csv::RowError,
    core::pagination::Page,
    error::ApiError,
    http::actor::{Actor, Role},
    producers::service::{self as producers, BankInput, ClosureInput, Decision, ProducerFilter},
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A closure line.
pub struct ClosureRow {
    pub id: Uuid,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub island: bool,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/profile.html")]
struct ProfilePage {
    c: Chrome,
    name: String,
    status: String,
    closed_now: bool,
    closures: Vec<ClosureRow>,
    bank: String,
    pending_bank: Option<String>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

async fn profile(
    app: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    errors: FieldErrors,
    status: StatusCode,
    notice: Option<&'static str>,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let Some(pid) = actor.producer_id else {
        return message_page(
            req,
            StatusCode::FORBIDDEN,
            "forbidden.title",
            "forbidden.body",
        );
    };
    let built = async {
        let p = producers::get_producer(app, actor, pid).await?;
        let closures = producers::closures_for(app, actor, pid).await?;
        let pending = producers::pending_bank_change(app, actor, pid).await?;
        Ok::<_, ApiError>((p, closures, pending))
    }
    .await;
    let (p, closures, pending) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let page = ProfilePage {
        c: cx.chrome(Some(actor.display_name.clone())),
        closed_now: producers::closed_today(&closures),
        closures: closures
            .into_iter()
            .map(|c| ClosureRow {
                id: c.id,
                from: c.closed_from.to_string(),
                to: c.closed_to.to_string(),
                reason: c.reason,
                island: c.island_code.is_some(),
            })
            .collect(),
        bank: format!(
            "{} / {} / {} {} / {}",
            p.bank_code, p.branch_code, p.account_type, p.account_number, p.account_holder_kana
        ),
        pending_bank: pending.map(|b| {
            format!(
                "{} / {} / {} {} / {}",
                b.bank_code, b.branch_code, b.account_type, b.account_number, b.account_holder_kana
            )
        }),
        name: p.legal_name,
        status: p.status,
        errors,
        notice,
    };
    cx.respond(status, page.render())
}

/// The producer's profile: closures and payout account.
#[utoipa::path(get, path = "/portal/profile", tag = "pages",
    responses((status = 200, description = "profile", content_type = "text/html"), (status = 303, description = "to /login")))]
pub async fn profile_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(a): SignedIn,
) -> HttpResponse {
    profile(&app, &req, &a, FieldErrors::default(), StatusCode::OK, None).await
}

/// Adds a closure of the signed-in producer.
#[utoipa::path(post, path = "/portal/profile/closures", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "added"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 422, description = "profile with errors", content_type = "text/html")))]
pub async fn add_closure_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    let from = f.get("closed_from").parse().ok();
    let to = f.get("closed_to").parse().ok();
    let result = match (from, to) {
        (Some(from), Some(to)) => producers::create_closure(
            &app,
            &actor,
            ClosureInput {
                producer_id: actor.producer_id,
                island_code: None,
                closed_from: from,
                closed_to: to,
                reason: f.get("reason"),
            },
        )
        .await
        .map(|_| ()),
        _ => Err(ApiError::field("closed_from", "dates")),
    };
    match result {
        Ok(()) => cx.redirect("/portal/profile").finish(),
        Err(ApiError::Validation { fields, .. }) => {
            let mut errors = FieldErrors::default();
            for (f, _) in fields {
                errors.set(&f, cx.t.get("prod.err"));
            }
            profile(
                &app,
                &req,
                &actor,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(e) => error_page(&req, &e),
    }
}

/// Requests a new payout account (the current password is asked again).
#[utoipa::path(post, path = "/portal/profile/bank-account", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "requested", content_type = "text/html"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 422, description = "profile with errors", content_type = "text/html")))]
pub async fn bank_change_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    let Some(pid) = actor.producer_id else {
        return message_page(
            &req,
            StatusCode::FORBIDDEN,
            "forbidden.title",
            "forbidden.body",
        );
    };
    let bank = BankInput {
        kind: f.get("bank_kind"),
        bank_code: f.get("bank_code"),
        branch_code: f.get("branch_code"),
        account_type: f.get("account_type"),
        account_number: f.get("account_number"),
        jp_symbol: f.get("jp_bank_symbol"),
        jp_number: f.get("jp_bank_number"),
        holder_kana: f.get("holder_kana"),
    };
    match producers::request_bank_change(&app, &actor, pid, &f.get("current_password"), bank).await
    {
        Ok(_) => {
            profile(
                &app,
                &req,
                &actor,
                FieldErrors::default(),
                StatusCode::OK,
                Some(cx.t.get("profile.bank_requested")),
            )
            .await
        }
        Err(ApiError::Validation { fields, .. }) => {
            let errors = registration_errors(&cx, fields);
            profile(
                &app,
                &req,
                &actor,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(e) => error_page(&req, &e),
    }
}

/// A producer line in the operators' list.
pub struct ProducerRow {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub island: String,
    pub pending_bank: Option<String>,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/operator_producers.html"
)]
struct ProducersPage {
    c: Chrome,
    rows: Vec<ProducerRow>,
    islands: Vec<(String, String)>,
    error: bool,
}

/// The operators' producer list with suspend / reinstate, bank-change decisions and island
/// closures.
#[utoipa::path(get, path = "/operator/producers", tag = "pages",
    responses((status = 200, description = "producers", content_type = "text/html"), (status = 303, description = "to /login"),
        (status = 403, description = "not staff", content_type = "text/html")))]
pub async fn producers_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if actor.require(&[Role::Operator, Role::Admin]).is_err() {
        return message_page(
            &req,
            StatusCode::FORBIDDEN,
            "forbidden.title",
            "forbidden.body",
        );
    }
    let cx = ctx(&req, Some(&actor.locale));
    let built = async {
        let list = producers::list_producers(
            &app,
            &actor,
            ProducerFilter::default(),
            Page {
                limit: 100,
                after: None,
            },
        )
        .await?;
        let mut pending_changes = producers::pending_bank_changes(&app, &actor, &list).await?;
        let mut rows = Vec::new();
        for p in list {
            let pending = pending_changes.remove(&p.id);
            rows.push(ProducerRow {
                id: p.id,
                name: p.legal_name,
                status: p.status,
                island: p.island_code.unwrap_or_default(),
                pending_bank: pending.map(|b| {
                    format!(
                        "{} / {} / {} / {}",
                        b.bank_code, b.branch_code, b.account_number, b.account_holder_kana
                    )
                }),
            });
        }
        let islands = crate::reference::service::islands(&app.db, Some("47")).await?;
        Ok::<_, ApiError>((rows, islands))
    }
    .await;
    let (rows, islands) = match built {
        Ok(x) => x,
        Err(e) => return error_page(&req, &e),
    };
    let ja = cx.t.lang() == "ja";
    let page = ProducersPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        rows,
        islands: islands
            .into_iter()
            .map(|i| (i.code, if ja { i.name_ja } else { i.name_en }))
            .collect(),
        error: req.query_string().contains("error=1"),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// An operator action on a producer: suspend, reinstate, bank-approve, bank-reject.
#[utoipa::path(post, path = "/operator/producers/{id}/{action}", tag = "pages",
    params(("id" = Uuid, Path, description = "producer id"), ("action" = String, Path, description = "suspend, reinstate, bank-approve or bank-reject")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "done: back to the list"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html")))]
pub async fn producer_action(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let (id, action) = path.into_inner();
    let reason = Some(f.get("reason")).filter(|r| !r.trim().is_empty());
    let result = match action.as_str() {
        "suspend" => producers::decide(&app, &actor, id, Decision::Suspend, reason)
            .await
            .map(|_| ()),
        "reinstate" => producers::decide(&app, &actor, id, Decision::Reinstate, None)
            .await
            .map(|_| ()),
        "bank-approve" => producers::decide_bank_change(&app, &actor, id, true)
            .await
            .map(|_| ()),
        "bank-reject" => producers::decide_bank_change(&app, &actor, id, false)
            .await
            .map(|_| ()),
        _ => Err(ApiError::NotFound),
    };
    let cx = ctx(&req, Some(&actor.locale));
    match result {
        Ok(()) => cx.redirect("/operator/producers").finish(),
        Err(ApiError::Validation { .. } | ApiError::Conflict { .. }) => {
            cx.redirect("/operator/producers?error=1").finish()
        }
        Err(e) => error_page(&req, &e),
    }
}

/// Records an island-wide closure (e.g. ferries suspended by a typhoon).
#[utoipa::path(post, path = "/operator/closures", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "added"), (status = 403, description = "CSRF or role", content_type = "text/html")))]
pub async fn island_closure_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    let result = match (
        f.get("closed_from").parse().ok(),
        f.get("closed_to").parse().ok(),
    ) {
        (Some(from), Some(to)) => producers::create_closure(
            &app,
            &actor,
            ClosureInput {
                producer_id: None,
                island_code: Some(f.get("island_code")),
                closed_from: from,
                closed_to: to,
                reason: f.get("reason"),
            },
        )
        .await
        .map(|_| ()),
        _ => Err(ApiError::field("closed_from", "dates")),
    };
    match result {
        Ok(()) => cx.redirect("/operator/producers").finish(),
        Err(ApiError::Validation { .. }) => cx.redirect("/operator/producers?error=1").finish(),
        Err(e) => error_page(&req, &e),
    }
}

/// The proxy registration form (operators register a producer who cannot use the form).
#[utoipa::path(get, path = "/operator/producers/new", tag = "pages",
    responses((status = 200, description = "form", content_type = "text/html"), (status = 403, description = "not staff", content_type = "text/html")))]
pub async fn proxy_register_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if actor.require(&[Role::Operator, Role::Admin]).is_err() {
        return message_page(
            &req,
            StatusCode::FORBIDDEN,
            "forbidden.title",
            "forbidden.body",
        );
    }
    let form = RegisterForm {
        tax_status: "registered".into(),
        bank_kind: "bank".into(),
        account_type: "ordinary".into(),
        ..Default::default()
    };
    render_form(
        &app,
        &req,
        "",
        form,
        FieldErrors::default(),
        StatusCode::OK,
        Some(actor.display_name.clone()),
    )
    .await
}

/// Submits a proxy registration.
#[utoipa::path(post, path = "/operator/producers/new", tag = "pages",
    request_body(content = RegisterForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "registered: to the producer list"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "the form with errors", content_type = "text/html")))]
pub async fn proxy_register_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    CheckedForm(form): CheckedForm<RegisterForm>,
) -> HttpResponse {
    let cx = ctx(&req, Some(&actor.locale));
    let input = input_of(&form, cx.t.lang());
    let consent_date = form.consent_date.parse().ok();
    match producers::register_by_proxy(&app, &actor, input, consent_date).await {
        Ok(_) => cx.redirect("/operator/producers").finish(),
        Err(ApiError::Validation { fields, .. }) => {
            let errors = registration_errors(&cx, fields);
            render_form(
                &app,
                &req,
                "",
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(actor.display_name.clone()),
            )
            .await
        }
        Err(e) => error_page(&req, &e),
    }
}

/// Pauses, resumes or retires a product from its page.
#[utoipa::path(post, path = "/portal/products/{id}/state/{action}", tag = "pages",
    params(("id" = Uuid, Path, description = "product id"), ("action" = String, Path, description = "pause, resume or retire")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "done"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html")))]
pub async fn product_state_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    let SignedForm { actor, .. } = form;
    let (id, action) = path.into_inner();
    let action = match action.as_str() {
        "pause" => Action::Pause,
        "resume" => Action::Resume,
        "retire" => Action::Retire,
        _ => {
            return message_page(
                &req,
                StatusCode::NOT_FOUND,
                "notfound.title",
                "notfound.body",
            );
        }
    };
    match catalog::transition(&app, &actor, id, action, BTreeMap::new()).await {
        Ok(_) | Err(ApiError::Conflict { .. }) => ctx(&req, Some(&actor.locale))
            .redirect(&format!("/portal/products/{id}"))
            .finish(),
        Err(e) => error_page(&req, &e),
    }
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/import.html")]
struct ImportPage {
    c: Chrome,
    imported: Option<usize>,
    rolled_back: bool,
    failed: Vec<RowError>,
}

/// The CSV import form (operators).
#[utoipa::path(get, path = "/operator/import", tag = "pages",
    responses((status = 200, description = "form", content_type = "text/html"), (status = 403, description = "not staff", content_type = "text/html")))]
pub async fn import_page(req: HttpRequest, SignedIn(actor): SignedIn) -> HttpResponse {
    if actor.require(&[Role::Operator, Role::Admin]).is_err() {
        return message_page(
            &req,
            StatusCode::FORBIDDEN,
            "forbidden.title",
            "forbidden.body",
        );
    }
    let cx = ctx(&req, Some(&actor.locale));
    let page = ImportPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        imported: None,
        rolled_back: false,
        failed: Vec::new(),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// Imports a CSV file (multipart: `csrf_token`, `file`, optional `partial=on`) and shows the
/// per-row report.
#[utoipa::path(post, path = "/operator/import", tag = "pages",
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 200, description = "report", content_type = "text/html"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "report with row errors", content_type = "text/html")))]
pub async fn import_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    upload: SignedUpload,
) -> HttpResponse {
    let SignedUpload {
        actor,
        fields,
        file,
        too_large,
    } = upload;
    if too_large {
        return message_page(
            &req,
            StatusCode::PAYLOAD_TOO_LARGE,
            "ops.import",
            "ops.import_too_large",
        );
    }
    let partial = fields.get("partial") == "on";
    let cx = ctx(&req, Some(&actor.locale));
    let (status, page) = match csv_io::import(
        &app,
        &actor,
        &file,
        crate::core::csv::CsvEncoding::Auto,
        partial,
    )
    .await
    {
        Ok(report) => (
            if report.rolled_back {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
            ImportPage {
                c: cx.chrome(Some(actor.display_name.clone())),
                imported: Some(report.imported),
                rolled_back: report.rolled_back,
                failed: report.failed,
            },
        ),
        Err(ApiError::Validation { fields, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ImportPage {
                c: cx.chrome(Some(actor.display_name.clone())),
                imported: Some(0),
                rolled_back: true,
                failed: fields
                    .into_iter()
                    .map(|(column, message)| RowError {
                        row: 1,
                        column,
                        message,
                    })
                    .collect(),
            },
        ),
        Err(e) => return error_page(&req, &e),
    };
    cx.respond(status, page.render())
}
