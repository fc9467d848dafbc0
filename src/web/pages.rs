//! Page handlers: login, logout, password reset, home. Forms carry a CSRF token (double-submit:
//! a random `yuimaru_csrf` cookie, SameSite=Strict, echoed in a hidden field); errors are shown
//! next to their field in the page's language, and what the user typed is kept.
use super::extract::{CheckedForm, CsrfToken};
use super::i18n::T;
use crate::{
    auth::{
        handlers::{clear_session_cookie, session_cookie},
        service,
    },
    core::locale::Locale,
    core::secrets::{constant_time_eq, random_token},
    error::ApiError,
    http::{
        actor::{MaybeActor, SESSION_COOKIE},
        client_ip,
    },
    state::AppState,
};
use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    cookie::{Cookie, SameSite},
    http::StatusCode,
    web,
};
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;

const CSRF_COOKIE: &str = "yuimaru_csrf";
const LANG_COOKIE: &str = "yuimaru_lang";

/// What every page's layout needs.
pub struct Chrome {
    pub t: T,
    pub csrf: String,
    pub user: Option<String>,
}

/// Field errors of a form.
#[derive(Default)]
pub struct FieldErrors(pub(crate) BTreeMap<String, &'static str>);

impl FieldErrors {
    /// The message for `field`.
    pub fn get(&self, field: &str) -> Option<&&'static str> {
        self.0.get(field)
    }
    /// Whether `field` has an error.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    /// The message for the numbered field `{prefix}_{i}` (form rows; `i` a row number or id).
    pub fn at(&self, prefix: &str, i: &impl std::fmt::Display) -> Option<&&'static str> {
        self.0.get(&format!("{prefix}_{i}"))
    }
    /// Whether the numbered field `{prefix}_{i}` has an error.
    pub fn has_at(&self, prefix: &str, i: &impl std::fmt::Display) -> bool {
        self.at(prefix, i).is_some()
    }
    /// Whether any field has an error.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
    pub(crate) fn set(&mut self, field: &str, msg: &'static str) {
        self.0.insert(field.to_string(), msg);
    }
}

/// Per-request page context: language, CSRF token (and whether its cookie must be set).
pub(crate) struct Ctx {
    pub(crate) t: T,
    csrf: String,
    set_csrf: bool,
    set_lang: Option<&'static str>,
    secure: bool,
}

pub(crate) fn ctx(req: &HttpRequest, user_locale: Option<&str>) -> Ctx {
    let secure = req
        .app_data::<web::Data<AppState>>()
        .map(|a| a.settings.server.secure_cookies)
        .unwrap_or(true);
    let query_lang = web::Query::<BTreeMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("lang").cloned());
    let (locale, set_lang) = match query_lang.as_deref() {
        Some("en") => (Locale::En, Some("en")),
        Some("ja") => (Locale::Ja, Some("ja")),
        _ => {
            let from_cookie = req.cookie(LANG_COOKIE).map(|c| c.value().to_string());
            let l = from_cookie
                .as_deref()
                .or(user_locale)
                .map(Locale::parse)
                .unwrap_or(Locale::Ja);
            (l, None)
        }
    };
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64);
    let (csrf, set_csrf) = match existing {
        Some(v) => (v, false),
        None => (random_token(), true),
    };
    Ctx {
        t: T { locale },
        csrf,
        set_csrf,
        set_lang,
        secure,
    }
}

impl Ctx {
    pub(crate) fn chrome(&self, user: Option<String>) -> Chrome {
        Chrome {
            t: self.t,
            csrf: self.csrf.clone(),
            user,
        }
    }

