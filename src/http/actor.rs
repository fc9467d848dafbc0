//! Extracting the [`Actor`] from a request: `Authorization: Bearer` first, then the session
//! cookie. Cookie-authenticated unsafe requests must carry `X-CSRF-Token` (the session's token).
use crate::{
    auth::{
        SESSION_COOKIE,
        actor::{Actor, Via},
        service,
    },
    core::secrets::constant_time_eq,
    error::ApiError,
    startup::AppState,
};
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::Method, web};
use std::{future::Future, pin::Pin};

/// Header carrying the CSRF token for cookie-authenticated API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequest for Actor {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(&req).await.map_err(Into::into) })
    }
}

async fn resolve(req: &HttpRequest) -> Result<Actor, ApiError> {
    let app = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("app state missing")))?;
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = h.to_str().map_err(|_| ApiError::Unauthenticated)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthenticated)?
            .trim();
        if token.is_empty() || token.len() > 200 {
            return Err(ApiError::Unauthenticated);
        }
        return service::authenticate_token(app, token).await;
    }
    let cookie = req
        .cookie(SESSION_COOKIE)
        .ok_or(ApiError::Unauthenticated)?;
    let value = cookie.value();
    if value.is_empty() || value.len() > 200 {
        return Err(ApiError::Unauthenticated);
    }
    let actor = service::authenticate_session(app, value).await?;
    // Every unsafe cookie-authenticated request needs the header, whatever its path (a path
    // test could be dodged with percent-encoding; pages do not use this extractor for forms).
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let Via::Session { csrf_token, .. } = &actor.via else {
            return Err(ApiError::Unauthenticated);
        };
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent, csrf_token) {
            return Err(ApiError::Forbidden {
                code: "csrf_failed",
                message: "missing or wrong X-CSRF-Token header for a cookie-authenticated request"
                    .into(),
            });
        }
    }
    Ok(actor)
}

/// An optional actor (pages that work both signed in and out).
pub struct MaybeActor(pub Option<Actor>);

impl FromRequest for MaybeActor {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(app) = req.app_data::<web::Data<AppState>>() else {
                return Ok(MaybeActor(None));
            };
            let Some(cookie) = req.cookie(SESSION_COOKIE) else {
                return Ok(MaybeActor(None));
            };
            match service::authenticate_session(app, cookie.value()).await {
                Ok(a) => Ok(MaybeActor(Some(a))),
                Err(ApiError::Unauthenticated) => Ok(MaybeActor(None)),
                Err(e) => Err(e.into()),
            }
        })
    }
}
