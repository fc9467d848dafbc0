//! Producer registration page (`/register`, `/{slug}/register`) and email confirmation
//! (`/confirm-email/{token}`). Japanese first; every error next to its field; input kept.
use super::extract::{CheckedForm, CsrfToken};
use super::pages::{Chrome, FieldErrors, ctx, message_page};
use crate::{
    error::ApiError,
    producers::service::{self, BankInput, RegistrationInput},
    reference,
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Text inputs: (name, type, autocomplete, inputmode), in form order per section.
pub const TEXT_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("legal_name", "text", "organization", "text"),
    ("legal_name_kana", "text", "off", "text"),
    ("representative", "text", "name", "text"),
    ("postal_code", "text", "postal-code", "numeric"),
    ("address", "text", "street-address", "text"),
    ("phone", "tel", "tel", "tel"),
    ("email", "email", "email", "email"),
    ("password", "password", "new-password", "text"),
    ("invoice_number", "text", "off", "text"),
    ("bank_code", "text", "off", "numeric"),
    ("branch_code", "text", "off", "numeric"),
    ("account_number", "text", "off", "numeric"),
    ("jp_bank_symbol", "text", "off", "numeric"),
    ("jp_bank_number", "text", "off", "numeric"),
    ("holder_kana", "text", "off", "text"),
];

/// Every field an error can be reported on.
pub const ERROR_FIELDS: &[&str] = &[
    "legal_name",
    "legal_name_kana",
    "representative",
    "municipality_code",
    "island_code",
    "postal_code",
    "address",
    "phone",
    "email",
    "password",
    "invoice_number",
    "bank_kind",
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "jp_bank_symbol",
    "jp_bank_number",
    "holder_kana",
    "consent",
    "locale",
];

/// The registration form as posted (every field optional so nothing typed is lost).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RegisterForm {
    pub csrf_token: String,
    pub legal_name: String,
    pub legal_name_kana: String,
    pub representative: String,
    pub municipality_code: String,
    pub island_code: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub password: String,
    /// `registered` or `exempt`.
    pub tax_status: String,
    pub invoice_number: String,
    /// `bank` or `japan_post`.
    pub bank_kind: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub jp_bank_symbol: String,
    pub jp_bank_number: String,
    pub holder_kana: String,
    /// `on` when ticked.
    pub consent: String,
    /// Proxy registration: the date the producer agreed (YYYY-MM-DD).
    pub consent_date: String,
}

impl CsrfToken for RegisterForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl RegisterForm {
    fn value(&self, name: &str) -> &str {
        match name {
            "legal_name" => &self.legal_name,
            "legal_name_kana" => &self.legal_name_kana,
            "representative" => &self.representative,
            "postal_code" => &self.postal_code,
            "address" => &self.address,
            "phone" => &self.phone,
            "email" => &self.email,
            "invoice_number" => &self.invoice_number,
            "bank_code" => &self.bank_code,
            "branch_code" => &self.branch_code,
            "account_number" => &self.account_number,
            "jp_bank_symbol" => &self.jp_bank_symbol,
            "jp_bank_number" => &self.jp_bank_number,
            "holder_kana" => &self.holder_kana,
            // Passwords are never echoed back.
            _ => "",
        }
    }
}

/// One text input as rendered.
pub struct InputView {
    pub name: &'static str,
    pub label: &'static str,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub value: String,
    pub error: Option<&'static str>,
}

/// An option of a select.
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/register.html")]
struct RegisterPage {
    c: Chrome,
    action: String,
    proxy: bool,
    inputs: BTreeMap<&'static str, InputView>,
    municipalities: Vec<OptionView>,
    islands: Vec<OptionView>,
    errors: FieldErrors,
    form: RegisterForm,
}

impl RegisterPage {
    fn input(&self, name: &str) -> Option<&InputView> {
        self.inputs.get(name)
    }
}