    pub(crate) fn respond(
        &self,
        status: StatusCode,
        html: Result<String, askama::Error>,
    ) -> HttpResponse {
        let mut b = HttpResponseBuilder::new(status);
        self.decorate(&mut b);
        match html {
            Ok(body) => b.content_type("text/html; charset=utf-8").body(body),
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                HttpResponse::InternalServerError().finish()
            }
        }
    }

    fn decorate(&self, b: &mut HttpResponseBuilder) {
        b.insert_header(("x-frame-options", "DENY"))
            .insert_header(("x-content-type-options", "nosniff"))
            .insert_header(("referrer-policy", "same-origin"))
            .insert_header((
                "content-security-policy",
                "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            ))
            .insert_header(("cache-control", "no-store"));
        if self.set_csrf {
            b.cookie(csrf_cookie(self.csrf.clone(), self.secure));
        }
        if let Some(l) = self.set_lang {
            b.cookie(
                Cookie::build(LANG_COOKIE, l)
                    .path("/")
                    .same_site(SameSite::Lax)
                    .secure(self.secure)
                    .max_age(actix_web::cookie::time::Duration::days(365))
                    .finish(),
            );
        }
    }

    pub(crate) fn redirect(&self, to: &str) -> HttpResponseBuilder {
        let mut b = HttpResponse::SeeOther();
        self.decorate(&mut b);
        b.insert_header(("location", to.to_string()));
        b
    }
}

fn csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

/// Whether a submitted form's token matches the CSRF cookie.
pub(crate) fn csrf_ok(req: &HttpRequest, submitted: &str) -> bool {
    match req.cookie(CSRF_COOKIE) {
        Some(c) => c.value().len() == 64 && constant_time_eq(c.value(), submitted),
        None => false,
    }
}

/// A simple page with a title and a message.
pub fn message_page(
    req: &HttpRequest,
    status: StatusCode,
    title_key: &'static str,
    body_key: &'static str,
) -> HttpResponse {
    let cx = ctx(req, None);
    let page = MessagePage {
        c: cx.chrome(None),
        title_key,
        body_key,
    };
    cx.respond(status, page.render())
}

pub(crate) fn csrf_failure(req: &HttpRequest) -> HttpResponse {
    message_page(req, StatusCode::FORBIDDEN, "csrf.title", "csrf.body")
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/message.html")]
struct MessagePage {
    c: Chrome,
    title_key: &'static str,
    body_key: &'static str,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    errors: FieldErrors,
    form_error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/home.html")]
struct HomePage {
    c: Chrome,
    email: String,
    role: String,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/reset_request.html")]
struct ResetRequestPage {
    c: Chrome,
    email: String,
    errors: FieldErrors,
    done: bool,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/reset.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    valid: bool,
    errors: FieldErrors,
}

/// Home: who is signed in; sends visitors to the login page.
#[utoipa::path(get, path = "/", tag = "pages",
    responses((status = 200, description = "home page", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login")))]
pub async fn home_page(req: HttpRequest, actor: MaybeActor) -> HttpResponse {
    let Some(a) = actor.0 else {
        return ctx(&req, None).redirect("/login").finish();
    };
    let cx = ctx(&req, Some(&a.locale));
    let page = HomePage {
        c: cx.chrome(Some(a.display_name.clone())),
        email: a.email.clone(),
        role: a.role.as_str().to_string(),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// The login form.
#[utoipa::path(get, path = "/login", tag = "pages",
    params(("lang" = Option<String>, Query, description = "ja or en")),
    responses((status = 200, description = "login form", content_type = "text/html")))]
pub async fn login_page(req: HttpRequest) -> HttpResponse {
    let cx = ctx(&req, None);
    let done = req.query_string().contains("reset=done");
    let page = LoginPage {
        c: cx.chrome(None),
        email: String::new(),
        errors: FieldErrors::default(),
        form_error: None,
        notice: done.then(|| cx.t.get("reset.done")),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// The login form's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

impl CsrfToken for LoginForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Submits the login form: on success a new session and a redirect home; otherwise the form
/// again with the error next to its field and the email kept.
#[utoipa::path(post, path = "/login", tag = "pages",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "signed in: to /"),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html"),
        (status = 401, description = "wrong email or password", content_type = "text/html"),
        (status = 422, description = "invalid field", content_type = "text/html"),
        (status = 429, description = "too many attempts", content_type = "text/html")))]
pub async fn login_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    CheckedForm(form): CheckedForm<LoginForm>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let mut errors = FieldErrors::default();
    if form.email.trim().is_empty() {
        errors.set("email", cx.t.get("field.required"));
    }
    if form.password.is_empty() {
        errors.set("password", cx.t.get("field.required"));
    }
    let result = if errors.any() {
        Err(ApiError::field("form", "invalid"))
    } else {
        let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        service::login(
            &app,
            &form.email,
            &form.password,
            &client_ip(&req),
            previous.as_deref(),
        )
        .await
    };
    match result {
        Ok(out) => {
            // New session id and a new CSRF token at login (no fixation of either).
            let mut b = cx.redirect("/");
            b.cookie(session_cookie(out.session_token, cx.secure));
            b.cookie(csrf_cookie(random_token(), cx.secure));
            if cx.set_lang.is_none() && req.cookie(LANG_COOKIE).is_none() {
                b.cookie(
                    Cookie::build(LANG_COOKIE, out.actor.locale.clone())
                        .path("/")
                        .same_site(SameSite::Lax)
                        .secure(cx.secure)
                        .finish(),
                );
            }
            b.finish()
        }
        Err(e) => {
            let (status, form_error) = match &e {
                ApiError::InvalidCredentials => {
                    (StatusCode::UNAUTHORIZED, Some(cx.t.get("login.invalid")))
                }
                ApiError::TooManyRequests { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(cx.t.get("login.too_many")),
                ),
                ApiError::Validation { fields, .. } => {
                    for (f, _) in fields {
                        if f == "email" {
                            errors.set("email", cx.t.get("field.email_invalid"));
                        }
                    }
                    (StatusCode::UNPROCESSABLE_ENTITY, None)
                }
                other => {
                    tracing::error!(error = %other, "login failed unexpectedly");
                    return message_page(
                        &req,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "error.title",
                        "error.body",
                    );
                }
            };
            let page = LoginPage {
                c: cx.chrome(None),
                email: form.email,
                errors,
                form_error,
                notice: None,
            };
            cx.respond(status, page.render())
        }
    }
}

/// The CSRF-only form (logout).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

impl CsrfToken for CsrfForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Logs out (server-side) and goes to the login page.
#[utoipa::path(post, path = "/logout", tag = "pages",
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "signed out: to /login"),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html")))]
pub async fn logout_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    _form: CheckedForm<CsrfForm>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    if let Some(c) = req.cookie(SESSION_COOKIE)
        && let Err(e) = service::logout(&app, c.value()).await
    {
        tracing::error!(error = %e, "logout failed");
        return message_page(
            &req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "error.title",
            "error.body",
        );
    }
    let mut b = cx.redirect("/login");
    b.cookie(clear_session_cookie(cx.secure));
    b.finish()
}

/// The "forgot password" form.
#[utoipa::path(get, path = "/password-reset", tag = "pages",
    responses((status = 200, description = "form", content_type = "text/html")))]
