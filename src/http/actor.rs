//! Who is acting: the `Actor` every service receives, roles and deny-by-default checks, and
//! extracting it from a request — `Authorization: Bearer` first, then the session cookie.
//! Cookie-authenticated unsafe requests must carry `X-CSRF-Token` (the session's token).
//!
//! Checking a token or a session is the `auth` area's work: it registers an [`Authenticator`]
//! part, so this module (below every area) never imports it.
use crate::{core::secrets::constant_time_eq, error::ApiError, state::AppState};
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::Method, web};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::{future::Future, pin::Pin};
use utoipa::ToSchema;
use uuid::Uuid;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "yuimaru_session";

/// Header carrying the CSRF token for cookie-authenticated API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Resolves a bearer token or a session cookie value to its actor.
pub type ResolveFn = for<'a> fn(&'a AppState, &'a str) -> BoxFuture<'a, Result<Actor, ApiError>>;

/// How credentials are checked (registered by the `auth` area).
#[derive(Clone, Copy)]
pub struct Authenticator {
    /// An API token (`Authorization: Bearer …`).
    pub token: ResolveFn,
    /// A session cookie's value.
    pub session: ResolveFn,
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the deployment: users, aggregators, settings, across tenants.
    Admin,
    /// Aggregator staff: reviews, warehouse, orders, channels.
    Operator,
    /// Aggregator staff: periods, payouts, bank files.
    Finance,
    /// A producer's own account, scoped to one producer.
    Producer,
    /// Prefectural or municipal officer, scoped to one prefecture, statistics only.
    Officer,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Finance => "finance",
            Self::Producer => "producer",
            Self::Officer => "officer",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "admin" => Self::Admin,
            "operator" => Self::Operator,
            "finance" => Self::Finance,
            "producer" => Self::Producer,
            "officer" => Self::Officer,
            _ => return None,
        })
    }

    /// Every role, for validation messages.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operator,
        Role::Finance,
        Role::Producer,
        Role::Officer,
    ];
}

/// How the actor authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Session cookie; holds the session's id (hash) and CSRF token.
    Session {
        session_id: String,
        csrf_token: String,
    },
    /// Bearer API token.
    Token { token_id: Uuid },
    /// The command line (no HTTP request).
    Cli,
}

/// The authenticated user acting in a request, with its scope.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The tenant; `None` only for deployment-wide admins.
    pub aggregator_id: Option<Uuid>,
    /// Set for producer users.
    pub producer_id: Option<Uuid>,
    /// Set for officers (JIS X 0401 code).
    pub prefecture_code: Option<String>,
    pub locale: String,
    pub via: Via,
}

impl Actor {
    /// Allows only the given roles (403 otherwise).
    ///
    /// # Errors
    /// `forbidden` when the role is not listed.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Whether the actor may see rows of `aggregator_id` (admins: every tenant).
    pub fn in_tenant(&self, aggregator_id: Option<Uuid>) -> bool {
        match self.role {
            Role::Admin if self.aggregator_id.is_none() => true,
            _ => aggregator_id.is_some() && aggregator_id == self.aggregator_id,
        }
    }

    /// Whether this is a deployment-wide admin.
    pub fn is_global_admin(&self) -> bool {
        self.role == Role::Admin && self.aggregator_id.is_none()
    }
}

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
    let auth = app.part::<Authenticator>()?;
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
        return (auth.token)(app, token).await;
    }
    let cookie = req
        .cookie(SESSION_COOKIE)
        .ok_or(ApiError::Unauthenticated)?;
    let value = cookie.value();
    if value.is_empty() || value.len() > 200 {
        return Err(ApiError::Unauthenticated);
    }
    let actor = (auth.session)(app, value).await?;
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
            let auth = app.part::<Authenticator>()?;
            match (auth.session)(app, cookie.value()).await {
                Ok(a) => Ok(MaybeActor(Some(a))),
                Err(ApiError::Unauthenticated) => Ok(MaybeActor(None)),
                Err(e) => Err(e.into()),
            }
        })
    }
}
