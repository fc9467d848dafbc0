//! The one error type at the HTTP edge and its JSON body:
//! `{"error":{"code","message","details","request_id"}}`.
use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

tokio::task_local! {
    /// The current request's id, set by the request-id middleware around each request.
    pub static REQUEST_ID: String;
}

/// The request id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// Every failure an HTTP client can see.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, bad query string).
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// 422: the request was read but a field is invalid; `details.fields` names them (every
    /// bad field of the request at once), and `details.codes` gives a stable code for the
    /// fields whose problem has one (pages choose their text by it, never by the message).
    #[error("validation failed")]
    Validation {
        fields: Vec<(String, String)>,
        codes: Vec<(String, &'static str)>,
    },
    /// 422 with a specific code and structured details (e.g. per-row import errors).
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// 401: no valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// 401: login with a wrong email or password (never says which).
    #[error("email or password is incorrect")]
    InvalidCredentials,
    /// 403: authenticated but not allowed (or CSRF failure, with its own code).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// 404: no such resource visible to the caller (also used for other tenants' objects).
    #[error("not found")]
    NotFound,
    /// 404 for a path the service does not serve at all.
    #[error("no such route")]
    RouteNotFound,
    /// 405: path exists, method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// 413: the body exceeds `server.body_limit_bytes`.
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    /// 415: wrong content type.
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    /// 429: rate limited.
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    /// 503: a dependency (the database) is not answering.
    #[error("service unavailable")]
    Unavailable,
    /// 502: an outside service we call (the payment provider) failed; retrying may help.
    #[error("{message}")]
    BadGateway {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// 500: an unexpected failure; the body says only `internal`.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The JSON error body (documented in OpenAPI).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

/// Inside [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorInfo {
    /// Stable snake_case code, e.g. `validation_failed`, `not_found`, `out_of_stock`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// Human-readable explanation (English).
    pub message: String,
    /// Structured details; for validation errors `{"fields": {"<field>": "<problem>"}}`.
    #[schema(value_type = Object)]
    pub details: Value,
    /// The request id, also in the `x-request-id` response header.
    pub request_id: String,
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![(field.into(), message.into())])
    }

    /// A 422 for every (field, problem) of `fields`.
    pub fn invalid(fields: Vec<(String, String)>) -> Self {
        Self::Validation {
            fields,
            codes: Vec::new(),
        }
    }

    /// A 422 for one field whose problem has the stable `code`.
    pub fn field_coded(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let field = field.into();
        Self::Validation {
            fields: vec![(field.clone(), message.into())],
            codes: vec![(field, code)],
        }
    }

    /// The stable code of `field`'s problem, when this is a validation error that has one.
    pub fn field_code(&self, field: &str) -> Option<&'static str> {
        match self {
            Self::Validation { codes, .. } => {
                codes.iter().find(|(f, _)| f == field).map(|(_, c)| *c)
            }
            _ => None,
        }
    }

    /// A 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    /// A 409 with a code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    /// A 403 for a role or ownership failure.
    pub fn forbidden() -> Self {
        Self::Forbidden {
            code: "forbidden",
            message: "you are not allowed to do this".into(),
        }
    }

    /// A one-line description including the fields of a validation error (for the CLI).
    pub fn describe(&self) -> String {
        match self {
            Self::Validation { fields, .. } => fields
                .iter()
                .map(|(f, m)| format!("{f} {m}"))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Validation { .. } => "validation_failed",
            Self::Unprocessable { code, .. } => code,
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden { code, .. } => code,
            Self::NotFound => "not_found",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict { code, .. } => code,
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
            Self::BadGateway { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::BadRequest { details, .. }
            | Self::Conflict { details, .. }
            | Self::BadGateway { details, .. }
            | Self::Unprocessable { details, .. } => details.clone(),
            Self::Validation { fields, codes } => {
                let map: serde_json::Map<String, Value> = fields
                    .iter()
                    .map(|(f, m)| (f.clone(), Value::String(m.clone())))
                    .collect();
                if codes.is_empty() {
                    json!({ "fields": map })
                } else {
                    let codes: serde_json::Map<String, Value> = codes
                        .iter()
                        .map(|(f, c)| (f.clone(), Value::String((*c).to_string())))
                        .collect();
                    json!({ "fields": map, "codes": codes })
                }
            }
            Self::PayloadTooLarge { limit } => json!({ "limit_bytes": limit }),
            Self::UnsupportedMediaType { expected } => json!({ "expected": expected }),
            Self::TooManyRequests {
                retry_after_seconds,
            } => json!({ "retry_after_seconds": retry_after_seconds }),
            _ => json!({}),
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal error".into(),
            Self::Validation { fields, .. } => {
                let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                format!("invalid field(s): {}", names.join(", "))
            }
            other => other.to_string(),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    /// A unique-constraint violation (e.g. two concurrent requests creating the same email)
    /// is a 409 `already_exists`, never a 500; other database errors are internal.
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
            return Self::conflict(
                "already_exists",
                "a record with these values already exists",
            );
        }
        Self::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation { .. } | Self::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unauthenticated | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = current_request_id().unwrap_or_default();
        if let Self::Internal(e) = self {
            // Display, not Debug: drivers' Debug output can carry row values (personal data).
            tracing::error!(error = %format!("{e:#}"), "internal error");
        }
        let body = ErrorBody {
            error: ErrorInfo {
                code: self.code().to_string(),
                message: self.public_message(),
                details: self.details(),
                request_id,
            },
        };
        let mut resp = HttpResponse::build(self.status_code());
        if let Self::TooManyRequests {
            retry_after_seconds,
        } = self
        {
            resp.insert_header(("retry-after", retry_after_seconds.to_string()));
        }
        if matches!(self, Self::Unauthenticated) {
            resp.insert_header(("www-authenticate", "Bearer"));
        }
        resp.json(body)
    }
}

/// Result alias for handlers and services.
pub type ApiResult<T> = Result<T, ApiError>;