pub async fn reset_request_page(req: HttpRequest) -> HttpResponse {
    let cx = ctx(&req, None);
    let page = ResetRequestPage {
        c: cx.chrome(None),
        email: String::new(),
        errors: FieldErrors::default(),
        done: false,
    };
    cx.respond(StatusCode::OK, page.render())
}

/// The "forgot password" form's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetRequestForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub email: String,
}

impl CsrfToken for ResetRequestForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Sends the reset link (when the account exists; the answer is the same either way).
#[utoipa::path(post, path = "/password-reset", tag = "pages",
    request_body(content = ResetRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "done or form with errors", content_type = "text/html"),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html"),
        (status = 422, description = "invalid email", content_type = "text/html")))]
pub async fn reset_request_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    CheckedForm(form): CheckedForm<ResetRequestForm>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let mut errors = FieldErrors::default();
    let status = match service::request_password_reset(&app, &form.email).await {
        Ok(()) => StatusCode::OK,
        Err(ApiError::Validation { .. }) => {
            errors.set(
                "email",
                if form.email.trim().is_empty() {
                    cx.t.get("field.required")
                } else {
                    cx.t.get("field.email_invalid")
                },
            );
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => {
            tracing::error!(error = %e, "password reset request failed");
            return message_page(
                &req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.title",
                "error.body",
            );
        }
    };
    let page = ResetRequestPage {
        c: cx.chrome(None),
        done: status == StatusCode::OK,
        email: form.email,
        errors,
    };
    cx.respond(status, page.render())
}