async fn render(
    app: &AppState,
    req: &HttpRequest,
    slug: &str,
    form: RegisterForm,
    errors: FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    render_form(app, req, slug, form, errors, status, None).await
}

/// Renders the registration form; with `proxy` (the operator's name), the proxy variant.
pub(crate) async fn render_form(
    app: &AppState,
    req: &HttpRequest,
    slug: &str,
    form: RegisterForm,
    errors: FieldErrors,
    status: StatusCode,
    proxy: Option<String>,
) -> HttpResponse {
    let cx = ctx(req, None);
    let ja = cx.t.lang() == "ja";
    let (munis, islands) = match (
        reference::service::municipalities(&app.db, Some("47")).await,
        reference::service::islands(&app.db, Some("47")).await,
    ) {
        (Ok(m), Ok(i)) => (m, i),
        _ => {
            return message_page(
                req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.title",
                "error.body",
            );
        }
    };
    let inputs = TEXT_FIELDS
        .iter()
        .map(|(name, ty, ac, im)| {
            (
                *name,
                InputView {
                    name,
                    label: cx.t.get(&format!("reg.{name}")),
                    input_type: ty,
                    autocomplete: ac,
                    inputmode: im,
                    value: form.value(name).to_string(),
                    error: errors.get(name).copied(),
                },
            )
        })
        .collect();
    let municipalities = munis
        .into_iter()
        .map(|m| OptionView {
            selected: m.code == form.municipality_code,
            label: if ja { m.name_ja } else { m.name_en },
            value: m.code,
        })
        .collect();
    let islands = islands
        .into_iter()
        .map(|i| OptionView {
            selected: i.code == form.island_code,
            label: if ja {
                format!("{}（{}）", i.name_ja, i.group_ja)
            } else {
                format!("{} ({})", i.name_en, i.group_en)
            },
            value: i.code,
        })
        .collect();
    let action = if proxy.is_some() {
        "/operator/producers/new".to_string()
    } else if slug == app.settings.server.default_aggregator {
        "/register".to_string()
    } else {
        format!("/{slug}/register")
    };
    let page = RegisterPage {
        proxy: proxy.is_some(),
        c: cx.chrome(proxy),
        action,
        inputs,
        municipalities,
        islands,
        errors,
        form,
    };
    cx.respond(status, page.render())
}

/// The registration form of the default aggregator.
#[utoipa::path(get, path = "/register", tag = "pages",
    responses((status = 200, description = "producer registration form", content_type = "text/html")))]
pub async fn register_page(app: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let slug = app.settings.server.default_aggregator.clone();
    register_page_for(app, req, slug).await
}

/// The registration form of the aggregator `slug`.
#[utoipa::path(get, path = "/{slug}/register", tag = "pages",
    params(("slug" = String, Path, description = "aggregator slug")),
    responses((status = 200, description = "producer registration form", content_type = "text/html"),
        (status = 404, description = "no such aggregator", content_type = "text/html")))]
pub async fn register_page_slug(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    register_page_for(app, req, slug.into_inner()).await
}

