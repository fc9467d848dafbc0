//! What every page handler needs before its one service call, extracted once: the signed-in
//! user (or the redirect to the login page), the submitted form's fields, and the CSRF check
//! (double submit: the form's `csrf_token` must equal the `yuimaru_csrf` cookie). A rejected
//! request gets its page at once (the login redirect, or the 403 "form expired" page).
use super::pages::{csrf_failure, csrf_ok, ctx};
use crate::http::actor::{Actor, MaybeActor};
use actix_web::{
    FromRequest, HttpRequest, HttpResponse, dev::Payload, error::InternalError, http::StatusCode,
    web,
};
use futures_util::future::LocalBoxFuture;

/// A request refused with a ready page.
fn reject(resp: HttpResponse) -> actix_web::Error {
    InternalError::from_response("page refused", resp).into()
}

fn login_redirect(req: &HttpRequest) -> actix_web::Error {
    reject(ctx(req, None).redirect("/login").finish())
}

/// The signed-in user of a page (visitors are sent to `/login`).
pub struct SignedIn(pub Actor);

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let actor = MaybeActor::from_request(&req, payload);
        Box::pin(async move {
            match actor.await?.0 {
                Some(a) => Ok(Self(a)),
                None => Err(login_redirect(&req)),
            }
        })
    }
}

/// The fields of a URL-encoded form, in the order sent (checkbox groups send a name many
/// times).
#[derive(Debug, Clone, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// The fields of `body`.
    pub fn parse(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.opt(name).unwrap_or_default()
    }

    /// The first value of `name`.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether `name` was sent.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Every (name, value), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The names sent, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

/// A URL-encoded form submitted by a signed-in user, its CSRF token checked.
pub struct SignedForm {
    pub actor: Actor,
    pub fields: FormFields,
}

impl FromRequest for SignedForm {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let actor = MaybeActor::from_request(&req, payload);
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let Some(actor) = actor.await?.0 else {
                return Err(login_redirect(&req));
            };
            let fields = FormFields::parse(&body.await?);
            if !csrf_ok(&req, &fields.get("csrf_token")) {
                return Err(reject(csrf_failure(&req)));
            }
            Ok(Self { actor, fields })
        })
    }
}

/// A form type that carries the CSRF token it was rendered with.
pub trait CsrfToken {
    /// The submitted `csrf_token` field.
    fn csrf_token(&self) -> &str;
}

/// A typed URL-encoded form (signed in or not: login, password reset, the shop's cart), its
/// CSRF token checked. A form that does not parse is a 400 page.
pub struct CheckedForm<T>(pub T);

impl<T: CsrfToken + serde::de::DeserializeOwned + 'static> FromRequest for CheckedForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let form = web::Form::<T>::from_request(&req, payload);
        Box::pin(async move {
            let form = match form.await {
                Ok(f) => f.into_inner(),
                Err(_) => {
                    return Err(reject(super::pages::message_page(
                        &req,
                        StatusCode::BAD_REQUEST,
                        "error.title",
                        "form.unreadable",
                    )));
                }
            };
            if !csrf_ok(&req, form.csrf_token()) {
                return Err(reject(csrf_failure(&req)));
            }
            Ok(Self(form))
        })
    }
}

/// A `multipart/form-data` upload by a signed-in user (a `file` field and text fields), its
/// CSRF token checked. A body that is not multipart is a 415 page, one that cannot be read a
/// 400 page; a field over `uploads.max_bytes` sets [`SignedUpload::too_large`] (the page says
/// so beside the field) and is not kept.
pub struct SignedUpload {
    pub actor: Actor,
    pub fields: FormFields,
    pub file: Vec<u8>,
    pub too_large: bool,
}

impl FromRequest for SignedUpload {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let actor = MaybeActor::from_request(&req, payload);
        let payload = web::Payload::from_request(&req, payload);
        Box::pin(async move {
            let Some(actor) = actor.await?.0 else {
                return Err(login_redirect(&req));
            };
            let page =
                |status, key| reject(super::pages::message_page(&req, status, "error.title", key));
            if !crate::http::multipart::is_multipart(&req) {
                return Err(page(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "form.not_multipart",
                ));
            }
            let limit = req
                .app_data::<web::Data<crate::state::AppState>>()
                .map_or(10 * 1024 * 1024, |a| a.settings.uploads.max_bytes);
            let Ok(parts) = crate::http::multipart::read_parts(&req, payload.await?, limit).await
            else {
                return Err(page(StatusCode::BAD_REQUEST, "form.unreadable"));
            };
            let (texts, file, too_large) =
                (parts.texts, parts.file.unwrap_or_default(), parts.too_large);
            let fields = FormFields(texts);
            if !csrf_ok(&req, &fields.get("csrf_token")) {
                return Err(reject(csrf_failure(&req)));
            }
            Ok(Self {
                actor,
                fields,
                file,
                too_large,
            })
        })
    }
}