/// The "set a new password" form reached from the emailed link.
#[utoipa::path(get, path = "/password-reset/{token}", tag = "pages",
    params(("token" = String, Path, description = "token from the emailed link")),
    responses((status = 200, description = "form", content_type = "text/html"),
        (status = 404, description = "invalid, used or expired link", content_type = "text/html")))]
pub async fn reset_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let token = token.into_inner();
    let valid = token.len() == 64 && service::link_is_valid(&app, &token).await.unwrap_or(false);
    let page = ResetPage {
        c: cx.chrome(None),
        token,
        valid,
        errors: FieldErrors::default(),
    };
    cx.respond(
        if valid {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        page.render(),
    )
}

/// The new-password form's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub confirm_password: String,
}

impl CsrfToken for ResetForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Sets the new password; on success to the login page.
#[utoipa::path(post, path = "/password-reset/{token}", tag = "pages",
    params(("token" = String, Path, description = "token from the emailed link")),
    request_body(content = ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "password set: to /login"),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html"),
        (status = 404, description = "invalid, used or expired link", content_type = "text/html"),
        (status = 422, description = "form with errors", content_type = "text/html")))]
pub async fn reset_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    CheckedForm(form): CheckedForm<ResetForm>,
) -> HttpResponse {
    let cx = ctx(&req, None);
    let token = token.into_inner();
    let mut errors = FieldErrors::default();
    if form.new_password != form.confirm_password {
        errors.set("confirm_password", cx.t.get("field.password_mismatch"));
    }
    if let Err(ApiError::Validation { .. }) =
        service::check_password(&app, "new_password", &form.new_password)
    {
        errors.set("new_password", cx.t.get("field.password_short"));
    }
    let mut valid = true;
    if !errors.any() {
        match service::confirm_password_reset(&app, &token, &form.new_password).await {
            Ok(()) => return cx.redirect("/login?reset=done").finish(),
            Err(ApiError::Validation { fields, .. }) => {
                for (f, _) in fields {
                    if f == "token" {
                        valid = false;
                    } else {
                        errors.set("new_password", cx.t.get("field.password_short"));
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "password reset failed");
                return message_page(
                    &req,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.title",
                    "error.body",
                );
            }
        }
    }
    let status = if valid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::NOT_FOUND
    };
    let page = ResetPage {
        c: cx.chrome(None),
        token,
        valid,
        errors,
    };
    cx.respond(status, page.render())
}

/// The stylesheet (compiled into the binary).
#[utoipa::path(get, path = "/assets/app.css", tag = "pages",
    responses((status = 200, description = "CSS", content_type = "text/css")))]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("assets/app.css"))
}

/// The fields of a URL-encoded form body.
pub(crate) fn pairs(body: &[u8]) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// A form field, empty when absent.
pub(crate) fn get(f: &BTreeMap<String, String>, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

/// The page for a service error: 403, 404, or 500 (logged) for anything else.
pub(crate) fn error_page(req: &HttpRequest, e: &ApiError) -> HttpResponse {
    match e {
        ApiError::Forbidden { .. } => message_page(
            req,
            StatusCode::FORBIDDEN,
            "forbidden.title",
            "forbidden.body",
        ),
        ApiError::NotFound => message_page(
            req,
            StatusCode::NOT_FOUND,
            "notfound.title",
            "notfound.body",
        ),
        other => {
            tracing::error!(error = %other.describe(), "page failed");
            message_page(
                req,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.title",
                "error.body",
            )
        }
    }
}

/// The answer to a page's action: back to `back`, with the refusal's text shown there
/// (`?error=`) when the input was refused or the step is not possible now; an error page
/// otherwise.
pub(crate) fn back_to(
    cx: &Ctx,
    req: &HttpRequest,
    back: &str,
    result: Result<(), crate::error::ApiError>,
) -> HttpResponse {
    use crate::error::ApiError;
    let refused = |text: &str| {
        cx.redirect(&format!(
            "{back}?error={}",
            url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
        ))
        .finish()
    };
    match result {
        Ok(()) => cx.redirect(back).finish(),
        Err(e @ ApiError::Validation { .. }) => refused(&e.describe()),
        Err(ApiError::Conflict { message, .. }) => refused(&message),
        Err(e) => error_page(req, &e),
    }
}