async fn register_page_for(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: String,
) -> HttpResponse {
    if !crate::aggregators::service::exists(&app.db, &slug)
        .await
        .unwrap_or(false)
    {
        return message_page(
            &req,
            StatusCode::NOT_FOUND,
            "notfound.title",
            "notfound.body",
        );
    }
    let form = RegisterForm {
        tax_status: "registered".into(),
        bank_kind: "bank".into(),
        account_type: "ordinary".into(),
        ..Default::default()
    };
    render(
        &app,
        &req,
        &slug,
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The form's fields as the service input.
pub(crate) fn input_of(form: &RegisterForm, locale: &str) -> RegistrationInput {
    RegistrationInput {
        legal_name: form.legal_name.clone(),
        legal_name_kana: form.legal_name_kana.clone(),
        representative: form.representative.clone(),
        municipality_code: form.municipality_code.clone(),
        island_code: Some(form.island_code.clone()),
        postal_code: form.postal_code.clone(),
        address: form.address.clone(),
        phone: form.phone.clone(),
        email: form.email.clone(),
        invoice_number: (form.tax_status != "exempt").then(|| form.invoice_number.clone()),
        tax_exempt: form.tax_status == "exempt",
        bank: BankInput {
            kind: form.bank_kind.clone(),
            bank_code: form.bank_code.clone(),
            branch_code: form.branch_code.clone(),
            account_type: form.account_type.clone(),
            account_number: form.account_number.clone(),
            jp_symbol: form.jp_bank_symbol.clone(),
            jp_number: form.jp_bank_number.clone(),
            holder_kana: form.holder_kana.clone(),
        },
        consent: form.consent == "on",
        locale: Some(locale.to_string()),
        password: Some(form.password.clone()),
    }
}

/// Localised field errors for the registration form.
pub(crate) fn registration_errors(
    cx: &super::pages::Ctx,
    fields: Vec<(String, String)>,
) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for (f, _) in fields {
        let msg = cx.t.get(&format!("reg.err.{f}"));
        errors.set(
            &f,
            if msg == "??" {
                cx.t.get("form.has_errors")
            } else {
                msg
            },
        );
    }
    errors
}

/// Submits the registration form of the default aggregator.
#[utoipa::path(post, path = "/register", tag = "pages",
    request_body(content = RegisterForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "registered", content_type = "text/html"),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html"),
        (status = 422, description = "the form again, errors beside their fields", content_type = "text/html")))]
pub async fn register_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    CheckedForm(form): CheckedForm<RegisterForm>,
) -> HttpResponse {
    let slug = app.settings.server.default_aggregator.clone();
    submit(app, req, slug, form).await
}

/// Submits the registration form of the aggregator `slug`.
#[utoipa::path(post, path = "/{slug}/register", tag = "pages",
    params(("slug" = String, Path, description = "aggregator slug")),
    request_body(content = RegisterForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "registered", content_type = "text/html"),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html"),
        (status = 404, description = "no such aggregator", content_type = "text/html"),
        (status = 422, description = "the form again, errors beside their fields", content_type = "text/html")))]
pub async fn register_submit_slug(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    CheckedForm(form): CheckedForm<RegisterForm>,
) -> HttpResponse {
    submit(app, req, slug.into_inner(), form).await
}

async fn submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    slug: String,
    form: RegisterForm,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let input = input_of(&form, cx.t.lang());
    match service::register(&app, &slug, input).await {
        Ok(_) => message_page(&req, StatusCode::OK, "reg.done_title", "reg.done_body"),
        Err(ApiError::Validation { fields, .. }) => {
            let errors = registration_errors(&cx, fields);
            render(
                &app,
                &req,
                &slug,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ApiError::NotFound) => message_page(
            &req,
            StatusCode::NOT_FOUND,
            "notfound.title",
            "notfound.body",
        ),
        Err(e) => {
            tracing::error!(error = %e.describe(), "registration failed");
            message_page(
                &req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.title",
                "error.body",
            )
        }
    }
}

/// Confirms a producer's email address from the emailed link.
#[utoipa::path(get, path = "/confirm-email/{token}", tag = "pages",
    params(("token" = String, Path, description = "token from the emailed link")),
    responses((status = 200, description = "confirmed", content_type = "text/html"),
        (status = 404, description = "invalid, used or expired link", content_type = "text/html")))]
pub async fn confirm_email_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    match service::confirm_email(&app, &token).await {
        Ok(()) => message_page(
            &req,
            StatusCode::OK,
            "confirm.done_title",
            "confirm.done_body",
        ),
        Err(ApiError::Validation { .. }) => message_page(
            &req,
            StatusCode::NOT_FOUND,
            "confirm.invalid_title",
            "confirm.invalid_body",
        ),
        Err(e) => {
            tracing::error!(error = %e.describe(), "email confirmation failed");
            message_page(
                &req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.title",
                "error.body",
            )
        }
    }
}
